/**
 * OAuth 2.0 (RFC 6749) and the original's Basic tokens: the token endpoints' grants, the
 * authorization codes the consent page hands out, revocation (RFC 7009), and the bearer/basic
 * checks the authorizer makes. Tokens, refresh tokens and codes are opaque, random and stored as
 * SHA-256 hashes only; codes and refresh tokens are taken (deleted) atomically on use, so a second
 * use fails even when two arrive at once.
 */
import { createHash } from 'node:crypto';
import { parseScopes } from '../models/access';
import {
  clientFromItem,
  clientKey,
  MAX_CREDENTIAL_LENGTH,
  NO_SECRET_HASH,
  nowSeconds,
  randomToken,
  secretMatches,
  sha256Hex,
  type AccessType,
  type AuthItem,
  type AuthKey,
  type AuthStore,
  type ClientRecord,
} from './credentials';
import { AuthenticationRequiredError, InvalidClientError, OAuthError } from '../errors';
import { signAccessToken } from './jwt';
import type { KeyRing } from './keys';
import { getUser } from './users';

export interface TokenDeps {
  readonly store: AuthStore;
  /** Lifetime of an access token, seconds (the original's access_token_validity, 1800). */
  readonly accessTokenValidity: number;
  /**
   * OAuth 2 access tokens: opaque (stored hashed) or JWT (checked without the token read;
   * lib/auth/jwt.ts). Either stops at once when its client is revoked or its user archived.
   */
  readonly accessTokenFormat?: 'opaque' | 'jwt';
  /** The key ring, for JWT access tokens. */
  readonly keys?: () => Promise<KeyRing>;
  readonly now?: () => number;
}

export const REFRESH_TOKEN_VALIDITY = 30 * 24 * 3600;
/** RFC 6749 §4.1.2: short-lived; ten minutes at most. */
export const AUTHORIZATION_CODE_VALIDITY = 120;

export type TokenKind = 'access' | 'refresh';

export interface TokenRecord {
  readonly kind: TokenKind;
  /** Which header the token goes with: `Bearer` (oauth2) or the original's `Basic` token. */
  readonly scheme: 'oauth2' | 'basic';
  readonly clientId: string;
  readonly userId: number;
  readonly scopes: string;
  readonly expiresAt: number;
  /** A refresh token's access token, revoked with it (RFC 7009 §2.1). */
  readonly accessHash?: string;
}

export const tokenKey = (tokenHash: string): AuthKey => ({ kind: 'TOKEN', id: tokenHash });
const codeKey = (codeHash: string): AuthKey => ({ kind: 'CODE', id: codeHash });

function tokenFromItem(item: AuthItem | undefined): TokenRecord | undefined {
  if (
    !item ||
    (item.kind !== 'access' && item.kind !== 'refresh') ||
    typeof item.clientId !== 'string' ||
    typeof item.userId !== 'number'
  )
    return undefined;
  return {
    kind: item.kind,
    scheme: item.scheme === 'basic' ? 'basic' : 'oauth2',
    clientId: item.clientId,
    userId: item.userId,
    scopes: typeof item.scopes === 'string' ? item.scopes : '',
    expiresAt: typeof item.expiresAt === 'number' ? item.expiresAt : 0,
    ...(typeof item.accessHash === 'string' ? { accessHash: item.accessHash } : {}),
  };
}

/** The original's token response (plus RFC 6749's `expires_in` and `scope` where they apply). */
export interface TokenResponse {
  readonly access_token: string;
  readonly access_token_validity: number;
  readonly token_type: 'Bearer' | 'Basic';
  readonly refresh_token: string | false;
  readonly expires_in: number;
  readonly scope?: string;
}

/** The parameters of a token request, wherever they came from (query, form body, Basic header). */
export interface TokenRequestParams {
  get(name: string): string | undefined;
}

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * RFC 6749 §2.3.1: `Authorization: Basic base64(urlencode(id):urlencode(secret))` on the token
 * endpoint (not the object routes, where `Basic` carries the original's token).
 */
export function clientCredentialsFromBasicHeader(header: string | undefined): ClientCredentials | undefined {
  const match = header === undefined ? null : /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_request', 'Malformed Basic client credentials');
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw new OAuthError('invalid_request', 'Malformed Basic client credentials');
  }
}

/** Authenticates the client by id and secret; the same answer whichever part was wrong. */
export async function authenticateClient(
  store: AuthStore,
  credentials: ClientCredentials | undefined,
  accessTypes: readonly AccessType[],
): Promise<ClientRecord> {
  if (!credentials || !credentials.clientId || !credentials.clientSecret)
    throw new OAuthError('invalid_request', 'client_id and client_secret are required');
  const { clientId, clientSecret } = credentials;
  const client =
    clientId.length <= MAX_CREDENTIAL_LENGTH ? clientFromItem(await store.get(clientKey(clientId))) : undefined;
  // Hash the secret even for an unknown client, so timing does not tell which one was wrong.
  const matches = secretMatches(clientSecret.slice(0, MAX_CREDENTIAL_LENGTH), client?.secretHash || NO_SECRET_HASH);
  if (!client || !matches) throw new InvalidClientError();
  if (!accessTypes.includes(client.accessType))
    throw new OAuthError(
      'unauthorized_client',
      `This client is registered for ${client.accessType}, not ${accessTypes.join(' or ')}`,
    );
  return client;
}

function requestedScopes(params: TokenRequestParams): string {
  const scope = params.get('scope');
  if (scope === undefined) return '';
  const scopes = parseScopes(scope);
  if (!scopes)
    throw new OAuthError(
      'invalid_scope',
      `Invalid scope '${scope.slice(0, 100)}': use read, write, create, unlink, <model>:<operation> or *`,
    );
  return scopes.join(' ');
}

interface Grant {
  readonly client: ClientRecord;
  readonly userId: number;
  readonly scopes: string;
}

/** A JWT access token carrying the user's groups (lib/auth/jwt.ts); nothing stored. */
async function jwtAccessToken(deps: TokenDeps, grant: Grant, now: number): Promise<string> {
  if (!deps.keys) throw new Error('JWT access tokens need the key ring');
  const [keys, user] = await Promise.all([deps.keys(), getUser(deps.store, grant.userId)]);
  if (!user?.active) throw new OAuthError('invalid_grant', 'The client acts for a user who is unknown or archived');
  return signAccessToken(
    keys.jwtKey,
    { userId: grant.userId, clientId: grant.client.clientId, scopes: grant.scopes, groups: user.groups },
    deps.accessTokenValidity,
    now,
  );
}

async function issueTokens(deps: TokenDeps, grant: Grant, scheme: 'oauth2' | 'basic'): Promise<TokenResponse> {
  const now = nowSeconds(deps.now);
  const base = { scheme, clientId: grant.client.clientId, userId: grant.userId, scopes: grant.scopes };
  const writes: Promise<boolean>[] = [];
  let accessToken: string;
  let accessHash: string | undefined;
  if (scheme === 'oauth2' && deps.accessTokenFormat === 'jwt') {
    accessToken = await jwtAccessToken(deps, grant, now);
  } else {
    accessToken = randomToken();
    accessHash = sha256Hex(accessToken);
    const access: TokenRecord = { ...base, kind: 'access', expiresAt: now + deps.accessTokenValidity };
    writes.push(deps.store.put(tokenKey(accessHash), { ...access }));
  }
  let refreshToken: string | false = false;
  if (scheme === 'oauth2') {
    refreshToken = randomToken();
    const refresh: TokenRecord = {
      ...base,
      kind: 'refresh',
      expiresAt: now + REFRESH_TOKEN_VALIDITY,
      ...(accessHash ? { accessHash } : {}),
    };
    writes.push(deps.store.put(tokenKey(sha256Hex(refreshToken)), { ...refresh }));
  }
  // Parallel single puts: one round trip.
  await Promise.all(writes);
  return {
    access_token: accessToken,
    access_token_validity: deps.accessTokenValidity,
    token_type: scheme === 'oauth2' ? 'Bearer' : 'Basic',
    refresh_token: refreshToken,
    expires_in: deps.accessTokenValidity,
    ...(grant.scopes ? { scope: grant.scopes } : {}),
  };
}

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

function pkceS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

async function authorizationCodeGrant(
  deps: TokenDeps,
  client: ClientRecord,
  params: TokenRequestParams,
): Promise<Grant> {
  const code = params.get('code');
  if (!code) throw new OAuthError('invalid_request', 'code is required');
  const key = codeKey(sha256Hex(code));
  // Read and checked before it is taken: a request that fails a check (another client holding a
  // leaked code, another redirect_uri, a wrong verifier) leaves the code to its client.
  const item = code.length <= MAX_CREDENTIAL_LENGTH ? await deps.store.get(key) : undefined;
  if (!item || item.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'Invalid Authentication Code.');
  if (typeof item.expiresAt !== 'number' || item.expiresAt <= nowSeconds(deps.now))
    throw new OAuthError('invalid_grant', 'Authentication code expired');
  // RFC 6749 §4.1.3: the same redirect_uri as the authorization request, when that one named it.
  if (
    typeof item.redirectUri === 'string' &&
    item.redirectUri !== '' &&
    params.get('redirect_uri') !== item.redirectUri
  ) {
    throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
  }
  if (typeof item.codeChallenge === 'string' && item.codeChallenge !== '') {
    const verifier = params.get('code_verifier') ?? '';
    if (!PKCE_VERIFIER.test(verifier) || pkceS256(verifier) !== item.codeChallenge)
      throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
  } else if (params.get('code_verifier') !== undefined) {
    // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a downgrade attempt.
    throw new OAuthError('invalid_grant', 'code_verifier given for a code issued without a code_challenge');
  }
  if (typeof item.userId !== 'number') throw new OAuthError('invalid_grant', 'Invalid Authentication Code.');
  // Then taken, not just read: a code works once, even when two requests that pass every check race with it.
  if (!(await deps.store.take(key))) throw new OAuthError('invalid_grant', 'Invalid Authentication Code.');
  return { client, userId: item.userId, scopes: typeof item.scopes === 'string' ? item.scopes : '' };
}

async function refreshTokenGrant(deps: TokenDeps, client: ClientRecord, params: TokenRequestParams): Promise<Grant> {
  const presented = params.get('refresh_token');
  if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required');
  const key = tokenKey(sha256Hex(presented));
  const record = presented.length <= MAX_CREDENTIAL_LENGTH ? tokenFromItem(await deps.store.get(key)) : undefined;
  if (
    !record ||
    record.kind !== 'refresh' ||
    record.clientId !== client.clientId ||
    record.expiresAt <= nowSeconds(deps.now)
  ) {
    throw new OAuthError('invalid_grant', 'Invalid Refresh Token.');
  }
  const narrowed = requestedScopes(params);
  // RFC 6749 §6: a refresh may narrow the scope, never widen it.
  if (narrowed && record.scopes && !narrowed.split(' ').every((scope) => record.scopes.split(' ').includes(scope))) {
    throw new OAuthError('invalid_scope', 'The requested scope exceeds the one originally granted');
  }
  // Rotation, only once everything checked out (a refused refresh leaves the token usable): taken
  // (deleted) as it is used, so of two concurrent uses one gets it and a second use finds nothing.
  if (!(await deps.store.take(key))) throw new OAuthError('invalid_grant', 'Invalid Refresh Token.');
  return { client, userId: record.userId, scopes: narrowed || record.scopes };
}

/**
 * POST /restapi/1.0/common/oauth2/access_token. Without a grant_type the original issues a token
 * for the client's user from the client id and secret alone; clients rely on that, so it stays,
 * as the standard client_credentials grant does.
 */
export async function oauth2TokenEndpoint(
  deps: TokenDeps,
  params: TokenRequestParams,
  credentials: ClientCredentials | undefined,
): Promise<TokenResponse> {
  const grantType = params.get('grant_type') ?? '';
  if (!['', 'client_credentials', 'authorization_code', 'refresh_token'].includes(grantType)) {
    throw new OAuthError('unsupported_grant_type', `Unsupported grant_type '${grantType.slice(0, 50)}'`);
  }
  const client = await authenticateClient(deps.store, credentials, ['oauth2']);
  let grant: Grant;
  if (grantType === 'authorization_code') grant = await authorizationCodeGrant(deps, client, params);
  else if (grantType === 'refresh_token') grant = await refreshTokenGrant(deps, client, params);
  else grant = { client, userId: client.userId, scopes: requestedScopes(params) };
  return issueTokens(deps, grant, 'oauth2');
}

/** POST /restapi/1.0/common/basic/access_token (Odoo 15+): a 30-minute token for `Authorization: Basic`. */
export async function basicTokenEndpoint(
  deps: TokenDeps,
  params: TokenRequestParams,
  credentials: ClientCredentials | undefined,
): Promise<TokenResponse> {
  const client = await authenticateClient(deps.store, credentials, ['basic']);
  return issueTokens(deps, { client, userId: client.userId, scopes: requestedScopes(params) }, 'basic');
}

/**
 * RFC 7009: the client revokes one of its tokens. 200 whether or not the token existed (so the
 * answer tells nothing); a refresh token takes its access token with it.
 */
export async function revokeToken(
  deps: TokenDeps,
  params: TokenRequestParams,
  credentials: ClientCredentials | undefined,
): Promise<void> {
  const client = await authenticateClient(deps.store, credentials, ['oauth2', 'basic']);
  const token = params.get('token');
  if (!token) throw new OAuthError('invalid_request', 'token is required');
  if (token.length > MAX_CREDENTIAL_LENGTH) return;
  const key = tokenKey(sha256Hex(token));
  const record = tokenFromItem(await deps.store.get(key));
  // Another client's token is left alone (RFC 7009 §2.1), without saying so.
  if (!record || record.clientId !== client.clientId) return;
  await Promise.all([
    deps.store.delete(key),
    record.accessHash ? deps.store.delete(tokenKey(record.accessHash)) : Promise.resolve(),
  ]);
}

export interface AuthorizationCodeRequest {
  readonly clientId: string;
  readonly userId: number;
  readonly redirectUri: string;
  readonly scopes: string;
  /** S256 challenge (RFC 7636), or empty. */
  readonly codeChallenge: string;
}

/** A single-use, short-lived code for the consent page's redirect. */
export async function issueAuthorizationCode(deps: TokenDeps, request: AuthorizationCodeRequest): Promise<string> {
  const code = randomToken();
  await deps.store.put(codeKey(sha256Hex(code)), {
    ...request,
    expiresAt: nowSeconds(deps.now) + AUTHORIZATION_CODE_VALIDITY,
  });
  return code;
}

/** Room for a JWT access token with its groups; an opaque one is 32 characters. */
const MAX_TOKEN_HEADER_LENGTH = 2048;

/** RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The token of `Authorization: <scheme> <token>` for the given scheme, or why the header is not one. */
export function parseTokenHeader(header: string | undefined, scheme: 'bearer' | 'basic'): string {
  if (header === undefined || header === '') throw new AuthenticationRequiredError('no Authorization header');
  if (header.length > MAX_TOKEN_HEADER_LENGTH) throw new AuthenticationRequiredError('Authorization header too long');
  const match = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  // RFC 7235: the scheme is case-insensitive.
  if (!match || match[1]?.toLowerCase() !== scheme)
    throw new AuthenticationRequiredError(`not a ${scheme} Authorization header`);
  const token = match[2] as string;
  if (!B64TOKEN.test(token)) throw new AuthenticationRequiredError(`malformed ${scheme} token`);
  return token;
}

/** A stored access token of the given scheme, unexpired; anything else is a 401. */
export async function lookUpAccessToken(
  deps: TokenDeps,
  token: string,
  scheme: 'oauth2' | 'basic',
): Promise<TokenRecord> {
  const record = tokenFromItem(await deps.store.get(tokenKey(sha256Hex(token))));
  if (!record || record.kind !== 'access') throw new AuthenticationRequiredError('unknown token');
  // A Basic token is not a Bearer token, nor the other way round (the original v17 checks the app type).
  if (record.scheme !== scheme) throw new AuthenticationRequiredError('token of another scheme');
  // DynamoDB's TTL deletes lazily (within days), so expiry is checked here, not left to it.
  if (record.expiresAt <= nowSeconds(deps.now)) throw new AuthenticationRequiredError('expired token');
  return record;
}
