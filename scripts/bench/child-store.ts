/**
 * The embedded store (in memory) in a child process, as CouchDB is in production: the measured process then holds
 * knm's own work and not the store's documents, whose garbage collection and request handling would compete with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export async function storeInChild(): Promise<{ url: string; child: ChildProcess }> {
  const embedded = path.resolve(__dirname, '../../src/store/embedded');
  const code = `require(${JSON.stringify(embedded)}).startEmbeddedServer({ inMemory: true, log: () => undefined }).then((s) => console.log(s.url))`;
  const child = spawn(process.execPath, [...process.execArgv, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
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
