/**
 * The "numbers db loop" of kazoo_numbers_maintenance (knm_util:get_all_number_dbs/0): every `numbers/…` database,
 * the carrier pools `numbers/managed` and `numbers/inum` included, and the paging every loop uses.
 */
import type { Store } from '../store/client';
import type { CouchDoc, ViewParams, ViewRow } from '../store/types';

export async function allNumberDbs(store: Store): Promise<string[]> {
  return (await store.listDbs({ startkey: 'numbers/', endkey: 'numbers/\ufff0' })).filter((db) => db.startsWith('numbers/')).sort();
}

/**
 * The database a maintenance argument names: `numbers%2F…` (encoded), `numbers/…`, or a number (`+1415…`, whose
 * first five characters pick the database, knm_converters:to_db/1, not normalized). Undefined for anything else.
 */
export function numberDbOf(argument: string): string | undefined {
  if (argument.startsWith('numbers%2F') || argument.startsWith('numbers%2f')) return decodeURIComponent(argument);
  if (argument.startsWith('numbers/')) return argument;
  if (argument.startsWith('+') && argument.length >= 5) return `numbers/${argument.slice(0, 5)}`;
  return undefined;
}

/** Every row of a view, a page at a time (key + docid paging, so no row is read twice). */
export async function* viewRows<K = unknown, V = unknown>(
  store: Store,
  db: string,
  designDoc: string,
  view: string,
  params: ViewParams = {},
  pageSize = 2000,
): AsyncGenerator<ViewRow<K, V, CouchDoc>[]> {
  let after: { key: K; id: string } | undefined;
  for (;;) {
    const page = await store.view<K, V, CouchDoc>(db, designDoc, view, {
      ...params,
      limit: pageSize,
      ...(after === undefined ? {} : { startkey: after.key, startkey_docid: after.id, skip: 1 }),
    });
    if (page.rows.length > 0) yield page.rows;
    if (page.rows.length < pageSize) return;
    const last = page.rows[page.rows.length - 1];
    after = { key: last.key, id: last.id ?? '' };
  }
}

export function pause(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
