import { expect } from 'chai';
import { toByteString } from '../../src/numbers/bytes';
import { compilePcre, PcreTranslationError } from '../../src/numbers/pcre';

const matches = (pattern: string, subject: string): boolean => compilePcre(pattern).test(toByteString(subject));

function refused(pattern: string): string {
  try {
    compilePcre(pattern);
  } catch (error) {
    expect(error).to.be.instanceOf(PcreTranslationError);
    return (error as PcreTranslationError).reason;
  }
  throw new Error(`expected ${JSON.stringify(pattern)} to be refused`);
}

describe('numbers/pcre: PCRE (Erlang re, byte mode) → JavaScript', () => {
  describe('anchors and dot', () => {
    it('$ also matches before a final newline, as PCRE does', () => {
      expect(matches('^\\d{10}$', '4158867900\n')).to.equal(true);
      expect(matches('^\\d{10}$', '4158867900\n\n')).to.equal(false);
      expect(matches('^\\d{10}$', '4158867900')).to.equal(true);
    });

    it('\\z is the very end, \\Z and $ allow a final newline, \\A is the start', () => {
      expect(matches('ab\\z', 'ab\n')).to.equal(false);
      expect(matches('ab\\z', 'ab')).to.equal(true);
      expect(matches('ab\\Z', 'ab\n')).to.equal(true);
      expect(matches('\\Aab', 'xab')).to.equal(false);
      expect(matches('\\Aab', 'abx')).to.equal(true);
    });

    it('. excludes only \\n (JavaScript also excludes \\r); (?s) includes it', () => {
      expect(matches('^a.b$', 'a\rb')).to.equal(true);
      expect(matches('^a.b$', 'a\nb')).to.equal(false);
      expect(matches('(?s)^a.b$', 'a\nb')).to.equal(true);
    });

    it('(?m): ^ and $ at internal newlines, but ^ not after a newline that ends the subject', () => {
      expect(matches('(?m)^b$', 'a\nb\nc')).to.equal(true);
      expect(matches('^b$', 'a\nb\nc')).to.equal(false);
      expect(matches('(?m)^$', 'a\n')).to.equal(false);
      expect(matches('(?m)^$', 'a\n\nb')).to.equal(true);
    });
  });

  describe('spellings JavaScript accepts with another meaning', () => {
    it('POSIX classes', () => {
      expect(matches('^[[:digit:]]+$', '0123')).to.equal(true);
      expect(matches('^[[:digit:]]+$', ':]')).to.equal(false);
      expect(matches('^[[:^digit:]]$', 'a')).to.equal(true);
      expect(matches('^[[:alpha:][:digit:]_]+$', 'ab_12')).to.equal(true);
      expect(matches('^[[:xdigit:]]+$', 'DEADbeef09')).to.equal(true);
      expect(matches('^[[:punct:]]+$', '+-()')).to.equal(true);
    });

    it('\\h is horizontal space, \\v vertical space, \\R a line break', () => {
      expect(matches('^a\\hb$', 'a\tb')).to.equal(true);
      expect(matches('^a\\hb$', 'ahb')).to.equal(false);
      expect(matches('^a\\vb$', 'a\nb')).to.equal(true);
      expect(matches('^a\\Rb$', 'a\r\nb')).to.equal(true);
      expect(matches('^a\\Rb$', 'a\rb')).to.equal(true);
    });

    it('\\x{hh}, octal, \\c, \\e', () => {
      expect(matches('^\\x{41}$', 'A')).to.equal(true);
      expect(matches('^\\x{41}$', 'x{41}')).to.equal(false);
      expect(matches('^\\053\\d$', '+1')).to.equal(true);
      expect(matches('^\\x2B1$', '+1')).to.equal(true);
      expect(matches('^\\cA$', '\x01')).to.equal(true);
      expect(matches('^\\e$', '\x1b')).to.equal(true);
      expect(matches('^\\o{101}$', 'A')).to.equal(true);
    });

    it('{,n} is a literal, not a quantifier', () => {
      expect(matches('^a{,3}$', 'a{,3}')).to.equal(true);
      expect(matches('^a{,3}$', 'aa')).to.equal(false);
    });

    it('\\s is the PCRE set: no NBSP byte (0xA0), which JavaScript \\s would match', () => {
      expect(compilePcre('^\\s$').test('\xa0')).to.equal(false);
      expect(compilePcre('^\\s$').test('\x0b')).to.equal(true);
    });
  });

  describe('constructs JavaScript lacks', () => {
    it('possessive quantifiers do not give back', () => {
      expect(matches('^a++a$', 'aaa')).to.equal(false);
      expect(matches('^a*+b$', 'aab')).to.equal(true);
      expect(matches('^\\d?+1$', '1')).to.equal(false);
    });

    it('atomic groups do not backtrack into their alternatives', () => {
      expect(matches('^(?>a|ab)c$', 'abc')).to.equal(false);
      expect(matches('^(?>a|ab)c$', 'ac')).to.equal(true);
      expect(matches('^(?>a|ab)*c$', 'aac')).to.equal(true);
    });

    it('helper groups of atomic groups do not shift the capture numbers', () => {
      const pattern = compilePcre('^(?>(a))(b)$');
      expect(pattern.capture('ab', 1)).to.equal('a');
      expect(pattern.capture('ab', 2)).to.equal('b');
      expect(pattern.lastCapture('ab')).to.equal('b');
    });

    it('inline options, scoped like PCRE', () => {
      expect(matches('(?i)^abc$', 'ABC')).to.equal(true);
      expect(matches('^(?i:a)b$', 'AB')).to.equal(false);
      expect(matches('^(?i:a)b$', 'Ab')).to.equal(true);
      // An option set in one alternative carries into the following alternatives of the same group.
      expect(matches('^(?:a(?i)b|c)$', 'C')).to.equal(true);
      expect(matches('^(?:a(?i)b|c)$', 'AB')).to.equal(false);
      expect(matches('^(a(?i)b)c$', 'aBC')).to.equal(false);
      expect(matches('^(a(?i)b)c$', 'aBc')).to.equal(true);
      expect(matches('(?i)^[a-c]+$', 'AbC')).to.equal(true);
      expect(matches('(?i)^[^a]$', 'A')).to.equal(false);
    });

    it('(?x) ignores whitespace and comments outside classes', () => {
      expect(matches('(?x) ^ a b  # the rest\n c $', 'abc')).to.equal(true);
      expect(matches('(?x)^[ ]$', ' ')).to.equal(true);
    });

    it('(?U) swaps greedy and lazy', () => {
      expect(compilePcre('^(a+)(a*)$').capture('aaa', 1)).to.equal('aaa');
      expect(compilePcre('(?U)^(a+)(a*)$').capture('aaa', 1)).to.equal('a');
      expect(compilePcre('(?U)^(a+?)(a*)$').capture('aaa', 1)).to.equal('aaa');
    });

    it('named groups (all three spellings) are plain numbered groups', () => {
      for (const pattern of ['^(?<cc>\\d)(\\d+)$', "^(?'cc'\\d)(\\d+)$", '^(?P<cc>\\d)(\\d+)$']) {
        const compiled = compilePcre(pattern);
        expect(compiled.capture('4412', 1), pattern).to.equal('4');
        expect(compiled.lastCapture('4412'), pattern).to.equal('412');
      }
    });

    it('\\Q…\\E quotes, comments are skipped, fixed-length lookbehind works', () => {
      expect(matches('^\\Q+1(\\E\\d$', '+1(5')).to.equal(true);
      expect(matches('^a(?#note)+$', 'aaa')).to.equal(true);
      expect(compilePcre('(?<=\\+1)\\d{3}').lastCapture('+1415')).to.equal('415');
      expect(matches('(?<=ab|c)d', 'cd')).to.equal(true);
    });
  });

  describe('captures as Erlang returns them', () => {
    it('lastCapture = lists:last of {capture, all}: trailing unset groups are dropped', () => {
      const pattern = compilePcre('^(a)?(b)?c');
      expect(pattern.lastCapture('ac')).to.equal('a');
      expect(pattern.lastCapture('bc')).to.equal('b');
      expect(pattern.lastCapture('c')).to.equal('c');
      expect(pattern.lastCapture('x')).to.equal(undefined);
    });

    it('a pattern without groups gives the whole match, not the whole subject', () => {
      expect(compilePcre('\\d{3}').lastCapture('ab123cd')).to.equal('123');
    });

    it('the alternative that matched gives the capture', () => {
      const pattern = compilePcre('^011(\\d{5,})$|^00(\\d{5,})$');
      expect(pattern.lastCapture('011441234567890')).to.equal('441234567890');
      expect(pattern.lastCapture('00441234567890')).to.equal('441234567890');
    });

    it('capture(n) of a group that did not take part is ""', () => {
      expect(compilePcre('^(a)?b$').capture('b', 1)).to.equal('');
    });
  });

  describe('byte mode', () => {
    it('a non-ASCII character is its UTF-8 bytes', () => {
      expect(matches('^.$', 'é')).to.equal(false);
      expect(matches('^..$', 'é')).to.equal(true);
      expect(matches('^é$', 'é')).to.equal(true);
      expect(matches('^\\w+$', 'é')).to.equal(false);
    });
  });

  describe('refusals name what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['(a)\\1', /backreference/],
      ['(?<n>a)\\k<n>', /backreference/],
      ['(?|(a)|(b))', /branch reset/],
      ['(?(1)a|b)', /conditional/],
      ['(a(?R)?b)', /recursion/],
      ['a\\Kb', /\\K/],
      ['\\p{L}', /Unicode properties/],
      ['(*UCP)a', /\(\*/],
      ['[z-a]', /range out of order/],
      ['(ab', /missing \)/],
      ['ab)', /unmatched \)/],
      ['*a', /nothing to repeat/],
      ['a**', /nothing to repeat/],
      ['a{3,2}', /out of order/],
      ['(?<=a+)b', /not fixed length/],
      ['(?<=(?>ab))c', /inside a lookbehind/],
      ['(?<=a\\R)c', /not fixed length/],
      ['[[:foo:]]', /unknown POSIX class/],
      ['\\x{100}', /above 255/],
      ['[abc', /missing terminating \]/],
      ['^(?=a)*b', /nothing to repeat/],
      ['a\\', /at end of pattern/],
    ];
    for (const [pattern, reason] of cases) {
      it(`${pattern} → ${reason.source}`, () => {
        expect(refused(pattern)).to.match(reason);
      });
    }
  });
});
