/**
 * What the CNAM providers share (providers.md §7.6, §7.8): the requested and provisioned display names and
 * inbound lookup, and the `cnam_request` notice Kazoo publishes when a display name is set (kapi_notifications).
 */
import type { JsonObject, JsonValue } from '../documents/json';
import { isJsonObject } from '../documents/json';
import type { NumberRecord } from '../documents/types';
import { isTrue, requestedValue } from './feature-record';
import { numberNotice } from './notice-fields';
import type { Notice, ProviderContext } from './provider';

export const OUTBOUND_CNAM = 'outbound_cnam';
export const INBOUND_CNAM = 'inbound_cnam';
/** The legacy feature, removed by every CNAM provider. */
export const LEGACY_CNAM = 'cnam';
/** Kazoo also deactivates a feature named after the key (knm_telnyx_cnam, knm_vitelity_cnam), which nothing sets. */
export const INBOUND_LOOKUP = 'inbound_lookup';

/** `cnam.display_name` of the public document, when set. */
export function requestedDisplayName(record: NumberRecord): string | undefined {
  const name = requestedValue(record, 'cnam', 'display_name');
  return typeof name === 'string' ? name : undefined;
}

/** `pvt_features.outbound_cnam.display_name` (a dry run's bare string has none, so a real save sends it). */
export function provisionedDisplayName(record: NumberRecord): JsonValue | undefined {
  const feature = record.features[OUTBOUND_CNAM];
  return isJsonObject(feature) ? feature.display_name : undefined;
}

/** `cnam.inbound_lookup` of the public document is true. */
export function wantsInboundLookup(record: NumberRecord): boolean {
  return isTrue(requestedValue(record, 'cnam', 'inbound_lookup'));
}

/** `pvt_features.inbound_cnam.inbound_lookup` is true. */
export function hasInboundLookup(record: NumberRecord): boolean {
  const feature = record.features[INBOUND_CNAM];
  return isJsonObject(feature) && isTrue(feature.inbound_lookup);
}

export function hasCnamFeature(record: NumberRecord): boolean {
  return [INBOUND_CNAM, OUTBOUND_CNAM, LEGACY_CNAM].some((feature) => feature in record.features);
}

/**
 * publish_cnam_update/1 as a notice. Kazoo's Telnyx and Vitelity providers put the legacy `cnam` feature in `Cnam`
 * (nearly always empty); knm puts the display name just provisioned, as knm_cnam_notifier does, so the notice says what changed.
 * It supersedes the outbound feature `record` held before (null when none), so a return to an earlier name is a new
 * notice while a replay of the same change is not.
 */
export function cnamRequestNotice(record: NumberRecord, context: ProviderContext, cnam: JsonObject): Notice {
  return numberNotice('cnam_request', record, context, { ...(context.authBy !== undefined ? { 'Acquired-For': context.authBy } : {}), Cnam: cnam }, record.features[OUTBOUND_CNAM] ?? null);
}
