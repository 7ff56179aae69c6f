/**
 * The changes pipeline: follows every number database and makes each edit written into CouchDB take
 * effect as Kazoo's own code would (reconcile.ts says what, reactions.ts does it).
 *
 *   databases.ts (`_all_dbs` + `_db_updates`) ──► wake(db) ──► mergeMap(≤ dbConcurrency databases)
 *        └─ system_config changed ──► config read again          └─ follower.ts: batches from the checkpoint
 *   timer(0, purgeIntervalMs) ──► purge.ts over each followed database (exhaustMap: never two rounds at once)
 *
 * A database woken while it is being read is read again right after, so a wake-up is never lost and a
 * database is never read by two batches at once. A new number database gets knm's design documents before
 * its first change is read; a new account database gets Kazoo's account `_design/numbers` (account-dbs.ts). The
 * store going away is waited out with backoff and reading resumes from the checkpoint. `stop()` lets each database
 * finish and checkpoint the batch in hand.
 *
 * With `leases`, this is one of several workers: it reads only the databases it holds a lease on (leases/),
 * from the checkpoint that came with the lease; a database whose lease is lost or given up is not read again
 * once the batch in hand is done.
 */
import { defer, exhaustMap, interval, mergeMap, Subject, timer, type Subscription } from 'rxjs';
import type { Carrier } from '../carriers/carrier';
import { carrierFor } from '../carriers/registry';
import { isNumberDbName } from '../numbers/db-names';
import type { Env } from '../carriers/settings';
import { providerContexts } from '../providers/context';
import { providerFor } from '../providers/registry';
import type { ProviderLookup } from '../providers/run';
import { deployDesignDocs } from '../store/bootstrap';
import type { Store } from '../store/client';
import type { ChangeRow } from '../store/types';
import { loadDesignDocs, type DesignDocLibrary } from '../store/design-docs';
import { systemClock, type Clock } from '../time';
import { readPipelineConfig, SYSTEM_CONFIG_DB, type PipelineConfig } from './config';
import { watchAccountDbs } from './account-dbs';
import { backoffMs, sleep, watchDatabases, type DatabaseEvent } from './databases';
import { drainDb, isStoreOutage, type FollowerContext } from './follower';
import type { Leases } from './leases/leases';
import { leasedStateStore } from './leases/state';
import { silentLogger, type Logger } from './log';
import { PipelineMetrics } from './metrics';
import { purgeDb } from './purge';
import { couchStateStore, PIPELINE_DB, type PipelineStateStore } from './state-store';

export interface PipelineOptions {
  readonly store: Store;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: PipelineMetrics;
  /** Carrier modules by name (default: the registry). */
  readonly carriers?: (module: string) => Carrier | undefined;
  /** Feature providers by module name (default: the registry). */
  readonly providers?: ProviderLookup;
  /** Environment the providers read (settings overrides, KNM_NOTIFICATIONS_WEBHOOK_URL; default process.env). */
  readonly env?: Env;
  /** Webhook delivery of notices: POSTs per notice and the backoff base between them (default 5, 1,000 ms); the worker named on claims. */
  readonly notifications?: { readonly attempts?: number; readonly retryBaseMs?: number; readonly workerId?: string };
  /** Where checkpoints and last-seen numbers are kept (default: the `knm_pipeline` database). */
  readonly state?: PipelineStateStore;
  /** Shares the number databases with other workers; without it this pipeline reads them all. */
  readonly leases?: Leases;
  readonly designDocs?: DesignDocLibrary;
  /** Changes per batch (default 500). */
  readonly batchSize?: number;
  /** Databases read at the same time (default 8). */
  readonly dbConcurrency?: number;
  /** Numbers of one batch handled at the same time (default 16). */
  readonly numberConcurrency?: number;
  /** Period of the discovery purge / aging check (default 3600 s, KNM_PURGE_INTERVAL_S). */
  readonly purgeIntervalMs?: number;
  /** `_db_updates` longpoll (default 10 s) and full `_all_dbs` re-read (default 300 s). */
  readonly dbUpdatesLongpollMs?: number;
  readonly reconcileDbsEveryMs?: number;
  /** Upper bound of the backoff while the store is away (default 5 s). */
  readonly maxBackoffMs?: number;
  /** How often notices left undelivered are looked for (default 60 s). */
  readonly redeliverEveryMs?: number;
  /** Carrier attempts for transient failures (default 4) and their backoff base (default 500 ms). */
  readonly carrierAttempts?: number;
  readonly carrierRetryBaseMs?: number;
  /** Sees every row a follower reads from a number database, before its reactions (the hunt index, src/hunt). */
  readonly onChange?: (db: string, row: ChangeRow) => void;
}

export interface PipelineHealth {
  readonly status: 'ok' | 'degraded' | 'stopped';
  readonly storeReachable: boolean;
  readonly followedDatabases: number;
  readonly busyDatabases: number;
}

export interface Pipeline {
  readonly metrics: PipelineMetrics;
  health(): PipelineHealth;
  /** Prometheus text, lag gauges brought up to date. */
  renderMetrics(): string;
  /** Resolves once every database woken so far has been read to its end (tests, bench). */
  idle(): Promise<void>;
  /** Runs one purge round over the followed databases now. */
  purgeNow(): Promise<void>;
  /** Stops taking changes, finishes and checkpoints the batches in hand. */
  stop(): Promise<void>;
  /**
   * A crash, for tests: stops at once; reactions already under way finish their own writes, nothing else is
   * written, not even checkpoints. Resolves when those reactions are over.
   */
  kill(): Promise<void>;
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const store = options.store;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? new PipelineMetrics();
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  const designDocs = options.designDocs ?? (await loadDesignDocs());
  const leases = options.leases;
  // With leases, each checkpoint lives in its lease: knm_pipeline keeps only what was last seen of numbers.
  const openState = (): Promise<PipelineStateStore> =>
    options.state !== undefined ? Promise.resolve(options.state) : couchStateStore(store, PIPELINE_DB, { checkpoints: leases === undefined });
  const leasedState = leases !== undefined ? leasedStateStore(leases, openState) : undefined;
  const state = leasedState ?? (await openState());
  const mayRead = (db: string): boolean => leases === undefined || leases.holds(db);
  let config: PipelineConfig = await readPipelineConfig(store, (problem) => logger.log('warn', 'config_problem', { problem }));

  let stopping = false;
  let aborted = false;
  let storeReachable = true;
  const followed = new Set<string>();
  const prepared = new Set<string>();
  const queued = new Set<string>();
  const busy = new Set<string>();
  const again = new Set<string>();
  /** When each database was first woken without having been read since (lag in seconds). */
  const pendingSince = new Map<string, number>();
  const idleWaiters: (() => void)[] = [];

  const notices = providerContexts({ store, clock, env: options.env, logger, notifications: options.notifications });
  const context: FollowerContext = {
    store,
    carriers: options.carriers ?? carrierFor,
    providers: options.providers ?? providerFor,
    providerContexts: notices,
    config: () => config,
    clock,
    metrics,
    logger,
    carrierAttempts: options.carrierAttempts ?? 4,
    carrierRetryBaseMs: options.carrierRetryBaseMs ?? 500,
    maxBackoffMs,
    state,
    batchSize: options.batchSize ?? 500,
    numberConcurrency: options.numberConcurrency ?? 16,
    stopping: () => stopping,
    aborted: () => aborted,
    ...(options.onChange !== undefined ? { onChange: options.onChange } : {}),
  };

  const accountDbs = watchAccountDbs({ store, designDocs, classifiers: () => config.numberManager.classifiers, logger, metrics });

  const wake$ = new Subject<string>();
  const following: Subscription = wake$
    .pipe(mergeMap((db) => defer(() => readDatabase(db)), options.dbConcurrency ?? 8))
    .subscribe({ error: (error: unknown) => logger.log('error', 'pipeline_failed', { error }) });

  function wake(db: string): void {
    if (stopping || !mayRead(db)) return;
    if (!pendingSince.has(db)) pendingSince.set(db, Date.now());
    if (busy.has(db)) {
      again.add(db);
      return;
    }
    if (queued.has(db)) return;
    queued.add(db);
    wake$.next(db);
  }

  async function readDatabase(db: string): Promise<void> {
    queued.delete(db);
    busy.add(db);
    try {
      do {
        again.delete(db);
        const startedAt = Date.now();
        await readWithBackoff(db);
        if (!again.has(db)) pendingSince.delete(db);
        else pendingSince.set(db, startedAt);
      } while (again.has(db) && !stopping && !aborted && mayRead(db));
    } finally {
      busy.delete(db);
      metrics.lagSeconds(db, 0);
      if (busy.size === 0 && queued.size === 0) for (const resolve of idleWaiters.splice(0)) resolve();
    }
  }

  async function readWithBackoff(db: string): Promise<void> {
    for (let failures = 0; !stopping && !aborted && mayRead(db); ) {
      try {
        if (!prepared.has(db)) {
          // A database created behind knm's back gets knm's design documents before its first change is read.
          const deployed = await deployDesignDocs(store, db, designDocs.forDb(db));
          prepared.add(db);
          if (deployed.written.length > 0) {
            metrics.reaction('design_docs');
            logger.log('info', 'design_docs_deployed', { db, written: deployed.written });
          }
        }
        // A lease lost or given up ends the reading after the batch in hand, as a stop does.
        const drained = await drainDb(leases === undefined ? context : { ...context, stopping: () => stopping || !leases.holds(db) }, db);
        storeReachable = true;
        if (drained.changes > 0) logger.log('debug', 'drained', { db, ...drained });
        return;
      } catch (error) {
        if (isStoreOutage(error)) storeReachable = false;
        if (isNotFound(error) && !(await store.dbExists(db).catch(() => true))) {
          forget(db);
          return;
        }
        failures += 1;
        metrics.error(isStoreOutage(error) ? 'store' : 'follower');
        const waitMs = backoffMs(failures, maxBackoffMs);
        logger.log(isStoreOutage(error) ? 'warn' : 'error', 'read_failed', { db, attempt: failures, retry_in_ms: Math.round(waitMs), error });
        await sleep(waitMs);
      }
    }
  }

  function forget(db: string): void {
    followed.delete(db);
    prepared.delete(db);
    pendingSince.delete(db);
    metrics.forgetDb(db);
    metrics.followedDbs(followed.size);
  }

  async function reloadConfig(): Promise<void> {
    try {
      config = await readPipelineConfig(store, (problem) => logger.log('warn', 'config_problem', { problem }));
      logger.log('info', 'config_reloaded', { released_state: config.release.releasedState, discovery_expiry_d: config.tasks.discovery_expiry_d });
    } catch (error) {
      logger.log('warn', 'config_reload_failed', { error });
    }
  }

  function onDatabaseEvent(event: DatabaseEvent): void {
    accountDbs.onEvent(event);
    if (event.db === SYSTEM_CONFIG_DB) {
      if (event.type !== 'existing') void reloadConfig();
      return;
    }
    if (!isNumberDbName(event.db)) return;
    if (event.type === 'deleted') {
      forget(event.db);
      void state.forgetDb(event.db).catch((error: unknown) => logger.log('warn', 'forget_failed', { db: event.db, error }));
      return;
    }
    if (!followed.has(event.db)) {
      followed.add(event.db);
      metrics.followedDbs(followed.size);
    }
    wake(event.db);
  }

  const purging = new Subject<() => void>();
  const purgeSubscription = purging.pipe(exhaustMap((done) => defer(async () => {
    await purge();
    done();
  }))).subscribe();
  /** Purge rounds under way: stop() and kill() wait for them, so none is left reading a store that closes next. */
  const purgesInHand = new Set<Promise<void>>();
  let purgeTimer: Subscription | undefined;

  // Checkpoints that a quiet database kept back (state-store.ts) reach the store within a few seconds.
  const flushing = interval(2_000)
    .pipe(exhaustMap(() => defer(() => state.flush().catch((error: unknown) => logger.log('warn', 'checkpoint_flush_failed', { error })))))
    .subscribe();

  // Notices a worker left undelivered (it stopped or died mid-delivery) are taken up again.
  const redelivering = interval(options.redeliverEveryMs ?? 60_000)
    .pipe(exhaustMap(() => defer(() => notices.notifier.redeliverStale().catch((error: unknown) => logger.log('warn', 'notice_redelivery_failed', { error })))))
    .subscribe();

  const watching = watchDatabases(
    store,
    {
      longpollMs: options.dbUpdatesLongpollMs ?? 10_000,
      reconcileEveryMs: options.reconcileDbsEveryMs ?? 300_000,
      maxBackoffMs,
      logger,
      stopping: () => stopping || aborted,
      reachable: (ok) => {
        storeReachable = ok;
      },
      // The first purge round runs once the databases that exist are known, then every period.
      listed: () => {
        accountDbs.listed();
        if (purgeTimer === undefined && !stopping && !aborted) {
          purgeTimer = timer(0, options.purgeIntervalMs ?? 3_600_000).subscribe(() => purging.next(() => undefined));
        }
      },
    },
    onDatabaseEvent,
  );

  function purge(): Promise<void> {
    const round = purgeRound().finally(() => purgesInHand.delete(round));
    purgesInHand.add(round);
    return round;
  }

  async function purgeRound(): Promise<void> {
    // Catching up comes first: a purge builds and reads views, which costs the store what the feeds need.
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([idle(), new Promise<void>((resolve) => (giveUp = setTimeout(resolve, options.purgeIntervalMs ?? 3_600_000)))]);
    clearTimeout(giveUp);
    for (const db of [...followed]) {
      if (stopping || aborted || !prepared.has(db) || !mayRead(db)) continue;
      try {
        await purgeDb({ store, config: () => config, now: clock(), metrics, logger }, db);
      } catch (error) {
        metrics.error('purge');
        logger.log('warn', 'purge_failed', { db, error });
      }
    }
  }


  function idle(): Promise<void> {
    if (busy.size === 0 && queued.size === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  leases?.start({
    dbs: () => [...followed],
    busy: (db) => busy.has(db),
    gained(db) {
      leasedState?.regained(db);
      wake(db);
    },
  });

  logger.log('info', 'pipeline_started', { store: store.url, ...(leases !== undefined ? { worker: leases.workerId } : {}) });

  return {
    metrics,
    health: () => ({
      status: stopping || aborted ? 'stopped' : storeReachable ? 'ok' : 'degraded',
      storeReachable,
      followedDatabases: followed.size,
      busyDatabases: busy.size,
    }),
    renderMetrics() {
      const now = Date.now();
      for (const db of followed) metrics.lagSeconds(db, pendingSince.has(db) ? (now - (pendingSince.get(db) ?? now)) / 1000 : 0);
      return metrics.render();
    },
    idle,
    purgeNow: () => purge(),
    async stop() {
      if (stopping) return;
      stopping = true;
      purgeTimer?.unsubscribe();
      purgeSubscription.unsubscribe();
      await idle();
      await Promise.all([...purgesInHand, accountDbs.stop()]);
      following.unsubscribe();
      flushing.unsubscribe();
      redelivering.unsubscribe();
      await state.flush();
      // Hands every database over with its checkpoint: the other workers take over at once.
      await leases?.stop();
      // The last _db_updates longpoll ends on its own within its timeout; nothing waits for it.
      void watching;
      logger.log('info', 'pipeline_stopped', {});
    },
    async kill() {
      aborted = true;
      leases?.kill();
      purgeTimer?.unsubscribe();
      purgeSubscription.unsubscribe();
      flushing.unsubscribe();
      redelivering.unsubscribe();
      await idle();
      await Promise.all([...purgesInHand, accountDbs.stop()]);
      following.unsubscribe();
    },
  };
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 404;
}
