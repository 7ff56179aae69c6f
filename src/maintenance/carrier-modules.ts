/**
 * Carrier modules (maintenance-and-tasks.md §1.1): how many numbers each module holds, per database and in total
 * (`numbers/module_name` reduced and grouped), and moving numbers from one module to another through the normal
 * update as system (NumberService.update with set_module_name: providers run, account copies follow, `local` is
 * added or removed with the module).
 */
import { ALL_CARRIER_MODULES } from '../documents/types';
import { SYSTEM } from '../lifecycle/accounts';
import { LifecycleEnvironment, NumberService } from '../lifecycle/service';
import { decodeDbName, toDb } from '../numbers/db-names';
import type { Store } from '../store/client';
import { allNumberDbs, viewRows } from './number-dbs';

export interface ModuleUsage {
  readonly databases: { db: string; modules: Record<string, number> }[];
  readonly totals: Record<string, number>;
}

/** carrier_module_usage/0,1: the single database of `prefix` (to_db of its first five characters, not normalized). */
export async function carrierModuleUsage(store: Store, prefix?: string): Promise<ModuleUsage> {
  const dbs = prefix === undefined ? await allNumberDbs(store) : [prefixDb(prefix)];
  const databases: ModuleUsage['databases'] = [];
  const totals: Record<string, number> = {};
  for (const db of dbs) {
    const modules: Record<string, number> = {};
    for (const row of (await store.view<string | null, number>(db, 'numbers', 'module_name', { group: true })).rows) {
      modules[String(row.key)] = row.value;
      totals[String(row.key)] = (totals[String(row.key)] ?? 0) + row.value;
    }
    databases.push({ db, modules });
  }
  return { databases, totals };
}

/** What Kazoo prints for carrier_module_usage: `numbers%2F%2B1555:` then `    knm_local: 7`, and the totals. */
export function moduleUsageLines(usage: ModuleUsage): string[] {
  const lines: string[] = [];
  for (const { db, modules } of usage.databases) {
    lines.push(`${encodeURIComponent(db)}:`);
    for (const [module, count] of Object.entries(modules)) lines.push(`    ${module}: ${count}`);
  }
  lines.push('Totals:');
  for (const [module, count] of Object.entries(usage.totals)) lines.push(`    ${module}: ${count}`);
  return lines;
}

export interface ConversionReport {
  readonly source: string;
  readonly target: string;
  /** `Bad carrier module`: the target is not one of knm_carriers:all_modules(); nothing was done. */
  readonly badTarget: boolean;
  readonly databases: { db: string; converted: string[]; failed: { number: string; reason: string }[] }[];
}

export function isKnownCarrierModule(module: string): boolean {
  return (ALL_CARRIER_MODULES as readonly string[]).includes(module);
}

/** convert_carrier_module/2,3: every number whose module is `source` (view key) gets `target`, a page at a time. */
export async function convertCarrierModule(
  env: LifecycleEnvironment,
  source: string,
  target: string,
  prefix?: string,
  progress?: (line: string) => void,
  step?: (databasesDone: number, databases: number) => void,
): Promise<ConversionReport> {
  if (!isKnownCarrierModule(target)) return { source, target, badTarget: true, databases: [] };
  const dbs = prefix === undefined ? await allNumberDbs(env.store) : [prefixDb(prefix)];
  const service = new NumberService(env);
  const databases: ConversionReport['databases'] = [];
  for (const db of dbs) {
    progress?.(`attempt to convert numbers with carrier module ${source} to ${target} in database ${encodeURIComponent(db)}`);
    const converted: string[] = [];
    const failed: { number: string; reason: string }[] = [];
    const ids: string[] = [];
    // ids first: updating while paging the same view would move rows under the pager
    for await (const rows of viewRows<string, number>(env.store, db, 'numbers', 'module_name', { key: source, reduce: false })) ids.push(...rows.map((row) => row.id ?? ''));
    for (const outcome of await service.update(ids, { authBy: SYSTEM }, { moduleName: target })) {
      if (outcome.ok) converted.push(outcome.number);
      else failed.push({ number: outcome.number, reason: outcome.error.message });
    }
    databases.push({ db, converted, failed });
    step?.(databases.length, dbs.length);
  }
  return { source, target, badTarget: false, databases };
}

/** convert_carrier_module_number/2. */
export async function convertCarrierModuleNumber(env: LifecycleEnvironment, number: string, target: string): Promise<ConversionReport> {
  if (!isKnownCarrierModule(target)) return { source: '', target, badTarget: true, databases: [] };
  const [outcome] = await new NumberService(env).update([number], { authBy: SYSTEM }, { moduleName: target });
  const db = toDb(outcome.number);
  return {
    source: '',
    target,
    badTarget: false,
    databases: [{ db: db === undefined ? '' : decodeDbName(db), converted: outcome.ok ? [outcome.number] : [], failed: outcome.ok ? [] : [{ number: outcome.number, reason: outcome.error.message }] }],
  };
}

/** Kazoo's lines for a conversion. */
export function conversionLines(report: ConversionReport): string[] {
  if (report.badTarget) return [`Bad carrier module: ${report.target}`];
  const lines: string[] = [];
  for (const { converted, failed } of report.databases) {
    const total = converted.length + failed.length;
    if (total === 0) continue;
    if (converted.length > 0) {
      lines.push(`updated carrier module to ${report.target} for ${converted.length}/${total} number(s):`);
      for (const number of converted) lines.push(`\t${number}`);
    }
    if (failed.length > 0) {
      lines.push(`updating carrier module to ${report.target} failed for ${failed.length}/${total} number(s):`);
      for (const { number, reason } of failed) lines.push(`\t${number}: ${reason}`);
    }
  }
  return lines;
}

/** knm_converters:to_db/1 of the prefix as given (first five characters, URL-encoded then read back). */
function prefixDb(prefix: string): string {
  const encoded = toDb(prefix);
  return encoded === undefined ? `numbers/${prefix}` : decodeDbName(encoded);
}
