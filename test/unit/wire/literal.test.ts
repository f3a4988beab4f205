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
      expect(
        entries(parsePythonLiteral("{1: 'a', -2: 'b', 0x10: 'c', 123456789012345678901234567890: 'd'}")),
      ).toStrictEqual([
        ['1', 'a'],
        ['-2', 'b'],
        ['16', 'c'],
        ['123456789012345678901234567890', 'd'],
      ]);
    });

    it('returns True/False/None and their JSON aliases', () => {
      expect(parsePythonLiteral('[True, False, None, true, false, null]')).toStrictEqual([
        true,
        false,
        null,
        true,
        false,
        null,
      ]);
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
      expect(
        parsePythonLiteral('[1e16, 2.5e-07, 100.0, 1., .5, 1_0.2_5, 1E+3, 1e-999, 0.30000000000000004]'),
      ).toStrictEqual([
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

    it('returns \\N{...} escapes by Unicode name, alias, any ASCII case, and the computed CJK and Hangul names', () => {
      expect(parsePythonLiteral(String.raw`{"street2": "\N{MUSICAL SYMBOL G CLEF}"}`)).toStrictEqual(
        pyDict([['street2', '𝄞']]),
      );
      expect(parsePythonLiteral(String.raw`'\N{BULLET}\N{latin small letter e with acute}\N{Euro Sign}'`)).toBe('•é€');
      // Aliases (NameAliases.txt): control names, abbreviations, corrections.
      expect(parsePythonLiteral(String.raw`'\N{LF}\N{BEL}\N{NULL}\N{BYTE ORDER MARK}\N{nbsp}'`)).toBe(
        '\n\x07\x00\ufeff\u00a0',
      );
      expect(
        parsePythonLiteral(
          String.raw`'\N{CJK UNIFIED IDEOGRAPH-4E00}\N{CJK UNIFIED IDEOGRAPH-2A6DF}\N{CJK UNIFIED IDEOGRAPH-04E00}'`,
        ),
      ).toBe('一𪛟一');
      expect(parsePythonLiteral(String.raw`'\N{HANGUL SYLLABLE GA}\N{HANGUL SYLLABLE A}\N{HANGUL SYLLABLE HIH}'`)).toBe(
        '가아힣',
      );
      expect(parsePythonLiteral(String.raw`u'\N{CJK COMPATIBILITY IDEOGRAPH-F900}'`)).toBe('\uf900');
    });

    it.each([
      // CPython compares these prefixes case-sensitively and takes only upper-case hex digits.
      String.raw`'\N{cjk unified ideograph-4E00}'`,
      String.raw`'\N{CJK UNIFIED IDEOGRAPH-4e00}'`,
      String.raw`'\N{hangul syllable GA}'`,
      String.raw`'\N{HANGUL SYLLABLE ga}'`,
      // Outside the unified blocks of Unicode 14.0; no computed Tangut names in Python 3.11.
      String.raw`'\N{CJK UNIFIED IDEOGRAPH-2A6E0}'`,
      String.raw`'\N{TANGUT IDEOGRAPH-17000}'`,
      // A named sequence (unicodedata.lookup knows it, \N does not), stray blanks, non-ASCII case.
      String.raw`'\N{LATIN CAPITAL LETTER A WITH MACRON AND GRAVE}'`,
      String.raw`'\N{ LATIN SMALL LETTER A}'`,
      String.raw`'\N{LATIN SMALL LETTER ſ}'`,
    ])('rejects the name Python does not know in %s', (text) => {
      expect(literalError(() => parsePythonLiteral(text)).reason).toMatch(/^unknown Unicode character name/);
    });

    it('keeps \\N{...} as text in raw strings', () => {
      expect(parsePythonLiteral(String.raw`r'\N{BULLET}'`)).toBe(String.raw`\N{BULLET}`);
    });

    it('returns raw strings with their backslashes kept, in every prefix case and quoting', () => {
      expect(
        parsePythonLiteral(String.raw`[r'\n\t\x41\N{X}\w', R"\d+", r'''a\'''', r"a\"b", U'x', r'', r"\\"]`),
      ).toStrictEqual([
        String.raw`\n\t\x41\N{X}\w`,
        String.raw`\d+`,
        String.raw`a\'`,
        String.raw`a\"b`,
        'x',
        '',
        String.raw`\\`,
      ]);
      // A backslash before a line break keeps both (the tokenizer has already made \r\n a \n).
      expect(parsePythonLiteral("r'a\\\nb'")).toBe('a\\\nb');
      expect(parsePythonLiteral("r'''a\\\r\nb\r\nc'''")).toBe('a\\\nb\nc');
      expect(parsePythonLiteral(String.raw`'\n' r'\n' u'\n'`)).toBe('\n\\n\n');
    });

    it('returns long runs of \\N{...} escapes and raw backslashes, and refuses an unclosed name of any length', () => {
      expect(parsePythonLiteral(`'${String.raw`\N{BULLET}`.repeat(9000)}'`)).toBe('•'.repeat(9000));
      expect(parsePythonLiteral(`r'${'\\'.repeat(90_000)}'`)).toBe('\\'.repeat(90_000));
      const error = literalError(() => parsePythonLiteral(`'\\N{${'A'.repeat(99_000)}'`));
      expect([error.reason, error.position]).toStrictEqual(['malformed \\N character escape', 1]);
    });

    it('returns a tuple written without parentheses at the top level, as literal_eval does', () => {
      expect(parsePythonLiteral("'name', 'email'")).toStrictEqual(['name', 'email']);
      expect(parsePythonLiteral('1,')).toStrictEqual([1]);
      expect(parsePythonLiteral('(1, 2), [3],')).toStrictEqual([[1, 2], [3]]);
      expect(literalError(() => parsePythonLiteral('1,,')).reason).toBe('expected a value');
      expect(literalError(() => parsePythonLiteral(`${'['.repeat(32)}${']'.repeat(32)}, 1`)).reason).toBe(
        'nesting deeper than 32',
      );
    });

    it('returns a signed number in parentheses as the signed number, as literal_eval does', () => {
      expect(parsePythonLiteral('[-(0o1135), +(5), -((5)), - ( 2.5 ), (-(1)), -(0x10)]')).toStrictEqual([
        -605,
        5,
        -5,
        new PyFloat(-2.5),
        -1,
        -16,
      ]);
      expect(entries(parsePythonLiteral('{-(1): 2}'))).toStrictEqual([['-1', 2]]);
      expect(parsePythonLiteral('-(9007199254740993)')).toBe(-9007199254740993n);
      expect(
        Object.is(
          parsePythonLiteral('-(0.0)') instanceof PyFloat && (parsePythonLiteral('-(0.0)') as PyFloat).value,
          -0,
        ),
      ).toBe(true);
    });

    it('counts the parentheses after a sign toward the depth bound', () => {
      expect(parsePythonLiteral(`-${'('.repeat(32)}1${')'.repeat(32)}`)).toBe(-1);
      const error = literalError(() => parsePythonLiteral(`[-${'('.repeat(32)}1${')'.repeat(32)}]`));
      expect(error.reason).toBe('nesting deeper than 32');
      expect(error.position).toBe(33);
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
      expect(
        parsePythonLiteral(" \t\f# leading comment\n{\n  'a': [1, 2,],  # trailing\n  'b': (3,),\n}\n"),
      ).toStrictEqual(
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
        parsePythonLiteral(
          '{"name": "x", "ids": [1, 2.5, -3e2], "flags": [true, false, null], "nested": {"a": {"b": []}}}',
        ),
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
      ["ur'x'", 0, "string prefix 'ur' is not allowed"],
      ["rf'x'", 0, 'f-strings are not allowed'],
      ["r'\\'", 0, 'unterminated string'],
      ["r'a\\\\\\'", 0, 'unterminated string'],
      ["f'x'", 0, 'f-strings are not allowed'],
      ['Rb"x"', 0, 'byte strings are not allowed'],
      ["'a' b'b'", 4, 'byte strings are not allowed'],
      [String.raw`'\x4'`, 1, String.raw`truncated \xXX escape`],
      [String.raw`'ab\u12'`, 3, String.raw`truncated \uXXXX escape`],
      [String.raw`'\U00110000'`, 1, String.raw`illegal Unicode character in \U escape`],
      [String.raw`'\N{NO SUCH NAME}'`, 1, String.raw`unknown Unicode character name 'NO SUCH NAME' in \N{...}`],
      [String.raw`'a\N{}'`, 2, String.raw`malformed \N character escape`],
      [String.raw`'\N'`, 1, String.raw`malformed \N character escape`],
      [String.raw`'\N{BULLET'`, 1, String.raw`malformed \N character escape`],
      ['-(-(1))', 2, 'a unary sign is only allowed once'],
      ['-(5,)', 3, 'a sign must be followed by a number, not a tuple'],
      ['-(1+2j)', 3, "expected ')'"],
      ['-(True)', 2, 'a sign must be followed by a number'],
      ['-((5)', 5, 'unexpected end of input'],
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
      expect(literalError(() => parsePythonLiteral('[1]', { maxLength: 2 })).reason).toBe(
        'input longer than 2 characters',
      );
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

    it('returns JSON5 documents with every number read as Python reads it', () => {
      const value = parseLiteralParam(
        "{name: 'x', // comment\n ids: [0x10, +1, .5, 5., -0, 1.0, 12345678901234567890,], /* block */ nested: {deep: [null, true]},}",
        'vals',
      );
      expect(entries(value)).toStrictEqual([
        ['name', 'x'],
        ['ids', [16, 1, new PyFloat(0.5), new PyFloat(5), 0, new PyFloat(1), 12345678901234567890n]],
        ['nested', pyDict([['deep', [null, true]]])],
      ]);
      expect(parseLiteralParam('{n: 1e20}', 'vals')).toStrictEqual(pyDict([['n', new PyFloat(1e20)]]));
    });

    // Issue 16: json5 read '\N{...}' as 'N{...}', '\U0002a707' as 'U0002a707' and '\w' as 'w', and
    // wrote that with a 200. A JSON5 text now gets Python's reading of every string it holds.
    it("returns JSON5 documents with every string read as Python reads it, never json5's way", () => {
      expect(
        entries(
          parseLiteralParam(
            String.raw`{street2: "\N{MUSICAL SYMBOL G CLEF}", a: '\U0002a707', b: '\w', c: "\a\/"}`,
            'vals',
          ),
        ),
      ).toStrictEqual([
        ['street2', '𝄞'],
        ['a', '𪜇'],
        ['b', '\\w'],
        ['c', '\x07\\/'],
      ]);
      expect(
        entries(parseLiteralParam(String.raw`{"street2": "\N{MUSICAL SYMBOL G CLEF}"} // JSON5`, 'vals')),
      ).toStrictEqual([['street2', '𝄞']]);
    });

    it("rejects a JSON5 document holding what Python refuses, rather than taking json5's reading", () => {
      for (const [text, reason, position] of [
        [
          String.raw`{street2: '\N{NO SUCH NAME}'}`,
          String.raw`unknown Unicode character name 'NO SUCH NAME' in \N{...}`,
          11,
        ],
        [String.raw`/**/ '\N{'`, String.raw`malformed \N character escape`, 6],
        ['{True: 1}', 'dict keys must be strings or integers', 1],
        ['{a: 1} /* */', undefined, undefined],
      ] as const) {
        if (reason === undefined) {
          expect(entries(parseLiteralParam(text, 'vals'))).toStrictEqual([['a', 1]]);
          continue;
        }
        const error = literalError(() => parseLiteralParam(text, 'vals'));
        expect([error.reason, error.position]).toStrictEqual([reason, position]);
      }
    });

    it('returns JSON5 identifier keys (with \\u escapes), its comments and blanks, and true/null as key names', () => {
      expect(
        entries(
          parseLiteralParam("\ufeff{$a_1: 1,\u00a0\\u0062: 2, null: 3, Infinity: 4, '2': 5, '1': 6,}\u2028", 'vals'),
        ),
      ).toStrictEqual([
        ['$a_1', 1],
        ['b', 2],
        ['null', 3],
        ['Infinity', 4],
        ['2', 5],
        ['1', 6],
      ]);
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

    it('rejects NaN and Infinity in a JSON5 document at their position', () => {
      for (const [text, position] of [
        ['{a: NaN}', 4],
        ['{a: [1, -Infinity]}', 9],
      ] as const) {
        const error = literalError(() => parseLiteralParam(text, 'vals'));
        expect(error.reason).toBe(NAN);
        expect(error.position).toBe(position);
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
      expect(literalError(() => parseLiteralParam('{a: [[1]]}', 'vals', { maxDepth: 2 })).reason).toBe(
        'nesting deeper than 2',
      );
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
      expect(parseVals("{'street2':'Chung Hsiao East Road'}")).toStrictEqual(
        pyDict([['street2', 'Chung Hsiao East Road']]),
      );
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
