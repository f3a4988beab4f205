/**
 * The auth table adapter (lib/store/dynamodb/auth-table.ts) and the admin CLI (scripts/admin.ts) against DynamoDB
 * Local: the AuthStore contract the core relies on (ordered batch reads, conditional puts, atomic
 * takes, listing by kind), and client administration end to end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createClient, revokeClient } from '../../lib/auth/admin';
import { authorizeRequest, type AuthorizerDeps } from '../../lib/auth/authorizer';
import { clientFromItem, clientKey, randomToken, sha256Hex, type AuthItem, type AuthKey } from '../../lib/auth/credentials';
import { AuthenticationRequiredError, InvalidClientError } from '../../lib/errors';
import { keyRingFrom } from '../../lib/auth/keys';
import { authenticateClient, issueAuthorizationCode, lookUpAccessToken, oauth2TokenEndpoint, revokeToken, tokenKey, type TokenDeps, type TokenResponse } from '../../lib/auth/oauth2';
import { createLocalKeyFile, loadLocalKey } from '../../lib/auth/secret-box';
import { createUser, signIn } from '../../lib/auth/users';
import { toAuthorizerRequest } from '../../lib/http';
import { createLogger } from '../../lib/runtime/log';
import { runAdmin } from '../../scripts/admin';
import { freshStores } from '../helpers/local';
import { rejection } from '../helpers/thrown';

type Stores = Awaited<ReturnType<typeof freshStores>>;

/** The item exactly as DynamoDB holds it, key attribute included. */
async function rawItem(stores: Stores, key: AuthKey): Promise<Record<string, unknown> | undefined> {
  const { Item } = await stores.client.send(new GetCommand({ TableName: stores.tables.auth, Key: { pk: `${key.kind}#${key.id}` }, ConsistentRead: true }));
  return Item;
}

async function wholeTable(stores: Stores): Promise<string> {
  const { Items = [] } = await stores.client.send(new ScanCommand({ TableName: stores.tables.auth, ConsistentRead: true }));
  return JSON.stringify(Items);
}

describe('DynamoAuthStore against DynamoDB Local', () => {
  let stores: Stores;

  beforeAll(async () => {
    stores = await freshStores();
  });

  afterAll(() => stores.client.destroy());

  it('puts and gets an item of every attribute type, keyed KIND#id, without the key attribute', async () => {
    const key: AuthKey = { kind: 'CLIENT', id: 'types' };
    const item: AuthItem = { text: 'a', empty: '', number: 42, fraction: 1.5, yes: true, no: false, list: ['x', 'y'], emptyList: [] };
    await expect(stores.auth.put(key, item)).resolves.toBe(true);
    await expect(stores.auth.get(key)).resolves.toStrictEqual(item);
    await expect(rawItem(stores, key)).resolves.toStrictEqual({ ...item, pk: 'CLIENT#types' });
  });

  it('keeps expiresAt, the TTL attribute, as a number of seconds', async () => {
    const key: AuthKey = { kind: 'TOKEN', id: sha256Hex('ttl') };
    await stores.auth.put(key, { kind: 'access', expiresAt: 1_700_001_800 });
    await expect(stores.auth.get(key)).resolves.toStrictEqual({ kind: 'access', expiresAt: 1_700_001_800 });
    const raw = await rawItem(stores, key);
    expect(typeof raw?.expiresAt).toBe('number');
    expect(raw?.expiresAt).toBe(1_700_001_800);
  });

  it('never lets an item attribute named pk replace the key', async () => {
    const key: AuthKey = { kind: 'CODE', id: 'pk-attribute' };
    await stores.auth.put(key, { pk: 'CLIENT#someone-else', value: 1 });
    await expect(stores.auth.get(key)).resolves.toStrictEqual({ value: 1 });
    await expect(stores.auth.get({ kind: 'CLIENT', id: 'someone-else' })).resolves.toBeUndefined();
  });

  it('returns undefined for a missing key', async () => {
    await expect(stores.auth.get({ kind: 'USER', id: 'missing' })).resolves.toBeUndefined();
  });

  it('replaces the whole item on a put without ifAbsent', async () => {
    const key: AuthKey = { kind: 'USER', id: 'replaced' };
    await stores.auth.put(key, { a: 1, b: 2 });
    await expect(stores.auth.put(key, { a: 3 })).resolves.toBe(true);
    await expect(stores.auth.get(key)).resolves.toStrictEqual({ a: 3 });
  });

  it('returns getMany results in the order of the keys, undefined for the missing ones, repeated keys included', async () => {
    const a: AuthKey = { kind: 'USER', id: 'many-a' };
    const b: AuthKey = { kind: 'CLIENT', id: 'many-b' };
    await stores.auth.put(a, { name: 'a' });
    await stores.auth.put(b, { name: 'b' });
    await expect(stores.auth.getMany([b, { kind: 'USER', id: 'many-missing' }, a, b])).resolves.toStrictEqual([{ name: 'b' }, undefined, { name: 'a' }, { name: 'b' }]);
    await expect(stores.auth.getMany([])).resolves.toStrictEqual([]);
  });

  it('reads up to 100 keys in one getMany and refuses more', async () => {
    const keys: AuthKey[] = Array.from({ length: 100 }, (_, i) => ({ kind: 'NONCE', id: `batch-${i}` }));
    await Promise.all(keys.filter((_, i) => i % 3 === 0).map((key) => stores.auth.put(key, { id: key.id })));
    const found = await stores.auth.getMany(keys);
    expect(found).toStrictEqual(keys.map((key, i) => (i % 3 === 0 ? { id: key.id } : undefined)));
    await expect(stores.auth.getMany([...keys, { kind: 'NONCE', id: 'one-too-many' }])).rejects.toThrow(/at most 100/);
  });

  it('puts with ifAbsent only when the key is free: false, and nothing written, when it is taken', async () => {
    const key: AuthKey = { kind: 'LOGIN', id: 'jane' };
    await expect(stores.auth.put(key, { userId: 7 }, { ifAbsent: true })).resolves.toBe(true);
    await expect(stores.auth.put(key, { userId: 8 }, { ifAbsent: true })).resolves.toBe(false);
    await expect(stores.auth.get(key)).resolves.toStrictEqual({ userId: 7 });
  });

  it('lets exactly one of 20 concurrent ifAbsent puts claim a key', async () => {
    const key: AuthKey = { kind: 'NONCE', id: 'claimed-concurrently' };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores.auth.put(key, { by: i }, { ifAbsent: true })));
    expect(results.filter(Boolean)).toHaveLength(1);
    await expect(stores.auth.get(key)).resolves.toStrictEqual({ by: results.indexOf(true) });
  });

  it('takes an item once: the item the first time, undefined the second, and it is gone', async () => {
    const key: AuthKey = { kind: 'CODE', id: sha256Hex('single use') };
    await stores.auth.put(key, { clientId: 'c', userId: 7, expiresAt: 1_700_000_120 });
    await expect(stores.auth.take(key)).resolves.toStrictEqual({ clientId: 'c', userId: 7, expiresAt: 1_700_000_120 });
    await expect(stores.auth.take(key)).resolves.toBeUndefined();
    await expect(stores.auth.get(key)).resolves.toBeUndefined();
  });

  it('gives an item to exactly one of 20 concurrent takes', async () => {
    const key: AuthKey = { kind: 'TOKEN', id: sha256Hex('raced refresh token') };
    await stores.auth.put(key, { kind: 'refresh', clientId: 'c', userId: 7 });
    const results = await Promise.all(Array.from({ length: 20 }, () => stores.auth.take(key)));
    expect(results.filter((result) => result !== undefined)).toStrictEqual([{ kind: 'refresh', clientId: 'c', userId: 7 }]);
    await expect(stores.auth.get(key)).resolves.toBeUndefined();
  });

  it('counts 40 concurrent increments of a new counter 1 to 40, each count answered once, without a read', async () => {
    const key: AuthKey = { kind: 'SIGNIN', id: 'concurrent' };
    const counts = await Promise.all(Array.from({ length: 40 }, () => stores.auth.increment(key, { now: 1_000, expiresAt: 1_900 })));
    expect([...counts].sort((a, b) => a - b)).toStrictEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    await expect(rawItem(stores, key)).resolves.toStrictEqual({ pk: 'SIGNIN#concurrent', count: 40, expiresAt: 1_900 });
  });

  it('keeps counting a live counter until its expiresAt, then starts again at 1 with the new expiresAt', async () => {
    const key: AuthKey = { kind: 'SIGNIN', id: 'window' };
    await expect(stores.auth.increment(key, { now: 1_000, expiresAt: 1_900 })).resolves.toBe(1);
    await expect(stores.auth.increment(key, { now: 1_899, expiresAt: 2_799 })).resolves.toBe(2);
    await expect(stores.auth.get(key)).resolves.toStrictEqual({ count: 2, expiresAt: 1_900 });
    // Expired (DynamoDB's TTL deletes lazily, so the item may still be there): a new window.
    const restarts = await Promise.all(Array.from({ length: 10 }, () => stores.auth.increment(key, { now: 1_900, expiresAt: 2_800 })));
    expect([...restarts].sort((a, b) => a - b)).toStrictEqual(Array.from({ length: 10 }, (_, index) => index + 1));
    await expect(stores.auth.get(key)).resolves.toStrictEqual({ count: 10, expiresAt: 2_800 });
  });

  it('transacts puts and deletes all together: written when every condition holds, nothing at all when one fails', async () => {
    const family: AuthKey = { kind: 'FAMILY', id: 'tx' };
    const live: AuthKey = { kind: 'TOKEN', id: 'tx-live' };
    const next: AuthKey = { kind: 'TOKEN', id: 'tx-next' };
    await stores.auth.put(family, { version: 1, clientId: 'c' });
    await stores.auth.put(live, { kind: 'refresh' });
    const rotate = (version: number) => stores.auth.transact([
      { kind: 'put', key: family, item: { version: version + 1, clientId: 'c' }, condition: { matches: { version } } },
      { kind: 'put', key: live, item: { kind: 'rotated' }, condition: { matches: { kind: 'refresh' } } },
      { kind: 'put', key: next, item: { kind: 'refresh' }, condition: { absent: true } },
      { kind: 'delete', key: { kind: 'TOKEN', id: 'tx-missing' } },
    ]);
    await expect(rotate(1)).resolves.toBe(true);
    expect(await stores.auth.getMany([family, live, next])).toStrictEqual([{ version: 2, clientId: 'c' }, { kind: 'rotated' }, { kind: 'refresh' }]);
    await stores.auth.delete(next);
    // The family moved on: the whole transaction fails, the free key included.
    await expect(rotate(1)).resolves.toBe(false);
    expect(await stores.auth.getMany([family, live, next])).toStrictEqual([{ version: 2, clientId: 'c' }, { kind: 'rotated' }, undefined]);
  });

  it('lets exactly one of 10 concurrent transactions conditioned on one version through', async () => {
    const family: AuthKey = { kind: 'FAMILY', id: 'tx-race' };
    await stores.auth.put(family, { version: 1 });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        stores.auth.transact([
          { kind: 'put', key: family, item: { version: 2, by: i }, condition: { matches: { version: 1 } } },
          { kind: 'put', key: { kind: 'TOKEN', id: `tx-race-${i}` }, item: { by: i }, condition: { absent: true } },
        ]),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    await expect(stores.auth.get(family)).resolves.toStrictEqual({ version: 2, by: winner });
    const tokens = await stores.auth.getMany(Array.from({ length: 10 }, (_, i): AuthKey => ({ kind: 'TOKEN', id: `tx-race-${i}` })));
    expect(tokens.map((item) => item !== undefined)).toStrictEqual(results);
  });

  it('refuses a transaction of two writes of one key, or of more than 100 writes, before sending it', async () => {
    const key: AuthKey = { kind: 'TOKEN', id: 'tx-twice' };
    await expect(stores.auth.transact([{ kind: 'delete', key }, { kind: 'put', key, item: {} }])).rejects.toThrow('one write per key');
    const many = Array.from({ length: 101 }, (_, i) => ({ kind: 'delete' as const, key: { kind: 'TOKEN' as const, id: `tx-${i}` } }));
    await expect(stores.auth.transact(many)).rejects.toThrow('1 to 100 writes');
  });

  it('deletes an item, and deleting a missing one is not an error', async () => {
    const key: AuthKey = { kind: 'SESSION', id: 'deleted' };
    await stores.auth.put(key, { userId: 7 });
    await expect(stores.auth.delete(key)).resolves.toBeUndefined();
    await expect(stores.auth.get(key)).resolves.toBeUndefined();
    await expect(stores.auth.delete(key)).resolves.toBeUndefined();
  });

  it('lists the items of one kind with their ids, and only those', async () => {
    const listed = await freshStores();
    try {
      await listed.auth.put({ kind: 'O1REQ', id: 'r1' }, { clientId: 'c1' });
      await listed.auth.put({ kind: 'O1REQ', id: 'r2#with#hashes' }, { clientId: 'c2' });
      await listed.auth.put({ kind: 'O1ACC', id: 'a1' }, { clientId: 'c3' });
      await listed.auth.put({ kind: 'CLIENT', id: 'O1REQ' }, { clientId: 'c4' });
      const requests = await listed.auth.list('O1REQ');
      expect([...requests].sort((x, y) => x.id.localeCompare(y.id))).toStrictEqual([
        { id: 'r1', item: { clientId: 'c1' } },
        { id: 'r2#with#hashes', item: { clientId: 'c2' } },
      ]);
      await expect(listed.auth.list('O1ACC')).resolves.toStrictEqual([{ id: 'a1', item: { clientId: 'c3' } }]);
      await expect(listed.auth.list('KEY')).resolves.toStrictEqual([]);
    } finally {
      listed.client.destroy();
    }
  });

  it('lists every item of a kind across scan pages', async () => {
    const listed = await freshStores();
    try {
      // About 1.2 MB: more than one 1 MB scan page.
      const padding = 'x'.repeat(100_000);
      for (let i = 0; i < 12; i++) await listed.auth.put({ kind: 'USER', id: `big-${i}` }, { padding });
      expect((await listed.auth.list('USER')).map(({ id }) => id).sort()).toStrictEqual(Array.from({ length: 12 }, (_, i) => `big-${i}`).sort());
    } finally {
      listed.client.destroy();
    }
  });
});

describe('the OAuth 2 core over DynamoDB Local', () => {
  let stores: Stores;
  let deps: TokenDeps;
  let client: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    stores = await freshStores();
    deps = { store: stores.auth, accessTokenValidity: 1800 };
    client = { clientId: 'integrationClient0123456789abcde', clientSecret: 'integrationSecret0123456789abcde' };
    await stores.auth.put(clientKey(client.clientId), {
      clientId: client.clientId,
      name: 'integration',
      userId: 7,
      accessType: 'oauth2',
      secretHash: sha256Hex(client.clientSecret),
      sealedSecret: '',
      redirectUris: ['https://app.example/cb'],
      createdAt: 0,
    });
  });

  afterAll(() => stores.client.destroy());

  it('issues tokens that are looked up again, and stores none of them in clear', async () => {
    const tokens = await oauth2TokenEndpoint(deps, new Map(), client);
    await expect(lookUpAccessToken(deps, tokens.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7, clientId: client.clientId, kind: 'access' });
    const table = await wholeTable(stores);
    for (const value of [client.clientSecret, tokens.access_token, String(tokens.refresh_token)]) expect(table.includes(value)).toBe(false);
  });

  it('exchanges an authorization code for exactly one of five concurrent requests', async () => {
    const code = await issueAuthorizationCode(deps, { clientId: client.clientId, userId: 7, redirectUri: 'https://app.example/cb', scopes: 'read', codeChallenge: '' });
    const exchange = () => oauth2TokenEndpoint(deps, new Map([['grant_type', 'authorization_code'], ['code', code], ['redirect_uri', 'https://app.example/cb']]), client);
    const results = await Promise.allSettled(Array.from({ length: 5 }, exchange));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  const refreshWith = (refreshToken: string | false) =>
    oauth2TokenEndpoint(deps, new Map([['grant_type', 'refresh_token'], ['refresh_token', String(refreshToken)]]), client);

  /** Nothing the responses hold still works: no access token is accepted, no refresh token refreshes. */
  async function expectAllDead(responses: readonly TokenResponse[]): Promise<void> {
    for (const response of responses) {
      await expect(rejection(lookUpAccessToken(deps, response.access_token, 'oauth2'))).resolves.toBeInstanceOf(AuthenticationRequiredError);
      await expect(rejection(refreshWith(response.refresh_token))).resolves.toMatchObject({ oauthError: 'invalid_grant' });
    }
  }

  it('rotates a refresh token for at most one of five concurrent refreshes, and the other uses revoke the grant', async () => {
    const tokens = await oauth2TokenEndpoint(deps, new Map(), client);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => refreshWith(tokens.refresh_token)));
    const won = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    expect(won.length).toBeLessThanOrEqual(1);
    await expectAllDead([tokens, ...won]);
  });

  it('leaves no live token of the family when the live refresh token and a rotated one are used at once (10 rounds)', async () => {
    for (let round = 0; round < 10; round++) {
      const first = await oauth2TokenEndpoint(deps, new Map(), client);
      const live = await refreshWith(first.refresh_token);
      const [legit, reuse] = await Promise.allSettled([refreshWith(live.refresh_token), refreshWith(first.refresh_token)]);
      expect(reuse.status).toBe('rejected');
      await expectAllDead([first, live, ...(legit.status === 'fulfilled' ? [legit.value] : [])]);
    }
  });
});

describe('the authorizer over DynamoDB Local: one round trip per opaque token', () => {
  let stores: Stores;
  let deps: AuthorizerDeps;
  let client: { clientId: string; clientSecret: string };
  /** The DynamoDB commands the document client sent since the last reset, by name. */
  let sent: string[] = [];
  const log = createLogger({}, () => undefined);

  beforeAll(async () => {
    stores = await freshStores();
    const keys = keyRingFrom(Buffer.alloc(32, 7));
    const tokens: TokenDeps = { store: stores.auth, accessTokenValidity: 1800 };
    deps = { store: stores.auth, tokens, oauth1: { store: stores.auth, keys: async () => keys, publicOrigin: undefined, timestampWindow: 300 } };
    await createUser(stores.auth, { userId: 77, login: 'one-trip', name: 'One trip', groups: ['base.group_user'] });
    client = await createClient(stores.auth, undefined, { userId: 77, name: 'One trip', accessType: 'oauth2' });
    stores.client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countCommands' },
    );
  });

  afterAll(() => stores.client.destroy());

  const request = (token: string) =>
    toAuthorizerRequest({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/test/GET/restapi/1.0/object/res.partner',
      resource: '/restapi/1.0/object/{model}',
      path: '/restapi/1.0/object/res.partner',
      httpMethod: 'GET',
      headers: { Authorization: `Bearer ${token}` },
      multiValueHeaders: { Authorization: [`Bearer ${token}`] },
      pathParameters: { model: 'res.partner' },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      requestContext: { requestId: 'r', path: '/restapi/1.0/object/res.partner', domainName: 'api.test' } as APIGatewayRequestAuthorizerEvent['requestContext'],
    });

  /** The grant's user id (undefined: refused) and the DynamoDB commands the authorization sent. */
  async function authorize(token: string): Promise<[string | undefined, string[]]> {
    sent = [];
    const grant = await authorizeRequest(deps, log, request(token));
    return [grant?.principalId, sent];
  }

  it('authorizes a token that names its client and user with one BatchGetItem, and nothing else', async () => {
    const tokens = await oauth2TokenEndpoint(deps.tokens, new Map(), client);
    await expect(authorize(tokens.access_token)).resolves.toStrictEqual(['77', ['BatchGetItemCommand']]);
  });

  it('authorizes a token stored before the format with a GetItem, then a BatchGetItem', async () => {
    const legacy = randomToken();
    await stores.auth.put(tokenKey(sha256Hex(legacy)), { kind: 'access', scheme: 'oauth2', clientId: client.clientId, userId: 77, scopes: '', expiresAt: Math.floor(Date.now() / 1000) + 1800 });
    await expect(authorize(legacy)).resolves.toStrictEqual(['77', ['GetItemCommand', 'BatchGetItemCommand']]);
  });

  it('refuses a token at the next request after RFC 7009 revocation, refresh-token (family) revocation, or client revocation', async () => {
    const revoke = (token: string) => revokeToken(deps.tokens, new Map([['token', token]]), client);
    const first = await oauth2TokenEndpoint(deps.tokens, new Map(), client);
    await revoke(first.access_token);
    await expect(authorize(first.access_token)).resolves.toStrictEqual([undefined, ['BatchGetItemCommand']]);
    const second = await oauth2TokenEndpoint(deps.tokens, new Map(), client);
    await expect(authorize(second.access_token)).resolves.toStrictEqual(['77', ['BatchGetItemCommand']]);
    await revoke(String(second.refresh_token));
    await expect(authorize(second.access_token)).resolves.toStrictEqual([undefined, ['BatchGetItemCommand']]);
    const third = await oauth2TokenEndpoint(deps.tokens, new Map(), client);
    await revokeClient(stores.auth, client.clientId);
    await expect(authorize(third.access_token)).resolves.toStrictEqual([undefined, ['BatchGetItemCommand']]);
  });
});

describe('npm run admin (scripts/admin.ts) against DynamoDB Local', () => {
  let stores: Stores;
  let keyDir: string;
  let keyFile: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    stores = await freshStores();
    keyDir = mkdtempSync(join(tmpdir(), 'admin-key-'));
    keyFile = join(keyDir, 'secrets.key');
    expect(createLocalKeyFile(keyFile)).toBe(true);
    env = { DYNAMODB_ENDPOINT: process.env.TEST_DYNAMODB_ENDPOINT, AUTH_TABLE: stores.tables.auth, RECORDS_TABLE: stores.tables.records, SECRETS_KEY_FILE: keyFile };
  });

  afterAll(() => {
    stores.client.destroy();
    rmSync(keyDir, { recursive: true, force: true });
  });

  /** Runs the CLI; resolves to what it printed, one entry per line. */
  async function admin(args: readonly string[], stdin: readonly string[] = []): Promise<string[]> {
    const out: string[] = [];
    await runAdmin(args, { env, stdin: Readable.from(stdin), out: (line) => out.push(...line.split('\n')) });
    return out;
  }

  /** The id and secret a create-client or rotate-secret printed. */
  function issued(out: readonly string[]): { clientId: string; clientSecret: string } {
    const clientId = /^client_id +([A-Za-z0-9]{32})$/.exec(out[0] ?? '')?.[1];
    const clientSecret = /^client_secret +([A-Za-z0-9]{32})$/.exec(out[1] ?? '')?.[1];
    if (!clientId || !clientSecret) throw new Error(`no credentials in ${JSON.stringify(out)}`);
    return { clientId, clientSecret };
  }

  const stage = ['--stage', 'test'];

  it('create-user creates a user who signs in with the password from stdin', async () => {
    const out = await admin(['create-user', ...stage, '--user-id', '7', '--login', 'jane', '--name', 'Jane Doe', '--groups', 'base.group_user, base.group_partner_manager', '--password-stdin'], ['pw\n']);
    expect(out).toStrictEqual(['user 7 (jane) created with groups base.group_user, base.group_partner_manager']);
    await expect(signIn(stores.auth, 'jane', 'pw')).resolves.toMatchObject({ userId: 7, login: 'jane', name: 'Jane Doe', groups: ['base.group_user', 'base.group_partner_manager'], active: true });
    await expect(signIn(stores.auth, 'jane', 'pw\n')).resolves.toBeUndefined();
    expect(await wholeTable(stores)).not.toMatch(/"pw"/);
    // Its res.users record, which write_uid will point at.
    expect((await stores.rawItem('res.users', 7))?.v).toMatchObject({ name: 'Jane Doe', login: 'jane' });
  });

  it('create-user refuses a login that is taken, whatever its case', async () => {
    await expect(admin(['create-user', ...stage, '--user-id', '8', '--login', 'JANE'])).rejects.toThrow("Login 'JANE' is taken");
  });

  it('create-client --type oauth2 prints an id and secret that authenticate, the secret shown once and stored hashed', async () => {
    const out = await admin(['create-client', ...stage, '--user-id', '7', '--name', 'Shop sync', '--type', 'oauth2', '--redirect-uri', 'https://shop.example/cb', '--redirect-uri', 'https://shop.example/cb2']);
    expect(out[2]).toBe('(the secret is shown once; keep it now)');
    const credentials = issued(out);
    await expect(authenticateClient(stores.auth, credentials, ['oauth2'])).resolves.toMatchObject({
      clientId: credentials.clientId,
      name: 'Shop sync',
      userId: 7,
      accessType: 'oauth2',
      redirectUris: ['https://shop.example/cb', 'https://shop.example/cb2'],
    });
    expect(await wholeTable(stores)).not.toContain(credentials.clientSecret);
    await expect(oauth2TokenEndpoint({ store: stores.auth, accessTokenValidity: 1800 }, new Map(), credentials)).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  it('create-client --type oauth1 seals the consumer secret with the key file', async () => {
    const credentials = issued(await admin(['create-client', ...stage, '--user-id', '7', '--name', 'Legacy', '--type', 'oauth1']));
    const client = clientFromItem(await stores.auth.get(clientKey(credentials.clientId)));
    expect(client).toMatchObject({ accessType: 'oauth1', userId: 7, secretHash: '' });
    expect(keyRingFrom(loadLocalKey(keyFile)).secretBox.open(client?.sealedSecret as string, `CLIENT#${credentials.clientId}`)).toBe(credentials.clientSecret);
    expect(await wholeTable(stores)).not.toContain(credentials.clientSecret);
  });

  it('list-clients lists each client with its type, user and name, and no secret', async () => {
    const basic = issued(await admin(['create-client', ...stage, '--user-id', '7', '--name', 'Listed basic', '--type', 'basic']));
    const out = await admin(['list-clients', ...stage]);
    const line = out.find((entry) => entry.startsWith(basic.clientId));
    expect(line).toBe(`${basic.clientId}  basic   user 7  Listed basic`);
    expect(out.some((entry) => /^[A-Za-z0-9]{32} {2}oauth2 {2}user 7 {2}Shop sync {2}-> https:\/\/shop\.example\/cb https:\/\/shop\.example\/cb2$/.test(entry))).toBe(true);
    expect(out.some((entry) => /^[A-Za-z0-9]{32} {2}oauth1 {2}user 7 {2}Legacy$/.test(entry))).toBe(true);
    expect(out.join('\n')).not.toContain(basic.clientSecret);
  });

  it.each(['oauth2', 'oauth1'])('rotate-secret replaces the secret of an %s client: the old one stops working', async (type) => {
    const before = issued(await admin(['create-client', ...stage, '--user-id', '7', '--name', `Rotated ${type}`, '--type', type]));
    const out = await admin(['rotate-secret', ...stage, '--client-id', before.clientId]);
    expect(out[2]).toBe('(the old secret no longer works)');
    const after = issued(out);
    expect(after.clientId).toBe(before.clientId);
    expect(after.clientSecret).not.toBe(before.clientSecret);
    if (type === 'oauth2') {
      expect(await rejection(authenticateClient(stores.auth, before, ['oauth2']))).toBeInstanceOf(InvalidClientError);
      await expect(authenticateClient(stores.auth, after, ['oauth2'])).resolves.toMatchObject({ clientId: before.clientId });
    } else {
      const client = clientFromItem(await stores.auth.get(clientKey(before.clientId)));
      expect(keyRingFrom(loadLocalKey(keyFile)).secretBox.open(client?.sealedSecret as string, `CLIENT#${before.clientId}`)).toBe(after.clientSecret);
    }
  });

  it('--refresh persistent keeps an OAuth 2 client\'s refresh token; set-refresh switches it back and forth', async () => {
    const credentials = issued(await admin(['create-client', ...stage, '--user-id', '7', '--name', 'Legacy sync', '--type', 'oauth2', '--refresh', 'persistent']));
    const stored = () => stores.auth.get(clientKey(credentials.clientId)).then((item) => clientFromItem(item)?.persistentRefreshTokens);
    expect(await stored()).toBe(true);
    const listed = () => admin(['list-clients', ...stage]).then((out) => out.find((entry) => entry.startsWith(credentials.clientId)));
    expect(await listed()).toBe(`${credentials.clientId}  oauth2  user 7  Legacy sync  (persistent refresh tokens)`);
    await expect(admin(['set-refresh', ...stage, '--client-id', credentials.clientId, '--refresh', 'rotated'])).resolves.toStrictEqual([`client ${credentials.clientId}: refresh tokens rotated on use`]);
    expect(await stored()).toBeUndefined();
    expect(await listed()).toBe(`${credentials.clientId}  oauth2  user 7  Legacy sync`);
    await admin(['set-refresh', ...stage, '--client-id', credentials.clientId, '--refresh', 'persistent']);
    expect(await stored()).toBe(true);
    await expect(admin(['set-refresh', ...stage, '--client-id', credentials.clientId, '--refresh', 'forever'])).rejects.toThrow('--refresh must be one of rotated, persistent');
    await expect(admin(['set-refresh', ...stage, '--client-id', credentials.clientId])).rejects.toThrow(/^--refresh is required/);
    const basic = issued(await admin(['create-client', ...stage, '--user-id', '7', '--name', 'No refresh', '--type', 'basic']));
    await expect(admin(['set-refresh', ...stage, '--client-id', basic.clientId, '--refresh', 'persistent'])).rejects.toThrow('Only OAuth 2 clients have refresh tokens');
    await expect(admin(['create-client', ...stage, '--user-id', '7', '--name', 'x', '--type', 'basic', '--refresh', 'persistent'])).rejects.toThrow('Only OAuth 2 clients have refresh tokens');
  });

  it('revoke-client deletes the client: it no longer authenticates nor is listed', async () => {
    const credentials = issued(await admin(['create-client', ...stage, '--user-id', '7', '--name', 'Revoked', '--type', 'oauth2']));
    await expect(admin(['revoke-client', ...stage, '--client-id', credentials.clientId])).resolves.toStrictEqual([`client ${credentials.clientId} revoked; its tokens no longer work`]);
    expect(await rejection(authenticateClient(stores.auth, credentials, ['oauth2']))).toBeInstanceOf(InvalidClientError);
    expect((await admin(['list-clients', ...stage])).some((line) => line.startsWith(credentials.clientId))).toBe(false);
    await expect(admin(['revoke-client', ...stage, '--client-id', credentials.clientId])).rejects.toThrow(`No client ${credentials.clientId}`);
  });

  it.each<[string, string[], RegExp]>([
    ['no command', [], /^usage: npm run admin -- COMMAND/],
    ['an unknown command', ['frobnicate', ...stage], /^usage: npm run admin -- COMMAND/],
    ['create-client without --user-id', ['create-client', ...stage, '--name', 'x', '--type', 'oauth2'], /^--user-id is required/],
    ['create-client with a user id that is not a number', ['create-client', ...stage, '--user-id', 'abc', '--name', 'x', '--type', 'oauth2'], /^--user-id must be a positive integer/],
    ['create-client with user id 0', ['create-client', ...stage, '--user-id', '0', '--name', 'x', '--type', 'oauth2'], /^--user-id must be a positive integer/],
    ['create-client without --name', ['create-client', ...stage, '--user-id', '7', '--type', 'oauth2'], /^--name is required/],
    ['create-client with an unknown --type', ['create-client', ...stage, '--user-id', '7', '--name', 'x', '--type', 'jwt'], /^--type must be one of oauth1, oauth2, basic/],
    ['create-client with a redirect URI with a fragment', ['create-client', ...stage, '--user-id', '7', '--name', 'x', '--type', 'oauth2', '--redirect-uri', 'https://a.example/cb#x'], /fragment/],
    ['rotate-secret without --client-id', ['rotate-secret', ...stage], /^--client-id is required/],
    ['an unknown option', ['list-clients', ...stage, '--verbose'], /verbose/],
  ])('refuses %s, saying what is wrong and writing nothing', async (_label, args, message) => {
    const before = await wholeTable(stores);
    const error = await rejection(admin(args));
    // Not toBeInstanceOf(Error): node:util's parseArgs throws a TypeError of another realm than jest's.
    expect(typeof (error as Error | undefined)?.message).toBe('string');
    expect((error as Error).message).toMatch(message);
    expect(await wholeTable(stores)).toBe(before);
  });
});
