/**
 * `pvt_used_by` repair (maintenance-and-tasks.md §1.6), raw edits: the holder's account database says which
 * application uses a number — in `callflows/listing_by_number` it is `callflow`, in `trunkstore/lookup_did`
 * `trunkstore`, in both it is left as it is, in neither `pvt_used_by` is removed. Account copies and master
 * documents are fixed apart, as Kazoo's commands do. An account whose application views cannot be read is
 * reported, never taken as "no application" (that would strip every number).
 */
import { accountDbName, accountIdOf } from '../numbers/db-names';
import type { Store } from '../store/client';
import type { CouchDoc } from '../store/types';
import { allNumberDbs, numberDbOf, viewRows } from './number-dbs';

export type AppUse = 'callflow' | 'trunkstore' | 'both';

export interface UsedByReport {
  readonly fixed: number;
  readonly unchanged: number;
  readonly failures: { db: string; id: string; reason: string }[];
}

/** app_using/2 for every number of an account: callflow is looked at first. */
export async function appsOfAccount(store: Store, account: string): Promise<Map<string, AppUse>> {
  const db = accountDbName(account);
  const uses = new Map<string, AppUse>();
  for await (const rows of viewRows<string>(store, db, 'callflows', 'listing_by_number')) for (const row of rows) uses.set(String(row.key), 'callflow');
  for await (const rows of viewRows<string>(store, db, 'trunkstore', 'lookup_did')) {
    for (const row of rows) uses.set(String(row.key), uses.get(String(row.key)) === 'callflow' ? 'both' : 'trunkstore');
  }
  return uses;
}

/** app_using/2: `callflow`, `trunkstore` or undefined. */
export async function appUsing(store: Store, number: string, account: string): Promise<'callflow' | 'trunkstore' | undefined> {
  const use = (await appsOfAccount(store, account)).get(number);
  return use === 'both' ? 'callflow' : use;
}

/** The document with `pvt_used_by` as the account's applications say, or undefined when nothing changes. */
export function fixedUsedBy(doc: CouchDoc, use: AppUse | undefined): CouchDoc | undefined {
  if (use === 'both') return undefined;
  if (use === undefined) {
    if (doc.pvt_used_by === undefined) return undefined;
    const { pvt_used_by: _removed, ...rest } = doc;
    return rest as CouchDoc;
  }
  return doc.pvt_used_by === use ? undefined : { ...doc, pvt_used_by: use };
}

class Tally {
  fixed = 0;
  unchanged = 0;
  readonly failures: UsedByReport['failures'] = [];
}

/** Progress of a loop over databases: after each one. */
export type DatabaseStep = (databasesDone: number, databases: number) => void;

/** fix_apps_for_account_dbs/0,1 and fix_apps_for_single_account_db/1: the account copies. */
export async function fixAppsForAccountDbs(store: Store, accounts?: readonly string[], step?: DatabaseStep): Promise<UsedByReport> {
  const tally = new Tally();
  const dbs = accounts !== undefined && accounts.length > 0
    ? accounts.map((account) => accountDbName(account))
    : (await store.listDbs({ startkey: 'account/', endkey: 'account/\ufff0' })).filter((db) => db.startsWith('account/'));
  for (const [at, db] of dbs.entries()) {
    const uses = await appsOfAccount(store, accountIdOf(db)).catch((error: unknown) => {
      tally.failures.push({ db, id: '', reason: describe(error) });
      return undefined;
    });
    if (uses !== undefined) {
      for await (const rows of viewRows(store, db, 'numbers', 'list_by_app', { include_docs: true })) {
        await saveFixed(store, db, rows.flatMap((row) => (row.doc ? [row.doc] : [])), uses, tally);
      }
    }
    step?.(at + 1, dbs.length);
  }
  return report(tally);
}

/**
 * fix_apps_for_number_dbs/0,1, fix_apps_for_single_number_db/1 (every holder), and fix_apps_in_number_dbs_for_accounts/1,
 * …_for_single_account/1 (only the given holders): the master documents, grouped by holder.
 */
export async function fixAppsForNumberDbs(
  store: Store,
  options: { numberDbs?: readonly string[]; accounts?: readonly string[] } = {},
  step?: DatabaseStep,
): Promise<UsedByReport> {
  const tally = new Tally();
  const dbs = options.numberDbs !== undefined && options.numberDbs.length > 0 ? options.numberDbs.map((name) => numberDbOf(name) ?? name) : await allNumberDbs(store);
  const holders = options.accounts?.map((account) => accountIdOf(account));
  const usesByAccount = new Map<string, Map<string, AppUse> | undefined>();
  for (const [at, db] of dbs.entries()) {
    const ranges = holders === undefined ? [{}] : holders.map((id) => ({ startkey: [id], endkey: [id, {}] }));
    for (const range of ranges) {
      for await (const rows of viewRows<[string, string | null]>(store, db, 'numbers', 'list_assigned_and_app', { ...range, include_docs: true })) {
        const byHolder = new Map<string, CouchDoc[]>();
        for (const row of rows) if (row.doc) byHolder.set(row.key[0], [...(byHolder.get(row.key[0]) ?? []), row.doc]);
        for (const [holder, docs] of byHolder) {
          if (!usesByAccount.has(holder)) usesByAccount.set(holder, await appsOfAccount(store, holder).catch(() => undefined));
          const uses = usesByAccount.get(holder);
          if (uses === undefined) tally.failures.push({ db: accountDbName(holder), id: '', reason: 'cannot read the callflows/trunkstore views' });
          else await saveFixed(store, db, docs, uses, tally);
        }
      }
    }
    step?.(at + 1, dbs.length);
  }
  return report(tally);
}

async function saveFixed(store: Store, db: string, docs: readonly CouchDoc[], uses: Map<string, AppUse>, tally: Tally): Promise<void> {
  const changed: CouchDoc[] = [];
  for (const doc of docs) {
    const fixed = fixedUsedBy(doc, uses.get(doc._id));
    if (fixed === undefined) tally.unchanged += 1;
    else changed.push(fixed);
  }
  if (changed.length === 0) return;
  for (const result of await store.bulkDocs(db, changed)) {
    if (result.ok) tally.fixed += 1;
    else tally.failures.push({ db, id: result.id, reason: result.error });
  }
}

function report(tally: Tally): UsedByReport {
  return { fixed: tally.fixed, unchanged: tally.unchanged, failures: tally.failures };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** fix_numbers_apps_in_numbdb/1: the given numbers' master documents, each by its holder's applications. */
export async function fixAppsOfNumbers(store: Store, normalize: (number: string) => string, numbers: readonly string[]): Promise<UsedByReport> {
  const tally = new Tally();
  const byDb = new Map<string, string[]>();
  for (const number of numbers.map(normalize)) {
    const db = numberDbOf(number);
    if (db !== undefined) byDb.set(db, [...(byDb.get(db) ?? []), number]);
  }
  const usesByAccount = new Map<string, Map<string, AppUse> | undefined>();
  for (const [db, ids] of byDb) {
    const rows = await store.getMany(db, ids).catch(() => []);
    for (const row of rows) {
      if (!row.ok) {
        tally.failures.push({ db, id: row.id, reason: row.error });
        continue;
      }
      const holder = row.doc.pvt_assigned_to;
      if (typeof holder !== 'string') continue;
      if (!usesByAccount.has(holder)) usesByAccount.set(holder, await appsOfAccount(store, holder).catch(() => undefined));
      const uses = usesByAccount.get(holder);
      if (uses === undefined) tally.failures.push({ db: accountDbName(holder), id: row.id, reason: 'cannot read the callflows/trunkstore views' });
      else await saveFixed(store, db, [row.doc], uses, tally);
    }
  }
  return report(tally);
}

/** fix_numbers_apps_in_accountdb/2: the given numbers' copies in the account database, by that account's applications. */
export async function fixAppsOfAccountNumbers(store: Store, normalize: (number: string) => string, account: string, numbers: readonly string[]): Promise<UsedByReport> {
  const tally = new Tally();
  const db = accountDbName(account);
  let uses: Map<string, AppUse>;
  try {
    uses = await appsOfAccount(store, accountIdOf(account));
  } catch (error) {
    tally.failures.push({ db, id: '', reason: describe(error) });
    return report(tally);
  }
  const rows = await store.getMany(db, numbers.map(normalize));
  for (const row of rows) if (!row.ok) tally.failures.push({ db, id: row.id, reason: row.error });
  await saveFixed(store, db, rows.flatMap((row) => (row.ok ? [row.doc] : [])), uses, tally);
  return report(tally);
}
