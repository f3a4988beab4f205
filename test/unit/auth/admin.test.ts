import { randomBytes } from 'node:crypto';
import { createClient, getClient, listClients, revokeClient, rotateClientSecret, type IssuedSecret } from '../../../lib/auth/admin';
import { clientFromItem, clientKey, sha256Hex, type AccessType } from '../../../lib/auth/credentials';
import { BadRequestError, InvalidClientError } from '../../../lib/errors';
import { keyRingFrom } from '../../../lib/auth/keys';
import { authenticateClient } from '../../../lib/auth/oauth2';
import { MemoryAuthStore } from '../../helpers/memory-auth-store';
import { describeTarget, resolveTarget } from '../../../scripts/admin';
import type { StackRecord } from '../../../scripts/local-stack';
import { rejection } from '../../helpers/thrown';

const NOW_MS = 1_700_000_000_000;
const NOW_S = 1_700_000_000;
const TOKEN = /^[A-Za-z0-9]{32}$/;

function setup() {
  return { store: new MemoryAuthStore(), keys: keyRingFrom(randomBytes(32)) };
}

describe('createClient', () => {
  it.each<['oauth2' | 'basic']>([['oauth2'], ['basic']])('creates a %s client whose secret is stored only as its SHA-256', async (accessType) => {
    const { store } = setup();
    const issued = await createClient(store, undefined, { userId: 7, name: 'Shop sync', accessType, redirectUris: ['https://app.example/cb'] }, () => NOW_MS);
    expect(issued.clientId).toMatch(TOKEN);
    expect(issued.clientSecret).toMatch(TOKEN);
    expect(issued.clientSecret).not.toBe(issued.clientId);
    expect(store.items()).toStrictEqual([
      {
        pk: `CLIENT#${issued.clientId}`,
        item: {
          clientId: issued.clientId,
          name: 'Shop sync',
          userId: 7,
          accessType,
          redirectUris: ['https://app.example/cb'],
          createdAt: NOW_S,
          secretHash: sha256Hex(issued.clientSecret),
          sealedSecret: '',
        },
      },
    ]);
    expect(store.dump()).not.toContain(issued.clientSecret);
    await expect(authenticateClient(store, issued, [accessType])).resolves.toMatchObject({ clientId: issued.clientId, userId: 7 });
  });

  it('creates an oauth1 client whose secret is sealed for its own item: the key ring opens it, nothing else has it', async () => {
    const { store, keys } = setup();
    const issued = await createClient(store, keys, { userId: 7, name: 'Legacy', accessType: 'oauth1' });
    const client = clientFromItem(await store.get(clientKey(issued.clientId)));
    expect(client).toMatchObject({ clientId: issued.clientId, accessType: 'oauth1', secretHash: '', redirectUris: [] });
    expect(keys.secretBox.open(client?.sealedSecret as string, `CLIENT#${issued.clientId}`)).toBe(issued.clientSecret);
    expect(store.dump()).not.toContain(issued.clientSecret);
    // Sealed for this item: under another item's name, or with another key, it does not open.
    expect(() => keys.secretBox.open(client?.sealedSecret as string, 'CLIENT#another')).toThrow();
    expect(() => keyRingFrom(randomBytes(32)).secretBox.open(client?.sealedSecret as string, `CLIENT#${issued.clientId}`)).toThrow();
  });

  it('refuses to create an oauth1 client without the key ring, storing nothing', async () => {
    const { store } = setup();
    await expect(createClient(store, undefined, { userId: 7, name: 'Legacy', accessType: 'oauth1' })).rejects.toThrow(/key ring/);
    expect(store.items()).toStrictEqual([]);
  });

  it('gives every client its own id and secret', async () => {
    const { store } = setup();
    const first = await createClient(store, undefined, { userId: 7, name: 'A', accessType: 'oauth2' });
    const second = await createClient(store, undefined, { userId: 7, name: 'A', accessType: 'oauth2' });
    expect(second.clientId).not.toBe(first.clientId);
    expect(second.clientSecret).not.toBe(first.clientSecret);
    expect(store.items()).toHaveLength(2);
  });
});

describe('redirect URI validation', () => {
  it.each([
    'https://app.example/callback',
    'http://localhost:8080/cb',
    'https://app.example/cb?tenant=1',
    'com.example.app:/oauth2redirect',
  ])('accepts %j', async (uri) => {
    const { store } = setup();
    await createClient(store, undefined, { userId: 7, name: 'A', accessType: 'oauth2', redirectUris: [uri] });
    expect((await listClients(store))[0]?.redirectUris).toStrictEqual([uri]);
  });

  it.each<[string, string]>([
    ['a fragment', 'https://app.example/cb#frag'],
    ['an empty fragment (RFC 6749 §3.1.2: no fragment component at all)', 'https://app.example/cb#'],
    ['a javascript: URI', 'javascript:alert(1)'],
    ['a javascript: URI in upper case', 'JAVASCRIPT:alert(1)'],
    ['a data: URI', 'data:text/html,<script>alert(1)</script>'],
    ['a relative URI', '/callback'],
    ['no URI at all', ''],
  ])('refuses %s with a BadRequestError, storing nothing', async (_label, uri) => {
    const { store } = setup();
    const error = await rejection(createClient(store, undefined, { userId: 7, name: 'A', accessType: 'oauth2', redirectUris: ['https://ok.example/cb', uri] }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(store.items()).toStrictEqual([]);
  });
});

describe('rotateClientSecret', () => {
  it.each<['oauth2' | 'basic']>([['oauth2'], ['basic']])('replaces a %s secret: the old one fails authenticateClient, the new one works', async (accessType) => {
    const { store } = setup();
    const issued = await createClient(store, undefined, { userId: 7, name: 'A', accessType, redirectUris: ['https://app.example/cb'] });
    const rotated = await rotateClientSecret(store, undefined, issued.clientId);
    expect(rotated.clientId).toBe(issued.clientId);
    expect(rotated.clientSecret).toMatch(TOKEN);
    expect(rotated.clientSecret).not.toBe(issued.clientSecret);
    await expect(rejection(authenticateClient(store, issued, [accessType]))).resolves.toBeInstanceOf(InvalidClientError);
    await expect(authenticateClient(store, rotated, [accessType])).resolves.toMatchObject({ clientId: issued.clientId, name: 'A', userId: 7, redirectUris: ['https://app.example/cb'] });
    expect(store.dump()).not.toContain(rotated.clientSecret);
  });

  it('reseals an oauth1 secret', async () => {
    const { store, keys } = setup();
    const issued = await createClient(store, keys, { userId: 7, name: 'Legacy', accessType: 'oauth1' });
    const rotated = await rotateClientSecret(store, keys, issued.clientId);
    const client = await getClient(store, issued.clientId);
    expect(keys.secretBox.open(client.sealedSecret, `CLIENT#${issued.clientId}`)).toBe(rotated.clientSecret);
    expect(rotated.clientSecret).not.toBe(issued.clientSecret);
  });

  it('refuses an unknown client', async () => {
    const { store } = setup();
    expect(await rejection(rotateClientSecret(store, undefined, 'nobody'))).toBeInstanceOf(BadRequestError);
    expect(store.items()).toStrictEqual([]);
  });
});

describe('revokeClient', () => {
  it('deletes the client: its credentials no longer authenticate', async () => {
    const { store } = setup();
    const issued = await createClient(store, undefined, { userId: 7, name: 'A', accessType: 'oauth2' });
    const kept = await createClient(store, undefined, { userId: 7, name: 'B', accessType: 'oauth2' });
    await revokeClient(store, issued.clientId);
    await expect(rejection(authenticateClient(store, issued, ['oauth2']))).resolves.toBeInstanceOf(InvalidClientError);
    await expect(authenticateClient(store, kept, ['oauth2'])).resolves.toMatchObject({ clientId: kept.clientId });
    expect((await listClients(store)).map((client) => client.clientId)).toStrictEqual([kept.clientId]);
  });

  it('refuses an unknown client', async () => {
    const { store } = setup();
    expect(await rejection(revokeClient(store, 'nobody'))).toBeInstanceOf(BadRequestError);
  });
});

describe('listClients', () => {
  it('lists every client by creation time, without secret, hash or sealed secret', async () => {
    const { store, keys } = setup();
    const types: AccessType[] = ['basic', 'oauth1', 'oauth2'];
    const issued: IssuedSecret[] = [];
    for (const [index, accessType] of types.entries()) {
      issued.push(await createClient(store, keys, { userId: 10 + index, name: `client ${index}`, accessType }, () => NOW_MS - index * 1000));
    }
    const listed = await listClients(store);
    expect(listed).toStrictEqual(
      [2, 1, 0].map((index) => ({
        clientId: issued[index]?.clientId,
        name: `client ${index}`,
        userId: 10 + index,
        accessType: types[index],
        redirectUris: [],
        createdAt: NOW_S - index,
      })),
    );
    const text = JSON.stringify(listed);
    for (const { clientSecret } of issued) expect(text).not.toContain(clientSecret);
    expect(text).not.toMatch(/secretHash|sealedSecret/);
  });

  it('ignores items of other kinds and malformed client items', async () => {
    const { store } = setup();
    await store.put({ kind: 'CLIENT', id: 'broken' }, { name: 'no type' });
    await store.put({ kind: 'USER', id: '7' }, { userId: 7, login: 'jane' });
    expect(await listClients(store)).toStrictEqual([]);
  });
});

describe('which stack the admin CLI works on (scripts/admin.ts)', () => {
  const stack = (port: number, endpoint = `http://127.0.0.1:${port + 1000}`): StackRecord => ({
    pid: 4242,
    port,
    apiUrl: `http://localhost:${port}`,
    dynamodbEndpoint: endpoint,
    keyFile: `/tmp/odoo-rest-lambda-${port}-x/secrets.key`,
    region: 'eu-west-1',
    tables: { records: 'odoo-rest-lambda-local-records', auth: 'odoo-rest-lambda-local-auth' },
  });
  const LOCAL = { records: 'odoo-rest-lambda-local-records', auth: 'odoo-rest-lambda-local-auth', usage: 'odoo-rest-lambda-local-usage' };

  it('without --stage, the stack npm start runs, with its key file', () => {
    const target = resolveTarget({}, {}, () => [stack(3000)]);
    expect(target).toStrictEqual({
      stage: 'local',
      local: true,
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4000',
      endpointSource: 'npm start on port 3000, pid 4242',
      tables: LOCAL,
      keyFile: '/tmp/odoo-rest-lambda-3000-x/secrets.key',
      keyFileSource: 'npm start on port 3000',
      kmsKeyId: undefined,
    });
    expect(describeTarget(target)).toBe('admin: the local stage (DynamoDB at http://127.0.0.1:4000, from npm start on port 3000, pid 4242), tables odoo-rest-lambda-local-records and odoo-rest-lambda-local-auth');
    expect(resolveTarget({ stage: 'local' }, {}, () => [stack(3000)])).toStrictEqual(target);
  });

  it('DYNAMODB_ENDPOINT and SECRETS_KEY_FILE come first; a running npm start on that endpoint lends its key file', () => {
    const both = resolveTarget({}, { DYNAMODB_ENDPOINT: 'http://db:8000', SECRETS_KEY_FILE: '/k' }, () => [stack(3000)]);
    expect([both.endpoint, both.keyFile, both.keyFileSource]).toStrictEqual(['http://db:8000', '/k', 'SECRETS_KEY_FILE']);
    const endpointOnly = resolveTarget({}, { DYNAMODB_ENDPOINT: 'http://127.0.0.1:4001' }, () => [stack(3000), stack(3001)]);
    expect([endpointOnly.keyFile, endpointOnly.keyFileSource]).toStrictEqual(['/tmp/odoo-rest-lambda-3001-x/secrets.key', 'npm start on port 3001']);
    const elsewhere = resolveTarget({}, { DYNAMODB_ENDPOINT: 'http://db:8000' }, () => [stack(3000)]);
    expect(elsewhere.keyFile).toBeUndefined();
  });

  it('asks for --port when several npm start run, and says when none does', () => {
    const two = () => [stack(3000), stack(3001)];
    expect(() => resolveTarget({}, {}, two)).toThrow('Several local stacks are running (ports 3000 (http://localhost:3000), 3001 (http://localhost:3001)): pass --port PORT');
    expect(resolveTarget({ port: '3001' }, {}, two).endpoint).toBe('http://127.0.0.1:4001');
    expect(() => resolveTarget({ port: '3002' }, {}, two)).toThrow('No npm start on port 3002; running: 3000');
    expect(() => resolveTarget({}, {}, () => [])).toThrow(/^No local stack is running: start one with `npm start`/);
  });

  it("with --stage, the deployed stage: its tables, serverless.yml's region unless --region, its KMS key; no running stack consulted", () => {
    const target = resolveTarget({ stage: 'prod' }, { AWS_REGION: 'us-east-1' }, () => {
      throw new Error('not consulted');
    });
    expect(target).toStrictEqual({
      stage: 'prod',
      local: false,
      region: 'eu-west-1',
      endpoint: undefined,
      endpointSource: 'AWS',
      tables: { records: 'odoo-rest-lambda-prod-records', auth: 'odoo-rest-lambda-prod-auth', usage: 'odoo-rest-lambda-prod-usage' },
      keyFile: undefined,
      keyFileSource: 'SECRETS_KEY_FILE',
      kmsKeyId: 'alias/odoo-rest-lambda-prod-secrets',
    });
    expect(describeTarget(target)).toBe('admin: stage prod in region eu-west-1, tables odoo-rest-lambda-prod-records and odoo-rest-lambda-prod-auth');
    expect(resolveTarget({ stage: 'prod', region: 'us-east-1' }, {}).region).toBe('us-east-1');
    expect(() => resolveTarget({ stage: 'prod', port: '3000' }, {})).toThrow('--port picks a local stack');
    const tables = resolveTarget({ stage: 'test' }, { AUTH_TABLE: 'a', RECORDS_TABLE: 'r', SECRETS_KEY_FILE: '/k' });
    expect([tables.tables, tables.keyFile, tables.kmsKeyId]).toStrictEqual([{ records: 'r', auth: 'a', usage: 'odoo-rest-lambda-test-usage' }, '/k', undefined]);
  });
});
