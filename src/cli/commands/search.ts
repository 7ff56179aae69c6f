/**
 * `knm search PREFIX [--quantity N] [--offset N] [--country CC] [--account ACCOUNT_ID] [--json]`: asks the
 * configured carriers (src/carriers/search.ts), prints the page of numbers found, and keeps the numbers found at
 * carriers as `discovery` documents, ready to be bought with `knm number move` or `reserve`. Carriers that gave
 * nothing are named on stderr with their reason. Exit 0 on an answer (even an empty one), 2 on bad arguments.
 */
import type { Argv } from 'yargs';
import { readNumberManagerConfig } from '../../config/number-manager';
import { describeProblem } from '../../config/problem';
import { searchNumbers } from '../../carriers/search';
import { isAccountId } from '../../lifecycle/accounts';
import { connectStore } from '../../store/client';
import { resolveStoreUrl } from '../../store/connection';
import { loadDesignDocs } from '../../store/design-docs';
import { systemClock } from '../../time';
import { integerOption } from '../arguments';
import { printResult, UsageError } from '../output';
import type { CommandRegistration } from './index';

interface SearchArgs {
  prefix: string;
  quantity: number;
  offset: number;
  country: string;
  account?: string;
  couch?: string;
  json?: boolean;
}

export const registerSearch: CommandRegistration = (parser: Argv) =>
  parser.command(
    'search <prefix>',
    'find numbers at the configured carriers and keep them as discovery numbers',
    (command) =>
      command
        .positional('prefix', { type: 'string', demandOption: true, describe: 'digits after the dial code (415), or a full prefix (+1415)' })
        .option('quantity', integerOption('quantity', 1, 1, 'numbers to show (at most maximum_search_quantity)'))
        .option('offset', integerOption('offset', 0, 0, 'numbers to skip'))
        .option('country', { type: 'string', default: 'US', describe: 'ISO country code giving the dial code' })
        .option('account', { type: 'string', describe: 'the searching account: adds its reserved numbers and its reseller\'s carriers' })
        .option('couch', { type: 'string', describe: 'CouchDB URL (default: COUCH_URL, else the embedded store)' }),
    async (argv) => {
      const args = argv as unknown as SearchArgs;
      const prefix = String(args.prefix);
      if (!/^\+?\d{1,15}$/.test(prefix.replace(/\s+/g, ''))) throw new UsageError(`PREFIX must be digits, optionally after a +, not ${JSON.stringify(prefix)}`);
      if (!/^[A-Za-z]{2}$/.test(args.country)) throw new UsageError(`--country must be a two-letter country code, not ${JSON.stringify(args.country)}`);
      if (args.account !== undefined && !isAccountId(args.account)) throw new UsageError(`--account must be a 32-character account id, not ${JSON.stringify(args.account)}`);

      const store = connectStore(resolveStoreUrl({ env: process.env, couchOption: args.couch }));
      const { config, problems } = readNumberManagerConfig((await store.getOrNull('system_config', 'number_manager')) ?? undefined);
      for (const problem of problems) process.stderr.write(`knm: system_config/number_manager: ${describeProblem(problem)}\n`);
      const answer = await searchNumbers(
        { prefix, quantity: args.quantity, offset: args.offset, country: args.country, accountId: args.account },
        { store, designDocs: await loadDesignDocs(), config, now: systemClock() },
      );

      for (const carrier of answer.carriers) {
        if (carrier.outcome === 'error' || carrier.outcome === 'timeout') process.stderr.write(`knm: ${carrier.module} gave no numbers: ${carrier.reason ?? carrier.outcome}\n`);
      }
      for (const failure of answer.discovery.failed) process.stderr.write(`knm: ${failure.number} not kept as discovery: ${failure.reason}\n`);
      printResult(
        args.json === true,
        { prefix: answer.prefix, data: answer.numbers, carriers: answer.carriers, discovery: answer.discovery },
        () => answer.numbers.map(({ number, state }) => `${number} ${state}`),
      );
    },
  );
