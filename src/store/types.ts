/**
 * The shapes the store client speaks in. Parameter and field names are CouchDB's own (`include_docs`,
 * `last_seq`, …) so a reader can hold them against the CouchDB API reference without translation.
 */

/** A CouchDB sequence: opaque. Never compare, parse or do arithmetic on it; only hand it back as `since`. */
export type Seq = string;

/** Any JSON document as stored. */
export interface CouchDoc {
  _id: string;
  _rev?: string;
  _deleted?: boolean;
  [field: string]: unknown;
}

/** A document read back from CouchDB: it has a revision. */
export type StoredDoc<D extends object = CouchDoc> = D & { _id: string; _rev: string };

export interface ServerInfo {
  couchdb: string;
  version: string;
  uuid?: string;
  vendor?: { name?: string; version?: string };
  [field: string]: unknown;
}

export interface DbInfo {
  db_name: string;
  doc_count: number;
  doc_del_count: number;
  update_seq: Seq;
  [field: string]: unknown;
}

export interface ListDbsOptions {
  startkey?: string;
  endkey?: string;
  limit?: number;
  skip?: number;
  descending?: boolean;
}

/** One answer of `getMany`, in the order of the ids asked for. */
export type GetManyRow<D extends object> =
  | { id: string; ok: true; doc: StoredDoc<D> }
  | { id: string; ok: false; error: 'not_found' | 'deleted'; rev?: string };

export interface WriteResult {
  id: string;
  rev: string;
}

/** One row of `_bulk_docs`: written, or refused with CouchDB's error and reason (conflict, forbidden, …). */
export type BulkDocResult =
  | { id: string; ok: true; rev: string }
  | { id: string; ok: false; error: string; reason?: string };

export interface ViewParams {
  reduce?: boolean;
  group?: boolean;
  group_level?: number;
  key?: unknown;
  keys?: unknown[];
  startkey?: unknown;
  endkey?: unknown;
  startkey_docid?: string;
  endkey_docid?: string;
  inclusive_end?: boolean;
  descending?: boolean;
  limit?: number;
  skip?: number;
  include_docs?: boolean;
  /** `true` (CouchDB's default) builds the index first; `false`/`lazy` read it as it is. */
  update?: 'true' | 'false' | 'lazy';
}

export interface ViewRow<K = unknown, V = unknown, D extends object = CouchDoc> {
  id?: string;
  key: K;
  value: V;
  doc?: StoredDoc<D> | null;
}

export interface ViewResult<K = unknown, V = unknown, D extends object = CouchDoc> {
  total_rows?: number;
  offset?: number;
  rows: ViewRow<K, V, D>[];
}

export interface ChangesParams {
  since?: Seq | 'now';
  limit?: number;
  include_docs?: boolean;
  descending?: boolean;
  /** normal (default) returns what is there; longpoll waits up to `timeout` ms for at least one change. */
  feed?: 'normal' | 'longpoll';
  /** Milliseconds a longpoll waits before answering with no results. */
  timeout?: number;
  /** Only these documents (`filter=_doc_ids`, sent in the body). */
  doc_ids?: string[];
  /** Include every leaf revision of a conflicted document (`style=all_docs`). */
  style?: 'main_only' | 'all_docs';
  /** Cancels the request (a pending longpoll of a follower that stops); it then fails as unavailable, not retried. */
  signal?: AbortSignal;
}

export interface ChangeRow<D extends object = CouchDoc> {
  id: string;
  seq: Seq;
  changes: { rev: string }[];
  deleted?: boolean;
  doc?: StoredDoc<D> | null;
}

export interface ChangesBatch<D extends object = CouchDoc> {
  results: ChangeRow<D>[];
  last_seq: Seq;
  pending?: number;
}

export interface DbUpdatesParams {
  since?: Seq | 'now';
  /** longpoll (default) waits up to `timeout` ms for one update; normal returns what is there. */
  feed?: 'normal' | 'longpoll';
  timeout?: number;
  limit?: number;
}

export interface DbUpdate {
  db_name: string;
  type: 'created' | 'updated' | 'deleted';
  seq?: Seq;
}

export interface DbUpdatesBatch {
  results: DbUpdate[];
  last_seq: Seq;
  /**
   * True when the server has no `_db_updates` (CouchDB without `_global_changes`) and the batch came from
   * comparing `_all_dbs` and each database's update_seq with the previous poll. Best effort, like the real feed.
   */
  polled: boolean;
}

export interface SecurityObject {
  admins?: { names?: string[]; roles?: string[] };
  members?: { names?: string[]; roles?: string[] };
  [field: string]: unknown;
}
