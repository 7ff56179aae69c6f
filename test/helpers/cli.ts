/** Runs the knm command line in a child process, from the TypeScript sources. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { main } from '../../src/cli/main';
import { REPO_ROOT } from './fixtures';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Asynchronous on purpose: the store the command talks to usually runs in the test's own process, and a
 * synchronous spawn would block it.
 */
export function runKnm(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * Runs the command line in this process (main() returns the exit code instead of exiting), with stdout and stderr
 * captured: a hundred commands in the time a few child processes take. The store may run in this process too.
 * Not for `knm start`, which runs until a signal and exits the process.
 */
export async function runKnmInProcess(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const writeStdout = process.stdout.write;
  const writeStderr = process.stderr.write;
  const capture = (append: (text: string) => void) =>
    ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture((text) => (stdout += text));
  process.stderr.write = capture((text) => (stderr += text));
  try {
    const status = await main(args);
    return { status, stdout, stderr };
  } finally {
    process.stdout.write = writeStdout;
    process.stderr.write = writeStderr;
    process.exitCode = undefined;
  }
}
