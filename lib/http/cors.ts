/**
 * CORS for browser clients: which origins may read the answers (CORS_ORIGINS, none by default),
 * the headers every answer and error carries for them, and the preflight answer. runHttp applies it
 * to every response it makes, before any route runs, so a preflight never needs the authorizer.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { ApiRequest } from './request';

/** What a browser script may read besides the CORS-safelisted headers. */
export const CORS_EXPOSED_HEADERS =
  'X-Next-Cursor, X-Query-Plan, Idempotent-Replayed, Retry-After, WWW-Authenticate, ETag, RateLimit-Policy, RateLimit';
export const CORS_ALLOWED_METHODS = 'GET, POST, PUT, DELETE';
export const CORS_ALLOWED_HEADERS =
  'Authorization, Content-Type, Accept, Idempotency-Key, If-Match, If-None-Match, X-Query-Plan';
/** Ten minutes: a browser caches a preflight no longer, so a change of CORS_ORIGINS soon applies. */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * A CORS preflight: OPTIONS with Access-Control-Request-Method (RFC fetch §3.2.2). A plain OPTIONS
 * is not one and goes to the route like any request (behind the authorizer's context check).
 */
export function isPreflight(request: ApiRequest): boolean {
  return request.method === 'OPTIONS' && request.headers.has('access-control-request-method');
}

/** The request's Origin when it is one of the allowed origins (exact match), else undefined. */
export function allowedOrigin(request: ApiRequest, origins: ReadonlySet<string>): string | undefined {
  const origin = request.headers.get('origin');
  return origin !== undefined && origins.has(origin) ? origin : undefined;
}

/**
 * The headers an answer or error carries for an allowed origin. No Allow-Credentials: clients send
 * their token in Authorization, which needs no credentials mode, and the only cookies (the consent
 * pages') must never be sent by another site's script.
 */
export function corsHeaders(origin: string): Record<string, string> {
  return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS };
}

/** A preflight's answer: 204, with the CORS grant only for an allowed origin. */
export function preflightResponse(origin: string | undefined): APIGatewayProxyResult {
  return {
    statusCode: 204,
    headers: {
      Vary: 'Origin',
      'Cache-Control': 'no-store',
      ...(origin === undefined
        ? {}
        : {
            'Access-Control-Allow-Origin': origin,
            'Access-Control-Allow-Methods': CORS_ALLOWED_METHODS,
            'Access-Control-Allow-Headers': CORS_ALLOWED_HEADERS,
            'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
          }),
    },
    body: '',
  };
}

function mergeVary(existing: string | undefined, value: string): string {
  if (!existing) return value;
  const names = existing.split(',').map((name) => name.trim().toLowerCase());
  return names.includes(value.toLowerCase()) ? existing : `${existing}, ${value}`;
}

/**
 * Every answer varies by Origin once any origin is allowed (a cache must not hand one site's grant
 * to another); an allowed origin also gets its grant. With no origins configured, nothing changes.
 */
export function withCors(
  response: APIGatewayProxyResult,
  origin: string | undefined,
  origins: ReadonlySet<string>,
): APIGatewayProxyResult {
  if (origins.size === 0) return response;
  const headers: Record<string, string | number | boolean> = { ...response.headers };
  const varyName = Object.keys(headers).find((name) => name.toLowerCase() === 'vary') ?? 'Vary';
  const vary = headers[varyName];
  headers[varyName] = mergeVary(vary === undefined ? undefined : String(vary), 'Origin');
  if (origin !== undefined) Object.assign(headers, corsHeaders(origin));
  return { ...response, headers };
}
