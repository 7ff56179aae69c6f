/**
 * The number hunt's decision (`knm_numbers:lookup_account/1`, states.md §8, FACTS §8.3): given what is known of
 * a number (its document's hunt facts, or none) and of its holder account, the account a call goes to with the
 * properties routing needs, or Kazoo's refusal. Pure: the index (index.ts) brings the facts.
 */
import type { JsonObject, JsonValue } from '../documents/json';
import { isJsonObject } from '../documents/json';
import type { NumberRecord, NumberState } from '../documents/types';
import { CARRIER_LOCAL, isLocalModule } from '../documents/types';
import { KnmError } from '../errors';
import type { NumberManagerConfig } from '../config/number-manager';

/** What the hunt needs of a number document: small, so that an index of every number fits in memory. */
export interface HuntFacts {
  readonly number: string;
  readonly state: NumberState | undefined;
  readonly moduleName: string;
  readonly assignedTo: string | undefined;
  readonly usedBy: string | undefined;
  /** `pvt_features.prepend.name` when `.enabled` is true. */
  readonly prepend: string | undefined;
  readonly hasInboundCnam: boolean;
  readonly ringbackEarly: JsonValue | undefined;
  readonly ringbackTransfer: JsonValue | undefined;
  /** `pvt_features.force_outbound` (kz_term:is_true/1 of it), undefined when the feature is absent. */
  readonly forceOutboundFeature: boolean | undefined;
}

/** The `number_manager` keys the hunt reads. */
export type HuntConfig = Pick<
  NumberManagerConfig,
  'default_force_outbound' | 'force_local_outbound' | 'force_port_in_outbound' | 'force_port_out_outbound' | 'fetch_account_from_ports'
>;

/** The properties of a successful hunt, under Kazoo's names; undefined values are left out of the JSON. */
export interface HuntProps {
  account_id: string;
  number: string;
  pending_port: boolean;
  local: boolean;
  prepend?: string;
  inbound_cnam: boolean;
  ringback_media?: JsonValue;
  transfer_media?: JsonValue;
  force_outbound: boolean;
  /** Not one of Kazoo's props (stepswitch ignores unknown ones): the application using the number, for operators. */
  used_by?: string;
}

export type HuntAnswer = { readonly ok: true; readonly accountId: string; readonly props: HuntProps } | { readonly ok: false; readonly error: KnmError };

/** lookup_account hunts these states only; `reserved` is one of them [FACTS §8.3]. */
const HUNTED_STATES: ReadonlySet<string> = new Set(['port_in', 'in_service', 'port_out', 'reserved']);

export function huntFactsOf(record: NumberRecord): HuntFacts {
  const features = record.features;
  const prepend = objectAt(features, 'prepend');
  const ringback = objectAt(features, 'ringback');
  const forceOutbound = features.force_outbound;
  return {
    number: record.number,
    state: record.state,
    moduleName: record.moduleName,
    assignedTo: record.assignedTo,
    usedBy: record.usedBy,
    prepend: prepend !== undefined && isTrue(prepend.enabled) ? nonEmptyString(prepend.name) : undefined,
    hasInboundCnam: features.inbound_cnam !== undefined,
    ringbackEarly: nonEmpty(ringback?.early),
    ringbackTransfer: nonEmpty(ringback?.transfer),
    forceOutboundFeature: forceOutbound === undefined ? undefined : isTrue(forceOutbound),
  };
}

/**
 * lookup_account for a number that has a document: `unassigned`, `not_in_service`, `account_disabled` (a holder
 * whose account document cannot be read counts as disabled, kzd_accounts:is_enabled/1), or the props.
 * `accountEnabled` is undefined when the holder's account document is missing.
 */
export function decideHunt(facts: HuntFacts, accountEnabled: boolean | undefined, config: HuntConfig, shouldLookupCnam: (module: string) => boolean): HuntAnswer {
  const holder = facts.assignedTo;
  if (holder === undefined || holder === '') return refuse(unassigned(facts.number));
  if (facts.state === undefined || !HUNTED_STATES.has(facts.state)) return refuse(notInService(facts.number, holder, facts.state));
  if (accountEnabled !== true) return refuse(accountDisabled(facts.number, holder));
  const props: HuntProps = {
    account_id: holder,
    number: facts.number,
    pending_port: facts.state === 'port_in',
    local: facts.moduleName === CARRIER_LOCAL,
    inbound_cnam: facts.hasInboundCnam && shouldLookupCnam(facts.moduleName),
    force_outbound: isForceOutbound(facts, config),
  };
  if (facts.prepend !== undefined) props.prepend = facts.prepend;
  if (facts.ringbackEarly !== undefined) props.ringback_media = facts.ringbackEarly;
  if (facts.ringbackTransfer !== undefined) props.transfer_media = facts.ringbackTransfer;
  if (facts.usedBy !== undefined) props.used_by = facts.usedBy;
  return { ok: true, accountId: holder, props };
}

/** No document, but an active port request lists the number (knm_numbers:fetch_account_from_ports/2). */
export function decidePortRequestHunt(number: string, portAccountId: string): HuntAnswer {
  return {
    ok: true,
    accountId: portAccountId,
    props: { account_id: portAccountId, number, pending_port: true, local: true, inbound_cnam: false, force_outbound: true },
  };
}

/** knm_lib:is_force_outbound/1. */
export function isForceOutbound(facts: Pick<HuntFacts, 'state' | 'moduleName' | 'forceOutboundFeature'>, config: HuntConfig): boolean {
  const localOrMdn = isLocalModule(facts.moduleName);
  if (facts.state === 'port_in') return config.force_port_in_outbound || (localOrMdn && config.force_local_outbound);
  if (facts.state === 'port_out') return config.force_port_out_outbound || (localOrMdn && config.force_local_outbound);
  if (localOrMdn) return config.force_local_outbound;
  return facts.forceOutboundFeature ?? config.default_force_outbound;
}

/** A dialled number is digits with an optional leading `+`; anything else is bad input, refused before any look-up. */
export function huntInputError(input: string): KnmError | undefined {
  if (DIALLED_NUMBER.test(input)) return undefined;
  return new KnmError('invalid', 400, `not a dialled number: "${input}"`, { cause: input, hint: 'give digits with an optional leading + (E.164 or a form the e164_converters understand)' });
}

const DIALLED_NUMBER = /^\+?[0-9]+$/;

export function notFoundForHunt(number: string): KnmError {
  return new KnmError('not_found', 404, `number ${number} not found`, { cause: number, hint: 'no number document and no active port request holds it' });
}

export function notReconcilableForHunt(number: string): KnmError {
  return new KnmError('not_reconcilable', 404, `number ${number} is not reconcilable`, {
    cause: number,
    hint: 'the number does not normalize to E.164 with the e164_converters of system_config/number_manager',
  });
}

function unassigned(number: string): KnmError {
  return new KnmError('unassigned', 404, `number ${number} is not assigned to an account`, { cause: number, hint: 'assign it (knm number move) before routing calls to it' });
}

function notInService(number: string, holder: string, state: NumberState | undefined): KnmError {
  return new KnmError('not_in_service', 404, `number ${number} is ${state ?? 'without a state'}, not in service`, {
    cause: holder,
    hint: 'only in_service, reserved, port_in and port_out numbers take calls',
  });
}

function accountDisabled(number: string, holder: string): KnmError {
  return new KnmError('account_disabled', 403, `account ${holder} holding ${number} is disabled`, {
    cause: holder,
    hint: 'enable the account (pvt_enabled) or move the number; a missing account document counts as disabled',
  });
}

function refuse(error: KnmError): HuntAnswer {
  return { ok: false, error };
}

function objectAt(object: JsonObject, key: string): JsonObject | undefined {
  const value = object[key];
  return isJsonObject(value) ? value : undefined;
}

function isTrue(value: JsonValue | undefined): boolean {
  return value === true || value === 'true';
}

function nonEmptyString(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** kz_json:get_ne_value/2: an empty string, list or object counts as absent. */
function nonEmpty(value: JsonValue | undefined): JsonValue | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value) && value.length === 0) return undefined;
  if (isJsonObject(value) && Object.keys(value).length === 0) return undefined;
  return value;
}
