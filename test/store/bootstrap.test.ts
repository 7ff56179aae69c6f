/**
 * Bootstrap and design-document deployment against the embedded server over HTTP: idempotence (revisions and
 * update_seq unchanged on a second run), Kazoo's views answering what Kazoo's own map functions give over the
 * fixture documents, replacement of a changed design document, databases created behind knm's back, and the CLI.
 */
import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bootstrap, deployDesignDocs, refreshNumberDbs, seedConfig, withNumberDb } from '../../src/store/bootstrap';
import { connectStore, type Store } from '../../src/store/client';
import { FIXED_DATABASES, fingerprint, fromKazooViewFile, KNM_DESIGN_DOC, loadDesignDocs, VALIDATE_DESIGN_DOC, type DesignDoc, type DesignDocLibrary } from '../../src/store/design-docs';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';
import { isStoreError } from '../../src/store/errors';
import { runMap, type EmittedRow } from '../helpers/couch-functions';
import { FIXTURES_DIR } from '../helpers/fixtures';

type Doc = Record<string, unknown> & { _id: string };
const NOW = 63900000000;

function fixtureNumberDocs(): { db: string; doc: Doc }[] {
  const dbsDir = path.join(FIXTURES_DIR, 'dbs');
  return fs
    .readdirSync(dbsDir)
    .filter((folder) => folder.startsWith('numbers%2F'))
    .flatMap((folder) =>
      fs.readdirSync(path.join(dbsDir, folder)).map((file) => {
        const { _rev: _ignored, ...doc } = JSON.parse(fs.readFileSync(path.join(dbsDir, folder, file), 'utf8')) as Doc;
        return { db: decodeURIComponent(folder), doc: doc as Doc };
      }),
    );
}

/** Kazoo's design document as shipped in the fixtures, views joined the way Kazoo installs them. */
function kazooShipped(file: string): DesignDoc {
  return fromKazooViewFile(JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'views', '4.3', 'numbers-dbs', file), 'utf8')), file).doc;
}

const byJson = (a: unknown, b: unknown): number => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0);
const sortedRows = (rows: EmittedRow[]): EmittedRow[] => [...rows].sort(byJson);

async function snapshot(store: Store): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = {};
  for (const db of (await store.listDbs()).filter((name) => !name.startsWith('_'))) {
    const info = await store.dbInfo(db);
    state[db] = { update_seq: info.update_seq, doc_count: info.doc_count };
  }
  return state;
}

describe('bootstrap over HTTP (embedded server)', function () {
  this.timeout(60_000);
  let server: EmbeddedServer;
  let store: Store;
  let library: DesignDocLibrary;

  beforeEach(async () => {
    server = await startEmbeddedServer({ inMemory: true, port: 0, log: () => undefined });
    store = connectStore({ url: server.url });
    library = await loadDesignDocs();
  });

  afterEach(async () => {
    await server.close();
  });

  const run = (): ReturnType<typeof bootstrap> => bootstrap({ store, target: { url: server.url }, library, now: NOW });

  it('creates the databases, the configuration and every design document; a second run writes nothing', async () => {
    await store.createDb('numbers/+1415'); // a number database Kazoo made before knm ever ran
    const first = await run();
    expect(first.createdDbs).to.deep.equal([...FIXED_DATABASES]);
    expect(first.config).to.deep.equal([{ id: 'number_manager', created: true }, { id: 'tasks', created: true }]);
    expect(first.failures).to.deep.equal([]);
    const dbs = ['numbers/managed', 'numbers/inum', 'port_requests', 'numbers/+1415'];
    expect(first.designDocs.map(({ db }) => db).sort()).to.deep.equal([...dbs].sort());
    for (const db of dbs) {
      const wanted = library.forDb(db);
      const deployment = first.designDocs.find((d) => d.db === db);
      expect(deployment?.written.sort(), db).to.deep.equal(wanted.map(({ _id }) => _id).sort());
      for (const doc of wanted) expect(fingerprint(await store.get(db, doc._id)), `${db} ${doc._id}`).to.equal(fingerprint(doc));
    }

    const before = await snapshot(store);
    const revs = await Promise.all(dbs.flatMap((db) => library.forDb(db).map(async (doc) => (await store.get(db, doc._id))._rev)));
    const second = await run();
    expect(second.createdDbs).to.deep.equal([]);
    expect(second.config.every(({ created }) => !created)).to.equal(true);
    expect(second.designDocs.every(({ written }) => written.length === 0)).to.equal(true);
    expect(second.designDocs.reduce((sum, { unchanged }) => sum + unchanged.length, 0)).to.equal(revs.length);
    expect(await snapshot(store)).to.deep.equal(before);
    expect(await Promise.all(dbs.flatMap((db) => library.forDb(db).map(async (doc) => (await store.get(db, doc._id))._rev)))).to.deep.equal(revs);
  });

  it("system_config: Kazoo's defaults when missing, an existing configuration kept, 3.x crawler keys carried into tasks", async () => {
    await run();
    const numberManager = await store.get('system_config', 'number_manager');
    expect(numberManager).to.include({ pvt_type: 'config', pvt_created: NOW, pvt_account_db: 'system_config' });
    expect((numberManager.default as Record<string, unknown>).released_state).to.equal('available');
    const tasks = await store.get('system_config', 'tasks');
    expect(tasks.default).to.deep.equal({ discovery_expiry_d: 1, aging_expiry_d: 90, crawler_timer_ms: 86400000 });

    // A Kazoo 3.x cluster: number_manager holds the crawler keys, there is no tasks document yet.
    await store.put('system_config', { ...numberManager, default: { discovery_expiry_d: 90 }, 'kazoo@node1': { crawler_timer_ms: 3600000 } });
    await store.remove('system_config', 'tasks', tasks._rev);
    const kept = await store.get('system_config', 'number_manager');
    expect(await seedConfig(store, NOW + 1)).to.deep.equal([{ id: 'number_manager', created: false }, { id: 'tasks', created: true }]);
    expect((await store.get('system_config', 'number_manager'))._rev).to.equal(kept._rev);
    const migrated = await store.get('system_config', 'tasks');
    expect(migrated.default).to.deep.equal({ discovery_expiry_d: 90, aging_expiry_d: 90, crawler_timer_ms: 86400000 });
    expect(migrated['kazoo@node1']).to.deep.equal({ crawler_timer_ms: 3600000 });
  });

  it("Kazoo's views answer over the fixture documents what Kazoo's own map functions give", async () => {
    await run();
    const fixtures = fixtureNumberDocs();
    for (const { db, doc } of fixtures) {
      await withNumberDb(store, library, db, () => store.put(db, doc));
    }
    const shipped = kazooShipped('numbers.json');
    const dbs = [...new Set(fixtures.map(({ db }) => db))];
    expect(dbs.length).to.be.greaterThan(8);
    let compared = 0;
    for (const db of dbs) {
      const docs = fixtures.filter((f) => f.db === db).map(({ doc }) => doc);
      for (const [name, view] of Object.entries(shipped.views ?? {})) {
        const expected = sortedRows(runMap(view.map, docs));
        const answer = await store.view(db, 'numbers', name, view.reduce === undefined ? {} : { reduce: false });
        const rows = sortedRows(answer.rows.map(({ id, key, value }) => ({ id: id as string, key, value })));
        expect(rows, `${db} numbers/${name}`).to.deep.equal(expected);
        compared += expected.length;
      }
      const sums = new Map<string, number>();
      for (const { key, value } of runMap(shipped.views?.module_name.map as string, docs)) sums.set(JSON.stringify(key), (sums.get(JSON.stringify(key)) ?? 0) + (value as number));
      const grouped = await store.view(db, 'numbers', 'module_name', { group: true });
      expect(new Map(grouped.rows.map(({ key, value }) => [JSON.stringify(key), value]))).to.deep.equal(sums);
    }
    expect(compared).to.be.greaterThan(60);

    // The pools: numbers_managed/status and numbers_inum/status over what generate_numbers writes.
    for (const [db, file, design] of [['numbers/managed', 'numbers_managed.json', 'numbers_managed'], ['numbers/inum', 'numbers_inum.json', 'numbers_inum']] as const) {
      const pool = [0, 1, 2].map((i) => ({ _id: `+88351000000000${i}`, pvt_account_id: `account000000000000000000000000${i + 1}`, pvt_state: i === 2 ? 'in_service' : 'available', pvt_module_name: `knm_${design.slice(8)}`, pvt_type: 'number' }));
      for (const doc of pool) await store.put(db, doc);
      const expected = sortedRows(runMap(kazooShipped(file).views?.status.map as string, pool));
      const answer = await store.view(db, design, 'status');
      expect(sortedRows(answer.rows.map(({ id, key, value }) => ({ id: id as string, key, value }))), db).to.deep.equal(expected);
    }
  });

  it('a changed design document replaces the old one, and only that one', async () => {
    await store.createDb('numbers/+1415');
    await run();
    const db = 'numbers/+1415';
    const revsBefore = Object.fromEntries(await Promise.all(library.forDb(db).map(async (doc) => [doc._id, (await store.get(db, doc._id))._rev])));
    const knm = library.forDb(db).find(({ _id }) => _id === KNM_DESIGN_DOC) as DesignDoc;
    const changed: DesignDoc = { ...knm, views: { ...knm.views, by_module: { map: 'function (doc) { emit(doc.pvt_module_name, null); }' } } };
    const wanted = library.forDb(db).map((doc) => (doc._id === KNM_DESIGN_DOC ? changed : doc));

    expect(await deployDesignDocs(store, db, wanted)).to.deep.equal({ db, written: [KNM_DESIGN_DOC], unchanged: ['_design/numbers', VALIDATE_DESIGN_DOC] });
    const stored = await store.get<DesignDoc>(db, KNM_DESIGN_DOC);
    expect(fingerprint(stored)).to.equal(fingerprint(changed));
    expect(stored._rev).to.not.equal(revsBefore[KNM_DESIGN_DOC]);
    expect((await store.get(db, '_design/numbers'))._rev).to.equal(revsBefore['_design/numbers']);
    expect((await store.view(db, 'knm', 'by_module')).rows).to.deep.equal([]);

    // Redeploying the repository's version puts it back.
    expect((await deployDesignDocs(store, db, library.forDb(db))).written).to.deep.equal([KNM_DESIGN_DOC]);
    expect(fingerprint(await store.get(db, KNM_DESIGN_DOC))).to.equal(fingerprint(knm));
  });

  it('a changed design document of a fixed database is replaced by couchdb-bootstrap, the others left alone', async () => {
    await run();
    const managed = library.forDb('numbers/managed').find(({ _id }) => _id === '_design/numbers_managed') as DesignDoc;
    const changed: DesignDoc = { ...managed, views: { status: { map: 'function (doc) { emit([doc.pvt_account_id, doc._id], null); }' } } };
    const changedLibrary: DesignDocLibrary = {
      docs: library.docs,
      forDb: (db) => library.forDb(db).map((doc) => (doc._id === changed._id ? changed : doc)),
    };
    const report = await bootstrap({ store, target: { url: server.url }, library: changedLibrary, now: NOW });
    expect(report.designDocs.filter(({ written }) => written.length > 0)).to.deep.equal([
      { db: 'numbers/managed', written: ['_design/numbers_managed'], unchanged: ['_design/numbers', KNM_DESIGN_DOC, VALIDATE_DESIGN_DOC] },
    ]);
    expect(fingerprint(await store.get('numbers/managed', changed._id))).to.equal(fingerprint(changed));
  });

  it("refresh-numbers-dbs covers a number database created behind knm's back", async () => {
    await run();
    // Another tool creates a number database and writes into it with no validation in place.
    const raw = await fetch(`${server.url}/${encodeURIComponent('numbers/+1212')}`, { method: 'PUT' });
    expect(raw.status).to.equal(201);
    await store.put('numbers/+1212', { _id: '+12125550100', pvt_state: 'in_service', pvt_module_name: 'knm_local' });

    const report = await refreshNumberDbs({ store, library });
    expect(report.failures).to.deep.equal([]);
    const deployment = report.designDocs.find(({ db }) => db === 'numbers/+1212');
    expect(deployment?.written).to.deep.equal(library.forDb('numbers/+1212').map(({ _id }) => _id));
    expect(report.designDocs.filter(({ db }) => db !== 'numbers/+1212').every(({ written }) => written.length === 0)).to.equal(true);

    const current = await store.get('numbers/+1212', '+12125550100');
    const refused = await store.put('numbers/+1212', { ...current, pvt_state: 'port_in' }).then(() => null, (error: unknown) => error);
    expect(isStoreError(refused) && refused.status).to.equal(403);
    expect(await store.view('numbers/+1212', 'knm', 'hunt')).to.have.nested.property('rows[0].value.state', 'in_service');
  });

  it('reports a step after each database (progress) instead of a line per database written', async () => {
    await run();
    for (const db of ['numbers/+1212', 'numbers/+1213', 'numbers/+1214']) await store.createDb(db);
    const steps: [number, number, string | undefined][] = [];
    const lines: string[] = [];
    const report = await refreshNumberDbs({ store, library, concurrency: 2, log: (line) => lines.push(line), step: (done, total, unit) => steps.push([done, total, unit]) });
    expect(report.designDocs.filter(({ written }) => written.length > 0)).to.have.length(3);
    // the pools (numbers/managed, numbers/inum) are number databases too
    expect(steps).to.deep.equal([1, 2, 3, 4, 5].map((done) => [done, 5, 'number databases']));
    expect(lines).to.deep.equal([]);
    // without a step, the loop still logs what it wrote
    await store.createDb('numbers/+1215');
    await refreshNumberDbs({ store, library, log: (line) => lines.push(line) });
    expect(lines).to.deep.equal(['6 number databases to check', 'numbers/+1215: wrote _design/numbers, _design/knm, _design/knm_validate']);
  });

  it('a number written through knm into a missing database creates it with its design documents', async () => {
    await run();
    const db = 'numbers/+3312';
    expect(await store.dbExists(db)).to.equal(false);
    await withNumberDb(store, library, db, () => store.put(db, { _id: '+33123456789', pvt_state: 'available', pvt_type: 'number' }));
    for (const doc of library.forDb(db)) expect(fingerprint(await store.get(db, doc._id))).to.equal(fingerprint(doc));
    const wrongDb = await withNumberDb(store, library, db, () => store.put(db, { _id: '+33223456789', pvt_state: 'available' })).then(() => null, (error: unknown) => error);
    expect(isStoreError(wrongDb) && wrongDb.reason).to.match(/belongs in database numbers\/\+3322/);
  });

  describe('the commands', () => {
    const ext = path.extname(__filename);
    const main = path.resolve(__dirname, '..', '..', 'src', 'cli', `main${ext}`);
    const knm = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
      promisify(execFile)(process.execPath, [...(ext === '.ts' ? ['--require', 'tsx/cjs'] : []), main, ...args], { env: { ...process.env, COUCH_URL: '' } }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );

    it('knm bootstrap --json prints one summary document and progress on stderr; a second run writes nothing', async () => {
      const first = await knm(['bootstrap', '--json', '--couch', server.url]);
      expect(first.code, first.stderr).to.equal(0);
      expect(JSON.parse(first.stdout)).to.include.keys('createdDbs', 'config', 'designDocs', 'failures');
      expect(first.stderr).to.match(/knm bootstrap: created database numbers\/managed/);
      const second = await knm(['bootstrap', '--json', '--couch', server.url]);
      const report = JSON.parse(second.stdout) as { createdDbs: string[]; designDocs: { written: string[] }[] };
      expect(report.createdDbs).to.deep.equal([]);
      expect(report.designDocs.every(({ written }) => written.length === 0)).to.equal(true);
    });

    it('knm start bootstraps the store before its other services', async function () {
      this.timeout(60_000);
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-start-'));
      const child = spawn(process.execPath, [...(ext === '.ts' ? ['--require', 'tsx/cjs'] : []), main, 'start'], {
        env: { ...process.env, COUCH_URL: '', KNM_COUCH_PORT: '0', KNM_HTTP_PORT: '0', KNM_DATA_DIR: dataDir },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      try {
        const deadline = Date.now() + 45_000;
        while (!/starting changes pipeline/.test(stderr) && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(stderr, stderr).to.match(/bootstrap: design documents: 10 written, 0 already current, in 3 databases\n(.|\n)*starting changes pipeline/);
        const started = connectStore({ url: stdout.split('\n')[0] });
        for (const doc of library.forDb('numbers/managed')) expect(fingerprint(await started.get('numbers/managed', doc._id))).to.equal(fingerprint(doc));
      } finally {
        child.kill('SIGTERM');
        await exited;
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('knm refresh-numbers-dbs: lines for people; a bad argument is one line and exit 2', async () => {
      await run();
      await store.createDb('numbers/+4420');
      const answer = await knm(['refresh-numbers-dbs', '--couch', server.url]);
      expect(answer.code, answer.stderr).to.equal(0);
      expect(answer.stdout).to.match(/design documents: 3 written, \d+ already current/);
      expect(answer.stdout).to.match(/numbers\/\+4420: _design\/numbers, _design\/knm, _design\/knm_validate/);
      const bad = await knm(['refresh-numbers-dbs', '--couch', 'ftp://x', '--json']);
      expect(bad.code).to.equal(2);
      expect(bad.stdout).to.equal('');
      expect(bad.stderr.trim().split('\n')).to.deep.equal(['knm: --couch must be an http(s) URL, not ftp:', 'usage: knm refresh-numbers-dbs']);
    });
  });
});
