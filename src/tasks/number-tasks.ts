/**
 * The row actions of Kazoo's number_management tasks (maintenance-and-tasks.md §2.3, kt_numbers.erl) over a batch
 * of CSV rows: `import` goes through the batch create (one `_bulk_docs` per number database), the others through
 * NumberService per row. Every row gets a result: the number's list row on success, its own cells with the error
 * on failure. A failed row never stops the batch.
 */
import { ALL_CARRIER_MODULES, isNumberState, NumberRecord } from '../documents/types';
import { readNumberDocument } from '../documents/read';
import { isAccountId, SYSTEM } from '../lifecycle/accounts';
import { BatchCreateOutcome, BatchMemo, createBatch } from '../lifecycle/batch';
import { LifecycleEnvironment, NumberOutcome, NumberService, Requester } from '../lifecycle/service';
import { toDbName } from '../numbers/db-names';
import { echoRow, ListColumn, listRow, publicFieldsOf } from './columns';

export const ROW_ACTIONS = ['import', 'assign_to', 'reserve', 'release', 'delete', 'update_merge', 'update_overwrite', 'find'] as const;
export type RowAction = (typeof ROW_ACTIONS)[number];

export function isRowAction(value: unknown): value is RowAction {
  return typeof value === 'string' && (ROW_ACTIONS as readonly string[]).includes(value);
}

export interface TaskContext {
  readonly env: LifecycleEnvironment;
  /** The authenticated account (`auth_account_id`), or system. */
  readonly authBy: string;
  /** The account the task runs for (`account_id`): the default holder of imported, assigned and reserved numbers. */
  readonly taskAccount: string | undefined;
  /** The auth account is a super-duper admin (or system): only then are `carrier_module` and `state` honoured. */
  readonly superAdmin: boolean;
  /** tasks.numbers.import_defaults_to_carrier (knm_local). */
  readonly importDefaultCarrier: string;
  /** What the batches of one import share (importCsv gives one per file); each batch keeps its own otherwise. */
  readonly batchMemo?: BatchMemo;
}

export type RowResult = Record<ListColumn | 'error', string>;

/** Runs `action` for every row; results in row order. */
export async function runRows(context: TaskContext, action: RowAction, rows: readonly Readonly<Record<string, string>>[]): Promise<RowResult[]> {
  const results: (RowResult | undefined)[] = new Array(rows.length);
  const valid: number[] = [];
  rows.forEach((cells, at) => {
    const invalid = invalidCell(cells);
    if (invalid === undefined) valid.push(at);
    else results[at] = withError(echoRow(cells), invalid);
  });
  const requester: Requester = { authBy: context.authBy };
  const outcomes = await runAction(context, action, valid.map((at) => rows[at]), requester);
  const records = await recordsOf(context.env, outcomes);
  const names = await accountNames(context.env, outcomes, records);
  outcomes.forEach((outcome, position) => {
    const at = valid[position];
    if (!outcome.ok) {
      results[at] = withError(echoRow(rows[at]), outcome.error.message);
      return;
    }
    const record = records.get(outcome.number);
    const row = record === undefined
      ? echoRow(rows[at])
      : listRow(record, { accountName: record.assignedTo === undefined ? undefined : names.get(record.assignedTo), defaultForceOutbound: context.env.config.default_force_outbound });
    results[at] = withError(row, '');
  });
  return results.map((result, at) => result ?? withError(echoRow(rows[at]), 'not run'));
}

/** The row with its error column; the row is fresh, so it is completed in place rather than copied. */
function withError(row: Record<ListColumn, string>, error: string): RowResult {
  const result = row as RowResult;
  result.error = error;
  return result;
}

function runAction(context: TaskContext, action: RowAction, rows: readonly Readonly<Record<string, string>>[], requester: Requester): Promise<BatchCreateOutcome[]> {
  const service = new NumberService(context.env);
  const holder = (cells: Readonly<Record<string, string>>): string | undefined => (isAccountId(cells.account_id) ? cells.account_id : context.taskAccount);
  const each = async (run: (cells: Readonly<Record<string, string>>) => Promise<NumberOutcome[]>): Promise<NumberOutcome[]> => {
    const outcomes: NumberOutcome[] = [];
    for (const cells of rows) outcomes.push(...(await run(cells)));
    return outcomes;
  };
  switch (action) {
    case 'import':
      return createBatch(
        context.env,
        rows.map((cells) => ({
          number: cells.e164,
          request: {
            assignTo: holder(cells),
            moduleName: context.superAdmin && nonEmpty(cells.carrier_module) ? cells.carrier_module : context.importDefaultCarrier,
            state: context.superAdmin && isNumberState(cells.state) ? cells.state : undefined,
            portedIn: cells.ported_in === 'true',
            publicFields: publicFieldsOf(cells),
          },
        })),
        requester,
        context.batchMemo,
      );
    case 'assign_to':
      return each((cells) => service.move([cells.e164], requester, holder(cells) ?? ''));
    case 'reserve':
      return each((cells) => service.reserve([cells.e164], requester, holder(cells)));
    case 'release':
      return each((cells) => service.release([cells.e164], requester));
    case 'delete':
      return each((cells) => service.delete([cells.e164], requester));
    case 'update_merge':
      return each((cells) => service.update([cells.e164], requester, { mergePublic: publicFieldsOf(cells) }));
    case 'update_overwrite':
      return each((cells) => service.update([cells.e164], requester, { replacePublic: publicFieldsOf(cells) }));
    case 'find':
      // knm_ops:get/2 with the auth account: what it may see, as the listing row
      return each((cells) => service.get([cells.e164], requester));
  }
}

/** The column verifiers kt_numbers binds (e164, account_id, carrier_module, ported_in); the error text names the cell. */
function invalidCell(cells: Readonly<Record<string, string>>): string | undefined {
  const e164 = cells.e164 ?? '';
  if (!e164.startsWith('+')) return `invalid e164: ${JSON.stringify(e164)} must start with +`;
  if (nonEmpty(cells.account_id) && !isAccountId(cells.account_id)) return `invalid account_id: ${JSON.stringify(cells.account_id)} is not a 32-character account id`;
  if (nonEmpty(cells.carrier_module) && !(ALL_CARRIER_MODULES as readonly string[]).includes(cells.carrier_module)) {
    return `invalid carrier_module: ${JSON.stringify(cells.carrier_module)} is not a known carrier module`;
  }
  if (nonEmpty(cells.ported_in) && cells.ported_in !== 'true' && cells.ported_in !== 'false') return `invalid ported_in: ${JSON.stringify(cells.ported_in)} must be true or false`;
  return undefined;
}

/** The numbers of the successful rows as stored now, one `_all_docs` per number database. */
async function recordsOf(env: LifecycleEnvironment, outcomes: readonly BatchCreateOutcome[]): Promise<Map<string, NumberRecord>> {
  const byDb = new Map<string, string[]>();
  const records = new Map<string, NumberRecord>();
  for (const outcome of outcomes) {
    if (outcome.record !== undefined) {
      records.set(outcome.number, outcome.record);
      continue;
    }
    const db = outcome.ok ? toDbName(outcome.number) : undefined;
    if (db === undefined) continue;
    byDb.set(db, [...(byDb.get(db) ?? []), outcome.number]);
  }
  const context = { now: env.clock(), normalize: (number: string) => env.rules.normalize(number), availableModuleName: env.config.available_module_name };
  for (const [db, numbers] of byDb) {
    for (const row of await env.store.getMany(db, numbers)) if (row.ok) records.set(row.id, readNumberDocument(row.doc, context).record);
  }
  return records;
}

/** The holders' names: as the batch read their accounts, and read for the holders it did not. */
async function accountNames(env: LifecycleEnvironment, outcomes: readonly BatchCreateOutcome[], records: ReadonlyMap<string, NumberRecord>): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const known = new Set<string>();
  for (const outcome of outcomes) {
    if (outcome.holder === undefined) continue;
    known.add(outcome.holder.id);
    if (outcome.holder.name !== undefined) names.set(outcome.holder.id, outcome.holder.name);
  }
  const ids = [...records.values()].map((record) => record.assignedTo);
  const wanted = [...new Set(ids.filter((id): id is string => id !== undefined && id !== SYSTEM && !known.has(id)))];
  if (wanted.length === 0) return names;
  for (const row of await env.store.getMany('accounts', wanted)) {
    if (row.ok && typeof row.doc.name === 'string') names.set(row.id, row.doc.name);
  }
  return names;
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}
