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

async function writeRate(store: Store, db: string, prefix: string): Promise<number> {
  const started = performance.now();
  for (let offset = 0; offset < WRITE_DOCS; offset += BATCH) {
    const docs = Array.from({ length: BATCH }, (_, i) => numberDoc(prefix, offset + i));
    const results = await store.bulkDocs(db, docs);
    if (results.some((result) => !result.ok)) throw new Error(`bench: a write into ${db} was refused`);
  }
  return WRITE_DOCS / ((performance.now() - started) / 1000);
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
      // Two number databases, one without any design document (raw store), one as knm deploys it.
      await store.createDb('numbers/+1212');
      await store.createDb('numbers/+1415');
      await deployDesignDocs(store, 'numbers/+1415', library.forDb('numbers/+1415'));
      await store.createDb('numbers/+1999');
      await writeRate(store, 'numbers/+1999', '+1999'); // warm-up: JIT and server caches, not measured
      const raw = await writeRate(store, 'numbers/+1212', '+1212');
      const validated = await writeRate(store, 'numbers/+1415', '+1415');
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
