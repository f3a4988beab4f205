/**
 * OAuth 1.0a (RFC 5849) signature verification: the pure core, without I/O. It reads the
 * protocol parameters of a request, rebuilds the signature base string and compares signatures;
 * looking up secrets and recording nonces are the caller's (the authorizer's and the token
 * endpoints'). Everything a client can get wrong throws AuthenticationRequiredError, whose reason
 * is only logged and never carries a signature, a secret or a token.
 *
 * Unlike the original module, header values are parsed by a small linear scanner and never
 * evaluated, unknown signature methods are refused instead of being treated as HMAC-SHA1, and
 * signatures are compared in constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AuthenticationRequiredError } from '../../errors';

/** One request parameter, decoded; a list of them keeps order and duplicates (RFC 5849 §3.4.1.3). */
export type ParamPair = readonly [name: string, value: string];

/** HMAC-SHA256 is not in the RFC but a common extension with the same construction. RSA-SHA1 is not supported. */
export type SignatureMethod = 'HMAC-SHA1' | 'HMAC-SHA256' | 'PLAINTEXT';

export const SIGNATURE_METHODS: readonly SignatureMethod[] = ['HMAC-SHA1', 'HMAC-SHA256', 'PLAINTEXT'];

/** Where the client put its oauth_* parameters; RFC 5849 §3.5 allows one place per request. */
export type ParameterLocation = 'header' | 'query' | 'body';

/** Real OAuth headers are a few hundred bytes; the bounds cap the work a hostile header causes. */
export const MAX_AUTHORIZATION_HEADER_LENGTH = 8192;
export const MAX_AUTHORIZATION_HEADER_PARAMS = 64;
/** Consumer keys and tokens we issue are 32 characters; this leaves room without inviting abuse. */
const MAX_IDENTIFIER_LENGTH = 512;
/** Nonces end up in the replay store, so they are bounded too (common clients send 32 characters). */
const MAX_NONCE_LENGTH = 256;
/** Twelve digits reach the year 33658 and stay far below Number.MAX_SAFE_INTEGER. */
const TIMESTAMP = /^[1-9][0-9]{0,11}$/;

// ---------------------------------------------------------------------------------------------
// Percent-encoding (§3.6)
// ---------------------------------------------------------------------------------------------

/** RFC 3986 unreserved characters as byte values: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreservedByte(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2d ||
    byte === 0x2e ||
    byte === 0x5f ||
    byte === 0x7e
  );
}

/** `%XX` with uppercase hex for every byte value, built once. */
const BYTE_ESCAPES: readonly string[] = Array.from(
  { length: 256 },
  (_, byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
);
const ALL_UNRESERVED = /^[A-Za-z0-9\-._~]*$/;

/**
 * RFC 5849 §3.6 encoding: the UTF-8 bytes of `text`, every byte outside the unreserved set as
 * `%XX` with uppercase hex (so a space is `%20`, never `+`, and `!*'()` are encoded, unlike
 * encodeURIComponent). A lone surrogate is encoded as U+FFFD rather than throwing: such a string
 * cannot have been signed by anyone, so it only has to fail the comparison, not crash it.
 */
export function percentEncode(text: string): string {
  if (ALL_UNRESERVED.test(text)) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += isUnreservedByte(byte) ? String.fromCharCode(byte) : (BYTE_ESCAPES[byte] as string);
  }
  return out;
}

/** Strict percent-decoding: a stray `%` or bytes that are not UTF-8 are refused, never guessed at. */
function percentDecode(text: string, what: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AuthenticationRequiredError(`invalid percent-encoding in ${what}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The Authorization header (§3.5.1)
// ---------------------------------------------------------------------------------------------

export interface OAuthAuthorizationHeader {
  /** Every parameter but realm, decoded, in the order sent, duplicates kept. */
  readonly params: readonly ParamPair[];
  /** The realm if sent; it is not part of the signature (§3.4.1.3.1). */
  readonly realm: string | undefined;
}

const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const EQUALS = 0x3d;

function isWhitespace(code: number): boolean {
  return code === SPACE || code === TAB;
}

/** RFC 7230 tchar, the characters of auth schemes and parameter names. */
function isTokenChar(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    "!#$%&'*+-.^_`|~".includes(String.fromCharCode(code))
  );
}

/** Visible ASCII but `"` and `\`: what a percent-encoded value can hold (a lenient superset of §3.6). */
function isEncodedValueChar(code: number): boolean {
  return code === 0x21 || (code >= 0x23 && code <= 0x5b) || (code >= 0x5d && code <= 0x7e);
}

/** The auth scheme of an Authorization header value is OAuth (case-insensitive, RFC 7235 §2.1). */
export function hasOAuthScheme(value: string): boolean {
  return /^[ \t]*oauth(?:[ \t]|$)/i.test(value);
}

/**
 * Parses `OAuth realm="x", oauth_consumer_key="k", ...` (RFC 5849 §3.5.1, with RFC 7235's
 * optional whitespace around `,` and `=`, and empty list elements ignored). Values must be quoted
 * and are percent-decoded; realm is an ordinary HTTP quoted-string and is returned apart.
 * A single forward pass over the characters, no regular expression over the whole value and no
 * evaluation of anything: whatever is malformed throws AuthenticationRequiredError.
 */
export function parseOAuthAuthorizationHeader(value: string): OAuthAuthorizationHeader {
  if (typeof value !== 'string') throw new AuthenticationRequiredError('no Authorization header');
  if (value.length > MAX_AUTHORIZATION_HEADER_LENGTH)
    throw new AuthenticationRequiredError('Authorization header too long');
  const end = value.length;
  let at = 0;
  const skipWhitespace = (): void => {
    while (at < end && isWhitespace(value.charCodeAt(at))) at++;
  };
  const readToken = (): string => {
    const start = at;
    while (at < end && isTokenChar(value.charCodeAt(at))) at++;
    return value.slice(start, at);
  };
  const fail = (reason: string): never => {
    throw new AuthenticationRequiredError(`malformed OAuth Authorization header: ${reason}`);
  };

  skipWhitespace();
  if (readToken().toLowerCase() !== 'oauth') throw new AuthenticationRequiredError('not an OAuth Authorization header');
  if (at < end && !isWhitespace(value.charCodeAt(at))) fail('no space after the scheme');

  const params: ParamPair[] = [];
  let realm: string | undefined;
  for (;;) {
    skipWhitespace();
    if (at >= end) break;
    // RFC 7230 §7: recipients accept (and ignore) empty list elements such as ", ,".
    if (value.charCodeAt(at) === COMMA) {
      at++;
      continue;
    }
    const rawName = readToken();
    if (rawName === '') fail('expected a parameter name');
    skipWhitespace();
    if (value.charCodeAt(at) !== EQUALS) fail('expected "=" after a parameter name');
    at++;
    skipWhitespace();
    if (value.charCodeAt(at) !== QUOTE) fail('parameter value not quoted');
    at++;
    const isRealm = rawName.toLowerCase() === 'realm';
    let raw = '';
    let closed = false;
    while (at < end) {
      const code = value.charCodeAt(at);
      if (code === QUOTE) {
        closed = true;
        at++;
        break;
      }
      if (isRealm && code === BACKSLASH) {
        // A quoted-pair in the realm: the next visible character stands for itself.
        const next = value.charCodeAt(at + 1);
        if (!(next === TAB || (next >= 0x20 && next <= 0x7e))) fail('bad escape in realm');
        raw += value[at + 1];
        at += 2;
        continue;
      }
      if (!(isEncodedValueChar(code) || (isRealm && (code === SPACE || code === TAB))))
        fail('invalid character in a value');
      raw += value[at];
      at++;
    }
    if (!closed) fail('unterminated quoted value');

    if (isRealm) {
      if (realm !== undefined) fail('realm given twice');
      realm = raw;
    } else {
      if (params.length >= MAX_AUTHORIZATION_HEADER_PARAMS)
        throw new AuthenticationRequiredError('too many parameters in the Authorization header');
      params.push([percentDecode(rawName, 'a parameter name'), percentDecode(raw, 'a parameter value')]);
    }

    skipWhitespace();
    if (at >= end) break;
    if (value.charCodeAt(at) !== COMMA) fail('expected "," between parameters');
    at++;
  }
  return { params, realm };
}

// ---------------------------------------------------------------------------------------------
// Protocol parameters (§3.1, §3.2, §3.4.1.3, §3.5)
// ---------------------------------------------------------------------------------------------

/** The request's parameters as the caller could read them, all decoded. */
export interface OAuthParameterSources {
  /** The query string's pairs; API Gateway's multiValueQueryStringParameters are already decoded. */
  readonly query?: readonly ParamPair[];
  /** `parseOAuthAuthorizationHeader(...).params`. */
  readonly header?: readonly ParamPair[];
  /**
   * Only a single-part application/x-www-form-urlencoded body (§3.4.1.3.1), decoded as a form
   * (`+` is a space), e.g. `[...new URLSearchParams(body)]`. The Lambda authorizer never sees the
   * body, so it leaves this out.
   */
  readonly body?: readonly ParamPair[];
}

/** A request's OAuth protocol parameters, checked for presence and form but not yet verified. */
export interface OAuthRequest {
  readonly consumerKey: string;
  /** Absent (or sent empty) on two-legged and temporary-credential requests. */
  readonly token: string | undefined;
  readonly signatureMethod: SignatureMethod;
  /** The signature as sent, decoded. */
  readonly signature: string;
  /** Seconds since the epoch; may be absent only with PLAINTEXT. */
  readonly timestamp: number | undefined;
  /** May be absent only with PLAINTEXT. */
  readonly nonce: string | undefined;
  readonly verifier: string | undefined;
  readonly callback: string | undefined;
  readonly version: '1.0' | undefined;
  /** Where the oauth_* parameters were. */
  readonly location: ParameterLocation;
  /** Every parameter of every source, duplicates kept: the input of the signature base string. */
  readonly params: readonly ParamPair[];
}

/** A protocol parameter name fit for a log line; anything else the client invented is not echoed. */
function describeParam(name: string): string {
  return /^oauth_[a-z_]{1,32}$/.test(name) ? name : 'an oauth_ parameter';
}

/**
 * Merges the parameters of the query, the Authorization header and the form body into one list
 * (§3.4.1.3.1) and reads the protocol parameters out of it, refusing what §3.2 says to refuse:
 * oauth_* parameters in more than one place (§3.5), a protocol parameter given twice, a missing
 * consumer key, signature method or signature, a missing timestamp or nonce (except with
 * PLAINTEXT), a timestamp that is not a positive integer, a version other than 1.0, and any
 * signature method but HMAC-SHA1, HMAC-SHA256 and PLAINTEXT.
 */
/** Protocol parameters exempt from the one-location rule (RFC 5849 §3.5): they are signed like the rest. */
const LEG_PARAMETERS: ReadonlySet<string> = new Set(['oauth_callback', 'oauth_verifier']);

export function gatherOAuthParameters(sources: OAuthParameterSources): OAuthRequest {
  const located: readonly (readonly [ParameterLocation, readonly ParamPair[]])[] = [
    ['query', sources.query ?? []],
    ['header', sources.header ?? []],
    ['body', sources.body ?? []],
  ];
  const params: ParamPair[] = [];
  const protocol = new Map<string, string>();
  let location: ParameterLocation | undefined;
  for (const [where, pairs] of located) {
    for (const pair of pairs) {
      params.push(pair);
      const [name, value] = pair;
      if (!name.startsWith('oauth_')) continue;
      // The leg parameters may travel beside the others, as the original accepts and common clients
      // send them (oauth-1.0a signs `data: {oauth_callback}` but leaves it out of its header).
      if (!LEG_PARAMETERS.has(name)) {
        if (location !== undefined && location !== where)
          throw new AuthenticationRequiredError('OAuth parameters in more than one location');
        location = where;
      }
      if (protocol.has(name))
        throw new AuthenticationRequiredError(`duplicated protocol parameter ${describeParam(name)}`);
      protocol.set(name, value);
    }
  }
  if (location === undefined) throw new AuthenticationRequiredError('no OAuth parameters');

  const required = (name: string): string => {
    const value = protocol.get(name);
    if (value === undefined || value === '') throw new AuthenticationRequiredError(`missing ${name}`);
    return value;
  };
  const optional = (name: string): string | undefined => {
    const value = protocol.get(name);
    return value === '' ? undefined : value;
  };
  const bounded = (name: string, value: string | undefined, limit: number): string | undefined => {
    if (value !== undefined && value.length > limit) throw new AuthenticationRequiredError(`${name} too long`);
    return value;
  };

  const consumerKey = bounded('oauth_consumer_key', required('oauth_consumer_key'), MAX_IDENTIFIER_LENGTH) as string;
  const signatureMethod = parseSignatureMethod(required('oauth_signature_method'));
  const signature = required('oauth_signature');
  const token = bounded('oauth_token', optional('oauth_token'), MAX_IDENTIFIER_LENGTH);

  const version = protocol.get('oauth_version');
  if (version !== undefined && version !== '1.0') throw new AuthenticationRequiredError('unsupported oauth_version');

  // §3.4.4: PLAINTEXT does not use the timestamp and nonce; every other method requires them.
  const needsFreshness = signatureMethod !== 'PLAINTEXT';
  const rawTimestamp = needsFreshness ? required('oauth_timestamp') : optional('oauth_timestamp');
  if (rawTimestamp !== undefined && !TIMESTAMP.test(rawTimestamp))
    throw new AuthenticationRequiredError('oauth_timestamp is not a positive integer');
  const nonce = bounded(
    'oauth_nonce',
    needsFreshness ? required('oauth_nonce') : optional('oauth_nonce'),
    MAX_NONCE_LENGTH,
  );

  return {
    consumerKey,
    token,
    signatureMethod,
    signature,
    timestamp: rawTimestamp === undefined ? undefined : Number(rawTimestamp),
    nonce,
    verifier: optional('oauth_verifier'),
    callback: optional('oauth_callback'),
    version: version === undefined ? undefined : '1.0',
    location,
    params,
  };
}

function parseSignatureMethod(name: string): SignatureMethod {
  // Method names are compared exactly: the original treated any unknown name as HMAC-SHA1.
  const method = SIGNATURE_METHODS.find((candidate) => candidate === name);
  if (method === undefined) throw new AuthenticationRequiredError('unsupported oauth_signature_method');
  return method;
}

// ---------------------------------------------------------------------------------------------
// The base string URI (§3.4.1.2)
// ---------------------------------------------------------------------------------------------

export type UriScheme = 'http' | 'https';

export interface BaseUriParts {
  /** http or https, any case. */
  readonly scheme: string;
  /** `host` or `host:port` (an IPv6 literal in brackets), any case. */
  readonly host: string;
  /** The path as the client sent it, percent-encoded, starting with "/". */
  readonly path: string;
}

const HOST = /^(?:[A-Za-z0-9\-._~]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$/;
const DEFAULT_PORTS: Readonly<Record<UriScheme, number>> = { http: 80, https: 443 };

function parseScheme(scheme: string): UriScheme {
  const lower = scheme.toLowerCase();
  if (lower !== 'http' && lower !== 'https') throw new AuthenticationRequiredError('unsupported URI scheme');
  return lower;
}

/** Lowercase host; the scheme's default port dropped, any other port kept (§3.4.1.2). */
function normalizeAuthority(scheme: UriScheme, host: string): string {
  const match = HOST.exec(host);
  if (!match) throw new AuthenticationRequiredError('invalid host');
  const portText = match[1];
  const name = (portText === undefined ? host : host.slice(0, host.length - portText.length - 1)).toLowerCase();
  if (portText === undefined) return name;
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new AuthenticationRequiredError('invalid port');
  return port === DEFAULT_PORTS[scheme] ? name : `${name}:${port}`;
}

/** RFC 3986 pchar minus pct-encoded, plus "/": what a path may carry unencoded. */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]$/;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

/**
 * The path in RFC 3986 §6.2.2 normal form, so that equivalent spellings of the same path sign
 * the same: `%XX` escapes uppercased, escaped unreserved characters decoded (`%7e` is `~`),
 * characters a path cannot carry raw (spaces, non-ASCII) encoded as UTF-8. Sub-delimiters such as
 * `+`, `:` or `,` are left as sent: RFC 3986 does not make `+` and `%2B` equivalent, and clients
 * sign the path as they send it. An escaped `/` (`%2F`) stays escaped, so segments never merge.
 */
function normalizePath(path: string): string {
  if (!path.startsWith('/')) throw new AuthenticationRequiredError('path does not start with "/"');
  let out = '';
  for (let at = 0; at < path.length;) {
    const char = path[at] as string;
    if (char === '%') {
      const hex = path.slice(at + 1, at + 3);
      if (!HEX_PAIR.test(hex)) throw new AuthenticationRequiredError('invalid percent-encoding in the path');
      const byte = parseInt(hex, 16);
      out += isUnreservedByte(byte) ? String.fromCharCode(byte) : (BYTE_ESCAPES[byte] as string);
      at += 3;
      continue;
    }
    const codePoint = path.codePointAt(at) as number;
    const width = codePoint > 0xffff ? 2 : 1;
    const whole = path.slice(at, at + width);
    out += PATH_CHARS.test(whole) ? whole : percentEncode(whole);
    at += width;
  }
  return out;
}

/**
 * `scheme://host[:port]/path` as §3.4.1.2 wants it: scheme and host lowercased, the default port
 * of the scheme dropped and any other kept, the path normalized (see above), no query or fragment.
 */
export function baseStringUri(parts: BaseUriParts): string {
  const scheme = parseScheme(parts.scheme);
  return `${scheme}://${normalizeAuthority(scheme, parts.host)}${normalizePath(parts.path === '' ? '/' : parts.path)}`;
}

/** Where the API is reached from outside: what the client put in the URL it signed. */
export interface PublicOrigin {
  readonly scheme: UriScheme;
  /** `host` or `host:port`. */
  readonly host: string;
  /** A prefix of every path, such as an API Gateway stage or base path mapping ("/prod"), or "". */
  readonly basePath: string;
}

/**
 * Reads a configured public base URL such as `https://api.example.com` or
 * `https://abc.execute-api.eu-west-1.amazonaws.com/prod`. A bad value is a deployment mistake,
 * so it throws a plain Error, meant for the cold start.
 */
export function parsePublicBaseUrl(text: string): PublicOrigin {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`The public base URL ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error('The public base URL must be http or https');
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new Error('The public base URL must not have a query, fragment or credentials');
  }
  return {
    scheme: url.protocol === 'https:' ? 'https' : 'http',
    host: url.host,
    basePath: url.pathname.replace(/\/+$/, ''),
  };
}

type Headers = Readonly<Record<string, string | undefined>> | null | undefined;

/** A header's value, whatever its case (several lines of it joined with ", ", as RFC 9110 §5.3 allows). */
function headerValue(headers: Headers, name: string): string | undefined {
  const values: string[] = [];
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined) values.push(value);
  }
  const joined = values.join(', ').trim();
  return joined === '' ? undefined : joined;
}

/**
 * The last element of a comma list such as X-Forwarded-Host: a proxy appends what it saw, so the
 * last one is the trusted proxy's own; anything before it came from further out (the client).
 */
function lastListElement(value: string | undefined): string | undefined {
  const last = value?.split(',').pop()?.trim();
  return last === '' ? undefined : last;
}

/**
 * Where the origin of a request is read from when no public base URL is configured
 * (lib/runtime/config.ts: PUBLIC_BASE_URL, TRUSTED_PROXY; IS_OFFLINE, set by serverless-offline).
 */
export interface OriginSettings {
  /** PUBLIC_BASE_URL: the scheme, host and base path clients sign, whatever the request says. */
  readonly publicOrigin: PublicOrigin | undefined;
  /**
   * TRUSTED_PROXY: a proxy in front of API Gateway sets X-Forwarded-Host and X-Forwarded-Proto
   * (the last element of each is its own). Without it those headers are ignored: a client could
   * name any origin with them.
   */
  readonly trustedProxy?: boolean;
  /**
   * Under serverless-offline (IS_OFFLINE), which reports a placeholder domain name and serves
   * plain http: the origin is http and the Host header the client connected with.
   */
  readonly gatewayEmulated?: boolean;
}

/** What the edge reports of one request, for its origin. */
export interface OriginEvidence {
  /**
   * The domain API Gateway says the request came in on (`requestContext.domainName`: the
   * execute-api domain or a custom domain), which a client cannot choose; API Gateway serves https only.
   */
  readonly domainName: string | undefined;
  readonly headers: Headers;
}

/**
 * The public origin of a request, never taken from a header the client controls: the configured
 * PUBLIC_BASE_URL when there is one; else https and the domain API Gateway reports (so a request
 * signed for another server sharing the consumer does not verify here, and PLAINTEXT is allowed
 * only because API Gateway itself answers over TLS). X-Forwarded-Host and X-Forwarded-Proto count
 * only with a trusted proxy (TRUSTED_PROXY), and then only the last element of each, which that
 * proxy wrote. Under serverless-offline, the origin is http and the Host header.
 */
export function requestOrigin(settings: OriginSettings, request: OriginEvidence): PublicOrigin {
  if (settings.publicOrigin) return settings.publicOrigin;
  const gateway: { scheme: UriScheme; host: string | undefined } = settings.gatewayEmulated
    ? { scheme: 'http', host: headerValue(request.headers, 'host') }
    : { scheme: 'https', host: request.domainName || undefined };
  let { scheme, host } = gateway;
  if (settings.trustedProxy) {
    const proto = lastListElement(headerValue(request.headers, 'x-forwarded-proto'));
    if (proto !== undefined) scheme = parseScheme(proto);
    host = lastListElement(headerValue(request.headers, 'x-forwarded-host')) ?? host;
  }
  if (host === undefined) {
    throw new AuthenticationRequiredError(
      settings.gatewayEmulated
        ? 'no Host header'
        : 'API Gateway reported no domain name (set PUBLIC_BASE_URL to the URL clients sign for)',
    );
  }
  return { scheme, host, basePath: '' };
}

/** The base string URI of a request to `path` (as sent, relative to the origin's base path). */
export function requestBaseStringUri(origin: PublicOrigin, path: string): string {
  return baseStringUri({ scheme: origin.scheme, host: origin.host, path: `${origin.basePath}${path}` });
}

// ---------------------------------------------------------------------------------------------
// The signature (§3.4)
// ---------------------------------------------------------------------------------------------

/**
 * §3.4.1: `METHOD&enc(baseUri)&enc(normalized parameters)`, where the parameters are encoded,
 * sorted by encoded name then encoded value (byte order, not locale order), joined as
 * `name=value` with `&`, and oauth_signature is left out.
 */
export function signatureBaseString(httpMethod: string, baseUri: string, params: readonly ParamPair[]): string {
  const encoded: [string, string][] = [];
  for (const [name, value] of params) {
    if (name !== 'oauth_signature') encoded.push([percentEncode(name), percentEncode(value)]);
  }
  // The encoded strings are ASCII, where comparing UTF-16 code units is comparing bytes.
  encoded.sort(([nameA, valueA], [nameB, valueB]) =>
    nameA < nameB ? -1 : nameA > nameB ? 1 : valueA < valueB ? -1 : valueA > valueB ? 1 : 0,
  );
  const normalized = encoded.map(([name, value]) => `${name}=${value}`).join('&');
  return `${httpMethod.toUpperCase()}&${percentEncode(baseUri)}&${percentEncode(normalized)}`;
}

/**
 * The signature a request should carry: HMAC-SHA1 or HMAC-SHA256 of the base string in base64,
 * or for PLAINTEXT the key itself. The key is `enc(consumerSecret)&enc(tokenSecret)`, with the
 * `&` even when there is no token secret (§3.4.2).
 */
export function computeSignature(
  method: SignatureMethod,
  baseString: string,
  consumerSecret: string,
  tokenSecret: string | undefined,
): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret ?? '')}`;
  switch (method) {
    case 'PLAINTEXT':
      return key;
    case 'HMAC-SHA1':
      return createHmac('sha1', key).update(baseString, 'utf8').digest('base64');
    case 'HMAC-SHA256':
      return createHmac('sha256', key).update(baseString, 'utf8').digest('base64');
  }
}

/**
 * Compares two signatures in constant time. Both are hashed first, so the buffers always have the
 * same length: timingSafeEqual never throws and the time taken never tells the expected length.
 */
export function signatureMatches(expected: string, presented: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(presented));
}

/** §3.4.4: PLAINTEXT sends the secrets themselves, so it is refused outside TLS. */
export function assertPlaintextOverHttps(method: SignatureMethod, baseUri: string): void {
  if (method === 'PLAINTEXT' && !baseUri.startsWith('https://'))
    throw new AuthenticationRequiredError('PLAINTEXT signature over http');
}

/**
 * Recomputes the signature of a gathered request with the secrets the caller looked up and
 * throws unless the client's matches. Freshness (timestamp and nonce) is the caller's next step.
 */
export function verifySignature(
  httpMethod: string,
  baseUri: string,
  request: OAuthRequest,
  consumerSecret: string,
  tokenSecret: string | undefined,
): void {
  assertPlaintextOverHttps(request.signatureMethod, baseUri);
  const baseString = signatureBaseString(httpMethod, baseUri, request.params);
  const expected = computeSignature(request.signatureMethod, baseString, consumerSecret, tokenSecret);
  if (!signatureMatches(expected, request.signature)) throw new AuthenticationRequiredError('signature mismatch');
}

// ---------------------------------------------------------------------------------------------
// Freshness (§3.3)
// ---------------------------------------------------------------------------------------------

/**
 * Refuses a timestamp more than `windowSeconds` away from now, in either direction: old ones
 * bound how long nonces must be kept, future ones would outlive that bound.
 */
export function checkTimestamp(timestampSeconds: number, nowSeconds: number, windowSeconds: number): void {
  if (!(Math.abs(timestampSeconds - nowSeconds) <= windowSeconds))
    throw new AuthenticationRequiredError('oauth_timestamp outside the allowed window');
}

/**
 * The key under which a used nonce is recorded, unique per (consumer key, token, timestamp,
 * nonce) as §3.3 asks. It is built from the decoded values, so `%61bc` and `abc` are the same
 * nonce (they give the same base string). Each part is percent-encoded before joining with `&`,
 * which encoding never produces, so no two tuples share a key (`a&b`+`c` vs `a`+`b&c`). The
 * result is hashed: a fixed size for any store's key limit, and no token kept in clear.
 */
export function nonceKey(consumerKey: string, token: string | undefined, timestamp: number, nonce: string): string {
  const tuple = [percentEncode(consumerKey), percentEncode(token ?? ''), String(timestamp), percentEncode(nonce)].join(
    '&',
  );
  return createHash('sha256').update(tuple, 'utf8').digest('hex');
}
