/**
 * The carrier contract, like Kazoo's `knm_gen_carrier` behaviour (FACTS §5): every carrier module is one
 * object with these flags and callbacks, registered by its module name in registry.ts.
 */
import type { NumberRecord } from '../documents/types';
import type { Store } from '../store/client';

/** What a carrier may use while it works: the store (pool carriers keep their pools there) and the time. */
export interface CarrierContext {
  readonly store: Store;
  /** Gregorian seconds. */
  readonly now: number;
}

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
}

export type CarrierFlags = Pick<Carrier, 'module' | 'isLocal' | 'isBillable' | 'shouldLookupCnam' | 'maximalPrefixLength'>;

/** A carrier whose acquire and disconnect change nothing outside the number (knm_local, knm_mdn, …). */
export function inertCarrier(flags: CarrierFlags): Carrier {
  return {
    ...flags,
    acquireNumber: async (record) => record,
    disconnectNumber: async (record) => record,
  };
}
