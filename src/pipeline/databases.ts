/**
 * Which databases exist and which changed: `_all_dbs` at start, then `_db_updates` (the store client falls
 * back to polling `_all_dbs` where the server lacks the feed), and `_all_dbs` again every `reconcileEveryMs`
 * because `_db_updates` is best effort (CouchDB may drop events). Each event is handed to `onEvent`; the
 * pipeline decides what to read. An unreachable store is waited out with jittered, bounded backoff.
 */
import type { Store } from '../store/client';
import type { Seq } from '../store/types';
import type { Logger } from './log';

export type DatabaseEventType = 'existing' | 'created' | 'updated' | 'deleted';

export interface DatabaseEvent {
  readonly db: string;
  readonly type: DatabaseEventType;
}

export interface DatabaseWatchOptions {
  /** How long one `_db_updates` longpoll waits (ms). */
  readonly longpollMs: number;
  /** How often the whole list is read again (ms). */
  readonly reconcileEveryMs: number;
  readonly maxBackoffMs: number;
  readonly logger: Logger;
  readonly stopping: () => boolean;
  /** Reports whether the store answered the last request. */
  readonly reachable: (ok: boolean) => void;
  /** Called after each full listing has been handed out. */
  readonly listed?: () => void;
}

/** Runs until `stopping()`; resolves then (after at most one longpoll). */
export async function watchDatabases(store: Store, options: DatabaseWatchOptions, onEvent: (event: DatabaseEvent) => void): Promise<void> {
  let since: Seq | undefined;
  let listedAt = 0;
  let failures = 0;
  while (!options.stopping()) {
    try {
      if (since === undefined) {
        // Take the feed's position first, then list: a database created in between is in one or the other.
        since = (await store.dbUpdates({ since: 'now', feed: 'normal' })).last_seq;
      }
      if (Date.now() - listedAt >= options.reconcileEveryMs) {
        const names = await store.listDbs();
        listedAt = Date.now();
        for (const db of names) onEvent({ db, type: 'existing' });
        options.listed?.();
      }
      const batch = await store.dbUpdates({ since, feed: 'longpoll', timeout: options.longpollMs });
      options.reachable(true);
      failures = 0;
      if (options.stopping()) return;
      for (const update of batch.results) onEvent({ db: update.db_name, type: update.type });
      since = batch.last_seq;
    } catch (error) {
      failures += 1;
      options.reachable(false);
      const waitMs = backoffMs(failures, options.maxBackoffMs);
      options.logger.log('warn', 'store_unreachable', { during: 'db_updates', attempt: failures, retry_in_ms: Math.round(waitMs), error });
      await sleep(waitMs);
      // The feed's position may mean nothing to a restarted server: list again and take a new position.
      since = undefined;
      listedAt = 0;
    }
  }
}

/** Full jitter over an exponential bound: many workers coming back at once do not hit the server in step. */
export function backoffMs(attempt: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, 100 * 2 ** Math.min(attempt, 16));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
