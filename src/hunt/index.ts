/**
 * The number hunt served from memory: number → its hunt facts, account → enabled, filled from CouchDB on a miss
 * and kept current by whoever follows the changes feeds (the pipeline calls `apply` for every change of a number
 * database and of `accounts`). Kazoo caches successful look-ups and drops them when the number document changes
 * (states.md §8 step 1); knm keeps the facts instead of the answers, so a change is seen by the next hunt.
 *
 * A number with no document is never remembered: its creation may come before anyone applies it, and a miss costs
 * one read. A fill that raced a change of the same number is dropped, so an older read never hides a newer change.
 */
import { carrierFor } from '../carriers/registry';
import type { NumberManagerConfig } from '../config/number-manager';
import { readNumberDocument } from '../documents/read';
import { readAccountDoc } from '../lifecycle/accounts';
import { isNumberDbName, toDbName } from '../numbers/db-names';
import type { NumberRules } from '../numbers/rules';
import type { Store } from '../store/client';
import type { CouchDoc } from '../store/types';
import { decideHunt, decidePortRequestHunt, HuntAnswer, HuntConfig, HuntFacts, huntFactsOf, notFoundForHunt, notReconcilableForHunt } from './lookup';

/** Where a miss is read from: CouchDB through the store, in production. */
export interface HuntSource {
  /** The number's document, or null when there is none. */
  readNumber(db: string, number: string): Promise<unknown>;
  /** The account document, or null when it cannot be read. */
  readAccount(accountId: string): Promise<unknown>;
  /** The account of the active port request listing the number (port_requests/port_in_numbers), if any. */
  portRequestAccount(number: string): Promise<string | undefined>;
}

/** One change of a followed database, as `_changes?include_docs=true` gives it. */
export interface IndexedChange {
  readonly id: string;
  readonly deleted?: boolean;
  readonly doc?: unknown;
}

export interface HuntIndexOptions {
  readonly source: HuntSource;
  /** The cluster's number rules (normalize with e164_converters). */
  readonly rules: Pick<NumberRules, 'normalize'>;
  readonly config: HuntConfig & Pick<NumberManagerConfig, 'available_module_name'>;
  /** carrier `should_lookup_cnam/0`; an unknown module looks CNAM up, as Kazoo's try/catch does. */
  readonly shouldLookupCnam?: (module: string) => boolean;
  /** How long an account's enabled flag is trusted without a change applied (default 10 s). */
  readonly accountTtlMs?: number;
  /** Milliseconds, for the account cache only. */
  readonly nowMs?: () => number;
  /** Gregorian seconds given to documents without timestamps while reading (never written). */
  readonly gregorianNow?: () => number;
}

const ACCOUNTS_DB = 'accounts';
const PORT_REQUESTS_DB = 'port_requests';

export class HuntIndex {
  private readonly numbers = new Map<string, HuntFacts>();
  private readonly accounts = new Map<string, { enabled: boolean | undefined; at: number }>();
  /** Fills in flight, by number; `apply` removes a number's token so the stale fill is not stored. */
  private readonly fills = new Map<string, symbol>();
  private readonly shouldLookupCnam: (module: string) => boolean;
  private readonly accountTtlMs: number;
  private readonly nowMs: () => number;
  private readonly gregorianNow: () => number;
  hits = 0;
  misses = 0;

  constructor(private readonly options: HuntIndexOptions) {
    this.shouldLookupCnam = options.shouldLookupCnam ?? ((module) => carrierFor(module)?.shouldLookupCnam ?? true);
    this.accountTtlMs = options.accountTtlMs ?? 10_000;
    this.nowMs = options.nowMs ?? Date.now;
    this.gregorianNow = options.gregorianNow ?? (() => 0);
  }

  get size(): number {
    return this.numbers.size;
  }

  /** knm_numbers:lookup_account/1 for `input` in any form the converters understand. */
  async lookup(input: string): Promise<HuntAnswer> {
    if (input === '') return { ok: false, error: notReconcilableForHunt(input) };
    const number = this.options.rules.normalize(input);
    const facts = this.numbers.get(number) ?? (await this.fill(number));
    if (facts === undefined) {
      if (!this.options.config.fetch_account_from_ports) return { ok: false, error: notFoundForHunt(number) };
      const portAccount = await this.options.source.portRequestAccount(number);
      return portAccount === undefined ? { ok: false, error: notFoundForHunt(number) } : decidePortRequestHunt(number, portAccount);
    }
    const enabled = facts.assignedTo === undefined ? undefined : await this.accountEnabled(facts.assignedTo);
    return decideHunt(facts, enabled, this.options.config, this.shouldLookupCnam);
  }

  /** A change of `db`: number databases update the number, `accounts` the account; others are ignored. */
  apply(db: string, change: IndexedChange): void {
    if (db === ACCOUNTS_DB) {
      this.applyAccount(change);
      return;
    }
    if (!isNumberDbName(db) || change.id.startsWith('_design/')) return;
    const number = this.normalizeId(change.id);
    if (number === undefined) return;
    this.fills.delete(number);
    const facts = change.deleted === true || change.doc === undefined || change.doc === null ? undefined : this.factsOf(change.doc);
    if (facts === undefined || facts.number !== number) this.numbers.delete(number);
    else this.numbers.set(number, facts);
  }

  /** Forget what is known of a number: the next hunt reads it from CouchDB. */
  invalidate(number: string): void {
    const normalized = this.normalizeId(number) ?? number;
    this.fills.delete(normalized);
    this.numbers.delete(normalized);
  }

  invalidateAccount(accountId: string): void {
    this.accounts.delete(accountId);
  }

  /** Adds a number document read elsewhere (the warm-up over a view). */
  remember(doc: unknown): void {
    const facts = this.factsOf(doc);
    if (facts !== undefined) this.numbers.set(facts.number, facts);
  }

  private async fill(number: string): Promise<HuntFacts | undefined> {
    const db = toDbName(number);
    if (db === undefined) return undefined;
    this.misses += 1;
    const token = Symbol(number);
    this.fills.set(number, token);
    try {
      const doc = await this.options.source.readNumber(db, number);
      const facts = doc === null || doc === undefined ? undefined : this.factsOf(doc);
      if (facts !== undefined && this.fills.get(number) === token) this.numbers.set(number, facts);
      return facts;
    } finally {
      if (this.fills.get(number) === token) this.fills.delete(number);
    }
  }

  private async accountEnabled(accountId: string): Promise<boolean | undefined> {
    const cached = this.accounts.get(accountId);
    if (cached !== undefined && this.nowMs() - cached.at < this.accountTtlMs) return cached.enabled;
    const doc = await this.options.source.readAccount(accountId);
    const enabled = readAccountDoc(doc)?.enabled;
    this.accounts.set(accountId, { enabled, at: this.nowMs() });
    return enabled;
  }

  private applyAccount(change: IndexedChange): void {
    const account = change.deleted === true ? undefined : readAccountDoc(change.doc);
    if (account === undefined) this.accounts.delete(change.id);
    else this.accounts.set(change.id, { enabled: account.enabled, at: this.nowMs() });
  }

  /** The hunt facts of a number document; undefined for anything the 4.3 loader could not read as a number. */
  private factsOf(doc: unknown): HuntFacts | undefined {
    try {
      const context = { now: this.gregorianNow(), normalize: (number: string) => this.options.rules.normalize(number), availableModuleName: this.options.config.available_module_name };
      return huntFactsOf(readNumberDocument(doc, context).record);
    } catch {
      return undefined;
    }
  }

  private normalizeId(id: string): string | undefined {
    try {
      return this.options.rules.normalize(id);
    } catch {
      return undefined;
    }
  }
}

/** The hunt's reads from CouchDB. */
export function storeHuntSource(store: Store): HuntSource {
  return {
    readNumber: (db, number) => store.getOrNull(db, number),
    readAccount: (accountId) => store.getOrNull(ACCOUNTS_DB, accountId),
    async portRequestAccount(number) {
      try {
        const result = await store.view<string, unknown>(PORT_REQUESTS_DB, 'port_requests', 'port_in_numbers', { key: number });
        // Kazoo's knm_port_request:get/1 wants exactly one active request for the number
        if (result.rows.length !== 1) return undefined;
        const account = result.rows[0].value;
        return typeof account === 'string' && account !== '' ? account : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * Loads every hunted number of the given number databases into the index, a page at a time through knm's
 * `hunt` view (only numbers in a hunted state), so that the first call to each number is served from memory.
 */
export async function warmHuntIndex(index: HuntIndex, store: Store, dbs: readonly string[], pageSize = 2000, progress?: (loaded: number) => void): Promise<number> {
  let loaded = 0;
  for (const db of dbs) {
    let startkey: string | undefined;
    for (;;) {
      const page = await store.view<string, unknown, CouchDoc>(db, 'knm', 'hunt', {
        include_docs: true,
        limit: pageSize + 1,
        ...(startkey === undefined ? {} : { startkey }),
      });
      const rows = page.rows.slice(0, pageSize);
      for (const row of rows) if (row.doc) index.remember(row.doc);
      loaded += rows.length;
      progress?.(loaded);
      if (page.rows.length <= pageSize) break;
      startkey = page.rows[pageSize].key;
    }
  }
  return loaded;
}
