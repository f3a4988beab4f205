/**
 * Opaque access tokens over HTTP (issue 13, "less overhead per paid call"): a token names its client
 * and user in clear before its random part, so the served authorizer reads token, client and user in
 * one BatchGetItem (the IAM guard checks that its role allows it). The names decide nothing: a
 * forged prefix is refused; tokens issued before the format still work; and every revocation
 * (RFC 7009, a grant's refresh token, the client, the user archived) stops a token at once.
 */
import { createClient, revokeClient } from '../../lib/auth/admin';
import { randomToken, sha256Hex } from '../../lib/auth/credentials';
import { tokenKey } from '../../lib/auth/oauth2';
import { createUser, getUser, updateUser } from '../../lib/auth/users';
import { apiUrl, demoBasicClient, demoClient, servedAuthStore } from '../helpers/local';

const served = servedAuthStore();
afterAll(() => served.close());

type Client = { readonly clientId: string; readonly clientSecret: string };
/** The demo administrator: the user the demo clients act for. */
const ADMIN = 1;
const TOKEN_FORMAT = /^t1\.([A-Za-z0-9_-]+)\.(0|[1-9][0-9]*)\.[A-Za-z0-9]{32}$/;

async function formPost(path: string, values: Record<string, string>) {
  const response = await fetch(`${apiUrl()}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(values),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function issue(client: Client, path = '/restapi/1.0/common/oauth2/access_token') {
  const answer = await formPost(path, { client_id: client.clientId, client_secret: client.clientSecret });
  expect(answer.status).toBe(200);
  return { accessToken: String(answer.body.access_token), refreshToken: String(answer.body.refresh_token) };
}

const revoke = (client: Client, token: string) =>
  formPost('/restapi/1.0/common/oauth2/revoke', { token, client_id: client.clientId, client_secret: client.clientSecret });

/** The status of a read of partner 17 with `Authorization: <scheme> <token>`. */
async function readStatus(token: string, scheme = 'Bearer'): Promise<number> {
  const response = await fetch(`${apiUrl()}/restapi/1.0/object/res.partner/17`, { headers: { Authorization: `${scheme} ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

/** A user of this file's own (with the administrator's groups), and an OAuth 2 client acting for them. */
async function ownUserAndClient(name: string) {
  const admin = await getUser(served.store, ADMIN);
  if (!admin) throw new Error('the demo administrator is missing');
  const userId = 900_000 + Math.floor(Math.random() * 90_000);
  const user = await createUser(served.store, { userId, login: `token-format-${userId}`, name, groups: admin.groups });
  const client = await createClient(served.store, undefined, { userId, name, accessType: 'oauth2' });
  return { user, client };
}

describe('the access token format', () => {
  it('issues Bearer and Basic tokens that name their client and user, URL-safe, which work as they are', async () => {
    const bearer = await issue(demoClient());
    const basic = await issue(demoBasicClient(), '/restapi/1.0/common/basic/access_token');
    expect([TOKEN_FORMAT.exec(bearer.accessToken)?.slice(1), TOKEN_FORMAT.exec(basic.accessToken)?.slice(1)]).toStrictEqual([
      [demoClient().clientId, String(ADMIN)],
      [demoBasicClient().clientId, String(ADMIN)],
    ]);
    expect(encodeURIComponent(bearer.accessToken)).toBe(bearer.accessToken);
    expect(bearer.refreshToken).toMatch(/^[A-Za-z0-9]{32}$/);
    expect([await readStatus(bearer.accessToken), await readStatus(basic.accessToken, 'Basic')]).toStrictEqual([200, 200]);
  });

  it('still accepts a token issued before the format (32 random characters), Bearer and Basic', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 1800;
    const bearer = randomToken();
    const basic = randomToken();
    await served.store.put(tokenKey(sha256Hex(bearer)), { kind: 'access', scheme: 'oauth2', clientId: demoClient().clientId, userId: ADMIN, scopes: '', expiresAt });
    await served.store.put(tokenKey(sha256Hex(basic)), { kind: 'access', scheme: 'basic', clientId: demoBasicClient().clientId, userId: ADMIN, scopes: '', expiresAt });
    expect([await readStatus(bearer), await readStatus(basic, 'Basic')]).toStrictEqual([200, 200]);
  });

  it('refuses a token whose prefix was changed to name another client or user, or its random part alone', async () => {
    const { accessToken } = await issue(demoClient());
    const [, clientId, , random] = accessToken.split('.') as [string, string, string, string];
    const forged = [`t1.${demoBasicClient().clientId}.${ADMIN}.${random}`, `t1.${clientId}.2.${random}`, random];
    expect(await Promise.all(forged.map((token) => readStatus(token)))).toStrictEqual([401, 401, 401]);
    expect(await readStatus(accessToken)).toBe(200);
  });
});

describe('revocation stops a token at once', () => {
  it('an access token revoked by its client (RFC 7009)', async () => {
    const client = demoClient();
    const { accessToken } = await issue(client);
    expect(await readStatus(accessToken)).toBe(200);
    expect(await revoke(client, accessToken)).toStrictEqual({ status: 200, body: {} });
    expect(await readStatus(accessToken)).toBe(401);
  });

  it("every access token of a grant, when its refresh token is revoked (the grant's family)", async () => {
    const client = demoClient();
    const first = await issue(client);
    const renewed = await formPost('/restapi/1.0/common/oauth2/access_token', {
      client_id: client.clientId,
      client_secret: client.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: first.refreshToken,
    });
    const second = String(renewed.body.access_token);
    expect([await readStatus(first.accessToken), await readStatus(second)]).toStrictEqual([200, 200]);
    expect((await revoke(client, String(renewed.body.refresh_token))).status).toBe(200);
    expect([await readStatus(first.accessToken), await readStatus(second)]).toStrictEqual([401, 401]);
  });

  it('the tokens of a revoked client', async () => {
    const client = await createClient(served.store, undefined, { userId: ADMIN, name: 'Revoked at once', accessType: 'oauth2' });
    const { accessToken } = await issue(client);
    expect(await readStatus(accessToken)).toBe(200);
    await revokeClient(served.store, client.clientId);
    expect(await readStatus(accessToken)).toBe(401);
  });

  it('the tokens of a user archived', async () => {
    const { user, client } = await ownUserAndClient('Archived at once');
    const { accessToken } = await issue(client);
    expect(TOKEN_FORMAT.exec(accessToken)?.slice(1)).toStrictEqual([client.clientId, String(user.userId)]);
    expect(await readStatus(accessToken)).toBe(200);
    await updateUser(served.store, { ...user, active: false });
    expect(await readStatus(accessToken)).toBe(401);
  });
});
