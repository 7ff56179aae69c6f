import { expect } from 'chai';
import { createVitelityCnamProvider } from '../../src/providers/vitelity-cnam';
import type { FeatureProvider } from '../../src/providers/provider';
import { KnmError } from '../../src/errors';
import { MockCarrier, RecordedRequest, Reply, startMockCarrier } from '../carriers/mock-server';
import { ACCOUNT, numberRecord, providerContext, savedAndRead } from './context';

const NUMBER = '+18122154006';
const PASS = 'cn4m pass';
const QUERY_PASS = `login=kazoo&pass=${PASS.replace(' ', '+')}`;
const OK = '<content><status>ok</status><response>ok</response></content>';

function vitelity(answers: Record<string, Reply>): (request: RecordedRequest) => Reply {
  return (request) => answers[request.query.get('cmd') ?? ''] ?? { body: OK };
}

describe('providers: knm_vitelity_cnam against a mock Vitelity', function () {
  this.timeout(30000);
  let mock: MockCarrier;
  let provider: FeatureProvider;
  const options = (dryRun = false) => providerContext({ settings: { vitelity: { api_uri: `${mock.url}/api.php`, login: 'kazoo', pass: PASS } }, authBy: 'system', dryRun });
  const record = (fields = {}) => numberRecord(NUMBER, 'knm_vitelity', { pvt_state: 'reserved', pvt_assigned_to: ACCOUNT, cnam: { display_name: 'ACME CORP', inbound_lookup: true }, ...fields });
  const queries = () => mock.requests.map((request) => request.rawQuery);

  before(async () => {
    mock = await startMockCarrier();
  });
  after(() => mock.close());
  beforeEach(() => {
    mock.requests.length = 0;
    mock.answer(vitelity({}));
    provider = createVitelityCnamProvider({ timeoutMs: 1500 });
  });

  it('lists the display name with lidb, enables the lookup with cnamenable, and publishes cnam_request', async () => {
    const { context, notices } = options();
    const saved = await provider.save(record(), context);
    expect(saved.features).to.deep.equal({ outbound_cnam: { display_name: 'ACME CORP' }, inbound_cnam: { inbound_lookup: true } });
    expect(queries()).to.deep.equal([`cmd=lidb&did=8122154006&name=ACME+CORP&xml=yes&${QUERY_PASS}`, `did=8122154006&cmd=cnamenable&xml=yes&${QUERY_PASS}`]);
    expect(mock.requests.every((request) => request.method === 'POST' && request.path === '/api.php' && request.body === '')).to.equal(true);
    expect(notices).to.deep.equal([
      {
        kind: 'cnam_request',
        number: NUMBER,
        accountId: ACCOUNT,
        payload: { 'Account-ID': ACCOUNT, 'Number-State': 'reserved', 'Local-Number': false, Number: '(812) 215 - 4006', 'Acquired-For': 'system', Cnam: { display_name: 'ACME CORP' } },
        supersedes: null,
      },
    ]);
  });

  it('as read: a re-save lists nothing again but sends cnamenable again (inbound has no change detection)', async () => {
    const { context, notices } = options();
    const saved = await provider.save(record(), context);
    mock.requests.length = 0;
    const again = await provider.save(savedAndRead(saved), context);
    expect(again.features).to.deep.equal(saved.features);
    expect(queries()).to.deep.equal([`did=8122154006&cmd=cnamenable&xml=yes&${QUERY_PASS}`]);
    expect(notices).to.have.length(1);
  });

  it('lookup off sends cnamdisable whatever it answers and removes the feature; no display name removes the listing feature', async () => {
    mock.answer(vitelity({ cnamdisable: { body: '<content><status>fail</status><error>not enabled</error></content>' } }));
    const saved = await provider.save(record({ cnam: { inbound_lookup: false }, pvt_features: { outbound_cnam: { display_name: 'x' }, inbound_cnam: { inbound_lookup: true } } }), options().context);
    expect(saved.features).to.deep.equal({});
    expect(queries()).to.deep.equal([`did=8122154006&cmd=cnamdisable&xml=yes&${QUERY_PASS}`]);
  });

  it('lidb refusals are 500 unspecified with what Vitelity said (fail, a <response> other than ok, none, unreadable, no answer), never the password', async () => {
    const cases: [Reply, string][] = [
      [{ body: `<content><status>fail</status><error>bad login ${PASS}</error></content>` }, 'bad login ***'],
      [{ body: '<content><status>ok</status><response>name too long</response></content>' }, 'name too long'],
      [{ body: '<content><status>ok</status></content>' }, 'resp_tag_not_found'],
      [{ body: '<html>oops</html>' }, 'invalid_resp_format'],
      [{ hang: true }, 'no answer (timeout after 1500 ms)'],
    ];
    for (const [reply, message] of cases) {
      mock.answer(vitelity({ lidb: reply }));
      const { context, notices } = options();
      const error = (await provider.save(record(), context).catch((e: unknown) => e)) as KnmError;
      expect(error).to.be.instanceOf(KnmError);
      expect(error.toJSON(), message).to.deep.equal({ code: 500, error: 'unspecified_fault', message, cause: NUMBER });
      expect(error.toLine()).not.to.contain(PASS);
      expect(notices).to.deep.equal([]);
    }
  });

  it('a refused cnamenable is 500 unspecified', async () => {
    mock.answer(vitelity({ cnamenable: { body: '<content><status>fail</status><error>DID not found</error></content>' } }));
    const error = (await provider.save(record({ cnam: { inbound_lookup: true } }), options().context).catch((e: unknown) => e)) as KnmError;
    expect(error.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: 'DID not found', cause: NUMBER });
  });

  it('dry run: no call on save, the name kept bare (as read); delete still disables (not gated)', async () => {
    const { context, notices } = options(true);
    const saved = await provider.save(record(), context);
    expect(saved.features).to.deep.equal({ outbound_cnam: 'ACME CORP', inbound_cnam: { inbound_lookup: true } });
    expect(mock.requests).to.have.length(0);
    expect(notices).to.deep.equal([]);

    const deleted = await provider.delete({ ...saved, features: { ...saved.features, cnam: {} } }, context);
    expect(deleted.features).to.deep.equal({});
    expect(queries()).to.deep.equal([`did=8122154006&cmd=cnamdisable&xml=yes&${QUERY_PASS}`]);
  });

  it('other states and a delete without CNAM features make no call', async () => {
    const released = record({ pvt_state: 'released' });
    expect(await provider.save(released, options().context)).to.equal(released);
    const bare = record();
    expect(await provider.delete(bare, options().context)).to.equal(bare);
    expect(mock.requests).to.have.length(0);
  });
});
