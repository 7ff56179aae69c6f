/**
 * The embedded CouchDB-compatible server: express-pouchdb over PouchDB (leveldb on disk, or memory for
 * tests), served over HTTP on loopback so that knm's one client, curl, Kazoo tools and Fauxton-like
 * clients all use it exactly as they would use CouchDB.
 *
 * express-pouchdb 4.2 falls short of CouchDB in ways knm depends on (DESIGN.md, "What the embedded server
 * does not do"); the routes here mend each one, in front of express-pouchdb or in place of its own route
 * (after its authentication, so they answer only whom CouchDB would):
 *  - database names keep their `/` (db-names.ts), and `_all_dbs` lists real names with CouchDB's ranges;
 *  - `_changes` honours timeout, cancels abandoned feeds, refuses unknown filters cleanly and rewinds an
 *    unknown `since` (changes-route.ts, seq.ts);
 *  - `_db_updates` exists (db-updates.ts);
 *  - validate_doc_update (run by validation.ts in place of express-pouchdb's pouchdb-validation: 403/401 with the reason, per
 *    document in `_bulk_docs`) sees the real database name and the security object everywhere, and
 *    `_bulk_docs` answers in input order (validation.ts, and bulk-docs-order.ts for the system databases);
 *  - `_all_docs` with keys reads the range of its keys once instead of once per key (keys-scan.ts);
 *  - reduce results are kept per database state instead of re-reduced on every query (view-cache.ts);
 *  - map and reduce functions run as CouchDB runs them: non-strict, sandboxed, compiled once per source
 *    (couch-views.ts, view-functions.ts), and so do validate functions, compiled once per database until a
 *    design document changes, with `_bulk_docs` reading its old documents in one keys query (validation.ts);
 *  - closing ends the view builds in hand before the databases close, so no build is left waiting forever
 *    on a closed database in PouchDB's process-wide view queues (couch-views.ts);
 *  - an anonymous request reuses the anonymous session instead of reading the `_users` database each time
 *    (anonymous-session.ts);
 *  - creating a database once an admin exists answers 401 instead of crashing, and a process-level guard
 *    survives anything else express-pouchdb throws (crash-guard.ts);
 *  - several servers in one process keep apart databases of the same name: each hears only its own databases'
 *    creations and deletions, and a database deleted on one is not taken for deleted on another (own-events.ts).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import expressPouchDB from 'express-pouchdb';
import { getOrCreateDB } from 'express-pouchdb/lib/create-or-delete-dbs';
import PouchDB from 'pouchdb';
import memoryAdapter from 'pouchdb-adapter-memory';
import { serveAllDbs } from './embedded/all-dbs-route';
import { reuseAnonymousSession } from './embedded/anonymous-session';
import { giveIds, inInputOrder } from './embedded/bulk-docs-order';
import { serveChanges } from './embedded/changes-route';
import { holdCrashGuard } from './embedded/crash-guard';
import { scanKeysInOneRange } from './embedded/keys-scan';
import { fromStorageName, illegalDbNameReason, isLegalDbName, toStorageName } from './embedded/db-names';
import { DbUpdatesLog, serveDbUpdates } from './embedded/db-updates';
import { LiveFeeds } from './embedded/live-feeds';
import { announce, hearOnlyOwnDestruction, isOwnAnnouncement } from './embedded/own-events';
import type { PouchDb } from './embedded/pouch';
import { encodeSeq } from './embedded/seq';
import { rawQuery } from './embedded/raw-query';
import { readRefusal, type UserContext } from './embedded/read-access';
import { ViewResultCache } from './embedded/view-cache';
import { useCouchViewFunctions } from './embedded/couch-views';
import { ViewFunctions } from './embedded/view-functions';
import { useCachedValidation } from './embedded/validation';
import { dbEventOf } from './embedded/write-events';

export interface EmbeddedServerOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Where leveldb keeps the databases; created if missing. Ignored when `inMemory`. */
  dataDir?: string;
  /** Keep everything in memory (tests). */
  inMemory?: boolean;
  /** Where the server's own notices go (default: stderr). */
  log?: (line: string) => void;
}

export interface EmbeddedServer {
  url: string;
  port: number;
  /** Live feeds still open: the routes' own count, and PouchDB's (one 'destroyed' listener per live feed). */
  stats(): {
    openFeeds: number;
    pouchFeeds: number;
    viewCache: { hits: number; misses: number };
    viewFunctions: { compilations: number };
    /** How many times a database's set of validate functions was read and compiled (once, then after each design document write). */
    validateSets: number;
    /** View queries in hand. */
    viewQueries: number;
  };
  close(): Promise<void>;
}

interface PouchStatics {
  allDbs(): Promise<string[]>;
  new: (name: string, options?: unknown) => unknown;
  __dbCacheMap?: Map<string, PouchDb & { close(): Promise<void> }>;
}

interface DbCreation {
  info(callback: (error: unknown, info?: unknown) => void): void;
}

const JSON_LIMIT = '4gb';

export async function startEmbeddedServer(options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dataDir = options.inMemory ? undefined : path.resolve(options.dataDir ?? './data');
  const Pouch = createPouch(dataDir);
  const viewFunctions = new ViewFunctions({ log });
  const viewWork = useCouchViewFunctions(Pouch, viewFunctions);
  const statics = Pouch as unknown as PouchStatics;

  const pouchApp = expressPouchDB({
    mode: 'fullCouchDB',
    // A log line per request costs more than the request on small writes (errors still reach the log);
    // gzip on loopback costs CPU for nothing and would hold back the lines of continuous feeds.
    // In memory there is no folder to measure: disk-size would stat a missing path on every request (each one's
    // session reads the _users database's info) and report no disk_size anyway.
    overrideMode: { exclude: ['routes/http-log', 'compression', ...(dataDir === undefined ? ['disk-size'] : [])] },
    // On disk, the server's configuration (admins among it) is kept beside the data, as CouchDB keeps local.ini.
    ...(dataDir === undefined
      ? { inMemoryConfig: true, logPath: os.devNull }
      : { configPath: path.join(dataDir, 'config.json'), logPath: path.join(dataDir, 'log.txt') }),
  });
  // express-pouchdb fills validate_doc_update's userCtx.db from `_db_name`, which PouchDB 9 no longer sets:
  // give it the real CouchDB name, so validation sees `numbers/+1415` as it would under CouchDB.
  pouchApp.dbWrapper.registerWrapper((storageName, db, next) => {
    (db as { _db_name?: string })._db_name = fromStorageName(storageName);
    scanKeysInOneRange(db);
    return next();
  });
  const sharedEvents = Pouch as unknown as SharedEvents;
  const { own, ownListeners } = await oneSetupAtATime(async () => {
    const listenersBefore = snapshotListeners(sharedEvents);
    const tracked = trackOwnDbs(sharedEvents, Pouch);
    await pouchApp.setPouchDB(Pouch);
    reuseAnonymousSession(pouchApp);
    return { own: tracked, ownListeners: hearOnlyOwnEvents(sharedEvents, listenersAddedSince(sharedEvents, listenersBefore), Pouch) };
  });
  // After setPouchDB: express-pouchdb's validation daemon has just put pouchdb-validation on the class.
  const validation = useCachedValidation(Pouch, viewFunctions);
  listOnlyOwnDbs(statics, (name) => (dataDir !== undefined ? fs.existsSync(path.join(dataDir, name)) : own.opened.has(name)));
  answerDbCreationFailures(statics);

  const feeds = new LiveFeeds();
  const updates = new DbUpdatesLog();
  const viewCache = new ViewResultCache();
  const instanceIds = new WeakMap<object, string>();
  const storedNames = (): Promise<string[]> => statics.allDbs();

  async function openDb(storageName: string): Promise<PouchDb | undefined> {
    if (!(await storedNames()).includes(storageName)) return undefined;
    const db = (await getOrCreateDB(Pouch, storageName)) as PouchDb;
    // Each live feed holds listeners on its database; many readers of one database are normal here.
    db.setMaxListeners(0);
    return db;
  }

  async function instanceIdOf(db: PouchDb): Promise<string> {
    const known = instanceIds.get(db);
    if (known !== undefined) return known;
    const id = (await db.id()).replace(/-/g, '');
    instanceIds.set(db, id);
    return id;
  }

  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => routeDatabaseName(req, res, next, updates));
  app.get('/', welcomeAsCouchDB);
  app.get('/_all_dbs', (req, res, next) => serveAllDbs(req, res, storedNames).catch(next));
  app.post('/:db/_bulk_docs', jsonBody, (req, res, next) => passSecurityObject(req, openDb).then(() => answerInInputOrder(req, res, next), next));
  app.delete('/:db', (req, res, next) => refuseMissingDb(req, res, next, storedNames).catch(next));
  app.post('/:db', (req, res, next) => (isDbName(req.params.db) ? jsonBody(req, res, () => giveCouchId(req, next)) : next()));
  app.get('/:db', (req, res, next) => rewriteDbInfo(req, res, next, openDb, instanceIdOf).catch(next));
  app.use(pouchApp);

  // These run inside express-pouchdb, in place of its own routes: after its authentication and its
  // checks (server admin for _db_updates, database exists), so they answer only whom CouchDB would.
  const readable = async (req: Request, res: Response, db: PouchDb): Promise<boolean> => {
    const refusal = readRefusal(sessionUser(req), await securityObjectOf(db));
    if (refusal !== undefined) res.status(refusal.status).json(refusal.body);
    return refusal === undefined;
  };
  const changes = async (req: Request, res: Response): Promise<void> => {
    const db = await openDb(req.params.db);
    if (db === undefined) return void res.status(404).json({ error: 'not_found', reason: 'Database does not exist.' });
    if (!(await readable(req, res, db))) return;
    await serveChanges(req, res, { db, instanceId: await instanceIdOf(db), feeds });
  };
  const failed = (res: Response) => (error: unknown): void => answerFailure(res, error, log);
  takeOverRoute(pouchApp, 'all', '/_db_updates', (req, res) => serveDbUpdates(req, res, updates, feeds));
  takeOverRoute(pouchApp, 'get', '/:db/_changes', (req, res) => void changes(req, res).catch(failed(res)));
  takeOverRoute(pouchApp, 'post', '/:db/_changes', jsonBody, (req, res) => void changes(req, res).catch(failed(res)));
  takeOverRoute(pouchApp, 'all', '/:db/_design/:id/_view/:view', (req, res, next) =>
    void serveReduceFromCache(req, res, next, viewCache, openDb, instanceIdOf, readable).catch(failed(res)),
  );
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => answerFailure(res, error, log));

  const releaseGuard = holdCrashGuard(log);
  const server = http.createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
  } catch (error) {
    releaseGuard();
    await viewWork.stop();
    await closeDbs(statics);
    removeListeners(sharedEvents, ownListeners);
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    stats: () => ({
      openFeeds: feeds.count,
      pouchFeeds: [...(statics.__dbCacheMap?.values() ?? [])].reduce((sum, db) => sum + db.listenerCount('destroyed'), 0),
      viewCache: { hits: viewCache.hits, misses: viewCache.misses },
      viewFunctions: { compilations: viewFunctions.compilations },
      validateSets: validation.compiledSets(),
      viewQueries: viewWork.inHand,
    }),
    close() {
      closing ??= (async () => {
        feeds.cancelAll();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        // Before the databases close: a view build cut off by a closed database would block that view in every later server of the process (couch-views.ts).
        await viewWork.stop();
        await closeDbs(statics);
        removeListeners(sharedEvents, ownListeners);
        releaseGuard();
      })();
      return closing;
    },
  };
}

/** A failure of the server's own routes: logged, and answered as CouchDB answers its internal errors. */
function answerFailure(res: Response, error: unknown, log: (line: string) => void): void {
  log(`knm embedded store: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  if (!res.headersSent) res.status(500).json({ error: 'unknown_error', reason: error instanceof Error ? error.message : String(error) });
  else res.end();
}

let memoryAdapterLoaded = false;

function createPouch(dataDir: string | undefined): unknown {
  if (dataDir === undefined) {
    if (!memoryAdapterLoaded) PouchDB.plugin(memoryAdapter);
    memoryAdapterLoaded = true;
    // memdown keeps stores per name for the whole process: a prefix of its own keeps each server apart.
    return PouchDB.defaults({ adapter: 'memory', prefix: `knm-${randomUUID()}-` } as PouchDB.Configuration.DatabaseConfiguration);
  }
  fs.mkdirSync(dataDir, { recursive: true });
  // Named, not left to PouchDB: once the memory adapter is loaded in the process it becomes the default.
  return PouchDB.defaults({ adapter: 'leveldb', prefix: `${dataDir}${path.sep}` } as PouchDB.Configuration.DatabaseConfiguration);
}

/**
 * PouchDB has one event emitter for the whole process, shared by every `PouchDB.defaults` class: the
 * `created` and `destroyed` events that pouchdb-all-dbs (inside express-pouchdb) turns into the list of
 * databases reach every embedded server in the process, and their listeners outlive the server. So each
 * server removes the listeners it added when it closes, and lists only the databases that are its own:
 * on disk, those with a folder under its data directory; in memory, those its own class opened.
 */
interface SharedEvents {
  on(event: string, listener: (...args: unknown[]) => void): void;
  listeners(event: string): ((...args: unknown[]) => void)[];
  removeListener(event: string, listener: (...args: unknown[]) => void): void;
}

type OwnListener = { event: string; listener: (...args: unknown[]) => void };

const POUCH_EVENTS = ['created', 'destroyed', 'ref', 'unref'];

let setups: Promise<unknown> = Promise.resolve();

/**
 * A server's listeners are told from the others' by what the shared emitter gained while express-pouchdb set up
 * its class: two servers setting up at once took each other's listeners (and each heard the other's databases).
 */
function oneSetupAtATime<T>(setup: () => Promise<T>): Promise<T> {
  const done = setups.then(setup);
  setups = done.catch(() => undefined);
  return done;
}

function snapshotListeners(events: SharedEvents): Map<string, Set<unknown>> {
  return new Map(POUCH_EVENTS.map((event) => [event, new Set<unknown>(events.listeners(event))]));
}

function listenersAddedSince(events: SharedEvents, before: Map<string, Set<unknown>>): OwnListener[] {
  return POUCH_EVENTS.flatMap((event) =>
    events.listeners(event).filter((listener) => !before.get(event)?.has(listener)).map((listener) => ({ event, listener })),
  );
}

function removeListeners(events: SharedEvents, own: OwnListener[]): void {
  for (const { event, listener } of own) events.removeListener(event, listener);
}

interface OwnDbs {
  /** Names this server's own PouchDB class opened. */
  opened: Set<string>;
}

/**
 * Follows this server's own databases: PouchDB announces each new database object as `ref`, and each
 * object emits `created` or `destroyed` on itself right before the process-wide announcement.
 */
function trackOwnDbs(events: SharedEvents, Pouch: unknown): OwnDbs {
  const own: OwnDbs = { opened: new Set() };
  events.on('ref', (...args: unknown[]) => {
    const db = args[0] as (NodeJS.EventEmitter & { constructor?: unknown; name?: unknown }) | undefined;
    if (db === undefined || db.constructor !== Pouch || typeof db.name !== 'string') return;
    const name = db.name;
    own.opened.add(name);
    hearOnlyOwnDestruction(db as NodeJS.EventEmitter & { name: string }, Pouch);
    db.prependOnceListener('created', () => announce(Pouch, 'created', name));
    db.prependOnceListener('destroyed', (fromConstructor?: unknown) => {
      if (fromConstructor !== true) announce(Pouch, 'destroyed', name);
    });
  });
  return own;
}

/** Replaces this server's `created` / `destroyed` listeners with ones that hear only its own databases. */
function hearOnlyOwnEvents(events: SharedEvents, added: OwnListener[], Pouch: unknown): OwnListener[] {
  return added.map(({ event, listener }) => {
    if (event !== 'created' && event !== 'destroyed') return { event, listener };
    const filtered = (...args: unknown[]): void => {
      if (!isOwnAnnouncement(Pouch, event, args[0])) return;
      listener(...args);
    };
    events.removeListener(event, listener);
    events.on(event, filtered);
    return { event, listener: filtered };
  });
}

function listOnlyOwnDbs(statics: PouchStatics, belongs: (name: string) => boolean): void {
  const listAll = statics.allDbs.bind(statics);
  statics.allDbs = ((callback?: (error: unknown, names?: string[]) => void) => {
    const own = listAll().then((names) => names.filter(belongs));
    if (typeof callback === 'function') own.then((names) => callback(null, names), (error: unknown) => callback(error));
    return own;
  }) as PouchStatics['allDbs'];
}

/**
 * Maps the database segment of the URL to its storage name before express-pouchdb sees it, refuses names
 * CouchDB refuses, and notes each successful write for `_db_updates`.
 */
function routeDatabaseName(req: Request, res: Response, next: NextFunction, updates: DbUpdatesLog): void {
  const queryAt = req.url.indexOf('?');
  const pathname = queryAt === -1 ? req.url : req.url.slice(0, queryAt);
  const search = queryAt === -1 ? '' : req.url.slice(queryAt);
  const raw = pathname.split('/').slice(1);
  if (raw.length === 0 || raw[0] === '') return next();
  let segments: string[];
  try {
    segments = raw.map((segment) => decodeURIComponent(segment));
  } catch {
    return void res.status(400).json({ error: 'bad_request', reason: 'invalid percent-encoding in the URL' });
  }
  const dbName = segments[0];
  if (dbName.startsWith('_') && dbName !== '_users' && dbName !== '_replicator') return next();
  if (req.method === 'PUT' && segments.length === 1 && !isLegalDbName(dbName)) {
    return void res.status(400).json({ error: 'illegal_database_name', reason: illegalDbNameReason(dbName) });
  }
  req.url = `/${[encodeURIComponent(toStorageName(dbName)), ...raw.slice(1)].join('/')}${search}`;
  // express-pouchdb's vhost and rewrite handlers rebuild the URL from originalUrl.
  req.originalUrl = req.url;
  res.on('finish', () => {
    const type = dbEventOf(req.method, segments, res.statusCode);
    if (type !== undefined) updates.record(dbName, type);
  });
  next();
}

/** Parses a JSON body whatever its content type (as CouchDB's own clients assume), answering bad JSON as CouchDB. */
function jsonBody(req: Request, res: Response, next: NextFunction): void {
  express.json({ limit: JSON_LIMIT, type: () => true, strict: false })(req, res, (error?: unknown) => {
    if (error !== undefined && error !== null) {
      const status = (error as { status?: number }).status === 413 ? 413 : 400;
      return void res.status(status).json(status === 413 ? { error: 'too_large', reason: 'the request entity is too large' } : { error: 'bad_request', reason: 'invalid UTF-8 JSON' });
    }
    next();
  });
}

/**
 * validation.ts answers every database in input order; `_users` and `_replicator` keep the validation their plugins
 * install (pouchdb-auth's pouchdb-validation), which puts refused documents first: only their answers are put back
 * in order, which costs a parse and a serialization of the answer.
 */
function answerInInputOrder(req: Request, res: Response, next: NextFunction): void {
  const body = req.body as { docs?: unknown } | undefined;
  if (!req.params.db.startsWith('_') || !Array.isArray(body?.docs)) return next();
  const ids = giveIds(body.docs);
  rewriteJsonResponse(res, (answer) => (Array.isArray(answer) ? inInputOrder(ids, answer) : answer));
  next();
}

/** CouchDB's root answers `{"couchdb":"Welcome", …}`; clients (nano, Kazoo, Fauxton) look for it. */
function welcomeAsCouchDB(_req: Request, res: Response, next: NextFunction): void {
  rewriteJsonResponse(res, (answer) =>
    typeof answer === 'object' && answer !== null ? { couchdb: 'Welcome', ...answer, features: [] } : answer,
  );
  next();
}

/**
 * express-pouchdb reads the database's security object only for the routes it lists after `_bulk_docs`,
 * so validate_doc_update got an empty secObj there. Read it (pouchdb-security keeps it in `_local/_security`).
 */
async function passSecurityObject(req: Request, openDb: (storageName: string) => Promise<PouchDb | undefined>): Promise<void> {
  const db = await openDb(req.params.db);
  if (db === undefined) return;
  (req as Request & { couchSecurityObj?: unknown }).couchSecurityObj = await securityObjectOf(db);
}

/** pouchdb-security keeps a database's security object in `_local/_security`. */
async function securityObjectOf(db: PouchDb): Promise<unknown> {
  const stored = await db.get('_local/_security').catch(() => ({ security: {} }));
  return (stored as { security?: unknown }).security ?? {};
}

/** Who is asking, as express-pouchdb's authentication found out (admin party: everyone is admin). */
function sessionUser(req: Request): UserContext | undefined {
  return (req as Request & { couchSession?: { userCtx?: UserContext } }).couchSession?.userCtx;
}

type Handler = (req: Request, res: Response, next: NextFunction) => void;

/**
 * Puts `handlers` in express-pouchdb's router just before its own route for `method path`, so they run
 * after its authentication and checks and its own route never sees the request.
 */
function takeOverRoute(pouchApp: expressPouchDB.App, method: 'get' | 'post' | 'all', routePath: string, ...handlers: Handler[]): void {
  const stack = (pouchApp as unknown as { _router: { stack: RouterLayer[] } })._router.stack;
  pouchApp[method](routePath, ...handlers);
  const added = stack.pop();
  let at = -1;
  for (let index = stack.length - 1; index >= 0 && at === -1; index -= 1) {
    const route = stack[index].route;
    // Express 4.22 records app.all as every method, earlier versions as `_all`.
    const handles = method === 'all' ? route?.methods._all === true || (route?.methods.get === true && route.methods.post === true && route.methods.delete === true) : route?.methods[method] === true;
    if (route?.path === routePath && handles) at = index;
  }
  if (added === undefined || at === -1) throw new Error(`express-pouchdb has no ${method} ${routePath} route to take over`);
  stack.splice(at, 0, added);
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** A reduce query (the view has a reduce and `reduce=false` is not asked) is answered from the cache when the database has not changed. */
async function serveReduceFromCache(
  req: Request,
  res: Response,
  next: NextFunction,
  cache: ViewResultCache,
  openDb: (storageName: string) => Promise<PouchDb | undefined>,
  instanceIdOf: (db: PouchDb) => Promise<string>,
  readable: (req: Request, res: Response, db: PouchDb) => Promise<boolean>,
): Promise<void> {
  if (req.method !== 'GET' || rawQuery(req).reduce === 'false') return next();
  const db = await openDb(req.params.db);
  if (db === undefined) return next();
  const design = await db.get(`_design/${req.params.id}`).catch(() => undefined);
  const views = design?.views as Record<string, { reduce?: unknown }> | undefined;
  if (typeof views?.[req.params.view]?.reduce !== 'string') return next();
  const state = `${await instanceIdOf(db)}:${(await db.info()).update_seq}`;
  const key = `${req.params.db}\n${req.url}`;
  const cached = cache.get(key, state);
  if (cached !== undefined) {
    if (await readable(req, res, db)) res.status(200).type('application/json').send(cached);
    return;
  }
  const send = res.send.bind(res);
  res.send = ((body?: unknown) => {
    if (res.statusCode === 200 && (Buffer.isBuffer(body) || typeof body === 'string')) cache.set(key, state, Buffer.from(body));
    return send(body);
  }) as Response['send'];
  next();
}

/** CouchDB answers 404 to deleting a database that is not there; PouchDB's destroy succeeds silently. */
async function refuseMissingDb(req: Request, res: Response, next: NextFunction, storedNames: () => Promise<string[]>): Promise<void> {
  if (!isDbName(req.params.db) || (await storedNames()).includes(req.params.db)) return next();
  res.status(404).json({ error: 'not_found', reason: 'Database does not exist.' });
}

/** `POST /{db}` without an `_id`: a CouchDB-style id (32 hex digits) rather than PouchDB's dashed uuid. */
function giveCouchId(req: Request, next: NextFunction): void {
  if (typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body)) giveIds([req.body]);
  next();
}

/** Database routes also match server endpoints such as `/_session`; those are not databases. */
function isDbName(segment: string): boolean {
  return !segment.startsWith('_') || segment === '_users' || segment === '_replicator';
}

/** `GET /{db}`: the real name and a sequence in the same form `_changes` gives. */
async function rewriteDbInfo(
  req: Request,
  res: Response,
  next: NextFunction,
  openDb: (storageName: string) => Promise<PouchDb | undefined>,
  instanceIdOf: (db: PouchDb) => Promise<string>,
): Promise<void> {
  const storageName = req.params.db;
  const db = isDbName(storageName) ? await openDb(storageName) : undefined;
  if (db === undefined) return next();
  const instanceId = await instanceIdOf(db);
  rewriteJsonResponse(res, (answer) => {
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return answer;
    const info = answer as Record<string, unknown>;
    if (typeof info.db_name !== 'string' || info.update_seq === undefined) return answer;
    return { ...info, db_name: fromStorageName(storageName), update_seq: encodeSeq(Number(info.update_seq), instanceId) };
  });
  next();
}

function rewriteJsonResponse(res: Response, rewrite: (answer: unknown) => unknown): void {
  const send = res.send.bind(res);
  res.send = ((body?: unknown) => {
    const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : undefined;
    if (text === undefined) return send(body);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return send(body);
    }
    return send(Buffer.from(JSON.stringify(rewrite(parsed))));
  }) as Response['send'];
}

/**
 * With an admin configured, pouchdb-security turns `PouchDB.new` into a promise, and express-pouchdb's
 * `PUT /{db}` then calls `.info` on that promise and crashes the process. Hand it something with `.info`
 * that reports the 401 (or the created database) the way the route expects.
 */
function answerDbCreationFailures(statics: PouchStatics): void {
  const create = statics.new;
  statics.new = function (this: unknown, name: string, options?: unknown): unknown {
    const made = create.call(this, name, options);
    if (typeof made !== 'object' || made === null || typeof (made as Partial<DbCreation>).info === 'function') return made;
    if (typeof (made as Partial<PromiseLike<unknown>>).then !== 'function') return made;
    const pending = made as PromiseLike<DbCreation>;
    const creation: DbCreation & { __opts: Record<string, never> } = {
      __opts: {},
      info(callback) {
        pending.then((db) => db.info(callback), (error: unknown) => callback(error));
      },
    };
    return creation;
  };
}

async function closeDbs(statics: PouchStatics): Promise<void> {
  const open = [...(statics.__dbCacheMap?.values() ?? [])];
  statics.__dbCacheMap?.clear();
  await Promise.all(open.map((db) => db.close().catch(() => undefined)));
}
