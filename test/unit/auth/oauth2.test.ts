import { createHash, randomBytes } from 'node:crypto';
import { createClient, setPersistentRefreshTokens } from '../../../lib/auth/admin';
import { randomToken, sha256Hex, type AuthWrite } from '../../../lib/auth/credentials';
import { AuthenticationRequiredError, InvalidClientError, OAuthError, type OAuthErrorCode } from '../../../lib/errors';
import { keyRingFrom } from '../../../lib/auth/keys';
import { createUser } from '../../../lib/auth/users';
import {
  accessTokenNames,
  AUTHORIZATION_CODE_VALIDITY,
  basicTokenEndpoint,
  clientCredentialsFromBasicHeader,
  issueAuthorizationCode,
  lookUpAccessToken,
  MAX_FAMILY_ACCESS_TOKENS,
  oauth2TokenEndpoint,
  parseTokenHeader,
  REFRESH_TOKEN_VALIDITY,
  revokeToken,
  tokenKey,
  type ClientCredentials,
  type TokenDeps,
  type TokenRequestParams,
  type TokenResponse,
} from '../../../lib/auth/oauth2';
import { MemoryAuthStore } from '../../helpers/memory-auth-store';
import { rejection, thrown } from '../../helpers/thrown';

const NOW_MS = 1_700_000_000_000;
const NOW_S = 1_700_000_000;
const REDIRECT = 'https://app.example/callback';
const TOKEN = /^[A-Za-z0-9]{32}$/;
/** An access token: its client's id and its user's id in clear, then its random part. */
const ACCESS_TOKEN = /^t1\.[A-Za-z0-9]{32}\.(?:0|[1-9][0-9]*)\.[A-Za-z0-9]{32}$/;
/** RFC 7636 Appendix B. */
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const params = (values: Record<string, string> = {}): TokenRequestParams => new Map(Object.entries(values));

async function setup() {
  const store = new MemoryAuthStore();
  const clock = { ms: NOW_MS };
  const deps: TokenDeps = { store, accessTokenValidity: 1800, now: () => clock.ms };
  const app = await createClient(store, undefined, { userId: 7, name: 'App', accessType: 'oauth2', redirectUris: [REDIRECT] });
  const other = await createClient(store, undefined, { userId: 9, name: 'Other app', accessType: 'oauth2' });
  const basic = await createClient(store, undefined, { userId: 8, name: 'Basic app', accessType: 'basic' });
  const oauth1 = await createClient(store, keyRingFrom(randomBytes(32)), { userId: 6, name: 'OAuth1 app', accessType: 'oauth1' });
  return { store, clock, deps, app, other, basic, oauth1 };
}

/** The OAuthError `promise` rejects with, after checking its RFC 6749 code and status. */
async function oauthError(promise: Promise<unknown>, code: OAuthErrorCode): Promise<OAuthError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(OAuthError);
  expect((error as OAuthError).oauthError).toBe(code);
  expect((error as OAuthError).status).toBe(code === 'invalid_client' ? 401 : 400);
  return error as OAuthError;
}

async function expectInvalidClient(promise: Promise<unknown>): Promise<void> {
  const error = await oauthError(promise, 'invalid_client');
  expect(error).toBeInstanceOf(InvalidClientError);
  expect(error.message).toBe('Invalid Credentials.');
}

async function expectNotAccepted(promise: Promise<unknown>): Promise<void> {
  expect(await rejection(promise)).toBeInstanceOf(AuthenticationRequiredError);
}

/** Every refresh token and access token of these responses is refused (a revoked grant). */
async function expectFamilyDead(deps: TokenDeps, client: ClientCredentials, responses: readonly TokenResponse[]): Promise<void> {
  for (const response of responses) {
    await expectNotAccepted(lookUpAccessToken(deps, response.access_token, 'oauth2'));
    const error = await oauthError(
      oauth2TokenEndpoint(deps, params({ grant_type: 'refresh_token', refresh_token: String(response.refresh_token) }), client),
      'invalid_grant',
    );
    expect(error.message).toBe('Invalid Refresh Token.');
  }
}

function tokenItems(store: MemoryAuthStore) {
  return store.items().filter(({ pk }) => pk.startsWith('TOKEN#'));
}

/** The text with upper and lower case swapped (digits unchanged). */
function swapCase(text: string): string {
  return [...text].map((char) => (char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase())).join('');
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

describe('oauth2TokenEndpoint: client credentials (no grant_type or client_credentials)', () => {
  it.each<[string, Record<string, string>]>([
    ['no grant_type', {}],
    ['an empty grant_type', { grant_type: '' }],
    ['grant_type=client_credentials', { grant_type: 'client_credentials' }],
  ])('returns the original response shape for %s', async (_label, values) => {
    const { deps, app } = await setup();
    const response = await oauth2TokenEndpoint(deps, params(values), app);
    expect(response).toStrictEqual({
      access_token: expect.stringMatching(ACCESS_TOKEN),
      access_token_validity: 1800,
      token_type: 'Bearer',
      refresh_token: expect.stringMatching(TOKEN),
      expires_in: 1800,
    });
    expect(response.access_token).not.toBe(response.refresh_token);
  });

  it('issues an access token for the client user, expiring after access_token_validity', async () => {
    const { deps, app } = await setup();
    const response = await oauth2TokenEndpoint(deps, params(), app);
    await expect(lookUpAccessToken(deps, response.access_token, 'oauth2')).resolves.toStrictEqual({
      kind: 'access',
      scheme: 'oauth2',
      clientId: app.clientId,
      userId: 7,
      scopes: '',
      expiresAt: NOW_S + 1800,
    });
  });

  it('stores the access and refresh tokens under their SHA-256, the refresh token pointing at its access token', async () => {
    const { deps, store, app } = await setup();
    const response = await oauth2TokenEndpoint(deps, params(), app);
    const refresh = await store.get(tokenKey(sha256Hex(response.refresh_token as string)));
    expect(refresh).toStrictEqual({
      kind: 'refresh',
      scheme: 'oauth2',
      clientId: app.clientId,
      userId: 7,
      scopes: '',
      expiresAt: NOW_S + REFRESH_TOKEN_VALIDITY,
      accessHash: sha256Hex(response.access_token),
      family: sha256Hex(response.refresh_token as string),
    });
    expect(tokenItems(store)).toHaveLength(2);
  });

  it('starts a family for the grant, named after its first refresh token, listing the live refresh and access tokens', async () => {
    const { deps, store, app } = await setup();
    const response = await oauth2TokenEndpoint(deps, params(), app);
    const refreshHash = sha256Hex(response.refresh_token as string);
    await expect(store.get({ kind: 'FAMILY', id: refreshHash })).resolves.toStrictEqual({
      clientId: app.clientId,
      live: refreshHash,
      access: [`${sha256Hex(response.access_token)}:${NOW_S + 1800}`],
      version: 1,
      revoked: false,
      expiresAt: NOW_S + REFRESH_TOKEN_VALIDITY,
    });
  });

  it('returns and stores the requested scopes, deduplicated', async () => {
    const { deps, app } = await setup();
    const response = await oauth2TokenEndpoint(deps, params({ grant_type: 'client_credentials', scope: 'read  res.partner:write read' }), app);
    expect(response.scope).toBe('read res.partner:write');
    await expect(lookUpAccessToken(deps, response.access_token, 'oauth2')).resolves.toMatchObject({ scopes: 'read res.partner:write' });
  });

  it('issues a new pair on every call, the earlier ones staying valid', async () => {
    const { deps, app } = await setup();
    const first = await oauth2TokenEndpoint(deps, params(), app);
    const second = await oauth2TokenEndpoint(deps, params(), app);
    expect(second.access_token).not.toBe(first.access_token);
    await expect(lookUpAccessToken(deps, first.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7 });
    await expect(lookUpAccessToken(deps, second.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7 });
  });

  it.each<[string, (app: ClientCredentials) => ClientCredentials]>([
    ['the secret is wrong', (app) => ({ clientId: app.clientId, clientSecret: randomToken() })],
    ['the secret differs only in case', (app) => ({ clientId: app.clientId, clientSecret: swapCase(app.clientSecret) })],
    ['the secret is its stored hash', (app) => ({ clientId: app.clientId, clientSecret: sha256Hex(app.clientSecret) })],
    ['the secret has a character more', (app) => ({ clientId: app.clientId, clientSecret: `${app.clientSecret}x` })],
    ['the client is unknown', (app) => ({ clientId: randomToken(), clientSecret: app.clientSecret })],
    ['the client id is huge', (app) => ({ clientId: 'a'.repeat(10_000), clientSecret: app.clientSecret })],
    ['the secret is huge', (app) => ({ clientId: app.clientId, clientSecret: `${app.clientSecret}${'a'.repeat(10_000)}` })],
  ])('refuses with invalid_client, 401 "Invalid Credentials.", when %s', async (_label, credentials) => {
    const { deps, store, app } = await setup();
    await expectInvalidClient(oauth2TokenEndpoint(deps, params(), credentials(app)));
    expect(tokenItems(store)).toHaveLength(0);
  });

  it.each<[string, ClientCredentials | undefined]>([
    ['no credentials', undefined],
    ['an empty client_id', { clientId: '', clientSecret: 'x' }],
    ['an empty client_secret', { clientId: 'x', clientSecret: '' }],
  ])('refuses with invalid_request for %s', async (_label, credentials) => {
    const { deps, store } = await setup();
    await oauthError(oauth2TokenEndpoint(deps, params(), credentials), 'invalid_request');
    expect(tokenItems(store)).toHaveLength(0);
  });

  it('refuses a basic client with unauthorized_client (400)', async () => {
    const { deps, store, basic } = await setup();
    const error = await oauthError(oauth2TokenEndpoint(deps, params(), basic), 'unauthorized_client');
    expect(error.message).toContain('basic');
    expect(tokenItems(store)).toHaveLength(0);
  });

  it('refuses an OAuth 1.0a consumer key and secret with invalid_client: its secret is sealed, not a hash to check', async () => {
    const { deps, store, oauth1 } = await setup();
    await expectInvalidClient(oauth2TokenEndpoint(deps, params(), oauth1));
    expect(tokenItems(store)).toHaveLength(0);
  });

  it.each(['password', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'CLIENT_CREDENTIALS', 'refresh'])(
    'refuses the grant_type %j with unsupported_grant_type, naming it',
    async (grantType) => {
      const { deps, store, app } = await setup();
      const error = await oauthError(oauth2TokenEndpoint(deps, params({ grant_type: grantType }), app), 'unsupported_grant_type');
      expect(error.message).toContain(grantType);
      expect(tokenItems(store)).toHaveLength(0);
    },
  );

  it.each(['read,write', 'admin', 'res.partner:drop', 'READ', 'res.partner', ':read', 'Res.Partner:read', 'read\twrite', 'read%20write'])(
    'refuses the malformed scope %j with invalid_scope',
    async (scope) => {
      const { deps, store, app } = await setup();
      await oauthError(oauth2TokenEndpoint(deps, params({ scope }), app), 'invalid_scope');
      expect(tokenItems(store)).toHaveLength(0);
    },
  );

  it('refuses more than 50 scopes with invalid_scope', async () => {
    const { deps, app } = await setup();
    const scope = Array.from({ length: 51 }, (_, i) => `model${i}:read`).join(' ');
    await oauthError(oauth2TokenEndpoint(deps, params({ scope }), app), 'invalid_scope');
  });
});

describe('oauth2TokenEndpoint: authorization_code', () => {
  async function withCode(overrides: Partial<{ userId: number; scopes: string; redirectUri: string; codeChallenge: string }> = {}) {
    const context = await setup();
    const code = await issueAuthorizationCode(context.deps, {
      clientId: context.app.clientId,
      userId: 42,
      redirectUri: REDIRECT,
      scopes: 'res.partner:read',
      codeChallenge: '',
      ...overrides,
    });
    return { ...context, code };
  }

  const exchange = (deps: TokenDeps, credentials: ClientCredentials, values: Record<string, string>) =>
    oauth2TokenEndpoint(deps, params({ grant_type: 'authorization_code', ...values }), credentials);

  it('issues a code of 32 random characters, stored only as its SHA-256 with its expiry', async () => {
    const { store, code, app } = await withCode();
    expect(code).toMatch(TOKEN);
    expect(store.dump()).not.toContain(code);
    expect(await store.get({ kind: 'CODE', id: sha256Hex(code) })).toStrictEqual({
      clientId: app.clientId,
      userId: 42,
      redirectUri: REDIRECT,
      scopes: 'res.partner:read',
      codeChallenge: '',
      expiresAt: NOW_S + AUTHORIZATION_CODE_VALIDITY,
    });
  });

  it("returns tokens for the code's user and scopes", async () => {
    const { deps, app, code } = await withCode();
    const response = await exchange(deps, app, { code, redirect_uri: REDIRECT });
    expect(response).toStrictEqual({
      access_token: expect.stringMatching(ACCESS_TOKEN),
      access_token_validity: 1800,
      token_type: 'Bearer',
      refresh_token: expect.stringMatching(TOKEN),
      expires_in: 1800,
      scope: 'res.partner:read',
    });
    await expect(lookUpAccessToken(deps, response.access_token, 'oauth2')).resolves.toMatchObject({ userId: 42, clientId: app.clientId, scopes: 'res.partner:read' });
  });

  it('ignores a scope parameter on the token request: the code carries the granted scopes', async () => {
    const { deps, app, code } = await withCode();
    const response = await exchange(deps, app, { code, redirect_uri: REDIRECT, scope: '*' });
    expect(response.scope).toBe('res.partner:read');
  });

  it('accepts a code once: the second exchange is invalid_grant', async () => {
    const { deps, app, code } = await withCode();
    await exchange(deps, app, { code, redirect_uri: REDIRECT });
    const error = await oauthError(exchange(deps, app, { code, redirect_uri: REDIRECT }), 'invalid_grant');
    expect(error.message).toBe('Invalid Authentication Code.');
  });

  it('gives a code to exactly one of two concurrent exchanges', async () => {
    const { deps, app, code } = await withCode();
    const results = await Promise.allSettled([exchange(deps, app, { code, redirect_uri: REDIRECT }), exchange(deps, app, { code, redirect_uri: REDIRECT })]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect((refused?.reason as OAuthError).oauthError).toBe('invalid_grant');
  });

  it('accepts a code until it expires, and refuses it from then on with invalid_grant', async () => {
    const early = await withCode();
    early.clock.ms = NOW_MS + (AUTHORIZATION_CODE_VALIDITY - 1) * 1000;
    await expect(exchange(early.deps, early.app, { code: early.code, redirect_uri: REDIRECT })).resolves.toMatchObject({ token_type: 'Bearer' });

    const late = await withCode();
    late.clock.ms = NOW_MS + AUTHORIZATION_CODE_VALIDITY * 1000;
    const error = await oauthError(exchange(late.deps, late.app, { code: late.code, redirect_uri: REDIRECT }), 'invalid_grant');
    expect(error.message).toBe('Authentication code expired');
  });

  it('refuses the code of another client with invalid_grant and issues nothing', async () => {
    const { deps, store, other, code } = await withCode();
    await oauthError(exchange(deps, other, { code, redirect_uri: REDIRECT }), 'invalid_grant');
    expect(tokenItems(store)).toHaveLength(0);
  });

  it('leaves the code to its client when another client presents it first (a leaked code cannot be burnt)', async () => {
    const { deps, app, other, code } = await withCode();
    const refused = await oauthError(exchange(deps, other, { code, redirect_uri: REDIRECT }), 'invalid_grant');
    expect(refused.message).toBe('Invalid Authentication Code.');
    await expect(exchange(deps, app, { code, redirect_uri: REDIRECT })).resolves.toMatchObject({ token_type: 'Bearer', scope: 'res.partner:read' });
  });

  it.each<[string, Record<string, string>]>([
    ['another redirect_uri', { redirect_uri: 'https://evil.example/callback' }],
    ['a wrong code_verifier', { redirect_uri: REDIRECT, code_verifier: `${VERIFIER.slice(0, -1)}l` }],
    ['no code_verifier', { redirect_uri: REDIRECT }],
  ])('leaves the code usable after a request with %s is refused; then it still works once', async (_label, values) => {
    const { deps, app, code } = await withCode({ codeChallenge: CHALLENGE });
    await oauthError(exchange(deps, app, { code, ...values }), 'invalid_grant');
    await expect(exchange(deps, app, { code, redirect_uri: REDIRECT, code_verifier: VERIFIER })).resolves.toMatchObject({ token_type: 'Bearer' });
    await oauthError(exchange(deps, app, { code, redirect_uri: REDIRECT, code_verifier: VERIFIER }), 'invalid_grant');
  });

  it('gives a code to exactly one of two concurrent exchanges that both pass every check', async () => {
    const { deps, app, code } = await withCode({ codeChallenge: CHALLENGE });
    const both = { code, redirect_uri: REDIRECT, code_verifier: VERIFIER };
    const results = await Promise.allSettled([exchange(deps, app, both), exchange(deps, app, both)]);
    expect(results.map((result) => result.status).sort()).toStrictEqual(['fulfilled', 'rejected']);
  });

  it.each<[string, Record<string, string>]>([
    ['another redirect_uri', { redirect_uri: 'https://evil.example/callback' }],
    ['a redirect_uri with a trailing slash', { redirect_uri: `${REDIRECT}/` }],
    ['a redirect_uri with a query', { redirect_uri: `${REDIRECT}?x=1` }],
    ['no redirect_uri', {}],
  ])('refuses %s when the code was issued for a redirect_uri, with invalid_grant', async (_label, values) => {
    const { deps, store, app, code } = await withCode();
    await oauthError(exchange(deps, app, { code, ...values }), 'invalid_grant');
    expect(tokenItems(store)).toHaveLength(0);
  });

  it('needs no redirect_uri when the authorization request named none', async () => {
    const { deps, app, code } = await withCode({ redirectUri: '' });
    await expect(exchange(deps, app, { code })).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  it('refuses an unknown code with invalid_grant, and a missing one with invalid_request', async () => {
    const { deps, app } = await withCode();
    await oauthError(exchange(deps, app, { code: randomToken(), redirect_uri: REDIRECT }), 'invalid_grant');
    await oauthError(exchange(deps, app, { code: 'a'.repeat(10_000), redirect_uri: REDIRECT }), 'invalid_grant');
    await oauthError(exchange(deps, app, { redirect_uri: REDIRECT }), 'invalid_request');
  });

  it('refuses the SHA-256 of a code presented as the code', async () => {
    const { deps, app, code } = await withCode();
    await oauthError(exchange(deps, app, { code: sha256Hex(code), redirect_uri: REDIRECT }), 'invalid_grant');
  });

  describe('PKCE (RFC 7636, S256)', () => {
    it('computes the challenge of RFC 7636 Appendix B', () => {
      expect(s256(VERIFIER)).toBe(CHALLENGE);
    });

    it('accepts the verifier of the challenge', async () => {
      const { deps, app, code } = await withCode({ codeChallenge: CHALLENGE });
      await expect(exchange(deps, app, { code, redirect_uri: REDIRECT, code_verifier: VERIFIER })).resolves.toMatchObject({ token_type: 'Bearer' });
    });

    it('accepts a 128-character verifier using every unreserved punctuation character', async () => {
      const verifier = `-._~${'a'.repeat(124)}`;
      const { deps, app, code } = await withCode({ codeChallenge: s256(verifier) });
      await expect(exchange(deps, app, { code, redirect_uri: REDIRECT, code_verifier: verifier })).resolves.toMatchObject({ token_type: 'Bearer' });
    });

    it.each<[string, Record<string, string>]>([
      ['a wrong verifier', { code_verifier: `${VERIFIER.slice(0, -1)}l` }],
      ['no verifier', {}],
      ['an empty verifier', { code_verifier: '' }],
      ['the challenge sent as the verifier (plain method)', { code_verifier: CHALLENGE }],
    ])('refuses %s with invalid_grant', async (_label, values) => {
      const { deps, store, app, code } = await withCode({ codeChallenge: CHALLENGE });
      const error = await oauthError(exchange(deps, app, { code, redirect_uri: REDIRECT, ...values }), 'invalid_grant');
      expect(error.message).toBe('code_verifier does not match the code_challenge');
      expect(tokenItems(store)).toHaveLength(0);
    });

    // RFC 9700 §4.8.2 (PKCE downgrade): a code_verifier for a code issued without code_challenge is refused.
    it('refuses a code_verifier when the code was issued without a code_challenge', async () => {
      const { deps, store, app, code } = await withCode({ codeChallenge: '' });
      await oauthError(exchange(deps, app, { code, redirect_uri: REDIRECT, code_verifier: VERIFIER }), 'invalid_grant');
      expect(tokenItems(store)).toHaveLength(0);
    });

    it.each<[string, string]>([
      ['42 characters (too short)', 'a'.repeat(42)],
      ['129 characters (too long)', 'a'.repeat(129)],
      ['a character outside the unreserved set', `${'a'.repeat(42)}+`],
    ])('refuses a verifier of %s even when its hash is the challenge', async (_label, verifier) => {
      const { deps, app, code } = await withCode({ codeChallenge: s256(verifier) });
      await oauthError(exchange(deps, app, { code, redirect_uri: REDIRECT, code_verifier: verifier }), 'invalid_grant');
    });
  });
});

describe('oauth2TokenEndpoint: refresh_token', () => {
  async function withTokens(scope?: string) {
    const context = await setup();
    const tokens = await oauth2TokenEndpoint(context.deps, params(scope === undefined ? {} : { scope }), context.app);
    return { ...context, tokens };
  }

  const refresh = (deps: TokenDeps, credentials: ClientCredentials, refreshToken: string | false, values: Record<string, string> = {}) =>
    oauth2TokenEndpoint(deps, params({ grant_type: 'refresh_token', refresh_token: String(refreshToken), ...values }), credentials);

  it('returns a new working pair and rotates the refresh token, which works in turn', async () => {
    const { deps, app, tokens } = await withTokens();
    const renewed = await refresh(deps, app, tokens.refresh_token);
    expect(renewed).toStrictEqual({
      access_token: expect.stringMatching(ACCESS_TOKEN),
      access_token_validity: 1800,
      token_type: 'Bearer',
      refresh_token: expect.stringMatching(TOKEN),
      expires_in: 1800,
    });
    expect(renewed.access_token).not.toBe(tokens.access_token);
    expect(renewed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(lookUpAccessToken(deps, renewed.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7, clientId: app.clientId });
    // The first access token lives on until it expires: rotation is not revocation.
    await expect(lookUpAccessToken(deps, tokens.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7 });
    await expect(refresh(deps, app, renewed.refresh_token)).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  it('gives a refresh token to at most one of two concurrent refreshes, and the second use revokes the grant', async () => {
    const { deps, app, tokens } = await withTokens();
    const results = await Promise.allSettled([refresh(deps, app, tokens.refresh_token), refresh(deps, app, tokens.refresh_token)]);
    const won = results.filter((result): result is PromiseFulfilledResult<TokenResponse> => result.status === 'fulfilled');
    expect(won).toHaveLength(1);
    // Two uses of one refresh token: no telling which holder is the client (RFC 9700 §4.14.2).
    const [{ value }] = won as [PromiseFulfilledResult<TokenResponse>];
    await expectFamilyDead(deps, app, [value, tokens]);
  });

  it('keeps the scopes of the grant when no scope is asked for', async () => {
    const { deps, app, tokens } = await withTokens('read write');
    const renewed = await refresh(deps, app, tokens.refresh_token);
    expect(renewed.scope).toBe('read write');
    await expect(lookUpAccessToken(deps, renewed.access_token, 'oauth2')).resolves.toMatchObject({ scopes: 'read write' });
  });

  it('narrows the scopes to a subset of the grant', async () => {
    const { deps, app, tokens } = await withTokens('read write');
    const renewed = await refresh(deps, app, tokens.refresh_token, { scope: 'read' });
    expect(renewed.scope).toBe('read');
    await expect(lookUpAccessToken(deps, renewed.access_token, 'oauth2')).resolves.toMatchObject({ scopes: 'read' });
  });

  it('narrows a grant without scopes (the user’s full rights) to any scope', async () => {
    const { deps, app, tokens } = await withTokens();
    const renewed = await refresh(deps, app, tokens.refresh_token, { scope: 'res.partner:read' });
    expect(renewed.scope).toBe('res.partner:read');
  });

  it.each(['read create', 'create', '*'])('refuses to widen the scopes "read write" to %j with invalid_scope', async (scope) => {
    const { deps, app, tokens } = await withTokens('read write');
    await oauthError(refresh(deps, app, tokens.refresh_token, { scope }), 'invalid_scope');
  });

  // RFC 6749 §5.2: a refused refresh request issues nothing, so it must not use the grant up either.
  it.each<[string, string]>([
    ['a wider scope', 'read create'],
    ['a malformed scope', 'read,write'],
  ])('leaves the refresh token usable after a refresh refused for %s', async (_label, scope) => {
    const { deps, app, tokens } = await withTokens('read write');
    await oauthError(refresh(deps, app, tokens.refresh_token, { scope }), 'invalid_scope');
    await expect(refresh(deps, app, tokens.refresh_token, { scope: 'read' })).resolves.toMatchObject({ scope: 'read' });
  });

  it('refuses a malformed scope on a refresh with invalid_scope', async () => {
    const { deps, app, tokens } = await withTokens();
    await oauthError(refresh(deps, app, tokens.refresh_token, { scope: 'read,write' }), 'invalid_scope');
  });

  it('refuses the refresh token of another client with invalid_grant and issues nothing', async () => {
    const { deps, store, other, tokens } = await withTokens();
    const before = new Set(tokenItems(store).map(({ pk }) => pk));
    await oauthError(refresh(deps, other, tokens.refresh_token), 'invalid_grant');
    expect(tokenItems(store).filter(({ pk }) => !before.has(pk))).toStrictEqual([]);
  });

  it.each<[string, (tokens: TokenResponse) => string]>([
    ['an access token', (tokens) => tokens.access_token],
    ['an unknown token', () => randomToken()],
    ['the SHA-256 of the refresh token', (tokens) => sha256Hex(String(tokens.refresh_token))],
    ['a huge token', () => 'a'.repeat(10_000)],
  ])('refuses %s as a refresh token with invalid_grant', async (_label, presented) => {
    const { deps, app, tokens } = await withTokens();
    await oauthError(refresh(deps, app, presented(tokens)), 'invalid_grant');
  });

  // A refused refresh must not have side effects on other credentials (here: revoking the access token).
  it('leaves an access token valid after it was refused as a refresh token', async () => {
    const { deps, app, tokens } = await withTokens();
    await oauthError(refresh(deps, app, tokens.access_token), 'invalid_grant');
    await expect(lookUpAccessToken(deps, tokens.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7 });
  });

  it('refuses an expired refresh token with invalid_grant', async () => {
    const { deps, app, tokens, clock } = await withTokens();
    clock.ms = NOW_MS + REFRESH_TOKEN_VALIDITY * 1000;
    await oauthError(refresh(deps, app, tokens.refresh_token), 'invalid_grant');
  });

  it('accepts a refresh token one second before it expires', async () => {
    const { deps, app, tokens, clock } = await withTokens();
    clock.ms = NOW_MS + (REFRESH_TOKEN_VALIDITY - 1) * 1000;
    await expect(refresh(deps, app, tokens.refresh_token)).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  it('refuses a refresh without refresh_token with invalid_request', async () => {
    const { deps, app } = await withTokens();
    await oauthError(oauth2TokenEndpoint(deps, params({ grant_type: 'refresh_token' }), app), 'invalid_request');
  });

  it('refuses a refresh with a wrong client secret with invalid_client', async () => {
    const { deps, app, tokens } = await withTokens();
    await expectInvalidClient(refresh(deps, { clientId: app.clientId, clientSecret: randomToken() }, tokens.refresh_token));
  });
});

describe('oauth2TokenEndpoint: refresh token reuse (RFC 9700 §4.14.2)', () => {
  const refresh = (deps: TokenDeps, credentials: ClientCredentials, refreshToken: string | false) =>
    oauth2TokenEndpoint(deps, params({ grant_type: 'refresh_token', refresh_token: String(refreshToken) }), credentials);

  /** Issues a grant, then rotates its refresh token `rotations` times: every response, oldest first. */
  async function grantRotated(deps: TokenDeps, client: ClientCredentials, rotations: number): Promise<TokenResponse[]> {
    const responses = [await oauth2TokenEndpoint(deps, params(), client)];
    for (let i = 0; i < rotations; i++) responses.push(await refresh(deps, client, (responses.at(-1) as TokenResponse).refresh_token));
    return responses;
  }

  it('revokes the live refresh token and every access token of the family when a rotated refresh token comes back', async () => {
    const { deps, store, app } = await setup();
    const family = await grantRotated(deps, app, 2);
    const [first] = family as [TokenResponse];
    const error = await oauthError(refresh(deps, app, first.refresh_token), 'invalid_grant');
    expect(error.message).toBe('Invalid Refresh Token.');
    await expectFamilyDead(deps, app, family);
    await expect(store.get({ kind: 'FAMILY', id: sha256Hex(String(first.refresh_token)) })).resolves.toMatchObject({
      revoked: true,
      live: '',
      access: [],
    });
  });

  it("leaves the client's other grants alone", async () => {
    const { deps, app } = await setup();
    const [first] = (await grantRotated(deps, app, 1)) as [TokenResponse];
    const [otherGrant] = (await grantRotated(deps, app, 0)) as [TokenResponse];
    await oauthError(refresh(deps, app, first.refresh_token), 'invalid_grant');
    await expect(lookUpAccessToken(deps, otherGrant.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7 });
    await expect(refresh(deps, app, otherGrant.refresh_token)).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  it('revokes nothing when another client presents the rotated token (it cannot use it anyway)', async () => {
    const { deps, app, other } = await setup();
    const [first, live] = (await grantRotated(deps, app, 1)) as [TokenResponse, TokenResponse];
    await oauthError(refresh(deps, other, first.refresh_token), 'invalid_grant');
    await expect(lookUpAccessToken(deps, live.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7 });
    await expect(refresh(deps, app, live.refresh_token)).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  it('keeps the rotated token as a marker holding no grant, until the refresh token would have expired', async () => {
    const { deps, store, app } = await setup();
    const [first] = (await grantRotated(deps, app, 1)) as [TokenResponse];
    await expect(store.get(tokenKey(sha256Hex(String(first.refresh_token))))).resolves.toStrictEqual({
      kind: 'rotated',
      clientId: app.clientId,
      family: sha256Hex(String(first.refresh_token)),
      expiresAt: NOW_S + REFRESH_TOKEN_VALIDITY,
    });
    await expectNotAccepted(lookUpAccessToken(deps, String(first.refresh_token), 'oauth2'));
  });

  /**
   * A store that runs `race` once, just before the first transaction `when` picks out: the other
   * side of a race, committed between the reads of this side and its conditional write.
   */
  class RacingStore extends MemoryAuthStore {
    race: { when: (writes: readonly AuthWrite[]) => boolean; run: () => Promise<unknown> } | undefined;
    outcome: PromiseSettledResult<unknown> | undefined;

    override async transact(writes: readonly AuthWrite[]): Promise<boolean> {
      const race = this.race;
      if (race && race.when(writes)) {
        this.race = undefined;
        [this.outcome] = await Promise.allSettled([race.run()]);
      }
      return super.transact(writes);
    }
  }

  async function racing() {
    const store = new RacingStore();
    const deps: TokenDeps = { store, accessTokenValidity: 1800, now: () => NOW_MS };
    const app = await createClient(store, undefined, { userId: 7, name: 'App', accessType: 'oauth2' });
    return { store, deps, app };
  }

  const isRevocation = (writes: readonly AuthWrite[]) => writes.some((write) => write.kind === 'put' && write.item.revoked === true);
  const isRotation = (writes: readonly AuthWrite[]) => writes.some((write) => write.kind === 'put' && write.item.kind === 'rotated');

  it('revokes what a rotation committed while the reuse was revoking the family: no token of the family is left', async () => {
    const { store, deps, app } = await racing();
    const [first, live] = (await grantRotated(deps, app, 1)) as [TokenResponse, TokenResponse];
    // The holder of the live token refreshes after the reuse read the family, before it wrote.
    store.race = { when: isRevocation, run: () => refresh(deps, app, live.refresh_token) };
    await oauthError(refresh(deps, app, first.refresh_token), 'invalid_grant');
    expect(store.outcome?.status).toBe('fulfilled');
    const raced = (store.outcome as PromiseFulfilledResult<TokenResponse>).value;
    await expectFamilyDead(deps, app, [first, live, raced]);
  });

  it('refuses a rotation that a reuse beat to the family: no token of the family is left', async () => {
    const { store, deps, app } = await racing();
    const [first, live] = (await grantRotated(deps, app, 1)) as [TokenResponse, TokenResponse];
    // The reuse revokes the family after the live token's refresh read it, before that one wrote.
    store.race = { when: isRotation, run: () => refresh(deps, app, first.refresh_token) };
    await oauthError(refresh(deps, app, live.refresh_token), 'invalid_grant');
    expect(store.outcome?.status).toBe('rejected');
    expect(tokenItems(store).filter(({ item }) => item.kind === 'refresh' || item.kind === 'access')).toStrictEqual([]);
  });

  it('rotates a refresh token issued before families (no family attribute) and starts its family then', async () => {
    const { deps, store, app } = await setup();
    const legacy = randomToken();
    const legacyAccess = randomToken();
    await store.put(tokenKey(sha256Hex(legacyAccess)), { kind: 'access', scheme: 'oauth2', clientId: app.clientId, userId: 7, scopes: '', expiresAt: NOW_S + 1800 });
    await store.put(tokenKey(sha256Hex(legacy)), {
      kind: 'refresh', scheme: 'oauth2', clientId: app.clientId, userId: 7, scopes: 'read', expiresAt: NOW_S + 100, accessHash: sha256Hex(legacyAccess),
    });
    const renewed = await refresh(deps, app, legacy);
    expect(renewed.scope).toBe('read');
    await expect(store.get({ kind: 'FAMILY', id: sha256Hex(legacy) })).resolves.toMatchObject({ live: sha256Hex(String(renewed.refresh_token)), version: 1 });
    await oauthError(refresh(deps, app, legacy), 'invalid_grant');
    await expectFamilyDead(deps, app, [renewed]);
  });

  it('revokes with the refresh token (RFC 7009) every access token the family issued, earlier ones included', async () => {
    const { deps, app } = await setup();
    const family = await grantRotated(deps, app, 2);
    await revokeToken(deps, params({ token: String((family.at(-1) as TokenResponse).refresh_token) }), app);
    await expectFamilyDead(deps, app, family);
  });

  it('revokes the family through a rotated refresh token too (RFC 7009: the grant is what is given up)', async () => {
    const { deps, app } = await setup();
    const family = await grantRotated(deps, app, 1);
    await revokeToken(deps, params({ token: String((family[0] as TokenResponse).refresh_token) }), app);
    await expectFamilyDead(deps, app, family);
  });

  it('with JWT access tokens (nothing stored to revoke), revokes the live refresh token', async () => {
    const { deps: opaque, store, app } = await setup();
    await createUser(store, { userId: 7, login: 'jane', name: 'Jane', groups: ['base.group_user'] });
    const keys = keyRingFrom(randomBytes(32));
    const deps: TokenDeps = { ...opaque, accessTokenFormat: 'jwt', keys: async () => keys };
    const [first, live] = (await grantRotated(deps, app, 1)) as [TokenResponse, TokenResponse];
    expect(live.access_token.split('.')).toHaveLength(3);
    await expect(store.get({ kind: 'FAMILY', id: sha256Hex(String(first.refresh_token)) })).resolves.toMatchObject({ access: [], version: 2 });
    await oauthError(refresh(deps, app, first.refresh_token), 'invalid_grant');
    await oauthError(refresh(deps, app, live.refresh_token), 'invalid_grant');
    expect(tokenItems(store).filter(({ item }) => item.kind === 'refresh')).toStrictEqual([]);
  });

  it('forgets expired access tokens, and keeps at most MAX_FAMILY_ACCESS_TOKENS, revoking the oldest beyond', async () => {
    const { deps, store, app, clock } = await setup();
    const [first] = (await grantRotated(deps, app, 0)) as [TokenResponse];
    clock.ms = NOW_MS + 1800 * 1000;
    const family = [first];
    let last = first;
    for (let i = 0; i < MAX_FAMILY_ACCESS_TOKENS + 2; i++) family.push((last = await refresh(deps, app, last.refresh_token)));
    const stored = await store.get({ kind: 'FAMILY', id: sha256Hex(String(first.refresh_token)) });
    // The first access token expired: dropped. Of the MAX + 2 since, the two oldest were revoked.
    expect(stored?.access).toHaveLength(MAX_FAMILY_ACCESS_TOKENS);
    for (const revoked of family.slice(1, 3)) await expectNotAccepted(lookUpAccessToken(deps, revoked.access_token, 'oauth2'));
    await expect(lookUpAccessToken(deps, (family[3] as TokenResponse).access_token, 'oauth2')).resolves.toMatchObject({ userId: 7 });
    await oauthError(refresh(deps, app, first.refresh_token), 'invalid_grant');
    await expectFamilyDead(deps, app, family.slice(3));
  });
});

describe('oauth2TokenEndpoint: persistent refresh tokens (a client set to the original behaviour)', () => {
  async function persistentSetup() {
    const context = await setup();
    const legacyApp = await createClient(context.store, undefined, { userId: 7, name: 'Legacy app', accessType: 'oauth2', persistentRefreshTokens: true });
    const tokens = await oauth2TokenEndpoint(context.deps, params(), legacyApp);
    return { ...context, legacyApp, tokens };
  }
  const refresh = (deps: TokenDeps, credentials: ClientCredentials, refreshToken: string | false) =>
    oauth2TokenEndpoint(deps, params({ grant_type: 'refresh_token', refresh_token: String(refreshToken) }), credentials);

  it('answers the same refresh token on every refresh, with a new access token each time', async () => {
    const { deps, legacyApp, tokens, clock } = await persistentSetup();
    const once = await refresh(deps, legacyApp, tokens.refresh_token);
    clock.ms += 60_000;
    const twice = await refresh(deps, legacyApp, tokens.refresh_token);
    expect([once.refresh_token, twice.refresh_token]).toStrictEqual([tokens.refresh_token, tokens.refresh_token]);
    expect(new Set([tokens.access_token, once.access_token, twice.access_token]).size).toBe(3);
    for (const response of [tokens, once, twice])
      await expect(lookUpAccessToken(deps, response.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7 });
  });

  it('extends the refresh token\u2019s validity from its last use', async () => {
    const { deps, legacyApp, tokens, clock } = await persistentSetup();
    clock.ms = NOW_MS + (REFRESH_TOKEN_VALIDITY - 1) * 1000;
    await refresh(deps, legacyApp, tokens.refresh_token);
    clock.ms = NOW_MS + (REFRESH_TOKEN_VALIDITY + 10) * 1000;
    await expect(refresh(deps, legacyApp, tokens.refresh_token)).resolves.toMatchObject({ refresh_token: tokens.refresh_token });
  });

  it('serves concurrent refreshes with the token, each with its own access token', async () => {
    const { deps, legacyApp, tokens } = await persistentSetup();
    const results = await Promise.all([1, 2, 3].map(() => refresh(deps, legacyApp, tokens.refresh_token)));
    expect(new Set(results.map((result) => result.access_token)).size).toBe(3);
    for (const result of results) await expect(lookUpAccessToken(deps, result.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7 });
  });

  it('revokes (RFC 7009) the refresh token and every access token it issued', async () => {
    const { deps, legacyApp, tokens } = await persistentSetup();
    const once = await refresh(deps, legacyApp, tokens.refresh_token);
    await revokeToken(deps, params({ token: String(tokens.refresh_token) }), legacyApp);
    await expectFamilyDead(deps, legacyApp, [tokens, once]);
  });

  it('is switched on and off for an existing client by the admin, from the client\u2019s next refresh', async () => {
    const { deps, store, app } = await setup();
    const tokens = await oauth2TokenEndpoint(deps, params(), app);
    await setPersistentRefreshTokens(store, app.clientId, true);
    await expect(refresh(deps, app, tokens.refresh_token)).resolves.toMatchObject({ refresh_token: tokens.refresh_token });
    await setPersistentRefreshTokens(store, app.clientId, false);
    const rotated = await refresh(deps, app, tokens.refresh_token);
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    await oauthError(refresh(deps, app, tokens.refresh_token), 'invalid_grant');
    await expectFamilyDead(deps, app, [rotated]);
  });

  it('is refused for clients without refresh tokens', async () => {
    const { store, basic } = await setup();
    await expect(createClient(store, undefined, { userId: 7, name: 'B', accessType: 'basic', persistentRefreshTokens: true })).rejects.toThrow('Only OAuth 2 clients have refresh tokens');
    await expect(setPersistentRefreshTokens(store, basic.clientId, true)).rejects.toThrow('Only OAuth 2 clients have refresh tokens');
  });
});

describe('basicTokenEndpoint', () => {
  it('returns a Basic token without a refresh token', async () => {
    const { deps, basic } = await setup();
    await expect(basicTokenEndpoint(deps, params(), basic)).resolves.toStrictEqual({
      access_token: expect.stringMatching(ACCESS_TOKEN),
      access_token_validity: 1800,
      token_type: 'Basic',
      refresh_token: false,
      expires_in: 1800,
    });
  });

  it("stores one token, for the client's user, accepted as a basic token only", async () => {
    const { deps, store, basic } = await setup();
    const response = await basicTokenEndpoint(deps, params({ scope: 'read' }), basic);
    expect(response.scope).toBe('read');
    expect(tokenItems(store)).toHaveLength(1);
    await expect(lookUpAccessToken(deps, response.access_token, 'basic')).resolves.toStrictEqual({
      kind: 'access',
      scheme: 'basic',
      clientId: basic.clientId,
      userId: 8,
      scopes: 'read',
      expiresAt: NOW_S + 1800,
    });
    await expectNotAccepted(lookUpAccessToken(deps, response.access_token, 'oauth2'));
  });

  it('does not accept a Bearer token as a basic token', async () => {
    const { deps, app } = await setup();
    const response = await oauth2TokenEndpoint(deps, params(), app);
    await expectNotAccepted(lookUpAccessToken(deps, response.access_token, 'basic'));
  });

  it('refuses an oauth2 client with unauthorized_client', async () => {
    const { deps, store, app } = await setup();
    await oauthError(basicTokenEndpoint(deps, params(), app), 'unauthorized_client');
    expect(tokenItems(store)).toHaveLength(0);
  });

  it('refuses an OAuth 1.0a consumer with invalid_client', async () => {
    const { deps, store, oauth1 } = await setup();
    await expectInvalidClient(basicTokenEndpoint(deps, params(), oauth1));
    expect(tokenItems(store)).toHaveLength(0);
  });

  it('refuses a wrong secret with invalid_client', async () => {
    const { deps, basic } = await setup();
    await expectInvalidClient(basicTokenEndpoint(deps, params(), { clientId: basic.clientId, clientSecret: randomToken() }));
  });

  it('refuses a malformed scope with invalid_scope', async () => {
    const { deps, basic } = await setup();
    await oauthError(basicTokenEndpoint(deps, params({ scope: 'everything' }), basic), 'invalid_scope');
  });
});

describe('revokeToken (RFC 7009)', () => {
  it('revokes an access token: it is no longer accepted', async () => {
    const { deps, app } = await setup();
    const tokens = await oauth2TokenEndpoint(deps, params(), app);
    await expect(revokeToken(deps, params({ token: tokens.access_token }), app)).resolves.toBeUndefined();
    await expectNotAccepted(lookUpAccessToken(deps, tokens.access_token, 'oauth2'));
  });

  it('revokes a refresh token and its access token with it', async () => {
    const { deps, app } = await setup();
    const tokens = await oauth2TokenEndpoint(deps, params(), app);
    await revokeToken(deps, params({ token: String(tokens.refresh_token), token_type_hint: 'refresh_token' }), app);
    await expectNotAccepted(lookUpAccessToken(deps, tokens.access_token, 'oauth2'));
    await oauthError(oauth2TokenEndpoint(deps, params({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) }), app), 'invalid_grant');
  });

  it('revokes the access token a refresh issued, through the rotated refresh token', async () => {
    const { deps, app } = await setup();
    const first = await oauth2TokenEndpoint(deps, params(), app);
    const renewed = await oauth2TokenEndpoint(deps, params({ grant_type: 'refresh_token', refresh_token: String(first.refresh_token) }), app);
    await revokeToken(deps, params({ token: String(renewed.refresh_token) }), app);
    await expectNotAccepted(lookUpAccessToken(deps, renewed.access_token, 'oauth2'));
  });

  it('revokes a basic token for its basic client', async () => {
    const { deps, basic } = await setup();
    const response = await basicTokenEndpoint(deps, params(), basic);
    await revokeToken(deps, params({ token: response.access_token }), basic);
    await expectNotAccepted(lookUpAccessToken(deps, response.access_token, 'basic'));
  });

  it("leaves another client's tokens alone, without saying so", async () => {
    const { deps, app, other } = await setup();
    const tokens = await oauth2TokenEndpoint(deps, params(), app);
    await expect(revokeToken(deps, params({ token: tokens.access_token }), other)).resolves.toBeUndefined();
    await expect(revokeToken(deps, params({ token: String(tokens.refresh_token) }), other)).resolves.toBeUndefined();
    await expect(lookUpAccessToken(deps, tokens.access_token, 'oauth2')).resolves.toMatchObject({ clientId: app.clientId });
    await expect(oauth2TokenEndpoint(deps, params({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) }), app)).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  it.each<[string, string]>([
    ['an unknown token', randomToken()],
    ['a huge token', 'a'.repeat(10_000)],
  ])('answers %s without an error', async (_label, token) => {
    const { deps, store, app } = await setup();
    await oauth2TokenEndpoint(deps, params(), app);
    await expect(revokeToken(deps, params({ token }), app)).resolves.toBeUndefined();
    expect(tokenItems(store)).toHaveLength(2);
  });

  it('refuses a request without token with invalid_request', async () => {
    const { deps, app } = await setup();
    await oauthError(revokeToken(deps, params(), app), 'invalid_request');
  });

  it('refuses a wrong client secret with invalid_client and revokes nothing', async () => {
    const { deps, app } = await setup();
    const tokens = await oauth2TokenEndpoint(deps, params(), app);
    await expectInvalidClient(revokeToken(deps, params({ token: tokens.access_token }), { clientId: app.clientId, clientSecret: randomToken() }));
    await expect(lookUpAccessToken(deps, tokens.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7 });
  });

  it('refuses an OAuth 1.0a consumer with invalid_client', async () => {
    const { deps, oauth1 } = await setup();
    await expectInvalidClient(revokeToken(deps, params({ token: randomToken() }), oauth1));
  });
});

describe('clientCredentialsFromBasicHeader (RFC 6749 §2.3.1)', () => {
  const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

  it.each<[string, string, ClientCredentials]>([
    ['plain id and secret', basic('client:secret'), { clientId: 'client', clientSecret: 'secret' }],
    ['a lower-case scheme', `basic ${Buffer.from('client:secret').toString('base64')}`, { clientId: 'client', clientSecret: 'secret' }],
    ['form-urlencoded values', basic('my+client:p%40ss%3Aw%25rd'), { clientId: 'my client', clientSecret: 'p@ss:w%rd' }],
    ['%20 for a space', basic('my%20client:a%20b'), { clientId: 'my client', clientSecret: 'a b' }],
    ['a raw colon in the secret (the first colon separates)', basic('client:a:b'), { clientId: 'client', clientSecret: 'a:b' }],
    ['encoded UTF-8', basic('caf%C3%A9:s'), { clientId: 'café', clientSecret: 's' }],
    ['an empty secret', basic('client:'), { clientId: 'client', clientSecret: '' }],
  ])('reads %s', (_label, header, expected) => {
    expect(clientCredentialsFromBasicHeader(header)).toStrictEqual(expected);
  });

  it.each<[string, string | undefined]>([
    ['no header', undefined],
    ['a Bearer header', 'Bearer abc'],
    ['an OAuth 1.0a header', 'OAuth oauth_consumer_key="k"'],
    ['the scheme alone', 'Basic'],
    ['a value that is not base64', 'Basic ***'],
  ])('returns undefined for %s', (_label, header) => {
    expect(clientCredentialsFromBasicHeader(header)).toBeUndefined();
  });

  it.each<[string, string]>([
    ['no colon', basic('clientsecret')],
    ['a stray % in the id', basic('cli%zzent:secret')],
    ['a truncated escape in the secret', basic('client:secret%4')],
    ['an escape that is not UTF-8', basic('client:%C3')],
  ])('throws invalid_request for %s', (_label, header) => {
    const error = thrown(() => clientCredentialsFromBasicHeader(header));
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).oauthError).toBe('invalid_request');
    expect((error as OAuthError).status).toBe(400);
  });

  it('gives credentials the token endpoint accepts', async () => {
    const { deps, app } = await setup();
    const header = basic(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`);
    await expect(oauth2TokenEndpoint(deps, params(), clientCredentialsFromBasicHeader(header))).resolves.toMatchObject({ token_type: 'Bearer' });
  });
});

describe('parseTokenHeader', () => {
  it.each<[string, string]>([
    ['Bearer abc', 'abc'],
    ['bearer tok', 'tok'],
    ['BEARER tok', 'tok'],
    ['Bearer  tok', 'tok'],
    ['Bearer tok ', 'tok'],
    ['Bearer abcDEF0123456789abcDEF0123456789', 'abcDEF0123456789abcDEF0123456789'],
    ['Bearer a-b.c_d~e+f/g', 'a-b.c_d~e+f/g'],
    ['Bearer abc==', 'abc=='],
  ])('returns the bearer token of %j', (header, token) => {
    expect(parseTokenHeader(header, 'bearer')).toBe(token);
  });

  it.each<[string, string]>([
    ['Basic abc', 'abc'],
    ['basic tok', 'tok'],
    ['BASIC tok==', 'tok=='],
  ])('returns the basic token of %j', (header, token) => {
    expect(parseTokenHeader(header, 'basic')).toBe(token);
  });

  it.each<[string, string | undefined]>([
    ['no header', undefined],
    ['an empty header', ''],
    ['the scheme only', 'Bearer'],
    ['the scheme and one space', 'Bearer '],
    ['the scheme and two spaces', 'Bearer  '],
    ['the Basic scheme', 'Basic x'],
    ['the OAuth scheme', 'OAuth oauth_token="x"'],
    ['a token without a scheme', 'abcdef'],
    ['a quoted token', 'Bearer "abc"'],
    ['a single-quoted token', "Bearer 'abc'"],
    ['two tokens', 'Bearer abc def'],
    ['a tab instead of a space', 'Bearer\tabc'],
    ['a NUL in the token', 'Bearer ab\u0000c'],
    ['a line feed after the token', 'Bearer abc\n'],
    ['a CR LF and a second header', 'Bearer abc\r\nX-Evil: 1'],
    ['an escape character', 'Bearer abc\u001b[31m'],
    ['a non-ASCII token', 'Bearer tökén'],
    ['padding in the middle', 'Bearer ab=c'],
    ['a scheme glued to the token', 'Bearerabc'],
    ['a comma-separated list of credentials', 'Bearer abc, Bearer def'],
    ['a leading space', ' Bearer abc'],
    ['a huge header', `Bearer ${'a'.repeat(100_000)}`],
  ])('throws AuthenticationRequiredError (401, generic message) for %s as a bearer header', (_label, header) => {
    const error = thrown(() => parseTokenHeader(header, 'bearer'));
    expect(error).toBeInstanceOf(AuthenticationRequiredError);
    expect((error as AuthenticationRequiredError).status).toBe(401);
    expect((error as AuthenticationRequiredError).message).toBe('Authentication required');
  });

  it('does not take a Bearer header as a basic one', () => {
    expect(thrown(() => parseTokenHeader('Bearer abc', 'basic'))).toBeInstanceOf(AuthenticationRequiredError);
  });
});

describe('lookUpAccessToken', () => {
  async function issued() {
    const context = await setup();
    const tokens = await oauth2TokenEndpoint(context.deps, params(), context.app);
    return { ...context, tokens };
  }

  it('accepts the token one second before it expires', async () => {
    const { deps, clock, tokens } = await issued();
    clock.ms = NOW_MS + 1799 * 1000;
    await expect(lookUpAccessToken(deps, tokens.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7 });
  });

  it.each<[string, number]>([
    ['at the second it expires', 1800 * 1000],
    ['an hour later', (1800 + 3600) * 1000],
  ])('refuses the token %s (expiry is checked, not left to the TTL)', async (_label, elapsedMs) => {
    const { deps, clock, tokens } = await issued();
    clock.ms = NOW_MS + elapsedMs;
    const error = await rejection(lookUpAccessToken(deps, tokens.access_token, 'oauth2'));
    expect(error).toBeInstanceOf(AuthenticationRequiredError);
    expect((error as AuthenticationRequiredError).reason).toBe('expired token');
  });

  it.each<[string, (tokens: TokenResponse) => string]>([
    ['an unknown token', () => randomToken()],
    ['a refresh token', (tokens) => String(tokens.refresh_token)],
    ['the SHA-256 of the access token', (tokens) => sha256Hex(tokens.access_token)],
  ])('refuses %s', async (_label, presented) => {
    const { deps, tokens } = await issued();
    await expectNotAccepted(lookUpAccessToken(deps, presented(tokens), 'oauth2'));
  });

  it('refuses the client secret presented as a token', async () => {
    const { deps, app } = await issued();
    await expectNotAccepted(lookUpAccessToken(deps, app.clientSecret, 'oauth2'));
  });
});

describe('secrets at rest', () => {
  it('keeps client secrets, tokens, refresh tokens and codes only as hashes', async () => {
    const { deps, store, app, basic } = await setup();
    const code = await issueAuthorizationCode(deps, { clientId: app.clientId, userId: 7, redirectUri: REDIRECT, scopes: '', codeChallenge: CHALLENGE });
    const fromCode = await oauth2TokenEndpoint(deps, params({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER }), app);
    const fromClient = await oauth2TokenEndpoint(deps, params(), app);
    const renewed = await oauth2TokenEndpoint(deps, params({ grant_type: 'refresh_token', refresh_token: String(fromClient.refresh_token) }), app);
    const basicToken = await basicTokenEndpoint(deps, params(), basic);
    const clear = [
      app.clientSecret,
      basic.clientSecret,
      code,
      VERIFIER,
      fromCode.access_token,
      String(fromCode.refresh_token),
      fromClient.access_token,
      String(fromClient.refresh_token),
      renewed.access_token,
      String(renewed.refresh_token),
      basicToken.access_token,
    ];
    const everything = store.dump();
    for (const value of clear) expect(everything).not.toContain(value);
    // ...and they are found by their hashes.
    for (const token of [fromCode.access_token, renewed.access_token, basicToken.access_token]) {
      expect(store.items().some(({ pk }) => pk === `TOKEN#${sha256Hex(token)}`)).toBe(true);
    }
  });
});

describe('access token format: the client and user in clear before the random part', () => {
  it('issues Bearer and Basic access tokens as t1.<client id>.<user id>.<random>, refresh tokens as before', async () => {
    const { deps, app, basic } = await setup();
    const bearer = await oauth2TokenEndpoint(deps, params(), app);
    const basicToken = await basicTokenEndpoint(deps, params(), basic);
    expect([bearer.access_token.split('.').slice(0, 3), basicToken.access_token.split('.').slice(0, 3)]).toStrictEqual([
      ['t1', app.clientId, '7'],
      ['t1', basic.clientId, '8'],
    ]);
    expect(bearer.refresh_token).toMatch(TOKEN);
    // URL-safe as it is, and a b64token (RFC 6750 §2.1): a client echoes it unchanged.
    expect(encodeURIComponent(bearer.access_token)).toBe(bearer.access_token);
  });

  it("names the user of an authorization code grant, not the client's own user", async () => {
    const { deps, app, store } = await setup();
    await createUser(store, { userId: 42, login: 'ann', name: 'Ann', groups: [] });
    const code = await issueAuthorizationCode(deps, { clientId: app.clientId, userId: 42, redirectUri: '', scopes: '', codeChallenge: '' });
    const response = await oauth2TokenEndpoint(deps, params({ grant_type: 'authorization_code', code }), app);
    expect(accessTokenNames(response.access_token)).toStrictEqual({ clientId: app.clientId, userId: 42 });
  });

  it('stores the token by the SHA-256 of the whole string, prefix included, and no part of it in clear', async () => {
    const { deps, app, store } = await setup();
    const response = await oauth2TokenEndpoint(deps, params(), app);
    const random = response.access_token.split('.')[3] as string;
    expect(tokenItems(store).map(({ pk }) => pk)).toContain(`TOKEN#${sha256Hex(response.access_token)}`);
    expect(tokenItems(store).map(({ pk }) => pk)).not.toContain(`TOKEN#${sha256Hex(random)}`);
    expect(store.dump().includes(random)).toBe(false);
  });

  it('refuses the random part alone, or under another prefix (the hash covers the prefix)', async () => {
    const { deps, app } = await setup();
    const response = await oauth2TokenEndpoint(deps, params(), app);
    const random = response.access_token.split('.')[3] as string;
    await expectNotAccepted(lookUpAccessToken(deps, random, 'oauth2'));
    await expectNotAccepted(lookUpAccessToken(deps, `t1.${app.clientId}.8.${random}`, 'oauth2'));
  });

  it.each([
    [`t1.abc.7.${'A'.repeat(32)}`, { clientId: 'abc', userId: 7 }],
    [`t1.a_b-C.0.${'z'.repeat(32)}`, { clientId: 'a_b-C', userId: 0 }],
  ])('reads the names of %s', (token, names) => {
    expect(accessTokenNames(token)).toStrictEqual(names);
  });

  it.each([
    ['a token issued before (32 characters)', 'A'.repeat(32)],
    ['a JWT (three parts)', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJl'],
    ['another tag', `t2.abc.7.${'A'.repeat(32)}`],
    ['an empty client id', `t1..7.${'A'.repeat(32)}`],
    ['a user id with a sign', `t1.abc.-7.${'A'.repeat(32)}`],
    ['a user id with a leading zero', `t1.abc.07.${'A'.repeat(32)}`],
    ['a user id past 2^53', `t1.abc.9007199254740993.${'A'.repeat(32)}`],
    ['a short random part', `t1.abc.7.${'A'.repeat(31)}`],
    ['a random part with other characters', `t1.abc.7.${'A'.repeat(31)}~`],
    ['five parts', `t1.abc.7.x.${'A'.repeat(32)}`],
  ])('reads no names from %s', (_label, token) => {
    expect(accessTokenNames(token)).toBeUndefined();
  });

  it('issues a token without names for a client id that cannot be written in clear, which still works', async () => {
    const { deps, store } = await setup();
    const client = { clientId: 'shop.example', name: 'Shop', userId: 7, accessType: 'oauth2', secretHash: sha256Hex('s3cret'), sealedSecret: '', redirectUris: [], createdAt: 0 };
    await store.put({ kind: 'CLIENT', id: 'shop.example' }, client);
    const response = await oauth2TokenEndpoint(deps, params(), { clientId: 'shop.example', clientSecret: 's3cret' });
    expect(response.access_token).toMatch(TOKEN);
    await expect(lookUpAccessToken(deps, response.access_token, 'oauth2')).resolves.toMatchObject({ clientId: 'shop.example', userId: 7 });
  });
});
