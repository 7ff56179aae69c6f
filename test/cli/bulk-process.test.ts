import { expect } from 'chai';
import { BULK_NODE_FLAGS, missingNodeFlags } from '../../src/cli/node-flags';
import { runKnm } from '../helpers/cli';

describe('cli: node flags of the bulk commands', function () {
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
});
