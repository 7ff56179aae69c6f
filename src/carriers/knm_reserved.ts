/** Numbers reserved to the searching account, found through its account database (FACTS §5). Acquire and disconnect change nothing outside the number. */
import { inertCarrier } from './carrier';

export const knmReserved = inertCarrier({
  module: 'knm_reserved',
  isLocal: true,
  isBillable: false,
  shouldLookupCnam: true,
  maximalPrefixLength: 10,
});
