/** Numbers from the operator's own inventory, searched like knm_local but not local (FACTS §5). Acquire and disconnect change nothing outside the number. */
import { inertCarrier } from './carrier';

export const knmInventory = inertCarrier({
  module: 'knm_inventory',
  isLocal: false,
  isBillable: false,
  shouldLookupCnam: true,
  maximalPrefixLength: 10,
});
