/**
 * Carrying out what reconcile.ts decides for one change of one number: buy it from its carrier, release it,
 * run its feature providers, keep its account copy. Every write is under MVCC: a 409 means someone
 * wrote the number meanwhile, so it is read again and decided again; a carrier is never called twice for
 * one decision (its answer is applied to the newer document instead).
 */
import type { Carrier, CarrierContext } from '../carriers/carrier';
import type { JsonObject } from '../documents/json';
import { jsonEqual } from '../documents/kz-json';
import { readNumberDocument } from '../documents/read';
import type { NumberRecord } from '../documents/types';
import { writeNumberDocument } from '../documents/write';
import { KnmError } from '../errors';
import { SYSTEM } from '../lifecycle/accounts';
import { release } from '../lifecycle/release';
import { accountDbName } from '../numbers/db-names';
import type { ProviderContexts } from '../providers/context';
import type { ProviderContext } from '../providers/provider';
import { deleteFeatures, failedModule, saveFeatures, type ProviderLookup } from '../providers/run';
import type { Store } from '../store/client';
import { isStoreError } from '../store/errors';
import type { CouchDoc, StoredDoc } from '../store/types';
import type { Clock } from '../time';
import type { PipelineConfig } from './config';
import { lastLiveRevision } from './last-revision';
import type { Logger } from './log';
import type { PipelineMetrics } from './metrics';
import {
  acquiredNumber,
  featuresDigest,
  reconcile,
  reconcileDeleted,
  refusedAcquisition,
  refusedProviders,
  rememberNumber,
  withoutProviderFailure,
  type SeenNumber,
} from './reconcile';

export interface ReactionContext {
  readonly store: Store;
  readonly carriers: (module: string) => Carrier | undefined;
  readonly providers: ProviderLookup;
  readonly providerContexts: ProviderContexts;
  readonly config: () => PipelineConfig;
  readonly clock: Clock;
  readonly metrics: PipelineMetrics;
  readonly logger: Logger;
  /** Carrier calls that fail transiently are tried this many times in all, with jittered backoff from `carrierRetryBaseMs`. */
  readonly carrierAttempts: number;
  readonly carrierRetryBaseMs: number;
  /** Upper bound of the backoff while the store is away. */
  readonly maxBackoffMs: number;
  /** True once the pipeline is killed: nothing more is waited for. */
  readonly aborted: () => boolean;
}

/** One row of a feed: the document as it is now (null when deleted). */
export interface NumberChange {
  readonly db: string;
  readonly id: string;
  readonly doc: StoredDoc | null;
  /** When deleted: the revision of the deletion, to read what the document held before it. */
  readonly deletedRev?: string;
}

const CONFLICT_ATTEMPTS = 8;

/**
 * Decides and acts on one change; resolves with what to remember of the number afterwards. A document that
 * cannot be read as a number is logged, counted and skipped (what was remembered stays as it was).
 */
export async function reactToChange(context: ReactionContext, change: NumberChange, seen: SeenNumber | undefined): Promise<SeenNumber | undefined> {
  let doc = change.doc;
  const once = new OneTimeEffects();
  let outages = 0;
  for (let attempt = 1; ; attempt += 1) {
    try {
      if (doc === null) {
        const before = change.deletedRev !== undefined ? await lastLiveRevision(context.store, change.db, change.id, change.deletedRev) : undefined;
        for (const action of reconcileDeleted(seen, before)) {
          if (action.kind === 'providers_delete') await deleteProviders(context, change, action.rev);
          if (action.kind === 'remove_account_copies') for (const account of action.accounts) await removeAccountCopy(context, account, change.id);
        }
        return undefined;
      }
      const record = readRecord(context, change.db, doc);
      if (record === undefined) return seen;
      return await act(context, change.db, record, seen, once);
    } catch (error) {
      if (error instanceof KnmError && error.error === 'unavailable' && once.holdsResult() && !context.aborted()) {
        // A carrier has answered: its result must reach the document, or the next attempt would call it again.
        // Wait the store out here instead of giving the batch back to be read again.
        outages += 1;
        context.logger.log('warn', 'store_unreachable', { during: 'write_after_carrier', db: change.db, id: change.id, attempt: outages, error });
        await sleep(Math.random() * Math.min(context.maxBackoffMs, 100 * 2 ** Math.min(outages, 16)));
        doc = await context.store.getOrNull(change.db, change.id).catch(() => doc);
        attempt -= 1;
        continue;
      }
      if (!(error instanceof KnmError && error.error === 'conflict')) throw error;
      if (attempt >= CONFLICT_ATTEMPTS) {
        context.metrics.error('conflict_exhausted');
        throw error;
      }
      context.metrics.conflict();
      context.logger.log('debug', 'conflict', { db: change.db, id: change.id, attempt });
      doc = await context.store.getOrNull(change.db, change.id);
    }
  }
}

function readRecord(context: ReactionContext, db: string, doc: StoredDoc): NumberRecord | undefined {
  const { rules, numberManager } = context.config();
  try {
    const read = readNumberDocument(doc, { now: context.clock(), normalize: (number) => rules.normalize(number), availableModuleName: numberManager.available_module_name });
    if (!read.malformed) return read.record;
    skip(context, db, doc._id, 'malformed', read.warnings.join('; '));
  } catch (error) {
    if (!(error instanceof KnmError && error.error === 'bad_document')) throw error;
    skip(context, db, doc._id, 'not_a_number', error.message);
  }
  return undefined;
}

function skip(context: ReactionContext, db: string, id: string, reason: string, detail: string): void {
  context.metrics.skipped(reason);
  context.logger.log('warn', 'document_skipped', { db, id, reason, detail });
}

async function act(context: ReactionContext, db: string, record: NumberRecord, seen: SeenNumber | undefined, once: OneTimeEffects): Promise<SeenNumber | undefined> {
  const rev = record.rev ?? '';
  const actions = reconcile(record, seen);
  const first = actions[0];
  if (first?.kind === 'acquire') {
    const written = await acquire(context, db, record, first.fromRev, once);
    // Nothing to write (no such carrier, or one that records nothing): the number's other reactions run now.
    if (written === undefined) return act(context, db, record, { state: record.state, rev, features: seen?.features }, once);
    // The providers and the account copy follow the document knm wrote, when its change comes back.
    return rememberNumber(written, written.rev ?? rev, seen?.features);
  }
  if (first?.kind === 'release') {
    const written = await releaseNumber(context, db, record, once);
    // Removed: forgotten, so the deletion runs no provider delete (Kazoo's release runs none, providers.md §6).
    if (written === undefined) return undefined;
    return rememberNumber(written, written.rev ?? rev, seen?.features);
  }
  if (first?.kind === 'providers') {
    const written = await runProviders(context, db, record, once);
    // The account copy follows the document the providers changed, when its change comes back.
    if (written !== undefined) return rememberNumber(written, written.rev ?? rev);
  }
  if (actions.some((action) => action.kind === 'sync_account_copy')) await syncAccountCopy(context, db, record);
  return rememberNumber(record, rev);
}

/** What was already done for one decision, so a conflict retry does not do it again. */
class OneTimeEffects {
  acquired?: NumberRecord;
  refusal?: JsonObject;
  disconnected = false;
  /** What the providers left (features, carrier data) in a save whose write then met a conflict. */
  provided?: NumberRecord;
  /** The providers' refusal of a save whose write then met a conflict, and the requests they refused. */
  providersRefused?: { readonly publicFields: JsonObject; readonly refusal: JsonObject };

  holdsResult(): boolean {
    return this.acquired !== undefined || this.refusal !== undefined || this.disconnected;
  }
}

async function acquire(context: ReactionContext, db: string, record: NumberRecord, fromRev: string, once: OneTimeEffects): Promise<NumberRecord | undefined> {
  const carrier = context.carriers(record.moduleName);
  if (carrier === undefined) {
    // knm_carriers:acquire/1 skips a module that does not exist.
    context.logger.log('info', 'acquire_skipped', { db, id: record.number, module: record.moduleName, reason: 'no such carrier module' });
    return undefined;
  }
  const now = context.clock();
  if (once.acquired === undefined && once.refusal === undefined) {
    try {
      once.acquired = await callCarrier(context, carrier, 'acquire', record, { store: context.store, now, authBy: SYSTEM });
    } catch (error) {
      once.refusal = refusalJson(error);
      context.metrics.error('carrier');
      context.logger.log('warn', 'acquire_refused', { db, id: record.number, module: carrier.module, error: once.refusal });
    }
  }
  if (once.refusal !== undefined) {
    const written = await writeNumber(context, db, refusedAcquisition(record, fromRev, once.refusal, now));
    context.metrics.reaction('acquire_refused');
    return written;
  }
  const acquired = once.acquired ?? record;
  // On a retry after a conflict the carrier's answer is laid over the newer document.
  const result: NumberRecord = acquired.rev === record.rev ? acquired : { ...record, carrierData: acquired.carrierData };
  context.metrics.reaction('acquire');
  context.logger.log('info', 'acquired', { db, id: record.number, module: carrier.module, from_rev: fromRev });
  // An inert carrier (knm_local, …) records nothing: no write only to say so.
  if (sameDocument(result, record)) return undefined;
  return writeNumber(context, db, acquiredNumber(result, fromRev, now));
}

async function releaseNumber(context: ReactionContext, db: string, record: NumberRecord, once: OneTimeEffects): Promise<NumberRecord | undefined> {
  const config = context.config();
  const decided = release(() => undefined, record, config.release, { authBy: SYSTEM });
  if (!decided.ok) {
    context.logger.log('warn', 'release_refused', { db, id: record.number, error: decided.error.toJSON() });
    context.metrics.error('release');
    return record;
  }
  let released = decided.record;
  const carrier = context.carriers(released.moduleName);
  // knm_carriers:disconnect/1: only when nobody holds the number; a module that does not exist is skipped.
  if (decided.disconnect && carrier !== undefined && !once.disconnected) {
    released = await callCarrier(context, carrier, 'disconnect', released, { store: context.store, now: context.clock(), authBy: SYSTEM });
    once.disconnected = true;
  }
  context.metrics.reaction('release');
  context.logger.log('info', 'released', { db, id: record.number, state: released.state, removed: decided.remove });
  if (decided.remove) {
    await removeNumber(context, db, record);
    return undefined;
  }
  return writeNumber(context, db, released);
}

async function callCarrier(context: ReactionContext, carrier: Carrier, operation: 'acquire' | 'disconnect', record: NumberRecord, carrierContext: CarrierContext): Promise<NumberRecord> {
  for (let attempt = 1; ; attempt += 1) {
    const started = process.hrtime.bigint();
    try {
      return operation === 'acquire' ? await carrier.acquireNumber(record, carrierContext) : await carrier.disconnectNumber(record, carrierContext);
    } catch (error) {
      if (!isTransient(error) || attempt >= context.carrierAttempts) throw error;
      context.logger.log('info', 'carrier_retry', { module: carrier.module, operation, id: record.number, attempt, error });
      await sleep(Math.random() * Math.min(30_000, context.carrierRetryBaseMs * 2 ** attempt));
    } finally {
      context.metrics.carrierCall(operation, carrier.module, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}

/** A carrier that could not be reached, or answered 5xx-unavailable, may answer later; a refusal will not change. */
function isTransient(error: unknown): boolean {
  if (error instanceof KnmError) return error.error === 'unavailable' || error.code === 503 || error.code === 504;
  return true;
}

function refusalJson(error: unknown): JsonObject {
  if (error instanceof KnmError) return { ...error.toJSON() };
  return { code: 500, error: 'unspecified_fault', message: error instanceof Error ? error.message : String(error) };
}

/** Writes the number document; resolves with the record at its new revision. A 409 propagates (the caller re-reads). */
async function writeNumber(context: ReactionContext, db: string, record: NumberRecord): Promise<NumberRecord> {
  const doc = writeNumberDocument(record, { now: context.clock() }) as CouchDoc;
  const { rev } = await context.store.put(db, doc);
  return { ...record, rev };
}

/** Removes the number (knm_phone_number:delete/1): the holder's and the previous holder's copies, then the number database's document. */
async function removeNumber(context: ReactionContext, db: string, record: NumberRecord): Promise<void> {
  for (const owner of new Set([record.assignedTo, record.previouslyAssignedTo])) {
    if (owner !== undefined) await removeAccountCopy(context, owner, record.number);
  }
  if (record.rev !== undefined) await context.store.remove(db, record.number, record.rev);
}

/** The providers' context for a pipeline save: as system (whoever wrote the document), notices counted. */
async function providerContext(context: ReactionContext, record: NumberRecord): Promise<ProviderContext> {
  const base = await context.providerContexts.contextFor(record, { authBy: SYSTEM, isAdmin: true, system: context.config().numberManager });
  return {
    ...base,
    notify: async (notice) => {
      await base.notify(notice);
      context.metrics.reaction('notice');
    },
  };
}

/**
 * knm_providers:save on a number another tool wrote, as Kazoo's save would have run it; the result is written
 * only when it differs. A refusal is left on the document once for these features (reconcile.ts), not retried.
 * Resolves with the written number, or undefined when nothing was written. A 409 propagates (read and decide again).
 */
async function runProviders(context: ReactionContext, db: string, record: NumberRecord, once: OneTimeEffects): Promise<NumberRecord | undefined> {
  // Back here after a conflict, on the number read again: the carriers already hold what the first save gave them,
  // so that save's features and carrier data go onto the number first, and its providers act only on what the
  // other writer changed. A request they have already served is not sent again.
  const input = once.provided === undefined ? record : { ...record, features: once.provided.features, carrierData: once.provided.carrierData };
  let result: NumberRecord;
  const refused = once.providersRefused;
  if (refused !== undefined && jsonEqual(refused.publicFields, record.publicFields)) {
    // the same requests, refused before the conflict: refused again without asking the providers twice
    result = refusedProviders(record, refused.refusal, context.clock());
  } else {
    try {
      result = withoutProviderFailure(await saveFeatures(input, await providerContext(context, input), context.providers));
      once.provided = result;
    } catch (error) {
      // The store failing is not the providers refusing: the change is read and decided again.
      if (isStoreError(error)) throw error;
      const refusal: JsonObject = { error: refusalJson(error) };
      const module = failedModule(error);
      if (module !== undefined) refusal.module = module;
      context.metrics.error('provider');
      context.logger.log('warn', 'providers_refused', { db, id: record.number, ...refusal });
      once.providersRefused = { publicFields: record.publicFields, refusal };
      result = refusedProviders(record, refusal, context.clock());
    }
  }
  if (sameDocument(result, record)) return undefined;
  const written = await writeNumber(context, db, result);
  context.metrics.reaction('provider');
  context.logger.log('info', 'providers_saved', { db, id: record.number, features: featuresDigest(written) });
  return written;
}

/**
 * A number last seen with features was deleted: its providers' delete runs on the revision last seen (CouchDB
 * keeps it until compaction), as an admin hard delete would. Nothing is written: the document is gone.
 */
async function deleteProviders(context: ReactionContext, change: NumberChange, rev: string): Promise<void> {
  const last = await context.store.get(change.db, change.id, { rev }).catch((error: unknown) => {
    if (isStoreError(error) && error.status === 404) return undefined;
    throw error;
  });
  const record = last === undefined ? undefined : readRecord(context, change.db, last);
  if (record === undefined) {
    context.logger.log('warn', 'provider_delete_skipped', { db: change.db, id: change.id, rev, reason: 'last seen revision not readable' });
    return;
  }
  try {
    await deleteFeatures(record, await providerContext(context, record), context.providers);
    context.metrics.reaction('provider_delete');
  } catch (error) {
    context.metrics.error('provider');
    context.logger.log('warn', 'provider_delete_failed', { db: change.db, id: change.id, module: failedModule(error), error });
  }
}

/**
 * The holder's account database holds the same document as the number database (knm_phone_number:save/1
 * `assign`), and the previous holder's holds none (`unassign_from_prev`). Written only when it differs; an
 * account without a database is skipped, as Kazoo does.
 */
async function syncAccountCopy(context: ReactionContext, db: string, record: NumberRecord): Promise<void> {
  const source = record.loaded?.stored;
  if (record.assignedTo !== undefined && source !== undefined) {
    const { _rev: _numberRev, ...wanted } = source;
    const accountDb = accountDbName(record.assignedTo);
    const current = await context.store.getOrNull(accountDb, record.number);
    const { _rev: copyRev, ...held } = current ?? { _rev: undefined };
    if (current === null || !jsonEqual(held, wanted)) {
      try {
        await context.store.put(accountDb, copyRev !== undefined ? { ...wanted, _id: record.number, _rev: copyRev } : { ...wanted, _id: record.number });
        context.metrics.reaction('account_copy');
      } catch (error) {
        if (isStoreError(error) && error.status === 404) return;
        if (error instanceof KnmError && error.error === 'conflict') {
          // The copy moved under us: the number document is the truth, the next change of either sets it right.
          context.logger.log('debug', 'account_copy_conflict', { db, id: record.number, account: record.assignedTo });
          return;
        }
        throw error;
      }
    }
  }
  const previous = record.previouslyAssignedTo;
  if (previous !== undefined && previous !== record.assignedTo) await removeAccountCopy(context, previous, record.number);
}

async function removeAccountCopy(context: ReactionContext, accountId: string, number: string): Promise<void> {
  const accountDb = accountDbName(accountId);
  const current = await context.store.getOrNull(accountDb, number);
  if (current === null) return;
  try {
    await context.store.remove(accountDb, number, current._rev);
    context.metrics.reaction('account_copy');
  } catch (error) {
    if (!(error instanceof KnmError && (error.error === 'conflict' || error.error === 'not_found'))) throw error;
  }
}

function sameDocument(a: NumberRecord, b: NumberRecord): boolean {
  return jsonEqual(writeNumberDocument(a, { now: a.modified }), writeNumberDocument(b, { now: b.modified }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
