import golden from '../../fixtures/dicttoxml-golden.json';
import { parsePythonLiteral } from '../../../lib/wire/literal';
import { PyFloat, pyDict } from '../../../lib/wire/pyvalue';
import type { PyDict, PyValue } from '../../../lib/wire/pyvalue';
import { pythonFloatParse, toDictXml } from '../../../lib/wire/xml';

// Every expected string below is what Python's dicttoxml 1.7.16 gives for the same value with
// root=False, except where a comment names one of lib/wire/xml.ts's deliberate divergences.

function pyDictFromLiteral(text: string): PyDict {
  const value = parsePythonLiteral(text);
  if (!(value instanceof Map)) throw new Error(`not a dict literal: ${text}`);
  return value;
}

/** A one-entry payload: `{key: value}`. */
function one(key: string, value: PyValue): PyDict {
  return pyDict([[key, value]]);
}

// ---------------------------------------------------------------------------------------------
// A strict, independent well-formedness check for what dicttoxml emits (elements, attributes and
// text; no comments, PIs or CDATA), read as the content of a root element by a namespace-aware
// XML 1.0 fifth edition parser. Node has no XML parser, and nothing may be installed.

/** XML 1.0's Char production. A lone surrogate arrives here as a code point in D800-DFFF. */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

const NAME_START =
  ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
// The combining marks go first so that eslint's no-misleading-character-class does not read them as
// combining with the character before them.
const NAME_CHAR = `\\u0300-\\u036F${NAME_START}\\-.0-9\\u00B7\\u203F-\\u2040`;
/** XML 1.0 fifth edition's Name production. */
const XML_NAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, 'u');

/** A Name that a namespace-aware parser also accepts with no declarations: only `xml:` is bound. */
function isBoundQName(name: string): boolean {
  if (!XML_NAME.test(name)) return false;
  const parts = name.split(':');
  return parts.length === 1 || (parts.length === 2 && parts[0] === 'xml' && parts[1] !== '');
}

const S = '[ \\t\\n\\r]';
const REFERENCE = '&(?:amp|lt|gt|quot|apos);';
const START_TAG = new RegExp(`^([^ \\t\\n\\r]+)((?:${S}+[^ \\t\\n\\r=]+="(?:[^"<&]|${REFERENCE})*")*)${S}*$`);
const ATTRIBUTE = new RegExp(`${S}+([^ \\t\\n\\r=]+)="`, 'g');
const TEXT = new RegExp(`^(?:[^<&]|${REFERENCE})*$`);
const TOKEN = /<\/([^>]*)>|<([^>]*)>|([^<]+)/y;

/** Returns why `fragment` is not well-formed, or undefined if it is. */
function wellFormednessProblem(fragment: string): string | undefined {
  for (const ch of fragment) {
    const cp = ch.codePointAt(0) ?? -1;
    if (!isXmlChar(cp)) return `character U+${cp.toString(16).toUpperCase()} is not allowed`;
  }
  const open: string[] = [];
  for (let pos = 0; pos < fragment.length; pos = TOKEN.lastIndex) {
    TOKEN.lastIndex = pos;
    const match = TOKEN.exec(fragment);
    if (match === null) return `unterminated tag at ${pos}`;
    const [, endTag, startTag, text] = match;
    if (endTag !== undefined) {
      const name = endTag.replace(new RegExp(`${S}+$`), '');
      const expected = open.pop();
      if (name !== expected) return `</${name}> closes <${expected ?? '(nothing)'}>`;
    } else if (startTag !== undefined) {
      const tag = START_TAG.exec(startTag);
      if (tag === null) return `bad start tag <${startTag}>`;
      const [, name = '', attributes = ''] = tag;
      if (!isBoundQName(name)) return `bad element name ${JSON.stringify(name)}`;
      const seen = new Set<string>();
      for (const [, attribute = ''] of attributes.matchAll(ATTRIBUTE)) {
        if (!isBoundQName(attribute) || seen.has(attribute)) return `bad attribute ${attribute}`;
        seen.add(attribute);
      }
      open.push(name);
    } else if (text !== undefined && (!TEXT.test(text) || text.includes(']]>'))) {
      return `bad text ${JSON.stringify(text)}`;
    }
  }
  return open.length === 0 ? undefined : `unclosed <${open.join('>, <')}>`;
}

describe('xml', () => {
  /** The check itself must tell good from bad, or the tests that lean on it prove nothing. */
  describe('wellFormednessProblem (test helper)', () => {
    it('accepts well-formed dicttoxml-style fragments', () => {
      expect(wellFormednessProblem('<a type="int">1</a ><xml:lang name="&lt;" type="str">&amp;\t\n\r</xml:lang>')).toBeUndefined();
      expect(wellFormednessProblem('<x type="list"><item type="str">\u{1F600}</item></x>')).toBeUndefined();
    });

    it('rejects malformed fragments', () => {
      const bad = [
        '<a>\u0001</a>', '<a>\uD800</a>', '<a>\uFFFE</a>', '<a>x & y</a>', '<a>]]></a>', '<a></b>', '<a>',
        '<n1e+16 type="dict"></n1e+16>', '<a:b></a:b>', '<1a></1a>', '<a b="1" b="2"></a>', '<a b="<"></a>',
        '<a b=1></a>', '<\u3000></\u3000>',
      ];
      for (const fragment of bad) expect([fragment, wellFormednessProblem(fragment)]).not.toEqual([fragment, undefined]);
    });
  });

  describe('toDictXml', () => {
    // The fixture holds dicttoxml's real output. It prints a bool inside a list as True/False (a
    // dicttoxml bug: its list branch tests for numbers first, and a bool is an int). We print
    // true/false everywhere on purpose, so the expectation is the fixture with exactly those
    // list items lowercased.
    golden.cases.forEach(({ python, xml }, index) => {
      it(`matches golden case ${index + 1}: ${python.length > 70 ? `${python.slice(0, 70)}...` : python}`, () => {
        // Prepare
        const expected = xml.replace(
          /<item type="bool">(True|False)<\/item>/g,
          (_match, value: string) => `<item type="bool">${value.toLowerCase()}</item>`,
        );
        const payload = pyDictFromLiteral(python);

        // Act
        const actual = toDictXml(payload);

        // Assess
        expect(actual).toBe(expected);
        expect(wellFormednessProblem(actual)).toBeUndefined();
      });
    });

    it('renders an empty payload as the empty string', () => {
      expect(toDictXml(new Map())).toBe('');
    });

    it('renders every type, inside a list too, with bools as true/false there (our divergence)', () => {
      const payload = one('x', [true, false, null, new PyFloat(2), [1], pyDict([['a', 1]]), [], new Map()]);
      expect(toDictXml(payload)).toBe(
        '<x type="list"><item type="bool">true</item><item type="bool">false</item><item type="null"></item>' +
          '<item type="float">2.0</item><item type="list"><item type="int">1</item></item>' +
          '<item type="dict"><a type="int">1</a></item><item type="list"></item><item type="dict"></item></x>',
      );
    });

    it('prints every digit of an int, whether number or bigint', () => {
      const payload = pyDict([['a', 2 ** 60], ['b', 10n ** 30n], ['c', -0], ['d', 1e21], ['e', -42n]]);
      expect(toDictXml(payload)).toBe(
        '<a type="int">1152921504606846976</a><b type="int">1000000000000000000000000000000</b>' +
          '<c type="int">0</c><d type="int">1000000000000000000000</d><e type="int">-42</e>',
      );
    });

    it('prints floats as Python str() does', () => {
      const values = [
        1.5, 100.0, 1e16, 1e15, 0.0001, 0.00001, -0.0, 2.5e-7, 0.1 + 0.2, 123456789.123, 1.7976931348623157e308,
        5e-324, NaN, Infinity, -Infinity,
      ];
      const expected = [
        '1.5', '100.0', '1e+16', '1000000000000000.0', '0.0001', '1e-05', '-0.0', '2.5e-07', '0.30000000000000004',
        '123456789.123', '1.7976931348623157e+308', '5e-324', 'nan', 'inf', '-inf',
      ];
      expect(toDictXml(one('f', values.map((value) => new PyFloat(value))))).toBe(
        `<f type="list">${expected.map((text) => `<item type="float">${text}</item>`).join('')}</f>`,
      );
    });

    it('escapes & " \' < > in text, once', () => {
      expect(toDictXml(one('s', `<tag attr="v"> & 'q' &amp;`))).toBe(
        '<s type="str">&lt;tag attr=&quot;v&quot;&gt; &amp; &apos;q&apos; &amp;amp;</s>',
      );
    });

    it('keeps non-ASCII text, tab, LF, CR and the C1 controls (all allowed in XML 1.0)', () => {
      expect(toDictXml(one('u', 'Z\u00FCrich \u53F0\u5317 \u{1F600}\t\n\r\u007F\u0085'))).toBe(
        '<u type="str">Z\u00FCrich \u53F0\u5317 \u{1F600}\t\n\r\u007F\u0085</u>',
      );
    });

    it('replaces characters XML 1.0 forbids with U+FFFD in text (our divergence)', () => {
      // Prepare: C0 controls, U+FFFE/U+FFFF, lone surrogates of both kinds, and a reversed pair.
      const text = 'a\u0000b\u0008c\u000Bd\u000Ce\u001Ff\uFFFEg\uFFFFh\uD800i\uDC00j\uDC00\uD800k\uD83D\uDE00';

      // Act
      const actual = toDictXml(pyDict([['s', text], ['l', [text]]]));

      // Assess
      const clean = 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFDg\uFFFDh\uFFFDi\uFFFDj\uFFFD\uFFFDk\u{1F600}';
      expect(actual).toBe(`<s type="str">${clean}</s><l type="list"><item type="str">${clean}</item></l>`);
      expect(wellFormednessProblem(actual)).toBeUndefined();
    });

    it('moves a key holding a forbidden character into name="..." with U+FFFD for it', () => {
      const payload = pyDict([['a\u0001b', 1], ['\uD800', 'x'], ['c\uFFFF', [1]], ['a b\u001F', null]]);
      const actual = toDictXml(payload);
      expect(actual).toBe(
        '<key name="a\uFFFDb" type="int">1</key><key name="\uFFFD" type="str">x</key>' +
          '<key name="c\uFFFD" type="list"><item type="int">1</item></key><key name="a b\uFFFD" type="null"></key>',
      );
      expect(wellFormednessProblem(actual)).toBeUndefined();
    });

    it('still reads a key with Python whitespace that XML forbids as a float, as dicttoxml does', () => {
      // float() strips \v and \f, so dicttoxml renames the key to n1.5 and nothing forbidden remains.
      expect(toDictXml(pyDict([['\u000B1.5', 1], ['\u000C2 ', 2]]))).toBe(
        '<n1.5 type="int">1</n1.5><n2.0 type="int">2</n2.0>',
      );
    });

    describe('key renaming (make_valid_xml_name)', () => {
      it('keeps a valid name as it is, including xml:lang and non-ASCII letters', () => {
        const keys = ['res.partner', 'xml_ok', 'xml:lang', 'xmlns', 'Z\u00FCrich', '\u53F0\u5317', 'nan', 'Infinity', 'a.b-c_d', 'a\u00B7'];
        const actual = toDictXml(pyDict(keys.map((key, i) => [key, i])));
        expect(actual).toBe(keys.map((key, i) => `<${key} type="int">${i}</${key}>`).join(''));
        expect(wellFormednessProblem(actual)).toBeUndefined();
      });

      it('keeps a key ending in whitespace, which minidom accepts as <a >foo</a >', () => {
        expect(toDictXml(pyDict([['a ', 1], ['b\t', true]]))).toBe('<a  type="int">1</a ><b\t type="bool">true</b\t>');
      });

      it('puts n before an all-digit key, Unicode digits included', () => {
        // str.isdigit() is true for Arabic-Indic digits, and for a superscript two. But "n\u00B2" is
        // still not a valid name, so the second check moves it into name="...".
        const payload = pyDict([['123', 1], ['007', 2], ['\u0661\u0662', 3], ['\u00B2', 4], ['0', 5]]);
        expect(toDictXml(payload)).toBe(
          '<n123 type="int">1</n123><n007 type="int">2</n007><n\u0661\u0662 type="int">3</n\u0661\u0662>' +
            '<key name="n\u00B2" type="int">4</key><n0 type="int">5</n0>',
        );
      });

      it("puts n before Python's str(float(key)) when the key parses as a float", () => {
        const keys = ['1.5', '-1', '1e5', ' 1.5', '1_0', '-nan', '-inf', '-Infinity', '1e400', '1e-5', '.5', '-0', '\u0661.\u0665'];
        const names = ['n1.5', 'n-1.0', 'n100000.0', 'n1.5', 'n10.0', 'nnan', 'n-inf', 'n-inf', 'ninf', 'n1e-05', 'n0.5', 'n-0.0', 'n1.5'];
        const actual = toDictXml(pyDict(keys.map((key, i) => [key, i])));
        expect(actual).toBe(names.map((name, i) => `<${name} type="int">${i}</${name}>`).join(''));
        expect(wellFormednessProblem(actual)).toBeUndefined();
      });

      it('moves n1e+16 (a float name with "+", still invalid) into name="..." for every value type', () => {
        // For scalars this is dicttoxml's own output. For dict and list values dicttoxml skips the
        // second check and emits the malformed <n1e+16 type="dict">; we check again (our divergence).
        const payload = pyDict([['1e16', 1], ['1e16 ', null], ['1E16', pyDict([['a', 1]])], ['2e16', [1]]]);
        const actual = toDictXml(payload);
        expect(actual).toBe(
          '<key name="n1e+16" type="int">1</key><key name="n1e+16" type="null"></key>' +
            '<key name="n1e+16" type="dict"><a type="int">1</a></key>' +
            '<key name="n2e+16" type="list"><item type="int">1</item></key>',
        );
        expect(wellFormednessProblem(actual)).toBeUndefined();
      });

      it('replaces spaces with _ when that makes a valid name', () => {
        const payload = pyDict([['my key', 1], ['a b c', 2], [' a', 3], ['my key ', pyDict([['x', 1]])]]);
        expect(toDictXml(payload)).toBe(
          '<my_key type="int">1</my_key><a_b_c type="int">2</a_b_c><_a type="int">3</_a>' +
            '<my_key_ type="dict"><x type="int">1</x></my_key_>',
        );
      });

      it('rejects colons except the bound xml: prefix (minidom parses with namespaces)', () => {
        const keys = ['a:b', 'xmlns:a', 'xml:', ':a', 'xml:1a', 'a:b:c', 'a b:c'];
        expect(toDictXml(pyDict(keys.map((key, i) => [key, i])))).toBe(
          keys.map((key, i) => `<key name="${key}" type="int">${i}</key>`).join(''),
        );
      });

      it("rejects characters outside expat's (pre-fifth-edition) name classes", () => {
        // XML 1.0 fifth edition accepts all of these as names; minidom (expat) does not.
        // U+2070 is a superscript zero: a digit for str.isdigit(), so it gets the n first.
        const payload = pyDict([['\u{1F600}', 1], ['\u3001', 2], ['\u037F', 3], ['\u2070', 4], ['\uF900', 5], ['\u00B7a', 6]]);
        expect(toDictXml(payload)).toBe(
          '<key name="\u{1F600}" type="int">1</key><key name="\u3001" type="int">2</key>' +
            '<key name="\u037F" type="int">3</key><key name="n\u2070" type="int">4</key>' +
            '<key name="\uF900" type="int">5</key><key name="\u00B7a" type="int">6</key>',
        );
      });

      it('escapes the key first, so & < > " \' make it invalid and appear escaped in name="..."', () => {
        const keys = ['', 'a&b', 'bad<', '1abc', `a"b'c`, '<&>', 'a b&c'];
        const names = ['', 'a&amp;b', 'bad&lt;', '1abc', 'a&quot;b&apos;c', '&lt;&amp;&gt;', 'a b&amp;c'];
        const actual = toDictXml(pyDict(keys.map((key, i) => [key, i])));
        expect(actual).toBe(names.map((name, i) => `<key name="${name}" type="int">${i}</key>`).join(''));
        expect(wellFormednessProblem(actual)).toBeUndefined();
      });

      it('writes a literal key "key" without a name attribute', () => {
        expect(toDictXml(one('key', 5))).toBe('<key type="int">5</key>');
      });

      it('treats __proto__ and integer-like keys as ordinary keys, in Map order', () => {
        expect(toDictXml(pyDict([['b', 1], ['__proto__', 2], ['10', 3], ['2', 4]]))).toBe(
          '<b type="int">1</b><__proto__ type="int">2</__proto__><n10 type="int">3</n10><n2 type="int">4</n2>',
        );
      });
    });

    it('throws a TypeError for a plain number that is not an int, and for non-PyValues', () => {
      expect(() => toDictXml(one('x', 1.5))).toThrow(TypeError);
      expect(() => toDictXml(one('x', NaN))).toThrow(TypeError);
      expect(() => toDictXml(one('x', [Infinity]))).toThrow(TypeError);
      expect(() => toDictXml(one('x', undefined as unknown as PyValue))).toThrow(TypeError);
      expect(() => toDictXml(one('x', new Date(0) as unknown as PyValue))).toThrow(TypeError);
    });
  });

  describe('pythonFloatParse', () => {
    // Each expectation is what Python 3's float(text) gives; undefined where it raises ValueError.
    const cases: readonly (readonly [string, number | undefined])[] = [
      ['1.5', 1.5], ['1e5', 100000], ['1E5', 100000], [' 1.5 ', 1.5], ['+.5e-3', 0.0005], ['1.', 1], ['.5', 0.5],
      ['00012', 12], ['-0', -0], ['1e0001', 10], ['1e400', Infinity], ['-1e400', -Infinity], ['1e-400', 0],
      ['1_0', 10], [' 1_000.5e1_0 ', 10005000000000], ['1e5_0', 1e50],
      ['nan', NaN], ['-nan', NaN], ['+NaN', NaN], ['inf', Infinity], ['-Infinity', -Infinity], ['iNfInItY', Infinity],
      ['\t\n\u000B\u000C\r1\r', 1], ['\u00A01\u3000', 1], ['\u0085 1\u2003', 1],
      ['\u0661.\u0665', 1.5], ['\u0661_\u0662', 12], ['1_\u0662', 12], ['\u{1D7CF}', 1],
      ['', undefined], [' ', undefined], ['.', undefined], ['e5', undefined], ['1e', undefined], ['1e+', undefined],
      ['1__0', undefined], ['_1', undefined], ['1_', undefined], ['1_.5', undefined], ['1._5', undefined],
      ['1e_5', undefined], ['1_e5', undefined], ['in_f', undefined], ['infinit', undefined], ['nan(1)', undefined],
      ['0x10', undefined], ['1 2', undefined], ['--1', undefined], ['+-1', undefined], ['1\u0000', undefined],
      ['\u001C1', undefined], ['\u00B2', undefined], ['1\u200B', undefined], ['1\u007F', undefined],
      ['\uD8001', undefined], ['Infinity1', undefined], ['1,5', undefined],
    ];

    it.each(cases)('float(%j) is %p', (text, expected) => {
      expect(pythonFloatParse(text)).toBe(expected);
    });
  });
});
