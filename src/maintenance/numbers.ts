/**
 * Creating and removing numbers (maintenance-and-tasks.md §1.4): generate_numbers writes pool documents through the
 * carrier (knm_managed / knm_inum only), delete is the hard delete as system, and the purges remove every document
 * in state `discovery` or `deleted` from the number databases at once (no age check; account copies untouched),
 * reading `numbers/status` a batch of 500 at a time and deleting through `_bulk_docs`.
 */
import { generateInumNumbers } from '../carriers/knm_inum';
import { generateManagedNumbers } from '../carriers/knm_managed';
import type { GeneratedNumbers } from '../carriers/pool';
import { KnmError } from '../errors';
import { isAccountId, SYSTEM } from '../lifecycle/accounts';
import { LifecycleEnvironment, NumberOutcome, NumberService } from '../lifecycle/service';
import type { Store } from '../store/client';
import { allNumberDbs } from './number-dbs';

export const GENERATE_TYPES = ['managed', 'inum'] as const;

export async function generateNumbers(
  env: Pick<LifecycleEnvironment, 'store' | 'clock'>,
  type: string,
  accountId: string,
  start: string,
  quantity: number,
  progress?: (written: number, total: number) => void,
): Promise<GeneratedNumbers> {
  if (!isAccountId(accountId)) throw new KnmError('invalid', 400, `the account id must have 32 characters, not ${JSON.stringify(accountId)}`);
  const context = { store: env.store, now: env.clock(), authBy: SYSTEM };
  if (type === 'managed') return generateManagedNumbers(context, accountId, start, quantity, progress);
  if (type === 'inum') return generateInumNumbers(context, accountId, start, quantity, progress);
  // Kazoo crashes calling knm_<Type>:generate_numbers/3 for any other type
  throw new KnmError('invalid', 400, `only managed and inum generate numbers, not ${JSON.stringify(type)}`);
}

/** delete/1: Kazoo prints `Removed <Num>` or the error. */
export async function deleteNumber(env: LifecycleEnvironment, number: string): Promise<NumberOutcome> {
  const [outcome] = await new NumberService(env).delete([number], { authBy: SYSTEM });
  return outcome;
}

export interface PurgeReport {
  readonly state: 'discovery' | 'deleted';
  readonly databases: { db: string; removed: number; failed: number }[];
}

const PURGE_BATCH = 500;

/**
 * purge_discovery/0,1 and purge_deleted/0,1. The prefix is appended to `numbers%2F` as given (so `%2B1415`, the
 * encoded form, as Kazoo wants it; a raw `+1415` is accepted too).
 */
export async function purgeState(
  store: Store,
  state: 'discovery' | 'deleted',
  prefix?: string,
  progress?: (line: string) => void,
  step?: (databasesDone: number, databases: number) => void,
): Promise<PurgeReport> {
  const dbs = prefix === undefined ? await allNumberDbs(store) : [`numbers/${decodeURIComponent(prefix)}`];
  const databases: PurgeReport['databases'] = [];
  for (const db of dbs) {
    if (prefix !== undefined && !(await store.dbExists(db))) {
      databases.push({ db, removed: 0, failed: 0 });
      continue;
    }
    let removed = 0;
    let failed = 0;
    for (;;) {
      const page = await store.view<unknown[], unknown>(db, 'numbers', 'status', { startkey: [state], endkey: [state, {}], include_docs: true, limit: PURGE_BATCH, skip: failed });
      // the view's row may be older than the document: delete only what is still in that state
      const doomed = page.rows.filter((row) => row.doc && row.doc.pvt_state === state).map((row) => ({ _id: row.doc?._id ?? '', _rev: row.doc?._rev, _deleted: true }));
      if (page.rows.length === 0) break;
      progress?.(`removing ${doomed.length} numbers in state '${state}' from ${encodeURIComponent(db)}`);
      const results = await store.bulkDocs(db, doomed);
      const ok = results.filter((result) => result.ok).length;
      removed += ok;
      failed += page.rows.length - ok;
      if (page.rows.length < PURGE_BATCH) break;
    }
    databases.push({ db, removed, failed });
    step?.(databases.length, dbs.length);
  }
  return { state, databases };
}
