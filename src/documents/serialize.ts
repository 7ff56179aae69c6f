/**
 * A record as the JSON document 4.3's `knm_phone_number:to_json/1` produces (FACTS §1.4 "Write"):
 * eight fixed keys, then the public fields in stored order (without `id`/`used_by`), then the optional
 * private keys, each omitted when empty (`props:filter_empty`), never null. The key order is the one
 * 4.3 produces (fixtures/upgraded-4.3), so a document knm writes reads the same in Fauxton as Kazoo's.
 */
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
  const head = { _id: record.number, pvt_db_name: numberDbName(record.number) };
  const tail = {
    pvt_ported_in: record.portedIn,
    pvt_module_name: record.moduleName,
    pvt_modified: modified,
    pvt_created: record.created,
    pvt_type: 'number' as const,
  };
  // kz_json:from_list/1 drops undefined values: a number without a state is written without pvt_state.
  const doc: NumberDoc = record.state === undefined ? { ...head, ...tail } : { ...head, pvt_state: record.state, ...tail };

  for (const [key, value] of Object.entries(record.publicFields)) {
    if (isKeptPublicKey(key)) doc[key] = copy(value);
  }

  const optional: [string, JsonValue | undefined][] = [
    ['_rev', record.rev],
    ['pvt_assigned_to', record.assignedTo],
    ['pvt_previously_assigned_to', record.previouslyAssignedTo],
    ['pvt_used_by', record.usedBy],
    ['pvt_features', record.features],
    ['pvt_features_allowed', [...record.featuresAllowed]],
    ['pvt_features_denied', [...record.featuresDenied]],
    ['pvt_reserve_history', [...record.reserveHistory]],
    ['pvt_carrier_data', record.carrierData],
    ['pvt_region', record.region],
  ];
  for (const [key, value] of optional) {
    if (value !== undefined && !isEmptyJson(value)) doc[key] = copy(value);
  }
  return doc;
}

/**
 * `knm_converters:to_db/1`: URL-encode("numbers/" + first 5 bytes), e.g. `numbers%2F%2B1415` (FACTS §2.1).
 * Kept private to the documents module because src/numbers had no `toDb` when this was written; the
 * number was validated on read (a `+` and at least four digits), so the prefix is plain ASCII.
 */
function numberDbName(number: string): string {
  return urlencode(`numbers/${number.slice(0, 5)}`);
}

/** kz_http_util:urlencode/1: keeps A–Z a–z 0–9 . - ~ _, space becomes +, every other byte %XX upper-case. */
function urlencode(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-~_]/.test(char)) encoded += char;
    else if (char === ' ') encoded += '+';
    else encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
