/**
 * Migration (maintenance-and-tasks.md §1.3): `migrate` makes the admin-only features reachable, refreshes every
 * number database's design documents and re-saves the unassigned numbers without `pvt_used_by`, in the current
 * format (knm_numbers:update with set_used_by(undefined) and remove_denied_features, as system, a page of
 * `numbers/unassigned` at a time): an unassigned number may have no external feature, nor failover without trunkstore.
 */
import { SYSTEM } from '../lifecycle/accounts';
import type { LifecycleEnvironment } from '../lifecycle/service';
import { NumberService } from '../lifecycle/service';
import { refreshNumberDbs } from '../store/bootstrap';
import { ensureAdminOnlyFeaturesAreReachable } from './feature-permissions';
import { allNumberDbs, numberDbOf, pause } from './number-dbs';

export interface UnassignedReport {
  readonly databases: { db: string; updated: number; failed: { number: string; reason: string }[] }[];
}

const PAGE = 2000;

/**
 * migrate_unassigned_numbers/0,1: every number database, or the one an encoded/raw database name or a number
 * names. `pauseMs` is time_between_accounts_ms between pages, as Kazoo sleeps.
 */
export async function migrateUnassignedNumbers(
  env: LifecycleEnvironment,
  argument?: string,
  pauseMs = 0,
  progress?: (line: string) => void,
  step?: (databasesDone: number, databases: number) => void,
): Promise<UnassignedReport> {
  const named = argument === undefined ? undefined : numberDbOf(argument);
  const dbs = argument === undefined ? await allNumberDbs(env.store) : named === undefined ? [] : [named];
  const service = new NumberService(env);
  const databases: UnassignedReport['databases'] = [];
  const numberDbs = dbs.filter((name) => name.startsWith('numbers/+'));
  for (const db of numberDbs) {
    // ids first, then the updates: a re-saved number stays in the view, so paging while writing would be safe,
    // but reading first keeps the page boundaries where Kazoo's skip-based pages put them
    const ids: string[] = [];
    let skip = 0;
    for (;;) {
      const page = await env.store.view<string, unknown>(db, 'numbers', 'unassigned', { limit: PAGE, skip });
      ids.push(...page.rows.map((row) => row.id ?? String(row.key)));
      if (page.rows.length < PAGE) break;
      skip += PAGE;
    }
    let updated = 0;
    const failed: { number: string; reason: string }[] = [];
    for (let at = 0; at < ids.length; at += PAGE) {
      for (const outcome of await service.update(ids.slice(at, at + PAGE), { authBy: SYSTEM }, { usedBy: null, pruneDeniedFeatures: true })) {
        if (outcome.ok) updated += 1;
        else failed.push({ number: outcome.number, reason: outcome.error.message });
      }
      if (at + PAGE < ids.length) await pause(pauseMs);
    }
    progress?.(`${db}: ${updated} unassigned numbers re-saved, ${failed.length} failed`);
    databases.push({ db, updated, failed });
    step?.(databases.length, numberDbs.length);
  }
  return { databases };
}

export interface MigrateReport {
  readonly addedFeatures: string[];
  readonly refreshFailures: { db: string; reason: string }[];
  readonly unassigned: UnassignedReport;
}

export async function migrate(env: LifecycleEnvironment, progress?: (line: string) => void, step?: (databasesDone: number, databases: number) => void): Promise<MigrateReport> {
  const addedFeatures = await ensureAdminOnlyFeaturesAreReachable(env.store);
  if (addedFeatures.length > 0) progress?.(`Adding the following admin-only number features to system_config: ${addedFeatures.join(', ')}`);
  const refresh = await refreshNumberDbs({ store: env.store, library: env.designDocs, log: progress });
  const unassigned = await migrateUnassignedNumbers(env, undefined, env.config.time_between_accounts_ms, progress, step);
  return { addedFeatures, refreshFailures: refresh.failures, unassigned };
}
