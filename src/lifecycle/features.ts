/**
 * Which active features a number keeps in which state (states.md §4, number-document.md §7): each provider
 * acts only in its states and removes its feature elsewhere. Turning requests into features (provisioning
 * e911, telling a CNAM provider) is the providers' work; this is the part every save does regardless.
 */
import type { JsonObject } from '../documents/json';
import type { NumberRecord, NumberState } from '../documents/types';

const IN_SERVICE_ONLY: readonly NumberState[] = ['in_service'];
const HELD: readonly NumberState[] = ['reserved', 'in_service', 'port_in'];

/** Feature → the states its provider keeps it in. Features not listed are left alone. */
const KEPT_IN: Readonly<Record<string, readonly NumberState[]>> = {
  prepend: IN_SERVICE_ONLY, // knm_prepend
  failover: IN_SERVICE_ONLY, // knm_failover
  force_outbound: IN_SERVICE_ONLY, // knm_force_outbound
  sms: IN_SERVICE_ONLY, // knm_im
  mms: IN_SERVICE_ONLY, // knm_im
  e911: HELD, // knm_dash_e911, knm_telnyx_e911, knm_vitelity_e911
  inbound_cnam: HELD, // knm_cnam_notifier and the other cnam providers
  outbound_cnam: HELD,
};

/** `im` is deleted on every save (deprecated, knm_providers:save/1); legacy `cnam` is always removed. */
const ALWAYS_REMOVED: ReadonlySet<string> = new Set(['im', 'cnam']);

export function featuresForState(record: NumberRecord): NumberRecord {
  const kept: JsonObject = {};
  let removed = false;
  for (const [name, settings] of Object.entries(record.features)) {
    const states = KEPT_IN[name];
    const keep = !ALWAYS_REMOVED.has(name) && (states === undefined || (record.state !== undefined && states.includes(record.state)));
    if (keep) kept[name] = settings;
    else removed = true;
  }
  return removed ? { ...record, features: kept } : record;
}
