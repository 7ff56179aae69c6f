/**
 * The marks a carrier acquisition leaves on the number, written in the same update as the carrier's result so
 * that a replayed change, a restart or a second worker never buys the number again (DESIGN.md, Flow). Both
 * the number operations and the changes pipeline write them; the pipeline reads them to decide.
 */
import type { JsonObject } from '../documents/json';
import type { NumberRecord } from '../documents/types';

/** Field of `pvt_carrier_data` (kept verbatim by every Kazoo version) that records a finished acquisition. */
export const ACQUIRED_MARKER = 'knm_acquired';
/** Field of `pvt_carrier_data` that records why the carrier refused; the number is back in `discovery`. */
export const ACQUIRE_FAILURE_MARKER = 'knm_acquire_failure';

/** The number back in `discovery` after the carrier refused, the refusal recorded where the writer can read it. */
export function refusedAcquisition(record: NumberRecord, fromRev: string, error: JsonObject, now: number): NumberRecord {
  const { [ACQUIRED_MARKER]: _acquired, ...carrierData } = record.carrierData;
  return { ...record, state: 'discovery', carrierData: { ...carrierData, [ACQUIRE_FAILURE_MARKER]: { ...error, from_rev: fromRev, at: now } } };
}

/** The carrier's result, marked as the acquisition of the exit seen at `fromRev`; an earlier refusal is cleared. */
export function acquiredNumber(result: NumberRecord, fromRev: string, now: number): NumberRecord {
  const { [ACQUIRE_FAILURE_MARKER]: _failure, ...carrierData } = result.carrierData;
  return { ...result, carrierData: { ...carrierData, [ACQUIRED_MARKER]: { from_rev: fromRev, at: now } } };
}
