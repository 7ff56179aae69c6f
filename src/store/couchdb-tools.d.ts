/** Types for the two untyped tools of the couchdb-bootstrap family that knm calls (only what knm uses). */

declare module 'couchdb-compile' {
  type Compiled = Record<string, unknown> & { _id: string };
  function compile(source: string | object, options: { index?: boolean; multipart?: boolean }, callback: (error: Error | null, doc: Compiled) => void): void;
  export = compile;
}

declare module 'couchdb-bootstrap' {
  /** What couchdb-push answers per document: `unchanged: true` when the stored one was already equal. */
  interface PushResult {
    ok: boolean;
    id: string;
    rev: string;
    unchanged?: boolean;
  }
  interface BootstrapResult {
    configure?: unknown;
    secure?: Record<string, unknown>;
    push?: Record<string, PushResult[]>;
  }
  interface BootstrapOptions {
    concurrency?: number;
    mapDbName?: Record<string, string> | ((name: string) => string);
  }
  function bootstrap(url: string, source: string | object, options: BootstrapOptions, callback: (error: Error | null, result: BootstrapResult) => void): void;
  export = bootstrap;
}
