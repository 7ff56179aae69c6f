/**
 * migrate_port_requests/0 (knm_port_request:migrate/0): every port request of `port_requests`, read through
 * `port_requests/listing_by_state` in batches of 50 with a pause between batches, gets what later Kazoo expects of it:
 * - `pvt_tree`, when missing: the requesting account's tree (add_pvt_tree/1);
 * - `pvt_port_authority` and `pvt_port_authority_name`, when either is missing: the account that handles its ports and
 *   that account's name (add_pvt_port_authority/1, kzd_port_requests:find_port_authority/1);
 * - `pvt_account_name`, when missing: the requesting account's name (add_pvt_account_name/1);
 * - each comment's `superduper_comment` becomes `is_private` (rename_superduper_comment/1).
 * Only changed requests are written (`_bulk_docs`); a request whose account cannot be read is reported, not guessed.
 */
import { isJsonObject, JsonValue } from '../documents/json';
import { readAccountDoc } from '../lifecycle/accounts';
import { accountDbName } from '../numbers/db-names';
import type { Store } from '../store/client';
import type { CouchDoc } from '../store/types';
import { masterAccountId } from './accounts';
import { pause, viewRows } from './number-dbs';

const PORT_REQUESTS_DB = 'port_requests';
const ACCOUNTS_DB = 'accounts';
const BATCH = 50;
/** knm_port_request:migrate/2 sleeps 5 s between batches. */
export const PORT_REQUEST_BATCH_PAUSE_MS = 5000;

/** What a port request's migration needs to know of its accounts. */
export interface PortRequestFacts {
  readonly tree?: readonly string[];
  readonly accountName?: string;
  readonly authority?: { readonly id: string; readonly name?: string };
}

/** The migrated request, or undefined when nothing changes (migrate_doc/1: the four setters, in Kazoo's order). */
export function migratedPortRequest(doc: CouchDoc, facts: PortRequestFacts): CouchDoc | undefined {
  let next: CouchDoc = doc;
  if (doc.pvt_tree === undefined && facts.tree !== undefined) next = { ...next, pvt_tree: [...facts.tree] };
  if ((doc.pvt_port_authority === undefined || doc.pvt_port_authority_name === undefined) && facts.authority !== undefined) {
    const { id, name } = facts.authority;
    next = { ...next, pvt_port_authority: id, ...(name === undefined ? {} : { pvt_port_authority_name: name }) };
  }
  if (doc.pvt_account_name === undefined && facts.accountName !== undefined) next = { ...next, pvt_account_name: facts.accountName };
  const comments = Array.isArray(doc.comments) ? (doc.comments as JsonValue[]) : [];
  if (comments.some((comment) => isJsonObject(comment) && 'superduper_comment' in comment)) next = { ...next, comments: comments.map(privateComment) };
  // a request that stays short of a name (its authority has none) is not rewritten on every run
  return JSON.stringify(next) === JSON.stringify(doc) ? undefined : next;
}

function privateComment(comment: JsonValue): JsonValue {
  if (!isJsonObject(comment) || !('superduper_comment' in comment)) return comment;
  const { superduper_comment: isPrivate, ...rest } = comment;
  return { ...rest, is_private: isPrivate };
}

export interface PortRequestMigrationReport {
  readonly migrated: string[];
  readonly unchanged: number;
  readonly failures: { id: string; reason: string }[];
}

/** migrate_port_requests/0; `pauseMs` between batches (Kazoo's 5 s unless told); `step` after each batch, with the requests seen. */
export async function migratePortRequests(
  store: Store,
  pauseMs = PORT_REQUEST_BATCH_PAUSE_MS,
  progress?: (line: string) => void,
  step?: (requestsDone: number) => void,
): Promise<PortRequestMigrationReport> {
  const migrated: string[] = [];
  const failures: PortRequestMigrationReport['failures'] = [];
  let unchanged = 0;
  const accounts = new AccountFactsCache(store);
  let first = true;
  for await (const rows of viewRows(store, PORT_REQUESTS_DB, 'port_requests', 'listing_by_state', { include_docs: true }, BATCH)) {
    if (!first) await pause(pauseMs);
    first = false;
    const changed: CouchDoc[] = [];
    for (const doc of rows.flatMap((row) => (row.doc ? [row.doc] : []))) {
      const accountId = typeof doc.pvt_account_id === 'string' ? doc.pvt_account_id : undefined;
      const facts = accountId === undefined ? undefined : await accounts.factsOf(accountId);
      if (facts === undefined) {
        failures.push({ id: doc._id, reason: `account ${accountId ?? '(none)'} not found` });
        continue;
      }
      const next = migratedPortRequest(doc, facts);
      if (next === undefined) unchanged += 1;
      else changed.push(next);
    }
    for (const result of changed.length === 0 ? [] : await store.bulkDocs(PORT_REQUESTS_DB, changed)) {
      if (result.ok) migrated.push(result.id);
      else failures.push({ id: result.id, reason: result.error });
    }
    progress?.(`migrated ${changed.length} port requests`);
    step?.(migrated.length + unchanged + failures.length);
  }
  return { migrated, unchanged, failures };
}

/** Account documents, whitelabel port authorities and the master account, each read once per run. */
class AccountFactsCache {
  private readonly accounts = new Map<string, Promise<CouchDoc | undefined>>();
  private readonly whitelabels = new Map<string, Promise<string | undefined>>();
  private master: Promise<string | undefined> | undefined;

  constructor(private readonly store: Store) {}

  async factsOf(accountId: string): Promise<PortRequestFacts | undefined> {
    const account = await this.account(accountId);
    if (account === undefined) return undefined;
    const authorityId = await this.portAuthority(accountId);
    const authority = authorityId === undefined ? undefined : { id: authorityId, name: nameOf(await this.account(authorityId)) };
    return { tree: readAccountDoc(account)?.tree ?? [], accountName: nameOf(account), authority };
  }

  /**
   * kzd_port_requests:find_port_authority/3,4: from the account up its tree, the first whitelabel `port.authority`
   * that is not the requesting account itself; the master account when none (or when the walk reaches the top).
   */
  private async portAuthority(accountId: string): Promise<string | undefined> {
    const master = await this.masterAccount();
    if (master === undefined) return undefined;
    const visited = new Set<string>();
    for (let current = accountId; current !== master && !visited.has(current); ) {
      visited.add(current);
      const authority = await this.whitelabelAuthority(current);
      if (authority !== undefined && authority !== accountId) return authority;
      current = await this.parentOf(current, master);
    }
    return master;
  }

  /** kzd_accounts:get_authoritative_parent_id/2: the last ancestor of the tree, the master account for a root. */
  private async parentOf(accountId: string, master: string): Promise<string> {
    const tree = readAccountDoc(await this.account(accountId))?.tree ?? [];
    return tree.length > 0 ? tree[tree.length - 1] : master;
  }

  private account(accountId: string): Promise<CouchDoc | undefined> {
    let account = this.accounts.get(accountId);
    if (account === undefined) {
      account = this.store.getOrNull(ACCOUNTS_DB, accountId).then((doc) => doc ?? undefined);
      this.accounts.set(accountId, account);
    }
    return account;
  }

  /** kzd_whitelabel:fetch_port_authority/2: `port.authority` of the account's `whitelabel` document. */
  private whitelabelAuthority(accountId: string): Promise<string | undefined> {
    let authority = this.whitelabels.get(accountId);
    if (authority === undefined) {
      authority = this.store
        .getOrNull(accountDbName(accountId), 'whitelabel')
        .catch(() => null)
        .then((doc) => {
          const port = doc?.port;
          return isJsonObject(port) && typeof port.authority === 'string' && port.authority !== '' ? port.authority : undefined;
        });
      this.whitelabels.set(accountId, authority);
    }
    return authority;
  }

  private masterAccount(): Promise<string | undefined> {
    this.master ??= masterAccountId(this.store);
    return this.master;
  }
}

function nameOf(account: CouchDoc | undefined): string | undefined {
  return typeof account?.name === 'string' ? account.name : undefined;
}
