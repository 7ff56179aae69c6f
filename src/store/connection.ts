/**
 * Which CouchDB knm talks to. `--couch URL` wins over `COUCH_URL`; credentials come from the URL or from
 * `COUCH_USER` / `COUCH_PASSWORD`. Without either URL, knm talks to the embedded server that `knm start`
 * serves on `http://127.0.0.1:${KNM_COUCH_PORT:-5984}`.
 */
import { UsageError } from '../cli/output';

export const DEFAULT_COUCH_PORT = 5984;
export const EMBEDDED_HOST = '127.0.0.1';

export interface StoreTarget {
  /** Base URL without credentials. */
  url: string;
  user?: string;
  password?: string;
  /** True when no URL was given: the embedded server's address (which `knm start` serves). */
  embedded: boolean;
  /** The port the embedded server uses (meaningful when `embedded`). */
  port: number;
}

export interface ResolveStoreUrlInput {
  env: NodeJS.ProcessEnv | Record<string, string | undefined>;
  /** The value of `--couch`, if given. */
  couchOption?: string;
}

export function resolveStoreUrl({ env, couchOption }: ResolveStoreUrlInput): StoreTarget {
  const port = embeddedPort(env);
  const given = nonEmpty(couchOption) ?? nonEmpty(env.COUCH_URL);
  if (given === undefined) {
    return { url: `http://${EMBEDDED_HOST}:${port}`, embedded: true, port, ...credentialsFromEnv(env) };
  }
  let parsed: URL;
  try {
    parsed = new URL(given);
  } catch {
    throw new UsageError(`${couchOption !== undefined ? '--couch' : 'COUCH_URL'} is not a URL: ${redactUrl(given)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`${couchOption !== undefined ? '--couch' : 'COUCH_URL'} must be an http(s) URL, not ${parsed.protocol}`);
  }
  const fromUrl = parsed.username !== ''
    ? { user: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
    : credentialsFromEnv(env);
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString().replace(/\/$/, ''), embedded: false, port, ...fromUrl };
}

/** The URL with any user and password removed: the only form of a store URL that may be printed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    // Not a URL: drop anything that looks like userinfo before printing it.
    return url.replace(/\/\/[^/@\s]*@/g, '//');
  }
}

function embeddedPort(env: ResolveStoreUrlInput['env']): number {
  const raw = nonEmpty(env.KNM_COUCH_PORT);
  if (raw === undefined) return DEFAULT_COUCH_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`KNM_COUCH_PORT must be a port number, not "${raw}"`);
  return port;
}

function credentialsFromEnv(env: ResolveStoreUrlInput['env']): { user?: string; password?: string } {
  const user = nonEmpty(env.COUCH_USER);
  return user === undefined ? {} : { user, password: env.COUCH_PASSWORD ?? '' };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
