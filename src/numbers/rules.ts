/**
 * Kazoo's number rules compiled once per config: normalization by `e164_converters`
 * (knm_converter_regex.erl), `reconcile_regex`, classifiers and pretty print (knm_converters.erl,
 * knm_util.erl), as config.md §3–§6 and FACTS §3 describe them. Every regex is compiled here, once;
 * per number there is only matching. Numbers are matched as byte strings (bytes.ts), like Erlang.
 */
import {
  Classifier,
  Classifiers,
  ConverterRule,
  DEFAULT_RECONCILE_REGEX,
  E164Converters,
  NumberManagerConfig,
  readConverters,
} from '../config/number-manager';
import { ConfigProblem } from '../config/problem';
import { JsonValue } from '../documents/json';
import { fromByteString, toByteString } from './bytes';
import { compilePcre, PcrePattern, PcreTranslationError } from './pcre';

export interface NumberRules {
  /** E.164 form: `+…` unchanged; else the first matching converter; else unchanged. */
  normalize(number: string): string;
  /** With an account's dial plan (compileDialPlan): first matching dial plan rule, then the converters. */
  normalizeWithDialPlan(number: string, dialPlan: DialPlan): string;
  /** The 10-digit NANP number when `^(\+?1)?([2-9][0-9]{2}[2-9][0-9]{6})$` matches, else unchanged. */
  toNpan(number: string): string;
  /** `1` + the 10-digit NANP number, else unchanged. */
  to1Npan(number: string): string;
  /** normalize without its leading `+` (master knm_converters:to_strip_plus/1). */
  toStripPlus(number: string): string;
  isNormalized(number: string): boolean;
  isNpan(number: string): boolean;
  is1Npan(number: string): boolean;
  /** `reconcile_regex` matches the normalized number. */
  isReconcilable(number: string): boolean;
  /** Name of the first classifier (stored order) matching the normalized number; undefined when none. */
  classify(number: string): string | undefined;
  /** The classifiers with legacy regex strings expanded and `friendly_name` filled in (4.3). */
  availableClassifiers(): Record<string, Classifier>;
  /** knm_util:pretty_print/1: the matching classifier's format, the US format for `+1…`, else the input. */
  prettyPrint(number: string | undefined): string;
  /** knm_util:pretty_print/2 on the normalized number. */
  prettyPrintWith(format: string, number: string): string;
}

export interface NumberRulesResult {
  rules: NumberRules;
  problems: ConfigProblem[];
}

/** A compiled `dial_plan` object (account/user/device docs): regex → {prefix, suffix}, first match wins. */
export interface DialPlan {
  readonly converters: readonly CompiledConverter[];
}

interface CompiledConverter {
  pattern: PcrePattern;
  /** Byte strings. */
  prefix: string;
  suffix: string;
}

interface CompiledClassifier {
  name: string;
  pattern: PcrePattern;
  /** Byte string; undefined for a classifier without one and for legacy string classifiers. */
  prettyPrint: string | undefined;
}

const US_PRETTY_PRINT = 'SS(###) ### - ####';
const PLUS = 0x2b;

/** The NPAN regex is not configurable (4.2+ knm_converter_regex:to_npan/1; group 2). */
const NPAN = compilePcre('^(\\+?1)?([2-9][0-9]{2}[2-9][0-9]{6})$');
const NPAN_GROUP = 2;

export function compileNumberRules(
  config: Pick<NumberManagerConfig, 'e164_converters' | 'reconcile_regex' | 'classifiers'>,
): NumberRulesResult {
  const problems: ConfigProblem[] = [];
  const converters = compileConverters('e164_converters', config.e164_converters, problems);
  const reconcile = compileReconcile(config.reconcile_regex, problems);
  const classifiers = compileClassifiers(config.classifiers, problems);
  const available = expandClassifiers(config.classifiers);
  return { rules: new CompiledRules(converters, reconcile, classifiers, available), problems };
}

export function compileDialPlan(dialPlan: unknown): { dialPlan: DialPlan; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  if (dialPlan === undefined || dialPlan === null) return { dialPlan: { converters: [] }, problems };
  const rules = readConverters('dial_plan', dialPlan as JsonValue, {}, problems);
  return { dialPlan: { converters: compileConverters('dial_plan', rules, problems) }, problems };
}

class CompiledRules implements NumberRules {
  constructor(
    private readonly converters: readonly CompiledConverter[],
    private readonly reconcile: PcrePattern,
    private readonly classifiers: readonly CompiledClassifier[],
    private readonly available: Record<string, Classifier>,
  ) {}

  normalize(number: string): string {
    if (number.charCodeAt(0) === PLUS) return number;
    return this.convert(number);
  }

  normalizeWithDialPlan(number: string, dialPlan: DialPlan): string {
    if (number.charCodeAt(0) === PLUS) return number;
    const rewritten = firstConversion(dialPlan.converters, toByteString(number));
    // knm_converter_regex:to_e164_from_account/2 runs the converters on the dial plan's result
    // without the `+` short-cut.
    return rewritten === undefined ? this.convert(number) : this.convert(fromByteString(rewritten));
  }

  toNpan(number: string): string {
    const npan = NPAN.capture(toByteString(number), NPAN_GROUP);
    return npan === undefined ? number : fromByteString(npan);
  }

  to1Npan(number: string): string {
    const npan = NPAN.capture(toByteString(number), NPAN_GROUP);
    return npan === undefined ? number : `1${fromByteString(npan)}`;
  }

  toStripPlus(number: string): string {
    const normalized = this.normalize(number);
    return normalized.charCodeAt(0) === PLUS ? normalized.slice(1) : normalized;
  }

  isNormalized(number: string): boolean {
    return this.normalize(number) === number;
  }

  isNpan(number: string): boolean {
    return this.toNpan(number) === number;
  }

  is1Npan(number: string): boolean {
    return this.to1Npan(number) === number;
  }

  isReconcilable(number: string): boolean {
    return this.reconcile.test(toByteString(this.normalize(number)));
  }

  classify(number: string): string | undefined {
    const normalized = toByteString(this.normalize(number));
    for (const classifier of this.classifiers) {
      if (classifier.pattern.test(normalized)) return classifier.name;
    }
    return undefined;
  }

  availableClassifiers(): Record<string, Classifier> {
    return structuredClone(this.available);
  }

  prettyPrint(number: string | undefined): string {
    if (number === undefined) return 'unknown';
    const normalized = toByteString(this.normalize(number));
    const format = this.formatFor(normalized);
    return format === undefined ? number : fromByteString(applyFormat(format, normalized));
  }

  prettyPrintWith(format: string, number: string): string {
    return fromByteString(applyFormat(toByteString(format), toByteString(this.normalize(number))));
  }

  private convert(number: string): string {
    const converted = firstConversion(this.converters, toByteString(number));
    return converted === undefined ? number : fromByteString(converted);
  }

  /** knm_util:pretty_print_format/1: the first matching classifier decides; no format falls back to US for `+1`. */
  private formatFor(normalized: string): string | undefined {
    for (const classifier of this.classifiers) {
      if (classifier.pattern.test(normalized)) return classifier.prettyPrint ?? usDefaultFormat(normalized);
    }
    return usDefaultFormat(normalized);
  }
}

function usDefaultFormat(normalized: string): string | undefined {
  return normalized.startsWith('+1') ? US_PRETTY_PRINT : undefined;
}

/** prefix + last capture + suffix of the first converter that matches; undefined when none does. */
function firstConversion(converters: readonly CompiledConverter[], bytes: string): string | undefined {
  for (const converter of converters) {
    const root = converter.pattern.lastCapture(bytes);
    if (root !== undefined) return converter.prefix + root + converter.suffix;
  }
  return undefined;
}

/**
 * knm_util:pretty_print/3 over bytes: `\S \# \*` literal; `S` skips a byte, `#` copies one, `*` copies
 * the rest; once the number is used up they output nothing; every other character is copied.
 */
function applyFormat(format: string, number: string): string {
  let output = '';
  let position = 0;
  for (let index = 0; index < format.length; index++) {
    const character = format[index];
    const next = format[index + 1];
    if (character === '\\' && (next === 'S' || next === '#' || next === '*')) {
      output += next;
      index++;
    } else if (character === 'S') {
      if (position < number.length) position++;
    } else if (character === '#') {
      if (position < number.length) output += number[position++];
    } else if (character === '*') {
      output += number.slice(position);
      position = number.length;
    } else {
      output += character;
    }
  }
  return output;
}

function compile(key: string, regex: string, problems: ConfigProblem[]): PcrePattern | undefined {
  try {
    return compilePcre(regex);
  } catch (error) {
    if (!(error instanceof PcreTranslationError)) throw error;
    problems.push({ key, pattern: regex, reason: `${error.reason}; entry skipped` });
    return undefined;
  }
}

function compileConverters(key: string, converters: E164Converters, problems: ConfigProblem[]): CompiledConverter[] {
  const compiled: CompiledConverter[] = [];
  for (const [regex, rule] of Object.entries(converters) as [string, ConverterRule][]) {
    const pattern = compile(key, regex, problems);
    if (pattern === undefined) continue;
    compiled.push({ pattern, prefix: toByteString(rule.prefix ?? ''), suffix: toByteString(rule.suffix ?? '') });
  }
  return compiled;
}

function compileReconcile(regex: string, problems: ConfigProblem[]): PcrePattern {
  try {
    return compilePcre(regex);
  } catch (error) {
    if (!(error instanceof PcreTranslationError)) throw error;
    problems.push({ key: 'reconcile_regex', pattern: regex, reason: `${error.reason}; using the default reconcile_regex` });
    return compilePcre(DEFAULT_RECONCILE_REGEX);
  }
}

function compileClassifiers(classifiers: Classifiers, problems: ConfigProblem[]): CompiledClassifier[] {
  const compiled: CompiledClassifier[] = [];
  for (const [name, classifier] of Object.entries(classifiers)) {
    const legacy = typeof classifier === 'string';
    const regex = legacy ? classifier : (classifier.regex ?? '^$');
    const pattern = compile(`classifiers.${name}.regex`, regex, problems);
    if (pattern === undefined) continue;
    const prettyPrint = legacy || classifier.pretty_print === undefined ? undefined : toByteString(classifier.pretty_print);
    compiled.push({ name, pattern, prettyPrint });
  }
  return compiled;
}

/** knm_converters:available_classifiers/0 as fixed in 4.3 (HELP-15556): `friendly_name` defaults to the key. */
function expandClassifiers(classifiers: Classifiers): Record<string, Classifier> {
  const expanded: Record<string, Classifier> = {};
  for (const [name, classifier] of Object.entries(classifiers)) {
    expanded[name] =
      typeof classifier === 'string'
        ? { regex: classifier, friendly_name: name }
        : { ...classifier, friendly_name: classifier.friendly_name ?? name };
  }
  return expanded;
}
