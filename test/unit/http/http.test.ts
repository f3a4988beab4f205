import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  AccessDeniedError,
  AuthenticationRequiredError,
  BadRequestError,
  InvalidFieldError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  RecordNotFoundError,
  ServiceUnavailableError,
  WriteConflictError,
} from '../../../lib/errors';
import {
  errorPayload,
  errorResponse,
  modelEnvelope,
  negotiate,
  runHttp,
  toApiRequest,
  type ApiRequest,
  type ApiResult,
  type Negotiated,
} from '../../../lib/http';
import { createLogger, type Logger } from '../../../lib/runtime/log';
import { buildRegistry, type ModelDef } from '../../../lib/models/registry';
import { PyFloat, pyDict, type PyValue } from '../../../lib/wire/pyvalue';
import { shippedModels } from '../../../models';

const JSON_NEGOTIATED: Negotiated = { format: 'json', contentType: 'application/json; charset=utf-8' };
const XML_NEGOTIATED: Negotiated = { format: 'xml', contentType: 'application/xml; charset=utf-8' };

const registry = buildRegistry(shippedModels);
const partner = registry.get('res.partner') as ModelDef;

/** A logger that keeps its lines in memory instead of writing to stdout. */
function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({}, (line) => lines.push(line)), lines };
}

/** A REST API (v1) proxy event with everything a real one carries, overridable per test. */
function proxyEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    resource: '/restapi/1.0/object/{model}',
    path: '/restapi/1.0/object/res.partner',
    httpMethod: 'PUT',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { model: 'res.partner' },
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      authorizer: { userId: '2', clientId: 'client-a', scheme: 'oauth2', tokenScopes: '' },
      protocol: 'HTTP/1.1',
      httpMethod: 'PUT',
      identity: {} as APIGatewayProxyEvent['requestContext']['identity'],
      path: '/prod/restapi/1.0/object/res.partner',
      stage: 'prod',
      requestId: 'req-1',
      requestTimeEpoch: 1_700_000_000_000,
      resourceId: 'res1',
      resourcePath: '/restapi/1.0/object/{model}',
    },
    ...overrides,
  };
}

const BASE_HEADERS_JSON = { 'Content-Type': 'application/json; charset=utf-8', Vary: 'Accept', 'Cache-Control': 'no-store' };
const BASE_HEADERS_XML = { 'Content-Type': 'application/xml; charset=utf-8', Vary: 'Accept', 'Cache-Control': 'no-store' };

describe('http', () => {
  describe('negotiate', () => {
    it.each<[string, string | undefined]>([
      ['no Accept header', undefined],
      ['an empty Accept header', ''],
      ['*/*', '*/*'],
      ['application/json', 'application/json'],
      ['application/json with a charset', 'application/json; charset=utf-8'],
      ['application/*', 'application/*'],
      ['text/html (a type we do not serve)', 'text/html'],
      ['image/png (a type we do not serve)', 'image/png'],
      ['an unknown vendor type', 'application/vnd.example+json'],
      ['application/xml with q=0', 'application/xml;q=0'],
      ['application/xml with q=0 and */*', 'application/xml;q=0, */*'],
      ['text/xml with q=0.0', 'text/xml; q=0.0'],
      ['application/xml preferred less than application/json', 'application/xml;q=0.5, application/json'],
      ['application/xml preferred less than */*', 'application/xml;q=0.4, */*;q=0.9'],
      ['text/xml preferred less than application/json', 'text/xml;q=0.1, application/json;q=0.2'],
      ['upper-case JSON', 'APPLICATION/JSON'],
    ])('returns JSON for %s', (_label, accept) => {
      expect(negotiate(accept)).toStrictEqual(JSON_NEGOTIATED);
    });

    it.each<[string, string]>([
      ['application/xml', 'application/xml'],
      ['application/xml with a charset', 'application/xml; charset=utf-8'],
      ['application/xml preferred over application/json', 'application/json;q=0.5, application/xml'],
      ['application/xml preferred over */*', '*/*;q=0.1, application/xml'],
      ['application/xml with an explicit q=1', 'application/xml;q=1'],
      ['application/xml with q=0.9 over json with q=0.8', 'application/json;q=0.8, application/xml;q=0.9'],
      ['application/xml with the only positive q', 'application/json;q=0, application/xml;q=0.1'],
      ['upper-case XML', 'APPLICATION/XML'],
      ['mixed-case XML', 'Application/Xml'],
      ['an upper-case Q parameter', 'application/xml;Q=0.9, application/json;Q=0.5'],
      ['spaces around the parts', '  application/xml ;  q=0.9 ,  application/json ; q=0.1 '],
      // RFC 9110 §12.5.1: the most specific range applies, so application/json;q=0 refuses JSON
      // whatever */* says, and XML is the only acceptable format.
      ['JSON refused explicitly while */* rates higher than XML', 'application/json;q=0, */*;q=0.5, application/xml;q=0.4'],
    ])('returns XML for %s', (_label, accept) => {
      expect(negotiate(accept)).toStrictEqual(XML_NEGOTIATED);
    });

    it.each<[string, string]>([
      ['text/xml', 'text/xml'],
      ['text/xml preferred over application/json', 'application/json;q=0.3, text/xml;q=0.6'],
      ['upper-case text/xml', 'TEXT/XML'],
      ['text/xml when application/xml is refused', 'application/xml;q=0, text/xml'],
    ])('returns XML as text/xml for %s', (_label, accept) => {
      expect(negotiate(accept)).toStrictEqual({ format: 'xml', contentType: 'text/xml; charset=utf-8' });
    });
  });

  describe('errorPayload', () => {
    it.each([401, 404])('returns the bare {code, message} for %d, as the original', (status) => {
      expect(errorPayload(status, 'Some message')).toStrictEqual(
        pyDict([
          ['code', status],
          ['message', 'Some message'],
        ]),
      );
    });

    it.each([400, 403, 405, 409, 413, 414, 500, 503])('returns {"error": {code, message}} for %d', (status) => {
      expect(errorPayload(status, 'Some message')).toStrictEqual(
        pyDict([
          [
            'error',
            pyDict([
              ['code', status],
              ['message', 'Some message'],
            ]),
          ],
        ]),
      );
    });
  });

  describe('errorResponse', () => {
    it('returns the seed 401 body, unwrapped, with WWW-Authenticate', () => {
      const { log } = memoryLogger();
      expect(errorResponse(new AuthenticationRequiredError('expired token'), JSON_NEGOTIATED, log)).toStrictEqual({
        statusCode: 401,
        headers: { ...BASE_HEADERS_JSON, 'WWW-Authenticate': 'Bearer realm="restapi"' },
        body: '{"code":401,"message":"Authentication required"}',
      });
    });

    it('returns the seed 404 body, unwrapped, naming the missing records', () => {
      const { log } = memoryLogger();
      expect(errorResponse(new RecordNotFoundError('res.partner', [99, 104]), JSON_NEGOTIATED, log)).toStrictEqual({
        statusCode: 404,
        headers: BASE_HEADERS_JSON,
        body: '{"code":404,"message":"Record not found: res.partner(99, 104)"}',
      });
    });

    it('returns the seed 403 body, wrapped in "error"', () => {
      const { log } = memoryLogger();
      expect(errorResponse(new InvalidFieldError('x', 'res.partner'), JSON_NEGOTIATED, log)).toStrictEqual({
        statusCode: 403,
        headers: BASE_HEADERS_JSON,
        body: `{"error":{"code":403,"message":"Invalid field 'x' on model 'res.partner'"}}`,
      });
    });

    it.each<[string, Error, number, string]>([
      ['BadRequestError', new BadRequestError('Cannot parse it'), 400, 'Cannot parse it'],
      ['AccessDeniedError', new AccessDeniedError('No write access'), 403, 'No write access'],
      ['WriteConflictError', new WriteConflictError('Kept changing'), 409, 'Kept changing'],
      ['PayloadTooLargeError', new PayloadTooLargeError('Too big'), 413, 'Too big'],
    ])('returns a wrapped JSON body for a %s', (_label, error, status, message) => {
      const { log } = memoryLogger();
      const response = errorResponse(error, JSON_NEGOTIATED, log);
      expect(response).toStrictEqual({
        statusCode: status,
        headers: BASE_HEADERS_JSON,
        body: JSON.stringify({ error: { code: status, message } }),
      });
    });

    it('returns 405 with an Allow header listing the allowed methods', () => {
      const { log } = memoryLogger();
      const response = errorResponse(new MethodNotAllowedError('PATCH', ['GET', 'PUT']), JSON_NEGOTIATED, log);
      expect(response.statusCode).toBe(405);
      expect(response.headers).toStrictEqual({ ...BASE_HEADERS_JSON, Allow: 'GET, PUT' });
      expect(JSON.parse(response.body)).toStrictEqual({ error: { code: 405, message: expect.stringContaining('PATCH') } });
    });

    it('returns 503 with Retry-After and a body that does not show the cause', () => {
      const { log } = memoryLogger();
      const cause = new Error('ProvisionedThroughputExceededException: table records-secret-name');
      const response = errorResponse(new ServiceUnavailableError(3, { cause }), JSON_NEGOTIATED, log);
      expect(response.statusCode).toBe(503);
      expect(response.headers).toStrictEqual({ ...BASE_HEADERS_JSON, 'Retry-After': '3' });
      expect(JSON.parse(response.body)).toStrictEqual({ error: { code: 503, message: expect.any(String) } });
      expect(response.body).not.toContain('ProvisionedThroughput');
      expect(response.body).not.toContain('records-secret-name');
    });

    it('returns a bare 500 "Internal Server Error" for an unknown Error, without its message or stack', () => {
      const { log, lines } = memoryLogger();
      const error = new TypeError("Cannot read properties of undefined (reading 'secretHash') at /var/task/index.js");
      const response = errorResponse(error, JSON_NEGOTIATED, log);
      expect(response).toStrictEqual({
        statusCode: 500,
        headers: BASE_HEADERS_JSON,
        body: '{"error":{"code":500,"message":"Internal Server Error"}}',
      });
      expect(response.body).not.toContain('secretHash');
      expect(response.body).not.toContain('/var/task');
      // The cause is kept where operators can see it.
      expect(lines.join('\n')).toContain('secretHash');
    });

    it('returns a bare 500 for a thrown non-Error value', () => {
      const { log } = memoryLogger();
      const response = errorResponse('database password is hunter2', JSON_NEGOTIATED, log);
      expect(response.statusCode).toBe(500);
      expect(response.body).toBe('{"error":{"code":500,"message":"Internal Server Error"}}');
    });

    it('returns the 401 body in XML as dicttoxml prints it, with no root', () => {
      const { log } = memoryLogger();
      expect(errorResponse(new AuthenticationRequiredError(), XML_NEGOTIATED, log)).toStrictEqual({
        statusCode: 401,
        headers: { ...BASE_HEADERS_XML, 'WWW-Authenticate': 'Bearer realm="restapi"' },
        body: '<code type="int">401</code><message type="str">Authentication required</message>',
      });
    });

    it('returns the 404 body in XML, unwrapped', () => {
      const { log } = memoryLogger();
      expect(errorResponse(new RecordNotFoundError('res.partner', [99]), XML_NEGOTIATED, log)).toStrictEqual({
        statusCode: 404,
        headers: BASE_HEADERS_XML,
        body: '<code type="int">404</code><message type="str">Record not found: res.partner(99)</message>',
      });
    });

    it('returns a wrapped 403 body in XML, with the message escaped', () => {
      const { log } = memoryLogger();
      expect(errorResponse(new AccessDeniedError('a < b & "c"'), XML_NEGOTIATED, log)).toStrictEqual({
        statusCode: 403,
        headers: BASE_HEADERS_XML,
        body: '<error type="dict"><code type="int">403</code><message type="str">a &lt; b &amp; &quot;c&quot;</message></error>',
      });
    });

    it('returns 503 in XML with Retry-After', () => {
      const { log } = memoryLogger();
      const response = errorResponse(new ServiceUnavailableError(1), XML_NEGOTIATED, log);
      expect(response.statusCode).toBe(503);
      expect(response.headers).toStrictEqual({ ...BASE_HEADERS_XML, 'Retry-After': '1' });
      expect(response.body).toMatch(/^<error type="dict"><code type="int">503<\/code><message type="str">[^<]+<\/message><\/error>$/);
    });

    it('returns a bare 500 in XML for an unknown Error, without its message', () => {
      const { log } = memoryLogger();
      const response = errorResponse(new Error('internal detail 42'), XML_NEGOTIATED, log);
      expect(response).toStrictEqual({
        statusCode: 500,
        headers: BASE_HEADERS_XML,
        body: '<error type="dict"><code type="int">500</code><message type="str">Internal Server Error</message></error>',
      });
    });

    it.each<[string, unknown]>([
      ['a 400', new BadRequestError('x')],
      ['a 401', new AuthenticationRequiredError()],
      ['a 404', new RecordNotFoundError('res.partner', [1])],
      ['a 405', new MethodNotAllowedError('GET', ['PUT'])],
      ['a 503', new ServiceUnavailableError(1)],
      ['a 500', new Error('boom')],
    ])('returns Vary: Accept and a Content-Type for %s in both formats', (_label, error) => {
      const { log } = memoryLogger();
      for (const negotiated of [JSON_NEGOTIATED, XML_NEGOTIATED]) {
        const { headers } = errorResponse(error, negotiated, log);
        expect(headers?.Vary).toBe('Accept');
        expect(headers?.['Content-Type']).toBe(negotiated.contentType);
      }
    });
  });

  describe('modelEnvelope', () => {
    const data: PyValue = [pyDict([['id', 17]])];

    it.each<[string, 'json' | 'xml', 'description' | 'model', string]>([
      ['the description in JSON with the description rule', 'json', 'description', 'Partner'],
      ['the technical name in JSON with the model rule', 'json', 'model', 'res.partner'],
      ['the technical name in XML with the description rule', 'xml', 'description', 'res.partner'],
      ['the technical name in XML with the model rule', 'xml', 'model', 'res.partner'],
    ])('returns {KEY: data} keyed by %s', (_label, format, rule, key) => {
      expect(modelEnvelope(partner, data, format, rule)).toStrictEqual(pyDict([[key, data]]));
    });

    it('returns the data itself, not a copy', () => {
      expect(modelEnvelope(partner, data, 'json', 'description').get('Partner')).toBe(data);
    });
  });

  describe('toApiRequest', () => {
    it('returns the request with lower-case header names, upper-case method and the path parameters', () => {
      const request = toApiRequest(
        proxyEvent({
          httpMethod: 'put',
          headers: { Accept: 'application/xml', 'Content-Type': 'text/plain', 'X-Custom': 'v' },
        }),
      );
      expect(request).toStrictEqual({
        method: 'PUT',
        path: '/restapi/1.0/object/res.partner',
        // As the client called it: the stage is part of the URL it used (and signed).
        calledPath: '/prod/restapi/1.0/object/res.partner',
        pathParameters: { model: 'res.partner' },
        query: new Map(),
        headers: new Map([
          ['accept', 'application/xml'],
          ['content-type', 'text/plain'],
          ['x-custom', 'v'],
        ]),
        body: undefined,
        requestId: 'req-1',
        authorizer: { userId: '2', clientId: 'client-a', scheme: 'oauth2', tokenScopes: '' },
      });
    });

    it('returns every value of a repeated query parameter', () => {
      const request = toApiRequest(
        proxyEvent({
          queryStringParameters: { ids: '20', vals: "{'name':'x'}" },
          multiValueQueryStringParameters: { ids: ['17', '20'], vals: ["{'name':'x'}"] },
        }),
      );
      expect(request.query).toStrictEqual(
        new Map([
          ['ids', ['17', '20']],
          ['vals', ["{'name':'x'}"]],
        ]),
      );
    });

    it('returns the single-value query map when the multi-value one is missing', () => {
      const request = toApiRequest(proxyEvent({ queryStringParameters: { ids: '17,20' }, multiValueQueryStringParameters: null }));
      expect(request.query).toStrictEqual(new Map([['ids', ['17,20']]]));
    });

    it('returns the body decoded when API Gateway sent it base64-encoded', () => {
      const body = "{'vals': {'name': 'Café'}}";
      const request = toApiRequest(proxyEvent({ body: Buffer.from(body, 'utf8').toString('base64'), isBase64Encoded: true }));
      expect(request.body).toBe(body);
    });

    it('returns the body as is when it is not base64-encoded', () => {
      expect(toApiRequest(proxyEvent({ body: 'abc' })).body).toBe('abc');
    });

    it('returns the authorizer context as strings, dropping objects and nulls', () => {
      const event = proxyEvent();
      const request = toApiRequest({
        ...event,
        requestContext: { ...event.requestContext, authorizer: { userId: 7, clientId: 'c', flag: true, nested: { a: 1 }, nothing: null } },
      });
      expect(request.authorizer).toStrictEqual({ userId: '7', clientId: 'c', flag: 'true' });
    });
  });

  describe('runHttp', () => {
    const options = (responseKey: 'description' | 'model' = 'description') => ({ log: memoryLogger().log, responseKey });
    const records: PyValue = [
      pyDict([
        ['id', 17],
        ['name', 'Edward Foster'],
        ['credit_limit', new PyFloat(0)],
      ]),
    ];
    const modelRoute = async (): Promise<ApiResult> => ({ status: 200, model: partner, data: records });

    it('returns the model data in the JSON envelope keyed by the description', async () => {
      await expect(runHttp(proxyEvent(), options(), modelRoute)).resolves.toStrictEqual({
        statusCode: 200,
        headers: BASE_HEADERS_JSON,
        body: '{"Partner":[{"id":17,"name":"Edward Foster","credit_limit":0.0}]}',
      });
    });

    it('returns the model data keyed by the technical name with the model rule', async () => {
      const response = await runHttp(proxyEvent(), options('model'), modelRoute);
      expect(response.body).toBe('{"res.partner":[{"id":17,"name":"Edward Foster","credit_limit":0.0}]}');
    });

    it('returns XML keyed by the technical name when the client accepts XML', async () => {
      await expect(runHttp(proxyEvent({ headers: { Accept: 'application/xml' } }), options(), modelRoute)).resolves.toStrictEqual({
        statusCode: 200,
        headers: BASE_HEADERS_XML,
        body:
          '<res.partner type="list"><item type="dict"><id type="int">17</id><name type="str">Edward Foster</name>' +
          '<credit_limit type="float">0.0</credit_limit></item></res.partner>',
      });
    });

    it('returns a ready payload with its extra headers', async () => {
      const route = async (): Promise<ApiResult> => ({ status: 201, payload: pyDict([['count', 2]]), headers: { Location: '/x' } });
      await expect(runHttp(proxyEvent(), options(), route)).resolves.toStrictEqual({
        statusCode: 201,
        headers: { ...BASE_HEADERS_JSON, Location: '/x' },
        body: '{"count":2}',
      });
    });

    it('returns the error in the negotiated format when the route throws', async () => {
      const route = async (): Promise<ApiResult> => {
        throw new RecordNotFoundError('res.partner', [99, 104]);
      };
      const response = await runHttp(proxyEvent({ headers: { accept: 'text/xml' } }), options(), route);
      expect(response).toStrictEqual({
        statusCode: 404,
        headers: { 'Content-Type': 'text/xml; charset=utf-8', Vary: 'Accept', 'Cache-Control': 'no-store' },
        body: '<code type="int">404</code><message type="str">Record not found: res.partner(99, 104)</message>',
      });
    });

    it('returns a bare 500 when the route throws an unknown error', async () => {
      const route = async (): Promise<ApiResult> => {
        throw new Error('ECONNRESET talking to 10.0.0.12');
      };
      const response = await runHttp(proxyEvent(), options(), route);
      expect(response).toStrictEqual({
        statusCode: 500,
        headers: BASE_HEADERS_JSON,
        body: '{"error":{"code":500,"message":"Internal Server Error"}}',
      });
    });

    it('passes the route the normalised request', async () => {
      let seen: ApiRequest | undefined;
      const route = async (request: ApiRequest): Promise<ApiResult> => {
        seen = request;
        return { status: 200, payload: pyDict([]) };
      };
      await runHttp(proxyEvent({ headers: { ACCEPT: '*/*' }, multiValueQueryStringParameters: { ids: ['17'] } }), options(), route);
      expect(seen?.headers.get('accept')).toBe('*/*');
      expect(seen?.query.get('ids')).toStrictEqual(['17']);
      expect(seen?.authorizer.userId).toBe('2');
    });
  });
});

describe('runHttp CORS (CORS_ORIGINS)', () => {
  const APP = 'https://app.example.com';
  const corsOptions = (origins: readonly string[] = [APP]) => ({
    log: memoryLogger().log,
    responseKey: 'description' as const,
    corsOrigins: new Set(origins),
  });
  const GRANT = {
    'Access-Control-Allow-Origin': APP,
    'Access-Control-Expose-Headers': 'X-Next-Cursor, X-Query-Plan, Idempotent-Replayed, Retry-After, WWW-Authenticate, ETag, RateLimit-Policy, RateLimit',
  };
  const records: PyValue = [pyDict([['id', 17]])];
  const modelRoute = async (): Promise<ApiResult> => ({
    status: 200,
    model: partner,
    data: records,
    headers: { 'X-Next-Cursor': 'c1' },
  });
  const preflight = (origin: string) =>
    proxyEvent({
      httpMethod: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'authorization',
      },
    });

  it('grants an allowed origin on an answer, merging Vary and keeping the route headers', async () => {
    await expect(runHttp(proxyEvent({ headers: { Origin: APP } }), corsOptions(), modelRoute)).resolves.toStrictEqual({
      statusCode: 200,
      headers: { ...BASE_HEADERS_JSON, Vary: 'Accept, Origin', 'X-Next-Cursor': 'c1', ...GRANT },
      body: '{"Partner":[{"id":17}]}',
    });
  });

  it('grants an allowed origin on a 4xx, with WWW-Authenticate among the exposed headers', async () => {
    const route = async (): Promise<ApiResult> => {
      throw new AuthenticationRequiredError('no token');
    };
    await expect(runHttp(proxyEvent({ headers: { origin: APP } }), corsOptions(), route)).resolves.toStrictEqual({
      statusCode: 401,
      headers: { ...BASE_HEADERS_JSON, Vary: 'Accept, Origin', 'WWW-Authenticate': 'Bearer realm="restapi"', ...GRANT },
      body: '{"code":401,"message":"Authentication required"}',
    });
  });

  it('grants an allowed origin on a 503 with Retry-After and on an unexpected 500', async () => {
    const throttled = await runHttp(proxyEvent({ headers: { Origin: APP } }), corsOptions(), async () => {
      throw new ServiceUnavailableError(2);
    });
    expect([throttled.statusCode, throttled.headers]).toStrictEqual([
      503,
      { ...BASE_HEADERS_JSON, Vary: 'Accept, Origin', 'Retry-After': '2', ...GRANT },
    ]);
    const crashed = await runHttp(proxyEvent({ headers: { Origin: APP } }), corsOptions(), async () => {
      throw new Error('boom');
    });
    expect([crashed.statusCode, crashed.headers]).toStrictEqual([
      500,
      { ...BASE_HEADERS_JSON, Vary: 'Accept, Origin', ...GRANT },
    ]);
  });

  it('gives another origin, or none, no grant but still Vary: Origin', async () => {
    for (const headers of [
      { Origin: 'https://evil.example' },
      { Origin: 'https://app.example.com.evil.example' },
      { Origin: 'null' },
      {},
    ]) {
      const response = await runHttp(proxyEvent({ headers }), corsOptions(), modelRoute);
      expect(response.headers).toStrictEqual({ ...BASE_HEADERS_JSON, Vary: 'Accept, Origin', 'X-Next-Cursor': 'c1' });
    }
  });

  it('changes nothing when no origin is configured (the default)', async () => {
    for (const options of [corsOptions([]), { log: memoryLogger().log, responseKey: 'description' as const }]) {
      const response = await runHttp(proxyEvent({ headers: { Origin: APP } }), options, modelRoute);
      expect(response.headers).toStrictEqual({ ...BASE_HEADERS_JSON, 'X-Next-Cursor': 'c1' });
    }
  });

  it('answers a preflight of an allowed origin 204 with the grant, calling no route and needing no authorizer context', async () => {
    const route = jest.fn(modelRoute);
    await expect(
      runHttp(
        { ...preflight(APP), requestContext: { ...preflight(APP).requestContext, authorizer: null } },
        corsOptions(),
        route,
      ),
    ).resolves.toStrictEqual({
      statusCode: 204,
      headers: {
        Vary: 'Origin',
        'Cache-Control': 'no-store',
        'Access-Control-Allow-Origin': APP,
        'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, Idempotency-Key, If-Match, If-None-Match, X-Query-Plan',
        'Access-Control-Max-Age': '600',
      },
      body: '',
    });
    expect(route).not.toHaveBeenCalled();
  });

  it('answers a preflight of another origin, or with no origin configured, 204 without a grant', async () => {
    const route = jest.fn(modelRoute);
    for (const [origin, options] of [
      ['https://evil.example', corsOptions()],
      [APP, corsOptions([])],
      [APP, { log: memoryLogger().log, responseKey: 'description' as const }],
    ] as const) {
      await expect(runHttp(preflight(origin), options, route)).resolves.toStrictEqual({
        statusCode: 204,
        headers: { Vary: 'Origin', 'Cache-Control': 'no-store' },
        body: '',
      });
    }
    expect(route).not.toHaveBeenCalled();
  });

  it('passes a plain OPTIONS (no Access-Control-Request-Method) to the route like any request', async () => {
    const route = jest.fn(modelRoute);
    const response = await runHttp(
      proxyEvent({ httpMethod: 'OPTIONS', headers: { Origin: APP } }),
      corsOptions(),
      route,
    );
    expect(response.statusCode).toBe(200);
    expect(route).toHaveBeenCalledTimes(1);
  });
});
