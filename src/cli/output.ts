import { isKnmError } from '../errors';
import { isStoreError } from '../store/errors';

/** Exit codes of every command (README, "The contract scripts rely on"). */
export const EXIT = {
  /** Everything asked for was done. */
  done: 0,
  /** Some items failed; each is listed. */
  someFailed: 1,
  /** A mistake in the command line or its input: nothing was done. */
  badArguments: 2,
  /** The store (COUCH_URL, else the embedded one) did not answer: nothing more could be done. */
  storeUnavailable: 3,
} as const;

/**
 * A mistake of the user's: printed as one line naming what is wrong, then the usage line of the command
 * (filled in by the parser when the code that raised it does not know it), exit 2, no stack trace.
 */
export class UsageError extends Error {
  readonly usage?: string;

  constructor(message: string, usage?: string) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }

  /** The same mistake with the command's usage line, unless it already names one. */
  withUsage(usage: string): UsageError {
    return this.usage !== undefined ? this : new UsageError(this.message, usage);
  }
}

/** Prints what went wrong on stderr and returns the exit code. */
export function reportFailure(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`knm: ${error.message}\n${error.usage !== undefined ? `usage: ${error.usage}\n` : ''}`);
    return EXIT.badArguments;
  }
  if (isKnmError(error)) {
    process.stderr.write(`knm: ${error.toLine()}\n`);
    if (isStoreError(error) && error.error === 'unavailable') return EXIT.storeUnavailable;
    return error.code >= 400 && error.code < 500 && error.error === 'bad_config' ? EXIT.badArguments : EXIT.someFailed;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`knm: internal error: ${message}\n`);
  return EXIT.someFailed;
}

/** Writes a command's result: one JSON document with --json, else lines for people. */
export function printResult(json: boolean, value: unknown, lines: () => string[]): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  for (const line of lines()) process.stdout.write(`${line}\n`);
}
