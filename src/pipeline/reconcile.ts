/**
 * What a number document asks of knm, decided from the document as it is now, what the pipeline last saw
 * of that number, and the configuration (pure: no I/O, no clock). Level-triggered: replaying a change, a
 * restart or a change seen twice decide the same thing again, and the one-time effects are guarded by the
 * marker their result leaves on the document (`pvt_carrier_data.knm_acquired`, read by `needsAcquire`).
 *
 * The "last seen" record of a number is kept only while it matters: while the number is in `discovery`
 * (leaving it is what triggers acquisition) or while it has features (a change of them is told to their
 * provider). Every other number has none, so following a busy database writes almost nothing of its own.
 */
import type { TasksConfig } from '../config/tasks';
import type { JsonValue } from '../documents/json';
import { isJsonObject } from '../documents/json';
import { jsonEqual } from '../documents/kz-json';
import { FEATURE_LOCAL, type NumberRecord, type NumberState } from '../documents/types';
import type { FeatureView } from '../providers/provider';
import { REQUESTED_FEATURE_KEYS } from '../providers/registry';
import { ACQUIRED_MARKER } from '../lifecycle/acquisition';
import { isAccountId } from '../lifecycle/accounts';
export { ACQUIRE_FAILURE_MARKER, ACQUIRED_MARKER, acquiredNumber, refusedAcquisition } from '../lifecycle/acquisition';

/** What the pipeline remembers of one number between changes (durable, see state-store.ts). */
export interface SeenNumber {
  readonly state: NumberState | undefined;
  /** The revision it was seen at. */
  readonly rev: string;
  /** Feature name → how the document held it. */
  readonly features: Readonly<Record<string, FeatureView>>;
}

export type Action =
  /** Buy the number from its carrier: it left `discovery` (seen at `fromRev`) for reserved or in_service. */
  | { readonly kind: 'acquire'; readonly fromRev: string }
  /** Run Kazoo's release on a number written into `released` that still has a holder, history or features. */
  | { readonly kind: 'release' }
  /** Tell the feature's provider. */
  | { readonly kind: 'notify'; readonly feature: string; readonly before: FeatureView | undefined; readonly after: FeatureView | undefined }
  /** Make the holder's account-database copy equal the number document, and drop the previous holder's. */
  | { readonly kind: 'sync_account_copy' }
  /** The number document is gone: so are these accounts' copies of it. */
  | { readonly kind: 'remove_account_copies'; readonly accounts: readonly string[] };


const HELD_STATES: ReadonlySet<NumberState | undefined> = new Set<NumberState | undefined>(['reserved', 'in_service']);

/**
 * The actions a document asks for. A document-changing action (acquire, release) comes alone: provider
 * notices and the account copy follow the document knm writes, when its own change comes back.
 */
export function reconcile(record: NumberRecord, seen: SeenNumber | undefined): Action[] {
  if (needsAcquire(record, seen)) return [{ kind: 'acquire', fromRev: seen?.rev ?? '' }];
  if (needsRelease(record)) return [{ kind: 'release' }];
  const actions: Action[] = featureNotices(seen?.features ?? {}, featureViews(record));
  if (record.assignedTo !== undefined || (record.previouslyAssignedTo !== undefined && record.previouslyAssignedTo !== record.assignedTo)) {
    actions.push({ kind: 'sync_account_copy' });
  }
  return actions;
}

/**
 * The document was deleted: its features are gone (the providers are told), and the copies of its holder and
 * previous holder go with it, as knm_ops:delete/2 removes them. `before` is the document as it last was, when
 * a revision of it is left to read.
 */
export function reconcileDeleted(seen: SeenNumber | undefined, before?: Readonly<Record<string, unknown>>): Action[] {
  const actions = featureNotices(seen?.features ?? {}, {});
  const accounts = [...new Set([before?.pvt_assigned_to, before?.pvt_previously_assigned_to].filter(isAccountId))];
  if (accounts.length > 0) actions.push({ kind: 'remove_account_copies', accounts });
  return actions;
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
export function featureViews(record: NumberRecord): Record<string, FeatureView> {
  const views: Record<string, { requested?: JsonValue; active?: JsonValue }> = {};
  for (const key of REQUESTED_FEATURE_KEYS) {
    const requested = record.publicFields[key];
    if (requested !== undefined) views[key] = { requested };
  }
  for (const [name, active] of Object.entries(record.features)) {
    if (name === FEATURE_LOCAL) continue;
    views[name] = { ...views[name], active };
  }
  return views;
}

function featureNotices(before: Readonly<Record<string, FeatureView>>, after: Readonly<Record<string, FeatureView>>): Action[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names
    .filter((name) => !jsonEqual(before[name] ?? null, after[name] ?? null))
    .map((name): Action => ({ kind: 'notify', feature: name, before: before[name], after: after[name] }));
}

/**
 * What to remember of the number at `rev`: only a number in `discovery` or with features has a record.
 * `features` defaults to the document's; a caller that wrote the document and deferred its notices passes
 * the features it last told the providers about.
 */
export function rememberNumber(record: NumberRecord, rev: string, features: Readonly<Record<string, FeatureView>> = featureViews(record)): SeenNumber | undefined {
  if (record.state !== 'discovery' && Object.keys(features).length === 0) return undefined;
  return { state: record.state, rev, features };
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
