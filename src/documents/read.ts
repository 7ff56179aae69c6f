/**
 * Reads a number document of any generation Kazoo has written (v3 `wnm_*`, 4.0 development builds,
 * early 4.0 migrations, 4.1–4.3) into a NumberRecord, upgrading it exactly as 4.3's
 * `knm_phone_number:from_json/1` does (FACTS §1.4, §1.7, §10.6; outputs in fixtures/upgraded-4.3).
 *
 * Dirtiness follows 4.3 step by step, because "write only when something changed" (FACTS §11) hinges
 * on it: a change made before the timestamps are read (collapsing a duplicated reserve history) makes
 * the document dirty but keeps its `pvt_modified`, since 4.3 reads `pvt_modified` afterwards; a missing
 * timestamp or any change after them (legacy e911 copy, feature migration or rename, module rename,
 * `local` feature removed, legacy `pvt_number_state`) sets `pvt_modified` to the load time.
 *
 * Documents the 4.3 loader rejects (FACTS §1.8: `pvt_used_by` "" or null, an owner that is not a 32-byte
 * account id, a state that is null or unknown, `pvt_module_name` "", a reserve history that is not a list,
 * string `pvt_features`, non-object `pvt_carrier_data`) make a whole 4.3 request fail with a 500. FACTS §11
 * lists that crash among the 4.3 defects and recommends reading such documents leniently; we do: the bad
 * value is dropped (or replaced by its default), a warning names it, and the result is `malformed`, which
 * `needsWrite` refuses, so knm never writes those shapes back on its own and the pipeline can skip and count them.
 *
 * What cannot be a number document at all throws `bad_document` (400) naming the document and the field:
 * not a JSON object, a tombstone, no string `_id`, an `_id` that does not normalize to `+` and digits, or a
 * value whose JSON type no Kazoo version writes and that cannot be coerced (a number or object where a state,
 * module, account id or app name string belongs; a non-string inside a list of names or account ids).
 */
import { KnmError } from '../errors';
import { isJsonObject, JsonObject, JsonValue } from './json';
import { cloneJson, isEmptyJson, jsonEqual } from './kz-json';
import { isKeptPublicKey, toKazooDocument } from './serialize';
import { CARRIER_BANDWIDTH, CARRIER_BANDWIDTH2, CARRIER_LOCAL, FEATURE_LOCAL, isLocalModule, isNumberState, NumberRecord, NumberState } from './types';

export interface ReadContext {
  /** Gregorian seconds: the load time, given to missing timestamps and to upgraded documents. */
  now: number;
  /** `knm_converters:normalize/1` with the cluster's e164_converters. */
  normalize(number: string): string;
  /** system_config `number_manager.available_module_name` (4.3 default `knm_local`). */
  availableModuleName: string;
}

export interface ReadResult {
  record: NumberRecord;
  /** 4.3 would write this document back (something was upgraded). */
  dirty: boolean;
  /** Fields that took the load time, sorted. */
  fieldsSetToNow: string[];
  /** Anything odd about the document, one sentence each. */
  warnings: string[];
  /** The 4.3 loader would have refused the document (see the top of this file). */
  malformed: boolean;
}

/** `?MATCH_ACCOUNT_RAW`: an account id is exactly 32 bytes. */
const ACCOUNT_ID_BYTES = 32;

/** What 4.3 keeps of the number: `+` and digits; five characters at least, or `to_db` has no database. */
const NORMALIZED_NUMBER = /^\+[0-9]{4,}$/;

const LEGACY_DASH_E911 = 'dash_e911';
const LEGACY_VITELITY_E911 = 'vitelity_e911';
const LEGACY_TELNYX_E911 = 'telnyx_e911';
const FEATURE_E911 = 'e911';

export function readNumberDocument(raw: unknown, context: ReadContext): ReadResult {
  if (!isJsonObject(raw)) {
    throw badDocument('(not an object)', 'document', `is ${describe(raw)}, expected a JSON object`);
  }
  const doc = raw;
  const id = readId(doc);
  if (doc._deleted === true) throw badDocument(id, '_deleted', 'marks a deleted document (a tombstone), not a number');
  const reader = new Findings(id);

  // 1. the number
  const number = context.normalize(id);
  if (!NORMALIZED_NUMBER.test(number)) {
    throw badDocument(id, '_id', `normalizes to "${number}", which is not "+" followed by at least four digits`);
  }
  if (number !== id) reader.warn(`_id "${id}" is not normalized: 4.3 handles it as ${number} and would save it under that _id`);

  // 2. owner and application
  const assignedTo = reader.accountId(doc, 'pvt_assigned_to');
  const usedBy = reader.appName(doc, 'pvt_used_by');
  const previouslyAssignedTo = reader.accountId(doc, 'pvt_previously_assigned_to');

  // 3. reserve history: 4.3 marks collapsed duplicates dirty, then step 4 restores pvt_modified
  const storedHistory = reader.accountIdList(doc, 'pvt_reserve_history');
  const reserveHistory = collapseConsecutive(storedHistory);
  const dirtyBeforeTimestamps = reserveHistory.length !== storedHistory.length;

  // 4. timestamps (kz_doc:modified/1, kz_doc:created/1)
  const storedModified = reader.timestamp(doc, 'pvt_modified');
  const storedCreated = reader.timestamp(doc, 'pvt_created');

  // 5. public fields, then the legacy e911 copy
  const publicFields: JsonObject = {};
  for (const [key, value] of Object.entries(doc)) {
    if (isKeptPublicKey(key)) publicFields[key] = cloneJson(value);
  }
  let dirtyAfterTimestamps = copyLegacyE911(publicFields);

  // 6. features
  const features = reader.features(doc, publicFields);
  dirtyAfterTimestamps ||= features.changed;

  // 7. state
  const state = reader.state(doc);

  // 8. ported in, module name and the `local` feature that goes with it
  const portedIn = isTrue(doc.pvt_ported_in);
  const module = reader.moduleName(doc, context.availableModuleName);
  dirtyAfterTimestamps ||= module.renamed;
  if (isLocalModule(module.name)) {
    if (!(FEATURE_LOCAL in features.value)) features.value[FEATURE_LOCAL] = {};
  } else if (FEATURE_LOCAL in features.value) {
    delete features.value[FEATURE_LOCAL];
    dirtyAfterTimestamps = true;
  }

  // 9. carrier data, region, per-number feature lists
  const carrierData = reader.carrierData(doc);
  const region = reader.region(doc);
  const featuresAllowed = reader.nameList(doc, 'pvt_features_allowed');
  const featuresDenied = reader.nameList(doc, 'pvt_features_denied');

  // 10. the legacy state key alone makes the document dirty
  if (doc.pvt_number_state !== undefined) dirtyAfterTimestamps = true;

  const rev = reader.rev(doc);
  if (doc.pvt_type !== undefined && doc.pvt_type !== 'number') {
    reader.warn(`pvt_type is ${describe(doc.pvt_type)}: Kazoo's crawler and account views skip it until it is rewritten as "number"`);
  }

  const fieldsSetToNow: string[] = [];
  const created = storedCreated ?? context.now;
  if (storedCreated === undefined) fieldsSetToNow.push('pvt_created');
  const timestampMissing = storedCreated === undefined || storedModified === undefined;
  const modifiedIsNow = timestampMissing || dirtyAfterTimestamps;
  const modified = storedModified !== undefined && !modifiedIsNow ? storedModified : context.now;
  if (modifiedIsNow) fieldsSetToNow.push('pvt_modified');
  const dirty = dirtyBeforeTimestamps || modifiedIsNow;

  const fields: Omit<NumberRecord, 'loaded'> = {
    number,
    state,
    moduleName: module.name,
    assignedTo,
    previouslyAssignedTo,
    usedBy,
    reserveHistory,
    features: features.value,
    featuresAllowed,
    featuresDenied,
    carrierData,
    region,
    portedIn,
    created,
    modified,
    rev,
    publicFields,
  };
  const asRead = toKazooDocument({ ...fields, loaded: undefined }, modified);
  const record: NumberRecord = {
    ...fields,
    loaded: { id, stored: doc, upgraded: dirty, malformed: reader.malformed, asRead },
  };
  return { record, dirty, fieldsSetToNow: fieldsSetToNow.sort(), warnings: reader.warnings, malformed: reader.malformed };
}

function readId(doc: JsonObject): string {
  const id = doc._id;
  if (id === undefined) throw badDocument('(no _id)', '_id', 'is missing');
  if (typeof id !== 'string' || id === '') throw badDocument(String(JSON.stringify(id)), '_id', `is ${describe(id)}, expected the number as a string`);
  return id;
}

/** The field-by-field checks, collecting warnings and whether 4.3 would have refused the document. */
class Findings {
  readonly warnings: string[] = [];
  malformed = false;

  constructor(private readonly id: string) {}

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** A value 4.3's loader crashes on (FACTS §1.8): read leniently, flag the document. */
  refusedBy43(field: string, value: JsonValue, replacement: string): void {
    this.malformed = true;
    this.warnings.push(`${field} is ${describe(value)}, which the Kazoo 4.3 loader rejects; read as ${replacement}`);
  }

  reject(field: string, problem: string): never {
    throw badDocument(this.id, field, problem);
  }

  accountId(doc: JsonObject, field: string): string | undefined {
    const value = doc[field];
    if (value === undefined) return undefined;
    if (value !== null && typeof value !== 'string') this.reject(field, `is ${describe(value)}, expected a 32-character account id`);
    if (typeof value === 'string' && byteLength(value) === ACCOUNT_ID_BYTES) return value;
    this.refusedBy43(field, value, 'unset');
    return undefined;
  }

  appName(doc: JsonObject, field: string): string | undefined {
    const value = doc[field];
    if (value === undefined) return undefined;
    if (value !== null && typeof value !== 'string') this.reject(field, `is ${describe(value)}, expected an application name`);
    if (typeof value === 'string' && value !== '') return value;
    this.refusedBy43(field, value, 'unset');
    return undefined;
  }

  accountIdList(doc: JsonObject, field: string): string[] {
    const value = doc[field];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.refusedBy43(field, value, 'an empty list');
      return [];
    }
    const ids: string[] = [];
    for (const item of value) {
      if (typeof item !== 'string') this.reject(field, `holds ${describe(item)}, expected account ids`);
      if (byteLength(item) === ACCOUNT_ID_BYTES) ids.push(item);
      else this.refusedBy43(`${field} entry`, item, 'absent (dropped)');
    }
    return ids;
  }

  /** Lists of feature names: 4.3 reads anything but a list as `[]` (`kz_json:get_list_value/3`). */
  nameList(doc: JsonObject, field: string): string[] {
    const value = doc[field];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.warn(`${field} is ${describe(value)}, not a list; read as an empty list, as 4.3 does`);
      return [];
    }
    return value.map((item) => {
      if (typeof item !== 'string') this.reject(field, `holds ${describe(item)}, expected feature names`);
      return item;
    });
  }

  /** Missing or not castable to an integer: undefined (the caller uses the load time, as 4.3 does). */
  timestamp(doc: JsonObject, field: string): number | undefined {
    const value = doc[field];
    if (value === undefined) return undefined;
    const seconds = toInteger(value);
    if (seconds === undefined) this.warn(`${field} is ${describe(value)}, not a timestamp; set to the load time, as 4.3 does`);
    return seconds;
  }

  features(doc: JsonObject, publicFields: JsonObject): { value: JsonObject; changed: boolean } {
    const stored = doc.pvt_features;
    // kz_json:get_ne_value/2: absent, null, [] and {} all mean "no features"
    if (isEmptyJson(stored)) return { value: {}, changed: false };
    if (Array.isArray(stored)) {
      const names = stored.map((name) => {
        if (typeof name !== 'string') this.reject('pvt_features', `holds ${describe(name)}, expected feature names`);
        return name;
      });
      // a v3 feature list is always migrated, hence always dirty (`maybe_migrate_features/2`)
      return { value: renameLegacyE911Features(migrateFeatureList(names, publicFields)), changed: true };
    }
    if (!isJsonObject(stored)) {
      this.refusedBy43('pvt_features', stored, 'no features');
      return { value: {}, changed: false };
    }
    const value = renameLegacyE911Features(cloneJson(stored));
    return { value, changed: !jsonEqual(value, stored) };
  }

  state(doc: JsonObject): NumberState | undefined {
    for (const field of ['pvt_state', 'pvt_number_state']) {
      const value = doc[field];
      if (value !== undefined && value !== null && typeof value !== 'string') this.reject(field, `is ${describe(value)}, expected a state name`);
    }
    const { pvt_state: current, pvt_number_state: legacy } = doc;
    if (current !== undefined && legacy !== undefined && current !== legacy) {
      this.warn(`pvt_state "${String(current)}" and legacy pvt_number_state "${String(legacy)}" disagree; pvt_state wins, as in 4.3`);
    }
    // kz_json:get_first_defined/2: a JSON null counts as defined, and 4.3 then fails on it
    const chosen = current !== undefined ? current : legacy;
    if (chosen === undefined) {
      this.warn('the document has no state; it is read and written without pvt_state, as 4.3 does');
      return undefined;
    }
    if (isNumberState(chosen)) return chosen;
    const fallback = isNumberState(legacy) ? legacy : undefined;
    this.refusedBy43(current !== undefined ? 'pvt_state' : 'pvt_number_state', chosen, fallback === undefined ? 'no state' : `"${fallback}" from pvt_number_state`);
    return fallback;
  }

  moduleName(doc: JsonObject, availableModuleName: string): { name: string; renamed: boolean } {
    const stored = doc.pvt_module_name;
    const fallback = canonicalModuleName(availableModuleName);
    if (stored === undefined) return { name: fallback, renamed: false };
    if (stored !== null && typeof stored !== 'string') this.reject('pvt_module_name', `is ${describe(stored)}, expected a carrier module name`);
    if (stored === null || stored === '') {
      this.refusedBy43('pvt_module_name', stored, `the available module ${fallback}`);
      return { name: fallback, renamed: false };
    }
    const name = canonicalModuleName(stored);
    return { name, renamed: name !== stored };
  }

  carrierData(doc: JsonObject): JsonObject {
    const value = doc.pvt_carrier_data;
    if (value === undefined) return {};
    if (isJsonObject(value)) return cloneJson(value);
    this.refusedBy43('pvt_carrier_data', value, 'no carrier data');
    return {};
  }

  region(doc: JsonObject): string | undefined {
    const value = doc.pvt_region;
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') this.reject('pvt_region', `is ${describe(value)}, expected a string`);
    return value;
  }

  rev(doc: JsonObject): string | undefined {
    const value = doc._rev;
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') this.reject('_rev', `is ${describe(value)}, expected a revision string`);
    return value;
  }
}

/**
 * `set_module_name/2`: `wnm_X` → `knm_X`, `knm_bandwidth` → `knm_bandwidth2`, and the literal string
 * "undefined" that v3 wrote for a module missing from `carrier_modules` → `knm_local` (FACTS §1.2, §10.2).
 * Unknown names (`knm_pacwest`, `blipblop`) are kept.
 */
export function canonicalModuleName(name: string): string {
  if (name === 'undefined') return CARRIER_LOCAL;
  const modern = name.startsWith('wnm_') ? `knm_${name.slice('wnm_'.length)}` : name;
  return modern === CARRIER_BANDWIDTH ? CARRIER_BANDWIDTH2 : modern;
}

/**
 * `maybe_rename_public_features/1`: a non-empty legacy `vitelity_e911` (else `dash_e911`) is copied to
 * public `e911`; the legacy key stays. Returns whether `e911` changed.
 */
function copyLegacyE911(publicFields: JsonObject): boolean {
  const legacy = nonEmpty(publicFields[LEGACY_VITELITY_E911]) ?? nonEmpty(publicFields[LEGACY_DASH_E911]);
  if (legacy === undefined || jsonEqual(publicFields[FEATURE_E911], legacy)) return false;
  publicFields[FEATURE_E911] = cloneJson(legacy);
  return true;
}

/** `maybe_rename_features/1`: `pvt_features.dash_e911` / `vitelity_e911` become `e911` (vitelity wins). */
function renameLegacyE911Features(features: JsonObject): JsonObject {
  const dash = nonEmpty(features[LEGACY_DASH_E911]);
  const vitelity = nonEmpty(features[LEGACY_VITELITY_E911]);
  if (dash === undefined && vitelity === undefined) return features;
  delete features[LEGACY_DASH_E911];
  delete features[LEGACY_VITELITY_E911];
  features[FEATURE_E911] = vitelity ?? dash ?? {};
  return features;
}

/**
 * `migrate_features/2` (3.22 → 4.0): each name of a v3 feature list becomes an active feature built
 * from the public request of the same name (FACTS §1.4 step 6).
 */
function migrateFeatureList(names: readonly string[], publicFields: JsonObject): JsonObject {
  const features: JsonObject = {};
  for (const name of names) {
    switch (name) {
      case 'force_outbound':
        features[name] = isTrue(publicFields[name]);
        break;
      case 'ringback':
        features[name] = pickNonEmpty(publicFields[name], ['early', 'transfer']);
        break;
      case 'failover':
        features[name] = pickNonEmpty(publicFields[name], ['e164', 'sip']);
        break;
      case 'prepend': {
        const request = nonEmpty(publicFields[name]);
        const prepend = isJsonObject(request) ? cloneJson(request) : {};
        prepend.enabled = isTrue(prepend.enabled);
        features[name] = prepend;
        break;
      }
      case 'outbound_cnam': {
        const displayName = nestedValue(publicFields.cnam, 'display_name');
        features[name] = typeof displayName === 'string' && displayName !== '' ? { display_name: displayName } : {};
        break;
      }
      case 'inbound_lookup':
        features.inbound_cnam = { inbound_lookup: true };
        break;
      case LEGACY_DASH_E911:
      case LEGACY_VITELITY_E911:
      case LEGACY_TELNYX_E911: {
        // kz_json:set_value/3 with an undefined value removes the key
        const address = publicFields[name];
        if (address === undefined) delete features[FEATURE_E911];
        else features[FEATURE_E911] = cloneJson(address);
        break;
      }
      default: {
        // 4.3: "Encompasses at least: ?FEATURE_PORT"; the v3 name inbound_cnam lands here too
        const request = nonEmpty(publicFields[name]);
        features[name] = request === undefined ? {} : cloneJson(request);
      }
    }
  }
  return features;
}

/** An object of the non-empty `keys` of `value` (kz_json:from_list/1 drops undefined). */
function pickNonEmpty(value: JsonValue | undefined, keys: readonly string[]): JsonObject {
  const picked: JsonObject = {};
  for (const key of keys) {
    const item = nonEmpty(nestedValue(value, key));
    if (item !== undefined) picked[key] = cloneJson(item);
  }
  return picked;
}

function nestedValue(value: JsonValue | undefined, key: string): JsonValue | undefined {
  return isJsonObject(value) ? value[key] : undefined;
}

/** kz_json:get_ne_value/2. */
function nonEmpty(value: JsonValue | undefined): JsonValue | undefined {
  return isEmptyJson(value) ? undefined : value;
}

/** kz_term:is_true/1: `true` and the string "true". */
function isTrue(value: JsonValue | undefined): boolean {
  return value === true || value === 'true';
}

/** kz_term:to_integer/1 as kz_json:get_integer_value/2 uses it: integers, floats (rounded), numeric strings. */
function toInteger(value: JsonValue): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^[+-]?\d+$/.test(value)) return Number(value);
  if (/^[+-]?\d+\.\d+([eE][+-]?\d+)?$/.test(value)) return Math.round(Number(value));
  return undefined;
}

/** `add_reserve_history/2` folded over the stored list: an id already on top is not pushed again. */
function collapseConsecutive(ids: readonly string[]): string[] {
  return ids.filter((id, index) => index === 0 || ids[index - 1] !== id);
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `the ${typeof value} ${String(value)}`;
}

function badDocument(documentId: string, field: string, problem: string): KnmError {
  return new KnmError('bad_document', 400, `number document ${documentId}: ${field} ${problem}`, {
    cause: field,
    hint: 'this is not a number document knm can read: fix or delete it in its number database (Fauxton, curl), then re-run',
  });
}
