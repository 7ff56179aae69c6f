import { expect } from 'chai';
import { silentLogger } from '../../src/pipeline/log';
import { leaseDocId, openLeases, readWorkersDb, WORKERS_DB, type LeaseHooks, type Leases } from '../../src/pipeline/leases/leases';
import { connectStore, type Store } from '../../src/store/client';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';

const LEASE_MS = 3_000;
const dbs = Array.from({ length: 9 }, (_, index) => `numbers/+1${500 + index}`);

describe('leases in knm_workers, against the embedded server', function () {
  this.timeout(30_000);
  let server: EmbeddedServer;
  let store: Store;
  let clock: number;
  const gained: string[] = [];
  const busy = new Set<string>();
  const hooks = (who: string): LeaseHooks => ({ dbs: () => dbs, busy: (db) => busy.has(db), gained: (db) => gained.push(`${who}:${db}`) });
  const open = (id: string): Promise<Leases> => openLeases({ store, workerId: id, host: 'test', pid: 1, leaseMs: LEASE_MS, now: () => clock, logger: silentLogger });
  const owned = (leases: Leases): string[] => dbs.filter((db) => leases.holds(db));

  beforeEach(async function () {
    server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    store = connectStore({ url: server.url, retryBaseMs: 20 });
    clock = 1_700_000_000_000;
    gained.length = 0;
    busy.clear();
  });
  afterEach(async function () {
    await server.close();
  });

  it('one worker takes every database; a second one joins and gets half; each database held by exactly one', async function () {
    const a = await open('a');
    a.start(hooks('a'));
    await a.round();
    expect(owned(a)).to.have.length(9);
    expect(gained.filter((entry) => entry.startsWith('a:'))).to.have.length(9);

    const b = await open('b');
    b.start(hooks('b'));
    await b.round(); // b sees a as alive: share 5, nothing free yet
    await a.round(); // a gives up 4
    await b.round(); // b takes them
    expect(owned(a)).to.have.length(5);
    expect(owned(b)).to.have.length(4);
    expect(owned(a).filter((db) => owned(b).includes(db))).to.deep.equal([]);
    const listing = await readWorkersDb(store);
    expect([...listing.workers.keys()].sort()).to.deep.equal(['a', 'b']);
    expect([...listing.leases.values()].filter((lease) => lease.owner === 'b')).to.have.length(4);
    a.kill();
    b.kill();
  });

  it('a release waits for the batch in hand; the checkpoint travels with the lease', async function () {
    const a = await open('a');
    a.start(hooks('a'));
    await a.round();
    for (const db of dbs) a.noteCheckpoint(db, `seq-of-${db}`);
    for (const db of dbs) busy.add(db);
    const b = await open('b');
    b.start(hooks('b'));
    await b.round();
    await a.round();
    // a must give up 4; those it is still reading stay its own (renewed) but are not read any more
    const releasing = a.held().filter((lease) => lease.releasing).map((lease) => lease.db);
    expect(releasing).to.have.length(4);
    for (const db of releasing) expect(a.holds(db)).to.equal(false);
    busy.clear();
    await a.round();
    await b.round();
    expect(owned(b)).to.have.length(4);
    for (const db of owned(b)) expect(b.checkpoint(db)).to.equal(`seq-of-${db}`);
    a.kill();
    b.kill();
  });

  it('a worker that stops renewing stops reading before the others may take over, then loses everything to them', async function () {
    const a = await open('a');
    a.start(hooks('a'));
    await a.round();
    for (const db of dbs) a.noteCheckpoint(db, `a-${db}`);
    await a.round();
    a.kill(); // no more renewals; leases expire at +3 s, free at +4 s (margin 1 s)

    const b = await open('b');
    b.start(hooks('b'));
    clock += 2_100;
    await b.round();
    expect(owned(b)).to.have.length(0);
    clock += 1_000;
    await b.round();
    expect(owned(b), 'expired, but within the margin').to.have.length(0);
    clock += 1_000;
    await b.round();
    expect(owned(b)).to.have.length(9);
    for (const db of dbs) expect(b.checkpoint(db)).to.equal(`a-${db}`);
    b.kill();
  });

  it('its own renewal overdue: stops reading, and resumes when the renewal goes through', async function () {
    const a = await open('a');
    a.start(hooks('a'));
    await a.round();
    clock += 2_001;
    expect(owned(a)).to.have.length(0);
    gained.length = 0;
    await a.round();
    expect(owned(a)).to.have.length(9);
    expect(gained).to.have.length(9);
    a.kill();
  });

  it('leases that lapse while a late round runs: the databases are woken once the renewal lands', async function () {
    const a = await open('a');
    let slowRound = false;
    a.start({ ...hooks('a'), dbs: () => {
      // The clock moves on in the middle of the round, as when the worker's event loop is starved.
      if (slowRound) clock += 100;
      slowRound = false;
      return dbs;
    } });
    await a.round();
    gained.length = 0;
    // Held for 2/3 of the 3 s period: still held when the round starts (1.95 s), no longer 100 ms into it.
    clock += 1_950;
    slowRound = true;
    await a.round();
    expect(owned(a), 'held again after the renewal').to.have.length(9);
    expect(gained, 'the pipeline stopped reading them during the round: woken again').to.have.length(9);
    a.kill();
  });

  it('a lease taken by someone else under MVCC is lost at the next round', async function () {
    const a = await open('a');
    a.start(hooks('a'));
    await a.round();
    const doc = await store.get(WORKERS_DB, leaseDocId(dbs[0]));
    await store.put(WORKERS_DB, { ...doc, owner: 'intruder' });
    await a.round();
    expect(a.holds(dbs[0])).to.equal(false);
    expect(owned(a)).to.have.length(8);
    a.kill();
  });

  it('stop releases every lease with its checkpoint and removes the heartbeat', async function () {
    const a = await open('a');
    a.start(hooks('a'));
    await a.round();
    a.noteCheckpoint(dbs[0], 'last');
    await a.stop();
    const listing = await readWorkersDb(store);
    expect(listing.workers.size).to.equal(0);
    expect([...listing.leases.values()].every((lease) => lease.owner === null)).to.equal(true);
    expect(listing.leases.get(dbs[0])?.checkpoint).to.equal('last');
    const b = await open('b');
    b.start(hooks('b'));
    await b.round();
    expect(owned(b)).to.have.length(9);
    b.kill();
  });
});
