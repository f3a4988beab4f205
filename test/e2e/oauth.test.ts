/**
 * The OAuth flows end to end, over HTTP against the served API, with real clients: the npm
 * `oauth-1.0a` signer for OAuth 1.0a, plain fetch for OAuth 2 and Basic. The sign-in and consent
 * pages are driven here as a browser would post them (cookies kept by hand); test/e2e/consent-
 * browser.test.ts drives them in a real Chromium.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { createClient } from '../../lib/auth/admin';
import { sha256Hex } from '../../lib/auth/credentials';
import { DEMO_REDIRECT_URI } from '../../lib/runtime/demo';
import { createUser } from '../../lib/auth/users';
import { apiUrl, demoBasicClient, demoOAuth1Client, demoPassword, servedAuthStore } from '../helpers/local';
import { CookieJar, formOf, postForm } from '../helpers/consent-pages';

const served = servedAuthStore();
const store = served.store;
const SEED_PATH = '/restapi/1.0/object/res.partner';
const SEED_QUERY = "ids=17,20&vals={'street2':'Chung Hsiao East Road'}";
const seedUrl = () => `${apiUrl()}${SEED_PATH}?${SEED_QUERY.replace(/ /g, '%20')}`;

afterAll(() => served.close());

/** GET the authorize page, sign in, then approve or deny; returns the final answer. */
async function signInAndDecide(authorizeUrl: string, login: string, password: string, decision: 'approve' | 'deny'): Promise<Response> {
  const jar = new CookieJar();
  const loginPage = await fetch(authorizeUrl, { redirect: 'manual' });
  jar.take(loginPage);
  expect(loginPage.status).toBe(200);
  const loginForm = formOf(await loginPage.text());
  const consentPage = await postForm(jar, loginForm.action, { ...loginForm.fields, login, password });
  const consentHtml = await consentPage.text();
  expect({ status: consentPage.status, asks: consentHtml.includes('id="approve"') }).toStrictEqual({ status: 200, asks: true });
  const consentForm = formOf(consentHtml);
  return postForm(jar, consentForm.action, { ...consentForm.fields, decision });
}

async function formPost(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${apiUrl()}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function putSeed(authorization: string, url = seedUrl()): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { method: 'PUT', headers: { Authorization: authorization } });
  return { status: response.status, body: await response.text() };
}

describe('OAuth 1.0a, the three legs with the oauth-1.0a library, then a signed PUT list', () => {
  const consumer = () => ({ key: demoOAuth1Client().clientId, secret: demoOAuth1Client().clientSecret });
  const signer = (secret = consumer().secret, method: 'HMAC-SHA1' | 'HMAC-SHA256' = 'HMAC-SHA1') =>
    new OAuth({
      consumer: { key: consumer().key, secret },
      signature_method: method,
      hash_function: (base, key) => createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key).update(base).digest('base64'),
    });
  let token: { key: string; secret: string };

  beforeAll(async () => {
    // Leg 1: temporary credentials, the callback signed in the form body.
    const requestTokenUrl = `${apiUrl()}/restapi/1.0/common/oauth1/request_token`;
    // oauth-1.0a puts the oauth_* members of `data` (the callback, later the verifier) in its header.
    const leg1Data = { oauth_callback: DEMO_REDIRECT_URI };
    const leg1 = await formPost('/restapi/1.0/common/oauth1/request_token', {}, { ...signer().toHeader(signer().authorize({ url: requestTokenUrl, method: 'POST', data: leg1Data })) });
    expect(leg1).toStrictEqual({ status: 200, body: { oauth_token: expect.stringMatching(/^[A-Za-z0-9]{32}$/), oauth_token_secret: expect.stringMatching(/^[A-Za-z0-9]{32}$/) } });
    const requestToken = { key: leg1.body.oauth_token as string, secret: leg1.body.oauth_token_secret as string };

    // Leg 2: the user signs in and approves; the browser is sent to the callback with the verifier.
    const decided = await signInAndDecide(`${apiUrl()}/restapi/1.0/common/oauth1/authorize?oauth_token=${requestToken.key}`, 'admin', demoPassword(), 'approve');
    expect(decided.status).toBe(303);
    const callback = new URL(decided.headers.get('location') as string);
    expect(`${callback.origin}${callback.pathname}`).toBe(DEMO_REDIRECT_URI);
    expect(callback.searchParams.get('oauth_token')).toBe(requestToken.key);
    const verifier = callback.searchParams.get('oauth_verifier') as string;

    // Leg 3: token credentials for the verifier.
    const accessTokenUrl = `${apiUrl()}/restapi/1.0/common/oauth1/access_token`;
    const leg3Data = { oauth_verifier: verifier };
    const leg3 = await formPost('/restapi/1.0/common/oauth1/access_token', {}, {
      ...signer().toHeader(signer().authorize({ url: accessTokenUrl, method: 'POST', data: leg3Data }, requestToken)),
    });
    expect(leg3.status).toBe(200);
    token = { key: leg3.body.oauth_token as string, secret: leg3.body.oauth_token_secret as string };

    // The request token is spent: exchanging it again fails.
    const again = await formPost('/restapi/1.0/common/oauth1/access_token', {}, {
      ...signer().toHeader(signer().authorize({ url: accessTokenUrl, method: 'POST', data: leg3Data }, requestToken)),
    });
    expect(again.status).toBe(401);
  });

  const signedHeader = (oauth: OAuth, method = 'PUT', url = seedUrl()) => oauth.toHeader(oauth.authorize({ url, method }, token)).Authorization;

  it('a signed PUT list succeeds, with HMAC-SHA1 and HMAC-SHA256', async () => {
    for (const oauth of [signer(), signer(consumer().secret, 'HMAC-SHA256')]) {
      const { status, body } = await putSeed(signedHeader(oauth));
      expect(status).toBe(200);
      expect(JSON.parse(body).Partner.map((partner: { id: number; street2: string }) => [partner.id, partner.street2])).toStrictEqual([
        [17, 'Chung Hsiao East Road'],
        [20, 'Chung Hsiao East Road'],
      ]);
    }
  });

  it('the same signed request replayed is 401 (the nonce is recorded in DynamoDB)', async () => {
    const header = signedHeader(signer());
    expect((await putSeed(header)).status).toBe(200);
    expect(await putSeed(header)).toStrictEqual({ status: 401, body: '{"code":401,"message":"Authentication required"}' });
  });

  it('a tampered parameter is 401 and writes nothing', async () => {
    const header = signedHeader(signer());
    const tampered = seedUrl().replace('ids=17,20', 'ids=17,20,26');
    expect((await putSeed(header, tampered)).status).toBe(401);
    const record = (await (await fetch(`${apiUrl()}${SEED_PATH}/26?fields=['street2']`, { headers: { Authorization: signedHeader(signer(), 'GET', `${apiUrl()}${SEED_PATH}/26?fields=['street2']`) } })).json()) as { Partner: { street2: unknown } };
    expect(record.Partner.street2).not.toBe('Chung Hsiao East Road');
  });

  it('an old timestamp is 401', async () => {
    const old = signer();
    old.getTimeStamp = () => Math.floor(Date.now() / 1000) - 900;
    expect((await putSeed(signedHeader(old))).status).toBe(401);
  });

  it('a wrong consumer secret is 401', async () => {
    expect((await putSeed(signedHeader(signer('not-the-secret')))).status).toBe(401);
  });

  it('oauth_* parameters in the query instead of the header work too', async () => {
    const oauth = signer();
    const params = oauth.authorize({ url: seedUrl(), method: 'PUT' }, token);
    // authorize() also returns the URL's own parameters: only the oauth_* ones are added.
    const query = Object.entries(params)
      .filter(([name]) => name.startsWith('oauth_'))
      .map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`)
      .join('&');
    const response = await fetch(`${seedUrl()}&${query}`, { method: 'PUT' });
    expect(response.status).toBe(200);
  });

  describe('a form body the signature covers (RFC 5849 §3.4.1.3.1): verified by the object function', () => {
    const url = `${apiUrl()}${SEED_PATH}`;
    /** A PUT whose form fields the oauth-1.0a library signs (its `data`); `sent` is the body actually sent. */
    const formPut = (data: Record<string, string>, sent: Record<string, string> = data, oauth = signer()) => {
      const headers = { ...oauth.toHeader(oauth.authorize({ url, method: 'PUT', data: { ...data } }, token)), 'Content-Type': 'application/x-www-form-urlencoded' };
      return () => fetch(url, { method: 'PUT', headers, body: new URLSearchParams(sent) });
    };
    const street2 = async (id: number) => {
      const readUrl = `${apiUrl()}${SEED_PATH}/${id}?fields=['street2']`;
      const response = await fetch(readUrl, { headers: { Authorization: signedHeader(signer(), 'GET', readUrl) } });
      return ((await response.json()) as { Partner: { street2: unknown } }).Partner.street2;
    };

    it('a signed form PUT (ids and vals in the body) succeeds, with HMAC-SHA1 and HMAC-SHA256', async () => {
      for (const method of ['HMAC-SHA1', 'HMAC-SHA256'] as const) {
        const vals = `{'street2': 'Form ${method}'}`;
        const response = await formPut({ ids: '17,20', vals }, undefined, signer(consumer().secret, method))();
        expect(response.status).toBe(200);
        expect(((await response.json()) as { Partner: { id: number; street2: string }[] }).Partner.map((p) => [p.id, p.street2])).toStrictEqual([
          [17, `Form ${method}`],
          [20, `Form ${method}`],
        ]);
      }
    });

    it('the same signed form request replayed is 401, in the shape and with the header of the authorizer\'s own 401', async () => {
      const send = formPut({ ids: '17', vals: "{'street2': 'Form once'}" });
      expect((await send()).status).toBe(200);
      const replay = await send();
      const gateway = await fetch(url, { method: 'PUT', headers: { Authorization: 'OAuth oauth_consumer_key="nobody"' } });
      const shape = async (response: Response) => ({
        status: response.status,
        body: await response.text(),
        contentType: response.headers.get('content-type')?.split(';')[0],
        wwwAuthenticate: response.headers.get('www-authenticate'),
      });
      const expected = { status: 401, body: '{"code":401,"message":"Authentication required"}', contentType: 'application/json', wwwAuthenticate: 'Bearer realm="restapi"' };
      expect([await shape(replay), await shape(gateway)]).toStrictEqual([expected, expected]);
    });

    it('a tampered form field is 401 and writes nothing', async () => {
      const before = await street2(17);
      const response = await formPut({ ids: '17', vals: "{'street2': 'Signed'}" }, { ids: '17', vals: "{'street2': 'Tampered'}" })();
      expect(response.status).toBe(401);
      expect(await street2(17)).toBe(before);
    });

    it('form fields left out of the signature are 401 and write nothing', async () => {
      const before = await street2(20);
      const response = await formPut({}, { ids: '20', vals: "{'street2': 'Unsigned'}" })();
      expect(response.status).toBe(401);
      expect(await street2(20)).toBe(before);
    });

    it('concurrent replays of one signed form request: exactly one succeeds', async () => {
      const send = formPut({ ids: '17', vals: "{'street2': 'Form race'}" });
      const statuses = await Promise.all(Array.from({ length: 6 }, () => send().then((response) => response.status)));
      expect(statuses.sort()).toStrictEqual([200, 401, 401, 401, 401, 401]);
    });

    it('a signature made by hand as Python (oauthlib, requests) makes it: a realm, quote(safe="~"), a urlencoded body with +', async () => {
      // Python's urllib.parse.quote(s, safe='~'): RFC 3986 unreserved stays, everything else %XX.
      const quote = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
      const fields: [string, string][] = [['ids', '17'], ['vals', "{'street2': 'Python É'}"], ['context', "{'lang': 'en_US'}"]];
      const query: [string, string][] = [['fields', "['street2']"]];
      const protocol: [string, string][] = [
        ['oauth_consumer_key', consumer().key],
        ['oauth_token', token.key],
        ['oauth_signature_method', 'HMAC-SHA1'],
        ['oauth_timestamp', String(Math.floor(Date.now() / 1000))],
        ['oauth_nonce', randomBytes(16).toString('hex')],
        ['oauth_version', '1.0'],
      ];
      const normalized = [...fields, ...query, ...protocol]
        .map(([name, value]) => [quote(name), quote(value)])
        .sort(([a = '', b = ''], [c = '', d = '']) => (a < c ? -1 : a > c ? 1 : b < d ? -1 : b > d ? 1 : 0))
        .map(([name, value]) => `${name}=${value}`)
        .join('&');
      const baseString = ['PUT', quote(url), quote(normalized)].join('&');
      const signature = createHmac('sha1', `${quote(consumer().secret)}&${quote(token.secret)}`).update(baseString).digest('base64');
      const header = `OAuth realm="", ${[...protocol, ['oauth_signature', signature]].map(([name, value]) => `${name}="${quote(value as string)}"`).join(', ')}`;
      const body = fields.map(([name, value]) => `${quote(name).replace(/%20/g, '+')}=${quote(value).replace(/%20/g, '+')}`).join('&');
      const response = await fetch(`${url}?fields=${quote("['street2']")}`, {
        method: 'PUT',
        headers: { Authorization: header, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(body),
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { Partner: { id: number; street2: string }[] }).Partner.map((p) => [p.id, p.street2])).toStrictEqual([[17, 'Python É']]);
    });
  });

  it('concurrent replays of one signed request: exactly one succeeds', async () => {
    const header = signedHeader(signer());
    const statuses = await Promise.all(Array.from({ length: 8 }, () => putSeed(header).then((answer) => answer.status)));
    expect(statuses.sort()).toStrictEqual([200, 401, 401, 401, 401, 401, 401, 401]);
  });
});

/** RFC 7636 Appendix B. */
const PKCE = { verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' };

describe('OAuth 2.0 against the served API', () => {
  let client: { clientId: string; clientSecret: string };
  const redirectUri = 'https://client.example/callback';
  const tokenPath = '/restapi/1.0/common/oauth2/access_token';

  beforeAll(async () => {
    client = await createClient(store, undefined, { userId: 1, name: 'E2E <OAuth 2> app', accessType: 'oauth2', redirectUris: [redirectUri] });
  });

  const authorizeUrl = (extra: Record<string, string> = {}) =>
    `${apiUrl()}/restapi/1.0/common/oauth2/authorize?${new URLSearchParams({ client_id: client.clientId, redirect_uri: redirectUri, response_type: 'code', state: 'xyz 1', ...extra })}`;

  async function codeFor(extra: Record<string, string> = {}): Promise<string> {
    const decided = await signInAndDecide(authorizeUrl(extra), 'admin', demoPassword(), 'approve');
    expect(decided.status).toBe(303);
    const location = new URL(decided.headers.get('location') as string);
    expect([`${location.origin}${location.pathname}`, location.searchParams.get('state')]).toStrictEqual([redirectUri, 'xyz 1']);
    return location.searchParams.get('code') as string;
  }

  it('authorization_code with PKCE S256: the code works once, for the right verifier', async () => {
    const code = await codeFor({ code_challenge: PKCE.challenge, code_challenge_method: 'S256' });
    const exchange = (verifier: string) => formPost(tokenPath, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, ...credentials() });
    const credentials = () => ({ client_id: client.clientId, client_secret: client.clientSecret });
    const first = await exchange(PKCE.verifier);
    expect(first).toStrictEqual({
      status: 200,
      body: { access_token: expect.any(String), access_token_validity: 1800, token_type: 'Bearer', refresh_token: expect.any(String), expires_in: 1800 },
    });
    expect((await putSeed(`Bearer ${first.body.access_token as string}`)).status).toBe(200);
    expect((await exchange(PKCE.verifier)).body.error).toBe('invalid_grant');
  });

  it('authorization_code: a wrong PKCE verifier is invalid_grant', async () => {
    const code = await codeFor({ code_challenge: PKCE.challenge, code_challenge_method: 'S256' });
    const wrong = createHash('sha256').update(randomBytes(8)).digest('base64url');
    const answer = await formPost(tokenPath, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: wrong, client_id: client.clientId, client_secret: client.clientSecret });
    expect([answer.status, answer.body.error]).toStrictEqual([400, 'invalid_grant']);
  });

  it('denying sends the browser back with error=access_denied and the state', async () => {
    const decided = await signInAndDecide(authorizeUrl(), 'admin', demoPassword(), 'deny');
    const location = new URL(decided.headers.get('location') as string);
    expect([decided.status, location.searchParams.get('error'), location.searchParams.get('state'), location.searchParams.has('code')]).toStrictEqual([303, 'access_denied', 'xyz 1', false]);
  });

  it('locks a login after 10 failed sign-ins: the right password is then refused too (429), without a check', async () => {
    await createUser(store, { userId: 90_001, login: `locked-${Date.now()}`, name: 'Locked', groups: ['base.group_user'], password: 'the right one' });
    const login = (await store.get({ kind: 'USER', id: '90001' }))?.login as string;
    const jar = new CookieJar();
    const loginPage = await fetch(authorizeUrl(), { redirect: 'manual' });
    jar.take(loginPage);
    const form = formOf(await loginPage.text());
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 10; attempt++) statuses.push((await postForm(jar, form.action, { ...form.fields, login, password: `wrong ${attempt}` })).status);
    const locked = await postForm(jar, form.action, { ...form.fields, login, password: 'the right one' });
    expect([...new Set(statuses), locked.status]).toStrictEqual([401, 429]);
    expect(await locked.text()).toContain('Too many failed sign-ins for this login');
  });

  it('refuses an unregistered redirect_uri without redirecting, and an unknown client (the original bodies)', async () => {
    const mismatch = await fetch(authorizeUrl({ redirect_uri: 'https://evil.example/cb' }), { redirect: 'manual' });
    expect([mismatch.status, ((await mismatch.json()) as { message: string }).message]).toStrictEqual([400, 'redirect uri mismatch.']);
    const unknown = await fetch(authorizeUrl({ client_id: 'nobody' }), { redirect: 'manual' });
    expect([unknown.status, ((await unknown.json()) as { message: string }).message]).toStrictEqual([401, 'Invalid Credentials.']);
  });

  it('a refresh token works once: rotated on use; presenting the old one again revokes the grant (RFC 9700 §4.14.2)', async () => {
    const first = await formPost(tokenPath, { client_id: client.clientId, client_secret: client.clientSecret });
    const refresh = (token: string) => formPost(tokenPath, { grant_type: 'refresh_token', refresh_token: token, client_id: client.clientId, client_secret: client.clientSecret });
    const second = await refresh(first.body.refresh_token as string);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(await refresh(first.body.refresh_token as string)).toStrictEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid Refresh Token.', code: 400, message: 'Invalid Refresh Token.' },
    });
    expect((await putSeed(`Bearer ${second.body.access_token as string}`)).status).toBe(401);
  });

  it('a revoked token is 401 at once (RFC 7009), and revoking a refresh token revokes its access token', async () => {
    const issued = await formPost(tokenPath, { client_id: client.clientId, client_secret: client.clientSecret });
    const revoke = await formPost('/restapi/1.0/common/oauth2/revoke', { token: issued.body.refresh_token as string, client_id: client.clientId, client_secret: client.clientSecret });
    expect(revoke).toStrictEqual({ status: 200, body: {} });
    expect((await putSeed(`Bearer ${issued.body.access_token as string}`)).status).toBe(401);
  });

  it('an expired token is 401', async () => {
    const token = 'ExpiredToken0123456789abcdefghij';
    await store.put({ kind: 'TOKEN', id: sha256Hex(token) }, { kind: 'access', scheme: 'oauth2', clientId: client.clientId, userId: 1, scopes: '', expiresAt: Math.floor(Date.now() / 1000) - 1 });
    expect((await putSeed(`Bearer ${token}`)).status).toBe(401);
  });

  it("a write outside the token's scope is 403, and reading within it works", async () => {
    const readOnly = await formPost(tokenPath, { client_id: client.clientId, client_secret: client.clientSecret, scope: 'res.partner:read' });
    expect(readOnly.body.scope).toBe('res.partner:read');
    const put = await putSeed(`Bearer ${readOnly.body.access_token as string}`);
    expect(put.status).toBe(403);
    expect(JSON.parse(put.body).error.message).toBe("You are not allowed to modify 'Partner' (res.partner) records.\n\nThe access token's scope does not include res.partner:write.");
    const read = await fetch(`${apiUrl()}${SEED_PATH}/17`, { headers: { Authorization: `Bearer ${readOnly.body.access_token as string}` } });
    expect(read.status).toBe(200);
  });

  it("a write outside the user's rights is 403 with Odoo's message, and nothing is written", async () => {
    const demoUserClient = await createClient(store, undefined, { userId: 2, name: 'Marc Demo app', accessType: 'oauth2' });
    const issued = await formPost(tokenPath, { client_id: demoUserClient.clientId, client_secret: demoUserClient.clientSecret });
    const url = `${apiUrl()}${SEED_PATH}?ids=17&vals={'street2':'Not allowed'}`.replace(/ /g, '%20');
    const put = await putSeed(`Bearer ${issued.body.access_token as string}`, url);
    expect(put).toStrictEqual({
      status: 403,
      body: JSON.stringify({
        error: {
          code: 403,
          message:
            "You are not allowed to modify 'Partner' (res.partner) records.\n\nThis operation is allowed for the following groups:\n\t- Administration/Settings\n\t- Extra Rights/Contact Creation\n\nContact your administrator to request access if necessary.",
        },
      }),
    });
    const check = await fetch(`${apiUrl()}${SEED_PATH}/check_access_rights?operation=['write']&raise_exception=False`, { headers: { Authorization: `Bearer ${issued.body.access_token as string}` } });
    expect(check.status).toBe(404);
    const read = await fetch(`${apiUrl()}${SEED_PATH}/17?fields=['street2']`, { headers: { Authorization: `Bearer ${issued.body.access_token as string}` } });
    expect(((await read.json()) as { Partner: { street2: unknown } }).Partner.street2).not.toBe('Not allowed');
  });
});

describe('Basic tokens (the original, Odoo 15+)', () => {
  it('issues a Basic token that works as Authorization: Basic, and not as Bearer', async () => {
    const issued = await formPost('/restapi/1.0/common/basic/access_token', { client_id: demoBasicClient().clientId, client_secret: demoBasicClient().clientSecret });
    expect(issued).toStrictEqual({ status: 200, body: { access_token: expect.stringMatching(/^t1\.[A-Za-z0-9_-]+\.(?:0|[1-9][0-9]*)\.[A-Za-z0-9]{32}$/), access_token_validity: 1800, token_type: 'Basic', refresh_token: false, expires_in: 1800 } });
    expect((await putSeed(`Basic ${issued.body.access_token as string}`)).status).toBe(200);
    expect((await putSeed(`Bearer ${issued.body.access_token as string}`)).status).toBe(401);
  });

  it('refuses an OAuth 2 client at the Basic endpoint', async () => {
    const oauth2 = await createClient(store, undefined, { userId: 1, name: 'oauth2 only', accessType: 'oauth2' });
    const answer = await formPost('/restapi/1.0/common/basic/access_token', { client_id: oauth2.clientId, client_secret: oauth2.clientSecret });
    expect([answer.status, answer.body.error]).toStrictEqual([400, 'unauthorized_client']);
  });
});
