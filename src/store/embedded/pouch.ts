/**
 * The few PouchDB calls the embedded server's own routes make, typed narrowly (PouchDB's typings are
 * generic over documents and do not describe live feeds or the events they hang on the database).
 */

export interface PouchChangeRow {
  id: string;
  seq: number | string;
  changes: { rev: string }[];
  deleted?: boolean;
  doc?: unknown;
}

export interface PouchChangesResult {
  results: PouchChangeRow[];
  last_seq: number | string;
}

/** A PouchDB changes request: a promise of the batch, and an event emitter for live feeds. */
export interface PouchChanges extends PromiseLike<PouchChangesResult> {
  on(event: 'change', listener: (change: PouchChangeRow) => void): PouchChanges;
  on(event: 'error', listener: (error: unknown) => void): PouchChanges;
  on(event: 'complete', listener: (result: unknown) => void): PouchChanges;
  cancel(): void;
}

export interface PouchDb {
  info(): Promise<{ update_seq: number | string; db_name: string }>;
  id(): Promise<string>;
  get(id: string): Promise<Record<string, unknown>>;
  changes(options: Record<string, unknown>): PouchChanges;
  query(view: string, options: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Live PouchDB feeds each hold one 'destroyed' listener on their database until they end. */
  listenerCount(event: string): number;
  setMaxListeners(count: number): void;
}

/** A failure PouchDB reports: CouchDB's `status`, `name` (error) and `message` (reason). */
export function pouchFailure(error: unknown): { status: number; error: string; reason: string } {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as { status?: unknown; name?: unknown; message?: unknown; reason?: unknown };
  const status = typeof failure.status === 'number' ? failure.status : 500;
  const name = typeof failure.name === 'string' && failure.name !== 'Error' ? failure.name : status === 500 ? 'unknown_error' : 'bad_request';
  const reason = typeof failure.reason === 'string' ? failure.reason : typeof failure.message === 'string' ? failure.message : String(error);
  return { status, error: name, reason };
}
