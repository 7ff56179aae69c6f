/**
 * Which number databases a worker should take, keep and give up, decided from what the `knm_workers` database
 * says now. Pure: the caller reads the documents and the time, writes the outcome under MVCC, and a write that
 * loses (409) is simply decided again next round.
 *
 * Times are Unix milliseconds of each writer's own clock. A worker or a lease is judged gone only `marginMs`
 * after its `expires`, so a little clock skew between machines cannot make two workers both think they hold a
 * database; the holder, for its part, stops reading a database as soon as its own renewal is overdue (leases.ts).
 *
 * Fair share = ceil(databases / live workers). A worker above it gives up the excess; one below it takes free
 * leases (never written, released, or expired beyond the margin), preferring the databases that rank highest
 * for it by rendezvous hashing, so workers taking at the same moment mostly reach for different databases.
 */

export interface WorkerView {
  readonly id: string;
  /** When its heartbeat runs out (Unix ms, its own clock). */
  readonly expires: number;
}

export interface LeaseView {
  readonly db: string;
  /** Who holds it; null once released. */
  readonly owner: string | null;
  /** When it runs out unless renewed (Unix ms, the owner's clock). */
  readonly expires: number;
}

export interface LeasePlan {
  /** Free leases to take, best first. */
  readonly take: string[];
  /** Leases held that stay held. */
  readonly renew: string[];
  /** Leases held beyond the fair share (or on databases that are gone), to give up once their batch is done. */
  readonly release: string[];
  /** The fair share this round and the live workers it was computed over (me included). */
  readonly share: number;
  readonly liveWorkers: string[];
}

export function planLeases(
  now: number,
  me: string,
  workers: readonly WorkerView[],
  leases: readonly LeaseView[],
  dbs: readonly string[],
  marginMs: number,
): LeasePlan {
  const live = new Set(workers.filter((worker) => worker.expires + marginMs > now).map((worker) => worker.id));
  live.add(me);
  const liveWorkers = [...live].sort();
  const share = dbs.length === 0 ? 0 : Math.ceil(dbs.length / liveWorkers.length);

  const known = new Set(dbs);
  const leaseOf = new Map(leases.map((lease) => [lease.db, lease]));
  // Whatever the expiry says, a lease whose owner is me is mine: writing it under its revision proves nobody took it.
  const mine = leases.filter((lease) => lease.owner === me).map((lease) => lease.db);
  const gone = mine.filter((db) => !known.has(db));
  const held = rank(me, mine.filter((db) => known.has(db)));
  const free = rank(me, dbs.filter((db) => isFree(leaseOf.get(db), me, now, marginMs)));

  const keep = held.slice(0, share);
  const excess = held.slice(share);
  return {
    take: free.slice(0, Math.max(0, share - keep.length)),
    renew: keep,
    release: [...excess, ...gone],
    share,
    liveWorkers,
  };
}

function isFree(lease: LeaseView | undefined, me: string, now: number, marginMs: number): boolean {
  if (lease === undefined || lease.owner === null) return true;
  return lease.owner !== me && lease.expires + marginMs <= now;
}

/** Highest rendezvous weight first: each worker has its own stable order of the databases. */
function rank(me: string, dbs: readonly string[]): string[] {
  return dbs
    .map((db) => ({ db, weight: fnv1a(`${me}\u0000${db}`) }))
    .sort((a, b) => b.weight - a.weight || (a.db < b.db ? -1 : 1))
    .map(({ db }) => db);
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
