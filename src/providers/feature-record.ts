/**
 * The small edits every provider makes to a number (knm_providers:activate_feature/2, deactivate_feature/2, and
 * the public-field reads of knm_phone_number:doc/1, providers.md §7.0), and how a provider with an HTTP API reads its
 * settings. Each edit returns the same record when nothing changes, so a provider that has nothing to do leaves no
 * trace and the caller's "did anything change" stays cheap.
 */
import { CarrierSettings } from '../carriers/settings';
import { isJsonObject, JsonObject, JsonValue } from '../documents/json';
import { isEmptyJson, jsonEqual } from '../documents/kz-json';
import type { NumberRecord, NumberState } from '../documents/types';
import type { ProviderContext } from './provider';

/** The states in which the CNAM and E911 providers keep their features (providers.md §7.0). */
const HELD_STATES: readonly NumberState[] = ['reserved', 'in_service', 'port_in'];

/** The states in which the e911 and cnam providers act (their save/2 clauses); other states delete (e911) or do nothing (cnam). */
export function isProvisionedState(state: NumberState | undefined): boolean {
  return state !== undefined && HELD_STATES.includes(state);
}

export function inStates(record: NumberRecord, states: readonly NumberState[]): boolean {
  return record.state !== undefined && states.includes(record.state);
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

/** The public document without `key`. */
export function withoutPublic(record: NumberRecord, key: string): NumberRecord {
  if (!(key in record.publicFields)) return record;
  const { [key]: _removed, ...publicFields } = record.publicFields;
  return { ...record, publicFields };
}

/** kz_term:is_true/1: `true` or `"true"`. */
export function isTrue(value: JsonValue | undefined): boolean {
  return value === true || value === 'true';
}

/** `pvt_features.<name>` set to `value`. */
export function activateFeature(record: NumberRecord, name: string, value: JsonValue): NumberRecord {
  if (jsonEqual(record.features[name], value)) return record;
  return { ...record, features: { ...record.features, [name]: value } };
}

/** `pvt_features` without these names. */
export function deactivateFeatures(record: NumberRecord, ...names: string[]): NumberRecord {
  if (!names.some((name) => name in record.features)) return record;
  const features: JsonObject = { ...record.features };
  for (const name of names) delete features[name];
  return { ...record, features };
}

/** A provider's settings as the carriers read theirs (the context has applied the `KNM_<NAME>_<KEY>` overrides). */
export function providerSettings(context: ProviderContext, name: string): CarrierSettings {
  return new CarrierSettings(context.settings(name));
}

/** How a provider with an HTTP API is built: Kazoo waits 180 s; tests bring a shorter timeout. */
export interface HttpProviderOptions {
  timeoutMs?: number;
}
