/**
 * What the design documents cost: validate_doc_update on its own (node vm, no I/O), the write throughput of
 * `_bulk_docs` into a number database with and without knm's validation (embedded server, same run), and
 * how long a refresh of many number databases takes when everything is current (one `_all_docs` read each).
 */
import { performance } from 'node:perf_hooks';
import vm from 'node:vm';
import { bootstrap, deployDesignDocs, refreshNumberDbs } from '../../src/store/bootstrap';
import { connectStore, type Store } from '../../src/store/client';
import { loadDesignDocs, VALIDATE_DESIGN_DOC, type DesignDocLibrary } from '../../src/store/design-docs';
import { startEmbeddedServer } from '../../src/store/embedded';
import type { BenchSection } from './index';

const VM_CALLS = 200_000;
const WRITE_DOCS = 5_000;
const BATCH = 500;
const REFRESH_DBS = 200;
const ACCOUNT = '0123456789abcdef0123456789abcdef';

function numberDoc(prefix: string, index: number): Record<string, unknown> & { _id: string } {
  return {
    _id: `${prefix}${String(index).padStart(7, '0')}`,
    pvt_type: 'number',
    pvt_db_name: `numbers%2F${encodeURIComponent(prefix)}`,
    pvt_state: 'in_service',
    pvt_module_name: 'knm_local',
    pvt_ported_in: false,
    pvt_created: 63900000000,
    pvt_modified: 63900000000,
    pvt_assigned_to: ACCOUNT,
    pvt_reserve_history: [ACCOUNT],
    pvt_features: { local: {} },
    pvt_used_by: 'callflow',
  };
}

function validateInVm(library: DesignDocLibrary, print: (line: string) => void): void {
  const source = library.docs.find(({ doc }) => doc._id === VALIDATE_DESIGN_DOC)?.doc.validate_doc_update as string;
  const validate = vm.runInNewContext(`(${source})`, {}) as (n: unknown, o: unknown, u: unknown, s: unknown) => void;
  const userCtx = { db: 'numbers/+1415', name: null, roles: ['_admin'] };
  const fresh = numberDoc('+1415', 1);
  const update = { ...fresh, pvt_state: 'reserved' };
  const started = performance.now();
  for (let i = 0; i < VM_CALLS; i += 1) validate(i % 2 === 0 ? fresh : update, i % 2 === 0 ? null : fresh, userCtx, {});
  const seconds = (performance.now() - started) / 1000;
  print(`validate_doc_update in node: ${Math.round(VM_CALLS / seconds).toLocaleString('en')} calls/s (${((seconds / VM_CALLS) * 1e6).toFixed(2)} µs each)`);
}

async function writeRate(store: Store, db: string, prefix: string, docs: number, batch: number): Promise<number> {
  const started = performance.now();
  for (let offset = 0; offset < docs; offset += batch) {
    const batchDocs = Array.from({ length: Math.min(batch, docs - offset) }, (_, i) => numberDoc(prefix, offset + i));
    const results = await store.bulkDocs(db, batchDocs);
    if (results.some((result) => !result.ok)) throw new Error(`bench: a write into ${db} was refused`);
  }
  return docs / ((performance.now() - started) / 1000);
}

export interface ValidatedWriteRates {
  /** docs/s into a number database without design documents. */
  raw: number;
  /** docs/s into a number database with knm's design documents (validate_doc_update on every write). */
  validated: number;
}

/**
 * `_bulk_docs` throughput into number databases with and without knm's design documents, on a store already
 * bootstrapped with `library`; `areaCode` names three fresh databases (warm-up, raw, validated).
 */
export async function measureValidatedWriteRate(store: Store, library: DesignDocLibrary, options: { docs: number; batch: number; areaCode: number }): Promise<ValidatedWriteRates> {
  const [warm, raw, validated] = [0, 1, 2].map((i) => `+${options.areaCode + i}`);
  for (const prefix of [warm, raw, validated]) await store.createDb(`numbers/${prefix}`);
  await deployDesignDocs(store, `numbers/${validated}`, library.forDb(`numbers/${validated}`));
  await writeRate(store, `numbers/${warm}`, warm, options.docs, options.batch); // warm-up: JIT and server caches, not measured
  return {
    raw: await writeRate(store, `numbers/${raw}`, raw, options.docs, options.batch),
    validated: await writeRate(store, `numbers/${validated}`, validated, options.docs, options.batch),
  };
}

export const designDocsSection: BenchSection = {
  name: 'design-docs',
  async run(print) {
    const library = await loadDesignDocs();
    validateInVm(library, print);

    const server = await startEmbeddedServer({ inMemory: true, port: 0, log: () => undefined });
    try {
      const store = connectStore({ url: server.url });
      await bootstrap({ store, target: { url: server.url }, library, now: 63900000000 });
      const { raw, validated } = await measureValidatedWriteRate(store, library, { docs: WRITE_DOCS, batch: BATCH, areaCode: 1212 });
      print(`_bulk_docs (${WRITE_DOCS} docs, batches of ${BATCH}): raw ${Math.round(raw)} docs/s, with knm's design documents ${Math.round(validated)} docs/s (${(validated / raw).toFixed(2)}× raw)`);

      for (let i = 0; i < REFRESH_DBS; i += 1) await store.createDb(`numbers/+${String(3000 + i)}`);
      let started = performance.now();
      const first = await refreshNumberDbs({ store, library });
      const firstMs = performance.now() - started;
      started = performance.now();
      const again = await refreshNumberDbs({ store, library });
      const againMs = performance.now() - started;
      const written = (report: typeof first): number => report.designDocs.reduce((sum, { written: ids }) => sum + ids.length, 0);
      print(`refresh-numbers-dbs over ${again.designDocs.length} number databases: first deploy ${Math.round(firstMs)} ms (${written(first)} design documents written), unchanged ${Math.round(againMs)} ms (${(againMs / again.designDocs.length).toFixed(1)} ms per database, ${written(again)} written)`);
    } finally {
      await server.close();
    }
  },
};
