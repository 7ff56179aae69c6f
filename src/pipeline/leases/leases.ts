/**
 * Sharing the number databases among knm workers through documents of the `knm_workers` database, with
 * CouchDB's MVCC as the only arbiter (no coordinator of knm's own):
 *
 *   `worker:<id>`  {kind: 'worker', id, host, pid, started, last_seen, expires, lease_ms}   the heartbeat
 *   `lease:<db>`   {kind: 'lease', db, owner, expires, renewed, taken, checkpoint}          one per number db
 *
 * Every `leaseMs / 3` a worker writes its heartbeat, reads every worker and lease, asks planLeases (plan.ts)
 * what to take, renew and release, and writes all of it in one `_bulk_docs` under the revisions it read: a
 * conflict means someone else wrote the lease first, so it is not (or no longer) ours, and the next round
 * decides again. The checkpoint of a database lives in its lease and is written with each renewal and with
 * the release, so whoever takes the lease over resumes where the last holder got to (at most one round of
 * the feed is read again, which level-triggered reconciliation makes harmless).
 *
 * Safety: a worker reads a database only while its last successful renewal is less than `2/3 leaseMs` old
 * (one missed round is tolerated); others consider the lease free only after `expires + marginMs`, i.e.
 * `leaseMs / 3 + marginMs` later, judged on their own clocks. A brief double ownership can still happen (a
 * batch already under way, clocks further apart than the margin); one-time effects are guarded by markers and
 * the carriers' order journal (carriers/orders.ts), so it costs a re-read, never a second order.
 *
 * Times are Unix milliseconds: these documents are knm's coordination, not Kazoo timestamps.
 */
import { KnmError } from '../../errors';
import type { Store } from '../../store/client';
import type { CouchDoc, Seq } from '../../store/types';
import type { Logger } from '../log';
import { planLeases, type LeaseView, type WorkerView } from './plan';

export const WORKERS_DB = 'knm_workers';

const DESIGN_DOC = {
  _id: '_design/knm_workers',
  language: 'javascript',
  views: { by_kind: { map: 'function (doc) { if (doc.kind === "worker" || doc.kind === "lease") emit(doc.kind, null); }' } },
};

export interface WorkerDoc {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly started: number;
  readonly last_seen: number;
  readonly expires: number;
  readonly lease_ms: number;
}

export interface LeaseDoc {
  readonly db: string;
  readonly owner: string | null;
  readonly expires: number;
  readonly renewed: number;
  readonly taken?: number;
  readonly checkpoint?: Seq | null;
}

/** What the pipeline tells the leases and is told by them. */
export interface LeaseHooks {
  /** The number databases that exist, as the pipeline knows them. */
  dbs(): readonly string[];
  /** Whether a batch of the database is being read now (a release waits for it). */
  busy(db: string): boolean;
  /** The database may be read now (taken, or its lease renewed after a lapse): read it from its checkpoint. */
  gained(db: string): void;
}

export interface LeaseOptions {
  readonly store: Store;
  readonly workerId: string;
  readonly host: string;
  readonly pid: number;
  /** Lease period (KNM_LEASE_S). */
  readonly leaseMs: number;
  /** How long after its expiry a lease or heartbeat is judged gone (default leaseMs / 3, at least 500 ms). */
  readonly marginMs?: number;
  /** Unix milliseconds. */
  readonly now?: () => number;
  readonly logger: Logger;
}

export interface HeldLease {
  readonly db: string;
  readonly checkpoint: Seq | undefined;
  readonly releasing: boolean;
}

export interface Leases {
  readonly workerId: string;
  readonly leaseMs: number;
  /** True while this worker may read `db`. */
  holds(db: string): boolean;
  /** Where to read `db` from: the checkpoint that came with the lease, or the latest noted since. */
  checkpoint(db: string): Seq | undefined;
  /** A batch of `db` is done up to `since`: written with the next renewal or the release. */
  noteCheckpoint(db: string, since: Seq | undefined): void;
  held(): HeldLease[];
  /** Starts the rounds (the first one at once). */
  start(hooks: LeaseHooks): void;
  /** One round now (tests); resolves when its writes are done. */
  round(): Promise<void>;
  /** Releases every lease with its checkpoint and removes the heartbeat: survivors take over at once. */
  stop(): Promise<void>;
  /** A crash, for tests: no more rounds, nothing written. */
  kill(): void;
}

interface Held {
  rev: string;
  /** Last successful renewal, on this worker's clock. */
  renewed: number;
  checkpoint: Seq | undefined;
  releasing: boolean;
}

export async function openLeases(options: LeaseOptions): Promise<Leases> {
  const { store, workerId: me, leaseMs, logger } = options;
  const now = options.now ?? Date.now;
  const marginMs = options.marginMs ?? Math.max(500, Math.round(leaseMs / 3));
  const roundMs = Math.max(50, Math.round(leaseMs / 3));
  const validMs = Math.round((2 * leaseMs) / 3);
  await ensureWorkersDb(store);

  const started = now();
  const held = new Map<string, Held>();
  /** Held databases the pipeline may have stopped reading (taken, or the renewal came late): woken once they are held again. */
  const toWake = new Set<string>();
  let heartbeatRev: string | undefined;
  let hooks: LeaseHooks | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let ended = false;

  const holds = (db: string): boolean => {
    const lease = held.get(db);
    return lease !== undefined && !lease.releasing && now() - lease.renewed < validMs;
  };

  async function heartbeat(at: number): Promise<void> {
    const doc: CouchDoc = {
      _id: workerDocId(me),
      kind: 'worker',
      id: me,
      host: options.host,
      pid: options.pid,
      started,
      last_seen: at,
      expires: at + leaseMs,
      lease_ms: leaseMs,
      ...(heartbeatRev !== undefined ? { _rev: heartbeatRev } : {}),
    };
    try {
      heartbeatRev = (await store.put(WORKERS_DB, doc)).rev;
    } catch (error) {
      if (!(error instanceof KnmError && error.error === 'conflict')) throw error;
      // Only this worker writes its heartbeat: a conflict is a restart under the same KNM_WORKER_ID.
      heartbeatRev = (await store.getOrNull(WORKERS_DB, doc._id))?._rev;
      heartbeatRev = (await store.put(WORKERS_DB, { ...doc, ...(heartbeatRev !== undefined ? { _rev: heartbeatRev } : {}) })).rev;
    }
  }

  async function round(): Promise<void> {
    if (ended || hooks === undefined) return;
    const at = now();
    await heartbeat(at);
    const listing = await readWorkersDb(store);

    // A lease we think is ours but whose document says otherwise was taken: stop reading it at once.
    for (const [db, lease] of held) {
      const doc = listing.leases.get(db);
      if (doc === undefined || doc.owner !== me || doc._rev !== lease.rev) {
        held.delete(db);
        logger.log('warn', 'lease_lost', { db, worker: me, owner: doc?.owner ?? null });
      }
    }

    const plan = planLeases(at, me, [...listing.workers.values()], [...listing.leases.values()], hooks.dbs(), marginMs);
    const writes: CouchDoc[] = [];
    const releasing = new Set<string>();
    for (const db of plan.release) {
      const lease = held.get(db);
      if (lease === undefined) continue;
      lease.releasing = true;
      // Finish the batch in hand first; keep renewing until it is done.
      if (hooks.busy(db)) writes.push(leaseDoc(db, lease.rev, { owner: me, expires: at + leaseMs, renewed: at, checkpoint: lease.checkpoint ?? null }));
      else {
        writes.push(leaseDoc(db, lease.rev, { owner: null, expires: at, renewed: at, checkpoint: lease.checkpoint ?? null }));
        releasing.add(db);
      }
    }
    for (const db of plan.renew) {
      const lease = held.get(db);
      const doc = listing.leases.get(db);
      if (lease === undefined && doc === undefined) continue;
      // Ours in CouchDB but not in memory (a restart under the same worker id): renewing under its revision takes it back.
      const rev = lease?.rev ?? doc?._rev ?? '';
      const checkpoint = lease !== undefined ? lease.checkpoint : doc?.checkpoint ?? undefined;
      if (lease !== undefined) lease.releasing = false;
      writes.push(leaseDoc(db, rev, { owner: me, expires: at + leaseMs, renewed: at, taken: doc?.taken ?? at, checkpoint: checkpoint ?? null }));
    }
    for (const db of plan.take) {
      const doc = listing.leases.get(db);
      writes.push(leaseDoc(db, doc?._rev, { owner: me, expires: at + leaseMs, renewed: at, taken: at, checkpoint: doc?.checkpoint ?? null }));
    }
    if (writes.length === 0) return;

    const results = await store.bulkDocs(WORKERS_DB, writes);
    results.forEach((result, index) => {
      const written = writes[index] as CouchDoc & LeaseDoc;
      const db = written.db;
      if (!result.ok) {
        if (held.delete(db)) logger.log('warn', 'lease_lost', { db, worker: me, error: result.error });
        return;
      }
      if (releasing.has(db)) {
        held.delete(db);
        logger.log('info', 'lease_released', { db, worker: me });
        return;
      }
      const lease = held.get(db);
      if (lease !== undefined) {
        lease.rev = result.rev;
        // Lapsed at some moment since the last renewal (this round itself may have been slow): reading stopped.
        if (now() - lease.renewed >= validMs) toWake.add(db);
        lease.renewed = at;
      } else {
        toWake.add(db);
        held.set(db, { rev: result.rev, renewed: at, checkpoint: written.checkpoint ?? undefined, releasing: false });
        logger.log('info', 'lease_taken', { db, worker: me, checkpoint: written.checkpoint ?? null });
      }
    });
    for (const db of toWake) {
      if (!held.has(db)) toWake.delete(db);
      else if (holds(db)) {
        toWake.delete(db);
        hooks.gained(db);
      }
    }
  }

  function schedule(): void {
    if (ended) return;
    timer = setTimeout(() => {
      running = round()
        .catch((error: unknown) => logger.log('warn', 'lease_round_failed', { worker: me, error }))
        .finally(schedule);
    }, roundMs);
  }

  return {
    workerId: me,
    leaseMs,
    holds,
    checkpoint: (db) => held.get(db)?.checkpoint,
    noteCheckpoint(db, since) {
      const lease = held.get(db);
      if (lease !== undefined) lease.checkpoint = since;
    },
    held: () => [...held].map(([db, lease]) => ({ db, checkpoint: lease.checkpoint, releasing: lease.releasing })),
    start(given) {
      hooks = given;
      running = round()
        .catch((error: unknown) => logger.log('warn', 'lease_round_failed', { worker: me, error }))
        .finally(schedule);
    },
    async round() {
      await running;
      running = round();
      await running;
    },
    async stop() {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
      const at = now();
      const releases = [...held].map(([db, lease]) => leaseDoc(db, lease.rev, { owner: null, expires: at, renewed: at, checkpoint: lease.checkpoint ?? null }));
      held.clear();
      if (releases.length > 0) await store.bulkDocs(WORKERS_DB, releases);
      if (heartbeatRev !== undefined) await store.remove(WORKERS_DB, workerDocId(me), heartbeatRev).catch(() => undefined);
      logger.log('info', 'leases_released', { worker: me, count: releases.length });
    },
    kill() {
      ended = true;
      clearTimeout(timer);
      held.clear();
    },
  };
}

function leaseDoc(db: string, rev: string | undefined, fields: Omit<LeaseDoc, 'db'>): CouchDoc {
  return { _id: leaseDocId(db), ...(rev !== undefined ? { _rev: rev } : {}), kind: 'lease', db, ...fields };
}

export const workerDocId = (id: string): string => `worker:${id}`;
export const leaseDocId = (db: string): string => `lease:${db}`;

export async function ensureWorkersDb(store: Store): Promise<void> {
  await store.createDb(WORKERS_DB);
  if ((await store.getOrNull(WORKERS_DB, DESIGN_DOC._id)) === null) {
    await store.put(WORKERS_DB, DESIGN_DOC).catch((error: unknown) => {
      if (!(error instanceof KnmError && error.error === 'conflict')) throw error;
    });
  }
}

export interface WorkersListing {
  readonly workers: Map<string, WorkerDoc & WorkerView>;
  readonly leases: Map<string, LeaseDoc & LeaseView & { _rev: string }>;
}

/** Every heartbeat and lease, as CouchDB has them now (also what `knm status` shows). */
export async function readWorkersDb(store: Store): Promise<WorkersListing> {
  const rows = (await store.view<string, null>(WORKERS_DB, 'knm_workers', 'by_kind', { include_docs: true })).rows;
  const workers = new Map<string, WorkerDoc & WorkerView>();
  const leases = new Map<string, LeaseDoc & LeaseView & { _rev: string }>();
  for (const row of rows) {
    const doc = row.doc;
    if (doc === null || doc === undefined) continue;
    if (row.key === 'worker' && typeof doc.id === 'string' && typeof doc.expires === 'number') {
      workers.set(doc.id, {
        id: doc.id,
        host: typeof doc.host === 'string' ? doc.host : '',
        pid: typeof doc.pid === 'number' ? doc.pid : 0,
        started: numberOr(doc.started, 0),
        last_seen: numberOr(doc.last_seen, 0),
        expires: doc.expires,
        lease_ms: numberOr(doc.lease_ms, 0),
      });
    } else if (row.key === 'lease' && typeof doc.db === 'string') {
      leases.set(doc.db, {
        _rev: doc._rev,
        db: doc.db,
        owner: typeof doc.owner === 'string' ? doc.owner : null,
        expires: numberOr(doc.expires, 0),
        renewed: numberOr(doc.renewed, 0),
        ...(typeof doc.taken === 'number' ? { taken: doc.taken } : {}),
        checkpoint: typeof doc.checkpoint === 'string' ? doc.checkpoint : null,
      });
    }
  }
  return { workers, leases };
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
