/**
 * Account databases created while the pipeline runs get Kazoo's account `_design/numbers` (with `reconcile_services`
 * from the classifiers in force) without a restart, and are not followed. The rules (which events deploy) are checked
 * against the embedded store with events handed in directly; the end to end case through the running pipeline.
 */
import { expect } from 'chai';
import { defaultClassifiers, readNumberManagerConfig, type Classifiers } from '../../src/config/number-manager';
import { accountDbName } from '../../src/numbers/db-names';
import { watchAccountDbs, type AccountDbs } from '../../src/pipeline/account-dbs';
import { silentLogger } from '../../src/pipeline/log';
import { PipelineMetrics } from '../../src/pipeline/metrics';
import { fingerprint } from '../../src/store/design-docs';
import { ACCOUNT_NUMBERS_DESIGN_DOC, accountDesignDocs, NUMBER_SERVICES_VIEW, numberServicesMap } from '../../src/store/number-services-view';
import { eventually, http, startHarness, type Harness } from './harness';

const NEW_ACCOUNT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const OLD_ACCOUNT = '0f9e8d7c6b5a49382716f5e4d3c2b1a0';

describe('pipeline: new account databases get their _design/numbers', function () {
  this.timeout(30_000);
  let harness: Harness;

  beforeEach(async () => {
    harness = await startHarness();
  });
  afterEach(async () => {
    await harness.close();
  });

  const designDoc = (db: string): Promise<Record<string, unknown> | null> => harness.store.getOrNull(db, ACCOUNT_NUMBERS_DESIGN_DOC);
  /** The stored design document's fingerprint, or null when there is none. */
  const storedPrint = async (db: string): Promise<string | null> => {
    const doc = await designDoc(db);
    return doc === null ? null : fingerprint(doc);
  };
  const wanted = (db: string, classifiers: Classifiers): Record<string, unknown> =>
    accountDesignDocs(harness.library.forDb(db), classifiers).find(({ _id }) => _id === ACCOUNT_NUMBERS_DESIGN_DOC) as Record<string, unknown>;

  it('an account database created over plain HTTP has it within seconds, and its _changes are not followed', async () => {
    const old = accountDbName(OLD_ACCOUNT);
    // an account database from before the start is bootstrap's (knm start runs it first): not read again
    await harness.store.createDb(old);
    const pipeline = await harness.start();
    const db = accountDbName(NEW_ACCOUNT);
    expect((await http(harness.server.url, 'PUT', `/${encodeURIComponent(db)}`)).status).to.equal(201);

    const stored = await eventually(`${ACCOUNT_NUMBERS_DESIGN_DOC} in ${db}`, () => designDoc(db).then((doc) => doc ?? undefined));
    const classifiers = readNumberManagerConfig(await harness.store.get('system_config', 'number_manager')).config.classifiers;
    expect(fingerprint(stored)).to.equal(fingerprint(wanted(db, classifiers)));
    expect(stored).to.have.nested.property(`views.${NUMBER_SERVICES_VIEW}.map`, numberServicesMap(classifiers));

    await harness.store.put(db, { _id: 'a-callflow', pvt_type: 'callflow' });
    await pipeline.idle();
    expect(await harness.store.getOrNull('knm_pipeline', `checkpoint:${db}`)).to.equal(null);
    expect(await designDoc(old)).to.equal(null);
  });

  describe('which events deploy', () => {
    let watch: AccountDbs;
    let classifiers: Classifiers;
    const metrics = new PipelineMetrics();

    beforeEach(() => {
      classifiers = defaultClassifiers();
      watch = watchAccountDbs({ store: harness.store, designDocs: harness.library, classifiers: () => classifiers, logger: silentLogger, metrics });
    });
    afterEach(() => watch.stop());

    it('the first listing is left to bootstrap; a name that appears later, by any event, is deployed to once', async () => {
      const [listed, created, missed, other] = [OLD_ACCOUNT, NEW_ACCOUNT, 'b'.repeat(32), 'c'.repeat(32)].map(accountDbName);
      for (const db of [listed, created, missed, other, 'numbers/+1415']) await harness.store.createDb(db);
      watch.onEvent({ db: listed, type: 'existing' });
      watch.listed();
      watch.onEvent({ db: 'numbers/+1415', type: 'created' });
      // a creation seen by _db_updates, and one it missed that a later listing (or the next write) shows
      watch.onEvent({ db: created, type: 'created' });
      watch.onEvent({ db: missed, type: 'existing' });
      await watch.settled();
      expect(await designDoc(listed)).to.equal(null);
      expect(await designDoc('numbers/+1415')).to.equal(null);
      for (const db of [created, missed]) expect(await storedPrint(db)).to.equal(fingerprint(wanted(db, classifiers)));
      expect(await designDoc(other)).to.equal(null);
    });

    it('a database deployed to is not read again on its next events; deleted and seen again, it is', async () => {
      const db = accountDbName(NEW_ACCOUNT);
      await harness.store.createDb(db);
      watch.listed();
      watch.onEvent({ db, type: 'created' });
      await watch.settled();
      expect(await storedPrint(db)).to.equal(fingerprint(wanted(db, classifiers)));
      await harness.store.remove(db, ACCOUNT_NUMBERS_DESIGN_DOC, String((await designDoc(db))?._rev));
      watch.onEvent({ db, type: 'updated' });
      await watch.settled();
      expect(await designDoc(db)).to.equal(null);

      // the classifiers are read when a database is deployed to: a change since the start is in the new view
      classifiers = { ...defaultClassifiers(), extra: { regex: '^\\+1999\\d{7}$' } };
      await harness.store.deleteDb(db);
      await harness.store.createDb(db);
      // deleted, it is forgotten: the next listing that shows it again deploys
      watch.onEvent({ db, type: 'deleted' });
      watch.onEvent({ db, type: 'existing' });
      await watch.settled();
      expect(await storedPrint(db)).to.equal(fingerprint(wanted(db, classifiers)));
      expect(await designDoc(db)).to.have.nested.property(`views.${NUMBER_SERVICES_VIEW}.map`).that.contains("resC['extra']");
    });
  });
});
