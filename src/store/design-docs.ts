/**
 * Which design documents go into which database, built from the repository:
 * - views/*.json and views/account/*.json: Kazoo's view files as Kazoo ships them, installed the way Kazoo installs
 *   them (the `kazoo` key removed, `map`/`reduce` line arrays joined with no separator [FACTS §8.1]) and placed by
 *   their own `kazoo.view_map` (`classification: numbers` = every `numbers/…` database, `classification: account` =
 *   every account database `account/xx/yy/…`, `database: X` = that one);
 * - couchapps/_design/<name>/: knm's design documents (views, validate_doc_update) as couchdb-compile folders,
 *   placed in every number database.
 * A design document is versioned by its fingerprint, a hash of its content without `_rev`: a deployment writes it
 * only when the stored one's fingerprint differs, so an unchanged redeploy writes nothing, and a Kazoo-installed
 * `_design/numbers` (same content) is left alone.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import compileCouchapp from 'couchdb-compile';
import { isAccountDbName } from '../numbers/db-names';

export interface ViewSource {
  map: string;
  reduce?: string;
}

export interface DesignDoc {
  _id: string;
  _rev?: string;
  language?: string;
  views?: Record<string, ViewSource>;
  validate_doc_update?: string;
  [field: string]: unknown;
}

/** Where a design document goes, in Kazoo's `kazoo.view_map` vocabulary. */
export type Placement = { classification: 'numbers' | 'account' } | { database: string };

export interface PlacedDesignDoc {
  doc: DesignDoc;
  placement: Placement[];
  /** The repository file or folder it was built from, for reports. */
  source: string;
}

export interface DesignDocLibrary {
  docs: PlacedDesignDoc[];
  /** The design documents a database (raw CouchDB name, `numbers/+1415`) must hold, in library order. */
  forDb(db: string): DesignDoc[];
}

/** The databases knm creates at bootstrap, besides the number databases made on demand [FACTS §2.1]. */
export const FIXED_DATABASES = ['system_config', 'accounts', 'numbers/managed', 'numbers/inum', 'port_requests'] as const;

export const NUMBERS_DB_PREFIX = 'numbers/';
export const VALIDATE_DESIGN_DOC = '_design/knm_validate';
export const KNM_DESIGN_DOC = '_design/knm';

/** knm's own design documents go where Kazoo's `_design/numbers` goes: every number database, pools included. */
const KNM_PLACEMENT: Placement[] = [{ classification: 'numbers' }];

/** Kazoo's db_classification/1: every name under `numbers/` is a number database, managed and inum included [FACTS §2.1]. */
export function isNumbersDb(db: string): boolean {
  return db.startsWith(NUMBERS_DB_PREFIX);
}

function placedIn(placement: readonly Placement[], db: string): boolean {
  return placement.some((where) => {
    if ('database' in where) return where.database === db;
    return where.classification === 'numbers' ? isNumbersDb(db) : isAccountDbName(db);
  });
}

/** One word per place a design document can go, to tell two documents with one id apart (Kazoo's account and number `_design/numbers`). */
function placementKeys(placement: readonly Placement[]): string[] {
  return placement.map((where) => ('database' in where ? `database:${where.database}` : `classification:${where.classification}`));
}

/** The repository folder: the nearest one above this file holding package.json (src/ and dist/src/ alike). */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`knm: no package.json above ${from}; run knm from its repository or image`);
    dir = parent;
  }
  return dir;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function joinLines(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((line) => typeof line === 'string')) return value.join('');
  throw new Error(`${where}: expected a string or an array of lines`);
}

function placementOf(viewMap: unknown, where: string): Placement[] {
  if (!Array.isArray(viewMap)) throw new Error(`${where}: kazoo.view_map must be an array`);
  const placement: Placement[] = [];
  for (const entry of viewMap) {
    if (isRecord(entry) && typeof entry.database === 'string') placement.push({ database: entry.database });
    else if (isRecord(entry) && (entry.classification === 'numbers' || entry.classification === 'account')) placement.push({ classification: entry.classification });
    // Other classifications (modb, …) are databases knm does not manage.
  }
  return placement;
}

/** A Kazoo view file in the form Kazoo installs it (kz_datamgr maybe_adapt_multilines/1) and where it goes. */
export function fromKazooViewFile(file: unknown, where: string): { doc: DesignDoc; placement: Placement[] } {
  if (!isRecord(file) || typeof file._id !== 'string' || !file._id.startsWith('_design/')) {
    throw new Error(`${where}: not a design document`);
  }
  const { kazoo, ...rest } = file;
  const placement = isRecord(kazoo) ? placementOf(kazoo.view_map, where) : [];
  const doc: DesignDoc = { ...rest, _id: file._id };
  if (isRecord(rest.views)) {
    const views: Record<string, ViewSource> = {};
    for (const [name, view] of Object.entries(rest.views)) {
      if (!isRecord(view)) throw new Error(`${where}: view ${name} is not an object`);
      views[name] = { ...view, map: joinLines(view.map, `${where} ${name}.map`) };
      if (view.reduce !== undefined) views[name].reduce = joinLines(view.reduce, `${where} ${name}.reduce`);
    }
    doc.views = views;
  }
  return { doc, placement };
}

const compileFolder = promisify(compileCouchapp);

/** Kazoo's view folders under views/: its number manager's files, then the account database's (core/kazoo_apps/priv/couchdb/account). */
const VIEW_FOLDERS = ['views', path.join('views', 'account')];

/** Reads views/, views/account/ and couchapps/_design/ under the repository root. */
export async function loadDesignDocs(root: string = repoRoot()): Promise<DesignDocLibrary> {
  const docs: PlacedDesignDoc[] = [];
  for (const folder of VIEW_FOLDERS) {
    const viewsDir = path.join(root, folder);
    if (!fs.existsSync(viewsDir)) continue;
    for (const name of fs.readdirSync(viewsDir).filter((file) => file.endsWith('.json')).sort()) {
      const source = path.join(folder, name);
      const { doc, placement } = fromKazooViewFile(JSON.parse(fs.readFileSync(path.join(viewsDir, name), 'utf8')), source);
      docs.push({ doc, placement, source });
    }
  }
  const couchappsDir = path.join(root, 'couchapps', '_design');
  for (const name of fs.readdirSync(couchappsDir).sort()) {
    const folder = path.join(couchappsDir, name);
    if (!fs.statSync(folder).isDirectory()) continue;
    const doc = (await compileFolder(folder, {})) as DesignDoc;
    docs.push({ doc, placement: KNM_PLACEMENT, source: path.join('couchapps', '_design', name) });
  }
  const placed = new Set<string>();
  for (const { doc, placement, source } of docs) {
    const keys = placementKeys(placement);
    for (const key of keys.length > 0 ? keys : ['unplaced']) {
      if (placed.has(`${doc._id} ${key}`)) throw new Error(`${source}: ${doc._id} is defined twice for ${key}`);
      placed.add(`${doc._id} ${key}`);
    }
  }
  return {
    docs,
    forDb: (db) => docs.filter(({ placement }) => placedIn(placement, db)).map(({ doc }) => doc),
  };
}

/** JSON with object keys sorted, so equal documents give equal text whatever the key order CouchDB returns. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((key) => value[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The version of a design document: sha256 of its content without `_rev` (first 16 hex digits). */
export function fingerprint(doc: Record<string, unknown>): string {
  const { _rev: _ignored, ...content } = doc;
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 16);
}

/** True when the stored design document already is the wanted one. */
export function isCurrent(stored: Record<string, unknown> | null | undefined, wanted: DesignDoc): boolean {
  return stored !== null && stored !== undefined && fingerprint(stored) === fingerprint(wanted);
}
