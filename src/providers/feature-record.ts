/**
 * What every provider does to a number record (knm_services:activate_feature/2, deactivate_feature/2 and the
 * public-doc reads of knm_phone_number:doc/1, providers.md §7.0), and how a provider with an HTTP API reads its
 * settings. Records are immutable: each helper returns a copy, or the record itself when nothing changes, so a
 * provider that had nothing to do leaves the number clean.
 */
import { carrierSettingsFrom, CarrierSettings } from '../carriers/settings';
import { isJsonObject, JsonObject, JsonValue } from '../documents/json';
import { isEmptyJson } from '../documents/kz-json';
import type { NumberRecord, NumberState } from '../documents/types';
import type { ProviderContext } from './provider';

const PROVISIONED_STATES: ReadonlySet<NumberState | undefined> = new Set<NumberState | undefined>(['reserved', 'in_service', 'port_in']);

/** The states in which the e911 and cnam providers act (their save/2 clauses); other states delete (e911) or do nothing (cnam). */
export function isProvisionedState(state: NumberState | undefined): boolean {
  return PROVISIONED_STATES.has(state);
}

/** kz_json:get_ne_value/2 on the public document: the request, or undefined when absent or empty. */
export function requestedValue(record: NumberRecord, ...path: string[]): JsonValue | undefined {
  let value: JsonValue | undefined = record.publicFields;
  for (const key of path) value = isJsonObject(value) ? value[key] : undefined;
  return isEmptyJson(value) ? undefined : value;
}

/** The public object at `key` (an `e911` address), or undefined when it is absent, empty or not an object. */
export function requestedObject(record: NumberRecord, key: string): JsonObject | undefined {
  const value = requestedValue(record, key);
  return isJsonObject(value) ? value : undefined;
}

/** kz_json:is_true/2: `true` or `"true"`. */
export function isTrue(value: JsonValue | undefined): boolean {
  return value === true || value === 'true';
}

export function activateFeature(record: NumberRecord, feature: string, value: JsonValue): NumberRecord {
  return { ...record, features: { ...record.features, [feature]: value } };
}

export function deactivateFeatures(record: NumberRecord, ...features: string[]): NumberRecord {
  if (!features.some((feature) => feature in record.features)) return record;
  const kept: JsonObject = { ...record.features };
  for (const feature of features) delete kept[feature];
  return { ...record, features: kept };
}

/**
 * A provider's settings: `system_config/number_manager.<name>` as the context read it, under the
 * `KNM_<NAME>_<KEY>` environment variables the carriers honour (so credentials may stay out of CouchDB).
 */
export function providerSettings(context: ProviderContext, name: string): CarrierSettings {
  return carrierSettingsFrom(context.settings(name), name, context.env);
}

/** How a provider with an HTTP API is built: Kazoo waits 180 s; tests bring a shorter timeout. */
export interface HttpProviderOptions {
  timeoutMs?: number;
}
