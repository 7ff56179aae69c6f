import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { silentLogger } from '../../src/pipeline/log';
import { providerContexts } from '../../src/providers/context';
import { createNotifier, NOTIFICATIONS_DB, noticeId, type Notifier } from '../../src/providers/notifications';
import type { Notice } from '../../src/providers/provider';
import { connectStore, type Store } from '../../src/store/client';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';
import { fixtureNumber } from '../helpers/kazoo-roles';

const NOTICE: Notice = { kind: 'cnam_request', number: '+14155550100', accountId: 'account0000000000000000000000002', payload: { Cnam: { display_name: 'A' } } };

describe('providers: the notifications database and webhook delivery', function () {
  this.timeout(30_000);
  let server: EmbeddedServer;
  let store: Store;
  let webhook: http.Server;
  let webhookUrl: string;
  let posts: string[];
  let answer: number;

  before(async () => {
    server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    store = connectStore({ url: server.url, retryBaseMs: 20 });
    webhook = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        posts.push(body);
        // slow enough that two workers racing for one notice overlap
        setTimeout(() => response.writeHead(answer).end(), 30);
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await new Promise((resolve) => webhook.close(resolve));
    await server.close();
  });
  beforeEach(async () => {
    posts = [];
    answer = 200;
    await store.deleteDb(NOTIFICATIONS_DB);
  });

  /** `url` null: no webhook configured. */
  function notifier(workerId: string, url: string | null = webhookUrl): Notifier {
    return createNotifier({ store, clock: () => 63_990_000_000, logger: silentLogger, workerId, webhookUrl: async () => url ?? undefined, attempts: 2, retryBaseMs: 10 });
  }

  it('records a notice once, whoever publishes it how often; without a webhook the document is the record', async () => {
    const one = notifier('w1', null);
    await one.notify(NOTICE);
    await one.notify({ ...NOTICE, payload: { Cnam: { display_name: 'A' } } });
    const doc = await store.get(NOTIFICATIONS_DB, noticeId(NOTICE));
    expect(doc).to.deep.include({ kind: 'cnam_request', number: NOTICE.number, account_id: NOTICE.accountId, delivery: { status: 'not_configured' } });
    expect((await store.dbInfo(NOTIFICATIONS_DB)).doc_count).to.equal(1);
  });

  it('a return to an earlier value is a new notice (supersedes is part of its identity)', () => {
    expect(noticeId({ ...NOTICE, supersedes: { display_name: 'B' } })).to.not.equal(noticeId({ ...NOTICE, supersedes: null }));
    expect(noticeId({ ...NOTICE, payload: { b: 1, a: 2 } })).to.equal(noticeId({ ...NOTICE, payload: { a: 2, b: 1 } }));
  });

  it('two workers publishing the same notice at once: one document, one POST, delivered', async () => {
    const [first, second] = [notifier('w1'), notifier('w2')];
    await Promise.all([first.notify(NOTICE), second.notify(NOTICE)]);
    await Promise.all([first.idle(), second.idle()]);
    expect(posts).to.have.length(1);
    expect(JSON.parse(posts[0])).to.deep.include({ id: noticeId(NOTICE), kind: 'cnam_request', payload: NOTICE.payload });
    expect((await store.get(NOTIFICATIONS_DB, noticeId(NOTICE))).delivery).to.deep.include({ status: 'delivered', attempts: 1, http_status: 200 });
  });

  it('a webhook that keeps failing: the bounded attempts, then failed; an unreachable one records the error', async () => {
    answer = 503;
    const worker = notifier('w1');
    await worker.notify(NOTICE);
    await worker.idle();
    expect(posts).to.have.length(2);
    expect((await store.get(NOTIFICATIONS_DB, noticeId(NOTICE))).delivery).to.deep.include({ status: 'failed', attempts: 2, http_status: 503 });

    const nowhere = notifier('w1', 'http://127.0.0.1:1/');
    const other = { ...NOTICE, kind: 'port_request' };
    await nowhere.notify(other);
    await nowhere.idle();
    const delivery = (await store.get(NOTIFICATIONS_DB, noticeId(other))).delivery as Record<string, unknown>;
    expect(delivery).to.include({ status: 'failed', attempts: 2 });
    expect(delivery.error).to.be.a('string');
  });

  it('a context over a store nobody bootstrapped (no system_config) has Kazoo\'s defaults and a working notify', async () => {
    const contexts = providerContexts({ store, clock: () => 63_990_000_000, env: { KNM_TELNYX_TOKEN: 'secret' } });
    const context = await contexts.contextFor(fixtureNumber('+14352154006'), { authBy: 'system', isAdmin: true, system: defaultNumberManagerConfig() });
    expect(context.config.cnam_provider).to.equal('knm_cnam_notifier');
    expect(context.settings('telnyx')).to.deep.equal({ token: 'secret' });
    expect(context.prettyPrint?.('+14155550100')).to.equal('(415) 555 - 0100');
    await context.notify(NOTICE);
    expect((await store.get(NOTIFICATIONS_DB, noticeId(NOTICE))).delivery).to.deep.equal({ status: 'not_configured' });
  });

  it('never fails the save that published it, even with the store gone', async () => {
    const broken = createNotifier({ store: connectStore({ url: 'http://127.0.0.1:1', retryBaseMs: 1, readAttempts: 1 }), clock: () => 0, logger: silentLogger, workerId: 'w', webhookUrl: async () => undefined });
    await broken.notify(NOTICE);
  });
});
