/**
 * Writing a record back: always the 4.3 shape (serialize.ts), and only when something changed
 * (FACTS §11 rule of thumb; 4.3 `save/1` skips clean numbers and numbers in state `deleted`).
 */
import { KnmError } from '../errors';
import { jsonEqual } from './kz-json';
import type { ReadResult } from './read';
import { toKazooDocument } from './serialize';
import { isNumberState, NumberDoc, NumberRecord } from './types';

export interface WriteContext {
  /** Gregorian seconds: becomes `pvt_modified` when the record changed since it was read. */
  now: number;
}

/**
 * The 4.3 document for `record`. `pvt_modified` is `now` if the record changed since it was read (4.3's
 * `?DIRTY` macro stamps every change), else the value it was read with, which is already the load time
 * for a document upgraded on read. Refuses a record no Kazoo loader could read back.
 */
export function writeNumberDocument(record: NumberRecord, context: WriteContext): NumberDoc {
  assertWritable(record);
  return toKazooDocument(record, changedSinceRead(record) ? context.now : record.modified);
}

/** The record differs from the stored document: upgraded while reading, or changed since. */
export function isDirty(record: NumberRecord): boolean {
  return record.loaded === undefined || record.loaded.upgraded || changedSinceRead(record);
}

/**
 * Whether to save: dirty, not in state `deleted` (4.3 `take_not_to_save/1` never saves those), and not
 * read from a document the 4.3 loader rejects: such a document is reported, never rewritten on its own
 * (read.ts explains why); a deliberate repair calls writeNumberDocument itself.
 */
export function needsWrite(subject: ReadResult | NumberRecord): boolean {
  const record = 'record' in subject ? subject.record : subject;
  if (record.state === 'deleted' || record.loaded?.malformed === true) return false;
  return isDirty(record);
}

function changedSinceRead(record: NumberRecord): boolean {
  if (record.loaded === undefined) return true;
  const asRead = record.loaded.asRead;
  return !jsonEqual(toKazooDocument(record, asRead.pvt_modified, { copy: false }), asRead);
}

const ACCOUNT_ID_BYTES = 32;

/** The shapes of FACTS §1.8 that make the 4.3 loader fail must never reach the database. */
function assertWritable(record: NumberRecord): void {
  const refuse = (field: string, problem: string): never => {
    throw new KnmError('bad_document', 400, `refusing to write number ${record.number}: ${field} ${problem}`, {
      cause: field,
      hint: 'Kazoo 4.3 could not load the result; this is a bug in the code that built the record, please report it',
    });
  };
  if (!/^\+[0-9]{4,}$/.test(record.number)) refuse('_id', 'is not "+" followed by at least four digits');
  if (record.state !== undefined && !isNumberState(record.state)) refuse('pvt_state', `"${String(record.state)}" is not a state`);
  if (record.moduleName === '') refuse('pvt_module_name', 'is empty');
  for (const [field, id] of [
    ['pvt_assigned_to', record.assignedTo],
    ['pvt_previously_assigned_to', record.previouslyAssignedTo],
  ] as const) {
    if (id !== undefined && id !== '' && !isAccountId(id)) refuse(field, `"${id}" is not a 32-character account id`);
  }
  const badHistory = record.reserveHistory.find((id) => !isAccountId(id));
  if (badHistory !== undefined) refuse('pvt_reserve_history', `holds "${badHistory}", not a 32-character account id`);
  if (!Number.isInteger(record.created)) refuse('pvt_created', 'is not an integer');
}

function isAccountId(id: string): boolean {
  return Buffer.byteLength(id, 'utf8') === ACCOUNT_ID_BYTES;
}
