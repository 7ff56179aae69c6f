import { expect } from 'chai';
import { createVoipInnovations } from '../../src/carriers/knm_voip_innovations';
import type { Carrier, SearchOptions } from '../../src/carriers/carrier';
import { KnmError } from '../../src/errors';
import { carrierFixture, MockCarrier, RecordedRequest } from './mock-server';
import { ensureDbOf, numberRecord, setCarrierConfig, StoreHarness, startStoreAndMock, stopStoreAndMock, numbersOf } from './harness';

const SECRET = 'vi-s3cret';
const US: SearchOptions = { prefix: '', normalizedPrefix: '', country: 'US', dialcode: '+1', offset: 0 };

function envelope(action: string, body: string): string {
  return (
    "<?xml version='1.0' encoding='UTF-8'?>" +
    "<env:Envelope xmlns:xsd='http://www.w3.org/2001/XMLSchema' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xmlns:tns='http://tempuri.org/' xmlns:env='http://schemas.xmlsoap.org/soap/envelope/'>" +
    `<env:Body><tns:${action}>${body}<tns:login>kazoo</tns:login><tns:secret>${SECRET}</tns:secret></tns:${action}></env:Body></env:Envelope>`
  );
}

/** Which SOAP action a request is, by its header. */
function actionOf(request: RecordedRequest): string {
  return String(request.headers.soapaction).replace('http://tempuri.org/', '');
}

/** A queryDID answer: the number is free (not assigned to this account). */
const QUERY_FREE = carrierFixture('voip_innovations_query_response.xml').replace('<availability>assigned</availability>', '<availability>available</availability>');

describe('carriers: knm_voip_innovations against a mock SOAP service', function () {
  this.timeout(30000);
  let harness: StoreHarness;
  let mock: MockCarrier;
  let vi: Carrier;

  before(async () => {
    ({ harness, mock } = await startStoreAndMock());
  });
  after(() => stopStoreAndMock(harness, mock));
  beforeEach(async () => {
    mock.requests.length = 0;
    vi = createVoipInnovations({ env: { KNM_VOIP_INNOVATIONS_URL: `${mock.url}/Services/APIService.asmx` }, timeoutMs: 1500 });
    await setCarrierConfig(harness.store, 'voip_innovations', { login: 'kazoo', password: SECRET, endpoint_group: '8674' });
  });

  it('searches an NPA with getDIDs: the SOAP envelope with all eight filters, login and secret (435, quantity 2)', async () => {
    mock.answer(() => ({ body: carrierFixture('voip_innovations_get_response.xml') }));
    const result = await vi.findNumbers!('+1435', 2, US, harness.context);
    expect(numbersOf(result)).to.deep.equal(['+14352016526', '+14352016527']);
    expect(result.ok && result.numbers[0].carrierData).to.deep.equal({ e164: '+14352016526', rate_center: 'RICHFIELD', state: 'UT', cnam: true, t38: true });
    const [request] = mock.requests;
    expect(request.method).to.equal('POST');
    expect(request.path).to.equal('/Services/APIService.asmx');
    expect(request.headers.soapaction).to.equal('http://tempuri.org/getDIDs');
    expect(request.headers['content-type']).to.equal('text/xml;charset=UTF-8');
    expect(request.headers.accept).to.equal('*/*');
    expect(request.body).to.equal(
      envelope('getDIDs', "<tns:cnam xsi:nil='true'/><tns:lata xsi:nil='true'/><tns:npa>435</tns:npa><tns:nxx xsi:nil='true'/><tns:rateCenter xsi:nil='true'/><tns:state xsi:nil='true'/><tns:t38 xsi:nil='true'/><tns:tier xsi:nil='true'/>"),
    );
  });

  it('searches 6 or more digits by nxx; the toll-free answer reads the same (877, quantity 1)', async () => {
    mock.answer(() => ({ body: carrierFixture('voip_innovations_get_tollfree_response.xml') }));
    expect(numbersOf(await vi.findNumbers!('+1877', 1, US, harness.context))).to.deep.equal(['+18772207304']);
    await vi.findNumbers!('+14352016', 1, US, harness.context);
    expect(mock.requests[1].body).to.contain('<tns:npa xsi:nil=\'true\'/><tns:nxx>435201</tns:nxx>');
  });

  it('a prefix of 4 or 5 digits finds nothing, without asking', async () => {
    expect((await vi.findNumbers!('+14352', 1, US, harness.context)).ok).to.equal(false);
    expect(mock.requests).to.have.length(0);
  });

  const failures: [string, { status?: number; body?: string; hang?: boolean }, string][] = [
    ['a responseCode other than 100', { body: carrierFixture('voip_innovations_get_response.xml').replace('<responseCode>100', '<responseCode>301').replace('>Success<', '>Invalid credentials<') }, 'Invalid credentials'],
    ['401 without XML', { status: 401, body: 'denied' }, 'unauthenticated'],
    ['500 without XML', { status: 500, body: 'oops' }, 'server_error'],
    ['200 without XML', { status: 200, body: 'hello' }, 'empty_response'],
    ['XML that is not a SOAP answer', { status: 200, body: '<?xml version="1.0"?><nothing/>' }, 'empty_response'],
    ['no answer', { hang: true }, 'timeout after 1500 ms'],
  ];
  for (const [what, reply, reason] of failures) {
    it(`a search answered with ${what} gives no numbers (${reason})`, async () => {
      mock.answer(() => reply);
      expect(await vi.findNumbers!('+1435', 2, US, harness.context)).to.deep.equal({ ok: false, reason });
    });
  }

  it('an empty DIDLocators list is an answer with no numbers', async () => {
    mock.answer(() => ({ body: carrierFixture('voip_innovations_get_response.xml').replace(/<DIDLocators>[\s\S]*<\/DIDLocators>/, '<DIDLocators/>') }));
    expect(await vi.findNumbers!('+1435', 2, US, harness.context)).to.deep.equal({ ok: true, bulk: false, numbers: [] });
  });

  it('checks with queryDID, then assigns with assignDID and the endpoint group; records nothing', async () => {
    const number = '+14352154006';
    await ensureDbOf(harness, number);
    mock.answer((request) => ({ body: actionOf(request) === 'queryDID' ? QUERY_FREE : carrierFixture('voip_innovations_assign_response.xml') }));
    const record = numberRecord(number, 'knm_voip_innovations');
    expect(await vi.acquireNumber(record, harness.context)).to.deep.equal(record);
    expect(mock.requests.map(actionOf)).to.deep.equal(['queryDID', 'assignDID']);
    expect(mock.requests[0].body).to.equal(envelope('queryDID', '<tns:did>4352154006</tns:did>'));
    expect(mock.requests[1].body).to.equal(envelope('assignDID', '<tns:didParams><tns:DIDParam><tns:tn>4352154006</tns:tn><tns:epg>8674</tns:epg></tns:DIDParam></tns:didParams>'));
  });

  it('an assign that got no answer is checked with queryDID on retry: already ours, so not assigned again', async () => {
    const number = '+14353198001';
    await ensureDbOf(harness, number);
    mock.answer((request) => (actionOf(request) === 'queryDID' ? { body: QUERY_FREE } : { hang: true }));
    const record = numberRecord(number, 'knm_voip_innovations');
    const first = (await vi.acquireNumber(record, harness.context).catch((e: unknown) => e)) as KnmError;
    expect(first.message).to.equal('fault by carrier: knm_voip_innovations: no answer (timeout after 1500 ms)');
    // The assign went through at VI after all: queryDID now says the number is assigned to us.
    mock.answer((request) => ({ body: actionOf(request) === 'queryDID' ? carrierFixture('voip_innovations_query_response.xml') : carrierFixture('voip_innovations_assign_response.xml') }));
    expect(await vi.acquireNumber(record, harness.context)).to.deep.equal(record);
    expect(mock.requests.map(actionOf)).to.deep.equal(['queryDID', 'assignDID', 'queryDID']);
  });

  it('an assign refused by the DID status code says the status text', async () => {
    const number = '+14352154010';
    await ensureDbOf(harness, number);
    mock.answer((request) => ({
      body: actionOf(request) === 'queryDID' ? QUERY_FREE : carrierFixture('voip_innovations_assign_response.xml').replace('<statusCode>100', '<statusCode>106100').replace(/<status>[^<]*</, '<status>Number not available<'),
    }));
    const error = (await vi.acquireNumber(numberRecord(number, 'knm_voip_innovations'), harness.context).catch((e: unknown) => e)) as KnmError;
    expect(error.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: 'fault by carrier: knm_voip_innovations: Number not available', cause: number });
  });

  it('releasing a number VI no longer holds is an error (Kazoo test vector +14352154974)', async () => {
    mock.answer(() => ({ body: carrierFixture('voip_innovations_release_response.xml') }));
    const error = (await vi.disconnectNumber(numberRecord('+14352154974', 'knm_voip_innovations'), harness.context).catch((e: unknown) => e)) as KnmError;
    expect(error.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: 'fault by carrier: knm_voip_innovations: Number currently available', cause: '+14352154974' });
    expect(mock.requests[0].body).to.equal(envelope('releaseDID', '<tns:didParams><tns:DIDParam><tns:tn>4352154974</tns:tn></tns:DIDParam></tns:didParams>'));
  });

  it('a release retried after no answer counts "Number currently available" as done', async () => {
    const number = '+14352154975';
    await ensureDbOf(harness, number);
    const record = numberRecord(number, 'knm_voip_innovations', { pvt_state: 'in_service' });
    mock.answer(() => ({ hang: true }));
    await vi.disconnectNumber(record, harness.context).catch(() => undefined);
    mock.answer(() => ({ body: carrierFixture('voip_innovations_release_response.xml') }));
    expect(await vi.disconnectNumber(record, harness.context)).to.equal(record);
    await vi.disconnectNumber(record, harness.context);
    expect(mock.requests).to.have.length(2);
  });

  it('with provisioning disabled, sandbox provisioning makes acquire a no-op; without it, provisioning_disabled', async () => {
    vi = createVoipInnovations({ env: {}, timeoutMs: 200 });
    await setCarrierConfig(harness.store, 'voip_innovations', { enable_provisioning: false, sandbox_provisioning: true });
    const record = numberRecord('+14352154011', 'knm_voip_innovations');
    expect(await vi.acquireNumber(record, harness.context)).to.equal(record);
    await setCarrierConfig(harness.store, 'voip_innovations', { enable_provisioning: false });
    const error = (await vi.acquireNumber(record, harness.context).catch((e: unknown) => e)) as KnmError;
    expect(error.message).to.equal('provisioning_disabled');
  });
});
