/**
 * The last line of defence of the embedded server: express-pouchdb and its plugins throw from callbacks
 * on some requests (DESIGN.md lists three; the routes in front of it answer those), and such a throw
 * would take the whole knm process down with it. While an embedded server runs, an uncaught error whose
 * stack lies inside the PouchDB stack is reported and survived; any other error keeps Node's behaviour.
 */

const POUCH_FRAMES = /node_modules[\\/](express-pouchdb|pouchdb[\w-]*|promise-nodify)[\\/]/;

let holders = 0;
let report: (line: string) => void = (line) => process.stderr.write(`${line}\n`);

function guard(event: 'uncaughtException' | 'unhandledRejection'): (error: unknown) => void {
  return (error) => {
    const stack = error instanceof Error ? (error.stack ?? '') : '';
    if (POUCH_FRAMES.test(stack)) {
      report(`knm embedded store: survived an error inside express-pouchdb: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    // Not ours to swallow. With no other handler, do what Node would have done.
    if (process.listenerCount(event) === 1) {
      process.stderr.write(`${stack || String(error)}\n`);
      process.exit(1);
    }
  };
}

const onUncaught = guard('uncaughtException');
const onUnhandled = guard('unhandledRejection');

/** Installs the guard (once for all servers of the process); the returned function removes this holder. */
export function holdCrashGuard(log?: (line: string) => void): () => void {
  if (log !== undefined) report = log;
  holders += 1;
  if (holders === 1) {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holders -= 1;
    if (holders === 0) {
      process.removeListener('uncaughtException', onUncaught);
      process.removeListener('unhandledRejection', onUnhandled);
    }
  };
}

/** For tests: whether an error would be survived. */
export function isInsidePouch(error: unknown): boolean {
  return error instanceof Error && POUCH_FRAMES.test(error.stack ?? '');
}
