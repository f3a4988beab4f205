/**
 * The literal parser (lib/wire/literal.ts): parsePythonLiteral, parseLiteralParam and parseVals.
 *
 * 1. Round trip: a generated Python value printed as Python (quotes, escapes, tuples, int and
 *    float spellings, comments, trailing commas...), as JSON, or as JSON5 parses back to the same
 *    value (JSON5 too: parseLiteralParam reads its numbers and strings as Python does, so a float
 *    stays a float, a big int stays exact and a dict keeps its key order).
 * 2. Robustness: random text, token soup, mutations of valid literals, nesting around the depth
 *    bound and inputs around the length bound either parse to a well-formed PyValue (which then
 *    survives its own round trip) or fail with InvalidLiteralError: status 400, a reason, and a
 *    position inside the input that the message repeats. Nothing else may be thrown.
 */
import fc from 'fast-check';
import { BadRequestError, InvalidLiteralError } from '../../lib/errors';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH, parseLiteralParam, parsePythonLiteral, parseVals } from '../../lib/wire/literal';
import { PyFloat, type PyDict, type PyValue } from '../../lib/wire/pyvalue';
import { anyTextArb, mutatedArb, soupArb } from './mutate';
import {
  canonical,
  chooserOf,
  chooserSpecArb,
  Chooser,
  keyArb,
  printLiteral,
  printPython,
  pyValueArb,
  pyValueProblem,
  type LiteralStyle,
} from './pyvalues';
import { defineTarget, expectSameValue, fail, outcome, show, type Outcome } from './target';

export type LiteralCase =
  | { readonly kind: 'roundtrip'; readonly style: LiteralStyle; readonly value: PyValue; readonly text: string }
  | { readonly kind: 'unbraced'; readonly value: PyDict; readonly text: string }
  | { readonly kind: 'text'; readonly source: string; readonly text: string }
  | { readonly kind: 'depth'; readonly depth: number; readonly json5: boolean; readonly value: PyValue; readonly text: string; readonly failAt: number }
  | { readonly kind: 'length'; readonly value: PyValue; readonly text: string };

const PLAIN = new Chooser(0, 0);

export const LITERAL_TOKENS = fc.constantFrom(
  '[', ']', '(', ')', '{', '}', ',', ':', "'", '"', "'''", '"""', '\\', '#', '\n', '\r', '\r\n', ' ', '\t', '\f',
  '0', '1', '7', '9', '0x', '0o', '0b', '0X1f', '1e', 'e', 'E', '.', '-', '+', '_', 'j', 'L',
  'True', 'False', 'None', 'true', 'false', 'null', 'u', 'U', 'r', 'b', 'f', 'rb', 'br', 'ur', 'fr',
  'inf', 'nan', 'NaN', 'Infinity', '-Infinity', '1e999', '/*', '*/', '//', '\\x', '\\x4', '\\u', '\\u00e9', '\\U0010ffff', '\\U00110000',
  '\\N{DASH}', '\\0', '\\777', '\\\n', 'a', 'key', '\ud800', '\udc00', '😀', '\u2028', '\u00a0', '\ufeff', '\0',
  '__proto__', 'constructor', "'a'", '"b"', "u'c'", '12345678901234567890', '9'.repeat(4301), '1.5', '1_000', '0_0', '00', '01',
  'set()', 'lambda', '{1}', '...', 'Ellipsis', '*', '@', '`', '$', 'x:', "'k':", '1,', ',,',
);

const PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['[', ']'],
  ['(', ')'],
  ['{', '}'],
  ["{'k': ", '}'],
  ['{1: ', '}'],
  ['[1, ', ']'],
  ["'", "'"],
];

const STYLES: readonly LiteralStyle[] = ['python', 'json', 'json5'];

const printedArb = fc
  .tuple(pyValueArb(), fc.constantFrom(...STYLES), chooserSpecArb)
  .map(([value, style, spec]) => ({ value, style, text: printLiteral(value, style, chooserOf(spec)) }));

/**
 * Containers nested exactly `depth` deep (Python lists, tuples, parenthesised values and dicts, or
 * JSON5 lists and dicts) around a scalar or with an empty innermost container. The parser counts
 * every opening bracket, so the 33rd opener is where a depth beyond the bound must fail.
 */
function nestedArb(): fc.Arbitrary<LiteralCase> {
  const depth = fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: DEFAULT_MAX_DEPTH + 8 }), weight: 8 },
    // At most 7 characters a level: the deepest texts stay under the length bound.
    { arbitrary: fc.integer({ min: DEFAULT_MAX_DEPTH + 1, max: 12_000 }), weight: 1 },
  );
  const kind = fc.constantFrom('list', 'tuple', 'paren', 'dict');
  return fc
    .tuple(depth, fc.array(kind, { minLength: 1, maxLength: 8 }), fc.boolean(), fc.boolean())
    .map(([n, kinds, json5, emptyCore]): LiteralCase => {
      const prefix = json5 ? '/**/' : '';
      const kindAt = (i: number): string => {
        const k = kinds[i % kinds.length] as string;
        return json5 && (k === 'tuple' || k === 'paren') ? 'list' : k;
      };
      // The innermost level: a scalar inside the last layer, or the last layer left empty.
      const innermost = kindAt(n - 1);
      let core = '1';
      let value: PyValue = 1;
      let layers = n;
      if (emptyCore) {
        layers = n - 1;
        if (innermost === 'dict') {
          core = '{}';
          value = new Map();
        } else {
          core = innermost === 'list' ? '[]' : '()';
          value = [];
        }
      }
      let open = '';
      let close = '';
      let failAt = -1;
      for (let i = 0; i < layers; i++) {
        if (i === DEFAULT_MAX_DEPTH) failAt = prefix.length + open.length;
        const k = kindAt(i);
        open += k === 'list' ? '[' : k === 'dict' ? (json5 ? '{k: ' : "{'k': ") : '(';
      }
      if (emptyCore && layers === DEFAULT_MAX_DEPTH) failAt = prefix.length + open.length;
      for (let i = layers - 1; i >= 0; i--) {
        const k = kindAt(i);
        close += k === 'list' ? ']' : k === 'dict' ? '}' : k === 'tuple' ? ',)' : ')';
        if (n <= DEFAULT_MAX_DEPTH) value = k === 'list' || k === 'tuple' ? [value] : k === 'dict' ? new Map([['k', value]]) : value;
      }
      return { kind: 'depth', depth: n, json5, value, text: `${prefix}${open}${core}${close}`, failAt };
    });
}

/** Inputs of exactly DEFAULT_MAX_LENGTH + delta characters, for delta around 0. */
function lengthArb(): fc.Arbitrary<LiteralCase> {
  return fc
    .tuple(fc.integer({ min: -3, max: 3 }), fc.constantFrom('string', 'list', 'padding', 'json5'))
    .map(([delta, shape]): LiteralCase => {
      const total = DEFAULT_MAX_LENGTH + delta;
      switch (shape) {
        case 'string': {
          const value = 'a'.repeat(total - 2);
          return { kind: 'length', value, text: `'${value}'` };
        }
        case 'list': {
          const count = Math.floor((total - 2) / 2);
          const text = `[${'7,'.repeat(count - 1)}7]`.padEnd(total, ' ');
          return { kind: 'length', value: Array.from({ length: count }, () => 7), text };
        }
        case 'padding':
          return { kind: 'length', value: new Map([['a', [1, new PyFloat(2.5)]]]), text: `${"{'a': [1, 2.5e0]}".padEnd(total - 2, ' ')}#\n` };
        default:
          return { kind: 'length', value: new Map([['a', 1]]), text: '/**/{a: 1}'.padEnd(total, ' ') };
      }
    });
}

const unbracedArb: fc.Arbitrary<LiteralCase> = fc
  .tuple(fc.array(fc.tuple(keyArb, pyValueArb({ maxDepth: DEFAULT_MAX_DEPTH - 1 })), { minLength: 1, maxLength: 5 }), chooserSpecArb)
  .map(([pairs, spec]) => {
    const value: PyDict = new Map(pairs);
    let text = printPython(value, chooserOf(spec));
    if (!text.startsWith('{')) text = printPython(value, PLAIN);
    return { kind: 'unbraced', value, text: text.slice(1, -1) };
  });

export const literalCaseArb: fc.Arbitrary<LiteralCase> = fc.oneof(
  { arbitrary: printedArb.map(({ value, style, text }): LiteralCase => ({ kind: 'roundtrip', style, value, text })), weight: 60 },
  { arbitrary: unbracedArb, weight: 8 },
  { arbitrary: anyTextArb.map((text): LiteralCase => ({ kind: 'text', source: 'random', text })), weight: 16 },
  { arbitrary: soupArb(LITERAL_TOKENS).map((text): LiteralCase => ({ kind: 'text', source: 'soup', text })), weight: 24 },
  {
    arbitrary: mutatedArb(
      printedArb.map(({ text }) => text),
      { tokens: LITERAL_TOKENS, pairs: PAIRS },
    ).map((text): LiteralCase => ({ kind: 'text', source: 'mutated', text })),
    weight: 60,
  },
  { arbitrary: nestedArb(), weight: 10 },
  // 100 000 characters each: a few per thousand cases are enough to keep the bound honest.
  { arbitrary: lengthArb(), weight: 1 },
);

// ---------------------------------------------------------------------------------------------

const PARAM = 'vals';

/** Checks an InvalidLiteralError's fields against the input it came from. */
function checkLiteralError(label: string, error: InvalidLiteralError, text: string, param: string | undefined): void {
  const { position, reason } = error;
  if (!Number.isInteger(position) || position < 0 || position > text.length) fail(`${label}: position ${position} outside the input (length ${text.length})`);
  if (typeof reason !== 'string' || reason === '') fail(`${label}: no reason`);
  const expected = `${param === undefined ? 'Cannot parse value' : `Cannot parse '${param}'`}: ${reason} at position ${position}`;
  if (error.message !== expected) fail(`${label}: message ${show(error.message)}, expected ${show(expected)}`);
  if (error.code !== 'INVALID_LITERAL' || error.status !== 400) fail(`${label}: code ${error.code} status ${error.status}`);
  if (error.param !== param) fail(`${label}: param ${String(error.param)}, expected ${String(param)}`);
}

/** A parsed value must be a well-formed PyValue, and printing it as Python must read back the same. */
function checkParsedValue(label: string, value: PyValue, text: string): void {
  const problem = pyValueProblem(value);
  if (problem !== undefined) fail(`${label} returned a malformed value (${problem}) for ${show(text)}`);
  const reprinted = printPython(value, PLAIN);
  // A hexadecimal literal can make an int whose decimal text passes Python's (and our) limit of
  // 4,300 digits: such a value has no decimal text to read back (Python's repr() refuses it too).
  if (/[0-9]{4301}/.test(reprinted)) return;
  const again = outcome(`${label}, re-parsing its value's Python text ${show(reprinted)}`, () => parsePythonLiteral(reprinted, { maxLength: reprinted.length }), []);
  if (again.ok) expectSameValue(`${label}: the value's own Python text`, again.value, value, reprinted);
}

/**
 * json5 reports a raw U+2028/U+2029 inside a string with console.warn (it is valid JSON5 but not
 * ECMAScript); the properties print nothing, so those warnings are swallowed while parsing.
 */
export function withoutConsoleWarnings<T>(run: () => T): T {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    return run();
  } finally {
    console.warn = warn;
  }
}

function parseAll(text: string): { python: Outcome<PyValue>; param: Outcome<PyValue>; vals: Outcome<PyDict> } {
  return withoutConsoleWarnings(() => parseAllLoudly(text));
}

function parseAllLoudly(text: string): { python: Outcome<PyValue>; param: Outcome<PyValue>; vals: Outcome<PyDict> } {
  const python = outcome('parsePythonLiteral', () => parsePythonLiteral(text), [[InvalidLiteralError, 400]]);
  const param = outcome('parseLiteralParam', () => parseLiteralParam(text, PARAM), [[InvalidLiteralError, 400]]);
  const vals = outcome('parseVals', () => parseVals(text), [
    [InvalidLiteralError, 400],
    [BadRequestError, 400],
  ]);
  return { python, param, vals };
}

/** Whatever the text: a value or a proper 400, and the three entry points agree with each other. */
function checkRobust(text: string): ReturnType<typeof parseAll> {
  const results = parseAll(text);
  const { python, param, vals } = results;
  if (python.ok) {
    checkParsedValue('parsePythonLiteral', python.value, text);
    // The Python parser goes first, so its value is parseLiteralParam's.
    if (!param.ok) fail(`parsePythonLiteral parsed ${show(text)} but parseLiteralParam threw ${param.error.message}`);
    expectSameValue('parseLiteralParam vs parsePythonLiteral', param.value, python.value, text);
  } else {
    checkLiteralError('parsePythonLiteral', python.error as InvalidLiteralError, text, undefined);
  }
  if (param.ok) {
    checkParsedValue('parseLiteralParam', param.value, text);
  } else {
    checkLiteralError('parseLiteralParam', param.error as InvalidLiteralError, text, PARAM);
  }
  if (vals.ok) {
    checkParsedValue('parseVals', vals.value, text);
    if (!(vals.value instanceof Map)) fail(`parseVals returned a non-dict for ${show(text)}`);
    // Either the literal itself or, when it does not parse, the same text read inside braces.
    if (param.ok) expectSameValue('parseVals vs parseLiteralParam', vals.value, param.value, text);
    else if (text.trimStart().startsWith('{')) fail(`parseVals read ${show(text)} although it starts with '{' and does not parse`);
  } else if (vals.error instanceof InvalidLiteralError) {
    checkLiteralError('parseVals', vals.error, text, PARAM);
    if (param.ok) fail(`parseVals threw ${vals.error.message} on ${show(text)}, which parseLiteralParam parses`);
  } else if (!param.ok || param.value instanceof Map) {
    fail(`parseVals threw ${vals.error.message} on ${show(text)}, whose literal is ${param.ok ? 'a dict' : 'not valid'}`);
  }
  return results;
}

export function checkLiteralCase(input: LiteralCase): void {
  const results = checkRobust(input.text);
  switch (input.kind) {
    case 'roundtrip': {
      const expected = input.value;
      if (input.style !== 'json5') {
        if (!results.python.ok) fail(`parsePythonLiteral refused the ${input.style} text ${show(input.text, 600)} of ${show(canonical(input.value))}: ${results.python.error.message}`);
        expectSameValue(`parsePythonLiteral of ${input.style} text`, results.python.value, expected, input.text);
      }
      if (input.style === 'json5' && !results.param.ok && hasConstantKey(input.value) && results.param.error instanceof InvalidLiteralError && results.param.error.reason === 'dict keys must be strings or integers') {
        // An unquoted JSON5 key True/False/None is what Python reads as a constant: refused, not renamed.
        return;
      }
      if (!results.param.ok) fail(`parseLiteralParam refused the ${input.style} text ${show(input.text, 600)} of ${show(canonical(input.value))}: ${results.param.error.message}`);
      expectSameValue(`parseLiteralParam of ${input.style} text`, results.param.value, expected, input.text);
      if (expected instanceof Map) {
        if (!results.vals.ok) fail(`parseVals refused the ${input.style} text ${show(input.text)}: ${results.vals.error.message}`);
        expectSameValue(`parseVals of ${input.style} text`, results.vals.value, expected, input.text);
      }
      return;
    }
    case 'unbraced':
      if (!results.vals.ok) fail(`parseVals refused the dict text without its braces ${show(input.text)}: ${results.vals.error.message}`);
      expectSameValue('parseVals of a dict without its braces', results.vals.value, input.value, input.text);
      return;
    case 'depth': {
      if (input.depth <= DEFAULT_MAX_DEPTH) {
        if (!results.param.ok) fail(`nesting ${input.depth} deep (within the bound) refused: ${results.param.error.message}`);
        expectSameValue(`nesting ${input.depth} deep`, results.param.value, input.value, input.text);
        return;
      }
      if (results.param.ok) fail(`nesting ${input.depth} deep (beyond the bound ${DEFAULT_MAX_DEPTH}) was accepted: ${show(input.text)}`);
      const error = results.param.error as InvalidLiteralError;
      const reason = `nesting deeper than ${DEFAULT_MAX_DEPTH}`;
      if (error.reason !== reason || error.position !== input.failAt) {
        fail(`nesting ${input.depth} deep${input.json5 ? ' (JSON5)' : ''}: ${show(error.message)}, expected ${show(reason)} at position ${input.failAt}`);
      }
      return;
    }
    case 'length': {
      if (input.text.length <= DEFAULT_MAX_LENGTH) {
        if (!results.param.ok) fail(`an input of ${input.text.length} characters (within the bound) refused: ${results.param.error.message}`);
        expectSameValue(`an input of ${input.text.length} characters`, results.param.value, input.value);
        return;
      }
      if (results.param.ok) fail(`an input of ${input.text.length} characters (beyond the bound) was accepted`);
      const error = results.param.error as InvalidLiteralError;
      if (error.reason !== `input longer than ${DEFAULT_MAX_LENGTH} characters` || error.position !== DEFAULT_MAX_LENGTH) fail(`oversize input: ${error.message}`);
      return;
    }
    case 'text':
      return;
  }
}

/**
 * Whether a dict in `value` has the key True, False or None: printed unquoted in JSON5, Python
 * reads it as a constant (a dict key the wire cannot carry), so parseLiteralParam refuses it.
 */
export function hasConstantKey(value: PyValue): boolean {
  if (Array.isArray(value)) return value.some(hasConstantKey);
  if (!(value instanceof Map)) return false;
  return [...value].some(([key, item]) => key === 'True' || key === 'False' || key === 'None' || hasConstantKey(item));
}

export const literalTarget = defineTarget(
  'literal',
  'Python/JSON/JSON5 literals print and parse back equal; any other text gives a value or a 400 InvalidLiteralError with its position',
  literalCaseArb,
  checkLiteralCase,
);
