/** iNum numbers (+883 510 …) from the pool in `numbers/inum` (FACTS §5; 4.3 src/carriers/knm_inum.erl). */
import type { Carrier } from './carrier';
import { markPoolAcquired, markPoolReturned } from './pool';

export const INUM_DB = 'numbers/inum';

export const knmInum: Carrier = {
  module: 'knm_inum',
  isLocal: true,
  isBillable: false,
  shouldLookupCnam: true,
  maximalPrefixLength: 15,
  acquireNumber: (record, context) => markPoolAcquired(INUM_DB, 'knm_inum', record, context),
  disconnectNumber: (record, context) =>
    markPoolReturned(INUM_DB, record, context, ({ pvt_assigned_to: _owner, ...doc }) => ({
      ...doc,
      pvt_state: 'released',
      pvt_reserve_history: [],
    })),
};
