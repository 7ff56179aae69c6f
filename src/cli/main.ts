/**
 * The `knm` command line. Each command lives in its own module under ./commands and is listed here.
 * Exit codes: 0 all done, 1 some items failed, 2 bad arguments or unreadable input.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands';
import { reportFailure } from './output';

export async function main(argv: string[]): Promise<void> {
  const parser = yargs(argv)
    .scriptName('knm')
    .strict()
    .demandCommand(1, 'name a command (knm --help lists them)')
    .recommendCommands()
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON document on stdout' })
    .option('couch', { type: 'string', describe: 'CouchDB URL (default: COUCH_URL, else the embedded store on 127.0.0.1:$KNM_COUCH_PORT)' })
    .fail((message, error, y) => {
      if (error) throw error;
      process.stderr.write(`knm: ${message}\n\n${y.help()}\n`);
      process.exit(2);
    })
    .help()
    .version();
  for (const register of commands) register(parser);
  await parser.parseAsync();
}

if (require.main === module) {
  main(hideBin(process.argv)).catch((error: unknown) => {
    process.exitCode = reportFailure(error);
  });
}
