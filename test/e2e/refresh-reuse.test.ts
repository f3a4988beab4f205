/**
 * OAuth 2 refresh tokens over HTTP, against the served token function (whose DynamoDB calls the
 * IAM guard checks against its role): a rotated refresh token presented again revokes its grant
 * (RFC 9700 §4.14.2), and a client the admin set to persistent refresh tokens keeps its first one,
 * as clients written for the original expect.
 */
import { createClient } from '../../lib/auth/admin';
import { apiUrl, demoClient, servedAuthStore } from '../helpers/local';

const served = servedAuthStore();
afterAll(() => served.close());

interface Tokens {
  readonly access_token: string;
  readonly refresh_token: string;
}

async function tokenEndpoint(client: { clientId: string; clientSecret: string }, values: Record<string, string> = {}) {
  const response = await fetch(`${apiUrl()}/restapi/1.0/common/oauth2/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret, ...values }),
  });
  return { status: response.status, body: (await response.json()) as Tokens & Record<string, unknown> };
}

const refresh = (client: { clientId: string; clientSecret: string }, refreshToken: string) =>
  tokenEndpoint(client, { grant_type: 'refresh_token', refresh_token: refreshToken });

/** The status of a read of partner 17 with the token. */
async function readStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${apiUrl()}/restapi/1.0/object/res.partner/17`, { headers: { Authorization: `Bearer ${accessToken}` } });
  await response.arrayBuffer();
  return response.status;
}

describe('refresh token reuse', () => {
  it('revokes the live refresh token and every access token of the grant when a rotated refresh token comes back', async () => {
    const client = demoClient();
    const first = await tokenEndpoint(client);
    const second = await refresh(client, first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect([await readStatus(first.body.access_token), await readStatus(second.body.access_token)]).toStrictEqual([200, 200]);

    const reused = await refresh(client, first.body.refresh_token);
    expect(reused).toStrictEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid Refresh Token.', code: 400, message: 'Invalid Refresh Token.' },
    });
    expect([await readStatus(first.body.access_token), await readStatus(second.body.access_token)]).toStrictEqual([401, 401]);
    expect((await refresh(client, second.body.refresh_token)).status).toBe(400);
    // The client's other grants are not this one: a new one works.
    const fresh = await tokenEndpoint(client);
    expect(await readStatus(fresh.body.access_token)).toBe(200);
  });

  it('keeps the refresh token of a client set to persistent refresh tokens, refresh after refresh', async () => {
    const client = await createClient(served.store, undefined, { userId: 1, name: 'Written for the original', accessType: 'oauth2', persistentRefreshTokens: true });
    const first = await tokenEndpoint(client);
    const again = await refresh(client, first.body.refresh_token);
    const andAgain = await refresh(client, first.body.refresh_token);
    expect([again.status, andAgain.status]).toStrictEqual([200, 200]);
    expect([again.body.refresh_token, andAgain.body.refresh_token]).toStrictEqual([first.body.refresh_token, first.body.refresh_token]);
    expect(await readStatus(andAgain.body.access_token)).toBe(200);
  });
});
