import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isNumberDbName } from '../../src/numbers/db-names';
import { readWorkersDb } from '../../src/pipeline/leases/leases';
import { bootstrap } from '../../src/store/bootstrap';
import { connectStore, type Store } from '../../src/store/client';
import { loadDesignDocs } from '../../src/store/design-docs';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';
import { gregorianFromUnixMs } from '../../src/time';
import { REPO_ROOT } from '../helpers/fixtures';
import { acquiredMarker, eventually, fixtureDoc, http, numberDb } from './harness';
import { freePort } from '../helpers/free-port';

const LEASE_S = 2;
const LEASE_MS = LEASE_S * 1000;
/** The margin leases.ts uses for this period: a dead worker's leases are free `LEASE_MS + MARGIN_MS` after its last renewal. */
const MARGIN_MS = Math.max(500, Math.round(LEASE_MS / 3));
const DBS = 12;
const PER_DB = 25;

function numbers(): string[] {
  const all: string[] = [];
  for (let db = 0; db < DBS; db += 1) for (let index = 0; index < PER_DB; index += 1) all.push(`+1${412 + db}2065${String(index).padStart(3, '0')}`);
  return all;
}

function discoveryDoc(number: string): Record<string, unknown> {
  return { ...fixtureDoc('+14122065197'), _id: number, pvt_db_name: encodeURIComponent(numberDb(number)), pvt_assigned_to: undefined };
}

/** A Kazoo tool's bulk write over HTTP: read the documents, write them back changed in one `_bulk_docs` per database. */
async function bulkWrite(url: string, batch: readonly string[], change: (doc: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const byDb = new Map<string, string[]>();
  for (const number of batch) byDb.set(numberDb(number), [...(byDb.get(numberDb(number)) ?? []), number]);
  for (const [db, ids] of byDb) {
    for (let attempt = 0; ; attempt += 1) {
      const current = await http(url, 'POST', `/${encodeURIComponent(db)}/_all_docs?include_docs=true`, { keys: ids });
      const rows = current.body.rows as { key: string; doc?: Record<string, unknown> | null }[];
      const answer = await http(url, 'POST', `/${encodeURIComponent(db)}/_bulk_docs`, { docs: rows.map((row) => change(row.doc ?? { _id: row.key })) });
      const results = answer.body as unknown as { ok?: boolean; error?: string }[];
      // knm writes the same documents (an acquisition): a conflicted edit is made again on the newer revision
      if (results.every((result) => result.ok === true) || attempt > 20) break;
      ids.splice(0, ids.length, ...ids.filter((_, index) => results[index].ok !== true));
    }
  }
}

interface Worker {
  id: string;
  child: ChildProcess;
  stderr: string[];
  exited: Promise<number | null>;
}

describe('scale-out: three knm start workers share the number databases through leases', function () {
  this.timeout(120_000);
  let server: EmbeddedServer;
  let store: Store;
  let workDir: string;
  const workers: Worker[] = [];

  before(async function () {
    server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    store = connectStore({ url: server.url, retryBaseMs: 20 });
    await bootstrap({ store, target: { url: server.url }, library: await loadDesignDocs(), now: gregorianFromUnixMs(Date.now()) });
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-scale-out-'));
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const worker of workers) process.stderr.write(`--- ${worker.id}\n${worker.stderr.join('').slice(-3000)}\n`);
  });

  after(async function () {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    await server.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  async function startWorker(id: string): Promise<Worker> {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join('src', 'cli', 'main.ts'), 'start'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        COUCH_URL: server.url,
        KNM_WORKER_ID: id,
        KNM_LEASE_S: String(LEASE_S),
        KNM_HTTP_PORT: String(await freePort()),
        KNM_LOG: 'info',
        KNM_PURGE_INTERVAL_S: '3600',
        KNM_TEST_CARRIERS: path.join(REPO_ROOT, 'test', 'helpers', 'shared-counting-carrier.ts'),
        KNM_TEST_CARRIER_LOG: path.join(workDir, 'orders.log'),
        KNM_TEST_CARRIER_DELAY_MS: '20',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const worker: Worker = { id, child, stderr: [], exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
    child.stderr?.on('data', (chunk: Buffer) => worker.stderr.push(chunk.toString()));
    workers.push(worker);
    return worker;
  }

  /** Resolves with the time it took until the live workers hold every database, each at most ceil(DBS / live). */
  async function balanced(live: readonly string[], what: string, withinMs: number): Promise<number> {
    const started = Date.now();
    const dbs = (await store.listDbs()).filter(isNumberDbName).length;
    const share = Math.ceil(dbs / live.length);
    await eventually(what, async () => {
      const listing = await readWorkersDb(store);
      const now = Date.now();
      const held = new Map<string, number>();
      for (const lease of listing.leases.values()) {
        if (lease.owner === null || lease.expires < now) return undefined;
        held.set(lease.owner, (held.get(lease.owner) ?? 0) + 1);
      }
      const total = [...held.values()].reduce((sum, count) => sum + count, 0);
      const fair = [...held.keys()].every((owner) => live.includes(owner)) && [...held.values()].every((count) => count <= share) && held.size === live.length;
      return total === dbs && fair ? true : undefined;
    }, withinMs);
    return Date.now() - started;
  }

  it('under a steady load, a worker killed and another joining: every number bought exactly once, leases balanced after each event', async function () {
    const all = numbers();
    for (let db = 0; db < DBS; db += 1) await http(server.url, 'PUT', `/${encodeURIComponent(`numbers/+1${412 + db}`)}`);
    for (const id of ['w1', 'w2', 'w3']) await startWorker(id);
    await balanced(['w1', 'w2', 'w3'], 'three workers holding four databases each', 40_000);

    await bulkWrite(server.url, all, (doc) => ({ ...discoveryDoc(String(doc._id)), ...(doc._rev !== undefined ? { _rev: doc._rev } : {}) }));
    // The acquisition is level-triggered on "was in discovery": wait until the workers have seen every number there.
    await eventually('every discovery number seen', async () => {
      const seen = await http(server.url, 'GET', `/knm_pipeline/_all_docs?startkey=${encodeURIComponent('"seen:"')}&endkey=${encodeURIComponent('"seen:\ufff0"')}`);
      return (seen.body.rows as unknown[]).length === all.length ? true : undefined;
    }, 30_000);

    // The steady load: one number of every database goes into service every 300 ms, for about 8 s.
    let next = 0;
    const load = (async () => {
      while (next < all.length) {
        const batch = all.filter((_, index) => index % PER_DB === Math.floor(next / DBS) % PER_DB).slice(0, DBS);
        next += DBS;
        await bulkWrite(server.url, batch, (doc) => ({ ...doc, pvt_state: 'in_service' }));
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    // Awaited below; if the test fails first, the server closes under the load and mocha must still report why.
    load.catch(() => undefined);

    await eventually('load under way', () => (next >= 5 * DBS ? true : undefined), 20_000);
    const killedAt = Date.now();
    workers[1].child.kill('SIGKILL');
    await workers[1].exited;
    const takeoverMs = await balanced(['w1', 'w3'], 'w1 and w3 taking over the databases of w2', LEASE_MS + MARGIN_MS + LEASE_MS + 2_000);
    const afterKillMs = Date.now() - killedAt;

    await startWorker('w4');
    await eventually('the heartbeat of w4', async () => ((await readWorkersDb(store)).workers.has('w4') ? true : undefined), 30_000);
    // Balanced within one lease period of the join (a little more for the polling and a batch in hand).
    const joinMs = await balanced(['w1', 'w3', 'w4'], 'w4 getting its share', LEASE_MS + 1_000);
    const loadedAtJoin = next;

    await load;
    await eventually('every number acquired', async () => {
      for (const number of all) {
        const doc = await store.getOrNull(numberDb(number), number);
        if (doc?.pvt_state !== 'in_service' || acquiredMarker(doc) === undefined) return undefined;
      }
      return true;
    }, 40_000);

    const orders = fs.readFileSync(path.join(workDir, 'orders.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { number: string; worker: string });
    const counts = new Map<string, number>();
    for (const order of orders) counts.set(order.number, (counts.get(order.number) ?? 0) + 1);
    expect([...counts].filter(([, count]) => count !== 1), 'numbers ordered more than once').to.deep.equal([]);
    expect([...counts.keys()].sort()).to.deep.equal([...all].sort());
    const byWorker = new Set(orders.map((order) => order.worker));
    expect([...byWorker].sort()).to.include.members(['w1', 'w3', 'w4']);

    // A worker's death is known once its leases run out (one period) and the margin has passed; the takeover follows within a round.
    expect(afterKillMs).to.be.below(LEASE_MS + MARGIN_MS + LEASE_MS);
    expect(workers[3].stderr.join('')).to.include('"event":"lease_taken"');
    expect(loadedAtJoin, 'the load still running after the join').to.be.below(all.length);
    process.stderr.write(`      scale-out: w2 killed -> balanced ${afterKillMs} ms later (${takeoverMs} ms of waiting); w4's first heartbeat -> balanced ${joinMs} ms later\n`);
  });
});
