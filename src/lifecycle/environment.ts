/**
 * Everything the number operations need, read from the store once: the effective
 * `system_config/number_manager`, the number rules compiled from it, the design documents that a
 * number database created on demand receives, and the feature providers' contexts (one notifier per process).
 */
import { describeProblem } from '../config/problem';
import { readNumberManagerConfig } from '../config/number-manager';
import { compileNumberRules } from '../numbers/rules';
import { providerContexts } from '../providers/context';
import type { Store } from '../store/client';
import { loadDesignDocs } from '../store/design-docs';
import type { Clock } from '../time';
import type { LifecycleEnvironment } from './service';

export interface LoadedEnvironment {
  environment: LifecycleEnvironment;
  /** Problems found in the configuration, one sentence each (the rest of it is in force). */
  problems: string[];
}

export async function loadLifecycleEnvironment(store: Store, clock: Clock): Promise<LoadedEnvironment> {
  const configDoc = await store.getOrNull('system_config', 'number_manager');
  const { config, problems: configProblems } = readNumberManagerConfig(configDoc ?? undefined);
  const { rules, problems: ruleProblems } = compileNumberRules(config);
  const designDocs = await loadDesignDocs();
  return {
    environment: { store, designDocs, rules, config, clock, providerContexts: providerContexts({ store, clock }) },
    problems: [...configProblems, ...ruleProblems].map(describeProblem),
  };
}
