/**
 * What the lifecycle needs to know of an account: its ancestors and its number-management flags, read
 * from the account document in the `accounts` database (kzd_accounts.erl).
 */

/** The literal Kazoo uses as `auth_by` for the system itself (knm_options:default/0). */
export const SYSTEM = 'system';

export interface AccountFacts {
  readonly id: string;
  /** Ancestors, root first (`pvt_tree`). */
  readonly tree: readonly string[];
  /** `pvt_superduper_admin: true` (kzd_accounts:is_superduper_admin/1). */
  readonly superduperAdmin: boolean;
  /** `pvt_wnm_allow_additions: true` (kzd_accounts:allow_number_additions/1). */
  readonly allowNumberAdditions: boolean;
  /** `pvt_enabled` is not false (kzd_accounts:is_enabled/1); consulted only by the number hunt. */
  readonly enabled: boolean;
  /**
   * `pvt_reseller_id`: whose `configs_number_manager` decides the account's number features. Kazoo reads it
   * from the account's services document (kz_services_reseller:get_id/1); the account document carries the same id.
   */
  readonly resellerId?: string;
  /** The account's `name`, as the task results list it (kt_numbers' account_name column). */
  readonly name?: string;
}

/** Looks accounts up by id; undefined when the account document cannot be read. */
export type AccountDirectory = (accountId: string) => AccountFacts | undefined;

/** Kazoo account ids are 32 characters (?MATCH_ACCOUNT_RAW). */
export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && value.length === 32;
}

/** Reads an account document; undefined when it is not one (no `_id`). */
export function readAccountDoc(doc: unknown): AccountFacts | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const fields = doc as Record<string, unknown>;
  const id = fields._id;
  if (typeof id !== 'string') return undefined;
  const tree = Array.isArray(fields.pvt_tree) ? fields.pvt_tree.filter((a): a is string => typeof a === 'string') : [];
  return {
    id,
    tree,
    superduperAdmin: isTrue(fields.pvt_superduper_admin),
    allowNumberAdditions: isTrue(fields.pvt_wnm_allow_additions),
    enabled: fields.pvt_enabled !== false && fields.pvt_enabled !== 'false',
    resellerId: isAccountId(fields.pvt_reseller_id) ? fields.pvt_reseller_id : undefined,
    ...(typeof fields.name === 'string' ? { name: fields.name } : {}),
  };
}

/** Kazoo reads these flags with kz_term:is_true/1: `true` or `"true"`. */
function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** A directory over a fixed set of account documents. */
export function directoryOf(accounts: Iterable<AccountFacts>): AccountDirectory {
  const byId = new Map<string, AccountFacts>();
  for (const account of accounts) byId.set(account.id, account);
  return (accountId) => byId.get(accountId);
}
