/** Numbers the cluster owns outright (FACTS §5), searched in their number database. Acquire and disconnect change nothing outside the number. */
import { inertCarrier } from './carrier';
import { searchNumberDb } from './db-search';

export const knmLocal = inertCarrier(
  {
    module: 'knm_local',
    isLocal: true,
    isBillable: false,
    shouldLookupCnam: true,
    maximalPrefixLength: 10,
  },
  { findNumbers: (prefix, quantity, options, context) => searchNumberDb('knm_local', prefix, quantity, options, context) },
);
