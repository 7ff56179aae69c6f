/**
 * `_bulk_docs` answers in the order of the documents sent, as CouchDB does; callers pair results with their
 * documents by position. pouchdb-validation (inside express-pouchdb) puts every refused document first.
 * The route gives each document without an `_id` one before it goes in (CouchDB generates one anyway),
 * so that every result can be matched back to its document.
 */
import { randomUUID } from 'node:crypto';

export function giveIds(docs: unknown[]): string[] {
  return docs.map((doc) => {
    if (typeof doc !== 'object' || doc === null) return '';
    const record = doc as Record<string, unknown>;
    if (typeof record._id !== 'string') record._id = randomUUID().replace(/-/g, '');
    return record._id as string;
  });
}

/** Puts results back in the order of `ids`; a result that matches no id (should not happen) goes last. */
export function inInputOrder(ids: string[], results: unknown[]): unknown[] {
  const byId = new Map<string, unknown[]>();
  for (const result of results) {
    const id = typeof result === 'object' && result !== null ? (result as { id?: unknown }).id : undefined;
    const key = typeof id === 'string' ? id : '';
    const queue = byId.get(key) ?? [];
    queue.push(result);
    byId.set(key, queue);
  }
  const ordered: unknown[] = [];
  for (const id of ids) {
    const next = byId.get(id)?.shift();
    if (next !== undefined) ordered.push(next);
  }
  for (const rest of byId.values()) ordered.push(...rest);
  return ordered;
}
