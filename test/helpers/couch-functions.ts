/**
 * Runs design-document JavaScript in node the way CouchDB calls it: a fresh context with nothing but the language
 * built-ins, `emit` for map functions, and CouchDB's convention for validate_doc_update (throwing `{forbidden}` is a
 * 403, `{unauthorized}` a 401, anything else a 500).
 */
import vm from 'node:vm';

export type ValidateOutcome = { status: 200 } | { status: 401 | 403 | 500; reason: string };

export interface UserCtx {
  db?: string;
  name: string | null;
  roles: string[];
}

type ValidateFunction = (newDoc: unknown, oldDoc: unknown, userCtx: UserCtx, secObj: unknown) => void;

/** A document copy as CouchDB hands it to JavaScript (JSON round trip: nothing shared with the caller). */
function jsonCopy(value: unknown): unknown {
  return value === undefined || value === null ? null : JSON.parse(JSON.stringify(value));
}

export function compileValidate(source: string): (newDoc: unknown, oldDoc: unknown, userCtx: UserCtx) => ValidateOutcome {
  const fn = vm.runInNewContext(`(${source})`, {}) as ValidateFunction;
  return (newDoc, oldDoc, userCtx) => {
    try {
      fn(jsonCopy(newDoc), jsonCopy(oldDoc), userCtx, { admins: {}, members: {} });
      return { status: 200 };
    } catch (thrown) {
      const object = thrown as { forbidden?: unknown; unauthorized?: unknown };
      if (thrown !== null && typeof thrown === 'object' && typeof object.forbidden === 'string') return { status: 403, reason: object.forbidden };
      if (thrown !== null && typeof thrown === 'object' && typeof object.unauthorized === 'string') return { status: 401, reason: object.unauthorized };
      return { status: 500, reason: String(thrown) };
    }
  };
}

export interface EmittedRow {
  id: string;
  key: unknown;
  value: unknown;
}

/** Runs a map function over documents; rows come out in document order (not CouchDB's collation order). */
export function runMap(source: string, docs: readonly ({ _id: string } & Record<string, unknown>)[]): EmittedRow[] {
  const rows: EmittedRow[] = [];
  let current = '';
  const context = vm.createContext({
    emit(key: unknown, value: unknown) {
      rows.push({ id: current, key: jsonCopy(key), value: jsonCopy(value) });
    },
  });
  const map = vm.runInContext(`(${source})`, context) as (doc: unknown) => void;
  for (const doc of docs) {
    current = doc._id;
    map(jsonCopy(doc));
  }
  return rows;
}
