/**
 * Kazoo's regexes are PCRE 8 run by Erlang `re` in byte mode (no `unicode`, no `ucp`, default
 * options). This module translates such a pattern into a JavaScript RegExp with the same meaning,
 * or refuses it with a reason. It parses the whole pattern instead of patching strings, because
 * JavaScript silently accepts many PCRE spellings with another meaning (`[[:digit:]]`, `\h`, `\x{41}`,
 * `a{,3}`, `\e` all compile in JS and match something else).
 *
 * How meanings are kept:
 * - Subjects are byte strings (see bytes.ts), so every character class is a set of bytes 0–255 and
 *   is written out explicitly (`\d`, `\s`, POSIX classes, negation, ranges, caseless folding).
 * - `^`, `$`, `.` and `\A \z \Z \G` are written as explicit assertions; no JS flag is ever set.
 *   PCRE `$` also matches before a final `\n`; `.` excludes only `\n` (JS also excludes `\r`).
 * - Inline options `(?imsxU-imsxU)` and `(?i:…)` are scoped as in PCRE (to the end of the group,
 *   across later alternatives); caseless matching folds ASCII letters, as PCRE's default tables do.
 * - Atomic groups and possessive quantifiers become `(?=(X))\N`; those helper groups are left out of
 *   the capture numbering, so captures are numbered as PCRE numbers them.
 * Refused (the caller reports a config problem): backreferences (an unset group fails in PCRE but
 * matches empty in JS), recursion, conditionals, `\K`, `(*VERBS)`, `\p`, `\X`, `\C`, branch reset, and
 * anything PCRE itself would not compile.
 */

export class PcreTranslationError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'PcreTranslationError';
  }
}

/** A compiled pattern. Subjects must be byte strings (bytes.ts). */
export interface PcrePattern {
  /** The pattern as configured. */
  readonly pattern: string;
  /** The JavaScript source it was translated to. */
  readonly jsSource: string;
  /** `re:run(Subject, Pattern) =/= nomatch`. */
  test(subject: string): boolean;
  /**
   * `{capture, all, binary}` then `lists:last/1`: Erlang drops unset groups at the end of the capture
   * list, so this is the last group that took part, or the whole match when none did.
   * `undefined` = no match.
   */
  lastCapture(subject: string): string | undefined;
  /** `{capture, [Group], binary}`: the group's text, `""` when it did not take part; `undefined` = no match. */
  capture(subject: string, group: number): string | undefined;
}

export function compilePcre(pattern: string): PcrePattern {
  const translation = translatePcre(pattern);
  let regex: RegExp;
  try {
    regex = new RegExp(translation.source);
  } catch (error) {
    throw new PcreTranslationError(`JavaScript cannot compile the translation: ${(error as Error).message}`);
  }
  const groups = translation.groups;
  return {
    pattern,
    jsSource: translation.source,
    test: (subject) => regex.test(subject),
    lastCapture(subject) {
      const match = regex.exec(subject);
      if (match === null) return undefined;
      for (let group = groups.length - 1; group >= 0; group--) {
        const text = match[groups[group]];
        if (text !== undefined) return text;
      }
      return match[0];
    },
    capture(subject, group) {
      const match = regex.exec(subject);
      if (match === null) return undefined;
      if (group === 0) return match[0];
      return match[groups[group - 1]] ?? '';
    },
  };
}

export interface PcreTranslation {
  source: string;
  /** `groups[i]` = the JS group number of PCRE group i + 1. */
  groups: number[];
}

/** The pattern is read as bytes: non-ASCII characters are their UTF-8 bytes, as in Erlang byte mode. */
export function translatePcre(pattern: string): PcreTranslation {
  const bytes = Buffer.from(pattern, 'utf8').toString('latin1');
  const alternatives = new Parser(bytes).parse();
  const serializer = new Serializer();
  const source = serializer.alternatives(alternatives);
  return { source, groups: serializer.groups };
}

// ---------------------------------------------------------------------------------------------
// Syntax tree

type Node =
  /** One JS atom or assertion, already written out; width = bytes consumed (undefined = varies). */
  | { kind: 'raw'; source: string; width: number | undefined; quantifiable: boolean }
  | { kind: 'group'; open: string; alternatives: Node[][]; lookaround: boolean }
  | { kind: 'capture'; index: number; alternatives: Node[][] }
  | { kind: 'atomic'; body: Node[] }
  | { kind: 'quantified'; atom: Node; quantifier: string; min: number; max: number | undefined };

interface Flags {
  caseless: boolean;
  multiline: boolean;
  dotAll: boolean;
  extended: boolean;
  ungreedy: boolean;
}

class Serializer {
  readonly groups: number[] = [];
  private count = 0;

  alternatives(alternatives: Node[][]): string {
    return alternatives.map((sequence) => this.sequence(sequence)).join('|');
  }

  sequence(nodes: Node[]): string {
    return nodes.map((node) => this.node(node)).join('');
  }

  node(node: Node): string {
    switch (node.kind) {
      case 'raw':
        return node.source;
      case 'group':
        return `${node.open}${this.alternatives(node.alternatives)})`;
      case 'capture': {
        this.groups[node.index - 1] = ++this.count;
        return `(${this.alternatives(node.alternatives)})`;
      }
      case 'atomic': {
        const helper = ++this.count;
        return `(?:(?=(${this.sequence(node.body)}))\\${helper})`;
      }
      case 'quantified':
        return `${this.node(node.atom)}${node.quantifier}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Byte sets (character classes)

type ByteSet = boolean[];

function emptySet(): ByteSet {
  return new Array<boolean>(256).fill(false);
}

function setOf(...ranges: [number, number][]): ByteSet {
  const set = emptySet();
  for (const [low, high] of ranges) for (let byte = low; byte <= high; byte++) set[byte] = true;
  return set;
}

function complement(set: ByteSet): ByteSet {
  return set.map((member) => !member);
}

function addAll(target: ByteSet, source: ByteSet): void {
  for (let byte = 0; byte < 256; byte++) if (source[byte]) target[byte] = true;
}

const code = (character: string): number => character.charCodeAt(0);
const DIGIT = setOf([0x30, 0x39]);
const UPPER = setOf([0x41, 0x5a]);
const LOWER = setOf([0x61, 0x7a]);
const ALPHA = setOf([0x41, 0x5a], [0x61, 0x7a]);
const ALNUM = setOf([0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]);
const WORD = setOf([0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a], [0x5f, 0x5f]);
// PCRE ≥ 8.34 (Erlang/OTP 21) includes VT in \s, like Perl and POSIX [:space:].
const SPACE = setOf([0x09, 0x0d], [0x20, 0x20]);
const HORIZONTAL_SPACE = setOf([0x09, 0x09], [0x20, 0x20], [0xa0, 0xa0]);
const VERTICAL_SPACE = setOf([0x0a, 0x0d], [0x85, 0x85]);
const NEWLINE = setOf([0x0a, 0x0a]);

const POSIX_CLASSES: Record<string, ByteSet> = {
  alpha: ALPHA,
  digit: DIGIT,
  alnum: ALNUM,
  space: SPACE,
  upper: UPPER,
  lower: LOWER,
  word: WORD,
  xdigit: setOf([0x30, 0x39], [0x41, 0x46], [0x61, 0x66]),
  blank: setOf([0x09, 0x09], [0x20, 0x20]),
  cntrl: setOf([0x00, 0x1f], [0x7f, 0x7f]),
  graph: setOf([0x21, 0x7e]),
  print: setOf([0x20, 0x7e]),
  punct: setOf([0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]),
  ascii: setOf([0x00, 0x7f]),
};

function foldCase(set: ByteSet): ByteSet {
  const folded = [...set];
  for (let byte = 0x41; byte <= 0x5a; byte++) {
    if (set[byte] || set[byte + 0x20]) folded[byte] = folded[byte + 0x20] = true;
  }
  return folded;
}

function hex(byte: number): string {
  return `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

function classSource(set: ByteSet): string {
  const members = set.filter(Boolean).length;
  if (members === 256) return '[\\s\\S]';
  if (members === 0) return '(?!)';
  let body = '';
  for (let low = 0; low < 256; low++) {
    if (!set[low]) continue;
    let high = low;
    while (high + 1 < 256 && set[high + 1]) high++;
    body += low === high ? hex(low) : `${hex(low)}-${hex(high)}`;
    low = high;
  }
  return `[${body}]`;
}

function literalSource(byte: number, caseless: boolean): string {
  const isLetter = (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
  if (isLetter && caseless) return classSource(foldCase(setOf([byte, byte])));
  if (isLetter || (byte >= 0x30 && byte <= 0x39)) return String.fromCharCode(byte);
  return hex(byte);
}

const charNode = (byte: number, flags: Flags): Node => ({
  kind: 'raw',
  source: literalSource(byte, flags.caseless),
  width: 1,
  quantifiable: true,
});

const setNode = (set: ByteSet, flags: Flags): Node => ({
  kind: 'raw',
  source: classSource(flags.caseless ? foldCase(set) : set),
  width: 1,
  quantifiable: true,
});

const assertionNode = (source: string): Node => ({ kind: 'raw', source, width: 0, quantifiable: false });

// ---------------------------------------------------------------------------------------------
// Parser

const UNSUPPORTED_ESCAPES: Record<string, string> = {
  K: '\\K (reset match start) has no JavaScript equivalent',
  p: '\\p{…} needs Unicode properties, which Erlang byte mode does not use',
  P: '\\P{…} needs Unicode properties, which Erlang byte mode does not use',
  X: '\\X (extended grapheme cluster) is not supported',
  C: '\\C (single byte) is not supported',
  g: 'backreferences and subroutine calls (\\g) are not supported',
  k: 'named backreferences (\\k) are not supported',
  L: 'PCRE does not support \\L',
  l: 'PCRE does not support \\l',
  U: 'PCRE does not support \\U',
  u: 'PCRE does not support \\u',
};

type EscapeResult = { kind: 'char'; byte: number } | { kind: 'set'; set: ByteSet };

class Parser {
  private position = 0;
  private captureCount = 0;
  private readonly names = new Set<string>();

  constructor(private readonly pattern: string) {}

  parse(): Node[][] {
    if (this.pattern.startsWith('(*')) {
      throw new PcreTranslationError('PCRE start-of-pattern options and verbs (*…) are not supported');
    }
    const flags: Flags = { caseless: false, multiline: false, dotAll: false, extended: false, ungreedy: false };
    return this.alternatives(flags, false);
  }

  private fail(reason: string): never {
    throw new PcreTranslationError(`${reason} (at offset ${this.position})`);
  }

  private peek(offset = 0): string {
    return this.pattern.charAt(this.position + offset);
  }

  private atEnd(): boolean {
    return this.position >= this.pattern.length;
  }

  /** Reads alternatives up to the closing `)` of the group (consumed) or the end of the pattern. */
  private alternatives(outerFlags: Flags, inGroup: boolean): Node[][] {
    const flags = { ...outerFlags };
    const alternatives: Node[][] = [];
    let sequence: Node[] = [];
    let quantifiable = false;
    for (;;) {
      if (flags.extended) this.skipExtendedWhitespace();
      if (this.atEnd()) {
        if (inGroup) this.fail('missing )');
        alternatives.push(sequence);
        return alternatives;
      }
      const character = this.peek();
      if (character === '|') {
        this.position++;
        alternatives.push(sequence);
        sequence = [];
        quantifiable = false;
        continue;
      }
      if (character === ')') {
        if (!inGroup) this.fail('unmatched )');
        this.position++;
        alternatives.push(sequence);
        return alternatives;
      }
      const quantifier = this.readQuantifier(flags);
      if (quantifier !== undefined) {
        if (!quantifiable) this.fail('nothing to repeat');
        const atom = sequence.pop() as Node;
        const quantified: Node = { kind: 'quantified', atom, ...quantifier.node };
        sequence.push(quantifier.possessive ? { kind: 'atomic', body: [quantified] } : quantified);
        quantifiable = false;
        continue;
      }
      const items = this.item(flags);
      if (items.length === 0) continue; // a comment or an option setting: `a(?#x)*` still repeats `a`
      sequence.push(...items);
      quantifiable = isQuantifiable(items[items.length - 1]);
    }
  }

  private skipExtendedWhitespace(): void {
    for (;;) {
      const character = this.peek();
      if (character === ' ' || (character >= '\t' && character <= '\r')) {
        this.position++;
      } else if (character === '#') {
        while (!this.atEnd() && this.peek() !== '\n') this.position++;
      } else {
        return;
      }
    }
  }

  /** A quantifier at the current position, or undefined (a `{` that is not `{n}`, `{n,}`, `{n,m}` is a literal). */
  private readQuantifier(
    flags: Flags,
  ): { node: { quantifier: string; min: number; max: number | undefined }; possessive: boolean } | undefined {
    const character = this.peek();
    let min: number;
    let max: number | undefined;
    let length: number;
    if (character === '*') [min, max, length] = [0, undefined, 1];
    else if (character === '+') [min, max, length] = [1, undefined, 1];
    else if (character === '?') [min, max, length] = [0, 1, 1];
    else if (character === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.pattern.slice(this.position));
      if (match === null) return undefined;
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === '' ? undefined : Number(match[3]);
      if (min > 65535 || (max !== undefined && max > 65535)) this.fail('number too big in {} quantifier');
      if (max !== undefined && max < min) this.fail('numbers out of order in {} quantifier');
      length = match[0].length;
    } else {
      return undefined;
    }
    this.position += length;
    let lazy = flags.ungreedy;
    let possessive = false;
    if (this.peek() === '+') {
      possessive = true;
      lazy = false;
      this.position++;
    } else if (this.peek() === '?') {
      lazy = !lazy;
      this.position++;
    }
    const base = max === undefined ? (min === 0 ? '*' : min === 1 ? '+' : `{${min},}`) : min === 0 && max === 1 ? '?' : min === max ? `{${min}}` : `{${min},${max}}`;
    return { node: { quantifier: lazy ? `${base}?` : base, min, max }, possessive };
  }

  /** One item: usually one node; `\Q…\E` gives one node per literal byte; comments and `\E` give none. */
  private item(flags: Flags): Node[] {
    const character = this.peek();
    this.position++;
    switch (character) {
      case '\\':
        return this.escape(flags);
      case '[':
        return [setNode(this.characterClass(flags.caseless), flags)];
      case '(':
        return this.group(flags);
      case '.':
        return [setNode(flags.dotAll ? complement(emptySet()) : complement(NEWLINE), { ...flags, caseless: false })];
      case '^':
        // Multiline ^ does not match after a newline that ends the subject (Perl compatibility).
        return [assertionNode(flags.multiline ? '(?:^|(?<=\\n)(?!$))' : '^')];
      case '$':
        return [assertionNode(flags.multiline ? '(?=\\n|$)' : '(?=\\n?$)')];
      default:
        return [charNode(code(character), flags)];
    }
  }

  private escape(flags: Flags): Node[] {
    if (this.atEnd()) this.fail('\\ at end of pattern');
    const letter = this.peek();
    switch (letter) {
      case 'A':
      case 'G': // re:run starts at offset 0, so \G (start of the match attempt at the start offset) is \A.
        this.position++;
        return [assertionNode('^')];
      case 'z':
        this.position++;
        return [assertionNode('$')];
      case 'Z':
        this.position++;
        return [assertionNode('(?=\\n?$)')];
      case 'b':
        this.position++;
        return [assertionNode('\\b')];
      case 'B':
        this.position++;
        return [assertionNode('\\B')];
      case 'R':
        this.position++;
        // PCRE: \R = (?>\r\n|\n|\x0b|\f|\r|\x85) in byte mode.
        return [{ kind: 'atomic', body: [{ kind: 'raw', source: '(?:\\r\\n|[\\n\\x0B\\f\\r\\x85])', width: undefined, quantifiable: true }] }];
      case 'N':
        this.position++;
        if (this.peek() === '{') this.fail('PCRE does not support \\N{name}');
        return [setNode(complement(NEWLINE), { ...flags, caseless: false })];
      case 'Q': {
        this.position++;
        const nodes: Node[] = [];
        while (!this.atEnd() && !(this.peek() === '\\' && this.peek(1) === 'E')) {
          nodes.push(charNode(code(this.peek()), flags));
          this.position++;
        }
        if (!this.atEnd()) this.position += 2;
        return nodes;
      }
      case 'E':
        this.position++;
        return [];
    }
    if (letter >= '1' && letter <= '9') {
      this.fail('backreferences are not supported (PCRE fails on an unset group where JavaScript matches empty)');
    }
    const unsupported = UNSUPPORTED_ESCAPES[letter];
    if (unsupported !== undefined) this.fail(unsupported);
    const result = this.commonEscape(false);
    return [result.kind === 'char' ? charNode(result.byte, flags) : setNode(result.set, flags)];
  }

  /** Escapes that mean the same inside and outside a class; the `\` is already consumed. */
  private commonEscape(inClass: boolean): EscapeResult {
    const letter = this.peek();
    this.position++;
    const single = (byte: number): EscapeResult => ({ kind: 'char', byte });
    const set = (bytes: ByteSet): EscapeResult => ({ kind: 'set', set: bytes });
    switch (letter) {
      case 'd':
        return set(DIGIT);
      case 'D':
        return set(complement(DIGIT));
      case 'w':
        return set(WORD);
      case 'W':
        return set(complement(WORD));
      case 's':
        return set(SPACE);
      case 'S':
        return set(complement(SPACE));
      case 'h':
        return set(HORIZONTAL_SPACE);
      case 'H':
        return set(complement(HORIZONTAL_SPACE));
      case 'v':
        return set(VERTICAL_SPACE);
      case 'V':
        return set(complement(VERTICAL_SPACE));
      case 'a':
        return single(0x07);
      case 'e':
        return single(0x1b);
      case 'f':
        return single(0x0c);
      case 'n':
        return single(0x0a);
      case 'r':
        return single(0x0d);
      case 't':
        return single(0x09);
      case 'c': {
        if (this.atEnd()) this.fail('\\c at end of pattern');
        const target = this.pattern.charCodeAt(this.position);
        if (target > 0x7e || target < 0x20) this.fail('\\c must be followed by a printable ASCII character');
        this.position++;
        const upper = target >= 0x61 && target <= 0x7a ? target - 0x20 : target;
        return single(upper ^ 0x40);
      }
      case 'x':
        return single(this.hexEscape());
      case 'o':
        return single(this.braced(8, '\\o'));
      case '0':
        return single(this.octalDigits(0, 2));
    }
    if (inClass && letter >= '1' && letter <= '7') return single(this.octalDigits(code(letter) - 0x30, 2));
    if (/[0-9]/.test(letter)) this.fail(`\\${letter} is not supported here`);
    if (/[A-Za-z]/.test(letter)) {
      // PCRE 8 without PCRE_EXTRA (Erlang's default) reads an unknown letter escape as the letter.
      return single(code(letter));
    }
    return single(code(letter));
  }

  private hexEscape(): number {
    if (this.peek() === '{') return this.braced(16, '\\x');
    let value = 0;
    for (let digits = 0; digits < 2 && /[0-9A-Fa-f]/.test(this.peek()); digits++) {
      value = value * 16 + parseInt(this.peek(), 16);
      this.position++;
    }
    return value;
  }

  private braced(radix: 8 | 16, name: string): number {
    const match = (radix === 16 ? /^\{([0-9A-Fa-f]+)\}/ : /^\{([0-7]+)\}/).exec(this.pattern.slice(this.position));
    if (match === null) this.fail(`malformed ${name}{…}`);
    const value = parseInt(match[1], radix);
    if (value > 0xff) this.fail(`character value in ${name}{…} is above 255 (byte mode)`);
    this.position += match[0].length;
    return value;
  }

  private octalDigits(start: number, maxMore: number): number {
    let value = start;
    for (let digits = 0; digits < maxMore && /[0-7]/.test(this.peek()); digits++) {
      value = value * 8 + Number(this.peek());
      this.position++;
    }
    if (value > 0xff) this.fail('octal value is above 255 (byte mode)');
    return value;
  }

  /** After `[`: the set of bytes the class matches. Caseless folding comes before negation, as in PCRE. */
  private characterClass(caseless: boolean): ByteSet {
    const members = emptySet();
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.position++;
    }
    let first = true;
    for (;;) {
      if (this.atEnd()) this.fail('missing terminating ] for character class');
      const character = this.peek();
      if (character === ']' && !first) {
        this.position++;
        break;
      }
      first = false;
      if (character === '[' && /^\[[:.=]/.test(this.pattern.slice(this.position))) {
        const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.pattern.slice(this.position));
        if (posix === null) {
          if (/^\[[.=]/.test(this.pattern.slice(this.position))) this.fail('POSIX collating elements are not supported');
          // `[:` that does not form a POSIX class is a literal `[`.
          this.position++;
          members[code('[')] = true;
          continue;
        }
        const named = POSIX_CLASSES[posix[2]];
        if (named === undefined) this.fail(`unknown POSIX class name [:${posix[2]}:]`);
        addAll(members, posix[1] === '^' ? complement(named) : named);
        this.position += posix[0].length;
        continue;
      }
      const low = this.classAtom();
      if (low.kind === 'set') {
        addAll(members, low.set);
        continue;
      }
      if (this.peek() === '-' && this.peek(1) !== ']' && this.position + 1 < this.pattern.length) {
        const save = this.position;
        this.position++;
        if (this.peek() === '[' && /^\[:\^?[a-z]+:\]/.test(this.pattern.slice(this.position))) {
          // `a-[:digit:]`: the hyphen is a literal.
          this.position = save;
          members[low.byte] = true;
          continue;
        }
        const high = this.classAtom();
        if (high.kind === 'set') {
          members[low.byte] = true;
          members[code('-')] = true;
          addAll(members, high.set);
          continue;
        }
        if (high.byte < low.byte) this.fail('range out of order in character class');
        for (let byte = low.byte; byte <= high.byte; byte++) members[byte] = true;
        continue;
      }
      members[low.byte] = true;
    }
    const folded = caseless ? foldCase(members) : members;
    return negated ? complement(folded) : folded;
  }

  private classAtom(): EscapeResult {
    const character = this.peek();
    this.position++;
    if (character !== '\\') return { kind: 'char', byte: code(character) };
    if (this.atEnd()) this.fail('\\ at end of pattern');
    const letter = this.peek();
    if (letter === 'b') {
      this.position++;
      return { kind: 'char', byte: 0x08 };
    }
    if (letter === 'Q' || letter === 'E') {
      this.fail('\\Q…\\E inside a character class is not supported');
    }
    if ('BRXNKpPgkCLlUu'.includes(letter)) this.fail(`\\${letter} is not allowed in a character class`);
    if (letter === '8' || letter === '9') this.fail(`\\${letter} is not allowed in a character class`);
    return this.commonEscape(true);
  }

  /** After `(`. */
  private group(flags: Flags): Node[] {
    if (this.peek() === '*') this.fail('backtracking control verbs (*…) are not supported');
    if (this.peek() !== '?') return [this.capture(flags)];
    this.position++;
    const rest = this.pattern.slice(this.position);
    if (rest.startsWith('#')) {
      const end = this.pattern.indexOf(')', this.position);
      if (end < 0) this.fail('missing ) after comment');
      this.position = end + 1;
      return [];
    }
    const simple: [string, string, boolean][] = [
      [':', '(?:', false],
      ['=', '(?=', true],
      ['!', '(?!', true],
      ['<=', '(?<=', true],
      ['<!', '(?<!', true],
    ];
    for (const [spelling, open, lookaround] of simple) {
      if (!rest.startsWith(spelling)) continue;
      this.position += spelling.length;
      const alternatives = this.alternatives(flags, true);
      if (open.startsWith('(?<')) this.checkLookbehind(alternatives);
      return [{ kind: 'group', open, alternatives, lookaround }];
    }
    if (rest.startsWith('>')) {
      this.position++;
      const alternatives = this.alternatives(flags, true);
      return [{ kind: 'atomic', body: [{ kind: 'group', open: '(?:', alternatives, lookaround: false }] }];
    }
    const named = /^(?:P?<([^>]*)>|'([^']*)')/.exec(rest);
    if (named !== null && !rest.startsWith('<=') && !rest.startsWith('<!')) {
      const name = named[1] ?? named[2];
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(name)) this.fail(`invalid group name '${name}'`);
      if (this.names.has(name)) this.fail(`two named groups have the same name '${name}'`);
      this.names.add(name);
      this.position += named[0].length;
      // Names only matter to backreferences, which are refused, so a plain group keeps the meaning.
      return [this.capture(flags)];
    }
    if (rest.startsWith('|')) this.fail('branch reset groups (?|…) are not supported');
    if (rest.startsWith('(')) this.fail('conditional groups (?(…)…) are not supported');
    if (/^(?:R|[+-]?\d|&|P>|P=)/.test(rest)) this.fail('recursion, subroutine calls and backreferences are not supported');
    if (rest.startsWith('C')) this.fail('callouts (?C) are not supported');
    const options = /^([imsxJUX]*)(?:-([imsxJUX]*))?([:)])/.exec(rest);
    if (options === null) this.fail('unrecognized character after (? ');
    this.position += options[0].length;
    const scoped = options[3] === ':' ? { ...flags } : flags;
    applyOptions(scoped, options[1], true);
    applyOptions(scoped, options[2] ?? '', false);
    if (options[3] === ')') return [];
    return [{ kind: 'group', open: '(?:', alternatives: this.alternatives(scoped, true), lookaround: false }];
  }

  private capture(flags: Flags): Node {
    const index = ++this.captureCount;
    return { kind: 'capture', index, alternatives: this.alternatives(flags, true) };
  }

  /**
   * PCRE 8 requires every branch of a lookbehind to have a fixed length. JavaScript runs a lookbehind
   * right to left, so the backreference that emulates an atomic group would run before its group.
   */
  private checkLookbehind(alternatives: Node[][]): void {
    for (const sequence of alternatives) {
      if (sequenceWidth(sequence) === undefined) this.fail('lookbehind assertion is not fixed length');
      if (sequence.some(containsAtomic)) this.fail('atomic groups and possessive quantifiers inside a lookbehind are not supported');
    }
  }
}

function applyOptions(flags: Flags, letters: string, on: boolean): void {
  for (const letter of letters) {
    if (letter === 'i') flags.caseless = on;
    else if (letter === 'm') flags.multiline = on;
    else if (letter === 's') flags.dotAll = on;
    else if (letter === 'x') flags.extended = on;
    else if (letter === 'U') flags.ungreedy = on;
    // J (duplicate names) and X (extra) do not change what a translated pattern matches.
  }
}

function containsAtomic(node: Node): boolean {
  switch (node.kind) {
    case 'raw':
      return false;
    case 'atomic':
      return true;
    case 'quantified':
      return containsAtomic(node.atom);
    case 'group':
    case 'capture':
      return node.alternatives.some((sequence) => sequence.some(containsAtomic));
  }
}

function isQuantifiable(node: Node): boolean {
  if (node.kind === 'raw') return node.quantifiable;
  if (node.kind === 'group') return !node.lookaround;
  return true;
}

function sequenceWidth(sequence: Node[]): number | undefined {
  let total = 0;
  for (const node of sequence) {
    const width = nodeWidth(node);
    if (width === undefined) return undefined;
    total += width;
  }
  return total;
}

function nodeWidth(node: Node): number | undefined {
  switch (node.kind) {
    case 'raw':
      return node.width;
    case 'group':
    case 'capture': {
      if (node.kind === 'group' && node.lookaround) return 0;
      const widths = node.alternatives.map(sequenceWidth);
      const first = widths[0];
      return widths.every((width) => width !== undefined && width === first) ? first : undefined;
    }
    case 'atomic':
      return sequenceWidth(node.body);
    case 'quantified': {
      const width = nodeWidth(node.atom);
      return width !== undefined && node.max === node.min ? width * node.min : undefined;
    }
  }
}
