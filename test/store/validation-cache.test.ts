import { expect } from 'chai';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';
import { dbPath, http } from './embedded-http';

/**
 * The embedded server keeps each database's validate functions compiled between writes: a change to a
 * design document must still take effect on the very next write, through every route that writes it.
 */
const refuseTag = (tag: string): string => `function (newDoc, oldDoc) {
  if (newDoc.tag === '${tag}') throw({ forbidden: 'tag ${tag} is refused' });
  if (oldDoc && oldDoc.state === 'in_service' && newDoc.state === 'discovery') throw({ forbidden: oldDoc._id + ': in_service -> discovery' });
}`;

describe('embedded server: cached validate functions', function () {
  let server: EmbeddedServer;
  let dbCount = 0;
  let db: string;
  const call = (method: string, urlPath: string, body?: unknown) => http(server.url, method, urlPath, body);
  const doc = (id: string) => `${db}/${encodeURIComponent(id)}`;
  const bulk = async (docs: object[]) => {
    const answer = await call('POST', `${db}/_bulk_docs`, { docs });
    expect(answer.status).to.equal(201);
    return (answer.body as { id: string; ok?: boolean; error?: string; reason?: string }[]).map((result) => [result.id, result.error ?? 'ok']);
  };

  before(async function () {
    server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
  });
  after(async function () {
    await server.close();
  });
  beforeEach(async function () {
    dbCount += 1;
    db = dbPath(`numbers/+1${dbCount}`);
    expect((await call('PUT', db)).status).to.equal(201);
    expect((await call('PUT', `${db}/_design/rules`, { validate_doc_update: refuseTag('red') })).status).to.equal(201);
  });

  it('compiles a database’s validate functions once for many writes', async function () {
    const before = server.stats().validateSets;
    for (let i = 0; i < 5; i += 1) expect((await call('PUT', doc(`a${i}`), { tag: 'blue' })).status).to.equal(201);
    expect(await bulk([{ _id: 'b1' }, { _id: 'b2' }])).to.deep.equal([['b1', 'ok'], ['b2', 'ok']]);
    expect(server.stats().validateSets - before).to.equal(1);
  });

  it('applies a changed validate function on the next PUT and the next _bulk_docs', async function () {
    expect((await call('PUT', doc('one'), { tag: 'red' })).status).to.equal(403);
    expect((await call('PUT', doc('two'), { tag: 'green' })).status).to.equal(201);
    const design = await call('GET', `${db}/_design/rules`);
    expect((await call('PUT', `${db}/_design/rules`, { ...design.body, validate_doc_update: refuseTag('green') })).status).to.equal(201);

    const refused = await call('PUT', doc('three'), { tag: 'green' });
    expect(refused.status).to.equal(403);
    expect(refused.body.reason).to.equal('tag green is refused');
    expect((await call('PUT', doc('one'), { tag: 'red' })).status).to.equal(201);
    expect(await bulk([{ _id: 'four', tag: 'green' }, { _id: 'five', tag: 'red' }])).to.deep.equal([['four', 'forbidden'], ['five', 'ok']]);
  });

  it('applies a validate function changed through _bulk_docs on the next write', async function () {
    const design = await call('GET', `${db}/_design/rules`);
    expect(await bulk([{ ...design.body, validate_doc_update: refuseTag('green') }])).to.deep.equal([['_design/rules', 'ok']]);
    expect((await call('PUT', doc('x'), { tag: 'green' })).status).to.equal(403);
    expect((await call('PUT', doc('y'), { tag: 'red' })).status).to.equal(201);
  });

  it('stops validating once the design document is deleted, by DELETE or by _bulk_docs', async function () {
    const design = await call('GET', `${db}/_design/rules`);
    expect((await call('DELETE', `${db}/_design/rules?rev=${design.body._rev}`)).status).to.equal(200);
    expect((await call('PUT', doc('red1'), { tag: 'red' })).status).to.equal(201);

    const again = await call('PUT', `${db}/_design/rules`, { validate_doc_update: refuseTag('red') });
    expect(again.status).to.equal(201);
    expect((await call('PUT', doc('red2'), { tag: 'red' })).status).to.equal(403);
    expect(await bulk([{ _id: '_design/rules', _rev: again.body.rev, _deleted: true }])).to.deep.equal([['_design/rules', 'ok']]);
    expect(await bulk([{ _id: 'red3', tag: 'red' }])).to.deep.equal([['red3', 'ok']]);
  });

  it('answers a bulk of good and bad documents per document, in the order sent, writing only the good ones', async function () {
    const docs = Array.from({ length: 40 }, (_, i) => ({ _id: `n${String(i).padStart(2, '0')}`, tag: i % 3 === 0 ? 'red' : 'blue' }));
    const results = await bulk(docs);
    expect(results).to.deep.equal(docs.map((d) => [d._id, d.tag === 'red' ? 'forbidden' : 'ok']));
    expect((await call('GET', doc('n00'))).status).to.equal(404);
    expect((await call('GET', doc('n01'))).status).to.equal(200);
  });

  it('gives each document of a bulk update its own old document', async function () {
    const first = await bulk([{ _id: 'p1', state: 'in_service' }, { _id: 'p2', state: 'reserved' }, { _id: 'p3', state: 'in_service' }]);
    expect(first.map(([, outcome]) => outcome)).to.deep.equal(['ok', 'ok', 'ok']);
    const current = await call('POST', `${db}/_all_docs?include_docs=true`, { keys: ['p1', 'p2', 'p3'] });
    const [p1, p2, p3] = (current.body.rows as { doc: Record<string, unknown> }[]).map((row) => row.doc);
    const answer = await call('POST', `${db}/_bulk_docs`, {
      docs: [
        { ...p1, state: 'discovery' },
        { ...p2, state: 'discovery' },
        { ...p3, state: 'available' },
        { _id: 'p4', state: 'discovery' },
      ],
    });
    expect(answer.status).to.equal(201);
    expect(answer.body.map((result: { id: string; error?: string }) => [result.id, result.error ?? 'ok'])).to.deep.equal([
      ['p1', 'forbidden'],
      ['p2', 'ok'],
      ['p3', 'ok'],
      ['p4', 'ok'],
    ]);
    expect(answer.body[0].reason).to.equal('p1: in_service -> discovery');
  });

  it('finds the old documents of a bulk spread over a range that holds many others', async function () {
    const existing = Array.from({ length: 100 }, (_, i) => ({ _id: `r${String(i).padStart(3, '0')}`, state: 'in_service' }));
    expect((await bulk(existing)).every(([, outcome]) => outcome === 'ok')).to.equal(true);
    const current = await call('POST', `${db}/_all_docs?include_docs=true`, { keys: ['r000', 'r050', 'r099'] });
    const updates = (current.body.rows as { doc: Record<string, unknown> }[]).map((row) => ({ ...row.doc, state: 'discovery' }));
    expect(await bulk([...updates, { _id: 'r100', state: 'discovery' }])).to.deep.equal([
      ['r000', 'forbidden'],
      ['r050', 'forbidden'],
      ['r099', 'forbidden'],
      ['r100', 'ok'],
    ]);
  });

  it('finds the old documents of ids beyond ASCII', async function () {
    const ids = ['numéro-1', 'zz-\u{1F600}', 'a-\uFFFD'];
    expect(await bulk(ids.map((_id) => ({ _id, state: 'in_service' })))).to.deep.equal(ids.map((id) => [id, 'ok']));
    const current = await call('POST', `${db}/_all_docs?include_docs=true`, { keys: ids });
    const updates = (current.body.rows as { doc: Record<string, unknown> }[]).map((row) => ({ ...row.doc, state: 'discovery' }));
    expect(await bulk(updates)).to.deep.equal(ids.map((id) => [id, 'forbidden']));
  });

  it('sees no old document for a deleted one', async function () {
    const written = await call('PUT', doc('gone'), { state: 'in_service' });
    expect((await call('DELETE', `${doc('gone')}?rev=${written.body.rev}`)).status).to.equal(200);
    expect(await bulk([{ _id: 'gone', state: 'discovery' }])).to.deep.equal([['gone', 'ok']]);
  });

  it('does not validate design documents or _local documents', async function () {
    const strict = `function (newDoc) { throw({ forbidden: 'nothing may be written' }); }`;
    expect((await call('PUT', `${db}/_design/strict`, { validate_doc_update: strict, tag: 'red' })).status).to.equal(201);
    expect((await call('PUT', doc('plain'), {})).status).to.equal(403);
    expect((await call('PUT', `${db}/_design/another`, { tag: 'red' })).status).to.equal(201);
    expect((await call('PUT', `${db}/_local/checkpoint`, { tag: 'red' })).status).to.equal(201);
    expect(await bulk([{ _id: '_design/third', tag: 'red' }, { _id: 'plain2' }])).to.deep.equal([['_design/third', 'ok'], ['plain2', 'forbidden']]);
  });

  it('answers 401 for throw({unauthorized}) and 500 for any other exception, per document in a bulk', async function () {
    const source = `function (newDoc) {
      if (newDoc.who === 'stranger') throw({ unauthorized: 'log in first' });
      if (newDoc.boom) newDoc.missing.field = 1;
    }`;
    expect((await call('PUT', `${db}/_design/more`, { validate_doc_update: source })).status).to.equal(201);
    const unauthorized = await call('PUT', doc('u'), { who: 'stranger' });
    expect(unauthorized.status).to.equal(401);
    expect(unauthorized.body.reason).to.equal('log in first');
    expect((await call('PUT', doc('b'), { boom: true })).status).to.equal(500);
    expect(await bulk([{ _id: 'b2', boom: true }, { _id: 'ok1' }, { _id: 'u2', who: 'stranger' }])).to.deep.equal([
      ['b2', 'TypeError'],
      ['ok1', 'ok'],
      ['u2', 'unauthorized'],
    ]);
  });

  it('runs validate functions non-strict, with the design document as this', async function () {
    const sloppy = `function (newDoc) {
      for (k in newDoc.list) count = k;
      if (newDoc.mark !== this.expected) throw({ forbidden: 'mark must be ' + this.expected });
    }`;
    expect((await call('PUT', `${db}/_design/sloppy`, { validate_doc_update: sloppy, expected: 'x' })).status).to.equal(201);
    expect((await call('PUT', doc('s1'), { list: [1, 2], mark: 'x' })).status).to.equal(201);
    const refused = await call('PUT', doc('s2'), { list: [1], mark: 'y' });
    expect(refused.status).to.equal(403);
    expect(refused.body.reason).to.equal('mark must be x');
  });
});
