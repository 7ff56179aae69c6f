import { expect } from 'chai';
import { createVitelityE911Provider } from '../../src/providers/vitelity-e911';
import type { FeatureProvider } from '../../src/providers/provider';
import { KnmError } from '../../src/errors';
import { MockCarrier, RecordedRequest, Reply, startMockCarrier } from '../carriers/mock-server';
import { ACCOUNT, numberRecord, providerContext, savedAndRead } from './context';

const NUMBER = '+18122154006';
const PASS = 'v1t&l1ty pass';
const ADDRESS = { street_address: '140 Main St', extended_address: 'Suite 200 East', locality: 'Evansville', region: 'Indiana', postal_code: '47708' };
const SENT_OK = '<?xml version="1.0"?><content><status>ok</status><info><did>8122154006</did><address>140 MAIN ST</address><empty></empty></info></content>';

function vitelity(answers: Record<string, Reply>): (request: RecordedRequest) => Reply {
  return (request) => answers[request.query.get('cmd') ?? ''] ?? { body: '<content><status>fail</status><error>unknown command</error></content>' };
}

describe('providers: knm_vitelity_e911 against a mock Vitelity', function () {
  this.timeout(30000);
  let mock: MockCarrier;
  let provider: FeatureProvider;
  const options = (extra: { dryRun?: boolean; accountNames?: Record<string, string> } = {}) =>
    providerContext({ settings: { vitelity: { api_uri: `${mock.url}/api.php`, login: 'kazoo', pass: PASS } }, ...extra });
  const record = (fields = {}) => numberRecord(NUMBER, 'knm_vitelity', { pvt_state: 'in_service', pvt_assigned_to: ACCOUNT, e911: ADDRESS, ...fields });

  before(async () => {
    mock = await startMockCarrier();
  });
  after(() => mock.close());
  beforeEach(() => {
    mock.requests.length = 0;
    provider = createVitelityE911Provider({ timeoutMs: 1500 });
  });

  it('sends e911send with the unit split and the two-letter state; stores the address merged with the <info> Vitelity answered', async () => {
    mock.answer(vitelity({ e911send: { body: SENT_OK } }));
    const saved = await provider.save(record(), options({ accountNames: { [ACCOUNT]: 'Acme Corp' } }).context);
    expect(mock.requests).to.have.length(1);
    const [request] = mock.requests;
    expect(request.method).to.equal('POST');
    expect(request.path).to.equal('/api.php');
    expect(request.body).to.equal('');
    expect(request.headers['content-type']).to.equal(undefined);
    expect(request.rawQuery).to.equal(
      'did=8122154006&name=Acme+Corp&address=140+Main+St&unittype=Suite&unitnumber=200&city=Evansville&state=IN&zip=47708&xml=yes&cmd=e911send' +
        `&login=kazoo&pass=${encodeURIComponent(PASS).replace(/%20/g, '+')}`,
    );
    expect(saved.features.e911).to.deep.equal({ ...ADDRESS, number: NUMBER, address: '140 MAIN ST' });
    expect(saved.publicFields.e911).to.deep.equal(ADDRESS);
  });

  it('as read: the stored answer differs from the address, so every save re-sends e911send', async () => {
    mock.answer(vitelity({ e911send: { body: SENT_OK } }));
    const saved = await provider.save(record(), options().context);
    await provider.save(savedAndRead(saved), options().context);
    expect(mock.requests.map((request) => request.query.get('cmd'))).to.deep.equal(['e911send', 'e911send']);
  });

  it('a <response> text is stored as it is; customer_name wins over the caller name; a two-letter region is left out', async () => {
    mock.answer(vitelity({ e911send: { body: '<content><status>ok</status><response>Address updated</response></content>' } }));
    const saved = await provider.save(record({ e911: { ...ADDRESS, region: 'IN', customer_name: 'Bob', extended_address: 'Apt' } }), options().context);
    expect(saved.features.e911).to.equal('Address updated');
    const query = mock.requests[0].query;
    expect(query.get('name')).to.equal('Bob');
    expect(query.has('state')).to.equal(false);
    expect(query.get('unittype')).to.equal('Apt');
    expect(query.has('unitnumber')).to.equal(false);
  });

  it('the caller name is the account name padded to 3, else "Valued Customer"', async () => {
    mock.answer(vitelity({ e911send: { body: SENT_OK } }));
    await provider.save(record(), options({ accountNames: { [ACCOUNT]: 'Jo' } }).context);
    await provider.save(record({ pvt_assigned_to: undefined }), options().context);
    expect(mock.requests.map((request) => request.query.get('name'))).to.deep.equal(['Jo ', 'Valued Customer']);
  });

  it('an address without extended_address is a 400 invalid naming the field (Kazoo crashes); nothing is sent', async () => {
    const { extended_address: _unit, ...withoutUnit } = ADDRESS;
    const error = (await provider.save(record({ e911: withoutUnit }), options().context).catch((e: unknown) => e)) as KnmError;
    expect(error).to.be.instanceOf(KnmError);
    expect(error.code).to.equal(400);
    expect(error.error).to.equal('invalid');
    expect(error.kazooCause).to.contain('e911.extended_address');
    expect(mock.requests).to.have.length(0);
  });

  it('status fail, a malformed body, an unknown status and no answer are 500 unspecified, never the password', async () => {
    const cases: [Reply, string][] = [
      [{ body: `<content><status>fail</status><error>Invalid login ${PASS.replace('&', '&amp;')}</error></content>` }, 'Invalid login ***'],
      [{ body: 'Internal Server Error', status: 500 }, 'invalid_resp_from_server'],
      [{ body: '<content><status>maybe</status></content>' }, 'unexpected answer status "maybe"'],
      [{ body: '<content><response>ok</response></content>' }, 'unexpected answer status null'],
      [{ hang: true }, 'no answer (timeout after 1500 ms)'],
    ];
    for (const [reply, message] of cases) {
      mock.answer(() => reply);
      const error = (await provider.save(record(), options().context).catch((e: unknown) => e)) as KnmError;
      expect(error.toJSON(), message).to.deep.equal({ code: 500, error: 'unspecified_fault', message, cause: NUMBER });
      expect(error.toLine()).not.to.contain(PASS);
    }
  });

  it('an emptied address and a number leaving the provisioned states send e911delete (even in dry run, whatever the answer)', async () => {
    mock.answer(vitelity({ e911delete: { body: '<content><status>fail</status><error>no e911</error></content>' } }));
    const emptied = await provider.save(record({ e911: {}, pvt_features: { e911: ADDRESS } }), options().context);
    expect(emptied.features).to.deep.equal({});
    const released = await provider.save(record({ pvt_state: 'released', pvt_features: { e911: ADDRESS } }), options({ dryRun: true }).context);
    expect(released.features).to.deep.equal({});
    expect(mock.requests.map((request) => request.rawQuery)).to.deep.equal([
      `did=8122154006&xml=yes&cmd=e911delete&login=kazoo&pass=${encodeURIComponent(PASS).replace(/%20/g, '+')}`,
      `did=8122154006&xml=yes&cmd=e911delete&login=kazoo&pass=${encodeURIComponent(PASS).replace(/%20/g, '+')}`,
    ]);

    mock.requests.length = 0;
    const never = record({ e911: {} });
    expect(await provider.save(never, options().context)).to.equal(never);
    expect(mock.requests).to.have.length(0);
  });

  it('dry run keeps the address as the feature with no call', async () => {
    const saved = await provider.save(record(), options({ dryRun: true }).context);
    expect(saved.features.e911).to.deep.equal(ADDRESS);
    expect(mock.requests).to.have.length(0);
  });

  it('URL and credentials come from KNM_VITELITY_* over the settings', async () => {
    mock.answer(vitelity({ e911send: { body: SENT_OK } }));
    const { context } = providerContext({ settings: { vitelity: { api_uri: 'http://127.0.0.1:9/unused', login: 'kazoo', pass: 'stored' } }, env: { KNM_VITELITY_API_URI: `${mock.url}/env.php`, KNM_VITELITY_PASS: 'from-env' } });
    await provider.save(record(), context);
    expect(mock.requests[0].path).to.equal('/env.php');
    expect(mock.requests[0].query.get('pass')).to.equal('from-env');
  });
});
