/**
 * The generic "phonebook" midware protocol (carrier-protocols.md §8; 4.3 src/carriers/knm_other.erl): JSON at
 * `number_manager.other.phonebook_url` (or KNM_OTHER_PHONEBOOK_URL), no authentication, no headers of Kazoo's.
 * Search `GET …/numbers/{cc}/search` (or `/blocks/…`), acquire `PUT …/numbers/{cc}/order` (the answer's `opaque`
 * replaces the carrier data, its `locality` becomes the `locality` feature), disconnect: no call, check
 * `POST …/numbers/{cc}/status`.
 */
import { isJsonObject, JsonObject } from '../documents/json';
import type { Carrier, CheckNumbersResult, FindNumbersResult, FoundNumber } from './carrier';
import { found, notAvailable } from './carrier';
import { byCarrier, carrierHttp, carrierUnreachable, CarrierUnreachable, HttpCarrierOptions, unspecified } from './http';
import { acquireOnce, forgetOrder } from './orders';
import { CarrierSettings, Env, loadCarrierSettings } from './settings';
import { toNpan } from './us';

const MODULE = 'knm_other';

export function createOther(options: HttpCarrierOptions = {}): Carrier {
  const env = (): Env => options.env ?? process.env;

  async function call(settings: CarrierSettings, method: 'GET' | 'PUT' | 'POST', path: string, body?: JsonObject, signal?: AbortSignal): Promise<{ status: number; json: unknown }> {
    const url = `${(settings.string('phonebook_url') as string).replace(/\/$/, '')}/${path}`;
    const answer = await carrierHttp({ method, url, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: options.timeoutMs, signal });
    let json: unknown;
    try {
      json = JSON.parse(answer.body);
    } catch {
      json = answer.body;
    }
    return { status: answer.status, json };
  }

  const country = (settings: CarrierSettings): string => encodeURIComponent(settings.string('default_country', 'US'));

  return {
    module: MODULE,
    isLocal: false,
    isBillable: true,
    shouldLookupCnam: true,
    maximalPrefixLength: 10,

    async findNumbers(prefix, quantity, searchOptions, context): Promise<FindNumbersResult> {
      const settings = await loadCarrierSettings(context, MODULE, env());
      if (settings.string('phonebook_url') === undefined) return notAvailable();
      const blocks = searchOptions.blocks;
      // The numbers search sends the prefix unencoded (its `+` reaches most servers as a space), as knm_other.erl does.
      const path =
        blocks === undefined
          ? `numbers/${country(settings)}/search?prefix=${prefix}&limit=${quantity}&offset=${searchOptions.offset}`
          : `blocks/${country(settings)}/search?prefix=${encodeURIComponent(prefix)}&size=${quantity}&offset=${searchOptions.offset}&limit=${blocks}`;
      let answer: { status: number; json: unknown };
      try {
        answer = await call(settings, 'GET', path, undefined, searchOptions.signal);
      } catch (error) {
        if (error instanceof CarrierUnreachable) return notAvailable(error.reason);
        throw error;
      }
      const { status, json } = answer;
      if (status !== 200 || !isJsonObject(json) || json.status !== 'success') return notAvailable();
      const data = json.data;
      if (blocks === undefined) {
        if (!isJsonObject(data)) return notAvailable();
        return found(Object.entries(data).map(([number, value]): FoundNumber => ({ number, module: MODULE, state: 'discovery', carrierData: isJsonObject(value) ? value : {} })));
      }
      if (!Array.isArray(data)) return notAvailable();
      const ends = data.filter(isJsonObject).flatMap((block) =>
        [block.start_number, block.end_number].flatMap((number): FoundNumber[] => (typeof number === 'string' ? [{ number, module: MODULE, state: 'discovery', carrierData: block }] : [])),
      );
      return found(ends, true);
    },

    async acquireNumber(record, context) {
      const settings = await loadCarrierSettings(context, MODULE, env());
      if (settings.string('phonebook_url') === undefined) {
        throw unspecified('missing_provider_url', record.number, 'set phonebook_url in system_config/number_manager.other (or KNM_OTHER_PHONEBOOK_URL)');
      }
      return acquireOnce(MODULE, record, context, {
        order: async () => {
          let answer: { status: number; json: unknown };
          try {
            answer = await call(settings, 'PUT', `numbers/${country(settings)}/order`, { data: { numbers: [record.number], gateways: settings.list('endpoints') } });
          } catch (error) {
            // 4.3 reports the transport error itself.
            if (error instanceof CarrierUnreachable) throw carrierUnreachable(MODULE, error, record.number);
            throw error;
          }
          if (answer.status !== 200) throw byCarrier(MODULE, 'lookup_failed', record.number);
          const data = isJsonObject(answer.json) && isJsonObject(answer.json.data) ? answer.json.data[record.number] : undefined;
          if (!isJsonObject(data) || data.status !== 'success') {
            const said = isJsonObject(data) && typeof data.message === 'string' ? `lookup_resp_error: ${data.message}` : 'lookup_resp_error';
            throw byCarrier(MODULE, said, record.number);
          }
          const effect: { carrierData?: JsonObject; carrierDataMode?: 'replace'; features?: JsonObject } = {};
          if (isJsonObject(data.opaque) && Object.keys(data.opaque).length > 0) Object.assign(effect, { carrierData: data.opaque, carrierDataMode: 'replace' });
          if (isJsonObject(data.locality) && Object.keys(data.locality).length > 0) effect.features = { locality: data.locality };
          return effect;
        },
      });
    },

    async disconnectNumber(record, context) {
      return forgetOrder(MODULE, record, context);
    },

    async checkNumbers(numbers, context): Promise<CheckNumbersResult> {
      const settings = await loadCarrierSettings(context, MODULE, env());
      if (settings.string('phonebook_url') === undefined) return { ok: false, reason: 'not_available' };
      let answer: { status: number; json: unknown };
      try {
        answer = await call(settings, 'POST', `numbers/${country(settings)}/status`, { data: numbers.map(toNpan) });
      } catch (error) {
        if (error instanceof CarrierUnreachable) return { ok: false, reason: error.reason };
        throw error;
      }
      if (answer.status !== 200) return { ok: false, reason: typeof answer.json === 'string' ? answer.json : JSON.stringify(answer.json) };
      const { json } = answer;
      if (!isJsonObject(json) || json.status !== 'success' || !Array.isArray(json.data)) return { ok: false, reason: 'resp_error' };
      const statuses: Record<string, string> = {};
      for (const entry of json.data.filter(isJsonObject)) {
        if (typeof entry.number === 'string' && typeof entry.status === 'string') statuses[entry.number] = entry.status;
      }
      return { ok: true, statuses };
    },
  };
}
