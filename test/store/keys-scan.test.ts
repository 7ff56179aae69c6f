import { expect } from 'chai';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded';
import { dbPath, http } from './embedded-http';

/**
 * `_all_docs` with keys is answered from one scan of the keys' range (keys-scan.ts); a single key still goes through
 * PouchDB's own per-key query, so each answer is checked against the rows of the same keys asked one at a time.
 */
describe('embedded server: _all_docs with keys in one range scan', function () {
  let server: EmbeddedServer;
  const db = dbPath('numbers/+1777');
  const id = (n: number): string => `+1777${String(n).padStart(7, '0')}`;
  const call = (method: string, urlPath: string, body?: unknown) => http(server.url, method, urlPath, body);

  const keysQuery = async (keys: string[], query = 'include_docs=true') => {
    const answer = await call('POST', `${db}/_all_docs?${query}`, { keys });
    expect(answer.status).to.equal(200);
    return answer.body as { total_rows: number; offset: number; rows: unknown[] };
  };
  const oneByOne = async (keys: string[], query = 'include_docs=true') => {
    const rows: unknown[] = [];
    for (const key of keys) rows.push(...(await keysQuery([key], query)).rows);
    return rows;
  };

  before(async function () {
    server = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    expect((await call('PUT', db)).status).to.equal(201);
    const docs = Array.from({ length: 100 }, (_, n) => ({ _id: id(n), pvt_state: 'available', n }));
    const written = (await call('POST', `${db}/_bulk_docs`, { docs })).body as { id: string; rev: string }[];
    const deleted = written.slice(10, 20).map((row) => ({ _id: row.id, _rev: row.rev, _deleted: true }));
    expect((await call('POST', `${db}/_bulk_docs`, { docs: deleted })).status).to.equal(201);
  });
  after(async function () {
    await server.close();
  });

  it('answers live, deleted and missing keys in the order asked, repeats included, as the per-key query does', async function () {
    const keys = [id(42), id(12), id(500), id(3), id(42), id(19), id(40), id(41), id(43), '+1777x'];
    for (const query of ['include_docs=true', 'include_docs=false']) {
      const answer = await keysQuery(keys, query);
      expect(answer.rows).to.deep.equal(await oneByOne(keys, query));
      expect(answer).to.include({ total_rows: 90, offset: 0 });
    }
    const rows = (await keysQuery([id(12), id(500), id(3)])).rows as { key: string; error?: string; value?: { deleted?: boolean }; doc?: { n?: number } | null }[];
    expect(rows.map((row) => [row.key, row.error ?? (row.value?.deleted ? 'deleted' : row.doc?.n)])).to.deep.equal([
      [id(12), 'deleted'],
      [id(500), 'not_found'],
      [id(3), 3],
    ]);
  });

  it('reads the keys past the bounded scan one by one (sparse keys over a full range)', async function () {
    const keys = [id(99), id(0), id(50), id(15), id(98), id(150)];
    expect((await keysQuery(keys)).rows).to.deep.equal(await oneByOne(keys));
  });

  it('leaves non-ASCII keys, and limit, skip and descending over keys, as PouchDB has them', async function () {
    const keys = [id(5), 'é-number', id(6)];
    expect((await keysQuery(keys)).rows).to.deep.equal(await oneByOne(keys));
    const sliced = await keysQuery([id(1), id(2), id(3), id(4)], 'include_docs=true&skip=1&limit=2&descending=true');
    expect((sliced.rows as { key: string }[]).map((row) => row.key)).to.deep.equal([id(3), id(2)]);
  });
});
