import { isKnmError } from '../errors';

/** A mistake of the user's: printed as one line, exit 2, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Prints what went wrong on stderr and returns the exit code. */
export function reportFailure(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`knm: ${error.message}\n`);
    return 2;
  }
  if (isKnmError(error)) {
    process.stderr.write(`knm: ${error.toLine()}\n`);
    return error.code >= 400 && error.code < 500 && error.error === 'bad_config' ? 2 : 1;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`knm: internal error: ${message}\n`);
  return 1;
}

/** Writes a command's result: one JSON document with --json, else lines for people. */
export function printResult(json: boolean, value: unknown, lines: () => string[]): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  for (const line of lines()) process.stdout.write(`${line}\n`);
}
