import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedServer } from '../../src/store/embedded';
import { REPO_ROOT } from '../helpers/fixtures';
import { dbPath, http } from './embedded-http';
import { freePort } from '../helpers/free-port';

interface Started {
  child: ChildProcess;
  firstLine: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Runs `knm start` from the sources and waits for its first line of stdout (or its exit). */
function knmStart(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join('src', 'cli', 'main.ts'), 'start'], {
    cwd: REPO_ROOT,
    env: { ...process.env, COUCH_URL: '', COUCH_USER: '', COUCH_PASSWORD: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`knm start printed nothing; stderr: ${stderr}`)), 15_000);
    const done = (firstLine: string): void => {
      clearTimeout(timer);
      resolve({ child, firstLine, stderr: () => stderr, exited });
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline !== -1) done(stdout.slice(0, newline));
    });
    void exited.then(() => done(stdout.split('\n')[0]));
  });
}

describe('knm start (store part)', function () {
  this.timeout(60_000);
  let dataDir: string;

  beforeEach(function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-start-'));
  });
  afterEach(function () {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the embedded store on KNM_COUCH_PORT, exits 0 on SIGTERM, and keeps the data across a restart', async function () {
    const port = await freePort();
    const env = { KNM_COUCH_PORT: String(port), KNM_DATA_DIR: path.join(dataDir, 'data') };
    const first = await knmStart(env);
    try {
      expect(first.firstLine).to.equal(`http://127.0.0.1:${port}`);
      const url = first.firstLine;
      expect((await http(url, 'PUT', dbPath('numbers/+1415'))).status).to.equal(201);
      const written = await http(url, 'PUT', `${dbPath('numbers/+1415')}/${encodeURIComponent('+14158867900')}`, { pvt_state: 'in_service' });
      expect(written.status).to.equal(201);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).to.equal(0);
    expect(fs.readdirSync(env.KNM_DATA_DIR)).to.include('numbers$2f+1415');

    const second = await knmStart(env);
    try {
      const url = second.firstLine;
      expect((await http(url, 'GET', '/_all_dbs')).body).to.include('numbers/+1415');
      const doc = await http(url, 'GET', `${dbPath('numbers/+1415')}/${encodeURIComponent('+14158867900')}`);
      expect(doc.status).to.equal(200);
      expect(doc.body.pvt_state).to.equal('in_service');
    } finally {
      second.child.kill('SIGINT');
    }
    expect(await second.exited).to.equal(0);
  });

  it('with COUCH_URL, checks the server, prints its URL without credentials and serves no store', async function () {
    const couch = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    const port = await freePort();
    await http(couch.url, 'PUT', '/_config/admins/admin', '"pa55-w0rd"');
    try {
      const started = await knmStart({ COUCH_URL: couch.url.replace('http://', 'http://admin:pa55-w0rd@'), KNM_COUCH_PORT: String(port), KNM_DATA_DIR: path.join(dataDir, 'unused') });
      try {
        expect(started.firstLine, started.stderr()).to.equal(couch.url);
        const refused = await http(`http://127.0.0.1:${port}`, 'GET', '/').then(() => false, () => true);
        expect(refused).to.equal(true);
        expect(fs.existsSync(path.join(dataDir, 'unused'))).to.equal(false);
      } finally {
        started.child.kill('SIGTERM');
      }
      expect(await started.exited).to.equal(0);
      expect(started.stderr()).to.not.contain('pa55-w0rd');
    } finally {
      await couch.close();
    }
  });

  it('fails with one line and exit 3 when COUCH_URL does not answer, without printing the password', async function () {
    const port = await freePort();
    const started = await knmStart({ COUCH_URL: `http://admin:pa55-w0rd@127.0.0.1:${port}` });
    expect(await started.exited).to.equal(3);
    expect(started.firstLine).to.equal('');
    const lines = started.stderr().trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^knm: unavailable: /);
    expect(started.stderr()).to.not.contain('pa55-w0rd');
  });

  it('fails with one line and exit 1 when the port is taken', async function () {
    const taken = await startEmbeddedServer({ inMemory: true, log: () => undefined });
    try {
      const started = await knmStart({ KNM_COUCH_PORT: String(taken.port), KNM_DATA_DIR: path.join(dataDir, 'data') });
      expect(await started.exited).to.equal(1);
      const lines = started.stderr().trim().split('\n');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.contain(`127.0.0.1:${taken.port}`).and.contain('KNM_COUCH_PORT');
    } finally {
      await taken.close();
    }
  });
});
