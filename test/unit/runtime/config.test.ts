import { loadConfig, requireEnv } from '../../../lib/runtime/config';

// DESIGN §2: config is read once per container and fails fast at cold start.

const BASE = { RECORDS_TABLE: 'records-prod', AUTH_TABLE: 'auth-prod', AWS_REGION: 'eu-central-1' };

function thrownBy(env: NodeJS.ProcessEnv): Error {
  try {
    loadConfig(env);
  } catch (error) {
    return error as Error;
  }
  throw new Error('loadConfig did not throw');
}

describe('config', () => {
  describe('loadConfig', () => {
    it('returns the configuration with the defaults: description key, 1800 s tokens, no endpoint', () => {
      expect(loadConfig({ ...BASE })).toStrictEqual({
        recordsTable: 'records-prod',
        authTable: 'auth-prod',
        usageTable: undefined,
        queueUsers: new Set(),
        deadLetterQueueUrl: undefined,
        eventBusName: undefined,
        eventSource: 'odoo-rest-lambda.local',
        localEventsFile: undefined,
        deliveriesQueueUrl: undefined,
        webhookLocalTargets: false,
        webhookRetryScale: 1,
        dynamodbEndpoint: undefined,
        region: 'eu-central-1',
        responseKey: 'description',
        accessTokenValidity: 1800,
        secretsKeyFile: undefined,
        secretsKmsKeyId: undefined,
        publicBaseUrl: undefined,
        trustedProxy: false,
        gatewayEmulated: false,
        oauth1TimestampWindow: 300,
        accessTokenFormat: 'opaque',
        corsOrigins: new Set(),
      });
    });

    it('returns every setting that is given', () => {
      expect(
        loadConfig({
          ...BASE,
          DYNAMODB_ENDPOINT: 'http://localhost:8000',
          RESPONSE_KEY: 'model',
          ACCESS_TOKEN_VALIDITY: '3600',
          SECRETS_KEY_FILE: '/keys/local.key',
          SECRETS_KMS_KEY_ID: 'arn:aws:kms:eu-central-1:123456789012:key/abc',
          PUBLIC_BASE_URL: 'https://api.example.com',
          TRUSTED_PROXY: '1',
          IS_OFFLINE: 'true',
          OAUTH1_TIMESTAMP_WINDOW: '600',
          ACCESS_TOKEN_FORMAT: 'jwt',
          CORS_ORIGINS: 'https://app.example.com',
          USAGE_TABLE: 'usage-prod',
          QUEUE_USERS: '7, 9',
          DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/dead.fifo',
          EVENT_BUS_NAME: 'odoo-rest-lambda-prod',
          EVENT_SOURCE: 'odoo-rest-lambda.prod',
          LOCAL_EVENTS_FILE: '/tmp/events.jsonl',
          DELIVERIES_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/deliveries.fifo',
          WEBHOOK_LOCAL_TARGETS: 'true',
          WEBHOOK_RETRY_SCALE: '0.001',
        }),
      ).toStrictEqual({
        recordsTable: 'records-prod',
        authTable: 'auth-prod',
        usageTable: 'usage-prod',
        queueUsers: new Set([7, 9]),
        deadLetterQueueUrl: 'https://sqs.eu-central-1.amazonaws.com/123456789012/dead.fifo',
        eventBusName: 'odoo-rest-lambda-prod',
        eventSource: 'odoo-rest-lambda.prod',
        localEventsFile: '/tmp/events.jsonl',
        deliveriesQueueUrl: 'https://sqs.eu-central-1.amazonaws.com/123456789012/deliveries.fifo',
        webhookLocalTargets: true,
        webhookRetryScale: 0.001,
        dynamodbEndpoint: 'http://localhost:8000',
        region: 'eu-central-1',
        responseKey: 'model',
        accessTokenValidity: 3600,
        secretsKeyFile: '/keys/local.key',
        secretsKmsKeyId: 'arn:aws:kms:eu-central-1:123456789012:key/abc',
        publicBaseUrl: 'https://api.example.com',
        trustedProxy: true,
        gatewayEmulated: true,
        oauth1TimestampWindow: 600,
        accessTokenFormat: 'jwt',
        corsOrigins: new Set(['https://app.example.com']),
      });
    });

    it.each(['0', '-1', '2', 'fast', 'NaN'])('refuses WEBHOOK_RETRY_SCALE=%j (a number in (0, 1])', (value) => {
      expect(() => loadConfig({ ...BASE, WEBHOOK_RETRY_SCALE: value })).toThrow(/WEBHOOK_RETRY_SCALE/);
    });

    it.each<[string, string]>([
      ['description', 'description'],
      ['model', 'model'],
      ['', 'description'],
    ])('returns responseKey for RESPONSE_KEY=%j', (value, expected) => {
      expect(loadConfig({ ...BASE, RESPONSE_KEY: value }).responseKey).toBe(expected);
    });

    it.each<[string, boolean]>([
      ['', false],
      ['0', false],
      ['false', false],
      ['1', true],
      ['true', true],
      [' TRUE ', true],
    ])('reads TRUSTED_PROXY=%j as %j', (value, expected) => {
      expect(loadConfig({ ...BASE, TRUSTED_PROXY: value }).trustedProxy).toBe(expected);
    });

    it('refuses any other TRUSTED_PROXY at cold start, rather than guess whether a proxy is trusted', () => {
      expect(thrownBy({ ...BASE, TRUSTED_PROXY: 'yes' }).message).toBe('TRUSTED_PROXY must be 1, true, 0, false or empty, not "yes"');
    });

    it('knows it runs under serverless-offline only by its IS_OFFLINE=true', () => {
      expect([undefined, '', 'false', '1', 'true'].map((value) => loadConfig({ ...BASE, IS_OFFLINE: value }).gatewayEmulated)).toStrictEqual([false, false, false, false, true]);
    });

    it('returns the region from AWS_DEFAULT_REGION when AWS_REGION is not set', () => {
      expect(loadConfig({ RECORDS_TABLE: 'r', AUTH_TABLE: 'a', AWS_DEFAULT_REGION: 'ap-northeast-1' }).region).toBe('ap-northeast-1');
    });

    it('returns no endpoint when DYNAMODB_ENDPOINT is empty', () => {
      expect(loadConfig({ ...BASE, DYNAMODB_ENDPOINT: '' }).dynamodbEndpoint).toBeUndefined();
    });

    it.each<[string, NodeJS.ProcessEnv, string]>([
      ['RECORDS_TABLE is missing', { AUTH_TABLE: 'a' }, 'RECORDS_TABLE'],
      ['RECORDS_TABLE is empty', { RECORDS_TABLE: '', AUTH_TABLE: 'a' }, 'RECORDS_TABLE'],
      ['AUTH_TABLE is missing', { RECORDS_TABLE: 'r' }, 'AUTH_TABLE'],
      ['AUTH_TABLE is empty', { RECORDS_TABLE: 'r', AUTH_TABLE: '' }, 'AUTH_TABLE'],
      ['both tables are missing', {}, '_TABLE'],
    ])('throws naming the variable when %s', (_label, env, variable) => {
      expect(thrownBy(env).message).toContain(variable);
    });

    it.each(['technical', 'name', 'Partner', 'res.partner', 'true'])('throws naming RESPONSE_KEY when it is %j', (value) => {
      const error = thrownBy({ ...BASE, RESPONSE_KEY: value });
      expect(error.message).toContain('RESPONSE_KEY');
      expect(error.message).toContain(value);
    });

    it.each(['0', '-5', 'abc', '1.5', '1e400', 'Infinity'])('throws naming ACCESS_TOKEN_VALIDITY when it is %j', (value) => {
      expect(thrownBy({ ...BASE, ACCESS_TOKEN_VALIDITY: value }).message).toContain('ACCESS_TOKEN_VALIDITY');
    });
  });

  describe('CORS_ORIGINS', () => {
    it.each<[string, string[]]>([
      ['', []],
      [' , ', []],
      ['https://app.example.com', ['https://app.example.com']],
      [
        ' https://app.example.com , http://localhost:5173,https://app.example.com',
        ['https://app.example.com', 'http://localhost:5173'],
      ],
      ['https://xn--bcher-kva.example:8443', ['https://xn--bcher-kva.example:8443']],
    ])('reads %j as the exact origins %j', (value, expected) => {
      expect([...loadConfig({ ...BASE, CORS_ORIGINS: value }).corsOrigins]).toStrictEqual(expected);
    });

    it('refuses "*" at cold start: origins are an allow-list', () => {
      expect(thrownBy({ ...BASE, CORS_ORIGINS: 'https://a.example,*' }).message).toBe(
        'CORS_ORIGINS must list exact origins; "*" (any site) is not allowed',
      );
    });

    it.each<[string, string]>([
      ['https://app.example.com/', ' (write it as "https://app.example.com")'],
      ['https://App.Example.com', ' (write it as "https://app.example.com")'],
      ['https://app.example.com:443', ' (write it as "https://app.example.com")'],
      ['https://app.example.com/spa', ' (write it as "https://app.example.com")'],
      ['https://user@app.example.com', ' (write it as "https://app.example.com")'],
      ['app.example.com', ''],
      ['ftp://app.example.com', ''],
      ['null', ''],
      ['file:///index.html', ''],
    ])('refuses %j, which no browser sends as an Origin, at cold start', (value, hint) => {
      expect(thrownBy({ ...BASE, CORS_ORIGINS: value }).message).toBe(
        `CORS_ORIGINS must list origins as a browser sends them, like https://app.example.com, not ${JSON.stringify(value)}${hint}`,
      );
    });
  });

  describe('requireEnv', () => {
    it('returns the value of a set variable', () => {
      expect(requireEnv({ X: 'y' }, 'X')).toBe('y');
    });

    it.each<[string, NodeJS.ProcessEnv]>([
      ['missing', {}],
      ['empty', { X: '' }],
    ])('throws naming the variable when it is %s', (_label, env) => {
      expect(() => requireEnv(env, 'X')).toThrow(/\bX\b/);
    });
  });
});
