/**
 * design-docs.ts without a server: Kazoo's view files installed the way Kazoo installs them, placement by
 * `kazoo.view_map`, versioning by fingerprint, and knm's own views run over Kazoo's fixture documents.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import {
  fingerprint,
  fromKazooViewFile,
  isCurrent,
  KNM_DESIGN_DOC,
  loadDesignDocs,
  VALIDATE_DESIGN_DOC,
  type DesignDoc,
  type DesignDocLibrary,
} from '../../src/store/design-docs';
import { runMap } from '../helpers/couch-functions';
import { FIXTURES_DIR, REPO_ROOT } from '../helpers/fixtures';

type Doc = Record<string, unknown> & { _id: string };

function fixtureNumberDocs(): Doc[] {
  const dbsDir = path.join(FIXTURES_DIR, 'dbs');
  return fs
    .readdirSync(dbsDir)
    .filter((folder) => folder.startsWith('numbers%2F'))
    .flatMap((folder) => fs.readdirSync(path.join(dbsDir, folder)).map((file) => JSON.parse(fs.readFileSync(path.join(dbsDir, folder, file), 'utf8')) as Doc));
}

describe('design documents (design-docs.ts)', () => {
  let library: DesignDocLibrary;
  before(async () => {
    library = await loadDesignDocs();
  });

  function doc(id: string): DesignDoc {
    const found = library.docs.find(({ doc: candidate }) => candidate._id === id);
    expect(found, id).to.not.equal(undefined);
    return (found as { doc: DesignDoc }).doc;
  }

  describe('Kazoo view files, as Kazoo installs them', () => {
    it('views/ holds Kazoo 4.3 files unchanged', () => {
      for (const name of ['numbers.json', 'numbers_managed.json', 'numbers_inum.json', 'port_requests.json', 'port_services.json']) {
        const shipped = fs.readFileSync(path.join(FIXTURES_DIR, 'views', '4.3', 'numbers-dbs', name), 'utf8');
        expect(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'views', name), 'utf8')), name).to.deep.equal(JSON.parse(shipped));
      }
    });

    it('drops the kazoo key and joins map line arrays with no separator (FACTS §8.1)', () => {
      const numbers = doc('_design/numbers');
      expect(numbers).to.not.have.property('kazoo');
      expect(Object.keys(numbers.views ?? {}).sort()).to.deep.equal(['assigned_to', 'list_assigned_and_app', 'module_name', 'status', 'unassigned']);
      expect(numbers.views?.list_assigned_and_app.map).to.equal(
        "function(doc) {  if (doc.pvt_type != 'number' || !doc.pvt_assigned_to || doc.pvt_deleted) return;  emit([doc.pvt_assigned_to, doc.pvt_used_by], null);}",
      );
      expect(numbers.views?.module_name).to.deep.equal({ map: 'function(doc) { emit(doc.pvt_module_name, 1); }', reduce: '_sum' });
    });

    it('the master branch file (line arrays everywhere) installs to the same views as the 4.3 one', () => {
      const master = fromKazooViewFile(JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'views', 'master', 'numbers-dbs', 'numbers.json'), 'utf8')), 'master');
      const docs = fixtureNumberDocs();
      for (const [name, view] of Object.entries(master.doc.views ?? {})) {
        expect(runMap(view.map, docs), name).to.deep.equal(runMap(doc('_design/numbers').views?.[name].map as string, docs));
      }
    });

    it('refuses a file that is not a design document', () => {
      expect(() => fromKazooViewFile({ _id: 'numbers' }, 'x.json')).to.throw(/not a design document/);
      expect(() => fromKazooViewFile({ _id: '_design/x', views: { v: { map: [1] } } }, 'x.json')).to.throw(/array of lines/);
    });
  });

  describe('placement', () => {
    it('every number database, pools included, gets Kazoo\'s _design/numbers and knm\'s documents', () => {
      const ids = (db: string): string[] => library.forDb(db).map(({ _id }) => _id);
      expect(ids('numbers/+1415')).to.deep.equal(['_design/numbers', KNM_DESIGN_DOC, VALIDATE_DESIGN_DOC]);
      expect(ids('numbers/managed')).to.deep.equal(['_design/numbers', '_design/numbers_managed', KNM_DESIGN_DOC, VALIDATE_DESIGN_DOC]);
      expect(ids('numbers/inum')).to.deep.equal(['_design/numbers', '_design/numbers_inum', KNM_DESIGN_DOC, VALIDATE_DESIGN_DOC]);
      expect(ids('port_requests')).to.deep.equal(['_design/port_requests', '_design/port_services']);
      expect(ids('accounts')).to.deep.equal([]);
      expect(ids('system_config')).to.deep.equal([]);
    });

    it("an account database (not its monthly ones) gets Kazoo's account _design/numbers, shipped unchanged in views/account", () => {
      const shipped = path.join(FIXTURES_DIR, 'views', '4.3', 'account-dbs', 'numbers.json');
      expect(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'views', 'account', 'numbers.json'), 'utf8'))).to.deep.equal(JSON.parse(fs.readFileSync(shipped, 'utf8')));
      const [accountNumbers, ...others] = library.forDb('account/ac/co/unt0000000000000000000000003');
      expect(others).to.deep.equal([]);
      expect(accountNumbers).to.deep.equal(fromKazooViewFile(JSON.parse(fs.readFileSync(shipped, 'utf8')), shipped).doc);
      expect(Object.keys(accountNumbers.views ?? {})).to.include('list_reserved');
      expect(library.forDb('account/ac/co/unt0000000000000000000000003-202401')).to.deep.equal([]);
    });
  });

  describe('versioning by fingerprint', () => {
    it('ignores _rev and key order, and changes with the content', () => {
      const numbers = doc('_design/numbers');
      const reordered = Object.fromEntries(Object.entries({ ...numbers, _rev: '7-abc' }).reverse());
      expect(fingerprint(reordered)).to.equal(fingerprint(numbers));
      expect(isCurrent(reordered, numbers)).to.equal(true);
      const changed = { ...numbers, views: { ...numbers.views, status: { map: 'function(doc) { emit(doc._id, null); }' } } };
      expect(fingerprint(changed)).to.not.equal(fingerprint(numbers));
      expect(isCurrent(changed, numbers)).to.equal(false);
      expect(isCurrent(null, numbers)).to.equal(false);
      expect(fingerprint(numbers)).to.match(/^[0-9a-f]{16}$/);
    });
  });

  describe("knm's views over Kazoo's fixture documents", () => {
    const knmView = (name: string): string => doc(KNM_DESIGN_DOC).views?.[name].map as string;

    it('state_counts: every document with a state, keyed [state, module], reduced by _count', () => {
      expect(doc(KNM_DESIGN_DOC).views?.state_counts.reduce).to.equal('_count');
      const rows = runMap(knmView('state_counts'), fixtureNumberDocs());
      expect(rows).to.have.length(fixtureNumberDocs().length);
      expect(rows.find(({ id }) => id === '+14252151009')?.key).to.deep.equal(['port_in', 'knm_bandwidth2']);
      const legacy = runMap(knmView('state_counts'), [{ _id: '+14155550101', pvt_number_state: 'discovery', pvt_module_name: 'wnm_other' }]);
      expect(legacy.map(({ key }) => key)).to.deep.equal([['discovery', 'wnm_other']]);
    });

    it('hunt: the numbers in states a hunt answers (port_in, in_service, port_out, reserved)', () => {
      const docs = fixtureNumberDocs();
      const rows = runMap(knmView('hunt'), docs);
      const hunted = docs.filter((d) => ['port_in', 'in_service', 'port_out', 'reserved'].includes(d.pvt_state as string)).map(({ _id }) => _id);
      expect(rows.map(({ id }) => id).sort()).to.deep.equal(hunted.sort());
      expect(rows.find(({ id }) => id === '+15551233322')).to.deep.equal({
        id: '+15551233322',
        key: '+15551233322',
        value: { assigned_to: 'account0000000000000000000000002', state: 'in_service', module_name: 'knm_local', used_by: 'callflow' },
      });
      expect(rows.map(({ id }) => id)).to.not.include('+15551239876'); // available: not hunted (FACTS §8.3)
    });

    it('expiry: discovery, aging and deleted numbers keyed [state, pvt_modified], value pvt_created', () => {
      const rows = runMap(knmView('expiry'), [
        ...fixtureNumberDocs(),
        { _id: '+14155550102', pvt_state: 'aging', pvt_modified: '63700000000', pvt_created: 63600000000 },
        { _id: '+14155550103', pvt_state: 'discovery', pvt_modified: 'undefined' },
      ]);
      expect(rows).to.deep.equal([
        { id: '+14122065197', key: ['discovery', 63610268576], value: 63610268576 },
        { id: '+14155550102', key: ['aging', 63700000000], value: 63600000000 },
      ]);
    });
  });
});
