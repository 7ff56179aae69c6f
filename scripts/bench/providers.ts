/**
 * What the feature providers cost the changes pipeline, against the raw store doing the same I/O in the same run:
 *  - catch-up over numbers Kazoo saved with CNAM already provisioned (the providers run on first sight, find
 *    nothing to do and write nothing), as a ratio to reading the same `_changes` with documents;
 *  - CNAM names written by a tool (`cnam.display_name` changed, `pvt_features` not): each number's providers
 *    run, its `outbound_cnam` is written back and one `cnam_request` notice recorded, as a ratio to the raw
 *    store taking the same edits, reading them back and making the same two PUTs per number (16 at a time).
 */
import { performance } from 'node:perf_hooks';
import { defer, from, lastValueFrom, mergeMap } from 'rxjs';
import { startPipeline, type Pipeline } from '../../src/pipeline/pipeline';
import { NOTIFICATIONS_DB } from '../../src/providers/notifications';
import { connectStore } from '../../src/store/client';
import { loadDesignDocs } from '../../src/store/design-docs';
import type { CouchDoc } from '../../src/store/types';
import { systemClock } from '../../src/time';
import { benchNumberDoc, storeInChild } from './child-store';
import type { BenchSection } from './index';
import { createDbs, dbsFrom, editAll, numbersOf, readAllChanges, until } from './pipeline';

const DBS = 10;
const ACCOUNT = 'account0000000000000000000000002';

/** An in-service number held by an account, with a CNAM request and, when `provisioned`, the feature Kazoo's save gave it. */
function cnamDoc(number: string, name: string, provisioned: boolean, now: number): CouchDoc {
  return {
    ...benchNumberDoc(number, 'in_service', now),
    pvt_assigned_to: ACCOUNT,
    cnam: { display_name: name },
    ...(provisioned ? { pvt_features: { outbound_cnam: { display_name: name } } } : {}),
  };
}

export const providersSection: BenchSection = {
  name: 'providers',
  async run(print) {
    const server = await storeInChild();
    const store = connectStore({ url: server.url });
    const designDocs = await loadDesignDocs();
    const now = systemClock();
    let pipeline: Pipeline | undefined;
    try {
      const dbs = dbsFrom(300, DBS);
      const rawDbs = dbsFrom(400, DBS);
      const total = DBS * numbersOf(dbs[0]).length;
      print(`embedded store (in memory) in a child process; ${DBS} number databases, ${total.toLocaleString('en-US')} in-service numbers with CNAM`);

      // The raw store first, before any pipeline follows its databases.
      await createDbs(store, designDocs, rawDbs);
      const rawRevs = new Map<string, string>();
      await editAll(store, rawDbs, rawRevs, (number) => cnamDoc(number, 'KAZOO', true, now));
      let start = performance.now();
      await readAllChanges(store, rawDbs, 8);
      const rawReadSeconds = (performance.now() - start) / 1000;
      start = performance.now();
      await editAll(store, rawDbs, rawRevs, (number) => ({ ...cnamDoc(number, 'ACME', false, now), pvt_features: { outbound_cnam: { display_name: 'KAZOO' } } }));
      await readAllChanges(store, rawDbs, 8);
      await store.createDb('bench_raw_notices');
      await lastValueFrom(
        from(rawDbs.flatMap((db) => numbersOf(db).map((number) => [db, number] as const))).pipe(
          mergeMap(([db, number]) => defer(async () => {
            await store.put(db, { ...cnamDoc(number, 'ACME', true, now), _rev: rawRevs.get(number) });
            await store.put('bench_raw_notices', { _id: `notice:cnam_request:${number}`, payload: { Cnam: { display_name: 'ACME' } } });
          }), 16),
        ),
      );
      const rawWriteBackSeconds = (performance.now() - start) / 1000;
      for (const db of [...rawDbs, 'bench_raw_notices']) await store.deleteDb(db);

      // The same numbers as Kazoo saved them, caught up by a pipeline without providers, then by one with them.
      await createDbs(store, designDocs, dbs);
      const revs = new Map<string, string>();
      await editAll(store, dbs, revs, (number) => cnamDoc(number, 'KAZOO', true, now));
      const catchUp = async (withProviders: boolean): Promise<{ seconds: number; pipeline: Pipeline }> => {
        await store.deleteDb('knm_pipeline');
        const began = performance.now();
        const started = await startPipeline({ store, designDocs, dbUpdatesLongpollMs: 1_000, env: {}, ...(withProviders ? {} : { providers: () => undefined }) });
        await until('the catch-up', () => started.metrics.total('knm_pipeline_changes_processed_total') >= total);
        await started.idle();
        return { seconds: (performance.now() - began) / 1000, pipeline: started };
      };
      const bare = await catchUp(false);
      await bare.pipeline.stop();
      const full = await catchUp(true);
      pipeline = full.pipeline;
      const running = full.pipeline;
      print(
        `catch-up over numbers Kazoo saved: ${full.seconds.toFixed(2)} s with providers (${Math.round(total / full.seconds).toLocaleString('en-US')}/s, ` +
          `${running.metrics.value('knm_pipeline_reactions_total', { kind: 'provider' })} written back), ${bare.seconds.toFixed(2)} s without; ` +
          `raw _changes read ${rawReadSeconds.toFixed(2)} s: ratio ${(rawReadSeconds / full.seconds).toFixed(2)} (${(rawReadSeconds / bare.seconds).toFixed(2)} without providers)`,
      );

      start = performance.now();
      await editAll(store, dbs, revs, (number) => ({ ...cnamDoc(number, 'ACME', false, now), pvt_features: { outbound_cnam: { display_name: 'KAZOO' } } }));
      await until('every CNAM written back', () => running.metrics.value('knm_pipeline_reactions_total', { kind: 'provider' }) >= total);
      const providersSeconds = (performance.now() - start) / 1000;
      // doc_count less the database's one design document
      const notices = (await store.dbInfo(NOTIFICATIONS_DB)).doc_count - 1;
      print(
        `CNAM names written by a tool: ${total.toLocaleString('en-US')} providers' saves written back with ${notices.toLocaleString('en-US')} cnam_request notices in ${providersSeconds.toFixed(2)} s ` +
          `(${Math.round(total / providersSeconds).toLocaleString('en-US')}/s); raw store doing the same I/O ${rawWriteBackSeconds.toFixed(2)} s: ratio ${(rawWriteBackSeconds / providersSeconds).toFixed(2)}`,
      );
    } finally {
      await pipeline?.stop();
      server.child.kill('SIGTERM');
    }
  },
};
