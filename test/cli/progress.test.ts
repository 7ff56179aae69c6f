import { expect } from 'chai';
import { commandProgress, formatDuration, startProgress } from '../../src/cli/progress';

/** A stream that records what is written, a terminal or not. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = { isTTY, text: '', write(chunk: string) { stream.text += chunk; return true; } };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

describe('cli: progress', () => {
  it('draws a bar with rate and time left on a terminal, redrawn in place', () => {
    let now = 0;
    const stream = fakeStream(true);
    const progress = startProgress({ label: 'import', total: 1000, stream, now: () => now });
    now = 2000;
    progress.update(500, 3);
    progress.finish();
    expect(stream.text.startsWith(`\rimport: [${'#'.repeat(15)}${'-'.repeat(15)}] 500/1000 50.0% 250/s, 2s left, 3 failed\u001b[K`)).to.equal(true);
    expect(stream.text.endsWith('\n')).to.equal(true);
  });

  it('writes plain lines, at most every few seconds, when not on a terminal', () => {
    let now = 0;
    const stream = fakeStream(false);
    const progress = startProgress({ label: 'purge', stream, now: () => now });
    now = 6000;
    progress.update(10);
    now = 7000;
    progress.update(20);
    now = 12000;
    progress.update(30);
    progress.finish();
    expect(stream.text.split('\n').filter(Boolean)).to.deep.equal(['purge: 10 done (1.7/s, 6s)', 'purge: 30 done (2.5/s, 12s)', 'purge: 30 done (2.5/s, 12s)']);
  });

  it('stays silent when disabled, and formats durations', () => {
    const stream = fakeStream(true);
    const progress = startProgress({ label: 'x', stream, enabled: false });
    progress.update(1);
    progress.finish();
    expect(stream.text).to.equal('');
    expect([formatDuration(59), formatDuration(61), formatDuration(3720), formatDuration(Infinity)]).to.deep.equal(['59s', '1m01s', '1h02m', '?']);
  });

  it('a command of several loops: one bar per unit, each ending on its N/N line; log lines clear the bar', () => {
    const stream = fakeStream(false);
    const progress = commandProgress('knm bootstrap', stream);
    progress.log('store http://x');
    for (const done of [1, 2]) progress.step(done, 2, 'number databases');
    for (const done of [1, 2, 3]) progress.step(done, 3, 'account databases');
    progress.finish();
    const lines = stream.text.split('\n').filter(Boolean);
    expect(lines[0]).to.equal('knm bootstrap: store http://x');
    expect(lines.filter((line) => / 100\.0% /.test(line)).map((line) => line.split(' 100.0%')[0])).to.deep.equal([
      'knm bootstrap (number databases): 2/2',
      'knm bootstrap (account databases): 3/3',
    ]);

    const tty = fakeStream(true);
    const drawn = commandProgress('knm register-views', tty);
    drawn.step(1, 4);
    drawn.log('numbers/+1415: failed: boom');
    expect(tty.text.startsWith(`\rknm register-views (databases): [${'#'.repeat(8)}`)).to.equal(true);
    expect(tty.text.endsWith('\r\u001b[Kknm register-views: numbers/+1415: failed: boom\n')).to.equal(true);
  });
});
