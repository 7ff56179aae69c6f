/**
 * The columns of Kazoo's number_management tasks (maintenance-and-tasks.md §2.1–§2.2, kt_numbers.erl): the 26
 * list columns every listing and every row result has, how a number fills them (from `pvt_*` and `pvt_features`,
 * never the public requests), and how an input row becomes public fields.
 */
import type { JsonObject, JsonValue } from '../documents/json';
import { isJsonObject } from '../documents/json';
import type { NumberRecord } from '../documents/types';

export const LIST_COLUMNS = [
  'e164',
  'account_name',
  'account_id',
  'previously_assigned_to',
  'state',
  'created',
  'modified',
  'used_by',
  'ported_in',
  'carrier_module',
  'cnam.inbound',
  'cnam.outbound',
  'e911.locality',
  'e911.name',
  'e911.region',
  'e911.street_address',
  'e911.extended_address',
  'e911.postal_code',
  'prepend.enabled',
  'prepend.name',
  'prepend.number',
  'ringback.early',
  'ringback.transfer',
  'force_outbound',
  'failover.e164',
  'failover.sip',
] as const;

export type ListColumn = (typeof LIST_COLUMNS)[number];

/** Row results: the list columns and the row's error (empty on success). */
export const RESULT_COLUMNS = [...LIST_COLUMNS, 'error'] as const;

/** Free-text cells Kazoo writes between double quotes whatever they hold. */
export const QUOTED_COLUMNS: ReadonlySet<string> = new Set([
  'account_name',
  'cnam.outbound',
  'e911.locality',
  'e911.name',
  'e911.street_address',
  'e911.extended_address',
  'prepend.name',
  'failover.sip',
]);

/** `pvt_features.e911` keys behind the e911 columns (the `name` column is `caller_name`). */
const E911_KEYS: Record<string, string> = {
  'e911.locality': 'locality',
  'e911.name': 'caller_name',
  'e911.region': 'region',
  'e911.street_address': 'street_address',
  'e911.extended_address': 'extended_address',
  'e911.postal_code': 'postal_code',
};

const E911_COLUMNS = Object.entries(E911_KEYS);

export interface ListRowContext {
  /** The holder's account name, when known. */
  readonly accountName?: string;
  /** number_manager.default_force_outbound. */
  readonly defaultForceOutbound: boolean;
}

/** kt_numbers list row of a number. */
export function listRow(record: NumberRecord, context: ListRowContext): Record<ListColumn, string> {
  const features = record.features;
  const feature = (name: string): JsonObject => (isJsonObject(features[name]) ? (features[name] as JsonObject) : {});
  const e911 = feature('e911');
  const row = {} as Record<ListColumn, string>;
  for (const column of LIST_COLUMNS) row[column] = '';
  row.e164 = record.number;
  row.account_name = context.accountName ?? '';
  row.account_id = record.assignedTo ?? '';
  row.previously_assigned_to = record.previouslyAssignedTo ?? '';
  row.state = record.state ?? '';
  row.created = String(record.created);
  row.modified = String(record.modified);
  row.used_by = record.usedBy ?? '';
  row.ported_in = String(record.portedIn);
  row.carrier_module = record.moduleName;
  row['cnam.inbound'] = cell(feature('inbound_cnam').inbound_lookup);
  row['cnam.outbound'] = cell(feature('outbound_cnam').display_name);
  for (const [column, key] of E911_COLUMNS) row[column as ListColumn] = cell(e911[key]);
  row['prepend.enabled'] = cell(feature('prepend').enabled);
  row['prepend.name'] = cell(feature('prepend').name);
  row['prepend.number'] = cell(feature('prepend').number);
  row['ringback.early'] = cell(feature('ringback').early);
  row['ringback.transfer'] = cell(feature('ringback').transfer);
  row.force_outbound = String(forceOutbound(record, context));
  row['failover.e164'] = cell(feature('failover').e164);
  row['failover.sip'] = cell(feature('failover').sip);
  return row;
}

/** The feature, else default_force_outbound: kt_numbers does not apply the hunt's local/port rules here. */
function forceOutbound(record: NumberRecord, context: ListRowContext): boolean {
  const value = record.features.force_outbound;
  if (value !== undefined) return value === true || value === 'true';
  return context.defaultForceOutbound;
}

function cell(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** An input row turned into list columns (a failed row's result echoes its input). */
export function echoRow(cells: Readonly<Record<string, string>>): Record<ListColumn, string> {
  const row = {} as Record<ListColumn, string>;
  for (const column of LIST_COLUMNS) row[column] = cells[column] ?? '';
  return row;
}

/**
 * kt_numbers:public_fields/1: the feature columns (and `opaque.<path>`) as public fields. Booleans: `"true"` is
 * true, any other non-empty text false, an empty cell omitted; a group with no values is omitted.
 */
export function publicFieldsOf(cells: Readonly<Record<string, string>>): JsonObject {
  const fields: JsonObject = {};
  const text = (column: string): string | undefined => (cells[column] !== undefined && cells[column] !== '' ? cells[column] : undefined);
  const bool = (column: string): boolean | undefined => (text(column) === undefined ? undefined : text(column) === 'true');
  const group = (name: string, values: Record<string, JsonValue | undefined>): void => {
    let present: JsonObject | undefined;
    for (const key in values) {
      const value = values[key];
      if (value !== undefined) (present ??= {})[key] = value;
    }
    if (present !== undefined) fields[name] = present;
  };
  const carrierName = text('carrier_name');
  if (carrierName !== undefined) fields.carrier_name = carrierName;
  group('cnam', { display_name: text('cnam.outbound'), inbound_lookup: bool('cnam.inbound') });
  group('e911', Object.fromEntries(E911_COLUMNS.map(([column, key]) => [key, text(column)])));
  group('prepend', { enabled: bool('prepend.enabled'), name: text('prepend.name'), number: text('prepend.number') });
  group('ringback', { early: text('ringback.early'), transfer: text('ringback.transfer') });
  const force = bool('force_outbound');
  if (force !== undefined) fields.force_outbound = force;
  group('failover', { e164: text('failover.e164'), sip: text('failover.sip') });
  for (const [column, value] of Object.entries(cells)) {
    if (!column.startsWith('opaque.') || value === '') continue;
    setPath(fields, column.slice('opaque.'.length).split('.'), value);
  }
  return fields;
}

function setPath(target: JsonObject, path: readonly string[], value: JsonValue): void {
  let at = target;
  path.slice(0, -1).forEach((key) => {
    if (!isJsonObject(at[key])) at[key] = {};
    at = at[key] as JsonObject;
  });
  at[path[path.length - 1]] = value;
}
