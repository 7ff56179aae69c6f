/**
 * `knm export`: the list rows of numbers (kt_numbers `dump`, `dump_<state>` and `list`), a page of a view at a time
 * over every number database: `numbers/status` by state, or `numbers/assigned_to` for one account. Rows go to the
 * caller as they are read, so an export never holds a database in memory.
 */
import { readNumberDocument } from '../documents/read';
import type { NumberState } from '../documents/types';
import type { LifecycleEnvironment } from '../lifecycle/service';
import type { CouchDoc, ViewParams } from '../store/types';
import { ListColumn, listRow } from './columns';

export interface ExportFilter {
  readonly state?: NumberState;
  readonly account?: string;
}

const PAGE_SIZE = 1000;

/** Number databases holding number documents (`numbers/+…`), in name order; the carrier pools hold pool documents. */
export async function numberDatabases(env: Pick<LifecycleEnvironment, 'store'>): Promise<string[]> {
  return (await env.store.listDbs()).filter((db) => db.startsWith('numbers/+')).sort();
}

export async function exportNumbers(env: LifecycleEnvironment, filter: ExportFilter, emit: (row: Record<ListColumn, string>) => Promise<void> | void): Promise<number> {
  const names = new Map<string, string>();
  const context = { now: env.clock(), normalize: (number: string) => env.rules.normalize(number), availableModuleName: env.config.available_module_name };
  let count = 0;
  for (const db of await numberDatabases(env)) {
    const view = filter.account !== undefined ? 'assigned_to' : 'status';
    const range: ViewParams =
      filter.account !== undefined
        ? { startkey: [filter.account], endkey: [filter.account, {}] }
        : filter.state !== undefined
          ? { startkey: [filter.state], endkey: [filter.state, {}] }
          : {};
    let after: { key: unknown; id: string } | undefined;
    for (;;) {
      const page = await env.store.view<unknown, unknown, CouchDoc>(db, 'numbers', view, {
        ...range,
        include_docs: true,
        limit: PAGE_SIZE,
        ...(after === undefined ? {} : { startkey: after.key, startkey_docid: after.id, skip: 1 }),
      });
      for (const row of page.rows) {
        if (!row.doc) continue;
        let record;
        try {
          record = readNumberDocument(row.doc, context).record;
        } catch {
          continue; // not a number document Kazoo could load; the dump skips it too
        }
        if (filter.state !== undefined && record.state !== filter.state) continue;
        const holder = record.assignedTo;
        if (holder !== undefined && !names.has(holder)) names.set(holder, await accountName(env, holder));
        await emit(listRow(record, { accountName: holder === undefined ? undefined : names.get(holder), defaultForceOutbound: env.config.default_force_outbound }));
        count += 1;
      }
      if (page.rows.length < PAGE_SIZE) break;
      const last = page.rows[page.rows.length - 1];
      after = { key: last.key, id: last.id ?? '' };
    }
  }
  return count;
}

async function accountName(env: LifecycleEnvironment, accountId: string): Promise<string> {
  const doc = await env.store.getOrNull('accounts', accountId).catch(() => null);
  return doc !== null && typeof doc.name === 'string' ? doc.name : '';
}
