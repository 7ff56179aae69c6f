/**
 * The pipeline's state when databases are shared among workers: the checkpoint of a database comes from and
 * goes into its lease (leases.ts), so it moves with the lease; what the pipeline remembers of numbers stays in
 * `knm_pipeline` (state-store.ts), shared by all workers since one database has one holder at a time.
 *
 * state-store.ts keeps a database's remembered numbers in memory once read; another worker may have changed
 * them while it held the database, so each time a lease is gained that database gets a fresh view of them.
 */
import type { Seq } from '../../store/types';
import type { SeenNumber } from '../reconcile';
import type { PipelineStateStore } from '../state-store';
import type { Leases } from './leases';

export interface LeasedStateStore extends PipelineStateStore {
  /** The lease of `db` was (re)gained: forget what this worker remembered of it. */
  regained(db: string): void;
}

export function leasedStateStore(leases: Leases, open: () => Promise<PipelineStateStore>): LeasedStateStore {
  const perDb = new Map<string, Promise<PipelineStateStore>>();
  const stateOf = (db: string): Promise<PipelineStateStore> => {
    let state = perDb.get(db);
    if (state === undefined) {
      state = open();
      perDb.set(db, state);
      state.catch(() => perDb.delete(db));
    }
    return state;
  };

  return {
    async checkpoint(db) {
      const leased = leases.checkpoint(db);
      if (leased !== undefined) return leased;
      // Never checkpointed in a lease: where single-worker mode got to, if it ran against this store.
      return (await stateOf(db)).checkpoint(db);
    },
    async seen(db, numbers) {
      return (await stateOf(db)).seen(db, numbers);
    },
    async commit(db: string, since: Seq, seen: ReadonlyMap<string, SeenNumber | undefined>) {
      await (await stateOf(db)).commit(db, since, seen);
      leases.noteCheckpoint(db, since);
    },
    async flush() {
      for (const state of perDb.values()) await (await state).flush();
    },
    async forgetDb(db) {
      leases.noteCheckpoint(db, undefined);
      await (await stateOf(db)).forgetDb(db);
    },
    regained(db) {
      perDb.delete(db);
    },
  };
}
