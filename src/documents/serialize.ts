/**
 * A record as the JSON document 4.3's `knm_phone_number:to_json/1` produces (FACTS §1.4 "Write"):
 * eight fixed keys, then the public fields in stored order (without `id`/`used_by`), then the optional
 * private keys, each omitted when empty (`props:filter_empty`), never null. The key order is the one
 * 4.3 produces (fixtures/upgraded-4.3), so a document knm writes reads the same in Fauxton as Kazoo's.
 */
import { KnmError } from '../errors';
import { toDb } from '../numbers/db-names';
import { cloneJson, isEmptyJson } from './kz-json';
import { JsonValue } from './json';
import { NumberDoc, NumberRecord } from './types';

/** `kz_doc:is_private_key/1`: every key starting with `_` or `pvt_` is private. */
export function isPrivateKey(key: string): boolean {
  return key.startsWith('_') || key.startsWith('pvt_');
}

/** Public keys 4.3 removes from every number it loads (`sanitize_public_fields/1`). */
export const DROPPED_PUBLIC_KEYS: ReadonlySet<string> = new Set(['id', 'used_by']);

export function isKeptPublicKey(key: string): boolean {
  return !isPrivateKey(key) && !DROPPED_PUBLIC_KEYS.has(key);
}

/**
 * The 4.3 document for `record`, with `pvt_modified` set to `modified`. Values are deep copies unless
 * `copy` is false (for a comparison that is thrown away at once).
 */
export function toKazooDocument(record: NumberRecord, modified: number, options: { copy: boolean } = { copy: true }): NumberDoc {
  const copy = options.copy ? cloneJson : <T extends JsonValue>(value: T): T => value;
  // Built key by key rather than by spreading: V8 copies a spread after other keys slowly, and an import writes
  // a hundred thousand of these.
  const doc = { _id: record.number, pvt_db_name: numberDbName(record.number) } as NumberDoc;
  // kz_json:from_list/1 drops undefined values: a number without a state is written without pvt_state.
  if (record.state !== undefined) doc.pvt_state = record.state;
  doc.pvt_ported_in = record.portedIn;
  doc.pvt_module_name = record.moduleName;
  doc.pvt_modified = modified;
  doc.pvt_created = record.created;
  doc.pvt_type = 'number';

  for (const [key, value] of Object.entries(record.publicFields)) {
    if (isKeptPublicKey(key)) doc[key] = copy(value);
  }

  for (const [key, valueOf] of OPTIONAL_KEYS) {
    const value = valueOf(record);
    if (value !== undefined && !isEmptyJson(value)) doc[key] = copy(value);
  }
  return doc;
}

/** The optional private keys, in 4.3's order, and where the record keeps them (lists are copied, as everything, unless `copy` is false). */
const OPTIONAL_KEYS: readonly (readonly [string, (record: NumberRecord) => JsonValue | undefined])[] = [
  ['_rev', (record) => record.rev],
  ['pvt_assigned_to', (record) => record.assignedTo],
  ['pvt_previously_assigned_to', (record) => record.previouslyAssignedTo],
  ['pvt_used_by', (record) => record.usedBy],
  ['pvt_features', (record) => record.features],
  ['pvt_features_allowed', (record) => record.featuresAllowed as JsonValue],
  ['pvt_features_denied', (record) => record.featuresDenied as JsonValue],
  ['pvt_reserve_history', (record) => record.reserveHistory as JsonValue],
  ['pvt_carrier_data', (record) => record.carrierData],
  ['pvt_region', (record) => record.region],
];

/** `knm_converters:to_db/1` (e.g. `numbers%2F%2B1415`); read and write only accept numbers long enough to have one. */
function numberDbName(number: string): string {
  const dbName = toDb(number);
  if (dbName === undefined) {
    throw new KnmError('bad_document', 400, `number ${number} is shorter than five characters: it has no number database`, {
      cause: '_id',
      hint: 'a number document _id is "+" and the E.164 digits',
    });
  }
  return dbName;
}
