/** An embedded store holding Kazoo's fixture accounts, number databases and port request, for tests over the store. */
import fs from 'node:fs';
import path from 'node:path';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import type { LifecycleEnvironment } from '../../src/lifecycle/service';
import { compileNumberRules } from '../../src/numbers/rules';
import { startEmbeddedServer, EmbeddedServer } from '../../src/store/embedded';
import { connectStore, Store } from '../../src/store/client';
import { bootstrap, ensureNumberDb } from '../../src/store/bootstrap';
import { loadDesignDocs, DesignDocLibrary } from '../../src/store/design-docs';
import { FIXTURES_DIR } from './fixtures';

export const NOW = 63990000000;

export interface FixtureStore {
  server: EmbeddedServer;
  store: Store;
  library: DesignDocLibrary;
}

/** The fixture documents of a database folder, without the revisions of Kazoo's database. */
export function fixtureDocs(folder: string): Record<string, unknown>[] {
  const dir = path.join(FIXTURES_DIR, 'dbs', folder);
  return fs.readdirSync(dir).map((file) => {
    const { _rev, ...doc } = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    return doc;
  });
}

/** The fixture folders of number databases (`numbers%2F%2B…`). */
export function fixtureNumberFolders(): string[] {
  return fs.readdirSync(path.join(FIXTURES_DIR, 'dbs')).filter((name) => name.startsWith('numbers%2F%2B'));
}

export async function startFixtureStore(): Promise<FixtureStore> {
  const server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
  const store = connectStore({ url: server.url });
  const library = await loadDesignDocs();
  await bootstrap({ store, target: { url: server.url }, library, now: NOW });
  await loadFixtures(store, library);
  return { server, store, library };
}

/** The lifecycle environment over a fixture store: Kazoo's default number_manager, the clock stopped at NOW. */
export function fixtureEnvironment(fixture: FixtureStore, store: Store = fixture.store): LifecycleEnvironment {
  const config = defaultNumberManagerConfig();
  return { store, designDocs: fixture.library, rules: compileNumberRules(config).rules, config, clock: () => NOW };
}

/** A suite's fixture store and environment: started before its tests, closed after them (set once `before` has run). */
export function useFixtureStore(): { fixture: FixtureStore; env: LifecycleEnvironment } {
  const suite = {} as { fixture: FixtureStore; env: LifecycleEnvironment };
  before(async () => {
    suite.fixture = await startFixtureStore();
    suite.env = fixtureEnvironment(suite.fixture);
  });
  after(async () => {
    await suite.fixture?.server.close();
  });
  return suite;
}

/** Replaces the number databases, accounts and port requests with the fixtures. */
export async function loadFixtures(store: Store, library: DesignDocLibrary): Promise<void> {
  for (const db of await store.listDbs()) if (db.startsWith('numbers/+') || db.startsWith('account/')) await store.deleteDb(db);
  await resetDb(store, 'accounts', fixtureDocs('accounts'));
  // attachment stubs cannot be written without the revision they belong to
  const portRequests = fixtureDocs('port_requests').map(({ _attachments, ...doc }) => doc);
  for (const doc of portRequests) {
    const current = await store.getOrNull('port_requests', String(doc._id));
    await store.put('port_requests', current === null ? (doc as { _id: string }) : { ...doc, _id: String(doc._id), _rev: current._rev });
  }
  for (const folder of fixtureNumberFolders()) {
    const db = decodeURIComponent(folder);
    await ensureNumberDb(store, library, db);
    await store.bulkDocs(db, fixtureDocs(folder) as { _id: string }[]);
  }
}

async function resetDb(store: Store, db: string, docs: Record<string, unknown>[]): Promise<void> {
  await store.deleteDb(db);
  await store.createDb(db);
  await store.bulkDocs(db, docs as { _id: string }[]);
}

/** The callflows and trunkstore views Kazoo keeps in every account database (the ones `pvt_used_by` is read from). */
export async function putAccountAppViews(store: Store, accountDb: string): Promise<void> {
  await store.put(accountDb, { _id: '_design/callflows', views: { listing_by_number: { map: 'function(doc) { if (doc.pvt_type == "callflow") doc.numbers.forEach(function (n) { emit(n, null); }); }' } } });
  await store.put(accountDb, { _id: '_design/trunkstore', views: { lookup_did: { map: 'function(doc) { if (doc.pvt_type == "sys_info") doc.dids.forEach(function (n) { emit(n, null); }); }' } } });
}
