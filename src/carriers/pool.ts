/**
 * The pool carriers knm_managed and knm_inum keep one pool document per number in their own database
 * (`numbers/managed`, `numbers/inum`); acquire and disconnect mirror the number into it (FACTS §5,
 * number-document.md §10; 4.3 src/carriers/knm_managed.erl, knm_inum.erl).
 */
import type { NumberRecord } from '../documents/types';
import { KnmError } from '../errors';
import type { CouchDoc } from '../store/types';
import type { CarrierContext } from './carrier';

export interface PoolDoc extends CouchDoc {
  pvt_module_name?: string;
  pvt_state?: string;
  pvt_assigned_to?: string | null;
  pvt_account_id?: string;
  pvt_reserve_history?: string[];
}

/** acquire_number: the pool document takes the module, the number's state and its holder. */
export async function markPoolAcquired(db: string, module: string, record: NumberRecord, context: CarrierContext): Promise<NumberRecord> {
  await updatePoolDoc(db, record, context, (doc) => ({
    ...doc,
    pvt_module_name: module,
    pvt_state: record.state,
    pvt_assigned_to: record.assignedTo,
    pvt_modified: context.now,
  }));
  return record;
}

/** disconnect_number: the pool document goes back to the pool in the shape the carrier gives it. */
export async function markPoolReturned(db: string, record: NumberRecord, context: CarrierContext, returned: (doc: PoolDoc) => PoolDoc): Promise<NumberRecord> {
  await updatePoolDoc(db, record, context, (doc) => ({ ...returned(doc), pvt_modified: context.now }));
  return record;
}

/** Reads, changes and writes the pool document; a conflict is read again and changed again, a few times. */
async function updatePoolDoc(db: string, record: NumberRecord, context: CarrierContext, change: (doc: PoolDoc) => PoolDoc): Promise<void> {
  const attempts = 3;
  for (let attempt = 1; ; attempt += 1) {
    const doc = await context.store.getOrNull<PoolDoc>(db, record.number);
    if (doc === null) {
      throw new KnmError('unspecified_fault', 500, `number ${record.number} is not in the pool "${db}"`, {
        cause: record.number,
        hint: `generate or import it into ${db} first (knm generate-numbers), or move the number to another carrier`,
      });
    }
    try {
      await context.store.put(db, change(doc));
      return;
    } catch (error) {
      if (!(error instanceof KnmError && error.error === 'conflict') || attempt >= attempts) throw error;
    }
  }
}

export interface GeneratedNumbers {
  /** Numbers written to the pool. */
  created: string[];
  /** Numbers that could not be written, with CouchDB's reason (a number already in the pool: `conflict`). */
  errors: { number: string; reason: string }[];
}

/** generate_numbers(Account, Start, Quantity) of a pool carrier; `progress` hears of each batch written. */
export type GenerateNumbers = (
  context: CarrierContext,
  accountId: string,
  start: string,
  quantity: number,
  progress?: (written: number, total: number) => void,
) => Promise<GeneratedNumbers>;

/**
 * generate_numbers(Account, Start, Quantity) of knm_managed / knm_inum (FACTS §5): `quantity` pool documents
 * `+<start+i>` for the account, `available`, in the 4.3 shape (no timestamps, no module name). Kazoo only puts
 * `+` in front of the integer, so `start` must be the full number with its country code.
 */
export function poolNumbersGenerator(db: string): GenerateNumbers {
  return async (context, accountId, start, quantity, progress) => {
    if (!/^[1-9]\d{0,14}$/.test(start)) {
      throw new KnmError('invalid', 400, `start must be the first number's digits with its country code (up to 15), not ${JSON.stringify(start)}`, { hint: 'e.g. 14158867900' });
    }
    if (!Number.isInteger(quantity) || quantity < 1) throw new KnmError('invalid', 400, `quantity must be a positive integer, not ${quantity}`);
    const first = BigInt(start);
    const docs: PoolDoc[] = Array.from({ length: quantity }, (_, i) => ({
      _id: `+${(first + BigInt(i)).toString()}`,
      pvt_account_id: accountId,
      pvt_state: 'available',
      pvt_type: 'number',
    }));
    const created: string[] = [];
    const errors: GeneratedNumbers['errors'] = [];
    for (let at = 0; at < docs.length; at += 500) {
      const results = await context.store.bulkDocs(db, docs.slice(at, at + 500));
      for (const result of results) {
        if (result.ok) created.push(result.id);
        else errors.push({ number: result.id, reason: result.reason ?? result.error });
      }
      progress?.(created.length + errors.length, quantity);
    }
    return { created, errors };
  };
}
