/**
 * The order journal: how a retried acquire does not buy a number twice, and a retried release does not
 * fail because the first one went through. Kazoo keeps no such record (carriers.md §6: acquire happens
 * before the number is saved, nothing marks it done, nothing dedupes), so a crash or a timeout between the
 * carrier's answer and the save would make the retry order again.
 *
 * knm writes one `_local` document per number and carrier in the number's database (never replicated, not in
 * `_changes`, invisible to Kazoo): `ordering` before the order is sent, `ordered` with what the carrier
 * recorded once it answered, `refused` when it said no; `releasing` / `released` likewise for a release.
 * Before ordering, knm looks at it (check before order) and, where the carrier can tell (VoIP Innovations
 * `queryDID`, a Bandwidth order id), asks the carrier whether the number is already held. An order whose
 * outcome is unknown and that the carrier cannot be asked about is refused rather than sent twice.
 */
import type { JsonObject } from '../documents/json';
import type { NumberRecord } from '../documents/types';
import { KnmError } from '../errors';
import { toDbName } from '../numbers/db-names';
import { isStoreError } from '../store/errors';
import type { CarrierContext } from './carrier';
import { carrierFaultOf } from './http';

export type OrderState = 'ordering' | 'ordered' | 'refused' | 'releasing' | 'released';

export interface OrderEntry {
  _id: string;
  _rev?: string;
  module: string;
  number: string;
  state: OrderState;
  /** The carrier's own order id, noted as soon as it is known (lets an interrupted order be followed up). */
  order_id?: string;
  /** What the order recorded on the number, replayed when the acquire is retried. */
  effect?: OrderEffect;
  /** Gregorian seconds of the last change. */
  at: number;
  [field: string]: unknown;
}

/** What an order records on the number (carriers.md §6). */
export interface OrderEffect {
  /** Merged under the existing carrier data (update_carrier_data/2: existing keys win) or replacing it. */
  carrierData?: JsonObject;
  carrierDataMode?: 'merge' | 'replace';
  /** Features set on the number (knm_other: `locality`). */
  features?: JsonObject;
  [field: string]: unknown;
}

export interface OrderJournal {
  /** Notes the carrier's order id before waiting for the order to complete. */
  noteOrderId(orderId: string): Promise<void>;
}

export interface AcquireSteps {
  /**
   * Asks the carrier whether the number is already held by this account (true), free (false), or that it
   * cannot tell (undefined). `entry` is the journal's record, if any (its order id, for one).
   */
  held?: (entry: OrderEntry | undefined) => Promise<boolean | undefined>;
  /** An interrupted order that can be followed up instead of sent again (a Bandwidth order id). */
  canResume?: (entry: OrderEntry) => boolean;
  /** Orders the number (or follows up the interrupted order in `entry`); throws the carrier's refusal. */
  order: (journal: OrderJournal, entry: OrderEntry | undefined) => Promise<OrderEffect>;
}

export function journalId(module: string, number: string): string {
  return `_local/knm_carrier_order.${module}.${number}`;
}

/** acquire_number with the journal: orders at most once per number and carrier. */
export async function acquireOnce(module: string, record: NumberRecord, context: CarrierContext, steps: AcquireSteps): Promise<NumberRecord> {
  const journal = await openJournal(module, record.number, context);
  const entry = journal?.entry;
  if (entry?.state === 'ordered') return applyEffect(record, entry.effect ?? {});

  const held = steps.held === undefined ? undefined : await steps.held(entry);
  if (held === true) {
    const effect = entry?.effect ?? {};
    await journal?.write({ state: 'ordered', effect });
    return applyEffect(record, effect);
  }
  const resumable = entry?.state === 'ordering' && steps.canResume?.(entry) === true;
  if (entry?.state === 'ordering' && held === undefined && !resumable) {
    throw new KnmError('unspecified_fault', 500, `fault by carrier: ${module}: an earlier order got no answer`, {
      cause: record.number,
      hint: `an earlier order of ${record.number} at ${module} got no answer and ${module} cannot be asked whether it went through; check at the carrier, then delete ${journalId(module, record.number)} in ${toDbName(record.number)} to order again (or set the number's state by hand if it was bought)`,
    });
  }

  const resume = resumable && held !== false ? entry : undefined;
  await journal?.write({ state: 'ordering', effect: undefined, order_id: resume?.order_id });
  let effect: OrderEffect;
  try {
    effect = await steps.order({ noteOrderId: async (orderId) => journal?.write({ order_id: orderId }) }, resume);
  } catch (error) {
    // A clear refusal is final; no answer leaves the entry `ordering`, so the retry checks first.
    if (carrierFaultOf(error)?.inDoubt !== true) await journal?.write({ state: 'refused' }).catch(() => undefined);
    throw error;
  }
  await journal?.write({ state: 'ordered', effect }).catch(() => undefined);
  return applyEffect(record, effect);
}

/**
 * disconnect_number with the journal: a number already released by knm is not released again, and a retried
 * release whose first attempt went through (the carrier answers that it does not hold the number any more)
 * counts as done.
 */
export async function releaseOnce(
  module: string,
  record: NumberRecord,
  context: CarrierContext,
  release: () => Promise<void>,
  alreadyReleased: (error: unknown) => boolean,
): Promise<NumberRecord> {
  const journal = await openJournal(module, record.number, context);
  const entry = journal?.entry;
  if (entry?.state === 'released') return record;
  const retry = entry?.state === 'releasing';
  await journal?.write({ state: 'releasing' });
  try {
    await release();
  } catch (error) {
    if (!(retry && alreadyReleased(error))) throw error;
  }
  await journal?.write({ state: 'released', effect: undefined, order_id: undefined }).catch(() => undefined);
  return record;
}

/**
 * A release that makes no call at the carrier (Telnyx, Bandwidth2, other): the journal forgets the order, so
 * that buying the number again later orders it again, as Kazoo does. The journal guards retries of one
 * acquisition, not the number's whole life.
 */
export async function forgetOrder(module: string, record: NumberRecord, context: CarrierContext): Promise<NumberRecord> {
  const journal = await openJournal(module, record.number, context);
  if (journal?.entry !== undefined && journal.entry.state !== 'released') await journal.write({ state: 'released', effect: undefined, order_id: undefined });
  return record;
}

/** The number as the order left it: carrier data merged (existing keys win, nulls dropped) or replaced, features set. */
export function applyEffect(record: NumberRecord, effect: OrderEffect): NumberRecord {
  let carrierData = record.carrierData;
  if (effect.carrierData !== undefined) {
    carrierData = effect.carrierDataMode === 'replace' ? effect.carrierData : mergeUnder(effect.carrierData, record.carrierData);
  }
  const features = effect.features === undefined ? record.features : { ...record.features, ...effect.features };
  return carrierData === record.carrierData && features === record.features ? record : { ...record, carrierData, features };
}

/** kz_json:merge(New, Existing) as update_carrier_data/2 uses it: the existing value wins, `null`s in New are dropped. */
function mergeUnder(fresh: JsonObject, existing: JsonObject): JsonObject {
  const merged: JsonObject = {};
  for (const [key, value] of Object.entries(fresh)) if (value !== null) merged[key] = value;
  return { ...merged, ...existing };
}

interface OpenJournal {
  entry: OrderEntry | undefined;
  write(change: Partial<OrderEntry>): Promise<void>;
}

/** The journal entry of this number, or undefined when its number database does not exist (nothing was ever written). */
async function openJournal(module: string, number: string, context: CarrierContext): Promise<OpenJournal | undefined> {
  const db = toDbName(number);
  if (db === undefined) return undefined;
  const id = journalId(module, number);
  let current: OrderEntry | undefined;
  try {
    current = (await context.store.getLocal<OrderEntry>(db, id)) ?? undefined;
  } catch (error) {
    if (isStoreError(error) && error.status === 404) return undefined;
    throw error;
  }
  const journal: OpenJournal = {
    entry: current,
    async write(change) {
      const next: OrderEntry = { ...(current ?? { _id: id, module, number, state: 'ordering', at: context.now }), ...change, at: context.now };
      for (const key of Object.keys(next)) if (next[key] === undefined) delete next[key];
      try {
        const { rev } = await context.store.putLocal(db, next);
        current = { ...next, _rev: rev };
      } catch (error) {
        if (isStoreError(error) && error.status === 409) {
          throw new KnmError('conflict', 409, `another worker is ordering ${number} at ${module} right now`, {
            cause: number,
            hint: 'retry in a moment: the other order finishes or is found in the journal',
          });
        }
        throw error;
      }
    },
  };
  return journal;
}
