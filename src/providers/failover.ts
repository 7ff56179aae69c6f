/**
 * knm_failover (providers.md §7.2): in service, the public `failover` object becomes `pvt_features.failover`;
 * empty, or any other state, removes it. Allowed only for trunkstore numbers (feature-permissions.ts).
 */
import type { NumberRecord } from '../documents/types';
import { activateFeature, deactivateFeatures, inStates, requestedValue } from './feature-record';
import type { FeatureProvider } from './provider';

const FEATURE = 'failover';

function save(record: NumberRecord): NumberRecord {
  const wanted = requestedValue(record, FEATURE);
  if (!inStates(record, ['in_service']) || wanted === undefined) return deactivateFeatures(record, FEATURE);
  return activateFeature(record, FEATURE, wanted);
}

export const knmFailover: FeatureProvider = {
  module: 'knm_failover',
  reachesOutside: false,
  save: async (record) => save(record),
  delete: async (record) => deactivateFeatures(record, FEATURE),
};
