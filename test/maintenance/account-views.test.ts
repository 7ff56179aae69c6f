/**
 * Issue 7: Kazoo's account `_design/numbers` (with `reconcile_services`) in account databases, installed by bootstrap
 * and register_views, kept by update_number_services_view; and the reserved carriers searching it over the fixture
 * store as Kazoo's knm_reserved / knm_reserved_reseller do.
 */
import { expect } from 'chai';
import vm from 'node:vm';
import type { SearchOptions } from '../../src/carriers/carrier';
import { knmReserved } from '../../src/carriers/knm_reserved';
import { knmReservedReseller } from '../../src/carriers/knm_reserved_reseller';
import { Classifiers, defaultNumberManagerConfig } from '../../src/config/number-manager';
import { copyContext, copyNumberDbsToAccounts } from '../../src/maintenance/copies';
import { registerViews, updateNumberServicesView } from '../../src/maintenance/databases';
import { accountDbName } from '../../src/numbers/db-names';
import { bootstrap } from '../../src/store/bootstrap';
import type { DesignDoc } from '../../src/store/design-docs';
import { numberServicesMap, NUMBER_SERVICES_REDUCE } from '../../src/store/number-services-view';
import { fixtureDocs, fixtureNumberFolders, loadFixtures, NOW, useFixtureStore } from '../helpers/fixture-store';
import { CHILD, MASTER, RESELLER } from '../helpers/kazoo-roles';

const config = defaultNumberManagerConfig();

/** Runs a map function over documents the way CouchDB calls it, collecting what it emits. */
function mapOver(source: string, docs: readonly Record<string, unknown>[]): { key: unknown; value: unknown }[] {
  const rows: { key: unknown; value: unknown }[] = [];
  const map = vm.runInNewContext(`(${source})`, { emit: (key: unknown, value: unknown) => rows.push({ key, value }) }) as (doc: unknown) => void;
  for (const doc of docs) map(JSON.parse(JSON.stringify(doc)));
  return rows;
}

describe("account databases: Kazoo's _design/numbers and the reserved carriers (issue 7)", function () {
  this.timeout(60000);
  const suite = useFixtureStore();
  const accountDbs = [RESELLER, CHILD].map((account) => accountDbName(account));

  beforeEach(async () => {
    await loadFixtures(suite.fixture.store, suite.fixture.library);
    for (const db of accountDbs) await suite.fixture.store.createDb(db);
  });

  it('reconcile_services is Kazoo\'s generated text: the first matching classifier, in stored order; the reduce sums', () => {
    const classifiers: Classifiers = { tollfree_us: { regex: '^\\+1(8[0-8]{2}\\d{7})$' }, did_us: '^\\+1([2-9]\\d{9})$', no_regex: { friendly_name: 'skipped' } };
    const map = numberServicesMap(classifiers);
    expect(map).to.contain(`  var e164 = doc._id;  if (false) return;  else if (e164.match("^\\\\+1(8[0-8]{2}\\\\d{7})$"))    resC['tollfree_us'] = resM;  else if (e164.match("^\\\\+1([2-9]\\\\d{9})$"))    resC['did_us'] = resM;  var resF = {};`);
    expect(map).to.not.contain('no_regex');
    const rows = mapOver(map, [
      { _id: '+18005551212', pvt_type: 'number', pvt_module_name: 'knm_local', pvt_features: { local: {} } },
      { _id: '+14155551212', pvt_type: 'number', pvt_module_name: 'knm_telnyx', pvt_features: { e911: {}, cnam: {} } },
      { _id: '+14155551213', pvt_type: 'number', pvt_module_name: 'knm_telnyx', pvt_deleted: true },
      { _id: 'configs_number_manager' },
    ]);
    expect(rows).to.deep.equal([
      { key: '+18005551212', value: { classifications: { tollfree_us: { knm_local: 1 } }, features: { local: 1 } } },
      { key: '+14155551212', value: { classifications: { did_us: { knm_telnyx: 1 } }, features: { e911: 1, cnam: 1 } } },
    ]);
    const reduce = vm.runInNewContext(`(${NUMBER_SERVICES_REDUCE})`, {}) as (keys: unknown, values: unknown[], rereduce: boolean) => unknown;
    const again = mapOver(map, [{ _id: '+14155551214', pvt_type: 'number', pvt_module_name: 'knm_local', pvt_features: { e911: {} } }]);
    expect(reduce(null, [...rows, ...again].map((row) => row.value), false)).to.deep.equal({
      classifications: { tollfree_us: { knm_local: 1 }, did_us: { knm_telnyx: 1, knm_local: 1 } },
      features: { local: 1, e911: 2, cnam: 1 },
    });
  });

  it('bootstrap and register_views install it in every account database (a second run writes nothing); update_number_services_view follows the classifiers', async () => {
    // bootstrap ran before the account databases existed: a second bootstrap finds them
    const report = await bootstrap({ store: suite.fixture.store, target: { url: suite.fixture.server.url }, library: suite.fixture.library, now: NOW });
    for (const db of accountDbs) expect(report.designDocs.find((deployment) => deployment.db === db)?.written).to.deep.equal(['_design/numbers']);
    const installed = await suite.fixture.store.get<DesignDoc>(accountDbs[0], '_design/numbers');
    expect(Object.keys(installed.views ?? {}).sort()).to.deep.equal(['assigned_to', 'list_by_app', 'list_by_number', 'list_reserved', 'reconcile_services']);
    expect(installed.views?.reconcile_services.map).to.equal(numberServicesMap(config.classifiers));
    expect(installed).to.not.have.property('kazoo');

    const again = await registerViews(suite.fixture.store, suite.fixture.library, config.classifiers);
    expect(again.failures).to.deep.equal([]);
    expect(again.designDocs.filter((deployment) => deployment.written.length > 0)).to.deep.equal([]);
    expect(again.designDocs.map((deployment) => deployment.db)).to.include.members([...accountDbs, 'numbers/+1555', 'port_requests']);

    const mine: Classifiers = { tollfree_us: { regex: '^\\+1(800\\d{7})$' } };
    expect(await updateNumberServicesView(suite.fixture.store, suite.fixture.library, mine, RESELLER)).to.deep.equal({ db: accountDbs[0], written: true });
    expect(await updateNumberServicesView(suite.fixture.store, suite.fixture.library, mine, accountDbs[0])).to.deep.equal({ db: accountDbs[0], written: false });
    expect((await suite.fixture.store.get<DesignDoc>(accountDbs[0], '_design/numbers')).views?.reconcile_services.map).to.equal(numberServicesMap(mine));
    expect(await updateNumberServicesView(suite.fixture.store, suite.fixture.library, mine, MASTER)).to.deep.equal({ db: accountDbName(MASTER), missing: true });
  });

  it("knm_reserved and knm_reserved_reseller find the fixture's reserved numbers through the account view, as Kazoo's view sees them", async () => {
    await registerViews(suite.fixture.store, suite.fixture.library, config.classifiers);
    const copied = await copyNumberDbsToAccounts(copyContext(suite.env));
    expect(copied.failures.filter((failure) => accountDbs.includes(failure.db))).to.deep.equal([]);

    const options: SearchOptions = { prefix: '424', normalizedPrefix: '+1424', country: 'US', dialcode: '+1', offset: 0, accountId: RESELLER, resellerId: MASTER };
    const context = { store: suite.fixture.store, now: NOW, authBy: RESELLER };
    // list_reserved needs pvt_type "number": Kazoo's fixture +14252151010 has none, so Kazoo's view skips it too
    const reservedFixtures = ['numbers%2F%2B1424', 'numbers%2F%2B1425'].flatMap((folder) => fixtureDocs(folder)).filter((doc) => doc.pvt_state === 'reserved' && doc.pvt_assigned_to === RESELLER);
    expect(reservedFixtures.map((doc) => doc._id).sort()).to.deep.equal(['+14242424247', '+14242424248', '+14252151010']);

    const own = await knmReserved.findNumbers!('+142', 10, options, context);
    expect(own).to.deep.equal({
      ok: true,
      bulk: false,
      numbers: [
        { number: '+14242424247', module: 'wnm_local', state: 'reserved', carrierData: {} },
        { number: '+14242424248', module: 'knm_local', state: 'reserved', carrierData: {} },
      ],
    });
    const paged = await knmReserved.findNumbers!('+142', 1, { ...options, offset: 1 }, context);
    expect(paged.ok && paged.numbers.map((found) => found.number)).to.deep.equal(['+14242424248']);

    const fromReseller = await knmReservedReseller.findNumbers!('+1424', 10, { ...options, accountId: CHILD, resellerId: RESELLER }, context);
    expect(fromReseller.ok && fromReseller.numbers.map((found) => found.number)).to.deep.equal(['+14242424247', '+14242424248']);
    // the child holds no reserved number
    expect(await knmReserved.findNumbers!('+1424', 10, { ...options, accountId: CHILD }, context)).to.deep.equal({ ok: true, bulk: false, numbers: [] });

    const services = await suite.fixture.store.view<string, { classifications: Record<string, Record<string, number>>; features: Record<string, number> }>(accountDbs[0], 'numbers', 'reconcile_services', { reduce: true });
    expect(services.rows).to.have.length(1);
    // the reseller's copies Kazoo's map counts (pvt_type number), by knm's own classifier and module
    const counted: Record<string, Record<string, number>> = {};
    for (const doc of fixtureNumberFolders().flatMap((folder) => fixtureDocs(folder))) {
      if (doc.pvt_type !== 'number' || doc.pvt_assigned_to !== RESELLER) continue;
      const classifier = suite.env.rules.classify(String(doc._id)) ?? '';
      counted[classifier] = { ...counted[classifier], [String(doc.pvt_module_name)]: (counted[classifier]?.[String(doc.pvt_module_name)] ?? 0) + 1 };
    }
    expect(services.rows[0].value.classifications).to.deep.equal(counted);
  });
});
