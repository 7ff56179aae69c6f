/**
 * `GET /_all_dbs` with the real CouchDB names (`numbers/+1415`, not the stored `numbers$2f+1415`) and
 * CouchDB's range parameters, which Kazoo relies on: knm_util:get_all_number_dbs/0 asks for
 * `startkey "numbers/"`, `endkey "numbers/\ufff0"`. express-pouchdb ignores every parameter.
 */
import type { Request, Response } from 'express';
import { fromStorageName } from './db-names';
import { rawQuery } from './raw-query';

/** Databases express-pouchdb keeps for itself and CouchDB does not list. */
const HIDDEN = new Set(['pouch__auth_sessions__']);

export async function serveAllDbs(req: Request, res: Response, storedNames: () => Promise<string[]>): Promise<void> {
  const query: Record<string, unknown> = rawQuery(req);
  let range: { start?: string; end?: string; descending: boolean; inclusiveEnd: boolean; skip: number; limit?: number };
  try {
    range = {
      start: jsonString(query.startkey ?? query.start_key),
      end: jsonString(query.endkey ?? query.end_key),
      descending: query.descending === 'true',
      inclusiveEnd: query.inclusive_end !== 'false',
      skip: count(query.skip) ?? 0,
      limit: count(query.limit),
    };
  } catch (error) {
    return void res.status(400).json({ error: 'bad_request', reason: error instanceof Error ? error.message : String(error) });
  }
  const names = (await storedNames()).filter((name) => !HIDDEN.has(name)).map(fromStorageName).sort();
  if (range.descending) names.reverse();
  const after = (a: string, b: string): boolean => (range.descending ? a < b : a > b);
  const selected = names.filter((name) => {
    if (range.start !== undefined && after(range.start, name)) return false;
    if (range.end !== undefined && (after(name, range.end) || (!range.inclusiveEnd && name === range.end))) return false;
    return true;
  });
  const page = selected.slice(range.skip, range.limit !== undefined ? range.skip + range.limit : undefined);
  res.status(200).json(page);
}

function jsonString(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new Error('startkey and endkey must be JSON strings');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`invalid JSON: ${raw}`);
  }
  if (typeof value !== 'string') throw new Error('startkey and endkey must be JSON strings');
  return value;
}

function count(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(value) || value < 0) throw new Error('skip and limit must be non-negative integers');
  return value;
}
