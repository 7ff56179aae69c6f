/**
 * Import: 100,000 numbers from a CSV file through `knm import`'s path (CSV stream → rows → batch create: one
 * `_all_docs` read, the create rules, one `_bulk_docs` per number database per batch of 1,000 → results CSV), as a
 * ratio to the raw `_bulk_docs` rate of the same embedded server (in memory, in a child process as CouchDB would be)
 * measured in the same run (goal ≥ 0.9). The number
 * databases carry knm's design documents (validate_doc_update runs on every write), the raw ones none; the raw rate
 * into databases with knm's design documents is measured too, to show what validation costs, both as the ceiling
 * writes (1,000 a request) and as the import's batches do (the file's numbers alternate over five databases, so a
 * batch of 1,000 rows is five requests of 200). The CPU each run costs per document in knm's process and in the
 * store's shows which side bounds the import: the import runs batches at once, so it is bounded by the busier side,
 * while the ceiling, one request at a time, pays for both sides in turn.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { compileNumberRules } from '../../src/numbers/rules';
import { connectStore, type Store } from '../../src/store/client';
import { bootstrap, ensureNumberDb } from '../../src/store/bootstrap';
import { loadDesignDocs, type DesignDocLibrary } from '../../src/store/design-docs';
import { importCsv } from '../../src/tasks/import';
import { systemClock } from '../../src/time';
import type { BenchSection } from './index';
import { storeInChild } from './child-store';
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
 * The raw ceiling's documents written into databases that carry knm's design documents: what validation costs.
 * `shape` 'ceiling' writes as the ceiling does (1,000 documents a request, one request at a time); 'import' as the
 * import's batch of 1,000 rows over five number databases does (five requests of 200 at once).
 */
async function bulkDocsWithDesignDocs(store: Store, library: DesignDocLibrary, storePid: number | undefined, shape: 'ceiling' | 'import'): Promise<Measured> {
  const dbs = Array.from({ length: PREFIXES.length }, (_, i) => `numbers/+1${311 + i}`);
  for (const db of dbs) {
    await store.deleteDb(db);
    await ensureNumberDb(store, library, db);
  }
  const write = async (db: string, from: number, count: number): Promise<void> => {
    const docs = Array.from({ length: count }, (_, i) => kazooNumberDoc(`+1${db.slice(-3)}${String(from + i).padStart(7, '0')}`, from + i));
    const refused = (await store.bulkDocs(db, docs)).filter((result) => !result.ok);
    if (refused.length > 0) throw new Error(`import bench: ${refused.length} documents refused in ${db}`);
  };
  const result = await measured(storePid, async () => {
    for (let from = 0; from < NUMBERS; from += 1_000) {
      if (shape === 'ceiling') await write(dbs[(from / 1_000) % dbs.length], from, 1_000);
      else await Promise.all(dbs.map((db) => write(db, from / dbs.length, 1_000 / dbs.length)));
    }
  });
  for (const db of dbs) await store.deleteDb(db);
  return result;
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
      const raw = await measureRawStoreCeiling(store, { docs: NUMBERS, firstAreaCode: 301 });
      const validated = await bulkDocsWithDesignDocs(store, library, server.child.pid, 'ceiling');
      const importShaped = await bulkDocsWithDesignDocs(store, library, server.child.pid, 'import');

      const file = path.join(dir, 'numbers.csv');
      writeCsv(file);
      const config = defaultNumberManagerConfig();
      const env = { store, designDocs: library, rules: compileNumberRules(config).rules, config, clock: systemClock };
      const output = fs.createWriteStream(path.join(dir, 'numbers.results.csv'));
      const write = (text: string): Promise<void> => new Promise((resolve, reject) => output.write(text, (error) => (error ? reject(error) : resolve())));
      let failed: unknown[] = [];
      const imported = await measured(server.child.pid, async () => {
        const report = await importCsv({
          context: { env, authBy: 'system', taskAccount: ACCOUNT, superAdmin: true, importDefaultCarrier: 'knm_local' },
          action: 'import',
          input: fs.createReadStream(file),
          write,
          batchSize: 1_000,
        });
        failed = report.failed;
      });
      await new Promise((resolve) => output.end(resolve));
      if (failed.length > 0) throw new Error(`import bench: ${failed.length} rows failed, first: ${JSON.stringify(failed[0])}`);
      const fmt = (value: number): string => Math.round(value).toLocaleString('en-US');
      const cpu = (run: Measured): string => `CPU per doc: ${fmt(run.knmCpu)} µs in knm's process, ${run.storeCpu === undefined ? 'unknown' : `${fmt(run.storeCpu)} µs`} in the store's`;
      print(`raw _bulk_docs (same server, no design docs): ${fmt(raw.bulkDocsPerSecond)} docs/s (${fmt(raw.docs)} docs, batches of ${raw.batchSize})`);
      print(`knm import of ${fmt(NUMBERS)} numbers from CSV (batches of 1,000, ${PREFIXES.length} number dbs with knm's design docs, results CSV): ${(NUMBERS / imported.rate).toFixed(1)} s, ${fmt(imported.rate)} numbers/s; ${cpu(imported)}`);
      print(`raw _bulk_docs into number dbs holding knm's design docs (validate_doc_update on every write): ${fmt(validated.rate)} docs/s; ${cpu(validated)}`);
      print(`the same in the import's shape (each 1,000 as ${PREFIXES.length} requests of ${1_000 / PREFIXES.length} at once, one per number db): ${fmt(importShaped.rate)} docs/s; ${cpu(importShaped)}`);
      print(`import / raw _bulk_docs: ${(imported.rate / raw.bulkDocsPerSecond).toFixed(2)} (goal >= 0.9); import / raw _bulk_docs with knm's design docs: ${(imported.rate / validated.rate).toFixed(2)}; in the import's shape: ${(imported.rate / importShaped.rate).toFixed(2)}`);
    } finally {
      server.child.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
