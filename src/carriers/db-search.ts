/**
 * The searches of the carriers whose numbers live in CouchDB (carriers.md §4): the number database's
 * `numbers/status` view for knm_local and knm_inventory, the pools' `status` views for knm_managed and
 * knm_inum, and the account database's `numbers/list_reserved` for the reserved carriers. A database or
 * view that cannot be read makes the carrier offer nothing (`datastore_fault`), as Kazoo does.
 */
import { isJsonObject, JsonObject } from '../documents/json';
import { isNumberState, NumberState } from '../documents/types';
import { accountDbName, toDbName } from '../numbers/db-names';
import { isStoreError } from '../store/errors';
import type { CarrierContext, FindNumbersResult, FoundNumber, SearchOptions } from './carrier';
import { found, notAvailable } from './carrier';

/** The sort key after every string: Kazoo's `<<"\ufff0">>`. */
const HIGH = '\ufff0';

/**
 * knm_local / knm_inventory find_numbers/3: needs an account; the prefix's number database; keys
 * `["available", module, Prefix]` up to `["available", module, "\ufff0"]` — not bounded by the prefix, so any
 * later number of that database comes too (as read in knm_local.erl, kept on purpose).
 */
export async function searchNumberDb(module: string, prefix: string, quantity: number, options: SearchOptions, context: CarrierContext): Promise<FindNumbersResult> {
  if (options.accountId === undefined) return notAvailable();
  const db = prefix.startsWith('+') ? toDbName(prefix) : undefined;
  if (db === undefined) return notAvailable();
  return guarded(async () => {
    const rows = await context.store.view(db, 'numbers', 'status', {
      startkey: ['available', module, prefix],
      endkey: ['available', module, HIGH],
      limit: quantity,
      skip: options.offset,
      include_docs: true,
    });
    return found(rows.rows.flatMap((row) => (row.id === undefined ? [] : asFound(row.id, row.doc, module))));
  }, true);
}

/**
 * knm_managed / knm_inum: the pool's `status` view `[account, "available", Prefix…]`; nothing for the account →
 * the reseller's pool. knm_managed offers its numbers as `discovery` (bought through acquire) and ignores the
 * offset; knm_inum offers them `available`, with the offset (knm_managed.erl, knm_inum.erl).
 */
export async function searchPool(
  pool: { db: string; design: string; module: string; state: NumberState; useOffset: boolean },
  prefix: string,
  quantity: number,
  options: SearchOptions,
  context: CarrierContext,
): Promise<FindNumbersResult> {
  const plus = prefix.startsWith('+') ? prefix : `+${prefix}`;
  const query = async (accountId: string, offset: number): Promise<FoundNumber[]> => {
    const rows = await context.store.view(pool.db, pool.design, 'status', {
      startkey: [accountId, 'available', plus],
      endkey: [accountId, 'available', plus + HIGH],
      limit: quantity,
      ...(pool.useOffset ? { skip: offset } : {}),
    });
    return rows.rows.flatMap((row): FoundNumber[] => (row.id === undefined ? [] : [{ number: row.id, module: pool.module, state: pool.state, carrierData: {} }]));
  };
  if (options.accountId === undefined) return pool.useOffset ? found([]) : notAvailable();
  return guarded(async () => {
    const mine = await query(options.accountId as string, options.offset);
    if (mine.length > 0 || options.resellerId === undefined || options.resellerId === options.accountId) return found(mine);
    return found(await query(options.resellerId, 0));
  }, false);
}

/** knm_reserved / knm_reserved_reseller: the numbers reserved to that account, from its database. */
export async function searchReserved(module: string, accountId: string | undefined, prefix: string, quantity: number, options: SearchOptions, context: CarrierContext): Promise<FindNumbersResult> {
  if (accountId === undefined) return notAvailable();
  return guarded(async () => {
    const rows = await context.store.view(accountDbName(accountId), 'numbers', 'list_reserved', {
      startkey: prefix,
      endkey: prefix + HIGH,
      limit: quantity,
      skip: options.offset,
      include_docs: true,
    });
    return found(rows.rows.flatMap((row) => (row.id === undefined ? [] : asFound(row.id, row.doc, module))));
  }, true);
}

/** The number as its document says (module, state, carrier data), as knm_ops:get/1 would load it. */
function asFound(id: string, doc: unknown, fallbackModule: string): FoundNumber[] {
  if (!isJsonObject(doc)) return [];
  const state = doc.pvt_state ?? doc.pvt_number_state;
  if (!isNumberState(state)) return [];
  const module = typeof doc.pvt_module_name === 'string' ? doc.pvt_module_name : fallbackModule;
  const carrierData: JsonObject = isJsonObject(doc.pvt_carrier_data) ? doc.pvt_carrier_data : {};
  return [{ number: id, module, state, carrierData }];
}

async function guarded(search: () => Promise<FindNumbersResult>, datastoreFault: boolean): Promise<FindNumbersResult> {
  try {
    return await search();
  } catch (error) {
    if (isStoreError(error)) return notAvailable(datastoreFault ? 'datastore_fault' : error.message);
    throw error;
  }
}
