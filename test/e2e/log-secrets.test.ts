/**
 * What the served functions log never holds a credential: this file runs every kind of
 * authentication (good and bad) against the served API, then scans everything the API printed
 * during the run so far (serverless-offline and the functions, captured by the global setup) for
 * the secrets it used and for the demo credentials the whole run uses.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import OAuth from 'oauth-1.0a';
import { createClient, getClient } from '../../lib/auth/admin';
import { issueOAuth1AccessToken } from '../../lib/auth/oauth1/flow';
import { apiUrl, demoBasicClient, demoClient, demoOAuth1Client, demoPassword, servedAuthStore, testKeyRing } from '../helpers/local';

const served = servedAuthStore();
afterAll(() => served.close());

const post = (path: string, fields: Record<string, string>) =>
  fetch(`${apiUrl()}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });

describe('the logs of the served API', () => {
  it('hold no token, secret, password, signature or Authorization header, after every kind of authentication', async () => {
    const secrets: string[] = [demoClient().clientSecret, demoOAuth1Client().clientSecret, demoBasicClient().clientSecret, demoPassword()];
    const seedUrl = `${apiUrl()}/restapi/1.0/object/res.partner/17?fields=['name']`;
    const headers: string[] = [];

    // OAuth 2: a token, a refresh, a use, a bad one.
    const issued = (await (await post('/restapi/1.0/common/oauth2/access_token', { client_id: demoClient().clientId, client_secret: demoClient().clientSecret })).json()) as Record<string, string>;
    secrets.push(issued.access_token as string, issued.refresh_token as string);
    headers.push(`Bearer ${issued.access_token}`, 'Bearer NotARealToken0123456789abcdefABCD');
    // Basic.
    const basic = (await (await post('/restapi/1.0/common/basic/access_token', { client_id: demoBasicClient().clientId, client_secret: demoBasicClient().clientSecret })).json()) as Record<string, string>;
    secrets.push(basic.access_token as string);
    headers.push(`Basic ${basic.access_token}`);
    // A wrong client secret at the token endpoint.
    const wrongSecret = 'WrongSecretWrongSecretWrongSecret1';
    await post('/restapi/1.0/common/oauth2/access_token', { client_id: demoClient().clientId, client_secret: wrongSecret });
    secrets.push(wrongSecret);
    // OAuth 1.0a: a signed request, its replay, a wrong secret.
    const consumer = await getClient(served.store, demoOAuth1Client().clientId);
    const token = await issueOAuth1AccessToken(served.store, testKeyRing(), consumer, 1);
    secrets.push(token.oauth_token_secret);
    for (const secret of [demoOAuth1Client().clientSecret, 'not-the-consumer-secret']) {
      const signer = new OAuth({ consumer: { key: consumer.clientId, secret }, signature_method: 'HMAC-SHA1', hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64') });
      const header = signer.toHeader(signer.authorize({ url: seedUrl, method: 'GET' }, { key: token.oauth_token, secret: token.oauth_token_secret })).Authorization;
      headers.push(header, header);
      secrets.push(/oauth_signature="([^"]+)"/.exec(header)?.[1] as string);
    }
    // A sign-in with a wrong password on the consent page.
    const oauth2App = await createClient(served.store, undefined, { userId: 1, name: 'log scan', accessType: 'oauth2', redirectUris: ['https://client.example/cb'] });
    const wrongPassword = 'a-wrong-password-for-the-log-scan';
    await post(`/restapi/1.0/common/oauth2/authorize`, { client_id: oauth2App.clientId, redirect_uri: 'https://client.example/cb', login: 'admin', password: wrongPassword, csrf_token: 'x' });
    secrets.push(wrongPassword, oauth2App.clientSecret);

    const statuses: number[] = [];
    for (const authorization of headers) statuses.push((await fetch(seedUrl, { headers: { Authorization: authorization } })).status);
    expect(statuses).toStrictEqual([200, 401, 200, 200, 401, 401, 401]);

    // The served API writes its logs asynchronously; give the last lines a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const logs = readFileSync(process.env.TEST_API_LOG_FILE as string, 'utf8');
    expect(logs.length).toBeGreaterThan(1000);
    expect(logs).toContain('"message":"unauthorized"');
    for (const secret of secrets) expect({ secret, found: logs.includes(secret) }).toStrictEqual({ secret, found: false });
    for (const header of headers) expect(logs.includes(header)).toBe(false);
  });
});
