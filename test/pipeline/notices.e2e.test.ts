import { expect } from 'chai';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NOTIFICATIONS_DB } from '../../src/providers/notifications';
import { eventually, heldNumber, http as couch, kazooWrite, readDoc, RESELLER, startHarness, type Harness } from './harness';

interface Webhook {
  url: string;
  received: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A loopback webhook answering `status` to every POST. */
async function startWebhook(status: number): Promise<Webhook> {
  const received: Record<string, unknown>[] = [];
  const server = http.createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/notices`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('pipeline notices, end to end: provider notices become notification documents and reach the webhook', function () {
  this.timeout(30_000);
  let harness: Harness;
  let webhook: Webhook | undefined;

  beforeEach(async function () {
    harness = await startHarness();
  });
  afterEach(async function () {
    await harness.close();
    await webhook?.close();
    webhook = undefined;
  });

  async function notices(kind: string): Promise<Record<string, unknown>[]> {
    const answer = await couch(harness.server.url, 'GET', `/${NOTIFICATIONS_DB}/_all_docs?include_docs=true`);
    if (answer.status === 404) return [];
    const rows = answer.body.rows as { doc: Record<string, unknown> }[];
    return rows.map((row) => row.doc).filter((doc) => doc.kind === kind);
  }

  it('a curl-written cnam.display_name on an in_service number: outbound_cnam written and exactly one cnam_request recorded', async function () {
    await harness.start();
    const NUMBER = '+14158867910';
    await kazooWrite(harness.server.url, NUMBER, heldNumber(NUMBER, 'in_service', { cnam: { display_name: 'ACME' } }));
    const doc = await eventually('outbound_cnam', async () => {
      const found = await readDoc(harness.store, NUMBER);
      return (found?.pvt_features as Record<string, unknown> | undefined)?.outbound_cnam !== undefined ? found : undefined;
    });
    expect(doc?.pvt_features).to.deep.equal({ outbound_cnam: { display_name: 'ACME' } });
    const [notice, ...more] = await eventually('the notice', async () => ((await notices('cnam_request')).length > 0 ? notices('cnam_request') : undefined));
    expect(more).to.deep.equal([]);
    expect(notice).to.deep.include({ kind: 'cnam_request', number: NUMBER, account_id: RESELLER, delivery: { status: 'not_configured' } });
    expect(notice.payload).to.deep.include({ 'Account-ID': RESELLER, 'Number-State': 'in_service', 'Local-Number': false, Cnam: { display_name: 'ACME' } });

    // An unrelated edit, then the pipeline reading the whole database again from the start, record nothing new.
    await kazooWrite(harness.server.url, NUMBER, (current) => ({ ...current, pvt_used_by: 'callflow' }));
    await harness.pipeline?.idle();
    await harness.pipeline?.stop();
    await harness.store.remove('knm_pipeline', `checkpoint:numbers/+1415`, (await harness.store.get('knm_pipeline', 'checkpoint:numbers/+1415'))._rev);
    await harness.start();
    await harness.pipeline?.idle();
    expect(await notices('cnam_request')).to.have.length(1);
  });

  it('a curl-written port on a port_in number: port_request recorded, delivered to the webhook and marked delivered', async function () {
    webhook = await startWebhook(202);
    await harness.start({ env: { KNM_NOTIFICATIONS_WEBHOOK_URL: webhook.url } });
    const NUMBER = '+14158867911';
    const port = { name: 'ACME port', carrier: 'OldCo' };
    await kazooWrite(harness.server.url, NUMBER, heldNumber(NUMBER, 'port_in', { port }));
    const [notice] = await eventually('the delivery', async () => {
      const found = await notices('port_request');
      return found.length > 0 && (found[0].delivery as { status?: string }).status === 'delivered' ? found : undefined;
    });
    expect(notice.delivery).to.deep.include({ status: 'delivered', attempts: 1, http_status: 202 });
    expect(notice.payload).to.deep.include({ 'Account-ID': RESELLER, 'Number-State': 'port_in', 'Authorized-By': 'system', Port: port });
    expect(webhook.received).to.have.length(1);
    expect(webhook.received[0]).to.deep.include({ id: notice._id, kind: 'port_request', number: NUMBER, account_id: RESELLER });
    expect((await readDoc(harness.store, NUMBER))?.pvt_features).to.deep.equal({ port });
  });

  it('a failing webhook: the notice is tried a bounded number of times and recorded failed with its attempts', async function () {
    webhook = await startWebhook(500);
    await harness.start({ env: { KNM_NOTIFICATIONS_WEBHOOK_URL: webhook.url }, notifications: { attempts: 3, retryBaseMs: 10 } });
    const NUMBER = '+14158867912';
    await kazooWrite(harness.server.url, NUMBER, heldNumber(NUMBER, 'in_service', { cnam: { display_name: 'FAIL' } }));
    const [notice] = await eventually('the failed delivery', async () => {
      const found = await notices('cnam_request');
      return found.length > 0 && (found[0].delivery as { status?: string }).status === 'failed' ? found : undefined;
    });
    expect(notice.delivery).to.deep.include({ status: 'failed', attempts: 3, http_status: 500, error: 'HTTP 500' });
    expect(webhook.received).to.have.length(3);
  });

  it('a refused feature is recorded on the document once, and not tried again until the request changes', async function () {
    await harness.start();
    const NUMBER = '+14158867913';
    // A knm_local number may not have CNAM by default (local numbers are denied external features).
    await kazooWrite(harness.server.url, NUMBER, heldNumber(NUMBER, 'in_service', { pvt_module_name: 'knm_local', cnam: { display_name: 'NO' } }));
    const failure = await eventually('the refusal', async () => {
      const data = (await readDoc(harness.store, NUMBER))?.pvt_carrier_data as Record<string, unknown> | undefined;
      return data?.knm_provider_failure as Record<string, unknown> | undefined;
    });
    expect(failure.error).to.deep.include({ code: 403, error: 'forbidden' });
    const refusedRev = (await readDoc(harness.store, NUMBER))?._rev as string;
    await harness.pipeline?.idle();
    await kazooWrite(harness.server.url, NUMBER, (current) => ({ ...current, pvt_used_by: 'callflow' }));
    await harness.pipeline?.idle();
    const after = await readDoc(harness.store, NUMBER);
    expect(Number(String(after?._rev).split('-')[0])).to.equal(Number(refusedRev.split('-')[0]) + 1);
    expect(await notices('cnam_request')).to.deep.equal([]);
  });
});
