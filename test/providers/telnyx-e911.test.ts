import { expect } from 'chai';
import { createTelnyxE911Provider } from '../../src/providers/telnyx-e911';
import type { FeatureProvider } from '../../src/providers/provider';
import { isDirty } from '../../src/documents/write';
import { KnmError } from '../../src/errors';
import { carrierFixture, MockCarrier, RecordedRequest, Reply, startMockCarrier } from '../carriers/mock-server';
import { ACCOUNT, numberRecord, providerContext, savedAndRead } from './context';

const NUMBER = '+14352154006';
const TOKEN = 't3lnyx-t0ken';
const SETTINGS_PATH = '/origination/numbers/%2B14352154006/e911_settings';
const CREATED_ID = '421564943280637078';
/** Kazoo's test vector (knm_telnyx_tests.erl). */
const E911 = { street_address: '301 Marina Blvd.', locality: 'San Francisco', region: 'CA', postal_code: '94123' };

/** Telnyx as Kazoo's stub answers it (the recorded fixtures); `overrides` by "METHOD path". */
function telnyx(overrides: Record<string, Reply> = {}): (request: RecordedRequest) => Reply {
  return (request) => {
    const key = `${request.method} ${request.path}`;
    if (overrides[key] !== undefined) return overrides[key];
    if (key === 'POST /origination/e911_addresses') return { body: carrierFixture('telnyx_create_e911.json') };
    if (key === `PUT ${SETTINGS_PATH}`) return { body: carrierFixture('telnyx_activate_e911.json') };
    if (request.method === 'DELETE' && request.path.startsWith('/origination/e911_addresses/')) return { body: carrierFixture('telnyx_delete_e911.json') };
    return { status: 404, body: '{"message":"no route"}' };
  };
}

describe('providers: knm_telnyx_e911 against a mock Telnyx', function () {
  this.timeout(30000);
  let mock: MockCarrier;
  let provider: FeatureProvider;
  const options = (extra: { dryRun?: boolean; settings?: object } = {}) =>
    providerContext({
      settings: { telnyx: { user: 'kazoo-user', token: 'overridden-by-env', ...extra.settings } },
      env: { KNM_TELNYX_URL: `${mock.url}/origination/`, KNM_TELNYX_TOKEN: TOKEN },
      dryRun: extra.dryRun,
    });
  const record = (fields = {}) => numberRecord(NUMBER, 'knm_telnyx', { pvt_state: 'in_service', pvt_assigned_to: ACCOUNT, e911: E911, ...fields });
  const calls = () => mock.requests.map((request) => `${request.method} ${request.path}`);

  before(async () => {
    mock = await startMockCarrier();
  });
  after(() => mock.close());
  beforeEach(() => {
    mock.requests.length = 0;
    mock.answer(telnyx());
    provider = createTelnyxE911Provider({ timeoutMs: 1500 });
  });

  it("Kazoo's vector: an address on +14352154006 is created and assigned; e911 is the input, address_id 421564943280637078; a re-save makes no call", async () => {
    const { context, notices } = options();
    const saved = await provider.save(record(), context);
    expect(saved.features.e911).to.deep.equal(E911);
    expect(saved.carrierData.address_id).to.equal(CREATED_ID);
    expect(notices).to.deep.equal([]);

    expect(calls()).to.deep.equal(['POST /origination/e911_addresses', `PUT ${SETTINGS_PATH}`]);
    const [create, assign] = mock.requests;
    expect(JSON.parse(create.body).line_1).to.equal('301 MARINA BLVD');
    expect(create.body).to.equal('{"business_name":"Valued Customer","city":"SAN FRANCISCO","state":"CA","postal_code":"94123","line_1":"301 MARINA BLVD"}');
    expect(create.headers).to.include({
      accept: 'application/json', 'content-type': 'application/json', 'x-api-user': 'kazoo-user', 'x-api-token': TOKEN, 'user-agent': 'Kazoo Number Manager 4.0.0',
    });
    expect(assign.body).to.equal(`{"e911_enabled":true,"e911_address_id":"${CREATED_ID}"}`);

    mock.requests.length = 0;
    const again = await provider.save(savedAndRead(saved), context);
    expect(mock.requests).to.have.length(0);
    expect(isDirty(again)).to.equal(false);
    expect(again.carrierData.address_id).to.equal(CREATED_ID);
  });

  it('a changed address replaces the recorded address id and deletes the old address once the number points at the new one', async () => {
    const changed = record({ e911: { ...E911, extended_address: 'Apt #5' }, pvt_features: { e911: E911 }, pvt_carrier_data: { address_id: 'OLD-ID', order_id: 'o1' } });
    const saved = await provider.save(changed, options().context);
    expect(calls()).to.deep.equal(['POST /origination/e911_addresses', `PUT ${SETTINGS_PATH}`, 'DELETE /origination/e911_addresses/OLD-ID']);
    expect(JSON.parse(mock.requests[0].body).line_2).to.equal('APT 5');
    expect(mock.requests[2].body).to.equal('');
    expect(mock.requests[2].headers['content-type']).to.equal(undefined);
    expect(saved.carrierData).to.deep.equal({ address_id: CREATED_ID, order_id: 'o1' });
    expect(saved.features.e911).to.deep.equal({ ...E911, extended_address: 'Apt #5' });
  });

  it('an emptied address disables e911 on the number, deletes the address and forgets its id', async () => {
    const emptied = record({ e911: {}, pvt_features: { e911: E911 }, pvt_carrier_data: { address_id: CREATED_ID } });
    const saved = await provider.save(emptied, options().context);
    expect(calls()).to.deep.equal([`PUT ${SETTINGS_PATH}`, `DELETE /origination/e911_addresses/${CREATED_ID}`]);
    expect(mock.requests[0].body).to.equal('{"e911_enabled":false,"e911_address_id":null}');
    expect(saved.features).to.deep.equal({});
    expect(saved.carrierData).to.deep.equal({});

    mock.requests.length = 0;
    await provider.save(savedAndRead(saved), options().context);
    expect(mock.requests).to.have.length(0);
  });

  it('dry run and sandbox_provisioning keep the feature only, with no call', async () => {
    for (const context of [options({ dryRun: true }).context, options({ settings: { sandbox_provisioning: true } }).context]) {
      const saved = await provider.save(record(), context);
      expect(saved.features.e911).to.deep.equal(E911);
      expect(saved.carrierData).to.deep.equal({});
      const emptied = await provider.save(record({ e911: {}, pvt_features: { e911: E911 }, pvt_carrier_data: { address_id: CREATED_ID } }), context);
      expect(emptied.features).to.deep.equal({});
    }
    expect(mock.requests).to.have.length(0);
  });

  it('a number leaving the provisioned states is disabled upstream, even in sandbox; without an address id only the feature goes', async () => {
    const sandbox = options({ settings: { sandbox_provisioning: true } }).context;
    const released = await provider.save(record({ pvt_state: 'released', pvt_features: { e911: E911 }, pvt_carrier_data: { address_id: CREATED_ID } }), sandbox);
    expect(released.features).to.deep.equal({});
    expect(calls()).to.deep.equal([`PUT ${SETTINGS_PATH}`, `DELETE /origination/e911_addresses/${CREATED_ID}`]);

    mock.requests.length = 0;
    const deleted = await provider.delete(record({ pvt_features: { e911: E911 } }), sandbox);
    expect(deleted.features).to.deep.equal({});
    expect(mock.requests).to.have.length(0);
    const untouched = record({ pvt_state: 'aging' });
    expect(await provider.delete(untouched, sandbox)).to.equal(untouched);
  });

  it('Telnyx refusing the address is 500 unspecified with its message and reasons; nothing is assigned', async () => {
    mock.answer(telnyx({ 'POST /origination/e911_addresses': { body: '{"status":"failed","message":"Invalid address","reasons":["postal_code"]}' } }));
    const error = (await provider.save(record(), options().context).catch((e: unknown) => e)) as KnmError;
    expect(error).to.be.instanceOf(KnmError);
    expect(error.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: '{"message":"Invalid address","reasons":["postal_code"]}', cause: NUMBER });
    expect(calls()).to.deep.equal(['POST /origination/e911_addresses']);
  });

  it('a failed assignment is 500 unspecified and the address just created is deleted', async () => {
    mock.answer(telnyx({ [`PUT ${SETTINGS_PATH}`]: { body: '{"success":false,"message":"number not found"}' } }));
    const error = (await provider.save(record(), options().context).catch((e: unknown) => e)) as KnmError;
    expect(error.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: '{"message":"number not found"}', cause: NUMBER });
    expect(calls()).to.deep.equal(['POST /origination/e911_addresses', `PUT ${SETTINGS_PATH}`, `DELETE /origination/e911_addresses/${CREATED_ID}`]);
  });

  it("HTTP errors, malformed bodies and no answer are 500 unspecified with rep/1's reason, never the token", async () => {
    const cases: [Reply, string][] = [
      [{ status: 401, body: `{"message":"bad token ${TOKEN}"}` }, 'unauthenticated'],
      [{ status: 403 }, 'unauthorized'],
      [{ status: 404 }, 'not_found'],
      [{ status: 500 }, 'server_error'],
      [{ status: 200, body: 'not json' }, 'empty_response'],
      [{ status: 200, body: '{"truncated": ' }, 'empty_response'],
      [{ status: 200, body: '{}' }, '{}'],
      [{ hang: true }, 'no answer (timeout after 1500 ms)'],
    ];
    for (const [reply, message] of cases) {
      mock.answer(telnyx({ 'POST /origination/e911_addresses': reply }));
      const error = (await provider.save(record(), options().context).catch((e: unknown) => e)) as KnmError;
      expect(error.toJSON(), message).to.deep.equal({ code: 500, error: 'unspecified_fault', message, cause: NUMBER });
      expect(error.toLine()).not.to.contain(TOKEN);
    }
  });

  it('a failed disable on delete is 500 unspecified (the number keeps its feature)', async () => {
    mock.answer(telnyx({ [`PUT ${SETTINGS_PATH}`]: { status: 500 } }));
    const error = (await provider.delete(record({ pvt_features: { e911: E911 }, pvt_carrier_data: { address_id: CREATED_ID } }), options().context).catch((e: unknown) => e)) as KnmError;
    expect(error.toJSON()).to.deep.equal({ code: 500, error: 'unspecified_fault', message: 'server_error', cause: NUMBER });
  });
});
