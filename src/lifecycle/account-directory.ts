/**
 * The accounts a decision consults, read from the `accounts` database in one request: the lifecycle's rules take
 * them as an AccountDirectory (accounts.ts), which knows nothing of CouchDB.
 */
import type { Store } from '../store/client';
import { AccountDirectory, directoryOf, readAccountDoc, SYSTEM, type AccountFacts } from './accounts';

export const ACCOUNTS_DB = 'accounts';

/** The account documents of `ids` (system and undefined left out); an account that cannot be read is absent. */
export async function readAccountDirectory(store: Store, ids: readonly (string | undefined)[]): Promise<AccountDirectory> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== undefined && id !== SYSTEM))];
  if (wanted.length === 0) return directoryOf([]);
  const rows = await store.getMany(ACCOUNTS_DB, wanted);
  return directoryOf(rows.map((row) => (row.ok ? readAccountDoc(row.doc) : undefined)).filter((account): account is AccountFacts => account !== undefined));
}
