/**
 * How Kazoo finds a key in a `system_config` document (4.3 core/kazoo_apps/src/kapps_config.erl):
 * the section named after the Erlang node, then the zone's section, then `default`. A JSON `null`
 * counts as absent.
 */
import { isJsonObject, JsonObject, JsonValue } from '../documents/json';
import { ConfigProblem } from './problem';

export interface ConfigLocation {
  /** Erlang node name, e.g. `kazoo_apps@host`. */
  node?: string;
  zone?: string;
}

export interface FoundValue {
  value: JsonValue;
  /** Section it came from: the node name, the zone name or `default`. */
  section: string;
}

export function sectionNames(where: ConfigLocation = {}): string[] {
  const names: string[] = [];
  if (where.node !== undefined) names.push(where.node);
  if (where.zone !== undefined) names.push(where.zone);
  names.push('default');
  return names;
}

/** The first section (node → zone → default) that holds `path`. */
export function lookupConfigValue(
  doc: JsonObject | undefined,
  path: readonly string[],
  where: ConfigLocation = {},
): FoundValue | undefined {
  if (doc === undefined) return undefined;
  for (const section of sectionNames(where)) {
    const value = valueAt(doc[section], path);
    if (value !== undefined) return { value, section };
  }
  return undefined;
}

function valueAt(root: JsonValue | undefined, path: readonly string[]): JsonValue | undefined {
  let current = root;
  for (const key of path) {
    if (!isJsonObject(current)) return undefined;
    current = current[key];
  }
  return current === null ? undefined : current;
}

/**
 * A config document as an object; anything else is reported and read as an empty document, so the
 * code defaults apply.
 */
export function asConfigDocument(doc: unknown, name: string, problems: ConfigProblem[]): JsonObject | undefined {
  if (doc === undefined || doc === null) return undefined;
  if (isJsonObject(doc)) return doc;
  problems.push({ key: name, reason: 'the document is not a JSON object; using the defaults' });
  return undefined;
}
