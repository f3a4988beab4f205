/**
 * Python values for the fuzz properties: arbitraries that generate them, printers that write them
 * as Python literals, JSON and JSON5 in many styles, and a canonical form to compare them by.
 *
 * The printers are written here, independently of lib/, so that a round trip (print, then parse
 * with lib/) checks the parser against a second reading of the same grammar rather than against
 * itself. Every printing choice comes from a {@link Chooser}, whose "fanciness" shrinks to 0, the
 * plain style, so a counterexample shrinks to the simplest text that still fails.
 */
import fc from 'fast-check';
import { DEFAULT_MAX_DEPTH } from '../../lib/wire/literal';
import { PyFloat, formatPythonFloat, type PyDict, type PyValue } from '../../lib/wire/pyvalue';

// ---------------------------------------------------------------------------------------------
// Choices

/**
 * The printers' source of choices: a seeded PRNG gated by a fanciness level. At level 0 every
 * choice is 0, the first and plainest option; higher levels take the other options more often.
 */
export class Chooser {
  private state: number;

  constructor(
    seed: number,
    private readonly fanciness: number,
  ) {
    this.state = seed >>> 0;
  }

  /** mulberry32 */
  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** 0 .. n-1; 0 unless this choice is taken "fancy" (probability fanciness/4). */
  int(n: number): number {
    if (n <= 1 || this.fanciness <= 0) return 0;
    if (this.next() >= this.fanciness / 4) return 0;
    return Math.floor(this.next() * n);
  }

  chance(): boolean {
    return this.int(2) === 1;
  }

  pick<T>(options: readonly [T, ...T[]]): T {
    return options[this.int(options.length)] as T;
  }
}

/** What a printer's choices are made from; printing happens inside the arbitrary, so it shrinks too. */
export interface ChooserSpec {
  readonly fanciness: number;
  readonly seed: number;
}

export const chooserSpecArb: fc.Arbitrary<ChooserSpec> = fc.record({ fanciness: fc.integer({ min: 0, max: 4 }), seed: fc.nat() });

export const chooserOf = (spec: ChooserSpec): Chooser => new Chooser(spec.seed, spec.fanciness);

// ---------------------------------------------------------------------------------------------
// Canonical form and well-formedness

/**
 * A string that two PyValues share exactly when they are the same Python value with the same
 * representation: int vs float kept apart (1 vs 1.0), -0.0 vs 0.0 kept apart, dict key order kept.
 */
export function canonical(value: PyValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint') return `int(${String(value)})`;
  if (value instanceof PyFloat) return `float(${Object.is(value.value, -0) ? '-0' : String(value.value)})`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(', ')}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${JSON.stringify(k)}: ${canonical(v)}`).join(', ')}}`;
  return `<not a PyValue: ${typeof value}>`;
}

/** How many containers deep a value goes ([] is 1, [[1]] is 2, a scalar 0). */
export function containerDepth(value: PyValue): number {
  if (Array.isArray(value)) return 1 + value.reduce<number>((max, item) => Math.max(max, containerDepth(item)), 0);
  if (value instanceof Map) return 1 + [...value.values()].reduce<number>((max, item) => Math.max(max, containerDepth(item)), 0);
  return 0;
}

/**
 * Why `value` is not a PyValue as lib/wire/pyvalue.ts defines it, or undefined if it is: ints are
 * numbers while safe (never -0) and bigints beyond, floats are finite PyFloats, dicts are Maps
 * with string keys, and containers nest at most maxDepth deep.
 */
export function pyValueProblem(value: unknown, maxDepth: number = DEFAULT_MAX_DEPTH): string | undefined {
  const todo: Array<[unknown, number]> = [[value, 0]];
  while (todo.length > 0) {
    const [item, depth] = todo.pop() as [unknown, number];
    if (item === null || typeof item === 'boolean' || typeof item === 'string') continue;
    if (typeof item === 'number') {
      if (!Number.isSafeInteger(item)) return `int ${item} is not a safe integer`;
      if (Object.is(item, -0)) return 'int -0 (must be 0)';
      continue;
    }
    if (typeof item === 'bigint') {
      if (Number.isSafeInteger(Number(item))) return `int ${item}n is a bigint within the safe range`;
      continue;
    }
    if (item instanceof PyFloat) {
      if (typeof item.value !== 'number' || !Number.isFinite(item.value)) return `float ${String(item.value)} is not finite`;
      continue;
    }
    if (Array.isArray(item) || item instanceof Map) {
      if (depth + 1 > maxDepth) return `containers nested deeper than ${maxDepth}`;
      if (Array.isArray(item)) {
        for (let i = 0; i < item.length; i++) {
          if (!(i in item)) return 'a list with a hole';
          todo.push([item[i], depth + 1]);
        }
      } else {
        for (const [k, v] of item as Map<unknown, unknown>) {
          if (typeof k !== 'string') return `a dict key of type ${typeof k}`;
          todo.push([v, depth + 1]);
        }
      }
      continue;
    }
    return `a ${typeof item === 'object' ? (Object.getPrototypeOf(item)?.constructor?.name ?? 'object') : typeof item} is not a PyValue`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Characters that stress quoting and escaping, mixed into otherwise ordinary strings. */
const TRICKY_CHARS = [
  "'", '"', '\\', '\n', '\r', '\t', '\0', '\x07', '\x7f', '#', '{', '}', '[', ']', ',', ':', ' ', 'u', 'x', 'N', '0', '7', '8',
  'é', '€', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff', '😀', '\ud800', '\udfff', '\u0301', '𝔘',
] as const;

export const stringArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom(...TRICKY_CHARS), maxLength: 12 }),
  fc.constantFrom('', "'''", '"""', "it's", 'say "hi"', '\\n', 'a\\', '\\', '__proto__', 'constructor'),
);

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A Python int as lib/wire/pyvalue.ts holds it: a number while safe, a bigint beyond. */
export function pyInt(big: bigint): number | bigint {
  return big >= -SAFE && big <= SAFE ? Number(big) : big;
}

export const intArb: fc.Arbitrary<number | bigint> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }).map(pyInt),
  fc.integer({ min: -3, max: 3 }).map((d) => pyInt(SAFE + BigInt(d))),
  fc.integer({ min: -3, max: 3 }).map((d) => pyInt(-SAFE + BigInt(d))),
);

export const floatArb: fc.Arbitrary<PyFloat> = fc
  .oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(1.0, 0.0, -0.0, 1e10, 1e16, 1e-5, 0.1, 2.5e-7, 100, 1e21, 5e-324, 1.7976931348623157e308, 2 ** 53 + 2, -1.5),
    fc.integer({ min: -100000, max: 100000 }).map((n) => n / 8),
  )
  .map((x) => new PyFloat(x));

export const scalarArb: fc.Arbitrary<PyValue> = fc.oneof(
  { arbitrary: fc.constantFrom<PyValue>(null, true, false), weight: 2 },
  { arbitrary: stringArb, weight: 4 },
  { arbitrary: intArb, weight: 4 },
  { arbitrary: floatArb, weight: 3 },
);

/** Dict keys: ordinary strings, strings that read as ints (printed as int keys), awkward ones. */
export const keyArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/),
  fc.integer({ min: -20, max: 1000 }).map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'key', '', 'a b', '01', '-0', '1.5', 'True', 'null'),
  stringArb,
);

export interface ValueArbOptions {
  /** Deepest container nesting (the parser's bound is 32). */
  readonly maxDepth?: number;
  readonly scalar?: fc.Arbitrary<PyValue>;
  readonly key?: fc.Arbitrary<string>;
  readonly maxItems?: number;
}

/**
 * Python values: scalars, lists and dicts (tuples are lists once parsed; the printers decide
 * whether a list is written as one), nested up to `maxDepth`, sometimes all the way: a value is
 * wrapped in a chain of single-item containers that can reach the bound exactly.
 */
export function pyValueArb(options: ValueArbOptions = {}): fc.Arbitrary<PyValue> {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const scalar = options.scalar ?? scalarArb;
  const key = options.key ?? keyArb;
  const maxItems = options.maxItems ?? 5;
  const tree = fc.letrec<{ value: PyValue; list: PyValue[]; dict: PyDict }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', maxDepth: Math.min(maxDepth, 5) }, scalar, tie('list'), tie('dict')),
    list: fc.array(tie('value'), { maxLength: maxItems }),
    // Duplicate keys are allowed: a Map built from the pairs is what Python's dict display gives.
    dict: fc.array(fc.tuple(key, tie('value')), { maxLength: maxItems }).map((pairs) => new Map(pairs)),
  })).value;
  const chain = fc.tuple(tree, fc.array(fc.tuple(fc.constantFrom('list', 'dict'), key), { maxLength: maxDepth })).map(([inner, wrappers]) => {
    let value = inner;
    let depth = containerDepth(inner);
    for (const [kind, k] of wrappers) {
      if (depth >= maxDepth) break;
      value = kind === 'list' ? [value] : new Map([[k, value]]);
      depth++;
    }
    return value;
  });
  return fc.oneof({ arbitrary: tree, weight: 5 }, { arbitrary: chain, weight: 1 });
}

// ---------------------------------------------------------------------------------------------
// Python printer

const CANONICAL_INT = /^(?:0|-?[1-9][0-9]{0,40})$/;

/** Whitespace and comments that Python's tokenizer skips between tokens (inside brackets). */
function pyGap(ch: Chooser): string {
  switch (ch.int(8)) {
    case 0:
    case 1:
      return '';
    case 2:
      return ' ';
    case 3:
      return ch.pick(['  ', '\t', '\n', '\r\n', '\f', '\n    ']);
    case 4:
      return ` # ${ch.pick(['c', "it's", '"q"', '[{(', ''])}\n`;
    case 5:
      return ch.pick(['\\\n', ' \\\r\n ']);
    default:
      return ' ';
  }
}

const PY_SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\n': '\\n', '\t': '\\t', '\r': '\\r', '\\': '\\\\', "'": "\\'", '"': '\\"', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\v': '\\v',
};

const hex = (code: number, width: number) => code.toString(16).padStart(width, '0');

/** One character (a code point, or a lone surrogate) as a Python escape. */
function pyEscape(char: string, ch: Chooser): string {
  const code = char.codePointAt(0) as number;
  const options: string[] = [`\\U${hex(code, 8)}`];
  if (code < 0x10000) options.push(`\\u${hex(code, 4)}`, `\\u${hex(code, 4).toUpperCase()}`);
  if (code < 0x100) options.push(`\\x${hex(code, 2)}`, `\\x${hex(code, 2).toUpperCase()}`);
  if (code < 0x100) options.push(`\\${code.toString(8).padStart(3, '0')}`);
  const simple = PY_SIMPLE_ESCAPES[char];
  if (simple !== undefined) options.push(simple);
  if (code > 0xffff) {
    // Two \u escapes of the surrogates: Python reads two characters, JavaScript the same pair.
    options.push(`\\u${hex(char.charCodeAt(0), 4)}\\u${hex(char.charCodeAt(1), 4)}`);
  }
  return options[ch.int(options.length)] as string;
}

/** Characters that begin a known escape after a backslash; any other keeps its backslash in Python. */
const ESCAPE_INTRODUCERS = new Set(['\n', '\r', '\\', "'", '"', 'a', 'b', 'f', 'n', 'r', 't', 'v', 'x', 'u', 'U', 'N', '0', '1', '2', '3', '4', '5', '6', '7']);

/** One Python string literal (no concatenation) holding exactly `text`. */
function pyStringPiece(text: string, ch: Chooser): string {
  const quote = ch.pick(["'", '"'] as const);
  const triple = ch.int(5) === 1;
  const prefix = ch.int(6) === 1 ? ch.pick(['u', 'U'] as const) : '';
  const chars = Array.from(text);
  let body = '';
  let forceRaw = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    const next = chars[i + 1];
    const mustEscape =
      c === quote ||
      c === '\r' ||
      (c === '\n' && !triple) ||
      (c === '\\' && (next === undefined || ESCAPE_INTRODUCERS.has(next))) ||
      // A quote of the other kind is safe, but inside a triple-quoted string keep it simple.
      (triple && (c === "'" || c === '"'));
    if (forceRaw) {
      body += c;
      forceRaw = false;
    } else if (c === '\\' && !mustEscape && ch.chance()) {
      // A backslash before a character that starts no escape may stay bare (Python keeps unknown
      // escapes), provided that character is then written as itself.
      body += '\\';
      forceRaw = true;
      continue;
    } else if (mustEscape || c === '\\' || ch.int(6) === 1) {
      body += pyEscape(c, ch);
    } else {
      body += c;
    }
    if (ch.int(20) === 1) body += '\\\n'; // a line continuation inside the string adds nothing
  }
  const q = triple ? quote.repeat(3) : quote;
  return `${prefix}${q}${body}${q}`;
}

/** A string as one literal or several adjacent ones ('ab' 'cd'), which Python concatenates. */
function pyString(text: string, ch: Chooser): string {
  const chars = Array.from(text);
  if (chars.length < 2 || ch.int(4) !== 1) return pyStringPiece(text, ch);
  const cut = 1 + ch.int(chars.length - 1);
  return `${pyStringPiece(chars.slice(0, cut).join(''), ch)}${pyGap(ch) || ' '}${pyString(chars.slice(cut).join(''), ch)}`;
}

function underscored(digits: string, ch: Chooser): string {
  if (digits.length < 2 || ch.int(4) !== 1) return digits;
  let out = digits[0] as string;
  for (let i = 1; i < digits.length; i++) out += (ch.int(3) === 1 ? '_' : '') + digits[i];
  return out;
}

function pyIntText(value: number | bigint, ch: Chooser): string {
  const big = BigInt(value);
  const negative = big < 0n;
  const abs = negative ? -big : big;
  let body: string;
  switch (ch.int(5)) {
    case 1:
      body = `0${ch.pick(['x', 'X'] as const)}${ch.chance() ? '_' : ''}${underscored(ch.chance() ? abs.toString(16) : abs.toString(16).toUpperCase(), ch)}`;
      break;
    case 2:
      body = `0${ch.pick(['o', 'O'] as const)}${underscored(abs.toString(8), ch)}`;
      break;
    case 3:
      body = abs < 2n ** 70n ? `0${ch.pick(['b', 'B'] as const)}${underscored(abs.toString(2), ch)}` : abs.toString();
      break;
    case 4:
      body = abs === 0n ? ch.pick(['0', '00', '0_0'] as const) : underscored(abs.toString(), ch);
      break;
    default:
      body = abs.toString();
  }
  if (negative) return `-${ch.int(4) === 1 ? pyGap(ch) : ''}${body}`;
  return `${ch.int(5) === 1 ? '+' : ''}${body}`;
}

/** A float's digits in one of the forms Python reads as a float; `abs` is >= 0. */
function floatBody(abs: number, ch: Chooser, python: boolean): string {
  const js = String(abs);
  const forms = [
    formatPythonFloat(abs),
    /[.e]/.test(js) ? js : `${js}.0`,
    abs.toExponential(),
    abs.toExponential().toUpperCase(),
    /[.e]/.test(js) ? js : `${js}.`,
  ];
  let body = forms[ch.int(forms.length)] as string;
  if (/^0\.[0-9]/.test(body) && ch.chance()) body = body.slice(1);
  if (python) body = body.replace(/[0-9]+/g, (digits) => underscored(digits, ch));
  return body;
}

function pyFloatText(x: number, ch: Chooser): string {
  const negative = x < 0 || Object.is(x, -0);
  const body = floatBody(Math.abs(x), ch, true);
  if (negative) return `-${ch.int(4) === 1 ? pyGap(ch) : ''}${body}`;
  return `${ch.int(5) === 1 ? '+' : ''}${body}`;
}

function pyKey(key: string, ch: Chooser): string {
  if (CANONICAL_INT.test(key) && ch.int(3) !== 0) return pyIntText(BigInt(key), ch);
  return pyString(key, ch);
}

/**
 * `value` as Python literal text. `frames` is how many brackets are open around it; the printer
 * adds parentheses (which the parser counts as nesting too) only where the bound leaves room.
 */
export function printPython(value: PyValue, ch: Chooser, maxDepth: number = DEFAULT_MAX_DEPTH, frames = 0): string {
  if (frames + 1 + containerDepth(value) <= maxDepth && ch.int(8) === 1) {
    return `(${pyGap(ch)}${printPythonBare(value, ch, maxDepth, frames + 1)}${pyGap(ch)})`;
  }
  return printPythonBare(value, ch, maxDepth, frames);
}

function printPythonBare(value: PyValue, ch: Chooser, maxDepth: number, frames: number): string {
  if (value === null) return ch.pick(['None', 'null'] as const);
  if (value === true) return ch.pick(['True', 'true'] as const);
  if (value === false) return ch.pick(['False', 'false'] as const);
  if (typeof value === 'string') return pyString(value, ch);
  if (typeof value === 'number' || typeof value === 'bigint') return pyIntText(value, ch);
  if (value instanceof PyFloat) return pyFloatText(value.value, ch);
  const sep = () => `${pyGap(ch)},${pyGap(ch) || (ch.chance() ? '' : ' ')}`;
  if (Array.isArray(value)) {
    const items = value.map((item) => printPython(item, ch, maxDepth, frames + 1));
    const tuple = ch.int(3) === 1;
    if (tuple) {
      if (items.length === 0) return `(${pyGap(ch)})`;
      const trailing = items.length === 1 || ch.chance() ? `${pyGap(ch)},` : '';
      return `(${pyGap(ch)}${items.join(sep())}${trailing}${pyGap(ch)})`;
    }
    const trailing = items.length > 0 && ch.chance() ? `${pyGap(ch)},` : '';
    return `[${pyGap(ch)}${items.join(sep())}${trailing}${pyGap(ch)}]`;
  }
  const entries = [...value].map(([k, v]) => `${pyKey(k, ch)}${pyGap(ch)}:${pyGap(ch) || ch.pick([' ', ''] as const)}${printPython(v, ch, maxDepth, frames + 1)}`);
  const trailing = entries.length > 0 && ch.chance() ? `${pyGap(ch)},` : '';
  return `{${pyGap(ch)}${entries.join(sep())}${trailing}${pyGap(ch)}}`;
}

// ---------------------------------------------------------------------------------------------
// JSON printer (the Python parser reads JSON with Python's semantics: bigints stay ints)

function jsonGap(ch: Chooser): string {
  return ch.pick(['', ' ', '\n', '\t', '  ', '\r\n'] as const);
}

function jsonString(text: string, ch: Chooser): string {
  if (ch.int(3) !== 1) return JSON.stringify(text);
  // Escape everything outside printable ASCII as \uXXXX (a surrogate pair as two escapes).
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const c = text[i] as string;
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (code >= 0x20 && code < 0x7f) out += c;
    else out += `\\u${hex(code, 4)}`;
  }
  return `${out}"`;
}

export function printJson(value: PyValue, ch: Chooser): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return jsonString(value, ch);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof PyFloat) {
    const x = value.value;
    const body = ch.pick([formatPythonFloat(Math.abs(x)), Math.abs(x).toExponential()] as const);
    return x < 0 || Object.is(x, -0) ? `-${body}` : body;
  }
  const sep = () => `${jsonGap(ch)},${jsonGap(ch)}`;
  if (Array.isArray(value)) return `[${jsonGap(ch)}${value.map((item) => printJson(item, ch)).join(sep())}${jsonGap(ch)}]`;
  const entries = [...value].map(([k, v]) => `${jsonString(k, ch)}${jsonGap(ch)}:${jsonGap(ch)}${printJson(v, ch)}`);
  return `{${jsonGap(ch)}${entries.join(sep())}${jsonGap(ch)}}`;
}

// ---------------------------------------------------------------------------------------------
// JSON5 printer

/** A comment or whitespace json5 skips; the Python parser chokes on the comments. */
function json5Gap(ch: Chooser): string {
  switch (ch.int(7)) {
    case 1:
      return ' ';
    case 2:
      return ch.pick(['\n', '\t', '\r\n', '\u00a0', '\v', '\f', '\u2028'] as const);
    case 3:
      return `//${ch.pick(['', ' c', " it's", '/*'] as const)}\n`;
    case 4:
      return `/*${ch.pick(['', ' c ', '\n', '*', '//'] as const)}*/`;
    default:
      return '';
  }
}

/**
 * Marks a text as JSON5-only (the Python parser fails on its first character), so that
 * parseLiteralParam hands it to json5 and its JSON5 semantics are what to expect.
 */
function json5Marker(ch: Chooser): string {
  return ch.pick(['/**/', '// json5\n', '/* x */ ', '//\r\n'] as const);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function json5String(text: string, ch: Chooser): string {
  const quote = ch.pick(["'", '"'] as const);
  let out = quote;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const code = text.charCodeAt(i);
    const next = text[i + 1];
    if (c === quote || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += ch.pick(['\\n', '\\u000a', '\\x0A'] as const);
    else if (c === '\r') out += ch.pick(['\\r', '\\u000D'] as const);
    else if (c === '\0' && !(next !== undefined && next >= '0' && next <= '9') && ch.chance()) out += '\\0';
    else if (code < 0x20 || code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff) || code === 0x7f) out += `\\u${hex(code, 4)}`;
    else if (ch.int(8) === 1) out += code < 0x100 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
    else out += c;
    if (ch.int(25) === 1) out += '\\\n';
  }
  return `${out}${quote}`;
}

function json5Number(value: number | bigint | PyFloat, ch: Chooser): string {
  if (value instanceof PyFloat) {
    const x = value.value;
    const negative = x < 0 || Object.is(x, -0);
    const body = floatBody(Math.abs(x), ch, false);
    return negative ? `-${body}` : `${ch.int(5) === 1 ? '+' : ''}${body}`;
  }
  const big = BigInt(value);
  const abs = big < 0n ? -big : big;
  const body = typeof value === 'number' && ch.int(4) === 1 ? `0x${abs.toString(16)}` : abs.toString();
  return big < 0n ? `-${body}` : `${ch.int(5) === 1 ? '+' : ''}${body}`;
}

function printJson5Value(value: PyValue, ch: Chooser): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return json5String(value, ch);
  if (typeof value === 'number' || typeof value === 'bigint' || value instanceof PyFloat) return json5Number(value, ch);
  const sep = () => `${json5Gap(ch)},${json5Gap(ch)}`;
  const trailing = (n: number) => (n > 0 && ch.chance() ? `${json5Gap(ch)},` : '');
  if (Array.isArray(value)) return `[${json5Gap(ch)}${value.map((item) => printJson5Value(item, ch)).join(sep())}${trailing(value.length)}${json5Gap(ch)}]`;
  const entries = [...value].map(([k, v]) => {
    const key = IDENTIFIER.test(k) && ch.int(3) !== 0 ? k : json5String(k, ch);
    return `${key}${json5Gap(ch)}:${json5Gap(ch)}${printJson5Value(v, ch)}`;
  });
  return `{${json5Gap(ch)}${entries.join(sep())}${trailing(entries.length)}${json5Gap(ch)}}`;
}

/** JSON5 text that only json5 reads (it starts with a comment): the same value, with Python's meaning for every string and number. */
export function printJson5(value: PyValue, ch: Chooser): string {
  return `${json5Marker(ch)}${printJson5Value(value, ch)}${json5Gap(ch)}`;
}

// ---------------------------------------------------------------------------------------------

export type LiteralStyle = 'python' | 'json' | 'json5';

/** `value` as text in `style`, with whatever the style allows around the value. */
export function printLiteral(value: PyValue, style: LiteralStyle, ch: Chooser): string {
  switch (style) {
    case 'python':
      return `${ch.int(3) === 1 ? pyGap(ch) : ''}${printPython(value, ch)}${ch.int(3) === 1 ? pyGap(ch).replace(/\\\r?\n/g, '') : ''}`;
    case 'json':
      return `${jsonGap(ch)}${printJson(value, ch)}${jsonGap(ch)}`;
    case 'json5':
      return printJson5(value, ch);
  }
}
