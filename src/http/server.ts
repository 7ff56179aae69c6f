/**
 * knm's operator endpoint, on loopback only: `GET /healthz` (200 while the pipeline runs and the store
 * answers, 503 otherwise, with the details as JSON), `GET /metrics` (Prometheus text format) and, given a hunt
 * handler, `GET /hunt/NUMBER` (src/hunt/handler.ts). Connections are kept alive (node's default).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isHuntRequest, type HuntRequestHandler } from '../hunt/handler';
import type { Pipeline } from '../pipeline/pipeline';

export const DEFAULT_HTTP_PORT = 9184;
const LOOPBACK = '127.0.0.1';

export interface OperatorEndpoint {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startOperatorEndpoint(
  pipeline: Pick<Pipeline, 'health' | 'renderMetrics'>,
  port: number = DEFAULT_HTTP_PORT,
  hunt?: HuntRequestHandler,
): Promise<OperatorEndpoint> {
  const server = http.createServer((req, res) => {
    if (hunt !== undefined && isHuntRequest(req)) hunt(req, res);
    else operatorRoutes(req, res);
  });
  function operatorRoutes(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      const health = pipeline.health();
      res.writeHead(health.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(health)}\n`);
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(pipeline.renderMetrics());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: try /healthz, /metrics${hunt !== undefined ? ' or /hunt/NUMBER' : ''}\n`);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${LOOPBACK}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
