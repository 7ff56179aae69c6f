import { CliResult, runKnm } from '../helpers/cli';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { startEmbeddedServer, EmbeddedServer } from '../../src/store/embedded';
import { connectStore, Store } from '../../src/store/client';
import { bootstrap } from '../../src/store/bootstrap';
import { loadDesignDocs } from '../../src/store/design-docs';
import { toDbName } from '../../src/numbers/db-names';
import { FIXTURES_DIR } from '../helpers/fixtures';
import { MASTER, RESELLER } from '../helpers/kazoo-roles';

const AVAILABLE = '+15551239876';

function knm(args: string[], couchUrl: string): Promise<CliResult> {
  return runKnm(args, { COUCH_URL: couchUrl });
}

describe('cli: knm number', function () {
  this.timeout(60000);
  let server: EmbeddedServer;
  let store: Store;

  before(async () => {
    server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    store = connectStore({ url: server.url });
    await bootstrap({ store, target: { url: server.url }, library: await loadDesignDocs(), now: 63990000000 });
    for (const file of fs.readdirSync(path.join(FIXTURES_DIR, 'dbs', 'accounts'))) {
      const { _rev, ...account } = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'dbs', 'accounts', file), 'utf8'));
      await store.put('accounts', account);
    }
    const { _rev, ...available } = JSON.parse(
      fs.readFileSync(path.join(FIXTURES_DIR, 'dbs', 'numbers%2F%2B1555', `${encodeURIComponent(AVAILABLE)}.json`), 'utf8'),
    );
    await store.createDb(toDbName(AVAILABLE)!);
    await store.put(toDbName(AVAILABLE)!, available);
  });

  after(async () => {
    await server.close();
  });

  it('prints one JSON document in Kazoo batch form and exits 1 when any number failed', async () => {
    const result = await knm(['number', 'get', AVAILABLE, '1000', '--as', 'system', '--json'], server.url);
    expect(result.status, result.stderr).to.equal(1);
    const answer = JSON.parse(result.stdout);
    expect(answer.success[AVAILABLE].state).to.equal('available');
    expect(answer.error['1000']).to.deep.equal({ code: 404, error: 'not_reconcilable', message: 'number 1000 is not reconcilable', cause: '1000' });
  });

  it('reserves for an account and exits 0', async () => {
    const result = await knm(['number', 'reserve', AVAILABLE, '--as', MASTER, '--to', RESELLER], server.url);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^\+15551239876 \{.*"state":"reserved"/);
  });

  it('refuses bad arguments with one line and the usage line, exit 2', async () => {
    const badAs = await knm(['number', 'get', AVAILABLE, '--as', 'nobody'], server.url);
    expect(badAs.status).to.equal(2);
    expect(badAs.stderr.trim().split('\n')).to.have.length(2);
    expect(badAs.stderr.trim().split('\n')[1]).to.equal('usage: knm number get <numbers..>');
    expect(badAs.stderr).to.match(/--as must be "system" or a 32-character account id/);
    const noAs = await knm(['number', 'get', AVAILABLE], server.url);
    expect(noAs.status).to.equal(2);
    const badJson = await knm(['number', 'update', AVAILABLE, '--as', 'system', '--public', '{nope'], server.url);
    expect(badJson.status).to.equal(2);
    expect(badJson.stderr).to.match(/--public is not JSON/);
  });
});
