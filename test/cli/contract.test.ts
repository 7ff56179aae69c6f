/**
 * The command line's contract (README, "The contract scripts rely on"), checked over every command the parser
 * knows: the commands are read from the registrations themselves, so a new command is covered, or fails here
 * until it has an example below. Runs in this process (runKnmInProcess) against a fixture store on a free port;
 * a few runs go through a child process to check the real program.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Argv } from 'yargs';
import { commands } from '../../src/cli/commands';
import { MAINTENANCE_FUNCTIONS } from '../../src/cli/maintenance-functions';
import { escapeRegExp } from '../../src/cli/parse-failures';
import { accountDbName } from '../../src/numbers/db-names';
import { startEmbeddedServer } from '../../src/store/embedded';
import { runKnm, runKnmInProcess } from '../helpers/cli';
import { FixtureStore, putAccountAppViews, startFixtureStore } from '../helpers/fixture-store';
import { REPO_ROOT } from '../helpers/fixtures';
import { MASTER, RESELLER } from '../helpers/kazoo-roles';

interface KnownCommand {
  /** The words that name it: `['number', 'get']`. */
  words: string[];
  /** Its yargs signature: `get <numbers..>`. */
  signature: string;
  /** True for a group (`number`) whose subcommands do the work. */
  group: boolean;
  /** Options it cannot run without (`--as`). */
  requiredOptions: string[];
}

/**
 * Every command the registrations declare, subcommands included: each registration runs against a recorder
 * that plays yargs' builder API and writes down the `command` calls.
 */
function knownCommands(): KnownCommand[] {
  const found: KnownCommand[] = [];
  const recorder = (prefix: string[], current?: KnownCommand): Argv => {
    const proxy: Argv = new Proxy({} as Argv, {
      get: (_target, property) => {
        if (property === 'option') {
          return (name: string, options?: { demandOption?: unknown }) => {
            if (options?.demandOption !== undefined && options.demandOption !== false) current?.requiredOptions.push(name);
            return proxy;
          };
        }
        if (property !== 'command') return () => proxy;
        return (signature: string, _describe: string, builder?: (inner: Argv) => Argv) => {
          const words = [...prefix, signature.split(' ')[0]];
          const entry: KnownCommand = { words, signature, group: false, requiredOptions: [] };
          found.push(entry);
          const before = found.length;
          builder?.(recorder(words, entry));
          entry.group = found.length > before;
          return proxy;
        };
      },
    });
    return proxy;
  };
  for (const register of commands) register(recorder([]));
  return found;
}

const NUMBER = '+15551255693';
/** A value for each argument name of Kazoo's maintenance functions (maintenance-functions.ts `params`). */
const MAINTENANCE_ARGUMENTS: Record<string, string> = {
  TYPE: 'managed',
  ACCOUNT_ID: RESELLER,
  START: '5559990100',
  QUANTITY: '2',
  NUMBER,
  'NUMBERS...': NUMBER,
  'ACCOUNT_IDS...': RESELLER,
  SOURCE: 'knm_local',
  TARGET: 'knm_local',
  FEATURE: 'prepend',
  DB_OR_NUMBER: '+1555',
  NUMBER_DB: 'numbers/+1555',
  ACCOUNT_DB: accountDbName(RESELLER),
};

/** Commands that are not maintenance functions: the arguments of a run that does real (small) work. */
function examples(csv: string): Record<string, string[] | { skip: string }> {
  const number = (operation: string): string[] => ['number', operation, '+15559990001', '--as', 'system', '--to', RESELLER];
  return {
    start: { skip: 'runs until a signal; its first stdout line is checked in test/store/start-command.test.ts' },
    bootstrap: ['bootstrap'],
    'refresh-numbers-dbs': ['refresh-numbers-dbs'],
    normalize: ['normalize', '4155550100'],
    classify: ['classify', '4155550100'],
    pretty: ['pretty', '4155550100'],
    reconcile: ['reconcile', '4155550100'],
    'number create': number('create'),
    'number get': number('get'),
    'number reserve': number('reserve'),
    'number move': number('move'),
    'number update': [...number('update'), '--public', '{"cnam":{"display_name":"knm"}}'],
    'number release': number('release'),
    'number delete': number('delete'),
    search: ['search', '415'],
    hunt: ['hunt', NUMBER],
    // at its own priority: this process runs the rest of the suite (knm import lowers the process it runs in)
    import: ['import', csv, '--action', 'find', '--nice', '0'],
    export: ['export'],
    status: ['status'],
    sup: ['sup', 'kazoo_numbers_maintenance', 'carrier_module_usage'],
  };
}

/**
 * Long work and the unit its progress counts, drawn by src/cli/progress.ts on stderr (a bar on a terminal, else
 * plain lines; the last one when the work is done). bootstrap and register-views draw one for the number databases,
 * then one for the account databases.
 */
const LONG_COMMANDS: Record<string, string> = {
  bootstrap: 'knm bootstrap (number databases)',
  'refresh-numbers-dbs': 'knm refresh-numbers-dbs (number databases)',
  'register-views': 'knm register-views (number databases)',
  import: 'knm import (find)',
  'generate-numbers': 'knm generate-numbers (numbers)',
  migrate: 'knm migrate (databases)',
  'migrate-unassigned-numbers': 'knm migrate-unassigned-numbers (databases)',
  'migrate-port-requests': 'knm migrate-port-requests (port requests)',
  'purge-discovery': 'knm purge-discovery (databases)',
  'purge-deleted': 'knm purge-deleted (databases)',
  'convert-carrier-module': 'knm convert-carrier-module (databases)',
  'copy-accounts-to-number-dbs': 'knm copy-accounts-to-number-dbs (databases)',
  'copy-number-dbs-to-accounts': 'knm copy-number-dbs-to-accounts (databases)',
  'copy-assigned-number-dbs-to-account': 'knm copy-assigned-number-dbs-to-account (databases)',
  'remove-wrong-assigned-from-accounts': 'knm remove-wrong-assigned-from-accounts (databases)',
  'destructively-remove-from-number-dbs-if-not-in-accountdb': 'knm destructively-remove-from-number-dbs-if-not-in-accountdb (databases)',
  'destructively-remove-from-account-db-if-not-in-numdb': 'knm destructively-remove-from-account-db-if-not-in-numdb (databases)',
  'fix-apps-for-account-dbs': 'knm fix-apps-for-account-dbs (databases)',
  'fix-apps-for-number-dbs': 'knm fix-apps-for-number-dbs (databases)',
  'fix-apps-in-number-dbs-for-accounts': 'knm fix-apps-in-number-dbs-for-accounts (databases)',
  'fix-account-db-numbers': 'knm fix-account-db-numbers (databases)',
};

/** The arguments of a run of `command`, or why it is not run here. */
function exampleOf(command: KnownCommand, table: ReturnType<typeof examples>): string[] | { skip: string } {
  const name = command.words.join(' ');
  const fn = MAINTENANCE_FUNCTIONS.find((candidate) => candidate.readable === name);
  if (fn === undefined) {
    const example = table[name];
    if (example === undefined) throw new Error(`no example run of "knm ${name}": add one to examples() in test/cli/contract.test.ts`);
    return example;
  }
  const args = fn.params.filter((param) => !param.endsWith('?')).map((param) => {
    const value = MAINTENANCE_ARGUMENTS[param];
    if (value === undefined) throw new Error(`no example value for ${param} (knm ${name}): add one to MAINTENANCE_ARGUMENTS`);
    return value;
  });
  return [...command.words, ...args];
}

/** A user's mistake: exactly the line naming it and the command's usage line on stderr, nothing on stdout, exit 2. */
function expectUsageError(run: { status: number | null; stdout: string; stderr: string }, named: RegExp, usage: string): void {
  expect(run.status, run.stderr).to.equal(2);
  expect(run.stdout).to.equal('');
  const lines = run.stderr.split('\n');
  expect(lines, run.stderr).to.have.length(3);
  expect(lines[0]).to.match(/^knm: /).and.match(named);
  expect(lines[1]).to.equal(`usage: ${usage}`);
  expect(lines[2]).to.equal('');
}

describe('cli: the contract of every command (--help, a bogus option, --json, exit codes)', function () {
  this.timeout(120000);
  const all = knownCommands();
  let fixture: FixtureStore;
  let dir: string;
  let csv: string;

  before(async () => {
    fixture = await startFixtureStore();
    for (const account of [MASTER, RESELLER]) {
      await fixture.store.createDb(accountDbName(account));
      await putAccountAppViews(fixture.store, accountDbName(account));
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-contract-'));
    csv = path.join(dir, 'numbers.csv');
    fs.writeFileSync(csv, `e164\n${NUMBER}\n`);
  });

  after(async () => {
    await fixture?.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds every command, the maintenance functions and the number operations included', () => {
    const names = all.map((command) => command.words.join(' '));
    expect(names).to.include.members(['start', 'bootstrap', 'number get', 'number update', 'import', 'export', 'sup', 'generate-numbers', 'purge-discovery']);
    expect(names.length).to.be.greaterThan(MAINTENANCE_FUNCTIONS.filter((fn) => fn.readable !== undefined).length + 15);
  });

  it('--help of every command: exit 0, its usage line first, on stdout', async () => {
    for (const command of all) {
      const run = await runKnmInProcess([...command.words, '--help']);
      expect(run.status, command.words.join(' ')).to.equal(0);
      expect(run.stdout.split('\n')[0], command.words.join(' ')).to.equal(`knm ${[...command.words.slice(0, -1), command.signature].join(' ')}`);
    }
  });

  it('a bogus option on every command: one line naming it, the usage line, nothing on stdout, exit 2', async () => {
    for (const command of all.filter((candidate) => !candidate.group)) {
      // the required positionals and options are given, so the bogus option is what is wrong
      const positionals = command.signature.split(' ').filter((word) => word.startsWith('<')).map(() => 'x');
      const options = command.requiredOptions.flatMap((name) => [`--${name}`, 'x']);
      const usage = `knm ${[...command.words.slice(0, -1), command.signature].join(' ')}`;
      expectUsageError(await runKnmInProcess([...command.words, ...positionals, ...options, '--bogus-option']), /unknown option --bogus-option$/, usage);
    }
  });

  it('--json on every command that runs to its end: stdout is exactly one JSON document, exit 0 or 1', async () => {
    const table = examples(csv);
    const broken: string[] = [];
    for (const command of all.filter((candidate) => !candidate.group)) {
      const example = exampleOf(command, table);
      if (!Array.isArray(example)) continue;
      const run = await runKnmInProcess([...example, '--json', '--couch', fixture.server.url]);
      let parsed = true;
      try {
        JSON.parse(run.stdout);
      } catch {
        parsed = false;
      }
      if (!parsed || (run.status !== 0 && run.status !== 1)) {
        broken.push(`knm ${example.join(' ')}: exit ${run.status}, stdout ${JSON.stringify(run.stdout.slice(0, 200))}, stderr ${run.stderr.trim()}`);
      }
      const progress = LONG_COMMANDS[command.words.join(' ')];
      // the last progress line says the work is done: N/N, or N done when the total is not known beforehand
      if (progress !== undefined && !new RegExp(`${escapeRegExp(progress)}: (\\[#+\\] )?(\\d+)(/\\2 100\\.0%| done)`).test(run.stderr)) {
        broken.push(`knm ${example.join(' ')}: no progress "${progress}: …" on stderr: ${run.stderr.trim()}`);
      }
    }
    expect(broken, broken.join('\n')).to.deep.equal([]);
  });

  const mistakes: [string, string[], RegExp, string][] = [
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/, 'knm <command>'],
    ['a misspelt command', ['statu'], /unknown command "statu" \(did you mean status\?\)/, 'knm <command>'],
    ['no command', [], /name a command/, 'knm <command>'],
    ['an extra argument', ['status', 'extra'], /unexpected argument "extra"/, 'knm status'],
    ['a missing positional', ['hunt'], /missing NUMBER$/, 'knm hunt <number>'],
    ['a missing required option', ['number', 'get', NUMBER], /missing --as$/, 'knm number get <numbers..>'],
    ['a non-number quantity', ['search', '415', '--quantity', 'abc'], /--quantity must be a positive integer, not "abc"/, 'knm search <prefix>'],
    ['a bad state name', ['export', '--state', 'sold'], /--state must be one of .*, not "sold"/, 'knm export'],
    ['a bad state choice', ['number', 'create', NUMBER, '--as', 'system', '--state', 'sold'], /--state must be one of .*in_service.*, not "sold"/, 'knm number create <numbers..>'],
    ['a malformed account id', ['export', '--account', 'acme'], /--account must be a 32-character account id, not "acme"/, 'knm export'],
    ['a number that is not a number', ['hunt', '+1555abc'], /not a dialled number: "\+1555abc"/, 'knm hunt <number>'],
    ['a niceness out of range', ['import', '/nonexistent/numbers.csv', '--nice', '20'], /--nice must be an integer from 0 to 19, not "20"/, 'knm import <file>'],
    ['a missing CSV file', ['import', '/nonexistent/numbers.csv', '--action', 'find'], /no such file: \/nonexistent\/numbers\.csv/, 'knm import <file>'],
    ['an unknown option that swallows the numbers', ['number', 'get', '--bogus', NUMBER, '--as', 'system'], /^knm: unknown option --bogus$/, 'knm number get <numbers..>'],
    ['an unknown option of a command group', ['number', '--bogus'], /^knm: unknown option --bogus$/, 'knm number'],
    ['a maintenance function short of arguments', ['generate-numbers', 'managed'], /generate_numbers needs TYPE ACCOUNT_ID START QUANTITY$/, 'knm generate-numbers TYPE ACCOUNT_ID START QUANTITY'],
    ['a malformed --couch URL', ['status', '--couch', 'ftp://x'], /--couch must be an http\(s\) URL/, 'knm status'],
  ];
  for (const [what, args, named, usage] of mistakes) {
    it(`${what}: one line naming it and the usage line, exit 2`, async () => {
      expectUsageError(await runKnmInProcess(args), named, usage);
    });
  }

  describe('the program itself (child processes)', () => {
    it('a bogus option: the one line and the usage, exit 2, no help and no stack trace', async () => {
      const run = await runKnm(['purge-discovery', '--bogus-option']);
      expectUsageError(run, /^knm: unknown option --bogus-option$/, 'knm purge-discovery [prefix]');
    });

    it('an unreachable COUCH_URL: one line naming the URL without its password, exit 3', async () => {
      // a port nobody listens on: an embedded store's, once closed
      const closed = await startEmbeddedServer({ inMemory: true, log: () => undefined });
      const url = closed.url;
      await closed.close();
      const run = await runKnm(['status', '--json'], { COUCH_URL: url.replace('//', '//admin:s3cret-pw@') });
      expect(run.status, run.stderr).to.equal(3);
      expect(run.stdout).to.equal('');
      const lines = run.stderr.trim().split('\n');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^knm: unavailable: /).and.contain(url).and.match(/COUCH_URL/);
      expect(run.stderr).to.not.contain('s3cret-pw');
    });

    it('bin/knm, the installed command, runs the command line of the build', function () {
      // npm test builds first; a run from the sources may have no build to run
      if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'))) this.skip();
      const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'knm'), 'normalize', '4155550100'], { encoding: 'utf8' });
      expect(run.status, run.stderr).to.equal(0);
      expect(run.stdout).to.equal('4155550100\t+14155550100\n');
    });

    it('--json: one JSON document on stdout and nothing else, from the real program', async () => {
      const run = await runKnm(['export', '--state', 'in_service', '--json'], { COUCH_URL: fixture.server.url });
      expect(run.status, run.stderr).to.equal(0);
      expect(JSON.parse(run.stdout)).to.be.an('array').that.is.not.empty;
      expect(run.stderr).to.match(/knm export: \d+ numbers/);
    });
  });
});
