/**
 * The number document codec on its own (no I/O): how many documents per second knm reads (with the
 * 4.3 upgrade), decides whether to write, and serializes. Two shapes: an up-to-date 4.3 document (the
 * common case, nothing to write) and a v3 document (list features, wnm_ module, legacy e911 copy).
 */
import { performance } from 'node:perf_hooks';
import { readNumberDocument, ReadContext } from '../../src/documents/read';
import { needsWrite, writeNumberDocument } from '../../src/documents/write';
import type { BenchSection } from './index';

const COUNT = 50_000;
const NOW = 63990000000;
const ACCOUNT = '0123456789abcdef0123456789abcdef';

const context: ReadContext = {
  now: NOW,
  normalize: (number) => (number.startsWith('+') ? number : `+${number}`),
  availableModuleName: 'knm_local',
};

function modernDoc(index: number): Record<string, unknown> {
  const number = `+1415${String(5550000 + index).padStart(7, '0')}`;
  return {
    _id: number,
    _rev: '3-7dd6a1523e81a4e3c2689140ed3a8e69',
    pvt_db_name: 'numbers%2F%2B1415',
    pvt_state: 'in_service',
    pvt_ported_in: false,
    pvt_module_name: 'knm_vitelity',
    pvt_modified: 63565911000,
    pvt_created: 63565911000,
    pvt_type: 'number',
    cnam: { display_name: 'Rose Bud', inbound_lookup: true },
    pvt_assigned_to: ACCOUNT,
    pvt_used_by: 'callflow',
    pvt_features: { inbound_cnam: { inbound_lookup: true }, outbound_cnam: { display_name: 'Rose Bud' } },
    pvt_reserve_history: [ACCOUNT],
  };
}

function v3Doc(index: number): Record<string, unknown> {
  return {
    _id: `+1415${String(5550000 + index).padStart(7, '0')}`,
    _rev: '7-aaa',
    pvt_number_state: 'in_service',
    pvt_module_name: 'wnm_bandwidth',
    pvt_module_data: { order_id: '123' },
    pvt_features: ['inbound_cnam', 'outbound_cnam', 'dash_e911', 'failover'],
    cnam: { display_name: 'ACME', inbound_lookup: true },
    dash_e911: { street_address: '1 Main', locality: 'SF', region: 'CA', postal_code: '94108' },
    failover: { e164: '+14155550199' },
    pvt_assigned_to: ACCOUNT,
    pvt_reserve_history: [ACCOUNT],
    pvt_authorizing_account: ACCOUNT,
    pvt_db_name: 'numbers%2F%2B1415',
    pvt_created: 63500000000,
    pvt_modified: 63500000100,
    used_by: 'callflow',
    pvt_type: 'number',
  };
}

function measure(print: (line: string) => void, label: string, docs: Record<string, unknown>[]): void {
  let start = performance.now();
  const results = docs.map((doc) => readNumberDocument(doc, context));
  const readMs = performance.now() - start;

  start = performance.now();
  const toWrite = results.filter((result) => needsWrite(result));
  const decideMs = performance.now() - start;

  start = performance.now();
  for (const result of results) writeNumberDocument(result.record, { now: NOW });
  const writeMs = performance.now() - start;

  const rate = (ms: number): string => `${Math.round((docs.length / ms) * 1000).toLocaleString('en-US')} docs/s`;
  print(`${label}: read ${rate(readMs)}, needsWrite ${rate(decideMs)} (${toWrite.length} to write), serialize ${rate(writeMs)}`);
}

export const documentsSection: BenchSection = {
  name: 'documents',
  async run(print) {
    const modern = Array.from({ length: COUNT }, (_, index) => modernDoc(index));
    const legacy = Array.from({ length: COUNT }, (_, index) => v3Doc(index));
    measure(print, 'warm-up, 5,000 4.3 docs', modern.slice(0, 5000));
    measure(print, `${COUNT.toLocaleString('en-US')} 4.3 docs`, modern);
    measure(print, `${COUNT.toLocaleString('en-US')} v3 docs`, legacy);
  },
};
