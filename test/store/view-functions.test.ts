/**
 * View functions on the embedded server, over HTTP as a Kazoo tool queries CouchDB: run non-strict (Kazoo's
 * views assign undeclared loop variables), sandboxed, compiled once per source, and a document a map throws on
 * left out of the view alone.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';
import { fromKazooViewFile } from '../../src/store/design-docs';
import { ViewFunctions } from '../../src/store/embedded/view-functions';
import { FIXTURES_DIR, REPO_ROOT } from '../helpers/fixtures';
import { dbPath, http } from './embedded-http';

const PORT_REQUEST_FILE = path.join(FIXTURES_DIR, 'dbs', 'port_requests', 'bd99a9e8c6b16480449d78e1bca6817b.json');

function portRequestFixture(): Record<string, any> {
  // Kazoo's revision and attachment stubs belong to Kazoo's database, not to a fresh one.
  const { _rev, _attachments, ...doc } = JSON.parse(fs.readFileSync(PORT_REQUEST_FILE, 'utf8'));
  return doc;
}

describe('embedded server: view functions run as CouchDB runs them', function () {
  let server: EmbeddedServer;
  const logged: string[] = [];
  const call = (method: string, urlPath: string, body?: unknown) => http(server.url, method, urlPath, body);
  let dbCount = 0;

  /** A new database holding `docs` and one design document `_design/t` with `views`. */
  async function dbWith(views: Record<string, { map: string; reduce?: string }>, docs: Record<string, unknown>[]): Promise<string> {
    dbCount += 1;
    const db = `views/t${dbCount}`;
    expect((await call('PUT', dbPath(db))).status).to.equal(201);
    const written = await call('POST', `${dbPath(db)}/_bulk_docs`, { docs: [{ _id: '_design/t', views }, ...docs] });
    expect(written.status).to.equal(201);
    return db;
  }

  const view = (db: string, name: string, query = '') => call('GET', `${dbPath(db)}/_design/t/_view/${name}${query}`);

  before(async function () {
    server = await startEmbeddedServer({ inMemory: true, log: (line) => logged.push(line) });
  });
  after(async function () {
    await server.close();
  });
  beforeEach(function () {
    logged.length = 0;
  });

  it('indexes a map that assigns an undeclared loop variable (sloppy mode, as CouchDB)', async function () {
    const db = await dbWith({ items: { map: 'function(doc) { for (k in doc.items) { emit(doc.items[k], k); } }' } }, [
      { _id: 'a', items: ['x', 'y'] },
      { _id: 'b', items: ['z'] },
    ]);
    const answer = await view(db, 'items');
    expect(answer.status).to.equal(200);
    expect(answer.body.rows).to.deep.equal([
      { id: 'a', key: 'x', value: '0' },
      { id: 'a', key: 'y', value: '1' },
      { id: 'b', key: 'z', value: '0' },
    ]);
    expect(logged).to.deep.equal([]);
  });

  it("answers Kazoo's port_requests views over Kazoo's fixture port request with its numbers", async function () {
    const kazooFile = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'views', 'port_requests.json'), 'utf8'));
    const { doc: design } = fromKazooViewFile(kazooFile, 'views/port_requests.json');
    const request = portRequestFixture();
    const numbers = Object.keys(request.numbers).sort();
    expect(numbers).to.not.be.empty;
    const db = 'port_requests';
    expect((await call('PUT', dbPath(db))).status).to.equal(201);
    expect((await call('PUT', `${dbPath(db)}/${encodeURIComponent(design._id)}`, design)).status).to.equal(201);
    expect((await call('PUT', `${dbPath(db)}/${request._id}`, request)).status).to.equal(201);
    const kazooView = (name: string, query = '') => call('GET', `${dbPath(db)}/_design/port_requests/_view/${name}${query}`);

    const portIn = await kazooView('port_in_numbers', `?keys=${encodeURIComponent(JSON.stringify(numbers))}`);
    expect(portIn.status).to.equal(200);
    expect(portIn.body.rows).to.deep.equal(numbers.map((number) => ({ id: request._id, key: number, value: request.pvt_account_id })));
    const byNumber = await kazooView('listing_by_number');
    expect(byNumber.body.rows.map((row: { key: string }) => row.key)).to.deep.equal(numbers);
    const allPortIn = await kazooView('all_port_in_numbers');
    expect(allPortIn.body.rows.map((row: { key: unknown }) => row.key)).to.deep.equal(numbers.map((number) => [request.pvt_account_id, number]));
    expect(logged).to.deep.equal([]);
  });

  it('leaves out only the document a map throws on, with none of the rows it emitted before throwing', async function () {
    const map = "function(doc) { emit(doc.n, 'before'); if (doc.n === 2) throw new Error('no two'); emit(doc.n, 'after'); }";
    const db = await dbWith({ n: { map } }, [1, 2, 3].map((n) => ({ _id: `doc${n}`, n })));
    const answer = await view(db, 'n');
    expect(answer.status).to.equal(200);
    expect(answer.body.rows.map((row: { id: string; value: string }) => `${row.id}:${row.value}`)).to.deep.equal([
      'doc1:after',
      'doc1:before',
      'doc3:after',
      'doc3:before',
    ]);
    expect(logged.filter((line) => line.includes('"doc2"') && line.includes('no two'))).to.have.length(1);
    expect(logged.join('\n')).to.not.include('"doc1"');
  });

  it('gives a map no way to process or require, not even through the objects it is handed', async function () {
    const probes = [
      ['process', 'typeof process'],
      ['require', 'typeof require'],
      ['global this', "this.constructor.constructor('return typeof process')()"],
      ['the document', "doc.constructor.constructor('return typeof process')()"],
      ['a nested value', "doc.nested.constructor.constructor('return typeof process')()"],
      ['emit', "emit.constructor.constructor('return typeof process')()"],
      ['log', "log.constructor.constructor('return typeof process')()"],
      ['its caller', 'String(arguments.callee.caller)'],
    ];
    const body = probes.map(([name, probe]) => `try { emit(${JSON.stringify(name)}, ${probe}); } catch (e) { emit(${JSON.stringify(name)}, 'threw ' + e); }`).join(' ');
    const db = await dbWith({ probe: { map: `function(doc) { ${body} }` } }, [{ _id: 'd', nested: { list: [1] } }]);
    const answer = await view(db, 'probe');
    expect(answer.status).to.equal(200);
    const seen = Object.fromEntries(answer.body.rows.map((row: { key: string; value: string }) => [row.key, row.value]));
    expect(seen).to.deep.equal({
      process: 'undefined',
      require: 'undefined',
      'global this': 'undefined',
      'the document': 'undefined',
      'a nested value': 'undefined',
      emit: 'undefined',
      log: 'undefined',
      'its caller': 'null',
    });
  });

  it("offers CouchDB's globals: sum, isArray, toJSON (JSON text) and log (to the server's log)", async function () {
    const map = "function(doc) { log('saw ' + doc._id); emit(doc._id, [sum(doc.values), isArray(doc.values), isArray(doc), toJSON({ a: doc.values })]); }";
    const db = await dbWith({ globals: { map } }, [{ _id: 'g', values: [1, 2, 3.5] }]);
    const answer = await view(db, 'globals');
    expect(answer.body.rows).to.deep.equal([{ id: 'g', key: 'g', value: [6.5, true, false, '{"a":[1,2,3.5]}'] }]);
    expect(logged.filter((line) => line.endsWith('saw g'))).to.have.length(1);
  });

  it('compiles each function source once, however many documents and databases use it', async function () {
    const map = 'function(doc) { emit(doc.n, null); }';
    const docs = Array.from({ length: 300 }, (_, n) => ({ _id: `n${String(n).padStart(3, '0')}`, n }));
    const before = server.stats().viewFunctions.compilations;
    const first = await dbWith({ n: { map } }, docs);
    expect((await view(first, 'n', '?limit=1')).body.total_rows).to.equal(300);
    expect(server.stats().viewFunctions.compilations).to.equal(before + 1);
    const second = await dbWith({ n: { map } }, docs.slice(0, 10));
    expect((await view(second, 'n', '?limit=1')).body.total_rows).to.equal(10);
    await call('PUT', `${dbPath(first)}/late`, { n: 1000 });
    expect((await view(first, 'n', '?key=1000')).body.rows).to.deep.equal([{ id: 'late', key: 1000, value: null }]);
    expect(server.stats().viewFunctions.compilations).to.equal(before + 1);
  });

  it('runs JavaScript reduces non-strict and builtin reduces natively', async function () {
    const db = await dbWith(
      {
        sloppy: { map: 'function(doc) { emit(doc.kind, doc.n); }', reduce: 'function(keys, values, rereduce) { total = 0; for (j in values) total += values[j]; return total; }' },
        summed: { map: 'function(doc) { emit(doc.kind, doc.n); }', reduce: '_sum' },
        counted: { map: 'function(doc) { emit(doc.kind, doc.n); }', reduce: '_count' },
        stats: { map: 'function(doc) { emit(doc.kind, doc.n); }', reduce: '_stats' },
        pairs: { map: 'function(doc) { emit(doc.kind, [doc.n, 1]); }', reduce: '_sum' },
        words: { map: 'function(doc) { emit(doc.kind, String(doc.n)); }', reduce: '_sum' },
      },
      [
        { _id: 'a', kind: 'x', n: 1 },
        { _id: 'b', kind: 'x', n: 2 },
        { _id: 'c', kind: 'y', n: 4 },
      ],
    );
    expect((await view(db, 'sloppy', '?group=true')).body.rows).to.deep.equal([
      { key: 'x', value: 3 },
      { key: 'y', value: 4 },
    ]);
    expect((await view(db, 'summed')).body.rows).to.deep.equal([{ key: null, value: 7 }]);
    expect((await view(db, 'counted')).body.rows).to.deep.equal([{ key: null, value: 3 }]);
    expect((await view(db, 'stats')).body.rows).to.deep.equal([{ key: null, value: { sum: 7, min: 1, max: 4, count: 3, sumsqr: 21 } }]);
    expect((await view(db, 'pairs', '?group=true')).body.rows).to.deep.equal([
      { key: 'x', value: [3, 2] },
      { key: 'y', value: [4, 1] },
    ]);
    const refused = await view(db, 'words');
    expect(refused.status).to.equal(500);
    expect(refused.body.error).to.equal('invalid_value');
  });

  it('answers a view whose map does not compile with 400 compilation_error, and the other views still work', async function () {
    const db = await dbWith({ broken: { map: 'function(doc) { emit(doc._id, ; }' }, fine: { map: 'function(doc) { emit(doc._id, null); }' } }, [{ _id: 'x' }]);
    const broken = await view(db, 'broken');
    expect(broken.status).to.equal(400);
    expect(broken.body.error).to.equal('compilation_error');
    expect((await view(db, 'fine')).body.rows).to.deep.equal([{ id: 'x', key: 'x', value: null }]);
  });
});

describe('view functions: compiled sources kept', function () {
  it('keeps the most recently used sources compiled and compiles an evicted one again', function () {
    const functions = new ViewFunctions({ log: () => undefined, maxCompiled: 2 });
    const rows: unknown[] = [];
    const emit = (key: unknown, value: unknown) => rows.push([key, value]);
    const sources = ['a', 'b', 'c'].map((name) => `function(doc) { emit('${name}', doc.n); }`);
    functions.map(sources[0], emit)({ n: 1 });
    functions.map(sources[1], emit)({ n: 2 });
    functions.map(sources[0], emit)({ n: 3 });
    expect(functions.compilations).to.equal(2);
    functions.map(sources[2], emit)({ n: 4 }); // evicts b, the least recently used
    functions.map(sources[0], emit)({ n: 5 });
    expect(functions.compilations).to.equal(3);
    functions.map(sources[1], emit)({ n: 6 });
    expect(functions.compilations).to.equal(4);
    expect(rows).to.deep.equal([['a', 1], ['b', 2], ['a', 3], ['c', 4], ['a', 5], ['b', 6]]);
  });
});
