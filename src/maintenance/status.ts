/**
 * `knm status`: how many numbers each number database holds, per state (knm's `state_counts` view) and per carrier
 * module (Kazoo's `numbers/module_name`, as carrier_module_usage reads it), and the sums over all of them. Reduce
 * queries only: no document is read. When the changes pipeline has run, its lag: for each database, the changes
 * after the pipeline's checkpoint (what it has not processed yet); the checkpoint of a database is the one in its
 * lease when knm workers share the databases (`knm_workers`), and the workers section lists each worker with
 * its heartbeat and the databases it holds.
 */
import { readWorkersDb, WORKERS_DB, type WorkersListing } from '../pipeline/leases/leases';
import { couchStateStore, PIPELINE_DB } from '../pipeline/state-store';
import type { Store } from '../store/client';
import { allNumberDbs } from './number-dbs';

const LAG_PAGE = 5000;

export interface DbCounts {
  readonly db: string;
  readonly total: number;
  readonly states: Record<string, number>;
  readonly modules: Record<string, number>;
  /** Changes the pipeline has not processed yet; absent when the pipeline never ran against this store. */
  readonly lagChanges?: number;
}

export interface NumbersStatus {
  readonly databases: DbCounts[];
  readonly totals: Omit<DbCounts, 'db'>;
  /** Whether the pipeline's checkpoints were found (`knm_pipeline`). */
  readonly pipeline: boolean;
  /** Databases whose views could not be read, with the reason. */
  readonly failures: { db: string; reason: string }[];
  /** The workers sharing the databases (absent when no worker ever ran against this store). */
  readonly workers?: WorkerStatus[];
  /** Number databases no live worker holds a lease on. */
  readonly unleased?: string[];
}

export interface WorkerStatus {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  /** ISO time of its last heartbeat. */
  readonly lastSeen: string;
  /** Its heartbeat has not run out. */
  readonly alive: boolean;
  readonly leases: { db: string; lagChanges?: number }[];
}

export async function numbersStatus(store: Store, progress?: (done: number, total: number) => void): Promise<NumbersStatus> {
  const dbs = await allNumberDbs(store);
  const databases: DbCounts[] = [];
  const failures: NumbersStatus['failures'] = [];
  const listing = (await store.dbExists(WORKERS_DB)) ? await readWorkersDb(store) : undefined;
  const lag = listing !== undefined || (await store.dbExists(PIPELINE_DB)) ? await pipelineLag(store, listing) : undefined;
  for (const [at, db] of dbs.entries()) {
    try {
      const counts = await countsOf(store, db);
      databases.push({ db, ...counts, ...(lag === undefined ? {} : { lagChanges: await lag(db) }) });
    } catch (error) {
      failures.push({ db, reason: error instanceof Error ? error.message : String(error) });
    }
    progress?.(at + 1, dbs.length);
  }
  const totals = { total: 0, states: {} as Record<string, number>, modules: {} as Record<string, number>, ...(lag === undefined ? {} : { lagChanges: 0 }) };
  for (const counts of databases) {
    totals.total += counts.total;
    add(totals.states, counts.states);
    add(totals.modules, counts.modules);
    if (totals.lagChanges !== undefined) totals.lagChanges += counts.lagChanges ?? 0;
  }
  const status = { databases, totals, pipeline: lag !== undefined, failures };
  return listing === undefined ? status : { ...status, ...workersOf(listing, databases, dbs, Date.now()) };
}

function workersOf(listing: WorkersListing, databases: readonly DbCounts[], dbs: readonly string[], now: number): Pick<NumbersStatus, 'workers' | 'unleased'> {
  const lagOf = new Map(databases.map((counts) => [counts.db, counts.lagChanges]));
  const workers = [...listing.workers.values()]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((worker) => ({
      id: worker.id,
      host: worker.host,
      pid: worker.pid,
      lastSeen: new Date(worker.last_seen).toISOString(),
      alive: worker.expires > now,
      leases: [...listing.leases.values()]
        .filter((lease) => lease.owner === worker.id && lease.expires > now)
        .map((lease) => ({ db: lease.db, ...(lagOf.get(lease.db) !== undefined ? { lagChanges: lagOf.get(lease.db) } : {}) }))
        .sort((a, b) => (a.db < b.db ? -1 : 1)),
    }));
  const held = new Set(workers.flatMap((worker) => worker.leases.map((lease) => lease.db)));
  return { workers, unleased: dbs.filter((db) => !held.has(db)) };
}

/** Changes after the pipeline's checkpoint of a database (all of them when it never read it): `_changes` with limit 1 and its `pending`. */
async function pipelineLag(store: Store, listing: WorkersListing | undefined): Promise<(db: string) => Promise<number>> {
  const checkpoints = await couchStateStore(store);
  return async (db) => {
    let since = listing?.leases.get(db)?.checkpoint ?? (await checkpoints.checkpoint(db)) ?? '0';
    let count = 0;
    for (;;) {
      const batch = await store.changes(db, { since, limit: LAG_PAGE });
      // CouchDB says how many remain; a server that does not (PouchDB) is counted page by page
      if (batch.pending !== undefined) return count + batch.results.length + batch.pending;
      count += batch.results.length;
      if (batch.results.length < LAG_PAGE) return count;
      since = batch.last_seq;
    }
  };
}

async function countsOf(store: Store, db: string): Promise<Omit<DbCounts, 'db'>> {
  const states: Record<string, number> = {};
  for (const row of (await store.view<[string], number>(db, 'knm', 'state_counts', { group_level: 1 })).rows) states[String(row.key[0])] = row.value;
  const modules: Record<string, number> = {};
  for (const row of (await store.view<string | null, number>(db, 'numbers', 'module_name', { group: true })).rows) modules[String(row.key)] = row.value;
  return { total: Object.values(states).reduce((sum, count) => sum + count, 0), states, modules };
}

function add(into: Record<string, number>, counts: Record<string, number>): void {
  for (const [name, count] of Object.entries(counts)) into[name] = (into[name] ?? 0) + count;
}
