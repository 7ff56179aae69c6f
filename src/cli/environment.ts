/** The store and the lifecycle environment a command works with, configuration problems reported on stderr. */
import { loadLifecycleEnvironment } from '../lifecycle/environment';
import type { LifecycleEnvironment } from '../lifecycle/service';
import { connectStore, type Store } from '../store/client';
import { resolveStoreUrl } from '../store/connection';
import { systemClock } from '../time';

export async function openEnvironment(couchOption: string | undefined, command: string): Promise<{ store: Store; environment: LifecycleEnvironment }> {
  const store = connectStore(resolveStoreUrl({ env: process.env, couchOption }));
  const { environment, problems } = await loadLifecycleEnvironment(store, systemClock);
  for (const problem of problems) process.stderr.write(`knm ${command}: system_config/number_manager: ${problem}\n`);
  return { store, environment };
}
