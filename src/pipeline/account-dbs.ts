/**
 * Account databases created while knm runs get Kazoo's account `_design/numbers` (with `reconcile_services` generated
 * from the classifiers in force) without waiting for the next bootstrap, as Kazoo installs it when it creates an
 * account (kapps_maintenance:refresh_account_db/1). Fed by the database events of databases.ts; the account
 * databases' `_changes` are not followed.
 *
 * The account databases of the first listing are bootstrap's, which `knm start` runs just before the pipeline: only
 * names seen after that listing are deployed to (a missed `_db_updates` event is caught by a later listing), once
 * per process, a few at a time. A deployment that fails is tried again on the database's next event or listing.
 * Several workers may deploy to the same new database: deployDesignDocs compares content and settles conflicts.
 */
import { defer, mergeMap, Subject } from 'rxjs';
import type { Classifiers } from '../config/number-manager';
import { isAccountDbName } from '../numbers/db-names';
import { deployDesignDocs } from '../store/bootstrap';
import type { Store } from '../store/client';
import type { DesignDocLibrary } from '../store/design-docs';
import { accountDesignDocs } from '../store/number-services-view';
import type { DatabaseEvent } from './databases';
import type { Logger } from './log';
import type { PipelineMetrics } from './metrics';

export interface AccountDbsOptions {
  readonly store: Store;
  readonly designDocs: DesignDocLibrary;
  /** The classifiers in force when a database is deployed to (system_config/number_manager, live). */
  readonly classifiers: () => Classifiers;
  readonly logger: Logger;
  readonly metrics: PipelineMetrics;
  /** Deployments at the same time (default 2): a burst of new accounts must not crowd out the number feeds. */
  readonly concurrency?: number;
}

export interface AccountDbs {
  /** Every database event; those of other databases are ignored. */
  onEvent(event: DatabaseEvent): void;
  /** A full listing has been handed out. */
  listed(): void;
  /** Resolves once the deployments under way are done (tests). */
  settled(): Promise<void>;
  /** Takes no more events; resolves once the deployments under way are done. */
  stop(): Promise<void>;
}

export function watchAccountDbs(options: AccountDbsOptions): AccountDbs {
  const { store, designDocs, logger, metrics } = options;
  /** Account databases holding their design documents: bootstrap's, and those deployed to since. */
  const known = new Set<string>();
  const inFlight = new Set<string>();
  const settledWaiters: (() => void)[] = [];
  let firstListingDone = false;
  let stopped = false;

  const deploy$ = new Subject<string>();
  const deploying = deploy$.pipe(mergeMap((db) => defer(() => deploy(db)), options.concurrency ?? 2)).subscribe();

  async function deploy(db: string): Promise<void> {
    try {
      const deployment = await deployDesignDocs(store, db, accountDesignDocs(designDocs.forDb(db), options.classifiers()));
      known.add(db);
      if (deployment.written.length > 0) {
        metrics.reaction('design_docs');
        logger.log('info', 'design_docs_deployed', { db, written: deployment.written });
      }
    } catch (error) {
      metrics.error('design_docs');
      logger.log('warn', 'design_docs_failed', { db, error });
    } finally {
      inFlight.delete(db);
      if (inFlight.size === 0) for (const resolve of settledWaiters.splice(0)) resolve();
    }
  }

  function request(db: string): void {
    if (stopped || inFlight.has(db)) return;
    inFlight.add(db);
    deploy$.next(db);
  }

  function settled(): Promise<void> {
    if (inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => settledWaiters.push(resolve));
  }

  return {
    onEvent({ db, type }) {
      if (!isAccountDbName(db)) return;
      if (type === 'deleted') known.delete(db);
      // A creation is always new, even of a name seen before (deleted and created again between two events).
      else if (type === 'created') request(db);
      else if (!firstListingDone) known.add(db);
      else if (!known.has(db)) request(db);
    },
    listed() {
      firstListingDone = true;
    },
    settled,
    async stop() {
      stopped = true;
      await settled();
      deploying.unsubscribe();
    },
  };
}
