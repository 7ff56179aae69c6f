import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { compileNumberRules } from '../../src/numbers/rules';
import { toDbName } from '../../src/numbers/db-names';
import { HuntIndex, HuntSource, storeHuntSource, warmHuntIndex } from '../../src/hunt/index';
import { huntHandler } from '../../src/hunt/handler';
import { transitionPortInOnFirstCall } from '../../src/hunt/port-in';
import type { HuntAnswer } from '../../src/hunt/lookup';
import { NumberService } from '../../src/lifecycle/service';
import { FixtureStore, loadFixtures, NOW, startFixtureStore } from '../helpers/fixture-store';
import { runKnm } from '../helpers/cli';
import { RESELLER } from '../helpers/kazoo-roles';

const config = defaultNumberManagerConfig();
const { rules } = compileNumberRules(config);

/** The store as source, counting the number reads that reach it. */
function countingSource(source: HuntSource): HuntSource & { numberReads: string[] } {
  const numberReads: string[] = [];
  return { ...source, numberReads, readNumber: (db, number) => (numberReads.push(number), source.readNumber(db, number)) };
}

function ok(answer: HuntAnswer): Record<string, unknown> {
  if (!answer.ok) throw new Error(JSON.stringify(answer.error.toJSON()));
  return answer.props as unknown as Record<string, unknown>;
}

function refusal(answer: HuntAnswer): unknown {
  if (answer.ok) throw new Error(`expected a refusal, got ${JSON.stringify(answer.props)}`);
  return answer.error.toJSON();
}

describe('hunt: lookup_account over the fixture store', function () {
  this.timeout(60000);
  let fixture: FixtureStore;
  let source: ReturnType<typeof countingSource>;
  let index: HuntIndex;

  before(async () => {
    fixture = await startFixtureStore();
  });

  after(async () => {
    await fixture.server.close();
  });

  beforeEach(async () => {
    await loadFixtures(fixture.store, fixture.library);
    source = countingSource(storeHuntSource(fixture.store));
    index = new HuntIndex({ source, rules, config, gregorianNow: () => NOW, follows: () => true });
  });

  it('answers an in-service knm_local number with its holder: local, force_outbound (force_local_outbound)', async () => {
    const props = ok(await index.lookup('+15551233322'));
    expect(props).to.deep.equal({
      account_id: RESELLER,
      number: '+15551233322',
      pending_port: false,
      local: true,
      inbound_cnam: false,
      force_outbound: true,
      used_by: 'callflow',
    });
  });

  it('gives prepend only with a name, inbound_cnam only when the carrier looks CNAM up, force_outbound from default_force_outbound', async () => {
    const vitelity = ok(await index.lookup('+18122154006'));
    expect(vitelity).to.include({ prepend: 'Citizen', inbound_cnam: false, local: false, force_outbound: false });
    const noName = ok(await index.lookup('+12156774700'));
    expect(noName).to.not.have.property('prepend');
    const localCnam = ok(await index.lookup('+13977031887'));
    expect(localCnam).to.include({ inbound_cnam: true, account_id: 'account0000000000000000000000003' });
  });

  it('hunts port_in (pending_port, forced outbound) and reserved numbers, reads a v3 wnm_local number as local', async () => {
    expect(ok(await index.lookup('+14252151009'))).to.include({ pending_port: true, local: false, force_outbound: true });
    expect(ok(await index.lookup('+14252151010'))).to.include({ pending_port: false, local: true });
    expect(ok(await index.lookup('+14242424247'))).to.include({ local: true, account_id: RESELLER });
  });

  it("refuses with Kazoo's errors: unassigned, not_in_service (available, discovery), not_found, not_reconcilable", async () => {
    expect(refusal(await index.lookup('+15551239876'))).to.include({ error: 'unassigned' });
    expect(refusal(await index.lookup('+18005551212'))).to.include({ error: 'not_in_service', cause: RESELLER });
    expect(refusal(await index.lookup('+14122065197'))).to.include({ error: 'not_in_service' });
    expect(refusal(await index.lookup('4156301234'))).to.deep.equal({ code: 404, error: 'not_found', message: 'number +14156301234 not found', cause: '+14156301234' });
    expect(refusal(await index.lookup(''))).to.include({ error: 'not_reconcilable' });
  });

  it('falls back to an active port request for a number without a document, unless fetch_account_from_ports is off', async () => {
    // the fixture port request (submitted, account 2) lists +19042471591 in Kazoo's port_requests/port_in_numbers
    expect(ok(await index.lookup('+19042471591'))).to.deep.equal({
      account_id: RESELLER,
      number: '+19042471591',
      pending_port: true,
      local: true,
      inbound_cnam: false,
      force_outbound: true,
    });
    const noPorts = new HuntIndex({ source, rules, config: { ...config, fetch_account_from_ports: false } });
    expect(refusal(await noPorts.lookup('+19042471591'))).to.include({ error: 'not_found' });
  });

  it('refuses a number whose holder is disabled or has no account document (account_disabled)', async () => {
    const accountIndex = new HuntIndex({ source, rules, config, ttlMs: 0 });
    const account = await fixture.store.get('accounts', RESELLER);
    await fixture.store.put('accounts', { ...account, pvt_enabled: false });
    expect(refusal(await accountIndex.lookup('+15551233322'))).to.include({ error: 'account_disabled', cause: RESELLER });
    const db = toDbName('+15551255693')!;
    const doc = await fixture.store.get(db, '+15551255693');
    await fixture.store.put(db, { ...doc, pvt_assigned_to: 'f'.repeat(32) });
    expect(refusal(await accountIndex.lookup('+15551255693'))).to.include({ error: 'account_disabled', cause: 'f'.repeat(32) });
  });

  it('serves repeated hunts from memory and sees an applied change without reading the store', async () => {
    await index.lookup('+15551233322');
    await index.lookup('+15551233322');
    expect(source.numberReads).to.deep.equal(['+15551233322']);
    const db = toDbName('+15551233322')!;
    const doc = await fixture.store.get(db, '+15551233322');
    const released = { ...doc, pvt_state: 'released' };
    await fixture.store.put(db, released);
    index.apply(db, { id: '+15551233322', doc: released });
    expect(refusal(await index.lookup('+15551233322'))).to.include({ error: 'not_in_service' });
    expect(source.numberReads).to.have.length(1);
    index.apply(db, { id: '+15551233322', deleted: true });
    await index.lookup('+15551233322');
    expect(source.numberReads).to.have.length(2);
  });

  it('drops a fill that raced a change of the same number', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: HuntSource = { ...source, readNumber: async (db, number) => { const doc = await source.readNumber(db, number); await gate; return doc; } };
    const racing = new HuntIndex({ source: slow, rules, config });
    const pending = racing.lookup('+15551233322');
    const db = toDbName('+15551233322')!;
    const doc = await fixture.store.get(db, '+15551233322');
    racing.apply(db, { id: '+15551233322', doc: { ...doc, pvt_state: 'released' } });
    release();
    expect((await pending).ok).to.equal(true);
    // the older read did not overwrite the change applied while it was in flight
    expect(refusal(await racing.lookup('+15551233322'))).to.include({ error: 'not_in_service' });
  });

  it('applies account changes (enabled flag) from the accounts feed', async () => {
    await index.lookup('+15551233322');
    const account = await fixture.store.get('accounts', RESELLER);
    index.apply('accounts', { id: RESELLER, doc: { ...account, pvt_enabled: false } });
    expect(refusal(await index.lookup('+15551233322'))).to.include({ error: 'account_disabled' });
  });

  it('warms up from the hunt view: every hunted number is in memory, no read on the first call', async () => {
    const dbs = (await fixture.store.listDbs()).filter((db) => db.startsWith('numbers/+'));
    const loaded = await warmHuntIndex(index, fixture.store, dbs, { pageSize: 3 });
    expect(loaded).to.equal(index.size);
    expect(loaded).to.be.greaterThan(10);
    await index.lookup('+15551233322');
    expect(source.numberReads).to.deep.equal([]);
  });

  it('completes a port on the first carrier-authenticated call, by the raw update as system', async () => {
    const service = new NumberService({ store: fixture.store, designDocs: fixture.library, rules, config, clock: () => NOW });
    const answer = await index.lookup('+14252151007');
    const transition = await transitionPortInOnFirstCall(service, answer, async () => false);
    expect(transition.kind).to.equal('updated');
    const stored = await fixture.store.get(toDbName('+14252151007')!, '+14252151007');
    expect(stored).to.include({ pvt_state: 'in_service', pvt_ported_in: true });
    expect(stored.portin_reason).to.be.a('string');
    expect(await storeHuntSource(fixture.store).portRequestAccount('+19042471591')).to.equal(RESELLER);
    const portAnswer = { ok: true as const, accountId: RESELLER, props: { account_id: RESELLER, number: '+19042471591', pending_port: true, local: true, inbound_cnam: false, force_outbound: true } };
    const viaRequest = await transitionPortInOnFirstCall(service, portAnswer, async () => true);
    expect(viaRequest).to.deep.equal({ kind: 'port_request', accountId: RESELLER });
    expect((await transitionPortInOnFirstCall(service, await index.lookup('+15551233322'), async () => false)).kind).to.equal('not_porting');
  });

  it('knm hunt refuses what is not a dialled number: exit 2, one line naming it and the usage line, before any look-up', async () => {
    const result = await runKnm(['hunt', '+1555abc'], { COUCH_URL: fixture.server.url });
    expect(result.status).to.equal(2);
    expect(result.stderr.trim().split('\n')).to.have.length(2);
    expect(result.stderr).to.include('not a dialled number: "+1555abc"');
  });

  it('answers GET /hunt/NUMBER over HTTP: 200 with the props, the error JSON with its code', async () => {
    const server = http.createServer(huntHandler(index));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const found = await fetch(`${base}/hunt/${encodeURIComponent('+15551233322')}`);
      expect(found.status).to.equal(200);
      expect(await found.json()).to.include({ account_id: RESELLER, local: true });
      const missing = await fetch(`${base}/hunt/4156301234`);
      expect(missing.status).to.equal(404);
      expect(await missing.json()).to.include({ error: 'not_found' });
      const other = await fetch(`${base}/elsewhere`);
      expect(other.status).to.equal(404);
      const head = await fetch(`${base}/hunt/${encodeURIComponent('+15551233322')}`, { method: 'HEAD' });
      expect([head.status, head.headers.get('content-type'), await head.text()]).to.deep.equal([200, 'application/json', '']);
      const bad = await fetch(`${base}/hunt/%E0%A4%A`);
      expect([bad.status, ((await bad.json()) as { error: string }).error]).to.deep.equal([400, 'invalid']);
      // without a way to complete a port (no NumberService given), inbound=true is refused rather than ignored
      const inbound = await fetch(`${base}/hunt/${encodeURIComponent('+14252151009')}?inbound=true`);
      expect(inbound.status).to.equal(400);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
