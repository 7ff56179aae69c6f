/**
 * The tasks crawler's work (kt_number_crawler, FACTS §4.8), done from knm's `_design/knm/_view/expiry`
 * (keyed `[state, pvt_modified]`) instead of loading whole databases: expired `discovery` numbers and
 * `deleted` ones are deleted, expired `aging` ones become `available`. Each candidate is read and decided
 * again (purgeDecision) before it is touched, and written under MVCC: a number someone just changed is left
 * for the next round.
 */
import { readNumberDocument } from '../documents/read';
import { writeNumberDocument } from '../documents/write';
import type { Store } from '../store/client';
import type { CouchDoc } from '../store/types';
import type { PipelineConfig } from './config';
import type { Logger } from './log';
import type { PipelineMetrics } from './metrics';
import { purgeDecision } from './reconcile';

export interface PurgeContext {
  readonly store: Store;
  readonly config: () => PipelineConfig;
  readonly now: number;
  readonly metrics: PipelineMetrics;
  readonly logger: Logger;
}

export interface PurgeResult {
  deleted: number;
  madeAvailable: number;
}

const PAGE = 500;
const DAY_S = 86_400;

export async function purgeDb(context: PurgeContext, db: string): Promise<PurgeResult> {
  const { tasks } = context.config();
  const result: PurgeResult = { deleted: 0, madeAvailable: 0 };
  // pvt_modified strictly before the cut-off has expired (`pvt_modified + expiry_d * 86400 < now`).
  const ranges: [string, number | object][] = [
    ['deleted', {}],
    ['discovery', context.now - tasks.discovery_expiry_d * DAY_S],
    ['aging', context.now - tasks.aging_expiry_d * DAY_S],
  ];
  for (const [state, endkey] of ranges) {
    for (;;) {
      const page = await context.store.view(db, 'knm', 'expiry', { startkey: [state], endkey: [state, endkey], inclusive_end: false, limit: PAGE, include_docs: true });
      const done = await purgePage(context, db, page.rows.map((row) => row.doc).filter((doc): doc is NonNullable<typeof doc> => doc !== undefined && doc !== null), result);
      // Rows left in place (changed meanwhile, or kept) would come back on the same page: stop at a short page or no progress.
      if (page.rows.length < PAGE || done === 0) break;
    }
  }
  if (result.deleted + result.madeAvailable > 0) context.logger.log('info', 'purged', { db, ...result });
  return result;
}

async function purgePage(context: PurgeContext, db: string, docs: readonly CouchDoc[], result: PurgeResult): Promise<number> {
  const { rules, tasks, numberManager } = context.config();
  const writes: CouchDoc[] = [];
  const kinds: ('delete' | 'make_available')[] = [];
  for (const doc of docs) {
    let read;
    try {
      read = readNumberDocument(doc, { now: context.now, normalize: (number) => rules.normalize(number), availableModuleName: numberManager.available_module_name });
    } catch {
      continue;
    }
    const decision = purgeDecision(read.record, tasks, context.now);
    if (decision === 'delete') {
      writes.push({ _id: doc._id, _rev: doc._rev, _deleted: true });
      kinds.push(decision);
    } else if (decision === 'make_available' && !read.malformed) {
      writes.push(writeNumberDocument({ ...read.record, state: 'available' }, { now: context.now }) as CouchDoc);
      kinds.push(decision);
    }
  }
  const answers = await context.store.bulkDocs(db, writes);
  let done = 0;
  answers.forEach((answer, index) => {
    if (!answer.ok) {
      context.logger.log('debug', 'purge_skipped', { db, id: answer.id, error: answer.error });
      return;
    }
    done += 1;
    if (kinds[index] === 'delete') {
      result.deleted += 1;
      context.metrics.reaction('purge');
    } else {
      result.madeAvailable += 1;
      context.metrics.reaction('age');
    }
  });
  return done;
}
