/**
 * CSRF protection for the login and consent forms, without server state: a token is an expiry
 * and an HMAC-SHA256 over (purpose, binding, expiry). The binding ties it to one browser: a random
 * value in an HttpOnly SameSite=Lax cookie before sign-in, the session id after. A page on another
 * site can make the browser post the cookie, but cannot read a token bound to it.
 *
 * Also the two cookie helpers the forms need. Both are small enough, and strict enough here
 * (host-only cookies, raw cookie-octet values), that a library would add more than it saves.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a form stays submittable. */
export const CSRF_TTL_SECONDS = 3600;
/** The purpose a token is for unless told otherwise; tokens for one purpose fail for another. */
export const DEFAULT_CSRF_PURPOSE = 'oauth-form';

const MIN_KEY_BYTES = 32;
/** An expiry in seconds, then 43 base64url characters: the 32-byte MAC. */
const TOKEN = /^([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})$/;
const MAX_TOKEN_LENGTH = 64;

function mac(key: Buffer, purpose: string, binding: string, expiry: number): string {
  // JSON keeps the fields apart: "ab"+"c" and "a"+"bc" must not sign the same bytes.
  return createHmac('sha256', key)
    .update(JSON.stringify(['csrf-v1', purpose, binding, expiry]), 'utf8')
    .digest('base64url');
}

/**
 * A token for a form, valid until `nowSeconds + CSRF_TTL_SECONDS` for this binding and purpose.
 * @throws TypeError for a key under 32 bytes or an empty binding (programming errors).
 */
export function issueCsrf(
  key: Buffer,
  sessionBinding: string,
  nowSeconds: number,
  purpose: string = DEFAULT_CSRF_PURPOSE,
): string {
  if (!Buffer.isBuffer(key) || key.length < MIN_KEY_BYTES)
    throw new TypeError(`The CSRF key must be at least ${MIN_KEY_BYTES} bytes`);
  if (!sessionBinding) throw new TypeError('A CSRF token needs a session binding');
  const expiry = Math.floor(nowSeconds) + CSRF_TTL_SECONDS;
  return `${expiry}.${mac(key, purpose, sessionBinding, expiry)}`;
}

/**
 * Whether `token` was issued with this key for this binding and purpose and has not expired.
 * Constant time in the MAC; never throws (anything malformed is simply false).
 */
export function verifyCsrf(
  key: Buffer,
  sessionBinding: string,
  token: unknown,
  nowSeconds: number,
  purpose: string = DEFAULT_CSRF_PURPOSE,
): boolean {
  try {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !sessionBinding) return false;
    if (!Buffer.isBuffer(key) || key.length < MIN_KEY_BYTES) return false;
    const match = TOKEN.exec(token);
    if (!match) return false;
    const expiry = Number(match[1]);
    // Expired, or claiming a lifetime longer than we grant (say, after the TTL was lowered).
    if (expiry <= nowSeconds || expiry > nowSeconds + CSRF_TTL_SECONDS) return false;
    // Comparing whole strings keeps the check canonical: base64url's spare bits cannot vary.
    const expected = Buffer.from(`${expiry}.${mac(key, purpose, sessionBinding, expiry)}`, 'utf8');
    const presented = Buffer.from(token, 'utf8');
    return expected.length === presented.length && timingSafeEqual(expected, presented);
  } catch {
    return false;
  }
}

/** RFC 9110 token characters: what a cookie name may be made of. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 §4.1.1 cookie-octet: printable ASCII but space, DQUOTE, comma, semicolon, backslash. */
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const COOKIE_PATH = /^\/[\x20-\x3A\x3C-\x7E]*$/;
/** More than the forms' few cookies ever need; a longer header is ignored rather than parsed. */
const MAX_COOKIE_HEADER = 8192;
const MAX_COOKIES = 64;

/**
 * The cookies of a Cookie header, by name. The first of duplicate names wins (browsers send the
 * most specific path first). Pairs that are not a token name and a cookie-octet value, quoted or
 * not, are skipped; values are not percent-decoded (serializeCookie only writes raw octets).
 * Never throws; a header over 8 KiB yields no cookies.
 */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (typeof header !== 'string' || header.length > MAX_COOKIE_HEADER) return cookies;
  let seen = 0;
  for (const pair of header.split(';')) {
    if (++seen > MAX_COOKIES) break;
    const equals = pair.indexOf('=');
    if (equals < 0) continue;
    const name = pair.slice(0, equals).trim();
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!COOKIE_NAME.test(name) || !COOKIE_VALUE.test(value) || cookies.has(name)) continue;
    cookies.set(name, value);
  }
  return cookies;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie; absent makes a session cookie. */
  readonly maxAge?: number;
  /** Defaults to `/`. */
  readonly path?: string;
  /** False only for local http; a `__Host-`/`__Secure-` name requires true. */
  readonly secure: boolean;
  /** Always on: no script needs these cookies (the pages have none). */
  readonly httpOnly?: true;
  readonly sameSite: 'Strict' | 'Lax' | 'None';
}

/**
 * A Set-Cookie value. Host-only by design (no Domain attribute), so sibling subdomains never see
 * it. Enforces the rules browsers would otherwise apply silently by dropping the cookie.
 * @throws TypeError for an invalid name, value, path or max-age, or an attribute combination
 * browsers reject (SameSite=None or a `__Secure-`/`__Host-` name without Secure).
 */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  if (!COOKIE_NAME.test(name)) throw new TypeError(`Invalid cookie name ${JSON.stringify(name)}`);
  if (!COOKIE_VALUE.test(value))
    throw new TypeError(`Invalid value for cookie ${name}: use cookie-octets only (e.g. base64url)`);
  const path = options.path ?? '/';
  if (!COOKIE_PATH.test(path)) throw new TypeError(`Invalid cookie path ${JSON.stringify(path)}`);
  if (options.maxAge !== undefined && !(Number.isSafeInteger(options.maxAge) && options.maxAge >= 0))
    throw new TypeError('Cookie max-age must be a non-negative integer');
  const needsSecure = options.sameSite === 'None' || name.startsWith('__Secure-') || name.startsWith('__Host-');
  if (needsSecure && !options.secure) throw new TypeError(`Cookie ${name} needs the Secure attribute`);
  if (name.startsWith('__Host-') && path !== '/') throw new TypeError(`Cookie ${name} must have Path=/`);
  const attributes = [`${name}=${value}`, `Path=${path}`];
  if (options.maxAge !== undefined) attributes.push(`Max-Age=${options.maxAge}`);
  if (options.secure) attributes.push('Secure');
  attributes.push('HttpOnly', `SameSite=${options.sameSite}`);
  return attributes.join('; ');
}
