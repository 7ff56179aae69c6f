import { expect } from 'chai';
import type { SearchOptions } from '../../src/carriers/carrier';
import { generateInumNumbers, knmInum } from '../../src/carriers/knm_inum';
import { knmInventory } from '../../src/carriers/knm_inventory';
import { knmLocal } from '../../src/carriers/knm_local';
import { generateManagedNumbers, knmManaged } from '../../src/carriers/knm_managed';
import { knmMdn } from '../../src/carriers/knm_mdn';
import { knmReserved } from '../../src/carriers/knm_reserved';
import { knmReservedReseller } from '../../src/carriers/knm_reserved_reseller';
import { KnmError } from '../../src/errors';
import { accountDbName } from '../../src/numbers/db-names';
import { deployDesignDocs } from '../../src/store/bootstrap';
import { ACCOUNT, ensureDbOf, NOW, numberRecord, RESELLER, startStore, StoreHarness } from './harness';

const OPTIONS: SearchOptions = { prefix: '415', normalizedPrefix: '+1415', country: 'US', dialcode: '+1', offset: 0, accountId: ACCOUNT, resellerId: RESELLER };

function numberDoc(number: string, state: string, module: string, extra: Record<string, unknown> = {}): Record<string, unknown> & { _id: string } {
  return { _id: number, pvt_db_name: `numbers%2F${encodeURIComponent(number.slice(0, 5))}`, pvt_state: state, pvt_module_name: module, pvt_ported_in: false, pvt_created: NOW, pvt_modified: NOW, pvt_type: 'number', ...extra };
}


describe('carriers: the database carriers search and keep their pools', function () {
  this.timeout(60000);
  let harness: StoreHarness;

  before(async () => {
    harness = await startStore();
    const db = await ensureDbOf(harness, '+14158867900');
    await harness.store.bulkDocs(db, [
      numberDoc('+14158867900', 'available', 'knm_local', { pvt_carrier_data: { note: 'local stock' } }),
      numberDoc('+14158867901', 'available', 'knm_local'),
      numberDoc('+14158867902', 'in_service', 'knm_local', { pvt_assigned_to: ACCOUNT }),
      numberDoc('+14158867903', 'available', 'knm_inventory'),
      numberDoc('+14159990000', 'available', 'knm_local'),
    ]);
  });
  after(async () => {
    await harness.server.close();
  });

  it('knm_local offers its available numbers from the prefix\'s number database, with their state and carrier data', async () => {
    const result = await knmLocal.findNumbers!('+141588679', 10, OPTIONS, harness.context);
    if (!result.ok) throw new Error(result.reason);
    // The end key is not bounded by the prefix (knm_local.erl): +14159990000 comes too.
    expect(result.numbers.map((found) => found.number)).to.deep.equal(['+14158867900', '+14158867901', '+14159990000']);
    expect(result.numbers[0]).to.deep.equal({ number: '+14158867900', module: 'knm_local', state: 'available', carrierData: { note: 'local stock' } });
    const paged = await knmLocal.findNumbers!('+141588679', 1, { ...OPTIONS, offset: 1 }, harness.context);
    expect(paged.ok && paged.numbers.map((found) => found.number)).to.deep.equal(['+14158867901']);
  });

  it('knm_local needs an account and a prefix with a number database', async () => {
    expect(await knmLocal.findNumbers!('+1415', 10, { ...OPTIONS, accountId: undefined }, harness.context)).to.deep.equal({ ok: false, reason: 'not_available' });
    expect(await knmLocal.findNumbers!('+141', 10, OPTIONS, harness.context)).to.deep.equal({ ok: false, reason: 'not_available' });
    expect(await knmLocal.findNumbers!('+1999', 10, OPTIONS, harness.context)).to.deep.equal({ ok: false, reason: 'datastore_fault' });
  });

  it('knm_inventory searches the same view under its own name; knm_mdn offers nothing', async () => {
    const result = await knmInventory.findNumbers!('+1415', 10, OPTIONS, harness.context);
    expect(result.ok && result.numbers.map((found) => found.number)).to.deep.equal(['+14158867903']);
    expect(await knmMdn.findNumbers!('+1415', 10, OPTIONS, harness.context)).to.deep.equal({ ok: false, reason: 'not_available' });
  });

  it('generate_numbers fills the managed pool in the 4.3 shape; a number already there is an error, not an overwrite', async () => {
    const first = await generateManagedNumbers(harness.context, RESELLER, '14155550100', 3);
    expect(first).to.deep.equal({ created: ['+14155550100', '+14155550101', '+14155550102'], errors: [] });
    const { _rev, ...doc } = await harness.store.get('numbers/managed', '+14155550101');
    expect(_rev).to.be.a('string');
    expect(doc).to.deep.equal({ _id: '+14155550101', pvt_account_id: RESELLER, pvt_state: 'available', pvt_type: 'number' });
    const again = await generateManagedNumbers(harness.context, RESELLER, '14155550102', 2);
    expect(again.created).to.deep.equal(['+14155550103']);
    expect(again.errors.map((error) => error.number)).to.deep.equal(['+14155550102']);
    expect(await generateManagedNumbers(harness.context, RESELLER, '+1415', 1).catch((e: unknown) => e)).to.be.instanceOf(KnmError);
  });

  it("knm_managed offers the account's pool as discovery, else its reseller's; acquire and disconnect write the pool document", async () => {
    const result = await knmManaged.findNumbers!('+1415555', 2, OPTIONS, harness.context);
    if (!result.ok) throw new Error(result.reason);
    expect(result.numbers).to.deep.equal([
      { number: '+14155550100', module: 'knm_managed', state: 'discovery', carrierData: {} },
      { number: '+14155550101', module: 'knm_managed', state: 'discovery', carrierData: {} },
    ]);
    const record = { ...numberRecord('+14155550100', 'knm_managed'), state: 'in_service' as const, assignedTo: ACCOUNT };
    await knmManaged.acquireNumber(record, harness.context);
    expect(await harness.store.get('numbers/managed', '+14155550100')).to.include({ pvt_module_name: 'knm_managed', pvt_state: 'in_service', pvt_assigned_to: ACCOUNT });
    const again = await knmManaged.findNumbers!('+1415555', 10, OPTIONS, harness.context);
    expect(again.ok && again.numbers.map((found) => found.number)).not.to.include('+14155550100');
    await knmManaged.disconnectNumber(record, harness.context);
    expect(await harness.store.get('numbers/managed', '+14155550100')).to.include({ pvt_state: 'available', pvt_assigned_to: null });
  });

  it('generate_numbers for iNum takes 15-digit 8835100 starts; knm_inum offers its numbers available, with the offset', async () => {
    const refused = (await generateInumNumbers(harness.context, ACCOUNT, '14155550100', 1).catch((e: unknown) => e)) as KnmError;
    expect(refused.message).to.contain('8835100');
    await generateInumNumbers(harness.context, ACCOUNT, '883510000000001', 3);
    const result = await knmInum.findNumbers!('+8835100', 2, { ...OPTIONS, offset: 1 }, harness.context);
    expect(result).to.deep.equal({
      ok: true,
      bulk: false,
      numbers: [
        { number: '+883510000000002', module: 'knm_inum', state: 'available', carrierData: {} },
        { number: '+883510000000003', module: 'knm_inum', state: 'available', carrierData: {} },
      ],
    });
    expect(await knmInum.findNumbers!('+8835100', 2, { ...OPTIONS, accountId: undefined }, harness.context)).to.deep.equal({ ok: true, bulk: false, numbers: [] });
    const record = { ...numberRecord('+883510000000001', 'knm_inum'), state: 'in_service' as const, assignedTo: ACCOUNT };
    await knmInum.acquireNumber(record, harness.context);
    await knmInum.disconnectNumber(record, harness.context);
    const { _rev: _ignored, ...pool } = await harness.store.get('numbers/inum', '+883510000000001');
    expect(pool).to.deep.equal({ _id: '+883510000000001', pvt_account_id: ACCOUNT, pvt_state: 'released', pvt_type: 'number', pvt_module_name: 'knm_inum', pvt_reserve_history: [], pvt_modified: NOW });
  });

  it('knm_reserved and knm_reserved_reseller search the account\'s and the reseller\'s numbers/list_reserved', async () => {
    for (const [account, number] of [[ACCOUNT, '+14157770001'], [RESELLER, '+14157770002']]) {
      const db = accountDbName(account);
      await harness.store.createDb(db);
      // Kazoo's account _design/numbers, as bootstrap installs it in account databases
      await deployDesignDocs(harness.store, db, harness.library.forDb(db));
      await harness.store.put(db, numberDoc(number, 'reserved', 'knm_telnyx', { pvt_assigned_to: account, pvt_carrier_data: { order_id: 'x' } }));
      await harness.store.put(db, numberDoc(number.replace(/\d$/, '9'), 'in_service', 'knm_local', { pvt_assigned_to: account }));
    }
    const mine = await knmReserved.findNumbers!('+1415777', 10, OPTIONS, harness.context);
    expect(mine).to.deep.equal({ ok: true, bulk: false, numbers: [{ number: '+14157770001', module: 'knm_telnyx', state: 'reserved', carrierData: { order_id: 'x' } }] });
    const resellers = await knmReservedReseller.findNumbers!('+1415777', 10, OPTIONS, harness.context);
    expect(resellers.ok && resellers.numbers.map((found) => found.number)).to.deep.equal(['+14157770002']);
    expect(await knmReserved.findNumbers!('+1415', 10, { ...OPTIONS, accountId: undefined }, harness.context)).to.deep.equal({ ok: false, reason: 'not_available' });
  });
});
