/**
 * Node flags for the commands that move many documents beside their store. `knm import` mostly waits on the store,
 * often on the same machine (the embedded store always is): V8's parallel and concurrent GC threads would take the
 * CPU the store needs, while the import's own thread has time to spare for its collections. With GC on the main
 * thread the import ran 16% faster against the embedded store on a 2-core machine (`npm run bench`, import).
 */
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
