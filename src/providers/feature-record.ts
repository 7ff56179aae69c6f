/**
 * The small edits every provider makes to a number (knm_providers:activate_feature/2, deactivate_feature/2, and
 * the public-field reads of knm_phone_number:doc/1). Each returns the same record when nothing changes, so a
 * provider that has nothing to do leaves no trace and the caller's "did anything change" stays cheap.
 */
import type { JsonValue } from '../documents/json';
import { isEmptyJson, jsonEqual } from '../documents/kz-json';
import type { NumberRecord, NumberState } from '../documents/types';

/** `pvt_features.<name>` set to `value`. */
export function activateFeature(record: NumberRecord, name: string, value: JsonValue): NumberRecord {
  if (jsonEqual(record.features[name], value)) return record;
  return { ...record, features: { ...record.features, [name]: value } };
}

/** `pvt_features` without these names. */
export function deactivateFeatures(record: NumberRecord, ...names: string[]): NumberRecord {
  if (!names.some((name) => name in record.features)) return record;
  const features = { ...record.features };
  for (const name of names) delete features[name];
  return { ...record, features };
}

/** The public request at `key`, undefined when absent or empty (kz_json:get_ne_value/2). */
export function requested(record: NumberRecord, key: string): JsonValue | undefined {
  const value = record.publicFields[key];
  return isEmptyJson(value) ? undefined : value;
}

/** The public document without `key`. */
export function withoutPublic(record: NumberRecord, key: string): NumberRecord {
  if (!(key in record.publicFields)) return record;
  const { [key]: _removed, ...publicFields } = record.publicFields;
  return { ...record, publicFields };
}

export function inStates(record: NumberRecord, states: readonly NumberState[]): boolean {
  return record.state !== undefined && states.includes(record.state);
}

/** kz_term:is_true/1: `true` or `"true"`. */
export function isTrue(value: JsonValue | undefined): boolean {
  return value === true || value === 'true';
}

/** The states in which the CNAM and E911 providers keep their features (providers.md §7.0). */
export const HELD_STATES: readonly NumberState[] = ['reserved', 'in_service', 'port_in'];
