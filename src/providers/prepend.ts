/**
 * knm_prepend (providers.md §7.1): in service, an enabled public `prepend` becomes `pvt_features.prepend`
 * (the hunt returns its `name`); anything else, or any other state, removes it.
 */
import { isJsonObject } from '../documents/json';
import type { NumberRecord } from '../documents/types';
import { activateFeature, deactivateFeatures, inStates, isTrue, requestedValue } from './feature-record';
import type { FeatureProvider } from './provider';

const FEATURE = 'prepend';

function save(record: NumberRecord): NumberRecord {
  if (!inStates(record, ['in_service'])) return deactivateFeatures(record, FEATURE);
  const wanted = requestedValue(record, FEATURE);
  if (wanted === undefined) return deactivateFeatures(record, FEATURE);
  return isJsonObject(wanted) && isTrue(wanted.enabled) ? activateFeature(record, FEATURE, wanted) : deactivateFeatures(record, FEATURE);
}

export const knmPrepend: FeatureProvider = {
  module: 'knm_prepend',
  reachesOutside: false,
  save: async (record) => save(record),
  delete: async (record) => deactivateFeatures(record, FEATURE),
};
