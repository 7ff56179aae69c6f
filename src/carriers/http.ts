/**
 * The HTTP that carrier modules speak to carrier APIs (CouchDB has its own client in src/store). One place
 * for timeouts, for keeping credentials out of every message, and for turning failures into Kazoo's error
 * shapes (4.3 src/knm_errors.erl): `by_carrier` → 500 `unspecified_fault` "fault by carrier" with the number
 * as cause, and `unspecified(Reason)` → 500 `unspecified_fault` with the reason as message.
 */
import { KnmError } from '../errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface CarrierHttpRequest {
  readonly method: HttpMethod;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Kazoo's carriers wait 180 s (kz_http options `connect_timeout`/`timeout`). */
  readonly timeoutMs?: number;
  /** Cancels the request (a search that stopped waiting). */
  readonly signal?: AbortSignal;
}

export interface CarrierHttpAnswer {
  readonly status: number;
  readonly body: string;
}

export const DEFAULT_CARRIER_TIMEOUT_MS = 180_000;

/** How an HTTP carrier is built: the registry's use process.env and Kazoo's timeout; tests bring their own. */
export interface HttpCarrierOptions {
  /** Where credentials and URL overrides are read (`KNM_<CARRIER>_<KEY>`); process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
  timeoutMs?: number;
}

/** Kazoo's `?KNM_USER_AGENT` (knm.hrl), sent by the carriers that set one. */
export const KNM_USER_AGENT = 'Kazoo Number Manager 4.0.0';

/** The request got no HTTP answer: timeout, refused connection, cancelled. `reason` is safe to print. */
export class CarrierUnreachable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'CarrierUnreachable';
  }
}

/** Sends one request. Credentials in `secrets` never appear in the error thrown. */
export async function carrierHttp(request: CarrierHttpRequest, secrets: readonly string[] = []): Promise<CarrierHttpAnswer> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_CARRIER_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]);
  try {
    // Bytes, not a string: fetch would add `Content-Type: text/plain` to a string body, and Kazoo sends none unless a carrier sets it.
    const body = request.body === undefined ? undefined : new Uint8Array(Buffer.from(request.body, 'utf8'));
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body, signal });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    if (timeout.aborted) throw new CarrierUnreachable(`timeout after ${timeoutMs} ms`);
    if (request.signal?.aborted === true) throw new CarrierUnreachable('cancelled');
    throw new CarrierUnreachable(redact(describe(error), secrets));
  }
}

/** `text` with every secret (raw, URL-encoded, and inside HTTP Basic credentials) replaced by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)])) {
      clean = clean.split(form).join('***');
    }
  }
  return clean;
}

/** `Authorization: Basic …` (kz_http maybe_basic_auth/2). */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/**
 * knm_errors:by_carrier/3: Kazoo answers 500 `unspecified_fault` "fault by carrier" with the number as cause and
 * keeps the carrier's words for its log; knm appends them to the message (`fault by carrier: <module>: <words>`),
 * so that whoever reads the error reads what the carrier said.
 */
export function byCarrier(module: string, reason: string, number: string | undefined, secrets: readonly string[] = []): KnmError {
  const said = redact(reason, secrets);
  return new KnmError('unspecified_fault', 500, `fault by carrier: ${module}: ${said}`, {
    cause: number === undefined || number === '' ? 'unknown' : number,
    hint: `check the number and this carrier's account (system_config/${configIdOf(module)}), then retry`,
    origin: { module, reason: said } satisfies CarrierFaultOrigin,
  });
}

/** The request got no answer: whether the carrier acted is unknown (the order journal treats it as in doubt). */
export function carrierUnreachable(module: string, failure: CarrierUnreachable, number: string): KnmError {
  return new KnmError('unspecified_fault', 500, `fault by carrier: ${module}: no answer (${failure.reason})`, {
    cause: number,
    hint: 'retry: knm looks in its order journal (and asks the carrier where it can) before ordering again',
    origin: { module, reason: failure.reason, inDoubt: true } satisfies CarrierFaultOrigin,
  });
}

export interface CarrierFaultOrigin {
  module: string;
  reason: string;
  /** No answer came: the carrier may or may not have acted. */
  inDoubt?: boolean;
}

/** What the carrier said, for a KnmError made by byCarrier or carrierUnreachable. */
export function carrierFaultOf(error: unknown): CarrierFaultOrigin | undefined {
  if (!(error instanceof KnmError)) return undefined;
  const origin = error.origin;
  if (typeof origin !== 'object' || origin === null || !('module' in origin) || !('reason' in origin)) return undefined;
  return origin as CarrierFaultOrigin;
}

/** knm_errors:unspecified/2: the reason is the message (`provisioning_disabled`, `missing_provider_url`, …). */
export function unspecified(reason: string, number: string | undefined, hint: string): KnmError {
  return new KnmError('unspecified_fault', 500, reason, { cause: number, hint });
}

/** Kazoo's `provisioning_disabled`: the carrier's enable_provisioning is false and sandbox_provisioning is not on. */
export function provisioningDisabled(module: string, number: string): KnmError {
  return unspecified('provisioning_disabled', number, `set enable_provisioning (or sandbox_provisioning) to true in system_config/${configIdOf(module)} to let knm order and release numbers at this carrier`);
}

function configIdOf(module: string): string {
  return `number_manager.${module.replace(/^knm_/, '')}`;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : undefined;
    return code !== undefined ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
