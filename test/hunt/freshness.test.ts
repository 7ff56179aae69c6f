import { expect } from 'chai';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { HuntIndex, type HuntSource } from '../../src/hunt/index';
import { startLiveHunt } from '../../src/hunt/live';
import { compileNumberRules } from '../../src/numbers/rules';
import type { LeaseHooks, Leases } from '../../src/pipeline/leases/leases';
import { silentLogger } from '../../src/pipeline/log';
import type { Store } from '../../src/store/client';
import type { ChangesParams } from '../../src/store/types';
import { FixtureStore, startFixtureStore } from '../helpers/fixture-store';
import { eventually } from '../pipeline/harness';

const config = defaultNumberManagerConfig();
const { rules } = compileNumberRules(config);
const NUMBER = '+15551233322';
const DB = 'numbers/+1555';
const HOLDER = 'account0000000000000000000000002';

function numberDoc(rev: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { _id: NUMBER, _rev: rev, pvt_state: 'in_service', pvt_module_name: 'knm_local', pvt_assigned_to: HOLDER, pvt_features: {}, pvt_doc_vsn: '2', ...fields };
}

/** CouchDB as the index sees it: one number, one account, every number read counted. */
function memorySource(): HuntSource & { doc: Record<string, unknown> | null; enabled: boolean; numberReads: number; accountReads: number; portAccount: string | undefined; portQueries: number } {
  const source = {
    doc: numberDoc('1-a') as Record<string, unknown> | null,
    enabled: true,
    numberReads: 0,
    accountReads: 0,
    portAccount: undefined as string | undefined,
    portQueries: 0,
    async readNumber() {
      source.numberReads += 1;
      return source.doc;
    },
    async readAccount(accountId: string) {
      source.accountReads += 1;
      return { _id: accountId, _rev: '1-a', pvt_type: 'account', pvt_enabled: source.enabled, pvt_tree: [] };
    },
    async portRequestAccount() {
      source.portQueries += 1;
      return source.portAccount;
    },
  };
  return source;
}

/** A fixture store seen through a wrapper: each `_changes` request (its database and params) and number read is noted. */
function countingStore(store: Store): { store: Store; changes: { db: string; params: ChangesParams; settled: Promise<unknown> }[]; reads: string[] } {
  const changes: { db: string; params: ChangesParams; settled: Promise<unknown> }[] = [];
  const reads: string[] = [];
  const counting: Store = {
    ...store,
    changes<D extends object>(db: string, params: ChangesParams = {}) {
      const answer = store.changes<D>(db, params);
      changes.push({ db, params, settled: answer.then(() => undefined, () => undefined) });
      return answer;
    },
    getOrNull<D extends object>(db: string, id: string) {
      reads.push(`${db}/${id}`);
      return store.getOrNull<D>(db, id);
    },
  };
  return { store: counting, changes, reads };
}

/** The live hunt's feed events, and a promise for the first one to come that matches. */
function feedEvents(): { feedEvent: (db: string, event: 'resumed' | 'rows', ids: readonly string[]) => void; next(db: string, event: 'resumed' | 'rows', id?: string): Promise<void> } {
  const seen: { db: string; event: string; ids: readonly string[] }[] = [];
  const waiters = new Set<() => void>();
  return {
    feedEvent(db, event, ids) {
      seen.push({ db, event, ids });
      for (const waiter of [...waiters]) waiter();
    },
    next(db, event, id) {
      const from = seen.length;
      return new Promise((resolve) => {
        const check = (): void => {
          if (!seen.slice(from).some((e) => e.db === db && e.event === event && (id === undefined || e.ids.includes(id)))) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
  };
}

/** Resolves once every database in `dbs` has taken its feed position (events seen so far count). */
function allResumed(events: ReturnType<typeof feedEvents>, dbs: string[]): Promise<void> {
  return Promise.all(dbs.map((db) => events.next(db, 'resumed'))).then(() => undefined);
}

describe('hunt index: what is trusted, for how long', function () {
  let now: number;
  let source: ReturnType<typeof memorySource>;
  let followed: Set<string>;
  let index: HuntIndex;

  beforeEach(() => {
    now = 1_000_000;
    source = memorySource();
    followed = new Set();
    index = new HuntIndex({ source, rules, config, nowMs: () => now, follows: (db) => followed.has(db), ttlMs: 1_000 });
  });

  it('reads a number of a database no feed reaches again once its entry is a second old', async () => {
    await index.lookup(NUMBER);
    now += 999;
    await index.lookup(NUMBER);
    expect(source.numberReads).to.equal(1);
    source.doc = numberDoc('2-b', { pvt_assigned_to: 'account0000000000000000000000003' });
    now += 2;
    expect(await index.lookup(NUMBER)).to.include({ accountId: 'account0000000000000000000000003' });
    expect(source.numberReads).to.equal(2);
  });

  it('trusts a followed database past the expiry, until its feed stops reaching the index (a lease lost)', async () => {
    followed.add(DB);
    followed.add('accounts');
    await index.lookup(NUMBER);
    now += 60_000;
    await index.lookup(NUMBER);
    expect([source.numberReads, source.accountReads]).to.deep.equal([1, 1]);
    followed.delete(DB);
    await index.lookup(NUMBER);
    expect(source.numberReads).to.equal(2);
  });

  it('after a break in the feed (feedResumed), what was held is read again once expired, then trusted again', async () => {
    followed.add(DB);
    await index.lookup(NUMBER);
    index.feedResumed(DB);
    now += 500;
    await index.lookup(NUMBER);
    expect(source.numberReads).to.equal(1);
    now += 600;
    await index.lookup(NUMBER);
    expect(source.numberReads).to.equal(2);
    now += 60_000;
    await index.lookup(NUMBER);
    expect(source.numberReads).to.equal(2);
  });

  it('ignores a change older than the revision it holds, applies a newer one', async () => {
    followed.add(DB);
    source.doc = numberDoc('3-c');
    await index.lookup(NUMBER);
    index.apply(DB, { id: NUMBER, rev: '2-b', doc: numberDoc('2-b', { pvt_state: 'available' }) });
    expect((await index.lookup(NUMBER)).ok).to.equal(true);
    index.apply(DB, { id: NUMBER, rev: '4-d', doc: numberDoc('4-d', { pvt_state: 'available' }) });
    expect(await index.lookup(NUMBER)).to.deep.include({ ok: false });
    index.apply(DB, { id: NUMBER, rev: '5-e', deleted: true });
    expect(index.size).to.equal(0);
  });

  it('serves the same serialized answer synchronously until the number or its holder changes', async () => {
    followed.add(DB);
    followed.add('accounts');
    const first = await index.respond(NUMBER);
    const again = index.respond(NUMBER);
    expect(again).to.equal(first);
    expect(JSON.parse(first.body.toString())).to.include({ account_id: HOLDER });
    index.apply(DB, { id: NUMBER, rev: '2-b', doc: numberDoc('2-b', { pvt_features: { prepend: { enabled: true, name: 'Sales' } } }) });
    const changed = await index.respond(NUMBER);
    expect(JSON.parse(changed.body.toString())).to.include({ prepend: 'Sales' });
    index.apply('accounts', { id: HOLDER, rev: '2-b', doc: { _id: HOLDER, _rev: '2-b', pvt_type: 'account', pvt_enabled: false, pvt_tree: [] } });
    const refused = await index.respond(NUMBER);
    expect(refused.status).to.equal(403);
    expect(JSON.parse(refused.body.toString())).to.include({ error: 'account_disabled' });
    expect(source.numberReads).to.equal(1);
  });

  it('keeps port-request answers (found or not) for the ttl, shares one query, drops them when port_requests changes', async () => {
    source.doc = null;
    const UNKNOWN = '+15551230000';
    for (let i = 0; i < 3; i += 1) expect(await index.lookup(UNKNOWN)).to.deep.include({ ok: false });
    expect(source.portQueries).to.equal(1);
    source.portAccount = HOLDER;
    now += 999;
    expect(await index.lookup(UNKNOWN)).to.deep.include({ ok: false });
    now += 1;
    expect(await index.lookup(UNKNOWN)).to.deep.include({ ok: true, accountId: HOLDER });
    expect(await index.lookup(UNKNOWN)).to.deep.include({ ok: true, accountId: HOLDER });
    expect(source.portQueries).to.equal(2);
    source.portAccount = undefined;
    index.portRequestsChanged();
    expect(await index.lookup(UNKNOWN)).to.deep.include({ ok: false });
    await Promise.all([index.lookup('+15551230001'), index.lookup('+15551230001'), index.lookup('+15551230001')]);
    expect(source.portQueries).to.equal(4);
    // every hunt of a number without a document still reads the number: it may have been created since
    expect(source.numberReads).to.equal(10);
  });

  it('a warm-up page read before a change of one of its numbers does not overwrite the change', async () => {
    followed.add(DB);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const warming = index.rememberRead(DB, async () => {
      await gate;
      return [numberDoc('1-a'), numberDoc('1-a', { _id: '+15551233323' })];
    });
    index.apply(DB, { id: NUMBER, rev: '2-b', doc: numberDoc('2-b', { pvt_state: 'available' }) });
    release();
    expect(await warming).to.equal(1);
    expect(await index.lookup(NUMBER)).to.deep.include({ ok: false });
    expect(await index.lookup('+15551233323')).to.deep.include({ ok: true });
    expect(source.numberReads).to.equal(0);
  });

  it('shares one account read among concurrent hunts of its numbers', async () => {
    await Promise.all([index.lookup(NUMBER), index.lookup(NUMBER), index.lookup(NUMBER)]);
    expect(source.accountReads).to.equal(1);
  });
});

describe('hunt live: leases, the accounts and system_config feeds', function () {
  this.timeout(60_000);
  let fixture: FixtureStore;

  before(async () => {
    fixture = await startFixtureStore();
  });

  after(async () => {
    await fixture.server.close();
  });

  it('a database gained through the leases starts a new epoch before the pipeline hears of it', async () => {
    // without the warm-up, which would load the gained database again
    const live = await startLiveHunt({ store: fixture.store, logger: silentLogger, holds: () => true, warm: false });
    try {
      const gained: string[] = [];
      let hooks: LeaseHooks | undefined;
      const leases = { workerId: 'w', leaseMs: 1000, start: (given: LeaseHooks) => (hooks = given) } as unknown as Leases;
      live.watchLeases(leases).start({ dbs: () => [], busy: () => false, gained: (db) => gained.push(db) });
      await live.index.lookup(NUMBER);
      const reads = live.index.misses;
      await live.index.lookup(NUMBER);
      expect(live.index.misses).to.equal(reads);
      hooks?.gained(DB);
      expect(gained).to.deep.equal([DB]);
      await new Promise((resolve) => setTimeout(resolve, 1_050));
      await live.index.lookup(NUMBER);
      expect(live.index.misses).to.equal(reads + 1);
      expect(live.renderMetrics()).to.include('knm_hunt_index_warm_numbers 0\n').and.include('knm_hunt_index_warm_done 1\n');
    } finally {
      await live.stop();
    }
  });

  it('follows system_config: a changed number_manager is answered by the next hunts once the feed delivered it', async () => {
    const events = feedEvents();
    const resumed = allResumed(events, ['system_config']);
    const live = await startLiveHunt({ store: fixture.store, logger: silentLogger, feedEvent: events.feedEvent });
    const original = await fixture.store.get('system_config', 'number_manager');
    try {
      await resumed;
      expect(await live.index.lookup(NUMBER)).to.deep.include({ ok: true }).and.nested.include({ 'props.force_outbound': true });
      const delivered = events.next('system_config', 'rows', 'number_manager');
      await fixture.store.put('system_config', { ...original, default: { ...(original.default as object), force_local_outbound: false } });
      await delivered;
      expect(await live.index.lookup(NUMBER)).to.nested.include({ 'props.force_outbound': false });
    } finally {
      await live.stop();
      const changed = await fixture.store.get('system_config', 'number_manager');
      await fixture.store.put('system_config', { ...original, _rev: changed._rev });
    }
  });

  it('follows accounts by longpoll: the hunt after a holder is disabled answers account_disabled once the feed delivered it', async () => {
    const counting = countingStore(fixture.store);
    const events = feedEvents();
    const resumed = allResumed(events, ['accounts']);
    // Feeds that polled would make many requests in this test; the longpoll makes one per change (and the timeout is not reached).
    const live = await startLiveHunt({ store: counting.store, logger: silentLogger, feedEvent: events.feedEvent, feedTimeoutMs: 600_000 });
    try {
      await resumed;
      expect((await live.index.lookup(NUMBER)).ok).to.equal(true);
      const account = await fixture.store.get('accounts', HOLDER);
      const delivered = events.next('accounts', 'rows', HOLDER);
      await fixture.store.put('accounts', { ...account, pvt_enabled: false });
      await delivered;
      expect(await live.index.lookup(NUMBER)).to.deep.include({ ok: false }).and.nested.include({ 'error.error': 'account_disabled' });
      // the refusal came from the feed: the account was read once, at the first hunt
      expect(counting.reads.filter((read) => read.startsWith('accounts/'))).to.deep.equal([`accounts/${HOLDER}`]);
      const accountsFeed = counting.changes.filter((request) => request.db === 'accounts');
      expect(accountsFeed.map((request) => request.params.feed ?? 'normal')).to.deep.equal(['normal', 'longpoll', 'longpoll']);
    } finally {
      await live.stop();
      const account = await fixture.store.get('accounts', HOLDER);
      await fixture.store.put('accounts', { ...account, pvt_enabled: true });
    }
  });

  it('stop() returns while the longpolls are pending, ending them', async () => {
    const counting = countingStore(fixture.store);
    const events = feedEvents();
    const resumed = allResumed(events, ['accounts', 'system_config', 'port_requests']);
    const live = await startLiveHunt({ store: counting.store, logger: silentLogger, feedEvent: events.feedEvent, feedTimeoutMs: 600_000 });
    await resumed;
    await eventually('a longpoll of each feed', () => (counting.changes.filter((request) => request.params.feed === 'longpoll').length >= 3 ? true : undefined));
    // Without the abort this would wait out the 10-minute longpolls, past the test's timeout.
    await live.stop();
    await Promise.all(counting.changes.map((request) => request.settled));
  });

  it('drops the port-request answers it keeps when port_requests changes', async () => {
    const events = feedEvents();
    const resumed = allResumed(events, ['port_requests']);
    const live = await startLiveHunt({ store: fixture.store, logger: silentLogger, feedEvent: events.feedEvent, feedTimeoutMs: 600_000 });
    const PORTING = '+19042471591';
    try {
      await resumed;
      expect(await live.index.lookup(PORTING)).to.deep.include({ ok: true });
      await live.index.lookup(PORTING);
      expect(live.index.portRequestQueries).to.equal(1);
      const delivered = events.next('port_requests', 'rows');
      const [listed] = (await fixture.store.view('port_requests', 'port_requests', 'port_in_numbers', { key: PORTING })).rows;
      const request = await fixture.store.get('port_requests', String(listed.id));
      await fixture.store.put('port_requests', { ...request, touched: true });
      await delivered;
      await live.index.lookup(PORTING);
      expect(live.index.portRequestQueries).to.equal(2);
    } finally {
      await live.stop();
    }
  });

  it('warms the index from each database gained through the leases: a preloaded number is hunted without a store read', async () => {
    const counting = countingStore(fixture.store);
    const live = await startLiveHunt({ store: counting.store, logger: silentLogger, holds: () => true, warmPageSize: 2 });
    try {
      let hooks: LeaseHooks | undefined;
      const leases = { workerId: 'w', leaseMs: 1000, start: (given: LeaseHooks) => (hooks = given) } as unknown as Leases;
      live.watchLeases(leases).start({ dbs: () => [], busy: () => false, gained: () => undefined });
      const metric = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(live.renderMetrics())?.[1]);
      expect(metric('knm_hunt_index_warm_done')).to.equal(0);
      // a lease round: it sees the databases, then gains them; the second round's start says the first is over
      hooks?.dbs();
      hooks?.gained(DB);
      hooks?.dbs();
      await eventually('the warm-up', () => (metric('knm_hunt_index_warm_done') === 1 ? true : undefined));
      const hunted = (await fixture.store.view(DB, 'knm', 'hunt', {})).rows.length;
      expect(hunted).to.be.greaterThan(2);
      expect(metric('knm_hunt_index_warm_numbers')).to.equal(hunted);
      expect(live.index.size).to.equal(hunted);
      const numberReads = (): string[] => counting.reads.filter((read) => read.startsWith('numbers/'));
      expect(numberReads()).to.deep.equal([]);
      expect(await live.index.lookup(NUMBER)).to.deep.include({ ok: true });
      expect(numberReads()).to.deep.equal([]);
      expect([live.index.hits, live.index.misses]).to.deep.equal([1, 0]);
    } finally {
      await live.stop();
    }
  });
});
