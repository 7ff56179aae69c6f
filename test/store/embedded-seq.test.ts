import { expect } from 'chai';
import { encodeSeq, resolveSince } from '../../src/store/embedded/seq';

describe('embedded server sequences', function () {
  const id = 'abc123';

  it('resumes its own sequences and starts "now" at the end', function () {
    expect(resolveSince(encodeSeq(7, id), id, 10)).to.deep.equal({ ok: true, seq: 7 });
    expect(resolveSince(`"${encodeSeq(7, id)}"`, id, 10)).to.deep.equal({ ok: true, seq: 7 });
    expect(resolveSince('now', id, 10)).to.deep.equal({ ok: true, seq: 10 });
    expect(resolveSince(undefined, id, 10)).to.deep.equal({ ok: true, seq: 0 });
    expect(resolveSince('0', id, 10)).to.deep.equal({ ok: true, seq: 0 });
  });

  it('starts from 0 for another identity (a re-created database, another server) or beyond the end', function () {
    expect(resolveSince(encodeSeq(7, 'other'), id, 10)).to.deep.equal({ ok: true, seq: 0 });
    expect(resolveSince(encodeSeq(12, id), id, 10)).to.deep.equal({ ok: true, seq: 0 });
    expect(resolveSince('12', id, 10)).to.deep.equal({ ok: true, seq: 0 });
    expect(resolveSince('12-g1AAAAFTeJzLYWBg4MhgTmHgz8tPSTV0MDQy1zMAQsMcoARTIkOS_P___7MSGUAW', id, 10)).to.deep.equal({ ok: true, seq: 0 });
    expect(resolveSince('5', id, 10)).to.deep.equal({ ok: true, seq: 5 });
  });

  it('calls anything else malformed', function () {
    expect(resolveSince('yesterday', id, 10).ok).to.equal(false);
    expect(resolveSince('-3', id, 10).ok).to.equal(false);
    expect(resolveSince({}, id, 10).ok).to.equal(false);
  });
});
