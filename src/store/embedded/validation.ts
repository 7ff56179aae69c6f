/**
 * validate_doc_update for one PouchDB class, in place of the pouchdb-validation that express-pouchdb installs
 * on every database it opens. pouchdb-validation, for every document written, reads all design documents,
 * evaluates each validate function's source again, reads the old document, and asks `info()` for a userCtx
 * when the request brought none: a do-nothing validate cost a third of `_bulk_docs` throughput. Here:
 *  - each database's validate functions are compiled once (non-strict, sandboxed, by view-functions.ts) and
 *    kept until a `_design/` document of that database is written or deleted through this database object;
 *  - `_bulk_docs` reads its old documents in one keys query, one scan of the range of its ids (keys-scan.ts);
 *  - a missing userCtx is built once per call, not per document;
 *  - each validate function sees a `_bulk_docs` batch in one crossing into its sandbox, not one per document
 *    (each document still gets its own copies of userCtx and secObj).
 * What validate functions see and what a refusal answers stay as CouchDB has them: design and `_local`
 * documents are not validated, `throw({forbidden})` is 403, `throw({unauthorized})` 401, anything else 500,
 * and `_bulk_docs` reports each refused document in its place and writes the others.
 * One difference: neither document carries `_revisions`. CouchDB gives both with their revision history
 * (couch_query_servers:validate_doc_update, `to_json_obj(Doc, [revs])`) and pouchdb-validation gave both the
 * old document's; the keys query does not read revision trees, and knm's validate functions read neither.
 */
import { randomUUID } from 'node:crypto';
import { installWrapperMethods, uninstallWrapperMethods } from 'pouchdb-wrappers';
import { inInputOrder } from './bulk-docs-order';
import type { ValidateFunction, ValidateRefusal, ViewFunctions } from './view-functions';

type Doc = Record<string, unknown> & { _id?: unknown };

interface ValidationOptions {
  userCtx?: unknown;
  secObj?: unknown;
  [option: string]: unknown;
}

interface AllDocsRow {
  key: string;
  doc?: Doc | null;
  error?: string;
}

/** The calls of a PouchDB database this module makes. */
interface ValidatedDb {
  allDocs(options: Record<string, unknown>): Promise<{ rows: AllDocsRow[] }>;
  get(id: string): Promise<Doc>;
  info(): Promise<{ db_name: string }>;
  type(): string;
}

interface CompiledValidate {
  runMany: ValidateFunction['runMany'];
  /** The design document, inside the function's sandbox: `this` of the call, as couchjs passes it. */
  self: unknown;
}

/** A document validate_doc_update refused, in the shape PouchDB and express-pouchdb report failures. */
export class ValidationRefusal extends Error {
  readonly error = true;
  id: string | undefined;

  constructor(
    override readonly name: string,
    message: string,
    readonly status: number,
    id?: string,
  ) {
    super(message);
    this.id = id;
  }
}

interface WriteArgs {
  base: ValidatedDb;
  doc: Doc;
  options: ValidationOptions;
}

interface BulkArgs {
  base: ValidatedDb;
  docs: Doc[];
  options: ValidationOptions;
}

interface PouchClass {
  prototype: object;
}

/**
 * Makes every database of `Pouch` validate with cached functions. Call it after express-pouchdb's
 * `setPouchDB`, whose validation daemon puts pouchdb-validation's installer on the class.
 */
export function useCachedValidation(Pouch: unknown, functions: ViewFunctions): { compiledSets: () => number } {
  const cache = new WeakMap<object, Promise<CompiledValidate[]>>();
  let compiledSets = 0;

  const validatorsOf = (db: ValidatedDb): Promise<CompiledValidate[]> => {
    const known = cache.get(db);
    if (known !== undefined) return known;
    const loading = readValidators(db, functions);
    compiledSets += 1;
    cache.set(db, loading);
    // A failed read is not kept: the next write reads again.
    loading.catch(() => {
      if (cache.get(db) === loading) cache.delete(db);
    });
    return loading;
  };

  // Forgotten both before the write (no write after it may use the old set) and after it (a set read while
  // the design document was being written may hold either version).
  const afterDesignWrites = async <T>(db: ValidatedDb, docs: Doc[], write: () => Promise<T>): Promise<T> => {
    if (!docs.some(isDesignDoc)) return write();
    cache.delete(db);
    try {
      return await write();
    } finally {
      cache.delete(db);
    }
  };

  const validateOne = async (args: WriteArgs): Promise<void> => {
    if (skipsValidation(args.base, args.doc)) return;
    const validators = await validatorsOf(args.base);
    if (validators.length === 0) return;
    const [oldDocs, userCtx] = await Promise.all([readOldDocs(args.base, [String(args.doc._id)]), userCtxOf(args.base, args.options)]);
    const refusal = runValidators(validators, [args.doc], oldDocs, userCtx, args.options.secObj ?? {}).get(args.doc);
    if (refusal !== undefined) throw refusal;
  };

  const handlers = {
    put(orig: () => Promise<unknown>, args: WriteArgs): Promise<unknown> {
      return validateOne(args).then(() => afterDesignWrites(args.base, [args.doc], orig));
    },
    post(orig: () => Promise<unknown>, args: WriteArgs): Promise<unknown> {
      args.doc._id ??= couchId();
      return validateOne(args).then(() => afterDesignWrites(args.base, [args.doc], orig));
    },
    remove(orig: () => Promise<unknown>, args: WriteArgs): Promise<unknown> {
      args.doc._deleted = true;
      return validateOne(args).then(() => afterDesignWrites(args.base, [args.doc], orig));
    },
    async bulkDocs(orig: () => Promise<unknown[]>, args: BulkArgs): Promise<unknown[]> {
      const docs = args.docs;
      for (const doc of docs) doc._id ??= couchId();
      const checked = docs.filter((doc) => !skipsValidation(args.base, doc));
      const validators = checked.length === 0 ? [] : await validatorsOf(args.base);
      let refusals = new Map<Doc, ValidationRefusal>();
      if (validators.length > 0) {
        const [oldDocs, userCtx] = await Promise.all([readOldDocs(args.base, checked.map((doc) => String(doc._id))), userCtxOf(args.base, args.options)]);
        refusals = runValidators(validators, checked, oldDocs, userCtx, args.options.secObj ?? {});
      }
      if (refusals.size === docs.length) return docs.map((doc) => refusals.get(doc));
      args.docs = docs.filter((doc) => !refusals.has(doc));
      const written = await afterDesignWrites(args.base, args.docs, orig);
      if (refusals.size === 0) return written;
      // PouchDB answers each document in turn, except with new_edits=false, where it reports only failures.
      if (written.length !== args.docs.length) return inInputOrder(docs.map((doc) => String(doc._id)), [...refusals.values(), ...written]);
      let next = 0;
      return docs.map((doc) => refusals.get(doc) ?? written[next++]);
    },
  };

  Object.assign((Pouch as PouchClass).prototype, {
    installValidationMethods(this: object) {
      installWrapperMethods(this, handlers);
    },
    uninstallValidationMethods(this: object) {
      uninstallWrapperMethods(this, handlers);
    },
  });
  return { compiledSets: () => compiledSets };
}

/** Design documents and `_local` documents are never validated (CouchDB's couch_db:validate_doc_update). */
function skipsValidation(db: ValidatedDb, doc: Doc): boolean {
  const id = String(doc._id);
  // A remote database validates for itself, as pouchdb-validation leaves it.
  return id.startsWith('_design/') || id.startsWith('_local') || db.type() === 'http' || db.type() === 'https';
}

function isDesignDoc(doc: Doc): boolean {
  return String(doc._id).startsWith('_design/');
}

async function readValidators(db: ValidatedDb, functions: ViewFunctions): Promise<CompiledValidate[]> {
  const { rows } = await db.allDocs({ startkey: '_design/', endkey: '_design0', include_docs: true });
  return rows.flatMap(({ doc }) => {
    if (typeof doc?.validate_doc_update !== 'string') return [];
    const validate = functions.validate(doc.validate_doc_update);
    return [{ runMany: validate.runMany, self: validate.sandboxValue(doc) }];
  });
}

/**
 * The current revision of each id that has one and is not deleted (pouchdb-validation's oldDoc is null otherwise),
 * in one keys query, which the server's databases answer with one scan of the ids' range (keys-scan.ts).
 */
async function readOldDocs(db: ValidatedDb, ids: string[]): Promise<Map<string, Doc>> {
  const found = new Map<string, Doc>();
  if (ids.length === 0) return found;
  const { rows } = await db.allDocs({ keys: ids, include_docs: true });
  for (const row of rows) if (row.doc !== undefined && row.doc !== null) found.set(row.key, row.doc);
  return found;
}

/** The request's userCtx (express-pouchdb passes the session's), or the one pouchdb-validation builds from the database. */
async function userCtxOf(db: ValidatedDb, options: ValidationOptions): Promise<unknown> {
  if (options.userCtx !== undefined && options.userCtx !== null) return options.userCtx;
  const { db_name: name } = await db.info();
  return { db: name, name: null, roles: ['_admin'] };
}

/** Each validate function over the documents none before it refused, a batch per function: the refused documents and why. */
function runValidators(validators: CompiledValidate[], docs: Doc[], oldDocs: Map<string, Doc>, userCtx: unknown, secObj: unknown): Map<Doc, ValidationRefusal> {
  const refusals = new Map<Doc, ValidationRefusal>();
  let passing = docs;
  for (const { runMany, self } of validators) {
    if (passing.length === 0) break;
    const answers = runMany(self, passing, passing.map((doc) => oldDocs.get(String(doc._id)) ?? null), userCtx, secObj);
    passing.forEach((doc, at) => {
      const refusal = answers[at];
      if (refusal !== undefined) refusals.set(doc, refusalOf(refusal, String(doc._id)));
    });
    passing = passing.filter((doc) => !refusals.has(doc));
  }
  return refusals;
}

function refusalOf(refusal: ValidateRefusal, id: string): ValidationRefusal {
  if (refusal.kind === 'exception') {
    // pouchdb-validation named the failure after the exception (TypeError, ReferenceError, …).
    const reason = String(refusal.reason);
    const name = /^([A-Za-z]*Error): /.exec(reason)?.[1] ?? 'unknown_error';
    return new ValidationRefusal(name, reason, 500, id);
  }
  const message = typeof refusal.reason === 'string' ? refusal.reason : JSON.stringify(refusal.reason);
  return refusal.kind === 'unauthorized' ? new ValidationRefusal('unauthorized', message, 401, id) : new ValidationRefusal('forbidden', message, 403, id);
}

/** CouchDB's generated ids: 32 hex digits. */
function couchId(): string {
  return randomUUID().replace(/-/g, '');
}
