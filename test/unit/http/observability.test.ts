/**
 * What runHttp tells operators about each request: one call metric (status, latency, labels),
 * errors included, and log lines that carry the request and its client, and only its own.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { AccessDeniedError } from '../../../lib/errors';
import { runHttp, type ApiRequest, type ApiResult, type HttpOptions } from '../../../lib/http';
import { createLogger, type InvocationContext } from '../../../lib/runtime/log';
import type { Call, CallMetrics } from '../../../lib/runtime/metrics';
import { pyDict } from '../../../lib/wire/pyvalue';

const SECRET_TOKEN = 'tok_5b3e9f0c1d2a4e6f8a7b';

function event(requestId: string, authorizer: Record<string, string> | null): APIGatewayProxyEvent {
  return {
    resource: '/restapi/1.0/object/{model}',
    path: '/restapi/1.0/object/res.partner',
    httpMethod: 'GET',
    headers: { Authorization: `Bearer ${SECRET_TOKEN}` },
    multiValueHeaders: { Authorization: [`Bearer ${SECRET_TOKEN}`] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { model: 'res.partner' },
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      ...(authorizer ? { authorizer } : {}),
      protocol: 'HTTP/1.1',
      httpMethod: 'GET',
      identity: {} as APIGatewayProxyEvent['requestContext']['identity'],
      path: '/prod/restapi/1.0/object/res.partner',
      stage: 'prod',
      requestId,
      requestTimeEpoch: 1_700_000_000_000,
      resourceId: 'res1',
      resourcePath: '/restapi/1.0/object/{model}',
    },
  } as APIGatewayProxyEvent;
}

function invocation(awsRequestId: string): InvocationContext {
  return {
    awsRequestId,
    functionName: 'odoo-rest-lambda-prod-object',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:odoo-rest-lambda-prod-object',
    memoryLimitInMB: '1024',
  } as InvocationContext;
}

/** The object handler's shape: a container logger, call metrics in memory, labels from the request. */
function handlerParts() {
  const lines: string[] = [];
  const calls: Call[] = [];
  const log = createLogger({ service: 'object' }, (line) => lines.push(line));
  const metrics: CallMetrics = { recordCall: (call) => calls.push(call) };
  const options: HttpOptions = {
    log,
    responseKey: 'description',
    metrics,
    labels: (request: ApiRequest) => ({
      ...(request.authorizer.clientId ? { clientId: request.authorizer.clientId } : {}),
      model: 'res.partner',
      method: 'search_read',
    }),
  };
  return { log, options, calls, lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const answer = async (): Promise<ApiResult> => ({ status: 200, payload: pyDict([['ok', true]]) });

describe('runHttp call metrics', () => {
  it('records one call per request with its labels, status and latency', async () => {
    const { options, calls } = handlerParts();
    await runHttp(event('req-1', { clientId: 'client-a', userId: '2' }), options, answer);
    expect(calls).toStrictEqual([
      { clientId: 'client-a', model: 'res.partner', method: 'search_read', status: 200, ms: expect.any(Number) },
    ]);
    expect(calls[0]?.ms).toBeGreaterThanOrEqual(0);
  });

  it('records the status of an error the route throws, and of an unexpected one', async () => {
    const { options, calls } = handlerParts();
    const denied = await runHttp(event('req-1', { clientId: 'client-a' }), options, () =>
      Promise.reject(new AccessDeniedError('no')),
    );
    const crashed = await runHttp(event('req-2', { clientId: 'client-a' }), options, () =>
      Promise.reject(new Error('bug')),
    );
    expect([denied.statusCode, crashed.statusCode]).toStrictEqual([403, 500]);
    expect(calls.map(({ status }) => status)).toStrictEqual([403, 500]);
  });

  it('records a preflight too, without labels from a context it does not have', async () => {
    const { options, calls } = handlerParts();
    const preflight = {
      ...event('req-1', null),
      httpMethod: 'OPTIONS',
      headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'PUT' },
    };
    const response = await runHttp(preflight, options, answer);
    expect(response.statusCode).toBe(204);
    expect(calls).toStrictEqual([{ model: 'res.partner', method: 'search_read', status: 204, ms: expect.any(Number) }]);
  });

  it('answers as usual when the labels or the metrics fail, and logs why', async () => {
    const { options, lines } = handlerParts();
    const broken: HttpOptions = {
      ...options,
      labels: () => {
        throw new Error('labels bug');
      },
      metrics: {
        recordCall: () => {
          throw new RangeError('metrics bug');
        },
      },
    };
    const response = await runHttp(event('req-1', { clientId: 'client-a' }), broken, answer);
    expect(response.statusCode).toBe(200);
    const warnings = lines().filter((line) => line.level === 'warn');
    expect(warnings.map(({ message, error }) => ({ message, error }))).toStrictEqual([
      { message: 'call labels failed', error: 'Error: labels bug' },
      { message: 'call metric failed', error: 'RangeError: metrics bug' },
    ]);
  });

  it('records nothing without metrics in the options (as the tests and scripts run it)', async () => {
    const { options } = handlerParts();
    const { metrics: _unused, ...withoutMetrics } = options;
    await expect(runHttp(event('req-1', null), withoutMetrics, answer)).resolves.toMatchObject({ statusCode: 200 });
  });
});

describe('runHttp log lines per invocation', () => {
  const initializationType = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  beforeEach(() => (process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand'));
  afterEach(() => {
    if (initializationType === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = initializationType;
  });

  it("carries each request's ids, its client and the cold start, and never the previous request's client", async () => {
    const { log, options, lines } = handlerParts();
    // As the handler does: the invocation first, then the request.
    log.startInvocation(invocation('aws-req-1'));
    await runHttp(event('api-req-1', { clientId: 'client-a', userId: '2' }), options, answer);
    log.startInvocation(invocation('aws-req-2'));
    // The second request has no authorizer context (an OPTIONS, say): no client of its own.
    await runHttp(event('api-req-2', null), options, answer);
    const done = lines().filter((line) => line.message === 'request done');
    expect(done).toStrictEqual([
      expect.objectContaining({
        level: 'info',
        service: 'object',
        function_request_id: 'aws-req-1',
        cold_start: true,
        requestId: 'api-req-1',
        clientId: 'client-a',
        status: 200,
      }),
      expect.objectContaining({ function_request_id: 'aws-req-2', cold_start: false, requestId: 'api-req-2' }),
    ]);
    expect(done[1]).not.toHaveProperty('clientId');
  });

  it("logs the client's id, never its token or the Authorization header", async () => {
    const { log, options, lines } = handlerParts();
    log.startInvocation(invocation('aws-req-1'));
    await runHttp(event('api-req-1', { clientId: 'client-a' }), options, () =>
      Promise.reject(new AccessDeniedError('no')),
    );
    const text = JSON.stringify(lines());
    expect(text).toContain('client-a');
    expect(text).not.toContain(SECRET_TOKEN);
    expect(text.toLowerCase()).not.toContain('authorization');
  });
});
