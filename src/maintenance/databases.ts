/**
 * Databases and views (maintenance-and-tasks.md §1.2): init_dbs creates the carrier pools and `port_requests` and
 * refreshes their design documents; refresh_numbers_db refreshes one number database named as Kazoo accepts it.
 * refresh_numbers_dbs is the store's refreshNumberDbs (knm refresh-numbers-dbs). register_views puts every view file
 * where it belongs (the fixed, number and account databases); update_number_services_view(Account) sets
 * `reconcile_services` in one account's `_design/numbers`.
 */
import type { Classifiers } from '../config/number-manager';
import { accountDbName } from '../numbers/db-names';
import { deployDesignDocs, refreshAccountDbs, refreshNumberDbs, type BootstrapReport, type DesignDocDeployment, type RefreshOptions } from '../store/bootstrap';
import type { Store } from '../store/client';
import { FIXED_DATABASES, type DesignDoc, type DesignDocLibrary } from '../store/design-docs';
import { ACCOUNT_NUMBERS_DESIGN_DOC, withNumberServicesView } from '../store/number-services-view';
import { numberDbOf } from './number-dbs';

const INIT_DBS = ['numbers/managed', 'numbers/inum', 'port_requests'] as const;

export interface InitDbsReport {
  readonly created: string[];
  readonly designDocs: DesignDocDeployment[];
}

export async function initDbs(store: Store, library: DesignDocLibrary): Promise<InitDbsReport> {
  const created: string[] = [];
  const designDocs: DesignDocDeployment[] = [];
  for (const db of INIT_DBS) {
    if (await store.createDb(db)) created.push(db);
    designDocs.push(await deployDesignDocs(store, db, library.forDb(db)));
  }
  return { created, designDocs };
}

export type RefreshOneReport = { readonly db: string; readonly deployment: DesignDocDeployment } | { readonly skipped: string; readonly reason: string };

/** refresh_numbers_db/1: `numbers%2F…`, `numbers/…` or a `+number`; anything else (or a missing database) is skipped. */
export async function refreshNumbersDb(store: Store, library: DesignDocLibrary, argument: string): Promise<RefreshOneReport> {
  const db = numberDbOf(argument);
  if (db === undefined) return { skipped: argument, reason: 'not a number database name nor a +number' };
  if (!(await store.dbExists(db))) return { skipped: argument, reason: `database ${db} does not exist` };
  return { db, deployment: await deployDesignDocs(store, db, library.forDb(db)) };
}

export type RegisterViewsReport = Pick<BootstrapReport, 'designDocs' | 'failures'>;

/**
 * register_views/0. Kazoo registers its view files for the refreshes to install; knm has them in views/ and installs
 * them at once: the fixed databases that exist, every number database, every account database (its
 * `_design/numbers` with `reconcile_services` from the classifiers in force). A second run writes nothing.
 */
export async function registerViews(
  store: Store,
  library: DesignDocLibrary,
  classifiers: Classifiers,
  { log, step }: Pick<RefreshOptions, 'log' | 'step'> = {},
): Promise<RegisterViewsReport> {
  const designDocs: DesignDocDeployment[] = [];
  const failures: RegisterViewsReport['failures'] = [];
  for (const db of FIXED_DATABASES) {
    const wanted = library.forDb(db);
    if (wanted.length === 0 || !(await store.dbExists(db))) continue;
    try {
      const deployment = await deployDesignDocs(store, db, wanted);
      if (deployment.written.length > 0) log?.(`${db}: wrote ${deployment.written.join(', ')}`);
      designDocs.push(deployment);
    } catch (error) {
      failures.push({ db, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  const numbers = await refreshNumberDbs({ store, library, log, step, skip: new Set(FIXED_DATABASES) });
  const accounts = await refreshAccountDbs({ store, library, log, step, classifiers });
  return { designDocs: [...designDocs, ...numbers.designDocs, ...accounts.designDocs], failures: [...numbers.failures, ...accounts.failures] };
}

export type ServicesViewReport = { readonly db: string; readonly written: boolean } | { readonly db: string; readonly missing: true };

/**
 * update_number_services_view/1: the account's stored `_design/numbers` (Kazoo's file when it has none) with
 * `reconcile_services` generated from `classifiers`, written only when that view differs.
 */
export async function updateNumberServicesView(store: Store, library: DesignDocLibrary, classifiers: Classifiers, account: string): Promise<ServicesViewReport> {
  const db = accountDbName(account);
  if (!(await store.dbExists(db))) return { db, missing: true };
  const stored = await store.getOrNull<DesignDoc>(db, ACCOUNT_NUMBERS_DESIGN_DOC);
  const base = stored === null ? library.forDb(db).find((doc) => doc._id === ACCOUNT_NUMBERS_DESIGN_DOC) : withoutRev(stored);
  const deployment = await deployDesignDocs(store, db, [withNumberServicesView(base ?? { _id: ACCOUNT_NUMBERS_DESIGN_DOC, language: 'javascript' }, classifiers)]);
  return { db, written: deployment.written.length > 0 };
}

function withoutRev(doc: DesignDoc): DesignDoc {
  const { _rev: _ignored, ...rest } = doc;
  return rest;
}
