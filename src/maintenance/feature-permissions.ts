/**
 * Feature permissions (maintenance-and-tasks.md §1.7): on a number (pvt_features_allowed / _denied through the
 * normal update as system), on an account's reseller (`configs_number_manager` in the reseller's account database,
 * `features.allow` / `features.deny`), and on `system_config/number_manager` (`default.features.allow`). Names are
 * checked against ?ALL_KNM_FEATURES; note Kazoo's argument order: the feature first.
 */
import { ALL_KNM_FEATURES, readNumberManagerConfig } from '../config/number-manager';
import { isJsonObject, JsonObject } from '../documents/json';
import { KnmError } from '../errors';
import { readAccountDoc, SYSTEM } from '../lifecycle/accounts';
import { LifecycleEnvironment, NumberOutcome, NumberService } from '../lifecycle/service';
import type { NumberUpdate } from '../lifecycle/update';
import { accountDbName, toDbName } from '../numbers/db-names';
import type { Store } from '../store/client';
import type { CouchDoc } from '../store/types';

export type ListName = 'allow' | 'deny';
export type Edit = 'add' | 'remove';

const RESELLER_CONFIG_DOC = 'configs_number_manager';
const SYSTEM_CONFIG_DB = 'system_config';
const NUMBER_MANAGER = 'number_manager';

export function isKnownFeature(feature: string): boolean {
  return (ALL_KNM_FEATURES as readonly string[]).includes(feature);
}

/** `Known features:\n\t<list>` */
export function knownFeaturesLines(): string[] {
  return ['Known features:', `\t${[...ALL_KNM_FEATURES].sort().join(', ')}`];
}

/** `Feature '<f>' is not a known feature.` and the list. */
export function unknownFeatureLines(feature: string): string[] {
  return [`Feature '${feature}' is not a known feature.`, ...knownFeaturesLines()];
}

export interface NumberPermissions {
  readonly number: string;
  readonly allowed: string[];
  readonly denied: string[];
}

export function numberPermissionLines(permissions: NumberPermissions): string[] {
  return [`Feature permissions on ${permissions.number}:`, `\tFeatures allowed: ${permissions.allowed.join(', ')}`, `\tFeatures denied: ${permissions.denied.join(', ')}`];
}

/** feature_permissions_on_number/1. */
export async function featurePermissionsOnNumber(env: LifecycleEnvironment, number: string): Promise<NumberPermissions | NumberOutcome> {
  const [outcome] = await new NumberService(env).get([number], { authBy: SYSTEM });
  if (!outcome.ok) return outcome;
  return permissionsOf(env, outcome.number);
}

/** add_/remove_ allowed_/denied_ feature_on_number/2: the update as system, then the lists as stored. */
export async function editFeatureOnNumber(env: LifecycleEnvironment, edit: Edit, list: ListName, feature: string, number: string): Promise<NumberPermissions | NumberOutcome> {
  if (!isKnownFeature(feature)) throw unknownFeature(feature);
  const update: NumberUpdate =
    list === 'allow' ? (edit === 'add' ? { allowFeatures: [feature] } : { removeAllowedFeatures: [feature] }) : edit === 'add' ? { denyFeatures: [feature] } : { removeDeniedFeatures: [feature] };
  const [outcome] = await new NumberService(env).update([number], { authBy: SYSTEM }, update);
  if (!outcome.ok) return outcome;
  return permissionsOf(env, outcome.number);
}

async function permissionsOf(env: LifecycleEnvironment, number: string): Promise<NumberPermissions> {
  const db = toDbName(number);
  const doc = db === undefined ? null : await env.store.getOrNull(db, number);
  return { number, allowed: stringList(doc?.pvt_features_allowed), denied: stringList(doc?.pvt_features_denied) };
}

export interface ResellerPermissions {
  readonly accountId: string;
  readonly resellerId: string;
  readonly allow: string[];
  readonly deny: string[];
}

export function resellerPermissionLines(permissions: ResellerPermissions): string[] {
  return [
    `Feature permissions on reseller of ${permissions.accountId} (${permissions.resellerId}):`,
    `\tFeatures allowed: ${permissions.allow.join(', ')}`,
    `\tFeatures denied: ${permissions.deny.join(', ')}`,
  ];
}

/** feature_permissions_on_reseller_of/1. */
export async function featurePermissionsOnResellerOf(store: Store, accountId: string): Promise<ResellerPermissions> {
  const resellerId = await resellerOf(store, accountId);
  const doc = await store.getOrNull(accountDbName(resellerId), RESELLER_CONFIG_DOC);
  const features = isJsonObject(doc?.features) ? doc.features : {};
  return { accountId, resellerId, allow: stringList(features.allow), deny: stringList(features.deny) };
}

/** add_/remove_ allowed_/denied_ feature_on_reseller_of/2: the list rewritten sorted and unique (lists:usort). */
export async function editFeatureOnResellerOf(store: Store, edit: Edit, list: ListName, feature: string, accountId: string): Promise<ResellerPermissions> {
  if (!isKnownFeature(feature)) throw unknownFeature(feature);
  const resellerId = await resellerOf(store, accountId);
  const db = accountDbName(resellerId);
  await updateDoc(store, db, RESELLER_CONFIG_DOC, (doc) => {
    const features = isJsonObject(doc.features) ? { ...doc.features } : {};
    features[list] = edited(stringList(features[list]), edit, feature);
    return { ...doc, features };
  });
  return featurePermissionsOnResellerOf(store, accountId);
}

/** feature_permissions_on_system_config/0: knm_providers:system_allowed_features() (the effective list). */
export async function systemAllowedFeatures(store: Store): Promise<string[]> {
  const { config } = readNumberManagerConfig((await store.getOrNull(SYSTEM_CONFIG_DB, NUMBER_MANAGER)) ?? undefined);
  return [...config.features.allow].sort();
}

export function systemPermissionLines(allowed: readonly string[]): string[] {
  return ['Features allowed on system config document:', `\t${allowed.join(', ')}`];
}

/** add_/remove_allowed_feature_on_system_config/1: rewrites `default.features.allow` from the effective list. */
export async function editAllowedFeatureOnSystemConfig(store: Store, edit: Edit, feature: string): Promise<string[]> {
  if (!isKnownFeature(feature)) throw unknownFeature(feature);
  const current = await systemAllowedFeatures(store);
  await setSystemAllowed(store, edited(current, edit, feature));
  return systemAllowedFeatures(store);
}

/** reset_allowed_features_to_defaults_on_system_config/0: every known feature. */
export async function resetAllowedFeaturesOnSystemConfig(store: Store): Promise<string[]> {
  await setSystemAllowed(store, [...ALL_KNM_FEATURES].sort());
  return systemAllowedFeatures(store);
}

/** ensure_adminonly_features_are_reachable/0: `carrier_name` joins features.allow when it is missing; answers what was added. */
export async function ensureAdminOnlyFeaturesAreReachable(store: Store): Promise<string[]> {
  const current = await systemAllowedFeatures(store);
  if (current.includes('carrier_name')) return [];
  await setSystemAllowed(store, ['carrier_name', ...current]);
  return ['carrier_name'];
}

async function setSystemAllowed(store: Store, allow: readonly string[]): Promise<void> {
  await updateDoc(store, SYSTEM_CONFIG_DB, NUMBER_MANAGER, (doc) => {
    const section = isJsonObject(doc.default) ? { ...doc.default } : {};
    const features = isJsonObject(section.features) ? { ...section.features } : {};
    features.allow = [...allow];
    section.features = features;
    return { ...doc, default: section };
  });
}

async function resellerOf(store: Store, accountId: string): Promise<string> {
  const account = readAccountDoc(await store.getOrNull('accounts', accountId));
  if (account === undefined) throw new KnmError('not_found', 404, `account ${accountId} not found`, { cause: accountId, hint: 'give the id of an account in the accounts database' });
  return account.resellerId ?? account.tree[0] ?? account.id;
}

/** Read, change, write under MVCC; a conflict is read and changed again. */
async function updateDoc(store: Store, db: string, id: string, change: (doc: JsonObject & { _id: string }) => JsonObject): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const current = await store.getOrNull(db, id);
    const base = (current ?? { _id: id }) as JsonObject & { _id: string };
    try {
      await store.put(db, { ...change(base), _id: id } as CouchDoc);
      return;
    } catch (error) {
      if (!(error instanceof KnmError && error.error === 'conflict') || attempt >= 5) throw error;
    }
  }
}

function edited(list: readonly string[], edit: Edit, feature: string): string[] {
  const next = edit === 'add' ? [...list, feature] : list.filter((name) => name !== feature);
  return [...new Set(next)].sort();
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function unknownFeature(feature: string): KnmError {
  return new KnmError('invalid', 400, `Feature '${feature}' is not a known feature.`, { hint: `known features: ${[...ALL_KNM_FEATURES].sort().join(', ')}` });
}
