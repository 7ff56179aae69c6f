/**
 * What every document knm writes must satisfy: the invariants Kazoo's own tests assert on every loaded
 * number (`verify_to_json/2`, number-document.md §8) and the absence of every shape the 4.3 loader
 * rejects (FACTS §1.8). Also: reading what we wrote is a fixed point (clean, same document).
 */
import { expect } from 'chai';
import { readNumberDocument } from '../../src/documents/read';
import { isNumberState } from '../../src/documents/types';
import { writeNumberDocument } from '../../src/documents/write';
import { readContext } from './context';

const WRITTEN_KEYS = new Set([
  '_id',
  '_rev',
  'pvt_db_name',
  'pvt_state',
  'pvt_ported_in',
  'pvt_module_name',
  'pvt_modified',
  'pvt_created',
  'pvt_type',
  'pvt_assigned_to',
  'pvt_previously_assigned_to',
  'pvt_used_by',
  'pvt_features',
  'pvt_features_allowed',
  'pvt_features_denied',
  'pvt_reserve_history',
  'pvt_carrier_data',
  'pvt_region',
]);

const isAccountId = (value: unknown): boolean => typeof value === 'string' && value.length === 32;
const isNonEmptyObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;
const isNonEmptyNameList = (value: unknown): boolean =>
  Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item !== '');

export function expectKazooLoadable(doc: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(doc)) {
    if (key.startsWith('_') || key.startsWith('pvt_')) expect(WRITTEN_KEYS.has(key), `unexpected private key ${key}`).to.equal(true);
    expect(value, `${key} must never be written as null`).to.not.equal(null);
    expect(value, `${key} must never be written as undefined`).to.not.equal(undefined);
  }
  expect(doc).to.not.have.property('id');
  expect(doc).to.not.have.property('used_by');
  expect(doc._id).to.be.a('string').and.match(/^\+[0-9]{4,}$/);
  expect(doc.pvt_db_name).to.equal(`numbers%2F%2B${String(doc._id).slice(1, 5)}`);
  if ('pvt_state' in doc) expect(isNumberState(doc.pvt_state), `state ${String(doc.pvt_state)}`).to.equal(true);
  expect(doc.pvt_ported_in).to.be.a('boolean');
  expect(Number.isInteger(doc.pvt_created)).to.equal(true);
  expect(Number.isInteger(doc.pvt_modified)).to.equal(true);
  expect(doc.pvt_type).to.equal('number');
  expect(doc.pvt_module_name).to.be.a('string').and.not.equal('');
  if ('_rev' in doc) expect(doc._rev).to.be.a('string').and.not.equal('');
  for (const key of ['pvt_assigned_to', 'pvt_previously_assigned_to']) {
    if (key in doc) expect(isAccountId(doc[key]), `${key} ${String(doc[key])}`).to.equal(true);
  }
  if ('pvt_used_by' in doc) expect(doc.pvt_used_by).to.be.a('string').and.not.equal('');
  if ('pvt_region' in doc) expect(doc.pvt_region).to.be.a('string').and.not.equal('');
  for (const key of ['pvt_features', 'pvt_carrier_data']) {
    if (key in doc) expect(isNonEmptyObject(doc[key]), key).to.equal(true);
  }
  for (const key of ['pvt_features_allowed', 'pvt_features_denied']) {
    if (key in doc) expect(isNonEmptyNameList(doc[key]), key).to.equal(true);
  }
  if ('pvt_reserve_history' in doc) {
    const history = doc.pvt_reserve_history;
    expect(Array.isArray(history) && history.length > 0 && history.every(isAccountId), 'pvt_reserve_history').to.equal(true);
  }
}

/** Reading a written document again changes nothing: not dirty, not malformed, byte-equal output. */
export function expectFixedPoint(doc: Record<string, unknown>, now: number): void {
  const again = readNumberDocument(JSON.parse(JSON.stringify(doc)), readContext(now));
  expect(again.dirty, `re-read dirty: ${again.fieldsSetToNow.join(',')}`).to.equal(false);
  expect(again.malformed).to.equal(false);
  expect(JSON.stringify(writeNumberDocument(again.record, { now: now + 1 }))).to.equal(JSON.stringify(doc));
}
