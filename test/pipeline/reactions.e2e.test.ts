import { expect } from 'chai';
import { jsonEqual } from '../../src/documents/kz-json';
import { KnmError } from '../../src/errors';
import type { FeatureProvider } from '../../src/providers/provider';
import {
  acquiredMarker,
  CHILD,
  countingProvider,
  docUrl,
  eventually,
  fixtureDoc,
  heldNumber,
  http,
  kazooWrite,
  numberDb,
  readDoc,
  RESELLER,
  startHarness,
  type Harness,
} from './harness';
import { accountDbName } from '../../src/numbers/db-names';

/** Kazoo's discovery fixture: a knm_bandwidth2 number found at the carrier, not bought yet. */
const DISCOVERY = '+14122065197';

describe('pipeline reactions, end to end against the embedded server', function () {
  this.timeout(30_000);
  let harness: Harness;

  beforeEach(async function () {
    harness = await startHarness();
  });
  afterEach(async function () {
    await harness.close();
  });

  /** Kazoo's discovery fixture found just now (an old pvt_modified would be purged as expired). */
  function freshDiscovery(): Record<string, unknown> {
    return { ...fixtureDoc(DISCOVERY), pvt_modified: harness.now };
  }

  /** Writes a number as Kazoo's tools would and waits until the pipeline has read it. */
  async function written(number: string, change: (doc: Record<string, unknown>) => Record<string, unknown>): Promise<string> {
    const rev = await kazooWrite(harness.server.url, number, change);
    await eventually(`the pipeline to read ${number}`, async () => {
      await harness.pipeline?.idle();
      const checkpoint = await harness.store.getOrNull('knm_pipeline', `checkpoint:${numberDb(number)}`);
      const since = checkpoint?.since as string | undefined;
      if (since === undefined) return undefined;
      const rest = await harness.store.changes(numberDb(number), { since });
      return rest.results.length === 0 ? true : undefined;
    });
    return rev;
  }

  describe('carrier acquisition', function () {
    it('buys a number that leaves discovery through its carrier exactly once and records the order on the document', async function () {
      await harness.start();
      await written(DISCOVERY, freshDiscovery);
      const discoveryRev = (await readDoc(harness.store, DISCOVERY))?._rev;
      await kazooWrite(harness.server.url, DISCOVERY, (doc) => ({ ...doc, pvt_state: 'in_service' }));

      const doc = await eventually('the acquisition', async () => {
        const current = await readDoc(harness.store, DISCOVERY);
        return acquiredMarker(current) !== undefined ? current : undefined;
      });
      expect(doc?.pvt_state).to.equal('in_service');
      expect(acquiredMarker(doc)?.from_rev).to.equal(discoveryRev);
      expect((doc?.pvt_carrier_data as Record<string, unknown>).order_id).to.equal('order-1');
      // Kazoo's own carrier data is kept beside the order.
      expect((doc?.pvt_carrier_data as Record<string, unknown>).number_id).to.equal('0C107941-CDDA-42FE-823C-042EADBD3719');

      // Later edits, a restart and a replay of the whole feed do not buy it again.
      await written(DISCOVERY, (current) => ({ ...current, pvt_used_by: 'callflow' }));
      await harness.pipeline?.stop();
      await harness.store.deleteDb('knm_pipeline');
      await harness.start();
      await written(DISCOVERY, (current) => ({ ...current, pvt_used_by: 'trunkstore' }));
      expect(harness.carrier.count('acquire')).to.equal(1);
    });

    it('puts a number the carrier refuses back into discovery with the refusal on the document, and buys it when written again', async function () {
      harness.carrier.script.set(DISCOVERY, ['refuse']);
      await harness.start();
      await written(DISCOVERY, freshDiscovery);
      await kazooWrite(harness.server.url, DISCOVERY, (doc) => ({ ...doc, pvt_state: 'reserved' }));

      const refused = await eventually('the refusal', async () => {
        const current = await readDoc(harness.store, DISCOVERY);
        return current?.pvt_state === 'discovery' && (current.pvt_carrier_data as Record<string, unknown>).knm_acquire_failure !== undefined ? current : undefined;
      });
      expect((refused.pvt_carrier_data as Record<string, Record<string, unknown>>).knm_acquire_failure).to.include({ code: 500, error: 'unspecified_fault', cause: DISCOVERY });
      expect(harness.carrier.count('acquire')).to.equal(1);

      await kazooWrite(harness.server.url, DISCOVERY, (doc) => ({ ...doc, pvt_state: 'reserved' }));
      const bought = await eventually('the second acquisition', async () => {
        const current = await readDoc(harness.store, DISCOVERY);
        return acquiredMarker(current) !== undefined ? current : undefined;
      });
      expect(bought?.pvt_state).to.equal('reserved');
      expect((bought?.pvt_carrier_data as Record<string, unknown>).knm_acquire_failure).to.equal(undefined);
      expect(harness.carrier.count('acquire')).to.equal(2);
    });

    it('retries a carrier that is unreachable, with backoff, and buys the number once it answers', async function () {
      harness.carrier.script.set(DISCOVERY, ['unavailable', 'unavailable']);
      await harness.start();
      await written(DISCOVERY, freshDiscovery);
      await kazooWrite(harness.server.url, DISCOVERY, (doc) => ({ ...doc, pvt_state: 'in_service' }));
      const doc = await eventually('the acquisition', async () => {
        const current = await readDoc(harness.store, DISCOVERY);
        return acquiredMarker(current) !== undefined ? current : undefined;
      });
      expect(doc?.pvt_state).to.equal('in_service');
      expect(harness.carrier.count('acquire')).to.equal(3);
    });
  });

  describe('release of a number written into released', function () {
    const NUMBER = '+14158867900';

    function heldBy(history: string[], module = 'knm_bandwidth2'): (doc: Record<string, unknown>) => Record<string, unknown> {
      return () => ({
        _id: NUMBER,
        pvt_db_name: 'numbers%2F%2B1415',
        pvt_state: 'in_service',
        pvt_module_name: module,
        pvt_ported_in: false,
        pvt_created: harness.now - 1000,
        pvt_modified: harness.now - 1000,
        pvt_type: 'number',
        pvt_assigned_to: history[0],
        pvt_reserve_history: history,
        pvt_features: module === 'knm_local' ? { local: {}, e911: { street_address: '1 Main St' } } : { e911: { street_address: '1 Main St' } },
        e911: { street_address: '1 Main St' },
      });
    }

    async function release(): Promise<void> {
      await kazooWrite(harness.server.url, NUMBER, (doc) => ({ ...doc, pvt_state: 'released' }));
    }

    it('with the defaults: features stripped, the carrier disconnected, the number available and unassigned', async function () {
      await harness.start();
      await written(NUMBER, heldBy([RESELLER]));
      await release();
      const doc = await eventually('the release', async () => {
        const current = await readDoc(harness.store, NUMBER);
        return current?.pvt_state === 'available' ? current : undefined;
      });
      expect(doc.pvt_assigned_to).to.equal(undefined);
      expect(doc.pvt_previously_assigned_to).to.equal(RESELLER);
      expect(doc.pvt_features).to.equal(undefined);
      expect(doc.e911).to.equal(undefined);
      expect(doc.pvt_reserve_history).to.equal(undefined);
      expect(harness.carrier.count('disconnect', NUMBER)).to.equal(1);
    });

    it('unwinds the reserve history to the previous holder (reserved, no disconnect)', async function () {
      await harness.start();
      await written(NUMBER, heldBy([CHILD, RESELLER]));
      await release();
      const doc = await eventually('the release', async () => {
        const current = await readDoc(harness.store, NUMBER);
        return current?.pvt_state === 'reserved' ? current : undefined;
      });
      expect(doc.pvt_assigned_to).to.equal(RESELLER);
      expect(doc.pvt_reserve_history).to.deep.equal([RESELLER]);
      expect(harness.carrier.count('disconnect')).to.equal(0);
    });

    it('deletes a knm_local number (and its account copy)', async function () {
      await harness.store.createDb(accountDbName(RESELLER));
      await harness.start();
      await written(NUMBER, heldBy([RESELLER], 'knm_local'));
      await eventually('the account copy', () => harness.store.getOrNull(accountDbName(RESELLER), NUMBER).then((copy) => copy ?? undefined));
      await release();
      await eventually('the deletion', async () => ((await readDoc(harness.store, NUMBER)) === null ? true : undefined));
      await eventually('the account copy removed', async () => ((await harness.store.getOrNull(accountDbName(RESELLER), NUMBER)) === null ? true : undefined));
    });

    it('follows system_config/number_manager live: released_state, should_age, should_permanently_delete', async function () {
      await harness.start();
      const setConfig = async (values: Record<string, unknown>): Promise<void> => {
        const current = await harness.store.get('system_config', 'number_manager');
        await harness.store.put('system_config', { ...current, default: { ...(current.default as Record<string, unknown>), ...values } });
      };
      const releasedTo = async (state: string | null): Promise<void> => {
        await written(NUMBER, heldBy([RESELLER]));
        await release();
        await eventually(`the release to ${String(state)}`, async () => {
          const current = await readDoc(harness.store, NUMBER);
          if (state === null) return current === null ? true : undefined;
          return current?.pvt_state === state && current.pvt_assigned_to === undefined ? true : undefined;
        });
      };

      await setConfig({ released_state: 'released' });
      await eventually('the config reload', async () => {
        await releasedTo('released');
        return true;
      });
      await setConfig({ released_state: 'available', should_age: true });
      await eventually('the config reload', async () => {
        await kazooWrite(harness.server.url, NUMBER, (doc) => ({ ...doc, _deleted: true }));
        await releasedTo('aging');
        return true;
      });
      await setConfig({ should_age: false, should_permanently_delete: true });
      await eventually('the config reload', async () => {
        await kazooWrite(harness.server.url, NUMBER, (doc) => ({ ...doc, _deleted: true })).catch(() => undefined);
        await releasedTo(null);
        return true;
      }, 15_000);
    });
  });

  describe('discovery purge and aging', function () {
    it('deletes expired discovery numbers and makes expired aging ones available, on a timer, from the expiry view', async function () {
      const day = 86_400;
      const tasks = await harness.store.get('system_config', 'tasks');
      await harness.store.put('system_config', { ...tasks, default: { ...(tasks.default as Record<string, unknown>), discovery_expiry_d: 2, aging_expiry_d: 10 } });
      const base = (number: string, state: string, ageDays: number): Record<string, unknown> => ({
        ...fixtureDoc(DISCOVERY),
        _id: number,
        pvt_assigned_to: undefined,
        pvt_state: state,
        pvt_modified: harness.now - ageDays * day,
      });
      await kazooWrite(harness.server.url, '+14122065100', () => base('+14122065100', 'discovery', 3));
      await kazooWrite(harness.server.url, '+14122065101', () => base('+14122065101', 'discovery', 1));
      await kazooWrite(harness.server.url, '+14122065102', () => base('+14122065102', 'aging', 11));
      await kazooWrite(harness.server.url, '+14122065103', () => base('+14122065103', 'aging', 9));
      await harness.start({ purgeIntervalMs: 200 });

      await eventually('the purge', async () => ((await readDoc(harness.store, '+14122065100')) === null ? true : undefined));
      await eventually('the aging', async () => ((await readDoc(harness.store, '+14122065102'))?.pvt_state === 'available' ? true : undefined));
      expect((await readDoc(harness.store, '+14122065101'))?.pvt_state).to.equal('discovery');
      expect((await readDoc(harness.store, '+14122065103'))?.pvt_state).to.equal('aging');
      expect(harness.pipeline?.metrics.value('knm_pipeline_reactions_total', { kind: 'purge' })).to.equal(1);

      // Time passes: the next round takes the other discovery number.
      harness.now += 2 * day;
      await eventually('the second purge', async () => ((await readDoc(harness.store, '+14122065101')) === null ? true : undefined));
    });
  });

  describe('features', function () {
    it('runs the configured provider once per change of a feature, writes its result back, and nothing for other edits', async function () {
      const e911 = countingProvider('knm_dash_e911', 'e911');
      harness.providers.set(e911.module, e911);
      await harness.start();
      const NUMBER = '+14158867901';
      const doc = (address?: string): (() => Record<string, unknown>) => heldNumber(NUMBER, 'in_service', address !== undefined ? { e911: { street_address: address } } : {});
      const provisioned = async (): Promise<unknown> => ((await readDoc(harness.store, NUMBER))?.pvt_features as Record<string, unknown> | undefined)?.e911;
      await written(NUMBER, doc('1 Main St'));
      await eventually('the first save written back', async () => ((await provisioned()) !== undefined ? true : undefined));
      await written(NUMBER, (current) => ({ ...doc('2 Main St')(), _rev: current._rev, pvt_features: current.pvt_features }));
      await eventually('the second save written back', async () => ((await provisioned()) as { street_address?: string } | undefined)?.street_address === '2 Main St' || undefined);
      await written(NUMBER, (current) => ({ ...doc()(), _rev: current._rev, pvt_features: current.pvt_features }));
      await eventually('the feature removed', async () => ((await provisioned()) === undefined ? true : undefined));
      // An edit that leaves the features as they are runs nobody.
      await written(NUMBER, (current) => ({ ...current, pvt_used_by: 'callflow' }));

      expect(e911.saves.map((record) => record.publicFields.e911)).to.deep.equal([{ street_address: '1 Main St' }, { street_address: '2 Main St' }, undefined]);
      expect(e911.deletes).to.deep.equal([]);
    });

    it('a write-back that meets a conflict registers nothing twice: the carriers\' answer goes onto the number read again', async function () {
      const NUMBER = '+14158867905';
      const registrations: unknown[] = [];
      let meanwhile: Promise<string> | undefined;
      // A provider that calls its carrier only for a request it has not provisioned yet, as Kazoo's E911 providers do;
      // another tool edits the number while the first call is in flight, so the write-back meets a conflict.
      const e911: FeatureProvider = {
        module: 'knm_dash_e911',
        reachesOutside: true,
        async save(record) {
          const wanted = record.publicFields.e911;
          if (wanted === undefined || jsonEqual(wanted, record.features.e911)) return record;
          registrations.push(wanted);
          meanwhile ??= kazooWrite(harness.server.url, NUMBER, (current) => ({ ...current, pvt_used_by: 'callflow' }));
          await meanwhile;
          return { ...record, features: { ...record.features, e911: wanted } };
        },
        delete: async (record) => record,
      };
      harness.providers.set(e911.module, e911);
      await harness.start();
      await written(NUMBER, heldNumber(NUMBER, 'in_service', { e911: { street_address: '5 Main St' } }));
      await eventually('the save written back', async () => ((await readDoc(harness.store, NUMBER))?.pvt_features as Record<string, unknown> | undefined)?.e911 !== undefined || undefined);
      const stored = await readDoc(harness.store, NUMBER);
      expect(registrations).to.deep.equal([{ street_address: '5 Main St' }]);
      // the other tool's edit is kept
      expect(stored).to.include({ pvt_used_by: 'callflow' });
    });

    it('a refusal whose write meets a conflict is not asked for again for the same requests', async function () {
      const NUMBER = '+14158867907';
      let asked = 0;
      let meanwhile: Promise<string> | undefined;
      const e911: FeatureProvider = {
        module: 'knm_dash_e911',
        reachesOutside: true,
        async save(record) {
          if (record.publicFields.e911 === undefined) return record;
          asked += 1;
          meanwhile ??= kazooWrite(harness.server.url, NUMBER, (current) => ({ ...current, pvt_used_by: 'callflow' }));
          await meanwhile;
          throw new KnmError('invalid', 400, 'address not found', { cause: 'e911' });
        },
        delete: async (record) => record,
      };
      harness.providers.set(e911.module, e911);
      await harness.start();
      await written(NUMBER, heldNumber(NUMBER, 'in_service', { e911: { street_address: 'nowhere' } }));
      const failure = async (): Promise<unknown> => ((await readDoc(harness.store, NUMBER))?.pvt_carrier_data as Record<string, unknown> | undefined)?.knm_provider_failure;
      await eventually('the refusal written on the number', async () => ((await failure()) !== undefined ? true : undefined));
      expect(asked).to.equal(1);
      expect(await readDoc(harness.store, NUMBER)).to.include({ pvt_used_by: 'callflow' });
      expect(JSON.stringify(await failure())).to.contain('address not found');
    });

    it('writes nothing for a document whose providers already ran (Kazoo saved it), and runs their delete when it is deleted', async function () {
      const e911 = countingProvider('knm_dash_e911', 'e911');
      harness.providers.set(e911.module, e911);
      await harness.start();
      const NUMBER = '+14158867903';
      const address = { street_address: '3 Main St' };
      const rev = await written(NUMBER, heldNumber(NUMBER, 'in_service', { e911: address, pvt_features: { e911: address } }));
      // Never seen before and its request already provisioned: Kazoo's save ran the providers, knm does not again.
      expect(e911.saves).to.have.length(0);
      expect((await readDoc(harness.store, NUMBER))?._rev).to.equal(rev);

      expect((await http(harness.server.url, 'DELETE', `${docUrl(numberDb(NUMBER), NUMBER)}?rev=${rev}`)).status).to.equal(200);
      await eventually('the providers\' delete', () => (e911.deletes.length > 0 ? true : undefined));
      expect(e911.deletes.map((record) => record.features.e911)).to.deep.equal([address]);
    });
  });

  describe('databases and account copies', function () {
    it('gives a number database created behind its back the design documents before reacting to its first change', async function () {
      await harness.start();
      const NUMBER = '+19995550000';
      const db = numberDb(NUMBER);
      expect((await http(harness.server.url, 'PUT', `/${encodeURIComponent(db)}`)).status).to.equal(201);
      await kazooWrite(harness.server.url, NUMBER, () => ({ ...freshDiscovery(), _id: NUMBER, pvt_db_name: encodeURIComponent(db) }));
      await eventually('knm design documents', async () => ((await harness.store.getOrNull(db, '_design/knm')) !== null ? true : undefined));
      await written(NUMBER, (doc) => ({ ...doc, pvt_state: 'in_service' }));
      await eventually('the acquisition', async () => (acquiredMarker(await readDoc(harness.store, NUMBER)) !== undefined ? true : undefined));
      // The validation came with them: a number in the wrong database is refused.
      const wrong = await http(harness.server.url, 'PUT', docUrl(db, '+14155550000'), { _id: '+14155550000', pvt_state: 'available' });
      expect(wrong.status).to.equal(403);
    });

    it("keeps the holder's account copy equal to the number document and removes the previous holder's", async function () {
      await harness.store.createDb(accountDbName(RESELLER));
      await harness.store.createDb(accountDbName(CHILD));
      await harness.start();
      const NUMBER = '+14158867902';
      await written(NUMBER, () => ({ ...fixtureDoc(DISCOVERY), _id: NUMBER, pvt_db_name: 'numbers%2F%2B1415', pvt_state: 'in_service', pvt_assigned_to: RESELLER }));
      const copy = await eventually('the copy', () => harness.store.getOrNull(accountDbName(RESELLER), NUMBER).then((found) => found ?? undefined));
      const { _rev: _numberRev, ...original } = (await readDoc(harness.store, NUMBER)) ?? {};
      const { _rev: _copyRev, ...copied } = copy;
      expect(copied).to.deep.equal(original);

      await written(NUMBER, (doc) => ({ ...doc, pvt_assigned_to: CHILD, pvt_previously_assigned_to: RESELLER }));
      await eventually('the move of the copy', async () =>
        (await harness.store.getOrNull(accountDbName(CHILD), NUMBER)) !== null && (await harness.store.getOrNull(accountDbName(RESELLER), NUMBER)) === null ? true : undefined,
      );
    });

    it("removes the holder's and the previous holder's copies of a number another tool deletes, as knm_ops:delete/2 does", async function () {
      for (const account of [RESELLER, CHILD]) await harness.store.createDb(accountDbName(account));
      await harness.start();
      const held = (number: string) => (): Record<string, unknown> => ({
        ...fixtureDoc(DISCOVERY),
        _id: number,
        pvt_db_name: 'numbers%2F%2B1415',
        pvt_state: 'in_service',
        pvt_assigned_to: CHILD,
        pvt_previously_assigned_to: RESELLER,
      });
      const copies = async (number: string): Promise<boolean[]> =>
        Promise.all([CHILD, RESELLER].map(async (account) => (await harness.store.getOrNull(accountDbName(account), number)) !== null));
      // One deleted with a plain DELETE (an empty tombstone), one with `_deleted: true` on the whole document, one left alone.
      const [DELETED, DELETED_WITH_BODY, KEPT] = ['+14158867903', '+14158867904', '+14158867905'];
      for (const number of [DELETED, DELETED_WITH_BODY, KEPT]) {
        await written(number, held(number));
        await eventually(`the copy of ${number}`, () => harness.store.getOrNull(accountDbName(CHILD), number).then((copy) => copy ?? undefined));
        // A copy the previous holder still has, as one written before knm watched would be.
        const { _rev: _numberRev, ...body } = (await readDoc(harness.store, number)) ?? {};
        await harness.store.put(accountDbName(RESELLER), { ...body, _id: number });
      }

      const deleted = await readDoc(harness.store, DELETED);
      expect((await http(harness.server.url, 'DELETE', `${docUrl(numberDb(DELETED), DELETED)}?rev=${String(deleted?._rev)}`)).status).to.equal(200);
      await kazooWrite(harness.server.url, DELETED_WITH_BODY, (doc) => ({ ...doc, _deleted: true }));

      for (const number of [DELETED, DELETED_WITH_BODY]) {
        await eventually(`the copies of ${number} removed`, async () => ((await copies(number)).every((present) => !present) ? true : undefined));
      }
      await harness.pipeline?.idle();
      expect(await copies(KEPT)).to.deep.equal([true, true]);
    });
  });
});
