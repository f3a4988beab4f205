/** API Gateway (REST, Lambda proxy) events in: the request as every route sees it, and its query and form pairs. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { TextDecoder } from 'node:util';
import { BadRequestError, paramGivenTwice } from '../errors';
import { mediaTypeOf } from '../wire/media-type';

/** A request as the core sees it: lower-case header names, every query value kept. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  /** The path as the client called it, with the stage or base path (what links and signatures use). */
  readonly calledPath: string;
  /**
   * The domain API Gateway reports the request came in on (`requestContext.domainName`; https
   * only), set by API Gateway, not the client: the host an OAuth 1.0a signature is checked for.
   */
  readonly domainName?: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: ReadonlyMap<string, readonly string[]>;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string | undefined;
  readonly requestId: string;
  /** What the authorizer put in the context (string values, as API Gateway passes them). */
  readonly authorizer: Readonly<Record<string, string>>;
}

function lowerCaseHeaders(event: APIGatewayProxyEvent): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers.set(name.toLowerCase(), value);
  }
  return headers;
}

function queryOf(event: APIGatewayProxyEvent): Map<string, string[]> {
  const query = new Map<string, string[]>();
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const [name, values] of Object.entries(multi)) if (values) query.set(name, [...values]);
  // Some emitters fill only the single-value map.
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined && !query.has(name)) query.set(name, [value]);
  }
  return query;
}

export function toApiRequest(event: APIGatewayProxyEvent): ApiRequest {
  const authorizer: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.requestContext?.authorizer ?? {})) {
    if (value !== undefined && value !== null && typeof value !== 'object') authorizer[key] = String(value);
  }
  const body =
    event.body === null || event.body === undefined
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  const pathParameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.pathParameters ?? {}))
    if (value !== undefined) pathParameters[key] = value;
  return {
    method: event.httpMethod.toUpperCase(),
    path: event.path,
    calledPath: event.requestContext?.path ?? event.path,
    ...(event.requestContext?.domainName ? { domainName: event.requestContext.domainName } : {}),
    pathParameters,
    query: queryOf(event),
    headers: lowerCaseHeaders(event),
    body,
    requestId: event.requestContext?.requestId ?? 'unknown',
    authorizer,
  };
}

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** Whether the request says its body is a form (its Content-Type, as werkzeug decides, never its look). */
export function isFormRequest(request: Pick<ApiRequest, 'headers'>): boolean {
  return mediaTypeOf(request.headers.get('content-type')) === FORM_MEDIA_TYPE;
}

/** The charset a Content-Type declares (`charset=...`, quoted or not), lower-case; undefined without one. */
export function charsetOf(contentType: string | undefined): string | undefined {
  for (const parameter of (contentType ?? '').split(';').slice(1)) {
    const equals = parameter.indexOf('=');
    if (equals < 0 || parameter.slice(0, equals).trim().toLowerCase() !== 'charset') continue;
    return parameter
      .slice(equals + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return undefined;
}

/** The decoder of a form's charset: UTF-8 unless it declares another that the Encoding Standard knows. */
function formDecoder(contentType: string | undefined): TextDecoder {
  const charset = charsetOf(contentType) ?? 'utf-8';
  try {
    // fatal: bytes that are not text in the charset are refused, never replaced by U+FFFD.
    return new TextDecoder(charset, { fatal: true });
  } catch {
    throw new BadRequestError(
      `Unsupported charset ${JSON.stringify(charset)} for the form body; send it as UTF-8 (the default)`,
    );
  }
}

const PERCENT_ESCAPE = /%([0-9A-Fa-f]{2})/y;

/**
 * One name or value of a form: `+` is a space, `%XX` a byte (a `%` without two hex digits stays
 * itself, as the WHATWG URL standard and werkzeug have it), every other character its UTF-8
 * bytes; then the bytes decoded in the form's charset.
 */
function decodeFormComponent(text: string, decoder: TextDecoder, what: string): string {
  if (!/[%+]/.test(text)) return text;
  const bytes: number[] = [];
  for (let at = 0; at < text.length;) {
    PERCENT_ESCAPE.lastIndex = at;
    const escape = text[at] === '%' ? PERCENT_ESCAPE.exec(text) : null;
    if (escape) {
      bytes.push(parseInt(escape[1] as string, 16));
      at += 3;
      continue;
    }
    const codePoint = text.codePointAt(at) as number;
    const char = String.fromCodePoint(codePoint);
    bytes.push(...Buffer.from(char === '+' ? ' ' : char, 'utf8'));
    at += char.length;
  }
  try {
    return decoder.decode(Uint8Array.from(bytes));
  } catch {
    throw new BadRequestError(`The form body's ${what} is not valid ${decoder.encoding} once percent-decoded`);
  }
}

/**
 * The pairs of an application/x-www-form-urlencoded body, in order, repeated names kept;
 * undefined when the request has no such body. Only the Content-Type says a body is a form (a
 * body without one is never taken for a form, whatever it looks like), as werkzeug decides
 * for Odoo. Its charset parameter is honoured (UTF-8 without one); a byte sequence that is
 * not text in that charset is a 400 rather than silently replaced, as werkzeug would.
 */
export function formPairs(request: Pick<ApiRequest, 'headers' | 'body'>): [string, string][] | undefined {
  if (!request.body || !isFormRequest(request)) return undefined;
  const decoder = formDecoder(request.headers.get('content-type'));
  const pairs: [string, string][] = [];
  for (const sequence of request.body.split('&')) {
    if (sequence === '') continue;
    const equals = sequence.indexOf('=');
    const name = equals < 0 ? sequence : sequence.slice(0, equals);
    const value = equals < 0 ? '' : sequence.slice(equals + 1);
    const decodedName = decodeFormComponent(name, decoder, 'field name');
    const shown = decodedName.length > 40 ? `${decodedName.slice(0, 40)}...` : decodedName;
    pairs.push([decodedName, decodeFormComponent(value, decoder, `field ${JSON.stringify(shown)}`)]);
  }
  return pairs;
}

/** Name-value pairs as a map in which each name appears once (paramGivenTwice otherwise). */
export function singleValued(pairs: Iterable<readonly [string, string]>): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of pairs) {
    if (params.has(name)) throw paramGivenTwice(name);
    params.set(name, value);
  }
  return params;
}

/** The query's parameters as pairs, every value of a repeated name kept. */
export function queryPairsOf(request: ApiRequest): [string, string][] {
  return [...request.query].flatMap(([name, values]) => values.map((value): [string, string] => [name, value]));
}
