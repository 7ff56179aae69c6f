/** The parts of pouchdb-abstract-mapreduce and pouchdb-mapreduce-utils 9 (no typings of their own) that the embedded server uses. */
declare module 'pouchdb-abstract-mapreduce' {
  namespace createAbstractMapReduce {
    /** `query` and `viewCleanup` as PouchDB's own mapreduce plugin defines them, called with the database as `this`. */
    interface MapReduce {
      query(this: object, ...args: unknown[]): unknown;
      viewCleanup(this: object, ...args: unknown[]): unknown;
    }
  }

  /** PouchDB's view engine with the evaluation of map and reduce functions left to the caller. */
  function createAbstractMapReduce(
    localDocName: string,
    mapper: (mapFun: unknown, emit: (key: unknown, value: unknown) => void) => (doc: unknown) => void,
    reducer: (reduceFun: unknown) => (keys: unknown, values: unknown, rereduce: boolean) => unknown,
    ddocValidator: (ddoc: { _id: string; views?: Record<string, { map?: unknown }> }, viewName: string) => void,
  ): createAbstractMapReduce.MapReduce;
  export = createAbstractMapReduce;
}

declare module 'pouchdb-mapreduce-utils' {
  /** The failure of a builtin reduce; the view engine lets it fail the query, as CouchDB does. */
  export class BuiltInError extends Error {
    constructor(message: string);
  }
  export class NotFoundError extends Error {
    constructor(message: string);
  }
}
