/**
 * Kazoo's own lifecycle scenarios (FACTS §4.10, T01–T47, from 4.3 test/knm_*_tests.erl) run through NumberService
 * against the embedded store, with Kazoo's fixture accounts, numbers and port request loaded as they are.
 * Left out: T36 (maintenance fix, another issue). T42 and T47 (reconcile) run through NumberService.reconcile.
 * The first T27 test finds the fixture port request through Kazoo's own port_requests view (its map assigns an
 * undeclared loop variable, which CouchDB and the embedded server run as sloppy code); the second one checks the
 * same refusal through a failed look-up.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { startEmbeddedServer, EmbeddedServer } from '../../src/store/embedded';
import { connectStore, Store } from '../../src/store/client';
import { bootstrap } from '../../src/store/bootstrap';
import { loadDesignDocs, DesignDocLibrary } from '../../src/store/design-docs';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { compileNumberRules } from '../../src/numbers/rules';
import { accountDbName, toDbName } from '../../src/numbers/db-names';
import { NumberService, NumberOutcome, Requester } from '../../src/lifecycle/service';
import type { KazooErrorJson } from '../../src/errors';
import type { CouchDoc, StoredDoc } from '../../src/store/types';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { CHILD, MASTER, RESELLER, UNRELATED } from '../helpers/kazoo-roles';

const NOW = 63990000000;
// Kazoo's fixture numbers (4.3 src/knm.hrl, M test/knm_test.hrl; FACTS §4.10)
const AVAILABLE = '+15551239876';
const IN_SERVICE = '+15551233322';
const MDN = '+15551233324';
const WITH_HISTORY = '+15551255693';
const RESERVED = '+14252151010';
const TELNYX = '+14352154006';
const BW_DISCOVERY = '+14122065197';
const NEW = '+15559871234';
/** In the fixture port request (pvt_port_state submitted, so active). */
const PORTING = '+19042471591';
const SYSTEM: Requester = { authBy: 'system' };

type Doc = StoredDoc<CouchDoc & Record<string, unknown>>;

function readFixture(folder: string, file: string): CouchDoc & Record<string, unknown> {
  // Kazoo's revisions and attachment stubs belong to Kazoo's database, not to a fresh one.
  const { _rev, _attachments, ...doc } = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'dbs', folder, file), 'utf8'));
  return doc;
}

function fixtureDocs(folder: string): (CouchDoc & Record<string, unknown>)[] {
  return fs.readdirSync(path.join(FIXTURES_DIR, 'dbs', folder)).map((file) => readFixture(folder, file));
}

function okOf(outcome: NumberOutcome): Record<string, unknown> {
  if (!outcome.ok) throw new Error(`${outcome.number}: ${JSON.stringify(outcome.error)}`);
  return outcome.result as Record<string, unknown>;
}

function errorOf(outcome: NumberOutcome): KazooErrorJson {
  if (outcome.ok) throw new Error(`${outcome.number} succeeded: ${JSON.stringify(outcome.result)}`);
  return outcome.error;
}

describe('lifecycle: Kazoo scenarios T01–T47 over the embedded store (FACTS §4.10)', function () {
  this.timeout(60000);
  let server: EmbeddedServer;
  let store: Store;
  let library: DesignDocLibrary;
  let service: NumberService;

  const stored = (number: string): Promise<Doc | null> => store.getOrNull(toDbName(number)!, number);
  const storedOrFail = async (number: string): Promise<Doc> => {
    const doc = await stored(number);
    if (doc === null) throw new Error(`${number} is not stored`);
    return doc;
  };
  /** Writes a number document straight into its database, as a Kazoo tool would. */
  const putNumber = async (doc: CouchDoc & Record<string, unknown>): Promise<void> => {
    const current = await stored(doc._id);
    await store.put(toDbName(doc._id)!, current === null ? doc : { ...doc, _rev: current._rev });
  };
  const fixtureNumber = (number: string) => readFixture(encodeURIComponent(toDbName(number)!), `${encodeURIComponent(number)}.json`);

  before(async () => {
    server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    store = connectStore({ url: server.url });
    library = await loadDesignDocs();
    await bootstrap({ store, target: { url: server.url }, library, now: NOW });
    // no test changes the port request: loaded once, so its view is indexed once
    for (const request of fixtureDocs('port_requests')) await store.put('port_requests', request);
  });

  after(async () => {
    await server.close();
  });

  beforeEach(async () => {
    for (const db of await store.listDbs()) if (db.startsWith('numbers/+') || db.startsWith('account/')) await store.deleteDb(db);
    await store.deleteDb('accounts');
    await store.createDb('accounts');
    for (const account of fixtureDocs('accounts')) await store.put('accounts', account);
    for (const folder of fs.readdirSync(path.join(FIXTURES_DIR, 'dbs')).filter((name) => name.startsWith('numbers%2F%2B'))) {
      const db = decodeURIComponent(folder);
      await store.createDb(db);
      for (const doc of fixtureDocs(folder)) await store.put(db, doc);
    }
    for (const account of [MASTER, RESELLER, CHILD]) await store.createDb(accountDbName(account));
    const config = defaultNumberManagerConfig();
    service = new NumberService({ store, designDocs: library, rules: compileNumberRules(config).rules, config, clock: () => NOW });
  });

  describe('release (knm_release_number_tests)', () => {
    it('T01: releasing a number that has no document is not_found', async () => {
      const [outcome] = await service.release([NEW], SYSTEM);
      expect(errorOf(outcome)).to.deep.include({ code: 404, error: 'not_found', cause: NEW });
    });

    it('T02: an available local number released by system is deleted everywhere', async () => {
      const [outcome] = await service.release([AVAILABLE], SYSTEM);
      expect(okOf(outcome)._read_only).to.deep.include({ created: 63565934344, modified: 63565934349, carrier_module: 'local', is_deleted: true });
      expect(await stored(AVAILABLE)).to.equal(null);
    });

    it('T03: an MDN number released by system with mdn_run is deleted, unassigned, history [], still knm_mdn', async () => {
      const [outcome] = await service.release([MDN], { authBy: 'system', mdnRun: true });
      const result = okOf(outcome);
      expect(result._read_only).to.deep.include({ carrier_module: 'mdn', is_deleted: true });
      expect(await stored(MDN)).to.equal(null);
      expect(await store.getOrNull(accountDbName(RESELLER), MDN)).to.equal(null);
    });

    for (const [id, name, authBy] of [
      ['T04', 'system', 'system'],
      ['T05', 'master', MASTER],
      ['T06', 'reseller', RESELLER],
    ]) {
      it(`${id}: an in_service local number with history [reseller] released by ${name} is deleted, features still [local]`, async () => {
        await putAccountCopy(IN_SERVICE, RESELLER);
        const [outcome] = await service.release([IN_SERVICE], { authBy });
        const result = okOf(outcome);
        expect(result.features).to.deep.equal(['local']);
        expect(result).to.not.have.property('used_by');
        expect(result._read_only).to.deep.include({ is_deleted: true });
        expect(await stored(IN_SERVICE)).to.equal(null);
        expect(await store.getOrNull(accountDbName(RESELLER), IN_SERVICE)).to.equal(null);
      });
    }

    for (const [id, name, authBy] of [
      ['T07', 'system', 'system'],
      ['T08', 'master', MASTER],
    ]) {
      it(`${id}: a number with history [reseller, master] released by ${name} goes back to master, reserved`, async () => {
        await putAccountCopy(WITH_HISTORY, RESELLER);
        const [outcome] = await service.release([WITH_HISTORY], { authBy });
        expect(okOf(outcome)).to.deep.include({ state: 'reserved', features: ['local'] });
        const doc = await storedOrFail(WITH_HISTORY);
        expect(doc).to.deep.include({
          pvt_state: 'reserved',
          pvt_assigned_to: MASTER,
          pvt_previously_assigned_to: RESELLER,
          pvt_reserve_history: [MASTER],
          pvt_features: { local: {} },
          pvt_modified: NOW,
        });
        expect(doc).to.not.have.property('pvt_used_by');
        expect(await store.get(accountDbName(MASTER), WITH_HISTORY)).to.deep.include({ pvt_state: 'reserved', pvt_assigned_to: MASTER });
        expect(await store.getOrNull(accountDbName(RESELLER), WITH_HISTORY)).to.equal(null);
      });
    }

    it('T09: an MDN number released by master with mdn_run is deleted', async () => {
      const [outcome] = await service.release([MDN], { authBy: MASTER, mdnRun: true });
      expect(okOf(outcome)._read_only).to.deep.include({ is_deleted: true });
      expect(await stored(MDN)).to.equal(null);
    });
  });

  describe('hard delete (knm_delete tests)', () => {
    it('T10: system deletes an in_service number, from the number and account databases', async () => {
      await putAccountCopy(IN_SERVICE, RESELLER);
      const [outcome] = await service.delete([IN_SERVICE], SYSTEM);
      expect(okOf(outcome)).to.deep.include({ state: 'deleted' });
      expect(await stored(IN_SERVICE)).to.equal(null);
      expect(await store.getOrNull(accountDbName(RESELLER), IN_SERVICE)).to.equal(null);
    });

    it('T11: master deletes a number with a reserve history', async () => {
      const [outcome] = await service.delete([WITH_HISTORY], { authBy: MASTER });
      expect(okOf(outcome)).to.deep.include({ state: 'deleted' });
      expect(await stored(WITH_HISTORY)).to.equal(null);
    });
  });

  describe('move (knm_number_tests, knm_move tests)', () => {
    it('T12: system moves an available number to the child: in_service, owned by the child', async () => {
      const [outcome] = await service.move([AVAILABLE], SYSTEM, CHILD);
      // the answer shows the stored change, stamped now
      expect(okOf(outcome)).to.include({ state: 'in_service' });
      expect(okOf(outcome)._read_only).to.deep.include({ created: 63565934344, modified: NOW, carrier_module: 'local' });
      expect(await storedOrFail(AVAILABLE)).to.include({ pvt_state: 'in_service', pvt_assigned_to: CHILD, pvt_modified: NOW });
      expect(await store.get(accountDbName(CHILD), AVAILABLE)).to.include({ pvt_assigned_to: CHILD });
    });

    it("T13: the child takes its parent's reservation for itself", async () => {
      await putAccountCopy(RESERVED, RESELLER);
      const [outcome] = await service.move([RESERVED], { authBy: CHILD }, CHILD);
      expect(okOf(outcome).state).to.equal('in_service');
      expect(await storedOrFail(RESERVED)).to.deep.include({
        pvt_state: 'in_service',
        pvt_assigned_to: CHILD,
        pvt_previously_assigned_to: RESELLER,
        pvt_reserve_history: [RESELLER],
      });
      expect(await store.get(accountDbName(CHILD), RESERVED)).to.include({ pvt_assigned_to: CHILD });
      expect(await store.getOrNull(accountDbName(RESELLER), RESERVED)).to.equal(null);
    });

    it("T14: system gives the reseller's reservation to the child", async () => {
      const [outcome] = await service.move([RESERVED], SYSTEM, CHILD);
      expect(okOf(outcome).state).to.equal('in_service');
      expect(await storedOrFail(RESERVED)).to.include({ pvt_state: 'in_service', pvt_assigned_to: CHILD });
    });

    it("T15: system gives the reseller's reservation to an unrelated account (no account database: no copy)", async () => {
      const [outcome] = await service.move([RESERVED], SYSTEM, UNRELATED);
      expect(okOf(outcome).state).to.equal('in_service');
      expect(await storedOrFail(RESERVED)).to.include({ pvt_state: 'in_service', pvt_assigned_to: UNRELATED });
      expect(await store.dbExists(accountDbName(UNRELATED))).to.equal(false);
    });

    for (const [byName, by] of [['child', CHILD], ['reseller', RESELLER], ['master', MASTER]]) {
      for (const [toName, to] of [['child', CHILD], ['reseller', RESELLER], ['master', MASTER]]) {
        it(`T16: the ${byName} moves the available local number to the ${toName}: anyone may buy an available number`, async () => {
          const [outcome] = await service.move([AVAILABLE], { authBy: by }, to);
          expect(okOf(outcome)).to.deep.include({ state: 'in_service', features: ['local'] });
          const doc = await storedOrFail(AVAILABLE);
          expect(doc).to.deep.include({
            pvt_state: 'in_service',
            pvt_assigned_to: to,
            pvt_previously_assigned_to: RESELLER,
            pvt_module_name: 'knm_local',
            pvt_features: { local: {} },
          });
          // to_json/1 leaves an empty history out
          expect(doc.pvt_reserve_history ?? []).to.deep.equal([]);
        });
      }
    }

    it('T23: moving a number that does not exist (an MDN one) is not_found, and nothing is written', async () => {
      const [outcome] = await service.move([NEW], { authBy: MASTER, mdnRun: true }, RESELLER);
      expect(errorOf(outcome)).to.deep.equal({ code: 404, error: 'not_found', message: `number ${NEW} not found`, cause: NEW });
      expect(await stored(NEW)).to.equal(null);
    });

    it('T39: a batch of a non-number and an available number moved to the child: one success', async () => {
      const outcomes = await service.move(['NOT a number', AVAILABLE], SYSTEM, CHILD);
      expect(errorOf(outcomes[0])).to.deep.include({ code: 404, error: 'not_reconcilable' });
      expect(okOf(outcomes[1]).state).to.equal('in_service');
      expect(await storedOrFail(AVAILABLE)).to.include({ pvt_assigned_to: CHILD });
    });
  });

  describe('create (knm_create_new_number_tests, knm_number_tests)', () => {
    it('T17: master creates a new number for the reseller: in_service, knm_local, in numbers%2F%2B1555', async () => {
      const [outcome] = await service.create([NEW], { authBy: MASTER }, { assignTo: RESELLER });
      expect(okOf(outcome)).to.deep.include({ state: 'in_service', features: ['local'] });
      const doc = await storedOrFail(NEW);
      expect(doc).to.deep.include({
        pvt_db_name: 'numbers%2F%2B1555',
        pvt_state: 'in_service',
        pvt_assigned_to: RESELLER,
        pvt_module_name: 'knm_local',
        pvt_ported_in: false,
        pvt_created: NOW,
        pvt_modified: NOW,
      });
      expect(doc.pvt_reserve_history ?? []).to.deep.equal([]);
      expect(Number.isInteger(doc.pvt_created)).to.equal(true);
      expect(await store.get(accountDbName(RESELLER), NEW)).to.include({ pvt_assigned_to: RESELLER });
    });

    it('T18: a carrier module that does not exist is kept, with no features', async () => {
      const [outcome] = await service.create([NEW], { authBy: MASTER }, { assignTo: RESELLER, moduleName: 'blipblop' });
      expect(okOf(outcome)).to.not.have.property('features');
      const doc = await storedOrFail(NEW);
      expect(doc.pvt_module_name).to.equal('blipblop');
      expect(doc.pvt_features ?? {}).to.deep.equal({});
    });

    for (const id of ['T19', 'T28']) {
      it(`${id}: a reseller allowed additions creates a new number for itself, in_service on knm_local`, async () => {
        const [outcome] = await service.create([NEW], { authBy: RESELLER }, { assignTo: RESELLER });
        expect(okOf(outcome)).to.include({ state: 'in_service' });
        expect(okOf(outcome)._read_only).to.deep.include({ created: NOW, modified: NOW, carrier_module: 'local' });
      });
    }

    it('T20: a reseller whose additions are switched off is refused: 403 forbidden', async () => {
      const reseller = await store.get('accounts', RESELLER);
      await store.put('accounts', { ...reseller, pvt_wnm_allow_additions: false });
      const [outcome] = await service.create([NEW], { authBy: RESELLER }, { assignTo: RESELLER });
      expect(errorOf(outcome)).to.deep.include({ code: 403, error: 'forbidden', message: 'requestor is unauthorized to perform operation' });
      expect(await stored(NEW)).to.equal(null);
    });

    it('T21: an available number is created again by master for the reseller: in_service, no history', async () => {
      const [outcome] = await service.create([AVAILABLE], { authBy: MASTER }, { assignTo: RESELLER });
      expect(okOf(outcome).state).to.equal('in_service');
      const doc = await storedOrFail(AVAILABLE);
      expect(doc).to.include({ pvt_state: 'in_service', pvt_assigned_to: RESELLER });
      expect(doc.pvt_reserve_history ?? []).to.deep.equal([]);
    });

    it('T22: an in_service number cannot be created: 409 number_exists naming it', async () => {
      const before = await storedOrFail(IN_SERVICE);
      const [outcome] = await service.create([IN_SERVICE], SYSTEM, { assignTo: RESELLER });
      expect(errorOf(outcome)).to.deep.equal({ code: 409, error: 'number_exists', message: `number ${IN_SERVICE} already exists`, cause: IN_SERVICE });
      expect((await storedOrFail(IN_SERVICE))._rev).to.equal(before._rev);
    });

    it('T22: an existing number created with no account to assign to is 400 assign_failure, even for system (4.3 knm_numbers:create/2)', async () => {
      const [outcome] = await service.create([AVAILABLE], SYSTEM, { assignTo: undefined });
      expect(errorOf(outcome)).to.deep.equal({ code: 400, error: 'assign_failure', message: 'invalid account to assign to', cause: 'field_undefined' });
      const [fresh] = await service.create([NEW], SYSTEM, { assignTo: undefined });
      expect(okOf(fresh).state).to.equal('in_service');
      expect(await storedOrFail(NEW)).to.not.have.property('pvt_assigned_to');
    });

    it('T24: master creates a new MDN number with mdn_run: in_service, [local], its public mobile field kept', async () => {
      const mobile = { provider: 'tower-of-power', device_id: '123456789' };
      const [outcome] = await service.create([NEW], { authBy: MASTER, mdnRun: true }, { assignTo: RESELLER, moduleName: 'knm_mdn', publicFields: { mobile } });
      expect(okOf(outcome)).to.deep.include({ state: 'in_service', features: ['local'], mobile });
      expect(await storedOrFail(NEW)).to.deep.include({ pvt_module_name: 'knm_mdn', pvt_features: { local: {} }, mobile });
    });

    it('T25: an existing number may be created again only when available or port_in (aging too); else 409', async () => {
      const expected: Record<string, boolean> = {
        available: true,
        port_in: true,
        aging: true,
        deleted: false,
        discovery: false,
        in_service: false,
        port_out: false,
        released: false,
        reserved: false,
      };
      let index = 0;
      for (const [state, creatable] of Object.entries(expected)) {
        index += 1;
        // a copy of AVAILABLE in state X, one number per state
        const number = `+155512390${String(index).padStart(2, '0')}`;
        await putNumber({ ...fixtureNumber(AVAILABLE), _id: number, pvt_state: state });
        const [outcome] = await service.create([number], SYSTEM, { assignTo: RESELLER });
        const exists = !outcome.ok && outcome.error.error === 'number_exists';
        expect(exists, `${state}: ${JSON.stringify(outcome)}`).to.equal(!creatable);
        if (creatable) expect(okOf(outcome).state, state).to.equal('in_service');
      }
    });

    it('T26: a creation with no requester at all is refused: 403', async () => {
      const [outcome] = await service.create([NEW], { authBy: undefined }, { assignTo: RESELLER });
      expect(errorOf(outcome)).to.deep.include({ code: 403, error: 'forbidden' });
      expect(await stored(NEW)).to.equal(null);
    });

    it('T27: a number in an active port request cannot be created: 400 number_is_porting naming it', async function () {
      const indexed = await store.view('port_requests', 'port_requests', 'port_in_numbers', { key: PORTING });
      expect(indexed.rows.map((row) => row.id)).to.deep.equal([readFixture('port_requests', 'bd99a9e8c6b16480449d78e1bca6817b.json')._id]);
      const [outcome] = await service.create([PORTING], { authBy: MASTER }, { assignTo: RESELLER });
      expect(errorOf(outcome)).to.deep.equal({ code: 400, error: 'number_is_porting', message: `number ${PORTING} is porting`, cause: PORTING });
      const [portedIn] = await service.create([PORTING], SYSTEM, { assignTo: RESELLER, portedIn: true });
      expect(okOf(portedIn).state).to.equal('in_service');
      expect(await storedOrFail(PORTING)).to.include({ pvt_ported_in: true, pvt_module_name: 'knm_local' });
    });

    it('T27: a port-request look-up that fails counts as porting (knm_port_request:are_porting/1)', async () => {
      const design = await store.get('port_requests', '_design/port_requests');
      await store.remove('port_requests', design._id, design._rev);
      try {
        const [outcome] = await service.create([NEW], { authBy: MASTER }, { assignTo: RESELLER });
        expect(errorOf(outcome)).to.deep.include({ code: 400, error: 'number_is_porting', cause: NEW });
        expect(await stored(NEW)).to.equal(null);
      } finally {
        const { _rev, ...restored } = design;
        await store.put('port_requests', restored);
      }
    });

    it('T38: a batch [TELNYX, a non-number, NEW] created by master for the reseller: two in_service', async () => {
      const outcomes = await service.create([TELNYX, 'NOT a number', NEW], { authBy: MASTER }, { assignTo: RESELLER });
      expect(outcomes.filter((outcome) => outcome.ok)).to.have.length(2);
      expect(errorOf(outcomes[1])).to.deep.include({ error: 'not_reconcilable' });
      for (const number of [TELNYX, NEW]) {
        expect(await storedOrFail(number), number).to.include({ pvt_state: 'in_service', pvt_assigned_to: RESELLER });
      }
      expect(await storedOrFail(TELNYX)).to.include({ pvt_module_name: 'knm_telnyx' });
    });
  });

  describe('get (knm_number_tests, knm_numbers_tests)', () => {
    for (const [id, name, authBy] of [
      ['T29', 'the reseller', RESELLER],
      ['T29', 'master', MASTER],
      ['T29', 'a random account', 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5'],
    ]) {
      it(`${id}: an available number is visible to ${name}`, async () => {
        const [outcome] = await service.get([AVAILABLE], { authBy });
        expect(okOf(outcome)).to.deep.include({ state: 'available', my_key: 'my string', features: ['local'] });
      });
    }

    it('T30: 1000 is not reconcilable', async () => {
      const [outcome] = await service.get(['1000'], SYSTEM);
      expect(errorOf(outcome)).to.deep.equal({ code: 404, error: 'not_reconcilable', message: 'number 1000 is not reconcilable', cause: '1000' });
    });

    it('T31: 4156301234 has no document: not_found, normalized', async () => {
      const [outcome] = await service.get(['4156301234'], SYSTEM);
      expect(errorOf(outcome)).to.deep.equal({ code: 404, error: 'not_found', message: 'number +14156301234 not found', cause: '+14156301234' });
    });

    it('T37: a batch [AVAILABLE, non-number ×2, NEW]: one found, the non-number not reconcilable, NEW not found', async () => {
      const outcomes = await service.get([AVAILABLE, 'NOT a number', 'NOT a number', NEW], SYSTEM);
      expect(outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.number)).to.deep.equal([AVAILABLE]);
      const failures = new Map(outcomes.filter((outcome) => !outcome.ok).map((outcome) => [outcome.number, errorOf(outcome).error]));
      expect(Object.fromEntries(failures)).to.deep.equal({ 'NOT a number': 'not_reconcilable', [NEW]: 'not_found' });
    });
  });

  describe('update, the MDN gate and features (knm_phone_number_tests, knm_number_tests)', () => {
    const cases: [string, boolean, boolean][] = [
      [MDN, true, true],
      [IN_SERVICE, true, false],
      [MDN, false, false],
      [IN_SERVICE, false, true],
    ];
    for (const [number, mdnRun, allowed] of cases) {
      const kind = number === MDN ? 'an MDN number' : 'a non-MDN number';
      it(`T32: master updating ${kind} ${mdnRun ? 'with' : 'without'} mdn_run is ${allowed ? 'saved' : 'refused (403)'}`, async () => {
        const before = await storedOrFail(number);
        const [outcome] = await service.update([number], { authBy: MASTER, mdnRun }, { mergePublic: { '*': 42 } });
        const after = await storedOrFail(number);
        if (allowed) {
          expect(okOf(outcome)['*']).to.equal(42);
          expect(after).to.include({ '*': 42, pvt_modified: NOW });
        } else {
          expect(errorOf(outcome)).to.deep.include({ code: 403, error: 'forbidden' });
          expect(after._rev).to.equal(before._rev);
        }
      });
    }

    it('T32: system saves all four (MDN or not, mdn_run or not)', async () => {
      for (const [number, mdnRun] of cases) {
        const [outcome] = await service.update([number], { authBy: 'system', mdnRun }, { mergePublic: { '*': mdnRun ? 42 : 43 } });
        expect(okOf(outcome)['*'], `${number} mdn_run ${mdnRun}`).to.equal(mdnRun ? 42 : 43);
      }
    });

    it('T33: the reseller cannot set e911 on its local number: 403 forbidden, no e911 stored', async () => {
      const before = await storedOrFail(IN_SERVICE);
      const e911 = { street_address: '140 Main St', locality: 'San Francisco', region: 'CA', postal_code: '94105' };
      const [outcome] = await service.update([IN_SERVICE], { authBy: RESELLER }, { mergePublic: { e911 } });
      expect(errorOf(outcome)).to.deep.equal({ code: 403, error: 'forbidden', message: 'requestor is unauthorized to perform operation' });
      const after = await storedOrFail(IN_SERVICE);
      expect(after._rev).to.equal(before._rev);
      expect(after).to.not.have.property('e911');
      expect(after.pvt_features).to.deep.equal({ local: {} });
    });

    it('T32: a clean save is skipped before the MDN gate: an MDN number untouched by master without mdn_run is fine', async () => {
      const before = await storedOrFail(MDN);
      const [outcome] = await service.update([MDN], { authBy: MASTER }, {});
      expect(okOf(outcome).state).to.equal('in_service');
      expect((await storedOrFail(MDN))._rev).to.equal(before._rev);
    });

    it('T33: setting e911 on the local number through move is refused the same way', async () => {
      const [outcome] = await service.move([IN_SERVICE], { authBy: RESELLER }, RESELLER, { e911: { street_address: '140 Main St' } });
      expect(errorOf(outcome)).to.deep.include({ code: 403, error: 'forbidden' });
      expect(await storedOrFail(IN_SERVICE)).to.not.have.property('e911');
    });

    it("T33: once the reseller's number_manager config denies nothing, the reseller may ask for e911 on its local number", async () => {
      // The fixture reseller's E911 provider is Telnyx's, in its sandbox: the provider keeps the address without a call (no test reaches the internet).
      await store.put(accountDbName(MASTER), { _id: 'configs_number_manager', features: { deny: [] }, e911_provider: 'knm_telnyx_e911' });
      await store.put('system_config', { _id: 'number_manager.telnyx', default: { sandbox_provisioning: true } });
      const e911 = { street_address: '140 Main St', postal_code: '94105' };
      const [outcome] = await service.update([IN_SERVICE], { authBy: RESELLER }, { mergePublic: { e911 } });
      expect(okOf(outcome).e911).to.deep.equal(e911);
      expect(await storedOrFail(IN_SERVICE)).to.deep.include({ e911 });
    });

    it('T33: system is refused too: a local number may not have e911 whoever asks', async () => {
      const [outcome] = await service.update([IN_SERVICE], SYSTEM, { mergePublic: { e911: { street_address: '140 Main St' } } });
      expect(errorOf(outcome)).to.deep.include({ code: 403, error: 'forbidden' });
    });

    it('T34: assign_to_app runs no feature provider: a reserved local number holding e911 keeps it and is saved', async () => {
      const heldE911 = '+14242424248';
      const [assigned] = await service.assignToApp([heldE911], SYSTEM, 'my_app');
      expect(okOf(assigned)).to.deep.include({ used_by: 'my_app', features: ['e911', 'local'] });
      expect(await storedOrFail(heldE911)).to.deep.include({ pvt_used_by: 'my_app', pvt_features: { e911: { caller_name: 'Moua' }, local: {} } });
      // the same number fails every providers' save while it holds a feature it may not have (knm_providers:save/1)
      const [updated] = await service.update([heldE911], SYSTEM, { mergePublic: { note: 'x' } });
      expect(errorOf(updated)).to.deep.include({ code: 403, error: 'forbidden' });
    });

    it('T34: assign_to_app writes used_by (dirty)', async () => {
      const before = await storedOrFail(IN_SERVICE);
      const [outcome] = await service.assignToApp([IN_SERVICE], SYSTEM, 'my_app');
      expect(okOf(outcome).used_by).to.equal('my_app');
      const after = await storedOrFail(IN_SERVICE);
      expect(after._rev).to.not.equal(before._rev);
      expect(after).to.include({ pvt_used_by: 'my_app', pvt_modified: NOW });
      expect(await store.get(accountDbName(RESELLER), IN_SERVICE)).to.include({ pvt_used_by: 'my_app' });
    });

    for (const [app, shown] of [[undefined, 'undefined'], ['my_app', 'my_app']] as const) {
      it(`T35: changing used_by from callflow to ${shown} is a change (dirty)`, async () => {
        const before = await storedOrFail(IN_SERVICE);
        expect(before.pvt_used_by).to.equal('callflow');
        const [outcome] = await service.assignToApp([IN_SERVICE], SYSTEM, app);
        expect(okOf(outcome).used_by).to.equal(app);
        const after = await storedOrFail(IN_SERVICE);
        expect(after._rev).to.not.equal(before._rev);
        expect(after.pvt_used_by).to.equal(app);
      });
    }

    it('T35: assigning the app a number already has is no change (not written)', async () => {
      const before = await storedOrFail(IN_SERVICE);
      const [outcome] = await service.assignToApp([IN_SERVICE], SYSTEM, 'callflow');
      expect(okOf(outcome).used_by).to.equal('callflow');
      expect((await storedOrFail(IN_SERVICE))._rev).to.equal(before._rev);
    });

    it('T40: update with no setters is not dirty (nothing written)', async () => {
      const before = await storedOrFail(AVAILABLE);
      const [outcome] = await service.update([AVAILABLE], SYSTEM, {});
      expect(okOf(outcome).state).to.equal('available');
      expect((await storedOrFail(AVAILABLE))._rev).to.equal(before._rev);
    });

    it('T40: setting ported_in true is dirty, and stored', async () => {
      const before = await storedOrFail(AVAILABLE);
      const [outcome] = await service.update([AVAILABLE], SYSTEM, { portedIn: true });
      expect(outcome.ok).to.equal(true);
      const after = await storedOrFail(AVAILABLE);
      expect(after._rev).to.not.equal(before._rev);
      expect(after).to.include({ pvt_ported_in: true, pvt_modified: NOW });
    });
  });

  describe('delete, reconcile, reserve, release by batch (knm_numbers_tests)', () => {
    it('T41: system deletes an available number', async () => {
      const [outcome] = await service.delete([AVAILABLE], SYSTEM);
      expect(okOf(outcome)).to.deep.include({ state: 'deleted' });
      expect(await stored(AVAILABLE)).to.equal(null);
    });

    it('T42: reconcile assigns an available number to the reseller, in_service', async () => {
      const [outcome] = await service.reconcile([AVAILABLE], { assignTo: RESELLER });
      expect(okOf(outcome).state).to.equal('in_service');
      expect(await storedOrFail(AVAILABLE)).to.include({ pvt_state: 'in_service', pvt_assigned_to: RESELLER, pvt_module_name: 'knm_local' });
    });

    it('T47: reconcile keeps the carrier of a discovery bandwidth2 number', async () => {
      const [outcome] = await service.reconcile([BW_DISCOVERY], { assignTo: RESELLER });
      expect(okOf(outcome)).to.include({ state: 'in_service' });
      expect(okOf(outcome)._read_only).to.deep.include({ created: 63610268576, modified: NOW, carrier_module: 'bandwidth2' });
      expect(await storedOrFail(BW_DISCOVERY)).to.include({ pvt_state: 'in_service', pvt_assigned_to: RESELLER, pvt_module_name: 'knm_bandwidth2' });
    });

    it('T42: reconcile runs as system (no requester to check), merges public fields, and sets the module only when given', async () => {
      const [outcome] = await service.reconcile([IN_SERVICE], { assignTo: CHILD, publicFields: { note: 'x' }, moduleName: 'knm_telnyx' });
      expect(okOf(outcome)).to.deep.include({ state: 'in_service', note: 'x' });
      const doc = await storedOrFail(IN_SERVICE);
      expect(doc).to.deep.include({ pvt_assigned_to: CHILD, pvt_previously_assigned_to: RESELLER, pvt_module_name: 'knm_telnyx', note: 'x' });
      // set_module_name/2 takes `local` away with knm_local; used_by goes with the old holder
      expect(doc.pvt_features ?? {}).to.deep.equal({});
      expect(doc).to.not.have.property('pvt_used_by');
    });

    it('T42: reconcile of a number with no document answers an in_service number and stores nothing (do_move_not_founds)', async () => {
      const [outcome] = await service.reconcile([NEW], { assignTo: RESELLER });
      expect(okOf(outcome)).to.deep.include({ state: 'in_service', features: ['local'] });
      expect(await stored(NEW)).to.equal(null);
    });

    it('T42: reconcile needs an account to assign to: 400 assign_failure', async () => {
      const [outcome] = await service.reconcile([AVAILABLE], { assignTo: undefined });
      expect(errorOf(outcome)).to.deep.include({ code: 400, error: 'assign_failure', cause: 'field_undefined' });
    });

    it('T43: master reserves an available number for the reseller: reserved, history [reseller]', async () => {
      const [outcome] = await service.reserve([AVAILABLE], { authBy: MASTER }, RESELLER);
      expect(okOf(outcome).state).to.equal('reserved');
      expect(await storedOrFail(AVAILABLE)).to.deep.include({ pvt_state: 'reserved', pvt_assigned_to: RESELLER, pvt_reserve_history: [RESELLER] });
    });

    it('T43: a number given twice in one batch is reserved once, both answers the same (knm_numbers usorts the batch)', async () => {
      const outcomes = await service.reserve([AVAILABLE, AVAILABLE], { authBy: MASTER }, RESELLER);
      expect(outcomes.map((outcome) => outcome.ok)).to.deep.equal([true, true]);
      expect(outcomes[1]).to.deep.equal(outcomes[0]);
      expect((await storedOrFail(AVAILABLE))._rev).to.match(/^2-/);
    });

    it('T44: reserve without assign_to: 400 assign_failure field_undefined', async () => {
      const [outcome] = await service.reserve([IN_SERVICE], SYSTEM, undefined);
      expect(errorOf(outcome)).to.deep.equal({ code: 400, error: 'assign_failure', message: 'invalid account to assign to', cause: 'field_undefined' });
    });

    it('T45: reserving an in_service number for its owner: reserved, history still [reseller]', async () => {
      const [outcome] = await service.reserve([IN_SERVICE], SYSTEM, RESELLER);
      expect(okOf(outcome).state).to.equal('reserved');
      expect(await storedOrFail(IN_SERVICE)).to.deep.include({ pvt_state: 'reserved', pvt_assigned_to: RESELLER, pvt_reserve_history: [RESELLER] });
    });

    it('T46: a batch release [WITH_HISTORY, MDN]: reserved to master, and deleted', async () => {
      const [withHistory, mdn] = await service.release([WITH_HISTORY, MDN], SYSTEM);
      expect(okOf(withHistory).state).to.equal('reserved');
      expect(await storedOrFail(WITH_HISTORY)).to.include({ pvt_assigned_to: MASTER });
      expect(okOf(mdn)._read_only).to.deep.include({ is_deleted: true });
      expect(await stored(MDN)).to.equal(null);
    });
  });

  /** The account copy Kazoo keeps of an assigned number (knm_phone_number:assign/1). */
  async function putAccountCopy(number: string, account: string): Promise<void> {
    const { _rev, ...doc } = await storedOrFail(number);
    await store.put(accountDbName(account), doc);
  }
});
