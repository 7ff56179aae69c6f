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
  let notice: Notice;
  beforeEach(async () => {
    posts = [];
    answer = 200;
    // A clean slate, and the same notice in each test: every life of the database goes through the same revisions.
    await store.deleteDb(NOTIFICATIONS_DB);
    notice = NOTICE;
  });

  /** `url` null: no webhook configured. */
  function notifier(workerId: string, url: string | null = webhookUrl): Notifier {
    return createNotifier({ store, clock: () => 63_990_000_000, logger: silentLogger, workerId, webhookUrl: async () => url ?? undefined, attempts: 2, retryBaseMs: 10 });
  }

  it('records a notice once, whoever publishes it how often; without a webhook the document is the record', async () => {
    const one = notifier('w1', null);
    await one.notify(notice);
    await one.notify({ ...notice, payload: { Cnam: { display_name: 'A' } } });
    const doc = await store.get(NOTIFICATIONS_DB, noticeId(notice));
    expect(doc).to.deep.include({ kind: 'cnam_request', number: notice.number, account_id: notice.accountId, delivery: { status: 'not_configured' } });
    expect(String(doc._rev)).to.match(/^1-/);
  });

  it('a return to an earlier value is a new notice (supersedes is part of its identity)', () => {
    expect(noticeId({ ...notice, supersedes: { display_name: 'B' } })).to.not.equal(noticeId({ ...notice, supersedes: null }));
    expect(noticeId({ ...notice, payload: { b: 1, a: 2 } })).to.equal(noticeId({ ...notice, payload: { a: 2, b: 1 } }));
  });

  it('two workers publishing the same notice at once: one document, one POST, delivered', async () => {
    const [first, second] = [notifier('w1'), notifier('w2')];
    await Promise.all([first.notify(notice), second.notify(notice)]);
    await Promise.all([first.idle(), second.idle()]);
    expect(posts).to.have.length(1);
    expect(JSON.parse(posts[0])).to.deep.include({ id: noticeId(notice), kind: 'cnam_request', payload: notice.payload });
    expect((await store.get(NOTIFICATIONS_DB, noticeId(notice))).delivery).to.deep.include({ status: 'delivered', attempts: 1, http_status: 200 });
  });

  it('a webhook that keeps failing: the bounded attempts, then failed; an unreachable one records the error', async () => {
    answer = 503;
    const worker = notifier('w1');
    await worker.notify(notice);
    await worker.idle();
    expect(posts).to.have.length(2);
    expect((await store.get(NOTIFICATIONS_DB, noticeId(notice))).delivery).to.deep.include({ status: 'failed', attempts: 2, http_status: 503 });

    const nowhere = notifier('w1', 'http://127.0.0.1:1/');
    const other = { ...notice, kind: 'port_request' };
    await nowhere.notify(other);
    await nowhere.idle();
    const delivery = (await store.get(NOTIFICATIONS_DB, noticeId(other))).delivery as Record<string, unknown>;
    expect(delivery).to.include({ status: 'failed', attempts: 2 });
    expect(delivery.error).to.be.a('string');
  });

  it('takes up a delivery a worker left unfinished, claimed the same way, once', async () => {
    const first = notifier('w1', null);
    await first.notify(notice);
    // A worker died after its claim: the document says sending, long ago.
    const left = await store.get(NOTIFICATIONS_DB, noticeId(notice));
    await store.put(NOTIFICATIONS_DB, { ...left, delivery: { status: 'sending', attempts: 0, claimed_by: 'w1', at: 63_000_000_000 } });
    const [a, b] = [notifier('w2'), notifier('w3')];
    const taken = await Promise.all([a.redeliverStale(60), b.redeliverStale(60)]);
    await Promise.all([a.idle(), b.idle()]);
    expect(taken).to.deep.equal([1, 1]);
    expect(posts).to.have.length(1);
    expect((await store.get(NOTIFICATIONS_DB, noticeId(notice))).delivery).to.deep.include({ status: 'delivered', attempts: 1 });
    expect(await a.redeliverStale(60)).to.equal(0);
  });

  it('a context over a store nobody bootstrapped (no system_config) has Kazoo\'s defaults and a working notify', async () => {
    const contexts = providerContexts({ store, clock: () => 63_990_000_000, env: { KNM_TELNYX_TOKEN: 'secret' } });
    const context = await contexts.contextFor(fixtureNumber('+14352154006'), { authBy: 'system', isAdmin: true, system: defaultNumberManagerConfig() });
    expect(context.config.cnam_provider).to.equal('knm_cnam_notifier');
    expect(context.settings('telnyx')).to.deep.equal({ token: 'secret' });
    expect(context.prettyPrint?.('+14155550100')).to.equal('(415) 555 - 0100');
    await context.notify(notice);
    expect((await store.get(NOTIFICATIONS_DB, noticeId(notice))).delivery).to.deep.equal({ status: 'not_configured' });
  });

  it('never fails the save that published it, even with the store gone', async () => {
    const broken = createNotifier({ store: connectStore({ url: 'http://127.0.0.1:1', retryBaseMs: 1, readAttempts: 1 }), clock: () => 0, logger: silentLogger, workerId: 'w', webhookUrl: async () => undefined });
    await broken.notify(notice);
  });
});
