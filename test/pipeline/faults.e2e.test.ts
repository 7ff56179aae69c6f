import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jsonLogger } from '../../src/pipeline/log';
import { startEmbeddedServer } from '../../src/store/embedded';
import { gregorianFromUnixMs } from '../../src/time';
import { acquiredMarker, docUrl, eventually, fixtureDoc, http, kazooWrite, numberDb, startHarness, type Harness } from './harness';

/** `count` numbers found at knm_bandwidth2 (Kazoo's discovery fixture under other ids), spread over `dbs` number databases. */
function discoveryNumbers(count: number, dbs = 3): string[] {
  return Array.from({ length: count }, (_, index) => `+1${412 + (index % dbs)}2065${String(index).padStart(3, '0')}`);
}

/** Found just now: the purge leaves it alone for discovery_expiry_d. */
function discoveryDoc(number: string): Record<string, unknown> {
  return { ...fixtureDoc('+14122065197'), _id: number, pvt_db_name: encodeURIComponent(numberDb(number)), pvt_assigned_to: undefined, pvt_modified: gregorianFromUnixMs(Date.now()) };
}

/** A Kazoo tool's bulk write: every number of a database in one `_bulk_docs`. */
async function bulkWrite(url: string, numbers: readonly string[], change: (doc: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const byDb = new Map<string, string[]>();
  for (const number of numbers) byDb.set(numberDb(number), [...(byDb.get(numberDb(number)) ?? []), number]);
  for (const [db, ids] of byDb) {
    await http(url, 'PUT', `/${encodeURIComponent(db)}`);
    const current = await http(url, 'POST', `/${encodeURIComponent(db)}/_all_docs?include_docs=true`, { keys: ids });
    const rows = current.body.rows as { key: string; doc?: Record<string, unknown> | null }[];
    const docs = rows.map((row) => change(row.doc ?? { _id: row.key }));
    const answer = await http(url, 'POST', `/${encodeURIComponent(db)}/_bulk_docs`, { docs });
    expect(answer.status).to.equal(201);
  }
}

async function allAcquired(harness: Harness, numbers: readonly string[]): Promise<true | undefined> {
  for (const number of numbers) {
    if (acquiredMarker(await harness.store.getOrNull(numberDb(number), number)) === undefined) return undefined;
  }
  return true;
}

function acquiredOnce(harness: Harness, numbers: readonly string[]): void {
  const counts = new Map<string, number>();
  for (const call of harness.carrier.calls) if (call.operation === 'acquire') counts.set(call.number, (counts.get(call.number) ?? 0) + 1);
  expect([...counts.entries()].filter(([, count]) => count !== 1)).to.deep.equal([]);
  expect([...counts.keys()].sort()).to.deep.equal([...numbers].sort());
}

describe('pipeline under faults, end to end against the embedded server', function () {
  this.timeout(60_000);
  let harness: Harness;

  afterEach(async function () {
    await harness.close();
  });

  it('killed in the middle of a batch and started again, buys every number exactly once', async function () {
    harness = await startHarness();
    const numbers = discoveryNumbers(60);
    await bulkWrite(harness.server.url, numbers, (doc) => ({ ...discoveryDoc(String(doc._id)), ...(doc._rev !== undefined ? { _rev: doc._rev } : {}) }));
    const first = await harness.start({ batchSize: 10, numberConcurrency: 2 });
    await eventually('discovery seen', async () => {
      await first.idle();
      return first.metrics.total('knm_pipeline_changes_processed_total') >= numbers.length ? true : undefined;
    });

    harness.carrier.delayMs = 10;
    await bulkWrite(harness.server.url, numbers, (doc) => ({ ...doc, pvt_state: 'in_service' }));
    await eventually('some acquisitions', () => (harness.carrier.count('acquire') >= 15 ? true : undefined));
    await first.kill();
    const boughtBeforeKill = harness.carrier.count('acquire');
    expect(boughtBeforeKill).to.be.below(numbers.length);

    harness.carrier.delayMs = 0;
    await harness.start({ batchSize: 10, numberConcurrency: 2 });
    await eventually('every acquisition', () => allAcquired(harness, numbers), 30_000);
    acquiredOnce(harness, numbers);
  });

  it('waits out a restart of the embedded server under load and misses nothing', async function () {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-pipeline-restart-'));
    try {
      harness = await startHarness({ dataDir });
      const port = harness.server.port;
      const numbers = discoveryNumbers(45);
      await bulkWrite(harness.server.url, numbers, (doc) => ({ ...discoveryDoc(String(doc._id)), ...(doc._rev !== undefined ? { _rev: doc._rev } : {}) }));
      const pipeline = await harness.start({ batchSize: 5, numberConcurrency: 2 });
      await eventually('discovery seen', async () => {
        await pipeline.idle();
        return pipeline.metrics.total('knm_pipeline_changes_processed_total') >= numbers.length ? true : undefined;
      });

      harness.carrier.delayMs = 5;
      // A writer that keeps going through the outage, one number at a time, as a Kazoo tool retrying would.
      let written = 0;
      const writer = (async () => {
        for (const number of numbers) {
          await eventually(`writing ${number}`, () => kazooWrite(harness.server.url, number, (doc) => ({ ...doc, pvt_state: 'in_service' })).catch(() => undefined), 20_000);
          written += 1;
        }
      })();
      await eventually('a third written', () => (written >= 15 ? true : undefined));
      await harness.server.close();
      // longer than the store client's read retries (3 attempts, backoff from 20 ms) and its one resend on a dropped
      // kept-alive connection, so the pipeline does meet the outage
      await new Promise((resolve) => setTimeout(resolve, 1500));
      harness.server = await startEmbeddedServer({ dataDir, port, log: () => undefined });
      await writer;

      await eventually('every acquisition', () => allAcquired(harness, numbers), 40_000);
      acquiredOnce(harness, numbers);
      expect(pipeline.health().status).to.equal('ok');
      expect(pipeline.metrics.value('knm_pipeline_errors_total', { kind: 'store' })).to.be.greaterThan(0);
    } finally {
      await harness.close();
      harness = { close: async () => undefined } as unknown as Harness;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('logs, counts and skips documents that cannot be read as numbers, and handles the good ones around them', async function () {
    harness = await startHarness();
    const db = 'numbers/+1412';
    // Written before knm's validation reached the database, as old data is.
    await http(harness.server.url, 'PUT', `/${encodeURIComponent(db)}`);
    const good = discoveryNumbers(12, 1);
    const malformed = [
      { _id: '+14120000001', pvt_state: 'in_service', pvt_used_by: '' },
      { _id: '+14120000002', pvt_state: 'in_service', pvt_assigned_to: 'short' },
      { _id: '+14120000003', pvt_state: 'wonderland' },
      { _id: '+14120000004', pvt_state: 'in_service', pvt_carrier_data: 'not an object' },
      { _id: 'not-a-number', pvt_state: 'in_service' },
      { _id: '+14120000005', pvt_state: 42 },
    ];
    const interleaved = good.flatMap((number, index) => [discoveryDoc(number), ...(index < malformed.length ? [malformed[index]] : [])]);
    expect((await http(harness.server.url, 'POST', `/${encodeURIComponent(db)}/_bulk_docs`, { docs: interleaved })).status).to.equal(201);

    const lines: string[] = [];
    const pipeline = await harness.start({ batchSize: 4, logger: jsonLogger('warn', (line) => lines.push(line)) });
    await eventually('the first pass', async () => {
      await pipeline.idle();
      return pipeline.metrics.total('knm_pipeline_changes_processed_total') >= interleaved.length ? true : undefined;
    });
    expect(pipeline.metrics.total('knm_pipeline_skipped_documents_total')).to.equal(malformed.length);
    const skipped = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((event) => event.event === 'document_skipped');
    expect(skipped.map((event) => event.id).sort()).to.deep.equal(malformed.map((doc) => doc._id).sort());
    expect(skipped.find((event) => event.id === 'not-a-number')).to.include({ db, reason: 'not_a_number' });
    expect(skipped.find((event) => event.id === '+14120000001')).to.include({ db, reason: 'malformed' });

    await bulkWrite(harness.server.url, good, (doc) => ({ ...doc, pvt_state: 'reserved' }));
    await eventually('every acquisition', () => allAcquired(harness, good));
    acquiredOnce(harness, good);
    // Skipped documents are left exactly as they were: knm writes no repair of its own.
    expect((await http(harness.server.url, 'GET', docUrl(db, '+14120000001'))).body._rev).to.match(/^1-/);
  });

  it('concurrent writers: conflicts are read again and decided again; no acquisition twice, no writer update lost', async function () {
    harness = await startHarness();
    const numbers = discoveryNumbers(20, 2);
    await bulkWrite(harness.server.url, numbers, (doc) => ({ ...discoveryDoc(String(doc._id)), ...(doc._rev !== undefined ? { _rev: doc._rev } : {}) }));
    const pipeline = await harness.start({ batchSize: 5 });
    await eventually('discovery seen', async () => {
      await pipeline.idle();
      return pipeline.metrics.total('knm_pipeline_changes_processed_total') >= numbers.length ? true : undefined;
    });
    // The carrier is slow, so writers get in between the read and knm's write; one always does.
    harness.carrier.delayMs = 30;
    harness.carrier.meanwhile = async (record) => void (await kazooWrite(harness.server.url, record.number, (doc) => ({ ...doc, note_0: true })));
    await bulkWrite(harness.server.url, numbers, (doc) => ({ ...doc, pvt_state: 'in_service' }));
    const writers = [1, 2, 3].map(async (writer) => {
      for (let round = 0; round < 5; round += 1) {
        for (const number of numbers) await kazooWrite(harness.server.url, number, (doc) => ({ ...doc, [`note_${writer}`]: round }));
      }
    });
    await Promise.all(writers);
    await eventually('every acquisition', () => allAcquired(harness, numbers), 30_000);
    acquiredOnce(harness, numbers);
    expect(pipeline.metrics.total('knm_pipeline_conflicts_total')).to.be.greaterThan(0);
    for (const number of numbers) {
      const doc = await harness.store.get(numberDb(number), number);
      expect([doc.note_1, doc.note_2, doc.note_3, doc.pvt_state]).to.deep.equal([4, 4, 4, 'in_service']);
    }
  });
});
