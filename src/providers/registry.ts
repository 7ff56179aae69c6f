/**
 * Which provider module serves which feature (4.3 `knm_providers:provider_module/2`, providers.md §2) and the
 * providers knm has. None is registered yet: the external providers (e911, cnam, port notices) come with the
 * carriers work, each as its own file listed in PROVIDERS. Until then a feature change reaches no provider
 * and the pipeline counts it as such.
 */
import type { NumberManagerConfig } from '../config/number-manager';
import type { FeatureProvider } from './provider';

const PROVIDERS: readonly FeatureProvider[] = [];

const BY_MODULE: ReadonlyMap<string, FeatureProvider> = new Map(PROVIDERS.map((provider) => [provider.module, provider]));

export function providerFor(module: string): FeatureProvider | undefined {
  return BY_MODULE.get(module);
}

/** The public keys that request a feature (`?FEATURES_ROOT_KEYS` without `local`, providers.md §2). */
export const REQUESTED_FEATURE_KEYS: readonly string[] = ['cnam', 'e911', 'failover', 'force_outbound', 'port', 'prepend', 'carrier_name', 'ringback', 'sms', 'mms'];

/**
 * The module Kazoo calls for a feature: the configured e911 and cnam providers, `knm_port_notifier` for port,
 * `knm_rename_carrier` for carrier_name, else `knm_<feature>` (`knm_gen_provider` prefixes `knm_` unless present).
 */
export function providerModule(feature: string, config: Pick<NumberManagerConfig, 'e911_provider' | 'cnam_provider'>): string {
  const withPrefix = (name: string): string => (name.startsWith('knm_') ? name : `knm_${name}`);
  switch (feature) {
    case 'e911':
      return withPrefix(config.e911_provider);
    case 'cnam':
    case 'inbound_cnam':
    case 'outbound_cnam':
      return withPrefix(config.cnam_provider);
    case 'port':
      return 'knm_port_notifier';
    case 'carrier_name':
      return 'knm_rename_carrier';
    case 'sms':
    case 'mms':
      return `knm_${feature}`;
    default:
      return withPrefix(feature);
  }
}
