/**
 * The literal parser against CPython's own `ast.literal_eval` (issue 16): generated literals
 * (escapes, string prefixes, number forms, signs, parentheses, nesting) and hand-written ones go
 * through python3 in one batch, and the parser must agree with every answer:
 * - Python reads a value the wire can carry: parsePythonLiteral and parseLiteralParam return it;
 * - Python reads something the wire cannot carry (bytes, complex, sets, inf, bool/float/tuple
 *   dict keys) or refuses the text: both refuse it with a 400 (InvalidLiteralError), so neither
 *   the JSON5 fallback nor anything else gives the text a meaning Python would not. The one
 *   exception: a JSON5 text Python refuses for its layout alone (an indented first line) or for an
 *   unquoted key; parseLiteralParam may read it, as Python reads the same text without the layout.
 *
 * Not generated, because the parser differs there on purpose: JSON's true/false/null (the
 * original read them with json.loads after eval failed), raw lone surrogates in the text (Python
 * cannot even encode such a text), and layouts Python's tokenizer refuses whose value is plain (a
 * line break between top-level tokens, an indented first line, a last line of blanks, a trailing
 * backslash-newline). Dicts whose int and str keys collide are compared the way the wire writes
 * them (the int key as its decimal text). Inside brackets, the generated layout is anything.
 *
 * python3 is required (see python-oracle.ts): LITERAL_ORACLE=off is the explicit opt-out, and then
 * only the expectations written here are checked, not Python's answers.
 */
import fc from 'fast-check';
import JSON5 from 'json5';
import { InvalidLiteralError } from '../../../lib/errors';
import { parseLiteralParam, parsePythonLiteral } from '../../../lib/wire/literal';
import { PyFloat, type PyValue } from '../../../lib/wire/pyvalue';
import { canonical } from '../../fuzz/pyvalues';
import { literalEval, ORACLE_OPTED_OUT, PYTHON, pythonVersion, type OracleAnswer } from './python-oracle';

// ---------------------------------------------------------------------------------------------
// Generated literals

/** How many generated literals the test compares; LITERAL_ORACLE_RUNS explores more (FC_SEED others). */
const RUNS = Number(process.env.LITERAL_ORACLE_RUNS || 3000);

const pick = <T>(...options: T[]): fc.Arbitrary<T> => fc.constantFrom(...options);

/** Names for \N{...}: real ones, aliases, other cases, near misses, and the computed families. */
const NAME_ARB: fc.Arbitrary<string> = fc.oneof(
  pick(
    'BULLET',
    'MUSICAL SYMBOL G CLEF',
    'LATIN SMALL LETTER E WITH ACUTE',
    'EURO SIGN',
    'GREEK SMALL LETTER ALPHA',
    'CJK COMPATIBILITY IDEOGRAPH-F900',
    'KHITAN SMALL SCRIPT CHARACTER-18B00',
    'NUSHU CHARACTER-1B170',
    'ZERO WIDTH NO-BREAK SPACE',
    'BELL',
    'SPACE',
    'QUOTATION MARK',
    'APOSTROPHE',
    'REVERSE SOLIDUS',
    'RIGHT CURLY BRACKET',
    'LF',
    'BEL',
    'NUL',
    'NULL',
    'BYTE ORDER MARK',
    'NBSP',
    'LINE FEED',
    'VS1',
    'LATIN CAPITAL LETTER GHA',
    'LATIN CAPITAL LETTER A WITH MACRON AND GRAVE',
    'TANGUT IDEOGRAPH-17000',
    'NO SUCH NAME',
    '',
    ' BULLET',
    'BULLET ',
    'BUL LET',
    'BULLET\t',
    'LATIN SMALL LETTER \u017f',
  ),
  pick('latin small letter a', 'Euro Sign', 'bullet', 'lf', 'cjk unified ideograph-4E00', 'hangul syllable GA'),
  fc.tuple(fc.integer({ min: 0x3300, max: 0x32000 }), fc.boolean(), fc.boolean()).map(([code, lower, five]) => {
    const hex = code.toString(16).padStart(five ? 5 : 4, '0');
    return `CJK UNIFIED IDEOGRAPH-${lower ? hex : hex.toUpperCase()}`;
  }),
  fc
    .tuple(
      pick('G', 'GG', 'N', 'D', 'R', 'SS', '', 'J', 'H', 'X', 'NG'),
      pick('A', 'AE', 'YEO', 'WA', 'EU', 'I', 'YI', '', 'Q'),
      pick('', 'G', 'GS', 'NJ', 'LH', 'NG', 'H', 'GG', 'Z'),
    )
    .map(([l, v, t]) => `HANGUL SYLLABLE ${l}${v}${t}`),
);

/** One piece of a string literal's body, written as it appears in the source. */
const BODY_PIECE_ARB: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: pick(
      'a',
      'Z',
      ' ',
      'é',
      '€',
      '😀',
      '#',
      '{',
      '}',
      ',',
      ':',
      '0',
      '7',
      'N',
      'x',
      'u',
      '/',
      "'",
      '"',
      '\t',
    ),
  },
  {
    weight: 6,
    arbitrary: pick(
      '\\n',
      '\\t',
      '\\\\',
      "\\'",
      '\\"',
      '\\a',
      '\\b',
      '\\f',
      '\\v',
      '\\r',
      '\\0',
      '\\00',
      '\\101',
      '\\777',
      '\\400',
      '\\08',
      '\\8',
      '\\9',
      '\\x41',
      '\\xff',
      '\\x4',
      '\\xg0',
      '\\u00e9',
      '\\uD800',
      '\\udc00',
      '\\u12',
      '\\U0001F600',
      '\\U0002a707',
      '\\U00110000',
      '\\U0000d800',
      '\\w',
      '\\q',
      '\\/',
      '\\ ',
      '\\{',
      '\\N',
      '\\N{',
      '\\N{}',
      '\\\n',
      '\\\r\n',
      '\\',
      '\n',
      '\r\n',
    ),
  },
  { weight: 4, arbitrary: NAME_ARB.map((name) => `\\N{${name}}`) },
);

const PREFIX_ARB = fc.oneof(
  { weight: 8, arbitrary: pick('') },
  { weight: 6, arbitrary: pick('r', 'R', 'u', 'U') },
  { weight: 2, arbitrary: pick('b', 'B', 'rb', 'Rb', 'bR', 'BR', 'br', 'f', 'rf', 'Fr', 'ur', 'uR', 'bu', 't') },
);

const STRING_ARB: fc.Arbitrary<string> = fc
  .tuple(PREFIX_ARB, pick("'", '"', "'''", '"""'), fc.array(BODY_PIECE_ARB, { maxLength: 6 }))
  .map(([prefix, quote, pieces]) => `${prefix}${quote}${pieces.join('')}${quote}`);

const STRINGS_ARB: fc.Arbitrary<string> = fc
  .array(fc.tuple(STRING_ARB, pick(' ', '', '\t')), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.map(([text, gap], i) => (i === 0 ? text : `${gap}${text}`)).join(''));

const DIGITS_ARB = fc.oneof(
  pick(
    '0',
    '1',
    '7',
    '10',
    '00',
    '007',
    '0_0',
    '1_000',
    '1__0',
    '1_',
    '_1',
    '123456789012345678901234567890',
    '9007199254740993',
  ),
  fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
);

const NUMBER_ARB: fc.Arbitrary<string> = fc.oneof(
  DIGITS_ARB,
  pick('0x1F', '0X_ff', '0x', '0xg', '0o17', '0O1135', '0o8', '0b101', '0B_1_0', '0b2', '0x_', '0o_7_'),
  fc
    .tuple(DIGITS_ARB, pick('.', ''), pick('', '5', '0_1', '_5'), pick('', 'e5', 'E-3', 'e+1_0', 'e', 'e400', 'e-400'))
    .map(([a, dot, b, e]) => `${a}${dot}${b}${e}`),
  pick('.5', '5.', '.5e1', '1e5', '1.5J', '2j', '0j', '1e400', '-1e400', '1.', '.'),
);

/** A signed or sign-wrapped number, the forms literal_eval's _convert_signed_num decides on. */
const SIGNED_ARB: fc.Arbitrary<string> = fc
  .tuple(pick('-', '+', '- ', '--', '-+', ''), fc.integer({ min: 0, max: 3 }), NUMBER_ARB, pick('', '', ',', ' '))
  .map(
    ([sign, parens, number, inner]) =>
      `${sign}${'('.repeat(parens)}${number}${parens > 0 ? inner : ''}${')'.repeat(parens)}`,
  );

const COMPLEX_ARB: fc.Arbitrary<string> = fc
  .tuple(pick('', '-', '-(', '('), NUMBER_ARB, pick('+', '-', ' + '), NUMBER_ARB, pick('j', 'J', ''))
  .map(([lead, a, op, b, j]) => `${lead}${a}${op}${b}${j}${lead.endsWith('(') ? ')' : ''}`);

const CONSTANT_ARB = pick(
  'True',
  'False',
  'None',
  'set()',
  '()',
  '[]',
  '{}',
  '...',
  'Ellipsis',
  'x',
  '-True',
  '1 + 2',
  '[1][0]',
);

const GAP_ARB = fc.oneof(
  { weight: 6, arbitrary: pick('', ' ') },
  { weight: 1, arbitrary: pick('\n', '\t', ' # c\n', '\\\n', '\r\n  ') },
);

const { value: VALUE_ARB } = fc.letrec<{ value: string; container: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: STRINGS_ARB },
    { weight: 4, arbitrary: SIGNED_ARB },
    { weight: 1, arbitrary: COMPLEX_ARB },
    { weight: 1, arbitrary: CONSTANT_ARB },
    { weight: 3, arbitrary: tie('container') },
  ),
  container: fc
    .tuple(
      pick('list', 'tuple', 'dict', 'set', 'paren'),
      fc.array(fc.tuple(tie('value'), tie('value'), GAP_ARB, GAP_ARB), { maxLength: 4 }),
      fc.boolean(),
    )
    .map(([kind, items, trailing]) => {
      const comma = trailing && items.length > 0 ? ',' : '';
      const body = (render: (key: string, value: string) => string) =>
        items.map(([key, value, gap1, gap2]) => `${gap1}${render(key, value)}${gap2}`).join(',');
      switch (kind) {
        case 'list':
          return `[${body((_, v) => v)}${comma}]`;
        case 'tuple':
          return `(${body((_, v) => v)}${items.length === 1 ? ',' : comma})`;
        case 'set':
          return `{${body((_, v) => v)}${comma}}`;
        case 'paren':
          return `(${items[0]?.[1] ?? ''})`;
        default:
          return `{${body((k, v) => `${k}:${v}`)}${comma}}`;
      }
    }),
}));

/**
 * Layout before, between and after top-level tokens, as far as Python's tokenizer accepts it (the
 * parser is laxer about layout on purpose, see skipTrivia in lib/wire/literal.ts).
 */
const LEAD_ARB = fc.oneof(
  { weight: 8, arbitrary: pick('', ' ') },
  { weight: 2, arbitrary: pick('\t ', '\n', '\r\n', '\r', ' # c\n', '\\\n', '\n\n', '\f', '\n \f', '\t\n') },
);
const BETWEEN_ARB = fc.oneof(
  { weight: 8, arbitrary: pick('', ' ') },
  { weight: 1, arbitrary: pick('\t', '\\\n', ' \\\r\n', '\f') },
);
const TAIL_ARB = fc.oneof(
  { weight: 8, arbitrary: pick('', ' ') },
  { weight: 2, arbitrary: pick('\n', '\r\n', ' # c', '\n  # c', '\n\n', '\f', ' \\\n\n', '\n \f') },
);

/** A whole literal as a client sends it: layout around it, and sometimes a tuple without parentheses. */
const LITERAL_ARB: fc.Arbitrary<string> = fc
  .tuple(
    LEAD_ARB,
    fc.oneof(
      { weight: 4, arbitrary: VALUE_ARB.map((value) => [[value, '', ''] as const]) },
      { weight: 1, arbitrary: fc.array(fc.tuple(VALUE_ARB, BETWEEN_ARB, BETWEEN_ARB), { minLength: 1, maxLength: 3 }) },
    ),
    fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    TAIL_ARB,
  )
  .map(([lead, items, trailingComma, tail]) => {
    const body = items.map(([value, before, after], i) => (i === 0 ? value : `${before},${after}${value}`)).join('');
    return `${lead}${body}${trailingComma ? ',' : ''}${tail}`;
  });

// ---------------------------------------------------------------------------------------------
// Comparison

type Ours = { ok: true; value: PyValue } | { ok: false; error: unknown };

function run(parse: () => PyValue): Ours {
  try {
    return { ok: true, value: parse() };
  } catch (error) {
    return { ok: false, error };
  }
}

function show(ours: Ours): string {
  if (ours.ok) return canonical(ours.value);
  return ours.error instanceof InvalidLiteralError ? `400 ${ours.error.reason}` : `THREW ${String(ours.error)}`;
}

/** Python's blanks around a text (str.strip's argument below); JSON5 takes any layout of them. */
const LAYOUT = /^[ \t\n\r\f]+|[ \t\n\r\f]+$/g;

function isJson5(text: string): boolean {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    JSON5.parse(text);
    return true;
  } catch {
    return false;
  } finally {
    console.warn = warn;
  }
}

/**
 * Why our reading of `text` disagrees with Python's `answer`, or undefined if it agrees.
 * `trimmed` is Python's answer for the text without its leading and trailing blanks: where Python
 * refuses only the layout (an indented first line, a last line of blanks) and the text is JSON5,
 * parseLiteralParam may read it, but only as Python reads the same tokens.
 */
function disagreement(text: string, answer: OracleAnswer, trimmed: OracleAnswer): string | undefined {
  const problems: string[] = [];
  const readers: Array<[string, () => PyValue]> = [
    ['parsePythonLiteral', () => parsePythonLiteral(text)],
    ['parseLiteralParam', () => parseLiteralParam(text, 'vals')],
  ];
  for (const [name, parse] of readers) {
    const ours = run(parse);
    if (answer.kind === 'value') {
      if (!ours.ok || canonical(ours.value) !== canonical(answer.value)) {
        problems.push(`${name} gave ${show(ours)}, Python ${canonical(answer.value)}`);
      }
    } else if (ours.ok && name === 'parseLiteralParam' && isJson5(text) && trimmed.kind === 'value') {
      if (canonical(ours.value) !== canonical(trimmed.value)) {
        problems.push(`${name} gave ${show(ours)}, Python ${canonical(trimmed.value)} for the trimmed JSON5 text`);
      }
    } else if (
      ours.ok &&
      name === 'parseLiteralParam' &&
      isJson5(text) &&
      trimmed.kind === 'error' &&
      /ast\.Name\b/.test(trimmed.error)
    ) {
      // An unquoted JSON5 key (`{Ellipsis: 1}`): Python has no reading of the text to compare with.
      continue;
    } else if (ours.ok || !(ours.error instanceof InvalidLiteralError)) {
      const python = answer.kind === 'error' ? answer.error : `unrepresentable ${answer.what}`;
      problems.push(`${name} gave ${show(ours)}, Python ${python}`);
    }
  }
  return problems.length === 0 ? undefined : `${JSON.stringify(text)}: ${problems.join('; ')}`;
}

/** Checks every text against Python; returns how many Python read as a value, as unrepresentable, as an error. */
function expectAgreement(texts: readonly string[]): Record<OracleAnswer['kind'], number> {
  const all = literalEval([...texts, ...texts.map((text) => text.replace(LAYOUT, ''))]);
  expect(all).toHaveLength(2 * texts.length);
  const answers = all.slice(0, texts.length);
  const problems = texts.flatMap(
    (text, i) => disagreement(text, answers[i] as OracleAnswer, all[texts.length + i] as OracleAnswer) ?? [],
  );
  // The shortest first: the shortest is usually the clearest counterexample.
  problems.sort((a, b) => a.length - b.length);
  expect(problems.slice(0, 25)).toStrictEqual([]);
  const counts = { value: 0, unrepresentable: 0, error: 0 };
  for (const answer of answers) counts[answer.kind]++;
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Hand-written cases, one group per gap of issue 16, with what Python 3.11 returns.

const F = (value: number) => new PyFloat(value);
const REFUSED = Symbol('refused');

const HAND_WRITTEN: ReadonlyArray<readonly [string, PyValue | typeof REFUSED]> = [
  // \N{...}
  [String.raw`{"street2": "\N{MUSICAL SYMBOL G CLEF}"}`, new Map([['street2', '𝄞']])],
  [String.raw`'\N{BULLET}\N{bullet}\N{Bullet}'`, '•••'],
  [String.raw`'\N{LF}\N{BEL}\N{NUL}\N{NULL}\N{BYTE ORDER MARK}\N{NBSP}\N{VS1}'`, '\n\x07\x00\x00\ufeff\u00a0\ufe00'],
  [String.raw`'\N{LATIN CAPITAL LETTER GHA}'`, '\u01a2'],
  [
    String.raw`'\N{CJK UNIFIED IDEOGRAPH-4E00}\N{CJK UNIFIED IDEOGRAPH-3134A}\N{CJK UNIFIED IDEOGRAPH-04E00}'`,
    '一\u{3134a}一',
  ],
  [
    String.raw`'\N{HANGUL SYLLABLE GA}\N{HANGUL SYLLABLE A}\N{HANGUL SYLLABLE HIH}\N{HANGUL SYLLABLE GGWAELH}'`,
    '가아힣\uaf73',
  ],
  [String.raw`'\N{CJK UNIFIED IDEOGRAPH-3134B}'`, REFUSED],
  [String.raw`'\N{CJK UNIFIED IDEOGRAPH-4e00}'`, REFUSED],
  [String.raw`'\N{cjk unified ideograph-4E00}'`, REFUSED],
  [String.raw`'\N{hangul syllable GA}'`, REFUSED],
  [String.raw`'\N{HANGUL SYLLABLE GAX}'`, REFUSED],
  [String.raw`'\N{TANGUT IDEOGRAPH-17000}'`, REFUSED],
  [String.raw`'\N{LATIN CAPITAL LETTER A WITH MACRON AND GRAVE}'`, REFUSED],
  [String.raw`'\N{BULLET'`, REFUSED],
  [String.raw`'''\N{A'B}'''`, REFUSED],
  [String.raw`'\N{}'`, REFUSED],
  [String.raw`'\N'`, REFUSED],
  [String.raw`r'\N{BULLET}'`, String.raw`\N{BULLET}`],
  [String.raw`b'\N{BULLET}'`, REFUSED],
  // Other escapes json5 read its own way.
  [String.raw`'\U0002a707\w\/\a\8\08\400'`, '𪜇\\w\\/\x07\\8\x008\u0100'],
  // String prefixes and raw strings.
  [
    String.raw`[r'\n', R'\n', u'\n', U'\n', r"\"", r'a\'b', r'''\'''', r'\\']`,
    ['\\n', '\\n', '\n', '\n', '\\"', "a\\'b", "\\'", '\\\\'],
  ],
  ["r'a\\\nb'", 'a\\\nb'],
  ["r'a\\\r\nb'", 'a\\\nb'],
  [String.raw`'a' r'\t' "b"`, 'a\\tb'],
  [String.raw`r'\'`, REFUSED],
  [String.raw`r'\\\'`, REFUSED],
  ["ur'x'", REFUSED],
  ["b'x'", REFUSED],
  ["rb'x'", REFUSED],
  ["Br'x'", REFUSED],
  ["f'x'", REFUSED],
  ["rf'x'", REFUSED],
  ["'a' b'b'", REFUSED],
  ["'a' f'b'", REFUSED],
  // Signs before parenthesised numbers.
  ['-(0o1135)', -605],
  ['+(5)', 5],
  ['-((5))', -5],
  ['- ( 2.5 )', F(-2.5)],
  ['[-(1), (-1), -(0x10)]', [-1, -1, -16]],
  ['{-(1): 2}', new Map([['-1', 2]])],
  ['-(-(1))', REFUSED],
  ['-(-1)', REFUSED],
  ['--1', REFUSED],
  ['-(1+2j)', REFUSED],
  ['-(5,)', REFUSED],
  ['-(True)', REFUSED],
  ['-(1j)', REFUSED],
  ['1+2j', REFUSED],
  ['-1-2j', REFUSED],
  ['-(1)+2j', REFUSED],
  ['1+2', REFUSED],
  // Number forms.
  [
    '[1_000, 0x_f, 0o17, 0B101, 00, 0_0, 1_0.0_1, 1.e5, .5, 5.]',
    [1000, 15, 15, 5, 0, 0, F(10.01), F(100000), F(0.5), F(5)],
  ],
  ['0_7', REFUSED],
  ['1e400', REFUSED],
  ['{1.5: 1}', REFUSED],
  ['{True: 1}', REFUSED],
  ['{1, 2}', REFUSED],
  ['set()', REFUSED],
];

describe('the literal parser and Python', () => {
  it.each(HAND_WRITTEN)('reads %s as Python 3.11 does', (text, expected) => {
    const readings = [run(() => parsePythonLiteral(text)), run(() => parseLiteralParam(text, 'vals'))];
    for (const ours of readings) {
      if (expected === REFUSED) {
        expect(ours.ok ? canonical(ours.value) : ours.error).toBeInstanceOf(InvalidLiteralError);
      } else {
        expect(ours.ok ? canonical(ours.value) : show(ours)).toBe(canonical(expected));
      }
    }
  });

  if (ORACLE_OPTED_OUT) {
    // Explicit and visible: the run says what it did not check.
    it('is not compared with ast.literal_eval: LITERAL_ORACLE=off', () => {
      console.warn(
        `LITERAL_ORACLE=off: ${HAND_WRITTEN.length} hand-written literals and no generated ones were checked against Python`,
      );
      expect(process.env.LITERAL_ORACLE).toBe('off');
    });
    return;
  }

  describe(`against ${PYTHON}'s ast.literal_eval`, () => {
    it('is CPython 3.11 or newer', () => {
      expect(pythonVersion()).toMatch(/^3\.\d+/);
    });

    it('gives the hand-written cases the answers written above', () => {
      const answers = literalEval(HAND_WRITTEN.map(([text]) => text));
      const mismatches = HAND_WRITTEN.flatMap(([text, expected], i) => {
        const answer = answers[i] as OracleAnswer;
        const python = answer.kind === 'value' ? canonical(answer.value) : REFUSED;
        const written = expected === REFUSED ? REFUSED : canonical(expected);
        return python === written
          ? []
          : [`${JSON.stringify(text)}: Python ${String(python)}, written ${String(written)}`];
      });
      expect(mismatches).toStrictEqual([]);
    });

    it(`agrees on ${RUNS} generated literals: escapes, prefixes, number forms, signs, layout and nesting`, () => {
      const texts = fc.sample(LITERAL_ARB, { numRuns: RUNS });
      const counts = expectAgreement(texts);
      // Not a vacuous run: Python reads a good share as values, and refuses or cannot carry others.
      expect(counts.value).toBeGreaterThan(texts.length / 10);
      expect(counts.unrepresentable).toBeGreaterThan(texts.length / 100);
      expect(counts.error).toBeGreaterThan(texts.length / 10);
    });

    it('agrees on every single escape, prefix and number form of the generators', () => {
      const texts = [
        ...fc.sample(STRING_ARB, { numRuns: 800 }),
        ...fc.sample(SIGNED_ARB, { numRuns: 600 }),
        ...fc.sample(COMPLEX_ARB, { numRuns: 200 }),
        ...fc.sample(
          NAME_ARB.map((name) => `'\\N{${name}}'`),
          { numRuns: 400 },
        ),
      ];
      const counts = expectAgreement(texts);
      // Not a vacuous run: Python reads a good share as values, and refuses or cannot carry others.
      expect(counts.value).toBeGreaterThan(texts.length / 10);
      expect(counts.unrepresentable).toBeGreaterThan(texts.length / 100);
      expect(counts.error).toBeGreaterThan(texts.length / 10);
    });
  });
});
