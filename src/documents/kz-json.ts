/**
 * The few kz_json / kz_term semantics the number document depends on: Kazoo's notion of an empty
 * value (what `props:filter_empty` and `kz_json:get_ne_value` skip) and of two JSON values being equal
 * (`kz_json:are_equal`, which ignores object key order).
 */
import { isJsonObject, JsonObject, JsonValue } from './json';

/** `undefined`, `null`, `""`, `[]` and `{}` are empty (core/kazoo_stdlib kz_term:is_empty/1 for JSON terms). */
export function isEmptyJson(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isJsonObject(value)) return Object.keys(value).length === 0;
  return false;
}

/** Deep equality; object key order does not matter, array order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

/**
 * A copy that shares nothing with the original, so a record never aliases the document it was read
 * from. Hand-written because structuredClone is several times slower on small JSON objects.
 */
export function cloneJson<T extends JsonValue>(value: T): T {
  return copyValue(value) as T;
}

function copyValue(value: JsonValue): JsonValue {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyValue);
  const copy: JsonObject = {};
  for (const key of Object.keys(value)) copy[key] = copyValue(value[key]);
  return copy;
}

/** JSON with object keys sorted: equal values (in the sense of jsonEqual) give equal text, fit for hashing. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
