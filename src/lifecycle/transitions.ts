/**
 * Moving a number to a target state: Kazoo's `knm_states:to_options_state/1` with every step in its order
 * (MDN check, not_assigning_to_self, authorization, reserve-history push, move, carrier acquire).
 * Sources: states.md §4–§5, FACTS §4.4 (4.3 src/knm_number_states.erl; M src/knm_states.erl).
 */
import type { NumberRecord, NumberState } from '../documents/types';
import { CARRIER_MDN } from '../documents/types';
import { KnmError } from '../errors';
import type { AccountDirectory } from './accounts';
import { Actors, isAuthorized, isReservedFromParent } from './authorization';
import { invalidStateTransition, noChangeRequired, unauthorized } from './errors';

export interface TransitionRequest {
  readonly target: NumberState;
  /** The requester (`auth_by`): an account id or `system`. */
  readonly authBy: string | undefined;
  /** The account the number goes to (`assign_to`). */
  readonly assignTo: string | undefined;
}

export type TransitionResult =
  | {
      readonly ok: true;
      readonly record: NumberRecord;
      /** The carrier's acquire_number must run (knm_carriers:acquire/1). */
      readonly acquire: boolean;
    }
  | { readonly ok: false; readonly error: KnmError };

type Step = 'mdn_check' | 'not_assigning_to_self' | 'authorize' | 'authorize_subaccount' | 'push_history' | 'move' | 'set_state' | 'acquire';

/**
 * The steps per (target, current state), in order. A missing entry is an invalid transition.
 * `in_service` from `in_service` is special-cased below (untouched when the target is the owner).
 */
const STEPS: Readonly<Partial<Record<NumberState, Readonly<Partial<Record<NumberState, readonly Step[]>>>>>> = {
  reserved: {
    reserved: ['mdn_check', 'not_assigning_to_self', 'authorize', 'push_history', 'move', 'acquire'],
    discovery: ['mdn_check', 'authorize', 'push_history', 'move', 'acquire'],
    available: ['mdn_check', 'authorize', 'push_history', 'move'],
    in_service: ['mdn_check', 'authorize', 'push_history', 'move'],
  },
  in_service: {
    in_service: ['authorize', 'move'],
    discovery: ['mdn_check', 'authorize', 'move', 'acquire'],
    port_in: ['mdn_check', 'authorize', 'move'],
    // "everyone must be allowed to buy available" (knm_states:to_in_service/1): no authorization, no carrier call
    available: ['mdn_check', 'move'],
    aging: ['mdn_check', 'move'],
    reserved: ['mdn_check', 'authorize_subaccount', 'move'],
  },
  available: { available: ['mdn_check', 'authorize', 'set_state'] },
  aging: { aging: ['mdn_check', 'move'], released: ['mdn_check', 'move'], available: ['mdn_check', 'move'] },
  port_in: { port_in: ['mdn_check', 'move'] },
};

/** Targets with a row in the table; any other target fails without a cause. */
const REACHABLE_TARGETS: ReadonlySet<NumberState> = new Set(['reserved', 'in_service', 'available', 'aging', 'port_in']);

export function transition(accounts: AccountDirectory, record: NumberRecord, request: TransitionRequest): TransitionResult {
  const { target } = request;
  const from = record.state;
  if (!REACHABLE_TARGETS.has(target)) return fail(invalidStateTransition(undefined, undefined));
  if (target === 'in_service' && from === 'in_service' && request.assignTo === record.assignedTo) {
    return { ok: true, record, acquire: false };
  }
  const steps = from === undefined ? undefined : STEPS[target]?.[from];
  if (steps === undefined) {
    // The MDN check runs before the source-state dispatch for these targets (knm_states:to_reserved/1 …).
    if (target !== 'in_service' && record.moduleName === CARRIER_MDN) return fail(mdnError(from, target));
    return fail(invalidStateTransition(from, target));
  }

  const actors: Actors = { authBy: request.authBy, assignedTo: record.assignedTo, assignTo: request.assignTo };
  let next: NumberRecord = record;
  let acquire = false;
  for (const step of steps) {
    switch (step) {
      case 'mdn_check':
        if (record.moduleName === CARRIER_MDN) return fail(mdnError(from, target));
        break;
      case 'not_assigning_to_self':
        if (request.assignTo === undefined) return fail(unauthorized('can not assign to self'));
        if (request.assignTo === record.assignedTo) return fail(noChangeRequired());
        break;
      case 'authorize':
        if (!isAuthorized(accounts, actors)) return fail(unauthorized());
        break;
      case 'authorize_subaccount':
        if (!isAuthorized(accounts, actors) && !isReservedFromParent(accounts, from, actors)) return fail(unauthorized());
        break;
      case 'push_history':
        next = pushReserveHistory(next, request.assignTo);
        break;
      case 'move':
        next = moveTo(next, target, request.assignTo);
        break;
      case 'set_state':
        next = { ...next, state: target };
        break;
      case 'acquire':
        acquire = true;
        break;
    }
  }
  return { ok: true, record: next, acquire };
}

/**
 * The MDN error. Kazoo quirk kept on purpose (knm_states:to_in_service/1): for an `in_service` target the two
 * states of the cause are swapped (`from in_service to discovery`).
 */
function mdnError(from: NumberState | undefined, target: NumberState): KnmError {
  if (target === 'in_service') return invalidStateTransition(target, from ?? '(nothing)');
  return invalidStateTransition("'MDN'", target);
}

function fail(error: KnmError): TransitionResult {
  return { ok: false, error };
}

/** Pushes the target onto the history unless it is already the newest entry (knm_phone_number:push_reserve_history/1). */
export function pushReserveHistory(record: NumberRecord, accountId: string | undefined): NumberRecord {
  if (accountId === undefined || record.reserveHistory[0] === accountId) return record;
  return { ...record, reserveHistory: [accountId, ...record.reserveHistory] };
}

/**
 * The state changes and the holder becomes the target, even an undefined one (knm_states:move_phone_number_to_state/3).
 * A new holder moves the old one to previously_assigned_to and clears used_by (knm_phone_number:set_assigned_to/2).
 */
export function moveTo(record: NumberRecord, state: NumberState, assignTo: string | undefined): NumberRecord {
  const moved = record.state === state ? record : { ...record, state };
  return assignHolder(moved, assignTo);
}

export function assignHolder(record: NumberRecord, assignTo: string | undefined): NumberRecord {
  if (record.assignedTo === assignTo) return record;
  return {
    ...record,
    assignedTo: assignTo,
    previouslyAssignedTo: record.assignedTo ?? record.previouslyAssignedTo,
    usedBy: undefined,
  };
}
