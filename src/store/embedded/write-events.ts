/**
 * Which HTTP requests change a database, for `_db_updates`. CouchDB reports a database as updated when
 * its update_seq moves: document writes, deletes, attachments, design documents, update functions.
 * `_local` documents and `_security` do not move it; reads sent as POST (`_all_docs`, views, `_find`,
 * `_changes`, `_bulk_get`, `_revs_diff`) are not writes.
 */
import type { DbUpdateType } from './db-updates';

export function dbEventOf(method: string, segments: string[], status: number): DbUpdateType | undefined {
  if (status < 200 || status >= 300 || segments.length === 0 || segments[0].startsWith('_') && !isSystemDb(segments[0])) return undefined;
  if (segments.length === 1) {
    if (method === 'PUT') return 'created';
    if (method === 'DELETE') return 'deleted';
    if (method === 'POST') return 'updated';
    return undefined;
  }
  const [, second, third, fourth] = segments;
  if (second === '_bulk_docs') return method === 'POST' ? 'updated' : undefined;
  if (second === '_design' && third !== undefined) {
    if (fourth === '_update') return method === 'POST' || method === 'PUT' ? 'updated' : undefined;
    if (fourth !== undefined && fourth.startsWith('_')) return undefined;
    return isDocWrite(method) ? 'updated' : undefined;
  }
  if (second.startsWith('_')) return undefined;
  return isDocWrite(method) ? 'updated' : undefined;
}

function isDocWrite(method: string): boolean {
  return method === 'PUT' || method === 'DELETE' || method === 'COPY';
}

function isSystemDb(name: string): boolean {
  return name === '_users' || name === '_replicator';
}
