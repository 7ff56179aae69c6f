/** A ProviderContext for the provider tests: Kazoo's default config, no store, and the notices kept in a list. */
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import type { JsonObject } from '../../src/documents/json';
import type { Notice, ProviderContext } from '../../src/providers/provider';

export interface RecordingContext extends ProviderContext {
  readonly notices: Notice[];
}

export function recordingContext(overrides: Partial<ProviderContext> & { settingsByKey?: Record<string, JsonObject> } = {}): RecordingContext {
  const notices: Notice[] = [];
  const { settingsByKey = {}, ...rest } = overrides;
  return {
    config: defaultNumberManagerConfig(),
    settings: (key) => settingsByKey[key] ?? {},
    authBy: 'system',
    isAdmin: true,
    dryRun: false,
    now: 63_990_000_000,
    accountName: async () => 'Account',
    notify: async (notice) => {
      notices.push(notice);
    },
    env: {},
    ...rest,
    notices,
  };
}
