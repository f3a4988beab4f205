import { BadRequestError, InvalidLiteralError } from '../../../lib/errors';
import { parseLiteralParam, parsePythonLiteral, parseVals } from '../../../lib/wire/literal';
import { PyFloat, pyDict, type PyValue } from '../../../lib/wire/pyvalue';

const NAN = 'NaN and Infinity are not allowed';

/** Jest compares Maps without regard to order, so order-sensitive checks look at the entries. */
function entries(value: PyValue): unknown {
  if (!(value instanceof Map)) throw new Error('expected a dict');
  return [...value.entries()];
}

function literalError(run: () => unknown): InvalidLiteralError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidLiteralError) return error;
    throw error;
  }
  throw new Error('expected an InvalidLiteralError');
}

describe('literal', () => {
  describe('parsePythonLiteral', () => {
    it('returns the seed vals as a dict', () => {
      expect(parsePythonLiteral("{'street2':'Chung Hsiao East Road'}")).toStrictEqual(
        pyDict([['street2', 'Chung Hsiao East Road']]),
      );
    });

    it('returns Python dicts, lists, tuples and nesting', () => {
      expect(parsePythonLiteral("{'a': 1, \"b\": [1, 2, (3, 4)], 'c': {'d': ()}}")).toStrictEqual(
        pyDict([
          ['a', 1],
          ['b', [1, 2, [3, 4]]],
          ['c', pyDict([['d', []]])],
        ]),
      );
      expect(parsePythonLiteral('[]')).toStrictEqual([]);
      expect(parsePythonLiteral('{}')).toStrictEqual(new Map());
      expect(parsePythonLiteral('[[[]], [{}]]')).toStrictEqual([[[]], [new Map()]]);
    });

    it('returns a parenthesised value as itself and a comma-made tuple as a list', () => {
      expect(parsePythonLiteral('(1)')).toBe(1);
      expect(parsePythonLiteral("(('a'))")).toBe('a');
      expect(parsePythonLiteral('(1,)')).toStrictEqual([1]);
      expect(parsePythonLiteral('()')).toStrictEqual([]);
      expect(parsePythonLiteral('((1,),)')).toStrictEqual([[1]]);
      expect(parsePythonLiteral('(None)')).toBeNull();
    });

    it('returns x2many command lists', () => {
      expect(parsePythonLiteral("{'category_id':[(6,0,[1,2])]}")).toStrictEqual(
        pyDict([['category_id', [[6, 0, [1, 2]]]]]),
      );
      expect(parsePythonLiteral('[(4, 7), (3, 8, 0)]')).toStrictEqual([
        [4, 7],
        [3, 8, 0],
      ]);
    });

    it('returns dict keys in insertion order, a duplicate keeping its first position', () => {
      expect(entries(parsePythonLiteral("{'b': 1, 'a': 2, '10': 3, '2': 4}"))).toStrictEqual([
        ['b', 1],
        ['a', 2],
        ['10', 3],
        ['2', 4],
      ]);
      expect(entries(parsePythonLiteral("{'a': 1, 'b': 2, 'a': 3}"))).toStrictEqual([
        ['a', 3],
        ['b', 2],
      ]);
    });

    it('returns int dict keys as their decimal strings', () => {
      expect(entries(parsePythonLiteral("{1: 'a', -2: 'b', 0x10: 'c', 123456789012345678901234567890: 'd'}"))).toStrictEqual([
        ['1', 'a'],
        ['-2', 'b'],
        ['16', 'c'],
        ['123456789012345678901234567890', 'd'],
      ]);
    });

    it('returns True/False/None and their JSON aliases', () => {
      expect(parsePythonLiteral('[True, False, None, true, false, null]')).toStrictEqual([true, false, null, true, false, null]);
    });

    it('returns ints as numbers while safe and bigints beyond', () => {
      expect(parsePythonLiteral('[0, 7, -7, +7, 1_000_000, 00, 0_0]')).toStrictEqual([0, 7, -7, 7, 1000000, 0, 0]);
      expect(parsePythonLiteral('[0xFF, 0o17, 0b101, 0x_f, -0x10]')).toStrictEqual([255, 15, 5, 15, -16]);
      expect(parsePythonLiteral('9007199254740991')).toBe(9007199254740991);
      expect(parsePythonLiteral('123456789012345678901234567890')).toBe(123456789012345678901234567890n);
      expect(parsePythonLiteral('-9007199254740993')).toBe(-9007199254740993n);
      expect(parsePythonLiteral('0xFFFFFFFFFFFFFFFFFF')).toBe(0xffffffffffffffffffn);
    });

    it('returns -0 as the int 0', () => {
      expect(Object.is(parsePythonLiteral('-0'), 0)).toBe(true);
    });

    it('returns floats as PyFloat', () => {
      expect(parsePythonLiteral('[1e16, 2.5e-07, 100.0, 1., .5, 1_0.2_5, 1E+3, 1e-999, 0.30000000000000004]')).toStrictEqual([
        new PyFloat(1e16),
        new PyFloat(2.5e-7),
        new PyFloat(100),
        new PyFloat(1),
        new PyFloat(0.5),
        new PyFloat(10.25),
        new PyFloat(1000),
        new PyFloat(0),
        new PyFloat(0.30000000000000004),
      ]);
      const negativeZero = parsePythonLiteral('-0.0');
      expect(negativeZero).toStrictEqual(new PyFloat(-0));
      expect(negativeZero instanceof PyFloat && Object.is(negativeZero.value, -0)).toBe(true);
    });

    it('returns strings with every Python escape decoded', () => {
      expect(parsePythonLiteral(String.raw`'\n\t\r\\\'\"\a\b\f\v'`)).toBe('\n\t\r\\\'"\x07\b\f\v');
      expect(parsePythonLiteral(String.raw`"\x41\u00e9\U0001F600"`)).toBe('Aé😀');
      expect(parsePythonLiteral(String.raw`'\101\0\08\777\1234'`)).toBe('A\x00\x008\u01ffS4');
      expect(parsePythonLiteral("'a\\\nb'")).toBe('ab');
      expect(parsePythonLiteral("'a\\\r\nb'")).toBe('ab');
    });

    it('returns unknown escapes with their backslash, as Python does', () => {
      expect(parsePythonLiteral(String.raw`'a\/b\q\ '`)).toBe('a\\/b\\q\\ ');
    });

    it('returns lone surrogates faithfully', () => {
      const value = parsePythonLiteral(String.raw`['\uD800', '\udc00x', '\U0000D800']`);
      expect(value).toStrictEqual(['\uD800', '\uDC00x', '\uD800']);
    });

    it('returns triple-quoted strings, with newlines normalised as Python reads source', () => {
      expect(parsePythonLiteral("'''a\nb'c''d'''")).toBe("a\nb'c''d");
      expect(parsePythonLiteral('"""x\r\ny\rz"""')).toBe('x\ny\nz');
      expect(parsePythonLiteral("''''''")).toBe('');
    });

    it('returns adjacent string literals concatenated, u-prefixed ones included', () => {
      expect(parsePythonLiteral(`'a' "b" u'c' U"d"`)).toBe('abcd');
      expect(parsePythonLiteral("['a' # comment\n 'b', 'c']")).toStrictEqual(['ab', 'c']);
    });

    it('returns values around whitespace, comments, trailing commas and line continuations', () => {
      expect(parsePythonLiteral(" \t\f# leading comment\n{\n  'a': [1, 2,],  # trailing\n  'b': (3,),\n}\n")).toStrictEqual(
        pyDict([
          ['a', [1, 2]],
          ['b', [3]],
        ]),
      );
      expect(parsePythonLiteral('[1, \\\n 2]')).toStrictEqual([1, 2]);
      expect(parsePythonLiteral('- 1')).toBe(-1);
    });

    it('returns JSON documents, keeping Python escape semantics', () => {
      expect(
        parsePythonLiteral('{"name": "x", "ids": [1, 2.5, -3e2], "flags": [true, false, null], "nested": {"a": {"b": []}}}'),
      ).toStrictEqual(
        pyDict([
          ['name', 'x'],
          ['ids', [1, new PyFloat(2.5), new PyFloat(-300)]],
          ['flags', [true, false, null]],
          ['nested', pyDict([['a', pyDict([['b', []]])]])],
        ]),
      );
      expect(parsePythonLiteral(String.raw`"\ud83d\ude00 \u00e9"`)).toBe('😀 é');
      // eval() ran first in the original, and Python keeps the backslash of \/.
      expect(parsePythonLiteral(String.raw`{"url": "http:\/\/x"}`)).toStrictEqual(pyDict([['url', 'http:\\/\\/x']]));
    });

    it('returns __proto__ and constructor as ordinary keys without touching Object.prototype', () => {
      const value = parsePythonLiteral("{'__proto__': {'polluted': 1}, 'constructor': {'prototype': {'polluted': 2}}}");
      expect(entries(value)).toStrictEqual([
        ['__proto__', pyDict([['polluted', 1]])],
        ['constructor', pyDict([['prototype', pyDict([['polluted', 2]])]])],
      ]);
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('returns containers nested exactly maxDepth deep', () => {
      expect(parsePythonLiteral(`${'['.repeat(32)}${']'.repeat(32)}`)).toBeDefined();
      expect(parsePythonLiteral('[[1]]', { maxDepth: 2 })).toStrictEqual([[1]]);
      expect(parsePythonLiteral('1', { maxDepth: 0 })).toBe(1);
    });

    it('returns an input exactly maxLength long', () => {
      const text = `'${'a'.repeat(99_998)}'`;
      expect(text).toHaveLength(100_000);
      expect(parsePythonLiteral(text)).toBe('a'.repeat(99_998));
    });

    const deep = (n: number): string => `${'('.repeat(n)}1${')'.repeat(n)}`;

    it.each<[string, number, string]>([
      ["{'a':}", 5, 'expected a value'],
      ["{'a' 1}", 5, "expected ':' after dict key"],
      ["{'a': 1", 7, 'unexpected end of input'],
      ['[1, 2', 5, 'unexpected end of input'],
      ["'abc", 0, 'unterminated string'],
      ['"abc\ndef"', 0, 'unterminated string'],
      ["'abc\\'", 0, 'unterminated string'],
      ['{"a": NaN}', 6, NAN],
      ['Infinity', 0, NAN],
      ['[-inf]', 2, NAN],
      ['nan', 0, NAN],
      ['foo', 0, "bare word 'foo' is not a value (quote strings)"],
      ["__import__('os')", 0, "bare word '__import__' is not a value (quote strings)"],
      ["{'a': id}", 6, "bare word 'id' is not a value (quote strings)"],
      ["{'a': lambda: 1}", 6, "bare word 'lambda' is not a value (quote strings)"],
      ["{'a': print('x')}", 6, "bare word 'print' is not a value (quote strings)"],
      ['set()', 0, "bare word 'set' is not a value (quote strings)"],
      ['{"a": tru}', 6, "bare word 'tru' is not a value (quote strings)"],
      ['1 + 2', 2, 'unexpected text after the value'],
      ['1 if 1 else 2', 2, 'unexpected text after the value'],
      ['[1, 2][0]', 6, 'unexpected text after the value'],
      ["{'a': 1}}", 8, 'unexpected text after the value'],
      ["'a' extra", 4, 'unexpected text after the value'],
      ['{1, 2}', 2, 'sets are not allowed'],
      ["{'a'}", 4, 'sets are not allowed'],
      ["{'a': 1, 'b'}", 12, "expected ':' after dict key"],
      ["b'x'", 0, 'byte strings are not allowed'],
      ["r'x'", 0, 'raw strings are not allowed'],
      ["f'x'", 0, 'f-strings are not allowed'],
      ['Rb"x"', 0, 'byte strings are not allowed'],
      ["'a' b'b'", 4, 'byte strings are not allowed'],
      [String.raw`'\x4'`, 1, String.raw`truncated \xXX escape`],
      [String.raw`'ab\u12'`, 3, String.raw`truncated \uXXXX escape`],
      [String.raw`'\U00110000'`, 1, String.raw`illegal Unicode character in \U escape`],
      [String.raw`'\N{BULLET}'`, 1, String.raw`\N{...} escapes are not supported`],
      ['{[1]: 2}', 1, 'dict keys must be strings or integers'],
      ['{1.5: 2}', 1, 'dict keys must be strings or integers'],
      ["{'a': 1, None: 2}", 9, 'dict keys must be strings or integers'],
      ['{(1, 2): 3}', 1, 'dict keys must be strings or integers'],
      [deep(33), 32, 'nesting deeper than 32'],
      ['(((((((((((((((((((((((((((((((((((((((((', 32, 'nesting deeper than 32'],
      ['', 0, 'empty input'],
      [' \n\t ', 4, 'empty input'],
      ['# only a comment', 16, 'empty input'],
      ["{'a': 1,,}", 8, 'expected a dict key'],
      ['{:1}', 1, 'expected a dict key'],
      ['[,]', 1, 'expected a value'],
      ['(,)', 1, 'expected a value'],
      ['[1 2]', 3, "expected ',' or ']' after list item"],
      ['(1 2)', 3, "expected ',' or ')'"],
      ["{'a': [1, 2]]", 12, "expected ',' or '}' after dict value"],
      ["{'a': 1 'b': 2}", 8, "expected ',' or '}' after dict value"],
      ['--1', 1, 'a unary sign is only allowed once'],
      ['-+1', 1, 'a unary sign is only allowed once'],
      ['-True', 1, 'a sign must be followed by a number'],
      ["-'1'", 1, 'a sign must be followed by a number'],
      ['-', 1, 'unexpected end of input'],
      ['1e999', 0, 'float literal out of range'],
      ['[-1e999]', 2, 'float literal out of range'],
      ['0x', 0, 'invalid hexadecimal number literal'],
      ['0b2', 0, 'invalid binary number literal'],
      ['1_000_', 0, 'invalid number literal'],
      ['1__0', 0, 'invalid number literal'],
      ['1e', 0, 'invalid number literal'],
      ['12abc', 0, 'invalid number literal'],
      ['0123', 0, 'leading zeros are not allowed in integers (use 0o for octal)'],
      ['1j', 0, 'complex numbers are not allowed'],
      ['@', 0, "unexpected character '@'"],
      ['{**x}', 1, "unexpected character '*'"],
      ['.', 0, "unexpected character '.'"],
      ['\u00a0[1]', 0, 'unexpected character U+00A0'],
      ['[1]\u0000', 3, 'unexpected text after the value'],
    ])('rejects %j at position %i', (text, position, reason) => {
      const error = literalError(() => parsePythonLiteral(text));
      expect(error.position).toBe(position);
      expect(error.reason).toBe(reason);
    });

    it('rejects decimal ints longer than CPython allows, but not hex ones', () => {
      expect(parsePythonLiteral(`-1${'0'.repeat(4299)}`)).toBe(-(10n ** 4299n));
      const error = literalError(() => parsePythonLiteral(`[-1${'0'.repeat(4300)}]`));
      expect(error.reason).toBe('integer literal longer than 4300 digits (use hexadecimal)');
      expect(error.position).toBe(2);
      expect(parsePythonLiteral(`0x1${'0'.repeat(5000)}`)).toBe(16n ** 5000n);
    });

    it('rejects a depth bomb of 100000 brackets quickly, without overflowing the stack', () => {
      const started = Date.now();
      const error = literalError(() => parsePythonLiteral('['.repeat(100_000)));
      expect(error.reason).toBe('nesting deeper than 32');
      expect(error.position).toBe(32);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('rejects deep nesting even when maxDepth is far larger than the call stack allows', () => {
      const text = `${'['.repeat(49_999)}${']'.repeat(49_999)}`;
      expect(() => parsePythonLiteral(text, { maxDepth: 1_000_000 })).not.toThrow();
      expect(literalError(() => parsePythonLiteral(text, { maxDepth: 40_000 })).position).toBe(40_000);
    });

    it('rejects nesting beyond a custom maxDepth', () => {
      const error = literalError(() => parsePythonLiteral('[[[1]]]', { maxDepth: 2 }));
      expect(error.reason).toBe('nesting deeper than 2');
      expect(error.position).toBe(2);
    });

    it('rejects an input over the length bound before parsing it', () => {
      const error = literalError(() => parsePythonLiteral(`'${'a'.repeat(200_000)}'`));
      expect(error.reason).toBe('input longer than 100000 characters');
      expect(error.position).toBe(100_000);
      expect(literalError(() => parsePythonLiteral('[1]', { maxLength: 2 })).reason).toBe('input longer than 2 characters');
    });

    it('rejects pathological inputs in linear time', () => {
      const started = Date.now();
      for (const text of [
        `[${'1,'.repeat(49_000)}]`,
        `${"'a' ".repeat(24_000)}`,
        `'''${"''a".repeat(33_000)}`,
        `${'-'.repeat(99_000)}1`,
        `[${'#'.repeat(99_000)}`,
        `1${'_1'.repeat(49_000)}x`,
        `0x${'f'.repeat(99_000)}`,
        `${'a'.repeat(99_000)}`,
      ]) {
        try {
          parsePythonLiteral(text);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidLiteralError);
        }
      }
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });

  describe('parseLiteralParam', () => {
    it('returns Python literals through the Python parser', () => {
      expect(parseLiteralParam("{'a': (1, 2.0)}", 'vals')).toStrictEqual(pyDict([['a', [1, new PyFloat(2)]]]));
    });

    it('returns JSON5 documents converted to PyValue', () => {
      const value = parseLiteralParam(
        "{name: 'x', // comment\n ids: [0x10, +1, .5, 5., -0,], /* block */ nested: {deep: [null, true]},}",
        'vals',
      );
      expect(entries(value)).toStrictEqual([
        ['name', 'x'],
        ['ids', [16, 1, new PyFloat(0.5), 5, 0]],
        ['nested', pyDict([['deep', [null, true]]])],
      ]);
    });

    it('returns JSON5 numbers beyond the safe integer range as floats', () => {
      expect(parseLiteralParam('{n: 1e20}', 'vals')).toStrictEqual(pyDict([['n', new PyFloat(1e20)]]));
    });

    it('returns JSON5 __proto__ and constructor keys as ordinary keys without touching Object.prototype', () => {
      const value = parseLiteralParam('{__proto__: {polluted: 1}, constructor: {prototype: {polluted: 2}}}', 'vals');
      expect(entries(value)).toStrictEqual([
        ['__proto__', pyDict([['polluted', 1]])],
        ['constructor', pyDict([['prototype', pyDict([['polluted', 2]])]])],
      ]);
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('rejects NaN and Infinity in a JSON5 document at position 0', () => {
      for (const text of ['{a: NaN}', '{a: [1, -Infinity]}']) {
        const error = literalError(() => parseLiteralParam(text, 'vals'));
        expect(error.reason).toBe(NAN);
        expect(error.position).toBe(0);
        expect(error.param).toBe('vals');
      }
    });

    it("rejects NaN with the Python parser's position when it saw the same problem", () => {
      const error = literalError(() => parseLiteralParam('{"a": NaN}', 'vals'));
      expect(error.message).toBe("Cannot parse 'vals': NaN and Infinity are not allowed at position 6");
    });

    it('rejects JSON5 documents nested beyond maxDepth', () => {
      const text = `{a: ${'['.repeat(33)}${']'.repeat(33)}}`;
      expect(literalError(() => parseLiteralParam(text, 'vals')).reason).toBe('nesting deeper than 32');
      expect(parseLiteralParam('{a: [[1]]}', 'vals', { maxDepth: 3 })).toStrictEqual(pyDict([['a', [[1]]]]));
      expect(literalError(() => parseLiteralParam('{a: [[1]]}', 'vals', { maxDepth: 2 })).reason).toBe('nesting deeper than 2');
    });

    it("rejects what neither parser accepts with the Python parser's error naming the param", () => {
      const error = literalError(() => parseLiteralParam("{'a':}", 'vals'));
      expect(error.message).toBe("Cannot parse 'vals': expected a value at position 5");
      expect(error.param).toBe('vals');
      expect(literalError(() => parseLiteralParam('foo', 'domain')).message).toBe(
        "Cannot parse 'domain': bare word 'foo' is not a value (quote strings) at position 0",
      );
    });

    it('rejects an over-long input without handing it to json5', () => {
      const error = literalError(() => parseLiteralParam(`{a: '${'x'.repeat(200_000)}'}`, 'vals'));
      expect(error.message).toBe("Cannot parse 'vals': input longer than 100000 characters at position 100000");
    });

    it('rejects a depth bomb quickly on the JSON5 path too', () => {
      const started = Date.now();
      const error = literalError(() => parseLiteralParam('['.repeat(100_000), 'vals'));
      expect(error.position).toBe(32);
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });

  describe('parseVals', () => {
    it('returns the seed vals', () => {
      expect(parseVals("{'street2':'Chung Hsiao East Road'}")).toStrictEqual(pyDict([['street2', 'Chung Hsiao East Road']]));
    });

    it('returns a JSON5 dict', () => {
      expect(parseVals("{name: 'x'}")).toStrictEqual(pyDict([['name', 'x']]));
    });

    it.each(['[1, 2]', "'x'", '1', 'None'])('rejects the non-dict %j', (text) => {
      expect(() => parseVals(text)).toThrow(BadRequestError);
      expect(() => parseVals(text)).toThrow("'vals' must be a dict of field names to values, e.g. {'name': 'x'}");
    });

    it('rejects malformed vals naming the parameter', () => {
      expect(() => parseVals("{'a' 1}")).toThrow("Cannot parse 'vals': expected ':' after dict key at position 5");
    });
  });
});
