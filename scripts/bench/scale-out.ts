/**
 * Scale-out figures: the same acquisition load (discovery → in_service over many number databases, a carrier
 * that answers at once through the order journal) handled by one, two and three `knm start` workers on this
 * machine, each run against a fresh embedded store in a child process; and, with three workers, the time from
 * a worker's SIGKILL until the two others hold every database (full takeover), for the lease period used.
 * On one machine the workers share its cores with the store: the figures say what leasing costs and how
 * takeover behaves, not how a cluster of machines scales.
 * KNM_BENCH_WORKERS (default 1,2,3), KNM_BENCH_LEASE_S (default 2) and KNM_BENCH_VERBOSE=1 (the workers' logs on
 * stderr) change the runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isNumberDbName } from '../../src/numbers/db-names';
import { readWorkersDb } from '../../src/pipeline/leases/leases';
import { bootstrap } from '../../src/store/bootstrap';
import { connectStore, type Store } from '../../src/store/client';
import { loadDesignDocs } from '../../src/store/design-docs';
import { systemClock } from '../../src/time';
import type { BenchSection } from './index';
import { storeInChild, benchNumberDoc, nodeOptions } from './child-store';

const DBS = 24;
const PER_DB = 60;
const LEASE_S = Number(process.env.KNM_BENCH_LEASE_S ?? '2');

/** A script or module of this repository, whether the bench runs compiled (dist) or under tsx. */
function sibling(...parts: string[]): string {
  const base = path.resolve(__dirname, '..', '..', ...parts);
  return fs.existsSync(`${base}.js`) ? `${base}.js` : `${base}.ts`;
}

function numbersOf(db: number): string[] {
  return Array.from({ length: PER_DB }, (_, index) => `+1${500 + db}${String(index).padStart(7, '0')}`);
}

function dbName(db: number): string {
  return `numbers/+1${500 + db}`;
}

function startWorker(url: string, id: string, ordersLog: string): ChildProcess {
  return spawn(process.execPath, [...nodeOptions(), sibling('src', 'cli', 'main'), 'start'], {
    env: {
      ...process.env,
      COUCH_URL: url,
      KNM_WORKER_ID: id,
      KNM_LEASE_S: String(LEASE_S),
      KNM_HTTP_PORT: '0',
      KNM_LOG: process.env.KNM_BENCH_VERBOSE === '1' ? 'info' : 'error',
      KNM_TEST_CARRIERS: sibling('test', 'helpers', 'shared-counting-carrier'),
      KNM_TEST_CARRIER_LOG: ordersLog,
    },
    // Their start-up lines would bury the figures; a worker that fails shows up as a time-out here.
    stdio: ['ignore', 'ignore', process.env.KNM_BENCH_VERBOSE === '1' ? 'inherit' : 'ignore'],
  });
}

async function until(what: string, done: () => Promise<boolean>, timeoutMs = 60_000, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`scale-out bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Whether the given workers hold a live lease on every number database, none above its fair share. */
async function balanced(store: Store, live: readonly string[]): Promise<boolean> {
  const dbs = (await store.listDbs()).filter(isNumberDbName).length;
  const { leases } = await readWorkersDb(store).catch(() => ({ leases: new Map() }));
  const now = Date.now();
  const held = new Map<string, number>();
  for (const lease of leases.values()) {
    if (lease.owner === null || lease.expires < now || !live.includes(lease.owner)) return false;
    held.set(lease.owner, (held.get(lease.owner) ?? 0) + 1);
  }
  const share = Math.ceil(dbs / live.length);
  return leases.size === dbs && [...held.values()].every((count) => count <= share);
}

async function seenCount(url: string): Promise<number> {
  const range = `startkey=${encodeURIComponent('"seen:"')}&endkey=${encodeURIComponent('"seen:\ufff0"')}`;
  const answer = await fetch(`${url}/knm_pipeline/_all_docs?${range}`);
  return answer.ok ? ((await answer.json()) as { rows: unknown[] }).rows.length : 0;
}

function lines(file: string): number {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0).length : 0;
}

interface RunResult {
  catchUpMs: number;
  acquireMs: number;
  takeoverMs?: number;
}

async function run(workers: number, killOne: boolean): Promise<RunResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-bench-scale-out-'));
  const server = await storeInChild(dataDir);
  const store = connectStore({ url: server.url });
  const ordersLog = path.join(dataDir, 'orders.log');
  const children: ChildProcess[] = [];
  try {
    const now = systemClock();
    for (let db = 0; db < DBS; db += 1) await store.createDb(dbName(db));
    await bootstrap({ store, target: { url: server.url }, library: await loadDesignDocs(), now });
    for (let db = 0; db < DBS; db += 1) await store.bulkDocs(dbName(db), numbersOf(db).map((number) => benchNumberDoc(number, 'discovery', now)));

    const ids = Array.from({ length: workers }, (_, index) => `bench-${index + 1}`);
    const started = Date.now();
    for (const id of ids) children.push(startWorker(server.url, id, ordersLog));
    await until('the workers sharing the databases', () => balanced(store, ids));
    // Catch-up: every discovery number seen (remembered in knm_pipeline) by whichever worker holds its database.
    await until('every discovery number seen', async () => (await seenCount(server.url)) >= DBS * PER_DB, 120_000, 200);
    const catchUpMs = Date.now() - started;

    const flipped = Date.now();
    for (let db = 0; db < DBS; db += 1) {
      const rows = await store.getMany(dbName(db), numbersOf(db));
      await store.bulkDocs(dbName(db), rows.flatMap((row) => (row.ok ? [{ ...row.doc, pvt_state: 'in_service' }] : [])));
    }
    await until('every number ordered', async () => lines(ordersLog) >= DBS * PER_DB, 120_000);
    await until('every acquisition written back', async () => {
      for (let db = 0; db < DBS; db += 1) {
        const rows = await store.getMany(dbName(db), numbersOf(db));
        const done = rows.every((row) => row.ok && typeof (row.doc.pvt_carrier_data as { knm_acquired?: unknown } | undefined)?.knm_acquired === 'object');
        if (!done) return false;
      }
      return true;
    }, 120_000, 200);
    const acquireMs = Date.now() - flipped;
    if (lines(ordersLog) !== DBS * PER_DB) throw new Error(`scale-out bench: ${lines(ordersLog)} orders for ${DBS * PER_DB} numbers`);

    let takeoverMs: number | undefined;
    if (killOne) {
      const killedAt = Date.now();
      children[0].kill('SIGKILL');
      await until('the survivors taking over', () => balanced(store, ids.slice(1)), 30_000, 20);
      takeoverMs = Date.now() - killedAt;
    }
    return { catchUpMs, acquireMs, takeoverMs };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export const scaleOutSection: BenchSection = {
  name: 'scale-out',
  async run(print) {
    const numbers = DBS * PER_DB;
    print(`knm start workers (separate processes) on one embedded store (leveldb, child process), ${os.cpus().length} cores; ${DBS} number databases × ${PER_DB} numbers; lease period ${LEASE_S} s`);
    for (const workers of (process.env.KNM_BENCH_WORKERS ?? '1,2,3').split(',').map(Number)) {
      const result = await run(workers, workers === 3);
      print(
        `${workers} worker${workers > 1 ? 's' : ' '}: catch-up ${numbers} discovery numbers ${(result.catchUpMs / 1000).toFixed(1)} s (start-up included); ` +
          `${numbers} acquisitions in ${(result.acquireMs / 1000).toFixed(1)} s = ${Math.round(numbers / (result.acquireMs / 1000))}/s`,
      );
      if (result.takeoverMs !== undefined) {
        print(`worker SIGKILLed → the other two hold every database: ${(result.takeoverMs / 1000).toFixed(2)} s (bound: lease ${LEASE_S} s + margin + one round)`);
      }
    }
  },
};
