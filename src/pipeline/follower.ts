/**
 * Reads one number database's `_changes` from its checkpoint, a batch at a time, and reacts to each change.
 * The next batch is asked for only when the previous one is done and its checkpoint written (nano's
 * changesreader `wait` mode): a slow carrier slows this database down instead of filling memory. Within a
 * batch each number appears once (a feed lists a document at its latest change), so different numbers are
 * handled side by side, a bounded few at a time; one number's changes stay in order because batches do.
 */
import { defer, lastValueFrom, mergeMap, from, toArray } from 'rxjs';
import { jsonEqual } from '../documents/kz-json';
import { KnmError } from '../errors';
import type { ChangeRow, Seq, StoredDoc } from '../store/types';
import { reactToChange, type NumberChange, type ReactionContext } from './reactions';
import type { SeenNumber } from './reconcile';
import type { PipelineStateStore } from './state-store';

export interface FollowerContext extends ReactionContext {
  readonly state: PipelineStateStore;
  /** Changes per batch. */
  readonly batchSize: number;
  /** Numbers of one batch handled at the same time. */
  readonly numberConcurrency: number;
  /** True once the pipeline stops: the batch in hand is finished and checkpointed, no new one is read. */
  readonly stopping: () => boolean;
  /** Sees every row read, before the batch's reactions. */
  readonly onChange?: (db: string, row: ChangeRow) => void;
}

export interface DrainResult {
  changes: number;
  batches: number;
}

/** Reads `db` until its feed has nothing more (or the pipeline stops). */
export async function drainDb(context: FollowerContext, db: string): Promise<DrainResult> {
  let since: Seq | undefined = await context.state.checkpoint(db);
  const result: DrainResult = { changes: 0, batches: 0 };
  for (;;) {
    if (context.stopping() || context.aborted()) return result;
    const batch = await context.store.changes(db, { ...(since !== undefined ? { since } : {}), limit: context.batchSize, include_docs: true });
    if (batch.results.length === 0) return result;
    const latest = new Map<string, StoredDoc | null>();
    const deletedRevs = new Map<string, string>();
    for (const row of batch.results) {
      context.onChange?.(db, row);
      // Design documents are knm's and Kazoo's views, not numbers.
      if (row.id.startsWith('_design/')) continue;
      latest.set(row.id, row.deleted === true ? null : (row.doc ?? null));
      if (row.deleted === true && row.changes[0] !== undefined) deletedRevs.set(row.id, row.changes[0].rev);
      else deletedRevs.delete(row.id);
    }
    const ids = [...latest.keys()];
    const seen = await context.state.seen(db, ids);
    const remembered = await lastValueFrom(
      from(ids).pipe(
        mergeMap((id) => defer(() => reactSafely(context, { db, id, doc: latest.get(id) ?? null, deletedRev: deletedRevs.get(id) }, seen.get(id))), context.numberConcurrency),
        toArray(),
      ),
    );
    const updates = new Map<string, SeenNumber | undefined>();
    for (const [id, next] of remembered) {
      if (!jsonEqual(next ?? null, seen.get(id) ?? null)) updates.set(id, next);
    }
    // A kill between the effects and this write is what the one-time markers exist for.
    if (context.aborted()) return result;
    await context.state.commit(db, batch.last_seq, updates);
    context.metrics.changeProcessed(batch.results.length);
    context.metrics.lagChanges(db, batch.pending ?? 0);
    result.changes += batch.results.length;
    result.batches += 1;
    since = batch.last_seq;
    if (batch.results.length < context.batchSize && (batch.pending ?? 0) === 0) return result;
  }
}

/**
 * One number's reaction. The store going away aborts the batch (it is read again from the checkpoint once the
 * store is back); any other failure is logged and counted, and the number is decided again on its next change.
 */
async function reactSafely(context: FollowerContext, change: NumberChange, seen: SeenNumber | undefined): Promise<[string, SeenNumber | undefined]> {
  // Killed: the numbers of the batch not started yet are left for the next run, as after a crash.
  if (context.aborted()) return [change.id, seen];
  try {
    return [change.id, await reactToChange(context, change, seen)];
  } catch (error) {
    if (isStoreOutage(error)) throw error;
    context.metrics.error('reaction');
    context.logger.log('error', 'reaction_failed', { db: change.db, id: change.id, error });
    return [change.id, seen];
  }
}

export function isStoreOutage(error: unknown): boolean {
  return error instanceof KnmError && error.error === 'unavailable';
}
