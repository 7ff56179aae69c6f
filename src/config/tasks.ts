/**
 * `system_config/tasks` keys the number crawler reads (config.md §2, FACTS §7.3). 3.x kept them in
 * `number_manager`; like kapps_config:migrate/0, the legacy key is read only when `tasks` lacks the
 * key in every section (FACTS §11 row 11).
 */
import { JsonObject } from '../documents/json';
import { asConfigDocument, ConfigLocation, lookupConfigValue } from './lookup';
import { configDocument, ConfigDocumentOptions } from './number-manager';
import { ConfigProblem } from './problem';
import { readInteger } from './values';

export interface TasksConfig {
  /** Days after `pvt_modified` before a `discovery` number is deleted. */
  discovery_expiry_d: number;
  /** Days after `pvt_modified` before an `aging` number becomes `available`. */
  aging_expiry_d: number;
  /** Crawl period. */
  crawler_timer_ms: number;
}

export function defaultTasksConfig(): TasksConfig {
  return { discovery_expiry_d: 1, aging_expiry_d: 90, crawler_timer_ms: 86400000 };
}

export interface TasksConfigResult {
  config: TasksConfig;
  problems: ConfigProblem[];
}

export function readTasksConfig(tasksDoc: unknown, numberManagerDoc?: unknown, where: ConfigLocation = {}): TasksConfigResult {
  const problems: ConfigProblem[] = [];
  const tasks = asConfigDocument(tasksDoc, 'tasks', problems);
  const numberManager = asConfigDocument(numberManagerDoc, 'number_manager', problems);
  const config = defaultTasksConfig();
  for (const key of Object.keys(config) as (keyof TasksConfig)[]) {
    const current = lookupConfigValue(tasks, [key], where);
    const found = current ?? lookupConfigValue(numberManager, [key], where);
    if (found === undefined) continue;
    const name = current !== undefined ? `tasks.${key}` : `number_manager.${key}`;
    config[key] = readInteger(name, found.value, config[key], 0, problems);
  }
  return { config, problems };
}

/** `system_config/tasks` with knm's keys at their defaults. */
export function defaultTasksDocument(options: ConfigDocumentOptions = {}): JsonObject {
  return configDocument('tasks', { ...defaultTasksConfig() }, options);
}
