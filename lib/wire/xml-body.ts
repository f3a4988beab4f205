/**
 * Reads an XML request body: `<vals>`, `<args>` or `<kwargs>` in the shape our own XML output has
 * (dicttoxml's), into the same PyValues the literal parser gives, so nothing downstream can tell
 * an XML body from a Python-literal one.
 *
 * The shape: an element per dict key, `type="str|int|float|bool|null|list|dict"`, list items as
 * child elements (dicttoxml names them `<item>`; any name is accepted), and dicttoxml's
 * `<key name="...">` for keys that are not XML names. Without a `type`, an element with child
 * elements is a dict and one without is its text, as a str: `<name>Foo</name>` is 'Foo', and an
 * empty `<name/>` is '' (a value is never guessed from its text; say `type="null"` for None). The
 * root's default comes from its role instead: `<vals>` and `<kwargs>` are dicts, `<args>` a list.
 *
 * Hand-written because no XML parser is installed (xmlbuilder2, the one the dependency list allows,
 * is not), and the part of XML needed is small: elements, attributes, text, CDATA, comments,
 * processing instructions, the five predefined entities and character references. Refusing the
 * rest is the security: with no DTD there are no external entities (XXE) and no entity expansion
 * (billion laughs). The input length and element depth are bounded, every scan moves forward only
 * (linear time), and the tree is built on an explicit stack. Any failure is an InvalidXmlError
 * (400) with the line and column where it happened.
 */
import { InvalidXmlError } from '../errors';
import { PyFloat, type PyDict, type PyValue } from './pyvalue';
import { mediaTypeOf } from './media-type';
import { isFloatText, isIntText } from './number-text';

export const XML_BODY_ROOTS = ['vals', 'args', 'kwargs'] as const;
export type XmlBodyRoot = (typeof XML_BODY_ROOTS)[number];

export interface XmlBodyOptions {
  /**
   * Deepest allowed element nesting, the root included. Default 33: the literal parser's 32
   * containers inside the root.
   */
  maxDepth?: number;
  /** Longest accepted input, in UTF-16 code units. Default 100 000, as for literal bodies. */
  maxLength?: number;
}

export const DEFAULT_XML_MAX_DEPTH = 33;
export const DEFAULT_XML_MAX_LENGTH = 100_000;

/** The same bound the literal parser (and CPython) puts on decimal integers. */
const MAX_INT_DIGITS = 4300;

/** XML 1.0 (fifth edition) NameStartChar and NameChar. */
const NAME_START =
  ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
// The ranges hold combining marks (U+0300-036F) on purpose: XML allows them inside names.
// eslint-disable-next-line no-misleading-character-class
const NAME = new RegExp(`[${NAME_START}][${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F\\u2040]*`, 'uy');

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

const XML_DECLARATION =
  /^\s+version\s*=\s*(["'])1\.[0-9]+\1(?:\s+encoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*$/;

const XML_SPACE = /^[ \t\n\r]*$/;
const TYPES = ['str', 'int', 'float', 'bool', 'null', 'list', 'dict'] as const;
type ValueType = (typeof TYPES)[number];

interface XmlElement {
  readonly name: string;
  readonly attributes: Map<string, string>;
  readonly children: XmlElement[];
  /** The character data directly inside, CDATA included, references decoded. */
  text: string;
  /** Where the start tag begins, for errors about the element's value. */
  readonly position: number;
}

/** Shows a character in an error message without letting control characters or quotes garble it. */
function showChar(code: number): string {
  if (code >= 0x21 && code <= 0x7e && code !== 0x27) return `'${String.fromCharCode(code)}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Whether a character reference names a character XML 1.0 allows (its Char production). */
function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

class XmlBodyParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  fail(reason: string, at = this.pos): InvalidXmlError {
    const before = this.text.slice(0, at);
    const lineStart = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
    const line = (before.match(/\r\n?|\n/g)?.length ?? 0) + 1;
    return new InvalidXmlError(reason, at, line, at - lineStart + 1);
  }

  private failEnd(what: string): InvalidXmlError {
    return this.fail(`unexpected end of input ${what}`, this.text.length);
  }

  /** document ::= prolog element Misc*, with no doctypedecl in the prolog. */
  parseDocument(): XmlElement {
    const { text } = this;
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
    if (text.startsWith('<?xml', this.pos) && /[\s?]/.test(text[this.pos + 5] ?? '')) this.xmlDeclaration();
    this.misc();
    if (this.pos >= text.length) throw this.fail('no root element');
    if (text[this.pos] !== '<') throw this.fail('text before the root element');
    const root = this.elementTree();
    this.misc();
    if (this.pos < text.length)
      throw this.fail(text[this.pos] === '<' ? 'a second root element' : 'text after the root element');
    return root;
  }

  private xmlDeclaration(): void {
    const start = this.pos;
    const end = this.text.indexOf('?>', start);
    if (end === -1) throw this.failEnd('in the XML declaration');
    const match = XML_DECLARATION.exec(this.text.slice(start + 5, end));
    if (!match) throw this.fail('malformed XML declaration', start);
    const encoding = match[3]?.toLowerCase();
    // The body arrives as text decoded from UTF-8; a document that says otherwise would be misread.
    if (encoding !== undefined && encoding !== 'utf-8' && encoding !== 'utf8' && encoding !== 'us-ascii') {
      throw this.fail(`encoding '${match[3]}' is not supported: send UTF-8`, start);
    }
    this.pos = end + 2;
  }

  /** Whitespace, comments and processing instructions around the root; a DTD is refused here. */
  private misc(): void {
    const { text } = this;
    for (;;) {
      while (this.pos < text.length && ' \t\n\r'.includes(text[this.pos] as string)) this.pos++;
      if (text.startsWith('<!--', this.pos)) this.comment();
      else if (text.startsWith('<?', this.pos)) this.processingInstruction();
      else if (text.startsWith('<!', this.pos)) throw this.declarationError();
      else return;
    }
  }

  private declarationError(): InvalidXmlError {
    if (this.text.startsWith('<!DOCTYPE', this.pos))
      return this.fail('DOCTYPE declarations are not allowed (no DTDs, no entity definitions)');
    if (this.text.startsWith('<![CDATA[', this.pos)) return this.fail('CDATA outside the root element');
    return this.fail("unexpected markup declaration '<!'");
  }

  /**
   * The root element and everything inside it. Open elements live on an explicit stack, so the
   * depth bound, not the engine's stack size, decides how deep a body may nest.
   */
  private elementTree(): XmlElement {
    const stack: XmlElement[] = [];
    let root: XmlElement | undefined;
    for (;;) {
      const { element, empty } = this.startTag(stack.length + 1);
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else root = element;
      if (!empty) stack.push(element);
      // Content until the next child's start tag, closing every element that ends on the way.
      for (let top = stack[stack.length - 1]; top !== undefined; top = stack[stack.length - 1]) {
        top.text += this.charData();
        if (this.pos >= this.text.length) throw this.failEnd(`inside <${top.name}>`);
        if (this.text.startsWith('</', this.pos)) {
          this.endTag(top);
          stack.pop();
        } else if (this.text.startsWith('<!--', this.pos)) {
          this.comment();
        } else if (this.text.startsWith('<![CDATA[', this.pos)) {
          top.text += this.cdata();
        } else if (this.text.startsWith('<?', this.pos)) {
          this.processingInstruction();
        } else if (this.text.startsWith('<!', this.pos)) {
          throw this.declarationError();
        } else {
          break;
        }
      }
      if (stack.length === 0) return root as XmlElement;
    }
  }

  private name(what: string): string {
    NAME.lastIndex = this.pos;
    const name = NAME.exec(this.text)?.[0];
    if (name === undefined) {
      if (this.pos >= this.text.length) throw this.failEnd(`where ${what} should be`);
      throw this.fail(`expected ${what}, found ${showChar(this.text.codePointAt(this.pos) as number)}`);
    }
    this.pos += name.length;
    return name;
  }

  private skipSpace(): boolean {
    const start = this.pos;
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos] as string)) this.pos++;
    return this.pos > start;
  }

  /** `<name attr="value" ...>` or `<name .../>`, from its '<'. */
  private startTag(depth: number): { element: XmlElement; empty: boolean } {
    const position = this.pos;
    if (depth > this.maxDepth) throw this.fail(`elements nested deeper than ${this.maxDepth}`);
    this.pos++;
    const element: XmlElement = {
      name: this.name('an element name'),
      attributes: new Map(),
      children: [],
      text: '',
      position,
    };
    for (;;) {
      const spaced = this.skipSpace();
      const c = this.text[this.pos];
      if (c === '>') {
        this.pos++;
        return { element, empty: false };
      }
      if (c === '/') {
        if (this.text[this.pos + 1] !== '>') throw this.fail("expected '>' after '/'", this.pos + 1);
        this.pos += 2;
        return { element, empty: true };
      }
      if (c === undefined) throw this.failEnd(`in the start tag of <${element.name}>`);
      if (!spaced) throw this.fail(`expected whitespace, '>' or '/>' in the start tag of <${element.name}>`);
      const at = this.pos;
      const name = this.name('an attribute name');
      this.skipSpace();
      if (this.text[this.pos] !== '=') throw this.fail(`expected '=' after the attribute name '${name}'`);
      this.pos++;
      this.skipSpace();
      const quote = this.text[this.pos];
      if (quote !== '"' && quote !== "'") throw this.fail(`the value of the attribute '${name}' must be quoted`);
      this.pos++;
      const value = this.attributeValue(quote);
      if (element.attributes.has(name)) throw this.fail(`duplicate attribute '${name}'`, at);
      element.attributes.set(name, value);
    }
  }

  /** `</name>`, which must close `open`. */
  private endTag(open: XmlElement): void {
    const at = this.pos;
    this.pos += 2;
    const name = this.name('an element name');
    this.skipSpace();
    if (this.text[this.pos] !== '>')
      throw this.pos >= this.text.length ? this.failEnd(`in the end tag of <${name}>`) : this.fail("expected '>'");
    if (name !== open.name) throw this.fail(`</${name}> does not close <${open.name}>`, at);
    this.pos++;
  }

  /**
   * Moves past one character XML allows (a surrogate pair counts as one) or fails on one it does
   * not: C0 controls other than tab, LF and CR, lone surrogates, U+FFFE and U+FFFF.
   */
  private char(code: number): void {
    if (
      code >= 0x20 ? code < 0xd800 || (code > 0xdfff && code < 0xfffe) : code === 0x9 || code === 0xa || code === 0xd
    ) {
      this.pos++;
      return;
    }
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = this.text.charCodeAt(this.pos + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        this.pos += 2;
        return;
      }
    }
    throw this.fail(`character ${showChar(code)} is not allowed in XML`);
  }

  /** Character data up to the next '<' or the end: references decoded, line ends made '\n'. */
  private charData(): string {
    const { text } = this;
    let out = '';
    let chunk = this.pos;
    while (this.pos < text.length) {
      const code = text.charCodeAt(this.pos);
      if (code === 0x3c) break;
      if (code === 0x26 || code === 0x0d) {
        out += text.slice(chunk, this.pos) + (code === 0x26 ? this.reference() : this.lineEnd());
        chunk = this.pos;
      } else if (code === 0x5d && text.startsWith(']]>', this.pos)) {
        throw this.fail("']]>' is not allowed in text");
      } else {
        this.char(code);
      }
    }
    return out + text.slice(chunk, this.pos);
  }

  /** An attribute value after its opening quote, through the closing one; XML's normalisation applied. */
  private attributeValue(quote: string): string {
    const { text } = this;
    let out = '';
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= text.length) throw this.failEnd('in an attribute value');
      const c = text[this.pos] as string;
      if (c === quote) break;
      if (c === '<') throw this.fail("'<' is not allowed in an attribute value");
      if (c === '&') {
        out += text.slice(chunk, this.pos) + this.reference();
        chunk = this.pos;
      } else if (c === '\r' || c === '\n' || c === '\t') {
        // XML's attribute-value normalisation: literal whitespace (a \r\n pair too) becomes one
        // space, while a character reference such as &#10; keeps its character.
        out += `${text.slice(chunk, this.pos)} `;
        if (c === '\r') this.lineEnd();
        else this.pos++;
        chunk = this.pos;
      } else {
        this.char(text.charCodeAt(this.pos));
      }
    }
    out += text.slice(chunk, this.pos);
    this.pos++;
    return out;
  }

  private lineEnd(): string {
    this.pos += this.text[this.pos + 1] === '\n' ? 2 : 1;
    return '\n';
  }

  /** `&lt;` and the other four, `&#123;`, `&#x7B;`. Any other entity is undefined: there is no DTD. */
  private reference(): string {
    const at = this.pos;
    const semicolon = this.text.slice(at, at + 40).indexOf(';');
    const body = semicolon === -1 ? undefined : this.text.slice(at + 1, at + semicolon);
    if (body !== undefined) {
      const predefined = Object.hasOwn(PREDEFINED_ENTITIES, body) ? PREDEFINED_ENTITIES[body] : undefined;
      const numeric = /^#[0-9]+$/.test(body)
        ? Number(body.slice(1))
        : /^#x[0-9a-fA-F]+$/.test(body)
          ? parseInt(body.slice(2), 16)
          : undefined;
      if (predefined !== undefined || numeric !== undefined) {
        this.pos = at + semicolon + 1;
        if (predefined !== undefined) return predefined;
        if (!isXmlChar(numeric as number))
          throw this.fail(`character reference '&${body};' is not a character XML allows`, at);
        return String.fromCodePoint(numeric as number);
      }
      NAME.lastIndex = 0;
      const name = NAME.exec(body)?.[0];
      if (name === body)
        throw this.fail(
          `undefined entity '&${body};': only &lt; &gt; &amp; &quot; &apos; and character references are allowed`,
          at,
        );
    }
    throw this.fail("'&' must start a reference such as &amp; or &#38;", at);
  }

  private comment(): void {
    const start = this.pos;
    const end = this.text.indexOf('-->', start + 4);
    if (end === -1) throw this.failEnd('in a comment');
    // '--' may not appear inside, which also rules out a comment ending in '--->'.
    const doubleHyphen = this.text.indexOf('--', start + 4);
    if (doubleHyphen < end) throw this.fail("'--' is not allowed inside a comment", doubleHyphen);
    for (this.pos = start + 4; this.pos < end;) this.char(this.text.charCodeAt(this.pos));
    this.pos = end + 3;
  }

  private cdata(): string {
    const start = this.pos + 9;
    const end = this.text.indexOf(']]>', start);
    if (end === -1) throw this.failEnd('in a CDATA section');
    let out = '';
    let chunk = start;
    for (this.pos = start; this.pos < end;) {
      if (this.text.charCodeAt(this.pos) === 0x0d) {
        out += this.text.slice(chunk, this.pos) + this.lineEnd();
        chunk = this.pos;
      } else {
        this.char(this.text.charCodeAt(this.pos));
      }
    }
    this.pos = end + 3;
    return out + this.text.slice(chunk, end);
  }

  /** `<?target ...?>`: skipped, as its content means nothing here. */
  private processingInstruction(): void {
    const start = this.pos;
    this.pos += 2;
    const target = this.name('a processing instruction target');
    if (target.toLowerCase() === 'xml') throw this.fail('the XML declaration is only allowed at the very start', start);
    const end = this.text.indexOf('?>', this.pos);
    if (end === -1) throw this.failEnd('in a processing instruction');
    if (end > this.pos && !this.skipSpace())
      throw this.fail('expected whitespace after the processing instruction target');
    while (this.pos < end) this.char(this.text.charCodeAt(this.pos));
    this.pos = end + 2;
  }

  // -------------------------------------------------------------------------------------------
  // From elements to values.

  /** An element's value by its `type` attribute, else `untyped` (the root's role) or the rule for untyped elements. */
  toValue(element: XmlElement, untyped?: 'list' | 'dict'): PyValue {
    const given = element.attributes.get('type');
    if (given !== undefined && !(TYPES as readonly string[]).includes(given)) {
      throw this.fail(
        `<${element.name}> has an unknown type '${given}'; expected one of ${TYPES.join(', ')}`,
        element.position,
      );
    }
    const type = (given as ValueType | undefined) ?? untyped ?? (element.children.length > 0 ? 'dict' : 'str');
    if (type === 'list' || type === 'dict') {
      if (!XML_SPACE.test(element.text)) {
        throw this.fail(
          `<${element.name}> ${given === undefined && untyped === undefined ? 'mixes text and elements' : `is a ${type} and cannot hold text`}`,
          element.position,
        );
      }
      if (type === 'list') return element.children.map((child) => this.toValue(child));
      const dict: PyDict = new Map();
      for (const child of element.children) {
        // dicttoxml writes a key that is not an XML name as <key name="...">.
        const key = child.name === 'key' ? (child.attributes.get('name') ?? 'key') : child.name;
        if (dict.has(key)) throw this.fail(`duplicate key '${key}' in <${element.name}>`, child.position);
        dict.set(key, this.toValue(child));
      }
      return dict;
    }
    if (element.children.length > 0) {
      throw this.fail(`<${element.name}> is a ${type} and cannot hold elements`, element.children[0]?.position);
    }
    return this.scalar(type, element);
  }

  private scalar(type: 'str' | 'int' | 'float' | 'bool' | 'null', element: XmlElement): PyValue {
    const raw = element.text;
    // Python's int(), float() and our bools ignore the whitespace around them; a str keeps it.
    const text = raw.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
    const bad = (expected: string) =>
      this.fail(
        `<${element.name}> has type '${type}' but its text '${text.length > 40 ? `${text.slice(0, 40)}...` : text}' is not ${expected}`,
        element.position,
      );
    switch (type) {
      case 'str':
        return raw;
      case 'null':
        if (text !== '') throw bad('empty');
        return null;
      case 'bool':
        // dicttoxml writes True/False inside lists (its known bug); accept what it writes.
        if (text === 'true' || text === 'True') return true;
        if (text === 'false' || text === 'False') return false;
        throw bad('true or false');
      case 'int': {
        if (!isIntText(text)) throw bad('an integer');
        const digits = text.replace(/^[+-]/, '');
        if (digits.length > MAX_INT_DIGITS)
          throw this.fail(`<${element.name}> has an integer longer than ${MAX_INT_DIGITS} digits`, element.position);
        const big = BigInt(text);
        const small = Number(big);
        return Number.isSafeInteger(small) ? small : big;
      }
      case 'float': {
        if (!isFloatText(text))
          throw bad(
            /^[+-]?(nan|inf|infinity)$/i.test(text) ? 'a finite number (NaN and Infinity are not allowed)' : 'a number',
          );
        const value = Number(text);
        if (!Number.isFinite(value)) throw this.fail(`<${element.name}> has a float out of range`, element.position);
        return new PyFloat(value);
      }
    }
  }
}

/**
 * Parses an XML request body whose root is `<vals>`, `<args>` or `<kwargs>` (see the module
 * comment for the shape) into the root's name and its value.
 * @throws InvalidXmlError with the line and column where parsing stopped.
 */
export function parseXmlBody(text: string, options: XmlBodyOptions = {}): { root: XmlBodyRoot; value: PyValue } {
  const maxLength = options.maxLength ?? DEFAULT_XML_MAX_LENGTH;
  const parser = new XmlBodyParser(text, options.maxDepth ?? DEFAULT_XML_MAX_DEPTH);
  if (text.length > maxLength) throw parser.fail(`input longer than ${maxLength} characters`, maxLength);
  const element = parser.parseDocument();
  const root = XML_BODY_ROOTS.find((name) => name === element.name);
  if (root === undefined)
    throw parser.fail(`the root element must be <vals>, <args> or <kwargs>, not <${element.name}>`, element.position);
  return { root, value: parser.toValue(element, root === 'args' ? 'list' : 'dict') };
}

/** Whether a request body is XML: by its Content-Type, or by its first character. */
export function isXmlBody(body: string, contentType: string | undefined): boolean {
  const mediaType = mediaTypeOf(contentType);
  return mediaType === 'application/xml' || mediaType === 'text/xml' || /^\uFEFF?[ \t\n\r]*</.test(body);
}
