/**
 * Structured logs of the pipeline: one JSON line per event on stderr, quiet by default. `KNM_LOG` picks the
 * level (error, warn — the default —, info, debug); each event names what happened and where (db, id).
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const RANK: Readonly<Record<LogLevel, number>> = { error: 0, warn: 1, info: 2, debug: 3 };

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
}

export function logLevelFrom(value: string | undefined): LogLevel {
  const wanted = value?.trim().toLowerCase();
  return wanted !== undefined && wanted in RANK ? (wanted as LogLevel) : 'warn';
}

/** A logger writing JSON lines through `write` (stderr by default); `now` gives the timestamp (ISO). */
export function jsonLogger(level: LogLevel, write: (line: string) => void = (line) => process.stderr.write(line), now: () => Date = () => new Date()): Logger {
  const threshold = RANK[level];
  return {
    enabled: (wanted) => RANK[wanted] <= threshold,
    log(wanted, event, fields = {}) {
      if (RANK[wanted] > threshold) return;
      write(`${JSON.stringify({ time: now().toISOString(), level: wanted, event, ...fields }, jsonSafe)}\n`);
    },
  };
}

export const silentLogger: Logger = { log: () => undefined, enabled: () => false };

/** Errors become their message (and Kazoo's error name when they have one), never a stack. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const named = value as Error & { error?: unknown };
    return typeof named.error === 'string' ? `${named.error}: ${value.message}` : value.message;
  }
  return value;
}
