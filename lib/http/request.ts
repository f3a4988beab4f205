/** API Gateway (REST, Lambda proxy) events in: the request as every route sees it, and its query and form pairs. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { paramGivenTwice } from '../errors';
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

/** The pairs of an application/x-www-form-urlencoded body; undefined when there is no such body. */
export function formPairs(request: ApiRequest): [string, string][] | undefined {
  if (!request.body || mediaTypeOf(request.headers.get('content-type')) !== 'application/x-www-form-urlencoded')
    return undefined;
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
