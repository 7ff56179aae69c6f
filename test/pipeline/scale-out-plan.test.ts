import { expect } from 'chai';
import { planLeases, type LeaseView, type WorkerView } from '../../src/pipeline/leases/plan';

const NOW = 1_700_000_000_000;
const MARGIN = 500;
const dbs = (count: number): string[] => Array.from({ length: count }, (_, index) => `numbers/+1${String(400 + index)}`);
const alive = (id: string): WorkerView => ({ id, expires: NOW + 1_000 });
const lease = (db: string, owner: string | null, expires = NOW + 1_000): LeaseView => ({ db, owner, expires });

interface Row {
  what: string;
  workers: WorkerView[];
  leases: LeaseView[];
  dbs: string[];
  expect: { take?: number; takeOnly?: string[]; renew?: string[]; release?: string[]; share: number; live?: string[] };
}

const ten = dbs(10);
const rows: Row[] = [
  { what: 'alone with no leases: takes every database', workers: [], leases: [], dbs: ten, expect: { take: 10, renew: [], release: [], share: 10, live: ['w1'] } },
  { what: 'no databases: nothing to do', workers: [alive('w2')], leases: [], dbs: [], expect: { take: 0, renew: [], release: [], share: 0 } },
  {
    what: 'two live workers: takes half',
    workers: [alive('w1'), alive('w2')],
    leases: [],
    dbs: ten,
    expect: { take: 5, renew: [], release: [], share: 5, live: ['w1', 'w2'] },
  },
  {
    what: 'three workers, ten databases: share is ceil(10/3) = 4',
    workers: [alive('w2'), alive('w3')],
    leases: [],
    dbs: ten,
    expect: { take: 4, share: 4, live: ['w1', 'w2', 'w3'] },
  },
  {
    what: 'a lease held by a live other worker is not free',
    workers: [alive('w2')],
    leases: ten.slice(0, 5).map((db) => lease(db, 'w2')),
    dbs: ten,
    expect: { take: 5, takeOnly: ten.slice(5), share: 5 },
  },
  {
    what: 'an expired lease is still not free within the margin',
    workers: [],
    leases: [lease(ten[0], 'w2', NOW - MARGIN + 1)],
    dbs: ten.slice(0, 1),
    expect: { take: 0, renew: [], share: 1 },
  },
  {
    what: 'an expired lease is free once the margin has passed',
    workers: [],
    leases: [lease(ten[0], 'w2', NOW - MARGIN)],
    dbs: ten.slice(0, 1),
    expect: { takeOnly: [ten[0]], share: 1 },
  },
  {
    what: 'a released lease (owner null) is free at once',
    workers: [alive('w2')],
    leases: [lease(ten[0], null), lease(ten[1], 'w2')],
    dbs: ten.slice(0, 2),
    expect: { takeOnly: [ten[0]], share: 1 },
  },
  {
    what: 'a dead worker (heartbeat expired beyond the margin) does not count toward the share',
    workers: [{ id: 'w2', expires: NOW - MARGIN - 1 }],
    leases: [],
    dbs: ten,
    expect: { take: 10, share: 10, live: ['w1'] },
  },
  {
    what: 'a worker whose heartbeat just expired still counts within the margin',
    workers: [{ id: 'w2', expires: NOW - 1 }],
    leases: [],
    dbs: ten,
    expect: { take: 5, share: 5, live: ['w1', 'w2'] },
  },
  {
    what: 'its own leases are renewed even past their expiry (the revision decides)',
    workers: [alive('w2')],
    leases: [lease(ten[0], 'w1', NOW - 10_000), lease(ten[1], 'w2')],
    dbs: ten.slice(0, 2),
    expect: { take: 0, renew: [ten[0]], release: [], share: 1 },
  },
  {
    what: 'a worker joins: the holder of everything gives up the excess',
    workers: [alive('w2')],
    leases: ten.map((db) => lease(db, 'w1')),
    dbs: ten,
    expect: { take: 0, share: 5 },
  },
  {
    what: 'a database that is gone is released',
    workers: [],
    leases: [lease('numbers/+1999', 'w1')],
    dbs: ten.slice(0, 1),
    expect: { take: 1, renew: [], release: ['numbers/+1999'], share: 1 },
  },
];

describe('planLeases', function () {
  for (const row of rows) {
    it(row.what, function () {
      const plan = planLeases(NOW, 'w1', row.workers, row.leases, row.dbs, MARGIN);
      if (row.expect.take !== undefined) expect(plan.take).to.have.length(row.expect.take);
      if (row.expect.takeOnly !== undefined) expect([...plan.take].sort()).to.deep.equal([...row.expect.takeOnly].sort());
      if (row.expect.renew !== undefined) expect(plan.renew).to.deep.equal(row.expect.renew);
      if (row.expect.release !== undefined) expect(plan.release).to.deep.equal(row.expect.release);
      if (row.expect.live !== undefined) expect(plan.liveWorkers).to.deep.equal(row.expect.live);
      expect(plan.share).to.equal(row.expect.share);
      expect(plan.renew.length + plan.take.length).to.be.at.most(plan.share);
    });
  }

  it('a worker joining: the holder keeps exactly its share and releases the rest', function () {
    const plan = planLeases(NOW, 'w1', [alive('w2')], ten.map((db) => lease(db, 'w1')), ten, MARGIN);
    expect(plan.renew).to.have.length(5);
    expect(plan.release).to.have.length(5);
    expect([...plan.renew, ...plan.release].sort()).to.deep.equal([...ten].sort());
  });

  it('converges: three workers deciding in turn over 100 databases end balanced, each database held once', function () {
    const many = dbs(100);
    const ids = ['w1', 'w2', 'w3'];
    let held = new Map<string, string | null>();
    for (let round = 0; round < 4; round += 1) {
      for (const me of ids) {
        const plan = planLeases(NOW, me, ids.map(alive), [...held].map(([db, owner]) => lease(db, owner)), many, MARGIN);
        for (const db of plan.release) held.set(db, null);
        for (const db of plan.take) held.set(db, me);
      }
    }
    const counts = ids.map((id) => [...held.values()].filter((owner) => owner === id).length);
    expect(counts.reduce((sum, count) => sum + count, 0)).to.equal(100);
    for (const count of counts) expect(count).to.be.within(32, 34);
    held = new Map([...held].filter(([, owner]) => owner !== null));
    expect(held.size).to.equal(100);
  });

  it('two workers taking at the same moment mostly reach for different databases', function () {
    const many = dbs(100);
    const first = planLeases(NOW, 'w1', [alive('w2')], [], many, MARGIN).take;
    const second = new Set(planLeases(NOW, 'w2', [alive('w1')], [], many, MARGIN).take);
    const overlap = first.filter((db) => second.has(db)).length;
    expect(overlap).to.be.below(40);
  });
});
