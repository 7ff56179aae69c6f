/**
 * knm_telnyx_e911 (providers.md §7.7, carrier-protocols.md §3.6; 4.3 src/providers/knm_telnyx_e911.erl): a changed
 * public `e911` address becomes a Telnyx address (`POST e911_addresses`), the number is pointed at it
 * (`PUT numbers/<E.164>/e911_settings`), and its id is kept as `pvt_carrier_data.address_id`; `pvt_features.e911`
 * is the address as the user gave it. Settings and credentials are the carrier's (`number_manager.telnyx` or
 * KNM_TELNYX_*); with `sandbox_provisioning` (or a dry run) only the feature is kept, no call is made.
 */
import { CarrierUnreachable, redact, unspecified } from '../carriers/http';
import type { CarrierSettings } from '../carriers/settings';
import { TELNYX_SECRET_KEYS, TelnyxRefusal, telnyxNumberPath, telnyxRequest } from '../carriers/telnyx-api';
import type { JsonObject } from '../documents/json';
import type { NumberRecord } from '../documents/types';
import { addressField, E911_FEATURE, e911CallerName, e911Change, keepE911Books } from './e911';
import { activateFeature, deactivateFeatures, HttpProviderOptions, isTrue, providerSettings } from './feature-record';
import type { FeatureProvider, ProviderContext } from './provider';

const MODULE = 'knm_telnyx_e911';
const SETTINGS = 'telnyx';
const ADDRESS_ID = 'address_id';
const HINT = 'check the e911 address and the Telnyx account (system_config/number_manager.telnyx user and token), then save the number again';

/** Telnyx refused or did not answer; `reason` is what Kazoo would report (already free of credentials). */
class TelnyxE911Failure extends Error {}

export function createTelnyxE911Provider(options: HttpProviderOptions = {}): FeatureProvider {
  /** One request; a refusal or no answer becomes a TelnyxE911Failure with rep/1's reason. */
  async function call(settings: CarrierSettings, method: 'POST' | 'PUT' | 'DELETE', path: string, body?: JsonObject): Promise<JsonObject> {
    try {
      return await telnyxRequest(settings, { method, path, body, timeoutMs: options.timeoutMs });
    } catch (error) {
      if (error instanceof TelnyxRefusal) throw new TelnyxE911Failure(error.message);
      if (error instanceof CarrierUnreachable) throw new TelnyxE911Failure(`no answer (${error.reason})`);
      throw error;
    }
  }

  /** Kazoo deletes an address in a spawned process and ignores the outcome; knm waits (so no request outlives the save) and ignores it too. */
  async function deleteAddress(settings: CarrierSettings, addressId: string): Promise<void> {
    await call(settings, 'DELETE', `e911_addresses/${encodeURIComponent(addressId)}`).catch(() => undefined);
  }

  /** create_address/2: the new address id. */
  async function createAddress(settings: CarrierSettings, record: NumberRecord, address: JsonObject, context: ProviderContext): Promise<string> {
    const body: JsonObject = {};
    const fields: [string, string | undefined][] = [
      ['business_name', await e911CallerName(record, address, context)],
      ['city', cleanse(addressField(address, 'locality'))],
      ['state', cleanse(addressField(address, 'region'))],
      ['postal_code', addressField(address, 'postal_code')],
      ['line_1', cleanse(addressField(address, 'street_address'))],
      ['line_2', cleanse(addressField(address, 'extended_address'))],
    ];
    for (const [key, value] of fields) if (value !== undefined && value !== '') body[key] = value;
    const answer = await call(settings, 'POST', 'e911_addresses', body);
    // Kazoo means to refuse `success: false` too, but compares a string with an atom, so only `status` counts there.
    if (answer.success === false || answer.status !== 'success' || typeof answer.id !== 'string' || answer.id === '') throw new TelnyxE911Failure(refusalOf(answer));
    return answer.id;
  }

  /** assign_address/2: points the number at the address (an id) or at none (null). */
  async function assignAddress(settings: CarrierSettings, record: NumberRecord, addressId: string | null): Promise<void> {
    const body: JsonObject = { e911_enabled: addressId !== null, e911_address_id: addressId };
    const answer = await call(settings, 'PUT', `${telnyxNumberPath(record.number)}/e911_settings`, body);
    if (answer.success !== undefined && !isTrue(answer.success)) throw new TelnyxE911Failure(refusalOf(answer));
  }

  /**
   * remove_number/1: the number points at no address and its address is deleted. Kazoo keeps `address_id` (its
   * merge drops the null), so it disables again on every later save; knm forgets the id once it is disabled.
   */
  async function removeAddress(settings: CarrierSettings, record: NumberRecord): Promise<NumberRecord> {
    const addressId = addressIdOf(record);
    if (addressId === undefined) return record;
    await assignAddress(settings, record, null);
    await deleteAddress(settings, addressId);
    const carrierData: JsonObject = { ...record.carrierData };
    delete carrierData[ADDRESS_ID];
    return { ...record, carrierData };
  }

  async function update(settings: CarrierSettings, record: NumberRecord, address: JsonObject, context: ProviderContext): Promise<NumberRecord> {
    const previous = addressIdOf(record);
    const created = await createAddress(settings, record, address, context);
    try {
      await assignAddress(settings, record, created);
    } catch (error) {
      // Kazoo leaves the new address behind at Telnyx; knm deletes it, since no number points at it.
      await deleteAddress(settings, created);
      throw error;
    }
    // Kazoo merges the id under the existing one, so it keeps (and keeps deleting) the first address forever; knm
    // records the address the number now points at and deletes the one it replaced.
    if (previous !== undefined && previous !== created) await deleteAddress(settings, previous);
    return activateFeature({ ...record, carrierData: { ...record.carrierData, [ADDRESS_ID]: created } }, E911_FEATURE, address);
  }

  /** Runs a step that calls Telnyx; its failure is Kazoo's unspecified(Reason) without the credentials. */
  async function attempt(settings: CarrierSettings, record: NumberRecord, step: () => Promise<NumberRecord>): Promise<NumberRecord> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof TelnyxE911Failure) throw unspecified(redact(error.message, settings.secrets(TELNYX_SECRET_KEYS)), record.number, HINT);
      throw error;
    }
  }

  const provider: FeatureProvider = {
    module: MODULE,
    reachesOutside: true,

    async save(record, context) {
      const change = e911Change(record);
      if (change.kind === 'left_provisioned_states') return provider.delete(record, context);
      const settings = providerSettings(context, SETTINGS);
      if (context.dryRun || settings.boolean('sandbox_provisioning', false)) return keepE911Books(record, change);
      if (change.kind === 'unchanged') return record;
      if (change.kind === 'changed') return attempt(settings, record, () => update(settings, record, change.address, context));
      return attempt(settings, record, async () => deactivateFeatures(await removeAddress(settings, record), E911_FEATURE));
    },

    // Not gated by dry run or sandbox_provisioning (knm_telnyx_e911:delete/1).
    async delete(record, context) {
      if (!(E911_FEATURE in record.features)) return record;
      const settings = providerSettings(context, SETTINGS);
      return attempt(settings, record, async () => deactivateFeatures(await removeAddress(settings, record), E911_FEATURE));
    },
  };
  return provider;
}

export const telnyxE911Provider: FeatureProvider = createTelnyxE911Provider();

function addressIdOf(record: NumberRecord): string | undefined {
  const id = record.carrierData[ADDRESS_ID];
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** cleanse/1: upper case, only A–Z, 0–9 and spaces kept. */
function cleanse(value: string | undefined): string | undefined {
  return value?.toUpperCase().replace(/[^A-Z0-9 ]/g, '');
}

/** reason/1: Telnyx's `message` and `reasons`, as JSON. */
function refusalOf(answer: JsonObject): string {
  const reason: JsonObject = {};
  if (typeof answer.message === 'string' && answer.message !== '') reason.message = answer.message;
  if (answer.reasons !== undefined && answer.reasons !== null) reason.reasons = answer.reasons;
  return JSON.stringify(reason);
}
