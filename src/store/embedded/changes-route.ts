/**
 * `GET|POST /{db}/_changes` of the embedded server, answered here instead of by express-pouchdb, whose
 * version ignores `timeout` on longpoll (an idle request never ends), leaves continuous feeds running after
 * the client is gone, crashes the process on a body selector or a missing filter design document, and
 * silently returns nothing for a `since` it does not know. This one behaves as CouchDB 3 does:
 * feed=normal|longpoll|continuous, since (opaque, see seq.ts), limit, descending, include_docs, conflicts,
 * style, timeout, heartbeat, filter=_doc_ids|_selector|_view|_design|ddoc/name.
 */
import type { Request, Response } from 'express';
import type { LiveFeeds } from './live-feeds';
import { pouchFailure, type PouchChangeRow, type PouchDb } from './pouch';
import { encodeSeq, MALFORMED_SINCE_REASON, resolveSince } from './seq';
import { rawQuery } from './raw-query';

/** CouchDB's default (chttpd changes_timeout). */
const DEFAULT_TIMEOUT_MS = 60_000;

class BadRequest extends Error {}
class NotFound extends Error {}

export interface ChangesRouteContext {
  db: PouchDb;
  /** The database's PouchDB instance id: the identity part of its sequences. */
  instanceId: string;
  feeds: LiveFeeds;
}

export async function serveChanges(req: Request, res: Response, context: ChangesRouteContext): Promise<void> {
  let plan: FeedPlan;
  try {
    plan = await planFeed(req, context);
  } catch (error) {
    if (error instanceof BadRequest) return void res.status(400).json({ error: 'bad_request', reason: error.message });
    if (error instanceof NotFound) return void res.status(404).json({ error: 'not_found', reason: error.message });
    const failure = pouchFailure(error);
    return void res.status(failure.status).json({ error: failure.error, reason: failure.reason });
  }
  if (plan.feed === 'continuous') return continuous(req, res, context, plan);
  try {
    const first = await context.db.changes({ ...plan.options, since: plan.since, live: false });
    if (first.results.length > 0 || plan.feed === 'normal') {
      return void res.status(200).json(batch(first.results, first.last_seq, context.instanceId));
    }
    return longpoll(res, context, plan, first.last_seq);
  } catch (error) {
    const failure = pouchFailure(error);
    if (!res.headersSent) res.status(failure.status).json({ error: failure.error, reason: failure.reason });
    else res.end();
  }
}

interface FeedPlan {
  feed: 'normal' | 'longpoll' | 'continuous';
  since: number;
  limit?: number;
  /** Milliseconds to wait for a change; Infinity when a heartbeat keeps the feed alive (CouchDB's rule). */
  timeoutMs: number;
  heartbeatMs?: number;
  options: Record<string, unknown>;
}

async function planFeed(req: Request, context: ChangesRouteContext): Promise<FeedPlan> {
  const query: Record<string, unknown> = rawQuery(req);
  const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
  const text = (name: string): string | undefined => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
  const flag = (name: string): boolean => text(name) === 'true';
  const count = (name: string): number | undefined => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new BadRequest(`Invalid value for ${name}: ${raw}`);
    return value;
  };

  const feed = text('feed') ?? 'normal';
  if (feed !== 'normal' && feed !== 'longpoll' && feed !== 'continuous') {
    throw new BadRequest(`Supported feeds are normal, longpoll and continuous, not ${feed}`);
  }
  const options: Record<string, unknown> = {
    include_docs: flag('include_docs'),
    conflicts: flag('conflicts'),
    descending: flag('descending'),
    style: text('style') === 'all_docs' ? 'all_docs' : 'main_only',
    return_docs: true,
  };
  const limit = count('limit');
  if (limit !== undefined) options.limit = Math.max(1, limit);
  await addFilter(options, text('filter'), query, body, context.db);

  const heartbeatRaw = text('heartbeat');
  const heartbeatMs = heartbeatRaw === undefined || heartbeatRaw === 'false' ? undefined : heartbeatRaw === 'true' ? DEFAULT_TIMEOUT_MS : count('heartbeat');
  const timeoutMs = heartbeatMs !== undefined ? Infinity : (count('timeout') ?? DEFAULT_TIMEOUT_MS);

  const info = await context.db.info();
  const since = resolveSince(query.since, context.instanceId, Number(info.update_seq));
  if (!since.ok) throw new BadRequest(MALFORMED_SINCE_REASON);
  return { feed, since: since.seq, limit: options.limit as number | undefined, timeoutMs, heartbeatMs, options };
}

async function addFilter(
  options: Record<string, unknown>,
  filter: string | undefined,
  query: Record<string, unknown>,
  body: Record<string, unknown>,
  db: PouchDb,
): Promise<void> {
  const json = (name: string): unknown => {
    if (body[name] !== undefined) return body[name];
    if (typeof query[name] !== 'string') return undefined;
    try {
      return JSON.parse(query[name] as string);
    } catch {
      throw new BadRequest(`Invalid JSON in ${name}`);
    }
  };
  if (filter === undefined) {
    // express-pouchdb honoured doc_ids in the body without the filter; keep that for old clients.
    if (Array.isArray(body.doc_ids)) Object.assign(options, { filter: '_doc_ids', doc_ids: body.doc_ids });
    return;
  }
  switch (filter) {
    case '_doc_ids': {
      const ids = json('doc_ids');
      if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw new BadRequest('filter=_doc_ids needs doc_ids, a list of strings');
      Object.assign(options, { filter: '_doc_ids', doc_ids: ids });
      return;
    }
    case '_selector': {
      const selector = json('selector');
      if (typeof selector !== 'object' || selector === null || Array.isArray(selector)) throw new BadRequest('Selector must be specified in POST payload');
      Object.assign(options, { selector });
      return;
    }
    case '_design':
      options.filter = (doc: { _id: string }): boolean => doc._id.startsWith('_design/');
      return;
    case '_view': {
      const view = typeof query.view === 'string' ? query.view : '';
      const [ddoc, name] = splitDesignPath(view, 'view');
      await requireDesignMember(db, ddoc, 'views', name);
      Object.assign(options, { filter: '_view', view: `${ddoc}/${name}` });
      return;
    }
    default: {
      if (filter.startsWith('_')) throw new BadRequest(`unknown builtin filter name: ${filter}`);
      const [ddoc, name] = splitDesignPath(filter, 'filter');
      await requireDesignMember(db, ddoc, 'filters', name);
      Object.assign(options, { filter: `${ddoc}/${name}`, query_params: { ...query } });
    }
  }
}

function splitDesignPath(path: string, what: string): [string, string] {
  const parts = path.split('/');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new BadRequest(`\`${what}\` must be of the form \`designname/${what}name\``);
  return [parts[0], parts[1]];
}

/** A missing design document or function is CouchDB's 404, where express-pouchdb crashed the process. */
async function requireDesignMember(db: PouchDb, ddoc: string, section: 'filters' | 'views', name: string): Promise<void> {
  let design: Record<string, unknown>;
  try {
    design = await db.get(`_design/${ddoc}`);
  } catch {
    throw new NotFound('missing');
  }
  const members = design[section];
  if (typeof members !== 'object' || members === null || !(name in members)) throw new NotFound(`missing json key: ${name}`);
}

function row(change: PouchChangeRow, instanceId: string): Record<string, unknown> {
  return { ...change, seq: encodeSeq(Number(change.seq), instanceId) };
}

function batch(results: PouchChangeRow[], lastSeq: number | string, instanceId: string): Record<string, unknown> {
  return { results: results.map((change) => row(change, instanceId)), last_seq: encodeSeq(Number(lastSeq), instanceId), pending: 0 };
}

/** Waits for the first change after `since`, or answers empty at the timeout; stops when the client leaves. */
function longpoll(res: Response, context: ChangesRouteContext, plan: FeedPlan, since: number | string): void {
  const live = context.db.changes({ ...withoutLimit(plan.options), since, live: true, return_docs: false });
  let done = false;
  const finish = (body?: Record<string, unknown>): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    clearInterval(heartbeat);
    release();
    live.cancel();
    if (body === undefined || res.writableEnded || res.destroyed) return;
    if (res.headersSent) res.end(JSON.stringify(body));
    else res.status(200).json(body);
  };
  const release = context.feeds.add(() => finish());
  const timer = plan.timeoutMs === Infinity ? undefined : setTimeout(() => finish(batch([], since, context.instanceId)), plan.timeoutMs);
  const heartbeat = plan.heartbeatMs === undefined ? undefined : setInterval(() => beat(res), plan.heartbeatMs);
  live.on('change', (change) => finish(batch([change], change.seq, context.instanceId)));
  live.on('error', (error) => {
    const failure = pouchFailure(error);
    if (!res.headersSent) res.status(failure.status);
    finish({ error: failure.error, reason: failure.reason });
  });
  res.on('close', () => finish());
}

/** One JSON line per change; at the timeout or the limit, a last line with last_seq, as CouchDB ends. */
function continuous(_req: Request, res: Response, context: ChangesRouteContext, plan: FeedPlan): void {
  res.status(200).setHeader('Content-Type', 'application/json');
  res.flushHeaders();
  let lastSeq: number | string = plan.since;
  let sent = 0;
  let done = false;
  const live = context.db.changes({ ...withoutLimit(plan.options), since: plan.since, live: true, return_docs: false });
  const finish = (closing: boolean): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    clearInterval(heartbeat);
    release();
    live.cancel();
    if (closing && !res.writableEnded && !res.destroyed) res.end(`${JSON.stringify({ last_seq: encodeSeq(Number(lastSeq), context.instanceId), pending: 0 })}\n`);
  };
  const release = context.feeds.add(() => finish(true));
  let timer = plan.timeoutMs === Infinity ? undefined : setTimeout(() => finish(true), plan.timeoutMs);
  const heartbeat = plan.heartbeatMs === undefined ? undefined : setInterval(() => beat(res), plan.heartbeatMs);
  live.on('change', (change) => {
    if (done) return;
    lastSeq = change.seq;
    sent += 1;
    res.write(`${JSON.stringify(row(change, context.instanceId))}\n`);
    if (plan.limit !== undefined && sent >= plan.limit) return finish(true);
    // CouchDB's timeout counts idle time: every change restarts it.
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = setTimeout(() => finish(true), plan.timeoutMs);
    }
  });
  live.on('error', () => finish(true));
  res.on('close', () => finish(false));
}

/** Live feeds count their own rows: PouchDB's limit on a live feed would end it before CouchDB does. */
function withoutLimit(options: Record<string, unknown>): Record<string, unknown> {
  const { limit: _limit, ...rest } = options;
  return rest;
}

function beat(res: Response): void {
  if (!res.headersSent) {
    res.status(200).setHeader('Content-Type', 'application/json');
    res.flushHeaders();
  }
  if (!res.writableEnded && !res.destroyed) res.write('\n');
}
