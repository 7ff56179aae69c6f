/** What the three E911 providers share (providers.md §5, §7.7). */
import type { JsonObject } from '../documents/json';
import type { NumberRecord } from '../documents/types';
import type { ProviderContext } from './provider';

const DEFAULT_CALLER_NAME = 'Valued Customer';
const MINIMAL_CALLER_NAME_LENGTH = 3;

/**
 * knm_providers:e911_caller_name/2: the address's `caller_name`, else the assigned account's name right-padded
 * with spaces to 3 characters, else "Valued Customer".
 */
export async function e911CallerName(record: NumberRecord, address: JsonObject, context: ProviderContext): Promise<string> {
  const own = address.caller_name;
  if (typeof own === 'string' && own !== '') return own;
  const accountName = record.assignedTo === undefined ? undefined : await context.accountName(record.assignedTo);
  if (accountName !== undefined && accountName !== '') return accountName.padEnd(MINIMAL_CALLER_NAME_LENGTH, ' ');
  return DEFAULT_CALLER_NAME;
}

/** A string field of the address, or undefined when absent or empty. */
export function addressField(address: JsonObject, key: string): string | undefined {
  const value = address[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
