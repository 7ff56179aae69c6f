import { expect } from 'chai';
import { createTelnyx } from '../../src/carriers/knm_telnyx';
import type { Carrier, SearchOptions } from '../../src/carriers/carrier';
import { KnmError } from '../../src/errors';
import { carrierFixture, MockCarrier } from './mock-server';
import { ensureDbOf, numberRecord, setCarrierConfig, StoreHarness, startStoreAndMock, stopStoreAndMock, numbersOf } from './harness';

const TOKEN = 's3cr3t-t0ken';
const US: SearchOptions = { prefix: '', normalizedPrefix: '', country: 'US', dialcode: '+1', offset: 0 };

describe('carriers: knm_telnyx against a mock Telnyx', function () {
  this.timeout(30000);
  let harness: StoreHarness;
  let mock: MockCarrier;
  let telnyx: Carrier;

  before(async () => {
    ({ harness, mock } = await startStoreAndMock());
  });
  after(() => stopStoreAndMock(harness, mock));
  beforeEach(async () => {
    mock.requests.length = 0;
    telnyx = createTelnyx({ env: { KNM_TELNYX_URL: `${mock.url}/origination/`, KNM_TELNYX_TOKEN: TOKEN }, timeoutMs: 2000 });
    await setCarrierConfig(harness.store, 'telnyx', { user: 'kazoo-user', token: 'overridden-by-env' });
  });

  it('searches an NPA-NXX as search type 1 and keeps the fixture limit (prefix 301359, quantity 5)', async () => {
    mock.answer(() => ({ body: carrierFixture('telnyx_npa_search.json') }));
    const result = await telnyx.findNumbers!('+1301359', 5, { ...US, normalizedPrefix: '+1301359' }, harness.context);
    const numbers = numbersOf(result);
    expect(numbers).to.have.length(5);
    for (const number of numbers) expect(number).to.match(/^\+1301359\d{4}$/);
    expect(result.ok && result.numbers[0].carrierData).to.deep.equal({
      best_effort: false, currency: null, monthly_recurring_cost: '1.00000', number: '3013596695', number_e164: '+13013596695', upfront_cost: '1.00000',
    });
    expect(result.ok && result.numbers[0].state).to.equal('discovery');

    expect(mock.requests).to.have.length(1);
    const [request] = mock.requests;
    expect(request.method).to.equal('POST');
    expect(request.path).to.equal('/origination/number_searches');
    expect(request.headers['x-api-user']).to.equal('kazoo-user');
    expect(request.headers['x-api-token']).to.equal(TOKEN);
    expect(request.headers.accept).to.equal('application/json');
    expect(request.headers['content-type']).to.equal('application/json');
    expect(request.headers['user-agent']).to.equal('Kazoo Number Manager 4.0.0');
    expect(JSON.parse(request.body)).to.deep.equal({ search_type: 1, search_descriptor: { npa: '301', nxx: '359', best_effort: false }, limit: 5, with_result: true });
  });

  it('searches a toll-free NPA as type 3 (prefix 800, quantity 2)', async () => {
    mock.answer(() => ({ body: carrierFixture('telnyx_tollfree_search.json') }));
    const numbers = numbersOf(await telnyx.findNumbers!('+1800', 2, { ...US, normalizedPrefix: '+1800' }, harness.context));
    expect(numbers).to.deep.equal(['+18006198104', '+18009177894']);
    expect(JSON.parse(mock.requests[0].body)).to.deep.equal({ search_type: 3, search_descriptor: { npa: '800', best_effort: false }, limit: 2, with_result: true });
  });

  it('searches abroad by country as type 2 and pads area codes to 9 characters (GB, prefix 1)', async () => {
    mock.answer(() => ({ body: carrierFixture('telnyx_international_search.json') }));
    const numbers = numbersOf(await telnyx.findNumbers!('+441', 2, { ...US, country: 'GB', dialcode: '+44', normalizedPrefix: '+441' }, harness.context));
    expect(numbers).to.deep.equal(['+44163100', '+44143200']);
    expect(JSON.parse(mock.requests[0].body)).to.deep.equal({ search_type: 2, search_descriptor: { country_iso: 'GB', best_effort: false }, limit: 2, with_result: true });
  });

  it('filters rates when should_filter_rates is on', async () => {
    await setCarrierConfig(harness.store, 'telnyx', { user: 'kazoo-user', should_filter_rates: true, upfront_cost: 2.0, monthly_recurring_cost: 1.0 });
    mock.answer(() => ({ body: carrierFixture('telnyx_npa_search.json') }));
    const result = await telnyx.findNumbers!('+1301359', 5, { ...US, normalizedPrefix: '+1301359' }, harness.context);
    expect(numbersOf(result)).to.deep.equal([]);
  });

  const failures: [string, () => { status?: number; body?: string; hang?: boolean }, string][] = [
    ['401', () => ({ status: 401, body: '{"message":"bad token"}' }), 'unauthenticated'],
    ['400', () => ({ status: 400, body: '{}' }), 'bad_request'],
    ['403', () => ({ status: 403, body: '{}' }), 'unauthorized'],
    ['404', () => ({ status: 404, body: '{}' }), 'not_found'],
    ['503', () => ({ status: 503, body: 'down' }), 'server_error'],
    ['201 (only 200 counts)', () => ({ status: 201, body: '{"result":[]}' }), 'empty_response'],
    ['a malformed JSON body', () => ({ status: 200, body: '{"result": [' }), 'empty_response'],
    ['a JSON array', () => ({ status: 200, body: '[]' }), 'empty_response'],
    ['no answer', () => ({ hang: true }), 'timeout after 2000 ms'],
  ];
  for (const [what, reply, reason] of failures) {
    it(`a search answered with ${what} gives no numbers, reason ${reason}`, async () => {
      mock.answer(reply);
      const result = await telnyx.findNumbers!('+1415', 5, { ...US, normalizedPrefix: '+1415' }, harness.context);
      expect(result).to.deep.equal({ ok: false, reason });
    });
  }

  it('an empty result is an answer with no numbers', async () => {
    mock.answer(() => ({ body: JSON.stringify({ result: [], inexplicit_result: [], limit: 5 }) }));
    expect(await telnyx.findNumbers!('+1415', 5, { ...US, normalizedPrefix: '+1415' }, harness.context)).to.deep.equal({ ok: true, bulk: false, numbers: [] });
  });

  it('acquires with POST number_orders and merges the order id under the existing carrier data', async () => {
    const number = '+14352154006';
    await ensureDbOf(harness, number);
    mock.answer(() => ({ body: carrierFixture('telnyx_order.json') }));
    const record = numberRecord(number, 'knm_telnyx', { pvt_carrier_data: { number_e164: number, upfront_cost: '1.00000' } });
    const acquired = await telnyx.acquireNumber(record, harness.context);
    expect(acquired.carrierData).to.deep.equal({ order_id: '411389090580137691', number_e164: number, upfront_cost: '1.00000' });
    expect(acquired.number).to.equal(number);
    expect(mock.requests).to.have.length(1);
    expect(mock.requests[0].method).to.equal('POST');
    expect(mock.requests[0].path).to.equal('/origination/number_orders');
    expect(JSON.parse(mock.requests[0].body)).to.deep.equal({ requested_numbers: [number] });

    // A retry (the save after the order failed, a crash, a conflict): the journal answers, Telnyx is not asked again.
    const again = await telnyx.acquireNumber(record, harness.context);
    expect(again.carrierData).to.deep.equal(acquired.carrierData);
    expect(mock.requests).to.have.length(1);
  });

  it('an order that got no answer is not sent again: the retry is refused until someone checks', async () => {
    const number = '+14352154007';
    await ensureDbOf(harness, number);
    mock.answer(() => ({ hang: true }));
    const record = numberRecord(number, 'knm_telnyx');
    const first = await telnyx.acquireNumber(record, harness.context).catch((error: unknown) => error);
    expect(first).to.be.instanceOf(KnmError);
    expect((first as KnmError).message).to.equal('fault by carrier: knm_telnyx: no answer (timeout after 2000 ms)');
    mock.answer(() => ({ body: carrierFixture('telnyx_order.json') }));
    const retry = await telnyx.acquireNumber(record, harness.context).catch((error: unknown) => error);
    expect(retry).to.be.instanceOf(KnmError);
    expect((retry as KnmError).hint).to.contain('_local/knm_carrier_order.knm_telnyx.+14352154007');
    expect(mock.requests).to.have.length(1);
  });

  it("a refused order says what Telnyx said, never the token, and may be ordered again", async () => {
    const number = '+14352154008';
    await ensureDbOf(harness, number);
    mock.answer(() => ({ status: 200, body: JSON.stringify({ message: `number not available for token ${TOKEN}` }) }));
    const error = (await telnyx.acquireNumber(numberRecord(number, 'knm_telnyx'), harness.context).catch((e: unknown) => e)) as KnmError;
    expect(error.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: 'fault by carrier: knm_telnyx: number not available for token ***', cause: number });
    expect(JSON.stringify(error.toJSON()) + (error.hint ?? '')).not.to.contain(TOKEN);

    mock.answer(() => ({ status: 401, body: 'no' }));
    const unauthenticated = (await telnyx.acquireNumber(numberRecord(number, 'knm_telnyx'), harness.context).catch((e: unknown) => e)) as KnmError;
    expect(unauthenticated.message).to.equal('fault by carrier: knm_telnyx: unauthenticated');
    expect(mock.requests).to.have.length(2);
  });

  it('provisioning disabled refuses to order, unless sandbox provisioning makes it a no-op', async () => {
    await setCarrierConfig(harness.store, 'telnyx', { enable_provisioning: false });
    const record = numberRecord('+14352154009', 'knm_telnyx');
    const error = (await telnyx.acquireNumber(record, harness.context).catch((e: unknown) => e)) as KnmError;
    expect(error.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: 'provisioning_disabled', cause: '+14352154009' });
    await setCarrierConfig(harness.store, 'telnyx', { enable_provisioning: 'false', sandbox_provisioning: 'true' });
    expect(await telnyx.acquireNumber(record, harness.context)).to.equal(record);
    expect(await telnyx.disconnectNumber(record, harness.context)).to.equal(record);
    expect(mock.requests).to.have.length(0);
  });

  it('disconnect makes no call, and a number bought again after its release is ordered again', async () => {
    const number = '+14352154012';
    await ensureDbOf(harness, number);
    mock.answer(() => ({ body: carrierFixture('telnyx_order.json') }));
    const record = numberRecord(number, 'knm_telnyx');
    await telnyx.acquireNumber(record, harness.context);
    expect(await telnyx.disconnectNumber(record, harness.context)).to.equal(record);
    expect(mock.requests).to.have.length(1);
    await telnyx.acquireNumber(record, harness.context);
    expect(mock.requests.map((request) => request.path)).to.deep.equal(['/origination/number_orders', '/origination/number_orders']);
  });
});
