/**
 * `knm hunt NUMBER [--inbound]`: the number hunt (knm_numbers:lookup_account/1) against the store: the account a
 * call to NUMBER goes to and the props routing uses, or Kazoo's refusal (exit 1). `--inbound` says the call came
 * from a carrier (authenticated): a number still porting in is then put in service, as Kazoo does on the first call.
 */
import type { Argv } from 'yargs';
import { HuntIndex, storeHuntSource } from '../../hunt/index';
import type { HuntAnswer } from '../../hunt/lookup';
import { portInTransitionJson, transitionPortInOnFirstCall, type PortInTransition } from '../../hunt/port-in';
import { loadLifecycleEnvironment } from '../../lifecycle/environment';
import { NumberService } from '../../lifecycle/service';
import { connectStore } from '../../store/client';
import { resolveStoreUrl } from '../../store/connection';
import { systemClock } from '../../time';
import { huntInputError } from '../../hunt/lookup';
import { printResult, UsageError } from '../output';
import type { CommandRegistration } from './index';

export const registerHunt: CommandRegistration = (parser: Argv) =>
  parser.command(
    'hunt <number>',
    'which account a call to NUMBER goes to (Kazoo\'s number hunt), with the routing props',
    (command) =>
      command
        .positional('number', { type: 'string', demandOption: true, describe: 'the dialled number, in any form the converters understand' })
        .option('inbound', { type: 'boolean', default: false, describe: 'a carrier-authenticated inbound call: completes a pending port in' })
        .option('couch', { type: 'string', describe: 'CouchDB URL (default: COUCH_URL, else the embedded store)' }),
    async (argv) => {
      const problem = huntInputError(String(argv.number));
      if (problem !== undefined) throw new UsageError(`hunt: ${problem.message}`);
      const store = connectStore(resolveStoreUrl({ env: process.env, couchOption: argv.couch }));
      const { environment, problems } = await loadLifecycleEnvironment(store, systemClock);
      for (const problem of problems) process.stderr.write(`knm: system_config/number_manager: ${problem}\n`);
      const source = storeHuntSource(store);
      const index = new HuntIndex({ source, rules: environment.rules, config: environment.config, gregorianNow: systemClock });
      const answer = await index.lookup(String(argv.number));
      const transition = argv.inbound
        ? await transitionPortInOnFirstCall(new NumberService(environment), answer, async (number) => (await source.portRequestAccount(number)) !== undefined)
        : undefined;
      report(answer, transition, argv.json === true);
    },
  );

function report(answer: HuntAnswer, transition: PortInTransition | undefined, json: boolean): void {
  const body = answer.ok ? { ...answer.props } : { error: answer.error.toJSON() };
  const document = transition === undefined ? body : { ...body, port_in_transition: portInTransitionJson(transition) };
  printResult(json, document, () => {
    if (!answer.ok) return [];
    const { account_id: accountId, number, ...props } = answer.props;
    return [`${number} -> ${accountId} ${Object.entries(props).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' ')}`];
  });
  if (!answer.ok && !json) process.stderr.write(`knm: hunt: ${answer.error.toLine()}\n`);
  if (transition !== undefined && !json) process.stderr.write(`knm: hunt: ${transitionLine(transition)}\n`);
  const transitionFailed = transition?.kind === 'updated' && !transition.outcome.ok;
  if (!answer.ok || transitionFailed) process.exitCode = 1;
}

function transitionLine(transition: PortInTransition): string {
  switch (transition.kind) {
    case 'not_porting':
      return 'not porting in: nothing to transition';
    case 'port_request':
      return `an active port request (account ${transition.accountId}) holds the number: complete the port request to put it in service`;
    case 'updated':
      return transition.outcome.ok
        ? 'first inbound call: the number is now in_service, ported in'
        : `first inbound call: putting the number in service failed: ${transition.outcome.error.error}: ${transition.outcome.error.message}`;
  }
}
