import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { createVitelity } from '../../src/carriers/knm_vitelity';
import type { Carrier, SearchOptions } from '../../src/carriers/carrier';
import { KnmError } from '../../src/errors';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { carrierFixture, MockCarrier } from './mock-server';
import { ensureDbOf, numberRecord, setCarrierConfig, StoreHarness, startStoreAndMock, stopStoreAndMock, numbersOf } from './harness';

const PASS = 'v1t-pass';
const US: SearchOptions = { prefix: '', normalizedPrefix: '', country: 'US', dialcode: '+1', offset: 0 };
const OK = '<?xml version="1.0"?><content><status>ok</status></content>';

describe('carriers: knm_vitelity against a mock Vitelity', function () {
  this.timeout(30000);
  let harness: StoreHarness;
  let mock: MockCarrier;
  let vitelity: Carrier;

  before(async () => {
    ({ harness, mock } = await startStoreAndMock());
  });
  after(() => stopStoreAndMock(harness, mock));
  beforeEach(async () => {
    mock.requests.length = 0;
    vitelity = createVitelity({ env: { KNM_VITELITY_API_URI: `${mock.url}/api.php`, KNM_VITELITY_LOGIN: 'kazoo', KNM_VITELITY_PASS: PASS }, timeoutMs: 1500 });
    // Kazoo's own config fixture (routesip 1.2.3.4), as it is.
    const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'dbs', 'system_config', 'number_manager.vitelity.json'), 'utf8')) as Record<string, unknown>;
    const existing = await harness.store.getOrNull('system_config', 'number_manager.vitelity');
    const { _rev: _fixtureRev, ...doc } = fixture;
    await harness.store.put('system_config', { ...doc, _id: 'number_manager.vitelity', ...(existing === null ? {} : { _rev: existing._rev }) });
  });

  function byCommand(): (request: { query: URLSearchParams }) => { body: string } {
    return (request) => ({ body: carrierFixture(`vitelity_${request.query.get('cmd') ?? 'none'}.xml`) });
  }

  it('searches a 3-digit prefix with listnpa: POST, empty body, credentials last in the query (987, quantity 2)', async () => {
    mock.answer(byCommand());
    const result = await vitelity.findNumbers!('+1987', 2, { ...US, normalizedPrefix: '+1987' }, harness.context);
    expect(numbersOf(result)).to.deep.equal(['+19875551234', '+19875559876']);
    expect(result.ok && result.numbers[0].carrierData).to.deep.equal({ number: '+19875551234', ratecenter: 'ANYCITY', state: 'ZZ' });
    const [request] = mock.requests;
    expect(request.method).to.equal('POST');
    expect(request.path).to.equal('/api.php');
    expect(request.rawQuery).to.equal(`npa=987&cmd=listnpa&xml=yes&login=kazoo&pass=${PASS}`);
    expect(request.body).to.equal('');
    expect(request.headers['content-type']).to.equal(undefined);
  });

  it('searches a longer prefix with listnpanxx, the whole prefix sent (9875559876, quantity 1)', async () => {
    mock.answer(byCommand());
    expect(numbersOf(await vitelity.findNumbers!('+19875559876', 1, { ...US, normalizedPrefix: '+19875559876' }, harness.context))).to.deep.equal(['+19875559876']);
    expect(mock.requests[0].query.get('cmd')).to.equal('listnpanxx');
    expect(mock.requests[0].query.get('npanxx')).to.equal('9875559876');
  });

  it('searches a full toll-free number, or with the tollfree option, with listtollfree (8887771111, quantity 1)', async () => {
    mock.answer(byCommand());
    expect(numbersOf(await vitelity.findNumbers!('+18887771111', 1, US, harness.context))).to.deep.equal(['+18887771111']);
    expect(mock.requests[0].rawQuery).to.equal(`cmd=listtollfree&limit=1&xml=yes&login=kazoo&pass=${PASS}`);
    expect(numbersOf(await vitelity.findNumbers!('+18887771111', 1, { ...US, tollfree: true }, harness.context))).to.deep.equal(['+18887771111']);
  });

  const failures: [string, string, string][] = [
    ['status fail', '<?xml version="1.0"?><content><status>fail</status><error>Invalid login</error></content>', 'Invalid login'],
    ['no <numbers>', '<?xml version="1.0"?><content><status>ok</status></content>', 'no_numbers'],
    ['a malformed body', 'Internal Server Error', 'xml_decode_failed'],
  ];
  for (const [what, body, reason] of failures) {
    it(`a search answered with ${what} gives no numbers (${reason})`, async () => {
      mock.answer(() => ({ status: 200, body }));
      expect(await vitelity.findNumbers!('+1987', 2, US, harness.context)).to.deep.equal({ ok: false, reason });
    });
  }

  it('a search that gets no answer gives no numbers after the timeout', async () => {
    mock.answer(() => ({ hang: true }));
    expect(await vitelity.findNumbers!('+1987', 2, US, harness.context)).to.deep.equal({ ok: false, reason: 'timeout after 1500 ms' });
  });

  it('acquires a local number with getlocaldid and the configured routesip, once', async () => {
    const number = '+19875551234';
    await ensureDbOf(harness, number);
    mock.answer(() => ({ body: OK }));
    const record = numberRecord(number, 'knm_vitelity', { pvt_carrier_data: { ratecenter: 'ANYCITY' } });
    expect(await vitelity.acquireNumber(record, harness.context)).to.deep.equal(record);
    expect(mock.requests.map((request) => request.rawQuery)).to.deep.equal([`did=9875551234&cmd=getlocaldid&xml=yes&routesip=1.2.3.4&login=kazoo&pass=${PASS}`]);
    await vitelity.acquireNumber(record, harness.context);
    expect(mock.requests).to.have.length(1);
  });

  it('acquires a toll-free number with gettollfree', async () => {
    const number = '+18887771111';
    await ensureDbOf(harness, number);
    mock.answer(() => ({ body: OK }));
    await vitelity.acquireNumber(numberRecord(number, 'knm_vitelity'), harness.context);
    expect(mock.requests[0].query.get('cmd')).to.equal('gettollfree');
  });

  it("a refusal says what Vitelity said, without the password; a body that is not XML is failed_decode_resp", async () => {
    const number = '+19875559876';
    await ensureDbOf(harness, number);
    mock.answer(() => ({ body: `<?xml version="1.0"?><content><status>fail</status><error>DID not available (pass=${PASS})</error></content>` }));
    const refused = (await vitelity.acquireNumber(numberRecord(number, 'knm_vitelity'), harness.context).catch((e: unknown) => e)) as KnmError;
    expect(refused.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: 'fault by carrier: knm_vitelity: DID not available (pass=***)', cause: number });
    mock.answer(() => ({ status: 502, body: '<html>bad gateway' }));
    const garbled = (await vitelity.acquireNumber(numberRecord(number, 'knm_vitelity'), harness.context).catch((e: unknown) => e)) as KnmError;
    expect(garbled.message).to.equal('fault by carrier: knm_vitelity: failed_decode_resp');
  });

  it('acquire without routesip says what to configure', async () => {
    await setCarrierConfig(harness.store, 'vitelity', {});
    const error = (await vitelity.acquireNumber(numberRecord('+19875550000', 'knm_vitelity'), harness.context).catch((e: unknown) => e)) as KnmError;
    expect(error.message).to.equal('missing_routesip');
    expect(error.hint).to.contain('routesip');
    expect(mock.requests).to.have.length(0);
  });

  it('disconnects with removedid, once', async () => {
    const number = '+19875551299';
    await ensureDbOf(harness, number);
    mock.answer(() => ({ body: OK }));
    const record = numberRecord(number, 'knm_vitelity', { pvt_state: 'in_service' });
    await vitelity.disconnectNumber(record, harness.context);
    await vitelity.disconnectNumber(record, harness.context);
    expect(mock.requests.map((request) => request.rawQuery)).to.deep.equal([`did=9875551299&cmd=removedid&xml=yes&login=kazoo&pass=${PASS}`]);
  });

  it('should_lookup_cnam follows use_stepswitch_cnam', async () => {
    expect(await vitelity.lookupCnam!(harness.context)).to.equal(false);
    await setCarrierConfig(harness.store, 'vitelity', { use_stepswitch_cnam: true });
    expect(await vitelity.lookupCnam!(harness.context)).to.equal(true);
  });
});
