/** The parts of express-pouchdb 4.2 (no typings of its own) that the embedded server uses. */
declare module 'express-pouchdb' {
  import type { Express } from 'express';

  namespace expressPouchDB {
    interface Options {
      mode?: 'fullCouchDB' | 'minimumForPouchDB' | 'custom';
      overrideMode?: { include?: string[]; exclude?: string[] };
      inMemoryConfig?: boolean;
      configPath?: string;
      logPath?: string;
    }

    interface App extends Express {
      /** Starts express-pouchdb's daemons (validation, security, all-dbs, …) on this PouchDB constructor. */
      setPouchDB(pouch: unknown): Promise<void>;
      /** Hooks run once on each database object before express-pouchdb's routes use it. */
      dbWrapper: { registerWrapper(wrapper: (name: string, db: object, next: () => unknown) => unknown): void };
    }
  }

  function expressPouchDB(options?: expressPouchDB.Options): expressPouchDB.App;
  export = expressPouchDB;
}

declare module 'express-pouchdb/lib/create-or-delete-dbs' {
  /** The database object express-pouchdb itself uses for this name (cached, so live feeds see its writes). */
  export function getOrCreateDB(pouch: unknown, name: string): Promise<unknown>;
}
