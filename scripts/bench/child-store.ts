/**
 * The embedded store in a child process, as CouchDB is in production: the measured process then holds
 * knm's own work and not the store's documents, whose garbage collection and request handling would compete with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { CouchDoc } from '../../src/store/types';

/** This process's node options without an inline script (`-e CODE`), for the children it starts. */
export function nodeOptions(): string[] {
  const options: string[] = [];
  for (let index = 0; index < process.execArgv.length; index += 1) {
    const option = process.execArgv[index];
    if (['-e', '--eval', '-p', '--print'].includes(option)) index += 1;
    else options.push(option);
  }
  return options;
}

/** In memory by default; on disk (leveldb) under `dataDir` when one is given. */
export async function storeInChild(dataDir?: string): Promise<{ url: string; child: ChildProcess }> {
  const embedded = path.resolve(__dirname, '../../src/store/embedded');
  const where = dataDir === undefined ? 'inMemory: true' : `dataDir: ${JSON.stringify(dataDir)}`;
  const code = `require(${JSON.stringify(embedded)}).startEmbeddedServer({ ${where}, log: () => undefined }).then((s) => console.log(s.url))`;
  const child = spawn(process.execPath, [...nodeOptions(), '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`embedded server exited with ${String(code)}`)));
  });
  return { url, child };
}

/** A 4.3 number document on knm_bandwidth2, as the pipeline benches edit them. */
export function benchNumberDoc(number: string, state: string, now: number): CouchDoc {
  return {
    _id: number,
    pvt_type: 'number',
    pvt_db_name: `numbers%2F${encodeURIComponent(number.slice(0, 5))}`,
    pvt_state: state,
    pvt_module_name: 'knm_bandwidth2',
    pvt_ported_in: false,
    pvt_created: now,
    pvt_modified: now,
    pvt_carrier_data: { number_id: number },
  };
}
