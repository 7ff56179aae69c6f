/**
 * `GET /hunt/NUMBER[?inbound=true]` for the daemon's HTTP endpoint: 200 with the hunt's props (Kazoo's names), or
 * Kazoo's error JSON with its code; 400 for what is not a dialled number. `inbound=true` says the call came from a
 * carrier (authenticated): a number still porting in is then put in service (port-in.ts) and the answer carries
 * `port_in_transition`, as `knm hunt --inbound` prints it. A plain node request handler, so express or a bare http
 * server can mount it; any other request is passed on to `next` (or answered 404 without one).
 *
 * The path of a number held in memory is served without a promise or a JSON.stringify: the index keeps each
 * number's answer serialized until the number or its holder changes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KnmError } from '../errors';
import type { HuntIndex, HuntResponse } from './index';
import { huntInputError, type HuntAnswer } from './lookup';
import { portInTransitionJson, type PortInTransition } from './port-in';

const HUNT_PREFIX = '/hunt/';

/** True for the requests the hunt handler answers (`GET|HEAD /hunt/…`); a server can route on it without a `next`. */
export function isHuntRequest(request: IncomingMessage): boolean {
  return (request.method === 'GET' || request.method === 'HEAD') && (request.url ?? '').startsWith(HUNT_PREFIX);
}

export type HuntRequestHandler = (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void) => void;

export interface HuntHandlerOptions {
  /** Completes a pending port on a carrier-authenticated call; without it `inbound=true` is refused (400). */
  readonly inbound?: (answer: HuntAnswer) => Promise<PortInTransition>;
}

export function huntHandler(index: HuntIndex, options: HuntHandlerOptions = {}): HuntRequestHandler {
  return (request, response, next) => {
    if (!isHuntRequest(request)) {
      if (next !== undefined) next();
      else sendError(response, new KnmError('not_found', 404, 'no such route; use GET /hunt/NUMBER'));
      return;
    }
    const url = request.url as string;
    const queryAt = url.indexOf('?', HUNT_PREFIX.length);
    const segment = queryAt === -1 ? url.slice(HUNT_PREFIX.length) : url.slice(HUNT_PREFIX.length, queryAt);
    const number = decodeSegment(segment);
    const inbound = queryAt === -1 ? false : inboundOf(url.slice(queryAt + 1));
    const refusal = number === undefined ? badNumber(segment) : typeof inbound !== 'boolean' ? inbound : huntInputError(number);
    if (refusal !== undefined) {
      sendError(response, refusal);
      return;
    }
    const answered = index.respond(number as string);
    if (!(answered instanceof Promise) && inbound === false) {
      send(response, answered.status, answered.body);
      return;
    }
    Promise.resolve(answered).then(
      (served) => (inbound === true ? answerInbound(response, served, options) : send(response, served.status, served.body)),
      (error: unknown) => sendError(response, unavailable(error)),
    );
  };
}

async function answerInbound(response: ServerResponse, served: HuntResponse, options: HuntHandlerOptions): Promise<void> {
  const answer = served.answer;
  if (options.inbound === undefined) {
    sendError(response, new KnmError('invalid', 400, 'inbound=true is not served here: nothing can complete a port', { hint: 'use knm hunt NUMBER --inbound' }));
    return;
  }
  try {
    const transition = await options.inbound(answer);
    const body = answer.ok ? { ...answer.props, port_in_transition: portInTransitionJson(transition) } : { ...answer.error.toJSON(), port_in_transition: portInTransitionJson(transition) };
    send(response, served.status, Buffer.from(JSON.stringify(body)));
  } catch (error) {
    sendError(response, unavailable(error));
  }
}

function decodeSegment(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** `inbound=true|false`; anything else is a 400. */
function inboundOf(query: string): boolean | KnmError {
  const value = new URLSearchParams(query).get('inbound');
  if (value === null || value === 'false') return false;
  if (value === 'true') return true;
  return new KnmError('invalid', 400, `inbound must be true or false, not "${value}"`, { cause: 'inbound' });
}

function badNumber(segment: string): KnmError {
  return new KnmError('invalid', 400, `not a URL-encoded number: ${segment}`, { cause: segment });
}

function unavailable(error: unknown): KnmError {
  return new KnmError('unavailable', 503, error instanceof Error ? error.message : String(error), { hint: 'the store did not answer; try again' });
}

function sendError(response: ServerResponse, error: KnmError): void {
  send(response, error.code, Buffer.from(JSON.stringify(error.toJSON())));
}

/** The response headers by body length: answers are a few hundred bytes, so a handful of arrays serve them all. */
const headersByLength = new Map<number, string[]>();

function send(response: ServerResponse, status: number, body: Buffer): void {
  let headers = headersByLength.get(body.length);
  if (headers === undefined) {
    headers = ['content-type', 'application/json', 'content-length', String(body.length)];
    if (headersByLength.size < 4096) headersByLength.set(body.length, headers);
  }
  response.writeHead(status, headers);
  response.end(body);
}
