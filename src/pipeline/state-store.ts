/**
 * Where the pipeline keeps, durably, how far it has read each number database (the checkpoint) and what it
 * last saw of the numbers that matter (reconcile.ts, `SeenNumber`): documents of its own `knm_pipeline`
 * database, never the number documents (Kazoo tools must not see revisions written for bookkeeping) and never
 * memory only (a restart must know that a number was in discovery).
 *
 * Why a database of its own rather than `_local` documents in each number database: the checkpoint and every
 * remembered number of a batch go out in ONE `_bulk_docs`, after the batch's effects are written; `_local`
 * documents are written one request each. Workers that share the databases through leases keep each checkpoint
 * in its lease (leases/state.ts), and this store then writes no checkpoint documents (`checkpoints: false`): it
 * only reads one that a single worker left, as where to start a database never checkpointed in a lease.
 *
 * Documents: `checkpoint:<db>` `{since}` and `seen:<db>:<number>` `{db, state, rev, features?}` (`features` is a
 * digest; the document is deleted when the number stops mattering), and `_design/knm_pipeline` whose view lists the remembered numbers per database.
 *
 * What it costs the store, since the store is what limits throughput: the ids of a database's remembered
 * numbers are read once (from the view) and kept in memory, so a batch asks for the few that have a record
 * instead of all of its ids; the checkpoint is kept in memory too, and a batch that changes no remembered
 * number writes it at most once per `checkpointEveryMs` (and on `flush`). A crash then re-reads at most
 * that much of the feed, which level-triggered reconciliation makes harmless.
 */
import { isJsonObject } from '../documents/json';
import { isNumberState } from '../documents/types';
import { KnmError } from '../errors';
import type { Store } from '../store/client';
import type { CouchDoc, Seq } from '../store/types';
import type { SeenNumber } from './reconcile';

export const PIPELINE_DB = 'knm_pipeline';

export interface PipelineStateStore {
  /** The sequence to read `db` from; undefined when it was never read (start from the beginning). */
  checkpoint(db: string): Promise<Seq | undefined>;
  /** What was last seen of these numbers of `db` (numbers with no record are absent). */
  seen(db: string, numbers: readonly string[]): Promise<Map<string, SeenNumber>>;
  /** Saves the checkpoint and the remembered numbers together (undefined forgets a number). */
  commit(db: string, since: Seq, seen: ReadonlyMap<string, SeenNumber | undefined>): Promise<void>;
  /** Writes every checkpoint kept back by `commit`. */
  flush(): Promise<void>;
  /** The database was deleted: read it from the beginning if it comes back. */
  forgetDb(db: string): Promise<void>;
}

const COMMIT_ATTEMPTS = 5;
const DESIGN_DOC = {
  _id: '_design/knm_pipeline',
  language: 'javascript',
  views: { seen_by_db: { map: "function (doc) { if (doc._id.indexOf('seen:') === 0) emit(doc.db, null); }" } },
};

export interface StateStoreOptions {
  /** Least time between two writes of a checkpoint that nothing else comes with (default 1,000 ms). */
  readonly checkpointEveryMs?: number;
  /** Whether checkpoints are written here (default true); false when they live elsewhere (in leases). */
  readonly checkpoints?: boolean;
}

export async function couchStateStore(store: Store, db: string = PIPELINE_DB, options: StateStoreOptions = {}): Promise<PipelineStateStore> {
  await store.createDb(db);
  if ((await store.getOrNull(db, DESIGN_DOC._id)) === null) {
    await store.put(db, DESIGN_DOC).catch((error: unknown) => {
      if (!(error instanceof KnmError && error.error === 'conflict')) throw error;
    });
  }
  const checkpointEveryMs = options.checkpointEveryMs ?? 1_000;
  const writesCheckpoints = options.checkpoints ?? true;
  /** Revisions of this store's documents as last read or written, so a commit needs no read first. */
  const revs = new Map<string, string>();
  /** Per number database: its checkpoint as this process knows it, when it was last written, and whether it is behind. */
  const checkpoints = new Map<string, { since: Seq | undefined; writtenAt: number; unsaved: boolean }>();
  /** Per number database: the numbers that have a record. */
  const remembered = new Map<string, Set<string>>();

  async function rememberedOf(numberDb: string): Promise<Set<string>> {
    let ids = remembered.get(numberDb);
    if (ids === undefined) {
      const rows = await store.view<string, null>(db, 'knm_pipeline', 'seen_by_db', { key: numberDb });
      ids = new Set(rows.rows.map((row) => (row.id ?? '').slice(seenId(numberDb, '').length)));
      remembered.set(numberDb, ids);
    }
    return ids;
  }

  async function writeDocs(numberDb: string, docs: CouchDoc[]): Promise<void> {
    let pending = docs;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const results = await store.bulkDocs(db, pending);
      const conflicted: string[] = [];
      results.forEach((result) => {
        if (result.ok) revs.set(result.id, result.rev);
        else if (result.error === 'conflict') conflicted.push(result.id);
        else throw new KnmError('unspecified_fault', 500, `cannot save pipeline state ${result.id} in ${db}: ${result.error}`, { cause: result.reason, hint: `check the ${db} database` });
      });
      if (conflicted.length === 0) return;
      // Someone (an earlier run of this worker) wrote these since they were read: take the newest revision, write ours over it.
      if (attempt >= COMMIT_ATTEMPTS) throw new KnmError('conflict', 409, `pipeline state of ${numberDb} kept conflicting`, { cause: conflicted.join(', ') });
      await refreshRevs(conflicted);
      pending = pending.filter((doc) => conflicted.includes(doc._id)).map((doc) => withRev(doc)).filter((doc) => !(doc._deleted === true && doc._rev === undefined));
    }
  }
  const checkpointId = (numberDb: string): string => `checkpoint:${numberDb}`;
  const seenId = (numberDb: string, number: string): string => `seen:${numberDb}:${number}`;

  async function refreshRevs(ids: readonly string[]): Promise<void> {
    for (const row of await store.getMany(db, ids)) {
      if (row.ok) revs.set(row.id, row.doc._rev);
      else revs.delete(row.id);
    }
  }

  return {
    async checkpoint(numberDb) {
      const known = checkpoints.get(numberDb);
      if (known !== undefined) return known.since;
      const doc = await store.getOrNull(db, checkpointId(numberDb));
      if (doc !== null) revs.set(doc._id, doc._rev);
      else revs.delete(checkpointId(numberDb));
      const since = doc !== null && typeof doc.since === 'string' ? doc.since : undefined;
      checkpoints.set(numberDb, { since, writtenAt: 0, unsaved: false });
      return since;
    },

    async seen(numberDb, numbers) {
      const found = new Map<string, SeenNumber>();
      const ids = await rememberedOf(numberDb);
      const wanted = numbers.filter((number) => ids.has(number));
      if (wanted.length === 0) return found;
      const rows = await store.getMany(db, wanted.map((number) => seenId(numberDb, number)));
      rows.forEach((row, index) => {
        if (!row.ok) {
          revs.delete(row.id);
          return;
        }
        revs.set(row.id, row.doc._rev);
        const seen = asSeen(row.doc);
        if (seen !== undefined) found.set(wanted[index], seen);
      });
      return found;
    },

    async commit(numberDb, since, seen) {
      const ids = await rememberedOf(numberDb);
      const docs: CouchDoc[] = [];
      for (const [number, entry] of seen) {
        const id = seenId(numberDb, number);
        if (entry !== undefined) docs.push(withRev({ _id: id, db: numberDb, state: entry.state ?? null, rev: entry.rev, ...(entry.features !== undefined ? { features: entry.features } : {}) }));
        else if (revs.has(id)) docs.push(withRev({ _id: id, _deleted: true }));
      }
      const checkpoint = checkpoints.get(numberDb) ?? { since: undefined, writtenAt: 0, unsaved: false };
      checkpoints.set(numberDb, checkpoint);
      const now = Date.now();
      if (writesCheckpoints && docs.length === 0 && now - checkpoint.writtenAt < checkpointEveryMs) {
        checkpoint.since = since;
        checkpoint.unsaved = true;
        return;
      }
      if (writesCheckpoints) docs.unshift(withRev({ _id: checkpointId(numberDb), since }));
      // The checkpoint moves, in memory too, only once the remembered numbers that go with it are written:
      // a batch read again after a failed write must find them as they were.
      await writeDocs(numberDb, docs);
      checkpoint.since = since;
      checkpoint.writtenAt = now;
      checkpoint.unsaved = false;
      for (const [number, entry] of seen) {
        if (entry !== undefined) ids.add(number);
        else ids.delete(number);
      }
    },

    async flush() {
      for (const [numberDb, checkpoint] of checkpoints) {
        if (!checkpoint.unsaved || checkpoint.since === undefined) continue;
        await writeDocs(numberDb, [withRev({ _id: checkpointId(numberDb), since: checkpoint.since })]);
        checkpoint.writtenAt = Date.now();
        checkpoint.unsaved = false;
      }
    },

    async forgetDb(numberDb) {
      const id = checkpointId(numberDb);
      checkpoints.delete(numberDb);
      const current = await store.getOrNull(db, id);
      if (current !== null) await store.remove(db, id, current._rev);
      revs.delete(id);
    },
  };

  function withRev(doc: CouchDoc): CouchDoc {
    const { _rev: _old, ...body } = doc;
    const rev = revs.get(doc._id);
    return rev !== undefined ? { ...body, _id: doc._id, _rev: rev } : { ...body, _id: doc._id };
  }
}

function asSeen(doc: CouchDoc): SeenNumber | undefined {
  if (typeof doc.rev !== 'string') return undefined;
  const state = isNumberState(doc.state) ? doc.state : undefined;
  // Written before features became a digest: the number had features, which digest is unknown (its providers run once more).
  const features = typeof doc.features === 'string' ? doc.features : isJsonObject(doc.features) && Object.keys(doc.features).length > 0 ? '' : undefined;
  return features === undefined ? { state, rev: doc.rev } : { state, rev: doc.rev, features };
}
