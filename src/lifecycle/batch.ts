/**
 * Creating many numbers at once (the `import` of Kazoo's number_management tasks, `knm_ops:create/2` per row):
 * the same decisions as NumberService.create, made for a whole batch with one read per number database
 * (`_all_docs` with keys), one account read, one port-request query when a number of the batch is new, and one
 * `_bulk_docs` per number database and per holder account database. A refused row is that row's answer; it never
 * stops the batch. A row whose write met a conflict (someone wrote the number meanwhile) is read and decided again.
 *
 * Rows whose carrier must be bought (acquire on a non-local carrier) go through NumberService one at a time,
 * so a carrier order is placed exactly as for a single create.
 */
import { carrierFor } from '../carriers/registry';
import { toPublicJson } from '../documents/public';
import { readNumberDocument } from '../documents/read';
import type { NumberRecord } from '../documents/types';
import { writeNumberDocument } from '../documents/write';
import { KnmError } from '../errors';
import { accountDbName, toDbName } from '../numbers/db-names';
import { providerContexts, type ProviderContexts } from '../providers/context';
import { providerFor } from '../providers/registry';
import { saveFeatures, type ProviderLookup } from '../providers/run';
import { isStoreError } from '../store/errors';
import { withNumberDb } from '../store/bootstrap';
import type { CouchDoc } from '../store/types';
import { AccountDirectory, AccountFacts, isAccountId, readAccountDoc, SYSTEM } from './accounts';
import { isAdmin } from './authorization';
import { create as planCreate, CreateRequest } from './create';
import { unauthorized } from './errors';
import { holderConfig, type ResellerConfigs } from './holder-config';
import { LifecycleEnvironment, notReconcilable, NumberOutcome, NumberService, Requester } from './service';

/** One number to create and how. */
export interface BatchCreateRow {
  readonly number: string;
  readonly request: Omit<CreateRequest, 'authBy'>;
}

/**
 * A row's answer; a number the batch wrote carries its record as stored and its holder's account as the batch read
 * it, so callers need not read either back.
 */
export type BatchCreateOutcome = NumberOutcome & { readonly record?: NumberRecord; readonly holder?: AccountFacts };

/**
 * What the batches of one import may keep between them: whether each holder's account database exists, asked once
 * (an account database created while the import runs gets no copies from it; the maintenance copy to account
 * databases mends that).
 */
export interface BatchMemo {
  readonly accountDbExists: Map<string, Promise<boolean>>;
}

export function batchMemo(): BatchMemo {
  return { accountDbExists: new Map() };
}

interface Pending {
  readonly index: number;
  readonly number: string;
  readonly db: string;
  readonly request: Omit<CreateRequest, 'authBy'>;
}

/** What every row of a batch decides with: the accounts, the resellers' configs, the feature providers. */
interface BatchTools {
  readonly accounts: AccountDirectory;
  readonly configs: ResellerConfigs;
  readonly providers: ProviderLookup;
  readonly contexts: ProviderContexts;
}

interface Decided {
  readonly pending: Pending;
  readonly record: NumberRecord;
  readonly doc: CouchDoc;
}

const ACCOUNTS_DB = 'accounts';
const PORT_REQUESTS_DB = 'port_requests';
const CONFLICT_ROUNDS = 5;

export async function createBatch(env: LifecycleEnvironment, rows: readonly BatchCreateRow[], requester: Requester, memo: BatchMemo = batchMemo()): Promise<BatchCreateOutcome[]> {
  const outcomes: (BatchCreateOutcome | undefined)[] = new Array(rows.length);
  let pending: Pending[] = [];
  const seen = new Set<string>();
  const later: Pending[] = [];
  rows.forEach((row, index) => {
    const number = env.rules.isReconcilable(row.number) ? env.rules.normalize(row.number) : undefined;
    const db = number === undefined ? undefined : toDbName(number);
    if (number === undefined || db === undefined || !number.startsWith('+')) {
      outcomes[index] = { number: row.number, ok: false, error: notReconcilable(row.number).toJSON() };
      return;
    }
    // the same number twice in one batch: the second is decided after the first is written, as one-by-one would
    const item = { index, number, db, request: row.request };
    if (seen.has(number)) later.push(item);
    else pending.push(item);
    seen.add(number);
  });

  if (pending.length === 0) return outcomes.map((outcome, index) => outcome ?? undecided(rows[index].number));
  // read along with the first round's numbers, not before them
  const accountsRead = readAccounts(env, [requester.authBy, ...rows.map((row) => row.request.assignTo)]);
  const shared: Omit<BatchTools, 'accounts'> = {
    configs: new Map(),
    providers: env.providers ?? providerFor,
    contexts: env.providerContexts ?? providerContexts({ store: env.store, clock: env.clock }),
  };
  for (const round of [pending, later]) {
    pending = round;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const retry = await decideAndWrite(env, pending, requester, accountsRead, shared, memo, outcomes, attempt >= CONFLICT_ROUNDS);
      pending = retry;
    }
  }
  return outcomes.map((outcome, index) => outcome ?? undecided(rows[index].number));
}

function undecided(number: string): BatchCreateOutcome {
  return { number, ok: false, error: new KnmError('unspecified_fault', 500, 'not decided').toJSON() };
}

/** One round: read, decide, write; answers the rows it settled and returns the rows to decide again. */
async function decideAndWrite(
  env: LifecycleEnvironment,
  pending: readonly Pending[],
  requester: Requester,
  accountsRead: Promise<AccountDirectory>,
  shared: Omit<BatchTools, 'accounts'>,
  memo: BatchMemo,
  outcomes: (BatchCreateOutcome | undefined)[],
  lastRound: boolean,
): Promise<Pending[]> {
  const [existing, accounts] = await Promise.all([readNumbers(env, pending), accountsRead]);
  // create() looks at the port requests only for a new number not said to be ported in
  const porting = await portingNumbers(env, pending.filter((item) => item.request.portedIn !== true && !existing.has(item.number)));
  const policy = { availableModuleName: env.config.available_module_name, portInModuleName: env.config.port_in_module_name };
  const now = env.clock();
  const tools: BatchTools = { ...shared, accounts };
  const byDb = new Map<string, Decided[]>();
  const oneByOne: Pending[] = [];

  for (const item of pending) {
    const result = planCreate(accounts, item.number, existing.get(item.number), porting(item.number), policy, { ...item.request, authBy: requester.authBy }, now);
    if (!result.ok) {
      outcomes[item.index] = failed(item.number, result.error);
      continue;
    }
    const carrier = carrierFor(result.record.moduleName);
    if (result.acquire && carrier !== undefined && !carrier.isLocal) {
      oneByOne.push(item);
      continue;
    }
    // knm_ops:create/2 saves through save_numbers/1: the feature providers run before the write.
    const record = await providersSave(env, tools, result.record, requester);
    if (record instanceof KnmError) {
      outcomes[item.index] = failed(item.number, record);
      continue;
    }
    const refusal = mdnGate(record, requester);
    if (refusal !== undefined) {
      outcomes[item.index] = failed(item.number, refusal);
      continue;
    }
    const decided: Decided = { pending: item, record, doc: writeNumberDocument(record, { now }) as CouchDoc };
    const list = byDb.get(item.db) ?? [];
    list.push(decided);
    byDb.set(item.db, list);
  }

  const retry: Pending[] = [];
  const written: Decided[] = [];
  // one _bulk_docs per number database, all databases at once
  const writes = await Promise.all(
    [...byDb].map(async ([db, decided]) => ({ decided, results: await withNumberDb(env.store, env.designDocs, db, () => env.store.bulkDocs(db, decided.map((entry) => entry.doc))) })),
  );
  for (const { decided, results } of writes) {
    results.forEach((result, at) => {
      const entry = decided[at];
      if (result.ok) {
        const stored: NumberRecord = { ...entry.record, rev: result.rev, modified: Number(entry.doc.pvt_modified) };
        written.push({ ...entry, record: stored });
        const holder = stored.assignedTo === undefined ? undefined : accounts(stored.assignedTo);
        outcomes[entry.pending.index] = { number: stored.number, ok: true, result: toPublicJson(stored), record: stored, ...(holder === undefined ? {} : { holder }) };
      } else if (result.error === 'conflict' && !lastRound) {
        retry.push(entry.pending);
      } else {
        outcomes[entry.pending.index] = failed(entry.record.number, writeRefusal(entry.record.number, result.error, result.reason));
      }
    });
  }
  await writeAccountCopies(env, written, memo);

  if (oneByOne.length > 0) {
    const service = new NumberService(env);
    for (const item of oneByOne) {
      const [outcome] = await service.create([item.number], requester, item.request);
      outcomes[item.index] = outcome;
    }
  }
  return retry;
}

async function readNumbers(env: LifecycleEnvironment, pending: readonly Pending[]): Promise<Map<string, NumberRecord>> {
  const found = new Map<string, NumberRecord>();
  const context = { now: env.clock(), normalize: (number: string) => env.rules.normalize(number), availableModuleName: env.config.available_module_name };
  const reads = [...groupBy(pending, (item) => item.db)].map(async ([db, items]) => {
    try {
      return await env.store.getMany(db, items.map((item) => item.number));
    } catch (error) {
      if (error instanceof KnmError && error.error === 'not_found') return []; // no database yet: every number is new
      throw error;
    }
  });
  for (const rows of await Promise.all(reads)) {
    for (const row of rows) if (row.ok) found.set(row.id, readNumberDocument(row.doc, context).record);
  }
  return found;
}

/** Numbers held by an active port request (knm_port_request:are_porting/1); a failed look-up counts as porting, as in Kazoo. */
async function portingNumbers(env: LifecycleEnvironment, items: readonly Pending[]): Promise<(number: string) => boolean> {
  if (items.length === 0) return () => false;
  try {
    // the whole view, not the batch's keys: active port requests are few, and one scan is cheaper than a thousand look-ups
    const result = await env.store.view(PORT_REQUESTS_DB, 'port_requests', 'port_in_numbers', {});
    const held = new Set(result.rows.map((row) => String(row.key)));
    return (number) => held.has(number);
  } catch {
    return () => true;
  }
}

async function readAccounts(env: LifecycleEnvironment, ids: readonly (string | undefined)[]): Promise<AccountDirectory> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== undefined && id !== SYSTEM))];
  const facts = new Map<string, AccountFacts>();
  if (wanted.length > 0) {
    for (const row of await env.store.getMany(ACCOUNTS_DB, wanted)) {
      const account = row.ok ? readAccountDoc(row.doc) : undefined;
      if (account !== undefined) facts.set(account.id, account);
    }
  }
  return (id) => facts.get(id);
}

/** The number after its feature providers, or their refusal. */
async function providersSave(env: LifecycleEnvironment, tools: BatchTools, record: NumberRecord, requester: Requester): Promise<NumberRecord | KnmError> {
  const config = await holderConfig(env.store, env.config, record, tools.accounts, tools.configs);
  const context = await tools.contexts.contextFor(record, { authBy: requester.authBy, isAdmin: isAdmin(tools.accounts, requester.authBy), system: env.config, config });
  try {
    return await saveFeatures(record, context, tools.providers);
  } catch (error) {
    if (error instanceof KnmError && !isStoreError(error)) return error;
    throw error;
  }
}

/** The holders' copies (knm_phone_number:assign/1), one `_bulk_docs` per account database; missing databases are skipped. */
async function writeAccountCopies(env: LifecycleEnvironment, written: readonly Decided[], memo: BatchMemo): Promise<void> {
  const held = written.filter((entry) => entry.record.assignedTo !== undefined && isAccountId(entry.record.assignedTo));
  for (const [accountId, entries] of groupBy(held, (entry) => entry.record.assignedTo ?? '')) {
    const db = accountDbName(accountId);
    if (!(await accountDbExists(env, memo, db))) continue;
    for (let attempt = 1; attempt <= CONFLICT_ROUNDS; attempt += 1) {
      const current = await env.store.getMany(db, entries.map((entry) => entry.record.number));
      const docs = entries.map((entry, at) => {
        const { _rev: _numberDbRev, ...copy } = entry.doc;
        const row = current[at];
        return row.ok ? { ...copy, _rev: row.doc._rev } : row.error === 'deleted' && row.rev !== undefined ? { ...copy, _rev: row.rev } : copy;
      });
      const results = await env.store.bulkDocs(db, docs as CouchDoc[]);
      if (!results.some((result) => !result.ok && result.error === 'conflict')) break;
    }
  }
}

/** Asked once per memo; a failed look-up is not kept. */
function accountDbExists(env: LifecycleEnvironment, memo: BatchMemo, db: string): Promise<boolean> {
  let exists = memo.accountDbExists.get(db);
  if (exists === undefined) {
    exists = env.store.dbExists(db);
    memo.accountDbExists.set(db, exists);
    exists.catch(() => memo.accountDbExists.delete(db));
  }
  return exists;
}

/** knm_phone_number:is_mdn_for_mdn_run/2: unless system, a knm_mdn number is saved iff mdn_run. */
function mdnGate(record: NumberRecord, requester: Requester): KnmError | undefined {
  if (requester.authBy === SYSTEM) return undefined;
  return (record.moduleName === 'knm_mdn') === (requester.mdnRun === true) ? undefined : unauthorized();
}

function writeRefusal(number: string, error: string, reason: string | undefined): KnmError {
  if (error === 'conflict') return new KnmError('conflict', 409, `number ${number} kept changing while it was created`, { cause: number, hint: 'run the row again' });
  if (error === 'forbidden') return new KnmError('forbidden', 403, reason ?? 'refused by validate_doc_update', { cause: number });
  return new KnmError('unspecified_fault', 500, reason ?? error, { cause: number });
}

function failed(number: string, error: KnmError): NumberOutcome {
  return { number, ok: false, error: error.toJSON() };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item)) ?? [];
    list.push(item);
    groups.set(key(item), list);
  }
  return groups;
}
