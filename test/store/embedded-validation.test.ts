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
});
