import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { FixtureStore, startFixtureStore } from '../helpers/fixture-store';
import { REPO_ROOT } from '../helpers/fixtures';
import { CHILD, RESELLER } from '../helpers/kazoo-roles';
import { eventually, kazooWrite } from '../pipeline/harness';

const NUMBER = '+15551233322';
const PORTING = '+14252151007';

interface Daemon {
  endpoint: string;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/** `knm start` on the fixture store, its operator endpoint on a port the system picks (KNM_HTTP_PORT=0, read from its log). */
async function startDaemon(storeUrl: string): Promise<Daemon> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join('src', 'cli', 'main.ts'), 'start'], {
    cwd: REPO_ROOT,
    env: { ...process.env, COUCH_URL: storeUrl, KNM_HTTP_PORT: '0', KNM_LOG: 'warn', KNM_PURGE_INTERVAL_S: '3600' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const endpoint = await eventually('the operator endpoint in the log', () => /operator endpoint (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1], 30_000);
  return {
    endpoint,
    stderr: () => stderr,
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function hunt(endpoint: string, number: string, query = ''): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await fetch(`${endpoint}/hunt/${encodeURIComponent(number)}${query}`);
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
}

/** A figure of the endpoint's /metrics. */
async function metric(endpoint: string, series: string): Promise<number> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no ${series} on /metrics`);
  return Number(line.slice(series.length + 1));
}

/** Polls the hunt until `changed` holds; resolves with the milliseconds it took. */
async function msUntil(endpoint: string, number: string, changed: (answer: { status: number; body: Record<string, unknown> }) => boolean): Promise<number> {
  const started = Date.now();
  await eventually(`the hunt of ${number} to change`, async () => (changed(await hunt(endpoint, number)) ? true : undefined), 10_000);
  return Date.now() - started;
}

describe('knm start: GET /hunt/NUMBER from the index the pipeline keeps current', function () {
  this.timeout(90_000);
  let fixture: FixtureStore;
  let daemon: Daemon;

  before(async () => {
    fixture = await startFixtureStore();
    daemon = await startDaemon(fixture.server.url);
    // The pipeline has read the fixture's number databases: the index follows them.
    await eventually('the pipeline to apply the fixture numbers', async () => ((await metric(daemon.endpoint, 'knm_hunt_changes_applied_total')) > 0 ? true : undefined), 30_000);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`--- knm start\n${daemon.stderr().slice(-3000)}\n`);
  });

  after(async () => {
    expect(await daemon.stop()).to.equal(0);
    await fixture.server.close();
  });

  it('answers 200 with the props, Kazoo errors with their status, 400 for a bad number, and /healthz still', async () => {
    const found = await hunt(daemon.endpoint, NUMBER);
    expect(found.status).to.equal(200);
    expect(found.body).to.include({ account_id: RESELLER, number: NUMBER, local: true, pending_port: false });
    expect(await hunt(daemon.endpoint, '4156301234')).to.deep.equal({ status: 404, body: { code: 404, error: 'not_found', message: 'number +14156301234 not found', cause: '+14156301234' } });
    expect((await hunt(daemon.endpoint, '+15551239876')).body).to.include({ code: 404, error: 'unassigned' });
    const bad = await hunt(daemon.endpoint, '+1555abc');
    expect(bad.status).to.equal(400);
    expect(bad.body).to.include({ code: 400, error: 'invalid', message: 'not a dialled number: "+1555abc"' });
    expect((await hunt(daemon.endpoint, NUMBER, '?inbound=maybe')).status).to.equal(400);
    expect((await fetch(`${daemon.endpoint}/healthz`)).status).to.equal(200);
  });

  it('warms the index in the background from the databases it leases, and says so on /metrics', async () => {
    await eventually('the warm-up to end', async () => ((await metric(daemon.endpoint, 'knm_hunt_index_warm_done')) === 1 ? true : undefined), 30_000);
    expect(await metric(daemon.endpoint, 'knm_hunt_index_warm_numbers')).to.be.greaterThan(10);
    expect(await metric(daemon.endpoint, 'knm_hunt_numbers_held')).to.be.greaterThan(10);
  });

  it('sees a number document written over HTTP within a second, through the feed (no read of CouchDB)', async () => {
    expect((await hunt(daemon.endpoint, NUMBER)).body).to.include({ account_id: RESELLER });
    const readsBefore = await metric(daemon.endpoint, 'knm_hunt_answers_total{from="store"}');
    await kazooWrite(fixture.server.url, NUMBER, (doc) => ({ ...doc, pvt_assigned_to: CHILD }));
    const ms = await msUntil(daemon.endpoint, NUMBER, (answer) => answer.body.account_id === CHILD);
    expect(ms).to.be.below(1_000);
    expect(await metric(daemon.endpoint, 'knm_hunt_answers_total{from="store"}')).to.equal(readsBefore);
  });

  it('refuses the number within a second of its holder being disabled in accounts (account_disabled)', async () => {
    const account = await fixture.store.get('accounts', CHILD);
    expect((await hunt(daemon.endpoint, NUMBER)).status).to.equal(200);
    await fixture.store.put('accounts', { ...account, pvt_enabled: false });
    const ms = await msUntil(daemon.endpoint, NUMBER, (answer) => answer.body.error === 'account_disabled');
    expect(ms).to.be.below(1_000);
    expect((await hunt(daemon.endpoint, NUMBER)).status).to.equal(403);
    const disabled = await fixture.store.get('accounts', CHILD);
    await fixture.store.put('accounts', { ...disabled, pvt_enabled: true });
    expect(await msUntil(daemon.endpoint, NUMBER, (answer) => answer.status === 200)).to.be.below(1_000);
  });

  it('completes a pending port on ?inbound=true and answers in service at once', async () => {
    expect((await hunt(daemon.endpoint, PORTING)).body).to.include({ pending_port: true });
    const inbound = await hunt(daemon.endpoint, PORTING, '?inbound=true');
    expect(inbound.status).to.equal(200);
    expect(inbound.body).to.include({ pending_port: true });
    expect(inbound.body.port_in_transition).to.include({ kind: 'updated' });
    expect((await hunt(daemon.endpoint, PORTING)).body).to.include({ pending_port: false });
    expect(await fixture.store.get('numbers/+1425', PORTING)).to.include({ pvt_state: 'in_service', pvt_ported_in: true });
  });
});
