/** Mobile numbers (MDN); only ever in_service, never searched (FACTS §5). Acquire and disconnect change nothing outside the number. */
import { inertCarrier, notAvailable } from './carrier';

export const knmMdn = inertCarrier(
  {
    module: 'knm_mdn',
    isLocal: false,
    isBillable: false,
    shouldLookupCnam: true,
    maximalPrefixLength: 0,
  },
  { findNumbers: async () => notAvailable() },
);
