import { expect } from 'chai';
import { defaultNumberManagerConfig, NumberManagerConfig, readNumberManagerConfig } from '../../src/config/number-manager';
import { compileDialPlan, compileNumberRules, NumberRules } from '../../src/numbers/rules';

const defaults = (): NumberRules => compileNumberRules(defaultNumberManagerConfig()).rules;

function withConfig(section: Record<string, unknown>) {
  const { config, problems } = readNumberManagerConfig({ _id: 'number_manager', default: section });
  expect(problems, 'config problems').to.deep.equal([]);
  return compileNumberRules(config);
}

describe('numbers/rules', () => {
  describe('config.md §7 vectors (knm_converters_tests.erl, knm_util_tests.erl)', () => {
    const rules = defaults();
    const vectors: [keyof NumberRules, string, string][] = [
      ['normalize', '+12234567890', '+12234567890'],
      ['normalize', '12234567890', '+12234567890'],
      ['normalize', '2234567890', '+12234567890'],
      ['toNpan', '+12234567890', '2234567890'],
      ['toNpan', '12234567890', '2234567890'],
      ['toNpan', '2234567890', '2234567890'],
      ['to1Npan', '+12234567890', '12234567890'],
      ['to1Npan', '12234567890', '12234567890'],
      ['to1Npan', '2234567890', '12234567890'],
      ['classify', '+18005551212', 'tollfree_us'],
      ['classify', '911', 'emergency'],
      ['normalize', '011441234567890', '+441234567890'],
      ['normalize', '00441234567890', '+441234567890'],
    ];
    for (const [method, input, expected] of vectors) {
      it(`${method}(${input}) = ${expected}`, () => {
        expect((rules[method] as (n: string) => string)(input)).to.equal(expected);
      });
    }

    it('e164_converters default order', () => {
      expect(Object.entries(defaultNumberManagerConfig().e164_converters)).to.deep.equal([
        ['^(\\+?1)?([2-9][0-9]{2}[2-9][0-9]{6})$', { prefix: '+1' }],
        ['^011(\\d{5,})$|^00(\\d{5,})$', { prefix: '+' }],
        ['^[2-9]\\d{7,}$', { prefix: '+' }],
      ]);
    });

    it('pretty_print(Format, N)', () => {
      expect(rules.prettyPrintWith('SS(###) ### - *', '+14158867900')).to.equal('(415) 886 - 7900');
      expect(rules.prettyPrintWith('S\\SS(###\\#) ### - *\\*', '+14158867900')).to.equal('S(415#) 886 - 7900*');
      expect(rules.prettyPrintWith('*', '+14158867900')).to.equal('+14158867900');
    });

    it('1000 is not reconcilable; 4156301234 is, after normalization', () => {
      expect(rules.isReconcilable('1000')).to.equal(false);
      expect(rules.isReconcilable('4156301234')).to.equal(true);
      expect(rules.normalize('4156301234')).to.equal('+14156301234');
    });
  });

  describe('normalize', () => {
    it('a + number is returned unchanged, without validation', () => {
      expect(defaults().normalize('+1 (415) abc')).to.equal('+1 (415) abc');
    });

    it('prefix and suffix wrap the last capture; a suffix is appended', () => {
      const { rules } = withConfig({ e164_converters: { '^0(\\d{9})$': { prefix: '+33', suffix: '#' } } });
      expect(rules.normalize('0123456789')).to.equal('+33123456789#');
      expect(rules.normalize('123')).to.equal('123');
    });

    it('first match wins, in stored order', () => {
      const first = withConfig({ e164_converters: { '^(\\d+)$': { prefix: 'A' }, '^(\\d{3})$': { prefix: 'B' } } }).rules;
      const second = withConfig({ e164_converters: { '^(\\d{3})$': { prefix: 'B' }, '^(\\d+)$': { prefix: 'A' } } }).rules;
      expect(first.normalize('123')).to.equal('A123');
      expect(second.normalize('123')).to.equal('B123');
    });

    it('PCRE $: a trailing newline is tolerated, and not copied (FACTS §3)', () => {
      expect(defaults().normalize('4158867900\n')).to.equal('+14158867900');
    });

    it('toStripPlus, isNormalized, isNpan, is1Npan', () => {
      const rules = defaults();
      expect(rules.toStripPlus('4158867900')).to.equal('14158867900');
      expect(rules.toStripPlus('abc')).to.equal('abc');
      expect(rules.isNormalized('+14158867900')).to.equal(true);
      expect(rules.isNormalized('4158867900')).to.equal(false);
      expect(rules.isNpan('4158867900')).to.equal(true);
      expect(rules.isNpan('+14158867900')).to.equal(false);
      expect(rules.is1Npan('14158867900')).to.equal(true);
      expect(rules.is1Npan('4158867900')).to.equal(false);
    });

    it('non-ASCII numbers are matched as bytes and come back intact', () => {
      const { rules } = withConfig({ e164_converters: { '^n(.{4})$': { prefix: '+' } } });
      // "é" is two bytes, so ".{4}" matches "é12" plus one more byte.
      expect(rules.normalize('né12')).to.equal('+é12');
      expect(rules.normalize('né123')).to.equal('né123');
      expect(defaults().classify('é')).to.equal('unknown');
    });
  });

  describe('normalizeWithDialPlan (account form, §3)', () => {
    const rules = defaults();
    it('the first matching dial plan rule rewrites, then the converters run', () => {
      const { dialPlan, problems } = compileDialPlan({
        '^(\\d{7})$': { prefix: '415' },
        '^(\\d{4})$': { prefix: '415555' },
      });
      expect(problems).to.deep.equal([]);
      expect(rules.normalizeWithDialPlan('8867900', dialPlan)).to.equal('+14158867900');
      expect(rules.normalizeWithDialPlan('1234', dialPlan)).to.equal('+14155551234');
      expect(rules.normalizeWithDialPlan('4158867900', dialPlan)).to.equal('+14158867900');
      expect(rules.normalizeWithDialPlan('+4412', dialPlan)).to.equal('+4412');
    });

    it('a dial plan regex without groups keeps the whole match, like the converters (re:run capture all)', () => {
      const { dialPlan } = compileDialPlan({ '^\\d{7}$': { prefix: '212' } });
      expect(rules.normalizeWithDialPlan('5551234', dialPlan)).to.equal('+12125551234');
    });

    it('the converters run on the dial plan result even when it starts with +', () => {
      const { rules: custom } = withConfig({ e164_converters: { '^\\+(44\\d+)$': { prefix: '+', suffix: '0' } } });
      const { dialPlan } = compileDialPlan({ '^9(\\d+)$': { prefix: '+' } });
      expect(custom.normalizeWithDialPlan('9441234', dialPlan)).to.equal('+4412340');
      expect(custom.normalize('+441234')).to.equal('+441234');
    });

    it('no dial plan = the converters', () => {
      expect(rules.normalizeWithDialPlan('4158867900', compileDialPlan(undefined).dialPlan)).to.equal('+14158867900');
    });

    it('a bad dial plan regex is reported and skipped', () => {
      const { dialPlan, problems } = compileDialPlan({ '(a)\\1': { prefix: 'x' }, '^(\\d{7})$': { prefix: '415' } });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.include({ key: 'dial_plan', pattern: '(a)\\1' });
      expect(rules.normalizeWithDialPlan('8867900', dialPlan)).to.equal('+14158867900');
    });
  });

  describe('classify', () => {
    it('iterates in stored key order: did_us first classifies toll-free as did_us', () => {
      const config = defaultNumberManagerConfig();
      const { did_us, ...rest } = config.classifiers;
      const didFirst = compileNumberRules({ ...config, classifiers: { did_us, ...rest } }).rules;
      expect(didFirst.classify('8005551212')).to.equal('did_us');
      expect(defaults().classify('8005551212')).to.equal('tollfree_us');
    });

    it('legacy string classifiers are regexes', () => {
      const { rules } = withConfig({ classifiers: { local: '^\\+1415\\d{7}$', other: '^(.*)$' } });
      expect(rules.classify('4158867900')).to.equal('local');
      expect(rules.classify('2125551234')).to.equal('other');
    });

    it('a classifier without regex uses ^$; none matching gives undefined', () => {
      const { rules } = withConfig({ classifiers: { empty: { friendly_name: 'Empty' }, us: { regex: '^\\+1' } } });
      expect(rules.classify('')).to.equal('empty');
      expect(rules.classify('abc')).to.equal(undefined);
    });

    it('a bad regex in one classifier is reported with key and pattern; the others still work', () => {
      const config: NumberManagerConfig = defaultNumberManagerConfig();
      const { tollfree_us, ...rest } = config.classifiers;
      const { rules, problems } = compileNumberRules({
        ...config,
        classifiers: { tollfree_us, broken: { regex: '^(\\d)\\1$' }, ...rest },
      });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.include({ key: 'classifiers.broken.regex', pattern: '^(\\d)\\1$' });
      expect(problems[0].reason).to.match(/backreference/);
      expect(rules.classify('8005551212')).to.equal('tollfree_us');
      expect(rules.classify('4158867900')).to.equal('did_us');
      expect(rules.classify('11')).to.equal('unknown');
    });

    it('availableClassifiers expands legacy strings and fills friendly_name (4.3, HELP-15556)', () => {
      const { rules } = withConfig({ classifiers: { local: '^\\+1415', named: { regex: '^1' }, full: { regex: '^2', friendly_name: 'Two' } } });
      expect(rules.availableClassifiers()).to.deep.equal({
        local: { regex: '^\\+1415', friendly_name: 'local' },
        named: { regex: '^1', friendly_name: 'named' },
        full: { regex: '^2', friendly_name: 'Two' },
      });
      expect(Object.keys(defaults().availableClassifiers())).to.deep.equal([
        'tollfree_us',
        'toll_us',
        'emergency',
        'caribbean',
        'did_us',
        'international',
        'unknown',
      ]);
    });
  });

  describe('reconcile', () => {
    it('a bad reconcile_regex is reported and the default is used', () => {
      const { rules, problems } = withConfig({ reconcile_regex: '^(\\d)\\1' });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.include({ key: 'reconcile_regex', pattern: '^(\\d)\\1' });
      expect(rules.isReconcilable('4158867900')).to.equal(true);
      expect(rules.isReconcilable('1000')).to.equal(false);
    });

    it('011/00 numbers too short to convert still pass (config.md §4)', () => {
      expect(defaults().isReconcilable('0114412')).to.equal(true);
      expect(defaults().normalize('0114412')).to.equal('0114412');
    });
  });

  describe('pretty print', () => {
    it('undefined → "unknown"', () => {
      expect(defaults().prettyPrint(undefined)).to.equal('unknown');
    });

    it('no format and not +1 → the input unchanged (un-normalized)', () => {
      expect(defaults().prettyPrint('011441234567890')).to.equal('011441234567890');
    });

    it('a classifier without format falls back to the US format for +1 numbers', () => {
      const { rules } = withConfig({ classifiers: { any: { regex: '^(.*)$' } } });
      expect(rules.prettyPrint('4158867900')).to.equal('(415) 886 - 7900');
      expect(rules.prettyPrint('+4412345678')).to.equal('+4412345678');
    });

    it("a classifier's own format is used; legacy string classifiers use the US fallback", () => {
      const { rules } = withConfig({ classifiers: { uk: { regex: '^\\+44', pretty_print: 'S## *' }, us: '^\\+1' } });
      expect(rules.prettyPrint('+441234567890')).to.equal('44 1234567890');
      expect(rules.prettyPrint('4158867900')).to.equal('(415) 886 - 7900');
    });

    it('format tokens once the number is used up output nothing; a lone backslash is literal', () => {
      const rules = defaults();
      expect(rules.prettyPrintWith('###-###-###', '+1415')).to.equal('+14-15-');
      expect(rules.prettyPrintWith('\\a#', '+1')).to.equal('\\a+');
      expect(rules.prettyPrintWith('SSSSSSSSSSSSSSSS*', '+1415')).to.equal('');
    });
  });
});
