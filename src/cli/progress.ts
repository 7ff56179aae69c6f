/**
 * Progress of long work on stderr: a bar with the rate and the time left on a terminal, redrawn at most ten times a
 * second; a plain line every few seconds otherwise (logs, pipes). Never on stdout, so `--json` output stays one
 * document. Silent when `enabled` is false, and until the first update.
 */
export interface Progress {
  /** `done` items so far (of `total` when known), `failed` among them. */
  update(done: number, failed?: number): void;
  /** Sets or changes the total once it is known. */
  total(total: number): void;
  finish(): void;
}

export interface ProgressOptions {
  readonly label: string;
  readonly total?: number;
  readonly stream?: NodeJS.WriteStream;
  readonly enabled?: boolean;
  /** Milliseconds; injected by tests. */
  readonly now?: () => number;
}

const TTY_REDRAW_MS = 100;
const LINE_EVERY_MS = 5000;
const BAR_WIDTH = 30;

export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const tty = stream.isTTY === true;
  const started = now();
  let total = options.total;
  let done = 0;
  let failed = 0;
  let lastDraw = 0;
  let reported = false;
  let finished = false;

  const render = (): string => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const rate = done / seconds;
    const failures = failed > 0 ? `, ${failed} failed` : '';
    if (total === undefined || total === 0) return `${options.label}: ${done} done (${formatRate(rate)}/s${failures}, ${formatDuration(seconds)})`;
    const share = Math.min(done / total, 1);
    const left = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
    const bar = tty ? `[${'#'.repeat(Math.round(share * BAR_WIDTH)).padEnd(BAR_WIDTH, '-')}] ` : '';
    return `${options.label}: ${bar}${done}/${total} ${(share * 100).toFixed(1)}% ${formatRate(rate)}/s, ${formatDuration(left)} left${failures}`;
  };

  const draw = (force: boolean): void => {
    if (options.enabled === false || finished) return;
    const at = now();
    if (!force && at - lastDraw < (tty ? TTY_REDRAW_MS : LINE_EVERY_MS)) return;
    lastDraw = at;
    if (tty) stream.write(`\r${render()}\x1b[K`);
    else stream.write(`${render()}\n`);
  };

  return {
    update(value, failures = failed) {
      reported = true;
      done = value;
      failed = failures;
      draw(false);
    },
    total(value) {
      total = value;
    },
    finish() {
      // work that failed before its first item leaves no line behind: its error is the one line to read
      if (reported) draw(true);
      if (tty && reported && options.enabled !== false && !finished) stream.write('\n');
      finished = true;
    },
  };
}

function formatRate(rate: number): string {
  return rate >= 100 ? Math.round(rate).toString() : rate.toFixed(1);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = whole % 60;
  return hours > 0 ? `${hours}h${String(minutes).padStart(2, '0')}m` : minutes > 0 ? `${minutes}m${String(secs).padStart(2, '0')}s` : `${secs}s`;
}

/** Progress of a command whose work comes in loops, each with its own total and unit, and its log lines. */
export interface CommandProgress {
  /** A line on stderr, prefixed with the command; it first clears a bar being drawn. */
  log(line: string): void;
  /** `done` of `total` in the current loop; a new `unit` closes the previous bar and starts another. */
  step(done: number, total: number, unit?: string): void;
  finish(): void;
}

export function commandProgress(command: string, stream: NodeJS.WriteStream = process.stderr): CommandProgress {
  let progress: Progress | undefined;
  let current: string | undefined;
  return {
    log: (line) => stream.write(`${progress !== undefined && stream.isTTY === true ? '\r\u001b[K' : ''}${command}: ${line}\n`),
    step(done, total, unit = 'databases') {
      if (progress === undefined || unit !== current) {
        progress?.finish();
        progress = startProgress({ label: `${command} (${unit})`, total, stream });
        current = unit;
      }
      // a loop run again with the same unit (fix-account-db-numbers) counts its own databases
      progress.total(total);
      progress.update(done);
    },
    finish: () => progress?.finish(),
  };
}
