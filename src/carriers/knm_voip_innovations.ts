/**
 * VoIP Innovations (carrier-protocols.md §5; 4.3 src/carriers/knm_voip_innovations.erl): SOAP 1.1 to
 * `APIService.asmx`, `login` / `password` from `number_manager.voip_innovations` (or KNM_VOIP_INNOVATIONS_*)
 * inside every envelope. Search `getDIDs`, acquire `assignDID`, disconnect `releaseDID`; nothing is recorded
 * on the number. knm also reads a `url` key (Kazoo's URL is hard-coded) and, before assigning, asks
 * `queryDID` whether the number is already assigned to this account, so a retried acquire never assigns twice.
 */
import type { JsonObject } from '../documents/json';
import type { Carrier, FindNumbersResult } from './carrier';
import { found, notAvailable } from './carrier';
import { byCarrier, carrierFaultOf, carrierHttp, carrierUnreachable, CarrierUnreachable, HttpCarrierOptions, KNM_USER_AGENT, provisioningDisabled } from './http';
import { acquireOnce, releaseOnce } from './orders';
import { CarrierSettings, Env, loadCarrierSettings } from './settings';
import { fromNpan } from './us';
import { child, children, escapeXml, parseXml, text, XmlNode } from './xml';

const MODULE = 'knm_voip_innovations';
export const VOIP_INNOVATIONS_URL = 'https://backoffice.voipinnovations.com/Services/APIService.asmx';
export const VOIP_INNOVATIONS_SANDBOX_URL = 'http://dev.voipinnovations.com/VOIP/Services/APIService.asmx';
const SEARCH_FILTERS = ['cnam', 'lata', 'npa', 'nxx', 'rateCenter', 'state', 't38', 'tier'] as const;

/** The SOAP answer's `<ACTIONResult>`, or a reason (Kazoo's handle_response/1 and verify_response/1). */
type SoapAnswer = { ok: true; result: XmlNode } | { ok: false; reason: string };

export function createVoipInnovations(options: HttpCarrierOptions = {}): Carrier {
  const env = (): Env => options.env ?? process.env;

  async function soap(settings: CarrierSettings, action: string, body: string, signal?: AbortSignal): Promise<SoapAnswer> {
    const secrets = settings.secrets(['login', 'password']);
    const url = settings.string('url', settings.boolean('sandbox_provisioning', false) ? VOIP_INNOVATIONS_SANDBOX_URL : VOIP_INNOVATIONS_URL);
    const answer = await carrierHttp(
      {
        method: 'POST',
        url,
        headers: { SOAPAction: `http://tempuri.org/${action}`, Accept: '*/*', 'User-Agent': KNM_USER_AGENT, 'Content-Type': 'text/xml;charset=UTF-8' },
        body: envelope(action, body, settings.string('login', ''), settings.string('password', '')),
        timeoutMs: options.timeoutMs,
        signal,
      },
      secrets,
    );
    if (!answer.body.startsWith('<?xml')) return { ok: false, reason: statusReason(answer.status) };
    const result = child(parseXml(answer.body), 'Envelope', 'Body', `${action}Response`, `${action}Result`);
    if (result === undefined) return { ok: false, reason: 'empty_response' };
    if (text(result, 'responseCode') !== '100') return { ok: false, reason: text(result, 'responseMessage') ?? 'empty_response' };
    return { ok: true, result };
  }

  /** The one `<DID>` an assign, release or query answers about. */
  async function didCall(settings: CarrierSettings, action: string, body: string, number: string): Promise<XmlNode> {
    let answer: SoapAnswer;
    try {
      answer = await soap(settings, action, body);
    } catch (error) {
      if (error instanceof CarrierUnreachable) throw carrierUnreachable(MODULE, error, number);
      throw error;
    }
    if (!answer.ok) throw byCarrier(MODULE, answer.reason, number, settings.secrets(['login', 'password']));
    const dids = children(answer.result, 'DIDs', 'DID');
    // Kazoo's badmatch on zero or several DIDs, reported instead of crashing.
    if (dids.length !== 1) throw byCarrier(MODULE, `expected one DID in the ${action} answer, got ${dids.length}`, number);
    return dids[0];
  }

  async function provisioning(settings: CarrierSettings, number: string): Promise<boolean> {
    if (settings.boolean('enable_provisioning', true)) return true;
    if (settings.boolean('sandbox_provisioning', false)) return false;
    throw provisioningDisabled(MODULE, number);
  }

  return {
    module: MODULE,
    isLocal: false,
    isBillable: true,
    shouldLookupCnam: true,
    maximalPrefixLength: 3,

    async findNumbers(prefix, quantity, searchOptions, context): Promise<FindNumbersResult> {
      const settings = await loadCarrierSettings(context, MODULE, env());
      const digits = sanitize(prefix);
      let filter: Partial<Record<(typeof SEARCH_FILTERS)[number], string>>;
      if (/^\d{3}$/.test(digits)) filter = { npa: digits };
      else if (/^\d{6,}$/.test(digits)) filter = { nxx: digits.slice(0, 6) };
      // 1–2 or 4–5 digits: no clause in Kazoo (function_clause), so no numbers.
      else return notAvailable('prefix must have 3 or at least 6 digits');
      const body = SEARCH_FILTERS.map((key) => (filter[key] === undefined ? `<tns:${key} xsi:nil='true'/>` : `<tns:${key}>${escapeXml(filter[key] as string)}</tns:${key}>`)).join('');
      let answer: SoapAnswer;
      try {
        answer = await soap(settings, 'getDIDs', body, searchOptions.signal);
      } catch (error) {
        if (error instanceof CarrierUnreachable) return notAvailable(error.reason);
        throw error;
      }
      if (!answer.ok) return notAvailable(answer.reason);
      const locators = children(answer.result, 'DIDLocators', 'DIDLocator').slice(0, quantity);
      return found(
        locators.flatMap((locator) => {
          const tn = text(locator, 'tn');
          if (tn === undefined || tn === '') return [];
          const e164 = fromNpan(tn);
          const data: JsonObject = { e164, rate_center: text(locator, 'rateCenter') ?? '', state: text(locator, 'state') ?? '', cnam: text(locator, 'outboundCNAM') === 'true', t38: text(locator, 't38') === 'true' };
          return [{ number: e164, module: MODULE, state: 'discovery' as const, carrierData: data }];
        }),
      );
    },

    async acquireNumber(record, context) {
      const settings = await loadCarrierSettings(context, MODULE, env());
      if (!(await provisioning(settings, record.number))) return record;
      const tn = sanitize(record.number);
      return acquireOnce(MODULE, record, context, {
        held: async () => {
          try {
            const did = await didCall(settings, 'queryDID', `<tns:did>${escapeXml(tn)}</tns:did>`, record.number);
            return text(did, 'statusCode') === '100' && text(did, 'availability') === 'assigned';
          } catch {
            return undefined;
          }
        },
        order: async () => {
          const body = `<tns:didParams><tns:DIDParam><tns:tn>${escapeXml(tn)}</tns:tn><tns:epg>${escapeXml(settings.string('endpoint_group', ''))}</tns:epg></tns:DIDParam></tns:didParams>`;
          const did = await didCall(settings, 'assignDID', body, record.number);
          // 4.3 throws by_carrier(…, undefined) here: the DID's status text is more use to an operator.
          if (text(did, 'statusCode') !== '100') throw byCarrier(MODULE, text(did, 'status') ?? 'undefined', record.number);
          return {};
        },
      });
    },

    async disconnectNumber(record, context) {
      const settings = await loadCarrierSettings(context, MODULE, env());
      if (!(await provisioning(settings, record.number))) return record;
      const body = `<tns:didParams><tns:DIDParam><tns:tn>${escapeXml(sanitize(record.number))}</tns:tn></tns:DIDParam></tns:didParams>`;
      return releaseOnce(
        MODULE,
        record,
        context,
        async () => {
          const did = await didCall(settings, 'releaseDID', body, record.number);
          if (text(did, 'statusCode') !== '100') throw byCarrier(MODULE, text(did, 'status') ?? 'undefined', record.number);
        },
        // What VI answers for a number it no longer assigns to us (voip_innovations_release_response.xml).
        (error) => carrierFaultOf(error)?.reason === 'Number currently available',
      );
    },
  };
}

/** sanitize_number/1: the leading `+` and every leading `1` go. */
function sanitize(number: string): string {
  return number.replace(/^\+/, '').replace(/^1+/, '');
}

function envelope(action: string, body: string, login: string, secret: string): string {
  return (
    "<?xml version='1.0' encoding='UTF-8'?>" +
    "<env:Envelope xmlns:xsd='http://www.w3.org/2001/XMLSchema' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xmlns:tns='http://tempuri.org/' xmlns:env='http://schemas.xmlsoap.org/soap/envelope/'>" +
    `<env:Body><tns:${action}>${body}<tns:login>${escapeXml(login)}</tns:login><tns:secret>${escapeXml(secret)}</tns:secret></tns:${action}></env:Body></env:Envelope>`
  );
}

function statusReason(status: number): string {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status >= 500) return 'server_error';
  return 'empty_response';
}
