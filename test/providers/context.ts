/** What the provider tests share: a ProviderContext that records the notices it is given, and a number saved and read back. */
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { compileNumberRules } from '../../src/numbers/rules';
import { settingsValues } from '../../src/carriers/settings';
import type { JsonObject } from '../../src/documents/json';
import { readNumberDocument } from '../../src/documents/read';
import type { NumberRecord } from '../../src/documents/types';
import { writeNumberDocument } from '../../src/documents/write';
import type { Notice, ProviderContext } from '../../src/providers/provider';
import { NOW } from '../carriers/harness';

export { numberRecord, NOW, ACCOUNT } from '../carriers/harness';

export interface ContextOptions {
  /** `system_config/number_manager.<key>` settings by key. */
  settings?: Record<string, JsonObject>;
  env?: Record<string, string | undefined>;
  dryRun?: boolean;
  authBy?: string;
  /** Account id → name. */
  accountNames?: Record<string, string>;
}

export interface RecordingContext {
  context: ProviderContext;
  notices: Notice[];
}

export function providerContext(options: ContextOptions = {}): RecordingContext {
  const notices: Notice[] = [];
  const config = defaultNumberManagerConfig();
  const { rules } = compileNumberRules(config);
  const context: ProviderContext = {
    config,
    settings: (key) => settingsValues({ default: options.settings?.[key] ?? {} }, key, options.env ?? {}),
    authBy: options.authBy,
    isAdmin: options.authBy === 'system',
    dryRun: options.dryRun ?? false,
    now: NOW,
    accountName: async (accountId) => options.accountNames?.[accountId],
    notify: async (notice) => {
      notices.push(notice);
    },
    env: options.env ?? {},
    prettyPrint: (number) => rules.prettyPrint(number),
  };
  return { context, notices };
}

/** The record as it reads back after being written (4.3 form), for "re-saving is not dirty" checks. */
export function savedAndRead(record: NumberRecord): NumberRecord {
  const doc = writeNumberDocument(record, { now: NOW });
  return readNumberDocument({ ...doc, _rev: '1-a' }, { now: NOW, normalize: (n) => n, availableModuleName: 'knm_local' }).record;
}

/** The context itself with its notices beside it, for tests that override any part of it (Kazoo's defaults otherwise). */
export function recordingContext(overrides: Partial<ProviderContext> & { settingsByKey?: Record<string, JsonObject> } = {}): ProviderContext & { readonly notices: Notice[] } {
  const { settingsByKey, ...rest } = overrides;
  const { context, notices } = providerContext({ settings: settingsByKey, authBy: 'system' });
  return { ...context, accountName: async () => 'Account', ...rest, notices };
}
