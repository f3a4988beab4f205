/**
 * Parses the Python-literal query parameters (`vals`, `domain`, `fields`, ...) that the original
 * Odoo `restapi` module fed to Python's eval (falling back to json.loads).
 *
 * This parser is hand-written on purpose: eval is forbidden (it is remote code execution), and
 * Python literal syntax has no well-kept JavaScript parser. It accepts only a safe literal subset:
 * dict, list, tuple, str, int, float, True/False/None (plus JSON's true/false/null). JSON5-only
 * syntax (unquoted keys, // comments, ...) is left to the `json5` package in parseLiteralParam.
 *
 * Robustness rules: the input length is bounded before any work, container nesting is bounded and
 * tracked on an explicit stack (so no input can overflow the call stack, whatever maxDepth is), and
 * every scan moves forward only, so parsing is linear in the input length.
 */
import JSON5 from 'json5';
import { BadRequestError, InvalidLiteralError } from '../errors';
import { PyFloat, type PyDict, type PyValue } from './pyvalue';

export interface LiteralOptions {
  /** Deepest allowed nesting of dicts/lists/tuples (parentheses count too). Default 32. */
  maxDepth?: number;
  /** Longest accepted input, in UTF-16 code units. Default 100 000. */
  maxLength?: number;
}

export const DEFAULT_MAX_DEPTH = 32;
export const DEFAULT_MAX_LENGTH = 100_000;

const NAN_REASON = 'NaN and Infinity are not allowed';

/**
 * CPython (3.11+) refuses decimal int literals longer than this, because converting them is
 * quadratic; following it keeps our BigInt conversion cheap and rejects what Python rejected.
 */
const MAX_DECIMAL_DIGITS = 4300;

const DEC_INT = /^(?:[1-9](?:_?[0-9])*|0(?:_?0)*)$/;
const LEADING_ZERO_INT = /^0(?:_?[0-9])+$/;
const HEX_INT = /^0[xX](?:_?[0-9a-fA-F])+$/;
const OCT_INT = /^0[oO](?:_?[0-7])+$/;
const BIN_INT = /^0[bB](?:_?[01])+$/;
const DIGITS = '[0-9](?:_?[0-9])*';
const FLOAT = new RegExp(
  `^(?:(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.)(?:[eE][+-]?${DIGITS})?|${DIGITS}[eE][+-]?${DIGITS})$`,
);

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

const WORD = /[\p{ID_Start}_][\p{ID_Continue}]*/uy;
const NUMBER_RUN = /[0-9A-Za-z_.]*/y;
const HEX = /^[0-9a-fA-F]+$/;
/** Words Python reads as a string prefix when a quote follows (u, r, b, f, t and their pairs). */
const STRING_PREFIX = /^[rbfut]{1,2}$/i;

type Frame =
  | { kind: 'list'; items: PyValue[]; itemStart: number }
  // '(' is either a parenthesised value or a tuple; a comma is what makes it a tuple.
  | { kind: 'paren'; items: PyValue[]; itemStart: number; sawComma: boolean }
  | { kind: 'dict'; map: PyDict; itemStart: number; key: string | undefined };

const CLOSER = { list: ']', paren: ')', dict: '}' } as const;

/** Shows a character in an error message without letting control characters or quotes garble it. */
function showChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (c === "'") return `"'"`;
  if (code >= 0x21 && code <= 0x7e) return `'${c}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

function showWord(word: string): string {
  return word.length > 40 ? `${word.slice(0, 40)}...` : word;
}

class PythonLiteralParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parse(): PyValue {
    this.skipTrivia();
    if (this.pos >= this.text.length) throw this.fail('empty input');
    const value = this.parseValue();
    this.skipTrivia();
    if (this.pos < this.text.length) throw this.fail('unexpected text after the value');
    return value;
  }

  private fail(reason: string, at = this.pos): InvalidLiteralError {
    return new InvalidLiteralError(reason, at);
  }

  private failEnd(): InvalidLiteralError {
    return this.fail('unexpected end of input', this.text.length);
  }

  /** Skips what Python's tokenizer skips between tokens: blanks, newlines, comments, `\`-newline. */
  private skipTrivia(): void {
    const { text } = this;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
        this.pos++;
      } else if (c === '#') {
        while (this.pos < text.length && text[this.pos] !== '\n' && text[this.pos] !== '\r') this.pos++;
      } else if (c === '\\' && (text[this.pos + 1] === '\n' || text[this.pos + 1] === '\r')) {
        this.pos += 2;
      } else {
        return;
      }
    }
  }

  /**
   * One value, containers included. Containers live on an explicit stack rather than the call
   * stack so that the depth bound, not the engine's stack size, decides how deep input may go.
   */
  private parseValue(): PyValue {
    const stack: Frame[] = [];
    for (;;) {
      this.skipTrivia();
      const top = stack[stack.length - 1];
      if (top) top.itemStart = this.pos;
      const c = this.text[this.pos];
      let value: PyValue;
      if (c === '[' || c === '(' || c === '{') {
        if (stack.length >= this.maxDepth) throw this.fail(`nesting deeper than ${this.maxDepth}`);
        this.pos++;
        const frame: Frame =
          c === '['
            ? { kind: 'list', items: [], itemStart: this.pos }
            : c === '('
              ? { kind: 'paren', items: [], itemStart: this.pos, sawComma: false }
              : { kind: 'dict', map: new Map(), itemStart: this.pos, key: undefined };
        this.skipTrivia();
        if (this.text[this.pos] !== CLOSER[frame.kind]) {
          stack.push(frame);
          continue;
        }
        this.pos++;
        value = frame.kind === 'dict' ? frame.map : frame.items;
      } else {
        value = this.parseScalar(top);
      }

      // Hand the finished value to the enclosing containers, closing each one that ends here.
      for (;;) {
        const frame = stack[stack.length - 1];
        if (!frame) return value;
        if (frame.kind === 'dict' && frame.key === undefined) {
          frame.key = this.dictKey(value, frame.itemStart);
          this.skipTrivia();
          const next = this.text[this.pos];
          if (next === ':') {
            this.pos++;
            break;
          }
          if (next === undefined) throw this.failEnd();
          if (frame.map.size === 0 && (next === ',' || next === '}')) throw this.fail('sets are not allowed');
          throw this.fail("expected ':' after dict key");
        }
        if (frame.kind === 'dict') {
          // Map.set on an existing key keeps its first position and takes the new value, as Python does.
          frame.map.set(frame.key as string, value);
          frame.key = undefined;
        } else {
          frame.items.push(value);
        }
        this.skipTrivia();
        const next = this.text[this.pos];
        const closer = CLOSER[frame.kind];
        if (next === ',') {
          this.pos++;
          if (frame.kind === 'paren') frame.sawComma = true;
          this.skipTrivia();
          if (this.text[this.pos] !== closer) break;
        } else if (next === undefined) {
          throw this.failEnd();
        } else if (next !== closer) {
          throw this.fail(
            frame.kind === 'list'
              ? "expected ',' or ']' after list item"
              : frame.kind === 'dict'
                ? "expected ',' or '}' after dict value"
                : "expected ',' or ')'",
          );
        }
        this.pos++;
        stack.pop();
        if (frame.kind === 'dict') value = frame.map;
        else if (frame.kind === 'paren' && !frame.sawComma) value = frame.items[0] ?? null;
        else value = frame.items;
      }
    }
  }

  private dictKey(key: PyValue, at: number): string {
    if (typeof key === 'string') return key;
    if (typeof key === 'number' || typeof key === 'bigint') return String(key);
    throw this.fail('dict keys must be strings or integers', at);
  }

  private parseScalar(container: Frame | undefined): PyValue {
    const { text } = this;
    const start = this.pos;
    const c = text[start];
    if (c === undefined) throw this.failEnd();
    if (c === "'" || c === '"') return this.parseStrings();
    if (isDigit(c) || (c === '.' && isDigit(text[start + 1]))) return this.parseNumber(false);
    if (c === '+' || c === '-') {
      this.pos++;
      this.skipTrivia();
      const next = text[this.pos];
      if (next === undefined) throw this.failEnd();
      if (next === '+' || next === '-') throw this.fail('a unary sign is only allowed once');
      if (isDigit(next) || (next === '.' && isDigit(text[this.pos + 1]))) return this.parseNumber(c === '-');
      const word = this.peekWord();
      if (word !== undefined && isNanOrInfinity(word)) throw this.fail(NAN_REASON);
      throw this.fail('a sign must be followed by a number');
    }
    const word = this.peekWord();
    if (word !== undefined) return this.parseWord(word);
    if (c === ',' || c === ':' || c === ')' || c === ']' || c === '}') {
      throw this.fail(
        container?.kind === 'dict' && container.key === undefined ? 'expected a dict key' : 'expected a value',
      );
    }
    throw this.fail(`unexpected character ${showChar(String.fromCodePoint(text.codePointAt(start) ?? 0))}`);
  }

  private peekWord(): string | undefined {
    WORD.lastIndex = this.pos;
    return WORD.exec(this.text)?.[0];
  }

  private parseWord(word: string): PyValue {
    const start = this.pos;
    const after = this.text[start + word.length];
    if ((after === "'" || after === '"') && STRING_PREFIX.test(word)) {
      const prefixError = stringPrefixError(word);
      if (prefixError === undefined) return this.parseStrings();
      throw this.fail(prefixError);
    }
    this.pos += word.length;
    switch (word) {
      case 'True':
      case 'true':
        return true;
      case 'False':
      case 'false':
        return false;
      case 'None':
      case 'null':
        return null;
    }
    this.pos = start;
    if (isNanOrInfinity(word)) throw this.fail(NAN_REASON);
    throw this.fail(`bare word '${showWord(word)}' is not a value (quote strings)`);
  }

  /** A string literal plus any adjacent ones, which Python concatenates ('a' 'b' == 'ab'). */
  private parseStrings(): string {
    let result = this.parseOneString();
    for (;;) {
      const save = this.pos;
      this.skipTrivia();
      const c = this.text[this.pos];
      if (c === "'" || c === '"') {
        result += this.parseOneString();
        continue;
      }
      const word = this.peekWord();
      const after = word === undefined ? undefined : this.text[this.pos + word.length];
      if (word !== undefined && (after === "'" || after === '"') && STRING_PREFIX.test(word)) {
        const prefixError = stringPrefixError(word);
        if (prefixError !== undefined) throw this.fail(prefixError);
        result += this.parseOneString();
        continue;
      }
      this.pos = save;
      return result;
    }
  }

  /** One literal at this.pos, optionally behind a u/U prefix (the only prefix we accept). */
  private parseOneString(): string {
    const { text } = this;
    const start = this.pos;
    if (text[this.pos] === 'u' || text[this.pos] === 'U') this.pos++;
    const quote = text[this.pos] as string;
    const triple = text.startsWith(quote.repeat(3), this.pos);
    this.pos += triple ? 3 : 1;
    const special = triple ? (quote === "'" ? /['\\\r]/g : /["\\\r]/g) : quote === "'" ? /['\\\n\r]/g : /["\\\n\r]/g;
    const parts: string[] = [];
    let chunk = this.pos;
    for (;;) {
      special.lastIndex = this.pos;
      const match = special.exec(text);
      if (!match) throw this.fail('unterminated string', start);
      const i = match.index;
      const c = match[0];
      if (c === quote) {
        if (!triple || text.startsWith(quote.repeat(3), i)) {
          parts.push(text.slice(chunk, i));
          this.pos = i + (triple ? 3 : 1);
          return parts.join('');
        }
        this.pos = i + 1;
        continue;
      }
      if (c === '\n' || c === '\r') {
        if (!triple) throw this.fail('unterminated string', start);
        // Python's tokenizer turns \r\n and lone \r into \n before a string ever sees them.
        parts.push(text.slice(chunk, i), '\n');
        this.pos = i + (c === '\r' && text[i + 1] === '\n' ? 2 : 1);
        chunk = this.pos;
        continue;
      }
      parts.push(text.slice(chunk, i));
      this.pos = this.escape(i, start, parts);
      chunk = this.pos;
    }
  }

  /** Decodes the escape whose backslash is at `at` into parts; returns where the string resumes. */
  private escape(at: number, stringStart: number, parts: string[]): number {
    const { text } = this;
    const e = text[at + 1];
    if (e === undefined) throw this.fail('unterminated string', stringStart);
    if (e === '\n') return at + 2;
    if (e === '\r') return at + (text[at + 2] === '\n' ? 3 : 2);
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      parts.push(simple);
      return at + 2;
    }
    if (e >= '0' && e <= '7') {
      let end = at + 2;
      while (end < at + 4 && (text[end] ?? '') >= '0' && (text[end] ?? '') <= '7') end++;
      parts.push(String.fromCharCode(parseInt(text.slice(at + 1, end), 8)));
      return end;
    }
    const hexLength = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLength > 0) {
      const hex = text.slice(at + 2, at + 2 + hexLength);
      if (hex.length !== hexLength || !HEX.test(hex)) {
        throw this.fail(`truncated \\${e}${'X'.repeat(hexLength)} escape`, at);
      }
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) throw this.fail('illegal Unicode character in \\U escape', at);
      // fromCodePoint, unlike a JS string literal, keeps a lone surrogate as Python does.
      parts.push(String.fromCodePoint(code));
      return at + 2 + hexLength;
    }
    if (e === 'N') throw this.fail('\\N{...} escapes are not supported', at);
    // Python keeps unknown escapes (\q, \/) verbatim, backslash included.
    parts.push('\\');
    return at + 1;
  }

  private parseNumber(negative: boolean): PyValue {
    const { text } = this;
    const start = this.pos;
    let end = start;
    // The run is every character that could glue onto a number, so `1abc` fails as one token.
    const hexLike = text[start] === '0' && (text[start + 1] === 'x' || text[start + 1] === 'X');
    for (;;) {
      NUMBER_RUN.lastIndex = end;
      end += NUMBER_RUN.exec(text)?.[0].length ?? 0;
      const prev = text[end - 1];
      const sign = text[end];
      if (!hexLike && (prev === 'e' || prev === 'E') && (sign === '+' || sign === '-')) end++;
      else break;
    }
    const token = text.slice(start, end);
    const digits = token.replace(/_/g, '');

    if (FLOAT.test(token)) {
      const value = Number(digits);
      if (!Number.isFinite(value)) throw this.fail('float literal out of range', start);
      this.pos = end;
      return new PyFloat(negative ? -value : value);
    }
    let big: bigint;
    if (DEC_INT.test(token)) {
      if (digits.length <= 15) {
        this.pos = end;
        const small = Number(digits);
        return negative && small !== 0 ? -small : small;
      }
      if (digits.length > MAX_DECIMAL_DIGITS) {
        throw this.fail(`integer literal longer than ${MAX_DECIMAL_DIGITS} digits (use hexadecimal)`, start);
      }
      big = BigInt(digits);
    } else if (HEX_INT.test(token) || OCT_INT.test(token) || BIN_INT.test(token)) {
      big = BigInt(digits);
    } else {
      throw this.fail(numberError(token), start);
    }
    this.pos = end;
    if (negative) big = -big;
    const asNumber = Number(big);
    return Number.isSafeInteger(asNumber) ? asNumber : big;
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isNanOrInfinity(word: string): boolean {
  const lower = word.toLowerCase();
  return lower === 'nan' || lower === 'inf' || lower === 'infinity';
}

/** Why a word directly before a quote is not an acceptable string prefix; undefined if it is. */
function stringPrefixError(prefix: string): string | undefined {
  const lower = prefix.toLowerCase();
  if (lower === 'u') return undefined;
  if (lower === 'b' || lower === 'br' || lower === 'rb') return 'byte strings are not allowed';
  if (lower === 'f' || lower === 'fr' || lower === 'rf') return 'f-strings are not allowed';
  if (lower === 'r') return 'raw strings are not allowed';
  return `string prefix '${showWord(prefix)}' is not allowed`;
}

function numberError(token: string): string {
  if (/[jJ]$/.test(token) && (FLOAT.test(token.slice(0, -1)) || DEC_INT.test(token.slice(0, -1)))) {
    return 'complex numbers are not allowed';
  }
  if (LEADING_ZERO_INT.test(token)) return 'leading zeros are not allowed in integers (use 0o for octal)';
  const base = /^0[xX]/.test(token)
    ? 'hexadecimal '
    : /^0[oO]/.test(token)
      ? 'octal '
      : /^0[bB]/.test(token)
        ? 'binary '
        : '';
  return `invalid ${base}number literal`;
}

function checkLength(text: string, maxLength: number): void {
  if (text.length > maxLength) throw new InvalidLiteralError(`input longer than ${maxLength} characters`, maxLength);
}

/**
 * Parses a Python literal (dict, list, tuple, str, int, float, True/False/None, and JSON's
 * true/false/null) into a PyValue, never evaluating anything.
 * @throws InvalidLiteralError with the offset where parsing stopped.
 */
export function parsePythonLiteral(text: string, options: LiteralOptions = {}): PyValue {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  checkLength(text, maxLength);
  return new PythonLiteralParser(text, options.maxDepth ?? DEFAULT_MAX_DEPTH).parse();
}

type ConversionJob =
  | { src: readonly unknown[]; keys: null; next: number; dst: PyValue[]; depth: number }
  | { src: Readonly<Record<string, unknown>>; keys: string[]; next: number; dst: PyDict; depth: number };

/**
 * Turns a JSON5 result into a PyValue. Iterative for the same reason as the parser: json5 itself
 * is iterative and happily returns values nested far deeper than the call stack allows.
 */
function fromJson5(root: unknown, maxDepth: number): PyValue {
  const jobs: ConversionJob[] = [];
  const convert = (value: unknown, depth: number): PyValue => {
    if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new InvalidLiteralError(NAN_REASON, 0);
      // Beyond 2**53 the double no longer holds the literal's digits, so it is honestly a float.
      if (Number.isSafeInteger(value)) return value === 0 ? 0 : value;
      return new PyFloat(value);
    }
    if (typeof value !== 'object') throw new InvalidLiteralError('unsupported value', 0);
    if (depth > maxDepth) throw new InvalidLiteralError(`nesting deeper than ${maxDepth}`, 0);
    if (Array.isArray(value)) {
      const dst: PyValue[] = [];
      jobs.push({ src: value, keys: null, next: 0, dst, depth });
      return dst;
    }
    const dst: PyDict = new Map();
    // json5 defines every key with defineProperty, so even '__proto__' is an own, enumerable key here.
    const keys = Object.keys(value);
    // A JavaScript object lists integer-like keys first, whatever the text's order: a dict's order
    // would silently change, so such a dict is refused (the Python-literal or JSON form keeps it).
    if (keys.length > 1 && keys.some((key) => INDEX_KEY.test(key) && Number(key) < 2 ** 32 - 1)) {
      throw new InvalidLiteralError(
        'a JSON5 object with integer-like keys (their order would be lost); write it as a Python literal or JSON',
        0,
      );
    }
    jobs.push({ src: value as Record<string, unknown>, keys, next: 0, dst, depth });
    return dst;
  };
  const result = convert(root, 1);
  for (let job = jobs[jobs.length - 1]; job !== undefined; job = jobs[jobs.length - 1]) {
    if (job.keys === null) {
      if (job.next >= job.src.length) {
        jobs.pop();
        continue;
      }
      job.dst.push(convert(job.src[job.next++], job.depth + 1));
    } else {
      const key = job.keys[job.next++];
      if (key === undefined) {
        jobs.pop();
        continue;
      }
      job.dst.set(key, convert(job.src[key], job.depth + 1));
    }
  }
  return result;
}

/**
 * JSON5.parse without its console.warn: it prints one line per U+2028/U+2029 in a string, so a
 * single request could write thousands of unstructured lines past lib/runtime/log.ts. Synchronous, so
 * nothing else runs while the warning is muted.
 */
function quietJson5Parse(text: string): unknown {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    return JSON5.parse(text);
  } finally {
    console.warn = warn;
  }
}

/** A key JavaScript objects list before all others (an array index): JSON5's objects lose its place. */
const INDEX_KEY = /^(?:0|[1-9][0-9]{0,9})$/;

/**
 * Parses a request parameter the way the original did (Python literal first, then JSON), with
 * JSON5 standing in for json.loads so JSON-ish clients get the lenient syntax they expect.
 * @throws InvalidLiteralError naming `param`, carrying the Python parser's reason and position.
 */
export function parseLiteralParam(text: string, param: string, options: LiteralOptions = {}): PyValue {
  let pythonError: InvalidLiteralError;
  try {
    return parsePythonLiteral(text, options);
  } catch (error) {
    if (!(error instanceof InvalidLiteralError)) throw error;
    pythonError = error;
  }
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  // Over a bound, JSON5 would refuse too, only slower (a depth bomb costs it ~100x the time).
  if (text.length > maxLength || pythonError.reason.startsWith('nesting deeper')) throw pythonError.forParam(param);
  let parsed: unknown;
  try {
    parsed = quietJson5Parse(text);
  } catch {
    throw pythonError.forParam(param);
  }
  try {
    return fromJson5(parsed, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  } catch (error) {
    if (!(error instanceof InvalidLiteralError)) throw error;
    // Valid JSON5 with a value we refuse: its reason is the real one, but when the Python parser
    // saw the same problem it also knows the exact position.
    throw (error.reason === pythonError.reason ? pythonError : error).forParam(param);
  }
}

/**
 * The `vals` parameter: must be a dict of field names to values.
 *
 * The outer braces may be missing: curl treats `{...}` in a URL as a glob and strips them unless
 * given -g, so the documented `curl ".../res.partner?ids=17&vals={'street2':'x'}"` sends
 * `vals='street2':'x'`. Text of that shape can only mean a dict, so it is read as one.
 */
export function parseVals(text: string): PyDict {
  let value: PyValue;
  try {
    value = parseLiteralParam(text, 'vals');
  } catch (error) {
    const unbraced =
      error instanceof InvalidLiteralError && !text.trimStart().startsWith('{') ? parseUnbracedDict(text) : undefined;
    if (unbraced === undefined) throw error;
    value = unbraced;
  }
  if (!(value instanceof Map)) {
    throw new BadRequestError("'vals' must be a dict of field names to values, e.g. {'name': 'x'}");
  }
  return value;
}

function parseUnbracedDict(text: string): PyDict | undefined {
  try {
    const value = parsePythonLiteral(`{${text}}`);
    return value instanceof Map && value.size > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
