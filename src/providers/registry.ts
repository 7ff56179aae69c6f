/**
 * The feature providers knm has, by Kazoo module name. Which module serves which feature is
 * knm_providers:provider_module/2 (lifecycle/feature-permissions.ts `providerModule`); a module not listed here
 * is skipped, as Kazoo skips one that does not load (`ringback` has none, as in Kazoo). One line per provider.
 */
import { knmCnamNotifier } from './cnam-notifier';
import { dashE911Provider } from './dash-e911';
import { knmFailover } from './failover';
import { knmForceOutbound } from './force-outbound';
import { knmMms, knmSms } from './im';
import { knmPortNotifier } from './port-notifier';
import { knmPrepend } from './prepend';
import type { FeatureProvider } from './provider';
import { knmRenameCarrier } from './rename-carrier';
import { telnyxCnamProvider } from './telnyx-cnam';
import { telnyxE911Provider } from './telnyx-e911';
import { vitelityCnamProvider } from './vitelity-cnam';
import { vitelityE911Provider } from './vitelity-e911';

export const PROVIDERS: readonly FeatureProvider[] = [
  knmCnamNotifier,
  dashE911Provider,
  knmFailover,
  knmForceOutbound,
  knmMms,
  knmPortNotifier,
  knmPrepend,
  knmRenameCarrier,
  knmSms,
  telnyxCnamProvider,
  telnyxE911Provider,
  vitelityCnamProvider,
  vitelityE911Provider,
];

const BY_MODULE: ReadonlyMap<string, FeatureProvider> = new Map(PROVIDERS.map((provider) => [provider.module, provider]));

export function providerFor(module: string): FeatureProvider | undefined {
  return BY_MODULE.get(module);
}
