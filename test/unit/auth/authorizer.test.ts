import { createHmac, randomBytes } from 'node:crypto';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import OAuth from 'oauth-1.0a';
import { createClient, revokeClient } from '../../../lib/auth/admin';
import { clientFromItem, clientKey, clientToItem, randomToken, sha256Hex, type AuthItem, type AuthKey, type ClientRecord } from '../../../lib/auth/credentials';
import { authorizationHeader, authorizeRequest, type AuthorizerDeps } from '../../../lib/auth/authorizer';
import { AuthenticationRequiredError } from '../../../lib/errors';
import { keyRingFrom, type KeyRing } from '../../../lib/auth/keys';
import { createLogger, type Logger } from '../../../lib/runtime/log';
import { issueOAuth1AccessToken } from '../../../lib/auth/oauth1/flow';
import { basicTokenEndpoint, oauth2TokenEndpoint, revokeToken, tokenKey, type TokenDeps } from '../../../lib/auth/oauth2';
import { createUser, updateUser } from '../../../lib/auth/users';
import { MemoryAuthStore } from '../../helpers/memory-auth-store';
import { runAuthorizer, stageWildcardArn, toAuthorizerRequest } from '../../../lib/http';

/** The authorizer as its handler runs it: API Gateway's event in, its policy (or `Unauthorized`) out. */
const authorizeEvent = (deps: AuthorizerDeps, log: Logger, event: APIGatewayRequestAuthorizerEvent) =>
  runAuthorizer(event, (request) => authorizeRequest(deps, log, request));

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/PUT/restapi/1.0/object/res.partner';
const STAGE_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/*';
const PATH = '/restapi/1.0/object/res.partner';
const GROUPS = ['base.group_user', 'base.group_partner_manager'];
const TIMESTAMP_WINDOW = 300;

/** The store fails the way an unreachable DynamoDB would. */
class FailingAuthStore extends MemoryAuthStore {
  failing = false;

  override async get(key: AuthKey): Promise<AuthItem | undefined> {
    if (this.failing) throw new Error('ProvisionedThroughputExceededException: auth table');
    return super.get(key);
  }

  override async getMany(keys: readonly AuthKey[]): Promise<(AuthItem | undefined)[]> {
    if (this.failing) throw new Error('ProvisionedThroughputExceededException: auth table');
    return super.getMany(keys);
  }
}

/** Every log line of the test, and every credential the test handled: none may appear in a line. */
let lines: string[] = [];
let sensitive: string[] = [];
let log: Logger;

beforeEach(() => {
  lines = [];
  sensitive = [];
  log = createLogger({}, (line) => lines.push(line));
});

afterEach(() => {
  const text = lines.join('\n');
  for (const value of sensitive) expect(text.includes(value)).toBe(false);
});

function secret<T extends string>(value: T): T {
  sensitive.push(value);
  return value;
}

/** The domain API Gateway reports in these events (requestContext.domainName). */
const DOMAIN = 'api.test';

function authorizerEvent(
  headers: Record<string, string> = {},
  options: { multiValueHeaders?: Record<string, string[]> | null; method?: string; query?: Record<string, string[]>; domainName?: string } = {},
): APIGatewayRequestAuthorizerEvent {
  const query = options.query ?? { ids: ['17'] };
  return {
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    resource: '/restapi/1.0/object/{model}',
    path: PATH,
    httpMethod: options.method ?? 'PUT',
    headers,
    multiValueHeaders: options.multiValueHeaders === undefined ? Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])) : options.multiValueHeaders,
    pathParameters: { model: 'res.partner' },
    queryStringParameters: Object.fromEntries(Object.entries(query).map(([name, values]) => [name, values[values.length - 1] as string])),
    multiValueQueryStringParameters: query,
    stageVariables: null,
    requestContext: { requestId: 'req-1', stage: 'prod', path: PATH, domainName: options.domainName ?? DOMAIN } as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}

async function setup(store: MemoryAuthStore = new MemoryAuthStore()) {
  const clock = { ms: Date.now() };
  const now = () => clock.ms;
  const keys: KeyRing = keyRingFrom(randomBytes(32));
  const tokens: TokenDeps = { store, accessTokenValidity: 1800, now };
  const deps: AuthorizerDeps = {
    store,
    tokens,
    oauth1: { store, keys: async () => keys, publicOrigin: undefined, timestampWindow: TIMESTAMP_WINDOW, now },
  };
  const user = await createUser(store, { userId: 7, login: 'jane', name: 'Jane', groups: GROUPS });
  const app = await createClient(store, undefined, { userId: 7, name: 'App', accessType: 'oauth2' });
  const basicApp = await createClient(store, undefined, { userId: 7, name: 'Basic app', accessType: 'basic' });
  const consumer = await createClient(store, keys, { userId: 7, name: 'Legacy app', accessType: 'oauth1' });
  const bearer = await oauth2TokenEndpoint(tokens, new Map([['scope', 'res.partner:read']]), app);
  const basic = await basicTokenEndpoint(tokens, new Map(), basicApp);
  const consumerRecord = clientFromItem(await store.get(clientKey(consumer.clientId)));
  if (!consumerRecord) throw new Error('the OAuth 1.0a client was not stored');
  const oauth1Token = await issueOAuth1AccessToken(store, keys, consumerRecord, 7, now);
  for (const value of [app.clientSecret, basicApp.clientSecret, consumer.clientSecret, bearer.access_token, String(bearer.refresh_token), basic.access_token, oauth1Token.oauth_token_secret]) {
    secret(value);
  }
  return { store, clock, keys, deps, user, app, basicApp, consumer, bearer, basic, oauth1Token };
}

type Setup = Awaited<ReturnType<typeof setup>>;

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

function allowed(principalId: string, context: Record<string, string | number>) {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: STAGE_ARN }] },
    context,
  };
}

/**
 * An OAuth 1.0a signed GET of /restapi/1.0/object/res.partner?ids=17, as the oauth-1.0a client makes
 * it: signed for `signedFor` (by default https://api.test, the domain API Gateway reports), sent
 * with `headers` (by default Host: api.test) and the event's domain name `domainName`.
 */
function signedOAuth1Event(
  s: Setup,
  options: { timestamp?: number; signedFor?: string; headers?: Record<string, string>; domainName?: string; method?: 'HMAC-SHA1' | 'PLAINTEXT' } = {},
): APIGatewayRequestAuthorizerEvent {
  const client = new OAuth({
    consumer: { key: s.consumer.clientId, secret: s.consumer.clientSecret },
    signature_method: options.method ?? 'HMAC-SHA1',
    ...(options.method === 'PLAINTEXT' ? {} : { hash_function: (base: string, key: string) => createHmac('sha1', key).update(base).digest('base64') }),
  });
  if (options.timestamp !== undefined) {
    const timestamp = options.timestamp;
    client.getTimeStamp = () => timestamp;
  }
  const data = client.authorize({ url: `${options.signedFor ?? `https://${DOMAIN}`}${PATH}?ids=17`, method: 'GET' }, { key: s.oauth1Token.oauth_token, secret: s.oauth1Token.oauth_token_secret });
  const header = client.toHeader(data).Authorization;
  secret(data.oauth_signature);
  secret(encodeURIComponent(data.oauth_signature));
  secret(header);
  return authorizerEvent({ Authorization: header, ...(options.headers ?? { Host: DOMAIN }) }, { method: 'GET', query: { ids: ['17'] }, ...(options.domainName ? { domainName: options.domainName } : {}) });
}

describe('stageWildcardArn', () => {
  it.each<[string, string, string]>([
    ['a method ARN with a path', METHOD_ARN, STAGE_ARN],
    ['a method ARN at the root', 'arn:aws:execute-api:us-east-1:111122223333:api1/dev/GET/', 'arn:aws:execute-api:us-east-1:111122223333:api1/dev/*/*'],
    ['a method ARN with a deep path', 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/restapi/1.0/object/res.partner/17', STAGE_ARN],
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
    expect(authorizationHeader(toAuthorizerRequest(authorizerEvent(headers)))).toBe('Bearer abc');
  });

  it('returns the single-value header when there are no multi-value headers', () => {
    expect(authorizationHeader(toAuthorizerRequest(authorizerEvent({ Authorization: 'Bearer abc' }, { multiValueHeaders: null })))).toBe('Bearer abc');
  });

  it('returns undefined when there is no Authorization header', () => {
    expect(authorizationHeader(toAuthorizerRequest(authorizerEvent({ Accept: 'application/json' })))).toBeUndefined();
  });

  it.each<[string, APIGatewayRequestAuthorizerEvent]>([
    ['one header with two values', authorizerEvent({ Authorization: 'Bearer b' }, { multiValueHeaders: { Authorization: ['Bearer a', 'Bearer b'] } })],
    ['two headers differing in case', authorizerEvent({ Authorization: 'Bearer a', authorization: 'Bearer b' }, { multiValueHeaders: null })],
    ['the same value twice', authorizerEvent({ Authorization: 'Bearer a' }, { multiValueHeaders: { Authorization: ['Bearer a', 'Bearer a'] } })],
  ])('throws AuthenticationRequiredError for %s', (_label, event) => {
    expect(() => authorizationHeader(toAuthorizerRequest(event))).toThrow(AuthenticationRequiredError);
  });
});

describe('authorizeRequest: Bearer and Basic tokens', () => {
  it('allows a Bearer token for the whole stage, with the user, client, scheme, token scopes (tokenScopes) and groups as context', async () => {
    const s = await setup();
    await expect(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Bearer ${s.bearer.access_token}` }))).resolves.toStrictEqual(
      allowed('7', { userId: 7, clientId: s.app.clientId, scheme: 'oauth2', tokenScopes: 'res.partner:read', groups: GROUPS.join(',') }),
    );
  });

  it('allows a lower-case authorization header and scheme', async () => {
    const s = await setup();
    await expect(authorizeEvent(s.deps, log, authorizerEvent({ authorization: `bearer ${s.bearer.access_token}` }))).resolves.toMatchObject({ principalId: '7' });
  });

  it('allows a Basic token with the scheme basic', async () => {
    const s = await setup();
    await expect(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Basic ${s.basic.access_token}` }))).resolves.toStrictEqual(
      allowed('7', { userId: 7, clientId: s.basicApp.clientId, scheme: 'basic', tokenScopes: '', groups: GROUPS.join(',') }),
    );
  });

  it('passes an empty group list for a user without groups', async () => {
    const s = await setup();
    await updateUser(s.store, { ...s.user, groups: [] });
    const result = await authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Bearer ${s.bearer.access_token}` }));
    expect(result.context).toMatchObject({ groups: '' });
  });

  it.each<[string, (s: Setup) => Record<string, string>]>([
    ['there is no Authorization header', () => ({})],
    ['the header is empty', () => ({ Authorization: '' })],
    ['the scheme is unknown', (s) => ({ Authorization: `Token ${s.bearer.access_token}` })],
    ['the scheme is Digest', () => ({ Authorization: 'Digest username="jane"' })],
    ['a Bearer token is sent as Basic', (s) => ({ Authorization: `Basic ${s.bearer.access_token}` })],
    ['a Basic token is sent as Bearer', (s) => ({ Authorization: `Bearer ${s.basic.access_token}` })],
    ['the token is unknown', () => ({ Authorization: 'Bearer unknownToken0123456789abcdefABC' })],
    ['the token is a refresh token', (s) => ({ Authorization: `Bearer ${String(s.bearer.refresh_token)}` })],
    ['the token is the client secret', (s) => ({ Authorization: `Bearer ${s.app.clientSecret}` })],
    ['the token is malformed', () => ({ Authorization: 'Bearer "quoted"' })],
    ['the token is followed by junk', (s) => ({ Authorization: `Bearer ${s.bearer.access_token} junk` })],
    ['the header is huge', () => ({ Authorization: `Bearer ${'a'.repeat(50_000)}` })],
    ['the header is base64(user:password) as a browser sends it', () => ({ Authorization: `Basic ${Buffer.from('jane:pw').toString('base64')}` })],
  ])('refuses with exactly Error("Unauthorized") when %s', async (_label, headers) => {
    const s = await setup();
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent(headers(s))));
  });

  it('refuses two Authorization headers, even when one is valid', async () => {
    const s = await setup();
    const valid = `Bearer ${s.bearer.access_token}`;
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: valid }, { multiValueHeaders: { Authorization: [valid, 'Bearer other'] } })));
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: valid, authorization: valid }, { multiValueHeaders: null })));
  });

  it('refuses a token once it has expired', async () => {
    const s = await setup();
    s.clock.ms += 1799 * 1000;
    await expect(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Bearer ${s.bearer.access_token}` }))).resolves.toMatchObject({ principalId: '7' });
    s.clock.ms += 1000;
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Bearer ${s.bearer.access_token}` })));
  });

  it('refuses the token of an archived user', async () => {
    const s = await setup();
    await updateUser(s.store, { ...s.user, active: false });
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Bearer ${s.bearer.access_token}` })));
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Basic ${s.basic.access_token}` })));
  });

  it('refuses the token of a user who no longer exists', async () => {
    const s = await setup();
    await s.store.delete({ kind: 'USER', id: '7' });
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Bearer ${s.bearer.access_token}` })));
  });

  it("refuses the tokens of a revoked (deleted) client at once, and only that client's", async () => {
    const s = await setup();
    await revokeClient(s.store, s.app.clientId);
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Bearer ${s.bearer.access_token}` })));
    await expect(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Basic ${s.basic.access_token}` }))).resolves.toMatchObject({ principalId: '7' });
  });

  it('refuses a token whose client now acts for another user', async () => {
    const s = await setup();
    const client = clientFromItem(await s.store.get(clientKey(s.app.clientId))) as ClientRecord;
    await s.store.put(clientKey(s.app.clientId), clientToItem({ ...client, userId: 8 }));
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Bearer ${s.bearer.access_token}` })));
  });

  it('refuses with exactly Error("Unauthorized") when the store fails, and logs the failure as an error', async () => {
    const store = new FailingAuthStore();
    const s = await setup(store);
    store.failing = true;
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Bearer ${s.bearer.access_token}` })));
    const logged = lines.map((line) => JSON.parse(line) as { level: string; error?: string });
    expect(logged.some((entry) => entry.level === 'error' && entry.error?.includes('ProvisionedThroughputExceededException'))).toBe(true);
  });

  it('logs why a request was refused, without the credentials', async () => {
    const s = await setup();
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Bearer ${String(s.bearer.refresh_token)}` })));
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Basic ${s.bearer.access_token}` })));
    await authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Bearer ${s.bearer.access_token}` }));
    const refusals = lines.map((line) => JSON.parse(line) as { level: string; message: string; reason?: string; requestId?: string }).filter((entry) => entry.message === 'unauthorized');
    expect(refusals).toHaveLength(2);
    for (const entry of refusals) {
      expect(entry).toMatchObject({ level: 'info', requestId: 'req-1' });
      expect(typeof entry.reason).toBe('string');
    }
    // afterEach checks that none of the tokens and secrets is in any line.
  });
});

describe('authorizeRequest: opaque tokens in one store read', () => {
  const bearerEvent = (token: string) => authorizerEvent({ Authorization: `Bearer ${token}` });

  /** The store reads one authorization makes: [getMany calls, get calls]. */
  async function readsOf(s: Setup, header: string): Promise<[number, number]> {
    const getMany = jest.spyOn(s.store, 'getMany');
    const get = jest.spyOn(s.store, 'get');
    await authorizeEvent(s.deps, log, authorizerEvent({ Authorization: header })).catch(() => undefined);
    const reads: [number, number] = [getMany.mock.calls.length, get.mock.calls.length];
    getMany.mockRestore();
    get.mockRestore();
    return reads;
  }

  /** An access token stored as tokens were before they named their client and user: 32 random characters. */
  async function legacyToken(s: Setup, scheme: 'oauth2' | 'basic', clientId: string): Promise<string> {
    const token = secret(randomToken());
    const expiresAt = Math.floor(s.clock.ms / 1000) + 1800;
    await s.store.put(tokenKey(sha256Hex(token)), { kind: 'access', scheme, clientId, userId: 7, scopes: '', expiresAt });
    return token;
  }

  it('reads the token, its client and its user in one getMany for a Bearer and a Basic token', async () => {
    const s = await setup();
    const getMany = jest.spyOn(s.store, 'getMany');
    await expect(authorizeEvent(s.deps, log, bearerEvent(s.bearer.access_token))).resolves.toMatchObject({ principalId: '7' });
    expect(getMany.mock.calls[0]?.[0]).toStrictEqual([tokenKey(sha256Hex(s.bearer.access_token)), { kind: 'USER', id: '7' }, clientKey(s.app.clientId)]);
    getMany.mockRestore();
    expect(await readsOf(s, `Bearer ${s.bearer.access_token}`)).toStrictEqual([1, 0]);
    expect(await readsOf(s, `Basic ${s.basic.access_token}`)).toStrictEqual([1, 0]);
  });

  it('still allows a token issued before the format (no names), with the token read first, then user and client', async () => {
    const s = await setup();
    const bearer = await legacyToken(s, 'oauth2', s.app.clientId);
    const basic = await legacyToken(s, 'basic', s.basicApp.clientId);
    await expect(authorizeEvent(s.deps, log, bearerEvent(bearer))).resolves.toMatchObject({ principalId: '7', context: { clientId: s.app.clientId, scheme: 'oauth2' } });
    await expect(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Basic ${basic}` }))).resolves.toMatchObject({ context: { scheme: 'basic' } });
    expect(await readsOf(s, `Bearer ${bearer}`)).toStrictEqual([1, 1]);
  });

  it('refuses a token whose prefix names another client or user: the hash of the whole token decides', async () => {
    const s = await setup();
    const [, clientId, , random] = s.bearer.access_token.split('.') as [string, string, string, string];
    for (const forged of [`t1.${s.basicApp.clientId}.7.${random}`, `t1.${clientId}.8.${random}`, random]) {
      await expectUnauthorized(authorizeEvent(s.deps, log, bearerEvent(forged)));
    }
  });

  it('refuses a stored token whose item names another client or user than its prefix', async () => {
    const s = await setup();
    await createUser(s.store, { userId: 8, login: 'joe', name: 'Joe', groups: GROUPS });
    const expiresAt = Math.floor(s.clock.ms / 1000) + 1800;
    // Stored under the hash of the token with the prefix, but naming someone else: never issued, refused all the same.
    const otherUser = secret(`t1.${s.app.clientId}.8.${randomToken()}`);
    await s.store.put(tokenKey(sha256Hex(otherUser)), { kind: 'access', scheme: 'oauth2', clientId: s.app.clientId, userId: 7, scopes: '', expiresAt });
    const otherClient = secret(`t1.${s.basicApp.clientId}.7.${randomToken()}`);
    await s.store.put(tokenKey(sha256Hex(otherClient)), { kind: 'access', scheme: 'oauth2', clientId: s.app.clientId, userId: 7, scopes: '', expiresAt });
    await expectUnauthorized(authorizeEvent(s.deps, log, bearerEvent(otherUser)));
    await expectUnauthorized(authorizeEvent(s.deps, log, bearerEvent(otherClient)));
  });

  it('refuses an access token at once once revoked by RFC 7009 (the client revokes it)', async () => {
    const s = await setup();
    await expect(authorizeEvent(s.deps, log, bearerEvent(s.bearer.access_token))).resolves.toMatchObject({ principalId: '7' });
    await revokeToken(s.deps.tokens, new Map([['token', s.bearer.access_token]]), s.app);
    await expectUnauthorized(authorizeEvent(s.deps, log, bearerEvent(s.bearer.access_token)));
    await revokeToken(s.deps.tokens, new Map([['token', s.basic.access_token]]), s.basicApp);
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Basic ${s.basic.access_token}` })));
  });

  it('refuses every access token of a grant at once when its refresh token is revoked (the family)', async () => {
    const s = await setup();
    const renewed = await oauth2TokenEndpoint(s.deps.tokens, new Map([['grant_type', 'refresh_token'], ['refresh_token', String(s.bearer.refresh_token)]]), s.app);
    secret(renewed.access_token);
    secret(String(renewed.refresh_token));
    await expect(authorizeEvent(s.deps, log, bearerEvent(renewed.access_token))).resolves.toMatchObject({ principalId: '7' });
    await revokeToken(s.deps.tokens, new Map([['token', String(renewed.refresh_token)]]), s.app);
    await expectUnauthorized(authorizeEvent(s.deps, log, bearerEvent(renewed.access_token)));
    await expectUnauthorized(authorizeEvent(s.deps, log, bearerEvent(s.bearer.access_token)));
  });

  it('refuses every access token of a grant at once when a rotated refresh token comes back (reuse)', async () => {
    const s = await setup();
    const renew = (refreshToken: string) => oauth2TokenEndpoint(s.deps.tokens, new Map([['grant_type', 'refresh_token'], ['refresh_token', refreshToken]]), s.app);
    const renewed = await renew(String(s.bearer.refresh_token));
    secret(renewed.access_token);
    secret(String(renewed.refresh_token));
    await expect(renew(String(s.bearer.refresh_token))).rejects.toThrow('Invalid Refresh Token.');
    await expectUnauthorized(authorizeEvent(s.deps, log, bearerEvent(renewed.access_token)));
  });

  it('refuses the tokens of a revoked client, and of an archived user, at once, legacy tokens too', async () => {
    const s = await setup();
    const legacy = await legacyToken(s, 'basic', s.basicApp.clientId);
    await revokeClient(s.store, s.app.clientId);
    await expectUnauthorized(authorizeEvent(s.deps, log, bearerEvent(s.bearer.access_token)));
    await expect(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Basic ${s.basic.access_token}` }))).resolves.toMatchObject({ principalId: '7' });
    await updateUser(s.store, { ...s.user, active: false });
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Basic ${s.basic.access_token}` })));
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Basic ${legacy}` })));
  });

  it('refuses a token of one scheme sent as the other, and an expired one, in the one-read path', async () => {
    const s = await setup();
    await expectUnauthorized(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Basic ${s.bearer.access_token}` })));
    await expectUnauthorized(authorizeEvent(s.deps, log, bearerEvent(s.basic.access_token)));
    s.clock.ms += 1800 * 1000;
    await expectUnauthorized(authorizeEvent(s.deps, log, bearerEvent(s.bearer.access_token)));
  });
});

describe('authorizeRequest: JWT access tokens (ACCESS_TOKEN_FORMAT=jwt)', () => {
  /** The setup with the token endpoint and the authorizer in JWT mode, and a JWT issued to the OAuth 2 client. */
  async function jwtSetup() {
    const s = await setup();
    const tokens: TokenDeps = { ...s.deps.tokens, accessTokenFormat: 'jwt', keys: async () => s.keys };
    const deps: AuthorizerDeps = { ...s.deps, tokens };
    const jwt = (await oauth2TokenEndpoint(tokens, new Map([['scope', 'res.partner:read']]), s.app)).access_token;
    const bearer = () => authorizerEvent({ Authorization: `Bearer ${secret(jwt)}` });
    return { ...s, deps, jwt, bearer };
  }

  it('allows a JWT with the scheme jwt, the user, client and scopes it names', async () => {
    const s = await jwtSetup();
    expect(s.jwt.split('.')).toHaveLength(3);
    await expect(authorizeEvent(s.deps, log, s.bearer())).resolves.toStrictEqual(
      allowed('7', { userId: 7, clientId: s.app.clientId, scheme: 'jwt', tokenScopes: 'res.partner:read', groups: GROUPS.join(',') }),
    );
  });

  it("refuses the JWTs of a revoked (deleted) client at once, before they expire, and only that client's", async () => {
    const s = await jwtSetup();
    await revokeClient(s.store, s.app.clientId);
    await expectUnauthorized(authorizeEvent(s.deps, log, s.bearer()));
    await expect(authorizeEvent(s.deps, log, authorizerEvent({ Authorization: `Basic ${s.basic.access_token}` }))).resolves.toMatchObject({ principalId: '7' });
  });

  it('refuses the JWT of a user archived, or deleted, since it was issued', async () => {
    const archived = await jwtSetup();
    await updateUser(archived.store, { ...archived.user, active: false });
    await expectUnauthorized(authorizeEvent(archived.deps, log, archived.bearer()));

    const deleted = await jwtSetup();
    await deleted.store.delete({ kind: 'USER', id: '7' });
    await expectUnauthorized(authorizeEvent(deleted.deps, log, deleted.bearer()));
  });

  it('refuses a JWT whose client now acts for another user', async () => {
    const s = await jwtSetup();
    const client = clientFromItem(await s.store.get(clientKey(s.app.clientId))) as ClientRecord;
    await s.store.put(clientKey(s.app.clientId), clientToItem({ ...client, userId: 8 }));
    await expectUnauthorized(authorizeEvent(s.deps, log, s.bearer()));
  });

  it("passes the user's groups as they are now, not as the token was issued with", async () => {
    const s = await jwtSetup();
    await updateUser(s.store, { ...s.user, groups: ['base.group_user'] });
    await expect(authorizeEvent(s.deps, log, s.bearer())).resolves.toMatchObject({ context: { scheme: 'jwt', groups: 'base.group_user' } });
  });

  it('checks user and client in one store read (getMany), as the opaque path does after its token read', async () => {
    const s = await jwtSetup();
    const getMany = jest.spyOn(s.store, 'getMany');
    const get = jest.spyOn(s.store, 'get');
    await authorizeEvent(s.deps, log, s.bearer());
    expect([getMany.mock.calls.length, get.mock.calls.length]).toStrictEqual([1, 0]);
  });
});

describe('authorizeRequest: OAuth 1.0a', () => {
  it('allows a request signed by the oauth-1.0a client library, with the scheme oauth1', async () => {
    const s = await setup();
    await expect(authorizeEvent(s.deps, log, signedOAuth1Event(s))).resolves.toStrictEqual(
      allowed('7', { userId: 7, clientId: s.consumer.clientId, scheme: 'oauth1', tokenScopes: '', groups: GROUPS.join(',') }),
    );
  });

  it('refuses the same signed request a second time (nonce replay)', async () => {
    const s = await setup();
    const event = signedOAuth1Event(s);
    await expect(authorizeEvent(s.deps, log, event)).resolves.toMatchObject({ principalId: '7' });
    await expectUnauthorized(authorizeEvent(s.deps, log, event));
  });

  it.each<[string, (event: APIGatewayRequestAuthorizerEvent) => APIGatewayRequestAuthorizerEvent]>([
    ['a tampered query value', (event) => ({ ...event, multiValueQueryStringParameters: { ids: ['18'] }, queryStringParameters: { ids: '18' } })],
    ['an added query parameter', (event) => ({ ...event, multiValueQueryStringParameters: { ids: ['17'], fields: ["['name']"] } })],
    ['another method', (event) => ({ ...event, httpMethod: 'DELETE' })],
    ['another path', (event) => ({ ...event, path: '/restapi/1.0/object/res.users', requestContext: { ...event.requestContext, path: '/restapi/1.0/object/res.users' } })],
    ['another domain, as API Gateway reports it', (event) => ({ ...event, requestContext: { ...event.requestContext, domainName: 'evil.test' } })],
    ['no domain reported by API Gateway', (event) => ({ ...event, requestContext: { ...event.requestContext, domainName: undefined } })],
  ])('refuses a signed request with %s', async (_label, tamper) => {
    const s = await setup();
    await expectUnauthorized(authorizeEvent(s.deps, log, tamper(signedOAuth1Event(s))));
  });

  // Issue 15 §6.1: the origin a signature is checked for comes from configuration or API Gateway, never from a client header.
  it('refuses a request signed for another server sharing the consumer, whatever Host and X-Forwarded-* it sends', async () => {
    const s = await setup();
    const spoofed = { Host: 'other.example', 'X-Forwarded-Host': 'other.example', 'X-Forwarded-Proto': 'https' };
    await expectUnauthorized(authorizeEvent(s.deps, log, signedOAuth1Event(s, { signedFor: 'https://other.example', headers: spoofed })));
    await expectUnauthorized(authorizeEvent(s.deps, log, signedOAuth1Event(s, { signedFor: 'http://other.example', headers: { Host: 'other.example' } })));
  });

  it('accepts PLAINTEXT behind API Gateway, which answers over https only', async () => {
    const s = await setup();
    await expect(authorizeEvent(s.deps, log, signedOAuth1Event(s, { method: 'PLAINTEXT' }))).resolves.toMatchObject({ principalId: '7', context: { scheme: 'oauth1' } });
  });

  describe('under serverless-offline (IS_OFFLINE: http, the Host header)', () => {
    const PLACEHOLDER = 'random-api-id.execute-api.us-east-1.amazonaws.com';
    const offline = (s: Setup): AuthorizerDeps => ({ ...s.deps, oauth1: { ...s.deps.oauth1, gatewayEmulated: true } });

    it('allows a request signed for http://127.0.0.1:PORT, as npm start serves it', async () => {
      const s = await setup();
      const event = signedOAuth1Event(s, { signedFor: 'http://127.0.0.1:3000', headers: { Host: '127.0.0.1:3000' }, domainName: PLACEHOLDER });
      await expect(authorizeEvent(offline(s), log, event)).resolves.toMatchObject({ principalId: '7', context: { scheme: 'oauth1' } });
    });

    it('refuses PLAINTEXT over its http, even with X-Forwarded-Proto: https', async () => {
      const s = await setup();
      const headers = { Host: '127.0.0.1:3000', 'X-Forwarded-Proto': 'https' };
      await expectUnauthorized(authorizeEvent(offline(s), log, signedOAuth1Event(s, { method: 'PLAINTEXT', signedFor: 'https://127.0.0.1:3000', headers, domainName: PLACEHOLDER })));
      await expectUnauthorized(authorizeEvent(offline(s), log, signedOAuth1Event(s, { method: 'PLAINTEXT', signedFor: 'http://127.0.0.1:3000', headers, domainName: PLACEHOLDER })));
    });
  });

  describe('with a trusted proxy in front (TRUSTED_PROXY)', () => {
    const proxied = (s: Setup): AuthorizerDeps => ({ ...s.deps, oauth1: { ...s.deps.oauth1, trustedProxy: true } });

    it("allows a request signed for the origin the proxy names, by the last element of each header (the proxy's own)", async () => {
      const s = await setup();
      const headers = { Host: DOMAIN, 'X-Forwarded-Host': 'spoofed.example, api.example.com', 'X-Forwarded-Proto': 'https' };
      await expect(authorizeEvent(proxied(s), log, signedOAuth1Event(s, { signedFor: 'https://api.example.com', headers }))).resolves.toMatchObject({ principalId: '7' });
    });

    it('refuses one signed for the origin a client put before it', async () => {
      const s = await setup();
      const headers = { Host: DOMAIN, 'X-Forwarded-Host': 'spoofed.example, api.example.com', 'X-Forwarded-Proto': 'https' };
      await expectUnauthorized(authorizeEvent(proxied(s), log, signedOAuth1Event(s, { signedFor: 'https://spoofed.example', headers })));
    });
  });

  it('refuses a signature made with a timestamp 10 minutes old', async () => {
    const s = await setup();
    const event = signedOAuth1Event(s, { timestamp: Math.floor(s.clock.ms / 1000) - 600 });
    await expectUnauthorized(authorizeEvent(s.deps, log, event));
  });

  it('refuses a fresh signature once the server clock is 10 minutes later', async () => {
    const s = await setup();
    const event = signedOAuth1Event(s);
    s.clock.ms += 600 * 1000;
    await expectUnauthorized(authorizeEvent(s.deps, log, event));
  });

  it('refuses a signed request from a revoked consumer, or for an archived user', async () => {
    const revoked = await setup();
    await revokeClient(revoked.store, revoked.consumer.clientId);
    await expectUnauthorized(authorizeEvent(revoked.deps, log, signedOAuth1Event(revoked)));

    const archived = await setup();
    await updateUser(archived.store, { ...archived.user, active: false });
    await expectUnauthorized(authorizeEvent(archived.deps, log, signedOAuth1Event(archived)));
  });

  it('refuses with exactly Error("Unauthorized") when the key ring cannot be loaded', async () => {
    const s = await setup();
    const deps: AuthorizerDeps = { ...s.deps, oauth1: { ...s.deps.oauth1, keys: async () => Promise.reject(new Error('KMS unavailable')) } };
    await expectUnauthorized(authorizeEvent(deps, log, signedOAuth1Event(s)));
  });

  it('refuses with exactly Error("Unauthorized") when the store fails during an OAuth 1.0a check', async () => {
    const store = new FailingAuthStore();
    const s = await setup(store);
    const event = signedOAuth1Event(s);
    store.failing = true;
    await expectUnauthorized(authorizeEvent(s.deps, log, event));
  });

  /** A PUT with a form body, signed (header) over its fields as RFC 5849 §3.4.1.3.1 says; the authorizer sees no body. */
  function signedFormEvent(s: Setup, options: { consumerSecret?: string; token?: string; timestamp?: number; headers?: Record<string, string> } = {}) {
    const client = new OAuth({
      consumer: { key: s.consumer.clientId, secret: options.consumerSecret ?? s.consumer.clientSecret },
      signature_method: 'HMAC-SHA1',
      hash_function: (base: string, key: string) => createHmac('sha1', key).update(base).digest('base64'),
    });
    if (options.timestamp !== undefined) {
      const timestamp = options.timestamp;
      client.getTimeStamp = () => timestamp;
    }
    const data = { ids: '17', vals: "{'street2': 'Form'}" };
    const signed = client.authorize({ url: `https://${DOMAIN}${PATH}`, method: 'PUT', data }, { key: options.token ?? s.oauth1Token.oauth_token, secret: s.oauth1Token.oauth_token_secret });
    const header = client.toHeader(signed).Authorization;
    secret(signed.oauth_signature);
    secret(encodeURIComponent(signed.oauth_signature));
    secret(header);
    return {
      nonce: signed.oauth_nonce,
      timestamp: signed.oauth_timestamp,
      event: authorizerEvent(
        { Authorization: header, Host: DOMAIN, ...(options.headers ?? { 'Content-Type': 'application/x-www-form-urlencoded' }) },
        { method: 'PUT', query: {} },
      ),
    };
  }

  const nonceItems = (s: Setup) => s.store.list('NONCE');

  it('lets a signed form-body request through marked pending, with its caller, and records no nonce', async () => {
    const s = await setup();
    const { event } = signedFormEvent(s);
    await expect(authorizeEvent(s.deps, log, event)).resolves.toStrictEqual(
      allowed('7', { userId: 7, clientId: s.consumer.clientId, scheme: 'oauth1', tokenScopes: '', groups: GROUPS.join(','), oauth1Signature: 'pending' }),
    );
    // The object function records it once it has checked the signature over the body.
    await expect(nonceItems(s)).resolves.toStrictEqual([]);
  });

  it('marks pending whatever the Content-Length (none, chunked or 0), by the Content-Type alone, any of several', async () => {
    const s = await setup();
    for (const headers of [
      { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'Content-Length': '27' } as Record<string, string>,
      { 'Content-Type': 'Application/X-WWW-Form-Urlencoded', 'Transfer-Encoding': 'chunked' },
      { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '0' },
    ]) {
      const result = await authorizeEvent(s.deps, log, signedFormEvent(s, { headers }).event);
      expect([headers, result.context?.oauth1Signature]).toStrictEqual([headers, 'pending']);
    }
    const { event } = signedFormEvent(s);
    const twoTypes = { ...event, multiValueHeaders: { ...event.multiValueHeaders, 'Content-Type': ['text/plain', 'application/x-www-form-urlencoded'] } };
    await expect(authorizeEvent(s.deps, log, twoTypes)).resolves.toMatchObject({ context: { oauth1Signature: 'pending' } });
  });

  it.each<[string, (s: Setup) => Promise<APIGatewayRequestAuthorizerEvent>]>([
    ['the consumer key is unknown', async (s) => {
      const { event } = signedFormEvent(s);
      const header = (event.headers?.Authorization as string).replace(s.consumer.clientId, 'unknownConsumer0123456789abcdefAB');
      return { ...event, headers: { ...event.headers, Authorization: header }, multiValueHeaders: { ...event.multiValueHeaders, Authorization: [header] } };
    }],
    ['the token is unknown', async (s) => signedFormEvent(s, { token: 'unknownToken0123456789abcdefABCDE' }).event],
    ['the token is missing (query-signed, no oauth_token)', async (s) =>
      authorizerEvent({ 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '27' }, { method: 'POST', query: { oauth_consumer_key: [s.consumer.clientId], oauth_signature: ['c2lnbmF0dXJl'] } })],
    ['the timestamp is 10 minutes old', async (s) => signedFormEvent(s, { timestamp: Math.floor(s.clock.ms / 1000) - 600 }).event],
    ['the consumer was revoked', async (s) => {
      await revokeClient(s.store, s.consumer.clientId);
      return signedFormEvent(s).event;
    }],
    ['the user was archived', async (s) => {
      await updateUser(s.store, { ...s.user, active: false });
      return signedFormEvent(s).event;
    }],
    ['the header is malformed', async () =>
      authorizerEvent({ Authorization: 'OAuth oauth_consumer_key="k", oauth_signature="c2ln"', 'Content-Type': 'application/x-www-form-urlencoded', 'Transfer-Encoding': 'chunked' }, { method: 'POST' })],
  ])('refuses a form-body request at once when %s', async (_label, make) => {
    const s = await setup();
    await expectUnauthorized(authorizeEvent(s.deps, log, await make(s)));
  });

  it('lets a form-body request with a wrong signature through pending: only the object function can tell', async () => {
    const s = await setup();
    await expect(authorizeEvent(s.deps, log, signedFormEvent(s, { consumerSecret: 'not-the-secret' }).event)).resolves.toMatchObject({ context: { oauth1Signature: 'pending' } });
  });

  it('does not take a Bearer request with a form body for OAuth 1.0a', async () => {
    const s = await setup();
    const event = authorizerEvent({ Authorization: `Bearer ${s.bearer.access_token}`, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '10' }, { method: 'POST' });
    await expect(authorizeEvent(s.deps, log, event)).resolves.toMatchObject({ principalId: '7', context: { scheme: 'oauth2' } });
  });

  it('logs neither the signature, the token secret nor the Authorization header', async () => {
    const s = await setup();
    const event = signedOAuth1Event(s);
    await authorizeEvent(s.deps, log, event);
    await expectUnauthorized(authorizeEvent(s.deps, log, event));
    await expectUnauthorized(authorizeEvent(s.deps, log, { ...event, multiValueQueryStringParameters: { ids: ['18'] } }));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    // afterEach checks the lines against every credential, signature and header of the test.
  });
});
