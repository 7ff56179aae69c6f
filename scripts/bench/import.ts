/**
 * Import: 100,000 numbers from a CSV file through `knm import`'s path (CSV stream → rows gathered per number database
 * → batch create: the create rules, one `_bulk_docs` per batch of 1,000 rows of one database, the numbers read only
 * when a write says they exist → results CSV in file order), as a ratio to the raw `_bulk_docs` rate of the same
 * embedded server (in memory, in a child process as CouchDB would be) measured in the same run (goal ≥ 0.9). The
 * file's numbers alternate over five number databases, as a file of numbers bought here and there would.
 *
 * Two raw rates, both 1,000 prebuilt documents a request, one request at a time: into number databases as knm
 * deploys them (with knm's design documents, so validate_doc_update checks every write, as it does the import's),
 * and into bare databases, which no knm server has but which show what validation costs. This machine's rates
 * wander by a fifth from one minute to the next, so the section runs five rounds, each measuring the two raw
 * rates and then the import, and reports each round and the medians. The CPU each run costs per document in
 * knm's process and in the store's shows which side bounds the import.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectStore, type Store } from '../../src/store/client';
import { bootstrap, ensureNumberDb } from '../../src/store/bootstrap';
import { loadDesignDocs, type DesignDocLibrary } from '../../src/store/design-docs';
import { systemClock } from '../../src/time';
import type { BenchSection } from './index';
import { nodeOptions, storeInChild } from './child-store';
import type { ImportRun } from './import-run';
import { BULK_NODE_FLAGS } from '../../src/cli/bulk-process';
import { spawn } from 'node:child_process';
import { kazooNumberDoc, measureRawStoreCeiling } from './store';

const NUMBERS = 100_000;
const PREFIXES = ['+1212', '+1213', '+1214', '+1215', '+1216'];
const ACCOUNT = '4fe69c5b61015084f1fe5684abc6e502';

function writeCsv(file: string): void {
  const lines = ['e164,prepend.enabled,prepend.name'];
  for (let i = 0; i < NUMBERS; i += 1) {
    const prefix = PREFIXES[i % PREFIXES.length];
    lines.push(`${prefix}${String(5_550_000 + Math.floor(i / PREFIXES.length)).padStart(7, '0')},${i % 10 === 0 ? 'true,Sales' : ','}`);
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Docs per second, and CPU microseconds per doc spent in this process and in the store's. */
interface Measured {
  rate: number;
  knmCpu: number;
  storeCpu: number | undefined;
}

/** CPU seconds a process has used so far, from /proc (Linux, whose USER_HZ is 100); undefined elsewhere. */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function measured(storePid: number | undefined, run: () => Promise<void>): Promise<Measured> {
  const knmBefore = process.cpuUsage();
  const storeBefore = cpuSecondsOf(storePid);
  const start = performance.now();
  await run();
  const seconds = (performance.now() - start) / 1000;
  const knm = process.cpuUsage(knmBefore);
  const storeAfter = cpuSecondsOf(storePid);
  return {
    rate: NUMBERS / seconds,
    knmCpu: (knm.user + knm.system) / NUMBERS,
    storeCpu: storeBefore === undefined || storeAfter === undefined ? undefined : ((storeAfter - storeBefore) * 1e6) / NUMBERS,
  };
}

/**
 * The raw rate: 1,000 prebuilt documents a request, one request at a time, over five number databases created for
 * the run (with knm's design documents when `designDocs`) and deleted after it.
 */
async function rawBulkDocs(store: Store, library: DesignDocLibrary, storePid: number | undefined, designDocs: boolean): Promise<Measured> {
  const dbs = Array.from({ length: PREFIXES.length }, (_, i) => `numbers/+1${311 + i}`);
  for (const db of dbs) {
    await store.deleteDb(db);
    if (designDocs) await ensureNumberDb(store, library, db);
    else await store.createDb(db);
  }
  const result = await measured(storePid, async () => {
    for (let from = 0; from < NUMBERS; from += 1_000) {
      const db = dbs[(from / 1_000) % dbs.length];
      const docs = Array.from({ length: 1_000 }, (_, i) => kazooNumberDoc(`+1${db.slice(-3)}${String(from + i).padStart(7, '0')}`, from + i));
      const refused = (await store.bulkDocs(db, docs)).filter((written) => !written.ok);
      if (refused.length > 0) throw new Error(`import bench: ${refused.length} documents refused in ${db}`);
    }
  });
  for (const db of dbs) await store.deleteDb(db);
  return result;
}

/**
 * One `knm import` of the file, in a process of its own under the node flags and niceness `knm import` has (import-run.ts), beside
 * the store's. Its number databases exist with knm's design documents, as the raw runs' do (and as a cluster's
 * number databases do: an import creates one only for a prefix the cluster never had); they are deleted after.
 */
async function importFile(store: Store, library: DesignDocLibrary, storeUrl: string, storePid: number | undefined, file: string, results: string): Promise<Measured> {
  for (const prefix of PREFIXES) await ensureNumberDb(store, library, `numbers/${prefix}`);
  const storeBefore = cpuSecondsOf(storePid);
  const script = path.join(__dirname, 'import-run.js');
  const child = spawn(process.execPath, [...nodeOptions(), ...BULK_NODE_FLAGS, script, storeUrl, file, results, ACCOUNT], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const storeAfter = cpuSecondsOf(storePid);
  if (code !== 0) throw new Error(`import bench: the import process exited with ${String(code)}`);
  const run = JSON.parse(out) as ImportRun;
  if (run.failed > 0) throw new Error(`import bench: ${run.failed} rows failed, first: ${run.firstFailure ?? ''}`);
  for (const prefix of PREFIXES) await store.deleteDb(`numbers/${prefix}`);
  return {
    rate: NUMBERS / run.seconds,
    knmCpu: run.cpuMicros / NUMBERS,
    storeCpu: storeBefore === undefined || storeAfter === undefined ? undefined : ((storeAfter - storeBefore) * 1e6) / NUMBERS,
  };
}

const ROUNDS = 5;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export const importSection: BenchSection = {
  name: 'import',
  async run(print) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-bench-import-'));
    const server = await storeInChild();
    try {
      const store = connectStore({ url: server.url });
      const library = await loadDesignDocs();
      await bootstrap({ store, target: { url: server.url }, library, now: systemClock() });
      await store.put('accounts', { _id: ACCOUNT, pvt_type: 'account', pvt_enabled: true, pvt_tree: [], name: 'Bench' });
      await measureRawStoreCeiling(store, { docs: 5_000, firstAreaCode: 901 }); // warm-up, not reported
      const file = path.join(dir, 'numbers.csv');
      writeCsv(file);

      const fmt = (value: number): string => Math.round(value).toLocaleString('en-US');
      const cpu = (run: Measured): string => `${fmt(run.knmCpu)} µs knm + ${run.storeCpu === undefined ? '?' : fmt(run.storeCpu)} µs store CPU/doc`;
      const rounds: { validated: Measured; bare: Measured; imported: Measured }[] = [];
      for (let round = 1; round <= ROUNDS; round += 1) {
        // Each run leaves the store a heap of garbage (the databases it deleted) that the next run pays to collect:
        // each round runs the three in another order, so none always comes after the same one.
        const runs = {
          validated: () => rawBulkDocs(store, library, server.child.pid, true),
          bare: () => rawBulkDocs(store, library, server.child.pid, false),
          imported: () => importFile(store, library, server.url, server.child.pid, file, path.join(dir, 'numbers.results.csv')),
        };
        const order = (['validated', 'bare', 'imported'] as const).map((_, at, names) => names[(at + round - 1) % names.length]);
        const measuredRuns: Partial<Record<keyof typeof runs, Measured>> = {};
        for (const name of order) measuredRuns[name] = await runs[name]();
        const { validated, bare, imported } = measuredRuns as Record<keyof typeof runs, Measured>;
        rounds.push({ validated, bare, imported });
        print(
          `round ${round}: raw _bulk_docs ${fmt(validated.rate)}/s into knm's number dbs (${cpu(validated)}), ${fmt(bare.rate)}/s into bare dbs (${cpu(bare)}); ` +
            `knm import ${fmt(imported.rate)} numbers/s (${cpu(imported)}): ${(imported.rate / validated.rate).toFixed(2)} / ${(imported.rate / bare.rate).toFixed(2)}`,
        );
      }
      const importRate = median(rounds.map((round) => round.imported.rate));
      const validatedRate = median(rounds.map((round) => round.validated.rate));
      const bareRate = median(rounds.map((round) => round.bare.rate));
      print(`medians over ${ROUNDS} rounds: knm import of ${fmt(NUMBERS)} numbers from CSV (${PREFIXES.length} number dbs in turn, gathered into batches of 1,000 of one db; results CSV) ${fmt(importRate)} numbers/s; raw _bulk_docs (1,000 a request) ${fmt(validatedRate)} docs/s into knm's number dbs, ${fmt(bareRate)} docs/s into bare dbs`);
      print(`import / raw _bulk_docs into knm's number dbs: ${(importRate / validatedRate).toFixed(2)} (goal >= 0.9); import / raw _bulk_docs into bare dbs (no validate_doc_update): ${(importRate / bareRate).toFixed(2)}`);
    } finally {
      server.child.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
