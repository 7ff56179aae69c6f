/**
 * CouchDB database names ↔ the names PouchDB stores under. express-pouchdb passes every name through
 * sanitize-filename, which drops `/`: `numbers/+1415` would be stored as `numbers+1415` and collide with it.
 * So the embedded server hands PouchDB an escaped name instead: `$` becomes `$24` and `/` becomes `$2f`
 * (both characters are legal in CouchDB names; nothing else in a legal name needs escaping). The mapping is
 * reversible and injective, and the escaped name survives sanitize-filename and any file system unchanged.
 */

/** CouchDB's rule for database names (system databases start with `_`). */
const LEGAL_NAME = /^[a-z][a-z0-9_$()+/-]*$/;
const SYSTEM_NAMES = new Set(['_users', '_replicator', '_global_changes']);

export function isLegalDbName(name: string): boolean {
  return SYSTEM_NAMES.has(name) || LEGAL_NAME.test(name);
}

/** CouchDB's own wording (couch_db:validate_dbname/1), so clients that match on it keep working. */
export function illegalDbNameReason(name: string): string {
  return `Name: '${name}'. Only lowercase characters (a-z), digits (0-9), and any of the characters _, $, (, ), +, -, and / are allowed. Must begin with a letter.`;
}

export function toStorageName(name: string): string {
  return name.replace(/[$/]/g, (char) => (char === '$' ? '$24' : '$2f'));
}

export function fromStorageName(storageName: string): string {
  return storageName.replace(/\$(24|2f)/g, (_escape, code: string) => (code === '24' ? '$' : '/'));
}
