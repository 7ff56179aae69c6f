/**
 * What a number document asks of knm, decided from the document as it is now, what the pipeline last saw
 * of that number, and the configuration (pure: no I/O, no clock). Level-triggered: replaying a change, a
 * restart or a change seen twice decide the same thing again, and the one-time effects are guarded by the
 * marker their result leaves on the document (`pvt_carrier_data.knm_acquired`, read by `needsAcquire`).
 *
 * The "last seen" record of a number is kept only while it matters: while the number is in `discovery`
 * (leaving it is what triggers acquisition) or while it has features (a change of them runs the providers, and
 * a deletion their delete). Every other number has none, so following a busy database writes almost nothing of
 * its own; and what is kept of the features is a digest, not the features.
 */
import { createHash } from 'node:crypto';
import type { TasksConfig } from '../config/tasks';
import type { JsonObject, JsonValue } from '../documents/json';
import { isJsonObject } from '../documents/json';
import { canonicalJson } from '../documents/kz-json';
import { FEATURE_LOCAL, type NumberRecord, type NumberState } from '../documents/types';
import { ACQUIRED_MARKER } from '../lifecycle/acquisition';
import { FEATURE_REQUEST_KEYS } from '../lifecycle/feature-permissions';
import { isAccountId } from '../lifecycle/accounts';
export { ACQUIRE_FAILURE_MARKER, ACQUIRED_MARKER, acquiredNumber, refusedAcquisition } from '../lifecycle/acquisition';

/** What the pipeline remembers of one number between changes (durable, see state-store.ts). */
export interface SeenNumber {
  readonly state: NumberState | undefined;
  /** The revision it was seen at. */
  readonly rev: string;
  /** Digest of the feature requests and active features as last seen (featuresDigest); absent when there were none. */
  readonly features?: string;
}

/** Field of `pvt_carrier_data` (kept verbatim by Kazoo) where a provider's refusal is left for the writer to read. */
export const PROVIDER_FAILURE_MARKER = 'knm_provider_failure';

export type Action =
  /** Buy the number from its carrier: it left `discovery` (seen at `fromRev`) for reserved or in_service. */
  | { readonly kind: 'acquire'; readonly fromRev: string }
  /** Run Kazoo's release on a number written into `released` that still has a holder, history or features. */
  | { readonly kind: 'release' }
  /** Run knm_providers:save on the number as it is: its features were asked for or changed since last seen. */
  | { readonly kind: 'providers' }
  /** The number was deleted: the providers' delete on its last seen revision `rev` (admin hard delete semantics). */
  | { readonly kind: 'providers_delete'; readonly rev: string }
  /** Make the holder's account-database copy equal the number document, and drop the previous holder's. */
  | { readonly kind: 'sync_account_copy' }
  /** The number document is gone: so are these accounts' copies of it. */
  | { readonly kind: 'remove_account_copies'; readonly accounts: readonly string[] };


const HELD_STATES: ReadonlySet<NumberState | undefined> = new Set<NumberState | undefined>(['reserved', 'in_service']);

/**
 * The actions a document asks for. A document-changing action (acquire, release) comes alone: the providers
 * and the account copy follow the document knm writes, when its own change comes back. So does the account
 * copy after providers that changed the number.
 */
export function reconcile(record: NumberRecord, seen: SeenNumber | undefined): Action[] {
  if (needsAcquire(record, seen)) return [{ kind: 'acquire', fromRev: seen?.rev ?? '' }];
  if (needsRelease(record)) return [{ kind: 'release' }];
  const actions: Action[] = needsProviders(record, seen) ? [{ kind: 'providers' }] : [];
  if (record.assignedTo !== undefined || (record.previouslyAssignedTo !== undefined && record.previouslyAssignedTo !== record.assignedTo)) {
    actions.push({ kind: 'sync_account_copy' });
  }
  return actions;
}

/**
 * The document was deleted: a number last seen with features gets its providers' delete, and the copies of its
 * holder and previous holder go with it, as knm_ops:delete/2 removes them. `before` is the document as it last
 * was, when a revision of it is left to read.
 */
export function reconcileDeleted(seen: SeenNumber | undefined, before?: Readonly<Record<string, unknown>>): Action[] {
  const actions: Action[] = seen?.features !== undefined ? [{ kind: 'providers_delete', rev: seen.rev }] : [];
  const accounts = [...new Set([before?.pvt_assigned_to, before?.pvt_previously_assigned_to].filter(isAccountId))];
  if (accounts.length > 0) actions.push({ kind: 'remove_account_copies', accounts });
  return actions;
}

/** States whose saves run no provider: Kazoo never saves a discovery number through knm_ops, nor a deleted one. */
const NO_PROVIDER_STATES: ReadonlySet<NumberState | undefined> = new Set<NumberState | undefined>(['discovery', 'deleted']);

/**
 * The number's features are not as the pipeline last saw them (a tool wrote a request, or the features
 * changed): run the providers, as Kazoo's save would. A number Kazoo saved, whose providers already ran,
 * comes out of them unchanged and is not written. A refusal already recorded for these very features is not
 * tried again until they change.
 */
export function needsProviders(record: NumberRecord, seen: SeenNumber | undefined): boolean {
  if (NO_PROVIDER_STATES.has(record.state)) return false;
  const digest = featuresDigest(record);
  if (digest === undefined || digest === seen?.features) return false;
  if (seen === undefined && !hasUnprovisionedRequest(record)) return false;
  const failure = record.carrierData[PROVIDER_FAILURE_MARKER];
  return !(isJsonObject(failure) && failure.features === digest);
}

/** The `pvt_features` that record a public request as provisioned (knm_providers' save writes them). */
const PROVISIONED_AS: Readonly<Record<string, readonly string[]>> = {
  cnam: ['inbound_cnam', 'outbound_cnam', 'cnam'],
};

/**
 * A number knm has never seen (its first start over an existing cluster, or a database new to it) gets its
 * providers only for a request no feature records yet (a tool wrote it): one whose feature is active was saved
 * by Kazoo, whose providers already ran. Running them again would re-send every Vitelity E911 and inbound CNAM
 * registration (their saves call on every save, providers.md §8.2) and write refusals of features denied since,
 * on documents nobody touched.
 */
function hasUnprovisionedRequest(record: NumberRecord): boolean {
  return FEATURE_REQUEST_KEYS.some((key) => {
    if (record.publicFields[key] === undefined || key === 'ringback') return false;
    return !(PROVISIONED_AS[key] ?? [key]).some((feature) => feature in record.features);
  });
}

/** The refusal of the providers left on the number for the writer (once per change of its features). */
export function refusedProviders(record: NumberRecord, failure: JsonObject, now: number): NumberRecord {
  const marker = { ...failure, at: now, rev: record.rev ?? null, features: featuresDigest(record) ?? null };
  return { ...record, carrierData: { ...record.carrierData, [PROVIDER_FAILURE_MARKER]: marker } };
}

/** The number without an earlier refusal of its providers (they have now accepted it). */
export function withoutProviderFailure(record: NumberRecord): NumberRecord {
  if (!(PROVIDER_FAILURE_MARKER in record.carrierData)) return record;
  const { [PROVIDER_FAILURE_MARKER]: _failure, ...carrierData } = record.carrierData;
  return { ...record, carrierData };
}

/**
 * Left `discovery` for a held state since last seen, and no acquisition recorded for that exit. The marker
 * names the revision the number was seen in `discovery` at, so a number that goes back to discovery and
 * leaves it again is bought again, and a replay of the same exit is not.
 */
export function needsAcquire(record: NumberRecord, seen: SeenNumber | undefined): boolean {
  if (seen?.state !== 'discovery' || !HELD_STATES.has(record.state)) return false;
  const marker = record.carrierData[ACQUIRED_MARKER];
  return !(isJsonObject(marker) && marker.from_rev === seen.rev);
}

/**
 * `released` with something still to take away. What knm_ops:release/2 leaves behind (unassigned, empty
 * history, no features but `local`) is a fixed point, so a `released_state: released` result is not released again.
 */
export function needsRelease(record: NumberRecord): boolean {
  if (record.state !== 'released') return false;
  const features = Object.keys(record.features).filter((name) => name !== FEATURE_LOCAL);
  return record.assignedTo !== undefined || record.reserveHistory.length > 0 || features.length > 0;
}

/** Each feature the document requests (public key) or has active (`pvt_features`), `local` aside. */
export function featureViews(record: NumberRecord): JsonObject {
  const views: Record<string, { requested?: JsonValue; active?: JsonValue }> = {};
  for (const key of FEATURE_REQUEST_KEYS) {
    const requested = record.publicFields[key];
    if (requested !== undefined) views[key] = { requested };
  }
  for (const [name, active] of Object.entries(record.features)) {
    if (name === FEATURE_LOCAL) continue;
    views[name] = { ...views[name], active };
  }
  return views as JsonObject;
}

/** A short digest of featureViews, undefined when the number has no feature at all. */
export function featuresDigest(record: NumberRecord): string | undefined {
  const views = featureViews(record);
  if (Object.keys(views).length === 0) return undefined;
  return createHash('sha1').update(canonicalJson(views)).digest('base64url').slice(0, 16);
}

/**
 * What to remember of the number at `rev`: only a number in `discovery` or with features has a record.
 * `features` defaults to the document's digest; a caller that wrote the document before its providers ran
 * passes the digest they last ran on, so that they run when the written document comes back.
 */
export function rememberNumber(record: NumberRecord, rev: string, features: string | undefined = featuresDigest(record)): SeenNumber | undefined {
  if (record.state !== 'discovery' && features === undefined) return undefined;
  return features === undefined ? { state: record.state, rev } : { state: record.state, rev, features };
}

export type PurgeDecision = 'delete' | 'make_available' | 'keep';

/**
 * The tasks crawler's rule (kt_number_crawler, FACTS §4.8): `deleted` goes at once, `discovery` once
 * `pvt_modified + discovery_expiry_d` days have passed, `aging` becomes `available` after `aging_expiry_d`.
 */
export function purgeDecision(record: Pick<NumberRecord, 'state' | 'modified'>, tasks: Pick<TasksConfig, 'discovery_expiry_d' | 'aging_expiry_d'>, now: number): PurgeDecision {
  if (record.state === 'deleted') return 'delete';
  if (record.state === 'discovery' && record.modified + tasks.discovery_expiry_d * 86_400 < now) return 'delete';
  if (record.state === 'aging' && record.modified + tasks.aging_expiry_d * 86_400 < now) return 'make_available';
  return 'keep';
}
