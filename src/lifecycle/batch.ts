/**
 * Creating many numbers at once (the `import` of Kazoo's number_management tasks, `knm_ops:create/2` per row):
 * the same decisions as NumberService.create, made for a whole batch with one account read, one port-request
 * query, and one `_bulk_docs` per number database and per holder account database. A refused row is that row's
 * answer; it never stops the batch.
 *
 * An import mostly brings numbers the cluster does not have yet, so the first round does not read them: each row
 * is decided as a new number and written without a revision, and CouchDB's conflict tells which numbers exist.
 * Only the rows that did not end in a write are read (one `_all_docs` per number database) and decided again, as
 * Kazoo decides them, on the number as stored: a conflict, a refusal (which may differ for a stored number), a
 * carrier to buy, or a feature provider that reaches outside the document (a carrier's API, a notice), which must
 * never act on a guess. A row whose write met a conflict after it was read (someone wrote the number meanwhile)
 * is read and decided again.
 *
 * Rows whose carrier must be bought (acquire on a non-local carrier) go through NumberService one at a time,
 * so a carrier order is placed exactly as for a single create.
 */
import { carrierFor } from '../carriers/registry';
import { readNumberDocument } from '../documents/read';
import type { NumberRecord } from '../documents/types';
import { writeNumberDocument } from '../documents/write';
import { KnmError } from '../errors';
import { accountDbName, toDbName } from '../numbers/db-names';
import { providerContexts, type ProviderContexts } from '../providers/context';
import type { ProviderContext } from '../providers/provider';
import type { NumberManagerConfig } from '../config/number-manager';
import { providerFor } from '../providers/registry';
import { mayReachOutside, runsNoProvider, saveFeatures, type ProviderLookup } from '../providers/run';
import { isStoreError } from '../store/errors';
import { withNumberDb } from '../store/bootstrap';
import type { CouchDoc } from '../store/types';
import { AccountDirectory, AccountFacts, isAccountId, SYSTEM } from './accounts';
import { readAccountDirectory } from './account-directory';
import { isAdmin } from './authorization';
import { create as planCreate, CreateRequest } from './create';
import { unauthorized } from './errors';
import { holderConfig, type ResellerConfigs } from './holder-config';
import { LifecycleEnvironment, notReconcilable, NumberOutcome, NumberService, Requester } from './service';

/** One number to create and how. */
export interface BatchCreateRow {
  readonly number: string;
  readonly request: Omit<CreateRequest, 'authBy'>;
}

/**
 * A row's answer. A number the batch wrote carries its record as stored and its holder's account as the batch read
 * it, so callers need not read either back (nor build its public JSON, which the import's rows do not show).
 */
export type BatchCreateOutcome =
  | (NumberOutcome & { readonly record?: undefined; readonly holder?: undefined })
  | { readonly number: string; readonly ok: true; readonly record: NumberRecord; readonly holder?: AccountFacts };

/**
 * What the batches of one import may keep between them: whether each holder's account database exists, asked once
 * (an account database created while the import runs gets no copies from it; the maintenance copy to account
 * databases mends that).
 */
export interface BatchMemo {
  readonly accountDbExists: Map<string, Promise<boolean>>;
  /**
   * The accounts and the active port requests as read in the clock's current second, shared by the batches that
   * start within it: an import runs a dozen batches a second, and each would read the same accounts and the same
   * port requests again. Kazoo's own account reads are cached too (kz_datamgr); a port request opened during an
   * import is seen by the batches that start in the next second.
   */
  readonly recentReads: Map<string, RecentRead>;
}

interface RecentRead {
  readonly second: number;
  readonly value: Promise<unknown>;
}

export function batchMemo(): BatchMemo {
  return { accountDbExists: new Map(), recentReads: new Map() };
}

/** `read()`, or what it gave earlier in this same second of the clock; a failed read is not kept. */
function readThisSecond<T>(memo: BatchMemo, key: string, now: number, read: () => Promise<T>): Promise<T> {
  const recent = memo.recentReads.get(key);
  if (recent !== undefined && recent.second === now) return recent.value as Promise<T>;
  for (const [other, kept] of memo.recentReads) if (kept.second !== now) memo.recentReads.delete(other);
  const value = read();
  memo.recentReads.set(key, { second: now, value });
  value.catch(() => {
    if (memo.recentReads.get(key)?.value === value) memo.recentReads.delete(key);
  });
  return value;
}

interface Pending {
  readonly index: number;
  readonly number: string;
  readonly db: string;
  readonly request: Omit<CreateRequest, 'authBy'>;
  /** Decided as a new number without reading it: its outcome stands only if its write succeeds. */
  readonly unread: boolean;
}

/** What every row of a batch decides with: the accounts, the resellers' configs, the feature providers. */
interface BatchTools {
  readonly accounts: AccountDirectory;
  readonly configs: ResellerConfigs;
  readonly providers: ProviderLookup;
  readonly contexts: ProviderContexts;
  /** The providers' context for each holder's config, made once per batch: the requester is the batch's. */
  readonly contextOf: Map<NumberManagerConfig, Promise<ProviderContext>>;
}

interface Decided {
  readonly pending: Pending;
  readonly record: NumberRecord;
  readonly doc: CouchDoc;
}

const PORT_REQUESTS_DB = 'port_requests';
const CONFLICT_ROUNDS = 5;

export async function createBatch(env: LifecycleEnvironment, rows: readonly BatchCreateRow[], requester: Requester, memo: BatchMemo = batchMemo()): Promise<BatchCreateOutcome[]> {
  const outcomes: (BatchCreateOutcome | undefined)[] = new Array(rows.length);
  let pending: Pending[] = [];
  const seen = new Set<string>();
  const later: Pending[] = [];
  rows.forEach((row, index) => {
    const number = env.rules.isReconcilable(row.number) ? env.rules.normalize(row.number) : undefined;
    const db = number === undefined ? undefined : toDbName(number);
    if (number === undefined || db === undefined || !number.startsWith('+')) {
      outcomes[index] = { number: row.number, ok: false, error: notReconcilable(row.number).toJSON() };
      return;
    }
    // the same number twice in one batch: the second is decided after the first is written, as one-by-one would
    if (seen.has(number)) later.push({ index, number, db, request: row.request, unread: false });
    else pending.push({ index, number, db, request: row.request, unread: true });
    seen.add(number);
  });

  if (pending.length === 0) return outcomes.map((outcome, index) => outcome ?? undecided(rows[index].number));
  // read along with the first round's numbers, not before them
  const accountsRead = readAccounts(env, memo, [requester.authBy, ...rows.map((row) => row.request.assignTo)]);
  const shared: Omit<BatchTools, 'accounts'> = {
    configs: new Map(),
    providers: env.providers ?? providerFor,
    contexts: env.providerContexts ?? providerContexts({ store: env.store, clock: env.clock }),
    contextOf: new Map(),
  };
  for (const round of [pending, later]) {
    pending = round;
    // the unread round is not one of the conflict rounds: its conflicts only say which numbers exist
    for (let attempt = round[0]?.unread === true ? 0 : 1; pending.length > 0; attempt += 1) {
      pending = await decideAndWrite(env, pending, requester, accountsRead, shared, memo, outcomes, attempt >= CONFLICT_ROUNDS);
    }
  }
  return outcomes.map((outcome, index) => outcome ?? undecided(rows[index].number));
}

function undecided(number: string): BatchCreateOutcome {
  return { number, ok: false, error: new KnmError('unspecified_fault', 500, 'not decided').toJSON() };
}

/** One round: read (the rows not unread), decide, write; answers the rows it settled and returns the rows to decide again. */
async function decideAndWrite(
  env: LifecycleEnvironment,
  pending: readonly Pending[],
  requester: Requester,
  accountsRead: Promise<AccountDirectory>,
  shared: Omit<BatchTools, 'accounts'>,
  memo: BatchMemo,
  outcomes: (BatchCreateOutcome | undefined)[],
  lastRound: boolean,
): Promise<Pending[]> {
  const [existing, accounts] = await Promise.all([readNumbers(env, pending.filter((item) => !item.unread)), accountsRead]);
  // create() looks at the port requests only for a new number not said to be ported in
  const porting = await portingNumbers(env, memo, pending.filter((item) => item.request.portedIn !== true && !existing.has(item.number)));
  const policy = { availableModuleName: env.config.available_module_name, portInModuleName: env.config.port_in_module_name };
  const now = env.clock();
  const tools: BatchTools = { ...shared, accounts };
  const byDb = new Map<string, Decided[]>();
  const oneByOne: Pending[] = [];
  const retry: Pending[] = [];
  // a row decided on a guess is not answered from it: it is read and decided again
  const readFirst = (item: Pending): void => {
    retry.push({ ...item, unread: false });
  };
  const refuse = (item: Pending, error: KnmError): void => {
    if (item.unread) readFirst(item);
    else outcomes[item.index] = failed(item.number, error);
  };

  for (const item of pending) {
    // authBy first: V8 copies an object slowly when a spread is followed by a key the copy lacks
    const result = planCreate(accounts, item.number, existing.get(item.number), porting(item.number), policy, { authBy: requester.authBy, ...item.request }, now);
    if (!result.ok) {
      refuse(item, result.error);
      continue;
    }
    const carrier = carrierFor(result.record.moduleName);
    if (result.acquire && carrier !== undefined && !carrier.isLocal) {
      if (item.unread) readFirst(item);
      else oneByOne.push(item);
      continue;
    }
    // knm_ops:create/2 saves through save_numbers/1: the feature providers run before the write.
    // most rows of an import ask for no feature: no provider, and no promise to wait on
    const record = runsNoProvider(result.record) ? result.record : await providersSave(env, tools, result.record, requester, item.unread);
    if (record === READ_FIRST) {
      readFirst(item);
      continue;
    }
    if (record instanceof KnmError) {
      refuse(item, record);
      continue;
    }
    const refusal = mdnGate(record, requester);
    if (refusal !== undefined) {
      refuse(item, refusal);
      continue;
    }
    const decided: Decided = { pending: item, record, doc: writeNumberDocument(record, { now }) as CouchDoc };
    const list = byDb.get(item.db) ?? [];
    list.push(decided);
    byDb.set(item.db, list);
  }

  const written: Decided[] = [];
  // one _bulk_docs per number database, all databases at once
  const writes = await Promise.all(
    [...byDb].map(async ([db, decided]) => ({ decided, results: await withNumberDb(env.store, env.designDocs, db, () => env.store.bulkDocs(db, decided.map((entry) => entry.doc))) })),
  );
  for (const { decided, results } of writes) {
    results.forEach((result, at) => {
      const entry = decided[at];
      if (result.ok) {
        const stored: NumberRecord = { ...entry.record, rev: result.rev, modified: Number(entry.doc.pvt_modified) };
        written.push({ ...entry, record: stored });
        outcomes[entry.pending.index] = { number: stored.number, ok: true, record: stored, holder: stored.assignedTo === undefined ? undefined : accounts(stored.assignedTo) };
      } else if (entry.pending.unread) {
        readFirst(entry.pending);
      } else if (result.error === 'conflict' && !lastRound) {
        retry.push(entry.pending);
      } else {
        outcomes[entry.pending.index] = failed(entry.record.number, writeRefusal(entry.record.number, result.error, result.reason));
      }
    });
  }
  await writeAccountCopies(env, written, memo);

  if (oneByOne.length > 0) {
    const service = new NumberService(env);
    for (const item of oneByOne) {
      const [outcome] = await service.create([item.number], requester, item.request);
      outcomes[item.index] = outcome;
    }
  }
  return retry;
}

async function readNumbers(env: LifecycleEnvironment, pending: readonly Pending[]): Promise<Map<string, NumberRecord>> {
  const found = new Map<string, NumberRecord>();
  const context = { now: env.clock(), normalize: (number: string) => env.rules.normalize(number), availableModuleName: env.config.available_module_name };
  const reads = [...groupBy(pending, (item) => item.db)].map(async ([db, items]) => {
    try {
      return await env.store.getMany(db, items.map((item) => item.number));
    } catch (error) {
      if (error instanceof KnmError && error.error === 'not_found') return []; // no database yet: every number is new
      throw error;
    }
  });
  for (const rows of await Promise.all(reads)) {
    for (const row of rows) if (row.ok) found.set(row.id, readNumberDocument(row.doc, context).record);
  }
  return found;
}

/** Numbers held by an active port request (knm_port_request:are_porting/1); a failed look-up counts as porting, as in Kazoo. */
async function portingNumbers(env: LifecycleEnvironment, memo: BatchMemo, items: readonly Pending[]): Promise<(number: string) => boolean> {
  if (items.length === 0) return () => false;
  try {
    // the whole view, not the batch's keys: active port requests are few, and one scan is cheaper than a thousand look-ups
    const held = await readThisSecond(memo, 'port_in_numbers', env.clock(), async () => {
      const result = await env.store.view(PORT_REQUESTS_DB, 'port_requests', 'port_in_numbers', {});
      return new Set(result.rows.map((row) => String(row.key)));
    });
    return (number) => held.has(number);
  } catch {
    return () => true;
  }
}

function readAccounts(env: LifecycleEnvironment, memo: BatchMemo, ids: readonly (string | undefined)[]): Promise<AccountDirectory> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== undefined && id !== SYSTEM))].sort();
  return readThisSecond(memo, `accounts ${wanted.join(' ')}`, env.clock(), () => readAccountDirectory(env.store, wanted));
}

const READ_FIRST = Symbol('read first');

/**
 * The number after its feature providers, or their refusal; READ_FIRST for a number decided `unread` whose
 * providers may act beyond the document.
 */
async function providersSave(env: LifecycleEnvironment, tools: BatchTools, record: NumberRecord, requester: Requester, unread: boolean): Promise<NumberRecord | KnmError | typeof READ_FIRST> {
  const config = await holderConfig(env.store, env.config, record, tools.accounts, tools.configs);
  let made = tools.contextOf.get(config);
  if (made === undefined) {
    made = tools.contexts.contextFor(record, { authBy: requester.authBy, isAdmin: isAdmin(tools.accounts, requester.authBy), system: env.config, config });
    tools.contextOf.set(config, made);
  }
  const context = await made;
  if (unread && mayReachOutside(record, context, tools.providers)) return READ_FIRST;
  try {
    return await saveFeatures(record, context, tools.providers);
  } catch (error) {
    if (error instanceof KnmError && !isStoreError(error)) return error;
    throw error;
  }
}

/** The holders' copies (knm_phone_number:assign/1), one `_bulk_docs` per account database; missing databases are skipped. */
async function writeAccountCopies(env: LifecycleEnvironment, written: readonly Decided[], memo: BatchMemo): Promise<void> {
  const held = written.filter((entry) => entry.record.assignedTo !== undefined && isAccountId(entry.record.assignedTo));
  for (const [accountId, entries] of groupBy(held, (entry) => entry.record.assignedTo ?? '')) {
    const db = accountDbName(accountId);
    if (!(await accountDbExists(env, memo, db))) continue;
    for (let attempt = 1; attempt <= CONFLICT_ROUNDS; attempt += 1) {
      const current = await env.store.getMany(db, entries.map((entry) => entry.record.number));
      const docs = entries.map((entry, at) => {
        const { _rev: _numberDbRev, ...copy } = entry.doc;
        const row = current[at];
        return row.ok ? { ...copy, _rev: row.doc._rev } : row.error === 'deleted' && row.rev !== undefined ? { ...copy, _rev: row.rev } : copy;
      });
      const results = await env.store.bulkDocs(db, docs as CouchDoc[]);
      if (!results.some((result) => !result.ok && result.error === 'conflict')) break;
    }
  }
}

/** Asked once per memo; a failed look-up is not kept. */
function accountDbExists(env: LifecycleEnvironment, memo: BatchMemo, db: string): Promise<boolean> {
  let exists = memo.accountDbExists.get(db);
  if (exists === undefined) {
    exists = env.store.dbExists(db);
    memo.accountDbExists.set(db, exists);
    exists.catch(() => memo.accountDbExists.delete(db));
  }
  return exists;
}

/** knm_phone_number:is_mdn_for_mdn_run/2: unless system, a knm_mdn number is saved iff mdn_run. */
function mdnGate(record: NumberRecord, requester: Requester): KnmError | undefined {
  if (requester.authBy === SYSTEM) return undefined;
  return (record.moduleName === 'knm_mdn') === (requester.mdnRun === true) ? undefined : unauthorized();
}

function writeRefusal(number: string, error: string, reason: string | undefined): KnmError {
  if (error === 'conflict') return new KnmError('conflict', 409, `number ${number} kept changing while it was created`, { cause: number, hint: 'run the row again' });
  if (error === 'forbidden') return new KnmError('forbidden', 403, reason ?? 'refused by validate_doc_update', { cause: number });
  return new KnmError('unspecified_fault', 500, reason ?? error, { cause: number });
}

function failed(number: string, error: KnmError): NumberOutcome {
  return { number, ok: false, error: error.toJSON() };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item)) ?? [];
    list.push(item);
    groups.set(key(item), list);
  }
  return groups;
}
