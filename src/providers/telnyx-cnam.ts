/**
 * knm_telnyx_cnam (providers.md §7.8, carrier-protocols.md §3.7; 4.3 src/providers/knm_telnyx_cnam.erl): the public
 * `cnam.display_name` becomes the number's Telnyx listing (`PUT numbers/<E.164>` `cnam_listing_details`, then a
 * `cnam_request` notice), and `cnam.inbound_lookup` switches Telnyx's caller-name lookup
 * (`enable_caller_id_name`). Each is sent only when it differs from `pvt_features`; a dry run keeps the features
 * only. Settings and credentials are the carrier's (`number_manager.telnyx` or KNM_TELNYX_*).
 */
import { byCarrier, CarrierUnreachable, unspecified } from '../carriers/http';
import type { CarrierSettings } from '../carriers/settings';
import { TELNYX_SECRET_KEYS, TelnyxRefusal, telnyxNumberPath, telnyxRequest } from '../carriers/telnyx-api';
import type { JsonObject, JsonValue } from '../documents/json';
import type { NumberRecord } from '../documents/types';
import {
  cnamRequestNotice,
  hasCnamFeature,
  hasInboundLookup,
  INBOUND_CNAM,
  INBOUND_LOOKUP,
  LEGACY_CNAM,
  OUTBOUND_CNAM,
  provisionedDisplayName,
  requestedDisplayName,
  wantsInboundLookup,
} from './cnam-features';
import { activateFeature, deactivateFeatures, HttpProviderOptions, isProvisionedState, isTrue, providerSettings } from './feature-record';
import type { FeatureProvider, ProviderContext } from './provider';

const MODULE = 'knm_telnyx_cnam';
const CARRIER = 'knm_telnyx';
const SETTINGS = 'telnyx';
const ENABLE_LOOKUP = 'enable_caller_id_name';
const LISTING = 'cnam_listing_details';

export function createTelnyxCnamProvider(options: HttpProviderOptions = {}): FeatureProvider {
  /**
   * `PUT numbers/<E.164>` whose answer must echo `key` as `expected`. Kazoo crashes (badmatch) when it does not;
   * knm answers 500 saying what Telnyx answered. Refusals are Kazoo's by_carrier(knm_telnyx, Reason).
   */
  async function putNumber(settings: CarrierSettings, record: NumberRecord, body: JsonObject, key: string, expected: JsonValue): Promise<void> {
    const secrets = settings.secrets(TELNYX_SECRET_KEYS);
    let answer: JsonObject;
    try {
      answer = await telnyxRequest(settings, { method: 'PUT', path: telnyxNumberPath(record.number), body, timeoutMs: options.timeoutMs });
    } catch (error) {
      if (error instanceof TelnyxRefusal) throw byCarrier(CARRIER, error.message, record.number, secrets);
      if (error instanceof CarrierUnreachable) throw byCarrier(CARRIER, `no answer (${error.reason})`, record.number, secrets);
      throw error;
    }
    const answered = key === ENABLE_LOOKUP ? isTrue(answer[key]) : answer[key];
    if (answered !== expected) {
      throw unspecified(
        `Telnyx answered ${key} ${JSON.stringify(answer[key] ?? null)} instead of ${JSON.stringify(expected)}`,
        record.number,
        'Telnyx did not take the change: check the number at Telnyx, then save the number again',
      );
    }
  }

  /** toggle_inbound/2 (skipped in a dry run). */
  async function toggleInbound(record: NumberRecord, context: ProviderContext, enable: boolean): Promise<void> {
    if (context.dryRun) return;
    await putNumber(providerSettings(context, SETTINGS), record, { [ENABLE_LOOKUP]: enable }, ENABLE_LOOKUP, enable);
  }

  /** handle_outbound_cnam/1. */
  async function outbound(record: NumberRecord, context: ProviderContext): Promise<NumberRecord> {
    const name = requestedDisplayName(record);
    if (name === undefined) return deactivateFeatures(record, OUTBOUND_CNAM);
    if (name === provisionedDisplayName(record)) return record;
    // As read: a dry run records the bare name, not {"display_name": …}.
    if (context.dryRun) return activateFeature(record, OUTBOUND_CNAM, name);
    // As read: setting a listing always switches Telnyx's inbound lookup on too.
    await putNumber(providerSettings(context, SETTINGS), record, { [LISTING]: name, [ENABLE_LOOKUP]: true }, LISTING, name);
    const feature: JsonObject = { display_name: name };
    await context.notify(cnamRequestNotice(record, context, feature));
    return activateFeature(record, OUTBOUND_CNAM, feature);
  }

  /** handle_inbound_cnam/1: only a change of `inbound_lookup` is sent. */
  async function inbound(record: NumberRecord, context: ProviderContext): Promise<NumberRecord> {
    const wanted = wantsInboundLookup(record);
    if (wanted === hasInboundLookup(record)) return record;
    await toggleInbound(record, context, wanted);
    return wanted ? activateFeature(record, INBOUND_CNAM, { inbound_lookup: true }) : deactivateFeatures(record, INBOUND_CNAM, INBOUND_LOOKUP);
  }

  return {
    module: MODULE,
    reachesOutside: true,

    async save(record, context) {
      if (!isProvisionedState(record.state)) return record;
      const withOutbound = await outbound(record, context);
      return deactivateFeatures(await inbound(withOutbound, context), LEGACY_CNAM);
    },

    // Kazoo sends the disable on every delete; knm only when the number has a CNAM feature to remove.
    async delete(record, context) {
      if (!hasCnamFeature(record)) return record;
      await toggleInbound(record, context, false);
      return deactivateFeatures(record, INBOUND_CNAM, OUTBOUND_CNAM, LEGACY_CNAM);
    },
  };
}

export const telnyxCnamProvider: FeatureProvider = createTelnyxCnamProvider();
