/**
 * One `knm import` of a CSV file, in a process of its own started with the node flags `knm import` runs under and
 * lowered to its niceness (src/cli/bulk-process.ts), as the import bench's measured side: `node import-run.js STORE_URL FILE RESULTS ACCOUNT`
 * prints `{"seconds": …, "cpuMicros": …, "failed": …}` (the import alone, not the process's start).
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { compileNumberRules } from '../../src/numbers/rules';
import { loadDesignDocs } from '../../src/store/design-docs';
import { connectStore } from '../../src/store/client';
import { importCsv } from '../../src/tasks/import';
import { BULK_NICENESS, lowerPriority } from '../../src/cli/bulk-process';
import { systemClock } from '../../src/time';

export interface ImportRun {
  readonly seconds: number;
  readonly cpuMicros: number;
  readonly failed: number;
  readonly firstFailure?: string;
}

async function run(url: string, file: string, results: string, account: string): Promise<ImportRun> {
  lowerPriority(BULK_NICENESS);
  const store = connectStore({ url });
  const config = defaultNumberManagerConfig();
  const env = { store, designDocs: await loadDesignDocs(), rules: compileNumberRules(config).rules, config, clock: systemClock };
  const output = fs.createWriteStream(results);
  const write = (text: string): Promise<void> => new Promise((resolve, reject) => output.write(text, (error) => (error ? reject(error) : resolve())));
  const cpu = process.cpuUsage();
  const start = performance.now();
  const report = await importCsv({
    context: { env, authBy: 'system', taskAccount: account, superAdmin: true, importDefaultCarrier: 'knm_local' },
    action: 'import',
    input: fs.createReadStream(file),
    write,
    batchSize: 1_000,
  });
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  await new Promise((resolve) => output.end(resolve));
  return { seconds, cpuMicros: used.user + used.system, failed: report.failed.length, firstFailure: report.failed[0]?.error };
}

if (require.main === module) {
  const [url, file, results, account] = process.argv.slice(2);
  run(url, file, results, account).then(
    (measured) => process.stdout.write(`${JSON.stringify(measured)}\n`),
    (error: unknown) => {
      process.stderr.write(`import bench run: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
