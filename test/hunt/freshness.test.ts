import { expect } from 'chai';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { HuntIndex, type HuntSource } from '../../src/hunt/index';
import { startLiveHunt } from '../../src/hunt/live';
import { compileNumberRules } from '../../src/numbers/rules';
import type { LeaseHooks, Leases } from '../../src/pipeline/leases/leases';
import { silentLogger } from '../../src/pipeline/log';
import { FixtureStore, startFixtureStore } from '../helpers/fixture-store';

const config = defaultNumberManagerConfig();
const { rules } = compileNumberRules(config);
const NUMBER = '+15551233322';
const DB = 'numbers/+1555';
const HOLDER = 'account0000000000000000000000002';

function numberDoc(rev: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { _id: NUMBER, _rev: rev, pvt_state: 'in_service', pvt_module_name: 'knm_local', pvt_assigned_to: HOLDER, pvt_features: {}, pvt_doc_vsn: '2', ...fields };
}

/** CouchDB as the index sees it: one number, one account, every number read counted. */
function memorySource(): HuntSource & { doc: Record<string, unknown> | null; enabled: boolean; numberReads: number; accountReads: number } {
  const source = {
    doc: numberDoc('1-a') as Record<string, unknown> | null,
    enabled: true,
    numberReads: 0,
    accountReads: 0,
    async readNumber() {
      source.numberReads += 1;
      return source.doc;
    },
    async readAccount(accountId: string) {
      source.accountReads += 1;
      return { _id: accountId, _rev: '1-a', pvt_type: 'account', pvt_enabled: source.enabled, pvt_tree: [] };
    },
    async portRequestAccount() {
      return undefined;
    },
  };
  return source;
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
    const live = await startLiveHunt({ store: fixture.store, logger: silentLogger, holds: () => true });
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
    } finally {
      await live.stop();
    }
  });

  it('follows system_config: a changed number_manager is answered by the next hunts', async () => {
    const live = await startLiveHunt({ store: fixture.store, logger: silentLogger, feedPollMs: 20 });
    const original = await fixture.store.get('system_config', 'number_manager');
    try {
      expect(await live.index.lookup(NUMBER)).to.deep.include({ ok: true }).and.nested.include({ 'props.force_outbound': true });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await fixture.store.put('system_config', { ...original, default: { ...(original.default as object), force_local_outbound: false } });
      const started = Date.now();
      for (let answer = await live.index.lookup(NUMBER); answer.ok && answer.props.force_outbound && Date.now() - started < 5_000; answer = await live.index.lookup(NUMBER)) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await live.index.lookup(NUMBER)).to.nested.include({ 'props.force_outbound': false });
    } finally {
      await live.stop();
      const changed = await fixture.store.get('system_config', 'number_manager');
      await fixture.store.put('system_config', { ...original, _rev: changed._rev });
    }
  });

  it('follows accounts: a disabled holder is refused before its account read at the first hunt expires', async () => {
    const live = await startLiveHunt({ store: fixture.store, logger: silentLogger, feedPollMs: 20 });
    try {
      // the feed's position is taken once the follower runs; an account read before it is trusted for 1 s only
      await new Promise((resolve) => setTimeout(resolve, 100));
      const firstHunt = Date.now();
      expect((await live.index.lookup(NUMBER)).ok).to.equal(true);
      const account = await fixture.store.get('accounts', HOLDER);
      await fixture.store.put('accounts', { ...account, pvt_enabled: false });
      while ((await live.index.lookup(NUMBER)).ok && Date.now() - firstHunt < 5_000) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(Date.now() - firstHunt).to.be.below(900);
      expect(await live.index.lookup(NUMBER)).to.deep.include({ ok: false });
    } finally {
      await live.stop();
      const account = await fixture.store.get('accounts', HOLDER);
      await fixture.store.put('accounts', { ...account, pvt_enabled: true });
    }
  });
});
