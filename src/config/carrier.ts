/**
 * `system_config/number_manager.<carrier>` documents (telnyx, vitelity, other, dash_e911, …). Carrier
 * modules read each key node → zone → default (knm_gen_carrier:default_config/1 via kapps_config), so
 * the merged object answers every key the same way.
 */
import { isJsonObject, JsonObject } from '../documents/json';
import { KnmError } from '../errors';
import { ConfigLocation, sectionNames } from './lookup';

export function carrierConfigId(carrierName: string): string {
  return `number_manager.${carrierName.replace(/^(?:knm_|wnm_)/, '')}`;
}

/** The carrier's settings as one plain object (`{}` when there is no document). */
export function readCarrierConfig(doc: unknown, carrierName: string, where: ConfigLocation = {}): JsonObject {
  if (doc === undefined || doc === null) return {};
  if (!isJsonObject(doc)) {
    throw new KnmError('bad_config', 500, `system_config/${carrierConfigId(carrierName)} is not a JSON object`, {
      hint: 'fix or delete that document in the system_config database',
    });
  }
  const expected = carrierConfigId(carrierName);
  if (doc._id !== undefined && doc._id !== expected) {
    throw new KnmError('bad_config', 500, `expected the ${expected} document, got ${String(doc._id)}`, {
      hint: 'pass the carrier name that matches the document',
    });
  }
  const merged: JsonObject = {};
  for (const section of sectionNames(where).reverse()) {
    const values = doc[section];
    if (isJsonObject(values)) Object.assign(merged, values);
  }
  return merged;
}
