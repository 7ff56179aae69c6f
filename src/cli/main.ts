/**
 * The `knm` command line. Each command lives in its own module under ./commands and is listed there.
 * Exit codes (./output.ts EXIT): 0 all done, 1 some items failed, 2 bad arguments or unreadable input, 3 the store
 * did not answer. A user's mistake is one line naming it and the command's usage line on stderr, never the help.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands';
import { EXIT, reportFailure, UsageError } from './output';
import { describeParseFailure } from './parse-failures';
import { missingNodeFlags, rerunWith } from './bulk-process';

/** Runs one command line to its end and returns its exit code; never exits the process itself. */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  const parser = knmParser(argv).fail((message: string | null, error: Error | undefined, failing: Argv) => {
    const help = helpText(failing);
    const usage = firstLine(help);
    if (error instanceof UsageError) throw error.withUsage(usage);
    if (error) throw error;
    // An unknown option takes the next word as its value, so yargs may first complain of what it swallowed
    // (`knm number get --bogus +1415…` is missing NUMBERS): the option is what is wrong.
    const unknown = unknownOptions(argv, help);
    if (unknown.length > 0) throw new UsageError(unknown.map((option) => `unknown option ${option}`).join('; '), usage);
    throw new UsageError(describeParseFailure(message ?? 'bad arguments', argv, usage), usage);
  });
  try {
    await parser.parseAsync();
  } catch (error) {
    // a command's own refusal of an argument comes without the usage line: ask the parser for that command's
    if (error instanceof UsageError) return reportFailure(error.withUsage(await usageOf(argv)));
    // yargs' own errors (a refused option value) are the user's mistakes too
    if (error instanceof Error && error.name === 'YError') {
      const usage = await usageOf(argv);
      return reportFailure(new UsageError(describeParseFailure(error.message, argv, usage), usage));
    }
    return reportFailure(error);
  }
  return Number(process.exitCode ?? EXIT.done);
}

/** Every command, its options and the global ones. */
function knmParser(argv: readonly string[]): Argv {
  const parser = yargs(argv)
    .scriptName('knm')
    .strict()
    .demandCommand(1, 'name a command (knm --help lists them)')
    .recommendCommands()
    .exitProcess(false)
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON document on stdout' })
    .option('couch', { type: 'string', describe: 'CouchDB URL (default: COUCH_URL, else the embedded store on 127.0.0.1:$KNM_COUCH_PORT)' })
    .help()
    .version();
  for (const register of commands) register(parser);
  return parser;
}

/** The usage line of the command `argv` names, from its help (printed nowhere). */
async function usageOf(argv: readonly string[]): Promise<string> {
  let help = '';
  await knmParser([...argv, '--help'])
    .fail(() => undefined)
    .parseAsync([...argv, '--help'], {}, (_error, _parsed, output) => {
      help = output;
    });
  return firstLine(help);
}

/** The failing command's help: its usage line first (`knm hunt <number>`), then its options. */
function helpText(failing: Argv): string {
  let help = '';
  failing.showHelp((text: string) => {
    help = text;
  });
  return help;
}

/** The `--options` of `argv` that the command's help does not list. */
function unknownOptions(argv: readonly string[], help: string): string[] {
  const known = new Set([...help.matchAll(/--([a-z0-9][a-z0-9-]*)/g)].map((match) => match[1]));
  const given = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length).filter((token) => /^--[^-]/.test(token));
  return [...new Set(given.map((token) => token.replace(/=.*$/, '')))].filter((option) => !known.has(option.slice(2).replace(/^no-/, '')) && !known.has(option.slice(2)));
}

function firstLine(help: string): string {
  return help.split('\n')[0]?.trim() || 'knm <command>';
}

/** The program: bin/knm and `node dist/src/cli/main.js`. */
export function runCommandLine(): void {
  const args = hideBin(process.argv);
  const flags = missingNodeFlags(args);
  if (flags.length > 0) return rerunWith(flags, () => runHere(args));
  runHere(args);
}

function runHere(args: string[]): void {
  main(args).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = reportFailure(error);
    },
  );
}

if (require.main === module) runCommandLine();
