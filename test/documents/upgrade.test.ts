/**
 * Every entry of fixtures/upgraded-4.3 (Kazoo 4.3's own load + to_json output for its old_vsn fixtures,
 * its fixture databases and synthetic legacy documents): we must read the same dirtiness and load-time
 * fields and write the same document, key order included.
 */
import { expect } from 'chai';
import { readNumberDocument } from '../../src/documents/read';
import { needsWrite, writeNumberDocument } from '../../src/documents/write';
import { LOAD_TIME, readContext, readFixture, withLoadTime } from './context';
import { expectFixedPoint, expectKazooLoadable } from './kazoo-shape';

interface Expectation {
  kazoo_4_3_loads: boolean;
  dirty?: boolean;
  fields_set_to_now?: string[];
  doc?: Record<string, unknown>;
  input?: unknown;
  note?: string;
}

const SETS: { name: string; input(key: string, entry: Expectation): unknown }[] = [
  { name: 'old_vsn', input: (key) => readFixture('old_vsn', `${key}.json`) },
  { name: 'dbs', input: (key) => readFixture('dbs', `${key}.json`) },
  { name: 'synthetic', input: (_key, entry) => entry.input },
];

/** A later write: a document upgraded on read but not changed since keeps the load time. */
const WRITE_TIME = LOAD_TIME + 3600;

for (const set of SETS) {
  const expectations = readFixture('upgraded-4.3', `${set.name}.json`) as Record<string, Expectation>;

  describe(`documents: fixtures/upgraded-4.3/${set.name}.json`, () => {
    it('has entries', () => {
      expect(Object.keys(expectations)).to.not.be.empty;
    });

    for (const [key, entry] of Object.entries(expectations)) {
      const input = (): unknown => structuredClone(set.input(key, entry));

      if (entry.kazoo_4_3_loads && entry.doc !== undefined) {
        const expectedDoc = entry.doc;
        it(`${key}: reads as 4.3 does and writes 4.3's document`, () => {
          const result = readNumberDocument(input(), readContext());
          expect(result.malformed, result.warnings.join('; ')).to.equal(false);
          expect(result.dirty, 'dirty').to.equal(entry.dirty);
          expect(result.fieldsSetToNow, 'fields set to now').to.deep.equal([...(entry.fields_set_to_now ?? [])].sort());
          expect(needsWrite(result), 'needsWrite').to.equal(entry.dirty);

          const written = writeNumberDocument(result.record, { now: WRITE_TIME });
          const expected = withLoadTime(expectedDoc, LOAD_TIME);
          expect(written).to.deep.equal(expected);
          expect(Object.keys(written), 'key order').to.deep.equal(Object.keys(expected));
          expectKazooLoadable(written);
          expectFixedPoint(written, WRITE_TIME);
        });
      } else if (!entry.kazoo_4_3_loads) {
        it(`${key}: 4.3 cannot load it; read leniently, reported malformed, never written back`, () => {
          const result = readNumberDocument(input(), readContext());
          expect(result.malformed).to.equal(true);
          expect(result.warnings.some((warning) => warning.includes('rejects'))).to.equal(true);
          expect(needsWrite(result)).to.equal(false);
          expect(needsWrite(result.record)).to.equal(false);
          // even a deliberate repair cannot produce the rejected shape
          expectKazooLoadable(writeNumberDocument(result.record, { now: WRITE_TIME }));
        });
      } else {
        it(`${key}: loads in 4.3 (${entry.note ?? 'no output recorded'}); read without complaint`, () => {
          const result = readNumberDocument(input(), readContext());
          expect(result.malformed).to.equal(false);
          const written = writeNumberDocument(result.record, { now: WRITE_TIME });
          expectKazooLoadable(written);
          expectFixedPoint(written, WRITE_TIME);
        });
      }
    }
  });
}
