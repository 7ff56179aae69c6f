/** `knm normalize|classify|pretty|reconcile`, run as a process: stdout, stderr and exit codes. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/fixtures';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function knm(...args: string[]): Run {
  const result = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join('src', 'cli', 'main.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('cli: knm normalize | classify | pretty | reconcile', function () {
  this.timeout(120_000);
  let dir: string;
  const file = (name: string, content: string): string => {
    const target = path.join(dir, name);
    fs.writeFileSync(target, content);
    return target;
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knm-cli-numbers-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('normalize: one INPUT<TAB>NORMALIZED line per number, leading zeros and + kept, exit 0', () => {
    const run = knm('normalize', '2234567890', '0044123456', '+4412', '(415) 886-7900');
    expect(run.stderr).to.equal('');
    expect(run.status).to.equal(0);
    expect(run.stdout).to.equal('2234567890\t+12234567890\n0044123456\t+44123456\n+4412\t+4412\n(415) 886-7900\t(415) 886-7900\n');
  });

  it('classify --json: one JSON array on stdout and nothing else', () => {
    const run = knm('classify', '8005551212', '911', '--json');
    expect(run.status).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal([
      { input: '8005551212', normalized: '+18005551212', classifier: 'tollfree_us', friendly_name: 'US TollFree' },
      { input: '911', normalized: '911', classifier: 'emergency', friendly_name: 'Emergency Dispatcher' },
    ]);
  });

  it('pretty', () => {
    const run = knm('pretty', '4158867900', '011441234567890');
    expect(run.status).to.equal(0);
    expect(run.stdout).to.equal('4158867900\t(415) 886 - 7900\n011441234567890\t011441234567890\n');
  });

  it('reconcile: exit 1 when some number is not reconcilable, 0 when all are', () => {
    const mixed = knm('reconcile', '4158867900', '1000');
    expect(mixed.status).to.equal(1);
    expect(mixed.stdout).to.equal('4158867900\ttrue\n1000\tfalse\n');
    const json = knm('reconcile', '4158867900', '--json');
    expect(json.status).to.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.equal([{ input: '4158867900', normalized: '+14158867900', reconcilable: true }]);
  });

  it('--config: stored classifier order is used (schema order classifies toll-free as did_us)', () => {
    const config = file(
      'schema-order.json',
      JSON.stringify({ _id: 'number_manager', default: { classifiers: { did_us: { regex: '^(\\+?1)?([2-9][0-9]{2}[2-9][0-9]{6})$' }, tollfree_us: { regex: '^\\+1800' } } } }),
    );
    const run = knm('classify', '8005551212', 'abc', '--config', config);
    expect(run.status).to.equal(0);
    expect(run.stdout).to.equal('8005551212\tdid_us\nabc\t-\n');
  });

  it('problems in the config: one stderr line each, and the command still runs with the rest', () => {
    const config = file(
      'bad-regex.json',
      JSON.stringify({ default: { classifiers: { broken: { regex: '(a)\\1' }, us: { regex: '^\\+1' } }, maximum_search_quantity: 'many' } }),
    );
    const run = knm('classify', '4158867900', '--config', config, '--json');
    expect(run.status).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal([{ input: '4158867900', normalized: '+14158867900', classifier: 'us', friendly_name: 'us' }]);
    const lines = run.stderr.trim().split('\n');
    expect(lines).to.have.length(2);
    expect(lines.some((line) => line.startsWith('knm: config: classifiers.broken.regex "(a)\\\\1": backreferences'))).to.equal(true);
    expect(lines.some((line) => line.startsWith('knm: config: maximum_search_quantity:'))).to.equal(true);
  });

  const usageErrors: [string, () => string[], RegExp][] = [
    ['no numbers', () => ['normalize'], /^knm: normalize: name at least one number$/],
    ['a missing config file', () => ['normalize', '1', '--config', path.join(dir, 'missing.json')], /^knm: cannot read --config .*missing\.json: ENOENT$/],
    ['a config file that is not JSON', () => ['pretty', '1', '--config', file('not.json', '{oops')], /^knm: --config .*not\.json is not JSON: /],
    ['a config file that is not an object', () => ['reconcile', '1', '--config', file('array.json', '[1]')], /must hold a system_config\/number_manager document/],
  ];
  for (const [what, args, message] of usageErrors) {
    it(`${what}: one-line error and the usage line on stderr, nothing on stdout, exit 2`, () => {
      const run = knm(...args());
      expect(run.status).to.equal(2);
      expect(run.stdout).to.equal('');
      const lines = run.stderr.trim().split('\n');
      expect(lines).to.have.length(2);
      expect(lines[0]).to.match(message);
      expect(lines[1]).to.match(/^usage: knm (normalize|pretty|reconcile) \[numbers\.\.\]$/);
    });
  }
});
