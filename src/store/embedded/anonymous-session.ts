/**
 * express-pouchdb builds a session for every request (routes/authentication.js): with neither a session cookie nor
 * basic credentials, it still asks the `_users` database for its info (pouchdb-auth's multiUserSession reads only
 * its name from it) to answer the same anonymous session every time: no name, `_admin` in an admin party, no
 * roles once an admin exists. That look-up cost about a third of the server's CPU on a small GET.
 *
 * Here the anonymous session is built once by express-pouchdb's own chain and handed to each later anonymous
 * request (a copy: routes may write to it), until the server's admins or its authentication settings change.
 * A request with a cookie or an Authorization header goes through express-pouchdb's chain as before.
 */
import type { NextFunction, Request, Response } from 'express';

type Middleware = (req: Request, res: Response, next: NextFunction) => void;

interface RouterLayer {
  handle: Middleware;
}

interface CouchConfig {
  on(event: string, listener: () => void): void;
}

/** The config sections whose change makes express-pouchdb swap its users database (authentication.js). */
const SESSION_SECTIONS = ['admins', 'couch_httpd_auth'];

export function reuseAnonymousSession(pouchApp: object): void {
  const app = pouchApp as { _router: { stack: RouterLayer[] }; couchConfig: CouchConfig };
  const layer = app._router.stack.find((candidate) => candidate.handle.toString().includes('buildCookieSession('));
  if (layer === undefined) throw new Error('express-pouchdb has no session middleware to take over');
  const buildSession = layer.handle;
  let anonymous: string | undefined;
  // A session built while the settings changed may be the old one: only one built in a single generation is kept.
  let generation = 0;
  for (const section of SESSION_SECTIONS) {
    app.couchConfig.on(section, () => {
      generation += 1;
      anonymous = undefined;
    });
  }

  layer.handle = (req, res, next) => {
    if (!isAnonymous(req)) return buildSession(req, res, next);
    if (anonymous !== undefined) {
      setSession(req, JSON.parse(anonymous));
      return next();
    }
    const builtIn = generation;
    buildSession(req, res, (error?: unknown) => {
      const built = sessionOf(req);
      if (error === undefined && built !== undefined && builtIn === generation) anonymous = JSON.stringify(built);
      next(error);
    });
  };
}

/** No session cookie and no credentials of any kind: express-pouchdb answers such a request the anonymous session. */
function isAnonymous(req: Request): boolean {
  const cookies = (req as Request & { cookies?: Record<string, unknown> }).cookies;
  return req.headers.authorization === undefined && (cookies === undefined || cookies.AuthSession === undefined);
}

function sessionOf(req: Request): unknown {
  return (req as Request & { couchSession?: unknown }).couchSession;
}

function setSession(req: Request, session: unknown): void {
  (req as Request & { couchSession?: unknown }).couchSession = session;
}
