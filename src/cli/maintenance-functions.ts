/**
 * Kazoo's kazoo_numbers_maintenance functions (maintenance-and-tasks.md §1, FACTS §9.1), one entry each: the Kazoo
 * name and arguments, the readable knm subcommand, and what runs. `knm sup kazoo_number_manager_maintenance FN ARGS`
 * and `knm <readable name> ARGS` both come here, so the two can never disagree. `lines` is what Kazoo prints.
 */
import type { LifecycleEnvironment } from '../lifecycle/service';
import { carrierModuleUsage, conversionLines, convertCarrierModule, convertCarrierModuleNumber, moduleUsageLines } from '../maintenance/carrier-modules';
import {
  copyAccountsToNumberDbs,
  copyAssignedNumberDbsToAccount,
  copyContext,
  copyNumberDbsToAccounts,
  copyNumbersFromAccountDbToNumberDbs,
  copyNumbersFromDbsToAssignedAccounts,
  CopyReport,
  copySingleNumberToAccountDb,
  removeFromAccountDbIfNotInNumberDb,
  removeFromNumberDbsIfNotInAccountDb,
  removeWrongAssignedFromAccounts,
} from '../maintenance/copies';
import { initDbs, refreshNumbersDb, registerViews, updateNumberServicesView } from '../maintenance/databases';
import {
  editAllowedFeatureOnSystemConfig,
  editFeatureOnNumber,
  editFeatureOnResellerOf,
  Edit,
  ensureAdminOnlyFeaturesAreReachable,
  featurePermissionsOnNumber,
  featurePermissionsOnResellerOf,
  isKnownFeature,
  knownFeaturesLines,
  ListName,
  numberPermissionLines,
  resellerPermissionLines,
  resetAllowedFeaturesOnSystemConfig,
  systemAllowedFeatures,
  systemPermissionLines,
  unknownFeatureLines,
} from '../maintenance/feature-permissions';
import { migrate, migrateUnassignedNumbers } from '../maintenance/migration';
import { deleteNumber, generateNumbers, purgeState } from '../maintenance/numbers';
import { migratePortRequests, PORT_REQUEST_BATCH_PAUSE_MS } from '../maintenance/port-requests';
import { appUsing, fixAppsForAccountDbs, fixAppsForNumberDbs, fixAppsOfAccountNumbers, fixAppsOfNumbers, UsedByReport } from '../maintenance/used-by';
import { accountIdOf } from '../numbers/db-names';
import { refreshNumberDbs } from '../store/bootstrap';
import { UsageError } from './output';

export interface MaintenanceContext {
  /** Opened on first use: some functions print usage errors before touching the store. */
  environment(): Promise<LifecycleEnvironment>;
  /** Progress lines on stderr. */
  log(line: string): void;
  /** Progress of long work (`unit`: databases unless told): a bar on a terminal, plain lines otherwise. */
  step(done: number, total: number, unit?: string): void;
}

export interface MaintenanceResult {
  /** The result as one JSON value (--json). */
  readonly value: unknown;
  /** What Kazoo prints, for people. */
  readonly lines: string[];
  /** Items that failed: exit 1 when any. */
  readonly failed: number;
}

export interface MaintenanceFunction {
  /** Kazoo's function name. */
  readonly name: string;
  /** Argument names in order; `?` optional, `...` the rest (at least one unless also `?`). */
  readonly params: readonly string[];
  /** The knm subcommand; undefined when knm already has a command of its own for it. */
  readonly readable?: string;
  readonly describe: string;
  run(context: MaintenanceContext, args: readonly string[]): Promise<MaintenanceResult>;
}

const done = (value: unknown, lines: string[], failed = 0): MaintenanceResult => ({ value, lines, failed });

function copyResult(report: CopyReport): MaintenanceResult {
  const lines = [`saved ${report.saved}, removed ${report.removed}, failed ${report.failures.length}`];
  // Kazoo ends its copy loops with a JSON summary of the errors
  if (report.failures.length > 0) lines.push(JSON.stringify(report.failures));
  return done(report, lines, report.failures.length);
}

function usedByResult(report: UsedByReport): MaintenanceResult {
  const lines = [`fixed ${report.fixed}, unchanged ${report.unchanged}, failed ${report.failures.length}`];
  if (report.failures.length > 0) lines.push(JSON.stringify(report.failures));
  return done(report, lines, report.failures.length);
}

/** A deployment of design documents: one line per database that failed. */
function deploymentResult(report: { readonly failures: readonly { db: string; reason: string }[] }): MaintenanceResult {
  return done(report, report.failures.map(({ db, reason }) => `failed: ${db}: ${reason}`), report.failures.length);
}

function featureEdit(edit: Edit, list: ListName, on: 'number' | 'reseller'): MaintenanceFunction['run'] {
  return async (context, [feature, target]) => {
    if (!isKnownFeature(feature)) return done({ error: 'unknown_feature', feature }, unknownFeatureLines(feature), 1);
    const env = await context.environment();
    if (on === 'reseller') {
      const permissions = await editFeatureOnResellerOf(env.store, edit, list, feature, target);
      return done(permissions, resellerPermissionLines(permissions));
    }
    const answer = await editFeatureOnNumber(env, edit, list, feature, target);
    return 'ok' in answer && !answer.ok ? done(answer, [`ERROR: ${answer.error.message}`], 1) : done(answer, numberPermissionLines(answer as never));
  };
}

function positiveInteger(name: string, text: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`${name} must be a positive integer, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** An account id or account database name, else a usage error (Kazoo's functions match ?MATCH_ACCOUNT_RAW). */
function accountArgument(text: string): string {
  try {
    return accountIdOf(text);
  } catch {
    throw new UsageError(`ACCOUNT_ID must be a 32-character account id or its database name, not ${JSON.stringify(text)}`);
  }
}

const FEATURE_EDITS: MaintenanceFunction[] = (['add', 'remove'] as const).flatMap((edit) =>
  (['allow', 'deny'] as const).flatMap((list) => {
    const kind = list === 'allow' ? 'allowed' : 'denied';
    const onNumber: MaintenanceFunction = {
      name: `${edit}_${kind}_feature_on_number`,
      params: ['FEATURE', 'NUMBER'],
      readable: `${edit}-${kind}-feature-on-number`,
      describe: `${edit} FEATURE ${edit === 'add' ? 'to' : 'from'} the number's pvt_features_${kind}`,
      run: featureEdit(edit, list, 'number'),
    };
    const onReseller: MaintenanceFunction = {
      name: `${edit}_${kind}_feature_on_reseller_of`,
      params: ['FEATURE', 'ACCOUNT_ID'],
      readable: `${edit}-${kind}-feature-on-reseller-of`,
      describe: `${edit} FEATURE ${edit === 'add' ? 'to' : 'from'} features.${list} of the account's reseller`,
      run: featureEdit(edit, list, 'reseller'),
    };
    return [onNumber, onReseller];
  }),
);

export const MAINTENANCE_FUNCTIONS: readonly MaintenanceFunction[] = [
  {
    name: 'carrier_module_usage',
    params: ['PREFIX?'],
    readable: 'carrier-module-usage',
    describe: 'numbers per carrier module, per number database and in total',
    run: async (context, [prefix]) => {
      const usage = await carrierModuleUsage((await context.environment()).store, prefix);
      return done(usage, moduleUsageLines(usage));
    },
  },
  {
    name: 'convert_carrier_module',
    params: ['SOURCE', 'TARGET', 'PREFIX?'],
    readable: 'convert-carrier-module',
    describe: 'move every number of carrier module SOURCE to TARGET (normal update as system)',
    run: async (context, [source, target, prefix]) => {
      const lines: string[] = [];
      const report = await convertCarrierModule(await context.environment(), source, target, prefix, (line) => lines.push(line), context.step);
      const failed = report.databases.reduce((sum, db) => sum + db.failed.length, 0);
      return done(report, [...lines, ...conversionLines(report)], report.badTarget ? 1 : failed);
    },
  },
  {
    name: 'convert_carrier_module_number',
    params: ['NUMBER', 'TARGET'],
    readable: 'convert-carrier-module-number',
    describe: 'move one number to carrier module TARGET',
    run: async (context, [number, target]) => {
      const report = await convertCarrierModuleNumber(await context.environment(), number, target);
      return done(report, conversionLines(report), report.badTarget ? 1 : report.databases.reduce((sum, db) => sum + db.failed.length, 0));
    },
  },
  {
    name: 'init_dbs',
    params: [],
    readable: 'init-dbs',
    describe: 'create numbers/managed, numbers/inum and port_requests if missing and refresh their views',
    run: async (context) => {
      const env = await context.environment();
      const report = await initDbs(env.store, env.designDocs);
      return done(report, report.created.map((db) => `created ${db}`));
    },
  },
  {
    name: 'refresh_numbers_dbs',
    params: [],
    describe: 'install or update the design documents of every number database (knm refresh-numbers-dbs)',
    run: async (context) => {
      const env = await context.environment();
      const report = await refreshNumberDbs({ store: env.store, library: env.designDocs, log: (line) => context.log(line), step: context.step });
      return deploymentResult(report);
    },
  },
  {
    name: 'refresh_numbers_db',
    params: ['DB_OR_NUMBER'],
    readable: 'refresh-numbers-db',
    describe: 'refresh one number database: numbers%2F…, numbers/… or a +number',
    run: async (context, [argument]) => {
      const env = await context.environment();
      const report = await refreshNumbersDb(env.store, env.designDocs, argument);
      return done(report, 'skipped' in report ? [`skipping ${argument}: ${report.reason}`] : []);
    },
  },
  {
    name: 'register_views',
    params: [],
    readable: 'register-views',
    describe: "install Kazoo's and knm's design documents everywhere they belong: fixed, number and account databases",
    run: async (context) => {
      const env = await context.environment();
      const report = await registerViews(env.store, env.designDocs, env.config.classifiers, { log: (line) => context.log(line), step: context.step });
      return deploymentResult(report);
    },
  },
  {
    name: 'update_number_services_view',
    params: ['ACCOUNT_ID'],
    readable: 'update-number-services-view',
    describe: "write reconcile_services, generated from the current classifiers, into the account's _design/numbers",
    run: async (context, [account]) => {
      const env = await context.environment();
      const report = await updateNumberServicesView(env.store, env.designDocs, env.config.classifiers, accountArgument(account));
      if ('missing' in report) return done(report, [`no account database ${report.db}`], 1);
      return done(report, [report.written ? `view updated for '${report.db}'` : `view already current for '${report.db}'`]);
    },
  },
  {
    name: 'migrate',
    params: [],
    readable: 'migrate',
    describe: "Kazoo 4.0's number migration: admin-only features reachable, views refreshed, unassigned numbers re-saved",
    run: async (context) => {
      const lines: string[] = [];
      const report = await migrate(await context.environment(), (line) => (line.startsWith('Adding') ? lines.push(line) : context.log(line)), context.step);
      const failed = report.refreshFailures.length + report.unassigned.databases.reduce((sum, db) => sum + db.failed.length, 0);
      return done(report, [...lines, `${failed} failed`], failed);
    },
  },
  {
    name: 'migrate_unassigned_numbers',
    params: ['DB_OR_NUMBER?'],
    readable: 'migrate-unassigned-numbers',
    describe: 'clear pvt_used_by of unassigned numbers, drop the features they may not have, re-save them in the current format',
    run: async (context, [argument]) => {
      const env = await context.environment();
      const report = await migrateUnassignedNumbers(env, argument, env.config.time_between_accounts_ms, (line) => context.log(line), context.step);
      const failed = report.databases.reduce((sum, db) => sum + db.failed.length, 0);
      return done(report, [`${failed} failed`], failed);
    },
  },
  {
    name: 'migrate_port_requests',
    params: [],
    readable: 'migrate-port-requests',
    describe: 'complete port requests: pvt_tree, port authority and its name, account name; superduper_comment → is_private',
    run: async (context) => {
      const report = await migratePortRequests((await context.environment()).store, PORT_REQUEST_BATCH_PAUSE_MS, (line) => context.log(line), (done) =>
        // the number of port requests is not known beforehand: the line counts those done
        context.step(done, 0, 'port requests'),
      );
      const lines = [`migrated ${report.migrated.length} port requests, ${report.unchanged} unchanged, ${report.failures.length} failed`];
      for (const { id, reason } of report.failures) lines.push(`\t${id}: ${reason}`);
      return done(report, lines, report.failures.length);
    },
  },
  {
    name: 'ensure_adminonly_features_are_reachable',
    params: [],
    readable: 'ensure-adminonly-features-are-reachable',
    describe: 'add carrier_name to system_config number_manager features.allow when it is missing',
    run: async (context) => {
      const added = await ensureAdminOnlyFeaturesAreReachable((await context.environment()).store);
      return done({ added }, added.length > 0 ? [`Adding the following admin-only number features to system_config: ${added.join(', ')}`] : []);
    },
  },
  {
    name: 'generate_numbers',
    params: ['TYPE', 'ACCOUNT_ID', 'START', 'QUANTITY'],
    readable: 'generate-numbers',
    describe: 'write QUANTITY pool numbers +START… for ACCOUNT_ID into numbers/managed or numbers/inum (TYPE managed|inum)',
    run: async (context, [type, accountId, start, quantity]) => {
      if (type !== 'managed' && type !== 'inum') throw new UsageError(`TYPE must be managed or inum, not ${JSON.stringify(type)}`);
      const count = positiveInteger('QUANTITY', quantity);
      const report = await generateNumbers(await context.environment(), type, accountId, start, count, (written, total) => context.step(written, total, 'numbers'));
      context.log(`${report.created.length} numbers written to numbers/${type}, ${report.errors.length} failed`);
      return done(report, report.errors.map(({ number, reason }) => `${number}: ${reason}`), report.errors.length);
    },
  },
  {
    name: 'delete',
    params: ['NUMBER'],
    readable: 'delete-number',
    describe: 'hard-delete a number as system (number database and account copies)',
    run: async (context, [number]) => {
      const outcome = await deleteNumber(await context.environment(), number);
      return outcome.ok ? done(outcome, [`Removed ${outcome.number}`]) : done(outcome, [`ERROR: ${outcome.error.message}`], 1);
    },
  },
  ...(['discovery', 'deleted'] as const).map(
    (state): MaintenanceFunction => ({
      name: `purge_${state}`,
      params: ['PREFIX?'],
      readable: `purge-${state}`,
      describe: `delete every number in state ${state} now (no age check; PREFIX as numbers%2F<PREFIX>, e.g. %2B1415)`,
      run: async (context, [prefix]) => {
        const lines: string[] = [];
        const report = await purgeState((await context.environment()).store, state, prefix, (line) => lines.push(line), context.step);
        return done(report, lines, report.databases.reduce((sum, db) => sum + db.failed, 0));
      },
    }),
  ),
  {
    name: 'copy_accounts_to_number_dbs',
    params: ['ACCOUNT_IDS...?'],
    readable: 'copy-accounts-to-number-dbs',
    describe: "copy account databases' numbers into the number databases (missing master documents only)",
    run: async (context, accounts) => copyResult(await copyAccountsToNumberDbs(copyContext(await context.environment(), context.log, context.step), accounts)),
  },
  {
    name: 'copy_single_account_to_number_dbs',
    params: ['ACCOUNT_ID'],
    readable: 'copy-single-account-to-number-dbs',
    describe: "copy one account database's numbers into the number databases",
    run: async (context, [account]) => copyResult(await copyAccountsToNumberDbs(copyContext(await context.environment(), context.log, context.step), [account])),
  },
  {
    name: 'copy_number_dbs_to_accounts',
    params: ['NUMBER_DBS...?'],
    readable: 'copy-number-dbs-to-accounts',
    describe: "copy number databases' assigned numbers over their holders' copies",
    run: async (context, dbs) => copyResult(await copyNumberDbsToAccounts(copyContext(await context.environment(), context.log, context.step), dbs)),
  },
  {
    name: 'copy_single_number_db_to_accounts',
    params: ['NUMBER_DB'],
    readable: 'copy-single-number-db-to-accounts',
    describe: "copy one number database's assigned numbers over their holders' copies",
    run: async (context, [db]) => copyResult(await copyNumberDbsToAccounts(copyContext(await context.environment(), context.log, context.step), [db])),
  },
  {
    name: 'copy_assigned_number_dbs_to_account',
    params: ['ACCOUNT_ID'],
    readable: 'copy-assigned-number-dbs-to-account',
    describe: "copy an account's numbers from every number database over its copies",
    run: async (context, [account]) => copyResult(await copyAssignedNumberDbsToAccount(copyContext(await context.environment(), context.log, context.step), account)),
  },
  {
    name: 'copy_single_assigned_number_db_to_account',
    params: ['ACCOUNT_ID', 'NUMBER_DB'],
    readable: 'copy-single-assigned-number-db-to-account',
    describe: "copy an account's numbers from one number database over its copies",
    run: async (context, [account, db]) => copyResult(await copyAssignedNumberDbsToAccount(copyContext(await context.environment(), context.log, context.step), account, db)),
  },
  {
    name: 'copy_single_number_to_account_db',
    params: ['NUMBER', 'ACCOUNT_ID'],
    readable: 'copy-single-number-to-account-db',
    describe: "copy one number's master document into an account database (no ownership check)",
    run: async (context, [number, account]) => {
      const answer = await copySingleNumberToAccountDb(copyContext(await context.environment(), context.log, context.step), number, account);
      return answer.ok ? done(answer, [`{ok, ${answer.id}}`]) : done(answer, [`{error, ${answer.reason}}`], 1);
    },
  },
  {
    name: 'copy_numbers_from_dbs_to_assigned_accounts',
    params: ['NUMBERS...'],
    readable: 'copy-numbers-from-dbs-to-assigned-accounts',
    describe: "copy the given numbers over their holders' copies",
    run: async (context, numbers) => copyResult(await copyNumbersFromDbsToAssignedAccounts(copyContext(await context.environment(), context.log, context.step), numbers)),
  },
  {
    name: 'copy_number_from_db_to_assigned_account',
    params: ['NUMBER'],
    readable: 'copy-number-from-db-to-assigned-account',
    describe: "copy one number over its holder's copy",
    run: async (context, numbers) => copyResult(await copyNumbersFromDbsToAssignedAccounts(copyContext(await context.environment(), context.log, context.step), numbers)),
  },
  {
    name: 'copy_numbers_from_accountdb_to_numbdbs',
    params: ['ACCOUNT_ID', 'NUMBERS...'],
    readable: 'copy-numbers-from-accountdb-to-numbdbs',
    describe: "copy the given numbers from an account database into the number databases (missing master documents only)",
    run: async (context, [account, ...numbers]) => copyResult(await copyNumbersFromAccountDbToNumberDbs(copyContext(await context.environment(), context.log, context.step), account, numbers)),
  },
  {
    name: 'copy_number_from_accountdb_to_numbdb',
    params: ['ACCOUNT_ID', 'NUMBER'],
    readable: 'copy-number-from-accountdb-to-numbdb',
    describe: 'copy one number from an account database into its number database',
    run: async (context, [account, number]) => copyResult(await copyNumbersFromAccountDbToNumberDbs(copyContext(await context.environment(), context.log, context.step), account, [number])),
  },
  {
    name: 'remove_wrong_assigned_from_accounts',
    params: [],
    readable: 'remove-wrong-assigned-from-accounts',
    describe: 'delete account copies held by another account, in every account database',
    run: async (context) => copyResult(await removeWrongAssignedFromAccounts(copyContext(await context.environment(), context.log, context.step))),
  },
  {
    name: 'remove_wrong_assigned_from_single_accountdb',
    params: ['ACCOUNT_ID'],
    readable: 'remove-wrong-assigned-from-single-accountdb',
    describe: 'delete account copies held by another account, in one account database',
    run: async (context, [account]) => copyResult(await removeWrongAssignedFromAccounts(copyContext(await context.environment(), context.log, context.step), account)),
  },
  {
    name: 'destructively_remove_from_number_dbs_if_not_in_accountdb',
    params: [],
    readable: 'destructively-remove-from-number-dbs-if-not-in-accountdb',
    describe: "DELETE master documents whose holder's account database has no copy",
    run: async (context) => copyResult(await removeFromNumberDbsIfNotInAccountDb(copyContext(await context.environment(), context.log, context.step))),
  },
  {
    name: 'destructively_remove_from_single_numdb_if_not_in_accountdb',
    params: ['NUMBER_DB'],
    readable: 'destructively-remove-from-single-numdb-if-not-in-accountdb',
    describe: "DELETE master documents of one number database whose holder has no copy",
    run: async (context, [db]) => copyResult(await removeFromNumberDbsIfNotInAccountDb(copyContext(await context.environment(), context.log, context.step), db)),
  },
  {
    name: 'destructively_remove_from_account_db_if_not_in_numdb',
    params: [],
    readable: 'destructively-remove-from-account-db-if-not-in-numdb',
    describe: 'DELETE account copies whose master document is missing or deleted',
    run: async (context) => copyResult(await removeFromAccountDbIfNotInNumberDb(copyContext(await context.environment(), context.log, context.step))),
  },
  {
    name: 'destructively_remove_from_single_account_db_if_not_in_numdb',
    params: ['ACCOUNT_DB'],
    readable: 'destructively-remove-from-single-account-db-if-not-in-numdb',
    describe: 'DELETE the copies of one account database whose master document is missing or deleted',
    run: async (context, [account]) => copyResult(await removeFromAccountDbIfNotInNumberDb(copyContext(await context.environment(), context.log, context.step), account)),
  },
  {
    name: 'fix_apps_for_account_dbs',
    params: ['ACCOUNT_IDS...?'],
    readable: 'fix-apps-for-account-dbs',
    describe: "set pvt_used_by of account copies from the account's callflows and trunkstore",
    run: async (context, accounts) => usedByResult(await fixAppsForAccountDbs((await context.environment()).store, accounts, context.step)),
  },
  {
    name: 'fix_apps_for_single_account_db',
    params: ['ACCOUNT_ID'],
    readable: 'fix-apps-for-single-account-db',
    describe: "set pvt_used_by of one account's copies",
    run: async (context, accounts) => usedByResult(await fixAppsForAccountDbs((await context.environment()).store, accounts, context.step)),
  },
  {
    name: 'fix_apps_for_number_dbs',
    params: ['NUMBER_DBS...?'],
    readable: 'fix-apps-for-number-dbs',
    describe: "set pvt_used_by of master documents from their holders' callflows and trunkstore",
    run: async (context, dbs) => usedByResult(await fixAppsForNumberDbs((await context.environment()).store, { numberDbs: dbs }, context.step)),
  },
  {
    name: 'fix_apps_for_single_number_db',
    params: ['NUMBER_DB'],
    readable: 'fix-apps-for-single-number-db',
    describe: 'set pvt_used_by of the master documents of one number database',
    run: async (context, dbs) => usedByResult(await fixAppsForNumberDbs((await context.environment()).store, { numberDbs: dbs }, context.step)),
  },
  {
    name: 'fix_apps_in_number_dbs_for_accounts',
    params: ['ACCOUNT_IDS...'],
    readable: 'fix-apps-in-number-dbs-for-accounts',
    describe: "set pvt_used_by of the given accounts' master documents",
    run: async (context, accounts) => usedByResult(await fixAppsForNumberDbs((await context.environment()).store, { accounts }, context.step)),
  },
  {
    name: 'fix_apps_in_number_dbs_for_single_account',
    params: ['ACCOUNT_ID'],
    readable: 'fix-apps-in-number-dbs-for-single-account',
    describe: "set pvt_used_by of one account's master documents",
    run: async (context, accounts) => usedByResult(await fixAppsForNumberDbs((await context.environment()).store, { accounts }, context.step)),
  },
  {
    name: 'fix_numbers_apps_in_numbdb',
    params: ['NUMBERS...'],
    readable: 'fix-numbers-apps-in-numbdb',
    describe: 'set pvt_used_by of the given numbers\' master documents',
    run: async (context, numbers) => {
      const env = await context.environment();
      return usedByResult(await fixAppsOfNumbers(env.store, (number) => env.rules.normalize(number), numbers));
    },
  },
  {
    name: 'fix_numbers_apps_in_accountdb',
    params: ['ACCOUNT_ID', 'NUMBERS...'],
    readable: 'fix-numbers-apps-in-accountdb',
    describe: "set pvt_used_by of the given numbers' copies in the account database from its callflows and trunkstore",
    run: async (context, [account, ...numbers]) => {
      const env = await context.environment();
      return usedByResult(await fixAppsOfAccountNumbers(env.store, (number) => env.rules.normalize(number), accountArgument(account), numbers));
    },
  },
  {
    name: 'fix_account_db_numbers',
    params: ['ACCOUNT_ID'],
    readable: 'fix-account-db-numbers',
    describe: "fix an account's numbers: used_by in the number databases, its copies, copies held by others",
    run: async (context, [account]) => {
      const env = await context.environment();
      const apps = await fixAppsForNumberDbs(env.store, { accounts: [account] }, context.step);
      const copies = await copyAssignedNumberDbsToAccount(copyContext(env, context.log, context.step), account);
      const wrong = await removeWrongAssignedFromAccounts(copyContext(env, context.log, context.step), account);
      const failed = apps.failures.length + copies.failures.length + wrong.failures.length;
      return done({ apps, copies, wrong }, [`used_by fixed ${apps.fixed}, copies saved ${copies.saved}, wrong copies removed ${wrong.removed}, failed ${failed}`], failed);
    },
  },
  ...(['fix_numbers', 'fix_number'] as const).map(
    (name): MaintenanceFunction => ({
      name,
      params: name === 'fix_numbers' ? ['ACCOUNT_ID', 'NUMBERS...'] : ['ACCOUNT_ID', 'NUMBER'],
      readable: name.replace(/_/g, '-'),
      describe: "fix the given numbers: used_by, their holders' copies, copies of the account held by others",
      run: async (context, [account, ...numbers]) => {
        const env = await context.environment();
        const apps = await fixAppsOfNumbers(env.store, (number) => env.rules.normalize(number), numbers);
        const copies = await copyNumbersFromDbsToAssignedAccounts(copyContext(env, context.log, context.step), numbers);
        const wrong = await removeWrongAssignedFromAccounts(copyContext(env, context.log, context.step), account);
        const failed = apps.failures.length + copies.failures.length + wrong.failures.length;
        return done({ apps, copies, wrong }, [`used_by fixed ${apps.fixed}, copies saved ${copies.saved}, wrong copies removed ${wrong.removed}, failed ${failed}`], failed);
      },
    }),
  ),
  {
    name: 'app_using',
    params: ['NUMBER', 'ACCOUNT_DB'],
    readable: 'app-using',
    describe: 'which application of the account uses the number: callflow, trunkstore or undefined',
    run: async (context, [number, account]) => {
      const app = await appUsing((await context.environment()).store, number, account);
      return done({ app: app ?? null }, [app ?? 'undefined']);
    },
  },
  {
    name: 'all_features',
    params: [],
    readable: 'all-features',
    describe: 'the number features knm knows',
    run: async () => done({ features: knownFeaturesLines()[1].trim().split(', ') }, knownFeaturesLines()),
  },
  {
    name: 'feature_permissions_on_number',
    params: ['NUMBER'],
    readable: 'feature-permissions-on-number',
    describe: "the number's pvt_features_allowed and pvt_features_denied",
    run: async (context, [number]) => {
      const answer = await featurePermissionsOnNumber(await context.environment(), number);
      return 'ok' in answer && !answer.ok ? done(answer, [`ERROR: ${answer.error.message}`], 1) : done(answer, numberPermissionLines(answer as never));
    },
  },
  ...FEATURE_EDITS,
  {
    name: 'feature_permissions_on_reseller_of',
    params: ['ACCOUNT_ID'],
    readable: 'feature-permissions-on-reseller-of',
    describe: "features.allow and features.deny of the account's reseller",
    run: async (context, [account]) => {
      const permissions = await featurePermissionsOnResellerOf((await context.environment()).store, account);
      return done(permissions, resellerPermissionLines(permissions));
    },
  },
  {
    name: 'feature_permissions_on_system_config',
    params: [],
    readable: 'feature-permissions-on-system-config',
    describe: 'the features system_config number_manager allows',
    run: async (context) => {
      const allowed = await systemAllowedFeatures((await context.environment()).store);
      return done({ allowed }, systemPermissionLines(allowed));
    },
  },
  ...(['add', 'remove'] as const).map(
    (edit): MaintenanceFunction => ({
      name: `${edit}_allowed_feature_on_system_config`,
      params: ['FEATURE'],
      readable: `${edit}-allowed-feature-on-system-config`,
      describe: `${edit} FEATURE ${edit === 'add' ? 'to' : 'from'} system_config number_manager features.allow`,
      run: async (context, [feature]) => {
        if (!isKnownFeature(feature)) return done({ error: 'unknown_feature', feature }, unknownFeatureLines(feature), 1);
        const allowed = await editAllowedFeatureOnSystemConfig((await context.environment()).store, edit, feature);
        return done({ allowed }, systemPermissionLines(allowed));
      },
    }),
  ),
  {
    name: 'reset_allowed_features_to_defaults_on_system_config',
    params: [],
    readable: 'reset-allowed-features-to-defaults-on-system-config',
    describe: 'features.allow := every known feature',
    run: async (context) => {
      const allowed = await resetAllowedFeaturesOnSystemConfig((await context.environment()).store);
      return done({ allowed }, systemPermissionLines(allowed));
    },
  },
];

/** Whether `args` fit `params`; the message names what is wrong. */
export function checkArity(fn: MaintenanceFunction, args: readonly string[]): string | undefined {
  const required = fn.params.filter((param) => !param.endsWith('?')).length;
  const variadic = fn.params.some((param) => param.includes('...'));
  if (args.length < required) return `${fn.name} needs ${fn.params.filter((param) => !param.endsWith('?')).join(' ')}`;
  if (!variadic && args.length > fn.params.length) return `${fn.name} takes at most ${fn.params.length} argument${fn.params.length === 1 ? '' : 's'}, got ${args.length}`;
  return undefined;
}

export function usageOf(fn: MaintenanceFunction, command: string): string {
  return [command, ...fn.params.map((param) => (param.endsWith('?') ? `[${param.slice(0, -1)}]` : param))].join(' ');
}
