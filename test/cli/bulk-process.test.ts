import { expect } from 'chai';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { BULK_NODE_FLAGS, missingNodeFlags } from '../../src/cli/bulk-process';
import { runKnm } from '../helpers/cli';

describe('cli: how the bulk commands run (node flags, priority)', function () {
  this.timeout(60000);

  it('asks for the bulk flags for knm import only, and only when this process lacks them', () => {
    expect(missingNodeFlags(['import', 'numbers.csv'], [])).to.deep.equal([...BULK_NODE_FLAGS]);
    expect(missingNodeFlags(['--json', 'import', 'numbers.csv'], ['-r', 'tsx/cjs'])).to.deep.equal([...BULK_NODE_FLAGS]);
    expect(missingNodeFlags(['import', 'numbers.csv'], [...BULK_NODE_FLAGS])).to.deep.equal([]);
    expect(missingNodeFlags(['--couch', 'http://127.0.0.1:5984', 'import', 'numbers.csv'], [])).to.deep.equal([...BULK_NODE_FLAGS]);
    expect(missingNodeFlags(['--couch=http://127.0.0.1:5984', 'import', 'numbers.csv'], [])).to.deep.equal([...BULK_NODE_FLAGS]);
    expect(missingNodeFlags(['start'], [])).to.deep.equal([]);
    expect(missingNodeFlags(['export', '--state', 'in_service'], [])).to.deep.equal([]);
    expect(missingNodeFlags([], [])).to.deep.equal([]);
  });

  it('knm import run again under them passes on its output and exit code', async () => {
    const run = await runKnm(['import', '/nonexistent/numbers.csv', '--action', 'find'], { COUCH_URL: 'http://127.0.0.1:1' });
    expect(run.status).to.equal(2);
    expect(run.stdout).to.equal('');
    expect(run.stderr.trim().split('\n')).to.deep.equal(['knm: no such file: /nonexistent/numbers.csv', 'usage: knm import <file>']);
  });

  it('lowers every thread of the process to the niceness asked, and never raises it', async function () {
    if (process.platform !== 'linux') this.skip();
    // in a process of its own: the niceness cannot be raised back
    const script = `
      const fs = require('node:fs'); const os = require('node:os');
      const { lowerPriority } = require(${JSON.stringify(path.resolve(__dirname, '../../src/cli/bulk-process'))});
      const threads = () => fs.readdirSync('/proc/self/task').map((tid) => os.getPriority(Number(tid)));
      const seen = [threads()];
      lowerPriority(7); seen.push(threads());
      lowerPriority(3); seen.push(threads());
      console.log(JSON.stringify(seen));`;
    const child = spawn(process.execPath, [...(__filename.endsWith('.ts') ? ['-r', 'tsx/cjs'] : []), '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => child.once('close', resolve));
    const [before, lowered, askedHigher] = JSON.parse(out) as number[][];
    expect(before.length, 'node runs several threads').to.be.greaterThan(1);
    expect(new Set(before)).to.deep.equal(new Set([os.getPriority()]));
    const seven = before.map((niceness) => Math.max(niceness, 7));
    expect(lowered).to.deep.equal(seven);
    expect(askedHigher).to.deep.equal(seven);
  });
});
