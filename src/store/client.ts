/**
 * The one CouchDB client of knm: every byte knm sends to CouchDB goes through here, whether the server is
 * the embedded one or a real CouchDB cluster, through one HTTP transport (transport.ts), so that database names,
 * document ids, timeouts and errors are handled in one place.
 *
 * Database names are passed raw (`numbers/+1415`) and encoded here. Failures are StoreErrors (KnmErrors)
 * naming the database and document. Only idempotent reads are retried, and only when no answer came;
 * writers decide for themselves what a failed write means.
 */
import { errorFromCouchAnswer, StoreError, unavailable, type StoreErrorContext } from './errors';
import { redactUrl } from './connection';
import { scrubCredentials } from './scrub';
import { httpTransport } from './transport';
import type {
  BulkDocResult,
  ChangesBatch,
  ChangesParams,
  CouchDoc,
  DbInfo,
  DbUpdate,
  DbUpdatesBatch,
  DbUpdatesParams,
  GetManyRow,
  ListDbsOptions,
  SecurityObject,
  Seq,
  ServerInfo,
  StoredDoc,
  ViewParams,
  ViewResult,
  WriteResult,
} from './types';

export interface StoreOptions {
  /** CouchDB base URL; may carry credentials (they are never printed). */
  url: string;
  user?: string;
  password?: string;
  /** How long one request may take before it counts as unavailable (default 60 s; longpolls add their timeout). */
  requestTimeoutMs?: number;
  /** Attempts for an idempotent read that got no answer (default 3). */
  readAttempts?: number;
  /** Base of the jittered backoff between read attempts (default 100 ms). */
  retryBaseMs?: number;
  /** How often the `_all_dbs` fallback of `dbUpdates` polls while it waits (default 1 s). */
  dbUpdatesPollMs?: number;
}

export interface Store {
  /** The server URL without credentials, fit for logs. */
  readonly url: string;
  info(): Promise<ServerInfo>;
  listDbs(options?: ListDbsOptions): Promise<string[]>;
  /** Creates the database; true if it was created, false if it already existed. */
  createDb(db: string): Promise<boolean>;
  /** Deletes the database; true if it was deleted, false if there was none. */
  deleteDb(db: string): Promise<boolean>;
  dbExists(db: string): Promise<boolean>;
  dbInfo(db: string): Promise<DbInfo>;
  get<D extends object = CouchDoc>(db: string, id: string, options?: { conflicts?: boolean; rev?: string; revs?: boolean }): Promise<StoredDoc<D>>;
  /** `get`, but a missing or deleted document is `null` instead of an error. */
  getOrNull<D extends object = CouchDoc>(db: string, id: string): Promise<StoredDoc<D> | null>;
  /** `_all_docs?include_docs=true` with `keys`: one row per id asked, in order. */
  getMany<D extends object = CouchDoc>(db: string, ids: readonly string[]): Promise<GetManyRow<D>[]>;
  /** Creates or updates one document under MVCC: a stale or missing `_rev` is a `conflict` error. */
  put(db: string, doc: CouchDoc | Omit<CouchDoc, '_id'>): Promise<WriteResult>;
  /** `_bulk_docs`: one result per document, in order; refusals are results, not a thrown error. */
  bulkDocs(db: string, docs: readonly (CouchDoc | Omit<CouchDoc, '_id'>)[], options?: { new_edits?: boolean }): Promise<BulkDocResult[]>;
  remove(db: string, id: string, rev: string): Promise<WriteResult>;
  view<K = unknown, V = unknown, D extends object = CouchDoc>(db: string, designDoc: string, viewName: string, params?: ViewParams): Promise<ViewResult<K, V, D>>;
  /** One batch of `_changes`. */
  changes<D extends object = CouchDoc>(db: string, params?: ChangesParams): Promise<ChangesBatch<D>>;
  /** One batch of `_db_updates`, or of the `_all_dbs` polling fallback when the server has no such feed. */
  dbUpdates(params?: DbUpdatesParams): Promise<DbUpdatesBatch>;
  /** A `_local` document (never replicated, not in `_changes`), or null. `id` may be given with or without `_local/`. */
  getLocal<D extends object = CouchDoc>(db: string, id: string): Promise<StoredDoc<D> | null>;
  putLocal(db: string, doc: CouchDoc): Promise<WriteResult>;
  security(db: string): Promise<SecurityObject>;
  putSecurity(db: string, security: SecurityObject): Promise<void>;
}

interface RequestSpec {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  db?: string;
  path?: string;
  qs?: Record<string, unknown>;
  body?: unknown;
}

interface CallOptions {
  idempotent: boolean;
  /** Extra time on top of the request timeout (longpolls). */
  extraTimeoutMs?: number;
  /** The caller gave up (a longpoll of a stopping daemon): the request is cancelled and not retried. */
  signal?: AbortSignal;
}

interface CouchFailure {
  statusCode?: number;
  error?: unknown;
  reason?: unknown;
  message?: unknown;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const LONGPOLL_MARGIN_MS = 15_000;

export function connectStore(options: StoreOptions): Store {
  const url = withCredentials(options.url, options.user, options.password);
  const send = httpTransport(url);
  const secrets = [options.password, new URL(url).password, decodeURIComponent(new URL(url).password)].filter(
    (secret): secret is string => secret !== undefined && secret.length > 0,
  );
  const publicUrl = redactUrl(url);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const readAttempts = Math.max(1, options.readAttempts ?? 3);
  const retryBaseMs = options.retryBaseMs ?? 100;
  const pollMs = options.dbUpdatesPollMs ?? 1_000;

  const scrub = (text: string): string => scrubCredentials(text, secrets);

  async function once<T>(context: StoreErrorContext, spec: RequestSpec, options: CallOptions): Promise<T> {
    const request = {
      method: spec.method,
      db: spec.db,
      path: spec.path,
      qs: spec.qs,
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      signal: withTimeout(requestTimeoutMs + (options.extraTimeoutMs ?? 0), options.signal),
    };
    try {
      return (await send(request)) as T;
    } catch (failure) {
      throw toStoreError(context, failure);
    }
  }

  function toStoreError(context: StoreErrorContext, failure: unknown): StoreError {
    const couch = (typeof failure === 'object' && failure !== null ? failure : {}) as CouchFailure;
    if (typeof couch.statusCode === 'number') {
      const error = typeof couch.error === 'string' ? couch.error : undefined;
      const reason = typeof couch.reason === 'string' ? scrub(couch.reason) : undefined;
      return errorFromCouchAnswer(context, couch.statusCode, error, reason);
    }
    const message = typeof couch.message === 'string' ? couch.message : String(failure);
    return unavailable(context, `${scrub(message)} at ${publicUrl}`);
  }

  async function call<T>(context: StoreErrorContext, spec: RequestSpec, options: CallOptions): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await once<T>(context, spec, options);
      } catch (error) {
        const transient = error instanceof StoreError && error.error === 'unavailable';
        if (!options.idempotent || !transient || attempt >= readAttempts || options.signal?.aborted === true) throw error;
        // Full jitter: many workers retrying together must not hit the server in step.
        await sleep(Math.random() * retryBaseMs * 2 ** (attempt - 1));
      }
    }
  }

  const read = <T>(context: StoreErrorContext, spec: RequestSpec, extraTimeoutMs?: number, signal?: AbortSignal): Promise<T> =>
    call<T>(context, spec, { idempotent: true, extraTimeoutMs, signal });
  const write = <T>(context: StoreErrorContext, spec: RequestSpec): Promise<T> => call<T>(context, spec, { idempotent: false });

  async function dbInfo(db: string): Promise<DbInfo> {
    const info = await read<DbInfo>({ operation: 'dbInfo', db }, { method: 'GET', db });
    return { ...info, db_name: db, update_seq: String(info.update_seq) };
  }

  async function listDbs(options: ListDbsOptions = {}): Promise<string[]> {
    return read<string[]>({ operation: 'listDbs' }, { method: 'GET', path: '_all_dbs', qs: definedOnly({ ...options }) });
  }

  async function getOrNull<D extends object>(db: string, id: string): Promise<StoredDoc<D> | null> {
    try {
      return await read<StoredDoc<D>>({ operation: 'get', db, docId: id }, { method: 'GET', db, path: docPath(id) });
    } catch (error) {
      if (error instanceof StoreError && error.error === 'not_found') return null;
      throw error;
    }
  }

  const polled = new PolledDbUpdates(listDbs, dbInfo, pollMs);
  let dbUpdatesMissing = false;

  const store: Store = {
    url: publicUrl,

    info: () => read<ServerInfo>({ operation: 'info' }, { method: 'GET' }),

    listDbs,

    async createDb(db) {
      try {
        await write({ operation: 'createDb', db }, { method: 'PUT', db });
        return true;
      } catch (error) {
        if (error instanceof StoreError && error.status === 412) return false;
        throw error;
      }
    },

    async deleteDb(db) {
      try {
        await write({ operation: 'deleteDb', db }, { method: 'DELETE', db });
        return true;
      } catch (error) {
        if (error instanceof StoreError && error.error === 'not_found') return false;
        throw error;
      }
    },

    async dbExists(db) {
      try {
        await dbInfo(db);
        return true;
      } catch (error) {
        if (error instanceof StoreError && error.error === 'not_found') return false;
        throw error;
      }
    },

    dbInfo,

    get<D extends object>(db: string, id: string, options: { conflicts?: boolean; rev?: string; revs?: boolean } = {}) {
      return read<StoredDoc<D>>({ operation: 'get', db, docId: id }, { method: 'GET', db, path: docPath(id), qs: definedOnly({ ...options }) });
    },

    getOrNull,

    async getMany<D extends object>(db: string, ids: readonly string[]): Promise<GetManyRow<D>[]> {
      if (ids.length === 0) return [];
      interface AllDocsRow {
        key: string;
        id?: string;
        error?: string;
        value?: { rev: string; deleted?: boolean };
        doc?: StoredDoc<D> | null;
      }
      const answer = await read<{ rows: AllDocsRow[] }>(
        { operation: 'getMany', db },
        { method: 'POST', db, path: '_all_docs', qs: { include_docs: true }, body: { keys: ids } },
      );
      return answer.rows.map((row): GetManyRow<D> => {
        if (row.doc) return { id: row.key, ok: true, doc: row.doc };
        if (row.value?.deleted) return { id: row.key, ok: false, error: 'deleted', rev: row.value.rev };
        return { id: row.key, ok: false, error: 'not_found' };
      });
    },

    async put(db, doc) {
      const id = typeof doc._id === 'string' ? doc._id : undefined;
      const context = { operation: 'put', db, docId: id ?? '(new)' };
      const answer = id !== undefined
        ? await write<{ id: string; rev: string }>(context, { method: 'PUT', db, path: docPath(id), body: doc })
        : await write<{ id: string; rev: string }>(context, { method: 'POST', db, body: doc });
      return { id: answer.id, rev: answer.rev };
    },

    async bulkDocs(db, docs, options = {}) {
      if (docs.length === 0) return [];
      interface BulkRow {
        id: string;
        rev?: string;
        error?: string;
        reason?: string;
        ok?: boolean;
      }
      const rows = await write<BulkRow[]>(
        { operation: 'bulkDocs', db },
        { method: 'POST', db, path: '_bulk_docs', body: definedOnly({ docs, new_edits: options.new_edits }) },
      );
      return rows.map((row): BulkDocResult =>
        row.error !== undefined
          ? { id: row.id, ok: false, error: row.error, ...(row.reason !== undefined ? { reason: row.reason } : {}) }
          : { id: row.id, ok: true, rev: row.rev ?? '' },
      );
    },

    async remove(db, id, rev) {
      const answer = await write<{ id: string; rev: string }>({ operation: 'remove', db, docId: id }, { method: 'DELETE', db, path: docPath(id), qs: { rev } });
      return { id: answer.id, rev: answer.rev };
    },

    view<K, V, D extends object>(db: string, designDoc: string, viewName: string, params: ViewParams = {}) {
      const { keys, ...query } = params;
      const path = `_design/${encodeURIComponent(designDoc.replace(/^_design\//, ''))}/_view/${encodeURIComponent(viewName)}`;
      const context = { operation: `view ${designDoc.replace(/^_design\//, '')}/${viewName}`, db, docId: `_design/${designDoc.replace(/^_design\//, '')}` };
      return keys !== undefined
        ? read<ViewResult<K, V, D>>(context, { method: 'POST', db, path, qs: definedOnly({ ...query }), body: { keys } })
        : read<ViewResult<K, V, D>>(context, { method: 'GET', db, path, qs: definedOnly({ ...query }) });
    },

    async changes<D extends object>(db: string, params: ChangesParams = {}): Promise<ChangesBatch<D>> {
      const { doc_ids: docIds, signal, ...rest } = params;
      const qs = definedOnly({ ...rest, feed: rest.feed === 'longpoll' ? 'longpoll' : undefined });
      const waitMs = params.feed === 'longpoll' ? (params.timeout ?? 60_000) : 0;
      const context = { operation: 'changes', db };
      const batch = docIds !== undefined
        ? await read<ChangesBatch<D>>(context, { method: 'POST', db, path: '_changes', qs: { ...qs, filter: '_doc_ids' }, body: { doc_ids: docIds } }, waitMs + LONGPOLL_MARGIN_MS, signal)
        : await read<ChangesBatch<D>>(context, { method: 'GET', db, path: '_changes', qs }, waitMs + LONGPOLL_MARGIN_MS, signal);
      return {
        ...batch,
        last_seq: String(batch.last_seq),
        results: batch.results.map((row) => ({ ...row, seq: String(row.seq) })),
      };
    },

    async dbUpdates(params = {}) {
      if (!dbUpdatesMissing) {
        const feed = params.feed ?? 'longpoll';
        const timeout = params.timeout ?? 60_000;
        try {
          const batch = await read<{ results: DbUpdate[]; last_seq: Seq }>(
            { operation: 'dbUpdates' },
            { method: 'GET', path: '_db_updates', qs: definedOnly({ since: params.since, feed, timeout: feed === 'longpoll' ? timeout : undefined, limit: params.limit }) },
            feed === 'longpoll' ? timeout + LONGPOLL_MARGIN_MS : 0,
          );
          return {
            results: batch.results.map((update) => ({ ...update, ...(update.seq !== undefined ? { seq: String(update.seq) } : {}) })),
            last_seq: String(batch.last_seq),
            polled: false,
          };
        } catch (error) {
          // CouchDB without _global_changes, and PouchDB servers, have no such feed: poll _all_dbs instead.
          const absent = error instanceof StoreError && (error.status === 400 || error.status === 404);
          if (!absent) throw error;
          dbUpdatesMissing = true;
        }
      }
      return polled.next(params);
    },

    getLocal<D extends object>(db: string, id: string) {
      return getOrNull<D>(db, localId(id));
    },

    async putLocal(db, doc) {
      const id = localId(doc._id);
      const answer = await write<{ id: string; rev: string }>({ operation: 'putLocal', db, docId: id }, { method: 'PUT', db, path: docPath(id), body: { ...doc, _id: id } });
      return { id: answer.id, rev: answer.rev };
    },

    security: (db) => read<SecurityObject>({ operation: 'security', db }, { method: 'GET', db, path: '_security' }),

    async putSecurity(db, security) {
      await write({ operation: 'putSecurity', db }, { method: 'PUT', db, path: '_security', body: security });
    },
  };
  return store;
}

/**
 * `_db_updates` for servers that lack it: each poll lists the databases and their update_seq and reports
 * what differs from the previous poll. The `since` it hands out names that previous poll; any other since
 * (none, 0, a real feed's seq, one from before a restart) reports every database, which is safe for
 * level-triggered readers and is what CouchDB's own feed does for since=0.
 */
class PolledDbUpdates {
  private generation = 0;
  private snapshot = new Map<string, Seq>();
  private readonly instance = Math.random().toString(36).slice(2, 10);

  constructor(
    private readonly listDbs: () => Promise<string[]>,
    private readonly dbInfo: (db: string) => Promise<DbInfo>,
    private readonly pollMs: number,
  ) {}

  /** `limit` is not applied: a poll's snapshot is all or nothing. */
  async next(params: DbUpdatesParams): Promise<DbUpdatesBatch> {
    let previous = params.since !== undefined && params.since === this.token() ? this.snapshot : undefined;
    const deadline = Date.now() + (params.feed === 'normal' ? 0 : (params.timeout ?? 60_000));
    for (;;) {
      const current = await this.poll();
      const results = params.since === 'now' ? [] : diff(previous, current);
      this.snapshot = current;
      this.generation += 1;
      if (results.length > 0 || params.since === 'now' || Date.now() >= deadline) {
        return { results, last_seq: this.token(), polled: true };
      }
      previous = current;
      await sleep(Math.min(this.pollMs, Math.max(0, deadline - Date.now())));
    }
  }

  private token(): Seq {
    return `polled-${this.instance}-${this.generation}`;
  }

  private async poll(): Promise<Map<string, Seq>> {
    const names = await this.listDbs();
    const current = new Map<string, Seq>();
    for (const name of names) {
      try {
        current.set(name, (await this.dbInfo(name)).update_seq);
      } catch (error) {
        // Deleted between the listing and the look-up: the next poll reports it as deleted.
        if (!(error instanceof StoreError && error.error === 'not_found')) throw error;
      }
    }
    return current;
  }
}

function diff(previous: Map<string, Seq> | undefined, current: Map<string, Seq>): DbUpdate[] {
  const updates: DbUpdate[] = [];
  for (const [name, seq] of current) {
    const before = previous?.get(name);
    if (previous !== undefined && before === undefined) updates.push({ db_name: name, type: 'created' });
    else if (before !== seq) updates.push({ db_name: name, type: 'updated' });
  }
  if (previous !== undefined) {
    for (const name of previous.keys()) if (!current.has(name)) updates.push({ db_name: name, type: 'deleted' });
  }
  return updates;
}

/** The path of a document inside its database: `_design/` and `_local/` keep their slash. */
export function docPath(id: string): string {
  const special = /^(_design|_local)\/(.+)$/.exec(id);
  return special ? `${special[1]}/${encodeURIComponent(special[2])}` : encodeURIComponent(id);
}

function localId(id: string): string {
  return id.startsWith('_local/') ? id : `_local/${id}`;
}

function withCredentials(url: string, user: string | undefined, password: string | undefined): string {
  if (user === undefined) return url;
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password ?? '');
  return parsed.toString();
}

function definedOnly<T extends Record<string, unknown>>(value: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined));
}

function withTimeout(ms: number, signal: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
