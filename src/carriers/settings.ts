/**
 * A carrier's settings: `system_config/number_manager.<carrier>` (node section, then `default`, as Kazoo
 * reads it), under environment variables `KNM_<CARRIER>_<KEY>` (e.g. `KNM_TELNYX_TOKEN`), which win. So
 * credentials may stay out of CouchDB. Kazoo reads the document on every call; so does knm, so a change
 * applies to the next order without a restart.
 */
import { readCarrierConfig } from '../config/carrier';
import type { JsonObject, JsonValue } from '../documents/json';
import type { CarrierContext } from './carrier';

export type Env = Readonly<Record<string, string | undefined>>;

export class CarrierSettings {
  constructor(private readonly values: JsonObject) {}

  /** A non-empty string, else `fallback`. */
  string(key: string, fallback: string): string;
  string(key: string): string | undefined;
  string(key: string, fallback?: string): string | undefined {
    const value = this.values[key];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number') return String(value);
    return fallback;
  }

  /** kapps_config:get_is_true: `true` and `"true"` are true, anything else set is false. */
  boolean(key: string, fallback: boolean): boolean {
    const value = this.values[key];
    if (value === undefined || value === null) return fallback;
    return value === true || value === 'true';
  }

  integer(key: string, fallback: number): number {
    const value = this.values[key];
    const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    return typeof number === 'number' && Number.isInteger(number) && number > 0 ? number : fallback;
  }

  /** A string is a list of one (knm_other `endpoints`, knm_vitelity `routesip`). */
  list(key: string): string[] {
    const value = this.values[key];
    if (typeof value === 'string') return value === '' ? [] : [value];
    if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
    return [];
  }

  raw(key: string): JsonValue | undefined {
    return this.values[key];
  }

  /** The values of these keys, for redaction. */
  secrets(keys: readonly string[]): string[] {
    return keys.map((key) => this.string(key)).filter((value): value is string => value !== undefined && value.length > 0);
  }
}

/** Reads the carrier's settings now. `name` is the module name with or without `knm_`. */
export async function loadCarrierSettings(context: CarrierContext, name: string, env: Env): Promise<CarrierSettings> {
  const bare = name.replace(/^knm_/, '');
  const doc = await context.store.getOrNull('system_config', `number_manager.${bare}`);
  return new CarrierSettings(settingsValues(doc ?? undefined, bare, env));
}

/** `system_config/number_manager.<bare>` as one object, under its `KNM_<BARE>_<KEY>` environment variables. */
export function settingsValues(doc: unknown, bare: string, env: Env): JsonObject {
  const values: JsonObject = { ...readCarrierConfig(doc, bare) };
  const prefix = `KNM_${bare.toUpperCase()}_`;
  for (const [variable, value] of Object.entries(env)) {
    if (variable.startsWith(prefix) && value !== undefined && value !== '') values[variable.slice(prefix.length).toLowerCase()] = value;
  }
  return values;
}
