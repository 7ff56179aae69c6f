/**
 * `knm normalize|classify|pretty|reconcile NUMBER... [--config FILE] [--json]`: Kazoo's number rules
 * on the command line. Without --json each number gives one line `INPUT<TAB>ANSWER`; with --json one
 * array of objects. `--config` is a `system_config/number_manager` document (Kazoo's defaults
 * otherwise); what is wrong in it is reported on stderr, one line each, and the rest is used.
 * `reconcile` exits 1 when some number is not reconcilable.
 */
import fs from 'node:fs';
import type { Argv } from 'yargs';
import { readNumberManagerConfig } from '../../config/number-manager';
import { describeProblem } from '../../config/problem';
import { isJsonObject, JsonObject } from '../../documents/json';
import { compileNumberRules, NumberRules } from '../../numbers/rules';
import { printResult, UsageError } from '../output';
import type { CommandRegistration } from './index';

interface Answer {
  /** The element of the --json array. */
  json: JsonObject;
  /** What follows the input on its line. */
  text: string;
  /** False makes the command exit 1. */
  ok: boolean;
}

interface NumberCommand {
  name: string;
  describe: string;
  answer(rules: NumberRules, input: string): Answer;
}

const NUMBER_COMMANDS: NumberCommand[] = [
  {
    name: 'normalize',
    describe: 'E.164 form of each number by the e164_converters (INPUT<TAB>NORMALIZED)',
    answer: (rules, input) => {
      const normalized = rules.normalize(input);
      return { json: { input, normalized }, text: normalized, ok: true };
    },
  },
  {
    name: 'classify',
    describe: 'classifier of each number, "-" when none matches (INPUT<TAB>CLASSIFIER)',
    answer: (rules, input) => {
      const classifier = rules.classify(input);
      const friendlyName = classifier === undefined ? undefined : rules.availableClassifiers()[classifier]?.friendly_name;
      return {
        json: { input, normalized: rules.normalize(input), classifier: classifier ?? null, friendly_name: friendlyName ?? null },
        text: classifier ?? '-',
        ok: true,
      };
    },
  },
  {
    name: 'pretty',
    describe: "pretty-printed form by the classifier's pretty_print (INPUT<TAB>PRETTY)",
    answer: (rules, input) => {
      const pretty = rules.prettyPrint(input);
      return { json: { input, pretty }, text: pretty, ok: true };
    },
  },
  {
    name: 'reconcile',
    describe: 'whether each number is manageable by reconcile_regex (INPUT<TAB>true|false); exit 1 if any is not',
    answer: (rules, input) => {
      const reconcilable = rules.isReconcilable(input);
      return { json: { input, normalized: rules.normalize(input), reconcilable }, text: String(reconcilable), ok: reconcilable };
    },
  },
];

/** The `system_config/number_manager` document in FILE, or a one-line usage error. */
function readConfigFile(file: string): JsonObject {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`cannot read --config ${file}: ${reason}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config ${file} is not JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(doc)) throw new UsageError(`--config ${file} must hold a system_config/number_manager document (a JSON object)`);
  return doc;
}

/** Rules from the config file (or Kazoo's defaults); every config problem goes to stderr. */
function loadRules(configFile: string | undefined): NumberRules {
  const doc = configFile === undefined ? undefined : readConfigFile(configFile);
  const { config, problems: configProblems } = readNumberManagerConfig(doc);
  const { rules, problems } = compileNumberRules(config);
  for (const problem of [...configProblems, ...problems]) process.stderr.write(`knm: config: ${describeProblem(problem)}\n`);
  return rules;
}

function register(parser: Argv, command: NumberCommand): Argv {
  return parser.command(
    `${command.name} [numbers..]`,
    command.describe,
    (builder) =>
      builder
        .positional('numbers', { type: 'string', array: true, describe: 'numbers as dialled or stored' })
        .option('config', { type: 'string', describe: 'a system_config/number_manager document (JSON file)' }),
    (argv) => {
      const numbers = (argv.numbers ?? []).map(String);
      if (numbers.length === 0) throw new UsageError(`${command.name}: name at least one number`);
      const rules = loadRules(argv.config);
      const answers = numbers.map((input) => ({ input, ...command.answer(rules, input) }));
      printResult(
        argv.json === true,
        answers.map((answer) => answer.json),
        () => answers.map((answer) => `${answer.input}\t${answer.text}`),
      );
      if (answers.some((answer) => !answer.ok)) process.exitCode = 1;
    },
  );
}

export const registerNumberCommands: CommandRegistration = (parser: Argv) =>
  NUMBER_COMMANDS.reduce((registered, command) => register(registered, command), parser);
