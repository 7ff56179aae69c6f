import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Carrier } from '../../src/carriers/carrier';
import { createBandwidth2 } from '../../src/carriers/knm_bandwidth2';
import { createTelnyx } from '../../src/carriers/knm_telnyx';
import { carrierFor } from '../../src/carriers/registry';
import { searchNumbers, SearchEnvironment } from '../../src/carriers/search';
import { NumberManagerConfig, readNumberManagerConfig } from '../../src/config/number-manager';
import { NumberService } from '../../src/lifecycle/service';
import { accountDbName } from '../../src/numbers/db-names';
import { compileNumberRules } from '../../src/numbers/rules';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { carrierFixture, MockCarrier, startMockCarrier } from './mock-server';
import { ACCOUNT, ensureDbOf, NOW, RESELLER, startStore, StoreHarness } from './harness';

function config(values: Record<string, unknown>): NumberManagerConfig {
  const { config: read, problems } = readNumberManagerConfig({ _id: 'number_manager', default: values });
  if (problems.length > 0) throw new Error(JSON.stringify(problems));
  return read;
}

describe('carriers: search across carriers, merged and kept as discovery numbers', function () {
  this.timeout(60000);
  let harness: StoreHarness;
  let telnyxApi: MockCarrier;
  let bandwidthApi: MockCarrier;
  let carriers: (module: string) => Carrier | undefined;

  function environment(values: Record<string, unknown>, now = NOW): SearchEnvironment {
    return { store: harness.store, designDocs: harness.library, config: config(values), now, carriers };
  }

  before(async () => {
    harness = await startStore();
    telnyxApi = await startMockCarrier();
    bandwidthApi = await startMockCarrier();
    const telnyx = createTelnyx({ env: { KNM_TELNYX_URL: telnyxApi.url, KNM_TELNYX_USER: 'u', KNM_TELNYX_TOKEN: 't' }, timeoutMs: 5000 });
    const bandwidth2 = createBandwidth2({ env: { KNM_BANDWIDTH2_URL: bandwidthApi.url }, timeoutMs: 5000, pollIntervalMs: 10 });
    carriers = (module) => (module === 'knm_telnyx' ? telnyx : module === 'knm_bandwidth2' ? bandwidth2 : carrierFor(module));
    for (const file of fs.readdirSync(path.join(FIXTURES_DIR, 'dbs', 'accounts'))) {
      const { _rev, ...doc } = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'dbs', 'accounts', file), 'utf8')) as { _id: string; _rev?: string };
      await harness.store.put('accounts', doc);
    }
  });
  after(async () => {
    await telnyxApi.close();
    await bandwidthApi.close();
    await harness.server.close();
  });
  beforeEach(() => {
    telnyxApi.requests.length = 0;
    bandwidthApi.requests.length = 0;
    telnyxApi.answer(() => ({ body: carrierFixture('telnyx_npa_search.json') }));
    bandwidthApi.answer(() => ({ body: carrierFixture('bandwidth2_find_by_npa_no_detail.xml') }));
  });

  it("asks every configured carrier, merges by number, pages, and writes a 4.3 discovery document per number found", async () => {
    const answer = await searchNumbers({ prefix: '301359', quantity: 3, offset: 1 }, environment({ carrier_modules: ['knm_telnyx', 'knm_bandwidth2', 'knm_pacwest'] }));
    expect(answer.prefix).to.equal('+1301359');
    expect(answer.carriers).to.deep.equal([
      { module: 'knm_telnyx', outcome: 'numbers', count: 5 },
      { module: 'knm_bandwidth2', outcome: 'numbers', count: 2 },
    ]);
    const all = answer.found.map((found) => found.number);
    expect(all).to.deep.equal([...all].sort());
    expect(all).to.have.length(7);
    expect(answer.numbers).to.deep.equal(all.slice(1, 4).map((number) => ({ number, state: 'discovery' })));
    expect(answer.discovery.written.sort()).to.deep.equal([...all].sort());

    const { _rev, ...doc } = await harness.store.get('numbers/+1301', '+13013596695');
    expect(doc).to.deep.equal({
      _id: '+13013596695',
      pvt_db_name: 'numbers%2F%2B1301',
      pvt_state: 'discovery',
      pvt_ported_in: false,
      pvt_module_name: 'knm_telnyx',
      pvt_modified: NOW,
      pvt_created: NOW,
      pvt_type: 'number',
      pvt_carrier_data: { best_effort: false, currency: null, monthly_recurring_cost: '1.00000', number: '3013596695', number_e164: '+13013596695', upfront_cost: '1.00000' },
    });
    // The new number database got its design documents.
    expect(await harness.store.getOrNull('numbers/+1973', '_design/numbers')).not.to.equal(null);
    // Kazoo 4.3 asks each carrier for the caller's quantity (here offset + quantity) under maximum_search_quantity.
    expect(JSON.parse(telnyxApi.requests[0].body).limit).to.equal(4);
    expect(bandwidthApi.requests[0].query.get('quantity')).to.equal('4');
  });

  it('never overwrites a number in another state; renews a discovery number found again', async () => {
    await searchNumbers({ prefix: '973', quantity: 5 }, environment({ carrier_modules: ['knm_bandwidth2'] }));
    const db = await ensureDbOf(harness, '+19733705112');
    // Found by that search, then bought outside knm's search (a Kazoo tool writing the number).
    const found = await harness.store.get(db, '+19733705112');
    await harness.store.put(db, { _id: '+19733705112', _rev: found._rev, pvt_db_name: 'numbers%2F%2B1973', pvt_state: 'in_service', pvt_module_name: 'knm_bandwidth2', pvt_assigned_to: ACCOUNT, pvt_ported_in: false, pvt_created: 1, pvt_modified: 1, pvt_type: 'number' });
    const later = NOW + 3600;
    const answer = await searchNumbers({ prefix: '973', quantity: 5 }, environment({ carrier_modules: ['knm_bandwidth2'] }, later));
    expect(answer.discovery.kept).to.deep.equal(['+19733705112']);
    expect(await harness.store.get(db, '+19733705112')).to.include({ pvt_state: 'in_service', pvt_modified: 1 });
    expect(answer.discovery.refreshed).to.deep.equal(['+19733705183']);
    expect(await harness.store.get(db, '+19733705183')).to.include({ pvt_state: 'discovery', pvt_modified: later, pvt_created: NOW });
  });

  it("stops waiting after number_search_timeout_ms without an answer, and reports each carrier's failure", async () => {
    telnyxApi.answer(() => ({ hang: true }));
    bandwidthApi.answer(() => ({ status: 401, body: '' }));
    const started = Date.now();
    const answer = await searchNumbers({ prefix: '301359', quantity: 5 }, environment({ carrier_modules: ['knm_telnyx', 'knm_bandwidth2'], number_search_timeout_ms: 300 }));
    expect(Date.now() - started).to.be.below(4000);
    expect(answer.numbers).to.deep.equal([]);
    expect(answer.carriers).to.deep.equal([
      { module: 'knm_telnyx', outcome: 'timeout', count: 0, reason: 'no answer within 300 ms' },
      { module: 'knm_bandwidth2', outcome: 'error', count: 0, reason: 'authentication' },
    ]);
  });

  it('caps the quantity at maximum_search_quantity', async () => {
    const answer = await searchNumbers({ prefix: '301359', quantity: 50 }, environment({ carrier_modules: ['knm_telnyx'], maximum_search_quantity: 2 }));
    expect(JSON.parse(telnyxApi.requests[0].body).limit).to.equal(2);
    expect(answer.numbers).to.have.length(2);
  });

  it("with an account: its reserved carriers and knm_local first, then its reseller's carrier_modules", async () => {
    const resellerDb = accountDbName(RESELLER);
    await harness.store.createDb(resellerDb);
    await harness.store.put(resellerDb, { _id: 'configs_number_manager', carrier_modules: ['knm_local', 'knm_bandwidth2'] });
    const answer = await searchNumbers({ prefix: '973', quantity: 5, accountId: ACCOUNT }, environment({ carrier_modules: ['knm_telnyx'] }));
    expect(answer.carriers.map((report) => report.module)).to.deep.equal(['knm_reserved', 'knm_reserved_reseller', 'knm_local', 'knm_bandwidth2']);
    expect(telnyxApi.requests).to.have.length(0);
  });

  it('a number kept as discovery is bought through its carrier when it is moved in service', async () => {
    telnyxApi.answer((request) => ({ body: carrierFixture(request.path === '/number_orders' ? 'telnyx_order.json' : 'telnyx_npa_search.json') }));
    const nm = config({ carrier_modules: ['knm_telnyx'] });
    await searchNumbers({ prefix: '301359', quantity: 1 }, environment({ carrier_modules: ['knm_telnyx'] }));
    const { rules } = compileNumberRules(nm);
    const service = new NumberService({ store: harness.store, designDocs: harness.library, rules, config: nm, clock: () => NOW + 60, carriers });
    const [outcome] = await service.move(['+13013591789'], { authBy: ACCOUNT }, ACCOUNT);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    const orders = telnyxApi.requests.filter((request) => request.path === '/number_orders');
    expect(orders.map((request) => JSON.parse(request.body))).to.deep.equal([{ requested_numbers: ['+13013591789'] }]);
    const doc = await harness.store.get('numbers/+1301', '+13013591789');
    expect(doc).to.include({ pvt_state: 'in_service', pvt_assigned_to: ACCOUNT, pvt_module_name: 'knm_telnyx' });
    expect(doc.pvt_carrier_data).to.include({ order_id: '411389090580137691', number_e164: '+13013591789' });
  });
});
