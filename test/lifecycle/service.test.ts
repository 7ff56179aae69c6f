import { expect } from 'chai';
import type { EmbeddedServer } from '../../src/store/embedded';
import type { Store } from '../../src/store/client';
import type { DesignDocLibrary } from '../../src/store/design-docs';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { compileNumberRules } from '../../src/numbers/rules';
import { accountDbName, toDbName } from '../../src/numbers/db-names';
import { NumberService, NumberOutcome } from '../../src/lifecycle/service';
import type { Carrier } from '../../src/carriers/carrier';
import { carrierFor } from '../../src/carriers/registry';
import { readNumberDocument } from '../../src/documents/read';
import { needsAcquire } from '../../src/pipeline/reconcile';
import { CHILD, MASTER, RESELLER } from '../helpers/kazoo-roles';
import { loadFixtures, NOW, startFixtureStore } from '../helpers/fixture-store';
import { providerContexts } from '../../src/providers/context';
import { NOTIFICATIONS_DB } from '../../src/providers/notifications';
import type { FeatureProvider } from '../../src/providers/provider';
import { providerFor } from '../../src/providers/registry';

const AVAILABLE = '+15551239876';
const IN_SERVICE = '+15551233322';
const WITH_HISTORY = '+15551255693';
const RESERVED = '+14252151010';
const BW_DISCOVERY = '+14122065197';

/** A carrier that counts its calls, standing in for knm_bandwidth2 (the real one comes with the carriers). */
function countingCarrier(module: string): Carrier & { acquired: string[]; disconnected: string[] } {
  const acquired: string[] = [];
  const disconnected: string[] = [];
  return {
    module,
    isLocal: false,
    isBillable: true,
    shouldLookupCnam: true,
    maximalPrefixLength: 10,
    acquired,
    disconnected,
    acquireNumber: async (record) => {
      acquired.push(record.number);
      return { ...record, carrierData: { order_id: `order-${acquired.length}` } };
    },
    disconnectNumber: async (record) => {
      disconnected.push(record.number);
      return record;
    },
  };
}

function okOf(outcome: NumberOutcome): Record<string, unknown> {
  if (!outcome.ok) throw new Error(`${outcome.number}: ${JSON.stringify(outcome.error)}`);
  return outcome.result as Record<string, unknown>;
}

describe('lifecycle: number operations over the embedded store', function () {
  this.timeout(60000);
  let server: EmbeddedServer;
  let store: Store;
  let library: DesignDocLibrary;
  let service: NumberService;
  let bandwidth: ReturnType<typeof countingCarrier>;

  before(async () => {
    ({ server, store, library } = await startFixtureStore());
  });

  after(async () => {
    await server.close();
  });

  beforeEach(async () => {
    await loadFixtures(store, library);
    for (const account of [MASTER, RESELLER, CHILD]) await store.createDb(accountDbName(account));
    bandwidth = countingCarrier('knm_bandwidth2');
    const rules = compileNumberRules(defaultNumberManagerConfig()).rules;
    service = new NumberService({
      store,
      designDocs: library,
      rules,
      config: defaultNumberManagerConfig(),
      clock: () => NOW,
      carriers: (module) => (module === 'knm_bandwidth2' ? bandwidth : carrierFor(module)),
    });
  });

  it('answers a batch per number: found, not reconcilable, not found (Kazoo get_test)', async () => {
    const outcomes = await service.get([AVAILABLE, 'NOT a number', '4156301234'], { authBy: 'system' });
    expect(okOf(outcomes[0]).state).to.equal('available');
    expect(outcomes[1]).to.deep.include({ ok: false });
    expect(!outcomes[1].ok && outcomes[1].error.error).to.equal('not_reconcilable');
    expect(!outcomes[2].ok && outcomes[2].error).to.deep.equal({
      code: 404,
      error: 'not_found',
      message: 'number +14156301234 not found',
      cause: '+14156301234',
    });
  });

  it('hides a held number from an unrelated account (fetch gate, 403)', async () => {
    const [outcome] = await service.get([IN_SERVICE], { authBy: '4'.repeat(32) });
    expect(!outcome.ok && outcome.error.error).to.equal('forbidden');
  });

  it('moves an available number to a child and keeps its account copy where Kazoo keeps it', async () => {
    const [outcome] = await service.move([AVAILABLE], { authBy: 'system' }, CHILD);
    expect(okOf(outcome).state).to.equal('in_service');
    const stored = await store.get(toDbName(AVAILABLE)!, AVAILABLE);
    expect(stored).to.include({ pvt_state: 'in_service', pvt_assigned_to: CHILD, pvt_previously_assigned_to: RESELLER, pvt_modified: NOW });
    const copy = await store.get(accountDbName(CHILD), AVAILABLE);
    expect(copy).to.include({ pvt_state: 'in_service', pvt_assigned_to: CHILD });

    const [back] = await service.move([AVAILABLE], { authBy: 'system' }, RESELLER);
    expect(okOf(back).state).to.equal('in_service');
    expect(await store.getOrNull(accountDbName(CHILD), AVAILABLE)).to.equal(null);
    expect(await store.get(accountDbName(RESELLER), AVAILABLE)).to.include({ pvt_assigned_to: RESELLER });
  });

  it('buys a discovery number through its carrier exactly once and records the carrier data', async () => {
    const inDiscovery = await store.get(toDbName(BW_DISCOVERY)!, BW_DISCOVERY);
    const [outcome] = await service.move([BW_DISCOVERY], { authBy: 'system' }, RESELLER);
    expect(okOf(outcome).state).to.equal('in_service');
    expect(bandwidth.acquired).to.deep.equal([BW_DISCOVERY]);
    // The acquisition mark names the discovery revision, which is what keeps the changes pipeline from buying it again.
    expect(await store.get(toDbName(BW_DISCOVERY)!, BW_DISCOVERY)).to.deep.include({
      pvt_carrier_data: { order_id: 'order-1', knm_acquired: { from_rev: inDiscovery._rev, at: NOW } },
    });
    const bought = readNumberDocument(await store.get(toDbName(BW_DISCOVERY)!, BW_DISCOVERY), {
      now: NOW,
      normalize: (number) => number,
      availableModuleName: 'knm_local',
    }).record;
    expect(needsAcquire(bought, { state: 'discovery', rev: inDiscovery._rev })).to.equal(false);
    const [again] = await service.move([BW_DISCOVERY], { authBy: 'system' }, RESELLER);
    expect(again.ok).to.equal(true);
    expect(bandwidth.acquired).to.have.length(1);
  });

  it('releases with history back to the previous holder, and a local number by deleting it', async () => {
    const [withHistory, local] = await service.release([WITH_HISTORY, IN_SERVICE], { authBy: 'system' });
    expect(okOf(withHistory)).to.include({ state: 'reserved' });
    expect(await store.get(toDbName(WITH_HISTORY)!, WITH_HISTORY)).to.deep.include({ pvt_assigned_to: MASTER, pvt_reserve_history: [MASTER] });
    expect(okOf(local)._read_only).to.deep.include({ is_deleted: true });
    expect(await store.getOrNull(toDbName(IN_SERVICE)!, IN_SERVICE)).to.equal(null);
  });

  it('creates a new number in a database that does not exist yet, with its design documents', async () => {
    const number = '+13125550100';
    const [outcome] = await service.create([number], { authBy: MASTER }, { assignTo: RESELLER });
    expect(okOf(outcome).state).to.equal('in_service');
    const db = toDbName(number)!;
    expect((await store.get(db, number)).pvt_db_name).to.equal('numbers%2F%2B1312');
    expect(await store.getOrNull(db, '_design/numbers')).to.not.equal(null);
    const [again] = await service.create([number], { authBy: MASTER }, { assignTo: RESELLER });
    expect(!again.ok && again.error.error).to.equal('number_exists');
  });

  it('reserves, refuses a second reservation to the same account, and hard-deletes only for admins', async () => {
    const [reserved] = await service.reserve([AVAILABLE], { authBy: MASTER }, RESELLER);
    expect(okOf(reserved).state).to.equal('reserved');
    const [same] = await service.reserve([AVAILABLE], { authBy: MASTER }, RESELLER);
    expect(!same.ok && same.error.error).to.equal('no_change_required');
    const [byReseller] = await service.delete([RESERVED], { authBy: RESELLER });
    expect(!byReseller.ok && byReseller.error.error).to.equal('forbidden');
    const [byMaster] = await service.delete([RESERVED], { authBy: MASTER });
    expect(byMaster.ok).to.equal(true);
    expect(await store.getOrNull(toDbName(RESERVED)!, RESERVED)).to.equal(null);
  });

  it('does not write a number that did not change (no extra revision)', async () => {
    const before = await store.get(toDbName(IN_SERVICE)!, IN_SERVICE);
    const [outcome] = await service.update([IN_SERVICE], { authBy: 'system' }, {});
    expect(outcome.ok).to.equal(true);
    const after = await store.get(toDbName(IN_SERVICE)!, IN_SERVICE);
    expect(after._rev).to.equal(before._rev);
  });

  describe('feature providers (knm_ops:save_numbers/1, knm_ops:delete/2)', () => {
    const VITELITY = '+18122154006';
    let calls: string[];
    let withProviders: NumberService;

    beforeEach(async () => {
      calls = [];
      await store.deleteDb(NOTIFICATIONS_DB);
      // The registry's providers, each call noted.
      const noted = (module: string): FeatureProvider | undefined => {
        const provider = providerFor(module);
        if (provider === undefined) return undefined;
        return {
          ...provider,
          save: (record, context) => (calls.push(`save ${module}`), provider.save(record, context)),
          delete: (record, context) => (calls.push(`delete ${module}`), provider.delete(record, context)),
        };
      };
      withProviders = new NumberService({
        store,
        designDocs: library,
        rules: compileNumberRules(defaultNumberManagerConfig()).rules,
        config: defaultNumberManagerConfig(),
        clock: () => NOW,
        providers: noted,
        providerContexts: providerContexts({ store, clock: () => NOW, env: {} }),
      });
    });

    it('runs them before the write: a new CNAM name is saved as outbound_cnam with one cnam_request notification', async () => {
      const [outcome] = await withProviders.update([VITELITY], { authBy: RESELLER }, { mergePublic: { cnam: { display_name: 'NEW NAME', inbound_lookup: true } } });
      expect(okOf(outcome).features).to.deep.equal(['inbound_cnam', 'outbound_cnam', 'prepend']);
      expect((await store.get(toDbName(VITELITY)!, VITELITY)).pvt_features).to.deep.include({ outbound_cnam: { display_name: 'NEW NAME' }, inbound_cnam: { inbound_lookup: true } });
      const revision = (await store.get(toDbName(VITELITY)!, VITELITY))._rev;
      const [again] = await withProviders.update([VITELITY], { authBy: RESELLER }, { mergePublic: { cnam: { display_name: 'NEW NAME', inbound_lookup: true } } });
      expect(again.ok).to.equal(true);
      expect((await store.get(toDbName(VITELITY)!, VITELITY))._rev).to.equal(revision);
      const notices = (await store.changes(NOTIFICATIONS_DB, { include_docs: true })).results.filter((row) => !row.id.startsWith('_design/'));
      expect(notices.map((row) => row.doc?.kind)).to.deep.equal(['cnam_request']);
    });

    it('a feature the number may not have fails it with 403 and nothing is written', async () => {
      const before = await store.get(toDbName(IN_SERVICE)!, IN_SERVICE);
      const [outcome] = await withProviders.update([IN_SERVICE], { authBy: RESELLER }, { mergePublic: { e911: { street_address: '1 Main St' } } });
      expect(!outcome.ok && outcome.error).to.deep.include({ code: 403, error: 'forbidden' });
      expect((await store.get(toDbName(IN_SERVICE)!, IN_SERVICE))._rev).to.equal(before._rev);
      expect(calls).to.deep.equal([]);
    });

    it('answers with the features the number may have, for this requester (_read_only.features.available, knm_rename_carrier_tests)', async () => {
      const available = (outcome: NumberOutcome): unknown => ((okOf(outcome)._read_only as Record<string, unknown>).features as Record<string, unknown>).available;
      const [bySystem] = await withProviders.get([IN_SERVICE], { authBy: 'system' });
      const [byMaster] = await withProviders.get([IN_SERVICE], { authBy: MASTER });
      const [byReseller] = await withProviders.get([IN_SERVICE], { authBy: RESELLER });
      // A knm_local number: no external feature, no failover outside trunkstore; carrier_name for admins only.
      expect(available(bySystem)).to.deep.equal(['carrier_name', 'force_outbound', 'prepend', 'ringback']);
      expect(available(byMaster)).to.deep.equal(['carrier_name', 'force_outbound', 'prepend', 'ringback']);
      expect(available(byReseller)).to.deep.equal(['force_outbound', 'prepend', 'ringback']);
    });

    it("an admin's hard delete runs the providers' delete; a release runs none (Kazoo wipes the features first)", async () => {
      const [released] = await withProviders.release(['+12156774700'], { authBy: 'system' });
      expect(released.ok).to.equal(true);
      expect(calls).to.deep.equal([]);
      const [deleted] = await withProviders.delete([VITELITY], { authBy: MASTER });
      expect(deleted.ok).to.equal(true);
      expect(calls).to.deep.equal(['delete knm_cnam_notifier', 'delete knm_prepend']);
    });
  });

  it('loses no update when two callers edit one number at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        service.update([IN_SERVICE], { authBy: 'system' }, { mergePublic: { [`field_${index}`]: index } }),
      ),
    );
    for (const [outcome] of results) expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    const stored = await store.get(toDbName(IN_SERVICE)!, IN_SERVICE);
    for (let index = 0; index < 6; index += 1) expect(stored[`field_${index}`]).to.equal(index);
  });
});
