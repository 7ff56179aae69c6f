/**
 * `knm start`: without COUCH_URL (or --couch), serves the embedded CouchDB API on
 * 127.0.0.1:${KNM_COUCH_PORT:-5984} with its data in ${KNM_DATA_DIR:-./data}; with one, checks that the
 * CouchDB answers and serves no store of its own. The first line on stdout is the store URL (never with
 * credentials). Then the start services run (../start-services.ts) until SIGTERM or SIGINT, which stop
 * them in reverse order, close the store and exit 0.
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import { KnmError } from '../../errors';
import { connectStore } from '../../store/client';
import { EMBEDDED_HOST, redactUrl, resolveStoreUrl, type StoreTarget } from '../../store/connection';
import { startEmbeddedServer, type EmbeddedServer } from '../../store/embedded';
import { printResult } from '../output';
import { startServices, type RunningService, type StartContext } from '../start-services';
import type { CommandRegistration } from './index';

export const registerStart: CommandRegistration = (parser: Argv) =>
  parser.command(
    'start',
    'serve the embedded CouchDB store (unless COUCH_URL is set) and run knm until stopped',
    (command) => command,
    async (argv) => {
      const couchOption = typeof argv.couch === 'string' ? argv.couch : undefined;
      await runStart({ env: process.env, couchOption, json: argv.json === true });
    },
  );

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  couchOption?: string;
  json: boolean;
}

export async function runStart({ env, couchOption, json }: StartOptions): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`knm start: ${line}\n`);
  };
  const target = resolveStoreUrl({ env, couchOption });
  // Listen before the URL is printed: whoever reads it may stop knm at once.
  const stopped = waitForStopSignal();
  const embedded = target.embedded ? await serveEmbeddedStore(target, env, log) : undefined;
  const store = connectStore(embedded !== undefined ? { ...target, url: embedded.url } : target);
  if (embedded === undefined) await store.info();

  printResult(json, { store: store.url, embedded: embedded !== undefined }, () => [store.url]);
  log(embedded !== undefined ? `embedded store serving ${store.url}` : `using CouchDB at ${redactUrl(target.url)}; serving no store`);

  const context: StartContext = { store, target, servesEmbeddedStore: embedded !== undefined, env, log };
  const running: { name: string; service: RunningService }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const { name, service } of running.reverse()) {
      await service.stop().catch((error: unknown) => log(`stopping ${name} failed: ${error instanceof Error ? error.message : String(error)}`));
    }
    await embedded?.close();
  };

  try {
    for (const service of startServices) {
      log(`starting ${service.name}`);
      const started = await service.start(context);
      if (started) running.push({ name: service.name, service: started });
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  const signal = await stopped;
  log(`${signal}: stopping`);
  await stopAll();
  // express-pouchdb leaves timers of its own behind; the work is done and saved, so leave now.
  process.exit(0);
}

async function serveEmbeddedStore(target: StoreTarget, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<EmbeddedServer> {
  const dataDir = path.resolve(env.KNM_DATA_DIR !== undefined && env.KNM_DATA_DIR.trim() !== '' ? env.KNM_DATA_DIR : './data');
  try {
    return await startEmbeddedServer({ host: EMBEDDED_HOST, port: target.port, dataDir, log });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EADDRINUSE') {
      throw new KnmError('unavailable', 503, `cannot serve the embedded store on ${EMBEDDED_HOST}:${target.port}: the port is in use`, {
        hint: 'set KNM_COUCH_PORT to a free port, or COUCH_URL to use the CouchDB already running there',
      });
    }
    throw error;
  }
}

function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
