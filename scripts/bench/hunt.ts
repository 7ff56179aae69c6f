/**
 * Hunt: look-ups per second and p99 latency through `GET /hunt/NUMBER` (the hunt handler on a plain node HTTP
 * server, as the daemon mounts it) with 100,000 numbers in the store (in a child process, as CouchDB would be), as a ratio to plain `GET` of the same
 * documents from the embedded store over HTTP (goal ≥ 10× the plain rate). The first pass fills the in-memory
 * index from CouchDB (misses); the measured pass is served from it. Same client (node http, keep-alive, in a worker
 * thread), same concurrency, same numbers for both.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { huntHandler } from '../../src/hunt/handler';
import { HuntIndex, storeHuntSource } from '../../src/hunt/index';
import { compileNumberRules } from '../../src/numbers/rules';
import { connectStore } from '../../src/store/client';
import type { BenchSection } from './index';
import { storeInChild } from './child-store';
import { kazooNumberDoc } from './store';

const NUMBERS = 100_000;
const DBS = 10;
const LOOKUPS = 20_000;
const CONCURRENCY = 16;
const ACCOUNT = '4fe69c5b61015084f1fe5684abc6e502';

interface Run {
  perSecond: number;
  p50: number;
  p99: number;
}

/**
 * The load generator runs in a worker thread, so that the client's own work does not take CPU from the servers
 * being measured (the embedded store and the hunt endpoint share this process).
 */
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: workerData.concurrency });
function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (response) => {
      response.on('data', () => undefined);
      response.on('end', () => resolve(response.statusCode));
      response.on('error', reject);
    }).on('error', reject);
  });
}
(async () => {
  const { urls, concurrency, okStatuses } = workerData;
  const latencies = new Array(urls.length);
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < urls.length) {
      const at = next;
      next += 1;
      const begin = performance.now();
      const status = await get(urls[at]);
      if (!okStatuses.includes(status)) throw new Error(urls[at] + ' answered ' + status);
      latencies[at] = performance.now() - begin;
    }
  }));
  parentPort.postMessage({ seconds: (performance.now() - start) / 1000, latencies });
})().catch((error) => parentPort.postMessage({ error: String(error) }));
`;

/** Requests `urls` with CONCURRENCY in flight from a worker; every answer must have one of `okStatuses`. */
async function measure(urls: readonly string[], okStatuses: readonly number[]): Promise<Run> {
  const answer = await new Promise<{ seconds: number; latencies: number[]; error?: string }>((resolve, reject) => {
    const worker = new Worker(LOAD_WORKER, { eval: true, workerData: { urls, concurrency: CONCURRENCY, okStatuses } });
    worker.once('message', (message) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
  if (answer.error !== undefined) throw new Error(`hunt bench: ${answer.error}`);
  const latencies = [...answer.latencies].sort((a, b) => a - b);
  return { perSecond: urls.length / answer.seconds, p50: latencies[Math.floor(urls.length * 0.5)], p99: latencies[Math.floor(urls.length * 0.99)] };
}

/** What node's HTTP server answers here at most: the same requests to a handler that does nothing. */
async function httpCeiling(requests: number): Promise<Run> {
  const body = '{"account_id":"4fe69c5b61015084f1fe5684abc6e502"}';
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hunt/x`;
    return await measure(Array.from({ length: requests }, () => url), [200]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

export const huntSection: BenchSection = {
  name: 'hunt',
  async run(print) {
    const server = await storeInChild();
    const config = defaultNumberManagerConfig();
    const store = connectStore({ url: server.url });
    const index = new HuntIndex({ source: storeHuntSource(store), rules: compileNumberRules(config).rules, config });
    const huntServer = http.createServer(huntHandler(index));
    try {
      await store.createDb('accounts');
      await store.put('accounts', { _id: ACCOUNT, pvt_type: 'account', pvt_enabled: true, pvt_tree: [] });
      const numbers: string[] = [];
      for (let d = 0; d < DBS; d += 1) {
        const db = `numbers/+1${400 + d}`;
        await store.createDb(db);
        for (let from = 0; from < NUMBERS / DBS; from += 1_000) {
          const docs = Array.from({ length: 1_000 }, (_, i) => kazooNumberDoc(`+1${400 + d}${String(5_550_000 + from + i)}`, d * 10_000 + from + i + 1));
          await store.bulkDocs(db, docs);
          numbers.push(...docs.map((doc) => doc._id));
        }
      }
      await new Promise<void>((resolve) => huntServer.listen(0, '127.0.0.1', resolve));
      const huntBase = `http://127.0.0.1:${(huntServer.address() as AddressInfo).port}/hunt/`;
      const sample = Array.from({ length: LOOKUPS }, (_, i) => numbers[(i * 7919) % numbers.length]);
      const plainUrls = sample.map((number) => `${server.url}/${encodeURIComponent(`numbers/${number.slice(0, 5)}`)}/${encodeURIComponent(number)}`);
      const huntUrls = sample.map((number) => `${huntBase}${encodeURIComponent(number)}`);
      // available numbers are unassigned: the hunt answers them 404 `unassigned`, which is still a full look-up
      const huntAnswered = [200, 404];

      await measure(plainUrls.slice(0, 2_000), [200]); // warm-up
      const plain = await measure(plainUrls, [200]);
      const fill = await measure(huntUrls, huntAnswered);
      const served = await measure(huntUrls, huntAnswered);
      const ceiling = await httpCeiling(huntUrls.length);
      const fmt = (value: number): string => Math.round(value).toLocaleString('en-US');
      print(`plain GET of number documents from the store: ${fmt(plain.perSecond)}/s, p50 ${plain.p50.toFixed(2)} ms, p99 ${plain.p99.toFixed(2)} ms (${fmt(LOOKUPS)} GETs, ${CONCURRENCY} in flight, ${fmt(NUMBERS)} numbers in ${DBS} dbs)`);
      print(`GET /hunt/NUMBER, index filling (every look-up a miss read from the store): ${fmt(fill.perSecond)}/s, p99 ${fill.p99.toFixed(2)} ms`);
      print(`GET /hunt/NUMBER from the in-memory index (${fmt(index.size)} numbers held): ${fmt(served.perSecond)}/s, p50 ${served.p50.toFixed(2)} ms, p99 ${served.p99.toFixed(2)} ms`);
      print(`node http ceiling (same client, a handler answering a fixed JSON at once): ${fmt(ceiling.perSecond)}/s, p99 ${ceiling.p99.toFixed(2)} ms`);
      print(`hunt / plain GET: ${(served.perSecond / plain.perSecond).toFixed(1)}x the look-ups per second (goal >= 10x), p99 ${(served.p99 / plain.p99).toFixed(2)}x`);
    } finally {
      await new Promise((resolve) => huntServer.close(resolve));
      server.child.kill('SIGTERM');
    }
  },
};
