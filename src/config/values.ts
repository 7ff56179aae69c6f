/**
 * Typed readers for config values. Each returns the value read, or the default after recording a
 * problem that names the key and what was wrong with it.
 */
import { JsonValue } from '../documents/json';
import { ConfigProblem } from './problem';

/** The value's JSON type for messages: `string`, `number`, `boolean`, `array`, `object`, `null`. */
export function jsonType(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function shown(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Kazoo reads booleans with `get_is_true`: `true` and `"true"` are true and anything else is false
 * (kz_term:is_true/1). Values other than true/false/"true"/"false" are read the same way and reported.
 */
export function readBoolean(key: string, value: JsonValue, problems: ConfigProblem[]): boolean {
  if (value === true || value === 'true') return true;
  if (value !== false && value !== 'false') {
    problems.push({ key, reason: `expected true or false, found ${shown(value)}; read as false, as Kazoo's get_is_true does` });
  }
  return false;
}

export function readString(key: string, value: JsonValue, fallback: string, problems: ConfigProblem[]): string {
  if (typeof value === 'string' && value !== '') return value;
  problems.push({ key, reason: `expected a non-empty string, found ${shown(value)}; using the default ${JSON.stringify(fallback)}` });
  return fallback;
}

/** An integer ≥ `minimum`; integer strings are accepted as Kazoo's get_integer converts them. */
export function readInteger(key: string, value: JsonValue, fallback: number, minimum: number, problems: ConfigProblem[]): number {
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof number === 'number' && Number.isInteger(number) && number >= minimum) return number;
  const expected = minimum === 0 ? 'an integer ≥ 0' : `an integer ≥ ${minimum}`;
  problems.push({ key, reason: `expected ${expected}, found ${shown(value)}; using the default ${fallback}` });
  return fallback;
}

export function readStringList(key: string, value: JsonValue, fallback: string[], problems: ConfigProblem[]): string[] {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return [...(value as string[])];
  problems.push({ key, reason: `expected a list of strings, found ${shown(value)}; using the default ${JSON.stringify(fallback)}` });
  return [...fallback];
}
