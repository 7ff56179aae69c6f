/**
 * The configuration the pipeline decides with, read from `system_config/number_manager` and
 * `system_config/tasks` and read again whenever `system_config` changes (the database follower wakes it
 * on every `_db_updates` event for `system_config`), so an operator's edit takes effect without a restart.
 */
import { describeProblem } from '../config/problem';
import { readNumberManagerConfig, type NumberManagerConfig } from '../config/number-manager';
import { readTasksConfig, type TasksConfig } from '../config/tasks';
import { isNumberState, type NumberState } from '../documents/types';
import type { ReleasePolicy } from '../lifecycle/release';
import { compileNumberRules, type NumberRules } from '../numbers/rules';
import type { Store } from '../store/client';

export const SYSTEM_CONFIG_DB = 'system_config';

export interface PipelineConfig {
  readonly numberManager: NumberManagerConfig;
  readonly tasks: TasksConfig;
  readonly rules: NumberRules;
  readonly release: ReleasePolicy;
}

export async function readPipelineConfig(store: Store, problem: (line: string) => void): Promise<PipelineConfig> {
  const [numberManagerDoc, tasksDoc] = await Promise.all([store.getOrNull(SYSTEM_CONFIG_DB, 'number_manager'), store.getOrNull(SYSTEM_CONFIG_DB, 'tasks')]);
  const numberManager = readNumberManagerConfig(numberManagerDoc ?? undefined);
  const tasks = readTasksConfig(tasksDoc ?? undefined, numberManagerDoc ?? undefined);
  const rules = compileNumberRules(numberManager.config);
  for (const found of [...numberManager.problems, ...tasks.problems, ...rules.problems]) problem(describeProblem(found));
  const config = numberManager.config;
  return {
    numberManager: config,
    tasks: tasks.config,
    rules: rules.rules,
    release: { releasedState: releasedState(config.released_state), shouldPermanentlyDelete: config.should_permanently_delete, shouldAge: config.should_age },
  };
}

/** `released_state` must be a state or Kazoo's set_state crashes; knm falls back to its default, as NumberService does. */
function releasedState(value: string): NumberState {
  return isNumberState(value) ? value : 'available';
}
