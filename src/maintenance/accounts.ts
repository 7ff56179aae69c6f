/**
 * Every account of the `accounts` database, read a page of its changes at a time (no design document needed), and
 * what Kazoo asks of them: the descendants of an account (kapps_util:account_descendants/1: the accounts whose
 * `pvt_tree` holds it) and the master account (kapps_util:get_master_account_id/0).
 */
import { isJsonObject } from '../documents/json';
import { AccountFacts, readAccountDoc } from '../lifecycle/accounts';
import type { Store } from '../store/client';
import type { ChangesBatch, Seq } from '../store/types';

const ACCOUNTS_DB = 'accounts';
const PAGE = 1000;

export interface StoredAccount {
  readonly facts: AccountFacts;
  /** `pvt_created`, 0 when missing. */
  readonly created: number;
}

export async function allAccounts(store: Store): Promise<StoredAccount[]> {
  const accounts: StoredAccount[] = [];
  for (let since: Seq = '0'; ; ) {
    const batch: ChangesBatch = await store.changes(ACCOUNTS_DB, { since, limit: PAGE, include_docs: true });
    for (const change of batch.results) {
      const facts = change.deleted === true || change.id.startsWith('_design/') ? undefined : readAccountDoc(change.doc);
      if (facts !== undefined) accounts.push({ facts, created: Number(change.doc?.pvt_created ?? 0) });
    }
    if (batch.results.length < PAGE) return accounts;
    since = batch.last_seq;
  }
}

/** The accounts below `accountId`, at any depth. */
export async function descendantsOf(store: Store, accountId: string): Promise<string[]> {
  return (await allAccounts(store)).filter(({ facts }) => facts.tree.includes(accountId)).map(({ facts }) => facts.id).sort();
}

/** `system_config/accounts` `master_account_id`, else the oldest account without ancestors; undefined when none. */
export async function masterAccountId(store: Store): Promise<string | undefined> {
  const config = await store.getOrNull('system_config', 'accounts');
  const configured = isJsonObject(config?.default) ? config.default.master_account_id : undefined;
  if (typeof configured === 'string' && configured !== '') return configured;
  const roots = (await allAccounts(store)).filter(({ facts }) => facts.tree.length === 0).sort((a, b) => a.created - b.created);
  return roots[0]?.facts.id;
}
