/**
 * knm_vitelity_e911 (providers.md §7.7, carrier-protocols.md §4.4; 4.3 src/providers/knm_vitelity_e911.erl): a
 * changed public `e911` address is sent with `cmd=e911send` (unit type and number split from `extended_address`,
 * the state as its two-letter code), an emptied one removed with `cmd=e911delete`. Settings and credentials are
 * the carrier's (`number_manager.vitelity` `api_uri`, `login`, `pass`, or KNM_VITELITY_*).
 */
import type { CarrierSettings } from '../carriers/settings';
import { shortStateName, toNpan } from '../carriers/us';
import { VitelityQuery, vitelityXmlToJson } from '../carriers/vitelity-api';
import { child, text } from '../carriers/xml';
import type { JsonObject, JsonValue } from '../documents/json';
import type { NumberRecord } from '../documents/types';
import { KnmError } from '../errors';
import { addressField, E911_FEATURE, e911CallerName, e911Change, keepE911Books } from './e911';
import { activateFeature, deactivateFeatures, HttpProviderOptions, providerSettings } from './feature-record';
import type { FeatureProvider, ProviderContext } from './provider';
import { vitelityCommand, vitelityFault } from './vitelity';

const MODULE = 'knm_vitelity_e911';
const SETTINGS = 'vitelity';
/** process_xml_resp/1's reason for a body it cannot parse. */
const UNREADABLE = 'invalid_resp_from_server';
const HINT = 'check the e911 address and the Vitelity account (system_config/number_manager.vitelity login and pass), then save the number again';

export function createVitelityE911Provider(options: HttpProviderOptions = {}): FeatureProvider {
  /** e911send: what Vitelity answered (its `<info>` as an object, else its `<response>` text), or Kazoo's unspecified error. */
  async function send(settings: CarrierSettings, record: NumberRecord, address: JsonObject, context: ProviderContext): Promise<JsonObject | string | undefined> {
    const unit = unitOf(address, record);
    const customerName = addressField(address, 'customer_name');
    const query: VitelityQuery = [
      ['did', toNpan(record.number)],
      ['name', customerName ?? (await e911CallerName(record, address, context))],
      ['address', addressField(address, 'street_address')],
      ['unittype', unit.type],
      ['unitnumber', unit.number],
      ['city', addressField(address, 'locality')],
      // get_short_state/1 knows full names only: a two-letter `region` maps to nothing and `state` is left out (as read).
      ['state', shortStateName(addressField(address, 'region'))],
      ['zip', addressField(address, 'postal_code')],
      ['xml', 'yes'],
      ['cmd', 'e911send'],
    ];
    const answer = await vitelityCommand(settings, query, options, UNREADABLE);
    if (!answer.ok) throw vitelityFault(settings, record.number, answer.reason, HINT);
    const info = child(answer.content, 'info');
    if (info !== undefined && typeof info !== 'string') return vitelityXmlToJson(info);
    return text(answer.content, 'response');
  }

  /** e911delete; Kazoo ignores the outcome. */
  async function remove(settings: CarrierSettings, record: NumberRecord): Promise<void> {
    await vitelityCommand(settings, [['did', toNpan(record.number)], ['xml', 'yes'], ['cmd', 'e911delete']], options, UNREADABLE);
  }

  const provider: FeatureProvider = {
    module: MODULE,
    reachesOutside: true,

    async save(record, context) {
      const change = e911Change(record);
      if (change.kind === 'left_provisioned_states') return provider.delete(record, context);
      if (context.dryRun) return keepE911Books(record, change);
      if (change.kind === 'emptied') return provider.delete(record, context);
      // As read: the stored value is Vitelity's answer, not the address, so a change is seen on nearly every save,
      // which re-sends e911send (knm_vitelity_e911.erl change detection, kept).
      if (change.kind === 'unchanged') return record;
      const answer = await send(providerSettings(context, SETTINGS), record, change.address, context);
      return activateFeature(record, E911_FEATURE, storedValue(change.address, answer));
    },

    // Not gated by dry run (knm_vitelity_e911:delete/1). Kazoo sends e911delete on every save without an address;
    // knm only when an address was registered.
    async delete(record, context) {
      if (!(E911_FEATURE in record.features)) return record;
      await remove(providerSettings(context, SETTINGS), record);
      return deactivateFeatures(record, E911_FEATURE);
    },
  };
  return provider;
}

export const vitelityE911Provider: FeatureProvider = createVitelityE911Provider();

/**
 * get_unit/1: the first two space-separated words of `extended_address`. Kazoo crashes (binary:split of
 * undefined) when the address has none; knm refuses the address with a 400 naming the field.
 */
function unitOf(address: JsonObject, record: NumberRecord): { type: string; number: string | undefined } {
  const extended = address.extended_address;
  if (typeof extended !== 'string') {
    throw new KnmError('invalid', 400, 'invalid', {
      cause: 'e911.extended_address is required by Vitelity (unit type and number, e.g. "Suite 200")',
      hint: `add e911.extended_address to ${record.number} and save it again`,
    });
  }
  const [type, number] = extended.split(' ', 2);
  return { type, number };
}

/**
 * 4.3 stores the address merged with Vitelity's `<info>` object (and crashes on a `<response>` text, which master
 * stores as it is); knm stores the text as master does, and the address when Vitelity sent neither.
 */
function storedValue(address: JsonObject, answer: JsonObject | string | undefined): JsonValue {
  if (typeof answer === 'string') return answer;
  return answer === undefined ? address : { ...address, ...answer };
}
