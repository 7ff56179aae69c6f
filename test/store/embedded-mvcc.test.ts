import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectStore, type Store } from '../../src/store/client';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';
import { isStoreError } from '../../src/store/errors';
import { dbPath, http } from './embedded-http';

/**
 * Leases and delivery claims rest on CouchDB's MVCC: of writers that all update a document from the same `_rev`,
 * exactly one succeeds. It must hold on the embedded server in both modes, across a database deleted and created
 * again (PouchDB keeps database objects, events and stores process-wide), and with two servers in one process.
 */

const WRITERS = 8;
const CYCLES = 4;
const DB = 'numbers/+1415';
const DOC_PATH = `${dbPath(DB)}/${encodeURIComponent('+14158867900')}`;

type Outcome = 'won' | 'conflict';

interface Claimers {
  /** One writer's update of the document from `rev`: 'won' or 'conflict' (anything else fails the test). */
  viaFetch(rev: string, claimer: string): Promise<Outcome>;
  viaStore(rev: string, claimer: string): Promise<Outcome>;
  viaBulkDocs(rev: string, claimer: string): Promise<Outcome>;
}

function claimersOf(server: EmbeddedServer, store: Store): Claimers {
  const claim = (rev: string, claimer: string) => ({ _id: '+14158867900', _rev: rev, claimed_by: claimer });
  return {
    async viaFetch(rev, claimer) {
      const answer = await http(server.url, 'PUT', DOC_PATH, claim(rev, claimer));
      if (answer.status === 201) return 'won';
      expect(answer.status, answer.text).to.equal(409);
      expect(answer.body.error).to.equal('conflict');
      return 'conflict';
    },
    async viaStore(rev, claimer) {
      try {
        await store.put(DB, claim(rev, claimer));
        return 'won';
      } catch (error) {
        if (isStoreError(error) && error.status === 409) return 'conflict';
        throw error;
      }
    },
    async viaBulkDocs(rev, claimer) {
      const answer = await http(server.url, 'POST', `${dbPath(DB)}/_bulk_docs`, { docs: [claim(rev, claimer)] });
      expect(answer.status, answer.text).to.equal(201);
      const [row] = answer.body as { ok?: boolean; error?: string }[];
      if (row.ok === true) return 'won';
      expect(row.error, answer.text).to.equal('conflict');
      return 'conflict';
    },
  };
}

/** WRITERS concurrent claims from `rev`: exactly one wins, and the document holds the winner's claim. */
async function expectOneWinner(server: EmbeddedServer, claimOnce: (rev: string, claimer: string) => Promise<Outcome>, rev: string, label: string): Promise<string> {
  const claimers = Array.from({ length: WRITERS }, (_, at) => `${label}-${at}`);
  const outcomes = await Promise.all(claimers.map((claimer) => claimOnce(rev, claimer)));
  const winners = claimers.filter((_, at) => outcomes[at] === 'won');
  expect(winners, `${label}: winners among ${WRITERS} writers from ${rev}`).to.have.length(1);
  const stored = await http(server.url, 'GET', `${DOC_PATH}?conflicts=true`);
  expect(stored.body.claimed_by).to.equal(winners[0]);
  expect(stored.body._conflicts, `${label}: no conflicting branch`).to.equal(undefined);
  expect(Number(String(stored.body._rev).split('-')[0])).to.equal(Number(rev.split('-')[0]) + 1);
  return String(stored.body._rev);
}

/**
 * Creates the database and its document, races the three kinds of claim, checks that a revision from before
 * the last delete is refused, and deletes the database again. Returns the last revision it saw.
 */
async function raceOneLife(server: EmbeddedServer, store: Store, cycle: number, revBeforeDelete: string | undefined): Promise<string> {
  expect((await http(server.url, 'PUT', dbPath(DB))).status, `cycle ${cycle}: create`).to.equal(201);
  const created = await http(server.url, 'PUT', DOC_PATH, { _id: '+14158867900', cycle });
  expect(created.status, created.text).to.equal(201);
  let rev = String(created.body.rev);
  if (revBeforeDelete !== undefined) {
    const stale = await http(server.url, 'PUT', DOC_PATH, { _id: '+14158867900', _rev: revBeforeDelete, claimed_by: 'from before the delete' });
    expect(stale.status, `cycle ${cycle}: a revision from before the delete (${revBeforeDelete})`).to.equal(409);
  }
  const claimers = claimersOf(server, store);
  rev = await expectOneWinner(server, claimers.viaFetch, rev, `cycle ${cycle} fetch`);
  rev = await expectOneWinner(server, claimers.viaStore, rev, `cycle ${cycle} store`);
  const beforeBulk = rev;
  rev = await expectOneWinner(server, claimers.viaBulkDocs, rev, `cycle ${cycle} bulk`);
  // The revision every writer above started from is now stale, through every route.
  expect(await claimers.viaFetch(beforeBulk, 'late')).to.equal('conflict');
  expect(await claimers.viaStore(beforeBulk, 'late')).to.equal('conflict');
  expect(await claimers.viaBulkDocs(beforeBulk, 'late')).to.equal('conflict');
  expect((await http(server.url, 'DELETE', dbPath(DB))).status, `cycle ${cycle}: delete`).to.equal(200);
  expect((await http(server.url, 'GET', DOC_PATH)).status).to.equal(404);
  return rev;
}

async function raceManyLives(server: EmbeddedServer): Promise<void> {
  const store = connectStore({ url: server.url });
  let revBeforeDelete: string | undefined;
  for (let cycle = 0; cycle < CYCLES; cycle += 1) revBeforeDelete = await raceOneLife(server, store, cycle, revBeforeDelete);
}

const MODES: { name: string; options: (dataDir: string) => Parameters<typeof startEmbeddedServer>[0] }[] = [
  { name: 'in memory', options: () => ({ inMemory: true, log: () => undefined }) },
  { name: 'on disk', options: (dataDir) => ({ dataDir, log: () => undefined }) },
];

describe('embedded server: MVCC across a database deleted and created again', function () {
  const dataDirs: string[] = [];
  const servers: EmbeddedServer[] = [];
  const start = async (options: (dataDir: string) => Parameters<typeof startEmbeddedServer>[0]): Promise<EmbeddedServer> => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-mvcc-'));
    dataDirs.push(dataDir);
    const server = await startEmbeddedServer(options(dataDir));
    servers.push(server);
    return server;
  };

  afterEach(async function () {
    await Promise.all(servers.splice(0).map((server) => server.close()));
    for (const dataDir of dataDirs.splice(0)) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  for (const mode of MODES) {
    describe(mode.name, function () {
      it('lets exactly one of concurrent writers from one _rev win, through PUT, the client and _bulk_docs, in every life of the database', async function () {
        await raceManyLives(await start(mode.options));
      });

      it('keeps two servers of one process apart when they delete and re-create databases of the same names at once', async function () {
        const [first, second] = await Promise.all([start(mode.options), start(mode.options)]);
        await Promise.all([raceManyLives(first), raceManyLives(second)]);
      });
    });
  }

  it('gives the same revisions to the same edits in each life of a database, as CouchDB does: an old copy fits a new life that reached its revision', async function () {
    // Revision ids hash the edit (body and parent), in CouchDB (couch_db:new_revid) as in PouchDB: the same edits
    // after a re-creation give the same ids. A writer whose copy predates the delete is refused only where the
    // new life's document differs; "two claims from one revision both succeeded" across a re-creation is this.
    const server = await start(MODES[0].options);
    const lives: string[][] = [];
    for (let life = 0; life < 2; life += 1) {
      expect((await http(server.url, 'PUT', dbPath(DB))).status).to.equal(201);
      const created = await http(server.url, 'PUT', DOC_PATH, { state: 'pending' });
      const claimed = await http(server.url, 'PUT', DOC_PATH, { _rev: created.body.rev, state: 'sending', claimed_by: 'w1' });
      lives.push([created.body.rev, claimed.body.rev]);
      if (life === 0) expect((await http(server.url, 'DELETE', dbPath(DB))).status).to.equal(200);
    }
    expect(lives[1]).to.deep.equal(lives[0]);
    const fromTheFirstLife = await http(server.url, 'PUT', DOC_PATH, { _rev: lives[0][1], state: 'delivered' });
    expect(fromTheFirstLife.status).to.equal(201);
    const claimedAgain = await http(server.url, 'PUT', DOC_PATH, { _rev: lives[0][0], state: 'sending', claimed_by: 'w1' });
    expect(claimedAgain.status).to.equal(409);
  });

  describe('two servers of one process with databases of the same name', function () {
    it('a database deleted on one server is still there on the other, which later deletes and re-creates its own', async function () {
      const first = await start(MODES[0].options);
      const second = await start(MODES[0].options);
      for (const server of [first, second]) {
        expect((await http(server.url, 'PUT', dbPath(DB))).status).to.equal(201);
        expect((await http(server.url, 'PUT', DOC_PATH, { on: server.url })).status).to.equal(201);
      }
      // A live feed of the second server's database, open while the first deletes its own.
      const feed = http(second.url, 'GET', `${dbPath(DB)}/_changes?feed=longpoll&since=now&timeout=5000`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await http(first.url, 'DELETE', dbPath(DB))).status).to.equal(200);
      expect((await http(second.url, 'GET', DOC_PATH)).body.on).to.equal(second.url);
      expect((await http(second.url, 'PUT', `${dbPath(DB)}/after`, {})).status).to.equal(201);
      expect((await feed).body.results.map((row: { id: string }) => row.id)).to.deep.equal(['after']);

      expect((await http(second.url, 'DELETE', dbPath(DB))).status).to.equal(200);
      expect((await http(second.url, 'GET', dbPath(DB))).status).to.equal(404);
      expect((await http(second.url, 'GET', '/_all_dbs')).body).not.to.include(DB);
      expect((await http(second.url, 'PUT', dbPath(DB))).status).to.equal(201);
      expect((await http(second.url, 'GET', DOC_PATH)).status).to.equal(404);
    });

    it('servers started at the same time hear only their own databases being created and deleted', async function () {
      const [first, second] = await Promise.all([start(MODES[0].options), start(MODES[0].options)]);
      expect((await http(second.url, 'PUT', dbPath(DB))).status).to.equal(201);
      expect((await http(first.url, 'PUT', dbPath(DB))).status).to.equal(201);
      expect((await http(first.url, 'DELETE', dbPath(DB))).status).to.equal(200);
      expect((await http(second.url, 'GET', '/_all_dbs')).body).to.include(DB);
      expect((await http(second.url, 'PUT', DOC_PATH, {})).status).to.equal(201);
      expect((await http(first.url, 'GET', '/_all_dbs')).body).not.to.include(DB);
    });
  });

  it('keeps an in-memory and an on-disk server apart with the same database names', async function () {
    const [memory, disk] = await Promise.all([start(MODES[0].options), start(MODES[1].options)]);
    await Promise.all([raceManyLives(memory), raceManyLives(disk)]);
  });
});
