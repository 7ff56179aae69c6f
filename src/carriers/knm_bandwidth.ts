/**
 * The legacy Bandwidth numbers.api carrier is deprecated (carriers.md §5.5): Kazoo renames every
 * `knm_bandwidth` number to `knm_bandwidth2` on load, so its calls are unreachable there. knm keeps the name
 * known, and any use of it says to move to knm_bandwidth2.
 */
import type { NumberRecord } from '../documents/types';
import { KnmError } from '../errors';
import type { Carrier } from './carrier';
import { notAvailable } from './carrier';

const MODULE = 'knm_bandwidth';
const REASON = 'knm_bandwidth is deprecated; use knm_bandwidth2';
const HINT = 'replace knm_bandwidth by knm_bandwidth2 in system_config/number_manager carrier_modules and configure system_config/number_manager.bandwidth2';

function deprecated(record: NumberRecord): Promise<NumberRecord> {
  return Promise.reject(new KnmError('unspecified_fault', 500, REASON, { cause: record.number, hint: HINT }));
}

export const knmBandwidth: Carrier = {
  module: MODULE,
  isLocal: false,
  isBillable: true,
  shouldLookupCnam: true,
  maximalPrefixLength: 3,
  findNumbers: async () => notAvailable(REASON),
  acquireNumber: deprecated,
  disconnectNumber: deprecated,
};
