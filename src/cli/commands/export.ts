/**
 * `knm export [--state S] [--account ID [--descendants]] [--as ACCOUNT] [--output FILE]`: the numbers as Kazoo's
 * number_management `dump` / `dump_<state>` / `list` / `list_all` tasks list them (26 columns), CSV on stdout (or FILE);
 * with --json, one JSON array of rows. `--as` is the task's auth account, with Kazoo's rules (maintenance-and-tasks.md
 * §2.3): only the master account may dump; `list` drops the numbers it may not fetch; `list_all` fetches as system.
 */
import fs from 'node:fs';
import type { Argv } from 'yargs';
import { isNumberState, NUMBER_STATES } from '../../documents/types';
import { isAccountId, SYSTEM } from '../../lifecycle/accounts';
import { readAccountDirectory } from '../../lifecycle/account-directory';
import { canFetch } from '../../lifecycle/authorization';
import type { NumberRecord } from '../../documents/types';
import type { Store } from '../../store/client';
import { LIST_COLUMNS, ListColumn, QUOTED_COLUMNS } from '../../tasks/columns';
import { formatCsvRow } from '../../tasks/csv';
import { exportNumbers } from '../../tasks/export';
import { descendantsOf, masterAccountId } from '../../maintenance/accounts';
import { openEnvironment } from '../environment';
import { UsageError } from '../output';
import { startProgress } from '../progress';
import type { CommandRegistration } from './index';

export const registerExport: CommandRegistration = (parser: Argv) =>
  parser.command(
    'export',
    "list numbers as Kazoo's number_management dump/list CSV (26 columns)",
    (command) =>
      command
        .option('state', { type: 'string', describe: `only numbers in this state (${NUMBER_STATES.join(', ')})` })
        .option('account', { type: 'string', describe: 'only numbers assigned to this account (Kazoo\'s list task)' })
        .option('descendants', { type: 'boolean', default: false, describe: 'with --account: its descendants\' numbers too (Kazoo\'s list_all task)' })
        .option('as', { type: 'string', default: SYSTEM, describe: 'the authenticated account (auth_account_id), or "system"' })
        .option('output', { type: 'string', describe: 'write the CSV to this file instead of stdout' })
        .option('couch', { type: 'string', describe: 'CouchDB URL (default: COUCH_URL, else the embedded store)' }),
    async (argv) => {
      if (argv.state !== undefined && !isNumberState(argv.state)) throw new UsageError(`--state must be one of ${NUMBER_STATES.join(', ')}, not ${JSON.stringify(argv.state)}`);
      if (argv.account !== undefined && !isAccountId(argv.account)) throw new UsageError(`--account must be a 32-character account id, not ${JSON.stringify(argv.account)}`);
      if (argv.descendants && argv.account === undefined) throw new UsageError('--descendants needs --account ID: the account whose descendants to list');
      if (argv.as !== SYSTEM && !isAccountId(argv.as)) throw new UsageError(`--as must be "system" or a 32-character account id, not ${JSON.stringify(argv.as)}`);
      const state = argv.state !== undefined && isNumberState(argv.state) ? argv.state : undefined;
      const json = argv.json === true;
      const { environment } = await openEnvironment(argv.couch, 'export');
      const authBy = argv.as;
      // kt_numbers dump: only for the master account (Kazoo's task stops with no rows for any other)
      if (argv.account === undefined && authBy !== SYSTEM && authBy !== (await masterAccountId(environment.store))) {
        throw new UsageError(`--as ${authBy} may not list every number: only the master account or system may (Kazoo's dump); add --account ID`);
      }
      // kt_numbers list fetches each number as the auth account; list_all fetches as system
      const visible = argv.account !== undefined && !argv.descendants && authBy !== SYSTEM ? await fetchableBy(environment.store, authBy, argv.account) : undefined;
      const accounts = argv.account === undefined ? undefined : [argv.account, ...(argv.descendants ? await descendantsOf(environment.store, argv.account) : [])];
      const sink = argv.output !== undefined ? fs.createWriteStream(argv.output) : process.stdout;
      const write = (text: string): Promise<void> => new Promise((resolve, reject) => sink.write(text, (error) => (error ? reject(error) : resolve())));
      const progress = startProgress({ label: 'knm export', enabled: argv.output !== undefined || !process.stdout.isTTY });
      let first = true;
      await write(json ? '[' : formatCsvRow(LIST_COLUMNS));
      let count = 0;
      try {
        count = await exportNumbers(environment, { state, accounts, visible }, async (row: Record<ListColumn, string>) => {
          if (json) {
            await write(`${first ? '\n' : ',\n'}  ${JSON.stringify(row)}`);
            first = false;
          } else {
            await write(formatCsvRow(LIST_COLUMNS.map((column) => row[column]), (column) => QUOTED_COLUMNS.has(LIST_COLUMNS[column])));
          }
          count += 1;
          progress.update(count);
        });
      } finally {
        progress.finish();
      }
      if (json) await write(first ? ']\n' : '\n]\n');
      if (sink !== process.stdout) await new Promise((resolve) => (sink as fs.WriteStream).end(resolve));
      process.stderr.write(`knm export: ${count} numbers\n`);
    },
  );

/** What `authBy` may fetch of the numbers `holder` holds (knm_phone_number:handle_fetch/2). */
async function fetchableBy(store: Store, authBy: string, holder: string): Promise<(record: NumberRecord) => boolean> {
  const accounts = await readAccountDirectory(store, [authBy, holder]);
  return (record) => canFetch(accounts, record.state, { authBy, assignedTo: record.assignedTo, assignTo: undefined });
}
