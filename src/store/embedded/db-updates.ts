/**
 * `GET /_db_updates` for the embedded server (express-pouchdb answers 400: not implemented). The server
 * records every database it sees created, written or deleted; like CouchDB's `_global_changes`, the log
 * keeps the latest event per database, so it stays as small as the list of databases. Sequences are
 * `<n>-<server instance>`: a `since` from before a restart is unknown and starts from 0 (CouchDB's answer
 * to an unknown since), which level-triggered readers survive. The log lives in memory; readers that were
 * away across a restart re-learn the databases from `_all_dbs`, as they must with CouchDB too.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { LiveFeeds } from './live-feeds';
import { encodeSeq, MALFORMED_SINCE_REASON, resolveSince } from './seq';
import { rawQuery } from './raw-query';

export type DbUpdateType = 'created' | 'updated' | 'deleted';

interface LoggedUpdate {
  db_name: string;
  type: DbUpdateType;
  n: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

export class DbUpdatesLog {
  private readonly instance = randomUUID().replace(/-/g, '');
  private counter = 0;
  /** Insertion order is sequence order: a database's entry is removed and re-added at each event. */
  private readonly latest = new Map<string, LoggedUpdate>();
  private readonly listeners = new Set<() => void>();

  record(dbName: string, type: DbUpdateType): void {
    this.counter += 1;
    this.latest.delete(dbName);
    this.latest.set(dbName, { db_name: dbName, type, n: this.counter });
    for (const listener of [...this.listeners]) listener();
  }

  get currentSeq(): number {
    return this.counter;
  }

  seq(n: number): string {
    return encodeSeq(n, this.instance);
  }

  resolve(raw: unknown): ReturnType<typeof resolveSince> {
    return resolveSince(raw, this.instance, this.counter);
  }

  after(n: number, limit?: number): { db_name: string; type: DbUpdateType; seq: string }[] {
    const rows: { db_name: string; type: DbUpdateType; seq: string }[] = [];
    for (const update of this.latest.values()) {
      if (update.n <= n) continue;
      rows.push({ db_name: update.db_name, type: update.type, seq: this.seq(update.n) });
      if (limit !== undefined && rows.length >= limit) break;
    }
    return rows;
  }

  onUpdate(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

export function serveDbUpdates(req: Request, res: Response, log: DbUpdatesLog, feeds: LiveFeeds): void {
  const query: Record<string, unknown> = rawQuery(req);
  const text = (name: string): string | undefined => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
  const feed = text('feed') ?? 'normal';
  if (feed !== 'normal' && feed !== 'longpoll' && feed !== 'continuous') {
    return void res.status(400).json({ error: 'bad_request', reason: `Supported feeds are normal, longpoll and continuous, not ${feed}` });
  }
  const since = log.resolve(query.since);
  if (!since.ok) return void res.status(400).json({ error: 'bad_request', reason: MALFORMED_SINCE_REASON });
  const numbers = ['timeout', 'heartbeat', 'limit'].map((name) => {
    const raw = text(name);
    return raw === undefined || raw === 'true' || raw === 'false' ? raw : Number(raw);
  });
  if (numbers.some((value) => typeof value === 'number' && (!Number.isInteger(value) || value < 0))) {
    return void res.status(400).json({ error: 'bad_request', reason: 'timeout, heartbeat and limit must be non-negative integers' });
  }
  const [timeoutRaw, heartbeatRaw, limitRaw] = numbers;
  const heartbeatMs = heartbeatRaw === undefined || heartbeatRaw === 'false' ? undefined : heartbeatRaw === 'true' ? DEFAULT_TIMEOUT_MS : (heartbeatRaw as number);
  const timeoutMs = heartbeatMs !== undefined ? Infinity : typeof timeoutRaw === 'number' ? timeoutRaw : DEFAULT_TIMEOUT_MS;
  const limit = typeof limitRaw === 'number' ? Math.max(1, limitRaw) : undefined;

  let position = since.seq;
  const pending = log.after(position, limit);
  if (feed === 'normal' || (feed === 'longpoll' && pending.length > 0)) {
    const last = pending.length > 0 ? pending[pending.length - 1].seq : log.seq(feed === 'normal' ? log.currentSeq : position);
    return void res.status(200).json({ results: pending, last_seq: last });
  }

  let done = false;
  let sent = 0;
  const finish = (body?: string): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    clearInterval(heartbeat);
    unsubscribe();
    release();
    if (body === undefined || res.writableEnded || res.destroyed) return;
    if (res.headersSent) res.end(body);
    else res.status(200).type('application/json').send(body);
  };
  const lastLine = (): string => `${JSON.stringify({ last_seq: log.seq(position) })}\n`;
  const restartTimer = (): ReturnType<typeof setTimeout> | undefined =>
    timeoutMs === Infinity ? undefined : setTimeout(() => finish(feed === 'longpoll' ? JSON.stringify({ results: [], last_seq: log.seq(position) }) : lastLine()), timeoutMs);

  if (feed === 'continuous') {
    res.status(200).type('application/json');
    res.flushHeaders();
  }
  const emit = (): void => {
    const fresh = log.after(position, limit !== undefined ? limit - sent : undefined);
    if (fresh.length === 0) return;
    if (feed === 'longpoll') {
      position = log.currentSeq;
      return finish(JSON.stringify({ results: fresh, last_seq: fresh[fresh.length - 1].seq }));
    }
    for (const update of fresh) res.write(`${JSON.stringify(update)}\n`);
    sent += fresh.length;
    position = log.currentSeq;
    if (limit !== undefined && sent >= limit) return finish(lastLine());
    clearTimeout(timer);
    timer = restartTimer();
  };
  let timer = restartTimer();
  const heartbeat = heartbeatMs === undefined ? undefined : setInterval(() => {
    if (!res.headersSent) {
      res.status(200).type('application/json');
      res.flushHeaders();
    }
    if (!res.writableEnded && !res.destroyed) res.write('\n');
  }, heartbeatMs);
  const unsubscribe = log.onUpdate(emit);
  const release = feeds.add(() => finish(feed === 'longpoll' ? JSON.stringify({ results: [], last_seq: log.seq(position) }) : lastLine()));
  res.on('close', () => finish());
  if (feed === 'continuous') emit();
}
