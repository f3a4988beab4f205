/**
 * Responses out: the `{KEY: data}` envelope, JSON or XML as negotiated, and the mapping from errors
 * to statuses and bodies — here and only here. runHttp is what every HTTP handler is made of.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ResponseKeyRule } from '../runtime/config';
import {
  AppError,
  AuthenticationRequiredError,
  MethodNotAllowedError,
  OAuthError,
  ServiceUnavailableError,
  TooManyRequestsError,
} from '../errors';
import type { ModelDef } from '../models/registry';
import { errorFields, type Logger } from '../runtime/log';
import type { Call, CallLabels, CallMetrics } from '../runtime/metrics';
import { toPythonJson } from '../wire/json';
import type { PyDict, PyValue } from '../wire/pyvalue';
import { toDictXml } from '../wire/xml';
import { allowedOrigin, isPreflight, preflightResponse, withCors } from './cors';
import { JSON_TYPE, negotiate, type Format, type Negotiated } from './negotiate';
import { toApiRequest, type ApiRequest } from './request';

/**
 * What a route answers: a ready payload, or a model's data for the `{KEY: data}` envelope (both
 * serialized as negotiated), or a body already made — a page or a redirect, with its own headers
 * and the cookies it sets.
 */
export type ApiResult =
  | { readonly status: number; readonly payload: PyDict; readonly headers?: Readonly<Record<string, string>> }
  | {
      readonly status: number;
      readonly model: ModelDef;
      readonly data: PyValue;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | {
      readonly status: number;
      readonly body: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly cookies?: readonly string[];
    };

export interface HttpOptions {
  readonly log: Logger;
  /** Deployment setting for the JSON key of model data (DESIGN §1). */
  readonly responseKey: ResponseKeyRule;
  /** Answer JSON whatever Accept says (the browser pages' errors, in the original's JSON shapes). */
  readonly jsonOnly?: boolean;
  /** The origins whose browser scripts may read the answers (CORS_ORIGINS); none when absent. */
  readonly corsOrigins?: ReadonlySet<string>;
  /** Where each request's call metrics go (lib/runtime/metrics.ts); none are recorded when absent. */
  readonly metrics?: CallMetrics;
  /**
   * What a request calls, for its metrics (and its clientId for its log lines too). Each value must
   * come from a bounded set — a known model, a method of the table, the client id the authorizer
   * established — never from raw input: every distinct value is a metric CloudWatch bills.
   */
  readonly labels?: (request: ApiRequest) => CallLabels;
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

function respond(
  status: number,
  payload: PyDict,
  negotiated: Negotiated,
  extra: Readonly<Record<string, string>> = {},
): APIGatewayProxyResult {
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

function madeResponse({
  status,
  body,
  headers,
  cookies = [],
}: Extract<ApiResult, { body: string }>): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { ...headers },
    ...(cookies.length > 0 ? { multiValueHeaders: { 'Set-Cookie': [...cookies] } } : {}),
    body,
  };
}

/**
 * The body of an error, in the original's shapes: 401 and 404 are bare `{code, message}`, every
 * other status is wrapped as `{"error": {code, message}}`.
 */
export function errorPayload(status: number, message: string): PyDict {
  const inner: PyDict = new Map<string, PyValue>([
    ['code', status],
    ['message', message],
  ]);
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
    const headers: Record<string, string> = { ...error.answerHeaders };
    if (error instanceof ServiceUnavailableError || error instanceof TooManyRequestsError)
      headers['Retry-After'] = String(error.retryAfterSeconds);
    if (error instanceof MethodNotAllowedError) headers.Allow = error.allowed.join(', ');
    if (error.status === 401)
      headers['WWW-Authenticate'] = error instanceof OAuthError ? 'Basic realm="restapi"' : 'Bearer realm="restapi"';
    const level = error.status >= 500 ? 'error' : 'info';
    log[level]('request failed', {
      status: error.status,
      code: error.code,
      ...(error.status >= 500
        ? errorFields(error)
        : { reason: error instanceof AuthenticationRequiredError ? error.reason : error.message }),
    });
    if (error instanceof OAuthError) return respond(error.status, oauthErrorPayload(error), negotiated, headers);
    return respond(error.status, errorPayload(error.status, error.message), negotiated, headers);
  }
  // Not ours: a bug or an SDK failure we do not understand. Log it whole, show nothing.
  log.error('unexpected error', errorFields(error));
  return respond(500, errorPayload(500, 'Internal Server Error'), negotiated);
}

/**
 * Runs one request: normalises the event, answers a CORS preflight (before any route, so without
 * the authorizer), negotiates the format, calls the route and maps whatever it throws. Every answer
 * and error gets the CORS headers for an allowed origin, and every request, errors included, one
 * call metric (status and latency). Handlers are this plus their route.
 */
export async function runHttp(
  event: APIGatewayProxyEvent,
  options: HttpOptions,
  route: (request: ApiRequest, log: Logger) => Promise<ApiResult>,
): Promise<APIGatewayProxyResult> {
  const started = performance.now();
  const corsOrigins = options.corsOrigins ?? NO_ORIGINS;
  let negotiated = JSON_TYPE;
  let log = options.log;
  let origin: string | undefined;
  let labels: CallLabels = {};
  let response: APIGatewayProxyResult;
  try {
    const request = toApiRequest(event);
    origin = allowedOrigin(request, corsOrigins);
    labels = labelsOf(options, request);
    log = log.child({
      requestId: request.requestId,
      method: request.method,
      path: request.path,
      ...(labels.clientId === undefined ? {} : { clientId: labels.clientId }),
    });
    if (isPreflight(request)) {
      log.info('preflight', { allowed: origin !== undefined });
      response = preflightResponse(origin);
    } else {
      if (!options.jsonOnly) negotiated = negotiate(request.headers.get('accept'));
      const result = await route(request, log);
      log.info('request done', { status: result.status, ms: Math.round(performance.now() - started) });
      response = withCors(resultResponse(result, negotiated, options.responseKey), origin, corsOrigins);
    }
  } catch (error) {
    response = withCors(errorResponse(error, negotiated, log), origin, corsOrigins);
  }
  recordCall(options, log, { ...labels, status: response.statusCode, ms: performance.now() - started });
  return response;
}

/** The request's labels; a labelling bug costs the metric its labels, never the request its answer. */
function labelsOf(options: HttpOptions, request: ApiRequest): CallLabels {
  try {
    return options.labels?.(request) ?? {};
  } catch (error) {
    options.log.warn('call labels failed', errorFields(error));
    return {};
  }
}

/** Metrics are for operators: one that cannot be recorded is logged, and the answer still goes out. */
function recordCall(options: HttpOptions, log: Logger, call: Call): void {
  try {
    options.metrics?.recordCall(call);
  } catch (error) {
    log.warn('call metric failed', errorFields(error));
  }
}

const NO_ORIGINS: ReadonlySet<string> = new Set();

function resultResponse(result: ApiResult, negotiated: Negotiated, rule: ResponseKeyRule): APIGatewayProxyResult {
  if ('body' in result) return madeResponse(result);
  if ('payload' in result) return respond(result.status, result.payload, negotiated, result.headers);
  return respond(
    result.status,
    modelEnvelope(result.model, result.data, negotiated.format, rule),
    negotiated,
    result.headers,
  );
}
