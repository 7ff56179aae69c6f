import { expect } from 'chai';
import { createBandwidth2 } from '../../src/carriers/knm_bandwidth2';
import { knmBandwidth } from '../../src/carriers/knm_bandwidth';
import type { Carrier, SearchOptions } from '../../src/carriers/carrier';
import { KnmError } from '../../src/errors';
import { carrierFixture, MockCarrier } from './mock-server';
import { ACCOUNT, ensureDbOf, NOW, numberRecord, setCarrierConfig, StoreHarness, startStoreAndMock, stopStoreAndMock, numbersOf } from './harness';

const PASSWORD = 'bw-p4ss';
const US: SearchOptions = { prefix: '', normalizedPrefix: '', country: 'US', dialcode: '+1', offset: 0 };
const BASIC = `Basic ${Buffer.from(`kazoo:${PASSWORD}`).toString('base64')}`;

describe('carriers: knm_bandwidth2 against a mock Bandwidth dashboard', function () {
  this.timeout(30000);
  let harness: StoreHarness;
  let mock: MockCarrier;
  let bandwidth: Carrier;

  before(async () => {
    ({ harness, mock } = await startStoreAndMock());
  });
  after(() => stopStoreAndMock(harness, mock));
  beforeEach(async () => {
    mock.requests.length = 0;
    bandwidth = createBandwidth2({ env: { KNM_BANDWIDTH2_URL: `${mock.url}/api`, KNM_BANDWIDTH2_API_PASSWORD: PASSWORD }, timeoutMs: 1500, pollIntervalMs: 10, maxPolls: 3 });
    await setCarrierConfig(harness.store, 'bandwidth2', { account_id: 'eunit_testing_account', api_username: 'kazoo', site_id: '1337', sip_peer: '13337' });
  });

  it('searches an area code: GET availableNumbers with Basic auth only (973, quantity 2)', async () => {
    mock.answer(() => ({ body: carrierFixture('bandwidth2_find_by_npa_no_detail.xml') }));
    const result = await bandwidth.findNumbers!('+1973', 2, US, harness.context);
    expect(numbersOf(result)).to.deep.equal(['+19733705112', '+19733705183']);
    expect(result.ok && result.numbers[0].carrierData).to.deep.equal({});
    const [request] = mock.requests;
    expect(request.method).to.equal('GET');
    expect(request.path).to.equal('/api/accounts/eunit_testing_account/availableNumbers');
    expect(request.rawQuery).to.equal('areaCode=973&enableTNDetail=false&quantity=2');
    expect(request.headers.authorization).to.equal(BASIC);
    expect(request.headers['x-bwc-in-control-processing-type']).to.equal(undefined);
  });

  it("searches a toll-free NPA with Kazoo's wildcard (855 → 55*, quantity 15)", async () => {
    mock.answer(() => ({ body: carrierFixture('bandwidth2_find_tollfree.xml') }));
    const numbers = numbersOf(await bandwidth.findNumbers!('+1855', 15, US, harness.context));
    expect(numbers).to.have.length(15);
    for (const number of numbers) expect(number).to.match(/^\+1855\d{7}$/);
    expect(mock.requests[0].rawQuery).to.equal('tollFreeWildCardPattern=55*&enableTNDetail=true&quantity=15');
  });

  it('searches longer prefixes by npaNxx and caps the quantity at max_search_quantity', async () => {
    await setCarrierConfig(harness.store, 'bandwidth2', { account_id: 'a', api_username: 'kazoo', max_search_quantity: 10 });
    mock.answer(() => ({ body: carrierFixture('bandwidth2_find_by_npa_no_detail.xml') }));
    await bandwidth.findNumbers!('+19733705', 50, US, harness.context);
    expect(mock.requests[0].rawQuery).to.equal('npaNxx=973370&enableTNDetail=false&quantity=10');
  });

  const failures: [string, { status?: number; body?: string; hang?: boolean }, string][] = [
    ['401', { status: 401, body: '' }, 'authentication'],
    ['403', { status: 403, body: '' }, 'authorization'],
    ['404', { status: 404, body: '' }, 'not_found'],
    ['503', { status: 503, body: '' }, 'server_error'],
    ['an error list', { status: 400, body: '<?xml version="1.0"?><SearchResult><ErrorList><Error><Code>4000</Code><Description>The area code of the number is invalid</Description></Error></ErrorList></SearchResult>' }, 'The area code of the number is invalid'],
    ['no numbers at all', { body: '<?xml version="1.0"?><SearchResult><ResultCount>0</ResultCount></SearchResult>' }, 'Number not found'],
    ['a body that is not XML', { body: '{"json": true}' }, 'empty_response'],
    ['broken XML', { body: '<?xml version="1.0"?><SearchResult><TelephoneNumberList><Tele' }, 'empty_response'],
    ['no answer', { hang: true }, 'timeout after 1500 ms'],
  ];
  for (const [what, reply, reason] of failures) {
    it(`a search answered with ${what} gives no numbers (${reason})`, async () => {
      mock.answer(() => reply);
      expect(await bandwidth.findNumbers!('+1973', 2, US, harness.context)).to.deep.equal({ ok: false, reason });
    });
  }

  it('acquires: POST orders with the order XML, polls the RECEIVED order until COMPLETE, merges the order data', async () => {
    const number = '+19734096113';
    await ensureDbOf(harness, number);
    mock.answer((request) => ({ body: carrierFixture(request.method === 'POST' ? 'bandwidth2_buy_a_number.xml' : 'bandwidth2_check_order.xml') }));
    const acquired = await bandwidth.acquireNumber(numberRecord(number, 'knm_bandwidth2', { pvt_carrier_data: { order_id: 'kept' } }), harness.context);
    // order_id is already there and the existing value wins (update_carrier_data/2).
    expect(acquired.carrierData).to.deep.equal({ order_id: 'kept', order_name: 'Kazoo-63628571101', number });
    const [order, poll] = mock.requests;
    expect(order.method).to.equal('POST');
    expect(order.path).to.equal('/api/accounts/eunit_testing_account/orders');
    expect(order.headers['content-type']).to.equal('application/xml');
    expect(order.headers['x-bwc-in-control-processing-type']).to.equal('process');
    expect(order.headers.authorization).to.equal(BASIC);
    expect(order.body).to.equal(
      `<?xml version="1.0"?><Order><Name>Kazoo-${NOW}</Name><CustomerOrderId>${ACCOUNT}</CustomerOrderId><SiteId>1337</SiteId><PeerId>13337</PeerId>` +
        '<ExistingTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>9734096113</TelephoneNumber></TelephoneNumberList></ExistingTelephoneNumberOrderType></Order>',
    );
    expect(poll.method).to.equal('GET');
    expect(poll.path).to.equal('/api/accounts/eunit_testing_account/orders/dc0008ec-07fc-41bf-a3bd-6c6ebf913f1c');
    expect(mock.requests).to.have.length(2);
  });

  it('an acquire interrupted while the order is RECEIVED follows the same order up on retry instead of ordering again', async () => {
    const number = '+19734096114';
    await ensureDbOf(harness, number);
    mock.answer(() => ({ body: carrierFixture('bandwidth2_buy_a_number.xml') }));
    const record = numberRecord(number, 'knm_bandwidth2');
    const first = (await bandwidth.acquireNumber(record, harness.context).catch((e: unknown) => e)) as KnmError;
    expect(first.message).to.match(/^fault by carrier: knm_bandwidth2: no answer \(order dc0008ec-07fc-41bf-a3bd-6c6ebf913f1c still RECEIVED after 3 checks\)$/);
    const posts = mock.requests.filter((request) => request.method === 'POST').length;
    expect(posts).to.equal(1);

    mock.answer(() => ({ body: carrierFixture('bandwidth2_check_order.xml') }));
    const acquired = await bandwidth.acquireNumber(record, harness.context);
    expect(acquired.carrierData).to.deep.equal({ order_id: 'deadbeef1234567901234567890dead', order_name: 'Kazoo-63628571101', number: '+19734096113' });
    expect(mock.requests.filter((request) => request.method === 'POST')).to.have.length(1);
    expect(mock.requests[mock.requests.length - 1].path).to.equal('/api/accounts/eunit_testing_account/orders/dc0008ec-07fc-41bf-a3bd-6c6ebf913f1c');
  });

  it('a FAILED order is refused with Kazoo\'s words; the password never shows', async () => {
    const number = '+19734096115';
    await ensureDbOf(harness, number);
    mock.answer(() => ({ body: carrierFixture('bandwidth2_buy_a_number.xml').replace('RECEIVED', 'FAILED') }));
    const error = (await bandwidth.acquireNumber(numberRecord(number, 'knm_bandwidth2'), harness.context).catch((e: unknown) => e)) as KnmError;
    expect(error.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: 'fault by carrier: knm_bandwidth2: Unable to acquire number: FAILED', cause: '9734096115' });
    mock.answer(() => ({ status: 401, body: PASSWORD }));
    const unauthenticated = (await bandwidth.acquireNumber(numberRecord(number, 'knm_bandwidth2'), harness.context).catch((e: unknown) => e)) as KnmError;
    expect(unauthenticated.message).to.equal('fault by carrier: knm_bandwidth2: Unable to acquire number: authentication');
  });

  it('disconnect makes no call; disabled provisioning with the default sandbox is a no-op', async () => {
    const record = numberRecord('+19734096113', 'knm_bandwidth2');
    expect(await bandwidth.disconnectNumber(record, harness.context)).to.equal(record);
    await setCarrierConfig(harness.store, 'bandwidth2', { enable_provisioning: false });
    expect(await bandwidth.acquireNumber(record, harness.context)).to.equal(record);
    expect(mock.requests).to.have.length(0);
  });
});

describe('carriers: knm_bandwidth is deprecated', () => {
  it('search, acquire and disconnect each say to use knm_bandwidth2', async () => {
    const record = numberRecord('+14122065197', 'knm_bandwidth');
    const context = { store: undefined as never, now: NOW };
    expect(await knmBandwidth.findNumbers!('+1412', 1, US, context)).to.deep.equal({ ok: false, reason: 'knm_bandwidth is deprecated; use knm_bandwidth2' });
    for (const call of [knmBandwidth.acquireNumber, knmBandwidth.disconnectNumber]) {
      const error = (await call(record, context).catch((e: unknown) => e)) as KnmError;
      expect(error.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: 'knm_bandwidth is deprecated; use knm_bandwidth2', cause: '+14122065197' });
      expect(error.hint).to.contain('knm_bandwidth2');
    }
  });
});
