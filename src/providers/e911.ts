/** What the three E911 providers share (providers.md §5, §7.7). */
import type { JsonObject } from '../documents/json';
import { jsonEqual } from '../documents/kz-json';
import type { NumberRecord } from '../documents/types';
import { activateFeature, deactivateFeatures, isProvisionedState, requestedObject } from './feature-record';
import type { ProviderContext } from './provider';

export const E911_FEATURE = 'e911';

/**
 * What a save asks of an E911 provider: the number left the states where it has E911 (the provider deletes), its
 * public address was emptied, is what `pvt_features.e911` records, or changed.
 */
export type E911Change =
  | { kind: 'left_provisioned_states' }
  | { kind: 'emptied' }
  | { kind: 'unchanged' }
  | { kind: 'changed'; address: JsonObject };

export function e911Change(record: NumberRecord): E911Change {
  if (!isProvisionedState(record.state)) return { kind: 'left_provisioned_states' };
  const address = requestedObject(record, E911_FEATURE);
  if (address === undefined) return { kind: 'emptied' };
  if (jsonEqual(record.features[E911_FEATURE], address)) return { kind: 'unchanged' };
  return { kind: 'changed', address };
}

/** A save that only keeps the books (a dry run, Telnyx's sandbox): `pvt_features.e911` follows the public address. */
export function keepE911Books(record: NumberRecord, change: Exclude<E911Change, { kind: 'left_provisioned_states' }>): NumberRecord {
  if (change.kind === 'emptied') return deactivateFeatures(record, E911_FEATURE);
  return change.kind === 'changed' ? activateFeature(record, E911_FEATURE, change.address) : record;
}

const DEFAULT_CALLER_NAME = 'Valued Customer';
const MINIMAL_CALLER_NAME_LENGTH = 3;

/**
 * knm_providers:e911_caller_name/2: the address's `caller_name`, else the assigned account's name right-padded
 * with spaces to 3 characters, else "Valued Customer".
 */
export async function e911CallerName(record: NumberRecord, address: JsonObject, context: ProviderContext): Promise<string> {
  const own = addressField(address, 'caller_name');
  if (own !== undefined) return own;
  const accountName = record.assignedTo === undefined ? undefined : await context.accountName(record.assignedTo);
  if (accountName !== undefined && accountName !== '') return accountName.padEnd(MINIMAL_CALLER_NAME_LENGTH, ' ');
  return DEFAULT_CALLER_NAME;
}

/** A string field of the address, or undefined when absent or empty. */
export function addressField(address: JsonObject, key: string): string | undefined {
  const value = address[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
