/**
 * knm's validate_doc_update, run in node with CouchDB's calling convention (test/helpers/couch-functions.ts).
 * The allowed transitions below are written independently of the function's own table, from states.md §5–§7 and
 * FACTS §4.4, §4.5, §4.7, §4.8, §10.4, so the two must agree pair by pair.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import * as espree from 'espree';
import { loadDesignDocs, VALIDATE_DESIGN_DOC, type DesignDocLibrary } from '../../src/store/design-docs';
import { compileValidate, type UserCtx, type ValidateOutcome } from '../helpers/couch-functions';
import { FIXTURES_DIR } from '../helpers/fixtures';

type Doc = Record<string, unknown> & { _id: string };
type Validate = (newDoc: unknown, oldDoc: unknown, userCtx: UserCtx) => ValidateOutcome;

const STATES = ['discovery', 'available', 'reserved', 'in_service', 'port_in', 'port_out', 'released', 'aging', 'deleted'] as const;
type State = (typeof STATES)[number];

/** Changes of state some Kazoo version makes (from → to, to ≠ from), for a number of any carrier module. */
const ALLOWED: Record<State, State[]> = {
  // to_options_state: discovery → reserved / in_service (acquire); reconcile (4.3) → in_service
  discovery: ['reserved', 'in_service'],
  // reserve, buy (anyone may buy available), aging via create/release with should_age
  available: ['reserved', 'in_service', 'aging'],
  // buy by a descendant, release (unwind/released_state/aging), port_out setter, 3.x permanent delete
  reserved: ['in_service', 'available', 'released', 'aging', 'port_out', 'deleted'],
  in_service: ['reserved', 'available', 'released', 'aging', 'port_out', 'deleted'],
  // port completion, release (port_in is releasable), 3.22 permanent delete
  port_in: ['in_service', 'reserved', 'available', 'released', 'aging', 'deleted'],
  // only 4.3 reconcile moves a port_out number (to in_service)
  port_out: ['in_service'],
  // to_options_state(aging), release of a released number (unwind, released_state), 3.x released → available, reconcile
  released: ['aging', 'reserved', 'available', 'in_service'],
  // 4.3 buy from aging, crawler after aging_expiry_d
  aging: ['in_service', 'available'],
  // a legacy persisted deleted number: only reconcile brings it back
  deleted: ['in_service'],
};

/** knm_local numbers may be released from any state, which hands them back reserved to the previous holder. */
const ALLOWED_LOCAL_EXTRA: Record<State, State[]> = {
  discovery: [], available: [], reserved: [], in_service: [], port_in: [], released: [],
  aging: ['reserved'], port_out: ['reserved'], deleted: ['reserved'],
};

const ctx = (db: string | undefined): UserCtx => ({ ...(db === undefined ? {} : { db }), name: 'admin', roles: ['_admin'] });
const NUMBER = '+14155550100';
const DB = 'numbers/+1415';

function numberDoc(state: State | undefined, module = 'knm_telnyx', extra: Record<string, unknown> = {}): Doc {
  const doc: Doc = {
    _id: NUMBER,
    pvt_type: 'number',
    pvt_db_name: 'numbers%2F%2B1415',
    pvt_module_name: module,
    pvt_ported_in: false,
    pvt_created: 63800000000,
    pvt_modified: 63800000000,
    pvt_assigned_to: 'account0000000000000000000000002',
    ...extra,
  };
  if (state !== undefined) doc.pvt_state = state;
  return doc;
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function dbOf(id: string): string {
  return `numbers/${id.slice(0, 5)}`;
}

interface Fixture {
  name: string;
  doc: Doc;
}

function numberDbFixtures(): Fixture[] {
  const dbsDir = path.join(FIXTURES_DIR, 'dbs');
  const fixtures: Fixture[] = [];
  for (const folder of fs.readdirSync(dbsDir).filter((name) => name.startsWith('numbers%2F'))) {
    for (const file of fs.readdirSync(path.join(dbsDir, folder))) {
      fixtures.push({ name: `dbs/${folder}/${file}`, doc: readJson(path.join(dbsDir, folder, file)) as Doc });
    }
  }
  return fixtures;
}

function oldVsnFixtures(): Fixture[] {
  const dir = path.join(FIXTURES_DIR, 'old_vsn');
  return fs.readdirSync(dir).map((file) => ({ name: `old_vsn/${file}`, doc: readJson(path.join(dir, file)) as Doc }));
}

interface Upgrade {
  kazoo_4_3_loads: boolean;
  dirty?: boolean;
  doc?: Doc;
  input?: Doc;
}

function upgrades(file: string): Record<string, Upgrade> {
  return readJson(path.join(FIXTURES_DIR, 'upgraded-4.3', file)) as Record<string, Upgrade>;
}

describe('validate_doc_update (in node, CouchDB calling convention)', () => {
  let library: DesignDocLibrary;
  let validate: Validate;

  before(async () => {
    library = await loadDesignDocs();
    const source = library.docs.find(({ doc }) => doc._id === VALIDATE_DESIGN_DOC)?.doc.validate_doc_update;
    expect(source, 'couchapps/_design/knm_validate/validate_doc_update.js').to.be.a('string');
    validate = compileValidate(source as string);
  });

  function expectAccepted(newDoc: unknown, oldDoc: unknown, db: string | undefined, what: string): void {
    const outcome = validate(newDoc, oldDoc, ctx(db));
    expect(outcome, what).to.deep.equal({ status: 200 });
  }

  function expectRefused(newDoc: unknown, oldDoc: unknown, db: string | undefined, pattern: RegExp): void {
    const outcome = validate(newDoc, oldDoc, ctx(db));
    expect(outcome.status, JSON.stringify(newDoc)).to.equal(403);
    expect((outcome as { reason: string }).reason).to.match(/^knm: /).and.to.match(pattern);
  }

  describe('runs on CouchDB 3 (SpiderMonkey): ES5 only', () => {
    it('the validate function and every map/reduce function deployed parse as ECMAScript 5', () => {
      let checked = 0;
      for (const { doc, source } of library.docs) {
        const functions: string[] = [];
        if (typeof doc.validate_doc_update === 'string') functions.push(doc.validate_doc_update);
        for (const view of Object.values(doc.views ?? {})) {
          functions.push(view.map);
          if (view.reduce !== undefined && !view.reduce.startsWith('_')) functions.push(view.reduce);
        }
        for (const fn of functions) {
          expect(() => espree.parse(`(${fn})`, { ecmaVersion: 5 }), source).not.to.throw();
          checked += 1;
        }
      }
      expect(checked).to.be.greaterThan(10);
    });

    it('an ES2015 construct is caught by that check', () => {
      expect(() => espree.parse('(function (doc) { let x = 1; emit(x, null); })', { ecmaVersion: 5 })).to.throw();
    });
  });

  describe('state transitions, every pair of states', () => {
    for (const module of ['knm_telnyx', 'knm_local', 'wnm_local']) {
      it(`allows exactly the changes Kazoo makes (${module})`, () => {
        const local = module !== 'knm_telnyx';
        const mismatches: string[] = [];
        for (const from of STATES) {
          for (const to of STATES) {
            const allowed = from === to || ALLOWED[from].includes(to) || (local && ALLOWED_LOCAL_EXTRA[from].includes(to));
            const outcome = validate(numberDoc(to, module), { ...numberDoc(from, module), _rev: '1-a' }, ctx(DB));
            if ((outcome.status === 200) !== allowed) mismatches.push(`${from} → ${to}: ${allowed ? 'expected allowed' : 'expected refused'}, got ${JSON.stringify(outcome)}`);
          }
        }
        expect(mismatches).to.deep.equal([]);
      });
    }

    it('every state may be written fresh except none (creation is not a transition)', () => {
      for (const state of STATES) expectAccepted(numberDoc(state), null, DB, state);
    });

    it('says why and what to do instead', () => {
      expectRefused(numberDoc('port_in'), numberDoc('available'), DB, /from available to port_in.*created in that state/);
      expectRefused(numberDoc('discovery'), numberDoc('in_service'), DB, /from in_service to discovery.*never re-entered/);
      expectRefused(numberDoc('port_out'), numberDoc('port_in'), DB, /from port_in to port_out.*completing the port/);
      expectRefused(numberDoc('port_out'), numberDoc('available'), DB, /only a number in use/);
      expectRefused(numberDoc('deleted'), numberDoc('available'), DB, /delete its document/);
    });

    it('reads the state of a 3.x document from pvt_number_state', () => {
      const v3 = { ...numberDoc(undefined), pvt_number_state: 'port_in', _rev: '3-a' };
      expectAccepted(numberDoc('in_service'), v3, DB, 'port_in (v3) → in_service');
      expectRefused(numberDoc('available', 'knm_telnyx', { pvt_number_state: 'x' }), { ...numberDoc(undefined), pvt_number_state: 'discovery' }, DB, /from discovery to available/);
    });

    it('a recreated document (the stored revision is a deletion) is a fresh one', () => {
      expectAccepted(numberDoc('port_in'), { _id: NUMBER, _rev: '4-a', _deleted: true }, DB, 'recreate as port_in');
    });

    it('a stateless legacy document stays writable, but a state is never removed', () => {
      expectAccepted(numberDoc(undefined), numberDoc(undefined), DB, 'stateless → stateless');
      expectAccepted(numberDoc('available'), numberDoc(undefined), DB, 'stateless → available');
      expectRefused(numberDoc(undefined), numberDoc('in_service'), DB, /pvt_state cannot be removed/);
    });
  });

  describe('every Kazoo fixture document is accepted', () => {
    it('fresh, as an unchanged re-save and as a direct edit by a tool (dbs/ and old_vsn/)', () => {
      const all = [...numberDbFixtures(), ...oldVsnFixtures()];
      expect(all.length).to.be.greaterThan(40);
      for (const { name, doc } of all) {
        const db = dbOf(doc._id);
        const { _rev: _ignored, ...fresh } = doc;
        expectAccepted(fresh, null, db, `${name} fresh`);
        expectAccepted(doc, doc, db, `${name} re-saved`);
        expectAccepted({ ...doc, my_note: 'edited in Fauxton' }, doc, db, `${name} edited`);
      }
    });

    it('rewritten by Kazoo 4.3 from every older generation, and the 4.3 form written fresh', () => {
      let rewrites = 0;
      for (const [file, inputs] of [['dbs.json', numberDbFixtures()], ['old_vsn.json', oldVsnFixtures()]] as const) {
        for (const [key, upgrade] of Object.entries(upgrades(file))) {
          const input = inputs.find(({ name }) => name.endsWith(`${key}.json`));
          expect(input, `${file} ${key}`).to.not.equal(undefined);
          expect(upgrade.kazoo_4_3_loads).to.equal(true);
          const written = upgrade.doc as Doc;
          expectAccepted(written, input?.doc, dbOf(written._id), `${file} ${key} 4.3 rewrite`);
          expectAccepted(written, null, dbOf(written._id), `${file} ${key} 4.3 form fresh`);
          rewrites += 1;
        }
      }
      expect(rewrites).to.be.greaterThan(35);
    });

    it('synthetic legacy inputs: what Kazoo 4.3 loads is accepted, what breaks its loader is refused', () => {
      // Refused although 4.3 loads them: an _id that is not normalized (4.3 would write the number under another
      // _id), and a non-list pvt_features_allowed (4.3 silently reads it as [] and drops it on its next save).
      const refusedAnyway: Record<string, RegExp> = {
        v4_nonnormalized_id: /not a normalized number/,
        bad_allowed_string: /pvt_features_allowed must be an array/,
      };
      const outcomes: string[] = [];
      for (const [key, entry] of Object.entries(upgrades('synthetic.json'))) {
        const input = entry.input as Doc;
        const db = input._id.startsWith('+') ? dbOf(input._id) : 'numbers/+1415';
        const outcome = validate(input, null, ctx(db));
        const expectAccept = entry.kazoo_4_3_loads && !(key in refusedAnyway);
        if ((outcome.status === 200) !== expectAccept) outcomes.push(`${key}: ${JSON.stringify(outcome)}`);
        if (key in refusedAnyway && outcome.status === 403) expect(outcome.reason, key).to.match(refusedAnyway[key]);
        if (entry.doc !== undefined) {
          expectAccepted(entry.doc, expectAccept ? input : null, dbOf(entry.doc._id), `${key} 4.3 output`);
        }
      }
      expect(outcomes).to.deep.equal([]);
    });

    it('a port_in document with attachments', () => {
      const withAttachments = numberDoc('port_in', 'knm_local', {
        _attachments: { 'loa.pdf': { content_type: 'application/pdf', digest: 'md5-eEYd+NQg/SR6QXReENaxKQ==', length: 81352, revpos: 2, stub: true } },
      });
      expectAccepted(withAttachments, null, DB, 'fresh');
      expectAccepted({ ...withAttachments, pvt_state: 'in_service' }, withAttachments, DB, 'port completed');
    });
  });

  describe('pool databases numbers/managed and numbers/inum', () => {
    const pool = (state: string, extra: Record<string, unknown> = {}): Doc => ({
      _id: '+883510000000001', pvt_account_id: 'account0000000000000000000000002', pvt_state: state, pvt_type: 'number', ...extra,
    });

    it('accept what generate_numbers, acquire and disconnect write', () => {
      for (const db of ['numbers/managed', 'numbers/inum']) {
        const generated = pool('available');
        const acquired = pool('in_service', { pvt_module_name: 'knm_managed', pvt_assigned_to: 'account0000000000000000000000003' });
        expectAccepted(generated, null, db, 'generate_numbers');
        expectAccepted(acquired, generated, db, 'acquire');
        expectAccepted(pool('available', { pvt_module_name: 'knm_managed', pvt_assigned_to: null }), acquired, db, 'managed disconnect');
        expectAccepted(pool('released', { pvt_module_name: 'knm_inum', pvt_reserve_history: [] }), acquired, db, 'inum disconnect');
        expectAccepted(pool('reserved'), pool('released'), db, 'pool doc offered again');
      }
    });

    it('refuse states a pool document never holds, and malformed fields', () => {
      expectRefused(pool('discovery'), null, 'numbers/managed', /pool document is available, reserved, in_service, released, not discovery/);
      expectRefused(pool('port_in'), pool('available'), 'numbers/inum', /not port_in/);
      expectRefused(pool('available', { pvt_assigned_to: 'short' }), null, 'numbers/managed', /32-character account id/);
      expectRefused({ ...pool('available'), _id: 'pool-1' }, null, 'numbers/managed', /not a normalized number/);
    });
  });

  describe('refusals', () => {
    it('an _id that is not a normalized number', () => {
      for (const id of ['4155550100', '+1 415 555 0100', '+141', 'number_manager', '+14155550100\n']) {
        expectRefused({ ...numberDoc('available'), _id: id }, null, undefined, /is not a normalized number: .*"\+" and digits/);
      }
    });

    it('a number in the wrong prefix database, or with a pvt_db_name naming another one', () => {
      expectRefused(numberDoc('available'), null, 'numbers/+1416', /belongs in database numbers\/\+1415 \(numbers%2F%2B1415\), not numbers\/\+1416/);
      expectRefused(numberDoc('available', 'knm_local', { pvt_db_name: 'numbers%2F%2B1416' }), null, DB, /pvt_db_name "numbers%2F%2B1416" does not name this database/);
      expectAccepted(numberDoc('available', 'knm_local', { pvt_db_name: 'numbers%2f%2b1415' }), null, DB, 'lower-case encoding');
    });

    it('a number database Kazoo does not use', () => {
      expectRefused(numberDoc('available'), null, 'numbers/14158', /not a number database Kazoo uses/);
    });

    it('an unknown state', () => {
      expectRefused(numberDoc('disconnected' as State), null, DB, /pvt_state "disconnected" is not a Kazoo state/);
      expectRefused({ ...numberDoc(undefined), pvt_state: null }, null, DB, /pvt_state null is not a Kazoo state/);
      expectRefused({ ...numberDoc(undefined), pvt_number_state: 'bogus' }, null, DB, /pvt_number_state "bogus"/);
    });

    const malformed: [string, unknown, RegExp][] = [
      ['pvt_type', 'port_request', /pvt_type is "port_request"/],
      ['pvt_module_name', '', /pvt_module_name is ""/],
      ['pvt_module_name', 7, /pvt_module_name is 7/],
      ['pvt_assigned_to', '', /pvt_assigned_to is "": it must be a 32-character account id/],
      ['pvt_assigned_to', null, /pvt_assigned_to is null/],
      ['pvt_assigned_to', 'short', /pvt_assigned_to is "short"/],
      ['pvt_previously_assigned_to', '', /pvt_previously_assigned_to is ""/],
      ['pvt_used_by', '', /pvt_used_by is ""/],
      ['pvt_used_by', null, /pvt_used_by is null/],
      ['pvt_reserve_history', 'abc', /pvt_reserve_history must be an array/],
      ['pvt_reserve_history', [7], /pvt_reserve_history must hold account ids only/],
      ['pvt_features', 'x', /pvt_features is "x"/],
      ['pvt_features_denied', 'e911', /pvt_features_denied must be an array/],
      ['pvt_features_allowed', [1], /pvt_features_allowed must hold feature names only/],
      ['pvt_carrier_data', 'x', /pvt_carrier_data must be an object/],
      ['pvt_carrier_data', [], /pvt_carrier_data must be an object/],
      ['pvt_ported_in', 1, /pvt_ported_in must be true or false/],
      ['pvt_created', {}, /pvt_created must be Gregorian seconds/],
      ['pvt_modified', true, /pvt_modified must be Gregorian seconds/],
      ['pvt_db_name', 5, /pvt_db_name must be a string/],
      ['pvt_region', [], /pvt_region must be a string/],
    ];
    for (const [field, value, pattern] of malformed) {
      it(`malformed ${field}: ${JSON.stringify(value)}`, () => {
        expectRefused(numberDoc('in_service', 'knm_local', { [field]: value }), null, DB, pattern);
      });
    }

    it('tolerated legacy shapes stay accepted', () => {
      const tolerated: Record<string, unknown>[] = [
        { pvt_features: [] }, { pvt_features: null }, { pvt_ported_in: null }, { pvt_ported_in: 'true' },
        { pvt_created: 'undefined' }, { pvt_modified: '63500000000' }, { pvt_module_name: 'undefined' },
      ];
      for (const extra of tolerated) expectAccepted(numberDoc('in_service', 'knm_local', extra), null, DB, JSON.stringify(extra));
    });
  });

  describe('what passes untouched', () => {
    it('design documents and deletions, even of a malformed document', () => {
      expectAccepted({ _id: '_design/anything', views: {} }, null, DB, 'design doc');
      expectAccepted({ _id: 'not-a-number', _rev: '2-a', _deleted: true }, { _id: 'not-a-number', pvt_state: 'bogus' }, DB, 'deletion');
      expectAccepted({ _id: NUMBER, _rev: '2-a', _deleted: true }, numberDoc('port_in'), DB, 'hard delete of a porting number');
    });

    it('databases that are not number databases', () => {
      expectAccepted({ _id: 'number_manager', default: {} }, null, 'system_config', 'system_config');
    });

    it('the database name in URL-encoded, shard-file and embedded-storage form', () => {
      expectRefused(numberDoc('available'), null, 'numbers%2F%2B1416', /belongs in database numbers\/\+1415/);
      expectRefused(numberDoc('available'), null, 'shards/00000000-7fffffff/numbers/+1416.1700000000', /belongs in database numbers\/\+1415/);
      expectAccepted(numberDoc('available'), null, 'shards/00000000-7fffffff/numbers/+1415.1700000000', 'shard of the right db');
      // knm's embedded server: express-pouchdb reports the storage name (src/store/embedded/db-names.ts)
      expectRefused(numberDoc('available'), null, 'numbers$2f+1416', /belongs in database numbers\/\+1415/);
      expectRefused(numberDoc('port_in'), null, 'numbers$2fmanaged', /a numbers\/managed pool document/);
    });

    it('without a database name (a server that does not give one) the other checks still run', () => {
      expectAccepted(numberDoc('available'), null, undefined, 'no db');
      expectRefused(numberDoc('port_in'), numberDoc('in_service'), undefined, /from in_service to port_in/);
    });
  });
});
