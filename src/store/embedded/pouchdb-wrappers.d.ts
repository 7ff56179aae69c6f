/** The part of pouchdb-wrappers 4.2 (no typings of its own) that the embedded server uses. */
declare module 'pouchdb-wrappers' {
  /** Wraps the named methods of `db`; each handler gets the original call and the parsed arguments. */
  export function installWrapperMethods(db: object, handlers: object): void;
  export function uninstallWrapperMethods(db: object, handlers: object): void;
}
