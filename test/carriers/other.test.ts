import { expect } from 'chai';
import { checkNumbers } from '../../src/carriers/check';
import { createOther } from '../../src/carriers/knm_other';
import { carrierFor } from '../../src/carriers/registry';
import type { Carrier, SearchOptions } from '../../src/carriers/carrier';
import { KnmError } from '../../src/errors';
import { MockCarrier, startMockCarrier } from './mock-server';
import { ensureDbOf, numberRecord, setCarrierConfig, startStore, StoreHarness, startStoreAndMock, stopStoreAndMock } from './harness';

const US: SearchOptions = { prefix: '415', normalizedPrefix: '+1415', country: 'US', dialcode: '+1', offset: 0 };

/** The answer Kazoo's knm_carriers_find_tests fake: ten numbers +1415886790D with {"extension": D}. */
function tenNumbers(): string {
  const data: Record<string, unknown> = {};
  for (let d = 0; d < 10; d += 1) data[`+1415886790${d}`] = { extension: d };
  return JSON.stringify({ status: 'success', data });
}

describe('carriers: knm_other against a mock phonebook', function () {
  this.timeout(30000);
  let harness: StoreHarness;
  let mock: MockCarrier;
  let other: Carrier;

  before(async () => {
    ({ harness, mock } = await startStoreAndMock());
  });
  after(() => stopStoreAndMock(harness, mock));
  beforeEach(async () => {
    mock.requests.length = 0;
    other = createOther({ env: {}, timeoutMs: 1500 });
    await setCarrierConfig(harness.store, 'other', { phonebook_url: `${mock.url}/phonebook`, endpoints: '10.1.2.3' });
  });

  it('without phonebook_url: search and check are not_available, acquire is missing_provider_url', async () => {
    await setCarrierConfig(harness.store, 'other', {});
    expect(await other.findNumbers!('+1415', 10, US, harness.context)).to.deep.equal({ ok: false, reason: 'not_available' });
    expect(await other.checkNumbers!(['+14158867900'], harness.context)).to.deep.equal({ ok: false, reason: 'not_available' });
    const error = (await other.acquireNumber(numberRecord('+14158867900', 'knm_other'), harness.context).catch((e: unknown) => e)) as KnmError;
    expect(error.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: 'missing_provider_url', cause: '+14158867900' });
    expect(mock.requests).to.have.length(0);
  });

  it('searches numbers: GET …/numbers/US/search with the prefix unencoded (415, quantity 10)', async () => {
    mock.answer(() => ({ body: tenNumbers() }));
    const result = await other.findNumbers!('+1415', 10, US, harness.context);
    if (!result.ok) throw new Error(result.reason);
    expect(result.bulk).to.equal(false);
    expect(result.numbers.map((found) => found.number)).to.deep.equal(Array.from({ length: 10 }, (_, d) => `+1415886790${d}`));
    expect(result.numbers[3]).to.deep.equal({ number: '+14158867903', module: 'knm_other', state: 'discovery', carrierData: { extension: 3 } });
    const [request] = mock.requests;
    expect(request.method).to.equal('GET');
    expect(request.path).to.equal('/phonebook/numbers/US/search');
    expect(request.rawQuery).to.equal('prefix=+1415&limit=10&offset=0');
    expect(request.headers.authorization).to.equal(undefined);
  });

  it('searches blocks when the blocks option is given: bulk answer of each block\'s first and last number', async () => {
    mock.answer(() => ({ body: JSON.stringify({ status: 'success', data: [{ start_number: '+14158867900', end_number: '+14158897909' }] }) }));
    const result = await other.findNumbers!('+1415', 10, { ...US, blocks: 3 }, harness.context);
    if (!result.ok) throw new Error(result.reason);
    expect(result.bulk).to.equal(true);
    expect(result.numbers.map((found) => found.number)).to.deep.equal(['+14158867900', '+14158897909']);
    expect(mock.requests[0].path).to.equal('/phonebook/blocks/US/search');
    expect(mock.requests[0].rawQuery).to.equal('prefix=%2B1415&size=10&offset=0&limit=3');
  });

  const failures: [string, { status?: number; body?: string; hang?: boolean }, string][] = [
    ['a 500', { status: 500, body: '{"status":"error"}' }, 'not_available'],
    ['status error', { body: '{"status":"error","data":{}}' }, 'not_available'],
    ['a malformed body', { body: '{"status":' }, 'not_available'],
    ['no answer', { hang: true }, 'timeout after 1500 ms'],
  ];
  for (const [what, reply, reason] of failures) {
    it(`a search answered with ${what} gives no numbers (${reason})`, async () => {
      mock.answer(() => reply);
      expect(await other.findNumbers!('+1415', 10, US, harness.context)).to.deep.equal({ ok: false, reason });
    });
  }

  it('an empty data object is an answer with no numbers', async () => {
    mock.answer(() => ({ body: '{"status":"success","data":{}}' }));
    expect(await other.findNumbers!('+1415', 10, US, harness.context)).to.deep.equal({ ok: true, bulk: false, numbers: [] });
  });

  it('acquires with PUT …/order: opaque replaces the carrier data, locality becomes the locality feature; once', async () => {
    const number = '+14158867900';
    await ensureDbOf(harness, number);
    mock.answer(() => ({ body: JSON.stringify({ data: { [number]: { status: 'success', opaque: { any: 'thing' }, locality: { city: 'San Francisco' } } } }) }));
    const record = numberRecord(number, 'knm_other', { pvt_carrier_data: { extension: 0 }, pvt_features: { e911: {} } });
    const acquired = await other.acquireNumber(record, harness.context);
    expect(acquired.carrierData).to.deep.equal({ any: 'thing' });
    expect(acquired.features).to.deep.equal({ e911: {}, locality: { city: 'San Francisco' } });
    const [request] = mock.requests;
    expect(request.method).to.equal('PUT');
    expect(request.path).to.equal('/phonebook/numbers/US/order');
    expect(request.headers['content-type']).to.equal(undefined);
    expect(JSON.parse(request.body)).to.deep.equal({ data: { numbers: [number], gateways: ['10.1.2.3'] } });

    const again = await other.acquireNumber(record, harness.context);
    expect(again.carrierData).to.deep.equal({ any: 'thing' });
    expect(again.features).to.deep.equal(acquired.features);
    expect(mock.requests).to.have.length(1);
  });

  it('refusals: a non-200 is lookup_failed, a status other than success is lookup_resp_error', async () => {
    const number = '+14158867901';
    await ensureDbOf(harness, number);
    mock.answer(() => ({ status: 502, body: 'bad gateway' }));
    const failed = (await other.acquireNumber(numberRecord(number, 'knm_other'), harness.context).catch((e: unknown) => e)) as KnmError;
    expect(failed.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: 'fault by carrier: knm_other: lookup_failed', cause: number });
    mock.answer(() => ({ body: JSON.stringify({ data: { [number]: { status: 'error', message: 'number already sold' } } }) }));
    const refused = (await other.acquireNumber(numberRecord(number, 'knm_other'), harness.context).catch((e: unknown) => e)) as KnmError;
    expect(refused.message).to.equal('fault by carrier: knm_other: lookup_resp_error: number already sold');
  });

  it('checks numbers with POST …/status, sending 10-digit numbers', async () => {
    mock.answer(() => ({ body: JSON.stringify({ status: 'success', data: [{ number: '4158867900', status: 'in_service' }, { number: '4158867901', status: 'available' }] }) }));
    expect(await other.checkNumbers!(['+14158867900', '+14158867901'], harness.context)).to.deep.equal({ ok: true, statuses: { '4158867900': 'in_service', '4158867901': 'available' } });
    expect(mock.requests[0].method).to.equal('POST');
    expect(mock.requests[0].path).to.equal('/phonebook/numbers/US/status');
    expect(JSON.parse(mock.requests[0].body)).to.deep.equal({ data: ['4158867900', '4158867901'] });
    mock.answer(() => ({ status: 500, body: 'boom' }));
    expect(await other.checkNumbers!(['+14158867900'], harness.context)).to.deep.equal({ ok: false, reason: 'boom' });
    mock.answer(() => ({ body: '{"status":"error"}' }));
    expect(await other.checkNumbers!(['+14158867900'], harness.context)).to.deep.equal({ ok: false, reason: 'resp_error' });
  });
});

describe('carriers: check across the configured carriers (knm_carriers:check/1)', function () {
  this.timeout(30000);
  let harness: StoreHarness;
  let mock: MockCarrier;

  before(async () => {
    harness = await startStore();
    mock = await startMockCarrier(() => ({ body: JSON.stringify({ status: 'success', data: [{ number: '+14158867900', status: 'in_service' }] }) }));
  });
  after(async () => {
    await mock.close();
    await harness.server.close();
  });

  it('no numbers: {}; with no phonebook every number is "error"; knm_other\'s answers win over the others\' errors', async () => {
    const other = createOther({ env: {} });
    const lookup = (module: string): Carrier | undefined => (module === 'knm_other' ? other : carrierFor(module));
    expect(await checkNumbers([], ['knm_other'], harness.context, lookup)).to.deep.equal({});
    expect(await checkNumbers(['+14158867900', '+14158867900'], ['knm_local', 'knm_other'], harness.context, lookup)).to.deep.equal({ '+14158867900': 'error' });
    await setCarrierConfig(harness.store, 'other', { phonebook_url: mock.url });
    expect(await checkNumbers(['+14158867900', '+14158867901'], ['knm_local', 'knm_other', 'knm_pacwest'], harness.context, lookup)).to.deep.equal({
      '+14158867900': 'in_service',
      '+14158867901': 'error',
    });
  });
});
