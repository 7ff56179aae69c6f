/**
 * `allDocs` with `keys` (`_all_docs` with keys, and the old documents of a `_bulk_docs`) in one scan of the range
 * from the lowest key to the highest, instead of PouchDB's one index scan per key (pouchdb-adapter-utils'
 * allDocsKeysQuery): reading a batch of 200 new numbers cost as much as writing them.
 *
 * The rows are those PouchDB's per-key query gives, built by the same adapter `_allDocs` with `deleted: 'ok'`: a live
 * document, a deleted one (`value: {rev, deleted: true}`, `doc: null`), or `{key, error: 'not_found'}`; in the order
 * of the keys asked, repeats included. The scan stops after a bounded number of live rows; the keys past the point
 * it reached, and every batch holding a non-ASCII key, go through PouchDB's own per-key query. Deleted documents
 * inside the range are read but not bounded, as in any range read of PouchDB.
 */

interface AllDocsRow {
  key: string;
  value?: { rev: string; deleted?: boolean };
  error?: string;
}

interface AllDocsAnswer {
  rows: AllDocsRow[];
  total_rows?: number;
  offset?: unknown;
  update_seq?: unknown;
}

type Options = Record<string, unknown>;
type Callback = (error: unknown, answer?: AllDocsAnswer) => void;

/** The adapter method PouchDB's `allDocs` ends in, after it applied `skip`, `limit` and `descending` to the keys. */
interface AdapterDb {
  _allDocs(options: Options, callback: Callback): unknown;
}

/** Live rows the scan may read per key asked before it stops. */
const SCAN_ROWS_PER_KEY = 2;
/** Fewer keys than this are asked one by one: a scan would save nothing. */
const MIN_KEYS = 2;
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;
const installed = new WeakSet<object>();

/** Makes `db` (a PouchDB database on leveldb or memory) answer keys queries with one range scan. */
export function scanKeysInOneRange(db: object): void {
  const adapter = db as Partial<AdapterDb>;
  const perKey = adapter._allDocs;
  if (installed.has(db) || typeof perKey !== 'function') return;
  installed.add(db);
  adapter._allDocs = function (this: unknown, options: Options, callback: Callback): unknown {
    const keys = options.keys;
    if (!isScannable(keys)) return perKey.call(this, options, callback);
    const ask = (asked: Options): Promise<AllDocsAnswer> => callAdapter(perKey, this, asked);
    // PouchDB's own keys query answers through its returned promise; so does this one.
    return keysInOneScan(keys, options, ask);
  };
}

function isScannable(keys: unknown): keys is string[] {
  return Array.isArray(keys) && keys.length >= MIN_KEYS && keys.every((key) => typeof key === 'string' && ASCII.test(key));
}

async function keysInOneScan(keys: string[], options: Options, ask: (options: Options) => Promise<AllDocsAnswer>): Promise<AllDocsAnswer> {
  // leveldb orders ids by their UTF-8 bytes, JavaScript by UTF-16 units: the same order for ASCII ids only.
  const sorted = [...new Set(keys)].sort();
  const { keys: _keys, limit: _limit, skip, inclusive_end: _inclusiveEnd, ...rest } = options;
  const limit = sorted.length * SCAN_ROWS_PER_KEY;
  const scan = await ask({ ...rest, startkey: sorted[0], endkey: sorted[sorted.length - 1], deleted: 'ok', limit });
  const found = new Map(scan.rows.map((row) => [row.key, row]));
  const live = scan.rows.filter((row) => row.value?.deleted !== true).length;
  if (live >= limit && scan.rows.length > 0) {
    const scannedTo = scan.rows[scan.rows.length - 1].key;
    const beyond = sorted.filter((key) => key > scannedTo);
    if (beyond.length > 0) {
      for (const row of (await ask({ ...rest, keys: beyond })).rows) if (row.error === undefined) found.set(row.key, row);
    }
  }
  return {
    ...(scan.update_seq !== undefined ? { update_seq: scan.update_seq } : {}),
    total_rows: scan.total_rows,
    offset: skip,
    rows: keys.map((key) => found.get(key) ?? { key, error: 'not_found' }),
  };
}

/** The adapter answers a range through its callback and a keys query through the promise it returns. */
function callAdapter(method: AdapterDb['_allDocs'], self: unknown, options: Options): Promise<AllDocsAnswer> {
  return new Promise((resolve, reject) => {
    const returned = method.call(self, options, (error, answer) => (error ? reject(error) : resolve(answer as AllDocsAnswer)));
    if (typeof (returned as PromiseLike<AllDocsAnswer> | undefined)?.then === 'function') (returned as PromiseLike<AllDocsAnswer>).then(resolve, reject);
  });
}
