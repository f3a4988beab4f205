/**
 * Parses the Python-literal query parameters (`vals`, `domain`, `fields`, ...) that the original
 * Odoo `restapi` module fed to Python's eval (falling back to json.loads).
 *
 * This parser is hand-written on purpose: eval is forbidden (it is remote code execution), and
 * Python literal syntax has no well-kept JavaScript parser. It reads what CPython 3.11's
 * ast.literal_eval reads, as it reads it (escapes, raw strings, number forms, signs), for the values
 * the wire can carry: dict, list, tuple, str, int, float, True/False/None (plus JSON's
 * true/false/null). What literal_eval would return that has no place here (bytes, complex, sets,
 * bool, None, float or tuple dict keys, inf) is refused with a 400, never turned into something else.
 * JSON5-only syntax (unquoted keys, // comments, ...) is read by the same parser in its JSON5 mode,
 * so every token keeps its Python meaning there too (see parseLiteralParam).
 *
 * Robustness rules: the input length is bounded before any work, container nesting is bounded and
 * tracked on an explicit stack (so no input can overflow the call stack, whatever maxDepth is), and
 * every scan moves forward only, so parsing is linear in the input length.
 */
import JSON5 from 'json5';
import { BadRequestError, InvalidLiteralError } from '../errors';
import { PyFloat, type PyDict, type PyValue } from './pyvalue';
import { lookupUnicodeName } from './unicode-names';

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
/** What JSON5 skips besides Python's blanks: vertical tab, NBSP, BOM, line/paragraph separators, Zs. */
const JSON5_SPACE = /[\v\u00a0\ufeff\u2028\u2029\p{Zs}]/u;
/** A JSON5 (ECMAScript 5.1) IdentifierName, the form of an unquoted JSON5 key; \uXXXX escapes included. */
const JSON5_IDENTIFIER =
  /(?:[\p{L}\p{Nl}$_]|\\u[0-9a-fA-F]{4})(?:[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$\u200c\u200d]|\\u[0-9a-fA-F]{4})*/uy;

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

  /**
   * @param json5 also read JSON5's own syntax: // and /* *\/ comments, its extra blanks, and
   *   identifier dict keys. Strings, numbers and words keep their Python meaning.
   */
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
    private readonly json5 = false,
  ) {}

  parse(): PyValue {
    this.skipTrivia();
    if (this.pos >= this.text.length) throw this.fail('empty input');
    const start = this.pos;
    let value = this.parseValue(0);
    this.skipTrivia();
    if (this.text[this.pos] === ',') {
      // The first item is inside the tuple too: read again one level down, for the depth bound.
      this.pos = start;
      value = this.parseBareTuple();
      this.skipTrivia();
    }
    if (this.pos < this.text.length) throw this.fail('unexpected text after the value');
    return value;
  }

  /**
   * `'a', 'b'` or `1,`: at the top level a comma makes a tuple without parentheses, which
   * literal_eval (and the original's eval) read as one. Its items nest one level deeper.
   */
  private parseBareTuple(): PyValue[] {
    const items = [this.parseValue(1)];
    for (;;) {
      this.skipTrivia();
      if (this.text[this.pos] !== ',') return items;
      this.pos++;
      this.skipTrivia();
      if (this.pos >= this.text.length) return items;
      items.push(this.parseValue(1));
    }
  }

  private fail(reason: string, at = this.pos): InvalidLiteralError {
    return new InvalidLiteralError(reason, at);
  }

  private failEnd(): InvalidLiteralError {
    return this.fail('unexpected end of input', this.text.length);
  }

  /**
   * Skips what Python's tokenizer skips between tokens: blanks, newlines, comments, `\`-newline.
   * It is laxer about layout than Python, on purpose: a line break outside brackets (`'a'\n'b'`,
   * `1,\n2`), an indented first line, a last line of blanks or a `\`-newline at the very end are
   * errors there (the tokenizer's logical lines and indentation), but they change no value.
   */
  private skipTrivia(): void {
    const { text } = this;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
        this.pos++;
      } else if (c === '#') {
        while (this.pos < text.length && text[this.pos] !== '\n' && text[this.pos] !== '\r') this.pos++;
      } else if (c === '\\' && (text[this.pos + 1] === '\n' || text[this.pos + 1] === '\r')) {
        this.pos += text[this.pos + 1] === '\r' && text[this.pos + 2] === '\n' ? 3 : 2;
      } else if (this.json5 && c === '/' && text[this.pos + 1] === '/') {
        while (this.pos < text.length && !'\n\r\u2028\u2029'.includes(text[this.pos] as string)) this.pos++;
      } else if (this.json5 && c === '/' && text[this.pos + 1] === '*') {
        const end = text.indexOf('*/', this.pos + 2);
        this.pos = end < 0 ? text.length : end + 2;
      } else if (this.json5 && c !== undefined && JSON5_SPACE.test(c)) {
        this.pos++;
      } else {
        return;
      }
    }
  }

  /**
   * One value, containers included. Containers live on an explicit stack rather than the call
   * stack so that the depth bound, not the engine's stack size, decides how deep input may go.
   */
  private parseValue(outerDepth: number): PyValue {
    const stack: Frame[] = [];
    for (;;) {
      this.skipTrivia();
      const top = stack[stack.length - 1];
      if (top) top.itemStart = this.pos;
      const c = this.text[this.pos];
      let value: PyValue;
      if (c === '[' || c === '(' || c === '{') {
        if (outerDepth + stack.length >= this.maxDepth) throw this.fail(`nesting deeper than ${this.maxDepth}`);
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
        const key = top?.kind === 'dict' && top.key === undefined && this.json5 ? this.json5Key() : undefined;
        value = key ?? this.parseScalar(top, outerDepth + stack.length);
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

  private parseScalar(container: Frame | undefined, depth: number): PyValue {
    const { text } = this;
    const start = this.pos;
    const c = text[start];
    if (c === undefined) throw this.failEnd();
    if (c === "'" || c === '"') return this.parseStrings();
    if (isDigit(c) || (c === '.' && isDigit(text[start + 1]))) return this.parseNumber(false);
    if (c === '+' || c === '-') return this.parseSignedNumber(c === '-', depth);
    const word = this.peekWord();
    if (word !== undefined) return this.parseWord(word);
    if (c === ',' || c === ':' || c === ')' || c === ']' || c === '}') {
      throw this.fail(
        container?.kind === 'dict' && container.key === undefined ? 'expected a dict key' : 'expected a value',
      );
    }
    throw this.fail(`unexpected character ${showChar(String.fromCodePoint(text.codePointAt(start) ?? 0))}`);
  }

  /**
   * A sign and the number it applies to. Parentheses leave no trace in Python's syntax tree, so
   * literal_eval reads `-(5)` and `-((0o17))` as signed numbers; a sign before another sign, a
   * tuple, a bool or a complex sum is what it refuses (Lib/ast.py, _convert_signed_num).
   */
  private parseSignedNumber(negative: boolean, depth: number): PyValue {
    const { text } = this;
    this.pos++;
    this.skipTrivia();
    let parens = 0;
    while (text[this.pos] === '(') {
      if (depth + parens >= this.maxDepth) throw this.fail(`nesting deeper than ${this.maxDepth}`);
      parens++;
      this.pos++;
      this.skipTrivia();
    }
    const next = text[this.pos];
    if (next === undefined) throw this.failEnd();
    if (next === '+' || next === '-') throw this.fail('a unary sign is only allowed once');
    if (!isDigit(next) && !(next === '.' && isDigit(text[this.pos + 1]))) {
      const word = this.peekWord();
      if (word !== undefined && isNanOrInfinity(word)) throw this.fail(NAN_REASON);
      throw this.fail('a sign must be followed by a number');
    }
    const value = this.parseNumber(negative);
    for (; parens > 0; parens--) {
      this.skipTrivia();
      const close = text[this.pos];
      if (close === undefined) throw this.failEnd();
      if (close === ',') throw this.fail('a sign must be followed by a number, not a tuple');
      if (close !== ')') throw this.fail("expected ')'");
      this.pos++;
    }
    return value;
  }

  /**
   * An unquoted JSON5 key, or undefined when there is none here. True/False/None are not keys:
   * Python reads them as constants, and a dict with such keys is refused, not given other keys.
   */
  private json5Key(): string | undefined {
    JSON5_IDENTIFIER.lastIndex = this.pos;
    const word = JSON5_IDENTIFIER.exec(this.text)?.[0];
    if (word === undefined || word === 'True' || word === 'False' || word === 'None') return undefined;
    const after = this.text[this.pos + word.length];
    if ((after === "'" || after === '"') && STRING_PREFIX.test(word)) return undefined;
    this.pos += word.length;
    return word.replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
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

  /** One literal at this.pos, behind an accepted prefix (u, r or none; see stringPrefixError). */
  private parseOneString(): string {
    const { text } = this;
    const start = this.pos;
    let raw = false;
    while (text[this.pos] !== "'" && text[this.pos] !== '"') {
      if (text[this.pos] === 'r' || text[this.pos] === 'R') raw = true;
      this.pos++;
    }
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
      this.pos = raw ? this.rawEscape(i, start, parts) : this.escape(i, start, quote, parts);
      chunk = this.pos;
    }
  }

  /**
   * A backslash in a raw string: it and the character after it stay as they are (r'\n' is two
   * characters), but that character is still consumed, so a quote there does not end the string
   * and a raw string cannot end in an odd backslash, as in Python's tokenizer.
   */
  private rawEscape(at: number, stringStart: number, parts: string[]): number {
    const { text } = this;
    const e = text[at + 1];
    if (e === undefined) throw this.fail('unterminated string', stringStart);
    if (e === '\r') {
      parts.push('\\\n');
      return at + (text[at + 2] === '\n' ? 3 : 2);
    }
    // One UTF-16 unit is enough: the next scan copies a low surrogate after it with the chunk.
    parts.push('\\', e);
    return at + 2;
  }

  /** Decodes the escape whose backslash is at `at` into parts; returns where the string resumes. */
  private escape(at: number, stringStart: number, quote: string, parts: string[]): number {
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
    if (e === 'N') return this.namedEscape(at, quote, parts);
    // Python keeps unknown escapes (\q, \/) verbatim, backslash included.
    parts.push('\\');
    return at + 1;
  }

  /**
   * `\N{name}`: the character of that Unicode name (lib/wire/unicode-names.ts). The name runs to the
   * first `}`; Python finds the string's end first, so a quote, a backslash or a line break before
   * that `}` means the escape is malformed (no real name contains one).
   */
  private namedEscape(at: number, quote: string, parts: string[]): number {
    const { text } = this;
    const open = at + 2;
    let end = open + 1;
    if (text[open] === '{') {
      while (end < text.length && !`}\\\n\r${quote}`.includes(text[end] as string)) end++;
    }
    if (text[open] !== '{' || text[end] !== '}' || end === open + 1) {
      throw this.fail('malformed \\N character escape', at);
    }
    const name = text.slice(open + 1, end);
    const code = lookupUnicodeName(name);
    if (code === undefined) {
      const shown = /^[\x20-\x7e]{1,60}$/.test(name) ? ` '${name}'` : '';
      throw this.fail(`unknown Unicode character name${shown} in \\N{...}`, at);
    }
    parts.push(String.fromCodePoint(code));
    return end + 1;
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
  // The prefixes Python 3.11 has for str: u, r and none (not ur).
  if (lower === 'u' || lower === 'r') return undefined;
  // literal_eval returns bytes for these; the wire has no bytes (json.dumps could not write them).
  if (lower === 'b' || lower === 'br' || lower === 'rb') return 'byte strings are not allowed';
  // Not literals: literal_eval refuses them too, even without a placeholder.
  if (lower === 'f' || lower === 'fr' || lower === 'rf') return 'f-strings are not allowed';
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

/**
 * Parses a request parameter the way the original did (Python literal first, then JSON), with
 * JSON5 standing in for json.loads so JSON-ish clients get the lenient syntax they expect.
 *
 * The JSON5 fallback never gives a text a meaning Python would not: json5 only decides whether the
 * text is JSON5; the value is then read by the Python parser in its JSON5 mode, which adds JSON5's
 * syntax (comments, unquoted keys, its blanks) but keeps Python's reading of every string, number
 * and word. So `{a: '\N{BULLET}'}` is `{'a': '•'}`, not json5's 'N{BULLET}'; `'\w'` keeps its
 * backslash; `1.0` stays a float, a 20-digit int stays exact and dict keys keep their order; and
 * what Python refuses (an unknown `\N` name, a `\x4`) is refused, whatever json5 would make of it.
 * @throws InvalidLiteralError naming `param`, carrying the reason and position.
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
  try {
    quietJson5Parse(text);
  } catch {
    throw pythonError.forParam(param);
  }
  try {
    return new PythonLiteralParser(text, options.maxDepth ?? DEFAULT_MAX_DEPTH, true).parse();
  } catch (error) {
    if (!(error instanceof InvalidLiteralError)) throw error;
    // Valid JSON5 that Python reads as an error (an unknown \N name, NaN, too deep): that reason.
    throw error.forParam(param);
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
