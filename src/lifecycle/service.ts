/**
 * The number operations over the store (`knm_numbers` → `knm_ops`, states.md §6): get, create, move,
 * reserve, release, delete, update, assign_to_app and reconcile, each for a batch of numbers, answering per
 * number like Kazoo (the public JSON, or the number with its error). Saves of create, move, reserve and update
 * run the feature providers (knm_providers:save/1, providers/run.ts) before the write; an admin's hard delete
 * runs their delete.
 *
 * Each number is read, decided by the pure rules, acted on through its carrier, and written under MVCC:
 * a conflict means someone else wrote the number meanwhile, so it is read and decided again (a few times)
 * and no update is ever lost. The number database is the truth; the holder's account database gets the same
 * document, and the previous holder's copy is removed, as knm_phone_number:save/1 does.
 */
import type { Carrier } from '../carriers/carrier';
import { carrierFor } from '../carriers/registry';
import type { NumberManagerConfig } from '../config/number-manager';
import type { JsonObject } from '../documents/json';
import { toPublicJson } from '../documents/public';
import { readNumberDocument } from '../documents/read';
import { isNumberState, NumberRecord, NumberState } from '../documents/types';
import { isDirty, writeNumberDocument } from '../documents/write';
import { KazooErrorJson, KnmError } from '../errors';
import { accountDbName, toDbName } from '../numbers/db-names';
import type { NumberRules } from '../numbers/rules';
import { withNumberDb } from '../store/bootstrap';
import type { Store } from '../store/client';
import type { DesignDocLibrary } from '../store/design-docs';
import type { CouchDoc } from '../store/types';
import { providerContexts, type ProviderContexts } from '../providers/context';
import type { ProviderContext } from '../providers/provider';
import { deleteFeatures, featureRefusal, publicFeatures, saveFeatures, type ProviderLookup } from '../providers/run';
import { providerFor } from '../providers/registry';
import type { Clock } from '../time';
import { acquiredNumber } from './acquisition';
import { AccountDirectory, isAccountId, SYSTEM } from './accounts';
import { readAccountDirectory } from './account-directory';
import { Actors, canFetch, isAdmin } from './authorization';
import { create as planCreate, CreateRequest, newNumberRecord } from './create';
import { featurePolicy, removeDeniedFeatures } from './feature-permissions';
import { unauthorized } from './errors';
import { holderConfig, type ResellerConfigs } from './holder-config';
import { release as planRelease } from './release';
import { assignHolder, transition } from './transitions';
import { applyUpdate, NumberUpdate } from './update';

export interface LifecycleEnvironment {
  readonly store: Store;
  readonly designDocs: DesignDocLibrary;
  readonly rules: NumberRules;
  readonly config: NumberManagerConfig;
  readonly clock: Clock;
  /** Carrier modules by name; the registry unless a test brings its own. */
  readonly carriers?: (module: string) => Carrier | undefined;
  /** Feature providers by module name; the registry unless a test brings its own. */
  readonly providers?: ProviderLookup;
  /** Builds the providers' contexts (notifications, settings); one over `store` unless given. */
  readonly providerContexts?: ProviderContexts;
}

export type NumberOutcome =
  | { readonly number: string; readonly ok: true; readonly result: JsonObject }
  | { readonly number: string; readonly ok: false; readonly error: KazooErrorJson };

export interface Requester {
  /** Account id of the requester, or `system`; undefined authorizes nothing (Kazoo's unset `auth_by`). */
  readonly authBy: string | undefined;
  /** Save MDN numbers (Kazoo's `mdn_run`): without it, only system may save a knm_mdn number. */
  readonly mdnRun?: boolean;
}

/** Who acts on one number, and what the batch already knows. */
interface Turn {
  readonly requester: Requester;
  readonly accounts: AccountDirectory;
  readonly policies: ResellerConfigs;
}

/** What one number's turn decided. */
type Decision =
  | {
      kind: 'save';
      record: NumberRecord;
      acquire?: boolean;
      disconnect?: boolean;
      /** Saved through knm_ops:save_numbers/1, whose feature providers may refuse it (create, move, reserve,
       * update); release, assign_to_app and reconcile call knm_phone_number:save/1 alone. */
      providers?: boolean;
      /** Drop the features the holder's policy denies before the save (the `remove_denied_features` setter). */
      pruneDenied?: boolean;
    }
  | {
      kind: 'remove';
      record: NumberRecord;
      disconnect?: boolean;
      /** The providers' delete runs first (admin hard delete, knm_ops:delete/2). Release does not: Kazoo wipes the
       * features before it calls them, so none runs (providers.md §6, as read; kept). */
      providers?: boolean;
    }
  | { kind: 'unchanged'; record: NumberRecord }
  | { kind: 'fail'; error: KnmError };

interface Loaded {
  /** The normalized number. */
  number: string;
  /** The number database (CouchDB name). */
  db: string;
  /** The number as stored, or undefined when there is no document. */
  record: NumberRecord | undefined;
}

/** A reseller's number_manager overrides, in its account database (kapps_account_config). */
const PORT_REQUESTS_DB = 'port_requests';
/** Reads-and-decides-again after a conflict, with a short jittered pause so that racing callers spread out. */
const CONFLICT_ATTEMPTS = 8;
const CONFLICT_PAUSE_MS = 10;

export class NumberService {
  private readonly carriers: (module: string) => Carrier | undefined;
  private readonly providers: ProviderLookup;
  private readonly contexts: ProviderContexts;

  constructor(private readonly env: LifecycleEnvironment) {
    this.carriers = env.carriers ?? carrierFor;
    this.providers = env.providers ?? providerFor;
    this.contexts = env.providerContexts ?? providerContexts({ store: env.store, clock: env.clock });
  }

  get(numbers: readonly string[], requester: Requester): Promise<NumberOutcome[]> {
    return this.each(numbers, requester, [], async (loaded, accounts) => {
      const found = this.fetched(loaded, accounts, requester);
      return found instanceof KnmError ? fail(found) : { kind: 'unchanged', record: found };
    });
  }

  create(numbers: readonly string[], requester: Requester, request: Omit<CreateRequest, 'authBy'>): Promise<NumberOutcome[]> {
    const policy = { availableModuleName: this.env.config.available_module_name, portInModuleName: this.env.config.port_in_module_name };
    return this.each(numbers, requester, [request.assignTo], async (loaded, accounts) => {
      const isPorting = loaded.record === undefined && request.portedIn !== true ? await this.isPorting(loaded.number) : false;
      const result = planCreate(accounts, loaded.number, loaded.record, isPorting, policy, { ...request, authBy: requester.authBy }, this.env.clock());
      return result.ok ? { kind: 'save', record: result.record, acquire: result.acquire, providers: true } : fail(result.error);
    });
  }

  /** Activates numbers for `moveTo` (knm_numbers:move/3): a transition to in_service. */
  move(numbers: readonly string[], requester: Requester, moveTo: string, publicFields?: JsonObject): Promise<NumberOutcome[]> {
    return this.each(numbers, requester, [moveTo], async (loaded, accounts) => {
      const found = this.fetched(loaded, accounts, requester, moveTo);
      if (found instanceof KnmError) return fail(found);
      const withFields = publicFields === undefined ? found : { ...found, publicFields };
      const result = transition(accounts, withFields, { target: 'in_service', authBy: requester.authBy, assignTo: moveTo });
      return result.ok ? { kind: 'save', record: result.record, acquire: result.acquire, providers: true } : fail(result.error);
    });
  }

  reserve(numbers: readonly string[], requester: Requester, assignTo: string | undefined): Promise<NumberOutcome[]> {
    return this.each(numbers, requester, [assignTo], async (loaded, accounts) => {
      if (!isAccountId(assignTo)) return fail(assignFailure('give the 32-character account id to reserve the number for'));
      const found = this.fetched(loaded, accounts, requester, assignTo);
      if (found instanceof KnmError) return fail(found);
      const result = transition(accounts, found, { target: 'reserved', authBy: requester.authBy, assignTo });
      return result.ok ? { kind: 'save', record: result.record, acquire: result.acquire, providers: true } : fail(result.error);
    });
  }

  release(numbers: readonly string[], requester: Requester): Promise<NumberOutcome[]> {
    const policy = {
      releasedState: releasedState(this.env.config),
      shouldPermanentlyDelete: this.env.config.should_permanently_delete,
      shouldAge: this.env.config.should_age,
    };
    return this.each(numbers, requester, [], async (loaded, accounts) => {
      const found = this.fetched(loaded, accounts, requester);
      if (found instanceof KnmError) return fail(found);
      const result = planRelease(accounts, found, policy, { authBy: requester.authBy });
      if (!result.ok) return fail(result.error);
      if (result.remove) return { kind: 'remove', record: result.record, disconnect: result.disconnect };
      return { kind: 'save', record: result.record, disconnect: result.disconnect };
    });
  }

  /** Hard delete (knm_ops:delete/2): admins only, whatever the state. */
  delete(numbers: readonly string[], requester: Requester): Promise<NumberOutcome[]> {
    return this.each(numbers, requester, [], async (loaded, accounts) => {
      if (!isAdmin(accounts, requester.authBy)) return fail(unauthorized());
      const found = this.fetched(loaded, accounts, requester);
      if (found instanceof KnmError) return fail(found);
      return { kind: 'remove', record: { ...found, state: 'deleted' }, providers: true };
    });
  }

  update(numbers: readonly string[], requester: Requester, update: NumberUpdate): Promise<NumberOutcome[]> {
    return this.each(numbers, requester, [], async (loaded, accounts) => {
      const found = this.fetched(loaded, accounts, requester);
      if (found instanceof KnmError) return fail(found);
      return { kind: 'save', record: applyUpdate(found, update), providers: true, pruneDenied: update.pruneDeniedFeatures === true };
    });
  }

  /** knm_numbers:assign_to_app/2: only `used_by` changes, and no feature provider runs. */
  assignToApp(numbers: readonly string[], requester: Requester, app: string | undefined): Promise<NumberOutcome[]> {
    return this.each(numbers, requester, [], async (loaded, accounts) => {
      const found = this.fetched(loaded, accounts, requester);
      if (found instanceof KnmError) return fail(found);
      return { kind: 'save', record: applyUpdate(found, { usedBy: app ?? null }) };
    });
  }

  /**
   * knm_numbers:reconcile/2 (FACTS §4.3): as system whoever asks, the number goes to `assignTo` in service from
   * any state, keeps its carrier unless `moduleName` is given, and has `publicFields` merged in; no transition
   * rules, no carrier call, no feature provider. A number with no document becomes an in_service record that is
   * returned but not saved, as Kazoo's reconcile leaves it.
   */
  reconcile(numbers: readonly string[], request: ReconcileRequest): Promise<NumberOutcome[]> {
    const asSystem: Requester = { authBy: SYSTEM };
    return this.each(numbers, asSystem, [request.assignTo], async (loaded) => {
      if (!isAccountId(request.assignTo)) return fail(assignFailure('give the 32-character account id to reconcile the number to'));
      const update: NumberUpdate = { mergePublic: request.publicFields, moduleName: request.moduleName, state: 'in_service' };
      if (loaded.record === undefined) {
        const fresh = newNumberRecord(loaded.number, 'in_service', request.moduleName ?? this.env.config.available_module_name, { authBy: SYSTEM, assignTo: request.assignTo }, this.env.clock());
        return { kind: 'unchanged', record: assignHolder(applyUpdate(fresh, update), request.assignTo) };
      }
      return { kind: 'save', record: assignHolder(applyUpdate(loaded.record, update), request.assignTo) };
    });
  }

  /**
   * Runs `decide` for every number, in order, with the accounts it needs; reconcile first, then one number
   * at a time so that a batch never holds more than one number's work in flight.
   */
  private async each(
    numbers: readonly string[],
    requester: Requester,
    otherAccounts: readonly (string | undefined)[],
    decide: (loaded: Loaded, accounts: AccountDirectory) => Promise<Decision>,
  ): Promise<NumberOutcome[]> {
    const outcomes: NumberOutcome[] = [];
    const policies: ResellerConfigs = new Map();
    // Kazoo acts once per distinct input (knm_numbers:are_reconcilable/1 usorts the batch): a repeated number
    // gets the answer of its first turn instead of a second turn (a second reserve would be no_change_required).
    const answered = new Map<string, NumberOutcome>();
    for (const input of numbers) {
      const outcome = answered.get(input) ?? (await this.one(input, requester, otherAccounts, decide, policies));
      answered.set(input, outcome);
      outcomes.push(outcome);
    }
    return outcomes;
  }

  private async one(
    input: string,
    requester: Requester,
    otherAccounts: readonly (string | undefined)[],
    decide: (loaded: Loaded, accounts: AccountDirectory) => Promise<Decision>,
    policies: ResellerConfigs,
  ): Promise<NumberOutcome> {
    if (!this.env.rules.isReconcilable(input)) return failed(input, notReconcilable(input));
    const number = this.env.rules.normalize(input);
    const db = toDbName(number);
    if (db === undefined || !number.startsWith('+')) return failed(input, notReconcilable(input));
    for (let attempt = 1; ; attempt += 1) {
      try {
        const loaded: Loaded = { number, db, record: await this.load(db, number) };
        const accounts = await this.accountsFor([requester.authBy, loaded.record?.assignedTo, ...otherAccounts]);
        const decision = await decide(loaded, accounts);
        return await this.carryOut(loaded, decision, { requester, accounts, policies });
      } catch (error) {
        const conflict = error instanceof KnmError && error.error === 'conflict';
        if (conflict && attempt < CONFLICT_ATTEMPTS) {
          await pause(CONFLICT_PAUSE_MS * attempt * Math.random());
          continue;
        }
        if (error instanceof KnmError) return failed(number, error);
        throw error;
      }
    }
  }

  private async load(db: string, number: string): Promise<NumberRecord | undefined> {
    const doc = await this.env.store.getOrNull(db, number);
    if (doc === null) return undefined;
    const context = { now: this.env.clock(), normalize: this.env.rules.normalize, availableModuleName: this.env.config.available_module_name };
    return readNumberDocument(doc, context).record;
  }

  /** The fetch gate (knm_phone_number:handle_fetch/2) and `not_found`. */
  private fetched(loaded: Loaded, accounts: AccountDirectory, requester: Requester, assignTo?: string): NumberRecord | KnmError {
    const { record } = loaded;
    if (record === undefined) return notFound(loaded.number);
    const actors: Actors = { authBy: requester.authBy, assignedTo: record.assignedTo, assignTo };
    return canFetch(accounts, record.state, actors) ? record : unauthorized();
  }

  private async carryOut(loaded: Loaded, given: Decision, turn: Turn): Promise<NumberOutcome> {
    if (given.kind === 'fail') return failed(loaded.number, given.error);
    if (given.kind === 'unchanged') return this.succeeded(given.record, turn);
    const providerContext = given.providers === true ? await this.providerContext(given.record, turn) : undefined;
    const decision = given.kind === 'save' && given.pruneDenied === true ? prunedOfDenied(given, providerContext ?? (await this.providerContext(given.record, turn))) : given;
    if (decision.kind === 'save') {
      // Kazoo orders the carrier before both gates (knm_ops:save_numbers/1); knm checks them first so that a
      // number the save will refuse is never bought: the answer is the same.
      const refusal = this.refusal(decision, turn.requester, providerContext);
      if (refusal !== undefined) return failed(loaded.number, refusal);
    }

    const now = this.env.clock();
    const context = { store: this.env.store, now, authBy: turn.requester.authBy };
    const carrier = this.carriers(decision.record.moduleName);
    let record = decision.record;
    // An unknown module is skipped, as knm_carriers:acquire/1 and disconnect/1 do.
    if (decision.kind === 'save' && decision.acquire === true && carrier !== undefined) {
      record = await carrier.acquireNumber(record, context);
      // The mark names the discovery revision this buy left from, so the changes pipeline does not buy it again.
      const discoveryRev = loaded.record?.state === 'discovery' ? loaded.record.rev : undefined;
      if (discoveryRev !== undefined) record = acquiredNumber(record, discoveryRev, now);
    }
    if (decision.disconnect === true && carrier !== undefined) record = await carrier.disconnectNumber(record, context);

    if (decision.kind === 'remove') {
      // knm_ops:delete/2: the providers deregister the features (the record is not saved, so their result is not kept).
      if (providerContext !== undefined) await deleteFeatures(record, providerContext, this.providers);
      await this.removeEverywhere(loaded, record);
      return this.succeeded(record, turn);
    }
    // knm_ops:save_numbers/1: the providers run after the carrier and before the write; a refusal fails the number.
    if (providerContext !== undefined) {
      record = await saveFeatures(record, providerContext, this.providers);
      const mdnRefusal = isDirty(record) ? mdnGate(record, turn.requester) : undefined;
      if (mdnRefusal !== undefined) return failed(loaded.number, mdnRefusal);
    }
    const saved = await this.save(loaded, record, now);
    return this.succeeded(saved, turn);
  }

  /** The feature providers' gate (save_numbers only), then the MDN gate of knm_phone_number:save/1, which skips clean numbers first. */
  private refusal(decision: Decision & { kind: 'save' }, requester: Requester, providerContext: ProviderContext | undefined): KnmError | undefined {
    const refused = providerContext === undefined ? undefined : featureRefusal(decision.record, providerContext, this.providers);
    if (refused !== undefined) return refused;
    const written = decision.acquire === true || isDirty(decision.record);
    return written ? mdnGate(decision.record, requester) : undefined;
  }

  /** The number's public JSON, with the features it may have and their providers' settings (`_read_only.features`). */
  private async succeeded(record: NumberRecord, turn: Turn): Promise<NumberOutcome> {
    const features = publicFeatures(record, await this.providerContext(record, turn), this.providers);
    return { number: record.number, ok: true, result: toPublicJson(record, features) };
  }

  private async providerContext(record: NumberRecord, { requester, accounts, policies }: Turn): Promise<ProviderContext> {
    const config = await holderConfig(this.env.store, this.env.config, record, accounts, policies);
    return this.contexts.contextFor(record, { authBy: requester.authBy, isAdmin: isAdmin(accounts, requester.authBy), system: this.env.config, config });
  }

  /** Writes the number database under MVCC, then the holder's copy; removes the previous holder's copy. */
  private async save(loaded: Loaded, record: NumberRecord, now: number): Promise<NumberRecord> {
    // Only a change is written (knm_phone_number:save/1 skips clean numbers): no revision for nothing.
    if (!isDirty(record)) return record;
    const kazooDoc = writeNumberDocument(record, { now });
    const doc = kazooDoc as CouchDoc;
    const { rev } = await withNumberDb(this.env.store, this.env.designDocs, loaded.db, () => this.env.store.put(loaded.db, doc));
    // the answer shows what was stored: a change stamps pvt_modified (4.3's ?DIRTY)
    const written: NumberRecord = { ...record, rev, modified: kazooDoc.pvt_modified };
    const { _rev: _numberDbRev, ...copy } = doc;
    if (written.assignedTo !== undefined) await this.putAccountCopy(written.assignedTo, copy as CouchDoc);
    const previous = written.previouslyAssignedTo;
    if (previous !== undefined && previous !== written.assignedTo) await this.removeAccountCopy(previous, written.number);
    return written;
  }

  private async removeEverywhere(loaded: Loaded, record: NumberRecord): Promise<void> {
    const owners = new Set([loaded.record?.assignedTo, loaded.record?.previouslyAssignedTo, record.previouslyAssignedTo]);
    for (const owner of owners) if (owner !== undefined) await this.removeAccountCopy(owner, loaded.number);
    if (loaded.record?.rev !== undefined) await this.env.store.remove(loaded.db, loaded.number, loaded.record.rev);
  }

  /** The account database's copy (knm_phone_number:assign/1): skipped when that account has no database. */
  private async putAccountCopy(accountId: string, doc: CouchDoc): Promise<void> {
    const db = accountDbName(accountId);
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.env.store.getOrNull(db, doc._id).catch(() => null);
      if (current === null && !(await this.env.store.dbExists(db))) return;
      try {
        await this.env.store.put(db, current === null ? doc : { ...doc, _rev: current._rev });
        return;
      } catch (error) {
        if (!(error instanceof KnmError && error.error === 'conflict') || attempt >= CONFLICT_ATTEMPTS) throw error;
      }
    }
  }

  private async removeAccountCopy(accountId: string, number: string): Promise<void> {
    if (!isAccountId(accountId)) return;
    const db = accountDbName(accountId);
    const current = await this.env.store.getOrNull(db, number);
    if (current !== null) await this.env.store.remove(db, number, current._rev);
  }

  /** The accounts the rules may consult: the requester, the holder, the target; read once per number. */
  private accountsFor(ids: readonly (string | undefined)[]): Promise<AccountDirectory> {
    return readAccountDirectory(this.env.store, ids);
  }


  /** An active port request holds the number (knm_port_request:are_porting/1); a failed look-up counts as porting, as in Kazoo. */
  private async isPorting(number: string): Promise<boolean> {
    try {
      const result = await this.env.store.view(PORT_REQUESTS_DB, 'port_requests', 'port_in_numbers', { key: number, limit: 1 });
      return result.rows.length > 0;
    } catch {
      return true;
    }
  }
}

/** `released_state` must be a state or Kazoo's set_state crashes; knm falls back to its default. */
function releasedState(config: NumberManagerConfig): NumberState {
  return isNumberState(config.released_state) ? config.released_state : 'available';
}

export interface ReconcileRequest {
  readonly assignTo: string | undefined;
  readonly moduleName?: string;
  readonly publicFields?: JsonObject;
}

function assignFailure(hint: string): KnmError {
  return new KnmError('assign_failure', 400, 'invalid account to assign to', { cause: 'field_undefined', hint });
}

/** knm_phone_number:is_mdn_for_mdn_run/2: unless system, a knm_mdn number is saved iff mdn_run. */
function mdnGate(record: NumberRecord, requester: Requester): KnmError | undefined {
  if (requester.authBy === SYSTEM) return undefined;
  const isMdn = record.moduleName === 'knm_mdn';
  return isMdn === (requester.mdnRun === true) ? undefined : unauthorized();
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fail(error: KnmError): Decision {
  return { kind: 'fail', error };
}

function failed(number: string, error: KnmError): NumberOutcome {
  return { number, ok: false, error: error.toJSON() };
}

export function notFound(number: string): KnmError {
  return new KnmError('not_found', 404, `number ${number} not found`, { cause: number, hint: 'check the number, or create it first' });
}

export function notReconcilable(number: string): KnmError {
  return new KnmError('not_reconcilable', 404, `number ${number} is not reconcilable`, {
    cause: number,
    hint: 'the number does not match reconcile_regex of system_config/number_manager',
  });
}

/** The `remove_denied_features` setter of migrate_unassigned_numbers: the holder's policy prunes the number before its save. */
function prunedOfDenied(decision: Decision & { kind: 'save' }, context: ProviderContext): Decision & { kind: 'save' } {
  return { ...decision, record: removeDeniedFeatures(decision.record, featurePolicy(context.config), context.isAdmin) };
}
