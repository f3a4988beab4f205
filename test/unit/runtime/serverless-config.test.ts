/**
 * serverless.yml as osls resolves it for a deployed stage and for the local one: the deployable
 * shape the design asks for, and tables that match what the local stack creates.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authTableDefinition, recordsTableDefinition } from '../../../lib/store/dynamodb/tables';

const ROOT = join(__dirname, '..', '..', '..');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function resolvedConfig(stage: string, env: NodeJS.ProcessEnv = process.env): Json {
  const out = execFileSync(process.execPath, [join(ROOT, 'node_modules/osls/bin/serverless.js'), 'print', '--stage', stage, '--format', 'json'], {
    cwd: ROOT,
    env: { ...env, SLS_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
  });
  return JSON.parse(out.slice(out.indexOf('{')));
}

const prod = resolvedConfig('prod');
const local = resolvedConfig('local');
const resources = prod.resources.Resources as Json;

function statementsOf(roleName: string): Json[] {
  return (resources[roleName].Properties.Policies as Json[]).flatMap((policy) => policy.PolicyDocument.Statement);
}

describe('serverless.yml', () => {
  it('runs every function on Node.js 22 behind a REST API (v1)', () => {
    expect(prod.provider.runtime).toBe('nodejs22.x');
    expect(prod.custom.esbuild.target).toBe('node22');
    const events = Object.values(prod.functions as Json).flatMap((fn) => fn.events ?? []);
    // Every event an HTTP route, but the queues' (SQS) of the queue and deliveries functions, the
    // records' stream of the change feed, and the custom indexes' builder's minute.
    const queued = [...prod.functions.queue.events, ...prod.functions.deliveries.events];
    expect(
      events.every(
        (event: Json) =>
          'http' in event ||
          (event.sqs !== undefined && queued.includes(event)) ||
          (event.stream !== undefined && prod.functions.changes.events.includes(event)) ||
          (event.schedule !== undefined && prod.functions.indexes.events.includes(event)),
      ),
    ).toBe(true);
  });

  it('runs the custom indexes\' builder every minute, within a timeout its stop margin (15 s) leaves room in', () => {
    expect(prod.functions.indexes).toMatchObject({ handler: 'handlers/indexes.handler', role: 'IndexesRole', timeout: 60, events: [{ schedule: 'rate(1 minute)' }] });
  });

  it('feeds the change feed from the records’ stream: in order, bisected, bounded, with an on-failure queue', () => {
    expect(resources.RecordsTable.Properties.StreamSpecification).toStrictEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const { stream } = (prod.functions.changes.events as Json[])[0] as Json;
    expect(stream).toMatchObject({
      type: 'dynamodb',
      arn: { 'Fn::GetAtt': ['RecordsTable', 'StreamArn'] },
      bisectBatchOnFunctionError: true,
      functionResponseType: 'ReportBatchItemFailures',
      maximumRetryAttempts: 10,
      destinations: { onFailure: { arn: { 'Fn::GetAtt': ['ChangesDeadLetterQueue', 'Arn'] }, type: 'sqs' } },
    });
    expect(stream.parallelizationFactor ?? 1).toBe(1);
    expect(resources.ChangesBus.Type).toBe('AWS::Events::EventBus');
    const actions = statementsOf('ChangesRole').flatMap((statement) => statement.Action);
    for (const action of ['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream', 'dynamodb:ListStreams', 'events:PutEvents', 'sqs:SendMessage'])
      expect(actions).toContain(action);
    expect(resources.DeliveriesQueue.Properties).toMatchObject({ FifoQueue: true, MessageRetentionPeriod: 1209600 });
    expect(statementsOf('DeliveriesRole').flatMap((statement) => statement.Action)).toContain('sqs:ChangeMessageVisibility');
  });

  it('puts the REQUEST authorizer, uncached, on every object route', () => {
    const objectEvents = (prod.functions.object.events as Json[]).map((event) => event.http);
    expect(
      objectEvents.filter((http) => http.method !== 'options').map((http) => [http.path, http.method, http.authorizer]),
    ).toStrictEqual([
      ['/restapi/1.0/object/{model}', 'any', { name: 'authorizer', type: 'request', resultTtlInSeconds: 0 }],
      ['/restapi/1.0/object/{model}/{proxy+}', 'any', { name: 'authorizer', type: 'request', resultTtlInSeconds: 0 }],
    ]);
  });

  it('answers CORS preflights of the object routes and the token endpoints without the authorizer, and of nothing else', () => {
    const optionsEvents = Object.entries(prod.functions as Json).flatMap(([name, fn]) =>
      ((fn.events ?? []) as Json[])
        .filter((event) => event.http?.method === 'options')
        .map((event) => [name, event.http]),
    );
    expect(optionsEvents.map(([name, http]) => [name, http.path, http.authorizer])).toStrictEqual([
      ['object', '/restapi/1.0/object/{model}', undefined],
      ['object', '/restapi/1.0/object/{model}/{proxy+}', undefined],
      ...(prod.functions.token.events as Json[])
        .filter((event) => event.http.method === 'post')
        .map((event) => ['token', event.http.path, undefined]),
      ['usage', '/restapi/1.0/usage', undefined],
    ]);
  });

  it('allows no CORS origin unless CORS_ORIGINS is set, in every stage', () => {
    expect(process.env.CORS_ORIGINS ?? '').toBe('');
    expect([prod.provider.environment.CORS_ORIGINS, local.provider.environment.CORS_ORIGINS]).toStrictEqual(['', '']);
  });

  it("lets a browser read API Gateway's own errors, echoing the Origin, varying by it and never allowing credentials", () => {
    const gatewayResponses = Object.values(resources).filter(
      (resource: Json) => resource.Type === 'AWS::ApiGateway::GatewayResponse',
    );
    expect(gatewayResponses.length).toBeGreaterThan(0);
    for (const { Properties } of gatewayResponses) {
      expect(Properties.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
        'gatewayresponse.header.Vary': "'Accept, Origin'",
      });
      expect(Object.keys(Properties.ResponseParameters)).not.toContain(
        'gatewayresponse.header.Access-Control-Allow-Credentials',
      );
    }
  });

  it('serves GET /start and the DynamoDB Local endpoint in the local stage only', () => {
    expect(Object.keys(prod.functions).sort()).toStrictEqual(['authorize', 'authorizer', 'changes', 'deliveries', 'indexes', 'object', 'openapi', 'queue', 'token', 'usage', 'version']);
    expect(Object.keys(local.functions).sort()).toStrictEqual(['authorize', 'authorizer', 'changes', 'deliveries', 'indexes', 'object', 'openapi', 'queue', 'start', 'token', 'usage', 'version']);
    expect(prod.provider.environment.DYNAMODB_ENDPOINT).toBe('');
    expect(local.provider.environment.DYNAMODB_ENDPOINT).not.toBe('');
  });

  it('declares on-demand tables with point-in-time recovery, keyed as the local stack creates them', () => {
    for (const [resource, definition] of [
      ['RecordsTable', recordsTableDefinition('x')],
      ['AuthTable', authTableDefinition('x')],
    ] as const) {
      const properties = resources[resource].Properties;
      expect(properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(properties.PointInTimeRecoverySpecification).toStrictEqual({ PointInTimeRecoveryEnabled: true });
      expect(properties.AttributeDefinitions).toStrictEqual(definition.AttributeDefinitions);
      expect(properties.KeySchema).toStrictEqual(definition.KeySchema);
      expect(properties.GlobalSecondaryIndexes).toStrictEqual(definition.GlobalSecondaryIndexes);
      // Expiring items (tokens, codes, nonces; Idempotency-Key claims) go by DynamoDB's TTL.
      expect(properties.TimeToLiveSpecification).toStrictEqual({ AttributeName: 'expiresAt', Enabled: true });
    }
  });

  it('gives each function a role of its own with only the actions it uses', () => {
    expect([prod.functions.object.role, prod.functions.authorizer.role, prod.functions.token.role, prod.functions.authorize.role]).toStrictEqual([
      'ObjectRole',
      'AuthorizerRole',
      'TokenRole',
      'AuthorizeRole',
    ]);
    const allow = (role: string) => statementsOf(role).map((s) => ({ actions: [s.Action].flat().sort(), resource: s.Resource }));
    const authTable = { 'Fn::GetAtt': ['AuthTable', 'Arn'] };
    const dataKey = { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resource: { 'Fn::GetAtt': ['SecretsKey', 'Arn'] } };
    // The authorizer reads credentials and records OAuth 1.0a nonces; it deletes nothing.
    expect(allow('AuthorizerRole')).toStrictEqual([{ actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'], resource: authTable }, dataKey]);
    const takeCredentials = ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'];
    expect(allow('TokenRole')).toStrictEqual([{ actions: takeCredentials, resource: authTable }, dataKey]);
    // The consent pages also count sign-in attempts atomically (UpdateItem ADD).
    expect(allow('AuthorizeRole')).toStrictEqual([{ actions: [...takeCredentials, 'dynamodb:UpdateItem'].sort(), resource: authTable }, dataKey]);
    const [objectStatement] = allow('ObjectRole');
    expect(objectStatement?.actions).not.toContain('dynamodb:Scan');
    expect(JSON.stringify(objectStatement?.resource)).not.toContain('AuthTable');
    // No function may scan the auth table (only the admin CLI lists it, with an operator's credentials).
    expect(JSON.stringify(resources)).not.toContain('dynamodb:Scan');
  });

  it('serves GET /restapi/1.0/openapi.json without the authorizer, from a function that only reads the model definitions', () => {
    const fn = prod.functions.openapi;
    expect((fn.events as Json[]).map((event) => [event.http.path, event.http.method, event.http.authorizer])).toStrictEqual([
      ['/restapi/1.0/openapi.json', 'get', undefined],
    ]);
    expect(fn.role).toBe('OpenApiRole');
    expect(fn.environment.AWS_SDK_UA_APP_ID).toBe('odoo-rest-lambda-prod-openapi');
    const records = { 'Fn::GetAtt': ['RecordsTable', 'Arn'] };
    // The catalog's stamp (one item, BatchGetItem) and ir.model / ir.model.fields on the model index: no write, no auth table, no key.
    expect(statementsOf('OpenApiRole').map((s) => ({ actions: [s.Action].flat(), resource: s.Resource }))).toStrictEqual([
      { actions: ['dynamodb:BatchGetItem'], resource: records },
      { actions: ['dynamodb:Query'], resource: { 'Fn::Join': ['/', [records, 'index', 'byModel']] } },
    ]);
  });

  it('wraps the data key with a rotating KMS key, given to the functions by ARN in AWS and a key file locally', () => {
    expect(resources.SecretsKey.Properties.EnableKeyRotation).toBe(true);
    expect(prod.provider.environment.SECRETS_KMS_KEY_ID).toStrictEqual({ 'Fn::GetAtt': ['SecretsKey', 'Arn'] });
    expect(prod.provider.environment.SECRETS_KEY_FILE).toBe('');
    expect(local.provider.environment.SECRETS_KMS_KEY_ID).toBe('');
  });

  it('grants dynamodb:* or a DynamoDB action on * nowhere', () => {
    const statements = Object.values(resources)
      .filter((resource: Json) => resource.Type === 'AWS::IAM::Role')
      .flatMap((role: Json) => (role.Properties.Policies ?? []).flatMap((policy: Json) => policy.PolicyDocument.Statement));
    for (const statement of statements) {
      expect([statement.Action].flat()).not.toContain('dynamodb:*');
      expect([statement.Resource].flat()).not.toContain('*');
    }
  });

  it("shapes API Gateway's own 401 as the original's body, in JSON and XML", () => {
    const unauthorized = resources.UnauthorizedResponse.Properties;
    expect([unauthorized.ResponseType, unauthorized.StatusCode, unauthorized.ResponseTemplates]).toStrictEqual([
      'UNAUTHORIZED',
      '401',
      {
        'application/json': '{"code":401,"message":"Authentication required"}',
        'application/xml': '<code type="int">401</code><message type="str">Authentication required</message>',
      },
    ]);
  });

  it("shapes the usage plans' own 429s and the 403 of an unknown key as the function's errors, JSON and XML", () => {
    const shape = (id: string) => {
      const { ResponseType, StatusCode, ResponseTemplates } = resources[id].Properties;
      const json = JSON.parse(ResponseTemplates['application/json']) as { error: { code: number } };
      return [ResponseType, StatusCode, json.error.code, ResponseTemplates['application/xml'].startsWith(`<error type="dict"><code type="int">${StatusCode}</code>`)];
    };
    expect(['ThrottledResponse', 'QuotaExceededResponse', 'InvalidApiKeyResponse'].map(shape)).toStrictEqual([
      ['THROTTLED', '429', 429, true],
      ['QUOTA_EXCEEDED', '429', 429, true],
      ['INVALID_API_KEY', '403', 403, true],
    ]);
    expect(resources.ThrottledResponse.Properties.ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'1'");
  });

  it('feeds the writes queue (FIFO, redrive to a FIFO dead-letter queue) to the queue function with partial batch failures', () => {
    const queue = resources.WritesQueue.Properties;
    expect([queue.FifoQueue, queue.RedrivePolicy.maxReceiveCount, queue.RedrivePolicy.deadLetterTargetArn]).toStrictEqual([
      true,
      5,
      { 'Fn::GetAtt': ['WritesDeadLetterQueue', 'Arn'] },
    ]);
    expect(resources.WritesDeadLetterQueue.Properties.FifoQueue).toBe(true);
    expect(prod.functions.queue.events).toStrictEqual([
      { sqs: { arn: { 'Fn::GetAtt': ['WritesQueue', 'Arn'] }, batchSize: 10, functionResponseType: 'ReportBatchItemFailures' } },
    ]);
    // The queue's visibility outlasts the function's timeout (SQS would deliver a message again mid-call).
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * prod.functions.queue.timeout);
  });

  it('keeps every table, the KMS key and its alias when the stack is deleted or would replace them', () => {
    const retention = (id: string) => {
      const { Type, DeletionPolicy, UpdateReplacePolicy, Properties } = resources[id];
      // A table cannot even be deleted by hand until its deletion protection is turned off.
      const protection = Type === 'AWS::DynamoDB::Table' ? { DeletionProtectionEnabled: Properties.DeletionProtectionEnabled } : {};
      return { id, DeletionPolicy, UpdateReplacePolicy, ...protection };
    };
    const stateful = Object.keys(resources).filter((id) => ['AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::KMS::Alias'].includes(resources[id].Type));
    expect(stateful.sort()).toStrictEqual(['AuthTable', 'RecordsTable', 'SecretsKey', 'SecretsKeyAlias', 'UsageTable']);
    expect(stateful.map(retention)).toStrictEqual([
      { id: 'AuthTable', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', DeletionProtectionEnabled: true },
      { id: 'RecordsTable', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', DeletionProtectionEnabled: true },
      { id: 'SecretsKey', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' },
      { id: 'SecretsKeyAlias', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' },
      // The usage ledger is the billing record: kept like the records.
      { id: 'UsageTable', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', DeletionProtectionEnabled: true },
    ]);
  });

  it('builds every ARN with ${AWS::Partition}, never a literal partition', () => {
    const basicExecution = [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }];
    for (const role of ['ObjectRole', 'AuthorizerRole', 'TokenRole', 'AuthorizeRole', 'OpenApiRole', 'UsageRole', 'QueueRole']) {
      expect([role, resources[role].Properties.ManagedPolicyArns]).toStrictEqual([role, basicExecution]);
    }
    expect(resources.SecretsKey.Properties.KeyPolicy.Statement[0].Principal).toStrictEqual({ AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } });
    // Anything else, now or later (an IAM statement's resource, an environment value): arn:aws:, arn:aws-cn:, ...
    expect(JSON.stringify(prod).match(/arn:aws(?:-[a-z-]+)?:[^"]*/g)).toBeNull();
  });
});

describe("the settings of the README's Configuration table", () => {
  // Each as the README documents it: its default when unset, and any value set in the environment
  // of npm start (the local stage) or npm run deploy (a deployed one) reaches every function.
  const documented = {
    RESPONSE_KEY: ['description', 'model'],
    ACCESS_TOKEN_VALIDITY: ['1800', '60'],
    ACCESS_TOKEN_FORMAT: ['opaque', 'jwt'],
    OAUTH1_TIMESTAMP_WINDOW: ['300', '30'],
    PUBLIC_BASE_URL: ['', 'https://api.example.com'],
    TRUSTED_PROXY: ['', '1'],
    CORS_ORIGINS: ['', 'https://app.example.com,http://localhost:5173'],
  } as const;
  const names = Object.keys(documented) as (keyof typeof documented)[];
  const unset = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in documented)));
  const set = { ...unset, ...Object.fromEntries(names.map((name) => [name, documented[name][1]])), SECRETS_KMS_KEY_ID: 'alias/elsewhere', SECRETS_KEY_FILE: '/keys/secrets.key' };
  const pick = (config: Json) => Object.fromEntries(names.map((name) => [name, config.provider.environment[name]]));

  it.each(['local', 'prod'])('are their documented defaults when unset, in the %s stage', (stage) => {
    expect(pick(resolvedConfig(stage, unset))).toStrictEqual(Object.fromEntries(names.map((name) => [name, documented[name][0]])));
  });

  // The key ring stays serverless.yml's: the stack's KMS key in AWS, the key file npm start gives locally.
  it.each([
    ['local', { SECRETS_KMS_KEY_ID: '', SECRETS_KEY_FILE: '/keys/secrets.key' }],
    ['prod', { SECRETS_KMS_KEY_ID: { 'Fn::GetAtt': ['SecretsKey', 'Arn'] }, SECRETS_KEY_FILE: '' }],
  ])('take the values of the environment, in the %s stage', (stage, keyRing) => {
    const { environment } = resolvedConfig(stage, set).provider;
    expect(pick({ provider: { environment } })).toStrictEqual(Object.fromEntries(names.map((name) => [name, documented[name][1]])));
    expect({ SECRETS_KMS_KEY_ID: environment.SECRETS_KMS_KEY_ID, SECRETS_KEY_FILE: environment.SECRETS_KEY_FILE }).toStrictEqual(keyRing);
  });
});

describe('the Node.js the tests run on', () => {
  // The machines may have another Node; the project's own `node` devDependency (a registry package
  // that ships the binary) comes first on npm scripts' PATH, so npm test runs on the Lambda's major.
  it("is the Lambda runtime's major, and package.json's engines say so", () => {
    const lambdaMajor = /^nodejs(\d+)\.x$/.exec(prod.provider.runtime)?.[1];
    expect(process.versions.node.split('.')[0]).toBe(lambdaMajor);
    const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Json;
    expect(packageJson.engines.node).toMatch(new RegExp(`<${Number(lambdaMajor) + 1}$`));
    expect(packageJson.devDependencies.node).toMatch(new RegExp(`^\\^${lambdaMajor}\\.`));
  });
});

describe('API Gateway usage plans, a coarse backstop in deployed stages (lib/metering/gateway.ts)', () => {
  const httpEvents = (config: Json) =>
    Object.entries(config.functions as Json).flatMap(([name, fn]) => ((fn.events ?? []) as Json[]).map((event) => ({ name, ...event.http })));
  const defaultKeyValue = { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: 'DefaultApiKeySecret' }, ':SecretString}}']] };

  it("takes each call's API key from the authorizer (usageIdentifierKey), never from the client", () => {
    expect(prod.provider.apiGateway.apiKeySourceType).toBe('AUTHORIZER');
  });

  it('requires an API key on every route behind the authorizer in a deployed stage only (serverless-offline would ask local clients for x-api-key)', () => {
    const privateRoutes = (config: Json) => httpEvents(config).filter((http) => http.private === true).map((http) => [http.name, http.path, http.method]);
    const authorized = httpEvents(prod).filter((http) => http.authorizer !== undefined).map((http) => [http.name, http.path, http.method]);
    // Without an API key requirement API Gateway would meter nothing; the preflights carry no credentials.
    expect(privateRoutes(prod)).toStrictEqual(authorized);
    expect(authorized).toEqual(
      expect.arrayContaining([
        ['object', '/restapi/1.0/object/{model}', 'any'],
        ['object', '/restapi/1.0/object/{model}/{proxy+}', 'any'],
      ]),
    );
    expect(privateRoutes(local)).toStrictEqual([]);
  });

  it('meters the clients without a key of their own under a default usage plan with generous limits', () => {
    const { throttle, quota } = prod.provider.apiGateway.usagePlan;
    expect(quota).toBeUndefined();
    expect(throttle.rateLimit).toBeGreaterThanOrEqual(1000);
    expect(throttle.burstLimit).toBeGreaterThanOrEqual(throttle.rateLimit);
    expect(resources.DefaultUsagePlanKey).toStrictEqual({
      Type: 'AWS::ApiGateway::UsagePlanKey',
      Properties: { KeyId: { Ref: 'DefaultApiKey' }, KeyType: 'API_KEY', UsagePlanId: { Ref: 'ApiGatewayUsagePlan' } },
    });
  });

  it("generates the default key's value at deploy time (no secret in the repo) and gives it to the authorizer alone", () => {
    expect(resources.DefaultApiKeySecret.Type).toBe('AWS::SecretsManager::Secret');
    // API Gateway takes 20 to 128 alphanumerics.
    expect(resources.DefaultApiKeySecret.Properties.GenerateSecretString).toStrictEqual({ PasswordLength: 40, ExcludePunctuation: true, IncludeSpace: false });
    expect(resources.DefaultApiKey.Type).toBe('AWS::ApiGateway::ApiKey');
    expect(resources.DefaultApiKey.Properties).toMatchObject({ Enabled: true, Value: defaultKeyValue });
    expect(prod.functions.authorizer.environment.DEFAULT_API_KEY).toStrictEqual(defaultKeyValue);
    expect(local.functions.authorizer.environment.DEFAULT_API_KEY).toBe('');
    const others = Object.entries(prod.functions as Json).filter(([name]) => name !== 'authorizer');
    expect(others.filter(([, fn]) => fn.environment?.DEFAULT_API_KEY !== undefined)).toStrictEqual([]);
    expect(prod.provider.environment.DEFAULT_API_KEY).toBeUndefined();
  });
});
