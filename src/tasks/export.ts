/**
 * `knm export`: the list rows of numbers (kt_numbers `dump`, `dump_<state>`, `list` and `list_all`), a page of a view
 * at a time over every number database: `numbers/status` by state, or `numbers/assigned_to` for the given accounts (one
 * for `list`; the task account and its descendants for `list_all`). Rows go to the caller as they are read, so an
 * export never holds a database in memory.
 */
import { readNumberDocument } from '../documents/read';
import type { NumberRecord, NumberState } from '../documents/types';
import type { LifecycleEnvironment } from '../lifecycle/service';
import type { CouchDoc, ViewParams } from '../store/types';
import { viewRows } from '../maintenance/number-dbs';
import { ListColumn, listRow } from './columns';

export interface ExportFilter {
  readonly state?: NumberState;
  /** Only the numbers these accounts hold (each read by its own `assigned_to` range, in this order). */
  readonly accounts?: readonly string[];
  /** Only the numbers the requester may fetch (Kazoo's `list` fetches each as the auth account and drops the refused). */
  readonly visible?: (record: NumberRecord) => boolean;
}

const PAGE_SIZE = 1000;

/** Number databases holding number documents (`numbers/+…`), in name order; the carrier pools hold pool documents. */
export async function numberDatabases(env: Pick<LifecycleEnvironment, 'store'>): Promise<string[]> {
  return (await env.store.listDbs()).filter((db) => db.startsWith('numbers/+')).sort();
}

export async function exportNumbers(env: LifecycleEnvironment, filter: ExportFilter, emit: (row: Record<ListColumn, string>) => Promise<void> | void): Promise<number> {
  const names = new Map<string, string>();
  const context = { now: env.clock(), normalize: (number: string) => env.rules.normalize(number), availableModuleName: env.config.available_module_name };
  const view = filter.accounts !== undefined ? 'assigned_to' : 'status';
  const ranges: ViewParams[] =
    filter.accounts !== undefined
      ? filter.accounts.map((account) => ({ startkey: [account], endkey: [account, {}] }))
      : [filter.state !== undefined ? { startkey: [filter.state], endkey: [filter.state, {}] } : {}];
  let count = 0;
  for (const db of await numberDatabases(env)) {
    for (const range of ranges) {
      for await (const doc of viewDocs(env, db, view, range)) {
        let record;
        try {
          record = readNumberDocument(doc, context).record;
        } catch {
          continue; // not a number document Kazoo could load; the dump skips it too
        }
        if (filter.state !== undefined && record.state !== filter.state) continue;
        if (filter.visible !== undefined && !filter.visible(record)) continue;
        const holder = record.assignedTo;
        if (holder !== undefined && !names.has(holder)) names.set(holder, await accountName(env, holder));
        await emit(listRow(record, { accountName: holder === undefined ? undefined : names.get(holder), defaultForceOutbound: env.config.default_force_outbound }));
        count += 1;
      }
    }
  }
  return count;
}

async function* viewDocs(env: LifecycleEnvironment, db: string, view: string, range: ViewParams): AsyncGenerator<CouchDoc> {
  for await (const rows of viewRows(env.store, db, 'numbers', view, { ...range, include_docs: true }, PAGE_SIZE)) for (const row of rows) if (row.doc) yield row.doc;
}

async function accountName(env: LifecycleEnvironment, accountId: string): Promise<string> {
  const doc = await env.store.getOrNull('accounts', accountId).catch(() => null);
  return doc !== null && typeof doc.name === 'string' ? doc.name : '';
}
