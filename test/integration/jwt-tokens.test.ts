/**
 * ACCESS_TOKEN_FORMAT=jwt over DynamoDB Local: the token endpoint signs RFC 9068 access tokens
 * carrying the user's groups, and the authorizer accepts them without reading the token: one
 * BatchGetItem of the user and the client, so a revoked client's JWTs stop at once.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createClient, revokeClient } from '../../lib/auth/admin';
import type { AuthStore } from '../../lib/auth/credentials';
import { authorizeRequest, type AuthorizerDeps } from '../../lib/auth/authorizer';
import { keyRingFrom } from '../../lib/auth/keys';
import { createLogger, type Logger } from '../../lib/runtime/log';
import { oauth2TokenEndpoint, type TokenDeps } from '../../lib/auth/oauth2';
import { createUser } from '../../lib/auth/users';
import { freshStores } from '../helpers/local';
import { runAuthorizer } from '../../lib/http';

/** The authorizer as its handler runs it: API Gateway's event in, its policy (or `Unauthorized`) out. */
const authorizeEvent = (deps: AuthorizerDeps, log: Logger, event: APIGatewayRequestAuthorizerEvent) =>
  runAuthorizer(event, (request) => authorizeRequest(deps, log, request));

let stores: Awaited<ReturnType<typeof freshStores>>;
let client: { clientId: string; clientSecret: string };
const keys = keyRingFrom(randomBytes(32));
const reads: string[] = [];

/** The real store, with every call noted (to show the authorizer makes one, for user and client, for a JWT). */
function counted(store: AuthStore): AuthStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      return typeof value === 'function' ? (...args: unknown[]) => (reads.push(String(name)), (value as (...a: unknown[]) => unknown).apply(target, args)) : value;
    },
  });
}

const event = (authorization: string): APIGatewayRequestAuthorizerEvent => ({
  type: 'REQUEST',
  methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:api/prod/GET/restapi/1.0/object/res.partner',
  resource: '/restapi/1.0/object/{model}',
  path: '/restapi/1.0/object/res.partner',
  httpMethod: 'GET',
  headers: { Authorization: authorization },
  multiValueHeaders: { Authorization: [authorization] },
  pathParameters: null,
  queryStringParameters: null,
  multiValueQueryStringParameters: null,
  stageVariables: null,
  requestContext: { path: '/restapi/1.0/object/res.partner', requestId: 'jwt' } as APIGatewayRequestAuthorizerEvent['requestContext'],
});

let tokens: TokenDeps;
let deps: AuthorizerDeps;

beforeAll(async () => {
  stores = await freshStores();
  const store = counted(stores.auth);
  tokens = { store, accessTokenValidity: 1800, accessTokenFormat: 'jwt', keys: async () => keys };
  deps = { store, tokens, oauth1: { store, keys: async () => keys, publicOrigin: undefined, timestampWindow: 300 } };
  await createUser(stores.auth, { userId: 4, login: 'jwt-user', name: 'JWT User', groups: ['base.group_user', 'base.group_partner_manager'] });
  client = await createClient(stores.auth, undefined, { userId: 4, name: 'jwt client', accessType: 'oauth2' });
});

afterAll(() => stores.client.destroy());

describe('JWT access tokens', () => {
  it('are issued as at+jwt tokens and accepted by the authorizer with one read, of the user and the client', async () => {
    const issued = await oauth2TokenEndpoint(tokens, new Map([['scope', 'res.partner:*']]), client);
    expect(issued.access_token.split('.')).toHaveLength(3);
    reads.length = 0;
    const result = await authorizeEvent(deps, createLogger({}, () => undefined), event(`Bearer ${issued.access_token}`));
    expect(result.context).toStrictEqual({ userId: 4, clientId: client.clientId, scheme: 'jwt', tokenScopes: 'res.partner:*', groups: 'base.group_user,base.group_partner_manager' });
    expect(reads).toStrictEqual(['getMany']);
  });

  it('stop at once when their client is revoked, though they have not expired', async () => {
    const revocable = await createClient(stores.auth, undefined, { userId: 4, name: 'jwt client to revoke', accessType: 'oauth2' });
    const issued = await oauth2TokenEndpoint(tokens, new Map(), revocable);
    const log = createLogger({}, () => undefined);
    await expect(authorizeEvent(deps, log, event(`Bearer ${issued.access_token}`))).resolves.toMatchObject({ principalId: '4' });
    await revokeClient(stores.auth, revocable.clientId);
    await expect(authorizeEvent(deps, log, event(`Bearer ${issued.access_token}`))).rejects.toThrow('Unauthorized');
  });

  it('refresh tokens stay opaque and rotate, giving a new JWT', async () => {
    const first = await oauth2TokenEndpoint(tokens, new Map(), client);
    const second = await oauth2TokenEndpoint(tokens, new Map([['grant_type', 'refresh_token'], ['refresh_token', first.refresh_token as string]]), client);
    expect([String(first.refresh_token).includes('.'), second.access_token === first.access_token, second.access_token.split('.').length]).toStrictEqual([false, false, 3]);
  });

  it('a tampered JWT is Unauthorized', async () => {
    const issued = await oauth2TokenEndpoint(tokens, new Map(), client);
    const [header, payload, signature] = issued.access_token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, groups: ['base.group_system'] })).toString('base64url')}.${signature}`;
    await expect(authorizeEvent(deps, createLogger({}, () => undefined), event(`Bearer ${forged}`))).rejects.toThrow('Unauthorized');
  });
});
