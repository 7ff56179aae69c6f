/**
 * An embedded server, knm's databases and a running pipeline for the end-to-end tests, and the plain-HTTP
 * writes a Kazoo tool would make. Everything waits for an effect with a deadline, never for a fixed time.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Carrier } from '../../src/carriers/carrier';
import { KnmError } from '../../src/errors';
import type { NumberRecord } from '../../src/documents/types';
import { startPipeline, type Pipeline, type PipelineOptions } from '../../src/pipeline/pipeline';
import type { FeatureProvider } from '../../src/providers/provider';
import { providerFor } from '../../src/providers/registry';
import { bootstrap } from '../../src/store/bootstrap';
import { connectStore, type Store } from '../../src/store/client';
import { loadDesignDocs, type DesignDocLibrary } from '../../src/store/design-docs';
import { startEmbeddedServer, type EmbeddedServer, type EmbeddedServerOptions } from '../../src/store/embedded';
import { gregorianFromUnixMs } from '../../src/time';
import { FIXTURES_DIR } from '../helpers/fixtures';

export const MASTER = 'account0000000000000000000000001';
export const RESELLER = 'account0000000000000000000000002';
export const CHILD = 'account0000000000000000000000003';

export interface CountingCarrier extends Carrier {
  readonly calls: { operation: 'acquire' | 'disconnect'; number: string }[];
  /** How the next acquire of a number answers: a refusal, a transient failure, or a pause (ms). */
  readonly script: Map<string, ('refuse' | 'unavailable')[]>;
  delayMs: number;
  /** Runs while the carrier works on an acquisition, as another writer of the number would. */
  meanwhile?: (record: NumberRecord) => Promise<void>;
  count(operation: 'acquire' | 'disconnect', number?: string): number;
}

/** A carrier that counts its calls and records an order id, as knm_bandwidth2 records its order. */
export function countingCarrier(module = 'knm_bandwidth2'): CountingCarrier {
  const carrier: CountingCarrier = {
    module,
    isLocal: false,
    isBillable: true,
    shouldLookupCnam: false,
    maximalPrefixLength: 10,
    calls: [],
    script: new Map(),
    delayMs: 0,
    count(operation, number) {
      return carrier.calls.filter((call) => call.operation === operation && (number === undefined || call.number === number)).length;
    },
    async acquireNumber(record: NumberRecord) {
      carrier.calls.push({ operation: 'acquire', number: record.number });
      if (carrier.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, carrier.delayMs));
      await carrier.meanwhile?.(record);
      const next = carrier.script.get(record.number)?.shift();
      if (next === 'refuse') throw new KnmError('unspecified_fault', 500, 'fault by carrier', { cause: record.number });
      if (next === 'unavailable') throw new KnmError('unavailable', 503, 'carrier unreachable');
      return { ...record, carrierData: { ...record.carrierData, order_id: `order-${carrier.calls.length}` } };
    },
    async disconnectNumber(record: NumberRecord) {
      carrier.calls.push({ operation: 'disconnect', number: record.number });
      return record;
    },
  };
  return carrier;
}

export interface CountingProvider extends FeatureProvider {
  /** The numbers its save was given, in order. */
  readonly saves: NumberRecord[];
  /** The numbers its delete was given, in order. */
  readonly deletes: NumberRecord[];
}

/**
 * A provider that counts its calls and keeps `pvt_features.<feature>` equal to the public request, the
 * bookkeeping every provider does (as knm_telnyx_e911 does in dry run).
 */
export function countingProvider(module: string, feature: string): CountingProvider {
  const saves: NumberRecord[] = [];
  const deletes: NumberRecord[] = [];
  const without = (record: NumberRecord): NumberRecord => {
    const { [feature]: _gone, ...features } = record.features;
    return { ...record, features };
  };
  return {
    module,
    reachesOutside: true,
    saves,
    deletes,
    async save(record) {
      saves.push(record);
      const wanted = record.publicFields[feature];
      return wanted === undefined ? without(record) : { ...record, features: { ...record.features, [feature]: wanted } };
    },
    async delete(record) {
      deletes.push(record);
      return without(record);
    },
  };
}

export interface Harness {
  server: EmbeddedServer;
  store: Store;
  library: DesignDocLibrary;
  carrier: CountingCarrier;
  providers: Map<string, FeatureProvider>;
  /** Gregorian seconds the pipeline sees as now. */
  now: number;
  pipeline?: Pipeline;
  start(options?: Partial<PipelineOptions>): Promise<Pipeline>;
  close(): Promise<void>;
}

export async function startHarness(serverOptions: EmbeddedServerOptions = { inMemory: true }): Promise<Harness> {
  const server = await startEmbeddedServer({ ...serverOptions, log: () => undefined });
  const store = connectStore({ url: server.url, retryBaseMs: 20 });
  const library = await loadDesignDocs();
  const harness: Harness = {
    server,
    store,
    library,
    carrier: countingCarrier(),
    providers: new Map(),
    now: gregorianFromUnixMs(Date.now()),
    async start(options = {}) {
      harness.pipeline = await startPipeline({
        store,
        designDocs: library,
        clock: () => harness.now,
        carriers: (module) => (module === harness.carrier.module ? harness.carrier : undefined),
        // A test's own providers first, then knm's (knm_cnam_notifier, knm_port_notifier, …).
        providers: (module) => harness.providers.get(module) ?? providerFor(module),
        dbUpdatesLongpollMs: 500,
        // No webhook from the machine's environment; tests that want one set it here.
        env: {},
        notifications: { attempts: 3, retryBaseMs: 20 },
        carrierRetryBaseMs: 5,
        maxBackoffMs: 200,
        ...options,
      });
      return harness.pipeline;
    },
    async close() {
      await harness.pipeline?.stop();
      await server.close();
    },
  };
  await bootstrap({ store, target: { url: server.url }, library, now: harness.now });
  return harness;
}

/** A fixture document as Kazoo stored it, without the revision of Kazoo's database. */
export function fixtureDoc(number: string): Record<string, unknown> {
  const file = path.join(FIXTURES_DIR, 'dbs', encodeURIComponent(`numbers/${number.slice(0, 5)}`), `${encodeURIComponent(number)}.json`);
  const { _rev: _kazooRev, ...doc } = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  return doc;
}

/** A number held by an account on a carrier with an API (Kazoo's bandwidth2 fixture), so that it may have every feature. */
export function heldNumber(number: string, state: string, extra: Record<string, unknown> = {}): () => Record<string, unknown> {
  return () => ({
    ...fixtureDoc('+14122065197'),
    _id: number,
    pvt_db_name: encodeURIComponent(numberDb(number)),
    pvt_state: state,
    pvt_assigned_to: RESELLER,
    pvt_carrier_data: {},
    ...extra,
  });
}

export function numberDb(number: string): string {
  return `numbers/${number.slice(0, 5)}`;
}

/** What a Kazoo tool does: a plain HTTP request to CouchDB. */
export async function http(url: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await fetch(`${url.replace(/\/$/, '')}${pathname}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  return { status: answer.status, body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export function docUrl(db: string, id: string): string {
  return `/${encodeURIComponent(db)}/${encodeURIComponent(id)}`;
}

/** Writes a number document over HTTP the way a script with curl would: read its revision, PUT it back changed. */
export async function kazooWrite(url: string, number: string, change: (doc: Record<string, unknown>) => Record<string, unknown>): Promise<string> {
  const db = numberDb(number);
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const current = await http(url, 'GET', docUrl(db, number));
    const base = current.status === 200 ? current.body : { _id: number };
    const answer = await http(url, 'PUT', docUrl(db, number), change(base));
    if (answer.status === 201) return String(answer.body.rev);
    if (answer.status === 404 && (answer.body.reason === 'no_db_file' || answer.body.reason === 'Database does not exist.')) await http(url, 'PUT', `/${encodeURIComponent(db)}`);
    else if (answer.status !== 409) throw new Error(`PUT ${number}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  throw new Error(`PUT ${number}: kept conflicting`);
}

export async function readDoc(store: Store, number: string): Promise<Record<string, unknown> | null> {
  return store.getOrNull(numberDb(number), number);
}

/** Polls `probe` until it answers something other than undefined, or fails after `ms`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 8_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last !== undefined ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The carrier data knm writes when it has bought a number. */
export function acquiredMarker(doc: Record<string, unknown> | null): Record<string, unknown> | undefined {
  const data = doc?.pvt_carrier_data as Record<string, unknown> | undefined;
  return data?.knm_acquired as Record<string, unknown> | undefined;
}
