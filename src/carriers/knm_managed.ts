/** Numbers from the operator's managed pool in `numbers/managed` (FACTS §5; 4.3 src/carriers/knm_managed.erl). */
import type { Carrier } from './carrier';
import { markPoolAcquired, markPoolReturned } from './pool';

export const MANAGED_DB = 'numbers/managed';

export const knmManaged: Carrier = {
  module: 'knm_managed',
  isLocal: true,
  isBillable: true,
  shouldLookupCnam: true,
  maximalPrefixLength: 15,
  acquireNumber: (record, context) => markPoolAcquired(MANAGED_DB, 'knm_managed', record, context),
  // knm_managed writes a JSON null owner rather than removing the key (FACTS §5).
  disconnectNumber: (record, context) =>
    markPoolReturned(MANAGED_DB, record, context, (doc) => ({ ...doc, pvt_state: 'available', pvt_assigned_to: null })),
};
