/**
 * Per-account number_manager values from `configs_number_manager` documents in account databases
 * (keys at the document's top level). 4.3 core/kazoo_apps/src/kapps_account_config.erl:
 * `get_global` = account → reseller → system, used for `e164_converters` and `reconcile_regex`;
 * `get_from_reseller` = reseller → system, used for `features.allow/deny`, `cnam_provider`,
 * `e911_provider`. A value set at account or reseller level wins even when empty (`[]`).
 */
import { isJsonObject, JsonObject, JsonValue } from '../documents/json';
import { legacyProviderToFeature, NumberManagerConfig, readConverters } from './number-manager';
import { ConfigProblem } from './problem';
import { readString, readStringList } from './values';

export interface AccountConfigResult {
  config: NumberManagerConfig;
  problems: ConfigProblem[];
}

export function withAccountOverrides(system: NumberManagerConfig, resellerDoc?: unknown, accountDoc?: unknown): AccountConfigResult {
  const problems: ConfigProblem[] = [];
  const reseller = accountConfig(resellerDoc, 'reseller', problems);
  const account = accountConfig(accountDoc, 'account', problems);
  const config: NumberManagerConfig = { ...system, features: { ...system.features } };

  const global = (key: string): { value: JsonValue; where: string } | undefined => {
    for (const [where, doc] of [['account', account], ['reseller', reseller]] as const) {
      const value = doc?.[key];
      if (value !== undefined && value !== null) return { value, where };
    }
    return undefined;
  };
  const converters = global('e164_converters');
  if (converters !== undefined) {
    config.e164_converters = readConverters(`${converters.where}.e164_converters`, converters.value, system.e164_converters, problems);
  }
  const reconcile = global('reconcile_regex');
  if (reconcile !== undefined) {
    config.reconcile_regex = readString(`${reconcile.where}.reconcile_regex`, reconcile.value, system.reconcile_regex, problems);
  }

  for (const key of ['cnam_provider', 'e911_provider'] as const) {
    const value = reseller?.[key];
    if (value !== undefined && value !== null) config[key] = readString(`reseller.${key}`, value, system[key], problems);
  }
  const features = reseller?.features;
  if (isJsonObject(features)) {
    const allow = features.allow;
    if (allow !== undefined && allow !== null) {
      config.features.allow = readStringList('reseller.features.allow', allow, system.features.allow, problems).map(legacyProviderToFeature);
    }
    const deny = features.deny;
    if (deny !== undefined && deny !== null) {
      const fallback = system.features.deny ?? [];
      config.features.deny = readStringList('reseller.features.deny', deny, fallback, problems).map(legacyProviderToFeature);
    }
  } else if (features !== undefined && features !== null) {
    problems.push({ key: 'reseller.features', reason: 'expected an object with allow/deny lists; ignored' });
  }
  return { config, problems };
}

function accountConfig(doc: unknown, name: string, problems: ConfigProblem[]): JsonObject | undefined {
  if (doc === undefined || doc === null) return undefined;
  if (isJsonObject(doc)) return doc;
  problems.push({ key: name, reason: 'the configs_number_manager document is not a JSON object; ignored' });
  return undefined;
}
