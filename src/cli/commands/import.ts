/**
 * `knm import FILE.csv [--action A] [--as ACCOUNT] [--account ID] [--output FILE] [--batch-size N] [--nice N]`: Kazoo's number_management CSV
 * tasks (import, assign_to, reserve, release, delete, update_merge, update_overwrite, find), in batches; the results CSV
 * has the list columns and `error` for every row. Exit 0 when every row succeeded, 1 when any failed (listed on
 * stderr, and in the results file), 2 for bad arguments or a file that is not such a CSV.
 */
import fs from 'node:fs';
import type { Argv } from 'yargs';
import { isAccountId, readAccountDoc, SYSTEM } from '../../lifecycle/accounts';
import { ImportInputError, importCsv } from '../../tasks/import';
import { isRowAction, ROW_ACTIONS } from '../../tasks/number-tasks';
import { CsvError } from '../../tasks/csv';
import type { Store } from '../../store/client';
import { integerOption } from '../arguments';
import { BULK_NICENESS, lowerPriority } from '../bulk-process';
import { openEnvironment } from '../environment';
import { printResult, UsageError } from '../output';
import { startProgress } from '../progress';
import type { CommandRegistration } from './index';

const LISTED_FAILURES = 20;

export const registerImport: CommandRegistration = (parser: Argv) =>
  parser.command(
    'import <file>',
    "run a CSV of numbers through one of Kazoo's number_management actions (default: import)",
    (command) =>
      command
        .positional('file', { type: 'string', demandOption: true, describe: 'the CSV file, header first (e164 and the action\'s columns)' })
        .option('action', { type: 'string', default: 'import', describe: `one of ${ROW_ACTIONS.join(', ')}` })
        .option('as', { type: 'string', default: SYSTEM, describe: 'the authenticated account (auth_account_id), or "system"' })
        .option('account', { type: 'string', describe: 'the account the task runs for: the default holder of the numbers' })
        .option('output', { type: 'string', describe: 'the results CSV (default: FILE with .results.csv)' })
        .option('batch-size', integerOption('batch-size', 1, 1000, 'rows per batch'))
        .option('nice', integerOption('nice', 0, BULK_NICENESS, 'run at this niceness, 19 the lowest priority (0: as started); the store comes first', 19))
        .option('couch', { type: 'string', describe: 'CouchDB URL (default: COUCH_URL, else the embedded store)' }),
    async (argv) => {
      const file = String(argv.file);
      if (!isRowAction(argv.action)) throw new UsageError(`--action must be one of ${ROW_ACTIONS.join(', ')}, not ${JSON.stringify(argv.action)}`);
      if (argv.as !== SYSTEM && !isAccountId(argv.as)) throw new UsageError(`--as must be "system" or a 32-character account id, not ${JSON.stringify(argv.as)}`);
      if (argv.account !== undefined && !isAccountId(argv.account)) throw new UsageError(`--account must be a 32-character account id, not ${JSON.stringify(argv.account)}`);
      const needsHolder = argv.action === 'import' || argv.action === 'assign_to' || argv.action === 'reserve';
      // Kazoo's task always runs for an account: the holder of rows without account_id
      if (needsHolder && argv.account === undefined && argv.as === SYSTEM) throw new UsageError(`--action ${argv.action} as system needs --account ID: the account rows without account_id go to`);
      if (!fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
      lowerPriority(argv.nice);
      const outputPath = argv.output ?? file.replace(/(\.csv)?$/i, '.results.csv');
      const json = argv.json === true;

      const { store, environment } = await openEnvironment(argv.couch, 'import');
      const authBy = argv.as;
      const context = {
        env: environment,
        authBy,
        taskAccount: argv.account ?? (authBy === SYSTEM ? undefined : authBy),
        superAdmin: authBy === SYSTEM || (await isSuperAdmin(store, authBy)),
        importDefaultCarrier: await importDefaultCarrier(store),
      };
      const output = fs.createWriteStream(outputPath);
      const write = (text: string): Promise<void> => new Promise((resolve, reject) => output.write(text, (error) => (error ? reject(error) : resolve())));
      const progress = startProgress({ label: `knm import (${argv.action})`, total: await countRows(file) });
      let report;
      try {
        report = await importCsv({ context, action: argv.action, input: fs.createReadStream(file), write, batchSize: argv['batch-size'], progress: (done, failed) => progress.update(done, failed) });
      } catch (error) {
        if (error instanceof ImportInputError || error instanceof CsvError) throw new UsageError(`${file}: ${error.message}`);
        throw error;
      } finally {
        progress.finish();
        await new Promise((resolve) => output.end(resolve));
      }
      printResult(json, { ...report, output: outputPath }, () => [`${report.action}: ${report.succeeded} of ${report.rows} rows done, ${report.failed.length} failed; results in ${outputPath}`]);
      if (!json) {
        for (const failure of report.failed.slice(0, LISTED_FAILURES)) process.stderr.write(`line ${failure.line} ${failure.e164}: ${failure.error}\n`);
        if (report.failed.length > LISTED_FAILURES) process.stderr.write(`… and ${report.failed.length - LISTED_FAILURES} more failed rows (see ${outputPath})\n`);
      }
      if (report.failed.length > 0) process.exitCode = 1;
    },
  );

async function isSuperAdmin(store: Store, accountId: string): Promise<boolean> {
  return readAccountDoc(await store.getOrNull('accounts', accountId))?.superduperAdmin === true;
}

/** system_config/tasks `numbers.import_defaults_to_carrier` (default section), knm_local when unset. */
async function importDefaultCarrier(store: Store): Promise<string> {
  const doc = await store.getOrNull('system_config', 'tasks');
  const section = doc?.default;
  const numbers = typeof section === 'object' && section !== null ? (section as Record<string, unknown>).numbers : undefined;
  const value = typeof numbers === 'object' && numbers !== null ? (numbers as Record<string, unknown>).import_defaults_to_carrier : undefined;
  return typeof value === 'string' && value !== '' ? value : 'knm_local';
}

/** Lines after the header: the progress total (a quoted cell holding line breaks makes it a little high). */
async function countRows(file: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of fs.createReadStream(file)) {
    const bytes = chunk as Buffer;
    for (const byte of bytes) if (byte === 10) lines += 1;
    if (bytes.length > 0) last = bytes[bytes.length - 1];
  }
  return Math.max(0, lines + (last === 10 ? 0 : 1) - 1);
}
