/**
 * The deployable artifacts themselves: each handler bundled as a deploy bundles it (serverless.yml's
 * esbuild options, credential alias included), loaded in a fresh Node process with only the
 * environment Lambda would give it, and invoked against DynamoDB Local.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '../../lib/auth/admin';
import { oauth2TokenEndpoint } from '../../lib/auth/oauth2';
import { createUser } from '../../lib/auth/users';
import { buildLambda, lambdaEsbuildOptions } from '../../scripts/lambda-bundles';
import { freshStores } from '../helpers/local';

let stores: Awaited<ReturnType<typeof freshStores>>;
let outdir: string;
const bundles: Record<string, string> = {};
let client: { clientId: string; clientSecret: string };
let accessToken: string;

const RESULT = '\nRESULT ';
const logsSeen: string[] = [];

/** Runs `handler(event)` of a bundle in a fresh node with a Lambda-like environment; returns what it returned or threw. */
async function invoke(bundle: string, event: unknown): Promise<{ result?: unknown; error?: string }> {
  // The handlers log JSON lines to stdout too; the outcome follows a marker after them.
  const script = `
    const { handler } = require(process.argv[1]);
    handler(JSON.parse(process.argv[2])).then(
      (result) => process.stdout.write(${JSON.stringify(RESULT)} + JSON.stringify({ result })),
      (error) => process.stdout.write(${JSON.stringify(RESULT)} + JSON.stringify({ error: error.message })),
    );`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, bundle, JSON.stringify(event)], {
    env: {
      PATH: process.env.PATH,
      RECORDS_TABLE: stores.tables.records,
      AUTH_TABLE: stores.tables.auth,
      DYNAMODB_ENDPOINT: process.env.TEST_DYNAMODB_ENDPOINT,
      AWS_REGION: 'eu-west-1',
      // As Lambda provides them: the bundle's only credential source (lib/store/lambda-credentials.ts).
      AWS_ACCESS_KEY_ID: 'bundletest',
      AWS_SECRET_ACCESS_KEY: 'bundletest',
      AWS_SESSION_TOKEN: 'bundletest',
    },
  });
  const marker = stdout.lastIndexOf(RESULT);
  logsSeen.push(stdout.slice(0, marker));
  return JSON.parse(stdout.slice(marker + RESULT.length));
}

beforeAll(async () => {
  stores = await freshStores({ demo: true });
  await createUser(stores.auth, { userId: 1, login: 'admin', name: 'Administrator', groups: ['base.group_system'] });
  client = await createClient(stores.auth, undefined, { userId: 1, name: 'bundle test', accessType: 'oauth2' });
  accessToken = (await oauth2TokenEndpoint({ store: stores.auth, accessTokenValidity: 1800 }, new Map(), client)).access_token;
  outdir = await mkdtemp(join(tmpdir(), 'lambda-bundle-test-'));
  const options = lambdaEsbuildOptions();
  for (const name of ['object', 'authorizer', 'token']) bundles[name] = await buildLambda(`handlers/${name}.ts`, outdir, options);
});

afterAll(async () => {
  stores.client.destroy();
  await rm(outdir, { recursive: true, force: true });
});

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:api1234567/prod/PUT/restapi/1.0/object/res.partner';

describe('the Lambda bundles', () => {
  it('object: answers the seed request with the written records', async () => {
    const event = {
      httpMethod: 'PUT',
      path: '/restapi/1.0/object/res.partner',
      pathParameters: { model: 'res.partner' },
      headers: { Accept: '*/*' },
      multiValueQueryStringParameters: { ids: ['17,20'], vals: ["{'street2':'Chung Hsiao East Road'}"] },
      requestContext: { requestId: 'bundle-test', authorizer: { principalId: '1', userId: 1, clientId: client.clientId, groups: 'base.group_system', tokenScopes: '' } },
      body: null,
      isBase64Encoded: false,
    };
    const { result } = (await invoke(bundles.object as string, event)) as { result: { statusCode: number; body: string } };
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body) as { Partner: Array<{ id: number; street2: string; write_uid: unknown }> };
    expect(body.Partner.map((p) => [p.id, p.street2, p.write_uid])).toStrictEqual([
      [17, 'Chung Hsiao East Road', [1, 'Administrator']],
      [20, 'Chung Hsiao East Road', [1, 'Administrator']],
    ]);
  });

  it('authorizer: allows a valid token for the whole stage and refuses a bad one with Unauthorized', async () => {
    const event = (authorization: string) => ({ type: 'REQUEST', methodArn: METHOD_ARN, headers: { Authorization: authorization }, requestContext: { requestId: 'r' } });
    expect(await invoke(bundles.authorizer as string, event(`Bearer ${accessToken}`))).toStrictEqual({
      result: {
        principalId: '1',
        policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:api1234567/prod/*/*' }] },
        context: { userId: 1, clientId: client.clientId, scheme: 'oauth2', tokenScopes: '', groups: 'base.group_system' },
      },
    });
    expect(await invoke(bundles.authorizer as string, event('Bearer nope'))).toStrictEqual({ error: 'Unauthorized' });
  });

  it('token: issues a token for the client credentials', async () => {
    const event = {
      httpMethod: 'POST',
      path: '/restapi/1.0/common/oauth2/access_token',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      multiValueQueryStringParameters: null,
      body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret }).toString(),
      isBase64Encoded: false,
      requestContext: { requestId: 'r' },
    };
    const { result } = (await invoke(bundles.token as string, event)) as { result: { statusCode: number; body: string } };
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ access_token_validity: 1800, token_type: 'Bearer' });
  });

  it('logged what they did, as JSON lines, and never a secret or a token', () => {
    const lines = logsSeen.join('\n').split('\n').filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    // Outside serverless-offline each call also prints its CloudWatch embedded metrics (lib/runtime/metrics.ts).
    const metrics = entries.filter((entry) => '_aws' in entry);
    for (const entry of entries.filter((entry) => !('_aws' in entry))) expect(entry).toMatchObject({ level: expect.any(String), message: expect.any(String) });
    expect(metrics.length).toBeGreaterThan(0);
    for (const entry of metrics) expect(entry).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: 'odoo-rest-lambda' }] }, calls: 1 });
    for (const secret of [accessToken, client.clientSecret]) expect(logsSeen.join('\n')).not.toContain(secret);
  });
});
