/**
 * `GET /hunt/NUMBER` for the daemon's HTTP endpoint: 200 with the hunt's props (Kazoo's names), or Kazoo's error
 * JSON with its code. A plain node request handler, so express or a bare http server can mount it; any other
 * request is passed on to `next` (or answered 404 without one).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HuntIndex } from './index';

const HUNT_PATH = /^\/hunt\/([^/?#]+)(?:[?#].*)?$/;

export type HuntRequestHandler = (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void) => void;

export function huntHandler(index: HuntIndex): HuntRequestHandler {
  return (request, response, next) => {
    const match = request.method === 'GET' || request.method === 'HEAD' ? HUNT_PATH.exec(request.url ?? '') : null;
    if (match === null) {
      if (next !== undefined) next();
      else send(response, 404, { code: 404, error: 'not_found', message: 'no such route; use GET /hunt/NUMBER' });
      return;
    }
    let number: string;
    try {
      number = decodeURIComponent(match[1]);
    } catch {
      send(response, 400, { code: 400, error: 'invalid', message: `not a URL-encoded number: ${match[1]}` });
      return;
    }
    index.lookup(number).then(
      (answer) => (answer.ok ? send(response, 200, answer.props) : send(response, answer.error.code, answer.error.toJSON())),
      (error: unknown) => send(response, 503, { code: 503, error: 'unavailable', message: error instanceof Error ? error.message : String(error) }),
    );
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
