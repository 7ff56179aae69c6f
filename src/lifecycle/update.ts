/**
 * The setters of `knm_numbers:update/3` and `assign_to_app/2` (states.md §6.7–§6.8, FACTS §4.3): direct
 * changes with no state-machine check, applied to a fetched number before it is saved.
 */
import type { JsonObject } from '../documents/json';
import type { NumberRecord, NumberState } from '../documents/types';
import { FEATURE_LOCAL, isLocalModule } from '../documents/types';

export interface NumberUpdate {
  /** Public fields merged into the current ones (`update_doc`; a null value removes the key). */
  readonly mergePublic?: JsonObject;
  /** Public fields replacing all current ones (`reset_doc`). */
  readonly replacePublic?: JsonObject;
  readonly allowFeatures?: readonly string[];
  readonly removeAllowedFeatures?: readonly string[];
  readonly denyFeatures?: readonly string[];
  readonly removeDeniedFeatures?: readonly string[];
  /** `set_used_by`; null clears it. */
  readonly usedBy?: string | null;
  /** `set_module_name`: the `local` feature follows the module. */
  readonly moduleName?: string;
  readonly portedIn?: boolean;
  /** `set_state`: a raw setter, no transition rules (what port completion and maintenance use). */
  readonly state?: NumberState;
  /**
   * `remove_denied_features`, after the other setters: the features the number may no longer have leave it. Applied
   * by NumberService, which knows the holder's feature policy (feature-permissions.ts removeDeniedFeatures).
   */
  readonly pruneDeniedFeatures?: boolean;
}

export function applyUpdate(record: NumberRecord, update: NumberUpdate): NumberRecord {
  let next = record;
  if (update.replacePublic !== undefined) next = { ...next, publicFields: update.replacePublic };
  if (update.mergePublic !== undefined) next = { ...next, publicFields: mergePublic(next.publicFields, update.mergePublic) };
  next = {
    ...next,
    featuresAllowed: edited(next.featuresAllowed, update.allowFeatures, update.removeAllowedFeatures),
    featuresDenied: edited(next.featuresDenied, update.denyFeatures, update.removeDeniedFeatures),
  };
  if (update.usedBy !== undefined) next = { ...next, usedBy: update.usedBy ?? undefined };
  if (update.moduleName !== undefined && update.moduleName !== next.moduleName) next = withModule(next, update.moduleName);
  if (update.portedIn !== undefined) next = { ...next, portedIn: update.portedIn };
  if (update.state !== undefined) next = { ...next, state: update.state };
  return next;
}

/** kz_json:merge/2 on the public fields: objects merge recursively, null removes. */
function mergePublic(current: JsonObject, changes: JsonObject): JsonObject {
  const merged: JsonObject = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    const old = merged[key];
    if (value === null) delete merged[key];
    else if (isObject(value) && isObject(old)) merged[key] = mergePublic(old, value);
    else merged[key] = value;
  }
  return merged;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Adds (once, in order) and removes names: the allow/deny lists of the feature-permission commands. */
function edited(list: readonly string[], add: readonly string[] = [], remove: readonly string[] = []): readonly string[] {
  if (add.length === 0 && remove.length === 0) return list;
  const result = list.filter((name) => !remove.includes(name));
  for (const name of add) if (!result.includes(name) && !remove.includes(name)) result.push(name);
  return result;
}

/** set_module_name/2: `local` comes with knm_local/knm_mdn and goes with any other module. */
export function withModule(record: NumberRecord, moduleName: string): NumberRecord {
  const { [FEATURE_LOCAL]: _local, ...others } = record.features;
  return { ...record, moduleName, features: isLocalModule(moduleName) ? { ...others, [FEATURE_LOCAL]: {} } : others };
}
