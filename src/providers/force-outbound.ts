/**
 * knm_force_outbound (providers.md §7.3): in service, a boolean public `force_outbound` (`"true"`/`"false"`
 * too) becomes `pvt_features.force_outbound`; any other value, its absence or another state removes it (the
 * public value is kept as written).
 */
import type { JsonValue } from '../documents/json';
import type { NumberRecord } from '../documents/types';
import { activateFeature, deactivateFeatures, inStates } from './feature-record';
import type { FeatureProvider } from './provider';

const FEATURE = 'force_outbound';

function asBoolean(value: JsonValue | undefined): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

function save(record: NumberRecord): NumberRecord {
  const wanted = asBoolean(record.publicFields[FEATURE]);
  if (!inStates(record, ['in_service']) || wanted === undefined) return deactivateFeatures(record, FEATURE);
  return activateFeature(record, FEATURE, wanted);
}

export const knmForceOutbound: FeatureProvider = {
  module: 'knm_force_outbound',
  reachesOutside: false,
  save: async (record) => save(record),
  delete: async (record) => deactivateFeatures(record, FEATURE),
};
