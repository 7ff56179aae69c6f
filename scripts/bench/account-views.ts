/**
 * What Kazoo's account `_design/numbers` costs (issue 7), against the raw store in the same run: a refresh of many
 * account databases when everything is current, beside reading each one's design document with `_all_docs`; and a
 * knm_reserved search through `numbers/list_reserved` (view warm), beside fetching the same documents by id.
 */
import { performance } from 'node:perf_hooks';
import { knmReserved } from '../../src/carriers/knm_reserved';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { accountDbName } from '../../src/numbers/db-names';
import { bootstrap, refreshAccountDbs } from '../../src/store/bootstrap';
import { connectStore } from '../../src/store/client';
import { loadDesignDocs } from '../../src/store/design-docs';
import { startEmbeddedServer } from '../../src/store/embedded';
import type { BenchSection } from './index';

const ACCOUNT_DBS = 200;
const CONCURRENCY = 8;
const NUMBERS = 5_000;
const SEARCHES = 200;
const PAGE = 20;
const NOW = 63900000000;

function accountId(index: number): string {
  return `bench${String(index).padStart(27, '0')}`;
}

async function eachEight<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
  for (let at = 0; at < items.length; at += CONCURRENCY) await Promise.all(items.slice(at, at + CONCURRENCY).map(work));
}

export const accountViewsSection: BenchSection = {
  name: 'account-views',
  async run(print) {
    const library = await loadDesignDocs();
    const { classifiers } = defaultNumberManagerConfig();
    const server = await startEmbeddedServer({ inMemory: true, port: 0, log: () => undefined });
    try {
      const store = connectStore({ url: server.url });
      await bootstrap({ store, target: { url: server.url }, library, now: NOW });
      const dbs = Array.from({ length: ACCOUNT_DBS }, (_, i) => accountDbName(accountId(i)));
      for (const db of dbs) await store.createDb(db);
      await refreshAccountDbs({ store, library, classifiers, concurrency: CONCURRENCY });

      let started = performance.now();
      await eachEight(dbs, (db) => store.getMany(db, ['_design/numbers']));
      const rawMs = performance.now() - started;
      started = performance.now();
      const again = await refreshAccountDbs({ store, library, classifiers, concurrency: CONCURRENCY });
      const refreshMs = performance.now() - started;
      const written = again.designDocs.reduce((sum, { written: ids }) => sum + ids.length, 0);
      print(
        `refresh of ${ACCOUNT_DBS} current account databases: ${(refreshMs / ACCOUNT_DBS).toFixed(2)} ms each (${written} written), raw _all_docs read ${(rawMs / ACCOUNT_DBS).toFixed(2)} ms each (${(refreshMs / rawMs).toFixed(2)}× raw)`,
      );

      const holder = accountId(0);
      const db = accountDbName(holder);
      const numbers = Array.from({ length: NUMBERS }, (_, i) => `+1415${String(i).padStart(7, '0')}`);
      for (let at = 0; at < NUMBERS; at += 1000) {
        await store.bulkDocs(
          db,
          numbers.slice(at, at + 1000).map((number, i) => ({ _id: number, pvt_type: 'number', pvt_state: (at + i) % 5 === 0 ? 'reserved' : 'in_service', pvt_module_name: 'knm_local', pvt_assigned_to: holder })),
        );
      }
      const options = { prefix: '415', normalizedPrefix: '+1415', country: 'US', dialcode: '+1', offset: 0, accountId: holder };
      const context = { store, now: NOW, authBy: holder };
      started = performance.now();
      await knmReserved.findNumbers!('+1415', PAGE, options, context);
      const buildMs = performance.now() - started;
      started = performance.now();
      for (let i = 0; i < SEARCHES; i += 1) await knmReserved.findNumbers!(`+1415${String(i % 10)}`, PAGE, options, context);
      const searchMs = (performance.now() - started) / SEARCHES;
      const sample = numbers.filter((_, i) => i % 5 === 0).slice(0, PAGE);
      started = performance.now();
      for (let i = 0; i < SEARCHES; i += 1) await store.getMany(db, sample);
      const fetchMs = (performance.now() - started) / SEARCHES;
      print(
        `knm_reserved search (${NUMBERS} copies, ${NUMBERS / 5} reserved, page of ${PAGE}): first ${Math.round(buildMs)} ms (view build), then ${searchMs.toFixed(2)} ms; raw _all_docs of ${PAGE} ids ${fetchMs.toFixed(2)} ms (${(searchMs / fetchMs).toFixed(2)}× raw)`,
      );
    } finally {
      await server.close();
    }
  },
};
