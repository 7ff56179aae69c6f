/**
 * Creating numbers: which state, who may, and the record a new number starts as
 * (FACTS §4.6, states.md §3; 4.3 knm_number:state_for_create/1, ensure_can_create/2,
 * M knm_lib:state_for_create/4, knm_phone_number:options_for_new_setters/1).
 */
import type { JsonObject } from '../documents/json';
import type { NumberRecord, NumberState } from '../documents/types';
import { CARRIER_LOCAL, CARRIER_MDN, FEATURE_LOCAL, isLocalModule } from '../documents/types';
import { KnmError } from '../errors';
import { AccountDirectory, isAccountId, SYSTEM } from './accounts';
import { allowedCreationStates, allowNumberAdditions, isAdmin } from './authorization';
import { unauthorized } from './errors';
import { transition, TransitionResult } from './transitions';
import { withModule } from './update';

export interface CreateRequest {
  readonly authBy: string | undefined;
  readonly assignTo: string | undefined;
  /** Requested state; `in_service` when absent. */
  readonly state?: NumberState;
  /** Created by a completed port (`ported_in` option). */
  readonly portedIn?: boolean;
  readonly moduleName?: string;
  readonly publicFields?: JsonObject;
}

/** The `number_manager` keys creation reads (config.md §1). */
export interface CreatePolicy {
  readonly availableModuleName: string;
  readonly portInModuleName: string;
}

export type StateChoice = { readonly ok: true; readonly state: NumberState } | { readonly ok: false; readonly error: KnmError };

export function chooseCreateState(accounts: AccountDirectory, request: CreateRequest): StateChoice {
  if (request.state === 'port_in') return { ok: true, state: 'port_in' };
  if (request.portedIn === true) return { ok: true, state: 'in_service' };
  if (request.moduleName === CARRIER_MDN) return { ok: true, state: 'in_service' };
  const wanted = request.state ?? 'in_service';
  if (allowedCreationStates(accounts, request.authBy).includes(wanted)) return { ok: true, state: wanted };
  // Kazoo 4.3 crashes here when every number exists; FACTS §4.6 gives this 403 instead. The cause is 4.3's
  // (knm_numbers:create/2 reports `state_for_create`; M's knm_lib:state_for_create/4 words it as in the hint).
  return {
    ok: false,
    error: new KnmError('forbidden', 403, 'requestor is unauthorized to perform operation', {
      cause: 'state_for_create',
      hint: `creating number in state '${wanted}' is not allowed for ${request.authBy ?? 'an unknown requester'}: available and aging need a super-duper admin or system, in_service and reserved need pvt_wnm_allow_additions`,
    }),
  };
}

/**
 * Creates `number`: a new record when `existing` is undefined, else the existing one when Kazoo lets it be
 * created again (available, aging, port_in). `isPorting`: the number is in an active port request.
 */
export function create(
  accounts: AccountDirectory,
  number: string,
  existing: NumberRecord | undefined,
  isPorting: boolean,
  policy: CreatePolicy,
  request: CreateRequest,
  now: number,
): TransitionResult {
  // 4.3 knm_numbers:create/2 checks assign_to on every number it found, system included, before the state
  if (existing !== undefined && !isAccountId(request.assignTo)) return { ok: false, error: assignFailure() };
  const choice = chooseCreateState(accounts, request);
  if (!choice.ok) return choice;
  if (request.authBy !== SYSTEM && !isAccountId(request.assignTo)) return { ok: false, error: assignFailure() };

  if (existing !== undefined) {
    if (existing.state !== 'available' && existing.state !== 'aging' && existing.state !== 'port_in') {
      return { ok: false, error: numberExists(number) };
    }
    const withOptions = applyCreateOptions(existing, policy, request, choice.state);
    return transition(accounts, withOptions, { target: choice.state, authBy: request.authBy, assignTo: request.assignTo });
  }

  const refusal = refuseCreator(accounts, request, choice.state);
  if (refusal !== undefined) return { ok: false, error: refusal };
  if (request.portedIn !== true && isPorting) return { ok: false, error: numberIsPorting(number) };
  const fresh = newNumberRecord(number, choice.state, moduleFor(policy, request, choice.state), request, now);
  return transition(accounts, fresh, { target: choice.state, authBy: request.authBy, assignTo: request.assignTo });
}

/** ensure_account_can_create: who may bring a number that does not exist yet into the system. */
function refuseCreator(accounts: AccountDirectory, request: CreateRequest, state: NumberState): KnmError | undefined {
  const { authBy } = request;
  if (authBy === SYSTEM) return undefined;
  if (authBy === undefined) {
    return unauthorized('cannot determined account is allowed to create number, account id is undefined');
  }
  const allowed =
    request.portedIn === true || state === 'port_in' || allowNumberAdditions(accounts, authBy) || isAdmin(accounts, authBy);
  return allowed ? undefined : unauthorized(`account '${authBy}' is not allowed to create number`);
}

/** options_for_new_setters/1: port_in numbers are local; ported numbers take port_in_module_name. */
function moduleFor(policy: CreatePolicy, request: CreateRequest, state: NumberState): string {
  if (state === 'port_in') return CARRIER_LOCAL;
  if (request.portedIn === true) return policy.portInModuleName;
  return request.moduleName ?? policy.availableModuleName;
}

export function newNumberRecord(
  number: string,
  state: NumberState,
  moduleName: string,
  request: CreateRequest,
  now: number,
): NumberRecord {
  return {
    number,
    state,
    moduleName,
    assignedTo: undefined,
    previouslyAssignedTo: undefined,
    usedBy: undefined,
    reserveHistory: [],
    features: isLocalModule(moduleName) ? { [FEATURE_LOCAL]: {} } : {},
    featuresAllowed: [],
    featuresDenied: [],
    carrierData: {},
    region: undefined,
    portedIn: request.portedIn === true,
    created: now,
    modified: now,
    rev: undefined,
    publicFields: request.publicFields ?? {},
    loaded: undefined,
  };
}

/** The option setters other than `state` applied to an existing number before its transition. */
function applyCreateOptions(record: NumberRecord, policy: CreatePolicy, request: CreateRequest, state: NumberState): NumberRecord {
  let next = record;
  if (request.publicFields !== undefined) next = { ...next, publicFields: request.publicFields };
  if (request.portedIn === true) next = { ...next, portedIn: true };
  const moduleName = request.portedIn === true ? moduleFor(policy, request, state) : request.moduleName;
  if (moduleName !== undefined && moduleName !== next.moduleName) next = withModule(next, moduleName);
  return next;
}

function assignFailure(): KnmError {
  return new KnmError('assign_failure', 400, 'invalid account to assign to', {
    cause: 'field_undefined',
    hint: 'give the 32-character id of the account the number is for',
  });
}

export function numberExists(number: string): KnmError {
  return new KnmError('number_exists', 409, `number ${number} already exists`, {
    cause: number,
    hint: 'only available, aging and port_in numbers can be created again; move or reserve it instead',
  });
}

function numberIsPorting(number: string): KnmError {
  return new KnmError('number_is_porting', 400, `number ${number} is porting`, {
    cause: number,
    hint: 'finish or cancel its port request first',
  });
}
