/**
 * Where notices for people go (the `notify` of a ProviderContext): Kazoo publishes them on AMQP for its
 * notify app; knm records each as a document in the `notifications` database and, when a webhook is
 * configured, POSTs it there and records how that went on the same document.
 *
 * Recorded once: the `_id` is the notice's kind, number and a hash of its content, so the same notice
 * published twice (a replayed change, a retried save, two workers briefly holding the same database) meets a
 * 409 and is not recorded or sent again. Sent once: a delivery is claimed under MVCC (`pending` → `sending`)
 * before the POST, so only the worker whose claim was written sends it. A failed POST is tried again a bounded
 * number of times with backoff; the document ends `delivered` or `failed` with the attempts made.
 *
 * A notice never fails the save that published it: a store or webhook failure is logged, and delivery runs
 * after `notify` has returned. A delivery a worker left unfinished (it stopped or died while `pending`,
 * `sending` or `retrying`) is taken up again by `redeliverStale`, claimed the same way.
 */
import { createHash } from 'node:crypto';
import { isJsonObject, type JsonObject } from '../documents/json';
import { canonicalJson } from '../documents/kz-json';
import { KnmError } from '../errors';
import type { Logger } from '../pipeline/log';
import type { Store } from '../store/client';
import type { CouchDoc } from '../store/types';
import type { Clock } from '../time';
import type { Notice } from './provider';

export const NOTIFICATIONS_DB = 'notifications';

/** Notices whose delivery is not over, by when their state was last written. */
const DESIGN_DOC = {
  _id: '_design/knm_notifications',
  language: 'javascript',
  views: {
    undelivered: {
      map: "function (doc) { var d = doc.delivery; if (d && (d.status === 'pending' || d.status === 'sending' || d.status === 'retrying')) emit(d.at || doc.created, null); }",
    },
  },
};

export interface NotifierOptions {
  readonly store: Store;
  /** The webhook to deliver to, read when a notice is published; undefined: not configured. */
  readonly webhookUrl: () => Promise<string | undefined>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Names the worker on its delivery claims. */
  readonly workerId: string;
  /** POSTs per notice in all (default 5) and the backoff base between them (default 1,000 ms, doubling). */
  readonly attempts?: number;
  readonly retryBaseMs?: number;
  /** Time allowed to one POST (default 10 s). */
  readonly timeoutMs?: number;
}

export interface Notifier {
  notify(notice: Notice): Promise<void>;
  /** Resolves once the deliveries under way are over (tests, a graceful stop). */
  idle(): Promise<void>;
  /** Takes up deliveries left unfinished for `staleAfterS` seconds or more; resolves with how many were taken up. */
  redeliverStale(staleAfterS?: number): Promise<number>;
}

export type DeliveryStatus = 'not_configured' | 'pending' | 'sending' | 'retrying' | 'delivered' | 'failed';

/** `notice:<kind>:<number>:<hash>`: equal notices, equal ids. */
export function noticeId(notice: Notice): string {
  const content = canonicalJson({ account_id: notice.accountId ?? null, payload: notice.payload, supersedes: notice.supersedes ?? null });
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 24);
  return `notice:${notice.kind}:${notice.number}:${hash}`;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { store, clock, logger } = options;
  const attempts = Math.max(1, options.attempts ?? 5);
  const retryBaseMs = options.retryBaseMs ?? 1_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const underWay = new Set<Promise<void>>();
  let database: Promise<void> | undefined;

  function ensureDatabase(): Promise<void> {
    database ??= store.createDb(NOTIFICATIONS_DB).then(
      async () => {
        if ((await store.getOrNull(NOTIFICATIONS_DB, DESIGN_DOC._id)) !== null) return;
        await store.put(NOTIFICATIONS_DB, DESIGN_DOC).catch((error: unknown) => {
          if (!(error instanceof KnmError && error.error === 'conflict')) throw error;
        });
      },
      (error: unknown) => {
        database = undefined;
        throw error;
      },
    );
    return database;
  }

  /** Writes the delivery state; resolves with the new revision, or undefined when someone else changed the document. */
  async function record(doc: CouchDoc, delivery: JsonObject): Promise<CouchDoc | undefined> {
    const next: CouchDoc = { ...doc, delivery };
    try {
      const { rev } = await store.put(NOTIFICATIONS_DB, next);
      return { ...next, _rev: rev };
    } catch (error) {
      if (error instanceof KnmError && error.error === 'conflict') return undefined;
      throw error;
    }
  }

  async function post(url: string, doc: CouchDoc): Promise<{ ok: boolean; httpStatus?: number; error?: string }> {
    const body = { id: doc._id, kind: doc.kind ?? null, number: doc.number ?? null, account_id: doc.account_id ?? null, payload: doc.payload ?? {} };
    try {
      const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
      await answer.arrayBuffer().catch(() => undefined);
      return answer.ok ? { ok: true, httpStatus: answer.status } : { ok: false, httpStatus: answer.status, error: `HTTP ${answer.status}` };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** POSTs the notice until it is delivered or `attempts` POSTs were made in all (`made` of them before). */
  async function deliver(url: string, created: CouchDoc, made = 0): Promise<void> {
    let doc: CouchDoc | undefined = created;
    for (let attempt = made + 1; doc !== undefined; attempt += 1) {
      // The claim: only the worker whose write lands sends; a 409 means another one has it.
      doc = await record(doc, { status: 'sending', attempts: attempt - 1, claimed_by: options.workerId, at: clock() });
      if (doc === undefined) return;
      const sent = await post(url, doc);
      const outcome: JsonObject = { attempts: attempt, at: clock() };
      if (sent.httpStatus !== undefined) outcome.http_status = sent.httpStatus;
      if (sent.error !== undefined) outcome.error = sent.error;
      if (sent.ok) {
        await record(doc, { status: 'delivered', ...outcome });
        logger.log('info', 'notice_delivered', { id: doc._id, attempts: attempt });
        return;
      }
      if (attempt >= Math.max(attempts, made + 1)) {
        await record(doc, { status: 'failed', ...outcome });
        logger.log('warn', 'notice_delivery_failed', { id: doc._id, attempts: attempt, error: sent.error });
        return;
      }
      doc = await record(doc, { status: 'retrying', ...outcome });
      await new Promise((resolve) => setTimeout(resolve, retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)));
    }
  }

  function startDelivery(url: string, doc: CouchDoc, made = 0): void {
    const delivery = deliver(url, doc, made).catch((error: unknown) => logger.log('warn', 'notice_delivery_error', { id: doc._id, error }));
    underWay.add(delivery);
    void delivery.finally(() => underWay.delete(delivery));
  }

  return {
    async notify(notice) {
      try {
        await ensureDatabase();
        const url = await options.webhookUrl();
        const doc: CouchDoc = {
          _id: noticeId(notice),
          type: 'notification',
          kind: notice.kind,
          number: notice.number,
          ...(notice.accountId !== undefined ? { account_id: notice.accountId } : {}),
          payload: notice.payload,
          created: clock(),
          delivery: url === undefined ? { status: 'not_configured' } : { status: 'pending', attempts: 0 },
        };
        let created: CouchDoc;
        try {
          created = { ...doc, _rev: (await store.put(NOTIFICATIONS_DB, doc)).rev };
        } catch (error) {
          if (error instanceof KnmError && error.error === 'conflict') return; // already recorded: a replay, a retry, another worker
          throw error;
        }
        logger.log('info', 'notice_recorded', { id: created._id, kind: notice.kind, number: notice.number });
        if (url === undefined) return;
        startDelivery(url, created);
      } catch (error) {
        logger.log('error', 'notice_not_recorded', { kind: notice.kind, number: notice.number, error });
      }
    },
    async idle() {
      while (underWay.size > 0) await Promise.all([...underWay]);
    },
    async redeliverStale(staleAfterS = 300) {
      const url = await options.webhookUrl();
      if (url === undefined) return 0;
      await ensureDatabase();
      const rows = await store.view<number, null>(NOTIFICATIONS_DB, 'knm_notifications', 'undelivered', { endkey: clock() - staleAfterS, include_docs: true, limit: 100 });
      let taken = 0;
      for (const row of rows.rows) {
        const doc = row.doc as CouchDoc | undefined;
        if (doc === undefined) continue;
        const delivery = isJsonObject(doc.delivery) ? doc.delivery : {};
        startDelivery(url, doc, typeof delivery.attempts === 'number' ? delivery.attempts : 0);
        taken += 1;
      }
      if (taken > 0) logger.log('info', 'notices_redelivered', { count: taken });
      return taken;
    },
  };
}
