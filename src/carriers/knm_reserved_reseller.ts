/** Numbers reserved to the searching account's reseller (FACTS §5). Acquire and disconnect change nothing outside the number. */
import { inertCarrier } from './carrier';
import { searchReserved } from './db-search';

export const knmReservedReseller = inertCarrier(
  {
    module: 'knm_reserved_reseller',
    isLocal: true,
    isBillable: false,
    shouldLookupCnam: true,
    maximalPrefixLength: 10,
  },
  { findNumbers: (prefix, quantity, options, context) => searchReserved('knm_reserved_reseller', options.resellerId, prefix, quantity, options, context) },
);
