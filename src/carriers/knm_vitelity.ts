/**
 * Vitelity (carrier-protocols.md §4; 4.3 src/carriers/knm_vitelity.erl, knm_vitelity_util.erl): every call is
 * `POST {api_uri}?{query}` with an empty body, `login` and `pass` last in the query (credentials in the URL, so
 * the URL never appears in a message), and an XML answer `<content><status>ok|fail</status>…` whose HTTP
 * status does not matter. Search `listnpa` / `listnpanxx` / `listtollfree`, acquire `getlocaldid` /
 * `gettollfree`, disconnect `removedid`; nothing is recorded on the number.
 */
import type { NumberRecord } from '../documents/types';
import type { Carrier, CarrierContext, FindNumbersResult, FoundNumber } from './carrier';
import { found, notAvailable } from './carrier';
import { byCarrier, carrierFaultOf, carrierUnreachable, CarrierUnreachable, HttpCarrierOptions, unspecified } from './http';
import { acquireOnce, releaseOnce } from './orders';
import { CarrierSettings, Env, loadCarrierSettings } from './settings';
import { isUsTollfreeNpa, toNpan } from './us';
import { VITELITY_SECRET_KEYS, VitelityQuery, vitelityCall, vitelityXmlToJson } from './vitelity-api';
import { children, text, XmlElement } from './xml';

const MODULE = 'knm_vitelity';

export function createVitelity(options: HttpCarrierOptions = {}): Carrier {
  const env = (): Env => options.env ?? process.env;

  function call(settings: CarrierSettings, query: VitelityQuery, signal?: AbortSignal): Promise<XmlElement | string> {
    return vitelityCall(settings, query, { timeoutMs: options.timeoutMs, signal });
  }

  /** Purchase and release share one answer rule (process_xml_content_tag/2). */
  async function command(settings: CarrierSettings, query: VitelityQuery, number: string): Promise<void> {
    let content: XmlElement | string;
    try {
      content = await call(settings, query);
    } catch (error) {
      if (error instanceof CarrierUnreachable) throw carrierUnreachable(MODULE, error, number);
      throw error;
    }
    if (typeof content === 'string') throw byCarrier(MODULE, 'failed_decode_resp', number);
    const status = text(content, 'status');
    if (status === 'ok') return;
    if (status === 'fail') throw byCarrier(MODULE, text(content, 'error') ?? 'fail', number, settings.secrets(VITELITY_SECRET_KEYS));
    // Kazoo crashes on a missing or unknown status (case_clause); knm reports it.
    throw byCarrier(MODULE, `unexpected answer status ${JSON.stringify(status ?? null)}`, number);
  }

  return {
    module: MODULE,
    isLocal: false,
    isBillable: true,
    shouldLookupCnam: false,
    maximalPrefixLength: 3,

    async lookupCnam(context: CarrierContext) {
      return (await loadCarrierSettings(context, MODULE, env())).boolean('use_stepswitch_cnam', false);
    },

    async findNumbers(prefix, quantity, searchOptions, context): Promise<FindNumbersResult> {
      const settings = await loadCarrierSettings(context, MODULE, env());
      const digits = prefix.replace(/^\+1/, '');
      const extras: VitelityQuery = ['withrates', 'type', 'provider'].map((key) => [key, settings.string(key)]);
      const query: VitelityQuery =
        searchOptions.tollfree === true || isTollfreeNumber(prefix)
          ? [['cmd', 'listtollfree'], ['limit', String(quantity)], ['xml', 'yes']]
          : digits.length <= 3
            ? [['npa', digits], ['cmd', 'listnpa'], ...extras, ['xml', 'yes'], ['cnam', settings.string('cnam')]]
            : [['npanxx', digits], ['cmd', 'listnpanxx'], ...extras, ['xml', 'yes'], ['cnam', settings.string('cnam')]];
      let content: XmlElement | string;
      try {
        content = await call(settings, query, searchOptions.signal);
      } catch (error) {
        if (error instanceof CarrierUnreachable) return notAvailable(error.reason);
        throw error;
      }
      if (typeof content === 'string') return notAvailable(content);
      return readSearch(content, prefix, quantity, settings.string('country_code', '+1'));
    },

    async acquireNumber(record, context) {
      const settings = await loadCarrierSettings(context, MODULE, env());
      const routesip = settings.list('routesip')[0];
      if (routesip === undefined) {
        throw unspecified('missing_routesip', record.number, 'set routesip (the SIP address Vitelity routes the number to) in system_config/number_manager.vitelity');
      }
      const cmd = isTollfreeNumber(record.number) ? 'gettollfree' : 'getlocaldid';
      return acquireOnce(MODULE, record, context, {
        order: async () => {
          await command(settings, [['did', toNpan(record.number)], ['cmd', cmd], ['xml', 'yes'], ['routesip', routesip]], record.number);
          return {};
        },
      });
    },

    async disconnectNumber(record: NumberRecord, context) {
      const settings = await loadCarrierSettings(context, MODULE, env());
      return releaseOnce(
        MODULE,
        record,
        context,
        () => command(settings, [['did', toNpan(record.number)], ['cmd', 'removedid'], ['xml', 'yes']], record.number),
        // Unverified wording: Vitelity's refusal to remove a DID the account no longer has.
        (error) => /not (?:found|yours|on (?:your|this) account)|invalid did|no such did/i.test(carrierFaultOf(error)?.reason ?? ''),
      );
    },
  };
}

/** Kazoo's toll-free classifiers match full numbers only (carrier-protocols.md §4.3): `+1` + toll-free NPA + 7 digits. */
function isTollfreeNumber(number: string): boolean {
  const match = /^\+1(\d{3})\d{7}$/.exec(number);
  return match !== null && isUsTollfreeNpa(match[1]);
}

/** process_xml_resp: status, then each `<did>`/`<number>` of `<numbers>` as an object, kept if it has the prefix. */
function readSearch(content: XmlElement, prefix: string, quantity: number, countryCode: string): FindNumbersResult {
  const status = text(content, 'status');
  if (status === 'fail') return notAvailable(text(content, 'error') ?? 'fail');
  const numbers = content.numbers;
  if (numbers === undefined || typeof numbers === 'string' || Array.isArray(numbers)) return notAvailable('no_numbers');
  const response = text(numbers, 'response');
  const entries = [...children(numbers, 'did'), ...children(numbers, 'number')];
  const results: FoundNumber[] = [];
  for (const entry of entries) {
    const data = vitelityXmlToJson(entry);
    const number = data.number;
    if (typeof number !== 'string') continue;
    if (!number.startsWith(prefix) && !number.startsWith(countryCode + prefix.replace(/^\+/, ''))) continue;
    results.push({ number, module: MODULE, state: 'discovery', carrierData: data });
    if (results.length >= quantity) break;
  }
  if (results.length === 0 && response !== undefined) return notAvailable(response);
  return found(results);
}
