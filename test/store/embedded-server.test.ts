import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';
import { fromStorageName, toStorageName } from '../../src/store/embedded/db-names';
import { isInsidePouch } from '../../src/store/embedded/crash-guard';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { dbPath, http } from './embedded-http';

const KAZOO_NAMES = ['numbers/+1415', 'numbers+1415', 'numbers/managed', 'numbers/inum', 'account/ac/co/unt0000000000000000000000003', 'a$2fb', 'a/b'];

function fixtureDoc(db: string, file: string): Record<string, unknown> {
  const doc = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'dbs', db, file), 'utf8')) as Record<string, unknown>;
  delete doc._rev;
  return doc;
}

describe('embedded server: names, listing and requests that crashed express-pouchdb', function () {
  let server: EmbeddedServer;
  const call = (method: string, urlPath: string, body?: unknown) => http(server.url, method, urlPath, body);

  before(async function () {
    server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
  });
  after(async function () {
    await server.close();
  });

  describe('database names', function () {
    it('maps every legal name to a storage name and back, without collisions', function () {
      const stored = KAZOO_NAMES.map(toStorageName);
      expect(new Set(stored).size).to.equal(KAZOO_NAMES.length);
      for (const name of stored) expect(name).to.match(/^[a-z0-9_$()+-]+$/);
      expect(stored.map(fromStorageName)).to.deep.equal(KAZOO_NAMES);
    });

    it('keeps numbers/+1415 and numbers+1415 apart and lists the real names', async function () {
      for (const name of ['numbers/+1415', 'numbers+1415', 'numbers/managed', 'account/ac/co/unt0000000000000000000000003']) {
        expect((await call('PUT', dbPath(name))).status).to.equal(201);
      }
      await call('PUT', `${dbPath('numbers/+1415')}/${encodeURIComponent('+14158867900')}`, { in: 'slash' });
      await call('PUT', `${dbPath('numbers+1415')}/${encodeURIComponent('+14158867900')}`, { in: 'plus' });
      expect((await call('GET', `${dbPath('numbers/+1415')}/${encodeURIComponent('+14158867900')}`)).body.in).to.equal('slash');
      expect((await call('GET', `${dbPath('numbers+1415')}/${encodeURIComponent('+14158867900')}`)).body.in).to.equal('plus');

      const info = await call('GET', dbPath('numbers/+1415'));
      expect(info.body.db_name).to.equal('numbers/+1415');
      expect(info.body.doc_count).to.equal(1);

      const all = await call('GET', '/_all_dbs');
      expect(all.body).to.include.members(['numbers/+1415', 'numbers+1415', 'numbers/managed', 'account/ac/co/unt0000000000000000000000003']);
      expect(all.body).to.deep.equal([...all.body].sort());
    });

    it("answers Kazoo's number-database listing (startkey numbers/, endkey numbers/\\ufff0) with CouchDB's range rules", async function () {
      const range = `?startkey=${encodeURIComponent('"numbers/"')}&endkey=${encodeURIComponent('"numbers/\ufff0"')}`;
      const numbers = await call('GET', `/_all_dbs${range}`);
      expect(numbers.body).to.deep.equal(['numbers/+1415', 'numbers/managed']);
      const limited = await call('GET', `/_all_dbs${range}&limit=1&skip=1`);
      expect(limited.body).to.deep.equal(['numbers/managed']);
      const descending = await call('GET', `/_all_dbs?descending=true&startkey=${encodeURIComponent('"numbers/\ufff0"')}&endkey=${encodeURIComponent('"numbers/"')}`);
      expect(descending.body).to.deep.equal(['numbers/managed', 'numbers/+1415']);
      expect((await call('GET', '/_all_dbs?startkey=numbers')).status).to.equal(400);
    });

    it('refuses a name CouchDB refuses, with its error', async function () {
      const answer = await call('PUT', dbPath('Numbers'));
      expect(answer.status).to.equal(400);
      expect(answer.body.error).to.equal('illegal_database_name');
      expect((await call('PUT', dbPath('numbers/+1415'))).status).to.equal(412);
    });

    it('deletes a slashed database without touching its look-alike', async function () {
      await call('PUT', dbPath('numbers/+1999'));
      await call('PUT', dbPath('numbers+1999'));
      expect((await call('DELETE', dbPath('numbers/+1999'))).status).to.equal(200);
      expect((await call('GET', dbPath('numbers/+1999'))).status).to.equal(404);
      expect((await call('GET', dbPath('numbers+1999'))).status).to.equal(200);
    });
  });

  describe('_bulk_docs', function () {
    it('stores Kazoo fixture documents and answers in the order they were sent', async function () {
      await call('PUT', dbPath('numbers/+1555'));
      const docs = [
        fixtureDoc('numbers%2F%2B1555', '%2B15551233322.json'),
        { _id: '+15551230001', pvt_state: 'available' },
        fixtureDoc('numbers%2F%2B1555', '%2B15551233324.json'),
        { pvt_state: 'available' },
      ];
      const first = await call('POST', `${dbPath('numbers/+1555')}/_bulk_docs`, { docs });
      expect(first.status).to.equal(201);
      expect(first.body.map((row: any) => row.id).slice(0, 3)).to.deep.equal(['+15551233322', '+15551230001', '+15551233324']);
      expect(first.body[3].id).to.match(/^[0-9a-f]{32}$/);
      // The second time the first and third are conflicts: results still line up with the documents.
      const again = await call('POST', `${dbPath('numbers/+1555')}/_bulk_docs`, { docs: [docs[0], { _id: '+15551230002' }, docs[2]] });
      expect(again.body.map((row: any) => [row.id, row.error ?? 'ok'])).to.deep.equal([
        ['+15551233322', 'conflict'],
        ['+15551230002', 'ok'],
        ['+15551233324', 'conflict'],
      ]);
    });
  });

  describe('reduce results', function () {
    const db = dbPath('numbers/+1888');
    const grouped = `${db}/_design/numbers/_view/module_name?group=true`;

    before(async function () {
      await call('PUT', db);
      await call('PUT', `${db}/_design/numbers`, {
        views: {
          module_name: { map: 'function(doc) { emit(doc.pvt_module_name, 1); }', reduce: '_sum' },
          status: { map: 'function(doc) { emit(doc.pvt_state, null); }' },
        },
      });
      const docs = Array.from({ length: 30 }, (_, i) => ({ _id: `+1888000${String(i).padStart(4, '0')}`, pvt_module_name: i % 3 === 0 ? 'knm_bandwidth2' : 'knm_local', pvt_state: 'available' }));
      await call('POST', `${db}/_bulk_docs`, { docs });
    });

    it('reuses a reduce result until the database changes, then recomputes it', async function () {
      const before = server.stats().viewCache;
      const first = await call('GET', grouped);
      expect(first.body.rows).to.deep.equal([{ key: 'knm_bandwidth2', value: 10 }, { key: 'knm_local', value: 20 }]);
      const second = await call('GET', grouped);
      expect(second.text).to.equal(first.text);
      expect(server.stats().viewCache).to.deep.equal({ hits: before.hits + 1, misses: before.misses + 1 });

      await call('PUT', `${db}/${encodeURIComponent('+18889999999')}`, { pvt_module_name: 'knm_local' });
      const third = await call('GET', grouped);
      expect(third.body.rows).to.deep.equal([{ key: 'knm_bandwidth2', value: 10 }, { key: 'knm_local', value: 21 }]);
      expect(server.stats().viewCache.misses).to.equal(before.misses + 2);
    });

    it('leaves map queries (reduce=false, or a view without reduce) to PouchDB', async function () {
      const before = server.stats().viewCache;
      expect((await call('GET', `${db}/_design/numbers/_view/module_name?reduce=false&limit=2`)).body.rows).to.have.length(2);
      expect((await call('GET', `${db}/_design/numbers/_view/status?limit=2`)).body.rows).to.have.length(2);
      expect(server.stats().viewCache).to.deep.equal(before);
    });

    it('does not serve a result of a database that was deleted and re-created', async function () {
      const scratch = dbPath('numbers/+1889');
      const design = { views: { n: { map: 'function(doc) { emit(null, 1); }', reduce: '_count' } } };
      await call('PUT', scratch);
      await call('PUT', `${scratch}/_design/d`, design);
      await call('POST', `${scratch}/_bulk_docs`, { docs: [{ _id: 'a' }, { _id: 'b' }] });
      const seqOf = async () => String((await call('GET', scratch)).body.update_seq).split('-')[0];
      const before = await seqOf();
      expect((await call('GET', `${scratch}/_design/d/_view/n`)).body.rows[0].value).to.equal(2);
      await call('DELETE', scratch);
      await call('PUT', scratch);
      await call('PUT', `${scratch}/_design/d`, design);
      const c = await call('PUT', `${scratch}/c`, {});
      await call('PUT', `${scratch}/c`, { _rev: c.body.rev, again: true });
      // Same update_seq as before the re-creation, a different database.
      expect(await seqOf()).to.equal(before);
      expect((await call('GET', `${scratch}/_design/d/_view/n`)).body.rows[0].value).to.equal(1);
      await call('PUT', `${scratch}/e`, {});
      expect((await call('GET', `${scratch}/_design/d/_view/n`)).body.rows[0].value).to.equal(2);
    });
  });

  describe('requests that crashed express-pouchdb', function () {
    before(async function () {
      await call('PUT', dbPath('crash'));
      await call('POST', `${dbPath('crash')}/_bulk_docs`, { docs: [{ _id: 'a', kind: 'x' }, { _id: 'b', kind: 'y' }] });
    });

    it('answers a selector sent in the body of POST _changes?filter=_selector (what nano sends)', async function () {
      const answer = await call('POST', `${dbPath('crash')}/_changes?filter=_selector`, { selector: { kind: 'y' } });
      expect(answer.status).to.equal(200);
      expect(answer.body.results.map((row: any) => row.id)).to.deep.equal(['b']);
    });

    it('answers 404 for a filter whose design document is missing, and stays up', async function () {
      const answer = await call('GET', `${dbPath('crash')}/_changes?filter=nothere/f`);
      expect(answer.status).to.equal(404);
      expect(answer.body.error).to.equal('not_found');
      await call('PUT', `${dbPath('crash')}/_design/d`, { filters: { other: 'function(doc){ return true; }' } });
      expect((await call('GET', `${dbPath('crash')}/_changes?filter=d/f`)).status).to.equal(404);
      expect((await call('GET', `${dbPath('crash')}/_changes?filter=d/other`)).status).to.equal(200);
      expect((await call('GET', '/')).status).to.equal(200);
    });

    it('answers 400 for a filter without a design name, as CouchDB does', async function () {
      expect((await call('GET', `${dbPath('crash')}/_changes?filter=f`)).status).to.equal(400);
      expect((await call('GET', `${dbPath('crash')}/_changes?filter=_bogus`)).status).to.equal(400);
    });

    it('recognises errors from inside express-pouchdb for the process guard, and nothing else', function () {
      const inside = new Error('boom');
      inside.stack = 'Error: boom\n    at x (/app/node_modules/express-pouchdb/lib/routes/db.js:31:10)';
      const outside = new Error('boom');
      outside.stack = 'Error: boom\n    at x (/app/src/pipeline/run.js:1:1)';
      expect(isInsidePouch(inside)).to.equal(true);
      expect(isInsidePouch(outside)).to.equal(false);
    });
  });

  describe('two servers in one process', function () {
    it('keep their databases apart although PouchDB announces databases process-wide', async function () {
      const other = await startEmbeddedServer({ inMemory: true, log: () => undefined });
      try {
        await http(other.url, 'PUT', dbPath('numbers/+1201'));
        await call('PUT', dbPath('numbers/+1202'));
        await call('PUT', dbPath('numbers/+1203'));
        await http(other.url, 'PUT', dbPath('numbers/+1203'));
        await http(other.url, 'DELETE', dbPath('numbers/+1203'));
        const mine = (await call('GET', '/_all_dbs')).body;
        const theirs = (await http(other.url, 'GET', '/_all_dbs')).body;
        expect(mine).to.include.members(['numbers/+1202', 'numbers/+1203']).and.not.include('numbers/+1201');
        expect(theirs).to.include('numbers/+1201').and.not.include('numbers/+1202');
        expect(theirs).to.not.include('numbers/+1203');
        expect((await call('GET', dbPath('numbers/+1201'))).status).to.equal(404);
        expect((await call('GET', dbPath('numbers/+1203'))).status).to.equal(200);
      } finally {
        await other.close();
      }
    });
  });

  describe('a server closed while it builds a view', function () {
    const VIEW_DB = dbPath('numbers/+1298');
    const DESIGN = { views: { by_state: { map: 'function (doc) { emit([doc.state, doc.n], null); }' } } };
    const rowsOf = (answer: { body: { rows?: unknown[] } }): number => answer.body.rows?.length ?? -1;

    /** A database of `count` documents and a view over them, on `url`. */
    async function viewDb(url: string, count: number): Promise<void> {
      await http(url, 'PUT', VIEW_DB);
      await http(url, 'PUT', `${VIEW_DB}/_design/d`, DESIGN);
      const docs = Array.from({ length: count }, (_, n) => ({ _id: `+1298${String(n).padStart(7, '0')}`, state: 'discovery', n }));
      expect((await http(url, 'POST', `${VIEW_DB}/_bulk_docs`, { docs })).status).to.equal(201);
    }

    /** Starts the build with a query nobody waits for, and closes the server `afterMs` later. */
    async function closeDuringBuild(closing: EmbeddedServer, afterMs: number): Promise<void> {
      const query = http(closing.url, 'GET', `${VIEW_DB}/_design/d/_view/by_state?limit=1`).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, afterMs));
      await closing.close();
      await query;
    }

    it('leaves the view to the next server of the process with the same database (PouchDB queues view builds by name process-wide)', async function () {
      for (const afterMs of [10, 40, 120]) {
        const first = await startEmbeddedServer({ inMemory: true, log: () => undefined });
        await viewDb(first.url, 3_000);
        await closeDuringBuild(first, afterMs);
        const next = await startEmbeddedServer({ inMemory: true, log: () => undefined });
        try {
          await viewDb(next.url, 10);
          const answer = await http(next.url, 'GET', `${VIEW_DB}/_design/d/_view/by_state`, undefined, { signal: AbortSignal.timeout(5_000) });
          expect(rowsOf(answer), `closed ${afterMs} ms into the build`).to.equal(10);
        } finally {
          await next.close();
        }
      }
    });

    it('on disk, goes on with the build after a restart from what it had indexed', async function () {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-view-restart-'));
      try {
        const first = await startEmbeddedServer({ dataDir, log: () => undefined });
        await viewDb(first.url, 3_000);
        await closeDuringBuild(first, 60);
        const again = await startEmbeddedServer({ dataDir, log: () => undefined });
        try {
          const answer = await http(again.url, 'GET', `${VIEW_DB}/_design/d/_view/by_state`, undefined, { signal: AbortSignal.timeout(10_000) });
          expect(rowsOf(answer)).to.equal(3_000);
          expect(again.stats().viewQueries).to.equal(0);
        } finally {
          await again.close();
        }
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe('what express-pouchdb looked up on every request, kept between requests', function () {
    let kept: EmbeddedServer;
    const root = { headers: { authorization: `Basic ${Buffer.from('root:secret').toString('base64')}` } };
    before(async function () {
      kept = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    });
    after(async function () {
      await kept.close();
    });

    it('answers the anonymous session of the server as it is now: admin party, an admin, no admin again', async function () {
      const session = async (options?: { headers: Record<string, string> }) => (await http(kept.url, 'GET', '/_session', undefined, options)).body;
      expect((await session()).userCtx).to.deep.equal({ name: null, roles: ['_admin'] });
      expect(await session()).to.deep.equal(await session());
      expect((await http(kept.url, 'PUT', '/_config/admins/root', '"secret"')).status).to.equal(200);
      expect((await session()).userCtx).to.deep.equal({ name: null, roles: [] });
      expect((await session()).userCtx).to.deep.equal({ name: null, roles: [] });
      expect((await session(root)).userCtx).to.deep.equal({ name: 'root', roles: ['_admin'] });
      expect((await http(kept.url, 'DELETE', '/_config/admins/root', undefined, root)).status).to.equal(200);
      expect((await session()).userCtx).to.deep.equal({ name: null, roles: ['_admin'] });
    });

    it('finds a database right after it is created, and not after it is deleted', async function () {
      const db = dbPath('numbers/+1417');
      for (let round = 0; round < 2; round += 1) {
        expect((await http(kept.url, 'GET', db)).status).to.equal(404);
        expect((await http(kept.url, 'PUT', db)).status).to.equal(201);
        expect((await http(kept.url, 'GET', db)).status).to.equal(200);
        expect((await http(kept.url, 'DELETE', db)).status).to.equal(200);
      }
    });

    it('reads a database with its security object as it is after each change', async function () {
      expect((await http(kept.url, 'PUT', '/_config/admins/root', '"secret"')).status).to.equal(200);
      const db = dbPath('numbers/+1418');
      expect((await http(kept.url, 'PUT', db, undefined, root)).status).to.equal(201);
      expect((await http(kept.url, 'PUT', `${db}/a`, {}, root)).status).to.equal(201);
      const members = (names: string[]) => ({ admins: { names: [], roles: [] }, members: { names, roles: [] } });
      expect((await http(kept.url, 'GET', `${db}/a`)).status).to.equal(200);
      for (const [security, anonymous] of [[members(['alice']), 401], [members([]), 200], [members(['bob']), 401]] as const) {
        expect((await http(kept.url, 'PUT', `${db}/_security`, security, root)).status).to.equal(200);
        expect((await http(kept.url, 'GET', `${db}/a`)).status).to.equal(anonymous);
        expect((await http(kept.url, 'GET', `${db}/_security`, undefined, root)).body).to.deep.equal(security);
      }
      expect((await http(kept.url, 'DELETE', '/_config/admins/root', undefined, root)).status).to.equal(200);
    });

    it('answers _bulk_docs into _users in the order sent, though its own validation reports refusals first', async function () {
      const user = (name: string) => ({ _id: `org.couchdb.user:${name}`, type: 'user', name, roles: [], password: 'pw' });
      const answer = await http(kept.url, 'POST', '/_users/_bulk_docs', { docs: [user('ann'), { _id: 'org.couchdb.user:bad', type: 'user' }, user('bob')] });
      expect(answer.body.map((row: { id: string; error?: string }) => [row.id, row.error ?? 'ok'])).to.deep.equal([
        ['org.couchdb.user:ann', 'ok'],
        ['org.couchdb.user:bad', 'forbidden'],
        ['org.couchdb.user:bob', 'ok'],
      ]);
    });
  });

  describe('an anonymous PUT /db once an admin exists', function () {
    let guarded: EmbeddedServer;
    before(async function () {
      guarded = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    });
    after(async function () {
      await guarded.close();
    });

    it('answers 401 as CouchDB does instead of crashing, and an admin can still create databases', async function () {
      expect((await http(guarded.url, 'PUT', '/_config/admins/root', '"secret"')).status).to.equal(200);
      const anonymous = await http(guarded.url, 'PUT', dbPath('numbers/+1415'));
      expect(anonymous.status).to.equal(401);
      expect(anonymous.body.error).to.equal('unauthorized');
      const basic = `Basic ${Buffer.from('root:secret').toString('base64')}`;
      const admin = await http(guarded.url, 'PUT', dbPath('numbers/+1415'), undefined, { headers: { authorization: basic } });
      expect(admin.status).to.equal(201);
      const listed = await http(guarded.url, 'GET', '/_all_dbs', undefined, { headers: { authorization: basic } });
      expect(listed.body).to.include('numbers/+1415');
    });

    it('answers _changes, _db_updates and cached reduce results only to whom CouchDB would', async function () {
      const admin = { headers: { authorization: `Basic ${Buffer.from('root:secret').toString('base64')}` } };
      const db = dbPath('numbers/+1416');
      await http(guarded.url, 'PUT', db, undefined, admin);
      await http(guarded.url, 'PUT', `${db}/_security`, { admins: { names: [], roles: [] }, members: { names: ['alice'], roles: [] } }, admin);
      await http(guarded.url, 'PUT', `${db}/_design/d`, { views: { n: { map: 'function(doc) { emit(null, 1); }', reduce: '_count' } } }, admin);
      await http(guarded.url, 'PUT', `${db}/a`, {}, admin);

      expect((await http(guarded.url, 'GET', `${db}/_changes`)).status).to.equal(401);
      expect((await http(guarded.url, 'GET', `${db}/_changes?feed=longpoll&timeout=10`)).status).to.equal(401);
      expect((await http(guarded.url, 'GET', `${db}/_changes`, undefined, admin)).body.results).to.have.length(2);
      expect((await http(guarded.url, 'GET', '/_db_updates')).status).to.equal(401);
      expect((await http(guarded.url, 'GET', '/_db_updates', undefined, admin)).status).to.equal(200);
      expect((await http(guarded.url, 'GET', `${db}/_design/d/_view/n`, undefined, admin)).body.rows[0].value).to.equal(1);
      expect((await http(guarded.url, 'GET', `${db}/_design/d/_view/n`, undefined, admin)).status).to.equal(200);
      expect((await http(guarded.url, 'GET', `${db}/_design/d/_view/n`)).status).to.equal(401);
      expect(guarded.stats().viewCache.hits).to.be.at.least(1);
    });
  });
});
