import { expect } from 'chai';
import { KnmError } from '../../src/errors';
import {
  accountDbName,
  accountIdOf,
  decodeDbName,
  encodedAccountDbName,
  encodeDbName,
  isNumberDbName,
  toDb,
  toDbName,
} from '../../src/numbers/db-names';

describe('numbers/db-names', () => {
  describe('toDb (knm_converters:to_db/1, FACTS §2.1)', () => {
    const vectors: [string, string | undefined][] = [
      ['+14158867900', 'numbers%2F%2B1415'],
      ['14158867900', 'numbers%2F14158'],
      ['1234', undefined],
      ['(415) 886-7900', 'numbers%2F%28415%29'],
      ['+4412', 'numbers%2F%2B4412'],
      ['1-415-886-7900', 'numbers%2F1-415'],
    ];
    for (const [number, expected] of vectors) {
      it(`${number} → ${String(expected)}`, () => {
        expect(toDb(number)).to.equal(expected);
      });
    }

    it('takes 5 bytes, not 5 characters', () => {
      expect(toDb('é1234')).to.equal('numbers%2F%C3%A9123');
      expect(toDb('é12')).to.equal(undefined);
    });

    it('toDbName is the name CouchDB holds', () => {
      expect(toDbName('+14158867900')).to.equal('numbers/+1415');
      expect(toDbName('12')).to.equal(undefined);
    });

    it('encodes the first five bytes of ASCII numbers as of any other', () => {
      for (let code = 0; code < 128; code += 1) {
        const number = `+1${String.fromCharCode(code)}23456`;
        expect(toDb(number)).to.equal(`numbers%2F${encodeDbName(number.slice(0, 5))}`);
      }
    });

    it('toDbName is the decoded toDb for every ASCII character and for multi-byte prefixes', () => {
      for (let code = 0; code < 128; code += 1) {
        const number = `+1${String.fromCharCode(code)}23456`;
        expect(toDbName(number)).to.equal(decodeDbName(toDb(number)!));
      }
      for (const number of ['é1234', '+1é234', '+123é4', '+1234é']) expect(toDbName(number)).to.equal(decodeDbName(toDb(number)!));
    });
  });

  describe('encodeDbName / decodeDbName (kz_http_util:urlencode/urldecode)', () => {
    it('keeps A-Z a-z 0-9 . - ~ _, space → +, other bytes %XX uppercase', () => {
      expect(encodeDbName('numbers/+1415')).to.equal('numbers%2F%2B1415');
      expect(encodeDbName('aZ09.-~_ !/')).to.equal('aZ09.-~_+%21%2F');
      expect(encodeDbName('é')).to.equal('%C3%A9');
    });

    it('decodes + as space, %xx in either case, and leaves a bad % as it is', () => {
      expect(decodeDbName('numbers%2F%2B1415')).to.equal('numbers/+1415');
      expect(decodeDbName('numbers%2f%2b1415')).to.equal('numbers/+1415');
      expect(decodeDbName('a+b')).to.equal('a b');
      expect(decodeDbName('100%')).to.equal('100%');
      expect(decodeDbName('%C3%A9')).to.equal('é');
    });

    it('round-trips Kazoo names', () => {
      for (const name of ['numbers/+1415', 'numbers/managed', 'account/aa/c9/151d9c1319c46f2677eeae2958f6', 'system_config']) {
        expect(decodeDbName(encodeDbName(name))).to.equal(name);
      }
    });

    it('isNumberDbName covers number, managed and inum databases', () => {
      expect(isNumberDbName('numbers/+1415')).to.equal(true);
      expect(isNumberDbName('numbers/inum')).to.equal(true);
      expect(isNumberDbName('numbers%2F%2B1415')).to.equal(false);
    });
  });

  describe('account databases (FACTS §2.2)', () => {
    it('account/xx/yy/rest and its encoded form', () => {
      expect(accountDbName('aac9151d9c1319c46f2677eeae2958f6')).to.equal('account/aa/c9/151d9c1319c46f2677eeae2958f6');
      expect(encodedAccountDbName('aac9151d9c1319c46f2677eeae2958f6')).to.equal('account%2Faa%2Fc9%2F151d9c1319c46f2677eeae2958f6');
    });

    it('accepts the fixture ids (not hex) and database names in either form', () => {
      expect(encodedAccountDbName('account0000000000000000000000001')).to.equal('account%2Fac%2Fco%2Funt0000000000000000000000001');
      expect(accountIdOf('account/ac/co/unt0000000000000000000000001')).to.equal('account0000000000000000000000001');
      expect(accountIdOf('account%2Fac%2Fco%2Funt0000000000000000000000001')).to.equal('account0000000000000000000000001');
      expect(accountDbName('account%2Faa%2Fc9%2F151d9c1319c46f2677eeae2958f6')).to.equal('account/aa/c9/151d9c1319c46f2677eeae2958f6');
    });

    it('anything else is an invalid KnmError', () => {
      expect(() => accountDbName('short')).to.throw(KnmError).with.property('error', 'invalid');
    });
  });
});
