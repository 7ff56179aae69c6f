/**
 * `knm number get|create|reserve|move|release|delete|update NUMBER... --as ACCOUNT_ID|system`: Kazoo's number
 * operations for one number or a batch. Output as Kazoo's API shows a batch (`success` by number with the public
 * JSON, `error` by number with Kazoo's error JSON). Exit 0 when every number succeeded, 1 when any failed (each
 * failure on its own line), 2 for bad arguments.
 */
import type { Argv } from 'yargs';
import { isJsonObject, JsonObject } from '../../documents/json';
import { isNumberState, NUMBER_STATES, NumberState } from '../../documents/types';
import { isAccountId, SYSTEM } from '../../lifecycle/accounts';
import { loadLifecycleEnvironment } from '../../lifecycle/environment';
import { NumberOutcome, NumberService, Requester } from '../../lifecycle/service';
import type { NumberUpdate } from '../../lifecycle/update';
import { connectStore } from '../../store/client';
import { resolveStoreUrl } from '../../store/connection';
import { systemClock } from '../../time';
import { printResult, UsageError } from '../output';
import type { CommandRegistration } from './index';

interface NumberArgs {
  numbers: string[];
  as: string;
  to?: string;
  state?: string;
  module?: string;
  'ported-in'?: boolean;
  'mdn-run'?: boolean;
  public?: string;
  replace?: boolean;
  'used-by'?: string;
  'allow-feature'?: string[];
  'deny-feature'?: string[];
  couch?: string;
  json?: boolean;
}

type Operation = (service: NumberService, numbers: string[], requester: Requester, args: NumberArgs) => Promise<NumberOutcome[]>;

const OPERATIONS: Record<string, { describe: string; run: Operation }> = {
  get: { describe: 'show numbers', run: (service, numbers, requester) => service.get(numbers, requester) },
  create: {
    describe: 'create numbers for --to in --state (default in_service)',
    run: (service, numbers, requester, args) =>
      service.create(numbers, requester, {
        assignTo: args.to,
        state: stateOption(args.state),
        portedIn: args['ported-in'],
        moduleName: args.module,
        publicFields: publicOption(args.public),
      }),
  },
  reserve: { describe: 'reserve numbers for --to', run: (service, numbers, requester, args) => service.reserve(numbers, requester, args.to) },
  move: {
    describe: 'put numbers in service for --to (buys discovery numbers through their carrier)',
    run: (service, numbers, requester, args) => service.move(numbers, requester, requiredTo(args), publicOption(args.public)),
  },
  release: { describe: 'release numbers (reserve history, released_state, aging, deletion)', run: (service, numbers, requester) => service.release(numbers, requester) },
  delete: { describe: 'delete numbers outright (super-duper admins and system only)', run: (service, numbers, requester) => service.delete(numbers, requester) },
  update: {
    describe: 'change public fields (--public JSON, merged or --replace), used_by, feature allow/deny lists',
    run: (service, numbers, requester, args) => service.update(numbers, requester, updateOptions(args)),
  },
};

export const registerNumber: CommandRegistration = (parser: Argv) =>
  parser.command('number', "Kazoo's number operations: get, create, reserve, move, release, delete, update", (group) => {
    for (const [name, { describe, run }] of Object.entries(OPERATIONS)) {
      group.command(
        `${name} <numbers..>`,
        describe,
        (command) =>
          command
            .positional('numbers', { type: 'string', array: true, demandOption: true, describe: 'numbers, in any form the converters understand' })
            .option('as', { type: 'string', demandOption: true, describe: 'the requesting account id, or "system"' })
            .option('to', { type: 'string', describe: 'the account the numbers go to' })
            .option('state', { type: 'string', choices: [...NUMBER_STATES], describe: 'create: the state to create in' })
            .option('module', { type: 'string', describe: 'create: the carrier module (default available_module_name)' })
            .option('ported-in', { type: 'boolean', describe: 'create: the numbers were ported in' })
            .option('mdn-run', { type: 'boolean', describe: 'the numbers are mobile (knm_mdn) numbers' })
            .option('public', { type: 'string', describe: 'public fields as a JSON object' })
            .option('replace', { type: 'boolean', describe: 'update: replace all public fields instead of merging' })
            .option('used-by', { type: 'string', describe: 'update: the application using the numbers ("" clears it)' })
            .option('allow-feature', { type: 'string', array: true, describe: 'update: add to the number\'s allowed features' })
            .option('deny-feature', { type: 'string', array: true, describe: 'update: add to the number\'s denied features' })
            .option('couch', { type: 'string', describe: 'CouchDB URL (default: COUCH_URL, else the embedded store)' }),
        async (argv) => {
          const args = argv as unknown as NumberArgs;
          const requester = requesterOf(args);
          const numbers = args.numbers.map(String);
          if (args.to !== undefined && !isAccountId(args.to)) throw new UsageError(`--to must be a 32-character account id, not ${JSON.stringify(args.to)}`);
          const store = connectStore(resolveStoreUrl({ env: process.env, couchOption: args.couch }));
          const { environment, problems } = await loadLifecycleEnvironment(store, systemClock);
          for (const problem of problems) process.stderr.write(`knm: system_config/number_manager: ${problem}\n`);
          const outcomes = await run(new NumberService(environment), numbers, requester, args);
          report(outcomes, args.json === true);
        },
      );
    }
    return group.demandCommand(1, 'name an operation: get, create, reserve, move, release, delete or update');
  });

function requesterOf(args: NumberArgs): Requester {
  if (args.as !== SYSTEM && !isAccountId(args.as)) throw new UsageError(`--as must be "system" or a 32-character account id, not ${JSON.stringify(args.as)}`);
  return { authBy: args.as, mdnRun: args['mdn-run'] };
}

function requiredTo(args: NumberArgs): string {
  if (args.to === undefined) throw new UsageError('move needs --to ACCOUNT_ID: the account the numbers go to');
  return args.to;
}

function stateOption(state: string | undefined): NumberState | undefined {
  if (state === undefined) return undefined;
  if (!isNumberState(state)) throw new UsageError(`--state must be one of ${NUMBER_STATES.join(', ')}, not ${JSON.stringify(state)}`);
  return state;
}

function publicOption(text: string | undefined): JsonObject | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--public is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isJsonObject(parsed)) throw new UsageError('--public must be a JSON object of public fields');
  return parsed;
}

function updateOptions(args: NumberArgs): NumberUpdate {
  const fields = publicOption(args.public);
  const usedBy = args['used-by'];
  return {
    ...(fields === undefined ? {} : args.replace === true ? { replacePublic: fields } : { mergePublic: fields }),
    ...(usedBy === undefined ? {} : { usedBy: usedBy === '' ? null : usedBy }),
    allowFeatures: args['allow-feature'],
    denyFeatures: args['deny-feature'],
  };
}

/** Kazoo's batch answer: `success` and `error` keyed by number. */
function report(outcomes: NumberOutcome[], json: boolean): void {
  const success: JsonObject = {};
  const error: JsonObject = {};
  for (const outcome of outcomes) {
    if (outcome.ok) success[outcome.number] = outcome.result;
    else error[outcome.number] = { ...outcome.error };
  }
  const failures = outcomes.filter((outcome) => !outcome.ok);
  printResult(json, { success, error }, () =>
    outcomes.filter((outcome) => outcome.ok).map((outcome) => `${outcome.number} ${JSON.stringify(outcome.ok ? outcome.result : {})}`),
  );
  if (!json) {
    for (const failure of failures) {
      if (failure.ok) continue;
      const cause = failure.error.cause === undefined ? '' : ` (${failure.error.cause})`;
      process.stderr.write(`${failure.number} failed: ${failure.error.error}: ${failure.error.message}${cause}\n`);
    }
  }
  if (failures.length > 0) process.exitCode = 1;
}
