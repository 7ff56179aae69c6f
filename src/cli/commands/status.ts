/**
 * `knm status [--json]`: numbers per state and per carrier module for every number database and in total, from
 * the views (reduce queries, no document read), and the changes pipeline's lag when it has run.
 */
import type { Argv } from 'yargs';
import { numbersStatus, type DbCounts } from '../../maintenance/status';
import { connectStore } from '../../store/client';
import { resolveStoreUrl } from '../../store/connection';
import { printResult } from '../output';
import { startProgress } from '../progress';
import type { CommandRegistration } from './index';

export const registerStatus: CommandRegistration = (parser: Argv) =>
  parser.command(
    'status',
    'numbers per state and per carrier module, per number database and in total; the pipeline lag; the workers and their leases',
    (command) => command.option('couch', { type: 'string', describe: 'CouchDB URL (default: COUCH_URL, else the embedded store)' }),
    async (argv) => {
      const store = connectStore(resolveStoreUrl({ env: process.env, couchOption: argv.couch }));
      const progress = startProgress({ label: 'knm status' });
      const status = await numbersStatus(store, (done, total) => {
        progress.total(total);
        progress.update(done);
      }).finally(() => progress.finish());
      printResult(argv.json === true, status, () => [
        ...status.databases.map((counts) => countsLine(counts.db, counts)),
        countsLine('total', status.totals),
        ...(status.pipeline ? [] : ['pipeline: no checkpoints (knm start has not run against this store): lag unknown']),
        ...(status.workers ?? []).map(
          (worker) =>
            `worker ${worker.id} (${worker.host} pid ${worker.pid}): ${worker.alive ? 'alive' : 'gone'}, last seen ${worker.lastSeen}, ${worker.leases.length} leases` +
            (worker.leases.length > 0 ? `: ${worker.leases.map((lease) => `${lease.db}${lease.lagChanges !== undefined ? ` (lag ${lease.lagChanges})` : ''}`).join(', ')}` : ''),
        ),
        ...(status.unleased !== undefined && status.unleased.length > 0 ? [`not leased by a live worker: ${status.unleased.join(', ')}`] : []),
        ...status.failures.map(({ db, reason }) => `failed: ${db}: ${reason}`),
      ]);
      if (status.failures.length > 0) process.exitCode = 1;
    },
  );

function countsLine(name: string, counts: Omit<DbCounts, 'db'>): string {
  const list = (counts: Record<string, number>): string =>
    Object.entries(counts)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, count]) => `${key}=${count}`)
      .join(' ');
  const lag = counts.lagChanges === undefined ? '' : ` | lag ${counts.lagChanges} changes`;
  return `${name}: ${counts.total} numbers | ${list(counts.states)} | ${list(counts.modules)}${lag}`;
}
