/**
 * The HTTP edge: API Gateway (REST, Lambda proxy) events in, responses out. Content negotiation,
 * response envelopes and the mapping from errors to statuses and bodies live here and only here.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ResponseKeyRule } from '../runtime/config';
import { AppError, AuthenticationRequiredError, BadRequestError, MethodNotAllowedError, OAuthError, ServiceUnavailableError } from '../errors';
import { toPythonJson } from '../wire/json';
import { errorFields, type Logger } from '../runtime/log';
import type { ModelDef } from '../models/registry';
import type { PyDict, PyValue } from '../wire/pyvalue';
import { toDictXml } from '../wire/xml';

export type Format = 'json' | 'xml';

export interface Negotiated {
  readonly format: Format;
  readonly contentType: string;
}

/** A request as the core sees it: lower-case header names, every query value kept. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  /** The path as the client called it, with the stage or base path (what links and signatures use). */
  readonly calledPath: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: ReadonlyMap<string, readonly string[]>;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string | undefined;
  readonly requestId: string;
  /** What the authorizer put in the context (string values, as API Gateway passes them). */
  readonly authorizer: Readonly<Record<string, string>>;
}

/** What a route answers: a ready payload, or a model's data for the `{KEY: data}` envelope. */
export type ApiResult =
  | { readonly status: number; readonly payload: PyDict; readonly headers?: Readonly<Record<string, string>> }
  | { readonly status: number; readonly model: ModelDef; readonly data: PyValue; readonly headers?: Readonly<Record<string, string>> };

export interface HttpOptions {
  readonly log: Logger;
  /** Deployment setting for the JSON key of model data (DESIGN §1). */
  readonly responseKey: ResponseKeyRule;
}

export const JSON_TYPE: Negotiated = { format: 'json', contentType: 'application/json; charset=utf-8' };

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [rawType = '', ...params] = part.split(';');
    const [type = '', subtype = ''] = rawType.trim().toLowerCase().split('/');
    if (!type || !subtype) continue;
    const qParam = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    ranges.push({ type, subtype, q: Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0 });
  }
  return ranges;
}

/**
 * RFC 9110 §12.5.1: a media type takes the q of the most specific range that matches it.
 * `minSpecificity` 1 ignores `* /*` (used for text/xml, which we answer only when it is named).
 */
function qualityOf(mediaType: string, ranges: readonly MediaRange[], minSpecificity = 0): number {
  const [type, subtype] = mediaType.split('/');
  let best: { specificity: number; q: number } | undefined;
  for (const range of ranges) {
    const specificity =
      range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === '*' ? 1 : range.type === '*' && range.subtype === '*' ? 0 : -1;
    if (specificity >= minSpecificity && (!best || specificity > best.specificity || (specificity === best.specificity && range.q > best.q))) {
      best = { specificity, q: range.q };
    }
  }
  return best?.q ?? 0;
}

/**
 * Picks JSON or XML from Accept with RFC 9110 q-values. XML when application/xml or text/xml is
 * preferred over JSON; JSON otherwise, including no Accept, `* /*`, ties, and Accept values that
 * allow neither (the original answered JSON to those too, rather than 406).
 */
export function negotiate(accept: string | undefined): Negotiated {
  if (!accept) return JSON_TYPE;
  const ranges = parseAccept(accept);
  const json = qualityOf('application/json', ranges);
  const applicationXml = { type: 'application/xml', q: qualityOf('application/xml', ranges) };
  const textXml = { type: 'text/xml', q: qualityOf('text/xml', ranges, 1) };
  const xml = textXml.q > applicationXml.q ? textXml : applicationXml;
  if (xml.q > 0 && xml.q > json) return { format: 'xml', contentType: `${xml.type}; charset=utf-8` };
  return JSON_TYPE;
}

/**
 * `{KEY: data}` for a model's records. In JSON the key is the model's description ("Partner", as
 * the seed shows) or, with RESPONSE_KEY=model, its technical name; in XML it is always the
 * technical name, as the seed's XML and every version of the original show.
 */
export function modelEnvelope(model: ModelDef, data: PyValue, format: Format, rule: ResponseKeyRule): PyDict {
  const key = format === 'json' && rule === 'description' ? model.description : model.model;
  return new Map([[key, data]]);
}

export function serialize(payload: PyDict, format: Format): string {
  return format === 'xml' ? toDictXml(payload) : toPythonJson(payload);
}

function respond(status: number, payload: PyDict, negotiated: Negotiated, extra: Readonly<Record<string, string>> = {}): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: {
      'Content-Type': negotiated.contentType,
      Vary: 'Accept',
      'Cache-Control': 'no-store',
      ...extra,
    },
    body: serialize(payload, negotiated.format),
  };
}

/**
 * The body of an error, in the original's shapes: 401 and 404 are bare `{code, message}`, every
 * other status is wrapped as `{"error": {code, message}}`.
 */
export function errorPayload(status: number, message: string): PyDict {
  const inner: PyDict = new Map<string, PyValue>([['code', status], ['message', message]]);
  return status === 401 || status === 404 ? inner : new Map([['error', inner]]);
}

/** RFC 6749 §5.2's members, and the original's `code`/`message` beside them for its clients. */
function oauthErrorPayload(error: OAuthError): PyDict {
  return new Map<string, PyValue>([
    ['error', error.oauthError],
    ['error_description', error.message],
    ['code', error.status],
    ['message', error.message],
  ]);
}

export function errorResponse(error: unknown, negotiated: Negotiated, log: Logger): APIGatewayProxyResult {
  if (error instanceof AppError) {
    const headers: Record<string, string> = {};
    if (error instanceof ServiceUnavailableError) headers['Retry-After'] = String(error.retryAfterSeconds);
    if (error instanceof MethodNotAllowedError) headers.Allow = error.allowed.join(', ');
    if (error.status === 401) headers['WWW-Authenticate'] = error instanceof OAuthError ? 'Basic realm="restapi"' : 'Bearer realm="restapi"';
    const level = error.status >= 500 ? 'error' : 'info';
    log[level]('request failed', { status: error.status, code: error.code, ...(error.status >= 500 ? errorFields(error) : { reason: error instanceof AuthenticationRequiredError ? error.reason : error.message }) });
    if (error instanceof OAuthError) return respond(error.status, oauthErrorPayload(error), negotiated, headers);
    return respond(error.status, errorPayload(error.status, error.message), negotiated, headers);
  }
  // Not ours: a bug or an SDK failure we do not understand. Log it whole, show nothing.
  log.error('unexpected error', errorFields(error));
  return respond(500, errorPayload(500, 'Internal Server Error'), negotiated);
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
  const body = event.body === null || event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const pathParameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.pathParameters ?? {})) if (value !== undefined) pathParameters[key] = value;
  return {
    method: event.httpMethod.toUpperCase(),
    path: event.path,
    calledPath: event.requestContext?.path ?? event.path,
    pathParameters,
    query: queryOf(event),
    headers: lowerCaseHeaders(event),
    body,
    requestId: event.requestContext?.requestId ?? 'unknown',
    authorizer,
  };
}

/**
 * Runs one request: normalises the event, negotiates the format, calls the route and maps
 * whatever it throws. Handlers are this plus their route.
 */
export async function runHttp(
  event: APIGatewayProxyEvent,
  options: HttpOptions,
  route: (request: ApiRequest, log: Logger) => Promise<ApiResult>,
): Promise<APIGatewayProxyResult> {
  const started = performance.now();
  let negotiated = JSON_TYPE;
  let log = options.log;
  try {
    const request = toApiRequest(event);
    log = log.child({ requestId: request.requestId, method: request.method, path: request.path });
    negotiated = negotiate(request.headers.get('accept'));
    const result = await route(request, log);
    log.info('request done', { status: result.status, ms: Math.round(performance.now() - started) });
    if ('payload' in result) return respond(result.status, result.payload, negotiated, result.headers);
    return respond(result.status, modelEnvelope(result.model, result.data, negotiated.format, options.responseKey), negotiated, result.headers);
  } catch (error) {
    return errorResponse(error, negotiated, log);
  }
}

/** A parameter given twice: ambiguous, hence a 400 rather than a guess at which one was meant. */
export function paramGivenTwice(name: string): BadRequestError {
  return new BadRequestError(`Parameter '${name}' is given more than once`);
}

/** The media type of a Content-Type value, lower-case and without its parameters ('' when absent). */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The pairs of an application/x-www-form-urlencoded body; undefined when there is no such body. */
export function formPairs(request: ApiRequest): [string, string][] | undefined {
  if (!request.body || mediaTypeOf(request.headers.get('content-type')) !== 'application/x-www-form-urlencoded') return undefined;
  return [...new URLSearchParams(request.body)];
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
