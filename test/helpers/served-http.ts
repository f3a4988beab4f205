/**
 * Raw HTTP against the served API (test/setup's local stack) and the checks every answer of it
 * must pass: a documented status, a well-formed JSON or XML body (the XML as dicttoxml prints it,
 * without a root element) in the documented error shapes, and nothing of the internals (stack
 * frames, file paths, SDK messages). Used by the whole-request fuzz and the concurrency tests.
 *
 * node:http rather than fetch: fetch refuses bodies on GET and HEAD and normalises paths (`..`,
 * `%2e`), which is part of what the fuzz sends on purpose.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { negotiate } from '../../lib/http';
import type { PyValue } from '../../lib/wire/pyvalue';
import { parseXmlBody } from '../../lib/wire/xml-body';

export interface RawRequest {
  readonly method: string;
  /** The path and query exactly as sent (the caller percent-encodes what must be). */
  readonly target: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly ms: number;
}

const agents = new Map<number, Agent>();

/** One request over a keep-alive connection pool; never follows redirects. */
export function send(baseUrl: string, req: RawRequest, timeoutMs = 60_000): Promise<RawResponse> {
  const base = new URL(baseUrl);
  const port = Number(base.port || 80);
  let agent = agents.get(port);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 16 });
    agents.set(port, agent);
  }
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = Buffer.byteLength(req.body);
    const call = httpRequest({ host: base.hostname, port, method: req.method, path: req.target, headers, agent, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: decoded(Buffer.concat(chunks), response.headers['content-encoding']).toString('utf8'), ms: performance.now() - started });
        } catch (error) {
          reject(error);
        }
      });
      response.on('error', reject);
    });
    call.on('timeout', () => call.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    call.on('error', reject);
    if (req.body !== undefined) call.write(req.body);
    call.end();
  });
}

/** The body as sent before compression (API Gateway compresses answers over 1 KB when the client accepts it). */
function decoded(body: Buffer, encoding: string | undefined): Buffer {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
      return gunzipSync(body);
    case 'br':
      return brotliDecompressSync(body);
    case 'deflate':
      return inflateSync(body);
    default:
      return body;
  }
}

/** Closes the pooled connections (afterAll). */
export function closeConnections(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

/** Every status README.md documents; 503 is documented too, but only DynamoDB throttling causes it, which the local stack never does. */
export const DOCUMENTED_STATUSES: ReadonlySet<number> = new Set([200, 201, 400, 401, 403, 404, 405, 409, 412, 413, 414]);

/** What a body must never show (SECURITY.md: "a 5xx never shows internals", nor does anything else). */
const LEAKS: ReadonlyArray<readonly [string, RegExp]> = [
  ['a stack trace', /\n\s+at\s/],
  ['a stack frame', /\bat\s+(?:async\s+)?\S*\s*\(?(?:file:\/\/|node:|\/)[^\s()]*:\d+:\d+\)?/],
  ['a source position', /\.(?:ts|js|cjs|mjs):\d+/],
  ['a file path', /\/work\/|\/tmp\/|\/home\/|\/root\/|\/var\/task|\.esbuild/],
  ['node_modules', /node_modules/],
  ['an error class', /\b\w*(?:Error|Exception):|\b(?:TypeError|ReferenceError|RangeError|SyntaxError|URIError)\b|Exception/],
  ['an SDK name', /@aws-sdk|@smithy|ValidationException|ConditionalCheckFailed|TransactionCanceled|ResourceNotFoundException|ProvisionedThroughput|UnrecognizedClient|ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up/],
  ['a JavaScript runtime message', /Cannot read propert|is not a function|is not iterable|is not defined|Maximum call stack|Unexpected token/],
  ['the emulator', /[Ss]erverless-offline|hapi|Boom/],
];

/** The strings a body says: every string value (keys too) of the parsed JSON or XML, or the text of a page. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value instanceof Map || (value !== null && typeof value === 'object')) {
    const entries = value instanceof Map ? [...value] : Object.entries(value);
    for (const [key, item] of entries) {
      out.push(String(key));
      strings(item, out);
    }
  }
  return out;
}

/** The dicttoxml body (no root element, possibly several top-level elements) as a dict, with lib/wire/xml-body.ts's strict reader. */
export function parseDictXml(body: string): PyValue {
  return parseXmlBody(`<kwargs>${body}</kwargs>`, { maxLength: 50_000_000, maxDepth: 200 }).value;
}

const isDict = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A parsed body as plain objects (XML dicts are Maps). */
export function plain(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [String(key), plain(item)]));
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function errorShapeProblem(status: number, parsed: unknown, path: string): string | undefined {
  if (!isDict(parsed)) return 'the error body is not a dict';
  const keys = Object.keys(parsed).join(',');
  if (keys === 'code,message') {
    if (status !== 401 && status !== 404) return `a bare {code, message} body with status ${status} (only 401 and 404 are bare)`;
    if (parsed.code !== status || typeof parsed.message !== 'string' || parsed.message === '') return `a bare error body whose code/message do not fit status ${status}`;
    return undefined;
  }
  if (keys === 'error' && isDict(parsed.error)) {
    if (status === 401 || status === 404) return `a wrapped {"error": ...} body with status ${status} (401 and 404 are bare)`;
    const inner = parsed.error;
    if (Object.keys(inner).join(',') !== 'code,message' || inner.code !== status || typeof inner.message !== 'string' || inner.message === '') {
      return `a wrapped error body that is not {"error":{"code":${status},"message":"..."}}`;
    }
    return undefined;
  }
  // RFC 6749 §5.2 with the original's code/message: the token endpoints only.
  if (keys === 'error,error_description,code,message' && path.startsWith('/restapi/1.0/common/') && (status === 400 || status === 401)) {
    if (typeof parsed.error !== 'string' || parsed.code !== status || typeof parsed.message !== 'string') return 'an OAuth error body with the wrong members';
    return undefined;
  }
  return `an error body of an undocumented shape (keys ${keys})`;
}

/** Pages of the authorization flows are HTML (README: "The sign-in and consent pages"). */
const HTML_PATHS = /^\/restapi\/1\.0\/common\/oauth[12]\/authorize(?:[/?]|$)/;

/**
 * What is wrong with one answer: an undocumented status, a body that does not parse as its
 * Content-Type says, an error body of the wrong shape, a leak. `requestText` is everything the
 * request said (decoded path and query, headers, body): a leak pattern found only in what the
 * request itself sent (an echoed value) is not a leak.
 */
export function responseProblems(req: RawRequest, res: RawResponse, requestText: string): string[] {
  const problems: string[] = [];
  const path = req.target.split('?')[0] ?? '';
  const page = HTML_PATHS.test(path);
  // The authorization pages redirect the browser back to the client (RFC 6749 §4.1.2.1) once the client and its redirect URI are known.
  const redirect = page && (res.status === 302 || res.status === 303) && typeof res.headers.location === 'string';
  // A 304 answers a GET whose If-None-Match matched (README: "Computed and conditional writes"), with no body.
  const hasHeader = (name: string) => Object.keys(req.headers ?? {}).some((key) => key.toLowerCase() === name);
  const notModified = res.status === 304 && req.method === 'GET' && hasHeader('if-none-match');
  if (!DOCUMENTED_STATUSES.has(res.status) && !redirect && !notModified) problems.push(`status ${res.status} is not a documented one`);
  if (res.status === 405 && !res.headers.allow) problems.push('a 405 without Allow');
  if (res.status === 503 && !res.headers['retry-after']) problems.push('a 503 without Retry-After');
  const contentType = String(res.headers['content-type'] ?? '');
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const accept = Object.entries(req.headers ?? {}).find(([name]) => name.toLowerCase() === 'accept')?.[1];
  let parsed: unknown;
  let said: string[] = [];
  if (req.method === 'HEAD' || notModified || (redirect && res.body === '')) {
    if (res.body !== '') problems.push(`a body in the answer to ${notModified ? 'a 304' : 'HEAD'}`);
  } else if (mediaType === 'application/json') {
    try {
      parsed = JSON.parse(res.body);
      said = strings(parsed);
    } catch (error) {
      problems.push(`a JSON body that does not parse (${(error as Error).message})`);
    }
    if (parsed !== undefined && !isDict(parsed)) problems.push('a JSON body that is not an object');
    // The pages answer their errors in JSON whatever Accept says (lib/auth/consent/flow.ts: the original's JSON shapes).
    if (negotiate(accept).format !== 'json' && !page) problems.push(`JSON although Accept ${JSON.stringify(accept)} prefers XML`);
  } else if (mediaType === 'application/xml' || mediaType === 'text/xml') {
    try {
      const value = parseDictXml(res.body);
      said = strings(value);
      parsed = plain(value);
    } catch (error) {
      problems.push(`an XML body that does not parse (${(error as Error).message})`);
    }
    // application/xml or text/xml: the gateway's own answers (401, 404 for no route) are application/xml either way.
    if (negotiate(accept).format !== 'xml') problems.push(`XML although Accept ${JSON.stringify(accept)} does not prefer it`);
  } else if (mediaType === 'text/html' && page) {
    if (!/^<!DOCTYPE html>/i.test(res.body) || !res.body.trimEnd().endsWith('</html>')) problems.push('an HTML page that is not a whole document');
    said = [res.body];
  } else {
    problems.push(`an undocumented Content-Type ${JSON.stringify(contentType)}`);
    said = [res.body];
  }
  if (parsed !== undefined && res.status >= 400) {
    const shape = errorShapeProblem(res.status, parsed, path);
    if (shape) problems.push(shape);
  }
  // A 5xx fails the status check already; its message must still be the generic one.
  if (res.status >= 500 && parsed !== undefined) {
    const message = isDict(parsed) && isDict(parsed.error) ? parsed.error.message : undefined;
    if (message !== 'Internal Server Error' && res.status !== 503) problems.push(`a ${res.status} whose message is not the generic one: ${JSON.stringify(message).slice(0, 200)}`);
  }
  for (const text of said) {
    for (const [what, pattern] of LEAKS) {
      const match = pattern.exec(text);
      if (match && !requestText.includes(match[0])) problems.push(`${what} in the body: ${JSON.stringify(text.slice(Math.max(0, match.index - 60), match.index + 80))}`);
    }
  }
  return problems;
}

/**
 * An answer serverless-offline's HTTP server (hapi on Node) gives by itself before any function
 * runs, and that scripts/offline-gateway-responses.cjs does not turn into a gateway response: a
 * Boom body (`{"statusCode":400,"error":"Bad Request","message":"Invalid content-type header"}`)
 * or Node's empty 400 (a request head over 16 KB). API Gateway hands such requests to the
 * function (or answers 414); only the local stack answers this way.
 */
export function emulatorAnswer(req: RawRequest, res: RawResponse): string | undefined {
  if (/^\{"statusCode":\d+,"error":"[^"]*"(?:,"message":"[^"]*")?\}$/.test(res.body)) return `hapi's own ${res.status}: ${res.body}`;
  if (req.method !== 'HEAD' && res.status === 400 && res.body === '' && res.headers['content-type'] === undefined) return "Node's own empty 400";
  return undefined;
}

/** decodeURIComponent that keeps malformed escapes as they are. */
export function decodeLoosely(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text.replace(/%([0-9A-Fa-f]{2})/g, (whole, hex: string) => {
      const code = parseInt(hex, 16);
      return code < 0x80 ? String.fromCharCode(code) : whole;
    });
  }
}
