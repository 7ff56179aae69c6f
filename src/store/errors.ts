/**
 * CouchDB failures as KnmErrors: each names the database and document it was about, carries CouchDB's
 * own reason (a validate_doc_update refusal reaches the caller word for word) and says what to do next.
 * CouchDB's reason is the error's cause (shown after the message by KnmError.toLine). Messages are built
 * from names only, never from URLs, so credentials cannot leak through them.
 */
import { KnmError, type KazooErrorName } from '../errors';

export interface StoreErrorContext {
  /** What the client was doing, e.g. "get", "bulkDocs", "changes". */
  operation: string;
  /** The CouchDB name of the database (raw form, `numbers/+1415`). */
  db?: string;
  docId?: string;
}

export class StoreError extends KnmError {
  readonly operation: string;
  readonly db?: string;
  readonly docId?: string;
  /** The HTTP status CouchDB answered, or undefined when no answer came. */
  readonly status?: number;
  /** CouchDB's `error` field (`not_found`, `conflict`, `forbidden`, `file_exists`, …). */
  readonly couchError?: string;
  /** CouchDB's `reason` field (`missing`, `deleted`, the validate_doc_update message, …). */
  readonly reason?: string;

  constructor(
    name: KazooErrorName,
    code: number,
    message: string,
    context: StoreErrorContext,
    details: { status?: number; couchError?: string; reason?: string; hint: string; origin?: unknown },
  ) {
    super(name, code, message, { cause: details.reason, hint: details.hint, origin: details.origin });
    this.name = 'StoreError';
    this.operation = context.operation;
    this.db = context.db;
    this.docId = context.docId;
    this.status = details.status;
    this.couchError = details.couchError;
    this.reason = details.reason;
  }
}

export function isStoreError(value: unknown): value is StoreError {
  return value instanceof StoreError;
}

function target(context: StoreErrorContext): string {
  if (context.docId !== undefined && context.db !== undefined) return `document "${context.docId}" in database "${context.db}"`;
  if (context.db !== undefined) return `database "${context.db}"`;
  return 'the CouchDB server';
}

/** Turns one HTTP answer from CouchDB (status, `error`, `reason`) into the typed error callers catch. */
export function errorFromCouchAnswer(
  context: StoreErrorContext,
  status: number,
  couchError: string | undefined,
  reason: string | undefined,
  origin?: unknown,
): StoreError {
  const what = target(context);
  const base = { status, couchError, reason, origin };
  switch (status) {
    case 404: {
      // CouchDB 3 says "Database does not exist.", CouchDB 1 and express-pouchdb "no_db_file".
      const noDb = reason === 'no_db_file' || reason === 'Database does not exist.';
      const message = noDb && context.db !== undefined
        ? `${context.operation}: database "${context.db}" does not exist`
        : `${context.operation}: ${what} not found`;
      const hint = noDb ? 'create the database first (knm bootstrap creates the fixed ones; number databases appear on first write)' : 'check the id; list the database to see what it holds';
      return new StoreError('not_found', 404, message, context, { ...base, hint });
    }
    case 409:
      return new StoreError('conflict', 409, `${context.operation}: ${what} was changed by someone else (revision conflict)`, context, {
        ...base,
        hint: 're-read the document and apply the change to the current revision',
      });
    case 412:
      return new StoreError('conflict', 412, `${context.operation}: ${what} already exists`, context, {
        ...base,
        hint: 'the target already exists; nothing to create',
      });
    case 403:
      return new StoreError('forbidden', 403, `${context.operation}: CouchDB refused ${what}`, context, {
        ...base,
        hint: 'the write breaks a validate_doc_update rule or the database security; fix the document as the reason says',
      });
    case 401:
      return new StoreError('unauthorized', 401, `${context.operation}: not authorized for ${what}`, context, {
        ...base,
        hint: 'check COUCH_USER/COUCH_PASSWORD (or the credentials in COUCH_URL) and the database members',
      });
    case 400:
    case 413:
    case 415:
      return new StoreError('invalid', status, `${context.operation}: CouchDB rejected the request for ${what}`, context, {
        ...base,
        hint: 'the request is malformed for this server; this is a bug in the caller',
      });
    case 502:
    case 503:
    case 504:
      return unavailable(context, `answered ${status}${reason !== undefined ? `: ${reason}` : ''}`, origin, status);
    default:
      return new StoreError('unspecified_fault', status >= 500 ? status : 500, `${context.operation}: CouchDB failed on ${what} (HTTP ${status}${couchError !== undefined ? ` ${couchError}` : ''})`, context, {
        ...base,
        hint: 'look at the CouchDB server log; retry once the server is healthy',
      });
  }
}

/** No answer (refused, reset, timed out) or a gateway saying the server is away. */
export function unavailable(context: StoreErrorContext, why: string, origin?: unknown, status?: number): StoreError {
  return new StoreError('unavailable', 503, `${context.operation}: CouchDB is unavailable for ${target(context)} (${why})`, context, {
    status,
    origin,
    hint: 'check that CouchDB is running and COUCH_URL / KNM_COUCH_PORT point at it (knm start runs the embedded one)',
  });
}
