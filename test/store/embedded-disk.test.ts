import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectStore } from '../../src/store/client';
import { startEmbeddedServer } from '../../src/store/embedded';
import { dbPath, http } from './embedded-http';

describe('embedded server on disk (leveldb)', function () {
  let dataDir: string;

  beforeEach(function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-embedded-'));
  });
  afterEach(function () {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps databases (real names), documents, _local checkpoints and sequences across a restart in the same process', async function () {
    const first = await startEmbeddedServer({ dataDir, log: () => undefined });
    let lastSeq: string;
    try {
      const store = connectStore({ url: first.url });
      await store.createDb('numbers/+1415');
      await store.createDb('numbers+1415');
      await store.bulkDocs('numbers/+1415', [{ _id: '+14158867900', pvt_state: 'in_service' }, { _id: '+14158867901', pvt_state: 'available' }]);
      await store.putLocal('numbers/+1415', { _id: 'knm-checkpoint', seq: 'kept' });
      lastSeq = (await store.changes('numbers/+1415')).last_seq;
    } finally {
      await first.close();
    }
    expect(fs.readdirSync(dataDir)).to.include.members(['numbers$2f+1415', 'numbers+1415']);

    const second = await startEmbeddedServer({ dataDir, log: () => undefined });
    try {
      const store = connectStore({ url: second.url });
      expect(await store.listDbs({ startkey: 'numbers', endkey: 'numbers\ufff0' })).to.deep.equal(['numbers+1415', 'numbers/+1415']);
      expect((await store.get('numbers/+1415', '+14158867900')).pvt_state).to.equal('in_service');
      expect((await store.getLocal('numbers/+1415', 'knm-checkpoint'))?.seq).to.equal('kept');
      // The database is the same one: its sequences still mean what they meant.
      expect((await store.changes('numbers/+1415', { since: lastSeq })).results).to.deep.equal([]);
      await store.put('numbers/+1415', { _id: '+14158867902' });
      expect((await store.changes('numbers/+1415', { since: lastSeq })).results.map((row) => row.id)).to.deep.equal(['+14158867902']);
      expect((await http(second.url, 'GET', dbPath('numbers/+1415'))).body.doc_count).to.equal(3);
    } finally {
      await second.close();
    }
  });

  it('keeps the server configuration (an admin) beside the data, as CouchDB keeps local.ini', async function () {
    const first = await startEmbeddedServer({ dataDir, log: () => undefined });
    try {
      expect((await http(first.url, 'PUT', '/_config/admins/root', '"secret"')).status).to.equal(200);
    } finally {
      await first.close();
    }
    const second = await startEmbeddedServer({ dataDir, log: () => undefined });
    try {
      expect((await http(second.url, 'PUT', dbPath('numbers/+1415'))).status).to.equal(401);
      const admin = connectStore({ url: second.url, user: 'root', password: 'secret' });
      expect(await admin.createDb('numbers/+1415')).to.equal(true);
    } finally {
      await second.close();
    }
  });
});
