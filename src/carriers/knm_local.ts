/** Numbers the cluster owns outright (FACTS §5). Acquire and disconnect change nothing outside the number. */
import { inertCarrier } from './carrier';

export const knmLocal = inertCarrier({
  module: 'knm_local',
  isLocal: true,
  isBillable: false,
  shouldLookupCnam: true,
  maximalPrefixLength: 10,
});
