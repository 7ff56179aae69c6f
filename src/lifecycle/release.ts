/**
 * Releasing a number, exactly as Kazoo 4.3 does it (states.md §6.5, FACTS §4.5; 4.3 knm_numbers:release/2,
 * M knm_ops:release/2): features and public fields wiped, the reserve history unwound to the previous holder,
 * then — only when nobody holds it any more — the carrier is disconnected and the number is deleted, aged
 * or left in `released_state`.
 */
import type { NumberRecord, NumberState } from '../documents/types';
import { FEATURE_LOCAL, CARRIER_LOCAL, isLocalModule } from '../documents/types';
import type { AccountDirectory } from './accounts';
import { isAuthorized } from './authorization';
import { invalidStateTransition, unauthorized } from './errors';
import type { KnmError } from '../errors';

/** The `number_manager` keys release reads (config.md §1). */
export interface ReleasePolicy {
  readonly releasedState: NumberState;
  readonly shouldPermanentlyDelete: boolean;
  readonly shouldAge: boolean;
}

export interface ReleaseRequest {
  readonly authBy: string | undefined;
}

export type ReleaseResult =
  | {
      readonly ok: true;
      /** The number after release; `state` is `deleted` when the document is to be removed. */
      readonly record: NumberRecord;
      /** The carrier's disconnect_number must run: nobody holds the number any more. */
      readonly disconnect: boolean;
      /** The document is removed from the number database and the account databases. */
      readonly remove: boolean;
    }
  | { readonly ok: false; readonly error: KnmError };

const RELEASABLE: ReadonlySet<NumberState> = new Set(['released', 'reserved', 'port_in', 'in_service']);

export function release(
  accounts: AccountDirectory,
  record: NumberRecord,
  policy: ReleasePolicy,
  request: ReleaseRequest,
): ReleaseResult {
  // knm_ops:can_release/2: a knm_local number may be released from any state (not knm_mdn).
  const releasable = (record.state !== undefined && RELEASABLE.has(record.state)) || record.moduleName === CARRIER_LOCAL;
  if (!releasable) return { ok: false, error: invalidStateTransition(record.state, policy.releasedState) };
  const actors = { authBy: request.authBy, assignedTo: record.assignedTo, assignTo: undefined };
  if (!isAuthorized(accounts, actors)) return { ok: false, error: unauthorized() };

  const wiped: NumberRecord = {
    ...record,
    features: isLocalModule(record.moduleName) ? { [FEATURE_LOCAL]: {} } : {},
    publicFields: {},
  };
  const released = unwindReserveHistory(wiped, policy.releasedState);
  if (released.assignedTo !== undefined) return { ok: true, record: released, disconnect: false, remove: false };

  if (policy.shouldPermanentlyDelete || isLocalModule(released.moduleName)) {
    return { ok: true, record: { ...released, state: 'deleted' }, disconnect: true, remove: true };
  }
  const aged: NumberRecord = policy.shouldAge && released.state === 'available' ? { ...released, state: 'aging' } : released;
  return { ok: true, record: aged, disconnect: true, remove: false };
}

/**
 * `[_Current, Next | Rest]` gives the number back to Next, reserved; otherwise nobody holds it
 * (knm_phone_number:unwind_reserve_history/1). The head is dropped whatever it is, even when it is not the
 * current holder, and a v3 history (an ordset, FACTS §10.5) is treated as a stack too, as 4.x does.
 */
export function unwindReserveHistory(record: NumberRecord, releasedState: NumberState): NumberRecord {
  const [, next, ...rest] = record.reserveHistory;
  const previous = record.assignedTo ?? record.previouslyAssignedTo;
  if (next !== undefined) {
    return { ...record, state: 'reserved', assignedTo: next, reserveHistory: [next, ...rest], previouslyAssignedTo: previous, usedBy: undefined };
  }
  return { ...record, state: releasedState, assignedTo: undefined, reserveHistory: [], previouslyAssignedTo: previous, usedBy: undefined };
}
