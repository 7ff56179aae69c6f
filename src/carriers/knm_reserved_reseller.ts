/** Numbers reserved to the searching account's reseller (FACTS §5). Acquire and disconnect change nothing outside the number. */
import { inertCarrier } from './carrier';

export const knmReservedReseller = inertCarrier({
  module: 'knm_reserved_reseller',
  isLocal: true,
  isBillable: false,
  shouldLookupCnam: true,
  maximalPrefixLength: 10,
});
