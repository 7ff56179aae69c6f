/**
 * Telnyx (carrier-protocols.md §3; 4.3 src/carriers/knm_telnyx.erl, knm_telnyx_util.erl): JSON over HTTPS at
 * `https://api.telnyx.com/origination/`, authenticated by the `x-api-user` / `x-api-token` headers from
 * `number_manager.telnyx` `user` / `token` (or KNM_TELNYX_USER / KNM_TELNYX_TOKEN). knm also reads a `url` key
 * (KNM_TELNYX_URL) because Kazoo's base URL is hard-coded and tests need a mock.
 * Search `POST number_searches`, acquire `POST number_orders` (order id merged into the carrier data),
 * disconnect: no call — Telnyx numbers are never released upstream.
 */
import type { JsonObject } from '../documents/json';
import type { Carrier, FindNumbersResult, FoundNumber, SearchOptions } from './carrier';
import { found, notAvailable } from './carrier';
import { byCarrier, CarrierUnreachable, carrierUnreachable, HttpCarrierOptions, provisioningDisabled } from './http';
import { acquireOnce, forgetOrder } from './orders';
import { CarrierSettings, Env, loadCarrierSettings } from './settings';
import { TELNYX_SECRET_KEYS, TelnyxRefusal, telnyxRequest } from './telnyx-api';
import { isUsTollfreeNpa } from './us';

const MODULE = 'knm_telnyx';

export function createTelnyx(options: HttpCarrierOptions = {}): Carrier {
  const env = (): Env => options.env ?? process.env;

  function api(settings: CarrierSettings, path: string, body: JsonObject, signal?: AbortSignal): Promise<JsonObject> {
    return telnyxRequest(settings, { method: 'POST', path, body, timeoutMs: options.timeoutMs, signal });
  }

  return {
    module: MODULE,
    isLocal: false,
    isBillable: true,
    shouldLookupCnam: true,
    maximalPrefixLength: 3,

    async findNumbers(prefix, quantity, searchOptions, context): Promise<FindNumbersResult> {
      const settings = await loadCarrierSettings(context, MODULE, env());
      const search = searchRequest(prefix, quantity, searchOptions, settings.boolean('should_keep_best_effort', false));
      try {
        const answer = await api(settings, 'number_searches', search.body, searchOptions.signal);
        return found(search.read(answer));
      } catch (error) {
        return notAvailable(error instanceof CarrierUnreachable ? error.reason : reasonOf(error));
      }
    },

    async acquireNumber(record, context) {
      const settings = await loadCarrierSettings(context, MODULE, env());
      if (!settings.boolean('enable_provisioning', true)) {
        if (settings.boolean('sandbox_provisioning', false)) return record;
        throw provisioningDisabled(MODULE, record.number);
      }
      const secrets = settings.secrets(TELNYX_SECRET_KEYS);
      return acquireOnce(MODULE, record, context, {
        order: async () => {
          let answer: JsonObject;
          try {
            answer = await api(settings, 'number_orders', { requested_numbers: [record.number] });
          } catch (error) {
            if (error instanceof CarrierUnreachable) throw carrierUnreachable(MODULE, error, record.number);
            throw byCarrier(MODULE, reasonOf(error), record.number, secrets);
          }
          const id = answer.id;
          if (typeof id !== 'string' || id === '') throw byCarrier(MODULE, typeof answer.message === 'string' ? answer.message : 'no order id in the answer', record.number, secrets);
          return { carrierData: { order_id: id }, carrierDataMode: 'merge' };
        },
      });
    },

    async disconnectNumber(record, context) {
      const settings = await loadCarrierSettings(context, MODULE, env());
      if (!settings.boolean('enable_provisioning', true) && !settings.boolean('sandbox_provisioning', false)) throw provisioningDisabled(MODULE, record.number);
      return forgetOrder(MODULE, record, context);
    },
  };
}

/** Telnyx's refusal as rep/1 names it; any other failure (the store, say) is not an answer of Telnyx's and goes on up. */
function reasonOf(error: unknown): string {
  if (error instanceof TelnyxRefusal) return error.message;
  throw error;
}

interface SearchRequest {
  body: JsonObject;
  read: (answer: JsonObject) => FoundNumber[];
}

/**
 * The search by prefix shape, as 4.3 builds it (search_prefix/3): toll-free NPAs are type 3, other `+1` NPAs
 * type 1 (with `nxx` once 6 digits follow `+1`), anything else type 2 by country. 4.3 sends `best_effort`
 * from should_keep_best_effort (twice when `nxx` is present; JSON keeps one).
 */
function searchRequest(prefix: string, quantity: number, options: SearchOptions, bestEffort: boolean): SearchRequest {
  const digits = prefix.startsWith('+1') ? prefix.slice(2) : undefined;
  const fromResult = (answer: JsonObject): FoundNumber[] =>
    (answer.result as JsonObject[]).flatMap((entry) => (typeof entry.number_e164 === 'string' ? [discovered(entry.number_e164, entry)] : []));
  if (digits !== undefined && digits.length >= 3 && /^\d+$/.test(digits)) {
    const npa = digits.slice(0, 3);
    const descriptor: JsonObject = { npa };
    if (digits.length >= 6) descriptor.nxx = digits.slice(3, 6);
    descriptor.best_effort = bestEffort;
    return {
      body: { search_type: isUsTollfreeNpa(npa) ? 3 : 1, search_descriptor: descriptor, limit: quantity, with_result: true },
      read: fromResult,
    };
  }
  return {
    body: { search_type: 2, search_descriptor: { country_iso: options.country, best_effort: bestEffort }, limit: quantity, with_result: true },
    // Telnyx answers area codes, not numbers: dial code + area code padded with 0 to 9 characters (knm_telnyx.erl ugly_hack/2, kept on purpose).
    read: (answer) =>
      (answer.inexplicit_result as JsonObject[]).flatMap((entry) =>
        typeof entry.area_code === 'string' ? [discovered((options.dialcode + entry.area_code).padEnd(9, '0'), entry)] : [],
      ),
  };
}

function discovered(number: string, carrierData: JsonObject): FoundNumber {
  return { number, module: MODULE, state: 'discovery', carrierData };
}
