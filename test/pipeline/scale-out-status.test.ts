import { expect } from 'chai';
import { numbersStatus } from '../../src/maintenance/status';
import { silentLogger } from '../../src/pipeline/log';
import { openLeases } from '../../src/pipeline/leases/leases';
import { connectStore } from '../../src/store/client';
import { bootstrap } from '../../src/store/bootstrap';
import { loadDesignDocs } from '../../src/store/design-docs';
import { startEmbeddedServer } from '../../src/store/embedded';
import { gregorianFromUnixMs } from '../../src/time';
import { fixtureDoc, http, kazooWrite } from './harness';

describe('knm status with workers', function () {
  this.timeout(30_000);

  it('lists each worker with its leases and the lag of each leased database from the lease checkpoint', async function () {
    const server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    try {
      const store = connectStore({ url: server.url, retryBaseMs: 20 });
      await kazooWrite(server.url, '+14122065197', () => fixtureDoc('+14122065197'));
      await bootstrap({ store, target: { url: server.url }, library: await loadDesignDocs(), now: gregorianFromUnixMs(Date.now()) });
      const db = 'numbers/+1412';
      const leases = await openLeases({ store, workerId: 'worker-a', host: 'box', pid: 42, leaseMs: 10_000, logger: silentLogger });
      leases.start({ dbs: () => [db], busy: () => false, gained: () => undefined });
      await leases.round();

      // Nothing checkpointed yet: the whole feed is lag (the number and knm's design documents).
      let status = await numbersStatus(store);
      expect(status.failures).to.deep.equal([]);
      const everything = (await http(server.url, 'GET', `/${encodeURIComponent(db)}/_changes`)).body.results as unknown[];
      expect(status.workers).to.have.length(1);
      const worker = status.workers?.[0];
      expect(worker).to.include({ id: 'worker-a', host: 'box', pid: 42, alive: true });
      expect(worker?.leases).to.deep.equal([{ db, lagChanges: everything.length }]);
      expect(status.unleased).to.include('numbers/managed');
      expect(status.unleased).to.not.include(db);

      // The checkpoint in the lease is where the lag is counted from.
      const feed = await http(server.url, 'GET', `/${encodeURIComponent(db)}/_changes`);
      leases.noteCheckpoint(db, String(feed.body.last_seq));
      await leases.round();
      status = await numbersStatus(store);
      expect(status.workers?.[0].leases).to.deep.equal([{ db, lagChanges: 0 }]);
      leases.kill();
    } finally {
      await server.close();
    }
  });
});
