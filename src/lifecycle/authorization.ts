/**
 * Who may touch a number: Kazoo's predicates exactly (states.md §2, FACTS §4.2;
 * 4.3 src/knm_phone_number.erl is_authorized/1, is_reserved_from_parent/1, handle_fetch/2;
 * src/knm_lib.erl allow_number_additions/2, allowed_creation_states/2).
 */
import type { NumberState } from '../documents/types';
import { AccountDirectory, SYSTEM } from './accounts';

/** The requester (`auth_by`), the number's holder and the operation's target account. */
export interface Actors {
  /** Account id of the requester, or `system`; undefined authorizes nothing. */
  readonly authBy: string | undefined;
  /** `pvt_assigned_to` of the number. */
  readonly assignedTo: string | undefined;
  /** `assign_to`: the account the operation gives the number to. */
  readonly assignTo: string | undefined;
}

export function isAdmin(accounts: AccountDirectory, accountId: string | undefined): boolean {
  if (accountId === undefined) return false;
  if (accountId === SYSTEM) return true;
  return accounts(accountId)?.superduperAdmin === true;
}

/** `ancestor` is `account` itself or one of its ancestors (kzd_accounts:is_in_account_hierarchy/3, IncludeSelf). */
export function inHierarchy(accounts: AccountDirectory, ancestor: string | undefined, account: string | undefined): boolean {
  if (ancestor === undefined || account === undefined) return false;
  if (ancestor === account) return true;
  return accounts(account)?.tree.includes(ancestor) === true;
}

export function isAuthorized(accounts: AccountDirectory, actors: Actors): boolean {
  const { authBy } = actors;
  if (authBy === SYSTEM) return true;
  if (authBy === undefined) return false;
  const owner = actors.assignedTo ?? actors.assignTo;
  if (owner === undefined) return isAdmin(accounts, authBy);
  return isAdmin(accounts, authBy) || inHierarchy(accounts, authBy, owner);
}

/**
 * The requester is the holder of a reserved number or a descendant of it.
 * Kazoo quirk kept on purpose (knm_phone_number:is_reserved_from_parent/1): any requester qualifies when the
 * holder is a super-duper admin account.
 */
export function isReservedFromParent(
  accounts: AccountDirectory,
  state: NumberState | undefined,
  actors: Actors,
): boolean {
  if (state !== 'reserved' || actors.assignedTo === undefined) return false;
  return isAdmin(accounts, actors.assignedTo) || inHierarchy(accounts, actors.assignedTo, actors.authBy);
}

/** The fetch gate: who may see a number at all (knm_phone_number:handle_fetch/2). */
export function canFetch(accounts: AccountDirectory, state: NumberState | undefined, actors: Actors): boolean {
  return state === 'available' || isAuthorized(accounts, actors) || isReservedFromParent(accounts, state, actors);
}

/** `allow_number_additions/2`; an unreadable account is refused here (Kazoo crashes instead). */
export function allowNumberAdditions(accounts: AccountDirectory, authBy: string | undefined): boolean {
  if (authBy === SYSTEM) return true;
  if (authBy === undefined) return false;
  return accounts(authBy)?.allowNumberAdditions === true;
}

/** The states a requester may create numbers in (knm_lib:allowed_creation_states/2). */
export function allowedCreationStates(accounts: AccountDirectory, authBy: string | undefined): readonly NumberState[] {
  if (isAdmin(accounts, authBy)) return ['aging', 'available', 'in_service', 'port_in', 'reserved'];
  if (allowNumberAdditions(accounts, authBy)) return ['in_service', 'reserved'];
  return [];
}
