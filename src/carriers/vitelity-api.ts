/**
 * How knm speaks to Vitelity (carrier-protocols.md §4.2; 4.3 src/knm_vitelity_util.erl): every call is
 * `POST {api_uri}?{query}` with an empty body, `login` and `pass` last in the query (credentials in the URL, so
 * the URL never appears in a message), and an XML answer `<content><status>ok|fail</status>…` whose HTTP
 * status does not matter. Shared by the carrier (knm_vitelity.ts) and the E911 and CNAM providers.
 */
import type { JsonObject } from '../documents/json';
import { carrierHttp } from './http';
import type { CarrierSettings } from './settings';
import { fromNpan } from './us';
import { parseXml, XmlElement, XmlNode } from './xml';

/** 4.3's default (master switched to https; the schema says http). */
export const VITELITY_URL = 'http://api.vitelity.net/api.php';

/** The settings whose values never appear in a message. */
export const VITELITY_SECRET_KEYS: readonly string[] = ['login', 'pass'];

/** Query parameters in Kazoo's order; an undefined value is left out (props:filter_undefined). */
export type VitelityQuery = [string, string | undefined][];

export interface VitelityCallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** One call; the answer's `<content>` element, or `xml_decode_failed`. Throws CarrierUnreachable when no answer came. */
export async function vitelityCall(settings: CarrierSettings, query: VitelityQuery, options: VitelityCallOptions = {}): Promise<XmlElement | 'xml_decode_failed'> {
  const params = new URLSearchParams();
  for (const [key, value] of [...query, ['login', settings.string('login')], ['pass', settings.string('pass')]] as VitelityQuery) {
    if (value !== undefined) params.append(key, value);
  }
  const url = `${settings.string('api_uri', VITELITY_URL)}?${params.toString()}`;
  const answer = await carrierHttp({ method: 'POST', url, timeoutMs: options.timeoutMs, signal: options.signal }, settings.secrets(VITELITY_SECRET_KEYS));
  const content = parseXml(answer.body)?.content;
  return content === undefined || typeof content === 'string' || Array.isArray(content) ? 'xml_decode_failed' : content;
}

/**
 * xml_els_to_proplist/1: an element's children as an object (nested elements as objects, empty ones dropped),
 * `did`/`number` normalized to E.164; a text-only element is the number (the toll-free list).
 */
export function vitelityXmlToJson(entry: XmlNode): JsonObject {
  if (typeof entry === 'string') return { number: fromNpan(entry) };
  const data: JsonObject = {};
  for (const [key, value] of Object.entries(entry)) {
    const node = Array.isArray(value) ? value[0] : value;
    if (node === undefined || key === '#text') continue;
    if (typeof node === 'string') {
      if (node === '') continue;
      if (key === 'did' || key === 'number') data.number = fromNpan(node);
      else data[key] = node;
    } else if (Object.keys(node).length > 0) {
      data[key] = vitelityXmlToJson(node);
    }
  }
  return data;
}
