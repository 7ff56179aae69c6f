/**
 * knm_sms and knm_mms, one implementation as Kazoo's knm_im (providers.md §7.9): in service, an enabled public
 * `sms`/`mms` object becomes the feature; disabled or empty removes it, as does any other state. Offered only
 * to an assigned number in service whose carrier's `number_manager.<carrier>` config has
 * `features.<type>.enabled`; a carrier that activates by hand (`activation: "manual"` with
 * `activation_notify_to`) is sent a `number_feature_manual_action` notice.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../documents/json';
import { jsonEqual } from '../documents/kz-json';
import type { NumberRecord } from '../documents/types';
import { activateFeature, deactivateFeatures, inStates, isTrue, requestedValue } from './feature-record';
import type { FeatureProvider, ProviderContext } from './provider';

type ImType = 'sms' | 'mms';

/** `features.<type>` of the number's carrier config (knm_gen_carrier:configuration/1). */
function carrierFeatureConfig(record: NumberRecord, type: ImType, context: ProviderContext): JsonObject {
  const features = context.settings(record.moduleName.replace(/^knm_/, '')).features;
  const config: JsonValue | undefined = isJsonObject(features) ? features[type] : undefined;
  return isJsonObject(config) ? config : {};
}

async function tellManualActivation(record: NumberRecord, type: ImType, action: 'activate' | 'deactivate', context: ProviderContext): Promise<void> {
  const config = carrierFeatureConfig(record, type, context);
  const to = config.activation_notify_to;
  if (context.dryRun || config.activation !== 'manual' || to === undefined || to === null) return;
  await context.notify({
    kind: 'number_feature_manual_action',
    number: record.number,
    accountId: record.assignedTo,
    payload: {
      'Account-ID': record.assignedTo ?? null,
      Number: record.number,
      Feature: { Name: type, Provider: `knm_${type}`, Action: action },
      To: { type: 'original', email_addresses: to },
    },
    supersedes: record.features[type] ?? null,
  });
}

function imProvider(type: ImType): FeatureProvider {
  async function change(record: NumberRecord, next: NumberRecord, context: ProviderContext): Promise<NumberRecord> {
    if (next === record) return record;
    await tellManualActivation(next, type, type in next.features ? 'activate' : 'deactivate', context);
    return next;
  }
  return {
    module: `knm_${type}`,
    reachesOutside: true,
    async save(record, context) {
      const wanted = requestedValue(record, type);
      if (!inStates(record, ['in_service']) || wanted === undefined) return change(record, deactivateFeatures(record, type), context);
      if (jsonEqual(record.features[type], wanted)) return record;
      const enabled = isJsonObject(wanted) && isTrue(wanted.enabled);
      return change(record, enabled ? activateFeature(record, type, wanted) : deactivateFeatures(record, type), context);
    },
    delete: async (record) => deactivateFeatures(record, type),
    // Kazoo also asks kz_services_im whether the account's plan has IM; knm keeps no service plans.
    available: (record, context) => record.state === 'in_service' && record.assignedTo !== undefined && isTrue(carrierFeatureConfig(record, type, context).enabled),
    settings: (record, context) => {
      const config = carrierFeatureConfig(record, type, context);
      return { enabled: isTrue(config.enabled), activation: typeof config.activation === 'string' ? config.activation : 'auto' };
    },
  };
}

export const knmSms: FeatureProvider = imProvider('sms');
export const knmMms: FeatureProvider = imProvider('mms');
