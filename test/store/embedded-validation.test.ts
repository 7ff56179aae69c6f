import { expect } from 'chai';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';
import { dbPath, http } from './embedded-http';

/**
 * validate_doc_update over HTTP on the embedded server, with CouchDB's semantics: the function gets
 * (newDoc, oldDoc, userCtx, secObj); throw({forbidden}) is 403 and throw({unauthorized}) is 401 with the
 * reason; _bulk_docs reports refusals per document. The function here is the test's own.
 */
const VALIDATE = `function (newDoc, oldDoc, userCtx, secObj) {
  if (newDoc._id.indexOf('_design/') === 0) return;
  if (userCtx.db !== 'numbers/+1415') throw({ forbidden: 'userCtx.db is ' + userCtx.db });
  if (!secObj || !secObj.admins || secObj.admins.names[0] !== 'boss') throw({ forbidden: 'secObj not passed' });
  if (newDoc._deleted) {
    if (oldDoc && oldDoc.pvt_state === 'in_service') throw({ forbidden: 'cannot delete ' + newDoc._id + ' while in_service' });
    return;
  }
  if (newDoc._id.indexOf('+1415') !== 0) throw({ forbidden: 'number ' + newDoc._id + ' does not belong in numbers/+1415' });
  if (newDoc.showCtx) throw({ forbidden: JSON.stringify(userCtx) });
  if (newDoc.secret) throw({ unauthorized: 'only admins may set secret' });
  if (oldDoc && oldDoc.pvt_state === 'in_service' && newDoc.pvt_state === 'discovery') throw({ forbidden: 'in_service -> discovery is not a transition' });
}`;

describe('embedded server: validate_doc_update over HTTP', function () {
  let server: EmbeddedServer;
  const db = dbPath('numbers/+1415');
  const doc = (id: string) => `${db}/${encodeURIComponent(id)}`;
  const call = (method: string, urlPath: string, body?: unknown) => http(server.url, method, urlPath, body);

  before(async function () {
    server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    await call('PUT', db);
    await call('PUT', `${db}/_security`, { admins: { names: ['boss'], roles: [] }, members: { names: [], roles: [] } });
    expect((await call('PUT', `${db}/_design/rules`, { validate_doc_update: VALIDATE })).status).to.equal(201);
  });
  after(async function () {
    await server.close();
  });

  it('lets a valid PUT through with newDoc, userCtx (real database name) and secObj', async function () {
    const answer = await call('PUT', doc('+14158867900'), { pvt_state: 'in_service' });
    expect(answer.status).to.equal(201);
  });

  it('refuses a PUT with 403 forbidden and the function’s reason', async function () {
    const answer = await call('PUT', doc('+12125551234'), { pvt_state: 'available' });
    expect(answer.status).to.equal(403);
    expect(answer.body).to.deep.equal({ error: 'forbidden', reason: 'number +12125551234 does not belong in numbers/+1415' });
  });

  it('refuses with 401 unauthorized when the function throws unauthorized', async function () {
    const answer = await call('PUT', doc('+14150000001'), { secret: true });
    expect(answer.status).to.equal(401);
    expect(answer.body).to.deep.equal({ error: 'unauthorized', reason: 'only admins may set secret' });
  });

  it('passes the userCtx CouchDB passes in admin party', async function () {
    const answer = await call('PUT', doc('+14150000009'), { showCtx: true });
    expect(JSON.parse(answer.body.reason)).to.deep.include({ db: 'numbers/+1415', name: null, roles: ['_admin'] });
  });

  it('passes oldDoc on update', async function () {
    const current = await call('GET', doc('+14158867900'));
    const answer = await call('PUT', doc('+14158867900'), { ...current.body, pvt_state: 'discovery' });
    expect(answer.status).to.equal(403);
    expect(answer.body.reason).to.equal('in_service -> discovery is not a transition');
  });

  it('validates POST /db', async function () {
    const answer = await call('POST', db, { _id: '+19998887777' });
    expect(answer.status).to.equal(403);
    expect(answer.body.error).to.equal('forbidden');
  });

  it('validates DELETE with newDoc._deleted and oldDoc', async function () {
    const current = await call('GET', doc('+14158867900'));
    const answer = await call('DELETE', `${doc('+14158867900')}?rev=${current.body._rev}`);
    expect(answer.status).to.equal(403);
    expect(answer.body.reason).to.equal('cannot delete +14158867900 while in_service');
    const spare = await call('PUT', doc('+14150000002'), { pvt_state: 'available' });
    expect((await call('DELETE', `${doc('+14150000002')}?rev=${spare.body.rev}`)).status).to.equal(200);
  });

  it('reports refusals per document in _bulk_docs, in the order sent, and writes the rest', async function () {
    const answer = await call('POST', `${db}/_bulk_docs`, {
      docs: [
        { _id: '+12125550000' },
        { _id: '+14150000003', pvt_state: 'available' },
        { _id: '+14150000004', secret: true },
        { _id: '+14150000005', pvt_state: 'available' },
      ],
    });
    expect(answer.status).to.equal(201);
    expect(answer.body.map((row: any) => [row.id, row.error ?? 'ok'])).to.deep.equal([
      ['+12125550000', 'forbidden'],
      ['+14150000003', 'ok'],
      ['+14150000004', 'unauthorized'],
      ['+14150000005', 'ok'],
    ]);
    expect(answer.body[0].reason).to.equal('number +12125550000 does not belong in numbers/+1415');
    expect((await call('GET', doc('+14150000005'))).status).to.equal(200);
    expect((await call('GET', doc('+12125550000'))).status).to.equal(404);
  });

  it('validates a deletion sent through _bulk_docs', async function () {
    const current = await call('GET', doc('+14158867900'));
    const answer = await call('POST', `${db}/_bulk_docs`, { docs: [{ _id: '+14158867900', _rev: current.body._rev, _deleted: true }] });
    expect(answer.body[0]).to.include({ id: '+14158867900', error: 'forbidden' });
  });

  describe('a _bulk_docs batch, which each validate function sees in one call into its sandbox', function () {
    const batchDb = dbPath('numbers/+1416');
    // The first function marks the userCtx and secObj it was given: no other document may see the marks.
    const MARKING = `function (newDoc, oldDoc, userCtx, secObj) {
      if (userCtx.marked || secObj.marked) throw({ forbidden: newDoc._id + ' saw a mark left by another document' });
      userCtx.marked = true;
      secObj.marked = true;
      if (newDoc.kind === 'a') throw({ forbidden: 'no a' });
      if (newDoc.kind === 'boom') null.boom;
      if (oldDoc && oldDoc.kind === 'frozen') throw({ unauthorized: 'frozen' });
    }`;
    const SECOND = `function (newDoc) {
      if (newDoc.kind === 'a') throw({ forbidden: 'the first function refused it already' });
      if (newDoc.kind === 'b') throw({ forbidden: 'no b' });
    }`;

    before(async function () {
      expect((await call('PUT', batchDb)).status).to.equal(201);
      expect((await call('PUT', `${batchDb}/_design/first`, { validate_doc_update: MARKING })).status).to.equal(201);
      expect((await call('PUT', `${batchDb}/_design/second`, { validate_doc_update: SECOND })).status).to.equal(201);
      expect((await call('PUT', `${batchDb}/cold`, { kind: 'frozen' })).status).to.equal(201);
    });

    it('answers each document as one at a time would: fresh userCtx and secObj, first refusal wins, exceptions per document', async function () {
      const cold = await call('GET', `${batchDb}/cold`);
      const answer = await call('POST', `${batchDb}/_bulk_docs`, {
        docs: [{ _id: 'x1', kind: 'ok' }, { _id: 'x2', kind: 'a' }, { _id: 'x3', kind: 'b' }, { _id: 'x4', kind: 'boom' }, { ...cold.body, kind: 'thawed' }, { _id: 'x5', kind: 'ok' }],
      });
      expect(answer.status).to.equal(201);
      expect(answer.body.map((row: any) => [row.id, row.error ?? 'ok', row.reason ?? ''])).to.deep.equal([
        ['x1', 'ok', ''],
        ['x2', 'forbidden', 'no a'],
        ['x3', 'forbidden', 'no b'],
        ['x4', 'TypeError', "TypeError: Cannot read properties of null (reading 'boom')"],
        ['cold', 'unauthorized', 'frozen'],
        ['x5', 'ok', ''],
      ]);
    });
  });
});
