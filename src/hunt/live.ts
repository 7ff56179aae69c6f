/**
 * The hunt index of `knm start`, kept current while the daemon runs:
 *  - number databases: the changes pipeline hands over every row it reads (`onChange`); with leases it reads only
 *    the databases this worker holds, so only those are followed (`follows`), and a database gained again starts a
 *    new epoch (its rows of before may have missed changes another worker read);
 *  - `accounts` (the pipeline reads number databases only): followed here by a `_changes` longpoll from the
 *    position taken at start, so a disabled account is refused as soon as CouchDB reports the change, and an idle
 *    daemon makes one request per `feedTimeoutMs` for it;
 *  - `system_config`, followed alike: a changed number_manager (converters, force_*_outbound…) starts the index afresh;
 *  - `port_requests`, followed alike: any change drops the port-request answers the index keeps (index.ts).
 * Whatever is not followed is trusted for the index's `ttlMs` (1 s) and read again (index.ts).
 * Each number database this worker gains a lease on is loaded into the index in the background (`warm`) through
 * knm's `hunt` view, a page at a time, so that hunts after a restart are served from memory; hunts meanwhile read
 * CouchDB as on any miss.
 * `respondInbound` completes a pending port on a carrier-authenticated call (port-in.ts) for `GET /hunt/N?inbound=true`.
 */
import type { Leases } from '../pipeline/leases/leases';
import { SYSTEM_CONFIG_DB } from '../pipeline/config';
import { backoffMs } from '../pipeline/databases';
import type { Logger } from '../pipeline/log';
import { loadLifecycleEnvironment } from '../lifecycle/environment';
import { NumberService } from '../lifecycle/service';
import type { Store } from '../store/client';
import type { ChangeRow, Seq } from '../store/types';
import { systemClock, type Clock } from '../time';
import { huntHandler, type HuntRequestHandler } from './handler';
import { ACCOUNTS_DB, HuntIndex, storeHuntSource, warmHuntIndex, type IndexedChange } from './index';
import type { HuntAnswer } from './lookup';
import { transitionPortInOnFirstCall, type PortInTransition } from './port-in';

export interface LiveHuntOptions {
  readonly store: Store;
  readonly logger: Logger;
  /** The number databases this worker reads; without leases the pipeline reads them all. */
  readonly holds?: (db: string) => boolean;
  readonly clock?: Clock;
  /** How long one longpoll of the followed feeds waits for a change before it is made again (default 30 s). */
  readonly feedTimeoutMs?: number;
  /** Upper bound of the backoff while a feed cannot be read (default 5 s). */
  readonly maxBackoffMs?: number;
  /** Problems found in system_config/number_manager, one sentence each. */
  readonly configProblem?: (problem: string) => void;
  /** Load each number database gained through the leases into the index (default true; KNM_HUNT_WARM=0 turns it off). */
  readonly warm?: boolean;
  /** Rows per page of the warm-up (default 2000). */
  readonly warmPageSize?: number;
  /** Told once a followed feed took its position (`resumed`) and after each batch of its rows was applied (`rows`). */
  readonly feedEvent?: (db: string, event: 'resumed' | 'rows', ids: readonly string[]) => void;
}

export interface LiveHunt {
  readonly index: HuntIndex;
  /** `GET /hunt/NUMBER[?inbound=true]` (handler.ts). */
  readonly handler: HuntRequestHandler;
  /** The pipeline's `onChange`: every row read from a number database. */
  onChange(db: string, row: ChangeRow): void;
  /** The leases as the pipeline should get them: each database gained starts a new epoch of the index. */
  watchLeases(leases: Leases): Leases;
  respondInbound(answer: HuntAnswer): Promise<PortInTransition>;
  /** The index's figures in Prometheus text, for /metrics. */
  renderMetrics(): string;
  stop(): Promise<void>;
}

const FEED_BATCH = 500;
const NUMBER_MANAGER_DOC = 'number_manager';
const PORT_REQUESTS_DB = 'port_requests';

/** A database whose changes this module follows. */
interface FollowedFeed {
  readonly db: string;
  readonly includeDocs: boolean;
  /** The feed's position was (re)taken: what happened before it is not in the rows to come. */
  resumed(): Promise<void> | void;
  rows(rows: ChangeRow[]): Promise<void> | void;
  /** A read failed: until `resumed`, changes may be missed. */
  broken(): void;
}

export async function startLiveHunt(options: LiveHuntOptions): Promise<LiveHunt> {
  const { store, logger } = options;
  const clock = options.clock ?? systemClock;
  const feedTimeoutMs = options.feedTimeoutMs ?? 30_000;
  const warm = options.warm ?? true;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  const { environment, problems } = await loadLifecycleEnvironment(store, clock);
  for (const problem of problems) options.configProblem?.(problem);
  const source = storeHuntSource(store);
  const holds = options.holds ?? (() => true);
  let accountsFollowed = false;
  const index = new HuntIndex({
    source,
    rules: environment.rules,
    config: environment.config,
    gregorianNow: clock,
    follows: (db) => (db === ACCOUNTS_DB ? accountsFollowed : holds(db)),
  });
  let current = { environment, config: JSON.stringify(environment.config) };

  let stopped = false;
  // Ends the longpolls in flight at stop(): they would otherwise hold the stop for up to feedTimeoutMs.
  const stopping = new AbortController();
  const sleepers = new Set<() => void>();
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });

  /** Follows `feed.db`'s changes from now on by longpoll; a failure is waited out and the feed taken up again from now. */
  async function follow(feed: FollowedFeed): Promise<void> {
    let since: Seq | undefined;
    for (let failures = 0; !stopped; ) {
      try {
        if (since === undefined) {
          since = (await store.changes(feed.db, { since: 'now', limit: 1, signal: stopping.signal })).last_seq;
          await feed.resumed();
          options.feedEvent?.(feed.db, 'resumed', []);
        }
        const batch = await store.changes(feed.db, {
          since,
          limit: FEED_BATCH,
          include_docs: feed.includeDocs,
          feed: 'longpoll',
          timeout: feedTimeoutMs,
          signal: stopping.signal,
        });
        await feed.rows(batch.results);
        since = batch.last_seq;
        failures = 0;
        if (batch.results.length > 0) options.feedEvent?.(feed.db, 'rows', batch.results.map((row) => row.id));
      } catch (error) {
        if (stopped) break;
        feed.broken();
        since = undefined;
        failures += 1;
        const waitMs = backoffMs(failures, maxBackoffMs);
        logger.log('warn', 'hunt_feed_failed', { db: feed.db, attempt: failures, retry_in_ms: Math.round(waitMs), error });
        await pause(waitMs);
      }
    }
  }

  /** number_manager read again; the index starts afresh only when the configuration really changed. */
  async function reloadConfig(): Promise<void> {
    const loaded = await loadLifecycleEnvironment(store, clock);
    const config = JSON.stringify(loaded.environment.config);
    if (config === current.config) return;
    for (const problem of loaded.problems) options.configProblem?.(problem);
    current = { environment: loaded.environment, config };
    index.reconfigure(loaded.environment.rules, loaded.environment.config);
    logger.log('info', 'hunt_config_reloaded', {});
  }

  const following = Promise.all([
    follow({
      db: ACCOUNTS_DB,
      includeDocs: true,
      resumed() {
        // Accounts read before this position may have changed unseen: a new epoch, and from now on followed.
        index.feedResumed(ACCOUNTS_DB);
        accountsFollowed = true;
      },
      rows: (rows) => rows.forEach((row) => index.apply(ACCOUNTS_DB, indexedChange(row))),
      broken() {
        accountsFollowed = false;
      },
    }),
    follow({
      db: SYSTEM_CONFIG_DB,
      includeDocs: false,
      resumed: reloadConfig,
      rows: (rows) => (rows.some((row) => row.id === NUMBER_MANAGER_DOC) ? reloadConfig() : undefined),
      broken: () => undefined,
    }),
    follow({
      db: PORT_REQUESTS_DB,
      includeDocs: false,
      // Answers kept from before the position may be stale; the index's ttl covers the time the feed is broken.
      resumed: () => index.portRequestsChanged(),
      rows: (rows) => (rows.length > 0 ? index.portRequestsChanged() : undefined),
      broken: () => undefined,
    }),
  ]);

  /** Number databases gained and not loaded yet, in the order gained; the first is being loaded while `warming` runs. */
  const warmQueue: string[] = [];
  let warming: Promise<void> | undefined;
  let warmedNumbers = 0;
  /** Lease rounds begun: once a second one begins, every database of the first round is queued. */
  let leaseRounds = 0;

  function warmSoon(db: string): void {
    if (!warm || stopped || warmQueue.includes(db)) return;
    warmQueue.push(db);
    warming ??= warmQueued();
  }

  async function warmQueued(): Promise<void> {
    while (warmQueue.length > 0 && !stopped) {
      const db = warmQueue[0];
      const before = warmedNumbers;
      try {
        const loaded = await warmHuntIndex(index, store, [db], {
          pageSize: options.warmPageSize,
          progress: (count) => (warmedNumbers = before + count),
          // A database lost meanwhile is read by another worker: what this one would load would not be followed.
          proceed: (candidate) => !stopped && holds(candidate),
        });
        logger.log('info', 'hunt_index_warmed', { db, numbers: loaded });
      } catch (error) {
        // Its numbers are read from CouchDB on their first hunt, as before any warm-up.
        if (!stopped) logger.log('warn', 'hunt_warm_failed', { db, error });
      }
      warmQueue.shift();
    }
    warming = undefined;
  }

  const warmDone = (): boolean => !warm || (leaseRounds >= 2 && warmQueue.length === 0);

  async function respondInbound(answer: HuntAnswer): Promise<PortInTransition> {
    const transition = await transitionPortInOnFirstCall(new NumberService(current.environment), answer, async (number) => (await source.portRequestAccount(number)) !== undefined);
    // The pipeline will apply the update too; the next hunt must not wait for it.
    if (transition.kind === 'updated' && answer.ok) index.invalidate(answer.props.number);
    return transition;
  }

  return {
    index,
    handler: huntHandler(index, { inbound: respondInbound }),
    onChange: (db, row) => index.apply(db, indexedChange(row)),
    watchLeases: (leases) => ({
      ...leases,
      start: (hooks) =>
        leases.start({
          ...hooks,
          dbs() {
            leaseRounds += 1;
            return hooks.dbs();
          },
          gained(db) {
            index.feedResumed(db);
            hooks.gained(db);
            warmSoon(db);
          },
        }),
    }),
    respondInbound,
    renderMetrics: () =>
      [
        '# HELP knm_hunt_numbers_held Numbers whose hunt facts are held in memory.',
        '# TYPE knm_hunt_numbers_held gauge',
        `knm_hunt_numbers_held ${index.size}`,
        '# HELP knm_hunt_answers_total Hunts answered, by where the number came from (memory, or a read of CouchDB).',
        '# TYPE knm_hunt_answers_total counter',
        `knm_hunt_answers_total{from="memory"} ${index.hits}`,
        `knm_hunt_answers_total{from="store"} ${index.misses}`,
        '# HELP knm_hunt_changes_applied_total Changes of number databases applied to the hunt index.',
        '# TYPE knm_hunt_changes_applied_total counter',
        `knm_hunt_changes_applied_total ${index.applied}`,
        '# HELP knm_hunt_port_request_queries_total Queries of port_requests/port_in_numbers for numbers without a document (answers are kept 1 s).',
        '# TYPE knm_hunt_port_request_queries_total counter',
        `knm_hunt_port_request_queries_total ${index.portRequestQueries}`,
        '# HELP knm_hunt_index_warm_numbers Numbers loaded into the index by the warm-up of the databases this worker leases.',
        '# TYPE knm_hunt_index_warm_numbers counter',
        `knm_hunt_index_warm_numbers ${warmedNumbers}`,
        '# HELP knm_hunt_index_warm_done 1 once every database leased so far is loaded (or KNM_HUNT_WARM=0), 0 while one is loading.',
        '# TYPE knm_hunt_index_warm_done gauge',
        `knm_hunt_index_warm_done ${warmDone() ? 1 : 0}`,
        '',
      ].join('\n'),
    async stop() {
      stopped = true;
      stopping.abort();
      for (const wake of [...sleepers]) wake();
      await Promise.all([following, warming]);
    },
  };
}

function indexedChange(row: ChangeRow): IndexedChange {
  const rev = row.changes[0]?.rev;
  return { id: row.id, deleted: row.deleted === true, doc: row.doc, ...(rev !== undefined ? { rev } : {}) };
}
