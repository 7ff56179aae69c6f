/**
 * `npm run bench`: every speed and memory figure of knm, printed as figures and as ratios to the raw
 * store measured in the same run. Each section lives in scripts/bench/ and is listed here.
 */
import { sections } from './bench/index';

async function run(): Promise<void> {
  const only = process.argv.slice(2);
  for (const section of sections) {
    if (only.length > 0 && !only.includes(section.name)) continue;
    process.stdout.write(`\n## ${section.name}\n`);
    await section.run((line) => process.stdout.write(`${line}\n`));
  }
}

run().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
