/**
 * The structured log lines (Powertools' Logger): their keys, the Lambda invocation on every line
 * once a handler has started one, children's keys, and which function is writing them.
 */
import {
  createLogger,
  errorFields,
  functionNames,
  withoutPowertoolsTag,
  type InvocationContext,
} from '../../../lib/runtime/log';

type Line = Record<string, unknown>;

function memoryLogger(base: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const log = createLogger(base, (line) => lines.push(line));
  return { log, lines: () => lines.map((line) => JSON.parse(line) as Line) };
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

describe('createLogger', () => {
  const initializationType = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  // Powertools reports a cold start only for on-demand containers, as Lambda names them.
  beforeEach(() => (process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand'));
  afterEach(() => {
    if (initializationType === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = initializationType;
  });

  it('writes one JSON object per line: level, message, timestamp, service, then the fields', () => {
    const { log, lines } = memoryLogger({ service: 'object', build: 7 });
    log.info('request done', { status: 200, ms: 3 });
    log.warn('slow', { ms: 900 });
    log.error('request failed', { status: 500 });
    expect(lines()).toStrictEqual([
      {
        level: 'info',
        message: 'request done',
        timestamp: expect.any(String),
        service: 'object',
        build: 7,
        status: 200,
        ms: 3,
      },
      { level: 'warn', message: 'slow', timestamp: expect.any(String), service: 'object', build: 7, ms: 900 },
      {
        level: 'error',
        message: 'request failed',
        timestamp: expect.any(String),
        service: 'object',
        build: 7,
        status: 500,
      },
    ]);
    expect(Date.parse(lines()[0]?.timestamp as string)).not.toBeNaN();
  });

  it("adds a child's keys to its lines only, and a grandchild's to the child's", () => {
    const { log, lines } = memoryLogger({ service: 'object' });
    const child = log.child({ requestId: 'req-1' });
    child.child({ clientId: 'client-a' }).info('one');
    child.info('two');
    log.info('three');
    expect(lines().map(({ message, requestId, clientId }) => ({ message, requestId, clientId }))).toStrictEqual([
      { message: 'one', requestId: 'req-1', clientId: 'client-a' },
      { message: 'two', requestId: 'req-1', clientId: undefined },
      { message: 'three', requestId: undefined, clientId: undefined },
    ]);
  });

  it("carries each invocation's request id on every line, children made before it included; cold_start on the first only", () => {
    const { log, lines } = memoryLogger({ service: 'object' });
    const moduleScopeChild = log.child({ part: 'store' });
    log.info('at init');
    log.startInvocation(invocation('aws-req-1'));
    log.info('first');
    moduleScopeChild.info('first, from the child');
    log.startInvocation(invocation('aws-req-2'));
    moduleScopeChild.info('second');
    const seen = lines().map((line) => ({
      message: line.message,
      function_request_id: line.function_request_id,
      cold_start: line.cold_start,
      function_name: line.function_name,
    }));
    expect(seen).toStrictEqual([
      { message: 'at init', function_request_id: undefined, cold_start: undefined, function_name: undefined },
      {
        message: 'first',
        function_request_id: 'aws-req-1',
        cold_start: true,
        function_name: 'odoo-rest-lambda-prod-object',
      },
      {
        message: 'first, from the child',
        function_request_id: 'aws-req-1',
        cold_start: true,
        function_name: 'odoo-rest-lambda-prod-object',
      },
      {
        message: 'second',
        function_request_id: 'aws-req-2',
        cold_start: false,
        function_name: 'odoo-rest-lambda-prod-object',
      },
    ]);
  });

  it('keeps the X-Ray trace id Lambda sets for the invocation', () => {
    const { log, lines } = memoryLogger();
    process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    try {
      log.startInvocation(invocation('aws-req-1'));
      log.info('traced');
    } finally {
      delete process.env._X_AMZN_TRACE_ID;
    }
    expect(lines()[0]).toMatchObject({ xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793' });
  });

  it('writes an error as errorFields gives it: code or name, message, stack top and cause, as strings', () => {
    const { log, lines } = memoryLogger();
    const error = Object.assign(new Error('throttled', { cause: new TypeError('socket') }), {
      code: 'ThrottlingException',
    });
    log.error('unexpected error', errorFields(error));
    expect(lines()[0]).toMatchObject({
      level: 'error',
      error: 'ThrottlingException: throttled',
      cause: 'TypeError: socket',
      stack: expect.stringContaining('log.test.ts'),
    });
  });
});

describe('functionNames', () => {
  it("reads the function's key and the stage from the name serverless.yml gives it", () => {
    expect(functionNames({ AWS_LAMBDA_FUNCTION_NAME: 'odoo-rest-lambda-prod-object' })).toStrictEqual({
      service: 'object',
      stage: 'prod',
    });
    expect(functionNames({ AWS_LAMBDA_FUNCTION_NAME: 'odoo-rest-lambda-eu-staging-authorizer' })).toStrictEqual({
      service: 'authorizer',
      stage: 'eu-staging',
    });
  });

  it('takes STAGE over the name, a name of another shape whole, and none as the service itself', () => {
    expect(functionNames({ AWS_LAMBDA_FUNCTION_NAME: 'odoo-rest-lambda-dev-token', STAGE: 'prod' })).toStrictEqual({
      service: 'token',
      stage: 'prod',
    });
    expect(functionNames({ AWS_LAMBDA_FUNCTION_NAME: 'custom-name' })).toStrictEqual({
      service: 'custom-name',
      stage: 'unknown',
    });
    expect(functionNames({})).toStrictEqual({ service: 'odoo-rest-lambda', stage: 'unknown' });
  });
});

describe('the SDK app id (AWS_SDK_UA_APP_ID)', () => {
  it('stays as serverless.yml set it once Powertools is loaded: each function names itself in the User-Agent', () => {
    // This file has loaded Powertools (through lib/runtime/log), which tags the variable on import.
    expect(process.env.AWS_SDK_UA_APP_ID ?? '').not.toContain('PT/NO-OP');
  });

  it("drops Powertools' tag and nothing else", () => {
    expect(withoutPowertoolsTag('odoo-rest-lambda-prod-object/PT/NO-OP/2.36.0/PTEnv/AWS_Lambda_nodejs22.x')).toBe(
      'odoo-rest-lambda-prod-object',
    );
    expect(withoutPowertoolsTag('PT/NO-OP/2.36.0/PTEnv/NA')).toBeUndefined();
    expect(withoutPowertoolsTag('odoo-rest-lambda-prod-object')).toBe('odoo-rest-lambda-prod-object');
    expect(withoutPowertoolsTag(undefined)).toBeUndefined();
  });
});
