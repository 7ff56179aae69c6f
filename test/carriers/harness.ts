import type { FindNumbersResult } from '../../src/carriers/carrier';
import { MockCarrier, startMockCarrier } from './mock-server';
/** What the carrier tests share: an embedded store with knm's databases, carrier config documents, number records. */
import { startEmbeddedServer, EmbeddedServer } from '../../src/store/embedded';
import { connectStore, Store } from '../../src/store/client';
import { bootstrap } from '../../src/store/bootstrap';
import { loadDesignDocs, DesignDocLibrary } from '../../src/store/design-docs';
import { readNumberDocument } from '../../src/documents/read';
import type { NumberRecord } from '../../src/documents/types';
import type { CarrierContext } from '../../src/carriers/carrier';
import type { JsonObject } from '../../src/documents/json';
import { toDbName } from '../../src/numbers/db-names';
import { ensureNumberDb } from '../../src/store/bootstrap';

export const NOW = 63900000000;
export const ACCOUNT = 'account0000000000000000000000002';
export const RESELLER = 'account0000000000000000000000001';

export interface StoreHarness {
  server: EmbeddedServer;
  store: Store;
  library: DesignDocLibrary;
  context: CarrierContext;
}

export async function startStore(): Promise<StoreHarness> {
  const server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
  const store = connectStore({ url: server.url });
  const library = await loadDesignDocs();
  await bootstrap({ store, target: { url: server.url }, library, now: NOW });
  return { server, store, library, context: { store, now: NOW, authBy: ACCOUNT } };
}

/** Writes (or replaces) `system_config/number_manager.<name>` with these `default` settings. */
export async function setCarrierConfig(store: Store, name: string, settings: JsonObject): Promise<void> {
  const id = `number_manager.${name}`;
  const existing = await store.getOrNull('system_config', id);
  await store.put('system_config', { _id: id, ...(existing === null ? {} : { _rev: existing._rev }), default: settings });
}

/** A number as the lifecycle hands it to a carrier (read from a 4.3 document). */
export function numberRecord(number: string, moduleName: string, fields: JsonObject = {}): NumberRecord {
  const doc = { _id: number, pvt_state: 'discovery', pvt_module_name: moduleName, pvt_ported_in: false, pvt_created: NOW, pvt_modified: NOW, pvt_type: 'number', ...fields };
  return readNumberDocument(doc, { now: NOW, normalize: (n) => n, availableModuleName: 'knm_local' }).record;
}

/** Makes sure the number's database exists (with its design documents), as it does once a search kept the number. */
export async function ensureDbOf(harness: StoreHarness, number: string): Promise<string> {
  const db = toDbName(number) as string;
  await ensureNumberDb(harness.store, harness.library, db);
  return db;
}

/** The numbers a successful search found, in order. */
export function numbersOf(result: FindNumbersResult): string[] {
  if (!result.ok) throw new Error(`expected numbers, got ${result.reason}`);
  return result.numbers.map((found) => found.number);
}

/** The embedded store and a mock carrier server, as each carrier's test starts them. */
export async function startStoreAndMock(): Promise<{ harness: StoreHarness; mock: MockCarrier }> {
  return { harness: await startStore(), mock: await startMockCarrier() };
}

export async function stopStoreAndMock(harness: StoreHarness, mock: MockCarrier): Promise<void> {
  await mock.close();
  await harness.server.close();
}
