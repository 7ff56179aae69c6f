/**
 * Databases and views (maintenance-and-tasks.md §1.2): init_dbs creates the carrier pools and `port_requests` and
 * refreshes their design documents; refresh_numbers_db refreshes one number database named as Kazoo accepts it.
 * refresh_numbers_dbs is the store's refreshNumberDbs (knm refresh-numbers-dbs).
 */
import { deployDesignDocs, type DesignDocDeployment } from '../store/bootstrap';
import type { Store } from '../store/client';
import type { DesignDocLibrary } from '../store/design-docs';
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
