/**
 * Bandwidth's dashboard API (carrier-protocols.md §7; 4.3 src/carriers/knm_bandwidth2.erl): REST with XML
 * bodies under `{base}/accounts/{account_id}/`, HTTP Basic with `api_username` / `api_password`. Search
 * `GET availableNumbers`, acquire `POST orders` then `GET orders/{id}` until the order is COMPLETE (order
 * name, Kazoo's account and number merged into the carrier data), disconnect: no call (the number stays at
 * Bandwidth). knm reads a `url` key for the base (Kazoo's is hard-coded), notes Bandwidth's order id in the
 * order journal as soon as it is known, and bounds the polling: a retried acquire follows the same order up
 * instead of placing a second one.
 */
import type { JsonObject } from '../documents/json';
import type { Carrier, FindNumbersResult } from './carrier';
import { found, notAvailable } from './carrier';
import { basicAuth, byCarrier, carrierHttp, carrierUnreachable, CarrierUnreachable, HttpCarrierOptions, KNM_USER_AGENT, provisioningDisabled } from './http';
import { acquireOnce, forgetOrder, OrderEffect, OrderJournal } from './orders';
import { CarrierSettings, Env, loadCarrierSettings } from './settings';
import { fromNpan, isUsTollfreeNpa, toNpan } from './us';
import { child, children, escapeXml, parseXml, text, XmlElement, XmlNode } from './xml';

const MODULE = 'knm_bandwidth2';
/** 4.3's base (master moved to https://api.inetwork.com/v1.0). */
export const BANDWIDTH2_URL = 'https://dashboard.bandwidth.com/api';

export interface Bandwidth2Options extends HttpCarrierOptions {
  /** Between two looks at a RECEIVED order (Kazoo: 2000 ms). */
  pollIntervalMs?: number;
  /** Looks at a RECEIVED order before giving up for now (Kazoo: no limit). */
  maxPolls?: number;
}

type Answer = { ok: true; xml: XmlElement } | { ok: false; reason: string };

export function createBandwidth2(options: Bandwidth2Options = {}): Carrier {
  const env = (): Env => options.env ?? process.env;
  const pollIntervalMs = options.pollIntervalMs ?? 2_000;
  const maxPolls = options.maxPolls ?? 150;

  async function request(settings: CarrierSettings, method: 'GET' | 'POST', path: string, body?: string, signal?: AbortSignal): Promise<Answer> {
    const secrets = settings.secrets(['api_username', 'api_password']);
    const auth = basicAuth(settings.string('api_username', ''), settings.string('api_password', ''));
    const headers: Record<string, string> =
      method === 'GET'
        ? { Authorization: auth }
        : { Authorization: auth, Accept: '*/*', 'User-Agent': KNM_USER_AGENT, 'X-BWC-IN-Control-Processing-Type': 'process', 'Content-Type': 'application/xml' };
    const base = settings.string('url', BANDWIDTH2_URL).replace(/\/$/, '');
    const url = `${base}/accounts/${encodeURIComponent(settings.string('account_id', ''))}/${path}`;
    const answer = await carrierHttp({ method, url, headers, body, timeoutMs: options.timeoutMs, signal }, [...secrets, auth.slice(6)]);
    const reason = statusReason(answer.status);
    if (reason !== undefined) return { ok: false, reason };
    if (!answer.body.startsWith('<?xml')) return { ok: false, reason: 'empty_response' };
    const xml = parseXml(answer.body);
    if (xml === undefined) return { ok: false, reason: 'empty_response' };
    return verify(xml);
  }

  return {
    module: MODULE,
    isLocal: false,
    isBillable: true,
    shouldLookupCnam: true,
    maximalPrefixLength: 3,

    async findNumbers(prefix, quantity, searchOptions, context): Promise<FindNumbersResult> {
      const settings = await loadCarrierSettings(context, MODULE, env());
      const { query, tollfree } = searchQuery(prefix, Math.min(quantity, settings.integer('max_search_quantity', 500)));
      let answer: Answer;
      try {
        answer = await request(settings, 'GET', `availableNumbers?${query}`, undefined, searchOptions.signal);
      } catch (error) {
        if (error instanceof CarrierUnreachable) return notAvailable(error.reason);
        throw error;
      }
      if (!answer.ok) return notAvailable(answer.reason);
      const root = child(answer.xml, 'SearchResult');
      return found(
        children(root, 'TelephoneNumberList', 'TelephoneNumber').flatMap((node) => {
          const digits = text(node);
          if (digits === undefined || digits === '') return [];
          return [{ number: fromNpan(digits), module: MODULE, state: 'discovery' as const, carrierData: tollfree ? {} : rateCenter(root) }];
        }),
      );
    },

    async acquireNumber(record, context) {
      const settings = await loadCarrierSettings(context, MODULE, env());
      if (!settings.boolean('enable_provisioning', true)) {
        if (settings.boolean('sandbox_provisioning', true)) return record;
        throw provisioningDisabled(MODULE, record.number);
      }
      const npan = toNpan(record.number);
      const fail = (reason: string): never => {
        throw byCarrier(MODULE, `Unable to acquire number: ${reason}`, npan, settings.secrets(['api_username', 'api_password']));
      };

      async function follow(journal: OrderJournal, first: Answer): Promise<OrderEffect> {
        let answer = first;
        for (let polls = 0; ; polls += 1) {
          if (!answer.ok) return fail(answer.reason);
          const order = child(answer.xml, 'OrderResponse', 'Order');
          const status = text(answer.xml, 'OrderResponse', 'OrderStatus');
          const orderId = text(order, 'id');
          if (status === 'COMPLETE') {
            const carrierData: JsonObject = {};
            // order_id is the order's CustomerOrderId, i.e. Kazoo's account, not Bandwidth's id (knm_bandwidth2.erl, kept on purpose).
            for (const [key, value] of [['order_id', text(order, 'CustomerOrderId')], ['order_name', text(order, 'Name')], ['number', fromNpan(text(order, 'ExistingTelephoneNumberOrderType', 'TelephoneNumberList', 'TelephoneNumber') ?? npan)]] as const) {
              if (value !== undefined && value !== '') carrierData[key] = value;
            }
            return { carrierData, carrierDataMode: 'merge' };
          }
          if (status !== 'RECEIVED' || orderId === undefined || orderId === '') return fail(status ?? 'no OrderStatus');
          await journal.noteOrderId(orderId);
          if (polls >= maxPolls) {
            throw carrierUnreachable(MODULE, new CarrierUnreachable(`order ${orderId} still RECEIVED after ${polls} checks`), record.number);
          }
          await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
          answer = await guarded(() => request(settings, 'GET', `orders/${encodeURIComponent(orderId)}`));
        }
      }

      async function guarded(call: () => Promise<Answer>): Promise<Answer> {
        try {
          return await call();
        } catch (error) {
          if (error instanceof CarrierUnreachable) throw carrierUnreachable(MODULE, error, record.number);
          throw error;
        }
      }

      return acquireOnce(MODULE, record, context, {
        canResume: (entry) => entry.order_id !== undefined,
        order: async (journal, interrupted) => {
          if (interrupted?.order_id !== undefined) return follow(journal, await guarded(() => request(settings, 'GET', `orders/${encodeURIComponent(interrupted.order_id as string)}`)));
          const body =
            '<?xml version="1.0"?><Order>' +
            `<Name>${escapeXml(`${settings.string('order_name_prefix', 'Kazoo')}-${context.now}`)}</Name>` +
            `<CustomerOrderId>${escapeXml(context.authBy ?? '')}</CustomerOrderId>` +
            `<SiteId>${escapeXml(settings.string('site_id', ''))}</SiteId><PeerId>${escapeXml(settings.string('sip_peer', ''))}</PeerId>` +
            `<ExistingTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>${escapeXml(npan)}</TelephoneNumber></TelephoneNumberList></ExistingTelephoneNumberOrderType></Order>`;
          return follow(journal, await guarded(() => request(settings, 'POST', 'orders', body)));
        },
      });
    },

    async disconnectNumber(record, context) {
      return forgetOrder(MODULE, record, context);
    },
  };
}

/** handle_response/1's status table; undefined: read the body. */
function statusReason(status: number): string | undefined {
  if (status === 401) return 'authentication';
  if (status === 403) return 'authorization';
  if (status === 404) return 'not_found';
  if (status === 500 || status === 503) return 'server_error';
  return undefined;
}

/** verify_response/1: numbers, sites, peers or an order status make a success; else the error's description. */
function verify(xml: XmlElement): Answer {
  const count = (...path: string[]): number => Object.values(xml).reduce<number>((sum, root) => sum + (typeof root === 'object' ? children(root as XmlElement, ...path).length : 0), 0);
  const orderStatus = text(xml, 'OrderResponse', 'OrderStatus');
  if (
    count('TelephoneNumberDetailList', 'TelephoneNumberDetail') > 0 ||
    count('TelephoneNumberList', 'TelephoneNumber') > 0 ||
    count('Sites', 'Site') > 0 ||
    count('SipPeers', 'SipPeer') > 0 ||
    (orderStatus !== undefined && orderStatus !== '')
  ) {
    return { ok: true, xml };
  }
  const description = Object.values(xml).map((root) => (typeof root === 'object' ? text(root as XmlElement, 'ErrorList', 'Error', 'Description') : undefined)).find((value) => value !== undefined);
  return { ok: false, reason: description ?? 'Number not found' };
}

/**
 * The availableNumbers query (search/2 in 4.3). Leading `+` and every leading `1` go. Toll-free NPAs send the
 * NPA without its first digit as the wildcard pattern (`855` → `55*`), as 4.3 does.
 */
function searchQuery(prefix: string, quantity: number): { query: string; tollfree: boolean } {
  const digits = prefix.replace(/^\+/, '').replace(/^1+/, '');
  const npa = digits.slice(0, 3);
  const params = (pairs: [string, string][]): string => new URLSearchParams([...pairs, ['quantity', String(quantity)]]).toString().replace(/%2A/g, '*');
  if (isUsTollfreeNpa(npa)) return { query: params([['tollFreeWildCardPattern', `${npa.slice(1)}*`], ['enableTNDetail', 'true']]), tollfree: true };
  if (/^8[0345678]\*$/.test(npa)) return { query: params([['tollFreeWildCardPattern', npa], ['enableTNDetail', 'false']]), tollfree: true };
  if (digits.length === 3) return { query: params([['areaCode', npa], ['enableTNDetail', 'false']]), tollfree: false };
  return { query: params([['npaNxx', digits.slice(0, 6)], ['enableTNDetail', 'false']]), tollfree: false };
}

/** `{rate_center: {name, lata, state}}` from the answer, empty keys dropped (in practice: none, so `{}`). */
function rateCenter(root: XmlNode | undefined): JsonObject {
  const center: JsonObject = {};
  for (const [key, element] of [['name', 'RateCenter'], ['lata', 'LATA'], ['state', 'State']] as const) {
    const value = text(root, element);
    if (value !== undefined && value !== '') center[key] = value;
  }
  return Object.keys(center).length === 0 ? {} : { rate_center: center };
}
