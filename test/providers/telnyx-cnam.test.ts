import { expect } from 'chai';
import { createTelnyxCnamProvider } from '../../src/providers/telnyx-cnam';
import type { FeatureProvider } from '../../src/providers/provider';
import { isDirty } from '../../src/documents/write';
import { KnmError } from '../../src/errors';
import { carrierFixture, MockCarrier, RecordedRequest, Reply, startMockCarrier } from '../carriers/mock-server';
import { ACCOUNT, numberRecord, providerContext, savedAndRead } from './context';

const NUMBER = '+14352154006';
const TOKEN = 'cn4m-t0ken';
const NUMBER_PATH = '/origination/numbers/%2B14352154006';
const CNAM = { inbound_lookup: true, display_name: 'my CNAM' };

/** Telnyx as Kazoo's stub answers `PUT numbers/…`: the listing fixture, the enable fixture, and `{"enable_caller_id_name": false}`. */
function telnyx(request: RecordedRequest): Reply {
  if (request.method !== 'PUT' || request.path !== NUMBER_PATH) return { status: 404, body: '{}' };
  const body = JSON.parse(request.body);
  if ('cnam_listing_details' in body) return { body: carrierFixture('telnyx_activate_cnam_outbound.json') };
  if (body.enable_caller_id_name === true) return { body: carrierFixture('telnyx_activate_cnam_inbound.json') };
  return { body: '{"enable_caller_id_name": false}' };
}

describe('providers: knm_telnyx_cnam against a mock Telnyx', function () {
  this.timeout(30000);
  let mock: MockCarrier;
  let provider: FeatureProvider;
  const options = (dryRun = false) =>
    providerContext({ settings: { telnyx: { user: 'kazoo-user', token: TOKEN, url: `${mock.url}/origination/` } }, authBy: ACCOUNT, dryRun });
  const record = (fields = {}) => numberRecord(NUMBER, 'knm_telnyx', { pvt_state: 'in_service', pvt_assigned_to: ACCOUNT, cnam: CNAM, ...fields });

  before(async () => {
    mock = await startMockCarrier();
  });
  after(() => mock.close());
  beforeEach(() => {
    mock.requests.length = 0;
    mock.answer(telnyx);
    provider = createTelnyxCnamProvider({ timeoutMs: 1500 });
  });

  it("Kazoo's vectors: activate both, re-save is not dirty, a doc without cnam clears both", async () => {
    const { context, notices } = options();
    const saved = await provider.save(record(), context);
    expect(saved.features).to.deep.equal({ outbound_cnam: { display_name: 'my CNAM' }, inbound_cnam: { inbound_lookup: true } });
    expect(mock.requests.map((request) => [request.method, request.path, request.body])).to.deep.equal([
      ['PUT', NUMBER_PATH, '{"cnam_listing_details":"my CNAM","enable_caller_id_name":true}'],
      ['PUT', NUMBER_PATH, '{"enable_caller_id_name":true}'],
    ]);
    expect(mock.requests[0].headers).to.include({ 'x-api-user': 'kazoo-user', 'x-api-token': TOKEN, 'content-type': 'application/json', accept: 'application/json' });
    expect(notices).to.deep.equal([
      {
        kind: 'cnam_request',
        number: NUMBER,
        accountId: ACCOUNT,
        payload: {
          'Account-ID': ACCOUNT, 'Number-State': 'in_service', 'Local-Number': false, Number: '(435) 215 - 4006', 'Acquired-For': ACCOUNT, Cnam: { display_name: 'my CNAM' },
        },
        supersedes: null,
      },
    ]);

    mock.requests.length = 0;
    const stored = savedAndRead(saved);
    const again = await provider.save(stored, context);
    expect(isDirty(again)).to.equal(false);
    expect(mock.requests).to.have.length(0);
    expect(notices).to.have.length(1);

    const { cnam: _cnam, ...withoutCnam } = stored.publicFields;
    const cleared = await provider.save({ ...stored, publicFields: withoutCnam }, context);
    expect(isDirty(cleared)).to.equal(true);
    expect(cleared.features).to.deep.equal({});
    expect(cleared.publicFields).not.to.have.property('cnam');
    expect(mock.requests.map((request) => request.body)).to.deep.equal(['{"enable_caller_id_name":false}']);
  });

  it('a changed display name is sent alone; the legacy cnam feature goes', async () => {
    const { context, notices } = options();
    const saved = await provider.save(record({ pvt_features: { outbound_cnam: { display_name: 'old' }, inbound_cnam: { inbound_lookup: true }, cnam: { x: 1 } } }), context);
    expect(mock.requests.map((request) => request.body)).to.deep.equal(['{"cnam_listing_details":"my CNAM","enable_caller_id_name":true}']);
    expect(saved.features).to.deep.equal({ outbound_cnam: { display_name: 'my CNAM' }, inbound_cnam: { inbound_lookup: true } });
    // the notice names what it replaces: a later return to 'old' is a new notice, not a replay of the first
    expect(notices.map((notice) => notice.supersedes)).to.deep.equal([{ display_name: 'old' }]);
  });

  it('an answer that does not echo the listing is 500 unspecified saying what Telnyx answered; no notice', async () => {
    mock.answer(() => ({ body: '{"cnam_listing_details":"MY CNAM"}' }));
    const { context, notices } = options();
    const error = (await provider.save(record(), context).catch((e: unknown) => e)) as KnmError;
    expect(error).to.be.instanceOf(KnmError);
    expect(error.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: 'Telnyx answered cnam_listing_details "MY CNAM" instead of "my CNAM"', cause: NUMBER });
    expect(notices).to.deep.equal([]);
  });

  it('an inbound answer that does not echo enable_caller_id_name is 500 unspecified', async () => {
    mock.answer(() => ({ body: '{"enable_caller_id_name":false}' }));
    const error = (await provider.save(record({ cnam: { inbound_lookup: true } }), options().context).catch((e: unknown) => e)) as KnmError;
    expect(error.message).to.equal('Telnyx answered enable_caller_id_name false instead of true');
  });

  it('HTTP errors, malformed bodies and no answer are fault by carrier knm_telnyx, never the token', async () => {
    const cases: [Reply, string][] = [
      [{ status: 401, body: `{"token":"${TOKEN}"}` }, 'unauthenticated'],
      [{ status: 403 }, 'unauthorized'],
      [{ status: 404 }, 'not_found'],
      [{ status: 502 }, 'server_error'],
      [{ status: 204 }, 'empty_response'],
      [{ status: 200, body: '[]' }, 'empty_response'],
      [{ hang: true }, 'no answer (timeout after 1500 ms)'],
    ];
    for (const [reply, reason] of cases) {
      mock.answer(() => reply);
      const error = (await provider.save(record(), options().context).catch((e: unknown) => e)) as KnmError;
      expect(error.toJSON(), reason).to.deep.equal({ code: 500, error: 'unspecified_fault', message: `fault by carrier: knm_telnyx: ${reason}`, cause: NUMBER });
      expect(error.toLine()).not.to.contain(TOKEN);
    }
  });

  it('dry run: no call and no notice; the display name is kept bare (as read)', async () => {
    const { context, notices } = options(true);
    const saved = await provider.save(record(), context);
    expect(saved.features).to.deep.equal({ outbound_cnam: 'my CNAM', inbound_cnam: { inbound_lookup: true } });
    expect(await provider.delete(saved, context)).to.have.property('features').that.deep.equals({});
    expect(mock.requests).to.have.length(0);
    expect(notices).to.deep.equal([]);
  });

  it('states other than reserved, in_service and port_in are left as they are', async () => {
    const released = record({ pvt_state: 'released', pvt_features: { outbound_cnam: { display_name: 'x' } } });
    expect(await provider.save(released, options().context)).to.equal(released);
    expect(mock.requests).to.have.length(0);
  });

  it('delete disables the lookup and removes the three features; a number without them makes no call', async () => {
    const deleted = await provider.delete(record({ pvt_features: { outbound_cnam: { display_name: 'my CNAM' }, inbound_cnam: { inbound_lookup: true }, prepend: { enabled: true } } }), options().context);
    expect(deleted.features).to.deep.equal({ prepend: { enabled: true } });
    expect(mock.requests.map((request) => request.body)).to.deep.equal(['{"enable_caller_id_name":false}']);

    mock.requests.length = 0;
    const bare = record();
    expect(await provider.delete(bare, options().context)).to.equal(bare);
    expect(mock.requests).to.have.length(0);
  });
});
