/**
 * The API view of a number (`knm_phone_number:to_public_json/1`, number-document.md §9), which commands
 * print: the public fields, then `state`, `used_by` and `features` (sorted names of the active
 * features), and `_read_only` with what a user can see but not set. Empty values are left out.
 */
import { JsonObject, JsonValue } from './json';
import { cloneJson, isEmptyJson } from './kz-json';
import { isKeptPublicKey } from './serialize';
import { NumberRecord } from './types';

/** Feature availability is decided by the providers' rules (allowed/denied, config); the caller passes it in. */
export interface PublicFeatures {
  /** Features this number may use (`knm_providers:available_features/1`). */
  available?: readonly string[];
  /** Non-empty settings per available feature. */
  settings?: JsonObject;
}

export function toPublicJson(record: NumberRecord, features: PublicFeatures = {}): JsonObject {
  const view: JsonObject = {};
  for (const [key, value] of Object.entries(record.publicFields)) {
    if (isKeptPublicKey(key)) view[key] = cloneJson(value);
  }
  // kz_json:set_values/2: a v3 leftover public `state` or `features` key is overwritten in place
  setIfNotEmpty(view, 'state', record.state);
  setIfNotEmpty(view, 'used_by', record.usedBy);
  setIfNotEmpty(view, 'features', activeFeatureNames(record));

  const readOnly: JsonObject = {};
  setIfNotEmpty(readOnly, 'created', record.created);
  setIfNotEmpty(readOnly, 'modified', record.modified);
  setIfNotEmpty(readOnly, 'carrier_module', carrierModule(record.moduleName));
  const featureInfo: JsonObject = {};
  setIfNotEmpty(featureInfo, 'available', features.available === undefined ? undefined : [...features.available]);
  setIfNotEmpty(featureInfo, 'settings', features.settings);
  setIfNotEmpty(readOnly, 'features', featureInfo);
  // props:filter_empty drops `false`, so is_deleted only ever appears as true
  if (record.state === 'deleted') readOnly.is_deleted = true;
  view._read_only = readOnly;
  return view;
}

/** `features_list/1`: the names of the active features, sorted and unique. */
export function activeFeatureNames(record: NumberRecord): string[] {
  return Object.keys(record.features).sort();
}

/** The module name without `knm_`; other names are not shown. */
function carrierModule(moduleName: string): string | undefined {
  return moduleName.startsWith('knm_') ? moduleName.slice('knm_'.length) : undefined;
}

function setIfNotEmpty(target: JsonObject, key: string, value: JsonValue | undefined): void {
  if (value !== undefined && !isEmptyJson(value)) target[key] = cloneJson(value);
}
