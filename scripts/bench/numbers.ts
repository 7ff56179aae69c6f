/**
 * Number rules on one core, no I/O: normalizations and classifications per second over a million
 * generated numbers with Kazoo's default config. The mix is what a Kazoo cluster sees: 10-digit NANP,
 * 11-digit 1NPAN, +E.164 (NANP and international), 011/00 international dialing, short codes.
 */
import { performance } from 'node:perf_hooks';
import { defaultNumberManagerConfig } from '../../src/config/number-manager';
import { compileNumberRules, NumberRules } from '../../src/numbers/rules';
import type { BenchSection } from './index';

const COUNT = 1_000_000;
const TARGET_NORMALIZATIONS_PER_SECOND = 1_000_000;

/** mulberry32: a small seeded generator, so every run measures the same numbers. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateNumbers(count: number, seed = 42): string[] {
  const random = generator(seed);
  const digits = (length: number): string => {
    let text = '';
    for (let index = 0; index < length; index++) text += Math.floor(random() * 10);
    return text;
  };
  const npa = (): string => ['415', '212', '800', '888', '876', '900', '303', '646'][Math.floor(random() * 8)];
  const nxx = (): string => `${2 + Math.floor(random() * 8)}${digits(2)}`;
  const numbers: string[] = new Array<string>(count);
  for (let index = 0; index < count; index++) {
    const pick = random();
    if (pick < 0.35) numbers[index] = `${npa()}${nxx()}${digits(4)}`;
    else if (pick < 0.55) numbers[index] = `1${npa()}${nxx()}${digits(4)}`;
    else if (pick < 0.7) numbers[index] = `+1${npa()}${nxx()}${digits(4)}`;
    else if (pick < 0.8) numbers[index] = `+${['44', '33', '49', '61', '81'][Math.floor(random() * 5)]}${digits(9)}`;
    else if (pick < 0.9) numbers[index] = `${random() < 0.5 ? '011' : '00'}${['44', '33', '49'][Math.floor(random() * 3)]}${digits(9)}`;
    else numbers[index] = ['911', '988', '411', '*97', '1000', '2345678'][Math.floor(random() * 6)];
  }
  return numbers;
}

/** Runs `work` over every number and returns numbers per second; the checksum keeps the work alive. */
function rate(numbers: readonly string[], work: (number: string) => number): { perSecond: number; checksum: number } {
  let checksum = 0;
  const start = performance.now();
  for (let index = 0; index < numbers.length; index++) checksum += work(numbers[index]);
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: numbers.length / seconds, checksum };
}

function format(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
}

export function measureNumberRules(rules: NumberRules, numbers: readonly string[]) {
  const normalize = (number: string): number => rules.normalize(number).length;
  const classify = (number: string): number => (rules.classify(number) ?? '').length;
  const combined = (number: string): number => {
    const normalized = rules.normalize(number);
    return normalized.length + (rules.classify(normalized) ?? '').length;
  };
  // Warm-up so the JIT has compiled the hot paths before the timed runs.
  const warmUp = numbers.slice(0, 100_000);
  rate(warmUp, normalize);
  rate(warmUp, classify);
  rate(warmUp, combined);
  return { normalize: rate(numbers, normalize), classify: rate(numbers, classify), combined: rate(numbers, combined) };
}

export const numbersSection: BenchSection = {
  name: 'numbers',
  async run(print) {
    const { rules, problems } = compileNumberRules(defaultNumberManagerConfig());
    if (problems.length > 0) throw new Error(`default config has problems: ${JSON.stringify(problems)}`);
    const numbers = generateNumbers(COUNT);
    const result = measureNumberRules(rules, numbers);
    print(`${COUNT.toLocaleString('en-US')} generated numbers, default config, one core`);
    print(`normalize: ${format(result.normalize.perSecond)} (target ≥ ${format(TARGET_NORMALIZATIONS_PER_SECOND)})`);
    print(`classify (normalizes first): ${format(result.classify.perSecond)}`);
    print(`normalize + classify: ${format(result.combined.perSecond)} numbers`);
  },
};
