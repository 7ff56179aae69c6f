/**
 * Gives one PouchDB class CouchDB's evaluation of view functions. PouchDB 9's own `query` evaluates every
 * map call by building a source string and running it in a new vm context in strict mode: Kazoo's views
 * that assign an undeclared loop variable (views/port_requests.json) throw on every document and index
 * nothing, and a view build costs a context per document. The same view engine (pouchdb-abstract-mapreduce,
 * the version PouchDB bundles) runs here with map and reduce functions from view-functions.ts: non-strict,
 * sandboxed, compiled once per source. The view indexes keep PouchDB's names and layout.
 */
import createAbstractMapReduce from 'pouchdb-abstract-mapreduce';
import { NotFoundError } from 'pouchdb-mapreduce-utils';
import { builtinReduce } from './builtin-reduces';
import type { Emit } from './view-functions';
import { ViewFunctions } from './view-functions';

/** The name of the `_local` document in which PouchDB lists a database's view indexes (its own mapreduce uses it too). */
const VIEW_INDEX_LIST = 'mrviews';

interface PouchClass {
  prototype: object;
}

/** Replaces `query` and `viewCleanup` for the databases of `Pouch` (a `PouchDB.defaults` class) only. */
export function useCouchViewFunctions(Pouch: unknown, functions: ViewFunctions): void {
  const engine = createAbstractMapReduce(
    VIEW_INDEX_LIST,
    (mapFun, emit) => mapperOf(functions, mapFun, emit),
    (reduceFun) => reducerOf(functions, reduceFun),
    validateDesignDoc,
  );
  Object.assign((Pouch as PouchClass).prototype, {
    query(this: object, ...args: unknown[]) {
      return engine.query.apply(this, args);
    },
    viewCleanup(this: object, ...args: unknown[]) {
      return engine.viewCleanup.apply(this, args);
    },
  });
}

function mapperOf(functions: ViewFunctions, mapFun: unknown, emit: Emit): (doc: unknown) => void {
  // A temporary view given as a function of (doc, emit) by code in this process (PouchDB's own convention).
  if (typeof mapFun === 'function' && mapFun.length === 2) return (doc) => (mapFun as (doc: unknown, emit: Emit) => void)(doc, emit);
  return functions.map(String(mapFun), emit);
}

function reducerOf(functions: ViewFunctions, reduceFun: unknown): (keys: unknown, values: unknown, rereduce: boolean) => unknown {
  const source = String(reduceFun);
  const builtin = builtinReduce(source);
  if (builtin !== undefined) return (keys, values) => builtin(keys, values as unknown[]);
  return functions.reduce(source);
}

function validateDesignDoc(ddoc: { _id: string; views?: Record<string, { map?: unknown }> }, viewName: string): void {
  const map = ddoc.views?.[viewName]?.map;
  if (typeof map !== 'string') {
    throw new NotFoundError(`ddoc ${ddoc._id} has no string view named ${viewName}, instead found object of type: ${typeof map}`);
  }
}
