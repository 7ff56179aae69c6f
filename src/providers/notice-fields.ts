/**
 * A notice about one number as Kazoo's providers publish it (knm_cnam_notifier, knm_port_notifier): the
 * fields every one starts with (`Account-ID`, `Number-State`, `Local-Number`, `Number`), then its own.
 */
import type { JsonObject, JsonValue } from '../documents/json';
import { CARRIER_LOCAL, type NumberRecord } from '../documents/types';
import type { Notice, ProviderContext } from './provider';

export function numberNotice(kind: string, record: NumberRecord, context: ProviderContext, fields: JsonObject, supersedes?: JsonValue): Notice {
  const notice: Notice = { kind, number: record.number, accountId: record.assignedTo, payload: { ...numberNoticeFields(record, context), ...fields } };
  return supersedes === undefined ? notice : { ...notice, supersedes };
}

function numberNoticeFields(record: NumberRecord, context: ProviderContext): JsonObject {
  const fields: JsonObject = {
    'Number-State': record.state ?? null,
    'Local-Number': record.moduleName === CARRIER_LOCAL,
    Number: context.prettyPrint?.(record.number) ?? record.number,
  };
  if (record.assignedTo !== undefined) fields['Account-ID'] = record.assignedTo;
  return fields;
}
