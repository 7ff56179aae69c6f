/** Writing: only when something changed, stamping the change, never a shape 4.3 cannot load. */
import { expect } from 'chai';
import { KnmError } from '../../src/errors';
import { readNumberDocument } from '../../src/documents/read';
import { NumberRecord } from '../../src/documents/types';
import { isDirty, needsWrite, writeNumberDocument } from '../../src/documents/write';
import { LOAD_TIME, readContext, readFixture } from './context';
import { expectKazooLoadable } from './kazoo-shape';

const RESELLER = 'account0000000000000000000000002';
const CHILD = 'account0000000000000000000000003';
const LATER = LOAD_TIME + 86400;

function inService(): NumberRecord {
  return readNumberDocument(readFixture('dbs', 'numbers%2F%2B1555', '%2B15551233322.json'), readContext()).record;
}

describe('documents: writing', () => {
  it('leaves an already-4.3 document alone and writes it unchanged if asked', () => {
    for (const file of ['old_vsn_1.1', 'old_vsn_2.1', 'old_vsn_3.1', 'old_vsn_4.1', 'old_vsn_5.1', 'old_vsn_6_in', 'old_vsn_7.1', 'old_vsn_7_in']) {
      const result = readNumberDocument(readFixture('old_vsn', `${file}.json`), readContext());
      expect(isDirty(result.record), file).to.equal(false);
      expect(needsWrite(result), file).to.equal(false);
      expect(writeNumberDocument(result.record, { now: LATER }).pvt_modified, file).to.equal(result.record.modified);
    }
  });

  it('round-trips 4.3 output byte for byte', () => {
    const expected = (readFixture('upgraded-4.3', 'old_vsn.json') as Record<string, { doc: unknown }>)['old_vsn_7.1'].doc;
    const bytes = JSON.stringify(expected);
    const result = readNumberDocument(JSON.parse(bytes), readContext());
    expect(JSON.stringify(writeNumberDocument(result.record, { now: LATER }))).to.equal(bytes);
  });

  it('notices a change made after reading and stamps pvt_modified with the write time', () => {
    const record = inService();
    expect(isDirty(record)).to.equal(false);
    const moved: NumberRecord = { ...record, assignedTo: CHILD, previouslyAssignedTo: RESELLER, usedBy: undefined };
    expect(isDirty(moved)).to.equal(true);
    expect(needsWrite(moved)).to.equal(true);
    const doc = writeNumberDocument(moved, { now: LATER });
    expect(doc.pvt_modified).to.equal(LATER);
    expect(doc.pvt_created).to.equal(record.created);
    expect(doc.pvt_assigned_to).to.equal(CHILD);
    expect(doc.pvt_previously_assigned_to).to.equal(RESELLER);
    expect(doc).to.not.have.property('pvt_used_by');
    expectKazooLoadable(doc);
  });

  it('ignores a change of pvt_modified alone and a copy with the same content', () => {
    const record = inService();
    expect(isDirty({ ...record, modified: LATER })).to.equal(false);
    expect(isDirty({ ...record, features: { local: {} }, reserveHistory: [...record.reserveHistory] })).to.equal(false);
  });

  it('treats a change of a public field or a feature as a change', () => {
    const record = inService();
    expect(isDirty({ ...record, publicFields: { ...record.publicFields, cnam: { display_name: 'X' } } })).to.equal(true);
    expect(isDirty({ ...record, features: { ...record.features, force_outbound: true } })).to.equal(true);
  });

  it('writes a number built in memory (never stored) with the write time', () => {
    const { loaded: _loaded, ...fields } = inService();
    const fresh: NumberRecord = { ...fields, rev: undefined, loaded: undefined };
    expect(isDirty(fresh)).to.equal(true);
    const doc = writeNumberDocument(fresh, { now: LATER });
    expect(doc.pvt_modified).to.equal(LATER);
    expect(doc).to.not.have.property('_rev');
  });

  it('never saves a number in state deleted (4.3 take_not_to_save/1)', () => {
    const deleted: NumberRecord = { ...inService(), state: 'deleted' };
    expect(isDirty(deleted)).to.equal(true);
    expect(needsWrite(deleted)).to.equal(false);
  });

  it('never saves a malformed document on its own, even after a change', () => {
    const result = readNumberDocument(
      { _id: '+14155550106', pvt_state: 'in_service', pvt_module_name: 'knm_local', pvt_assigned_to: '' },
      readContext(),
    );
    expect(result.malformed).to.equal(true);
    expect(needsWrite({ ...result.record, usedBy: 'callflow' })).to.equal(false);
  });

  for (const [label, change, field] of [
    ['a short owner', { assignedTo: 'short' }, 'pvt_assigned_to'],
    ['a short previous owner', { previouslyAssignedTo: 'x' }, 'pvt_previously_assigned_to'],
    ['a bad reserve history entry', { reserveHistory: [RESELLER, 'nope'] }, 'pvt_reserve_history'],
    ['an empty module name', { moduleName: '' }, 'pvt_module_name'],
    ['an unknown state', { state: 'bogus' }, 'pvt_state'],
    ['a number that is not E.164', { number: '4155550100' }, '_id'],
  ] as const) {
    it(`refuses to write ${label}`, () => {
      const bad = { ...inService(), ...change } as NumberRecord;
      expect(() => writeNumberDocument(bad, { now: LATER }))
        .to.throw(KnmError)
        .with.property('kazooCause', field);
    });
  }

  it('omits empty optional fields instead of writing them empty or null', () => {
    const doc = writeNumberDocument(
      { ...inService(), usedBy: '', features: {}, reserveHistory: [], carrierData: {}, region: undefined },
      { now: LATER },
    );
    for (const key of ['pvt_used_by', 'pvt_features', 'pvt_reserve_history', 'pvt_carrier_data', 'pvt_region']) {
      expect(doc, key).to.not.have.property(key);
    }
  });
});
