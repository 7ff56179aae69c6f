/**
 * A number document deleted by another tool arrives in the feed as a tombstone; what it held before (its
 * holders, whose account copies must go too) is read from the document as it last was: the tombstone itself
 * when the deleting write kept the body (`_deleted: true` on the whole document), else the revision before it,
 * which CouchDB keeps until the database is compacted.
 */
import type { Store } from '../store/client';
import { isStoreError } from '../store/errors';
import type { StoredDoc } from '../store/types';

interface Revisions {
  start: number;
  ids: string[];
}

/** The document as it was before `deletedRev`, or undefined when no revision of it is left to read. */
export async function lastLiveRevision(store: Store, db: string, id: string, deletedRev: string): Promise<StoredDoc | undefined> {
  const tombstone = await readRevision(store, db, id, deletedRev, true);
  if (tombstone === undefined) return undefined;
  if (Object.keys(tombstone).some((key) => !key.startsWith('_'))) return tombstone;
  const revisions = tombstone._revisions as Revisions | undefined;
  if (revisions === undefined || revisions.ids.length < 2) return undefined;
  return readRevision(store, db, id, `${revisions.start - 1}-${revisions.ids[1]}`, false);
}

async function readRevision(store: Store, db: string, id: string, rev: string, revs: boolean): Promise<StoredDoc | undefined> {
  try {
    return await store.get(db, id, { rev, ...(revs ? { revs } : {}) });
  } catch (error) {
    // Compacted away, or the database is gone: nothing left to learn from.
    if (isStoreError(error) && error.status === 404) return undefined;
    throw error;
  }
}
