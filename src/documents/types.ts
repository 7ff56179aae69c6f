/**
 * The number document as Kazoo 4.3 writes it (`knm_phone_number:to_json/1`, FACTS §1.2–§1.4), and the
 * in-memory record the lifecycle works on. Reading any older generation into a record is read.ts;
 * turning a record back into the 4.3 document is write.ts.
 */
import { JsonObject, JsonValue } from './json';

/** The nine states of Kazoo 4.3 (include/knm_phone_number.hrl, `knm_phone_number:is_state/1`). */
export const NUMBER_STATES = [
  'aging',
  'available',
  'deleted',
  'discovery',
  'in_service',
  'port_in',
  'port_out',
  'released',
  'reserved',
] as const;

export type NumberState = (typeof NUMBER_STATES)[number];

const STATE_SET: ReadonlySet<string> = new Set(NUMBER_STATES);

export function isNumberState(value: unknown): value is NumberState {
  return typeof value === 'string' && STATE_SET.has(value);
}

/** Carrier module names knm gives a meaning to (FACTS §5). Any other string is kept verbatim. */
export const CARRIER_LOCAL = 'knm_local';
export const CARRIER_MDN = 'knm_mdn';
export const CARRIER_BANDWIDTH = 'knm_bandwidth';
export const CARRIER_BANDWIDTH2 = 'knm_bandwidth2';
export const CARRIER_MANAGED = 'knm_managed';
export const CARRIER_INUM = 'knm_inum';
export const CARRIER_OTHER = 'knm_other';
export const CARRIER_TELNYX = 'knm_telnyx';
export const CARRIER_VITELITY = 'knm_vitelity';

/** `knm_carriers:all_modules/0` in 4.3 (FACTS §5): the valid targets of a carrier change. */
export const ALL_CARRIER_MODULES = [
  'knm_bandwidth',
  'knm_bandwidth2',
  'knm_didww',
  'knm_flowroute',
  'knm_inteliquent',
  'knm_inum',
  'knm_inventory',
  'knm_it_vocal',
  'knm_level3',
  'knm_local',
  'knm_managed',
  'knm_mdn',
  'knm_o1',
  'knm_other',
  'knm_peerless',
  'knm_reserved',
  'knm_reserved_reseller',
  'knm_simwood',
  'knm_telnyx',
  'knm_thinq',
  'knm_verizon',
  'knm_vitelity',
  'knm_voip_innovations',
  'knm_voxbone',
  'knm_windstream',
  'knm_ziron',
] as const;

/** Modules whose numbers always carry the `local` feature (`set_module_name/2`, FACTS §1.4 step 8). */
export function isLocalModule(moduleName: string): boolean {
  return moduleName === CARRIER_LOCAL || moduleName === CARRIER_MDN;
}

/** The feature a knm_local / knm_mdn number always has. */
export const FEATURE_LOCAL = 'local';

/**
 * A number document exactly as 4.3's `to_json/1` writes it. The first eight keys are always written
 * (`pvt_state` only if the number has one); the optional private keys are omitted when empty, never null.
 */
export interface NumberDoc {
  _id: string;
  _rev?: string;
  pvt_db_name: string;
  pvt_state?: NumberState;
  pvt_ported_in: boolean;
  pvt_module_name: string;
  /** Gregorian seconds. */
  pvt_modified: number;
  /** Gregorian seconds. */
  pvt_created: number;
  pvt_type: 'number';
  pvt_assigned_to?: string;
  pvt_previously_assigned_to?: string;
  pvt_used_by?: string;
  pvt_features?: JsonObject;
  pvt_features_allowed?: string[];
  pvt_features_denied?: string[];
  pvt_reserve_history?: string[];
  pvt_carrier_data?: JsonObject;
  pvt_region?: string;
  /** Public feature requests (crossbar schema phone_numbers.json, FACTS §1.3). Stored verbatim, so old or
   * hand-written documents may hold other value types inside: `prepend.enabled: "true"`, `force_outbound: "true"`. */
  cnam?: JsonObject; // {display_name, inbound_lookup}
  e911?: JsonObject; // {street_address, extended_address, locality, region, postal_code, caller_name, …}
  prepend?: JsonObject; // {enabled, name, number}
  failover?: JsonObject; // {e164, sip}
  ringback?: JsonObject; // {early, transfer}
  force_outbound?: JsonValue;
  carrier_name?: JsonValue;
  port?: JsonValue;
  sms?: JsonValue;
  mms?: JsonValue;
  porting?: JsonValue;
  port_id?: JsonValue;
  portin_reason?: JsonValue;
  /** Legacy provider keys (v3 / early 4.0); their value is copied to `e911` on read. */
  dash_e911?: JsonValue;
  vitelity_e911?: JsonValue;
  telnyx_e911?: JsonValue;
  /** Any other public field, stored verbatim. */
  [key: string]: JsonValue | undefined;
}

/** What a record was read from, so a write can tell whether anything changed since. */
export interface LoadedDocument {
  /** `_id` as stored (may differ from the record's normalized number). */
  readonly id: string;
  /** The document as it was in the database, untouched. */
  readonly stored: JsonObject;
  /** Reading changed something 4.3 counts as a change (an upgrade): the document is dirty. */
  readonly upgraded: boolean;
  /** The 4.3 loader would have refused it (FACTS §1.8); read leniently, never written automatically. */
  readonly malformed: boolean;
  /** The 4.3 form of the record right after reading, for change detection. */
  readonly asRead: NumberDoc;
}

/**
 * A number in memory (Kazoo's `#knm_phone_number{}` without the per-request options). Immutable by
 * convention: the lifecycle builds a changed copy, write.ts compares it with `loaded.asRead`.
 */
export interface NumberRecord {
  /** E.164, leading `+`: the normalized `_id`. */
  readonly number: string;
  /** Undefined only for a document that has no state at all (4.3 loads and writes such docs). */
  readonly state: NumberState | undefined;
  readonly moduleName: string;
  readonly assignedTo: string | undefined;
  readonly previouslyAssignedTo: string | undefined;
  readonly usedBy: string | undefined;
  /** Newest first. */
  readonly reserveHistory: readonly string[];
  /** Active features (`pvt_features`), feature name → settings. */
  readonly features: JsonObject;
  readonly featuresAllowed: readonly string[];
  readonly featuresDenied: readonly string[];
  readonly carrierData: JsonObject;
  readonly region: string | undefined;
  readonly portedIn: boolean;
  /** Gregorian seconds. */
  readonly created: number;
  /** Gregorian seconds. */
  readonly modified: number;
  readonly rev: string | undefined;
  /** Public fields in stored order, without `id` and `used_by`. */
  readonly publicFields: JsonObject;
  /** Undefined for a number built in memory (never stored yet). */
  readonly loaded: LoadedDocument | undefined;
}
