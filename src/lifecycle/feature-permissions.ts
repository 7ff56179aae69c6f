/**
 * Which features a number may have, and the refusal of a save that asks for one it may not
 * (providers.md §3–§4.1, FACTS §6.2–§6.3; 4.3 src/providers/knm_providers.erl `list_available_features/1`,
 * `save/1`). Provisioning the allowed features is the providers' work; this is the gate before it.
 */
import { legacyProviderToFeature, NumberManagerConfig } from '../config/number-manager';
import { isJsonObject } from '../documents/json';
import type { NumberRecord } from '../documents/types';
import { FEATURE_LOCAL, isLocalModule } from '../documents/types';
import { KnmError } from '../errors';
import { isAccountId } from './accounts';

/** ?EXTERNAL_NUMBER_FEATURES (include/knm_phone_number.hrl). */
export const EXTERNAL_FEATURES: readonly string[] = ['cnam', 'inbound_cnam', 'outbound_cnam', 'e911', 'port', 'sms', 'mms'];

/** ?FEATURES_ROOT_KEYS: the public keys that request a feature. */
const FEATURES_ROOT_KEYS: ReadonlySet<string> = new Set([
  'cnam',
  'e911',
  'failover',
  'force_outbound',
  'local',
  'port',
  'prepend',
  'carrier_name',
  'ringback',
  'sms',
  'mms',
]);

/** The public keys that request a feature (?FEATURES_ROOT_KEYS without `local`, which nobody requests). */
export const FEATURE_REQUEST_KEYS: readonly string[] = [...FEATURES_ROOT_KEYS].filter((key) => key !== FEATURE_LOCAL);

/** Deprecated: dropped from `pvt_features` before anything else (?DEPRECATED_FEATURES). */
export const DEPRECATED_FEATURES: ReadonlySet<string> = new Set(['im']);

/** knm_im's own `available/1` decides these; a save that asks for them and may not have them just skips them. */
export const SILENTLY_DROPPED_MODULES: ReadonlySet<string> = new Set(['knm_sms', 'knm_mms']);

const FIXED_MODULES: Readonly<Record<string, string>> = {
  prepend: 'knm_prepend',
  port: 'knm_port_notifier',
  failover: 'knm_failover',
  force_outbound: 'knm_force_outbound',
  carrier_name: 'knm_rename_carrier',
  sms: 'knm_sms',
  mms: 'knm_mms',
};
const CNAM_FEATURES: ReadonlySet<string> = new Set(['cnam', 'inbound_cnam', 'outbound_cnam']);

/**
 * The `number_manager` values in force for the number's holder: its reseller's `configs_number_manager`
 * over `system_config` (kapps_account_config:get_from_reseller/3), or `system_config` alone for an
 * unassigned number.
 */
export interface FeaturePolicy {
  /** `features.allow` as configured (the system value is already defaulted: legacy `providers`, then every
   * feature); a reseller's `[]` is kept and allows nothing. */
  readonly allow: readonly string[];
  /** `features.deny`; undefined when set nowhere, which is what turns on the local-number restriction. */
  readonly deny: readonly string[] | undefined;
  readonly localFeatureOverride: boolean;
  readonly cnamProvider: string;
  readonly e911Provider: string;
}

export function featurePolicy(config: NumberManagerConfig): FeaturePolicy {
  return {
    allow: config.features.allow,
    deny: config.features.deny,
    localFeatureOverride: config.local_feature_override,
    cnamProvider: config.cnam_provider,
    e911Provider: config.e911_provider,
  };
}

/** knm_providers:is_local/1 (not the carrier callback): a local module or the `local` feature. */
function isLocalNumber(record: NumberRecord): boolean {
  return isLocalModule(record.moduleName) || FEATURE_LOCAL in record.features;
}

/** `cleanse/1`: legacy provider names to features, sorted, unique. */
function cleanse(names: readonly string[]): string[] {
  return [...new Set(names.map(legacyProviderToFeature))].sort();
}

/** cleanse of a policy's own list, made once per list rather than once per number (an import asks for every row). */
const cleansedPolicyLists = new WeakMap<readonly string[], readonly string[]>();

function cleansePolicyList(names: readonly string[]): readonly string[] {
  let cleansed = cleansedPolicyLists.get(names);
  if (cleansed === undefined) {
    cleansed = cleanse(names);
    cleansedPolicyLists.set(names, cleansed);
  }
  return cleansed;
}

export function allowedFeatures(record: NumberRecord, policy: FeaturePolicy): string[] {
  return record.featuresAllowed.length > 0 ? cleanse(record.featuresAllowed) : [...cleansePolicyList(policy.allow)];
}

export function deniedFeatures(record: NumberRecord, policy: FeaturePolicy, requesterIsAdmin: boolean): string[] {
  const adminOnly = requesterIsAdmin ? [] : ['carrier_name'];
  // A non-empty pvt_features_denied replaces the reseller and used_by parts, failover included (providers.md §3 (A)).
  if (record.featuresDenied.length > 0) return cleanse([...record.featuresDenied, ...adminOnly]);
  return cleanse([...resellerDenied(record, policy), ...usedByDenied(record), ...adminOnly]);
}

function resellerDenied(record: NumberRecord, policy: FeaturePolicy): readonly string[] {
  if (record.assignedTo === undefined) return EXTERNAL_FEATURES;
  // Any features.deny, even [], switches the local restriction off (knm_providers:reseller_denied_features/1).
  if (policy.deny !== undefined) return policy.deny;
  return isLocalNumber(record) && !policy.localFeatureOverride ? EXTERNAL_FEATURES : [];
}

/** Failover is for trunkstore numbers only; as read, also denied when used_by is unset. */
function usedByDenied(record: NumberRecord): readonly string[] {
  return record.usedBy === 'trunkstore' ? [] : ['failover'];
}

/**
 * Allowed minus denied. sms/mms also need knm_im's own availability (carrier config, the account's IM
 * service), which is not decided here: the save gate below ignores them, as Kazoo does.
 */
export function availableFeatures(record: NumberRecord, policy: FeaturePolicy, requesterIsAdmin: boolean): string[] {
  const denied = new Set(deniedFeatures(record, policy, requesterIsAdmin));
  return allowedFeatures(record, policy).filter((feature) => !denied.has(feature));
}

/** Requested = public root keys present plus the features already active, minus `local` and deprecated ones. */
export function requestedFeatures(record: NumberRecord): string[] {
  const fromPublic = Object.keys(record.publicFields).filter((key) => FEATURES_ROOT_KEYS.has(key));
  const active = Object.keys(record.features).filter((name) => !DEPRECATED_FEATURES.has(name));
  return [...new Set([...fromPublic, ...active])].filter((name) => name !== FEATURE_LOCAL).sort();
}

/** knm_gen_provider: a configured provider name gets `knm_` unless it has it (`telnyx_cnam` is `knm_telnyx_cnam`). */
function withKnmPrefix(name: string): string {
  return name.startsWith('knm_') ? name : `knm_${name}`;
}

/**
 * knm_providers:provider_module/2. The CNAM and E911 families go to the configured provider only when the
 * number is held by an account; otherwise, like any unknown name, a feature is its own "module".
 */
export function providerModule(feature: string, record: NumberRecord, policy: FeaturePolicy): string {
  const held = isAccountId(record.assignedTo);
  if (CNAM_FEATURES.has(feature)) return held ? withKnmPrefix(policy.cnamProvider) : feature;
  if (feature === 'e911') return held ? withKnmPrefix(policy.e911Provider) : feature;
  return FIXED_MODULES[feature] ?? feature;
}

/** The provider modules a save runs: those of the requested features, sorted by module name (lists:usort). */
export function requestedModules(record: NumberRecord, policy: FeaturePolicy): string[] {
  return [...new Set(requestedFeatures(record).map((feature) => providerModule(feature, record, policy)))].sort();
}

/**
 * The provider modules of the available features. `offered` is a provider's own `available/1` for the features
 * that have one (sms/mms); absent, every available feature is offered.
 */
export function allowedModules(record: NumberRecord, policy: FeaturePolicy, requesterIsAdmin: boolean, offered: (module: string) => boolean = () => true): Set<string> {
  const modules = availableFeatures(record, policy, requesterIsAdmin).map((feature) => providerModule(feature, record, policy));
  return new Set(modules.filter(offered));
}

/**
 * The gate of knm_providers:save/1: every requested provider must be an available one, or the whole number
 * fails with 403 and nothing is saved. Features already active count as requested, so a number holding a
 * feature that became denied fails every save until the feature is removed (kept as Kazoo does it; so does one
 * holding knm_other's `locality`, which is no known feature, FACTS §6.1).
 */
export function refuseUnavailableFeatures(record: NumberRecord, policy: FeaturePolicy, requesterIsAdmin: boolean, allowed: ReadonlySet<string> = allowedModules(record, policy, requesterIsAdmin)): KnmError | undefined {
  const refused = requestedFeatures(record).filter((feature) => {
    const module = providerModule(feature, record, policy);
    return !allowed.has(module) && !SILENTLY_DROPPED_MODULES.has(module);
  });
  if (refused.length === 0) return undefined;
  return new KnmError('forbidden', 403, 'requestor is unauthorized to perform operation', {
    hint: `${record.number} may not have ${refused.join(', ')}: remove ${refused.length === 1 ? 'it' : 'them'}, or allow ${
      refused.length === 1 ? 'it' : 'them'
    } (pvt_features_allowed/denied, number_manager features.allow/deny, local_feature_override)`,
  });
}

/** knm_phone_number:private_to_public/0: the public paths that request each feature. */
const PUBLIC_PATHS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  e911: [['e911'], ['dash_e911'], ['vitelity_e911'], ['telnyx_e911']],
  cnam: [['cnam', 'inbound_lookup'], ['cnam', 'display_name']],
  inbound_cnam: [['cnam', 'inbound_lookup'], ['cnam', 'display_name']],
  outbound_cnam: [['cnam', 'inbound_lookup'], ['cnam', 'display_name']],
  prepend: [['prepend', 'enabled'], ['prepend', 'name'], ['prepend', 'number']],
  failover: [['failover', 'e164'], ['failover', 'sip']],
  ringback: [['ringback', 'early'], ['ringback', 'transfer']],
  force_outbound: [['force_outbound']],
  sms: [['sms']],
  mms: [['mms']],
};

/**
 * knm_phone_number:remove_denied_features/1 (after a carrier rename): every denied feature leaves
 * `pvt_features` and its public request paths; an object emptied by that goes too (kz_json:delete_key/2 prunes).
 */
export function removeDeniedFeatures(record: NumberRecord, policy: FeaturePolicy, requesterIsAdmin: boolean): NumberRecord {
  const denied = deniedFeatures(record, policy, requesterIsAdmin);
  const features = { ...record.features };
  const publicFields = { ...record.publicFields };
  for (const feature of denied) {
    delete features[feature];
    for (const [key, inner] of PUBLIC_PATHS[feature] ?? []) {
      const value = publicFields[key];
      if (inner === undefined || !isJsonObject(value)) {
        delete publicFields[key];
        continue;
      }
      const { [inner]: _removed, ...rest } = value;
      if (Object.keys(rest).length === 0) delete publicFields[key];
      else publicFields[key] = rest;
    }
  }
  return { ...record, features, publicFields };
}
