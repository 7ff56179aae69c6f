/**
 * `knm refresh-numbers-dbs`: (re)deploys the design documents (Kazoo's `_design/numbers`, knm's views and
 * validation) to every existing number database, including ones created behind knm's back. Kazoo's
 * `sup kazoo_number_manager_maintenance refresh_numbers_dbs` does the same for its own views.
 */
import type { Argv } from 'yargs';
import { refreshNumberDbs } from '../../store/bootstrap';
import { connectStore } from '../../store/client';
import { resolveStoreUrl } from '../../store/connection';
import { loadDesignDocs } from '../../store/design-docs';
import { integerOption } from '../arguments';
import { printResult } from '../output';
import { commandProgress } from '../progress';
import { deploymentLines } from './bootstrap';
import type { CommandRegistration } from './index';

export const registerRefreshNumbersDbs: CommandRegistration = (parser: Argv) =>
  parser.command(
    'refresh-numbers-dbs',
    'deploy the design documents to every number database (only what changed is written)',
    (command) => command
      .option('concurrency', integerOption('concurrency', 1, 8, 'databases handled at once')),
    async (argv) => {
      const store = connectStore(resolveStoreUrl({ env: process.env, couchOption: typeof argv.couch === 'string' ? argv.couch : undefined }));
      const progress = commandProgress('knm refresh-numbers-dbs');
      progress.log(`store ${store.url}`);
      let report;
      try {
        report = await refreshNumberDbs({ store, library: await loadDesignDocs(), log: progress.log, step: progress.step, concurrency: argv.concurrency });
      } finally {
        progress.finish();
      }
      printResult(argv.json === true, report, () => deploymentLines(report));
      if (report.failures.length > 0) process.exitCode = 1;
    },
  );
