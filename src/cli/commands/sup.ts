/**
 * `knm sup kazoo_number_manager_maintenance FUNCTION ARGS...` (and `kazoo_numbers_maintenance`, the module's name in
 * later Kazoo): Kazoo's maintenance functions by their own names and arities, printing what Kazoo prints, so
 * scripts and documentation written for `sup` work unchanged, e.g.
 * `knm sup kazoo_number_manager_maintenance generate_numbers managed ACCOUNT_ID 2223334000 5`.
 */
import type { Argv } from 'yargs';
import { MAINTENANCE_FUNCTIONS } from '../maintenance-functions';
import { UsageError } from '../output';
import { runMaintenance } from './maintenance';
import type { CommandRegistration } from './index';

const MODULES = ['kazoo_number_manager_maintenance', 'kazoo_numbers_maintenance'] as const;

export const registerSup: CommandRegistration = (parser: Argv) =>
  parser.command(
    'sup <module> <function> [args..]',
    `Kazoo's maintenance functions by name (${MODULES.join(' | ')})`,
    (command) =>
      command
        .positional('module', { type: 'string', demandOption: true, describe: MODULES.join(' or ') })
        .positional('function', { type: 'string', demandOption: true, describe: 'the maintenance function, e.g. carrier_module_usage' })
        .positional('args', { type: 'string', array: true, describe: 'its arguments, as strings' })
        .option('couch', { type: 'string', describe: 'CouchDB URL (default: COUCH_URL, else the embedded store)' }),
    async (argv) => {
      const module = String(argv.module);
      if (!(MODULES as readonly string[]).includes(module)) throw new UsageError(`unknown module ${JSON.stringify(module)}: knm answers ${MODULES.join(' and ')}`);
      const name = String(argv.function);
      const fn = MAINTENANCE_FUNCTIONS.find((candidate) => candidate.name === name);
      if (fn === undefined) throw new UsageError(`${module} has no function ${JSON.stringify(name)} in knm (knm sup ${module} --help lists the functions knm runs)`);
      const args = ((argv.args as unknown[] | undefined) ?? []).map(String);
      await runMaintenance(fn, args, { couch: argv.couch, json: argv.json === true, command: `knm sup ${module} ${name}` });
    },
  );

/** The function names `knm sup` knows, for help texts and tests. */
export function supFunctionNames(): string[] {
  return MAINTENANCE_FUNCTIONS.map((fn) => fn.name);
}
