/**
 * How knm speaks to Telnyx (carrier-protocols.md §3.2–§3.3; 4.3 src/knm_telnyx_util.erl): JSON at
 * `https://api.telnyx.com/origination/`, the `x-api-user` / `x-api-token` headers from `number_manager.telnyx`
 * `user` / `token`, and rep/1's answer rule. Shared by the carrier (knm_telnyx.ts) and the E911 and CNAM
 * providers. knm also reads a `url` key (KNM_TELNYX_URL) because Kazoo's base URL is hard-coded and tests need a mock.
 */
import type { JsonObject, JsonValue } from '../documents/json';
import { isJsonObject } from '../documents/json';
import { carrierHttp, HttpMethod, KNM_USER_AGENT } from './http';
import type { CarrierSettings } from './settings';

export const TELNYX_URL = 'https://api.telnyx.com/origination/';

/** The settings whose values never appear in a message. */
export const TELNYX_SECRET_KEYS: readonly string[] = ['user', 'token'];

/** Telnyx answered, but not with success; the message is rep/1's reason (`unauthenticated`, `server_error`, …). */
export class TelnyxRefusal extends Error {}

export interface TelnyxCall {
  readonly method: HttpMethod;
  /** Path segments after the base URL, already joined (`numbers/%2B13129677542/e911_settings`). */
  readonly path: string;
  /** No body for a DELETE (knm_telnyx_util:req/2). */
  readonly body?: JsonObject;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** One request; the answer's JSON object. Throws TelnyxRefusal (an answer that is not a success) or CarrierUnreachable. */
export async function telnyxRequest(settings: CarrierSettings, call: TelnyxCall): Promise<JsonObject> {
  const text = call.body === undefined ? undefined : JSON.stringify(call.body);
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'x-api-user': settings.string('user', ''),
    'x-api-token': settings.string('token', ''),
    'User-Agent': KNM_USER_AGENT,
  };
  // Content-Type only with a non-empty body (knm_telnyx_util:req/3).
  if (text !== undefined && text !== '{}') headers['Content-Type'] = 'application/json';
  const answer = await carrierHttp(
    { method: call.method, url: telnyxBaseUrl(settings) + call.path, headers, body: text, timeoutMs: call.timeoutMs, signal: call.signal },
    settings.secrets(TELNYX_SECRET_KEYS),
  );
  return readTelnyxAnswer(answer.status, answer.body, settings);
}

/** `numbers/<E.164 URL-encoded>` (knm_telnyx_util:did/1). */
export function telnyxNumberPath(number: string): string {
  return `numbers/${encodeURIComponent(number)}`;
}

function telnyxBaseUrl(settings: CarrierSettings): string {
  const url = settings.string('url', TELNYX_URL);
  return url.endsWith('/') ? url : `${url}/`;
}

/** rep/1: only a 200 with a JSON object is an answer; then the rate filter, then the `limit` cut. */
function readTelnyxAnswer(status: number, body: string, settings: CarrierSettings): JsonObject {
  if (status !== 200 || !body.startsWith('{')) throw new TelnyxRefusal(statusReason(status));
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new TelnyxRefusal('empty_response');
  }
  if (!isJsonObject(json)) throw new TelnyxRefusal('empty_response');
  const limit = typeof json.limit === 'number' && json.limit > 0 ? json.limit : 100;
  let result = Array.isArray(json.result) ? json.result.filter(isJsonObject) : [];
  const inexplicit = Array.isArray(json.inexplicit_result) ? json.inexplicit_result.filter(isJsonObject) : [];
  if (settings.boolean('should_filter_rates', false)) {
    const upfront = settings.raw('upfront_cost') ?? 1.0;
    const monthly = settings.raw('monthly_recurring_cost') ?? 1.0;
    result = result.filter((entry) => sameCost(entry.upfront_cost, upfront) && sameCost(entry.monthly_recurring_cost, monthly));
  }
  return { ...json, result: result.slice(0, limit), inexplicit_result: inexplicit.slice(0, limit) };
}

function sameCost(value: JsonValue | undefined, wanted: JsonValue): boolean {
  return Number.parseFloat(String(value)) === Number.parseFloat(String(wanted));
}

function statusReason(status: number): string {
  if (status === 400) return 'bad_request';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status >= 500) return 'server_error';
  return 'empty_response';
}
