/**
 * The OpenAPI 3.1 description of the API, built from the model registry (a path set and a schema
 * per model, custom ones included) and the object router's method table (which methods exist, their
 * Odoo parameters, which verbs and record routes reach them): nothing here lists them again. Pure:
 * the same registry and options give the same document, so it can be cached per registry version.
 * It holds nothing secret: no client, user or record, only what a client needs to call the API.
 */
import type { ModelDef, ModelRegistry } from '../models/registry';
import { OPERATIONS } from '../models/access';
import {
  METHOD_SIGNATURES,
  RECORD_VERB_METHODS,
  VERB_METHODS,
  type MethodName,
  type MethodSignature,
} from '../object-api/methods';
import type { ResponseKeyRule } from '../runtime/config';
import { recordSchema, schemaName, valsSchema, valsSchemaName, type Schema } from './schemas';

export interface DocumentOptions {
  /** The JSON key of model data (RESPONSE_KEY): the model's description, or its technical name. */
  readonly responseKey: ResponseKeyRule;
  /**
   * Where the API is served (PUBLIC_BASE_URL). Without it the server is relative to the document
   * itself (/restapi/1.0/openapi.json, two levels below the base): never a request's Host header.
   */
  readonly baseUrl?: string;
  /** The service's version, for info.version. */
  readonly version: string;
}

export const OPENAPI_PATH = '/restapi/1.0/openapi.json';
export const TOKEN_PATH = '/restapi/1.0/common/oauth2/access_token';
export const AUTHORIZE_PATH = '/restapi/1.0/common/oauth2/authorize';
const OBJECT_PREFIX = '/restapi/1.0/object';

/** The security requirements of every object route: any one of the schemes. */
const OBJECT_SECURITY = [{ oauth2: [] }, { bearer: [] }, { basicToken: [] }, { oauth1: [] }];

const ERROR_STATUSES: Readonly<Record<string, { readonly name: string; readonly description: string }>> = {
  '400': { name: 'BadRequest', description: 'A parameter or body that cannot be parsed (literal, XML, ids).' },
  '401': { name: 'Unauthorized', description: 'Authentication required: no or bad credentials.' },
  '403': {
    name: 'Forbidden',
    description: "Odoo's AccessError, or a value or field the model refuses (nothing written).",
  },
  '404': { name: 'NotFound', description: 'No such model, route or record, or nothing found.' },
  '405': { name: 'MethodNotAllowed', description: 'A verb the route does not take (see Allow).' },
  '409': { name: 'Conflict', description: 'A concurrent write won; retry.' },
  '412': { name: 'PreconditionFailed', description: 'If-Match / If-None-Match not met; nothing written.' },
  '413': { name: 'PayloadTooLarge', description: 'The body is too large.' },
  '414': { name: 'UriTooLong', description: 'The query is too long.' },
  '422': { name: 'IdempotencyKeyReused', description: 'An Idempotency-Key reused for another request.' },
  '429': {
    name: 'TooManyRequests',
    description: "The client's plan allows no more now (rate or quota); retry after Retry-After seconds.",
  },
  '500': { name: 'InternalError', description: 'Our failure; the body never shows internals.' },
  '503': { name: 'ServiceUnavailable', description: 'Throttled; retry after Retry-After seconds.' },
};

/** The plan's headers, on every answer to a client with a plan (lib/metering/headers.ts). */
const RATE_LIMIT_HEADERS: Record<string, Schema> = {
  'RateLimit-Policy': { $ref: '#/components/headers/RateLimitPolicy' },
  RateLimit: { $ref: '#/components/headers/RateLimit' },
};

/** The parameters the router's methods take, described; a name not here is still documented. */
const PARAMETER_DOCS: Readonly<Record<string, { readonly description: string; readonly example?: string }>> = {
  ids: { description: 'Comma-separated record ids.', example: '17,20' },
  domain: { description: 'A search domain, as a Python literal.', example: "[('name','ilike','a')]" },
  fields: { description: 'The fields to answer, as a Python list literal.', example: "['name','email']" },
  offset: { description: 'Records to skip.', example: '0' },
  limit: { description: 'At most this many records.', example: '80' },
  order: {
    description: "Sort order, e.g. `name desc, id`; none: the model's default order (Odoo's _order).",
    example: 'name',
  },
  vals: { description: 'The values to write, as a Python dict literal.', example: "{'name':'New'}" },
  where: { description: 'A domain every record written must match (all or nothing).' },
  cursor: {
    description:
      "The X-Next-Cursor of the previous page (id order, the model's default order, or one indexed field's order; either way), with the same order.",
  },
  allfields: { description: 'The fields to describe, as a Python list literal.' },
  attributes: { description: 'The attributes to answer per field, as a Python list literal.' },
  fields_list: { description: 'The fields whose defaults to answer, as a Python list literal.' },
  operation: { description: `The access mode: one of ${OPERATIONS.join(', ')}.`, example: 'read' },
  raise_exception: { description: 'False: answer 404 rather than 403 when not allowed.', example: 'False' },
  name: { description: 'The text to search the display name for.' },
  args: { description: 'A domain added to the name search, as a Python literal.' },
  operator: { description: 'The comparison operator, `ilike` by default.' },
  context: { description: "A dict literal; `{'active_test': False}` includes archived records." },
};

/** Parameters a route takes beside the method's own signature (router.ts reads them). */
function routeParameters(method: MethodSignature, onRecord: boolean): string[] {
  const extra: string[] = [];
  if (!onRecord && method.operation !== undefined && method.operation !== 'create') extra.push('ids');
  if (method.operation === 'write') extra.push('where');
  if (method.params.includes('domain') && method.operation === 'read') extra.push('cursor');
  return [...new Set([...method.params, ...extra, 'context'])];
}

function queryParameter(name: string): Schema {
  const doc = PARAMETER_DOCS[name];
  return {
    name,
    in: 'query',
    required: false,
    description: doc?.description ?? `The method's \`${name}\` argument, as a Python literal.`,
    schema: { type: 'string' },
    ...(doc?.example === undefined ? {} : { example: doc.example }),
  };
}

const ref = (kind: string, name: string): Schema => ({ $ref: `#/components/${kind}/${name}` });

function errorResponses(statuses: readonly string[]): Record<string, Schema> {
  return Object.fromEntries(statuses.map((status) => [status, ref('responses', ERROR_STATUSES[status]?.name ?? '')]));
}

/** A JSON `{KEY: data}` answer, with its XML form beside it. */
function envelope(key: string, data: Schema, description: string, headers: Record<string, Schema> = {}): Schema {
  return {
    description,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: {
      'application/json': {
        schema: { type: 'object', properties: { [key]: data }, required: [key], additionalProperties: false },
      },
      'application/xml': { schema: ref('schemas', 'Xml') },
    },
  };
}

function plainAnswer(schema: Schema, description: string, headers: Record<string, Schema> = {}): Schema {
  return {
    description,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: { 'application/json': { schema }, 'application/xml': { schema: ref('schemas', 'Xml') } },
  };
}

/** The methods that search, whose answers can carry their plan (X-Query-Plan). */
const SEARCHES: ReadonlySet<string> = new Set(['search', 'search_read', 'search_count', 'read', 'name_search']);

/** What a method answers on a model (or one record when `onRecord`). */
function successResponse(name: string, model: ModelDef, key: string, onRecord: boolean): [string, Schema] {
  const record = ref('schemas', schemaName(model.model));
  const records = { type: 'array', items: record };
  const etag = { ETag: ref('headers', 'ETag') };
  const plan = { 'X-Query-Plan': ref('headers', 'XQueryPlan') };
  const paged = { 'X-Next-Cursor': ref('headers', 'XNextCursor'), ...plan };
  switch (name) {
    case 'search_read':
      return ['200', envelope(key, records, 'The records found (a 404 when none).', { ...etag, ...paged })];
    case 'read':
      return onRecord
        ? ['200', envelope(key, record, 'The record.', etag)]
        : ['200', envelope(key, records, 'The records (with ids), or those found (without).', { ...etag, ...paged })];
    case 'write':
      return ['200', envelope(key, onRecord ? record : records, 'The records as written.', etag)];
    case 'create':
      return ['201', envelope(key, record, 'The record created (200 when /create is named in the path).')];
    case 'unlink':
      return [
        '200',
        plainAnswer(
          onRecord
            ? { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] }
            : { type: 'object', properties: { ids: { type: 'string', example: '17,20' } }, required: ['ids'] },
          'The ids deleted.',
        ),
      ];
    case 'search':
      return ['200', envelope(key, { type: 'array', items: { type: 'integer' } }, 'The ids found.', paged)];
    case 'search_count':
      return [
        '200',
        plainAnswer(
          { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] },
          'The count.',
          plan,
        ),
      ];
    case 'check_access_rights':
      return [
        '200',
        plainAnswer({ type: 'object', properties: { return: { const: true } }, required: ['return'] }, 'Allowed.'),
      ];
    case 'name_search':
      return [
        '200',
        envelope(
          key,
          { type: 'array', items: { type: 'array', prefixItems: [{ type: 'integer' }, { type: 'string' }] } },
          '[id, display name] pairs.',
          plan,
        ),
      ];
    case 'fields_get':
      return ['200', envelope(key, ref('schemas', 'FieldsGet'), "The fields' descriptions, by name.")];
    default:
      return ['200', envelope(key, {}, `What ${name} returns.`)];
  }
}

/** The verb a method is documented under: the one whose bare route means it, else GET. */
function verbOf(name: string, table: Readonly<Record<string, string>>): string {
  return Object.entries(table).find(([, method]) => method === name)?.[0] ?? 'GET';
}

function operation(model: ModelDef, key: string, name: string, onRecord: boolean, routeNote: string): Schema {
  const method: MethodSignature = METHOD_SIGNATURES[name as MethodName];
  const [status, success] = successResponse(name, model, key, onRecord);
  const writes = method.operation !== undefined && method.operation !== 'read';
  const reads = method.operation === 'read';
  const errors = ['400', '401', '403', '404', '405', '413', '414', '429', '500', '503'];
  if (writes) errors.push('409', '412', '422');
  if (reads) errors.push('412');
  const headers = [
    ref('parameters', 'Accept'),
    ...(reads || method.operation === 'write' || method.operation === 'unlink'
      ? [ref('parameters', 'IfMatch'), ref('parameters', 'IfNoneMatch')]
      : []),
    ...(writes ? [ref('parameters', 'IdempotencyKey')] : []),
    ...(SEARCHES.has(name) ? [ref('parameters', 'XQueryPlan')] : []),
  ];
  const paramNames = routeParameters(method, onRecord);
  return {
    operationId: `${schemaName(model.model)}${onRecord ? '_record' : ''}_${name}${routeNote}`,
    summary: `${name} on ${model.model}${onRecord ? ' (one record)' : ''}`,
    description:
      `Odoo's \`${name}(${method.params.join(', ')})\`` +
      (method.operation ? `; needs the ${method.operation} right on ${model.model}.` : '.') +
      ' Parameters come from the query, a form body, or a JSON/XML body (with `args` and `kwargs`).',
    tags: [model.model],
    parameters: [...paramNames.map(queryParameter), ...headers],
    ...(writes || method.params.length > 0
      ? {
          requestBody: {
            required: false,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    ...Object.fromEntries(paramNames.map((param) => [param, {}])),
                    ...(method.params.includes('vals') ? { vals: ref('schemas', valsSchemaName(model.model)) } : {}),
                    args: { type: 'array' },
                    kwargs: { type: 'object' },
                  },
                },
              },
              'application/xml': { schema: ref('schemas', 'Xml') },
              'application/x-www-form-urlencoded': { schema: { type: 'object', additionalProperties: true } },
            },
          },
        }
      : {}),
    responses: {
      [status]: { ...success, headers: { ...(success.headers as Schema | undefined), ...RATE_LIMIT_HEADERS } },
      ...(reads ? { '304': ref('responses', 'NotModified') } : {}),
      ...errorResponses(errors),
    },
  };
}

const idParameter: Schema = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The record id.',
  schema: { type: 'integer', minimum: 1 },
};

/** The object routes of one model, from the router's tables. */
function modelPaths(model: ModelDef, key: string): Record<string, Schema> {
  const base = `${OBJECT_PREFIX}/${model.model}`;
  const paths: Record<string, Schema> = {};
  const verbs = (table: Readonly<Record<string, string>>, onRecord: boolean) =>
    Object.fromEntries(
      Object.entries(table).map(([verb, name]) => [verb.toLowerCase(), operation(model, key, name, onRecord, '')]),
    );
  paths[base] = verbs(VERB_METHODS, false);
  paths[`${base}/{id}`] = { parameters: [idParameter], ...verbs(RECORD_VERB_METHODS, true) };
  for (const [name, method] of Object.entries(METHOD_SIGNATURES) as [MethodName, MethodSignature][]) {
    const verb = verbOf(name, VERB_METHODS).toLowerCase();
    paths[`${base}/${name}`] = { [verb]: operation(model, key, name, false, '_named') };
    if (method.onRecord) {
      const recordVerb = verbOf(name, RECORD_VERB_METHODS).toLowerCase();
      paths[`${base}/{id}/${name}`] = {
        parameters: [idParameter],
        [recordVerb]: operation(model, key, name, true, '_named'),
      };
    }
  }
  return paths;
}

const errorSchema = (wrapped: boolean): Schema => {
  const inner = {
    type: 'object',
    properties: { code: { type: 'integer' }, message: { type: 'string' } },
    required: ['code', 'message'],
  };
  return wrapped ? { type: 'object', properties: { error: inner }, required: ['error'] } : inner;
};

function components(registry: ModelRegistry): Schema {
  const schemas: Record<string, Schema> = {
    Error: { ...errorSchema(true), description: 'Every error but 401 and 404: {"error": {"code", "message"}}.' },
    BareError: { ...errorSchema(false), description: '401 and 404: {"code", "message"}.' },
    OAuthError: {
      type: 'object',
      description: "RFC 6749 §5.2's members, with the original's code and message.",
      properties: {
        error: { type: 'string' },
        error_description: { type: 'string' },
        code: { type: 'integer' },
        message: { type: 'string' },
      },
      required: ['error', 'code', 'message'],
    },
    Xml: {
      type: 'string',
      description: "The same data as Python's dicttoxml renders it (root=False), as the original answers XML.",
    },
    FieldsGet: {
      type: 'object',
      additionalProperties: { type: 'object', additionalProperties: true },
      description: 'Field name -> its attributes (type, string, help, required, relation, selection...).',
    },
    Token: {
      type: 'object',
      properties: {
        access_token: { type: 'string' },
        token_type: { type: 'string' },
        expires_in: { type: 'integer' },
        refresh_token: { type: 'string' },
        scope: { type: 'string' },
      },
      required: ['access_token'],
    },
  };
  for (const model of registry.models) {
    schemas[schemaName(model.model)] = recordSchema(model);
    schemas[valsSchemaName(model.model)] = valsSchema(model);
  }
  const responses: Record<string, Schema> = {
    NotModified: {
      description: 'If-None-Match names the current tag: the client copy is current (no body).',
      headers: { ETag: ref('headers', 'ETag') },
    },
  };
  for (const [status, { name, description }] of Object.entries(ERROR_STATUSES)) {
    const schema = ref('schemas', status === '401' || status === '404' ? 'BareError' : 'Error');
    responses[name] = {
      description,
      ...(status === '503' ? { headers: { 'Retry-After': { schema: { type: 'integer' } } } } : {}),
      ...(status === '429'
        ? { headers: { 'Retry-After': { schema: { type: 'integer' } }, ...RATE_LIMIT_HEADERS } }
        : {}),
      ...(status === '405' ? { headers: { Allow: { schema: { type: 'string' } } } } : {}),
      ...(status === '401' ? { headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } } : {}),
      content: { 'application/json': { schema }, 'application/xml': { schema: ref('schemas', 'Xml') } },
    };
  }
  const scopes: Record<string, string> = { '*': 'Every operation on every model the user may access.' };
  for (const op of OPERATIONS) scopes[op] = `${op} on every model`;
  for (const model of registry.models) {
    scopes[`${model.model}:*`] = `Every operation on ${model.model}`;
    for (const op of OPERATIONS) scopes[`${model.model}:${op}`] = `${op} on ${model.model}`;
  }
  return {
    schemas,
    responses,
    parameters: {
      Accept: {
        name: 'Accept',
        in: 'header',
        required: false,
        description: 'application/json (default) or application/xml.',
        schema: { type: 'string' },
      },
      IfMatch: {
        name: 'If-Match',
        in: 'header',
        required: false,
        description: 'Act only if the records still have this ETag (else 412, nothing written).',
        schema: { type: 'string' },
      },
      IfNoneMatch: {
        name: 'If-None-Match',
        in: 'header',
        required: false,
        description: 'A read answers 304 when the records still have this ETag.',
        schema: { type: 'string' },
      },
      XQueryPlan: {
        name: 'X-Query-Plan',
        in: 'header',
        required: false,
        description: 'Any value but 0 or false: the answer says how the search ran, in its own X-Query-Plan header.',
        schema: { type: 'string', example: '1' },
      },
      IdempotencyKey: {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'A retried write with the same key is done once and answered again.',
        schema: { type: 'string', maxLength: 255 },
      },
    },
    headers: {
      RateLimitPolicy: {
        description:
          'The client\'s plan (draft-ietf-httpapi-ratelimit-headers): each limit with its quota q and window w (s), e.g. `"burst";q=20;w=2, "day";q=1000;w=86400`. Only for clients with a plan.',
        schema: { type: 'string' },
      },
      RateLimit: {
        description:
          'What is left of each limit now: remaining units r and seconds to reset t, e.g. `"burst";r=19;t=1, "day";r=998;t=3600`.',
        schema: { type: 'string' },
      },
      ETag: { description: "The records' version tag.", schema: { type: 'string' } },
      XNextCursor: {
        description: 'Present when there may be a next page: pass it as `cursor`.',
        schema: { type: 'string' },
      },
      XQueryPlan: {
        description:
          'When asked for (the X-Query-Plan request header): how the search ran. `index` (candidates looked up in a declared field index, then read), `count` (counted by DynamoDB) or `scan` (the model walked); `via` the terms looked up; `estimated` candidates, index `entries` and records `read`, e.g. `index; via="ref ="; estimated=12; entries=12; read=12`.',
        schema: { type: 'string' },
      },
    },
    securitySchemes: {
      oauth2: {
        type: 'oauth2',
        description:
          'OAuth 2: client credentials, or authorization code (with PKCE) for a user; the access token is then sent as `Authorization: Bearer <token>`.',
        flows: {
          clientCredentials: { tokenUrl: TOKEN_PATH, refreshUrl: TOKEN_PATH, scopes },
          authorizationCode: { authorizationUrl: AUTHORIZE_PATH, tokenUrl: TOKEN_PATH, refreshUrl: TOKEN_PATH, scopes },
        },
      },
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description: 'An access token from any of the token endpoints (opaque, or a JWT per RFC 9068).',
      },
      basicToken: {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        description:
          "The original's Basic token scheme: `Authorization: Basic <token>`, where the token comes from " +
          'POST /restapi/1.0/common/basic/access_token. Not RFC 7617 Basic: no user:password pair.',
      },
      oauth1: {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        description:
          'OAuth 1.0a (RFC 5849), HMAC-SHA1 signed: `Authorization: OAuth oauth_consumer_key=..., oauth_token=..., ' +
          'oauth_signature=...` (or the same parameters in the query or a form body). Tokens from ' +
          '/restapi/1.0/common/oauth1/request_token, /authorize and /access_token. OpenAPI has no OAuth 1 scheme type: ' +
          'this entry only names the header.',
      },
    },
  };
}

const formBody = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  required: true,
  content: {
    'application/x-www-form-urlencoded': {
      schema: { type: 'object', properties, ...(required.length ? { required } : {}) },
    },
  },
});

const oauthErrors = {
  '400': { description: 'RFC 6749 error.', content: { 'application/json': { schema: ref('schemas', 'OAuthError') } } },
  '401': { description: 'invalid_client.', content: { 'application/json': { schema: ref('schemas', 'OAuthError') } } },
};

/** The routes outside /object: no authorizer (their own credentials, or none). */
function commonPaths(): Record<string, Schema> {
  const tokenAnswer = {
    description: 'The token.',
    content: { 'application/json': { schema: ref('schemas', 'Token') } },
  };
  const str = { type: 'string' };
  return {
    [OPENAPI_PATH]: {
      get: {
        operationId: 'openapi',
        summary: 'This description (no credentials).',
        security: [],
        tags: ['common'],
        responses: { '200': { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: {} } } } },
      },
    },
    '/restapi/1.0/usage': {
      get: {
        operationId: 'usage',
        summary: "The calling client's usage (from the ledger) and what is left of its plan.",
        tags: ['common'],
        parameters: [
          {
            name: 'from',
            in: 'query',
            required: false,
            description: 'UTC date or time; default the month so far.',
            schema: str,
          },
          {
            name: 'to',
            in: 'query',
            required: false,
            description: 'UTC date or time (excluded); default the end of this hour.',
            schema: str,
          },
          { name: 'granularity', in: 'query', required: false, schema: { type: 'string', enum: ['hour', 'day'] } },
        ],
        responses: {
          '200': {
            ...plainAnswer({ type: 'object', properties: { usage: { type: 'object' } } }, 'The usage report.'),
            headers: RATE_LIMIT_HEADERS,
          },
          ...errorResponses(['400', '401', '500', '503']),
        },
      },
    },
    '/restapi/1.0/common/version': {
      get: {
        operationId: 'version',
        summary: "The server's version (no credentials).",
        security: [],
        tags: ['common'],
        responses: {
          '200': plainAnswer(
            {
              type: 'object',
              properties: {
                server_version: str,
                server_version_info: { type: 'array' },
                server_serie: str,
                protocol_version: { type: 'integer' },
              },
            },
            'The version.',
          ),
        },
      },
    },
    [TOKEN_PATH]: {
      post: {
        operationId: 'oauth2_token',
        summary: 'OAuth 2 token endpoint (client credentials, authorization code, refresh token).',
        security: [],
        tags: ['common'],
        requestBody: formBody({
          grant_type: { type: 'string', enum: ['client_credentials', 'authorization_code', 'refresh_token'] },
          client_id: str,
          client_secret: str,
          code: str,
          redirect_uri: str,
          code_verifier: str,
          refresh_token: str,
          scope: str,
        }),
        responses: { '200': tokenAnswer, ...oauthErrors },
      },
    },
    '/restapi/1.0/common/oauth2/revoke': {
      post: {
        operationId: 'oauth2_revoke',
        summary: 'Revoke a token (RFC 7009).',
        security: [],
        tags: ['common'],
        requestBody: formBody({ token: str, client_id: str, client_secret: str }, ['token']),
        responses: { '200': { description: 'Revoked (or unknown).' }, ...oauthErrors },
      },
    },
    '/restapi/1.0/common/basic/access_token': {
      post: {
        operationId: 'basic_token',
        summary: "The original's Basic scheme: a token for `Authorization: Basic <token>`.",
        security: [],
        tags: ['common'],
        requestBody: formBody({ client_id: str, client_secret: str }),
        responses: { '200': tokenAnswer, ...oauthErrors },
      },
    },
    '/restapi/1.0/common/oauth1/request_token': {
      post: {
        operationId: 'oauth1_request_token',
        summary: 'OAuth 1.0a temporary credentials (signed with the consumer key).',
        security: [],
        tags: ['common'],
        responses: {
          '200': {
            description: 'oauth_token, oauth_token_secret, oauth_callback_confirmed (form-encoded).',
            content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } } },
          },
          ...oauthErrors,
        },
      },
    },
    '/restapi/1.0/common/oauth1/access_token': {
      post: {
        operationId: 'oauth1_access_token',
        summary: 'OAuth 1.0a token credentials for an authorized request token and its verifier.',
        security: [],
        tags: ['common'],
        responses: {
          '200': {
            description: 'oauth_token, oauth_token_secret (form-encoded).',
            content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } } },
          },
          ...oauthErrors,
        },
      },
    },
    [AUTHORIZE_PATH]: {
      get: {
        operationId: 'oauth2_authorize',
        summary: 'The sign-in and consent page of the authorization code flow (HTML).',
        security: [],
        tags: ['common'],
        responses: { '200': { description: 'HTML page.', content: { 'text/html': { schema: str } } } },
      },
    },
    '/restapi/1.0/common/oauth1/authorize': {
      get: {
        operationId: 'oauth1_authorize',
        summary: 'The sign-in and consent page of the OAuth 1.0a flow (HTML).',
        security: [],
        tags: ['common'],
        responses: { '200': { description: 'HTML page.', content: { 'text/html': { schema: str } } } },
      },
    },
  };
}

/** The OpenAPI 3.1 document of the API for this registry. */
export function openApiDocument(registry: ModelRegistry, options: DocumentOptions): Schema {
  const paths: Record<string, Schema> = commonPaths();
  for (const model of registry.models) {
    const key = options.responseKey === 'description' ? model.description : model.model;
    Object.assign(paths, modelPaths(model, key));
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Odoo restapi object API',
      version: options.version,
      description:
        "The Odoo `restapi` module's object API: every model's records through /restapi/1.0/object/{model}, " +
        'JSON or XML by Accept. Parameters are Python literals, as the original takes them. Errors: ' +
        '`{"error": {"code", "message"}}`, 401 and 404 as a bare `{"code", "message"}`. Authentication: ' +
        'OAuth 2, a Bearer token, the Basic token scheme or OAuth 1.0a.',
    },
    servers: [{ url: options.baseUrl ?? '../..', description: 'This API' }],
    security: OBJECT_SECURITY,
    tags: [
      { name: 'common' },
      ...registry.models.map((model) => ({ name: model.model, description: model.description })),
    ],
    paths,
    components: components(registry),
  };
}
