/**
 * Errors with Kazoo's shape: `{code, error, cause?, message}` (4.3 src/knm_errors.erl `to_json/3`).
 * Every error knm raises on purpose is a KnmError, so callers (CLI, HTTP, batch results) can show
 * Kazoo's JSON and an operator-facing hint without parsing messages.
 */

export type KazooErrorName =
  | 'not_found'
  | 'not_reconcilable'
  | 'forbidden'
  | 'unauthorized'
  | 'number_exists'
  | 'number_is_porting'
  | 'invalid_state_transition'
  | 'no_change_required'
  | 'assign_failure'
  | 'invalid'
  | 'service_restriction'
  | 'not_enough_credit'
  | 'unspecified_fault'
  | 'conflict'
  | 'unavailable'
  | 'bad_config'
  | 'bad_document'
  // the number hunt's own refusals (knm_numbers:lookup_account/1 returns them as bare atoms / tuples)
  | 'unassigned'
  | 'not_in_service'
  | 'account_disabled';

export interface KazooErrorJson {
  code: number;
  error: KazooErrorName;
  message: string;
  cause?: string;
}

export interface KnmErrorOptions {
  cause?: string;
  /** What the operator should do next; shown by the CLI, never part of Kazoo's JSON. */
  hint?: string;
  /** The underlying failure, kept for logs. */
  origin?: unknown;
}

export class KnmError extends Error {
  readonly code: number;
  readonly error: KazooErrorName;
  readonly kazooCause?: string;
  readonly hint?: string;
  readonly origin?: unknown;

  constructor(error: KazooErrorName, code: number, message: string, options: KnmErrorOptions = {}) {
    super(message);
    this.name = 'KnmError';
    this.error = error;
    this.code = code;
    this.kazooCause = options.cause;
    this.hint = options.hint;
    this.origin = options.origin;
  }

  toJSON(): KazooErrorJson {
    const json: KazooErrorJson = { code: this.code, error: this.error, message: this.message };
    if (this.kazooCause !== undefined) json.cause = this.kazooCause;
    return json;
  }

  /** One line for a person: the message, the cause, and what to do next. */
  toLine(): string {
    const cause = this.kazooCause !== undefined ? ` (${this.kazooCause})` : '';
    const hint = this.hint !== undefined ? `; ${this.hint}` : '';
    return `${this.error}: ${this.message}${cause}${hint}`;
  }
}

export function isKnmError(value: unknown): value is KnmError {
  return value instanceof KnmError;
}
