import fc from 'fast-check';
import { InvalidXmlError } from '../../../lib/errors';
import { PyFloat, pyDict, type PyDict, type PyValue } from '../../../lib/wire/pyvalue';
import { isXmlBody, parseXmlBody } from '../../../lib/wire/xml-body';
import { toDictXml } from '../../../lib/wire/xml';
import { thrown } from '../../helpers/thrown';

/** Jest compares Maps without regard to order, so order-sensitive checks look at the entries. */
function entries(value: PyValue): unknown {
  if (!(value instanceof Map)) throw new Error('expected a dict');
  return [...value.entries()];
}

const xmlError = (text: string, options = {}) => thrown(() => parseXmlBody(text, options)) as InvalidXmlError;

describe('xml-body', () => {
  describe('parseXmlBody: valid bodies', () => {
    it('returns the vals of the issue example, x2many command triple included', () => {
      const body =
        '<vals><street2 type="str">Chung Hsiao East Road</street2><active type="bool">true</active>' +
        '<category_id type="list"><item type="list"><item type="int">6</item><item type="int">0</item><item type="list"><item type="int">1</item></item></item></category_id></vals>';
      expect(parseXmlBody(body)).toStrictEqual({
        root: 'vals',
        value: pyDict([
          ['street2', 'Chung Hsiao East Road'],
          ['active', true],
          ['category_id', [[6, 0, [1]]]],
        ]),
      });
    });

    it('returns every type as the literal parser would', () => {
      const { value } = parseXmlBody(
        '<vals><s type="str">a b</s><i type="int">-42</i><f type="float">100</f><t type="bool">true</t><n type="null"></n>' +
          '<l type="list"><item type="int">1</item></l><d type="dict"><k type="str">v</k></d></vals>',
      );
      expect(entries(value)).toStrictEqual([
        ['s', 'a b'],
        ['i', -42],
        ['f', new PyFloat(100)],
        ['t', true],
        ['n', null],
        ['l', [1]],
        ['d', pyDict([['k', 'v']])],
      ]);
    });

    it.each<[string, string, PyValue]>([
      ['an int beyond 2**53 as a bigint', '<i type="int">9007199254740993</i>', 9007199254740993n],
      ['an int with spaces and a sign, as Python int() reads it', '<i type="int"> +7 </i>', 7],
      ['-0 as the int 0', '<i type="int">-0</i>', 0],
      ['a float in exponent notation', '<f type="float">2.5e-07</f>', new PyFloat(2.5e-7)],
      ['-0.0 as a negative zero float', '<f type="float">-0.0</f>', new PyFloat(-0)],
      ["dicttoxml's capitalised bool in a list", '<b type="bool">False</b>', false],
      ['a null with whitespace in it', '<n type="null">  </n>', null],
      ['a str keeping its whitespace', '<s type="str">  two  spaces </s>', '  two  spaces '],
      ['an empty typed str', '<s type="str"/>', ''],
      ['an empty list', '<l type="list"></l>', []],
      ['an empty dict', '<d type="dict"/>', new Map()],
      ['an untyped element as its text (never guessed: 5 stays a str)', '<x>5</x>', '5'],
      ['an untyped empty element as the empty string', '<x/>', ''],
      ['an untyped element with children as a dict', '<x><y>1</y></x>', pyDict([['y', '1']])],
      ["dicttoxml's <key name=...> for a key that is not an XML name", '<d type="dict"><key name="my key" type="int">1</key></d>', pyDict([['my key', 1]])],
      ['list items of any element name', '<l type="list"><a type="int">1</a><b type="int">2</b></l>', [1, 2]],
    ])('returns %s', (_case, element, expected) => {
      expect(parseXmlBody(`<args>${element}</args>`).value).toStrictEqual([expected]);
    });

    it('gives the root the default of its role: vals and kwargs are dicts, args a list', () => {
      expect(parseXmlBody('<vals/>')).toStrictEqual({ root: 'vals', value: new Map() });
      expect(parseXmlBody('<kwargs></kwargs>')).toStrictEqual({ root: 'kwargs', value: new Map() });
      expect(parseXmlBody('<args/>')).toStrictEqual({ root: 'args', value: [] });
      expect(parseXmlBody('<args><item type="int">1</item><item>x</item></args>').value).toStrictEqual([1, 'x']);
      // A type on the root, as dicttoxml writes it, is honoured.
      expect(parseXmlBody('<vals type="dict"><a type="int">1</a></vals>').value).toStrictEqual(pyDict([['a', 1]]));
      expect(parseXmlBody('<args type="dict"><a type="int">1</a></args>').value).toStrictEqual(pyDict([['a', 1]]));
    });

    it('keeps dict keys in document order', () => {
      expect(entries(parseXmlBody('<vals><z>1</z><a>2</a><m>3</m></vals>').value)).toStrictEqual([
        ['z', '1'],
        ['a', '2'],
        ['m', '3'],
      ]);
    });

    it('reads a pretty-printed document with a declaration, a BOM, comments, processing instructions and CDATA', () => {
      const body = [
        '\uFEFF<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        '<!-- a partner -->',
        '<?app hint?>',
        '<vals>',
        '  <name type="str"><![CDATA[<b>R&D</b>]]></name>',
        '  <!-- ignored -->',
        '  <tags type="list">',
        '    <item type="int">1</item>',
        '  </tags>',
        '</vals>',
        '<!-- after -->',
        '',
      ].join('\r\n');
      expect(parseXmlBody(body).value).toStrictEqual(
        pyDict([
          ['name', '<b>R&D</b>'],
          ['tags', [1]],
        ]),
      );
    });

    it('decodes the five predefined entities and character references, and normalises line ends in text', () => {
      expect(parseXmlBody('<args><s>&lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#x1F600; a\r\nb\rc</s></args>').value).toStrictEqual(["<>&\"' AB\u{1F600} a\nb\nc"]);
      // A character reference is how a CR survives.
      expect(parseXmlBody('<args><s>a&#13;b</s></args>').value).toStrictEqual(['a\rb']);
    });

    it('reads attributes in either quote, with references, and normalises their whitespace', () => {
      expect(parseXmlBody(`<vals><key name='a&amp;b\tc' type = 'int' >1</key></vals>`).value).toStrictEqual(pyDict([['a&b c', 1]]));
    });

    it('reads back every dict our own XML writer produces (dicttoxml round trip)', () => {
      const forbidden = /[\x00-\x08\x0B\x0C\x0D\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g; // eslint-disable-line no-control-regex
      const key = fc.stringMatching(/^[a-z_][a-z0-9_.-]{0,8}$/);
      const int = fc.oneof(
        fc.integer(),
        fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((big) => (Number.isSafeInteger(Number(big)) ? Number(big) : big)),
      );
      const scalar = fc.oneof(
        // XML turns a literal CR into LF (and our writer keeps CRs literal), so strings leave CR out.
        fc.string({ unit: 'binary' }).map((s) => s.replace(forbidden, '')),
        int,
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => new PyFloat(x)),
        fc.boolean(),
        fc.constant(null),
      );
      const { dict } = fc.letrec<{ value: PyValue; dict: PyDict }>((tie) => ({
        value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 4 }), tie('dict')),
        dict: fc.uniqueArray(fc.tuple(key, tie('value')), { maxLength: 4, selector: ([k]) => k }).map((pairs) => new Map(pairs)),
      }));
      fc.assert(
        fc.property(dict, (vals) => {
          expect(parseXmlBody(toDictXml(new Map([['vals', vals]])))).toStrictEqual({ root: 'vals', value: vals });
        }),
      );
    });
  });

  describe('parseXmlBody: refused bodies', () => {
    it.each<[string, string, string]>([
      ['an unclosed element', '<vals><a>', 'unexpected end of input inside <a> at line 1, column 10'],
      ['a mismatched end tag', '<vals><a></b></vals>', '</b> does not close <a> at line 1, column 10'],
      ['a second root', '<vals/><vals/>', 'a second root element at line 1, column 8'],
      ['text after the root', '<vals/>x', 'text after the root element at line 1, column 8'],
      ['text before the root', 'x<vals/>', 'text before the root element at line 1, column 1'],
      ['an empty body', '  ', 'no root element at line 1, column 3'],
      ['the wrong root', '<root><vals/></root>', 'the root element must be <vals>, <args> or <kwargs>, not <root> at line 1, column 1'],
      ['an unquoted attribute', '<vals type=dict/>', "the value of the attribute 'type' must be quoted at line 1, column 12"],
      ['a duplicate attribute', '<vals type="dict" type="dict"/>', "duplicate attribute 'type' at line 1, column 19"],
      ['attributes without space between them', '<vals a="1"b="2"/>', "expected whitespace, '>' or '/>' in the start tag of <vals> at line 1, column 12"],
      ["'<' in an attribute value", '<vals a="<"/>', "'<' is not allowed in an attribute value at line 1, column 10"],
      ['a bare ampersand', '<vals><a>R&D</a></vals>', "'&' must start a reference such as &amp; or &#38; at line 1, column 11"],
      ['an undefined entity', '<vals><a>&nbsp;</a></vals>', "undefined entity '&nbsp;': only &lt; &gt; &amp; &quot; &apos; and character references are allowed at line 1, column 10"],
      ['a reference to a character XML forbids', '<vals><a>&#0;</a></vals>', "character reference '&#0;' is not a character XML allows at line 1, column 10"],
      ['a control character', '<vals><a>\u0001</a></vals>', 'character U+0001 is not allowed in XML at line 1, column 10'],
      ["']]>' in text", '<vals><a>]]></a></vals>', "']]>' is not allowed in text at line 1, column 10"],
      ["'--' in a comment", '<vals><!-- a -- b --></vals>', "'--' is not allowed inside a comment at line 1, column 14"],
      ['a late XML declaration', '<vals><?xml version="1.0"?></vals>', 'the XML declaration is only allowed at the very start at line 1, column 7'],
      ['another encoding', '<?xml version="1.0" encoding="ISO-8859-1"?><vals/>', "encoding 'ISO-8859-1' is not supported: send UTF-8 at line 1, column 1"],
      ['an unknown type', '<vals><a type="date">x</a></vals>', "<a> has an unknown type 'date'; expected one of str, int, float, bool, null, list, dict at line 1, column 7"],
      ['an int that is not one', '<vals>\n  <a type="int">1.5</a>\n</vals>', "<a> has type 'int' but its text '1.5' is not an integer at line 2, column 3"],
      ['a float that is NaN', '<vals><a type="float">nan</a></vals>', "<a> has type 'float' but its text 'nan' is not a finite number (NaN and Infinity are not allowed) at line 1, column 7"],
      ['a float out of range', '<vals><a type="float">1e999</a></vals>', '<a> has a float out of range at line 1, column 7'],
      ['a bool that is not one', '<vals><a type="bool">yes</a></vals>', "<a> has type 'bool' but its text 'yes' is not true or false at line 1, column 7"],
      ['a null with text', '<vals><a type="null">x</a></vals>', "<a> has type 'null' but its text 'x' is not empty at line 1, column 7"],
      ['a str holding elements', '<vals><a type="str">x<b/></a></vals>', '<a> is a str and cannot hold elements at line 1, column 22'],
      ['a list holding text', '<vals><a type="list">x<item/></a></vals>', '<a> is a list and cannot hold text at line 1, column 7'],
      ['text mixed with elements', '<vals><a>x<b/></a></vals>', '<a> mixes text and elements at line 1, column 7'],
      ['a duplicate key', '<vals><a>1</a><a>2</a></vals>', "duplicate key 'a' in <vals> at line 1, column 15"],
    ])('refuses %s with the place where it stopped', (_case, body, message) => {
      const error = xmlError(body);
      expect(error).toBeInstanceOf(InvalidXmlError);
      expect([error.status, error.code, error.message]).toStrictEqual([400, 'INVALID_XML', `Cannot parse the XML body: ${message}`]);
    });

    it('refuses any DTD: internal entities (billion laughs), external ones (XXE), and a bare DOCTYPE', () => {
      const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><vals><a>&lol2;</a></vals>';
      const xxe = '<!DOCTYPE vals [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><vals><a>&xxe;</a></vals>';
      for (const body of [laughs, xxe, '<!DOCTYPE vals><vals/>']) {
        expect(xmlError(body).reason).toBe('DOCTYPE declarations are not allowed (no DTDs, no entity definitions)');
      }
      // An entity that is used without any definition is just undefined.
      expect(xmlError('<vals><a>&xxe;</a></vals>').reason).toMatch(/^undefined entity '&xxe;'/);
      expect(xmlError('<vals><!ENTITY a "b"></vals>').reason).toBe("unexpected markup declaration '<!'");
    });

    it('bounds the nesting depth (the root counts) without using the call stack for it', () => {
      const nested = (depth: number) => `<args>${'<item type="list">'.repeat(depth - 1)}${'</item>'.repeat(depth - 1)}</args>`;
      expect(() => parseXmlBody(nested(33))).not.toThrow();
      expect(xmlError(nested(34)).reason).toBe('elements nested deeper than 33');
      expect(xmlError(nested(3000)).reason).toBe('elements nested deeper than 33');
      expect(xmlError(nested(3), { maxDepth: 2 }).reason).toBe('elements nested deeper than 2');
    });

    it('bounds the length before reading anything', () => {
      const long = `<vals><a>${'x'.repeat(100_000)}</a></vals>`;
      expect([xmlError(long).reason, xmlError(long).position]).toStrictEqual(['input longer than 100000 characters', 100_000]);
      expect(xmlError('<vals/>', { maxLength: 5 }).reason).toBe('input longer than 5 characters');
    });

    it('either parses any string or refuses it with an InvalidXmlError, never anything else', () => {
      const accepts = (text: string) => {
        try {
          parseXmlBody(text);
        } catch (error) {
          if (!(error instanceof InvalidXmlError)) throw error;
        }
      };
      fc.assert(fc.property(fc.string({ unit: 'binary' }), accepts), { numRuns: 500 });
      // Random strings rarely get past the first '<'; fragments of XML get much further.
      const fragments = fc.constantFrom(
        '<vals>', '</vals>', '<args>', '</args>', '<a type="int">', '<a type="list">', '<item type="float">', '<item>', '</item>', '</a>', '<b/>',
        '<key name="k">', '</key>', '&amp;', '&#65;', '&#x0;', '&', ';', '<!--', '-->', '<![CDATA[', ']]>', '<?xml version="1.0"?>', '<?pi x?>',
        '<!DOCTYPE', ' ', '\n', '\r', 'x', '1', '-', '.', 'e', 'true', '"', "'", '=', '/>', '>', '<', '\u0000', '\uD800', '\u{1F600}',
      );
      fc.assert(fc.property(fc.array(fragments, { maxLength: 30 }).map((parts) => parts.join('')), accepts), { numRuns: 2000 });
    });
  });

  describe('isXmlBody', () => {
    it.each<[string, string | undefined, boolean]>([
      ['{"a": 1}', 'application/xml', true],
      ['{"a": 1}', 'text/xml; charset=utf-8', true],
      ['{"a": 1}', 'Application/XML', true],
      ['<vals/>', undefined, true],
      ['\uFEFF \n <vals/>', 'text/plain', true],
      ['{"a": 1}', 'application/json', false],
      ["{'a': '<b>'}", undefined, false],
    ])('takes %j with Content-Type %j as XML: %s', (body, contentType, expected) => {
      expect(isXmlBody(body, contentType)).toBe(expected);
    });
  });
});
