/**
 * Keeping the number databases and the account databases' copies in step (maintenance-and-tasks.md §1.5): raw copies
 * of the documents (no pipeline, no `pvt_modified` bump), `_rev` stripped. Into number databases a document that
 * already exists is a failure `save_docs-conflict` (master documents are never overwritten, missing databases are
 * created); into account databases a conflict is retried with the current revision (copies are overwritten) and a
 * missing account database is a failure `save_docs-db_not_found`. Views are read a page at a time.
 */
import { isAccountId } from '../lifecycle/accounts';
import type { LifecycleEnvironment } from '../lifecycle/service';
import { accountDbName, accountIdOf, toDbName } from '../numbers/db-names';
import { withNumberDb } from '../store/bootstrap';
import type { Store } from '../store/client';
import type { DesignDocLibrary } from '../store/design-docs';
import type { CouchDoc } from '../store/types';
import { allNumberDbs, numberDbOf, pause, viewRows } from './number-dbs';

export interface CopyFailure {
  readonly db: string;
  readonly id: string;
  readonly reason: string;
}

export interface CopyReport {
  readonly saved: number;
  readonly removed: number;
  readonly failures: CopyFailure[];
}

interface Context {
  readonly store: Store;
  readonly library: DesignDocLibrary;
  readonly normalize: (number: string) => string;
  /** number_manager.time_between_db_ms, slept between databases as Kazoo does. */
  readonly pauseMs: number;
  readonly progress?: (line: string) => void;
  /** Databases done of all the loop visits. */
  readonly step?: (databasesDone: number, databases: number) => void;
}

export function copyContext(env: LifecycleEnvironment, progress?: (line: string) => void, step?: (databasesDone: number, databases: number) => void): Context {
  return { store: env.store, library: env.designDocs, normalize: (number) => env.rules.normalize(number), pauseMs: env.config.time_between_db_ms, progress, step };
}

class Tally {
  saved = 0;
  removed = 0;
  readonly failures: CopyFailure[] = [];
  report(): CopyReport {
    return { saved: this.saved, removed: this.removed, failures: this.failures };
  }
}

/** Every account database (`account/xx/yy/…`), or those of the given accounts. */
async function accountDbs(store: Store, accounts?: readonly string[]): Promise<string[]> {
  if (accounts !== undefined && accounts.length > 0) return accounts.map((account) => accountDbName(account));
  return (await store.listDbs({ startkey: 'account/', endkey: 'account/\ufff0' })).filter((db) => db.startsWith('account/')).sort();
}

/** copy_accounts_to_number_dbs/0,1 and copy_single_account_to_number_dbs/1. */
export async function copyAccountsToNumberDbs(context: Context, accounts?: readonly string[]): Promise<CopyReport> {
  const tally = new Tally();
  const dbs = await accountDbs(context.store, accounts);
  for (const [at, db] of dbs.entries()) {
    context.progress?.(`copying numbers of ${db} to the number databases`);
    if (await context.store.dbExists(db)) {
      for await (const rows of viewRows(context.store, db, 'numbers', 'list_by_number', { include_docs: true })) {
        await saveToNumberDbs(context, rows.flatMap((row) => (row.doc ? [row.doc] : [])), tally);
      }
      await pause(context.pauseMs);
    } else {
      tally.failures.push({ db, id: '', reason: 'save_docs-db_not_found' });
    }
    context.step?.(at + 1, dbs.length);
  }
  return tally.report();
}

/** copy_number_dbs_to_accounts/0,1 and copy_single_number_db_to_accounts/1. */
export async function copyNumberDbsToAccounts(context: Context, numberDbs?: readonly string[]): Promise<CopyReport> {
  const tally = new Tally();
  const dbs = numberDbs !== undefined && numberDbs.length > 0 ? numberDbs.map((name) => numberDbOf(name) ?? name) : await allNumberDbs(context.store);
  for (const [at, db] of dbs.entries()) {
    context.progress?.(`copying ${db} to the holders' account databases`);
    for await (const rows of viewRows(context.store, db, 'numbers', 'assigned_to', { include_docs: true })) {
      await saveToAccountDbs(context, rows.flatMap((row) => (row.doc ? [row.doc] : [])), tally);
    }
    await pause(context.pauseMs);
    context.step?.(at + 1, dbs.length);
  }
  return tally.report();
}

/** copy_assigned_number_dbs_to_account/1 and copy_single_assigned_number_db_to_account/2. */
export async function copyAssignedNumberDbsToAccount(context: Context, account: string, numberDb?: string): Promise<CopyReport> {
  const tally = new Tally();
  const accountId = accountIdOf(account);
  const dbs = numberDb !== undefined ? [numberDbOf(numberDb) ?? numberDb] : await allNumberDbs(context.store);
  for (const [at, db] of dbs.entries()) {
    for await (const rows of viewRows(context.store, db, 'numbers', 'assigned_to', { include_docs: true, startkey: [accountId], endkey: [accountId, {}] })) {
      await saveToAccountDbs(context, rows.flatMap((row) => (row.doc ? [row.doc] : [])), tally);
    }
    context.step?.(at + 1, dbs.length);
  }
  return tally.report();
}

/** copy_single_number_to_account_db/2: the number's master document into that account's database, no ownership check. */
export async function copySingleNumberToAccountDb(context: Context, number: string, account: string): Promise<{ ok: true; id: string } | { ok: false; reason: string }> {
  const normalized = context.normalize(number);
  const db = toDbName(normalized);
  const doc = db === undefined ? null : await context.store.getOrNull(db, normalized);
  if (doc === null) return { ok: false, reason: 'not_found' };
  const tally = new Tally();
  await saveToAccountDb(context, accountDbName(account), [doc], tally);
  return tally.failures.length === 0 ? { ok: true, id: normalized } : { ok: false, reason: tally.failures[0].reason };
}

/** copy_numbers_from_dbs_to_assigned_accounts/1 and copy_number_from_db_to_assigned_account/1. */
export async function copyNumbersFromDbsToAssignedAccounts(context: Context, numbers: readonly string[]): Promise<CopyReport> {
  const tally = new Tally();
  await saveToAccountDbs(context, await readMasters(context, numbers), tally);
  return tally.report();
}

/** copy_numbers_from_accountdb_to_numbdbs/2 and copy_number_from_accountdb_to_numbdb/2. */
export async function copyNumbersFromAccountDbToNumberDbs(context: Context, account: string, numbers: readonly string[]): Promise<CopyReport> {
  const tally = new Tally();
  const db = accountDbName(account);
  const rows = await context.store.getMany(db, numbers.map((number) => context.normalize(number)));
  await saveToNumberDbs(context, rows.flatMap((row) => (row.ok ? [row.doc] : [])), tally);
  for (const row of rows) if (!row.ok) tally.failures.push({ db, id: row.id, reason: row.error });
  return tally.report();
}

/** remove_wrong_assigned_from_accounts/0 and remove_wrong_assigned_from_single_accountdb/1: copies held by someone else go. */
export async function removeWrongAssignedFromAccounts(context: Context, account?: string): Promise<CopyReport> {
  const tally = new Tally();
  const dbs = await accountDbs(context.store, account === undefined ? undefined : [account]);
  for (const [at, db] of dbs.entries()) {
    const accountId = accountIdOf(db);
    const wrong: CouchDoc[] = [];
    for await (const rows of viewRows<string>(context.store, db, 'numbers', 'assigned_to', { include_docs: true })) {
      for (const row of rows) if (row.doc && row.key !== accountId) wrong.push(row.doc);
    }
    await removeDocs(context.store, db, wrong, tally);
    context.step?.(at + 1, dbs.length);
  }
  return tally.report();
}

/**
 * destructively_remove_from_number_dbs_if_not_in_accountdb/0 and …_from_single_numdb_…/1: master documents whose
 * holder's account database has no copy are deleted from the number database.
 */
export async function removeFromNumberDbsIfNotInAccountDb(context: Context, numberDb?: string): Promise<CopyReport> {
  const tally = new Tally();
  const dbs = numberDb !== undefined ? [numberDbOf(numberDb) ?? numberDb] : await allNumberDbs(context.store);
  for (const [at, db] of dbs.entries()) {
    for await (const rows of viewRows<[string, string]>(context.store, db, 'numbers', 'assigned_to', { include_docs: true })) {
      const byHolder = groupBy(rows.flatMap((row) => (row.doc ? [row.doc] : [])), (doc) => String(doc.pvt_assigned_to));
      for (const [holder, docs] of byHolder) {
        if (!isAccountId(holder)) continue;
        const copies = await context.store.getMany(accountDbName(holder), docs.map((doc) => doc._id)).catch(() => undefined);
        if (copies === undefined) continue; // no account database: nothing proves the copy is missing
        await removeDocs(context.store, db, docs.filter((_, index) => !copies[index].ok), tally);
      }
    }
    context.step?.(at + 1, dbs.length);
  }
  return tally.report();
}

/**
 * destructively_remove_from_account_db_if_not_in_numdb/0 and …_from_single_account_db_…/1: account copies whose
 * master document is missing or deleted are deleted from the account database.
 */
export async function removeFromAccountDbIfNotInNumberDb(context: Context, account?: string): Promise<CopyReport> {
  const tally = new Tally();
  const dbs = await accountDbs(context.store, account === undefined ? undefined : [account]);
  for (const [at, db] of dbs.entries()) {
    for await (const rows of viewRows(context.store, db, 'numbers', 'list_by_number', { include_docs: true })) {
      const byDb = groupBy(rows.flatMap((row) => (row.doc ? [row.doc] : [])), (doc) => toDbName(context.normalize(doc._id)) ?? '');
      for (const [numberDb, docs] of byDb) {
        if (numberDb === '') continue;
        const masters = await context.store.getMany(numberDb, docs.map((doc) => doc._id)).catch(() => undefined);
        const orphans = docs.filter((_, index) => masters === undefined || !masters[index].ok || (masters[index] as { doc: CouchDoc }).doc.pvt_state === 'deleted');
        await removeDocs(context.store, db, orphans, tally);
      }
    }
    context.step?.(at + 1, dbs.length);
  }
  return tally.report();
}

async function readMasters(context: Context, numbers: readonly string[]): Promise<CouchDoc[]> {
  const byDb = groupBy(numbers.map((number) => context.normalize(number)), (number) => toDbName(number) ?? '');
  const docs: CouchDoc[] = [];
  for (const [db, ids] of byDb) {
    if (db === '') continue;
    const rows = await context.store.getMany(db, ids).catch(() => []);
    for (const row of rows) if (row.ok) docs.push(row.doc);
  }
  return docs;
}

/** Into number databases: only missing master documents are written; an existing one is `save_docs-conflict`. */
async function saveToNumberDbs(context: Context, docs: readonly CouchDoc[], tally: Tally): Promise<void> {
  const byDb = groupBy(docs, (doc) => toDbName(context.normalize(doc._id)) ?? '');
  for (const [db, group] of byDb) {
    if (db === '') continue;
    const fresh = group.map(({ _rev: _ignored, ...doc }) => doc as CouchDoc);
    const results = await withNumberDb(context.store, context.library, db, () => context.store.bulkDocs(db, fresh));
    for (const result of results) {
      if (result.ok) tally.saved += 1;
      else tally.failures.push({ db, id: result.id, reason: result.error === 'conflict' ? 'save_docs-conflict' : `save_docs-${result.error}` });
    }
  }
}

/** Into the holders' account databases (by `pvt_assigned_to`). */
async function saveToAccountDbs(context: Context, docs: readonly CouchDoc[], tally: Tally): Promise<void> {
  const byHolder = groupBy(docs, (doc) => (typeof doc.pvt_assigned_to === 'string' ? doc.pvt_assigned_to : ''));
  for (const [holder, group] of byHolder) {
    if (!isAccountId(holder)) continue;
    await saveToAccountDb(context, accountDbName(holder), group, tally);
  }
}

/** Overwrites copies: the current revisions are read and used, a conflict is retried. */
async function saveToAccountDb(context: Context, db: string, docs: readonly CouchDoc[], tally: Tally): Promise<void> {
  if (!(await context.store.dbExists(db))) {
    for (const doc of docs) tally.failures.push({ db, id: doc._id, reason: 'save_docs-db_not_found' });
    return;
  }
  let pending = docs.map(({ _rev: _ignored, ...doc }) => doc as CouchDoc);
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    const current = await context.store.getMany(db, pending.map((doc) => doc._id));
    const results = await context.store.bulkDocs(
      db,
      pending.map((doc, at) => {
        const row = current[at];
        return row.ok ? { ...doc, _rev: row.doc._rev } : row.error === 'deleted' && row.rev !== undefined ? { ...doc, _rev: row.rev } : doc;
      }),
    );
    const retry: CouchDoc[] = [];
    results.forEach((result, at) => {
      if (result.ok) tally.saved += 1;
      else if (result.error === 'conflict' && attempt < 3) retry.push(pending[at]);
      else tally.failures.push({ db, id: result.id, reason: `save_docs-${result.error}` });
    });
    pending = retry;
  }
}

async function removeDocs(store: Store, db: string, docs: readonly CouchDoc[], tally: Tally): Promise<void> {
  if (docs.length === 0) return;
  const results = await store.bulkDocs(db, docs.map((doc) => ({ _id: doc._id, _rev: doc._rev, _deleted: true })));
  for (const result of results) {
    if (result.ok) tally.removed += 1;
    else tally.failures.push({ db, id: result.id, reason: `remove-${result.error}` });
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const list = groups.get(name) ?? [];
    list.push(item);
    groups.set(name, list);
  }
  return groups;
}
