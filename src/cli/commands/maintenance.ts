/**
 * The maintenance subcommands under readable names (`knm carrier-module-usage [PREFIX]`, `knm purge-discovery`, …),
 * one per Kazoo maintenance function (../maintenance-functions.ts). Output is what Kazoo prints, or one JSON
 * document with --json; progress goes to stderr. Exit 0 all done, 1 some items failed, 2 bad arguments.
 */
import type { Argv } from 'yargs';
import { openEnvironment } from '../environment';
import { checkArity, MAINTENANCE_FUNCTIONS, MaintenanceContext, MaintenanceFunction, usageOf } from '../maintenance-functions';
import { printResult, UsageError } from '../output';
import { commandProgress } from '../progress';
import type { CommandRegistration } from './index';

/** Runs one maintenance function and prints its result; shared with `knm sup`. */
export async function runMaintenance(fn: MaintenanceFunction, args: readonly string[], options: { couch?: string; json: boolean; command: string }): Promise<void> {
  const problem = checkArity(fn, args);
  if (problem !== undefined) throw new UsageError(problem, usageOf(fn, options.command));
  let opened: ReturnType<typeof openEnvironment> | undefined;
  const progress = commandProgress(options.command);
  const context: MaintenanceContext = {
    environment: async () => (await (opened ??= openEnvironment(options.couch, options.command))).environment,
    log: progress.log,
    step: progress.step,
  };
  let result;
  try {
    result = await fn.run(context, args);
  } catch (error) {
    // an argument the function refused: the one line names it, the usage says what it takes
    if (error instanceof UsageError) throw error.withUsage(usageOf(fn, options.command));
    throw error;
  } finally {
    progress.finish();
  }
  printResult(options.json, result.value, () => result.lines);
  if (result.failed > 0) process.exitCode = 1;
}

/** yargs positional names: `SOURCE` → `source`, `NUMBERS...` → `numbers` (variadic). */
function positionalOf(param: string): { name: string; variadic: boolean } {
  const name = param.replace(/[?.]/g, '').toLowerCase().replace(/_/g, '-');
  return { name, variadic: param.includes('...') };
}

export const registerMaintenance: CommandRegistration = (parser: Argv) => {
  for (const fn of MAINTENANCE_FUNCTIONS) {
    if (fn.readable === undefined) continue;
    const readable = fn.readable;
    const positionals = fn.params.map(positionalOf);
    // every positional optional for yargs: the arity is checked here, with a one-line message and the usage
    const signature = positionals.map(({ name, variadic }) => `[${name}${variadic ? '..' : ''}]`).join(' ');
    parser.command(
      `${readable}${signature === '' ? '' : ` ${signature}`}`,
      `${fn.describe} (Kazoo: ${fn.name})`,
      (command) => {
        for (const { name, variadic } of positionals) command.positional(name, { type: 'string', array: variadic });
        return command.option('couch', { type: 'string', describe: 'CouchDB URL (default: COUCH_URL, else the embedded store)' });
      },
      async (argv) => {
        const values = argv as unknown as Record<string, unknown>;
        const args = positionals.flatMap(({ name }) => {
          const value = values[name];
          if (value === undefined) return [];
          return Array.isArray(value) ? value.map(String) : [String(value)];
        });
        await runMaintenance(fn, args, { couch: argv.couch, json: argv.json === true, command: `knm ${readable}` });
      },
    );
  }
  return parser;
};
