import { expect } from 'chai';
import { createDashE911Provider } from '../../src/providers/dash-e911';
import type { FeatureProvider } from '../../src/providers/provider';
import { isDirty } from '../../src/documents/write';
import { KnmError } from '../../src/errors';
import { MockCarrier, RecordedRequest, Reply, startMockCarrier } from '../carriers/mock-server';
import { ACCOUNT, numberRecord, providerContext, savedAndRead } from './context';

const NUMBER = '+14158867900';
const PASSWORD = 'dash-p@ss word';
const ADDRESS = { street_address: '301 Marina Blvd', extended_address: 'Suite 2', locality: 'San Francisco', region: 'CA', postal_code: '94123' };
const LOCATION_XML =
  '<address1>301 MARINA BLVD</address1><address2>STE 2</address2><callername>Acme</callername><community>SAN FRANCISCO</community>' +
  '<latitude>37.80</latitude><legacydata><housenumber>301</housenumber><streetname>MARINA</streetname></legacydata><locationid>LOC-1</locationid>' +
  '<plusfour>1234</plusfour><postalcode>94123</postalcode><state>CA</state>';
const LOCATION_JSON = {
  street_address: '301 MARINA BLVD', extended_address: 'STE 2', caller_name: 'Acme', locality: 'SAN FRANCISCO', latitude: '37.80',
  legacy_data: { house_number: '301', streetname: 'MARINA' }, location_id: 'LOC-1', plus_four: '1234', postal_code: '94123', region: 'CA',
};
const EXPECTED_LOCATION_BODY =
  '<location><address1>301 Marina Blvd</address1><address2>Suite 2</address2><community>San Francisco</community><state>CA</state>' +
  '<postalcode>94123</postalcode><type>ADDRESS</type></location>';

function locationAnswer(verb: string, code: string, locations = [LOCATION_XML], description = ''): Reply {
  const located = locations.map((inner) => `<Location>${inner}<status><code>${code}</code><description>${description}</description></status></Location>`).join('');
  return { status: 200, body: `<?xml version="1.0"?><${verb}Response>${located}</${verb}Response>` };
}

/** DASH answering each verb with what the test says; verbs not listed get a 404. */
function dash(answers: Record<string, Reply>): (request: RecordedRequest) => Reply {
  return (request) => answers[request.path.split('/').pop() ?? ''] ?? { status: 404, body: 'no route' };
}

describe('providers: knm_dash_e911 against a mock DASH', function () {
  this.timeout(30000);
  let mock: MockCarrier;
  let provider: FeatureProvider;
  const settings = () => ({ dash_e911: { emergency_provisioning_url: `${mock.url}/dash-api/xml/emergencyprovisioning/v1`, auth_username: 'kazoo', auth_password: PASSWORD } });
  const inService = (fields = {}) => numberRecord(NUMBER, 'knm_bandwidth2', { pvt_state: 'in_service', pvt_assigned_to: ACCOUNT, e911: ADDRESS, ...fields });

  before(async () => {
    mock = await startMockCarrier();
  });
  after(() => mock.close());
  beforeEach(() => {
    mock.requests.length = 0;
    provider = createDashE911Provider({ timeoutMs: 1500 });
  });

  it('validates, adds and provisions a geocoded address; the location replaces e911 and a re-save makes no call', async () => {
    mock.answer(dash({
      validatelocation: locationAnswer('validateLocation', 'GEOCODED'),
      addlocation: locationAnswer('addLocation', 'GEOCODED'),
      provisionlocation: { body: '<provisionLocationResponse><LocationStatus><code>PROVISIONED</code></LocationStatus></provisionLocationResponse>' },
    }));
    const { context, notices } = providerContext({ settings: settings(), accountNames: { [ACCOUNT]: 'Acme Corp' } });
    const saved = await provider.save(inService(), context);

    const expected = { ...ADDRESS, ...LOCATION_JSON, status: 'PROVISIONED' };
    expect(saved.features.e911).to.deep.equal(expected);
    expect(saved.publicFields.e911).to.deep.equal(expected);
    expect(notices).to.deep.equal([]);

    expect(mock.requests.map((request) => [request.method, request.path])).to.deep.equal([
      ['POST', '/dash-api/xml/emergencyprovisioning/v1/validatelocation'],
      ['POST', '/dash-api/xml/emergencyprovisioning/v1/addlocation'],
      ['POST', '/dash-api/xml/emergencyprovisioning/v1/provisionlocation'],
    ]);
    const [validate, add, provision] = mock.requests;
    expect(validate.headers.authorization).to.equal(`Basic ${Buffer.from(`kazoo:${PASSWORD}`).toString('base64')}`);
    expect(validate.headers['content-type']).to.equal('text/xml');
    expect(validate.headers.accept).to.equal('*/*');
    expect(validate.headers['user-agent']).to.equal('Kazoo Number Manager 4.0.0');
    expect(validate.body).to.equal(`<?xml version="1.0"?><validateLocation>${EXPECTED_LOCATION_BODY}</validateLocation>`);
    expect(add.body).to.equal(
      `<?xml version="1.0"?><addLocation><uri><uri>tel:14158867900</uri><callername>Acme Corp</callername></uri>${EXPECTED_LOCATION_BODY}</addLocation>`,
    );
    expect(provision.body).to.equal('<?xml version="1.0"?><provisionLocation><locationid>LOC-1</locationid></provisionLocation>');

    mock.requests.length = 0;
    const again = await provider.save(savedAndRead(saved), context);
    expect(mock.requests).to.have.length(0);
    expect(isDirty(again)).to.equal(false);
  });

  it('an address DASH already has provisioned is added and stored as DASH returns it (no provisionLocation)', async () => {
    mock.answer(dash({ validatelocation: locationAnswer('validateLocation', 'PROVISIONED'), addlocation: locationAnswer('addLocation', 'PROVISIONED') }));
    const { context } = providerContext({ settings: settings() });
    const saved = await provider.save(inService({ pvt_state: 'port_in' }), context);
    expect(saved.features.e911).to.deep.equal({ ...ADDRESS, ...LOCATION_JSON, status: 'PROVISIONED' });
    expect(mock.requests.map((request) => request.path.split('/').pop())).to.deep.equal(['validatelocation', 'addlocation']);
  });

  it('caller name: the address caller_name, else the account name padded to 3, else "Valued Customer"', async () => {
    mock.answer(dash({ validatelocation: locationAnswer('validateLocation', 'PROVISIONED'), addlocation: locationAnswer('addLocation', 'PROVISIONED') }));
    const callerName = () => /<callername>([^<]*)<\/callername>/.exec(mock.requests[1].body)?.[1];
    await provider.save(inService({ e911: { ...ADDRESS, caller_name: 'Front Desk' } }), providerContext({ settings: settings(), accountNames: { [ACCOUNT]: 'Acme' } }).context);
    expect(callerName()).to.equal('Front Desk');
    mock.requests.length = 0;
    await provider.save(inService(), providerContext({ settings: settings(), accountNames: { [ACCOUNT]: 'Al' } }).context);
    expect(callerName()).to.equal('Al ');
    mock.requests.length = 0;
    await provider.save(inService(), providerContext({ settings: settings() }).context);
    expect(callerName()).to.equal('Valued Customer');
  });

  it('an invalid address is a 400 invalid naming DASH\'s description and the address; nothing is added', async () => {
    mock.answer(dash({ validatelocation: locationAnswer('validateLocation', 'INVALID', [''], 'Location is not valid') }));
    const error = await provider.save(inService(), providerContext({ settings: settings() }).context).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(KnmError);
    expect((error as KnmError).toJSON()).to.deep.equal({ code: 400, error: 'invalid', message: 'invalid', cause: `Location is not valid (${JSON.stringify(ADDRESS)})` });
    expect(mock.requests).to.have.length(1);
  });

  it('an address geocoded to several locations is multiple_choice with the candidates', async () => {
    const other = LOCATION_XML.replace('LOC-1', 'LOC-2');
    mock.answer(dash({ validatelocation: locationAnswer('validateLocation', 'GEOCODED', [LOCATION_XML, other]) }));
    const error = (await provider.save(inService(), providerContext({ settings: settings() }).context).catch((e: unknown) => e)) as KnmError;
    expect(error.toJSON()).to.include({ code: 500, error: 'unspecified_fault', message: 'multiple_choice' });
    const cause = JSON.parse(error.kazooCause ?? '{}');
    expect(cause.message).to.equal('more than one address found');
    expect(cause.cause).to.deep.equal(ADDRESS);
    expect(cause.details.map((location: { location_id: string }) => location.location_id)).to.deep.equal(['LOC-1', 'LOC-2']);
  });

  it('an ERROR status, an HTTP refusal, a malformed body and no answer are 500 unspecified with Kazoo\'s reason, never the password', async () => {
    const cases: [Reply, string][] = [
      [locationAnswer('validateLocation', 'ERROR', [''], 'Internal problem'), 'Internal problem'],
      [locationAnswer('validateLocation', 'ERROR', [''], `login kazoo:${PASSWORD} refused`), 'login ***:*** refused'],
      [{ status: 401, body: `bad password ${PASSWORD}` }, 'authentication'],
      [{ status: 403 }, 'authorization'],
      [{ status: 404 }, 'not_found'],
      [{ status: 500 }, 'server_error'],
      [{ status: 503 }, 'server_error'],
      [{ status: 200, body: 'this is not xml' }, 'empty_response'],
      [{ status: 200, body: '<validateLocationResponse></validateLocationResponse>' }, 'undefined'],
      [{ hang: true }, 'unreachable'],
    ];
    for (const [reply, message] of cases) {
      mock.answer(() => reply);
      const error = (await provider.save(inService(), providerContext({ settings: settings() }).context).catch((e: unknown) => e)) as KnmError;
      expect(error).to.be.instanceOf(KnmError);
      expect(error.toJSON(), message).to.deep.equal({ code: 500, error: 'unspecified_fault', message, cause: NUMBER });
      expect(error.toLine()).not.to.contain(PASSWORD);
    }
  });

  it('dry run: validates the address, adds nothing, stores the address as given', async () => {
    mock.answer(dash({ validatelocation: locationAnswer('validateLocation', 'GEOCODED') }));
    const saved = await provider.save(inService(), providerContext({ settings: settings(), dryRun: true }).context);
    expect(saved.features.e911).to.deep.equal(ADDRESS);
    expect(mock.requests.map((request) => request.path.split('/').pop())).to.deep.equal(['validatelocation']);
  });

  it('an emptied address removes the URI and the feature; a number that never had one makes no call', async () => {
    mock.answer(dash({ removeuri: { body: '<removeURIResponse><URIStatus><code>REMOVED</code></URIStatus></removeURIResponse>' } }));
    const { context } = providerContext({ settings: settings() });
    const saved = await provider.save(inService({ e911: {}, pvt_features: { e911: ADDRESS } }), context);
    expect(saved.features).to.deep.equal({});
    expect(mock.requests).to.have.length(1);
    expect(mock.requests[0].path).to.equal('/dash-api/xml/emergencyprovisioning/v1/removeuri');
    expect(mock.requests[0].body).to.equal('<?xml version="1.0"?><removeURI><uri>tel:14158867900</uri></removeURI>');

    mock.requests.length = 0;
    const untouched = inService({ e911: {} });
    expect(await provider.save(untouched, context)).to.equal(untouched);
    expect(mock.requests).to.have.length(0);
  });

  it('a number leaving the provisioned states is deleted upstream, even in dry run and when DASH fails', async () => {
    mock.answer(() => ({ status: 500 }));
    const { context } = providerContext({ settings: settings(), dryRun: true });
    const saved = await provider.save(inService({ pvt_state: 'released', pvt_features: { e911: ADDRESS } }), context);
    expect(saved.features).to.deep.equal({});
    expect(mock.requests.map((request) => request.path.split('/').pop())).to.deep.equal(['removeuri']);

    mock.requests.length = 0;
    const deleted = await provider.delete(inService({ pvt_features: { e911: ADDRESS } }), context);
    expect(deleted.features).to.deep.equal({});
    expect(mock.requests).to.have.length(1);
  });

  it('URL and credentials come from KNM_DASH_E911_* over the settings', async () => {
    mock.answer(dash({ validatelocation: locationAnswer('validateLocation', 'GEOCODED'), addlocation: locationAnswer('addLocation', 'PROVISIONED') }));
    const env = { KNM_DASH_E911_EMERGENCY_PROVISIONING_URL: `${mock.url}/env`, KNM_DASH_E911_AUTH_PASSWORD: 'from-env' };
    await provider.save(inService(), providerContext({ settings: { dash_e911: { auth_username: 'kazoo', auth_password: 'stored' } }, env }).context);
    expect(mock.requests[0].path).to.equal('/env/validatelocation');
    expect(mock.requests[0].headers.authorization).to.equal(`Basic ${Buffer.from('kazoo:from-env').toString('base64')}`);
  });
});
