/**
 * The Unicode name table behind `\N{...}` (lib/wire/unicode-names.ts): decoded only when a `\N{`
 * escape needs it, and, checked against python3 (see python-oracle.ts), the same names as
 * Python's own `\N`: every name Python gives a character resolves to it, and every entry of the
 * table (aliases included) is one Python's `\N` accepts, for the same character.
 */
import type * as Literal from '../../../lib/wire/literal';
import type * as UnicodeNames from '../../../lib/wire/unicode-names';
import { lookupUnicodeName, unicodeNameTable } from '../../../lib/wire/unicode-names';
import { UNICODE_NAMES_VERSION } from '../../../lib/wire/unicode-names-table';
import { ORACLE_OPTED_OUT, PYTHON, runPython } from './python-oracle';

describe('unicode names', () => {
  it('are decoded on the first \\N{...} escape only, not when the parser loads or reads other text', () => {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const literal = require('../../../lib/wire/literal') as typeof Literal;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const names = require('../../../lib/wire/unicode-names') as typeof UnicodeNames;
      expect(
        literal.parseLiteralParam(String.raw`{'a': '\u2022 \x41 \101 \\N', 'b': r'\N{BULLET}'}`, 'vals'),
      ).toBeInstanceOf(Map);
      expect(names.unicodeNamesLoaded()).toBe(false);
      // The computed names need no table either.
      expect(literal.parsePythonLiteral(String.raw`'\N{HANGUL SYLLABLE GA}\N{CJK UNIFIED IDEOGRAPH-4E00}'`)).toBe(
        '가一',
      );
      expect(names.unicodeNamesLoaded()).toBe(false);
      expect(literal.parsePythonLiteral(String.raw`'\N{BULLET}'`)).toBe('•');
      expect(names.unicodeNamesLoaded()).toBe(true);
    });
  });

  it('are those of Unicode 14.0.0, the version of Python 3.11', () => {
    expect(UNICODE_NAMES_VERSION).toBe('14.0.0');
    // New in Unicode 14.0; and one new in 15.0 (U+1F6DC WIRELESS) that Python 3.11 does not know.
    expect(lookupUnicodeName('MELTING FACE')).toBe(0x1fae0);
    expect(lookupUnicodeName('WIRELESS')).toBeUndefined();
  });

  it('resolve names in any ASCII case, aliases, and the computed CJK and Hangul names', () => {
    expect(lookupUnicodeName('Latin Small Letter A')).toBe(0x61);
    expect(lookupUnicodeName('LF')).toBe(0x0a);
    expect(lookupUnicodeName('BELL')).toBe(0x1f514);
    expect(lookupUnicodeName('BEL')).toBe(0x07);
    expect(lookupUnicodeName('CJK UNIFIED IDEOGRAPH-2B738')).toBe(0x2b738);
    expect(lookupUnicodeName('CJK UNIFIED IDEOGRAPH-2B739')).toBeUndefined();
    expect(lookupUnicodeName('HANGUL SYLLABLE HIH')).toBe(0xd7a3);
    expect(lookupUnicodeName('LATIN SMALL LETTER \u0131')).toBeUndefined();
  });

  if (ORACLE_OPTED_OUT) return;

  it(`match ${PYTHON}'s \\N: every character name it knows, and every name and alias of the table`, () => {
    const table = unicodeNameTable();
    const { named, checked } = runPython(
      String.raw`
import ast, json, sys, unicodedata
aliases = json.load(sys.stdin)
named = []
for code in range(0x110000):
    name = unicodedata.name(chr(code), None)
    if name is not None:
        named.append([name, code])
checked = []
for name in aliases:
    try:
        value = ast.literal_eval("'\\N{" + name + "}'")
        checked.append(ord(value) if len(value) == 1 else -2)
    except Exception:
        checked.append(-1)
json.dump({"named": named, "checked": checked}, sys.stdout)
`,
      [...table.keys()],
    ) as { named: Array<[string, number]>; checked: number[] };
    expect(named.length).toBeGreaterThan(130_000);
    const unresolved = named.filter(([name, code]) => lookupUnicodeName(name) !== code);
    expect(unresolved.slice(0, 20)).toStrictEqual([]);
    const entries = [...table.entries()];
    const differing = entries.filter(([, code], i) => checked[i] !== code);
    expect(differing.slice(0, 20)).toStrictEqual([]);
    expect(entries.length).toBe(34_527 + 470);
  });
});
