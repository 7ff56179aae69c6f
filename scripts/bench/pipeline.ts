/**
 * The changes pipeline's figures, each against the raw store measured in the same run:
 *  - reaction throughput: N state edits written by a "Kazoo tool" over many number databases, first write to
 *    last change decided and checkpointed, as a ratio to the raw store doing the same I/O with no logic
 *    (the same `_bulk_docs` writes, then every database's `_changes` with include_docs, 8 at a time);
 *  - acquisitions (discovery → in_service, a carrier that answers at once, one write-back per number), as a
 *    ratio to the raw store doing the same writes, reads and one PUT per number (16 at a time);
 *  - reaction latency under a steady load (50 acquisitions/s): from a number's PUT to knm's write of its
 *    acquisition, p50/p99;
 *  - resident memory of the pipeline's process while changes keep coming (the store runs in a child process,
 *    so the figure is the pipeline's own), sampled every 100,000 changes.
 * KNM_BENCH_PIPELINE_CHANGES sets the changes of the memory run (default 200,000; 1,000,000 takes minutes).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defer, from, lastValueFrom, mergeMap } from 'rxjs';
import type { Carrier } from '../../src/carriers/carrier';
import { startPipeline, type Pipeline } from '../../src/pipeline/pipeline';
import { connectStore, type Store } from '../../src/store/client';
import { deployDesignDocs } from '../../src/store/bootstrap';
import { loadDesignDocs, type DesignDocLibrary } from '../../src/store/design-docs';
import type { CouchDoc } from '../../src/store/types';
import { systemClock } from '../../src/time';
import type { BenchSection } from './index';
import { measureRawStoreCeiling } from './store';
import { storeInChild, benchNumberDoc } from './child-store';

const DBS = 50;
const PER_DB = 400;
const BULK = 1_000;
const ACQUISITIONS = 4_000;
const STEADY_PACE_MS = 20;

/** A carrier that answers at once and records an order, so every acquisition writes the number back. */
const instantCarrier: Carrier = {
  module: 'knm_bandwidth2',
  isLocal: false,
  isBillable: true,
  shouldLookupCnam: false,
  maximalPrefixLength: 10,
  acquireNumber: async (record) => ({ ...record, carrierData: { ...record.carrierData, order_id: `order-${record.number}` } }),
  disconnectNumber: async (record) => record,
};

export function dbsFrom(firstAreaCode: number, count = DBS): string[] {
  return Array.from({ length: count }, (_, i) => `numbers/+1${firstAreaCode + i}`);
}

export function numbersOf(db: string, count = PER_DB): string[] {
  return Array.from({ length: count }, (_, i) => `+1${db.slice(-3)}${String(i).padStart(7, '0')}`);
}

/** Number databases as knm deploys them: with its design documents, validate_doc_update included. */
export async function createDbs(store: Store, designDocs: DesignDocLibrary, dbs: readonly string[]): Promise<void> {
  for (const db of dbs) {
    await store.createDb(db);
    await deployDesignDocs(store, db, designDocs.forDb(db));
  }
}

/** Writes `change` of every number of `dbs` with `_bulk_docs`, as a Kazoo tool importing numbers would. */
export async function editAll(store: Store, dbs: readonly string[], revs: Map<string, string>, change: (number: string) => CouchDoc): Promise<number> {
  let written = 0;
  for (const db of dbs) {
    const numbers = numbersOf(db);
    for (let from = 0; from < numbers.length; from += BULK) {
      const docs = numbers.slice(from, from + BULK).map((number) => {
        const rev = revs.get(number);
        return rev !== undefined ? { ...change(number), _rev: rev } : change(number);
      });
      for (const result of await store.bulkDocs(db, docs)) {
        if (!result.ok) throw new Error(`pipeline bench: ${result.id} refused: ${result.error}`);
        revs.set(result.id, result.rev);
        written += 1;
      }
    }
  }
  return written;
}

export async function readAllChanges(store: Store, dbs: readonly string[], concurrency: number): Promise<void> {
  await lastValueFrom(
    from(dbs).pipe(
      mergeMap((db) => defer(async () => {
        let since: string | undefined;
        for (;;) {
          const batch = await store.changes(db, { ...(since !== undefined ? { since } : {}), limit: 500, include_docs: true });
          if (batch.results.length === 0) return;
          since = batch.last_seq;
        }
      }), concurrency),
    ),
    { defaultValue: undefined },
  );
}

export async function until(what: string, done: () => boolean, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`pipeline bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function rss(): number {
  (global as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1024 / 1024;
}

export const pipelineSection: BenchSection = {
  name: 'pipeline',
  async run(print) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-bench-pipeline-'));
    const server = await storeInChild(dataDir);
    const store = connectStore({ url: server.url });
    const designDocs = await loadDesignDocs();
    const now = systemClock();
    let pipeline: Pipeline | undefined;
    try {
      print(`embedded store (leveldb) in a child process, ${os.cpus().length} cores, node ${process.version}; ${DBS} number databases × ${PER_DB} numbers`);

      const ceiling = await measureRawStoreCeiling(store, { docs: DBS * PER_DB, dbs: DBS, batchSize: BULK, firstAreaCode: 650 });
      // One edit costs the raw store a share of a _bulk_docs write and of a _changes row with its document.
      const ceilingRate = 1 / (1 / ceiling.bulkDocsPerSecond + 1 / ceiling.changesWithDocsRowsPerSecond);
      print(
        `raw store ceiling (measureRawStoreCeiling, no design documents): _bulk_docs ${Math.round(ceiling.bulkDocsPerSecond).toLocaleString('en-US')}/s, ` +
          `_changes with docs ${Math.round(ceiling.changesWithDocsRowsPerSecond).toLocaleString('en-US')}/s: ${Math.round(ceilingRate).toLocaleString('en-US')} edits/s written and read back`,
      );

      // The same I/O with no logic, on databases that carry knm's design documents as every deployed one does.
      const rawDbs = dbsFrom(600);
      await createDbs(store, designDocs, rawDbs);
      const rawRevs = new Map<string, string>();
      await editAll(store, rawDbs, rawRevs, (number) => benchNumberDoc(number, 'available', now));
      let start = performance.now();
      const rawEdits = await editAll(store, rawDbs, rawRevs, (number) => benchNumberDoc(number, 'reserved', now));
      await readAllChanges(store, rawDbs, 8);
      const rawSeconds = (performance.now() - start) / 1000;
      const rawRate = rawEdits / rawSeconds;
      for (const db of rawDbs) await store.deleteDb(db);
      print(`raw store with knm's design documents (validate_doc_update runs on every write): ${rawEdits.toLocaleString('en-US')} state edits written and read back in ${rawSeconds.toFixed(2)} s (${Math.round(rawRate).toLocaleString('en-US')}/s)`);

      // The same edits through the pipeline: numbers created and seen first, views built by one purge round, then edited.
      const dbs = dbsFrom(700);
      await createDbs(store, designDocs, dbs);
      const revs = new Map<string, string>();
      await editAll(store, dbs, revs, (number) => benchNumberDoc(number, 'available', now));
      pipeline = await startPipeline({ store, designDocs, carriers: (module) => (module === instantCarrier.module ? instantCarrier : undefined), dbUpdatesLongpollMs: 1_000 });
      const running = pipeline;
      await until('the pipeline to catch up', () => running.metrics.total('knm_pipeline_changes_processed_total') >= DBS * PER_DB);
      await running.idle();
      await running.purgeNow();
      const before = running.metrics.total('knm_pipeline_changes_processed_total');
      start = performance.now();
      const edits = await editAll(store, dbs, revs, (number) => benchNumberDoc(number, 'reserved', now));
      await until('every edit decided', () => running.metrics.total('knm_pipeline_changes_processed_total') >= before + edits);
      const pipelineSeconds = (performance.now() - start) / 1000;
      const pipelineRate = edits / pipelineSeconds;
      print(
        `pipeline: ${edits.toLocaleString('en-US')} state edits over ${DBS} databases, first write to last decided, ${pipelineSeconds.toFixed(2)} s (${Math.round(pipelineRate).toLocaleString('en-US')}/s): ` +
          `ratio ${(pipelineRate / rawRate).toFixed(2)} to the raw store with knm's design documents, ${(pipelineRate / ceilingRate).toFixed(2)} to the bare ceiling (goal ≥ 0.8)`,
      );

      // Acquisitions: every edit needs the carrier and a write-back.
      const acquireDbs = dbsFrom(800, ACQUISITIONS / PER_DB);
      const acquireRevs = new Map<string, string>();
      await createDbs(store, designDocs, acquireDbs);
      await editAll(store, acquireDbs, acquireRevs, (number) => benchNumberDoc(number, 'discovery', now));
      await until('discovery seen', () => running.metrics.total('knm_pipeline_changes_processed_total') >= before + edits + ACQUISITIONS);
      await running.idle();
      await running.purgeNow();
      start = performance.now();
      await editAll(store, acquireDbs, acquireRevs, (number) => benchNumberDoc(number, 'in_service', now));
      await until('every acquisition', () => running.metrics.value('knm_pipeline_reactions_total', { kind: 'acquire' }) >= ACQUISITIONS);
      const acquireSeconds = (performance.now() - start) / 1000;
      // Raw: the same writes and reads, then one PUT per number, 16 at a time.
      const rawAcquireDbs = dbsFrom(900, ACQUISITIONS / PER_DB);
      const rawAcquireRevs = new Map<string, string>();
      await createDbs(store, designDocs, rawAcquireDbs);
      await editAll(store, rawAcquireDbs, rawAcquireRevs, (number) => benchNumberDoc(number, 'discovery', now));
      start = performance.now();
      await editAll(store, rawAcquireDbs, rawAcquireRevs, (number) => benchNumberDoc(number, 'in_service', now));
      await readAllChanges(store, rawAcquireDbs, 8);
      await lastValueFrom(
        from(rawAcquireDbs.flatMap((db) => numbersOf(db).map((number) => [db, number] as const))).pipe(
          mergeMap(([db, number]) => defer(() => store.put(db, { ...benchNumberDoc(number, 'in_service', now), _rev: rawAcquireRevs.get(number), pvt_carrier_data: { order_id: number } })), 16),
        ),
      );
      const rawAcquireSeconds = (performance.now() - start) / 1000;
      print(
        `acquisitions: ${ACQUISITIONS.toLocaleString('en-US')} in ${acquireSeconds.toFixed(2)} s (${Math.round(ACQUISITIONS / acquireSeconds).toLocaleString('en-US')}/s); ` +
          `raw store doing the same I/O ${rawAcquireSeconds.toFixed(2)} s: ratio ${(rawAcquireSeconds / acquireSeconds).toFixed(2)}`,
      );
      for (const db of rawAcquireDbs) await store.deleteDb(db);

      // Latency under a steady load: one acquisition every 20 ms (50/s) for 1,000 numbers (a PUT and a write-back each).
      const latencyDb = 'numbers/+1599';
      const latencyNumbers = numbersOf(latencyDb, 1_000);
      const written = new Map<string, number>();
      const effects: number[] = [];
      const timedStore: Store = {
        ...store,
        put: async (db, doc) => {
          const answer = await store.put(db, doc);
          const data = (doc as CouchDoc).pvt_carrier_data as Record<string, unknown> | undefined;
          const sent = written.get(answer.id);
          if (db === latencyDb && data?.knm_acquired !== undefined && sent !== undefined) effects.push(performance.now() - sent);
          return answer;
        },
      };
      await running.stop();
      pipeline = await startPipeline({ store: timedStore, designDocs, carriers: (module) => (module === instantCarrier.module ? instantCarrier : undefined), dbUpdatesLongpollMs: 1_000 });
      const steady = pipeline;
      const latencyRevs = new Map<string, string>();
      await createDbs(store, designDocs, [latencyDb]);
      for (const result of await store.bulkDocs(latencyDb, latencyNumbers.map((number) => benchNumberDoc(number, 'discovery', now)))) if (result.ok) latencyRevs.set(result.id, result.rev);
      await until('discovery seen', () => steady.metrics.total('knm_pipeline_changes_processed_total') >= latencyNumbers.length);
      await steady.idle();
      await steady.purgeNow();
      const pace = performance.now();
      for (const [index, number] of latencyNumbers.entries()) {
        const due = pace + index * STEADY_PACE_MS;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        written.set(number, performance.now());
        void store.put(latencyDb, { ...benchNumberDoc(number, 'in_service', now), _rev: latencyRevs.get(number) });
      }
      await until('every steady acquisition', () => effects.length >= latencyNumbers.length);
      effects.sort((a, b) => a - b);
      print(`latency at ${1000 / STEADY_PACE_MS} acquisitions/s (PUT of the number to knm's write of its acquisition): p50 ${percentile(effects, 0.5).toFixed(1)} ms, p99 ${percentile(effects, 0.99).toFixed(1)} ms`);

      // Memory while changes keep coming: the same numbers edited again and again.
      const target = Number(process.env.KNM_BENCH_PIPELINE_CHANGES ?? 200_000);
      const startRss = rss();
      const samples: string[] = [];
      let state = 'reserved';
      const base = steady.metrics.total('knm_pipeline_changes_processed_total');
      let sent = 0;
      let nextSample = 100_000;
      start = performance.now();
      while (sent < target) {
        state = state === 'reserved' ? 'available' : 'reserved';
        const next = state;
        sent += await editAll(store, dbs, revs, (number) => benchNumberDoc(number, next, now));
        // In step with the writer: a feed lists a document once at its latest change, so a second edit written
        // before the first is read would be one change, not two.
        await until('the pipeline to keep up', () => steady.metrics.total('knm_pipeline_changes_processed_total') - base >= sent);
        if (sent >= nextSample) {
          samples.push(`${rss().toFixed(0)} MB after ${(sent / 1000).toFixed(0)}k changes`);
          nextSample += 100_000;
        }
      }
      print(`resident memory of the pipeline process: ${startRss.toFixed(0)} MB before, ${samples.join(', ')} (${Math.round(sent / ((performance.now() - start) / 1000)).toLocaleString('en-US')} changes/s)`);
    } finally {
      await pipeline?.stop();
      server.child.kill('SIGTERM');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
