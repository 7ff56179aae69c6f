/**
 * knm_cnam_notifier, the default CNAM provider (providers.md §7.6): no carrier API, so a new outbound caller
 * name reaches people as a `cnam_request` notice. In reserved, in_service and port_in: `cnam.display_name`
 * becomes `pvt_features.outbound_cnam`, `cnam.inbound_lookup: true` becomes `pvt_features.inbound_cnam`;
 * legacy `pvt_features.cnam` always goes. Other states are left as they are.
 */
import { isJsonObject, type JsonValue } from '../documents/json';
import { jsonEqual } from '../documents/kz-json';
import type { NumberRecord } from '../documents/types';
import { activateFeature, deactivateFeatures, isProvisionedState, isTrue } from './feature-record';
import { numberNotice } from './notice-fields';
import type { FeatureProvider, ProviderContext } from './provider';

const OUTBOUND = 'outbound_cnam';
const INBOUND = 'inbound_cnam';
const LEGACY = 'cnam';

function cnamRequest(record: NumberRecord, key: string): JsonValue | undefined {
  const cnam = record.publicFields.cnam;
  return isJsonObject(cnam) ? cnam[key] : undefined;
}

async function saveOutbound(record: NumberRecord, context: ProviderContext): Promise<NumberRecord> {
  const name = cnamRequest(record, 'display_name');
  if (name === undefined || name === null || name === '') return deactivateFeatures(record, OUTBOUND);
  const before = record.features[OUTBOUND];
  if (isJsonObject(before) && jsonEqual(before.display_name, name)) return record;
  const feature = { display_name: name };
  if (!context.dryRun) await context.notify(numberNotice('cnam_request', record, context, { 'Acquired-For': context.authBy ?? null, Cnam: feature }, before ?? null));
  return activateFeature(record, OUTBOUND, feature);
}

function saveInbound(record: NumberRecord): NumberRecord {
  if (isTrue(cnamRequest(record, 'inbound_lookup'))) return activateFeature(record, INBOUND, { inbound_lookup: true });
  return deactivateFeatures(record, INBOUND, 'inbound_lookup');
}

async function save(record: NumberRecord, context: ProviderContext): Promise<NumberRecord> {
  if (!isProvisionedState(record.state)) return record;
  return deactivateFeatures(saveInbound(await saveOutbound(record, context)), LEGACY);
}

export const knmCnamNotifier: FeatureProvider = {
  module: 'knm_cnam_notifier',
  reachesOutside: true,
  save,
  delete: async (record) => deactivateFeatures(record, INBOUND, OUTBOUND, LEGACY),
};
