/** Numbers from the operator's own inventory, searched like knm_local but not local (FACTS §5). Acquire and disconnect change nothing outside the number. */
import { inertCarrier } from './carrier';
import { searchNumberDb } from './db-search';

export const knmInventory = inertCarrier(
  {
    module: 'knm_inventory',
    isLocal: false,
    isBillable: false,
    shouldLookupCnam: true,
    maximalPrefixLength: 10,
  },
  { findNumbers: (prefix, quantity, options, context) => searchNumberDb('knm_inventory', prefix, quantity, options, context) },
);
