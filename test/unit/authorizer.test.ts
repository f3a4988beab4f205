import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { issueClientToken, sha256Hex, type AuthDeps, type AuthStore, type ClientRecord, type TokenRecord } from '../../lib/auth';
import { authorizationHeader, authorizeRequest, stageWildcardArn } from '../../lib/authorizer';
import { AuthenticationRequiredError } from '../../lib/errors';
import { createLogger, type Logger } from '../../lib/log';

/** The AuthStore port, in memory: what the core sees, without DynamoDB. */
class MemoryAuthStore implements AuthStore {
  readonly clients = new Map<string, ClientRecord>();
  readonly tokens = new Map<string, TokenRecord>();

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    return this.clients.get(clientId);
  }

  async putClient(client: ClientRecord): Promise<void> {
    this.clients.set(client.clientId, client);
  }

  async getToken(tokenHash: string): Promise<TokenRecord | undefined> {
    return this.tokens.get(tokenHash);
  }

  async putTokens(tokens: readonly TokenRecord[]): Promise<void> {
    for (const token of tokens) this.tokens.set(token.tokenHash, token);
  }
}

class FailingAuthStore extends MemoryAuthStore {
  override async getToken(): Promise<TokenRecord | undefined> {
    throw new Error('ProvisionedThroughputExceededException: auth table');
  }
}

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/PUT/restapi/1.0/object/res.partner';
const STAGE_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/*';
const NOW_MS = 1_700_000_000_000;
const CLIENT_ID = 'demoClient0123456789abcdefABCDEF';
const CLIENT_SECRET = 'demoSecret0123456789abcdefABCDEF';

function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({}, (line) => lines.push(line)), lines };
}

function authorizerEvent(
  headers: Record<string, string> = {},
  multiValueHeaders: Record<string, string[]> | null = null,
): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    resource: '/restapi/1.0/object/{model}',
    path: '/restapi/1.0/object/res.partner',
    httpMethod: 'PUT',
    headers,
    multiValueHeaders: multiValueHeaders ?? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    pathParameters: { model: 'res.partner' },
    queryStringParameters: { ids: '17,20' },
    multiValueQueryStringParameters: { ids: ['17,20'] },
    stageVariables: null,
    requestContext: { requestId: 'req-1', stage: 'prod' } as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}

/** A store with one client and its freshly issued tokens, and the clock the tokens were issued by. */
async function setup(store: MemoryAuthStore = new MemoryAuthStore()) {
  await store.putClient({ clientId: CLIENT_ID, secretHash: sha256Hex(CLIENT_SECRET), userId: 2, name: 'Demo', accessType: 'oauth2' });
  const clock = { ms: NOW_MS };
  const deps: AuthDeps = { store, accessTokenValidity: 1800, now: () => clock.ms };
  // Tokens are issued through a working store even when the test's store fails on reads.
  const issuer = new MemoryAuthStore();
  await issuer.putClient((await store.getClient(CLIENT_ID)) as ClientRecord);
  const tokens = await issueClientToken({ ...deps, store: issuer }, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, grantType: undefined });
  await store.putTokens([...issuer.tokens.values()]);
  return { deps, clock, tokens };
}

/** Asserts the rejection is exactly `new Error('Unauthorized')`, the text API Gateway maps to 401. */
async function expectUnauthorized(promise: Promise<unknown>): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(Error);
  expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
  expect((error as Error).message).toBe('Unauthorized');
}

describe('authorizer', () => {
  describe('stageWildcardArn', () => {
    it.each<[string, string, string]>([
      ['a method ARN with a path', METHOD_ARN, STAGE_ARN],
      ['a method ARN at the root', 'arn:aws:execute-api:us-east-1:111122223333:api1/dev/GET/', 'arn:aws:execute-api:us-east-1:111122223333:api1/dev/*/*'],
      [
        'a method ARN with a deep path',
        'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/restapi/1.0/object/res.partner/17',
        STAGE_ARN,
      ],
    ])('returns the stage-wide wildcard for %s', (_label, methodArn, expected) => {
      expect(stageWildcardArn(methodArn)).toBe(expected);
    });
  });

  describe('authorizationHeader', () => {
    it.each<[string, Record<string, string>]>([
      ['Authorization', { Authorization: 'Bearer abc' }],
      ['authorization', { authorization: 'Bearer abc' }],
      ['AUTHORIZATION', { AUTHORIZATION: 'Bearer abc' }],
    ])('returns the value of the %s header', (_label, headers) => {
      expect(authorizationHeader(authorizerEvent(headers))).toBe('Bearer abc');
    });

    it('returns the single-value header when there are no multi-value headers', () => {
      const event = { ...authorizerEvent({ Authorization: 'Bearer abc' }), multiValueHeaders: null };
      expect(authorizationHeader(event)).toBe('Bearer abc');
    });

    it('returns undefined when there is no Authorization header', () => {
      expect(authorizationHeader(authorizerEvent({ Accept: 'application/json' }))).toBeUndefined();
    });

    it.each<[string, APIGatewayRequestAuthorizerEvent]>([
      ['one header with two values', authorizerEvent({ Authorization: 'Bearer b' }, { Authorization: ['Bearer a', 'Bearer b'] })],
      ['two headers differing in case', authorizerEvent({ Authorization: 'Bearer a', authorization: 'Bearer b' })],
      ['the same value twice', authorizerEvent({ Authorization: 'Bearer a' }, { Authorization: ['Bearer a', 'Bearer a'] })],
    ])('throws AuthenticationRequiredError for %s', (_label, event) => {
      expect(() => authorizationHeader(event)).toThrow(AuthenticationRequiredError);
    });
  });

  describe('authorizeRequest', () => {
    it('returns an Allow policy for the whole stage and the principal as context', async () => {
      const { deps, tokens } = await setup();
      const { log } = memoryLogger();
      await expect(authorizeRequest(deps, log, authorizerEvent({ Authorization: `Bearer ${tokens.access_token}` }))).resolves.toStrictEqual({
        principalId: '2',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: STAGE_ARN }],
        },
        context: { userId: 2, clientId: CLIENT_ID, scheme: 'oauth2', scopes: '' },
      });
    });

    it('returns the Allow policy for a lower-case authorization header and scheme', async () => {
      const { deps, tokens } = await setup();
      const result = await authorizeRequest(deps, memoryLogger().log, authorizerEvent({ authorization: `bearer ${tokens.access_token}` }));
      expect(result.policyDocument.Statement).toStrictEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: STAGE_ARN }]);
    });

    it.each<[string, (tokens: { access_token: string; refresh_token: string }) => Record<string, string>]>([
      ['there is no Authorization header', () => ({})],
      ['the header is empty', () => ({ Authorization: '' })],
      ['the scheme is Basic', (t) => ({ Authorization: `Basic ${t.access_token}` })],
      ['the token is unknown', () => ({ Authorization: 'Bearer unknownToken0123456789abcdefABC' })],
      ['the token is a refresh token', (t) => ({ Authorization: `Bearer ${t.refresh_token}` })],
      ['the token is malformed', () => ({ Authorization: 'Bearer "quoted"' })],
      ['the token is followed by junk', (t) => ({ Authorization: `Bearer ${t.access_token} junk` })],
      ['the header is huge', () => ({ Authorization: `Bearer ${'a'.repeat(50_000)}` })],
    ])('throws exactly Error("Unauthorized") when %s', async (_label, headers) => {
      const { deps, tokens } = await setup();
      await expectUnauthorized(authorizeRequest(deps, memoryLogger().log, authorizerEvent(headers(tokens))));
    });

    it('throws exactly Error("Unauthorized") when the token has expired', async () => {
      const { deps, clock, tokens } = await setup();
      clock.ms = NOW_MS + 1800 * 1000;
      await expectUnauthorized(authorizeRequest(deps, memoryLogger().log, authorizerEvent({ Authorization: `Bearer ${tokens.access_token}` })));
    });

    it('throws exactly Error("Unauthorized") when two Authorization headers are sent, even if one is valid', async () => {
      const { deps, tokens } = await setup();
      const valid = `Bearer ${tokens.access_token}`;
      await expectUnauthorized(authorizeRequest(deps, memoryLogger().log, authorizerEvent({ Authorization: valid }, { Authorization: [valid, 'Bearer other'] })));
      await expectUnauthorized(authorizeRequest(deps, memoryLogger().log, authorizerEvent({ Authorization: valid, authorization: valid })));
    });

    it('throws exactly Error("Unauthorized") when the store throws, and logs the failure as an error', async () => {
      const { deps, tokens } = await setup(new FailingAuthStore());
      const { log, lines } = memoryLogger();
      await expectUnauthorized(authorizeRequest(deps, log, authorizerEvent({ Authorization: `Bearer ${tokens.access_token}` })));
      const logged = lines.map((line) => JSON.parse(line) as { level: string });
      expect(logged.some((entry) => entry.level === 'error')).toBe(true);
    });

    it('never writes the presented token to the log', async () => {
      const { deps, tokens } = await setup();
      const { log, lines } = memoryLogger();
      await authorizeRequest(deps, log, authorizerEvent({ Authorization: `Bearer ${tokens.access_token}` }));
      await expectUnauthorized(authorizeRequest(deps, log, authorizerEvent({ Authorization: `Bearer ${tokens.refresh_token}` })));
      const failing = await setup(new FailingAuthStore());
      await expectUnauthorized(authorizeRequest(failing.deps, log, authorizerEvent({ Authorization: `Bearer ${failing.tokens.access_token}` })));
      const text = lines.join('\n');
      expect(text).not.toContain(tokens.access_token);
      expect(text).not.toContain(tokens.refresh_token);
      expect(text).not.toContain(failing.tokens.access_token);
    });
  });
});
