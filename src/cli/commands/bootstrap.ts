/**
 * `knm bootstrap`: creates the databases knm and Kazoo need, writes Kazoo's default configuration where there is
 * none, and deploys every design document (fixed databases and every existing number database). Safe to repeat:
 * a second run writes nothing. Progress goes to stderr; the result to stdout (one JSON document with --json).
 */
import type { Argv } from 'yargs';
import { bootstrap, type BootstrapReport } from '../../store/bootstrap';
import { connectStore } from '../../store/client';
import { resolveStoreUrl } from '../../store/connection';
import { loadDesignDocs } from '../../store/design-docs';
import { systemClock } from '../../time';
import { printResult } from '../output';
import { commandProgress } from '../progress';
import type { StartService } from '../start-services';
import type { CommandRegistration } from './index';

export function deploymentLines(report: Pick<BootstrapReport, 'designDocs' | 'failures'>): string[] {
  const written = report.designDocs.reduce((sum, { written }) => sum + written.length, 0);
  const unchanged = report.designDocs.reduce((sum, { unchanged }) => sum + unchanged.length, 0);
  const lines = [`design documents: ${written} written, ${unchanged} already current, in ${report.designDocs.length} databases`];
  for (const { db, written: ids } of report.designDocs) if (ids.length > 0) lines.push(`  ${db}: ${ids.join(', ')}`);
  for (const { db, reason } of report.failures) lines.push(`failed: ${db}: ${reason}`);
  return lines;
}

export const registerBootstrap: CommandRegistration = (parser: Argv) =>
  parser.command(
    'bootstrap',
    'create the databases, default configuration and design documents (idempotent)',
    (command) => command,
    async (argv) => {
      const target = resolveStoreUrl({ env: process.env, couchOption: typeof argv.couch === 'string' ? argv.couch : undefined });
      const store = connectStore(target);
      const progress = commandProgress('knm bootstrap');
      progress.log(`store ${store.url}`);
      let report;
      try {
        report = await bootstrap({ store, target, library: await loadDesignDocs(), now: systemClock(), log: progress.log, step: progress.step });
      } finally {
        progress.finish();
      }
      printResult(argv.json === true, report, () => [
        `databases created: ${report.createdDbs.length > 0 ? report.createdDbs.join(', ') : 'none (all existed)'}`,
        ...report.config.map(({ id, created }) => `system_config/${id}: ${created ? "written with Kazoo's defaults" : 'kept as it is'}`),
        ...deploymentLines(report),
      ]);
      if (report.failures.length > 0) process.exitCode = 1;
    },
  );

/** `knm start` runs the same bootstrap first, every time (a run with nothing to do writes nothing). */
export const bootstrapService: StartService = {
  name: 'bootstrap',
  async start({ store, target, log }) {
    const report = await bootstrap({
      store,
      // The store's own URL: when knm serves the embedded store, its port may differ from the one asked for.
      target: { url: store.url, user: target.user, password: target.password },
      library: await loadDesignDocs(),
      now: systemClock(),
      log: (line) => log(`bootstrap: ${line}`),
    });
    // Each write and failure was logged as it happened; the summary closes the step.
    log(`bootstrap: ${deploymentLines({ designDocs: report.designDocs, failures: [] })[0]}`);
  },
};
