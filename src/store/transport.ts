/**
 * The store's HTTP requests: JSON in, JSON out, over one pool of keep-alive connections per server. It stands in for
 * nano's `request`, which sends every call through the WHATWG fetch and a cookie-jar look-up: about 0.8 ms of knm's
 * CPU per request against 0.3 ms here, and more request headers for the server to read. An import sends a dozen
 * requests a second and the pipeline hundreds; on 2 cores the import ran 14% faster (`npm run bench`, import).
 * Requests are built as nano built them (database name encoded, the path given as it is, `key`-like query values as
 * JSON), and a CouchDB refusal comes back as nano gave it: an Error with `statusCode`, `error` and `reason`.
 */
import http from 'node:http';
import https from 'node:https';

export interface TransportRequest {
  readonly method: string;
  /** The database, encoded here. */
  readonly db?: string;
  /** After the database, as given (document paths are encoded by the caller). */
  readonly path?: string;
  readonly qs?: Readonly<Record<string, unknown>>;
  /** JSON text. */
  readonly body?: string;
  readonly signal?: AbortSignal;
}

/** An answer of 300 and above: its status, and CouchDB's `error` and `reason` when it gave them. */
export class HttpFailure extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string | undefined,
    readonly reason: string | undefined,
  ) {
    super(reason ?? error ?? `couch returned ${statusCode}`);
    this.name = 'HttpFailure';
  }
}

export type Transport = (request: TransportRequest) => Promise<unknown>;

/** CouchDB reads these query parameters as JSON (nano's list). */
const JSON_PARAMS: ReadonlySet<string> = new Set(['startkey', 'endkey', 'key', 'keys', 'start_key', 'end_key']);

/** `url` may carry credentials, sent as basic authentication. */
export function httpTransport(url: string): Transport {
  const base = new URL(url);
  const secure = base.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const request = secure ? https.request : http.request;
  const basePath = base.pathname.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (base.username !== '' || base.password !== '') {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
  }

  const send = (spec: TransportRequest, retryStale: boolean): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const call = request(
        {
          protocol: base.protocol,
          // URL keeps an IPv6 address in its brackets; the socket wants it bare
          hostname: base.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: base.port,
          path: pathOf(basePath, spec),
          method: spec.method,
          agent,
          headers: spec.body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(spec.body)) },
          signal: spec.signal,
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('error', reject);
          response.on('end', () => {
            const status = response.statusCode ?? 500;
            const body = parsed(text);
            if (status < 300) return resolve(body);
            const answer = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
            reject(new HttpFailure(status, stringOrUndefined(answer.error), stringOrUndefined(answer.reason)));
          });
        },
      );
      call.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed as it was reused never carried the request: send it again, once
        // (node's http documentation, "agent.keepAlive").
        if (retryStale && call.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) return resolve(send(spec, false));
        reject(spec.signal?.aborted === true && spec.signal.reason instanceof Error ? spec.signal.reason : error);
      });
      call.end(spec.body);
    });

  return (spec) => send(spec, true);
}

function pathOf(basePath: string, spec: TransportRequest): string {
  let path = basePath;
  if (spec.db !== undefined) path += `/${encodeURIComponent(spec.db)}`;
  if (spec.path !== undefined && spec.path !== '') path += `/${spec.path}`;
  if (path === '') path = '/';
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(spec.qs ?? {})) {
    if (value === undefined) continue;
    query.set(key, JSON_PARAMS.has(key) ? JSON.stringify(value) : String(value));
  }
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

function parsed(text: string): unknown {
  if (text === '') return '';
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
