/**
 * The fields every number notice starts with, as Kazoo's providers publish them (knm_cnam_notifier,
 * knm_port_notifier: `Account-ID`, `Number-State`, `Local-Number`, `Number`).
 */
import type { JsonObject } from '../documents/json';
import { CARRIER_LOCAL, type NumberRecord } from '../documents/types';
import type { ProviderContext } from './provider';

export function numberNoticeFields(record: NumberRecord, context: ProviderContext): JsonObject {
  const fields: JsonObject = {
    'Number-State': record.state ?? null,
    'Local-Number': record.moduleName === CARRIER_LOCAL,
    Number: context.prettyPrint?.(record.number) ?? record.number,
  };
  if (record.assignedTo !== undefined) fields['Account-ID'] = record.assignedTo;
  return fields;
}
