/**
 * Hunt: look-ups per second and p99 latency through `GET /hunt/NUMBER` on the operator endpoint `knm start` serves
 * (startOperatorEndpoint with the hunt handler) with 100,000 numbers in the store (in a child process, as CouchDB
 * would be), as a ratio to plain `GET` of the same documents from the embedded store over HTTP (goal ≥ 10× the plain
 * rate). The first pass fills the in-memory index from CouchDB (misses); the measured pass is served from it, every
 * number database followed as the pipeline's feed would (`follows`). Same client (node http, keep-alive, in a
 * worker thread), same concurrency, same numbers for both.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { huntHandler } from '../../src/hunt/handler';
import { startOperatorEndpoint, type OperatorEndpoint } from '../../src/http/server';
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
const ROUNDS = 3;
const ACCOUNT = '4fe69c5b61015084f1fe5684abc6e502';

interface Run {
  perSecond: number;
  p50: number;
  p99: number;
}

/**
 * The load generator runs in a worker thread, so that the client's own work does not take CPU from the server being
 * measured (the hunt endpoint runs in this process). It speaks HTTP/1.1 over one kept-alive socket per request in
 * flight and reads only the status line, the length (Content-Length or chunks) and the body: node's http client costs
 * more per request than the hunt endpoint does, and measured the client instead of the servers (before: hunt at
 * half the ceiling of a handler answering a fixed JSON, both client-bound). Same client for every run.
 */
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const net = require('node:net');
const HEAD_END = Buffer.from('\\r\\n\\r\\n');
const CRLF = Buffer.from('\\r\\n');

/** Where the response starting at 0 ends in buffer, or -1 while incomplete (Content-Length or chunked bodies). */
function responseEnd(buffer) {
  const headEnd = buffer.indexOf(HEAD_END);
  if (headEnd < 0) return -1;
  const head = buffer.toString('latin1', 0, headEnd);
  const length = /\\r\\ncontent-length: *(\\d+)/i.exec(head);
  if (length !== null) {
    const end = headEnd + 4 + Number(length[1]);
    return buffer.length >= end ? end : -1;
  }
  if (!/\\r\\ntransfer-encoding: *chunked/i.test(head)) throw new Error('a response without a length: ' + head);
  let at = headEnd + 4;
  for (;;) {
    const lineEnd = buffer.indexOf(CRLF, at);
    if (lineEnd < 0) return -1;
    const size = parseInt(buffer.toString('latin1', at, lineEnd), 16);
    const next = lineEnd + 2 + size + 2;
    if (buffer.length < next) return -1;
    if (size === 0) return next;
    at = next;
  }
}

function connection(host, port) {
  let socket;
  let buffer = Buffer.alloc(0);
  let waiting;
  function open() {
    socket = net.connect(port, host);
    socket.setNoDelay(true);
    buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      if (waiting === undefined) return;
      let end;
      try {
        end = responseEnd(buffer);
      } catch (error) {
        const failed = waiting;
        waiting = undefined;
        return failed.reject(error);
      }
      if (end < 0) return;
      const status = Number(buffer.toString('latin1', 9, 12));
      buffer = buffer.subarray(end);
      const done = waiting;
      waiting = undefined;
      done.resolve(status);
    });
    socket.on('error', (error) => waiting?.reject(error));
    socket.on('close', () => {
      socket = undefined;
      waiting?.reject(new Error('connection closed'));
      waiting = undefined;
    });
  }
  return {
    get(path) {
      if (socket === undefined) open();
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        socket.write('GET ' + path + ' HTTP/1.1\\r\\nHost: ' + host + ':' + port + '\\r\\n\\r\\n');
      });
    },
    close() {
      socket?.destroy();
    },
  };
}

(async () => {
  const { urls, concurrency, okStatuses } = workerData;
  const target = new URL(urls[0]);
  const paths = urls.map((url) => { const parsed = new URL(url); return parsed.pathname + parsed.search; });
  const connections = Array.from({ length: concurrency }, () => connection(target.hostname, Number(target.port)));
  const latencies = new Array(urls.length);
  let next = 0;
  const start = performance.now();
  await Promise.all(connections.map(async (client) => {
    while (next < urls.length) {
      const at = next;
      next += 1;
      const begin = performance.now();
      const status = await client.get(paths[at]);
      if (!okStatuses.includes(status)) throw new Error(urls[at] + ' answered ' + status);
      latencies[at] = performance.now() - begin;
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  for (const client of connections) client.close();
  parentPort.postMessage({ seconds, latencies });
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

/** The run of median rate. */
function median(runs: readonly Run[]): Run {
  return [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(runs.length / 2)];
}

/** What node's HTTP server answers here at most: the same requests to a handler that does nothing. */
async function httpCeiling(requests: number): Promise<Run> {
  const body = Buffer.from('{"account_id":"4fe69c5b61015084f1fe5684abc6e502"}');
  const headers = ['content-type', 'application/json', 'content-length', String(body.length)];
  const server = http.createServer((_request, response) => {
    response.writeHead(200, headers);
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
    const index = new HuntIndex({ source: storeHuntSource(store), rules: compileNumberRules(config).rules, config, follows: () => true });
    let endpoint: OperatorEndpoint | undefined;
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
      const idle = { health: () => ({ status: 'ok' as const, storeReachable: true, followedDatabases: DBS, busyDatabases: 0 }), renderMetrics: () => '' };
      endpoint = await startOperatorEndpoint(idle, 0, huntHandler(index));
      const huntBase = `${endpoint.url}/hunt/`;
      const sample = Array.from({ length: LOOKUPS }, (_, i) => numbers[(i * 7919) % numbers.length]);
      const plainUrls = sample.map((number) => `${server.url}/${encodeURIComponent(`numbers/${number.slice(0, 5)}`)}/${encodeURIComponent(number)}`);
      const huntUrls = sample.map((number) => `${huntBase}${encodeURIComponent(number)}`);
      // available numbers are unassigned: the hunt answers them 404 `unassigned`, which is still a full look-up
      const huntAnswered = [200, 404];

      await measure(plainUrls.slice(0, 2_000), [200]); // warm-up
      const fill = await measure(huntUrls, huntAnswered);
      // This machine is shared: the three are measured in turn, ROUNDS times, and each figure is the median run.
      const runs: { plain: Run[]; served: Run[]; ceiling: Run[] } = { plain: [], served: [], ceiling: [] };
      for (let round = 0; round < ROUNDS; round += 1) {
        runs.plain.push(await measure(plainUrls, [200]));
        runs.served.push(await measure(huntUrls, huntAnswered));
        runs.ceiling.push(await httpCeiling(huntUrls.length));
      }
      const [plain, served, ceiling] = [median(runs.plain), median(runs.served), median(runs.ceiling)];
      const fmt = (value: number): string => Math.round(value).toLocaleString('en-US');
      const each = (list: Run[]): string => list.map((run) => fmt(run.perSecond)).join(', ');
      print(`plain GET of number documents from the store: ${fmt(plain.perSecond)}/s, p50 ${plain.p50.toFixed(2)} ms, p99 ${plain.p99.toFixed(2)} ms (${fmt(LOOKUPS)} GETs, ${CONCURRENCY} in flight, ${fmt(NUMBERS)} numbers in ${DBS} dbs; runs ${each(runs.plain)})`);
      print(`GET /hunt/NUMBER, index filling (every look-up a miss read from the store): ${fmt(fill.perSecond)}/s, p99 ${fill.p99.toFixed(2)} ms`);
      print(`GET /hunt/NUMBER from the in-memory index (${fmt(index.size)} numbers held): ${fmt(served.perSecond)}/s, p50 ${served.p50.toFixed(2)} ms, p99 ${served.p99.toFixed(2)} ms (runs ${each(runs.served)})`);
      print(`node http ceiling (same client, a handler answering a fixed JSON at once): ${fmt(ceiling.perSecond)}/s, p99 ${ceiling.p99.toFixed(2)} ms (runs ${each(runs.ceiling)})`);
      print(`hunt / plain GET: ${(served.perSecond / plain.perSecond).toFixed(1)}x the look-ups per second (goal >= 10x), p99 ${(served.p99 / plain.p99).toFixed(2)}x`);
    } finally {
      await endpoint?.close();
      server.child.kill('SIGTERM');
    }
  },
};
