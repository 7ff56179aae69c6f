/**
 * Brings a CouchDB (embedded or real, single node or cluster) to what knm and Kazoo expect, idempotently:
 * - the fixed databases (system_config, accounts, numbers/managed, numbers/inum, port_requests) exist
 *   [FACTS §2.1: kazoo_number_manager_maintenance init_dbs];
 * - system_config holds `number_manager` and `tasks` as Kazoo writes them, created only when missing: an
 *   operator's (or Kazoo's) existing configuration is never rewritten;
 * - every database holds its design documents (design-docs.ts). The fixed databases get theirs from
 *   couchdb-bootstrap; number and account databases, which are many and come and go, through the store client: one
 *   `_all_docs` read per database, and a write only for the design documents whose fingerprint differs. Account
 *   databases (Kazoo creates them) get Kazoo's account `_design/numbers` with `reconcile_services`.
 * Both ways compare content, so a second run writes nothing and a changed design document replaces the old one.
 */
import { promisify } from 'node:util';
import couchdbBootstrap from 'couchdb-bootstrap';
import { KnmError } from '../errors';
import { Classifiers, defaultNumberManagerDocument, readNumberManagerConfig } from '../config/number-manager';
import { isAccountDbName } from '../numbers/db-names';
import { defaultTasksDocument } from '../config/tasks';
import type { Store } from './client';
import type { StoreTarget } from './connection';
import { isStoreError } from './errors';
import type { CouchDoc } from './types';
import { accountDesignDocs } from './number-services-view';
import { FIXED_DATABASES, isCurrent, isNumbersDb, NUMBERS_DB_PREFIX, type DesignDoc, type DesignDocLibrary } from './design-docs';

export interface DesignDocDeployment {
  db: string;
  /** Design document ids written (new or replaced). */
  written: string[];
  /** Design document ids that were already current. */
  unchanged: string[];
}

export interface ConfigSeed {
  id: string;
  created: boolean;
}

export interface BootstrapReport {
  createdDbs: string[];
  config: ConfigSeed[];
  designDocs: DesignDocDeployment[];
  /** Databases whose design documents could not be deployed, with the reason (the others are done). */
  failures: { db: string; reason: string }[];
}

export interface BootstrapOptions {
  store: Store;
  /** Where couchdb-bootstrap connects (it opens its own connection): the same server as `store`. */
  target: Pick<StoreTarget, 'url' | 'user' | 'password'>;
  library: DesignDocLibrary;
  /** Gregorian seconds, stamped on configuration documents created now. */
  now: number;
  /** Progress lines for people (stderr in the CLI). */
  log?: (line: string) => void;
  /** Progress of the number databases, then of the account databases (RefreshOptions.step). */
  step?: RefreshOptions['step'];
  /** Number databases deployed at once (default 8). */
  concurrency?: number;
}

const DEFAULT_CONCURRENCY = 8;
const bootstrapAsync = promisify(couchdbBootstrap);

/** Everything, in order: databases, configuration, design documents of the fixed and then of every number database. */
export async function bootstrap(options: BootstrapOptions): Promise<BootstrapReport> {
  const { store, log = () => undefined } = options;
  const createdDbs: string[] = [];
  for (const db of FIXED_DATABASES) {
    if (await store.createDb(db)) {
      createdDbs.push(db);
      log(`created database ${db}`);
    }
  }
  const config = await seedConfig(store, options.now);
  for (const seed of config) if (seed.created) log(`wrote system_config/${seed.id} with Kazoo's defaults`);

  const fixed = await deployFixedDatabases(options);
  const refreshed = await refreshNumberDbs({ ...options, skip: new Set(fixed.map(({ db }) => db)) });
  const accounts = await refreshAccountDbs({ ...options, classifiers: await storedClassifiers(store) });
  return { createdDbs, config, designDocs: [...fixed, ...refreshed.designDocs, ...accounts.designDocs], failures: [...refreshed.failures, ...accounts.failures] };
}

/** The classifiers in force: system_config/number_manager as stored, Kazoo's defaults for what it lacks. */
async function storedClassifiers(store: Store): Promise<Classifiers> {
  return readNumberManagerConfig((await store.getOrNull('system_config', 'number_manager')) ?? undefined).config.classifiers;
}

/** The fixed databases' design documents, deployed by couchdb-bootstrap (it compares each with the stored one). */
async function deployFixedDatabases(options: BootstrapOptions): Promise<DesignDocDeployment[]> {
  const { library, log = () => undefined } = options;
  const source: Record<string, { _design: Record<string, DesignDoc> }> = {};
  for (const db of FIXED_DATABASES) {
    const docs = library.forDb(db);
    if (docs.length === 0) continue;
    source[db] = { _design: Object.fromEntries(docs.map((doc) => [doc._id.slice('_design/'.length), { ...doc }])) };
  }
  let result;
  try {
    result = await bootstrapAsync(urlWithCredentials(options.target), source, {});
  } catch (error) {
    throw new KnmError('unspecified_fault', 500, `couchdb-bootstrap failed: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'check that the CouchDB server is up and the credentials are an admin\'s',
      origin: error,
    });
  }
  const deployments: DesignDocDeployment[] = [];
  for (const [db, pushed] of Object.entries(result.push ?? {})) {
    const deployment: DesignDocDeployment = { db, written: [], unchanged: [] };
    for (const answer of pushed) (answer.unchanged === true ? deployment.unchanged : deployment.written).push(answer.id);
    if (deployment.written.length > 0) log(`${db}: wrote ${deployment.written.join(', ')}`);
    deployments.push(deployment);
  }
  return deployments;
}

function urlWithCredentials(target: BootstrapOptions['target']): string {
  if (target.user === undefined) return target.url;
  const url = new URL(target.url);
  url.username = encodeURIComponent(target.user);
  url.password = encodeURIComponent(target.password ?? '');
  return url.toString().replace(/\/$/, '');
}

export interface RefreshOptions {
  store: Store;
  library: DesignDocLibrary;
  log?: (line: string) => void;
  concurrency?: number;
  /** Databases already handled (bootstrap deploys the pools with couchdb-bootstrap). */
  skip?: ReadonlySet<string>;
  /**
   * Called after each database, written or failed, with the loop's unit (`number databases`, `account databases`):
   * a progress bar in the CLI. When given, only failures are logged line by line; what was written is in the report.
   */
  step?: (done: number, total: number, unit?: string) => void;
}

/**
 * (Re)deploys the design documents of every existing number database, whoever created it (Kazoo, a script,
 * Fauxton): Kazoo's refresh_numbers_dbs, plus knm's validation and views.
 */
export async function refreshNumberDbs(options: RefreshOptions): Promise<Pick<BootstrapReport, 'designDocs' | 'failures'>> {
  const { store, library, skip = new Set<string>() } = options;
  const dbs = (await store.listDbs()).filter((db) => isNumbersDb(db) && !skip.has(db)).sort();
  return deployToEach(dbs, (db) => library.forDb(db), 'number database', options);
}

export interface AccountRefreshOptions extends RefreshOptions {
  /** `classifiers` of system_config/number_manager: the `reconcile_services` view is generated from them. */
  classifiers: Classifiers;
}

/** Every account database (`account/xx/yy/…`, not the monthly ones), in name order. */
export async function listAccountDbs(store: Store): Promise<string[]> {
  return (await store.listDbs({ startkey: 'account/', endkey: 'account/\ufff0' })).filter(isAccountDbName).sort();
}

/**
 * Kazoo's account design documents (`_design/numbers` with its `reconcile_services`) in every existing account
 * database, as kapps_maintenance:refresh_account_db/1 installs them: what the reserved carriers' searches and the
 * account-side maintenance commands read. Account databases are Kazoo's to create: knm refreshes those that exist.
 */
export async function refreshAccountDbs(options: AccountRefreshOptions): Promise<Pick<BootstrapReport, 'designDocs' | 'failures'>> {
  const { store, library, classifiers } = options;
  const dbs = await listAccountDbs(store);
  return deployToEach(dbs, (db) => accountDesignDocs(library.forDb(db), classifiers), 'account database', options);
}

/** Deploys to many databases at once (a few at a time); a database that fails is reported and the others go on. */
async function deployToEach(
  dbs: readonly string[],
  wantedFor: (db: string) => DesignDoc[],
  noun: string,
  options: Pick<RefreshOptions, 'store' | 'log' | 'concurrency' | 'step'>,
): Promise<Pick<BootstrapReport, 'designDocs' | 'failures'>> {
  const { store, log = () => undefined, step } = options;
  if (step === undefined) log(`${dbs.length} ${noun}${dbs.length === 1 ? '' : 's'} to check`);
  const designDocs: DesignDocDeployment[] = [];
  const failures: BootstrapReport['failures'] = [];
  let done = 0;
  await eachLimited(dbs, options.concurrency ?? DEFAULT_CONCURRENCY, async (db) => {
    try {
      const deployment = await deployDesignDocs(store, db, wantedFor(db));
      designDocs.push(deployment);
      if (deployment.written.length > 0 && step === undefined) log(`${db}: wrote ${deployment.written.join(', ')}`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      failures.push({ db, reason });
      log(`${db}: failed: ${reason}`);
    }
    done += 1;
    if (step !== undefined) step(done, dbs.length, `${noun}s`);
    else if (done % 500 === 0) log(`${done}/${dbs.length} ${noun}s checked`);
  });
  designDocs.sort((a, b) => (a.db < b.db ? -1 : a.db > b.db ? 1 : 0));
  return { designDocs, failures };
}

/** Writes the design documents of one database that are missing or differ from the wanted ones. */
export async function deployDesignDocs(store: Store, db: string, wanted: readonly DesignDoc[]): Promise<DesignDocDeployment> {
  const deployment: DesignDocDeployment = { db, written: [], unchanged: [] };
  let pending = [...wanted];
  // A second round only when another worker deployed the same document between our read and our write.
  for (let round = 0; round < 2 && pending.length > 0; round += 1) {
    const stored = await store.getMany(db, pending.map((doc) => doc._id));
    const writes: CouchDoc[] = [];
    pending.forEach((doc, index) => {
      const row = stored[index];
      if (row.ok && isCurrent(row.doc, doc)) deployment.unchanged.push(doc._id);
      else writes.push(row.ok ? { ...doc, _rev: row.doc._rev } : { ...doc });
    });
    if (writes.length === 0) return deployment;
    const results = await store.bulkDocs(db, writes);
    const conflicted = new Set<string>();
    for (const result of results) {
      if (result.ok) deployment.written.push(result.id);
      else if (result.error === 'conflict') conflicted.add(result.id);
      else {
        throw new KnmError('unspecified_fault', 500, `could not write ${result.id} in ${db}: ${result.error}${result.reason !== undefined ? ` (${result.reason})` : ''}`, {
          hint: 'design documents need a server admin: check the credentials knm uses',
        });
      }
    }
    pending = pending.filter((doc) => conflicted.has(doc._id));
  }
  if (pending.length > 0) {
    throw new KnmError('conflict', 409, `${db}: ${pending.map((doc) => doc._id).join(', ')} kept changing while being deployed`, {
      hint: 'another deployment is running against this database; run knm refresh-numbers-dbs again once it is done',
    });
  }
  return deployment;
}

/**
 * A number database on demand (Kazoo's save_to/3: create it on not_found, install its design documents, retry):
 * runs `write`, and if the database does not exist creates it with its design documents and runs `write` again.
 */
export async function withNumberDb<T>(store: Store, library: DesignDocLibrary, db: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isMissingDb(error, db)) throw error;
  }
  await ensureNumberDb(store, library, db);
  return write();
}

/** Creates a number database if it is missing and makes sure its design documents are current. */
export async function ensureNumberDb(store: Store, library: DesignDocLibrary, db: string): Promise<DesignDocDeployment> {
  if (!isNumbersDb(db)) throw new KnmError('invalid', 400, `${db} is not a number database (its name starts with ${NUMBERS_DB_PREFIX})`);
  await store.createDb(db);
  return deployDesignDocs(store, db, library.forDb(db));
}

function isMissingDb(error: unknown, db: string): boolean {
  return isStoreError(error) && error.status === 404 && error.db === db && (error.docId === undefined || error.reason === 'no_db_file' || error.reason === 'Database does not exist.');
}

const LEGACY_TASKS_KEYS = ['discovery_expiry_d', 'aging_expiry_d', 'crawler_timer_ms'] as const;

/**
 * `system_config/number_manager` and `tasks`, written whole with Kazoo's defaults when missing, else left as they
 * are (knm reads missing keys as their code defaults, as Kazoo does). A new `tasks` takes over the 3.x values kept
 * in `number_manager` section by section, as kapps_config:migrate/0 moves them [FACTS §7.4].
 */
export async function seedConfig(store: Store, now: number): Promise<ConfigSeed[]> {
  const numberManager = await store.getOrNull('system_config', 'number_manager');
  const seeds: ConfigSeed[] = [];
  seeds.push({ id: 'number_manager', created: numberManager === null && (await createIfMissing(store, defaultNumberManagerDocument({ now }) as CouchDoc)) });

  const tasks = defaultTasksDocument({ now }) as CouchDoc;
  for (const [section, values] of Object.entries(numberManager ?? {})) {
    if (section.startsWith('_') || section.startsWith('pvt_') || typeof values !== 'object' || values === null || Array.isArray(values)) continue;
    const legacy = Object.fromEntries(LEGACY_TASKS_KEYS.filter((key) => key in values).map((key) => [key, (values as Record<string, unknown>)[key]]));
    if (Object.keys(legacy).length === 0) continue;
    const current = tasks[section];
    tasks[section] = { ...(typeof current === 'object' && current !== null ? current : {}), ...legacy };
  }
  const existingTasks = await store.getOrNull('system_config', 'tasks');
  seeds.push({ id: 'tasks', created: existingTasks === null && (await createIfMissing(store, tasks)) });
  return seeds;
}

/** True if written; false if someone else wrote it first (another worker bootstrapping at the same time). */
async function createIfMissing(store: Store, doc: CouchDoc): Promise<boolean> {
  try {
    await store.put('system_config', doc);
    return true;
  } catch (error) {
    if (isStoreError(error) && error.status === 409) return false;
    throw error;
  }
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await work(item);
    }
  });
  await Promise.all(workers);
}
