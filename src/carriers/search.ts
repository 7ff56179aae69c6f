/**
 * Number search across carriers (carriers.md §2; 4.3 src/knm_search.erl, src/carriers/knm_carriers.erl):
 * which carriers to ask and in what order, all of them at once with Kazoo's restarting timeout, the merge
 * (every carrier's numbers, sorted by number, no de-duplication across carriers), the page, and — as knm
 * keeps them rather than in a node's memory — `discovery` documents for the numbers found at carriers, so
 * that moving one to `reserved` or `in_service` buys it through its carrier, and the purge removes the rest
 * after `tasks.discovery_expiry_d`. A number that already has a document in any other state is never touched.
 */
import type { NumberManagerConfig } from '../config/number-manager';
import { isJsonObject, JsonObject } from '../documents/json';
import type { NumberRecord, NumberState } from '../documents/types';
import { writeNumberDocument } from '../documents/write';
import { KnmError } from '../errors';
import { accountDbName, toDbName } from '../numbers/db-names';
import { withNumberDb } from '../store/bootstrap';
import type { Store } from '../store/client';
import type { DesignDocLibrary } from '../store/design-docs';
import type { CouchDoc, StoredDoc } from '../store/types';
import type { Carrier, CarrierContext, FindNumbersResult, FoundNumber, SearchOptions } from './carrier';
import { carrierFor } from './registry';

export interface SearchRequest {
  /** The prefix as typed: digits after the country's dial code (`415`), or a full `+…` prefix. */
  readonly prefix: string;
  /** Numbers to return (default 1). */
  readonly quantity?: number;
  /** Numbers to skip in the merged, sorted list (default 0). */
  readonly offset?: number;
  /** ISO 3166 alpha-2 (default `US`). */
  readonly country?: string;
  readonly accountId?: string;
  /** Looked up from the account document (`pvt_reseller_id`) when not given. */
  readonly resellerId?: string;
  readonly blocks?: number;
  readonly tollfree?: boolean;
}

export interface SearchEnvironment {
  readonly store: Store;
  readonly designDocs: DesignDocLibrary;
  /** The system `number_manager` configuration. */
  readonly config: NumberManagerConfig;
  /** Gregorian seconds now: stamped on discovery documents. */
  readonly now: number;
  readonly carriers?: (module: string) => Carrier | undefined;
}

export type CarrierOutcome = 'numbers' | 'nothing' | 'error' | 'timeout';

export interface CarrierReport {
  readonly module: string;
  readonly outcome: CarrierOutcome;
  readonly count: number;
  /** Why the carrier gave nothing (its error, or the timeout). */
  readonly reason?: string;
}

export interface SearchAnswer {
  /** The normalized prefix the carriers were asked for. */
  readonly prefix: string;
  /** The page: Kazoo's API items. */
  readonly numbers: { number: string; state: NumberState }[];
  /** Every number the carriers offered, sorted, before paging. */
  readonly found: readonly FoundNumber[];
  readonly carriers: readonly CarrierReport[];
  readonly discovery: DiscoveryReport;
}

export interface DiscoveryReport {
  /** New discovery documents. */
  readonly written: string[];
  /** Discovery documents found again: carrier data and `pvt_modified` renewed. */
  readonly refreshed: string[];
  /** Numbers that already have a document in another state: left as they are. */
  readonly kept: string[];
  readonly failed: { number: string; reason: string }[];
}

/** ITU dial codes of the countries Kazoo's crossbar search is used with (knm_util:prefix_for_country/1). */
const DIAL_CODES: Readonly<Record<string, string>> = {
  US: '+1', CA: '+1', PR: '+1', GB: '+44', IE: '+353', FR: '+33', DE: '+49', NL: '+31', BE: '+32', ES: '+34',
  IT: '+39', PT: '+351', CH: '+41', AT: '+43', SE: '+46', NO: '+47', DK: '+45', FI: '+358', PL: '+48', CZ: '+420',
  AU: '+61', NZ: '+64', MX: '+52', BR: '+55', AR: '+54', CL: '+56', CO: '+57', ZA: '+27', IL: '+972', IN: '+91',
  JP: '+81', SG: '+65', HK: '+852',
};

/** The reserved carriers come first when the account is known (knm_carriers:available_carriers/1). */
const ACCOUNT_CARRIERS = ['knm_reserved', 'knm_reserved_reseller', 'knm_local'];

export function dialCodeOf(country: string): string | undefined {
  return DIAL_CODES[country.toUpperCase()];
}

/** The known dial code a `+…` prefix starts with (the longest), or `''`. */
function dialCodeIn(prefix: string): string {
  return Object.values(DIAL_CODES).filter((code) => prefix.startsWith(code)).sort((a, b) => b.length - a.length)[0] ?? '';
}

export async function searchNumbers(request: SearchRequest, env: SearchEnvironment): Promise<SearchAnswer> {
  const country = (request.country ?? 'US').toUpperCase();
  const userPrefix = request.prefix.replace(/\s+/g, '');
  const dialcode = userPrefix.startsWith('+') ? dialCodeIn(userPrefix) : dialCodeOf(country);
  if (dialcode === undefined) {
    throw new KnmError('invalid', 400, `no dial code known for country ${country}`, { hint: 'give the prefix with its dial code, e.g. +44161' });
  }
  if (!/^\+?\d+$/.test(userPrefix)) throw new KnmError('invalid', 400, `a prefix is digits, optionally after a +, not ${JSON.stringify(request.prefix)}`);
  const prefix = userPrefix.startsWith('+') ? userPrefix : dialcode + userPrefix;
  const maximum = env.config.maximum_search_quantity;
  const quantity = Math.min(Math.max(1, request.quantity ?? 1), maximum);
  const offset = Math.max(0, request.offset ?? 0);

  const resellerId = request.resellerId ?? (request.accountId === undefined ? undefined : await resellerOf(env.store, request.accountId));
  const modules = await carriersToAsk(env, request.accountId, resellerId);
  const context: CarrierContext = { store: env.store, now: env.now, authBy: request.accountId };
  const options: Omit<SearchOptions, 'signal'> = {
    prefix: userPrefix,
    normalizedPrefix: prefix,
    country,
    dialcode,
    // Carriers are asked from the start; the offset applies to the merged list (knm_search:first/1 passes 0).
    offset: 0,
    accountId: request.accountId,
    resellerId,
    blocks: request.blocks,
    tollfree: request.tollfree,
  };
  // 4.3 asks each carrier for the caller's quantity capped by maximum_search_quantity; knm adds the offset, as it
  // keeps no per-node cache to page from.
  const asked = Math.min(offset + quantity, maximum);
  const answers = await askAll(modules, env.config.number_search_timeout_ms, (carrier, signal) => carrier.findNumbers!(prefix, asked, { ...options, signal }, context));

  const all = sortByNumber(answers.flatMap((answer) => answer.numbers));
  const discovery = await persistDiscovery(all, env);
  return {
    prefix,
    numbers: all.slice(offset, offset + quantity).map(({ number, state }) => ({ number, state })),
    found: all,
    carriers: answers.map(({ report }) => report),
    discovery,
  };
}

/**
 * knm_carriers:available_carriers/1: with an account and a reseller, the reserved carriers and knm_local, then
 * the reseller's `carrier_modules` (its `configs_number_manager`, else the system's) without those three;
 * otherwise the system's list. Modules knm does not have, or that do not search, are dropped.
 */
async function carriersToAsk(env: SearchEnvironment, accountId: string | undefined, resellerId: string | undefined): Promise<Carrier[]> {
  const lookup = env.carriers ?? carrierFor;
  let names = env.config.carrier_modules;
  if (accountId !== undefined && resellerId !== undefined) {
    const resellers = await resellerCarrierModules(env.store, resellerId);
    names = [...ACCOUNT_CARRIERS, ...(resellers ?? names).filter((name) => !ACCOUNT_CARRIERS.includes(name))];
  }
  return names.flatMap((name) => {
    const carrier = lookup(name);
    return carrier?.findNumbers === undefined ? [] : [carrier];
  });
}

async function resellerOf(store: Store, accountId: string): Promise<string | undefined> {
  const doc = await store.getOrNull('accounts', accountId).catch(() => null);
  const reseller = doc?.pvt_reseller_id;
  return typeof reseller === 'string' && reseller !== '' ? reseller : undefined;
}

async function resellerCarrierModules(store: Store, resellerId: string): Promise<string[] | undefined> {
  const doc = await store.getOrNull(accountDbName(resellerId), 'configs_number_manager').catch(() => null);
  const modules = doc?.carrier_modules;
  return Array.isArray(modules) && modules.length > 0 && modules.every((name) => typeof name === 'string') ? (modules as string[]) : undefined;
}

interface CarrierAnswer {
  numbers: FoundNumber[];
  report: CarrierReport;
}

/**
 * All carriers at once. Like knm_search:wait_for_search/1, the wait restarts after each answer: when `timeoutMs`
 * pass without one, the carriers still searching are given up (and their requests cancelled).
 */
async function askAll(carriers: readonly Carrier[], timeoutMs: number, ask: (carrier: Carrier, signal: AbortSignal) => Promise<FindNumbersResult>): Promise<CarrierAnswer[]> {
  const controller = new AbortController();
  const answers: (CarrierAnswer | undefined)[] = carriers.map(() => undefined);
  const pending = new Map<number, Promise<number>>();
  carriers.forEach((carrier, index) => {
    const settle = (result: FindNumbersResult): number => {
      answers[index] = answerOf(carrier.module, result);
      return index;
    };
    // A carrier that throws contributes nothing, as the catch in knm_search:search_carrier/2 makes it.
    const run = Promise.resolve()
      .then(() => ask(carrier, controller.signal))
      .then(settle, (error: unknown) => settle({ ok: false, reason: error instanceof Error ? error.message : String(error) }));
    pending.set(index, run);
  });
  while (pending.size > 0) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([...pending.values(), timeout]);
    clearTimeout(timer);
    if (first === 'timeout') break;
    pending.delete(first);
  }
  controller.abort();
  return carriers.map(
    (carrier, index) => answers[index] ?? { numbers: [], report: { module: carrier.module, outcome: 'timeout', count: 0, reason: `no answer within ${timeoutMs} ms` } },
  );
}

function answerOf(module: string, result: FindNumbersResult): CarrierAnswer {
  if (!result.ok) return { numbers: [], report: { module, outcome: 'error', count: 0, reason: result.reason } };
  const numbers = dedupe(result.numbers);
  return { numbers, report: { module, outcome: numbers.length > 0 ? 'numbers' : 'nothing', count: numbers.length } };
}

/** Kazoo keeps results in an ETS bag: the same tuple twice is kept once. */
function dedupe(numbers: readonly FoundNumber[]): FoundNumber[] {
  const seen = new Set<string>();
  return numbers.filter((found) => {
    const key = JSON.stringify([found.number, found.module, found.state, found.carrierData]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** qlc:keysort(1): by number, carriers' order kept among equals. */
function sortByNumber(numbers: FoundNumber[]): FoundNumber[] {
  return numbers.map((found, index) => ({ found, index })).sort((a, b) => (a.found.number < b.found.number ? -1 : a.found.number > b.found.number ? 1 : a.index - b.index)).map(({ found }) => found);
}

/**
 * One `discovery` document per number found at a carrier (state `discovery`; numbers from the database
 * carriers already have theirs). The first carrier to offer a number gives it its module and carrier data.
 * A number whose document is in another state is kept as it is; a discovery document found again is renewed.
 */
async function persistDiscovery(all: readonly FoundNumber[], env: SearchEnvironment): Promise<DiscoveryReport> {
  const report: DiscoveryReport = { written: [], refreshed: [], kept: [], failed: [] };
  const byDb = new Map<string, Map<string, FoundNumber>>();
  for (const found of all) {
    if (found.state !== 'discovery') continue;
    const db = toDbName(found.number);
    if (db === undefined || !/^\+\d+$/.test(found.number)) {
      report.failed.push({ number: found.number, reason: 'not an E.164 number with a number database' });
      continue;
    }
    const numbers = byDb.get(db) ?? new Map<string, FoundNumber>();
    if (!numbers.has(found.number)) numbers.set(found.number, found);
    byDb.set(db, numbers);
  }
  for (const [db, numbers] of byDb) {
    try {
      await persistInDb(db, [...numbers.values()], env, report);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      for (const number of numbers.keys()) report.failed.push({ number, reason });
    }
  }
  return report;
}

async function persistInDb(db: string, numbers: FoundNumber[], env: SearchEnvironment, report: DiscoveryReport): Promise<void> {
  const rows = await withNumberDb(env.store, env.designDocs, db, () => env.store.getMany(db, numbers.map((found) => found.number)));
  const docs: CouchDoc[] = [];
  const renewed = new Set<string>();
  rows.forEach((row, index) => {
    const found = numbers[index];
    if (!row.ok) {
      docs.push(discoveryDoc(found, env.now));
      return;
    }
    const existing: StoredDoc = row.doc;
    if (existing.pvt_state !== 'discovery') {
      report.kept.push(found.number);
      return;
    }
    renewed.add(found.number);
    docs.push({
      ...existing,
      pvt_module_name: found.module,
      pvt_carrier_data: found.carrierData,
      pvt_modified: env.now,
    });
  });
  if (docs.length === 0) return;
  const results = await env.store.bulkDocs(db, docs);
  for (const result of results) {
    if (result.ok) (renewed.has(result.id) ? report.refreshed : report.written).push(result.id);
    // Written meanwhile by someone else: that document stands.
    else if (result.error === 'conflict') report.kept.push(result.id);
    else report.failed.push({ number: result.id, reason: result.reason ?? result.error });
  }
}

/** The 4.3 document of a number just found (knm_search:create_discovery/4): module and carrier data from the carrier. */
function discoveryDoc(found: FoundNumber, now: number): CouchDoc {
  const record: NumberRecord = {
    number: found.number,
    state: 'discovery',
    moduleName: found.module,
    assignedTo: undefined,
    previouslyAssignedTo: undefined,
    usedBy: undefined,
    reserveHistory: [],
    features: {},
    featuresAllowed: [],
    featuresDenied: [],
    carrierData: isJsonObject(found.carrierData) ? found.carrierData : ({} as JsonObject),
    region: undefined,
    portedIn: false,
    created: now,
    modified: now,
    rev: undefined,
    publicFields: {},
    loaded: undefined,
  };
  return writeNumberDocument(record, { now }) as CouchDoc;
}
