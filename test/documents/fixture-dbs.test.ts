/** Every Kazoo fixture number document (fixtures/dbs/numbers%2F*) reads and writes back equivalently. */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { readNumberDocument } from '../../src/documents/read';
import { writeNumberDocument } from '../../src/documents/write';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { LOAD_TIME, readContext, readFixture } from './context';
import { expectFixedPoint, expectKazooLoadable } from './kazoo-shape';

const DBS_DIR = path.join(FIXTURES_DIR, 'dbs');
const numberDocs = fs
  .readdirSync(DBS_DIR)
  .filter((db) => db.startsWith('numbers%2F'))
  .flatMap((db) => fs.readdirSync(path.join(DBS_DIR, db)).map((file) => `${db}/${file.replace(/\.json$/, '')}`))
  .sort();

const upgraded = readFixture('upgraded-4.3', 'dbs.json') as Record<string, unknown>;

/** Keys 4.3 drops on every write: legacy private keys and the public `id` / `used_by`. */
const isDroppedKey = (key: string, written: Record<string, unknown>): boolean =>
  ((key.startsWith('_') || key.startsWith('pvt_')) && !(key in written)) || key === 'id' || key === 'used_by';

const isEmpty = (value: unknown): boolean =>
  value === null ||
  value === '' ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && value !== null && Object.keys(value).length === 0);

describe('documents: every fixture number database document', () => {
  it('finds the fixture documents, each with a recorded 4.3 upgrade', () => {
    expect(numberDocs.length).to.be.greaterThan(20);
    expect(Object.keys(upgraded).sort()).to.deep.equal(numberDocs);
  });

  for (const name of numberDocs) {
    it(`${name}: reads without error and writes back an equivalent document`, () => {
      const stored = readFixture('dbs', `${name}.json`) as Record<string, unknown>;
      const result = readNumberDocument(structuredClone(stored), readContext());
      expect(result.malformed, result.warnings.join('; ')).to.equal(false);
      expect(result.record.number).to.equal(decodeURIComponent(name.split('/')[1]));

      const written = writeNumberDocument(result.record, { now: LOAD_TIME + 60 });
      expectKazooLoadable(written);
      expectFixedPoint(written, LOAD_TIME + 60);
      if (result.dirty) return; // the upgrades are checked field by field in upgrade.test.ts
      for (const [key, value] of Object.entries(stored)) {
        if (isDroppedKey(key, written) || (!(key in written) && isEmpty(value))) continue;
        expect(written[key], key).to.deep.equal(value);
      }
    });
  }
});
