/** A read context for the document tests: Kazoo 4.3's default e164_converters (FACTS §3.1, §3.2). */
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR } from '../helpers/fixtures';
import type { ReadContext } from '../../src/documents/read';

const DEFAULT_CONVERTERS: [RegExp, string][] = [
  [/^(\+?1)?([2-9][0-9]{2}[2-9][0-9]{6})$/, '+1'],
  [/^011(\d{5,})$|^00(\d{5,})$/, '+'],
  [/^[2-9]\d{7,}$/, '+'],
];

/** knm_converters:normalize/1 with the 4.3 defaults: prefix + the last group that took part. */
export function normalize43(number: string): string {
  if (number.startsWith('+')) return number;
  for (const [regex, prefix] of DEFAULT_CONVERTERS) {
    const match = regex.exec(number);
    if (match === null) continue;
    const groups = [...match];
    while (groups.length > 1 && groups[groups.length - 1] === undefined) groups.pop();
    return prefix + groups[groups.length - 1];
  }
  return number;
}

/** A load time after every timestamp in the fixtures. */
export const LOAD_TIME = 63990000000;

/** Timestamps at or above this in fixtures/upgraded-4.3 are Kazoo's load time (fixtures/README.md). */
export const LOAD_TIME_MARK = 63900000000;

export function readContext(now: number = LOAD_TIME): ReadContext {
  return { now, normalize: normalize43, availableModuleName: 'knm_local' };
}

export function readFixture(...parts: string[]): unknown {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, ...parts), 'utf8'));
}

/** The expected 4.3 document with Kazoo's load time replaced by ours. */
export function withLoadTime(doc: Record<string, unknown>, now: number): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...doc };
  for (const key of ['pvt_created', 'pvt_modified']) {
    const value = copy[key];
    if (typeof value === 'number' && value >= LOAD_TIME_MARK) copy[key] = now;
  }
  return copy;
}
