/**
 * The number hunt served from memory: number → its hunt facts (and the answer already serialized), account →
 * enabled, filled from CouchDB on a miss and kept current by whoever follows the changes feeds (the pipeline calls
 * `apply` for every change of a number database it reads, live.ts for every change of `accounts`). Kazoo caches
 * successful look-ups and drops them when the number document changes (states.md §8 step 1); knm keeps the facts
 * instead of the answers, so a change is seen by the next hunt.
 *
 * What is remembered is trusted only while a feed of its database reaches this index (`follows`) and has done so
 * without a break since it was read (`feedResumed` starts a new epoch). Anything else is used for `ttlMs` at most,
 * then read again. Why not cache only what this worker follows: hunts reach every worker, and with leases a worker
 * follows a share of the number databases only; an expiry keeps the other numbers served from memory, and seen
 * changed within `ttlMs` (the hunt's one-second goal).
 *
 * A number with no document is never remembered: its creation may come before anyone applies it, and a miss costs
 * one read. A fill that raced a change of the same number is dropped, and a change older (by revision) than what is
 * held is ignored, so an older read never hides a newer change.
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
  /** The revision the row reports (`changes[0].rev`); the document's `_rev` is used without it. */
  readonly rev?: string;
}

/** A hunt's answer as the HTTP endpoint sends it: status and JSON body, built once per number and change. */
export interface HuntResponse {
  readonly answer: HuntAnswer;
  readonly status: number;
  readonly body: Buffer;
}

export interface HuntIndexOptions {
  readonly source: HuntSource;
  /** The cluster's number rules (normalize with e164_converters). */
  readonly rules: Pick<NumberRules, 'normalize'>;
  readonly config: HuntConfig & Pick<NumberManagerConfig, 'available_module_name'>;
  /** carrier `should_lookup_cnam/0`; an unknown module looks CNAM up, as Kazoo's try/catch does. */
  readonly shouldLookupCnam?: (module: string) => boolean;
  /** Whether every change of `db` (a number database or `accounts`) reaches `apply` now; default: none does. */
  readonly follows?: (db: string) => boolean;
  /** How long a number or account whose database is not followed is trusted without a read (default 1 s). */
  readonly ttlMs?: number;
  /** Milliseconds, for the expiry only. */
  readonly nowMs?: () => number;
  /** Gregorian seconds given to documents without timestamps while reading (never written). */
  readonly gregorianNow?: () => number;
}

export const ACCOUNTS_DB = 'accounts';
const PORT_REQUESTS_DB = 'port_requests';

interface Remembered {
  readonly db: string;
  /** The revision's generation (the number before `-` of `_rev`); 0 when unknown. */
  readonly generation: number;
  /** The epoch of `db`'s feed when the read started or the change was applied. */
  readonly epoch: number;
  readonly at: number;
}

interface NumberEntry extends Remembered {
  readonly facts: HuntFacts;
  /** The answer served for the holder's `enabled` flag it was decided with; dropped with the entry on a change. */
  served?: HuntResponse & { readonly enabled: boolean | undefined };
}

interface AccountEntry extends Remembered {
  readonly enabled: boolean | undefined;
}

/** What port_requests/port_in_numbers said of a number without a document, and when. */
interface PortRequestEntry {
  readonly accountId: string | undefined;
  readonly at: number;
}

/** Beyond this many remembered port-request answers, the expired ones are swept (and all, if none has expired). */
const PORT_REQUEST_ANSWERS_MAX = 10_000;

export class HuntIndex {
  private readonly numbers = new Map<string, NumberEntry>();
  private readonly accounts = new Map<string, AccountEntry>();
  /** Fills in flight, by number; `apply` removes a number's token so the stale fill is not stored. */
  private readonly fills = new Map<string, symbol>();
  /** Account reads in flight: concurrent hunts of one holder share a read. */
  private readonly accountReads = new Map<string, Promise<boolean | undefined>>();
  private readonly epochs = new Map<string, number>();
  /** Port-request answers (found or not) for numbers without a document, kept `ttlMs`: a switch retrying an unknown number reads the view once a second at most. */
  private readonly portRequests = new Map<string, PortRequestEntry>();
  private readonly portRequestReads = new Map<string, Promise<string | undefined>>();
  /** Bumped whenever port-request answers are dropped, so that a read in flight from before is not kept. */
  private portRequestsEpoch = 0;
  /** Numbers changed while a warm-up read is in flight, one set per read. */
  private readonly warmReads = new Set<Set<string>>();
  private rules: HuntIndexOptions['rules'];
  private config: HuntIndexOptions['config'];
  private readonly shouldLookupCnam: (module: string) => boolean;
  private readonly follows: (db: string) => boolean;
  private readonly ttlMs: number;
  private readonly nowMs: () => number;
  private readonly gregorianNow: () => number;
  /** Answers given without reading the number from CouchDB. */
  hits = 0;
  /** Number documents read from CouchDB (misses and expired entries). */
  misses = 0;
  /** Changes of number databases applied. */
  applied = 0;
  /** Queries of port_requests/port_in_numbers (misses of numbers without a document, not answered from memory). */
  portRequestQueries = 0;

  constructor(private readonly options: HuntIndexOptions) {
    this.rules = options.rules;
    this.config = options.config;
    this.shouldLookupCnam = options.shouldLookupCnam ?? ((module) => carrierFor(module)?.shouldLookupCnam ?? true);
    this.follows = options.follows ?? (() => false);
    this.ttlMs = options.ttlMs ?? 1_000;
    this.nowMs = options.nowMs ?? Date.now;
    this.gregorianNow = options.gregorianNow ?? (() => 0);
  }

  get size(): number {
    return this.numbers.size;
  }

  /** knm_numbers:lookup_account/1 for `input` in any form the converters understand. */
  async lookup(input: string): Promise<HuntAnswer> {
    return (await this.respond(input)).answer;
  }

  /**
   * The answer with its HTTP status and body: synchronous when the number and its holder are held and trusted
   * (the hunt endpoint's fast path allocates nothing then), a promise when something must be read first.
   */
  respond(input: string): HuntResponse | Promise<HuntResponse> {
    if (input === '') return responseOf({ ok: false, error: notReconcilableForHunt(input) });
    const number = this.rules.normalize(input);
    const entry = this.numbers.get(number);
    if (entry !== undefined && this.trusted(entry)) {
      this.hits += 1;
      const served = entry.served;
      const holder = entry.facts.assignedTo;
      if (served !== undefined && (holder === undefined || this.trustedAccount(holder)?.enabled === served.enabled)) return served;
      return this.decide(entry);
    }
    return this.respondAfterRead(number);
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
    const generation = generationOf(change.rev ?? revOf(change.doc));
    const held = this.numbers.get(number);
    // A fill may already hold a newer revision than the feed has reached.
    if (held !== undefined && generation > 0 && held.generation > generation) return;
    this.fills.delete(number);
    this.touched(number);
    this.applied += 1;
    const facts = change.deleted === true || change.doc === undefined || change.doc === null ? undefined : this.factsOf(change.doc);
    if (facts === undefined || facts.number !== number) this.numbers.delete(number);
    else this.numbers.set(number, { facts, db, generation, epoch: this.epochOf(db), at: this.nowMs() });
  }

  /**
   * `db`'s feed reaches this index again after a break (a lease taken or won back, a feed restarted): changes may
   * have been missed meanwhile, so what was held of `db` is trusted for `ttlMs` only, as if not followed.
   */
  feedResumed(db: string): void {
    this.epochs.set(db, this.epochOf(db) + 1);
  }

  /**
   * system_config/number_manager changed: new converters may name numbers differently and the hunt's keys
   * (force_*_outbound, fetch_account_from_ports, available_module_name) change answers, so every number is forgotten.
   */
  reconfigure(rules: HuntIndexOptions['rules'], config: HuntIndexOptions['config']): void {
    this.rules = rules;
    this.config = config;
    this.numbers.clear();
    this.fills.clear();
    this.portRequestsChanged();
  }

  /** port_requests changed: a number may have entered or left an active port request. */
  portRequestsChanged(): void {
    this.portRequests.clear();
    this.portRequestReads.clear();
    this.portRequestsEpoch += 1;
  }

  /** Forget what is known of a number: the next hunt reads it from CouchDB. */
  invalidate(number: string): void {
    const normalized = this.normalizeId(number) ?? number;
    this.fills.delete(normalized);
    this.touched(normalized);
    this.numbers.delete(normalized);
  }

  invalidateAccount(accountId: string): void {
    this.accounts.delete(accountId);
  }

  /**
   * Adds number documents of `db` read elsewhere (a page of the warm-up over a view); `read` runs the read. A
   * number changed while the read was in flight keeps what the change said, as for a fill. Returns how many were added.
   */
  async rememberRead(db: string, read: () => Promise<readonly unknown[]>): Promise<number> {
    const changed = new Set<string>();
    const epoch = this.epochOf(db);
    this.warmReads.add(changed);
    let docs: readonly unknown[];
    try {
      docs = await read();
    } finally {
      this.warmReads.delete(changed);
    }
    const at = this.nowMs();
    let added = 0;
    for (const doc of docs) {
      const facts = this.factsOf(doc);
      if (facts === undefined || toDbName(facts.number) !== db || changed.has(facts.number) || this.fills.has(facts.number)) continue;
      const generation = generationOf(revOf(doc));
      const held = this.numbers.get(facts.number);
      if (held !== undefined && held.generation > generation) continue;
      this.numbers.set(facts.number, { facts, db, generation, epoch, at });
      added += 1;
    }
    return added;
  }

  private touched(number: string): void {
    for (const changed of this.warmReads) changed.add(number);
  }

  private async respondAfterRead(number: string): Promise<HuntResponse> {
    const entry = await this.fill(number);
    if (entry !== undefined) return this.decide(entry);
    if (!this.config.fetch_account_from_ports) return responseOf({ ok: false, error: notFoundForHunt(number) });
    const portAccount = await this.portRequestAccount(number);
    return responseOf(portAccount === undefined ? { ok: false, error: notFoundForHunt(number) } : decidePortRequestHunt(number, portAccount));
  }

  /** Decides with the holder's flag and keeps the serialized answer on the entry, if it is still the one held. */
  private async decide(entry: NumberEntry): Promise<HuntResponse> {
    const holder = entry.facts.assignedTo;
    const enabled = holder === undefined ? undefined : await this.accountEnabled(holder);
    const served = { ...responseOf(decideHunt(entry.facts, enabled, this.config, this.shouldLookupCnam)), enabled };
    if (this.numbers.get(entry.facts.number) === entry) entry.served = served;
    return served;
  }

  private portRequestAccount(number: string): Promise<string | undefined> | string | undefined {
    const held = this.portRequests.get(number);
    if (held !== undefined && this.nowMs() - held.at < this.ttlMs) return held.accountId;
    const reading = this.portRequestReads.get(number);
    if (reading !== undefined) return reading;
    const epoch = this.portRequestsEpoch;
    this.portRequestQueries += 1;
    const read = this.options.source.portRequestAccount(number).then((accountId) => {
      if (this.portRequestsEpoch === epoch && this.ttlMs > 0) {
        if (this.portRequests.size >= PORT_REQUEST_ANSWERS_MAX) this.sweepPortRequests();
        this.portRequests.set(number, { accountId, at: this.nowMs() });
      }
      return accountId;
    }).finally(() => {
      if (this.portRequestReads.get(number) === read) this.portRequestReads.delete(number);
    });
    this.portRequestReads.set(number, read);
    return read;
  }

  /** Expired answers go; if every answer is still fresh (a flood of unknown numbers), all go: memory stays bounded. */
  private sweepPortRequests(): void {
    const now = this.nowMs();
    for (const [number, entry] of this.portRequests) if (now - entry.at >= this.ttlMs) this.portRequests.delete(number);
    if (this.portRequests.size >= PORT_REQUEST_ANSWERS_MAX) this.portRequests.clear();
  }

  private async fill(number: string): Promise<NumberEntry | undefined> {
    const db = toDbName(number);
    if (db === undefined) return undefined;
    this.misses += 1;
    const token = Symbol(number);
    this.fills.set(number, token);
    const epoch = this.epochOf(db);
    try {
      const doc = await this.options.source.readNumber(db, number);
      const facts = doc === null || doc === undefined ? undefined : this.factsOf(doc);
      if (facts === undefined) return undefined;
      const entry: NumberEntry = { facts, db, generation: generationOf(revOf(doc)), epoch, at: this.nowMs() };
      if (this.fills.get(number) === token) this.numbers.set(number, entry);
      return entry;
    } finally {
      if (this.fills.get(number) === token) this.fills.delete(number);
    }
  }

  private accountEnabled(accountId: string): Promise<boolean | undefined> | boolean | undefined {
    const held = this.trustedAccount(accountId);
    if (held !== undefined) return held.enabled;
    const reading = this.accountReads.get(accountId);
    if (reading !== undefined) return reading;
    const epoch = this.epochOf(ACCOUNTS_DB);
    const read = this.options.source.readAccount(accountId).then(
      (doc) => {
        const enabled = readAccountDoc(doc)?.enabled;
        if (this.accountReads.get(accountId) === read) {
          const generation = generationOf(revOf(doc));
          const current = this.accounts.get(accountId);
          if (current === undefined || current.generation <= generation) this.accounts.set(accountId, { enabled, db: ACCOUNTS_DB, generation, epoch, at: this.nowMs() });
        }
        return enabled;
      },
    ).finally(() => {
      if (this.accountReads.get(accountId) === read) this.accountReads.delete(accountId);
    });
    this.accountReads.set(accountId, read);
    return read;
  }

  private applyAccount(change: IndexedChange): void {
    const generation = generationOf(change.rev ?? revOf(change.doc));
    const held = this.accounts.get(change.id);
    if (held !== undefined && generation > 0 && held.generation > generation) return;
    this.accountReads.delete(change.id);
    const account = change.deleted === true ? undefined : readAccountDoc(change.doc);
    // A missing account counts as disabled (kzd_accounts:is_enabled/1), which is also what a fresh read would say.
    this.accounts.set(change.id, { enabled: account?.enabled, db: ACCOUNTS_DB, generation, epoch: this.epochOf(ACCOUNTS_DB), at: this.nowMs() });
  }

  private trustedAccount(accountId: string): AccountEntry | undefined {
    const held = this.accounts.get(accountId);
    return held !== undefined && this.trusted(held) ? held : undefined;
  }

  private trusted(entry: Remembered): boolean {
    if (entry.epoch === this.epochOf(entry.db) && this.follows(entry.db)) return true;
    return this.nowMs() - entry.at < this.ttlMs;
  }

  private epochOf(db: string): number {
    return this.epochs.get(db) ?? 0;
  }

  /** The hunt facts of a number document; undefined for anything the 4.3 loader could not read as a number. */
  private factsOf(doc: unknown): HuntFacts | undefined {
    try {
      const context = { now: this.gregorianNow(), normalize: (number: string) => this.rules.normalize(number), availableModuleName: this.config.available_module_name };
      return huntFactsOf(readNumberDocument(doc, context).record);
    } catch {
      return undefined;
    }
  }

  private normalizeId(id: string): string | undefined {
    try {
      return this.rules.normalize(id);
    } catch {
      return undefined;
    }
  }
}

function responseOf(answer: HuntAnswer): HuntResponse {
  const status = answer.ok ? 200 : answer.error.code;
  return { answer, status, body: Buffer.from(JSON.stringify(answer.ok ? answer.props : answer.error.toJSON())) };
}

function revOf(doc: unknown): string | undefined {
  const rev = typeof doc === 'object' && doc !== null ? (doc as { _rev?: unknown })._rev : undefined;
  return typeof rev === 'string' ? rev : undefined;
}

function generationOf(rev: string | undefined): number {
  const generation = rev === undefined ? 0 : parseInt(rev, 10);
  return Number.isFinite(generation) ? generation : 0;
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

export interface WarmOptions {
  /** Rows per view request (default 2000). */
  readonly pageSize?: number;
  /** Numbers loaded so far, after each page. */
  readonly progress?: (loaded: number) => void;
  /** Asked before each page: false stops the warm-up of `db` (the daemon stops, the lease was lost). */
  readonly proceed?: (db: string) => boolean;
}

/**
 * Loads every hunted number of the given number databases into the index, a page at a time through knm's
 * `hunt` view (only numbers in a hunted state), so that the first call to each number is served from memory.
 * Returns how many numbers were loaded.
 */
export async function warmHuntIndex(index: HuntIndex, store: Store, dbs: readonly string[], options: WarmOptions = {}): Promise<number> {
  const pageSize = options.pageSize ?? 2000;
  let loaded = 0;
  for (const db of dbs) {
    let startkey: string | undefined;
    while (options.proceed?.(db) !== false) {
      let next: string | undefined;
      loaded += await index.rememberRead(db, async () => {
        const page = await store.view<string, unknown, CouchDoc>(db, 'knm', 'hunt', {
          include_docs: true,
          limit: pageSize + 1,
          ...(startkey === undefined ? {} : { startkey }),
        });
        next = page.rows.length > pageSize ? page.rows[pageSize].key : undefined;
        return page.rows.slice(0, pageSize).map((row) => row.doc);
      });
      options.progress?.(loaded);
      if (next === undefined) break;
      startkey = next;
    }
  }
  return loaded;
}
