/**
 * What a number search costs in knm, with the carrier's own time taken out: a Telnyx-shaped and a
 * Bandwidth-shaped API on loopback answer at once with 500 numbers each, and the embedded store keeps the
 * discovery documents. Figures: one carrier's request and parse, a whole search whose 1,000 numbers are new
 * (written as discovery documents), the same search again (the documents renewed), and acquires through the
 * order journal (two `_local` writes each) against the acquire itself.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Carrier, CarrierContext } from '../../src/carriers/carrier';
import { createBandwidth2 } from '../../src/carriers/knm_bandwidth2';
import { createTelnyx } from '../../src/carriers/knm_telnyx';
import { searchNumbers } from '../../src/carriers/search';
import { readNumberManagerConfig } from '../../src/config/number-manager';
import { readNumberDocument } from '../../src/documents/read';
import { bootstrap } from '../../src/store/bootstrap';
import { connectStore } from '../../src/store/client';
import { loadDesignDocs } from '../../src/store/design-docs';
import { startEmbeddedServer } from '../../src/store/embedded';
import type { BenchSection } from './index';

const NUMBERS = 500;
const PARSE_RUNS = 50;
const ACQUIRES = 200;
const NOW = 63900000000;

function telnyxAnswer(): string {
  const result = Array.from({ length: NUMBERS }, (_, i) => {
    const number = `41555${String(i).padStart(5, '0')}`;
    return { best_effort: false, currency: null, monthly_recurring_cost: '1.00000', number, number_e164: `+1${number}`, upfront_cost: '1.00000' };
  });
  return JSON.stringify({ any_best_effort: false, inexplicit_result: [], limit: NUMBERS, result, search_type: 1, status: 2 });
}

function bandwidthAnswer(): string {
  const numbers = Array.from({ length: NUMBERS }, (_, i) => `<TelephoneNumber>41566${String(i).padStart(5, '0')}</TelephoneNumber>`).join('');
  return `<?xml version="1.0"?><SearchResult><ResultCount>${NUMBERS}</ResultCount><TelephoneNumberList>${numbers}</TelephoneNumberList></SearchResult>`;
}

async function carrierApi(): Promise<{ url: string; close(): Promise<void> }> {
  const search = telnyxAnswer();
  const available = bandwidthAnswer();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/telnyx/number_orders')) res.end('{"id":"411389090580137691"}');
      else if (req.url?.startsWith('/telnyx/')) res.end(search);
      else res.end(available);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const carriersSection: BenchSection = {
  name: 'carriers',
  async run(print) {
    const embedded = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    const api = await carrierApi();
    try {
      const store = connectStore({ url: embedded.url });
      const library = await loadDesignDocs();
      await bootstrap({ store, target: { url: embedded.url }, library, now: NOW });
      const telnyx = createTelnyx({ env: { KNM_TELNYX_URL: `${api.url}/telnyx/`, KNM_TELNYX_TOKEN: 't' } });
      const bandwidth2 = createBandwidth2({ env: { KNM_BANDWIDTH2_URL: `${api.url}/bw` } });
      const byModule = new Map<string, Carrier>([['knm_telnyx', telnyx], ['knm_bandwidth2', bandwidth2]]);
      const context: CarrierContext = { store, now: NOW };
      const options = { prefix: '415', normalizedPrefix: '+1415', country: 'US', dialcode: '+1', offset: 0 };

      for (const carrier of [telnyx, bandwidth2]) {
        const started = performance.now();
        for (let i = 0; i < PARSE_RUNS; i += 1) await carrier.findNumbers!('+1415', NUMBERS, options, context);
        const ms = (performance.now() - started) / PARSE_RUNS;
        print(`${carrier.module} search, ${NUMBERS} numbers over loopback: ${ms.toFixed(1)} ms (${Math.round((NUMBERS * 1000) / ms).toLocaleString('en')} numbers/s)`);
      }

      const { config } = readNumberManagerConfig({ _id: 'number_manager', default: { carrier_modules: ['knm_telnyx', 'knm_bandwidth2'] } });
      const env = { store, designDocs: library, config, now: NOW, carriers: (module: string) => byModule.get(module) };
      for (const label of ['new: 1,000 discovery documents written', 'again: 1,000 discovery documents renewed']) {
        const started = performance.now();
        const answer = await searchNumbers({ prefix: '415', quantity: NUMBERS }, env);
        const ms = performance.now() - started;
        const kept = answer.discovery.written.length + answer.discovery.refreshed.length;
        print(`whole search, two carriers, ${label}: ${ms.toFixed(0)} ms (${kept} kept, ${Math.round((kept * 1000) / ms).toLocaleString('en')} numbers/s)`);
      }

      const records = Array.from({ length: ACQUIRES }, (_, i) => {
        const doc = { _id: `+141555${String(i).padStart(5, '0')}`, pvt_state: 'discovery', pvt_module_name: 'knm_telnyx', pvt_created: NOW, pvt_modified: NOW, pvt_type: 'number' };
        return readNumberDocument(doc, { now: NOW, normalize: (n) => n, availableModuleName: 'knm_local' }).record;
      });
      let started = performance.now();
      for (const record of records) await telnyx.acquireNumber(record, context);
      const first = (performance.now() - started) / ACQUIRES;
      started = performance.now();
      for (const record of records) await telnyx.acquireNumber(record, context);
      const replay = (performance.now() - started) / ACQUIRES;
      print(`knm_telnyx acquire with the order journal: ${first.toFixed(2)} ms each (order + 2 _local writes); retried: ${replay.toFixed(2)} ms each (journal read, no order)`);
    } finally {
      await api.close();
      await embedded.close();
    }
  },
};
