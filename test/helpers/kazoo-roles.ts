/** Kazoo's fixture accounts and numbers (FACTS §0, §4.10), read from fixtures/dbs as they are. */
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR } from './fixtures';
import { AccountDirectory, AccountFacts, directoryOf, readAccountDoc } from '../../src/lifecycle/accounts';
import { readNumberDocument } from '../../src/documents/read';
import type { NumberRecord } from '../../src/documents/types';
import { toDb } from '../../src/numbers/db-names';
import { readContext } from '../documents/context';

export const MASTER = 'account0000000000000000000000001';
export const RESELLER = 'account0000000000000000000000002';
export const CHILD = 'account0000000000000000000000003';
export const UNRELATED = 'unrelated_account_b113394f16cb71';

export function fixtureAccounts(): AccountFacts[] {
  const dir = path.join(FIXTURES_DIR, 'dbs', 'accounts');
  return fs
    .readdirSync(dir)
    .map((file) => readAccountDoc(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))))
    .filter((account): account is AccountFacts => account !== undefined);
}

export function fixtureDirectory(): AccountDirectory {
  return directoryOf(fixtureAccounts());
}

/** The fixture number document of `number`, read as knm reads it. */
export function fixtureNumber(number: string): NumberRecord {
  const db = toDb(number);
  if (db === undefined) throw new Error(`no database for ${number}`);
  const file = path.join(FIXTURES_DIR, 'dbs', db, `${encodeURIComponent(number)}.json`);
  return readNumberDocument(JSON.parse(fs.readFileSync(file, 'utf8')), readContext()).record;
}
