/**
 * knm's validate_doc_update through the embedded server over HTTP, as Kazoo, a script or Fauxton would meet it:
 * single PUTs answer 403 with the reason, `_bulk_docs` refuses per document, and everything Kazoo writes passes
 * (every fixture document fresh, re-saved, and rewritten by Kazoo 4.3).
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { bootstrap, ensureNumberDb, withNumberDb } from '../../src/store/bootstrap';
import { connectStore, type Store } from '../../src/store/client';
import { loadDesignDocs, type DesignDocLibrary } from '../../src/store/design-docs';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';
import { isStoreError } from '../../src/store/errors';
import { FIXTURES_DIR } from '../helpers/fixtures';

type Doc = Record<string, unknown> & { _id: string };

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function fixtures(): { name: string; doc: Doc }[] {
  const dbsDir = path.join(FIXTURES_DIR, 'dbs');
  const fromDbs = fs
    .readdirSync(dbsDir)
    .filter((folder) => folder.startsWith('numbers%2F'))
    .flatMap((folder) => fs.readdirSync(path.join(dbsDir, folder)).map((file) => ({ name: `${folder}/${file.replace(/\.json$/, '')}`, doc: readJson(path.join(dbsDir, folder, file)) as Doc })));
  const oldVsnDir = path.join(FIXTURES_DIR, 'old_vsn');
  const fromOldVsn = fs.readdirSync(oldVsnDir).map((file) => ({ name: file.replace(/\.json$/, ''), doc: readJson(path.join(oldVsnDir, file)) as Doc }));
  return [...fromDbs, ...fromOldVsn];
}

/** What Kazoo 4.3 writes back for each fixture (fixtures/upgraded-4.3/dbs.json and old_vsn.json, keyed by name). */
function upgraded(): Map<string, Doc> {
  const docs = new Map<string, Doc>();
  for (const file of ['dbs.json', 'old_vsn.json']) {
    for (const [name, entry] of Object.entries(readJson(path.join(FIXTURES_DIR, 'upgraded-4.3', file)) as Record<string, { doc: Doc }>)) docs.set(name, entry.doc);
  }
  return docs;
}

const dbOf = (id: string): string => `numbers/${id.slice(0, 5)}`;

describe('validate_doc_update over HTTP (embedded server)', function () {
  this.timeout(60_000);
  let server: EmbeddedServer;
  let store: Store;
  let library: DesignDocLibrary;

  before(async () => {
    server = await startEmbeddedServer({ inMemory: true, port: 0, log: () => undefined });
    store = connectStore({ url: server.url });
    library = await loadDesignDocs();
    await bootstrap({ store, target: { url: server.url }, library, now: 63900000000 });
    await ensureNumberDb(store, library, 'numbers/+1415');
  });

  after(async () => {
    await server.close();
  });

  async function refusal(write: Promise<unknown>): Promise<{ status?: number; reason?: string }> {
    const error = await write.then(() => null, (failure: unknown) => failure);
    expect(isStoreError(error), 'the write was accepted').to.equal(true);
    return isStoreError(error) ? { status: error.status, reason: error.reason } : {};
  }

  async function putFresh(db: string, doc: Doc): Promise<string> {
    const { _rev: _ignored, ...body } = doc;
    const existing = await store.getOrNull(db, doc._id);
    if (existing !== null) await store.remove(db, doc._id, existing._rev);
    return (await withNumberDb(store, library, db, () => store.put(db, body as Doc))).rev;
  }

  it('every Kazoo fixture document: written fresh, re-saved, and rewritten in the 4.3 form', async () => {
    const rewrites = upgraded();
    let rewritten = 0;
    for (const { name, doc } of fixtures()) {
      const db = dbOf(doc._id);
      const rev = await putFresh(db, doc);
      const resaved = await store.put(db, { ...doc, _rev: rev });
      const written = rewrites.get(name);
      if (written === undefined) continue;
      const { _rev: _ignored, ...body } = written;
      await store.put(db, { ...body, _rev: resaved.rev });
      rewritten += 1;
    }
    expect(rewritten).to.be.greaterThan(35);
  });

  it('refuses with 403 and the reason: bad _id, wrong prefix database, unknown state, malformed field', async () => {
    const cases: [string, Doc, RegExp][] = [
      ['numbers/+1415', { _id: '4158867900', pvt_state: 'available' }, /_id "4158867900" is not a normalized number/],
      ['numbers/+1415', { _id: '+14168867900', pvt_state: 'available' }, /belongs in database numbers\/\+1416/],
      ['numbers/+1415', { _id: '+14158867901', pvt_state: 'bogus' }, /pvt_state "bogus" is not a Kazoo state/],
      ['numbers/+1415', { _id: '+14158867902', pvt_state: 'in_service', pvt_assigned_to: '' }, /pvt_assigned_to is "": it must be a 32-character account id/],
      ['numbers/managed', { _id: '+14158867903', pvt_state: 'port_in' }, /pool document is available, reserved, in_service, released, not port_in/],
    ];
    for (const [db, doc, reason] of cases) {
      const answer = await refusal(withNumberDb(store, library, db, () => store.put(db, doc)));
      expect(answer.status, doc._id).to.equal(403);
      expect(answer.reason, doc._id).to.match(reason);
    }
  });

  it('refuses a transition no Kazoo version makes, and allows the release and port completion Kazoo does', async () => {
    const db = 'numbers/+1415';
    const number = { _id: '+14158867910', pvt_type: 'number', pvt_module_name: 'knm_telnyx', pvt_assigned_to: 'account0000000000000000000000002' };
    const created = await store.put(db, { ...number, pvt_state: 'port_in' });
    const outOfPortIn = await refusal(store.put(db, { ...number, pvt_state: 'port_out', _rev: created.rev }));
    expect(outOfPortIn).to.deep.include({ status: 403 });
    expect(outOfPortIn.reason).to.match(/from port_in to port_out/);
    const completed = await store.put(db, { ...number, pvt_state: 'in_service', pvt_ported_in: true, _rev: created.rev });
    const { pvt_assigned_to: _owner, ...unassigned } = number;
    const released = await store.put(db, { ...unassigned, pvt_state: 'available', pvt_previously_assigned_to: number.pvt_assigned_to, _rev: completed.rev });
    const back = await refusal(store.put(db, { ...unassigned, pvt_state: 'port_in', _rev: released.rev }));
    expect(back.reason).to.match(/created in that state/);
  });

  it('_bulk_docs refuses per document and writes the rest', async () => {
    const results = await store.bulkDocs('numbers/+1415', [
      { _id: '+14158867920', pvt_state: 'available' },
      { _id: 'not-a-number', pvt_state: 'available' },
      { _id: '+14158867921', pvt_state: 'reserved', pvt_reserve_history: 'account0000000000000000000000002' },
    ]);
    expect(results.map((result) => (result.ok ? 'ok' : result.error))).to.deep.equal(['ok', 'forbidden', 'forbidden']);
    expect(results[2]).to.have.property('reason').that.matches(/pvt_reserve_history must be an array/);
  });

  it('passes deletions, design documents, and a port_in number with attachments', async () => {
    const db = 'numbers/+1415';
    const doc = { _id: '+14158867930', pvt_state: 'port_in', pvt_module_name: 'knm_local' };
    const created = await store.put(db, {
      ...doc,
      _attachments: { 'loa.pdf': { content_type: 'application/pdf', data: Buffer.from('%PDF-1.4 letter of authorization').toString('base64') } },
    });
    const stored = await store.get(db, doc._id);
    expect(stored._attachments).to.have.nested.property('loa\\.pdf.stub', true);
    const completed = await store.put(db, { ...stored, pvt_state: 'in_service', _rev: created.rev });
    await store.remove(db, doc._id, completed.rev);
    const design = await store.put(db, { _id: '_design/operator', views: { all: { map: 'function (doc) { emit(doc._id, null); }' } } });
    expect(design.rev).to.match(/^1-/);
  });
});
