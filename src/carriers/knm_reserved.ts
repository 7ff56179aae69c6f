/** Numbers reserved to the searching account, found through its account database (FACTS §5). Acquire and disconnect change nothing outside the number. */
import { inertCarrier } from './carrier';
import { searchReserved } from './db-search';

export const knmReserved = inertCarrier(
  {
    module: 'knm_reserved',
    isLocal: true,
    isBillable: false,
    shouldLookupCnam: true,
    maximalPrefixLength: 10,
  },
  { findNumbers: (prefix, quantity, options, context) => searchReserved('knm_reserved', options.accountId, prefix, quantity, options, context) },
);
