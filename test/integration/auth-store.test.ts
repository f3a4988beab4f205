/** Clients and tokens in DynamoDB Local: only hashes stored, expiry enforced, refresh tokens refused. */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { authenticateBearer, createClient, issueClientToken } from '../../lib/auth';
import { AuthenticationRequiredError, InvalidClientError } from '../../lib/errors';
import { createClientCommand, parseCreateClientArgs } from '../../scripts/create-client';
import { freshStores } from '../helpers/local';

let stores: Awaited<ReturnType<typeof freshStores>>;

beforeAll(async () => {
  stores = await freshStores();
});

afterAll(() => stores.client.destroy());

describe('token issuance and bearer authentication against DynamoDB Local', () => {
  it('issues a token for the right secret and authenticates it as the client user', async () => {
    const client = await createClient(stores.auth, 7, 'integration');
    const deps = { store: stores.auth, accessTokenValidity: 1800 };
    const token = await issueClientToken(deps, { clientId: client.clientId, clientSecret: client.clientSecret, grantType: undefined });
    expect(await authenticateBearer(deps, `Bearer ${token.access_token}`)).toStrictEqual({ userId: 7, clientId: client.clientId, scheme: 'oauth2', scopes: '' });
  });

  it('stores no secret and no token in clear', async () => {
    const client = await createClient(stores.auth, 7, 'clear-text check');
    const token = await issueClientToken({ store: stores.auth, accessTokenValidity: 1800 }, { ...client, grantType: 'client_credentials' });
    const { Items = [] } = await stores.client.send(new ScanCommand({ TableName: stores.tables.auth }));
    const everything = JSON.stringify(Items);
    for (const secret of [client.clientSecret, token.access_token, token.refresh_token]) expect(everything.includes(secret)).toBe(false);
  });

  it('refuses a wrong secret and an unknown client alike', async () => {
    const client = await createClient(stores.auth, 7, 'wrong secret');
    const deps = { store: stores.auth, accessTokenValidity: 1800 };
    await expect(issueClientToken(deps, { clientId: client.clientId, clientSecret: 'nope', grantType: undefined })).rejects.toBeInstanceOf(InvalidClientError);
    await expect(issueClientToken(deps, { clientId: 'nobody', clientSecret: 'nope', grantType: undefined })).rejects.toBeInstanceOf(InvalidClientError);
  });

  it('refuses a token once access_token_validity has passed', async () => {
    const client = await createClient(stores.auth, 7, 'expiry');
    let now = Date.parse('2026-01-01T00:00:00Z');
    const deps = { store: stores.auth, accessTokenValidity: 60, now: () => now };
    const token = await issueClientToken(deps, { ...client, grantType: undefined });
    now += 59_000;
    await expect(authenticateBearer(deps, `Bearer ${token.access_token}`)).resolves.toMatchObject({ userId: 7 });
    now += 1_000;
    await expect(authenticateBearer(deps, `Bearer ${token.access_token}`)).rejects.toStrictEqual(new AuthenticationRequiredError('expired token'));
  });

  it('does not take a refresh token as an access token', async () => {
    const client = await createClient(stores.auth, 7, 'refresh');
    const deps = { store: stores.auth, accessTokenValidity: 1800 };
    const token = await issueClientToken(deps, { ...client, grantType: undefined });
    await expect(authenticateBearer(deps, `Bearer ${token.refresh_token}`)).rejects.toBeInstanceOf(AuthenticationRequiredError);
  });
});

describe('npm run create-client', () => {
  it('creates a client whose credentials the token endpoint logic accepts', async () => {
    const options = parseCreateClientArgs(['--stage', 'x', '--user', '3', '--name', 'Shop sync'], { DYNAMODB_ENDPOINT: process.env.TEST_DYNAMODB_ENDPOINT });
    expect(options).toStrictEqual({ table: 'odoo-rest-lambda-x-auth', region: 'eu-west-1', userId: 3, name: 'Shop sync', endpoint: process.env.TEST_DYNAMODB_ENDPOINT });
    const client = await createClientCommand({ ...options, table: stores.tables.auth });
    const token = await issueClientToken({ store: stores.auth, accessTokenValidity: 1800 }, { ...client, grantType: undefined });
    await expect(authenticateBearer({ store: stores.auth, accessTokenValidity: 1800 }, `Bearer ${token.access_token}`)).resolves.toMatchObject({ userId: 3 });
  });

  it('refuses incomplete arguments with its usage', () => {
    expect(() => parseCreateClientArgs(['--stage', 'prod'], {})).toThrow(/^usage: npm run create-client/);
    expect(() => parseCreateClientArgs(['--stage', 'prod', '--user', 'abc', '--name', 'x'], {})).toThrow(/^usage/);
  });
});
