import { createHash, randomBytes } from 'node:crypto';
import { createClient } from '../../../lib/auth/admin';
import { randomToken, sha256Hex } from '../../../lib/auth/credentials';
import { AuthenticationRequiredError, InvalidClientError, OAuthError, type OAuthErrorCode } from '../../../lib/errors';
import { keyRingFrom } from '../../../lib/auth/keys';
import {
  AUTHORIZATION_CODE_VALIDITY,
  basicTokenEndpoint,
  clientCredentialsFromBasicHeader,
  issueAuthorizationCode,
  lookUpAccessToken,
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
      access_token: expect.stringMatching(TOKEN),
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
    });
    expect(tokenItems(store)).toHaveLength(2);
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
      access_token: expect.stringMatching(TOKEN),
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

  it('returns a new working pair and rotates the refresh token: the old one fails the second time', async () => {
    const { deps, app, tokens } = await withTokens();
    const renewed = await refresh(deps, app, tokens.refresh_token);
    expect(renewed).toStrictEqual({
      access_token: expect.stringMatching(TOKEN),
      access_token_validity: 1800,
      token_type: 'Bearer',
      refresh_token: expect.stringMatching(TOKEN),
      expires_in: 1800,
    });
    expect(renewed.access_token).not.toBe(tokens.access_token);
    expect(renewed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(lookUpAccessToken(deps, renewed.access_token, 'oauth2')).resolves.toMatchObject({ userId: 7, clientId: app.clientId });

    const error = await oauthError(refresh(deps, app, tokens.refresh_token), 'invalid_grant');
    expect(error.message).toBe('Invalid Refresh Token.');
    await expect(refresh(deps, app, renewed.refresh_token)).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  it('gives a refresh token to exactly one of two concurrent refreshes', async () => {
    const { deps, app, tokens } = await withTokens();
    const results = await Promise.allSettled([refresh(deps, app, tokens.refresh_token), refresh(deps, app, tokens.refresh_token)]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
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

describe('basicTokenEndpoint', () => {
  it('returns a Basic token without a refresh token', async () => {
    const { deps, basic } = await setup();
    await expect(basicTokenEndpoint(deps, params(), basic)).resolves.toStrictEqual({
      access_token: expect.stringMatching(TOKEN),
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
