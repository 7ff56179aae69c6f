/**
 * knm_providers:save/1 and delete/1 (providers.md §4): which providers run on a number, in which order, and
 * the 403 for a feature the number may not have. The allow/deny rules are lifecycle/feature-permissions.ts;
 * each provider's own work is its file in this folder.
 */
import type { JsonObject } from '../documents/json';
import { isEmptyJson } from '../documents/kz-json';
import type { PublicFeatures } from '../documents/public';
import type { NumberRecord } from '../documents/types';
import type { KnmError } from '../errors';
import {
  allowedModules,
  availableFeatures,
  DEPRECATED_FEATURES,
  featurePolicy,
  type FeaturePolicy,
  providerModule,
  refuseUnavailableFeatures,
  removeDeniedFeatures,
  requestedFeatures,
  requestedModules,
} from '../lifecycle/feature-permissions';
import { deactivateFeatures } from './feature-record';
import type { FeatureProvider, ProviderContext } from './provider';
import { providerFor } from './registry';

export type ProviderLookup = (module: string) => FeatureProvider | undefined;

const RENAME_CARRIER = 'knm_rename_carrier';

interface Plan {
  readonly requested: readonly string[];
  readonly allowed: ReadonlySet<string>;
}

/**
 * knm_gen_provider:available/2 for sms/mms: a module that does not load is not offered; one without
 * `available/1` is.
 */
function offeredBy(providers: ProviderLookup, record: NumberRecord, context: ProviderContext): (module: string) => boolean {
  return (module) => {
    if (module !== 'knm_sms' && module !== 'knm_mms') return true;
    const provider = providers(module);
    return provider !== undefined && (provider.available?.(record, context) ?? true);
  };
}

function plan(record: NumberRecord, policy: FeaturePolicy, context: ProviderContext, providers: ProviderLookup): Plan {
  const requested = requestedModules(record, policy);
  // nothing requested, nothing to allow: most numbers of an import, whose rules need not run
  return { requested, allowed: requested.length === 0 ? new Set() : allowedModules(record, policy, context.isAdmin, offeredBy(providers, record, context)) };
}

/**
 * knm_providers:save/1: `im` dropped; a carrier rename first, then the features the new carrier may not have
 * pruned; any other requested feature that is not available fails the number with 403 (sms/mms are skipped
 * instead); then each requested provider's save in module-name order. Throws what a provider throws.
 */
export async function saveFeatures(record: NumberRecord, context: ProviderContext, providers: ProviderLookup = providerFor): Promise<NumberRecord> {
  const policy = featurePolicy(context.config);
  let current = deactivateFeatures(record, ...DEPRECATED_FEATURES);
  let planned = plan(current, policy, context, providers);
  if (planned.requested.includes(RENAME_CARRIER) && planned.allowed.has(RENAME_CARRIER)) {
    const renamer = providers(RENAME_CARRIER);
    if (renamer !== undefined) current = await attributed(RENAME_CARRIER, () => renamer.save(current, context));
    current = removeDeniedFeatures(current, policy, context.isAdmin);
    planned = plan(current, policy, context, providers);
  }
  const refusal = refuseUnavailableFeatures(current, policy, context.isAdmin, planned.allowed);
  if (refusal !== undefined) throw refusal;
  for (const module of planned.requested) {
    const provider = planned.allowed.has(module) ? providers(module) : undefined;
    if (provider !== undefined) current = await attributed(module, () => provider.save(current, context));
  }
  return current;
}

/**
 * Whether saveFeatures would give `record` back as it is without running a provider: no feature requested or
 * active (the `local` marker aside), none deprecated to drop. Most numbers of an import, which then need no
 * providers' context at all.
 */
export function runsNoProvider(record: NumberRecord): boolean {
  return requestedFeatures(record).length === 0 && !Object.keys(record.features).some((name) => DEPRECATED_FEATURES.has(name));
}

/**
 * Whether saveFeatures may run a provider that acts beyond the document (a carrier's API, a notice). Errs towards
 * yes: any requested provider counts, allowed or not, and so does a carrier rename, after which other providers
 * may serve the features.
 */
export function mayReachOutside(record: NumberRecord, context: ProviderContext, providers: ProviderLookup = providerFor): boolean {
  const requested = requestedModules(deactivateFeatures(record, ...DEPRECATED_FEATURES), featurePolicy(context.config));
  return requested.some((module) => module === RENAME_CARRIER || providers(module)?.reachesOutside === true);
}

/** Which provider module threw an error, for the record of a refusal. */
const FAILED_MODULE = new WeakMap<object, string>();

export function failedModule(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? FAILED_MODULE.get(error) : undefined;
}

async function attributed(module: string, run: () => Promise<NumberRecord>): Promise<NumberRecord> {
  try {
    return await run();
  } catch (error) {
    if (typeof error === 'object' && error !== null && !FAILED_MODULE.has(error)) FAILED_MODULE.set(error, module);
    throw error;
  }
}

/** knm_providers:delete/1: every requested provider's delete, no permission check. */
export async function deleteFeatures(record: NumberRecord, context: ProviderContext, providers: ProviderLookup = providerFor): Promise<NumberRecord> {
  let current = record;
  for (const module of requestedModules(record, featurePolicy(context.config))) {
    const provider = providers(module);
    if (provider !== undefined) current = await attributed(module, () => provider.delete(current, context));
  }
  return current;
}

/** The 403 of saveFeatures without running any provider: a save that will be refused is refused before a carrier is paid. */
export function featureRefusal(record: NumberRecord, context: ProviderContext, providers: ProviderLookup = providerFor): KnmError | undefined {
  const policy = featurePolicy(context.config);
  const current = deactivateFeatures(record, ...DEPRECATED_FEATURES);
  const planned = plan(current, policy, context, providers);
  // A carrier rename changes what the number may have: only the full save can tell.
  if (planned.requested.includes(RENAME_CARRIER) && planned.allowed.has(RENAME_CARRIER)) return undefined;
  return refuseUnavailableFeatures(current, policy, context.isAdmin, planned.allowed);
}

/**
 * What knm_phone_number:to_public_json/1 shows under `_read_only.features`: the features the number may have
 * (sms/mms only where their provider offers them) and the non-empty settings of their providers.
 */
export function publicFeatures(record: NumberRecord, context: ProviderContext, providers: ProviderLookup = providerFor): PublicFeatures {
  const policy = featurePolicy(context.config);
  const offered = offeredBy(providers, record, context);
  const available = availableFeatures(record, policy, context.isAdmin).filter((feature) => offered(providerModule(feature, record, policy)));
  const settings: JsonObject = {};
  for (const feature of available) {
    const shown = providers(providerModule(feature, record, policy))?.settings?.(record, context);
    if (shown !== undefined && !isEmptyJson(shown)) settings[feature] = shown;
  }
  return { available, settings };
}
