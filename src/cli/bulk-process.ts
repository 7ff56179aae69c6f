/**
 * How the commands that move many documents run beside their store. `knm import` mostly waits on the store, often on
 * the same machine (the embedded store always is), and what it costs the machine's CPU it takes from the store:
 *  - node flags: V8's parallel and concurrent GC threads would take the CPU the store needs, while the import's own
 *    thread has time to spare for its collections. With GC on the main thread the import ran 16% faster against
 *    the embedded store on a 2-core machine (`npm run bench`, import).
 *  - priority: the import runs at nice 19, as batch jobs do, so the store (and whatever serves calls on the
 *    machine) is never kept waiting for a core by the import that feeds it. The store then spends 10–20% less CPU
 *    per document and the import ran about 20% faster (bench, import, alternated with and without).
 */
import fs from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';

export const BULK_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];

const BULK_COMMANDS: ReadonlySet<string> = new Set(['import']);

/** The global options given before the command that take a value (`knm --couch URL import …`). */
const GLOBAL_OPTIONS_WITH_VALUES: ReadonlySet<string> = new Set(['--couch']);

/** The node flags `args` (the command line after the script) wants that this process was not started with. */
export function missingNodeFlags(args: readonly string[], execArgv: readonly string[] = process.execArgv): string[] {
  const command = args.find((arg, at) => !arg.startsWith('-') && !GLOBAL_OPTIONS_WITH_VALUES.has(args[at - 1] ?? ''));
  if (command === undefined || !BULK_COMMANDS.has(command)) return [];
  return BULK_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}

const PASSED_ON: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs this same program again under `flags`, the terminal's signals passed on, and ends this process as the
 * child ends (its exit code, or its signal). A child that cannot start is not an error: `orElse` runs the command
 * here, without the flags.
 */
export function rerunWith(flags: readonly string[], orElse: () => void): void {
  const child = spawn(process.execPath, [...process.execArgv, ...flags, ...process.argv.slice(1)], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  const stopForwarding = (): void => {
    for (const signal of PASSED_ON) process.off(signal, forward);
  };
  for (const signal of PASSED_ON) process.on(signal, forward);
  child.once('error', () => {
    stopForwarding();
    orElse();
  });
  child.once('exit', (code, signal) => {
    stopForwarding();
    if (signal !== null) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
}

/** The niceness of `knm import` (`--nice`); 19 is the lowest priority, 0 leaves the process as it is. */
export const BULK_NICENESS = 19;

/**
 * Lowers this process to `niceness`, never raising it (an operator's `nice -n 19 knm …` stands). Linux keeps a
 * niceness per thread: each of the process's threads is lowered, and the threads started later inherit it. A
 * system that refuses leaves the process as it was: the priority is a courtesy to the store, not a condition.
 */
export function lowerPriority(niceness: number): void {
  for (const thread of processThreads()) {
    try {
      if (os.getPriority(thread) < niceness) os.setPriority(thread, niceness);
    } catch {
      // a thread that ended meanwhile, or a system without priorities
    }
  }
}

/** The ids of this process's threads on Linux; elsewhere the process itself. */
function processThreads(): number[] {
  try {
    return fs.readdirSync('/proc/self/task').map(Number);
  } catch {
    return [process.pid];
  }
}
