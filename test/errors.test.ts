import { expect } from 'chai';
import { KnmError } from '../src/errors';
import { gregorianFromUnixMs, unixMsFromGregorian } from '../src/time';

describe('errors and time', () => {
  it('serializes a KnmError the way Kazoo does', () => {
    const error = new KnmError('invalid_state_transition', 400, 'invalid state transition', {
      cause: 'from in_service to discovery',
      hint: 'move it to released first',
    });
    expect(error.toJSON()).to.deep.equal({
      code: 400,
      error: 'invalid_state_transition',
      message: 'invalid state transition',
      cause: 'from in_service to discovery',
    });
    expect(error.toLine()).to.equal(
      'invalid_state_transition: invalid state transition (from in_service to discovery); move it to released first',
    );
  });

  it('converts Gregorian seconds (number-document.md §5: 63648176955 is 2016-12-05T17:09:15Z)', () => {
    expect(new Date(unixMsFromGregorian(63648176955)).toISOString()).to.equal('2016-12-05T17:09:15.000Z');
    expect(gregorianFromUnixMs(Date.parse('2016-12-05T17:09:15Z'))).to.equal(63648176955);
  });
});
