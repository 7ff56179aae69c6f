import { expect } from 'chai';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { compileNumberRules } from '../../src/numbers/rules';
import { accountDbName, toDbName } from '../../src/numbers/db-names';
import type { LifecycleEnvironment } from '../../src/lifecycle/service';
import { numbersStatus } from '../../src/maintenance/status';
import { carrierModuleUsage, conversionLines, convertCarrierModule, moduleUsageLines } from '../../src/maintenance/carrier-modules';
import { generateNumbers, purgeState } from '../../src/maintenance/numbers';
import {
  editAllowedFeatureOnSystemConfig,
  editFeatureOnNumber,
  editFeatureOnResellerOf,
  ensureAdminOnlyFeaturesAreReachable,
  featurePermissionsOnResellerOf,
  resetAllowedFeaturesOnSystemConfig,
  systemAllowedFeatures,
} from '../../src/maintenance/feature-permissions';
import { copyContext, copyNumberDbsToAccounts, copyNumbersFromAccountDbToNumberDbs, removeFromAccountDbIfNotInNumberDb, removeWrongAssignedFromAccounts } from '../../src/maintenance/copies';
import { migrateUnassignedNumbers } from '../../src/maintenance/migration';
import { fixAppsForNumberDbs, fixAppsOfAccountNumbers, fixedUsedBy } from '../../src/maintenance/used-by';
import { couchStateStore } from '../../src/pipeline/state-store';
import { deployDesignDocs } from '../../src/store/bootstrap';
import { fixtureDocs, fixtureNumberFolders, FixtureStore, loadFixtures, NOW, putAccountAppViews, startFixtureStore } from '../helpers/fixture-store';
import { MASTER, RESELLER } from '../helpers/kazoo-roles';

const config = defaultNumberManagerConfig();
const { rules } = compileNumberRules(config);

/** Counts of the fixture number documents by a key, as the views count them. */
function fixtureCounts(key: (doc: Record<string, unknown>) => unknown): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const folder of fixtureNumberFolders()) {
    for (const doc of fixtureDocs(folder)) {
      const value = key(doc);
      if (value === undefined) continue;
      counts[String(value)] = (counts[String(value)] ?? 0) + 1;
    }
  }
  return counts;
}

describe('maintenance over the fixture store', function () {
  this.timeout(60000);
  let fixture: FixtureStore;
  let env: LifecycleEnvironment;

  before(async () => {
    fixture = await startFixtureStore();
    env = { store: fixture.store, designDocs: fixture.library, rules, config, clock: () => NOW };
  });

  after(async () => {
    await fixture.server.close();
  });

  beforeEach(async () => {
    await loadFixtures(fixture.store, fixture.library);
    await fixture.store.deleteDb('knm_pipeline');
  });

  it('status: numbers per state and per module from the views, per database and in total; lag after the checkpoints', async () => {
    const status = await numbersStatus(fixture.store);
    expect(status.totals.states).to.deep.equal(fixtureCounts((doc) => (typeof doc.pvt_state === 'string' ? doc.pvt_state : doc.pvt_number_state)));
    expect(status.totals.modules).to.deep.equal(fixtureCounts((doc) => doc.pvt_module_name ?? null));
    expect(status.databases.find((db) => db.db === 'numbers/+1425')?.states).to.deep.equal({ port_in: 3, reserved: 1 });
    expect(status.pipeline).to.equal(false);
    expect(status.totals).to.not.have.property('lagChanges');

    const checkpoints = await couchStateStore(fixture.store);
    const caughtUp = (await fixture.store.changes('numbers/+1555', { since: '0' })).last_seq;
    await checkpoints.commit('numbers/+1555', caughtUp, new Map());
    const withLag = await numbersStatus(fixture.store);
    expect(withLag.pipeline).to.equal(true);
    expect(withLag.databases.find((db) => db.db === 'numbers/+1555')?.lagChanges).to.equal(0);
    const unread = withLag.databases.find((db) => db.db === 'numbers/+1425')!;
    expect(unread.lagChanges).to.be.greaterThanOrEqual(4);
  });

  it("carrier_module_usage: Kazoo's lines, one database by prefix", async () => {
    const usage = await carrierModuleUsage(fixture.store, '+1555');
    expect(usage.databases.map((db) => db.db)).to.deep.equal(['numbers/+1555']);
    expect(moduleUsageLines(usage)).to.deep.equal(['numbers%2F%2B1555:', '    knm_local: 3', '    knm_mdn: 1', '    knm_pacwest: 1', 'Totals:', '    knm_local: 3', '    knm_mdn: 1', '    knm_pacwest: 1']);
  });

  it('convert_carrier_module: normal update as system (local feature follows); a bad target does nothing', async () => {
    const report = await convertCarrierModule(env, 'knm_local', 'knm_inventory', '+1504');
    expect(report.databases[0].converted.sort()).to.deep.equal(['+15045551226', '+15045551227']);
    const stored = await fixture.store.get('numbers/+1504', '+15045551226');
    expect(stored.pvt_module_name).to.equal('knm_inventory');
    expect(conversionLines(report)[0]).to.equal('updated carrier module to knm_inventory for 2/2 number(s):');
    const bad = await convertCarrierModule(env, 'knm_local', 'knm_nope');
    expect(conversionLines(bad)).to.deep.equal(['Bad carrier module: knm_nope']);
    expect((await fixture.store.get('numbers/+1555', '+15551233322')).pvt_module_name).to.equal('knm_local');
  });

  it('generate_numbers writes pool documents; other types are refused', async () => {
    const report = await generateNumbers(env, 'managed', RESELLER, '2223334000', 5);
    expect(report.created).to.deep.equal(['+2223334000', '+2223334001', '+2223334002', '+2223334003', '+2223334004']);
    expect(await fixture.store.get('numbers/managed', '+2223334002')).to.include({ pvt_state: 'available', pvt_account_id: RESELLER });
    const again = await generateNumbers(env, 'managed', RESELLER, '2223334004', 2);
    expect(again.errors.map((error) => error.number)).to.deep.equal(['+2223334004']);
    await generateNumbers(env, 'local', RESELLER, '2223334000', 1).then(
      () => expect.fail('local has no generate_numbers'),
      (error: Error) => expect(error.message).to.match(/only managed and inum/),
    );
  });

  it('purge_discovery removes every discovery number at once, purge_deleted with an encoded prefix', async () => {
    const report = await purgeState(fixture.store, 'discovery');
    expect(report.databases.find((db) => db.db === 'numbers/+1412')?.removed).to.equal(1);
    expect(await fixture.store.getOrNull('numbers/+1412', '+14122065197')).to.equal(null);
    await fixture.store.put('numbers/+1555', { _id: '+15559990001', pvt_state: 'deleted', pvt_type: 'number', pvt_module_name: 'knm_local', pvt_db_name: 'numbers%2F%2B1555', pvt_ported_in: false, pvt_created: NOW, pvt_modified: NOW });
    const deleted = await purgeState(fixture.store, 'deleted', '%2B1555');
    expect(deleted.databases).to.deep.equal([{ db: 'numbers/+1555', removed: 1, failed: 0 }]);
  });

  it('feature permissions: system config, reseller config, number', async () => {
    expect(await editAllowedFeatureOnSystemConfig(fixture.store, 'remove', 'carrier_name')).to.not.include('carrier_name');
    expect(await ensureAdminOnlyFeaturesAreReachable(fixture.store)).to.deep.equal(['carrier_name']);
    expect(await systemAllowedFeatures(fixture.store)).to.include('carrier_name');
    expect(await ensureAdminOnlyFeaturesAreReachable(fixture.store)).to.deep.equal([]);
    expect(await resetAllowedFeaturesOnSystemConfig(fixture.store)).to.have.length(12);

    await fixture.store.createDb(accountDbName(MASTER));
    const reseller = await editFeatureOnResellerOf(fixture.store, 'add', 'deny', 'e911', RESELLER);
    expect(reseller).to.deep.include({ accountId: RESELLER, deny: ['e911'] });
    expect((await featurePermissionsOnResellerOf(fixture.store, RESELLER)).deny).to.deep.equal(['e911']);

    const number = await editFeatureOnNumber(env, 'add', 'allow', 'prepend', '+15551233322');
    expect(number).to.deep.include({ number: '+15551233322', allowed: ['prepend'] });
    expect((await fixture.store.get('numbers/+1555', '+15551233322')).pvt_features_allowed).to.deep.equal(['prepend']);
  });

  it('copies: number dbs over account copies, wrong holders and orphans removed, account copies into number dbs', async () => {
    const resellerDb = accountDbName(RESELLER);
    await fixture.store.createDb(resellerDb);
    await deployDesignDocs(fixture.store, resellerDb, fixture.library.forDb(resellerDb));
    const copied = await copyNumberDbsToAccounts(copyContext(env), ['numbers%2F%2B1555']);
    expect(copied.failures).to.deep.equal([]);
    expect(copied.saved).to.equal(fixtureDocs('numbers%2F%2B1555').filter((doc) => doc.pvt_assigned_to !== undefined).length);
    expect(await fixture.store.get(resellerDb, '+15551233322')).to.include({ pvt_assigned_to: RESELLER });

    const base = { pvt_type: 'number', pvt_state: 'in_service', pvt_module_name: 'knm_local', pvt_db_name: 'numbers%2F%2B1555', pvt_ported_in: false, pvt_created: NOW, pvt_modified: NOW };
    await fixture.store.put(resellerDb, { _id: '+15559990002', ...base, pvt_assigned_to: MASTER });
    await fixture.store.put(resellerDb, { _id: '+15559990003', ...base, pvt_assigned_to: RESELLER });
    const wrong = await removeWrongAssignedFromAccounts(copyContext(env), RESELLER);
    expect(wrong.removed).to.equal(1);
    const orphans = await removeFromAccountDbIfNotInNumberDb(copyContext(env), RESELLER);
    expect(orphans.removed).to.equal(1);
    expect(await fixture.store.getOrNull(resellerDb, '+15559990003')).to.equal(null);

    await fixture.store.put(resellerDb, { _id: '+16505550100', ...base, pvt_db_name: 'numbers%2F%2B1650', pvt_assigned_to: RESELLER });
    const back = await copyNumbersFromAccountDbToNumberDbs(copyContext(env), RESELLER, ['+16505550100', '+15551233322']);
    expect(back.saved).to.equal(1);
    expect(back.failures).to.deep.equal([{ db: 'numbers/+1555', id: '+15551233322', reason: 'save_docs-conflict' }]);
    expect(await fixture.store.get('numbers/+1650', '+16505550100')).to.include({ pvt_assigned_to: RESELLER });
  });

  it('migrate_unassigned_numbers clears pvt_used_by of unassigned numbers and prunes the features they may not have', async () => {
    const db = toDbName('+15551239876')!;
    const doc = await fixture.store.get(db, '+15551239876');
    // an unassigned number may have no external feature (e911, cnam…) nor failover; prepend stays
    await fixture.store.put(db, {
      ...doc,
      pvt_used_by: 'trunkstore',
      pvt_features: { local: {}, e911: { street_address: '1 Main St' }, failover: { e164: '+14155550000' }, prepend: { enabled: true, name: 'Sales' } },
      e911: { street_address: '1 Main St' },
      failover: { e164: '+14155550000' },
      cnam: { display_name: 'Shop', inbound_lookup: true },
      prepend: { enabled: true, name: 'Sales' },
      ui_metadata: { origin: 'test' },
    });
    const report = await migrateUnassignedNumbers(env, 'numbers%2F%2B1555');
    expect(report.databases[0].failed).to.deep.equal([]);
    const migrated = await fixture.store.get(db, '+15551239876');
    expect(migrated).to.not.have.property('pvt_used_by');
    expect(migrated).to.not.have.any.keys('e911', 'failover', 'cnam');
    expect(migrated).to.deep.include({ prepend: { enabled: true, name: 'Sales' }, ui_metadata: { origin: 'test' } });
    expect(Object.keys(migrated.pvt_features as object)).to.not.include.members(['e911', 'failover']);
  });

  it("used_by repair: callflow, trunkstore, both left alone, neither removed; an account without the apps' views is reported", async () => {
    // Kazoo's test fixtures carry no pvt_type, which list_assigned_and_app requires
    const stored = await fixture.store.get('numbers/+1555', '+15551233322');
    await fixture.store.put('numbers/+1555', { ...stored, pvt_type: 'number' });
    const doc = { _id: '+15551233322', pvt_used_by: 'trunkstore' };
    expect(fixedUsedBy(doc, 'callflow')).to.deep.equal({ ...doc, pvt_used_by: 'callflow' });
    expect(fixedUsedBy(doc, 'trunkstore')).to.equal(undefined);
    expect(fixedUsedBy(doc, 'both')).to.equal(undefined);
    expect(fixedUsedBy(doc, undefined)).to.deep.equal({ _id: '+15551233322' });
    const missingViews = await fixAppsForNumberDbs(fixture.store, { numberDbs: ['numbers/+1555'] });
    expect(missingViews.fixed).to.equal(0);
    expect(missingViews.failures.map((failure) => failure.db)).to.include(accountDbName(RESELLER));

    // the holder's applications: +15551233322 is in a trunkstore, nowhere in callflows
    const resellerDb = accountDbName(RESELLER);
    await fixture.store.createDb(resellerDb);
    await putAccountAppViews(fixture.store, resellerDb);
    await fixture.store.put(resellerDb, { _id: 'trunk', pvt_type: 'sys_info', dids: ['+15551233322'] });
    const fixed = await fixAppsForNumberDbs(fixture.store, { numberDbs: ['numbers/+1555'], accounts: [RESELLER] });
    expect(fixed).to.deep.include({ fixed: 1, failures: [] });
    expect((await fixture.store.get('numbers/+1555', '+15551233322')).pvt_used_by).to.equal('trunkstore');

    // fix_numbers_apps_in_accountdb: the account's own copy, named by number
    await fixture.store.put(resellerDb, { ...(await fixture.store.get('numbers/+1555', '+15551233322')), _rev: undefined, pvt_used_by: 'callflow' });
    const copy = await fixAppsOfAccountNumbers(fixture.store, (number) => rules.normalize(number), RESELLER, ['+15551233322', '+15559999999']);
    expect(copy.fixed).to.equal(1);
    expect(copy.failures.map((failure) => failure.id)).to.deep.equal(['+15559999999']);
    expect((await fixture.store.get(resellerDb, '+15551233322')).pvt_used_by).to.equal('trunkstore');
  });
});
