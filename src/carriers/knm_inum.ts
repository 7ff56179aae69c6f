/** iNum numbers (+883 510 …) from the pool in `numbers/inum` (FACTS §5; 4.3 src/carriers/knm_inum.erl). */
import { KnmError } from '../errors';
import type { Carrier } from './carrier';
import { searchPool } from './db-search';
import { GenerateNumbers, markPoolAcquired, markPoolReturned, poolNumbersGenerator } from './pool';

export const INUM_DB = 'numbers/inum';

export const knmInum: Carrier = {
  module: 'knm_inum',
  isLocal: true,
  isBillable: false,
  shouldLookupCnam: true,
  maximalPrefixLength: 15,
  // Offered `available`, not discovery, so a search never makes them buyable (knm_inum.erl, kept on purpose).
  findNumbers: (prefix, quantity, options, context) =>
    searchPool({ db: INUM_DB, design: 'numbers_inum', module: 'knm_inum', state: 'available', useOffset: true }, prefix, quantity, options, context),
  acquireNumber: (record, context) => markPoolAcquired(INUM_DB, 'knm_inum', record, context),
  disconnectNumber: (record, context) =>
    markPoolReturned(INUM_DB, record, context, ({ pvt_assigned_to: _owner, ...doc }) => ({
      ...doc,
      pvt_state: 'released',
      pvt_reserve_history: [],
    })),
};

const generateInumPool = poolNumbersGenerator(INUM_DB);

/** `generate_numbers inum <Account> <Start> <Quantity>`: 4.3 takes only 15-digit iNum starts (8835100…). */
export const generateInumNumbers: GenerateNumbers = async (context, accountId, start, quantity, progress) => {
  if (!/^8835100\d{8}$/.test(start)) {
    throw new KnmError('invalid', 400, `an iNum start is 15 digits beginning 8835100, not ${JSON.stringify(start)}`, { hint: 'e.g. 883510000000001' });
  }
  return generateInumPool(context, accountId, start, quantity, progress);
};
