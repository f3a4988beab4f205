/**
 * XML request bodies (lib/wire/xml-body.ts).
 *
 * 1. Round trip: generated values under a <vals>, <args> or <kwargs> root, written by lib/wire/xml.ts
 *    (dicttoxml's format) or by a printer here that uses what XML allows: either quote, spaces
 *    around '=', character and entity references, CDATA, comments and processing instructions
 *    anywhere, whitespace between elements, omitted types where the shape implies them,
 *    <key name="..."> for keys that are not names, a BOM and an XML declaration. They parse back
 *    to the same root and value.
 * 2. Robustness: random text, token soup, mutations, nesting around the depth bound and inputs
 *    around the length bound give a value or an InvalidXmlError (400) whose line and column are
 *    those of its position. Nothing else.
 */
import fc from 'fast-check';
import { InvalidXmlError } from '../../lib/errors';
import { PyFloat, formatPythonFloat, type PyValue } from '../../lib/wire/pyvalue';
import { DEFAULT_XML_MAX_DEPTH, DEFAULT_XML_MAX_LENGTH, isXmlBody, parseXmlBody, XML_BODY_ROOTS, type XmlBodyRoot } from '../../lib/wire/xml-body';
import { toDictXml } from '../../lib/wire/xml';
import { anyTextArb, mutatedArb, soupArb } from './mutate';
import { chooserOf, chooserSpecArb, floatArb, intArb, keyArb, pyValueArb, pyValueProblem, stringArb, type Chooser } from './pyvalues';
import { defineTarget, expectSameValue, fail, outcome, show } from './target';

/** Characters XML 1.0 cannot carry at all, not even as a character reference. */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const xmlText = (text: string) => text.replace(NOT_XML, '');
const xmlStringArb = stringArb.map(xmlText);
export const xmlKeyArb = keyArb.map(xmlText);
export const xmlScalarArb: fc.Arbitrary<PyValue> = fc.oneof(
  { arbitrary: fc.constantFrom<PyValue>(null, true, false), weight: 2 },
  { arbitrary: xmlStringArb, weight: 4 },
  { arbitrary: intArb, weight: 4 },
  { arbitrary: floatArb, weight: 3 },
);

/**
 * Elements nest 33 deep with the root, so a root container holds 31 more levels of containers
 * and a scalar; the cases wrap a generated value in one container at most, hence 31.
 */
const xmlValueArb = pyValueArb({ maxDepth: DEFAULT_XML_MAX_DEPTH - 2, scalar: xmlScalarArb, key: xmlKeyArb });

// ---------------------------------------------------------------------------------------------
// Printer

const SIMPLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function space(ch: Chooser): string {
  return ch.pick(['', ' ', '\n', '  ', '\t', '\r\n', '\n    '] as const);
}

function misc(ch: Chooser): string {
  switch (ch.int(6)) {
    case 1:
      return `<!--${ch.pick([' c ', '', 'a-b', ' <x> & ', '\n'] as const)}-->`;
    case 2:
      return `<?${ch.pick(['pi', 'app data', 'x-y ?', 'php echo 1;'] as const)}?>`;
    case 3:
      return space(ch) || ' ';
    default:
      return '';
  }
}

/** A character reference for one code point, decimal or hex. */
function charRef(c: string, ch: Chooser): string {
  const code = c.codePointAt(0) as number;
  return ch.chance() ? `&#x${ch.chance() ? code.toString(16) : code.toString(16).toUpperCase()};` : `&#${code};`;
}

/** Character data for `text`: escaped where XML requires it, referenced or CDATA where we like. */
function charData(text: string, ch: Chooser): string {
  let out = '';
  const chars = Array.from(text);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (ch.int(12) === 1 && c !== '\r') {
      // A CDATA section up to the next character it cannot hold.
      let run = '';
      while (i < chars.length && chars[i] !== '\r' && !(run.endsWith(']]') && chars[i] === '>')) run += chars[i++];
      i--;
      out += `<![CDATA[${run}]]>`;
      continue;
    }
    if (ch.int(15) === 1) out += misc(ch).replace(/^\s+$/, '');
    if (c === '&') out += ch.pick(['&amp;', '&#38;', '&#x26;'] as const);
    else if (c === '<') out += ch.pick(['&lt;', '&#60;'] as const);
    else if (c === '>') out += out.endsWith(']]') || ch.chance() ? '&gt;' : '>';
    else if (c === '\r') out += ch.pick(['&#13;', '&#xD;', '&#xd;'] as const);
    else if (c === '"' || c === "'") out += ch.int(4) === 1 ? (c === '"' ? '&quot;' : '&apos;') : c;
    else if (ch.int(10) === 1) out += charRef(c, ch);
    else out += c;
  }
  return out;
}

/** An attribute value: literal whitespace other than space would be normalised, so it is referenced. */
function attributeValue(text: string, quote: string, ch: Chooser): string {
  let out = '';
  for (const c of text) {
    if (c === '&') out += '&amp;';
    else if (c === '<') out += '&lt;';
    else if (c === quote) out += quote === '"' ? '&quot;' : '&apos;';
    else if (c === '\t' || c === '\n' || c === '\r') out += charRef(c, ch);
    else if (ch.int(10) === 1) out += charRef(c, ch);
    else out += c;
  }
  return out;
}

function attribute(name: string, value: string, ch: Chooser): string {
  const quote = ch.pick(['"', "'"] as const);
  const around = ch.int(5) === 1 ? ch.pick([' ', '\n', '\t '] as const) : '';
  return `${ch.pick([' ', '\n', '  ', '\t'] as const)}${name}${around}=${around}${quote}${attributeValue(value, quote, ch)}${quote}`;
}

function typeOf(value: PyValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'number' || typeof value === 'bigint') return 'int';
  if (value instanceof PyFloat) return 'float';
  return Array.isArray(value) ? 'list' : 'dict';
}

function scalarText(value: PyValue, ch: Chooser): string {
  const ws = () => (ch.int(4) === 1 ? ch.pick([' ', '\n', '\t', ' \r\n '] as const) : '');
  if (value === null) return ws();
  if (typeof value === 'boolean') return `${ws()}${ch.chance() ? String(value) : value ? 'True' : 'False'}${ws()}`;
  if (typeof value === 'number' || typeof value === 'bigint') {
    const big = BigInt(value);
    const abs = (big < 0n ? -big : big).toString();
    const zeros = ch.int(4) === 1 ? '0'.repeat(1 + ch.int(3)) : '';
    return `${ws()}${big < 0n ? '-' : ch.int(4) === 1 ? '+' : ''}${zeros}${abs}${ws()}`;
  }
  const x = (value as PyFloat).value;
  const abs = Math.abs(x);
  const js = String(abs);
  const body = ch.pick([formatPythonFloat(abs), js, abs.toExponential(), abs.toExponential().toUpperCase(), /[.e]/.test(js) ? js : `${js}.`] as const);
  return `${ws()}${x < 0 || Object.is(x, -0) ? '-' : ch.int(4) === 1 ? '+' : ''}${body}${ws()}`;
}

/**
 * One element for `value`. `implied` is the type the element has without a type attribute (the
 * root's role, or 'str' / 'dict' by its content), so the printer may leave `type` out then.
 */
function element(tag: string, extraName: string | undefined, value: PyValue, ch: Chooser, rootDefault?: 'list' | 'dict'): string {
  const type = typeOf(value);
  const nonEmptyDict = value instanceof Map && value.size > 0;
  const implied = rootDefault ?? (type === 'str' ? 'str' : nonEmptyDict ? 'dict' : undefined);
  const attributes: string[] = [];
  if (implied !== type || ch.int(3) !== 1) attributes.push(attribute('type', type, ch));
  if (extraName !== undefined) attributes.push(attribute('name', extraName, ch));
  if (ch.int(10) === 1) attributes.push(attribute(ch.pick(['id', 'lang', 'x-y', 'a:b'] as const), 'ignored', ch));
  if (attributes.length > 1 && ch.chance()) attributes.reverse();
  const open = `<${tag}${attributes.join('')}${space(ch).replace(/\r/g, '')}`;
  let content: string;
  if (Array.isArray(value)) {
    content = value.map((item) => `${misc(ch)}${element(ch.int(4) === 1 ? ch.pick(['i', 'value', 'x-y', 'item'] as const) : 'item', undefined, item, ch)}`).join('') + misc(ch);
  } else if (value instanceof Map) {
    content = [...value].map(([key, item]) => `${misc(ch)}${keyElement(key, item, ch)}`).join('') + misc(ch);
  } else if (typeof value === 'string') {
    content = charData(value, ch);
  } else {
    content = scalarText(value, ch);
  }
  // Where an untyped element would read as a dict, whitespace or markup in an empty str is fine,
  // but a str's content is exact: keep what charData made.
  if (content === '' && ch.chance()) return `${open}/>`;
  return `${open}>${content}</${tag}${ch.int(5) === 1 ? ' ' : ''}>`;
}

function keyElement(key: string, value: PyValue, ch: Chooser): string {
  // `<key>` with no name attribute stands for the key 'key' itself.
  if (SIMPLE_NAME.test(key) && !(key === 'key' && ch.chance())) return element(key, undefined, value, ch);
  return element('key', key, value, ch);
}

export function printXmlBody(root: XmlBodyRoot, value: PyValue, ch: Chooser): string {
  const rootDefault = root === 'args' ? 'list' : 'dict';
  const bom = ch.int(6) === 1 ? '\uFEFF' : '';
  const declaration = ch.int(4) === 1 ? `<?xml version=${ch.pick(['"1.0"', "'1.0'"] as const)}${ch.chance() ? ' encoding="UTF-8"' : ''}${ch.chance() ? " standalone='yes'" : ''}?>` : '';
  return `${bom}${declaration}${misc(ch)}${element(root, undefined, value, ch, rootDefault)}${misc(ch)}`;
}

// ---------------------------------------------------------------------------------------------
// Cases

export type XmlCase =
  | { readonly kind: 'roundtrip'; readonly printer: 'dicttoxml' | 'xml'; readonly root: XmlBodyRoot; readonly value: PyValue; readonly text: string }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'depth'; readonly depth: number; readonly text: string; readonly value: PyValue }
  | { readonly kind: 'length'; readonly text: string; readonly value: PyValue };

const rootArb = fc.constantFrom(...XML_BODY_ROOTS);

const printedArb: fc.Arbitrary<XmlCase> = fc
  .tuple(rootArb, xmlValueArb, fc.nat(5), chooserSpecArb)
  .map(([root, generated, shape, spec]): XmlCase => {
    // Mostly the root's own shape (a dict for vals/kwargs, a list for args); sometimes another, typed.
    const value: PyValue = shape === 0 ? generated : root === 'args' ? (Array.isArray(generated) ? generated : [generated]) : generated instanceof Map ? generated : new Map([['v', generated]]);
    return { kind: 'roundtrip', printer: 'xml', root, value, text: printXmlBody(root, value, chooserOf(spec)) };
  });

/** dicttoxml's output (lib/wire/xml.ts): keys that are XML names (it renames others), no CR (it keeps CRs raw). */
const dicttoxmlKey = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwyz_'.split('')), minLength: 1, maxLength: 6 }).map((k) => (k.startsWith('xml') ? `_${k}` : k));
const dicttoxmlArb: fc.Arbitrary<XmlCase> = fc
  .tuple(rootArb, pyValueArb({ maxDepth: DEFAULT_XML_MAX_DEPTH - 2, scalar: xmlScalarArb.map((v) => (typeof v === 'string' ? v.replace(/\r/g, '') : v)), key: dicttoxmlKey }))
  .map(([root, generated]): XmlCase => {
    const value: PyValue = root === 'args' ? (Array.isArray(generated) ? generated : [generated]) : generated instanceof Map ? generated : new Map([['v', generated]]);
    return { kind: 'roundtrip', printer: 'dicttoxml', root, value, text: toDictXml(new Map([[root, value]])) };
  });

const XML_TOKENS = fc.constantFrom(
  '<', '>', '</', '/>', '<vals>', '</vals>', '<args>', '</args>', '<kwargs>', '<item>', '</item>', '<a>', '</a>', '<key name="k">', '</key>',
  ' type="str"', ' type="int"', ' type="list"', ' type="dict"', ' type="null"', ' type="bool"', ' type="float"', " type='x'", ' name="a b"', '=', '"', "'",
  '&', '&amp;', '&lt;', '&#', '&#x', '&#0;', '&#x110000;', '&#65;', '&nbsp;', '&xxe;', ';', '<![CDATA[', ']]>', '<!--', '-->', '--', '<?', '?>', '<?xml version="1.0"?>',
  '<!DOCTYPE vals>', '<!ENTITY', '1', '-1', '1.5', 'nan', 'true', 'True', ' ', '\n', '\r', '\t', '\0', '\uFEFF', '\ud800', '😀', 'é', 'x',
);
const XML_PAIRS: ReadonlyArray<readonly [string, string]> = [['<item type="list">', '</item>'], ['<a>', '</a>'], ['<!--', '-->'], ['<![CDATA[', ']]>'], ['<d type="dict">', '</d>']];

/** `<args>` with `n` nested list items inside: n + 1 elements deep. */
const depthArb: fc.Arbitrary<XmlCase> = fc
  .oneof({ arbitrary: fc.integer({ min: 1, max: DEFAULT_XML_MAX_DEPTH + 6 }), weight: 8 }, { arbitrary: fc.integer({ min: DEFAULT_XML_MAX_DEPTH, max: 3000 }), weight: 1 })
  .chain((n) => fc.tuple(fc.constant(n), fc.boolean()))
  .map(([n, scalarCore]): XmlCase => {
    // n - 1 list items around either one int item or an empty list item: n elements inside <args>.
    const core = scalarCore ? '<item type="int">7</item>' : '<item type="list"/>';
    let value: PyValue = scalarCore ? 7 : [];
    for (let i = 1; i < n; i++) value = [value];
    return { kind: 'depth', depth: n + 1, text: `<args>${'<item type="list">'.repeat(n - 1)}${core}${'</item>'.repeat(n - 1)}</args>`, value: [value] };
  });

const lengthArb: fc.Arbitrary<XmlCase> = fc.integer({ min: -3, max: 3 }).map((delta): XmlCase => {
  const total = DEFAULT_XML_MAX_LENGTH + delta;
  const frame = '<vals><a></a></vals>';
  const text = `<vals><a>${'x'.repeat(total - frame.length)}</a></vals>`;
  return { kind: 'length', text, value: new Map([['a', 'x'.repeat(total - frame.length)]]) };
});

export const xmlCaseArb: fc.Arbitrary<XmlCase> = fc.oneof(
  { arbitrary: printedArb, weight: 20 },
  { arbitrary: dicttoxmlArb, weight: 6 },
  { arbitrary: anyTextArb.map((text): XmlCase => ({ kind: 'text', text })), weight: 4 },
  { arbitrary: soupArb(XML_TOKENS).map((text): XmlCase => ({ kind: 'text', text })), weight: 10 },
  { arbitrary: mutatedArb(fc.oneof(printedArb, dicttoxmlArb).map((c) => c.text), { tokens: XML_TOKENS, pairs: XML_PAIRS }).map((text): XmlCase => ({ kind: 'text', text })), weight: 30 },
  { arbitrary: depthArb, weight: 4 },
  { arbitrary: lengthArb, weight: 1 },
);

// ---------------------------------------------------------------------------------------------

/** Line and column of an offset as a reader counts them: CRLF, CR and LF each end a line. */
function lineAndColumn(text: string, position: number): [number, number] {
  const before = text.slice(0, position);
  const breaks = before.match(/\r\n|\r|\n/g)?.length ?? 0;
  const lastBreak = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'));
  return [breaks + 1, position - lastBreak];
}

function checkXmlError(error: InvalidXmlError, text: string): void {
  const { position, line, column, reason } = error;
  if (!Number.isInteger(position) || position < 0 || position > text.length) fail(`InvalidXmlError position ${position} outside the input (length ${text.length})`);
  const [expectedLine, expectedColumn] = lineAndColumn(text, position);
  if (line !== expectedLine || column !== expectedColumn) fail(`InvalidXmlError at ${position} says line ${line}, column ${column}; it is line ${expectedLine}, column ${expectedColumn} of ${show(text)}`);
  if (typeof reason !== 'string' || reason === '') fail('InvalidXmlError without a reason');
  const message = `Cannot parse the XML body: ${reason} at line ${line}, column ${column}`;
  if (error.message !== message || error.code !== 'INVALID_XML') fail(`InvalidXmlError message ${show(error.message)}, expected ${show(message)}`);
}

export function checkXmlCase(input: XmlCase): void {
  const result = outcome('parseXmlBody', () => parseXmlBody(input.text), [[InvalidXmlError, 400]]);
  if (result.ok) {
    const { root, value } = result.value;
    if (!(XML_BODY_ROOTS as readonly string[]).includes(root)) fail(`parseXmlBody gave root ${show(root)}`);
    const problem = pyValueProblem(value, DEFAULT_XML_MAX_DEPTH);
    if (problem !== undefined) fail(`parseXmlBody returned a malformed value (${problem}) for ${show(input.text)}`);
    if (!isXmlBody(input.text, 'application/xml; charset=utf-8')) fail('isXmlBody said no to an application/xml body');
  } else {
    checkXmlError(result.error as InvalidXmlError, input.text);
  }
  switch (input.kind) {
    case 'roundtrip':
      if (!result.ok) fail(`parseXmlBody refused the ${input.printer} text ${show(input.text, 1000)}: ${result.error.message}`);
      if (result.value.root !== input.root) fail(`root ${result.value.root}, expected ${input.root}`);
      expectSameValue(`the ${input.printer} body read back`, result.value.value, input.value, input.text);
      if (!isXmlBody(input.text, undefined)) fail(`isXmlBody does not recognise ${show(input.text)} by its first character`);
      return;
    case 'depth':
      if (input.depth <= DEFAULT_XML_MAX_DEPTH) {
        if (!result.ok) fail(`elements ${input.depth} deep (within the bound) refused: ${result.error.message}`);
        expectSameValue(`elements ${input.depth} deep`, result.value.value, input.value);
      } else if (result.ok || (result.error as InvalidXmlError).reason !== `elements nested deeper than ${DEFAULT_XML_MAX_DEPTH}`) {
        fail(`elements ${input.depth} deep (beyond the bound): ${result.ok ? 'accepted' : result.error.message}`);
      }
      return;
    case 'length':
      if (input.text.length <= DEFAULT_XML_MAX_LENGTH) {
        if (!result.ok) fail(`a body of ${input.text.length} characters (within the bound) refused: ${result.error.message}`);
        expectSameValue(`a body of ${input.text.length} characters`, result.value.value, input.value);
      } else if (result.ok || (result.error as InvalidXmlError).position !== DEFAULT_XML_MAX_LENGTH) {
        fail(`a body of ${input.text.length} characters (beyond the bound): ${result.ok ? 'accepted' : result.error.message}`);
      }
      return;
    case 'text':
      return;
  }
}

export const xmlTarget = defineTarget(
  'xml',
  'XML bodies written by dicttoxml or by hand parse back equal; any other text gives a value or a 400 InvalidXmlError at the right line and column',
  xmlCaseArb,
  checkXmlCase,
);
