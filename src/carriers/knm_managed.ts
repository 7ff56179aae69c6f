/** Numbers from the operator's managed pool in `numbers/managed` (FACTS §5; 4.3 src/carriers/knm_managed.erl). */
import type { Carrier } from './carrier';
import { searchPool } from './db-search';
import { GenerateNumbers, markPoolAcquired, markPoolReturned, poolNumbersGenerator } from './pool';

export const MANAGED_DB = 'numbers/managed';

export const knmManaged: Carrier = {
  module: 'knm_managed',
  isLocal: true,
  isBillable: true,
  shouldLookupCnam: true,
  maximalPrefixLength: 15,
  // Offered as discovery, so that buying one acquires it from the pool; the offset is ignored (knm_managed.erl).
  findNumbers: (prefix, quantity, options, context) =>
    searchPool({ db: MANAGED_DB, design: 'numbers_managed', module: 'knm_managed', state: 'discovery', useOffset: false }, prefix, quantity, options, context),
  acquireNumber: (record, context) => markPoolAcquired(MANAGED_DB, 'knm_managed', record, context),
  // knm_managed writes a JSON null owner rather than removing the key (FACTS §5).
  disconnectNumber: (record, context) =>
    markPoolReturned(MANAGED_DB, record, context, (doc) => ({ ...doc, pvt_state: 'available', pvt_assigned_to: null })),
};

/** `generate_numbers managed <Account> <Start> <Quantity>`. */
export const generateManagedNumbers: GenerateNumbers = poolNumbersGenerator(MANAGED_DB);
