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

/** kt_numbers list row of a number. One literal, keys in column order: an export or import makes one per number. */
export function listRow(record: NumberRecord, context: ListRowContext): Record<ListColumn, string> {
  const features = record.features;
  const feature = (name: string): JsonObject => (isJsonObject(features[name]) ? (features[name] as JsonObject) : NO_FEATURE);
  const e911 = feature('e911');
  const prepend = feature('prepend');
  const ringback = feature('ringback');
  const failover = feature('failover');
  return {
    e164: record.number,
    account_name: context.accountName ?? '',
    account_id: record.assignedTo ?? '',
    previously_assigned_to: record.previouslyAssignedTo ?? '',
    state: record.state ?? '',
    created: String(record.created),
    modified: String(record.modified),
    used_by: record.usedBy ?? '',
    ported_in: String(record.portedIn),
    carrier_module: record.moduleName,
    'cnam.inbound': cell(feature('inbound_cnam').inbound_lookup),
    'cnam.outbound': cell(feature('outbound_cnam').display_name),
    'e911.locality': cell(e911.locality),
    'e911.name': cell(e911.caller_name),
    'e911.region': cell(e911.region),
    'e911.street_address': cell(e911.street_address),
    'e911.extended_address': cell(e911.extended_address),
    'e911.postal_code': cell(e911.postal_code),
    'prepend.enabled': cell(prepend.enabled),
    'prepend.name': cell(prepend.name),
    'prepend.number': cell(prepend.number),
    'ringback.early': cell(ringback.early),
    'ringback.transfer': cell(ringback.transfer),
    force_outbound: String(forceOutbound(record, context)),
    'failover.e164': cell(failover.e164),
    'failover.sip': cell(failover.sip),
  };
}

const NO_FEATURE: JsonObject = Object.freeze({});

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
  for (const [name, columns] of PUBLIC_FIELD_COLUMNS) {
    let present: JsonValue | undefined;
    for (const [column, key, kind] of columns) {
      const text = cells[column];
      if (text === undefined || text === '') continue;
      const value = kind === 'boolean' ? text === 'true' : text;
      if (key === undefined) present = value;
      else ((present ??= {}) as JsonObject)[key] = value;
    }
    if (present !== undefined) fields[name] = present;
  }
  for (const column in cells) {
    const value = cells[column];
    if (!column.startsWith('opaque.') || value === '') continue;
    setPath(fields, column.slice('opaque.'.length).split('.'), value);
  }
  return fields;
}

/**
 * Each public field the columns fill, in kt_numbers' order: its columns, the key each fills (none: the field is the
 * cell itself) and whether the cell is a boolean.
 */
const PUBLIC_FIELD_COLUMNS: readonly (readonly [string, readonly (readonly [string, string | undefined, 'text' | 'boolean'])[]])[] = [
  ['carrier_name', [['carrier_name', undefined, 'text']]],
  ['cnam', [['cnam.outbound', 'display_name', 'text'], ['cnam.inbound', 'inbound_lookup', 'boolean']]],
  ['e911', E911_COLUMNS.map(([column, key]) => [column, key, 'text'] as const)],
  ['prepend', [['prepend.enabled', 'enabled', 'boolean'], ['prepend.name', 'name', 'text'], ['prepend.number', 'number', 'text']]],
  ['ringback', [['ringback.early', 'early', 'text'], ['ringback.transfer', 'transfer', 'text']]],
  ['force_outbound', [['force_outbound', undefined, 'boolean']]],
  ['failover', [['failover.e164', 'e164', 'text'], ['failover.sip', 'sip', 'text']]],
];

function setPath(target: JsonObject, path: readonly string[], value: JsonValue): void {
  let at = target;
  path.slice(0, -1).forEach((key) => {
    if (!isJsonObject(at[key])) at[key] = {};
    at = at[key] as JsonObject;
  });
  at[path[path.length - 1]] = value;
}
