/**
 * A carrier API on loopback for the carrier tests: records every request exactly as it arrived (method, path,
 * query, headers, body) and answers with whatever the test says — a recorded Kazoo fixture, an error status, a
 * malformed body, an empty result, or no answer at all (to test timeouts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR } from '../helpers/fixtures';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, as sent (still URL-encoded). */
  path: string;
  /** The raw query string, without `?`. */
  rawQuery: string;
  query: URLSearchParams;
  /** Lower-cased names. */
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Never answer (the client times out or cancels). */
  hang?: boolean;
  /** Wait before answering. */
  delayMs?: number;
}

export type Handler = (request: RecordedRequest) => Reply;

export interface MockCarrier {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces how the server answers from now on. */
  answer(handler: Handler): void;
  close(): Promise<void>;
}

/** A recorded carrier payload from Kazoo, as it is. */
export function carrierFixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES_DIR, 'carriers', name), 'utf8');
}

export async function startMockCarrier(handler: Handler = () => ({ status: 404, body: 'no route' })): Promise<MockCarrier> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const [pathPart, rawQuery = ''] = (req.url ?? '/').split(/\?(.*)/s, 2);
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: pathPart,
        rawQuery,
        query: new URLSearchParams(rawQuery),
        headers: req.headers,
        body,
      };
      requests.push(recorded);
      const reply = current(recorded);
      if (reply.hang === true) return;
      const send = (): void => {
        res.writeHead(reply.status ?? 200, reply.headers ?? {});
        res.end(reply.body ?? '');
      };
      if (reply.delayMs === undefined) send();
      else {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, reply.delayMs);
        timers.add(timer);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer(next) {
      current = next;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
