import { runKnm as knm } from '../helpers/cli';
import { expect } from 'chai';
import { startEmbeddedServer, EmbeddedServer } from '../../src/store/embedded';
import { connectStore, Store } from '../../src/store/client';
import { bootstrap } from '../../src/store/bootstrap';
import { loadDesignDocs } from '../../src/store/design-docs';
import { carrierFixture, MockCarrier, startMockCarrier } from './mock-server';

const TOKEN = 'cli-s3cret-token';

/** What Telnyx offers in the recorded answer: its first `limit` (5) results, which knm sorts by number. */
function offered(): string[] {
  const answer = JSON.parse(carrierFixture('telnyx_npa_search.json')) as { limit: number; result: { number_e164: string }[] };
  return answer.result.slice(0, answer.limit).map((entry) => entry.number_e164).sort();
}


describe('cli: knm search', function () {
  this.timeout(60000);
  let server: EmbeddedServer;
  let store: Store;
  let telnyx: MockCarrier;
  let vitelity: MockCarrier;
  let env: Record<string, string>;

  before(async () => {
    server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    store = connectStore({ url: server.url });
    await bootstrap({ store, target: { url: server.url }, library: await loadDesignDocs(), now: 63990000000 });
    const numberManager = await store.get('system_config', 'number_manager');
    await store.put('system_config', { ...numberManager, default: { ...(numberManager.default as object), carrier_modules: ['knm_telnyx', 'knm_vitelity'] } });
    telnyx = await startMockCarrier(() => ({ body: carrierFixture('telnyx_npa_search.json') }));
    vitelity = await startMockCarrier(() => ({ body: '<?xml version="1.0"?><content><status>fail</status><error>Invalid login</error></content>' }));
    env = {
      COUCH_URL: server.url,
      KNM_TELNYX_URL: telnyx.url,
      KNM_TELNYX_USER: 'kazoo',
      KNM_TELNYX_TOKEN: TOKEN,
      KNM_VITELITY_API_URI: `${vitelity.url}/api.php`,
      KNM_VITELITY_PASS: TOKEN,
    };
  });
  after(async () => {
    await telnyx.close();
    await vitelity.close();
    await server.close();
  });

  it('--json prints one JSON document: the page, each carrier, the discovery numbers kept; failures on stderr', async () => {
    const result = await knm(['search', '301359', '--quantity', '2', '--json'], env);
    expect(result.status, result.stderr).to.equal(0);
    const answer = JSON.parse(result.stdout) as { prefix: string; data: unknown[]; carriers: { module: string; outcome: string }[]; discovery: { written: string[] } };
    expect(answer.prefix).to.equal('+1301359');
    expect(answer.data).to.deep.equal(offered().slice(0, 2).map((number) => ({ number, state: 'discovery' })));
    expect(answer.carriers.map((carrier) => [carrier.module, carrier.outcome])).to.deep.equal([['knm_telnyx', 'numbers'], ['knm_vitelity', 'error']]);
    expect(answer.discovery.written.sort()).to.deep.equal(offered());
    expect(result.stderr).to.contain('knm: knm_vitelity gave no numbers: Invalid login');
    expect(result.stdout + result.stderr).not.to.contain(TOKEN);
    expect(telnyx.requests[0].headers['x-api-token']).to.equal(TOKEN);
    expect((await store.get('numbers/+1301', offered()[4])).pvt_state).to.equal('discovery');
  });

  it('prints one line per number for people', async () => {
    const result = await knm(['search', '+1301359', '--quantity', '1', '--offset', '1'], env);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.equal(`${offered()[1]} discovery\n`);
  });

  for (const [args, complaint] of [
    [['search', '41a5'], 'PREFIX must be digits'],
    [['search', '415', '--quantity', '0'], '--quantity must be a positive integer'],
    [['search', '415', '--account', 'nope'], '--account must be a 32-character account id'],
    [['search', '415', '--country', 'USA'], '--country must be a two-letter country code'],
  ] as const) {
    it(`exits 2 with one line and the usage line for ${args.slice(1).join(' ')}`, async () => {
      const result = await knm([...args], env);
      expect(result.status).to.equal(2);
      expect(result.stderr.trim().split('\n')).to.have.length(2);
      expect(result.stderr.trim().split('\n')[1]).to.equal('usage: knm search <prefix>');
      expect(result.stderr).to.contain(complaint);
      expect(result.stdout).to.equal('');
    });
  }
});
