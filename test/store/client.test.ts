import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import util from 'node:util';
import { connectStore, type Store } from '../../src/store/client';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';
import { isStoreError, StoreError } from '../../src/store/errors';
import { KnmError } from '../../src/errors';
import { FIXTURES_DIR } from '../helpers/fixtures';

const NUMBERS = 'numbers/+1555';
const FIXTURE_DB = path.join(FIXTURES_DIR, 'dbs', 'numbers%2F%2B1555');

function fixtureDocs(): Record<string, unknown>[] {
  return fs.readdirSync(FIXTURE_DB).map((file) => {
    const doc = JSON.parse(fs.readFileSync(path.join(FIXTURE_DB, file), 'utf8')) as Record<string, unknown>;
    delete doc._rev;
    return doc;
  });
}

/** Kazoo's `_design/numbers` of the 4.3 numbers databases, as shipped (map sources may be arrays of lines). */
function kazooNumbersDesign(): Record<string, unknown> {
  const design = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'views', '4.3', 'numbers-dbs', 'numbers.json'), 'utf8'));
  for (const view of Object.values(design.views) as any[]) if (Array.isArray(view.map)) view.map = view.map.join('\n');
  return design;
}

async function failure(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    expect(isStoreError(error), String(error)).to.equal(true);
    return error as StoreError;
  }
  throw new Error('expected a StoreError');
}

/** A server that answers as `answer` says, counting requests (for retries and missing endpoints). */
async function fakeServer(answer: (req: http.IncomingMessage, res: http.ServerResponse, count: number) => void): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = http.createServer((req, res) => {
    count += 1;
    answer(req, res, count);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => count,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('store client (nano) against the embedded server over HTTP', function () {
  let server: EmbeddedServer;
  let store: Store;

  before(async function () {
    server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    store = connectStore({ url: server.url });
  });
  after(async function () {
    await server.close();
  });

  describe('databases', function () {
    it('creates idempotently, tells existence, lists real names with ranges, deletes idempotently', async function () {
      expect((await store.info()).couchdb).to.be.a('string');
      expect(await store.createDb(NUMBERS)).to.equal(true);
      expect(await store.createDb(NUMBERS)).to.equal(false);
      expect(await store.createDb('numbers/managed')).to.equal(true);
      expect(await store.createDb('system_config')).to.equal(true);
      expect(await store.dbExists(NUMBERS)).to.equal(true);
      expect(await store.dbExists('numbers/+1999')).to.equal(false);
      expect(await store.listDbs({ startkey: 'numbers/', endkey: 'numbers/\ufff0' })).to.deep.equal([NUMBERS, 'numbers/managed']);
      expect(await store.deleteDb('numbers/managed')).to.equal(true);
      expect(await store.deleteDb('numbers/managed')).to.equal(false);
      const info = await store.dbInfo(NUMBERS);
      expect(info.db_name).to.equal(NUMBERS);
      expect(info.update_seq).to.be.a('string');
    });
  });

  describe('documents', function () {
    it('writes Kazoo fixture documents in bulk with one result per document, in order', async function () {
      const docs = fixtureDocs();
      const results = await store.bulkDocs(NUMBERS, docs);
      expect(results.map((result) => result.id)).to.deep.equal(docs.map((doc) => doc._id));
      expect(results.every((result) => result.ok)).to.equal(true);
      const again = await store.bulkDocs(NUMBERS, [docs[0]]);
      expect(again[0]).to.deep.include({ id: docs[0]._id, ok: false, error: 'conflict' });
    });

    it('reads one, many (found, missing, deleted) and null for missing', async function () {
      const doc = await store.get(NUMBERS, '+15551233322');
      expect(doc).to.include({ _id: '+15551233322', pvt_state: 'in_service' });
      const gone = await store.put(NUMBERS, { _id: '+15550000001', pvt_state: 'available' });
      await store.remove(NUMBERS, gone.id, gone.rev);
      const rows = await store.getMany(NUMBERS, ['+15551233322', '+15550000000', '+15550000001']);
      expect(rows.map((row) => (row.ok ? 'ok' : row.error))).to.deep.equal(['ok', 'not_found', 'deleted']);
      expect(await store.getOrNull(NUMBERS, '+15550000000')).to.equal(null);
      expect(await store.getMany(NUMBERS, [])).to.deep.equal([]);
    });

    it('puts under MVCC: a stale revision is a conflict error naming the database and the document', async function () {
      const first = await store.put(NUMBERS, { _id: '+15550000002', pvt_state: 'available' });
      await store.put(NUMBERS, { _id: '+15550000002', _rev: first.rev, pvt_state: 'reserved' });
      const error = await failure(store.put(NUMBERS, { _id: '+15550000002', _rev: first.rev, pvt_state: 'in_service' }));
      expect(error).to.be.instanceOf(KnmError);
      expect(error.error).to.equal('conflict');
      expect(error.code).to.equal(409);
      expect(error.message).to.contain('+15550000002').and.contain(NUMBERS);
      expect(error.hint).to.contain('re-read');
    });

    it('gives not_found errors that say whether the database or the document is missing', async function () {
      const doc = await failure(store.get(NUMBERS, '+15559999999'));
      expect(doc.error).to.equal('not_found');
      expect(doc.message).to.contain('+15559999999').and.contain(NUMBERS);
      const db = await failure(store.get('numbers/+1998', '+19980000000'));
      expect(db.error).to.equal('not_found');
      expect(db.message).to.contain('database "numbers/+1998" does not exist');
    });

    it('posts a document without an id, and keeps _local documents out of the feed', async function () {
      const posted = await store.put(NUMBERS, { pvt_type: 'scratch' });
      expect(posted.id).to.match(/^[0-9a-f]{32}$/);
      expect(await store.getLocal(NUMBERS, 'knm-checkpoint')).to.equal(null);
      const saved = await store.putLocal(NUMBERS, { _id: 'knm-checkpoint', seq: 'abc' });
      expect(saved.id).to.equal('_local/knm-checkpoint');
      await store.putLocal(NUMBERS, { _id: '_local/knm-checkpoint', _rev: saved.rev, seq: 'def' });
      expect((await store.getLocal(NUMBERS, 'knm-checkpoint'))?.seq).to.equal('def');
      const feed = await store.changes(NUMBERS);
      expect(feed.results.map((row) => row.id)).to.not.include('_local/knm-checkpoint');
    });

    it('reads and writes the security object', async function () {
      await store.putSecurity(NUMBERS, { admins: { names: ['ops'], roles: [] }, members: { names: [], roles: [] } });
      expect((await store.security(NUMBERS)).admins).to.deep.equal({ names: ['ops'], roles: [] });
    });
  });

  describe('views', function () {
    before(async function () {
      await store.put(NUMBERS, kazooNumbersDesign() as any);
    });

    it("answers Kazoo's module_name view reduced and grouped, and not reduced by key", async function () {
      const grouped = await store.view<string, number>(NUMBERS, 'numbers', 'module_name', { group: true });
      const total = grouped.rows.reduce((sum, row) => sum + row.value, 0);
      expect(total).to.equal((await store.dbInfo(NUMBERS)).doc_count - 1);
      expect(grouped.rows.find((row) => row.key === 'knm_local')?.value).to.be.at.least(fixtureDocs().filter((doc) => doc.pvt_module_name === 'knm_local').length);
      const ids = await store.view(NUMBERS, '_design/numbers', 'module_name', { reduce: false, key: 'knm_local' });
      expect(ids.rows.length).to.equal(grouped.rows.find((row) => row.key === 'knm_local')?.value);
    });

    it("answers Kazoo's status view with startkey/endkey, limit, skip, keys and include_docs", async function () {
      const all = await store.view<[string, string, string]>(NUMBERS, 'numbers', 'status', { startkey: ['in_service'], endkey: ['in_service', {}] });
      expect(all.rows.length).to.be.greaterThan(1);
      expect(all.rows.every((row) => row.key[0] === 'in_service')).to.equal(true);
      const page = await store.view(NUMBERS, 'numbers', 'status', { startkey: ['in_service'], endkey: ['in_service', {}], limit: 1, skip: 1, include_docs: true });
      expect(page.rows).to.have.length(1);
      expect(page.rows[0].id).to.equal(all.rows[1].id);
      expect(page.rows[0].doc?._id).to.equal(all.rows[1].id);
      const byKeys = await store.view(NUMBERS, 'numbers', 'status', { keys: [all.rows[0].key] });
      expect(byKeys.rows.map((row) => row.id)).to.deep.equal([all.rows[0].id]);
    });

    it('names the view in a not_found error', async function () {
      const error = await failure(store.view(NUMBERS, 'numbers', 'no_such_view'));
      expect(error.error).to.equal('not_found');
      expect(error.message).to.contain('numbers/no_such_view');
    });
  });

  describe('changes', function () {
    it('reads a batch, resumes from its last_seq, and filters by doc_ids', async function () {
      const all = await store.changes(NUMBERS, { include_docs: true });
      expect(all.results.length).to.be.greaterThan(5);
      expect(all.results.find((row) => row.id === '+15551233322')?.doc?._id).to.equal('+15551233322');
      const limited = await store.changes(NUMBERS, { limit: 2 });
      expect(limited.results).to.have.length(2);
      const rest = await store.changes(NUMBERS, { since: limited.last_seq });
      expect([...limited.results, ...rest.results].map((row) => row.id)).to.deep.equal(all.results.map((row) => row.id));
      const one = await store.changes(NUMBERS, { doc_ids: ['+15551233322'] });
      expect(one.results.map((row) => row.id)).to.deep.equal(['+15551233322']);
    });

    it('longpolls: empty at the timeout, or the next change', async function () {
      const now = await store.changes(NUMBERS, { since: 'now' });
      const idle = await store.changes(NUMBERS, { since: now.last_seq, feed: 'longpoll', timeout: 150 });
      expect(idle.results).to.deep.equal([]);
      expect(idle.last_seq).to.equal(now.last_seq);
      const waiting = store.changes(NUMBERS, { since: now.last_seq, feed: 'longpoll', timeout: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await store.put(NUMBERS, { _id: '+15550000003' });
      expect((await waiting).results.map((row) => row.id)).to.deep.equal(['+15550000003']);
    });
  });

  describe('db updates', function () {
    it("reads the server's _db_updates when it has one", async function () {
      const now = await store.dbUpdates({ since: 'now', feed: 'normal' });
      expect(now.polled).to.equal(false);
      const waiting = store.dbUpdates({ since: now.last_seq, timeout: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await store.createDb('numbers/+1666');
      const batch = await waiting;
      expect(batch.results).to.deep.include({ db_name: 'numbers/+1666', type: 'created', seq: batch.last_seq });
    });

    it('falls back to polling _all_dbs when the server answers 400 for _db_updates (CouchDB without _global_changes)', async function () {
      const proxy = await fakeServer((req, res) => {
        if (req.url?.startsWith('/_db_updates')) {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad_request","reason":"no _global_changes"}');
          return;
        }
        const upstream = http.request(`${server.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        });
        req.pipe(upstream);
      });
      try {
        const polling = connectStore({ url: proxy.url, dbUpdatesPollMs: 20 });
        const first = await polling.dbUpdates({ feed: 'normal' });
        expect(first.polled).to.equal(true);
        expect(first.results.map((update) => update.db_name)).to.include(NUMBERS);
        const quiet = await polling.dbUpdates({ since: first.last_seq, timeout: 60 });
        expect(quiet.results).to.deep.equal([]);
        await store.createDb('numbers/+1667');
        await store.put(NUMBERS, { _id: '+15550000004' });
        await store.deleteDb('numbers/+1666');
        const changed = await polling.dbUpdates({ since: quiet.last_seq, timeout: 5_000 });
        expect(changed.results).to.have.deep.members([
          { db_name: 'numbers/+1667', type: 'created' },
          { db_name: NUMBERS, type: 'updated' },
          { db_name: 'numbers/+1666', type: 'deleted' },
        ]);
      } finally {
        await proxy.close();
      }
    });
  });

  describe('refusals and failures', function () {
    it('reports a validate_doc_update refusal as forbidden with CouchDB’s reason', async function () {
      await store.createDb('numbers/+1444');
      await store.put('numbers/+1444', { _id: '_design/rules', validate_doc_update: "function(newDoc){ if (newDoc.bad) throw({forbidden: 'bad is not allowed on ' + newDoc._id}); }" });
      const error = await failure(store.put('numbers/+1444', { _id: '+14440000000', bad: true }));
      expect(error.error).to.equal('forbidden');
      expect(error.code).to.equal(403);
      expect(error.reason).to.equal('bad is not allowed on +14440000000');
      expect(error.message).to.contain('+14440000000').and.contain('numbers/+1444');
      expect(error.toLine()).to.contain('(bad is not allowed on +14440000000)');
      expect(error.toJSON()).to.deep.include({ code: 403, error: 'forbidden', cause: 'bad is not allowed on +14440000000' });
      const [result] = await store.bulkDocs('numbers/+1444', [{ _id: '+14440000001', bad: true }]);
      expect(result).to.deep.equal({ id: '+14440000001', ok: false, error: 'forbidden', reason: 'bad is not allowed on +14440000001' });
    });

    it('reports a wrong password as unauthorized without printing it', async function () {
      const guarded = await startEmbeddedServer({ inMemory: true, log: () => undefined });
      try {
        await fetch(`${guarded.url}/_config/admins/root`, { method: 'PUT', body: '"right-password"' });
        const intruder = connectStore({ url: guarded.url, user: 'root', password: 'wr0ng-Pa55word' });
        const error = await failure(intruder.createDb('numbers/+1415'));
        expect(error.error).to.equal('unauthorized');
        expect(error.code).to.equal(401);
        expect(error.hint).to.contain('COUCH_USER');
        for (const text of [error.message, error.toLine(), JSON.stringify(error), util.inspect(error), error.stack ?? '']) {
          expect(text).to.not.contain('wr0ng-Pa55word');
        }
        const admin = connectStore({ url: guarded.url.replace('http://', 'http://root:right-password@') });
        expect(await admin.createDb('numbers/+1415')).to.equal(true);
        expect(admin.url).to.equal(guarded.url);
      } finally {
        await guarded.close();
      }
    });

    it('reports a server that is not there as unavailable, without leaking the credentials in the URL', async function () {
      const gone = await fakeServer(() => undefined);
      await gone.close();
      const store = connectStore({ url: gone.url.replace('http://', 'http://knm:s3cr3t-Pa55@'), readAttempts: 2, retryBaseMs: 1 });
      const error = await failure(store.get(NUMBERS, '+15551233322'));
      expect(error.error).to.equal('unavailable');
      expect(error.code).to.equal(503);
      expect(error.message).to.contain(NUMBERS).and.contain('+15551233322');
      for (const text of [error.message, error.toLine(), JSON.stringify(error), util.inspect(error, { depth: 5 }), error.stack ?? '', store.url]) {
        expect(text).to.not.contain('s3cr3t-Pa55');
      }
    });

    it('retries an idempotent read that got no answer, and never a write', async function () {
      const flaky = await fakeServer((req, res, count) => {
        if (count <= 2) return void req.socket.destroy();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"couchdb":"Welcome","version":"3.3.3"}');
      });
      try {
        const store = connectStore({ url: flaky.url, readAttempts: 3, retryBaseMs: 1 });
        expect((await store.info()).version).to.equal('3.3.3');
        expect(flaky.count()).to.equal(3);
      } finally {
        await flaky.close();
      }
      const dropping = await fakeServer((req) => req.socket.destroy());
      try {
        const store = connectStore({ url: dropping.url, readAttempts: 3, retryBaseMs: 1 });
        expect((await failure(store.put(NUMBERS, { _id: '+15550000009' }))).error).to.equal('unavailable');
        expect(dropping.count()).to.equal(1);
      } finally {
        await dropping.close();
      }
    });

    it('does not retry a CouchDB answer (a 404 is final)', async function () {
      const answering = await fakeServer((_req, res) => {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found","reason":"missing"}');
      });
      try {
        const store = connectStore({ url: answering.url, readAttempts: 3, retryBaseMs: 1 });
        expect((await failure(store.get(NUMBERS, '+15551233322'))).error).to.equal('not_found');
        expect(answering.count()).to.equal(1);
      } finally {
        await answering.close();
      }
    });
  });
});
