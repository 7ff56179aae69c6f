/**
 * The carrier contract, like Kazoo's `knm_gen_carrier` behaviour (FACTS §5): every carrier module is one
 * object with these flags and callbacks, registered by its module name in registry.ts.
 */
import type { JsonObject } from '../documents/json';
import type { NumberRecord, NumberState } from '../documents/types';
import type { Store } from '../store/client';

/** What a carrier may use while it works: the store (pool carriers keep their pools there) and the time. */
export interface CarrierContext {
  readonly store: Store;
  /** Gregorian seconds. */
  readonly now: number;
  /**
   * The account the operation is done for (Kazoo's `auth_by`): knm_bandwidth2 sends it as the order's
   * `CustomerOrderId`. Optional so that callers that do not know it keep working (Kazoo sends it empty then).
   */
  readonly authBy?: string;
}

/** The search options Kazoo hands every carrier (knm_search option accessors, carriers.md §2.3). */
export interface SearchOptions {
  /** The prefix as the user typed it (`415`). */
  readonly prefix: string;
  /** Dial code + prefix (`+1415`): what carriers search for. */
  readonly normalizedPrefix: string;
  /** ISO 3166 alpha-2, `US` by default. */
  readonly country: string;
  /** The country's dial code, `+1`. */
  readonly dialcode: string;
  readonly offset: number;
  readonly accountId?: string;
  readonly resellerId?: string;
  /** knm_other's block search: present switches to `/blocks/…`, its value is sent as `limit=`. */
  readonly blocks?: number;
  /** knm_vitelity: search toll-free numbers (`listtollfree`). */
  readonly tollfree?: boolean;
  /** Aborted when the search stops waiting for this carrier (number_search_timeout_ms). */
  readonly signal?: AbortSignal;
}

/** One number a carrier offers: Kazoo's `{Number, ModuleName, State, CarrierData}`. */
export interface FoundNumber {
  readonly number: string;
  readonly module: string;
  readonly state: NumberState;
  /** Becomes `pvt_carrier_data` when the number is bought. */
  readonly carrierData: JsonObject;
}

/**
 * `find_numbers/3`'s answer: `{ok, Results}`, `{bulk, Results}` (a block's first and last numbers), or
 * `{error, Reason}` — which Kazoo's search ignores, and knm reports.
 */
export type FindNumbersResult =
  | { readonly ok: true; readonly bulk: boolean; readonly numbers: readonly FoundNumber[] }
  | { readonly ok: false; readonly reason: string };

/** `check_numbers/1`: each number's status at the carrier, or why the carrier could not say. */
export type CheckNumbersResult = { readonly ok: true; readonly statuses: Readonly<Record<string, string>> } | { readonly ok: false; readonly reason: string };

export interface Carrier {
  /** Kazoo's module name, e.g. `knm_local`: the value of `pvt_module_name`. */
  readonly module: string;
  /** `is_local/0`: numbers of this carrier live only inside the cluster. */
  readonly isLocal: boolean;
  /** `is_number_billable/1`. */
  readonly isBillable: boolean;
  /** `should_lookup_cnam/0`: the number hunt asks for inbound CNAM. */
  readonly shouldLookupCnam: boolean;
  /** `info/0` `maximal_prefix_length`. */
  readonly maximalPrefixLength: number;
  /** `acquire_number/1`: buys the number; returns it with what the carrier recorded (carrier data, features). */
  acquireNumber(record: NumberRecord, context: CarrierContext): Promise<NumberRecord>;
  /** `disconnect_number/1`: gives the number back to the carrier. */
  disconnectNumber(record: NumberRecord, context: CarrierContext): Promise<NumberRecord>;
  /** `find_numbers/3`, `prefix` being the normalized prefix (`+1415`). Absent: the carrier offers nothing to search (`{error, not_available}`). */
  findNumbers?(prefix: string, quantity: number, options: SearchOptions, context: CarrierContext): Promise<FindNumbersResult>;
  /** `check_numbers/1`. Absent: `{error, not_implemented}`, as every carrier but knm_other answers. */
  checkNumbers?(numbers: readonly string[], context: CarrierContext): Promise<CheckNumbersResult>;
  /**
   * A carrier whose `should_lookup_cnam/0` reads its configuration (knm_vitelity) answers here; the hunt
   * falls back to `shouldLookupCnam` when it is absent.
   */
  lookupCnam?(context: CarrierContext): Promise<boolean>;
}

export type CarrierFlags = Pick<Carrier, 'module' | 'isLocal' | 'isBillable' | 'shouldLookupCnam' | 'maximalPrefixLength'>;

/** A carrier whose acquire and disconnect change nothing outside the number (knm_local, knm_mdn, …). */
export function inertCarrier(flags: CarrierFlags, search?: Pick<Carrier, 'findNumbers'>): Carrier {
  return {
    ...flags,
    ...search,
    acquireNumber: async (record) => record,
    disconnectNumber: async (record) => record,
  };
}

export function notAvailable(reason = 'not_available'): FindNumbersResult {
  return { ok: false, reason };
}

export function found(numbers: readonly FoundNumber[], bulk = false): FindNumbersResult {
  return { ok: true, bulk, numbers };
}
