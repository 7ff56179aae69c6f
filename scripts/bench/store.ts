/**
 * The raw store ceiling: how fast the embedded server takes and gives back number documents over HTTP
 * through knm's own client, with no design documents and no knm logic. Every later benchmark reports
 * itself as a ratio to these figures, measured in the same run with `measureRawStoreCeiling`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import PouchDB from 'pouchdb';
import memoryAdapter from 'pouchdb-adapter-memory';
import { connectStore, type Store } from '../../src/store/client';
import { bootstrap } from '../../src/store/bootstrap';
import { fromKazooViewFile, loadDesignDocs, repoRoot } from '../../src/store/design-docs';
import { startEmbeddedServer } from '../../src/store/embedded';
import { useCouchViewFunctions } from '../../src/store/embedded/couch-views';
import { ViewFunctions } from '../../src/store/embedded/view-functions';
import type { CouchDoc } from '../../src/store/types';
import { measureValidatedWriteRate } from './design-docs';
import type { BenchSection } from './index';

export interface RawStoreCeilingOptions {
  /** Number documents written in all (default 50,000). */
  docs?: number;
  /** Spread over this many `numbers/+1NNN` databases (default 5). */
  dbs?: number;
  /** Documents per `_bulk_docs` request and rows per `_changes` batch (default 1,000). */
  batchSize?: number;
  /** First area code of the databases used (default 201: `numbers/+1201`…); they are re-created. */
  firstAreaCode?: number;
  /** Delete the databases afterwards (default true). */
  cleanUp?: boolean;
}

export interface RawStoreCeiling {
  docs: number;
  dbs: number;
  batchSize: number;
  bulkDocsPerSecond: number;
  changesRowsPerSecond: number;
  changesWithDocsRowsPerSecond: number;
}

const ACCOUNT = '4fe69c5b61015084f1fe5684abc6e502';
/** View builds run near 2k docs/s here: 20k documents keep the section under a minute. */
const REDUCE_DOCS = 20_000;
/** Number documents indexed by Kazoo's `numbers/status` view in the view build figures. */
const VIEW_BUILD_DOCS = 20_000;
/** Number documents written per database in the validated-write figure, in CSV-import-sized batches. */
const VALIDATED_WRITE_DOCS = 20_000;
const VALIDATED_WRITE_BATCH = 1_000;

/** A number document as Kazoo 4.3 writes it (in service, assigned, local features). */
export function kazooNumberDoc(number: string, index: number): CouchDoc {
  const dbName = `numbers%2F${encodeURIComponent(number.slice(0, 5))}`;
  return {
    _id: number,
    pvt_type: 'number',
    pvt_db_name: dbName,
    pvt_state: index % 4 === 0 ? 'available' : 'in_service',
    pvt_module_name: index % 3 === 0 ? 'knm_bandwidth2' : 'knm_local',
    pvt_ported_in: false,
    pvt_created: 63_700_000_000 + index,
    pvt_modified: 63_700_000_000 + index,
    ...(index % 4 === 0
      ? {}
      : { pvt_assigned_to: ACCOUNT, pvt_used_by: 'callflow', pvt_reserve_history: [ACCOUNT] }),
    pvt_features: { local: {} },
  };
}

export async function measureRawStoreCeiling(store: Store, options: RawStoreCeilingOptions = {}): Promise<RawStoreCeiling> {
  const total = options.docs ?? 50_000;
  const dbCount = options.dbs ?? 5;
  const batchSize = options.batchSize ?? 1_000;
  const firstAreaCode = options.firstAreaCode ?? 201;
  const dbs = Array.from({ length: dbCount }, (_, i) => `numbers/+1${String(firstAreaCode + i).padStart(3, '0')}`);
  for (const db of dbs) {
    await store.deleteDb(db);
    await store.createDb(db);
  }
  const perDb = Math.ceil(total / dbCount);

  let written = 0;
  const writeStart = performance.now();
  for (const [d, db] of dbs.entries()) {
    for (let from = 0; from < perDb && written < total; from += batchSize) {
      const size = Math.min(batchSize, perDb - from, total - written);
      const docs = Array.from({ length: size }, (_, i) => kazooNumberDoc(`+1${db.slice(-3)}${String(from + i).padStart(7, '0')}`, d * perDb + from + i));
      const results = await store.bulkDocs(db, docs);
      const refused = results.filter((result) => !result.ok);
      if (refused.length > 0) throw new Error(`raw store bench: ${refused.length} documents refused in ${db}`);
      written += size;
    }
  }
  const writeSeconds = (performance.now() - writeStart) / 1000;

  const readBack = async (includeDocs: boolean): Promise<number> => {
    let rows = 0;
    const start = performance.now();
    for (const db of dbs) {
      let since: string | undefined;
      for (;;) {
        const batch = await store.changes(db, { since, limit: batchSize, include_docs: includeDocs });
        rows += batch.results.length;
        if (batch.results.length === 0) break;
        since = batch.last_seq;
      }
    }
    if (rows !== written) throw new Error(`raw store bench: read back ${rows} changes for ${written} documents`);
    return rows / ((performance.now() - start) / 1000);
  };
  const changesRowsPerSecond = await readBack(false);
  const changesWithDocsRowsPerSecond = await readBack(true);

  if (options.cleanUp ?? true) for (const db of dbs) await store.deleteDb(db);
  return { docs: written, dbs: dbCount, batchSize, bulkDocsPerSecond: written / writeSeconds, changesRowsPerSecond, changesWithDocsRowsPerSecond };
}

/** Milliseconds from the start of one PUT until a waiting longpoll `_changes` hands it over (p50, p95). */
export async function measureWriteToChange(store: Store, samples = 200): Promise<{ p50: number; p95: number }> {
  const db = 'numbers/+1298';
  await store.deleteDb(db);
  await store.createDb(db);
  let since = (await store.changes(db, { since: 'now' })).last_seq;
  const latencies: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const waiting = store.changes(db, { since, feed: 'longpoll', timeout: 10_000 });
    // Let the longpoll reach the server before the write, as a follower's feed would be.
    await new Promise((resolve) => setTimeout(resolve, 2));
    const start = performance.now();
    await store.put(db, kazooNumberDoc(`+1298${String(i).padStart(7, '0')}`, i));
    const batch = await waiting;
    latencies.push(performance.now() - start);
    since = batch.last_seq;
  }
  await store.deleteDb(db);
  latencies.sort((a, b) => a - b);
  return { p50: latencies[Math.floor(samples * 0.5)], p95: latencies[Math.floor(samples * 0.95)] };
}

/**
 * `group=true` over Kazoo's `module_name` view (`_sum`): the first query builds the index; a query after
 * one more write re-reduces every row (PouchDB keeps no reduce results); a repeat is served by the
 * embedded server's cache of reduce results.
 */
async function groupedReduceSeconds(store: Store, docs: number): Promise<{ build: number; afterWrite: number; cached: number }> {
  const db = 'numbers/+1299';
  await store.deleteDb(db);
  await store.createDb(db);
  await store.put(db, { _id: '_design/numbers', views: { module_name: { map: 'function(doc) { emit(doc.pvt_module_name, 1); }', reduce: '_sum' } } });
  for (let from = 0; from < docs; from += 1_000) {
    await store.bulkDocs(db, Array.from({ length: Math.min(1_000, docs - from) }, (_, i) => kazooNumberDoc(`+1299${String(from + i).padStart(7, '0')}`, from + i)));
  }
  const timed = async (): Promise<number> => {
    const start = performance.now();
    await store.view(db, 'numbers', 'module_name', { group: true });
    return (performance.now() - start) / 1000;
  };
  const build = await timed();
  await store.put(db, kazooNumberDoc('+12999999999', docs));
  const afterWrite = await timed();
  const cached = await timed();
  await store.deleteDb(db);
  return { build, afterWrite, cached };
}

/** Kazoo's `_design/numbers` as deployed (views/numbers.json). */
function kazooNumbersDesignDoc(): Record<string, unknown> {
  const file = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'views', 'numbers.json'), 'utf8')) as unknown;
  return fromKazooViewFile(file, 'views/numbers.json').doc;
}

/** Documents per second of the first `numbers/status` query over `docs` number documents, over HTTP. */
async function statusViewBuildOverHttp(store: Store, docs: number): Promise<number> {
  const db = 'numbers/+1297';
  await store.deleteDb(db);
  await store.createDb(db);
  await store.put(db, kazooNumbersDesignDoc() as CouchDoc);
  for (let from = 0; from < docs; from += 1_000) {
    await store.bulkDocs(db, Array.from({ length: Math.min(1_000, docs - from) }, (_, i) => kazooNumberDoc(`+1297${String(from + i).padStart(7, '0')}`, from + i)));
  }
  const start = performance.now();
  await store.view(db, 'numbers', 'status', { limit: 1 });
  const rate = docs / ((performance.now() - start) / 1000);
  await store.deleteDb(db);
  return rate;
}

interface PouchForBench {
  bulkDocs(docs: unknown[]): Promise<unknown>;
  put(doc: unknown): Promise<unknown>;
  query(view: string, options: Record<string, unknown>): Promise<unknown>;
  destroy(): Promise<unknown>;
}

/**
 * The same view build in process, without HTTP, on PouchDB's own evaluation of map functions (strict, a new
 * vm context per document) and on the embedded server's (compiled once per source).
 */
async function statusViewBuildInProcess(docs: number, couchFunctions: boolean): Promise<number> {
  PouchDB.plugin(memoryAdapter);
  const Pouch = PouchDB.defaults({ adapter: 'memory', prefix: `knm-bench-views-${couchFunctions}-` } as PouchDB.Configuration.DatabaseConfiguration);
  if (couchFunctions) useCouchViewFunctions(Pouch, new ViewFunctions({ log: () => undefined }));
  const db = new Pouch('status') as unknown as PouchForBench;
  await db.put(kazooNumbersDesignDoc());
  for (let from = 0; from < docs; from += 1_000) {
    await db.bulkDocs(Array.from({ length: Math.min(1_000, docs - from) }, (_, i) => kazooNumberDoc(`+1297${String(from + i).padStart(7, '0')}`, from + i)));
  }
  const start = performance.now();
  await db.query('numbers/status', { limit: 1 });
  const rate = docs / ((performance.now() - start) / 1000);
  await db.destroy();
  return rate;
}

function describeCeiling(where: string, ceiling: RawStoreCeiling): string[] {
  const rate = (value: number): string => `${Math.round(value).toLocaleString('en-US')}/s`;
  return [
    `${where}: _bulk_docs ${rate(ceiling.bulkDocsPerSecond)} docs (${ceiling.docs.toLocaleString('en-US')} number docs, ${ceiling.dbs} dbs, batches of ${ceiling.batchSize})`,
    `${where}: _changes ${rate(ceiling.changesRowsPerSecond)} rows, ${rate(ceiling.changesWithDocsRowsPerSecond)} rows with include_docs (batches of ${ceiling.batchSize})`,
  ];
}

export const storeSection: BenchSection = {
  name: 'store',
  async run(print) {
    print(`raw store ceiling of the embedded server over HTTP (knm client), ${os.cpus().length} cores, node ${process.version}`);
    let viewBuildOverHttp = 0;
    const memory = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    try {
      const store = connectStore({ url: memory.url });
      await measureRawStoreCeiling(store, { docs: 5_000, firstAreaCode: 901 }); // warm-up, not reported
      for (const line of describeCeiling('memory', await measureRawStoreCeiling(store))) print(line);
      const latency = await measureWriteToChange(store);
      print(`memory: write to change over HTTP (PUT, then a waiting longpoll answers): p50 ${latency.p50.toFixed(1)} ms, p95 ${latency.p95.toFixed(1)} ms`);
      const reduce = await groupedReduceSeconds(store, REDUCE_DOCS);
      print(
        `memory: group=true on _sum over ${REDUCE_DOCS.toLocaleString('en-US')} docs: ${reduce.build.toFixed(2)} s building the index, ` +
          `${reduce.afterWrite.toFixed(3)} s after one write (full re-reduce), ${reduce.cached.toFixed(3)} s unchanged (cached result)`,
      );
      viewBuildOverHttp = await statusViewBuildOverHttp(store, VIEW_BUILD_DOCS);
      const library = await loadDesignDocs();
      await bootstrap({ store, target: { url: memory.url }, library, now: 63900000000 });
      const writes = await measureValidatedWriteRate(store, library, { docs: VALIDATED_WRITE_DOCS, batch: VALIDATED_WRITE_BATCH, areaCode: 1700 });
      print(
        `memory: _bulk_docs into a number database (${VALIDATED_WRITE_DOCS.toLocaleString('en-US')} docs, batches of ${VALIDATED_WRITE_BATCH.toLocaleString('en-US')}): ` +
          `${Math.round(writes.raw).toLocaleString('en-US')} docs/s without design documents, ${Math.round(writes.validated).toLocaleString('en-US')} docs/s with knm's ` +
          `(validate_doc_update on every write, ${(writes.validated / writes.raw).toFixed(2)}× raw)`,
      );
    } finally {
      await memory.close();
    }

    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-bench-store-'));
    const disk = await startEmbeddedServer({ dataDir, log: () => undefined });
    try {
      const store = connectStore({ url: disk.url });
      for (const line of describeCeiling('leveldb', await measureRawStoreCeiling(store))) print(line);
      const latency = await measureWriteToChange(store);
      print(`leveldb: write to change over HTTP (PUT, then a waiting longpoll answers): p50 ${latency.p50.toFixed(1)} ms, p95 ${latency.p95.toFixed(1)} ms`);
    } finally {
      await disk.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }

    // PouchDB's own evaluation runs last: the thousands of vm contexts it leaves behind slow down whatever runs after it.
    const knmInProcess = await statusViewBuildInProcess(VIEW_BUILD_DOCS, true);
    const pouchInProcess = await statusViewBuildInProcess(VIEW_BUILD_DOCS, false);
    const docsPerSecond = (rate: number): string => `${Math.round(rate).toLocaleString('en-US')} docs/s`;
    print(
      `memory: Kazoo's numbers/status view build over ${VIEW_BUILD_DOCS.toLocaleString('en-US')} number docs: ${docsPerSecond(viewBuildOverHttp)} over HTTP; ` +
        `in process, ${docsPerSecond(knmInProcess)} with knm's map evaluation (CouchDB's semantics, compiled once), ` +
        `${docsPerSecond(pouchInProcess)} with PouchDB's own (strict, a vm context per document)`,
    );
  },
};
