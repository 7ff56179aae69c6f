/**
 * knm_port_notifier (providers.md §7.5). Kazoo's module reads the state from the public document, where it
 * never is, so as shipped it does nothing; knm runs the clauses it was written for, because a port request
 * reaching a person is the point of the feature (issue 7):
 * - in port_in: the public `port` becomes `pvt_features.port`, and a new or changed one is a `port_request` notice;
 * - in service with `pvt_features.port` still there (the port completed): a `ported` notice, and the feature goes.
 * Decided from the number as it is (not from the transition) so that the changes pipeline, which sees only
 * documents, and a replay reach the same answer.
 */
import { jsonEqual } from '../documents/kz-json';
import type { NumberRecord } from '../documents/types';
import { activateFeature, deactivateFeatures, requestedValue } from './feature-record';
import { numberNotice } from './notice-fields';
import type { FeatureProvider, ProviderContext } from './provider';

const FEATURE = 'port';

async function save(record: NumberRecord, context: ProviderContext): Promise<NumberRecord> {
  const before = record.features[FEATURE];
  if (record.state === 'port_in') {
    const wanted = requestedValue(record, FEATURE);
    if (wanted === undefined) return deactivateFeatures(record, FEATURE);
    if (jsonEqual(before, wanted)) return record;
    if (!context.dryRun) await context.notify(numberNotice('port_request', record, context, { 'Authorized-By': context.authBy ?? null, Port: wanted }, before ?? null));
    return activateFeature(record, FEATURE, wanted);
  }
  if (record.state === 'in_service' && before !== undefined) {
    if (!context.dryRun) await context.notify(numberNotice('ported', record, context, { Port: before }));
    return deactivateFeatures(record, FEATURE);
  }
  return record;
}

export const knmPortNotifier: FeatureProvider = {
  module: 'knm_port_notifier',
  reachesOutside: true,
  save,
  delete: async (record) => deactivateFeatures(record, FEATURE),
};
