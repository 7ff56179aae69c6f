/**
 * Gives one PouchDB class CouchDB's evaluation of view functions. PouchDB 9's own `query` evaluates every
 * map call by building a source string and running it in a new vm context in strict mode: Kazoo's views
 * that assign an undeclared loop variable (views/port_requests.json) throw on every document and index
 * nothing, and a view build costs a context per document. The same view engine (pouchdb-abstract-mapreduce,
 * the version PouchDB bundles) runs here with map and reduce functions from view-functions.ts: non-strict,
 * sandboxed, compiled once per source. The view indexes keep PouchDB's names and layout.
 *
 * The engine queues the builds of each view under the view index's name, in one table for the whole process,
 * and a name does not say which server it belongs to (`numbers$2f+1412-mrview-<hash>` is the same in every
 * server of the process, and on disk across a restart). A build whose database is closed under it never ends
 * (a PouchDB `changes` read of a closed database never settles), and every later build of that name in the
 * process waits behind it forever. So a server stops its view work before it closes its databases
 * (`ViewWork.stop`): each build ends at its next batch, having saved what it indexed (the next query goes on
 * from there), and the queries in hand are waited for.
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

export interface ViewWork {
  /** View queries (and view clean-ups) in hand. */
  readonly inHand: number;
  /** Ends every build, in hand or to come, at its next batch and resolves once no view query is left in hand. */
  stop(): Promise<void>;
}

/** Replaces `query` and `viewCleanup` for the databases of `Pouch` (a `PouchDB.defaults` class) only. */
export function useCouchViewFunctions(Pouch: unknown, functions: ViewFunctions): ViewWork {
  const engine = createAbstractMapReduce(
    VIEW_INDEX_LIST,
    (mapFun, emit) => mapperOf(functions, mapFun, emit),
    (reduceFun) => reducerOf(functions, reduceFun),
    validateDesignDoc,
  );
  const inHand = new Set<Promise<unknown>>();
  let stopping = false;
  const sources = new WeakMap<object, object>();

  /**
   * The database as the engine sees it: the same database, except that once the server stops, a build that asks
   * for its next batch of changes is told there are none, so it saves what it has indexed and ends.
   */
  function sourceOf(db: object): object {
    let source = sources.get(db);
    if (source === undefined) {
      const stoppingChanges = (options: { since?: unknown }): unknown =>
        stopping ? Promise.resolve({ results: [], last_seq: options.since ?? 0 }) : (db as { changes: (options: unknown) => unknown }).changes(options);
      source = new Proxy(db, { get: (target, key, receiver) => (key === 'changes' ? stoppingChanges : Reflect.get(target, key, receiver)) });
      sources.set(db, source);
    }
    return source;
  }

  function run(db: object, work: (this: object, ...args: unknown[]) => unknown, args: unknown[]): unknown {
    const running = work.apply(sourceOf(db), args);
    if (!(running instanceof Promise)) return running;
    inHand.add(running);
    const done = (): void => void inHand.delete(running);
    running.then(done, done);
    return running;
  }

  Object.assign((Pouch as PouchClass).prototype, {
    query(this: object, ...args: unknown[]) {
      return run(this, engine.query, args);
    },
    viewCleanup(this: object, ...args: unknown[]) {
      return run(this, engine.viewCleanup, args);
    },
  });

  return {
    get inHand() {
      return inHand.size;
    },
    async stop() {
      stopping = true;
      while (inHand.size > 0) await Promise.allSettled([...inHand]);
    },
  };
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
