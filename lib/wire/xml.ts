/**
 * The XML body, byte for byte what the original sent: Python's `dicttoxml(payload, root=False)`
 * from dicttoxml 1.7.16 (attr_type=True, item names "item", no CDATA). That means no prolog, one
 * line, no whitespace between elements, a `type` attribute on every element, and invalid keys
 * renamed by dicttoxml's own rules.
 *
 * This is hand-written because no library reproduces dicttoxml byte for byte. xmlbuilder2 escapes
 * differently, and every builder decides which names are valid by its own rule. dicttoxml instead
 * asks minidom (that is, expat) whether `<key>foo</key>` parses.
 *
 * Deliberate divergences from dicttoxml. Each one only matters where dicttoxml's output is a bug
 * or is not well-formed XML:
 * 1. A bool inside a list prints `true`/`false`. dicttoxml prints `True`/`False` there, because
 *    bool is an int in Python and its list branch tests for numbers first.
 * 2. Characters that XML 1.0 forbids become U+FFFD in text and attribute values: C0 controls other
 *    than tab, LF and CR, lone surrogates, U+FFFE and U+FFFF. dicttoxml copies them through, and
 *    on a lone surrogate it crashes while encoding to UTF-8.
 * 3. A renamed key is checked again whatever its value. dicttoxml does that second check only for
 *    scalar values (convert_kv/convert_bool/convert_none run make_valid_xml_name again). For
 *    dict/list values it emits the first result unchecked, e.g. key "1e16" gives the
 *    malformed `<n1e+16 type="dict">`. We give `<key name="n1e+16" type="dict">`, which is what
 *    dicttoxml itself gives for a scalar under that key.
 */
import { PyFloat, formatPythonFloat } from './pyvalue';
import type { PyDict, PyValue } from './pyvalue';

/** Renders a payload as `dicttoxml(payload, root=False)` does (see the module comment). */
export function toDictXml(payload: PyDict): string {
  const out: string[] = [];
  writeDict(payload, out);
  return out.join('');
}

function writeDict(dict: PyDict, out: string[]): void {
  for (const [key, value] of dict) {
    const { tag, nameAttr } = elementName(key);
    writeElement(tag, nameAttr, value, out);
  }
}

function writeElement(tag: string, nameAttr: string | undefined, value: PyValue, out: string[]): void {
  const name = nameAttr === undefined ? '' : ` name="${wellFormed(nameAttr)}"`;
  const open = (type: string): void => {
    out.push(`<${tag}${name} type="${type}">`);
  };
  if (value === null) {
    open('null');
  } else if (typeof value === 'boolean') {
    open('bool');
    out.push(value ? 'true' : 'false');
  } else if (typeof value === 'string') {
    open('str');
    out.push(wellFormed(escapeXml(value)));
  } else if (typeof value === 'number') {
    open('int');
    out.push(intText(value));
  } else if (typeof value === 'bigint') {
    open('int');
    out.push(value.toString());
  } else if (value instanceof PyFloat) {
    open('float');
    out.push(formatPythonFloat(value.value));
  } else if (Array.isArray(value)) {
    open('list');
    for (const item of value) writeElement('item', undefined, item, out);
  } else if (value instanceof Map) {
    open('dict');
    writeDict(value, out);
  } else {
    throw new TypeError(`Unsupported data type: ${typeof value}`);
  }
  out.push(`</${tag}>`);
}

/** A plain number is a Python int (PyValue's contract); floats must come as PyFloat. */
function intText(value: number): string {
  if (!Number.isInteger(value)) {
    throw new TypeError(`Not an int: ${value} (a float must be a PyFloat)`);
  }
  // BigInt gives all the digits where String() would switch to 1e+21; it also turns -0 into 0.
  return BigInt(value).toString();
}

/** dicttoxml's escape_xml, in one pass (same result as its chain of replace() calls). */
function escapeXml(text: string): string {
  return text.replace(/[&"'<>]/g, (ch) => XML_ESCAPES[ch] ?? ch);
}

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '"': '&quot;',
  "'": '&apos;',
  '<': '&lt;',
  '>': '&gt;',
};

// Without the u flag, so that a surrogate is seen as one code unit and a lone one can be found.
const FORBIDDEN_XML_CHARS =
  // eslint-disable-next-line no-control-regex
  /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replaces each character that XML 1.0 forbids (its Char production) with U+FFFD. */
function wellFormed(text: string): string {
  return text.replace(FORBIDDEN_XML_CHARS, '\uFFFD');
}

/**
 * The tag, and maybe the `name` attribute, for a dict key. This is dicttoxml's
 * make_valid_xml_name applied twice, as it does for scalar values (divergence 3 above).
 * The second pass changes something only when the first one yields an invalid name.
 */
function elementName(key: string): { tag: string; nameAttr: string | undefined } {
  const known = elementNames.get(key);
  if (known) return known;
  const first = makeValidXmlName(key);
  const second = makeValidXmlName(first.tag);
  const name = { tag: second.tag, nameAttr: second.nameAttr ?? first.nameAttr };
  // Field names repeat in every record of every response: remember them, within a bound (keys are client data too).
  if (elementNames.size < ELEMENT_NAME_CACHE_SIZE) elementNames.set(key, name);
  return name;
}

const ELEMENT_NAME_CACHE_SIZE = 4096;
const elementNames = new Map<string, { tag: string; nameAttr: string | undefined }>();

/** dicttoxml's make_valid_xml_name. Each rule is tried in order on the escaped key. */
function makeValidXmlName(rawKey: string): { tag: string; nameAttr: string | undefined } {
  const key = escapeXml(rawKey);
  if (isMinidomElementName(key)) return { tag: key, nameAttr: undefined };
  if (isPythonDigits(key)) return { tag: `n${key}`, nameAttr: undefined };
  const asFloat = pythonFloatParse(key);
  if (asFloat !== undefined) return { tag: `n${formatPythonFloat(asFloat)}`, nameAttr: undefined };
  const underscored = key.replaceAll(' ', '_');
  if (isMinidomElementName(underscored)) return { tag: underscored, nameAttr: undefined };
  return { tag: 'key', nameAttr: key };
}

// ---------------------------------------------------------------------------------------------
// "Is this a valid element name?": dicttoxml's key_is_valid_xml. It parses
// `<?xml version="1.0" encoding="UTF-8" ?><KEY>foo</KEY>` with xml.dom.minidom, which is expat
// with namespace processing. So the answer is expat's, and it differs from the XML 1.0 fifth
// edition Name production in three ways:
// - The character classes are those of XML 1.0 Appendix B (editions 1 to 4), in expat's nametab.h.
//   These are BMP only and much narrower than the fifth edition's ranges. For example U+037F,
//   U+2070, U+3001, U+F900 and any astral character (an emoji) are rejected; the fifth edition
//   accepts them all.
// - Colons: with namespaces on, a name is a QName whose prefix must be bound, and only `xml` is
//   bound. So `a:b` fails ("unbound prefix"), `xml:lang` is valid, and `xmlns:a`, `xml:`, `:a`,
//   `xml:1a` and `a:b:c` all fail.
// - The end tag may hold whitespace before its `>`, so a key ending in spaces, tabs or newlines
//   (`"a "`) is valid, and is kept as is. No other suffix can be valid, because the key is escaped
//   first, so no quote or `<`/`>` can appear in it.
// The tables below were read off Python 3.11's pyexpat (expat 2.5.0), one parse per BMP code point:
// `<C>foo</C>` for a start character and `<aCb>foo</aCb>` for a name character. They have Appendix
// B's shape (4e00-9fa5 and ac00-d7a3 are its Ideographic and Hangul ranges), but what they record is
// what expat does, which is what matters here. Code point ranges are in hex.

/** Letters, `_`, and ideographs: the characters that may start a name (Appendix B BaseChar, Ideographic). */
const NAME_START_RANGES = [
  '41-5a 5f 61-7a c0-d6 d8-f6 f8-131 134-13e 141-148 14a-17e 180-1c3 1cd-1f0 1f4-1f5 1fa-217',
  '250-2a8 2bb-2c1 386 388-38a 38c 38e-3a1 3a3-3ce 3d0-3d6 3da 3dc 3de 3e0 3e2-3f3 401-40c 40e-44f',
  '451-45c 45e-481 490-4c4 4c7-4c8 4cb-4cc 4d0-4eb 4ee-4f5 4f8-4f9 531-556 559 561-586 5d0-5ea',
  '5f0-5f2 621-63a 641-64a 671-6b7 6ba-6be 6c0-6ce 6d0-6d3 6d5 6e5-6e6 905-939 93d 958-961 985-98c',
  '98f-990 993-9a8 9aa-9b0 9b2 9b6-9b9 9dc-9dd 9df-9e1 9f0-9f1 a05-a0a a0f-a10 a13-a28 a2a-a30',
  'a32-a33 a35-a36 a38-a39 a59-a5c a5e a72-a74 a85-a8b a8d a8f-a91 a93-aa8 aaa-ab0 ab2-ab3 ab5-ab9',
  'abd ae0 b05-b0c b0f-b10 b13-b28 b2a-b30 b32-b33 b36-b39 b3d b5c-b5d b5f-b61 b85-b8a b8e-b90',
  'b92-b95 b99-b9a b9c b9e-b9f ba3-ba4 ba8-baa bae-bb5 bb7-bb9 c05-c0c c0e-c10 c12-c28 c2a-c33',
  'c35-c39 c60-c61 c85-c8c c8e-c90 c92-ca8 caa-cb3 cb5-cb9 cde ce0-ce1 d05-d0c d0e-d10 d12-d28',
  'd2a-d39 d60-d61 e01-e2e e30 e32-e33 e40-e45 e81-e82 e84 e87-e88 e8a e8d e94-e97 e99-e9f ea1-ea3',
  'ea5 ea7 eaa-eab ead-eae eb0 eb2-eb3 ebd ec0-ec4 f40-f47 f49-f69 10a0-10c5 10d0-10f6 1100',
  '1102-1103 1105-1107 1109 110b-110c 110e-1112 113c 113e 1140 114c 114e 1150 1154-1155 1159',
  '115f-1161 1163 1165 1167 1169 116d-116e 1172-1173 1175 119e 11a8 11ab 11ae-11af 11b7-11b8 11ba',
  '11bc-11c2 11eb 11f0 11f9 1e00-1e9b 1ea0-1ef9 1f00-1f15 1f18-1f1d 1f20-1f45 1f48-1f4d 1f50-1f57',
  '1f59 1f5b 1f5d 1f5f-1f7d 1f80-1fb4 1fb6-1fbc 1fbe 1fc2-1fc4 1fc6-1fcc 1fd0-1fd3 1fd6-1fdb',
  '1fe0-1fec 1ff2-1ff4 1ff6-1ffc 2126 212a-212b 212e 2180-2182 3007 3021-3029 3041-3094 30a1-30fa',
  '3105-312c 4e00-9fa5 ac00-d7a3',
].join(' ');

/** The characters that may follow but not start a name: `-`, `.`, digits, combining chars, extenders. */
const NAME_ONLY_RANGES = [
  '2d-2e 30-39 b7 2d0-2d1 300-345 360-361 387 483-486 591-5a1 5a3-5b9 5bb-5bd 5bf 5c1-5c2 5c4 640',
  '64b-652 660-669 670 6d6-6e4 6e7-6e8 6ea-6ed 6f0-6f9 901-903 93c 93e-94d 951-954 962-963 966-96f',
  '981-983 9bc 9be-9c4 9c7-9c8 9cb-9cd 9d7 9e2-9e3 9e6-9ef a02 a3c a3e-a42 a47-a48 a4b-a4d a66-a71',
  'a81-a83 abc abe-ac5 ac7-ac9 acb-acd ae6-aef b01-b03 b3c b3e-b43 b47-b48 b4b-b4d b56-b57 b66-b6f',
  'b82-b83 bbe-bc2 bc6-bc8 bca-bcd bd7 be7-bef c01-c03 c3e-c44 c46-c48 c4a-c4d c55-c56 c66-c6f',
  'c82-c83 cbe-cc4 cc6-cc8 cca-ccd cd5-cd6 ce6-cef d02-d03 d3e-d43 d46-d48 d4a-d4d d57 d66-d6f e31',
  'e34-e3a e46-e4e e50-e59 eb1 eb4-eb9 ebb-ebc ec6 ec8-ecd ed0-ed9 f18-f19 f20-f29 f35 f37 f39',
  'f3e-f3f f71-f84 f86-f8b f90-f95 f97 f99-fad fb1-fb7 fb9 20d0-20dc 20e1 3005 302a-302f 3031-3035',
  '3099-309a 309d-309e 30fc-30fe',
].join(' ');

const NAME_CHAR = 1;
const NAME_START = 2;

/** One byte per BMP code unit: NAME_START | NAME_CHAR, NAME_CHAR, or 0. Surrogates are 0. */
const NAME_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(0x10000);
  const mark = (ranges: string, bits: number): void => {
    for (const range of ranges.split(' ')) {
      const [low = '', high = low] = range.split('-');
      table.fill(bits, parseInt(low, 16), parseInt(high, 16) + 1);
    }
  };
  mark(NAME_START_RANGES, NAME_START | NAME_CHAR);
  mark(NAME_ONLY_RANGES, NAME_CHAR);
  return table;
})();

/** An NCName by expat's tables: a start character, then name characters. No colon, BMP only. */
function isNcName(text: string): boolean {
  if (text === '') return false;
  if (((NAME_TABLE[text.charCodeAt(0)] ?? 0) & NAME_START) === 0) return false;
  for (let i = 1; i < text.length; i++) {
    if (((NAME_TABLE[text.charCodeAt(i)] ?? 0) & NAME_CHAR) === 0) return false;
  }
  return true;
}

/** Whether minidom parses `<KEY>foo</KEY>`, i.e. dicttoxml's key_is_valid_xml (see above). */
function isMinidomElementName(key: string): boolean {
  const name = key.replace(/[ \t\n\r]+$/, '');
  const colon = name.indexOf(':');
  if (colon === -1) return isNcName(name);
  return name.slice(0, colon) === 'xml' && isNcName(name.slice(colon + 1));
}

// ---------------------------------------------------------------------------------------------
// Python's str.isdigit() and float(str), as make_valid_xml_name uses them. Both accept Unicode
// digits, not just ASCII ones. The tables are from Python 3.11 (Unicode 14), so they do not depend
// on Node's ICU version.

/** The zero of every run of ten decimal digits (Unicode category Nd, i.e. str.isdecimal()). */
const DECIMAL_ZEROS = [
  '30 660 6f0 7c0 966 9e6 a66 ae6 b66 be6 c66 ce6 d66 de6 e50 ed0 f20 1040 1090 17e0 1810 1946',
  '19d0 1a80 1a90 1b50 1bb0 1c40 1c50 a620 a8d0 a900 a9d0 a9f0 aa50 abf0 ff10 104a0 10d30 11066',
  '110f0 11136 111d0 112f0 11450 114d0 11650 116c0 11730 118e0 11950 11c50 11d50 11da0 16a60 16ac0',
  '16b50 1d7ce 1d7d8 1d7e2 1d7ec 1d7f6 1e140 1e2f0 1e950 1fbf0',
]
  .join(' ')
  .split(' ')
  .map((hex) => parseInt(hex, 16));

/** Characters that str.isdigit() accepts although they are not decimal: ², ①, ⑴, ... */
const OTHER_DIGIT_RANGES: readonly (readonly [number, number])[] = [
  'b2-b3 b9 1369-1371 19da 2070 2074-2079 2080-2089 2460-2468 2474-247c 2488-2490 24ea 24f5-24fd',
  '24ff 2776-277e 2780-2788 278a-2792 10a40-10a43 10e60-10e68 11052-1105a 1f100-1f10a',
]
  .join(' ')
  .split(' ')
  .map((range) => {
    const [low = '', high = low] = range.split('-');
    return [parseInt(low, 16), parseInt(high, 16)] as const;
  });

/** The value of a decimal digit (any script), or -1. */
function decimalValue(codePoint: number): number {
  for (const zero of DECIMAL_ZEROS) {
    if (codePoint >= zero && codePoint <= zero + 9) return codePoint - zero;
  }
  return -1;
}

/** Python's str.isdigit(): non-empty, and every character is a decimal or other digit. */
function isPythonDigits(text: string): boolean {
  if (text === '') return false;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (decimalValue(cp) >= 0) continue;
    if (OTHER_DIGIT_RANGES.some(([low, high]) => cp >= low && cp <= high)) continue;
    return false;
  }
  return true;
}

/** Characters above ASCII that Python's str.isspace() accepts. */
const NON_ASCII_SPACE = /^[\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]$/;
/** Whether Python's str.isspace() accepts `char`: ASCII's \t-\r and 0x1c-0x20 too (trim() leaves 0x1c-0x1f). */
function isPythonSpace(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return (code >= 0x09 && code <= 0x0d) || (code >= 0x1c && code <= 0x20) || NON_ASCII_SPACE.test(char);
}

/** Python's str.strip(): the characters str.isspace() accepts, off both ends. */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isPythonSpace(text.charAt(start))) start++;
  while (end > start && isPythonSpace(text.charAt(end - 1))) end--;
  return text.slice(start, end);
}

const FLOAT_SYNTAX = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

/**
 * Python's `float(text)` for a str, or undefined where Python raises ValueError. This follows
 * CPython's PyFloat_FromString:
 * 1. Above ASCII, whitespace becomes a space and a decimal digit of any script becomes its ASCII
 *    digit. Any other character fails.
 * 2. An underscore must sit between two digits, and is then dropped (`1_000`).
 * 3. Leading and trailing ASCII whitespace (space, \t \n \v \f \r) is stripped.
 * 4. What remains must be a decimal literal with optional sign, point and exponent, or
 *    inf/infinity/nan in any case, with optional sign.
 */
export function pythonFloatParse(text: string): number | undefined {
  let ascii = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x7f) {
      ascii += ch;
    } else if (NON_ASCII_SPACE.test(ch)) {
      ascii += ' ';
    } else {
      const digit = decimalValue(cp);
      if (digit < 0) return undefined;
      ascii += String(digit);
    }
  }
  if (ascii.includes('_')) {
    if (/(?<![0-9])_|_(?![0-9])/.test(ascii)) return undefined;
    ascii = ascii.replaceAll('_', '');
  }
  const literal = ascii.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
  if (!FLOAT_SYNTAX.test(literal)) return undefined;
  const unsigned = literal.replace(/^[+-]/, '').toLowerCase();
  const negative = literal.startsWith('-');
  if (unsigned === 'nan') return NaN;
  if (unsigned === 'inf' || unsigned === 'infinity') return negative ? -Infinity : Infinity;
  return Number(literal);
}
