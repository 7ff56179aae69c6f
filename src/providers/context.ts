/**
 * The one place a ProviderContext is built, for the number operations (NumberService) and the changes
 * pipeline alike: the number_manager values for the number's holder (its reseller's `configs_number_manager`
 * over system_config, kapps_account_config:get_from_reseller/3), the providers' own `number_manager.<key>`
 * settings under their `KNM_<KEY>_*` environment variables, account names, and the notifier.
 *
 * What it reads from the store is kept for `cacheMs` (default 5 s): a batch of saves reads each document once,
 * and an operator's edit applies within seconds without a restart.
 */
import os from 'node:os';
import { settingsValues, type Env } from '../carriers/settings';
import { withAccountOverrides } from '../config/account-overrides';
import type { NumberManagerConfig } from '../config/number-manager';
import { isJsonObject, type JsonObject } from '../documents/json';
import { ALL_CARRIER_MODULES, type NumberRecord } from '../documents/types';
import { readAccountDoc } from '../lifecycle/accounts';
import { accountDbName } from '../numbers/db-names';
import { compileNumberRules } from '../numbers/rules';
import { silentLogger, type Logger } from '../pipeline/log';
import type { Store } from '../store/client';
import { isStoreError } from '../store/errors';
import type { Clock } from '../time';
import { createNotifier, type Notifier } from './notifications';
import type { ProviderContext } from './provider';

const SYSTEM_CONFIG_DB = 'system_config';
const ACCOUNTS_DB = 'accounts';
const RESELLER_CONFIG_DOC = 'configs_number_manager';
/** The `number_manager.<key>` documents providers read: the external providers' and every carrier's (sms/mms). */
const SETTINGS_KEYS: readonly string[] = [
  'dash_e911',
  'telnyx_e911',
  'vitelity_e911',
  'telnyx_cnam',
  'vitelity_cnam',
  ...ALL_CARRIER_MODULES.map((module) => module.slice('knm_'.length)),
];
export const WEBHOOK_ENV = 'KNM_NOTIFICATIONS_WEBHOOK_URL';

export interface ProviderContextsOptions {
  readonly store: Store;
  readonly clock: Clock;
  /** Environment variables: settings overrides, the webhook (default process.env). */
  readonly env?: Env;
  readonly logger?: Logger;
  /** Delivery tuning (attempts, backoff, timeout) and the worker id on delivery claims. */
  readonly notifications?: { readonly attempts?: number; readonly retryBaseMs?: number; readonly timeoutMs?: number; readonly workerId?: string };
  readonly cacheMs?: number;
}

export interface ContextRequest {
  readonly authBy: string | undefined;
  readonly isAdmin: boolean;
  readonly dryRun?: boolean;
  /** system_config/number_manager as read. */
  readonly system: NumberManagerConfig;
  /** The values for the number's holder when the caller has them already; else they are read. */
  readonly config?: NumberManagerConfig;
}

export interface ProviderContexts {
  contextFor(record: NumberRecord, request: ContextRequest): Promise<ProviderContext>;
  readonly notifier: Notifier;
}

interface Cached<T> {
  readonly value: Promise<T>;
  readonly at: number;
}

export function providerContexts(options: ProviderContextsOptions): ProviderContexts {
  const { store } = options;
  const env = options.env ?? process.env;
  const logger = options.logger ?? silentLogger;
  const cacheMs = options.cacheMs ?? 5_000;
  const cache = new Map<string, Cached<unknown>>();
  const rulesOf = new WeakMap<NumberManagerConfig, (number: string) => string>();

  /** `read` at most once per `cacheMs` per key; a failed read is not kept. */
  function cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    const known = cache.get(key) as Cached<T> | undefined;
    if (known !== undefined && Date.now() - known.at < cacheMs) return known.value;
    const value = read();
    cache.set(key, { value, at: Date.now() });
    value.catch(() => cache.delete(key));
    return value;
  }

  const systemDocs = (): Promise<Map<string, JsonObject>> =>
    cached('system_config', async () => {
      const ids = ['number_manager', ...SETTINGS_KEYS.map((key) => `number_manager.${key}`)];
      const docs = new Map<string, JsonObject>();
      // A store nobody bootstrapped has no system_config: Kazoo's defaults then.
      const rows = await store.getMany(SYSTEM_CONFIG_DB, ids).catch((error: unknown) => {
        if (isStoreError(error) && error.status === 404) return [];
        throw error;
      });
      for (const row of rows) if (row.ok) docs.set(row.id, row.doc as JsonObject);
      return docs;
    });

  async function webhookUrl(): Promise<string | undefined> {
    const fromEnv = env[WEBHOOK_ENV]?.trim();
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const numberManager = (await systemDocs()).get('number_manager');
    const section = numberManager?.default;
    const notifications = isJsonObject(section) ? section.notifications : numberManager?.notifications;
    const url = isJsonObject(notifications) ? notifications.webhook_url : undefined;
    return typeof url === 'string' && url.trim() !== '' ? url.trim() : undefined;
  }

  const notifier = createNotifier({
    store,
    clock: options.clock,
    logger,
    webhookUrl,
    workerId: options.notifications?.workerId ?? `${os.hostname()}-${process.pid}`,
    attempts: options.notifications?.attempts,
    retryBaseMs: options.notifications?.retryBaseMs,
    timeoutMs: options.notifications?.timeoutMs,
  });

  function holderConfig(record: NumberRecord, system: NumberManagerConfig): Promise<NumberManagerConfig> {
    const holder = record.assignedTo;
    if (holder === undefined) return Promise.resolve(system);
    return cached(`reseller_config:${holder}`, async () => {
      const reseller = readAccountDoc(await store.getOrNull(ACCOUNTS_DB, holder))?.resellerId;
      // A holder that is its own reseller reads system_config only (kz_services_reseller, providers.md §3).
      if (reseller === undefined || reseller === holder) return undefined;
      return (await store.getOrNull(accountDbName(reseller), RESELLER_CONFIG_DOC).catch(() => null)) ?? undefined;
    }).then((overrides) => (overrides === undefined ? system : withAccountOverrides(system, overrides).config));
  }

  function accountName(accountId: string): Promise<string | undefined> {
    return cached(`account_name:${accountId}`, async () => {
      const name = (await store.getOrNull(ACCOUNTS_DB, accountId))?.name;
      return typeof name === 'string' && name !== '' ? name : undefined;
    });
  }

  function prettyPrinter(system: NumberManagerConfig): (number: string) => string {
    let print = rulesOf.get(system);
    if (print === undefined) {
      const { rules } = compileNumberRules(system);
      print = (number) => rules.prettyPrint(number);
      rulesOf.set(system, print);
    }
    return print;
  }

  return {
    notifier,
    async contextFor(record, request) {
      const [config, docs] = await Promise.all([request.config ?? holderConfig(record, request.system), systemDocs()]);
      return {
        config,
        settings: (key) => settingsValues(docs.get(`number_manager.${key}`), key, env),
        authBy: request.authBy,
        isAdmin: request.isAdmin,
        dryRun: request.dryRun ?? false,
        now: options.clock(),
        accountName,
        notify: (notice) => notifier.notify(notice),
        env,
        prettyPrint: prettyPrinter(request.system),
      };
    },
  };
}
