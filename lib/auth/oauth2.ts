/**
 * OAuth 2.0 (RFC 6749) and the original's Basic tokens: the token endpoints' grants, the
 * authorization codes the consent page hands out, revocation (RFC 7009), and the bearer/basic
 * checks the authorizer makes. Tokens, refresh tokens and codes are opaque, random and stored as
 * SHA-256 hashes only (an access token also names its client and user in clear: accessTokenNames);
 * codes are taken (deleted) atomically on use, so a second use fails even when two arrive at once.
 *
 * Refresh tokens rotate, and the tokens of one grant form a family (RFC 9700 §4.14.2): a FAMILY
 * item names the grant's live refresh token and the access tokens issued from it. A rotation is one
 * transaction: the used token becomes a marker (kept until it would have expired), the new pair is
 * written, and the family moves to the next version — on condition that the token was still live
 * and the family still at the version read. A second use of a refresh token (a marker presented,
 * or a rotation that loses that condition) is a reuse: the family is revoked, its live refresh token
 * and access tokens deleted, in one transaction conditional on the family's version (a rotation
 * that commits first makes it read the family again), so no token of the family outlives it.
 */
import { createHash } from 'node:crypto';
import { parseScopes } from '../models/access';
import {
  clientFromItem,
  clientKey,
  MAX_AUTH_TRANSACTION_WRITES,
  MAX_CREDENTIAL_LENGTH,
  NO_SECRET_HASH,
  nowSeconds,
  randomToken,
  secretMatches,
  sha256Hex,
  TOKEN_LENGTH,
  type AccessType,
  type AuthItem,
  type AuthKey,
  type AuthStore,
  type AuthWrite,
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
  /** A refresh token's family (absent on those issued before families existed: each its own). */
  readonly family?: string;
}

export const tokenKey = (tokenHash: string): AuthKey => ({ kind: 'TOKEN', id: tokenHash });
const codeKey = (codeHash: string): AuthKey => ({ kind: 'CODE', id: codeHash });
const familyKey = (familyId: string): AuthKey => ({ kind: 'FAMILY', id: familyId });

/**
 * Access tokens a family keeps track of (unexpired ones; a rotation past this many deletes the
 * oldest): with the family item and its live refresh token, a revocation always fits one transaction.
 */
export const MAX_FAMILY_ACCESS_TOKENS = MAX_AUTH_TRANSACTION_WRITES - 10;
/** Attempts at revoking a family that rotations keep moving on (each lost attempt means one committed). */
const MAX_REVOKE_ATTEMPTS = 8;
/** Attempts at a refresh of a persistent refresh token that concurrent refreshes keep beating. */
const MAX_PERSISTENT_REFRESH_ATTEMPTS = 5;

/** A grant's refresh token family, as its FAMILY item holds it. */
interface Family {
  readonly clientId: string;
  /** The hash of the live refresh token ('' once revoked). */
  readonly live: string;
  /** The opaque access tokens issued from the family, as `hash:expiresAt`. */
  readonly access: readonly string[];
  /** Moved on by every rotation and by the revocation: the condition of the next one. */
  readonly version: number;
  readonly revoked: boolean;
  readonly expiresAt: number;
}

function familyFromItem(item: AuthItem | undefined): Family | undefined {
  if (!item || typeof item.clientId !== 'string' || typeof item.version !== 'number') return undefined;
  return {
    clientId: item.clientId,
    live: typeof item.live === 'string' ? item.live : '',
    access: Array.isArray(item.access) ? item.access.filter((entry): entry is string => typeof entry === 'string') : [],
    version: item.version,
    revoked: item.revoked === true,
    expiresAt: typeof item.expiresAt === 'number' ? item.expiresAt : 0,
  };
}

const accessEntry = (hash: string, expiresAt: number): string => `${hash}:${expiresAt}`;
const entryHash = (entry: string): string => entry.slice(0, entry.indexOf(':'));
const entryExpiresAt = (entry: string): number => Number(entry.slice(entry.indexOf(':') + 1));

/** A rotated refresh token's marker: what tells a reuse from an unknown token. */
function rotatedFamily(item: AuthItem | undefined, clientId: string): string | undefined {
  return item?.kind === 'rotated' && item.clientId === clientId && typeof item.family === 'string'
    ? item.family
    : undefined;
}

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
    ...(typeof item.family === 'string' ? { family: item.family } : {}),
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

/** A new access token (stored by the caller when opaque) and, for OAuth 2, a new refresh token. */
interface MintedTokens {
  readonly response: TokenResponse;
  /** The opaque access token's record and hash (none for a JWT). */
  readonly access?: { readonly hash: string; readonly record: TokenRecord };
  /** The refresh token's hash and record, its family not yet set. */
  readonly refresh?: { readonly hash: string; readonly record: TokenRecord };
}

async function mintTokens(
  deps: TokenDeps,
  grant: Grant,
  scheme: 'oauth2' | 'basic',
  now: number,
): Promise<MintedTokens> {
  const base = { scheme, clientId: grant.client.clientId, userId: grant.userId, scopes: grant.scopes };
  let accessToken: string;
  let access: MintedTokens['access'];
  if (scheme === 'oauth2' && deps.accessTokenFormat === 'jwt') {
    accessToken = await jwtAccessToken(deps, grant, now);
  } else {
    accessToken = newAccessToken(grant.client.clientId, grant.userId);
    access = {
      hash: sha256Hex(accessToken),
      record: { ...base, kind: 'access', expiresAt: now + deps.accessTokenValidity },
    };
  }
  let refreshToken: string | false = false;
  let refresh: MintedTokens['refresh'];
  if (scheme === 'oauth2') {
    refreshToken = randomToken();
    refresh = {
      hash: sha256Hex(refreshToken),
      record: {
        ...base,
        kind: 'refresh',
        expiresAt: now + REFRESH_TOKEN_VALIDITY,
        ...(access ? { accessHash: access.hash } : {}),
      },
    };
  }
  return {
    response: {
      access_token: accessToken,
      access_token_validity: deps.accessTokenValidity,
      token_type: scheme === 'oauth2' ? 'Bearer' : 'Basic',
      refresh_token: refreshToken,
      expires_in: deps.accessTokenValidity,
      ...(grant.scopes ? { scope: grant.scopes } : {}),
    },
    ...(access ? { access } : {}),
    ...(refresh ? { refresh } : {}),
  };
}

/** The tokens of a new grant: a new family, named after its first refresh token. */
async function issueTokens(deps: TokenDeps, grant: Grant, scheme: 'oauth2' | 'basic'): Promise<TokenResponse> {
  const now = nowSeconds(deps.now);
  const { response, access, refresh } = await mintTokens(deps, grant, scheme, now);
  const writes: Promise<boolean>[] = [];
  if (access) writes.push(deps.store.put(tokenKey(access.hash), { ...access.record }));
  if (refresh) {
    const family: Family = {
      clientId: grant.client.clientId,
      live: refresh.hash,
      access: access ? [accessEntry(access.hash, access.record.expiresAt)] : [],
      version: 1,
      revoked: false,
      expiresAt: refresh.record.expiresAt,
    };
    writes.push(
      deps.store.put(tokenKey(refresh.hash), { ...refresh.record, family: refresh.hash }),
      deps.store.put(familyKey(refresh.hash), { ...family }),
    );
  }
  // Parallel single puts of fresh random keys: one round trip. (A refresh token whose family item
  // was lost is rotated as one issued before families existed: its family is created then.)
  await Promise.all(writes);
  return response;
}

/**
 * Revokes a family: marks it revoked and deletes its live refresh token and access tokens, in one
 * transaction on condition that the family is still at the version read. A rotation that commits
 * first moves the version on, so this reads the family again and revokes what that rotation issued;
 * one that comes after finds the family revoked (or its token gone) and fails.
 */
async function revokeFamily(store: AuthStore, familyId: string): Promise<void> {
  for (let attempt = 0; attempt < MAX_REVOKE_ATTEMPTS; attempt++) {
    const family = familyFromItem(await store.get(familyKey(familyId)));
    if (!family || family.revoked) return;
    const doomed = [...new Set([family.live, ...family.access.map(entryHash)].filter((hash) => hash !== ''))];
    const writes: AuthWrite[] = [
      {
        kind: 'put',
        key: familyKey(familyId),
        item: { ...family, live: '', access: [], revoked: true, version: family.version + 1 },
        condition: { matches: { version: family.version } },
      },
      ...doomed.map((hash): AuthWrite => ({ kind: 'delete', key: tokenKey(hash) })),
    ];
    if (await store.transact(writes)) return;
    // Lost to a rotation (the next read sees it) or to a concurrent revocation's transaction
    // (DynamoDB cancels both of two transactions on one item): apart, jittered, before trying again.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));
  }
  throw new Error(`Could not revoke refresh token family ${familyId}: it kept changing`);
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

const invalidRefreshToken = () => new OAuthError('invalid_grant', 'Invalid Refresh Token.');

/**
 * grant_type=refresh_token. A rotating client's refresh token is used up (a marker stays in its
 * place); a client the admin set to persistent refresh tokens keeps its token, as with the original.
 */
async function refreshTokens(
  deps: TokenDeps,
  client: ClientRecord,
  params: TokenRequestParams,
): Promise<TokenResponse> {
  const presented = params.get('refresh_token');
  if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required');
  if (presented.length > MAX_CREDENTIAL_LENGTH) throw invalidRefreshToken();
  const persistent = client.persistentRefreshTokens === true;
  for (let attempt = 1; ; attempt++) {
    const outcome = await rotateOnce(deps, client, params, presented, persistent);
    if (typeof outcome !== 'string') return outcome;
    if (!persistent) {
      // The token was live when read, yet another use of it committed first: a reuse.
      await revokeFamily(deps.store, outcome);
      throw invalidRefreshToken();
    }
    // A persistent token stays live: concurrent refreshes with it each get their access token.
    if (attempt >= MAX_PERSISTENT_REFRESH_ATTEMPTS) throw invalidRefreshToken();
  }
}

/** One attempt at a refresh: the tokens, or the family id when a concurrent change won the race. */
async function rotateOnce(
  deps: TokenDeps,
  client: ClientRecord,
  params: TokenRequestParams,
  presented: string,
  persistent: boolean,
): Promise<TokenResponse | string> {
  const now = nowSeconds(deps.now);
  const hash = sha256Hex(presented);
  const item = await deps.store.get(tokenKey(hash));
  const reused = rotatedFamily(item, client.clientId);
  if (reused !== undefined) {
    // RFC 9700 §4.14.2: a rotated token came back, so one of its holders is not the client.
    // Everything the grant issued is revoked; the client signs in again.
    await revokeFamily(deps.store, reused);
    throw invalidRefreshToken();
  }
  const record = tokenFromItem(item);
  if (!record || record.kind !== 'refresh' || record.clientId !== client.clientId || record.expiresAt <= now) {
    throw invalidRefreshToken();
  }
  const narrowed = requestedScopes(params);
  // RFC 6749 §6: a refresh may narrow the scope, never widen it.
  if (narrowed && record.scopes && !narrowed.split(' ').every((scope) => record.scopes.split(' ').includes(scope))) {
    throw new OAuthError('invalid_scope', 'The requested scope exceeds the one originally granted');
  }
  // A refresh token from before families is its own family's first token.
  const familyId = record.family ?? hash;
  const family = familyFromItem(await deps.store.get(familyKey(familyId)));
  if (family && (family.revoked || family.live !== hash)) throw invalidRefreshToken();
  const grant: Grant = { client, userId: record.userId, scopes: narrowed || record.scopes };
  const minted = await mintTokens(deps, grant, 'oauth2', now);
  const { access } = minted;
  const next = minted.refresh as NonNullable<MintedTokens['refresh']>;
  const writes: AuthWrite[] = [];
  let live: string;
  let response = minted.response;
  if (persistent) {
    // The same refresh token, for another validity period and pointing at the new access token.
    live = hash;
    response = { ...response, refresh_token: presented };
    writes.push({
      kind: 'put',
      key: tokenKey(hash),
      item: { ...next.record, family: familyId },
      condition: { matches: { kind: 'refresh' } },
    });
  } else {
    live = next.hash;
    writes.push(
      {
        kind: 'put',
        key: tokenKey(hash),
        item: { kind: 'rotated', clientId: client.clientId, family: familyId, expiresAt: record.expiresAt },
        condition: { matches: { kind: 'refresh' } },
      },
      {
        kind: 'put',
        key: tokenKey(next.hash),
        item: { ...next.record, family: familyId },
        condition: { absent: true },
      },
    );
  }
  if (access)
    writes.push({ kind: 'put', key: tokenKey(access.hash), item: { ...access.record }, condition: { absent: true } });
  // The family keeps its unexpired access tokens; past the limit the oldest are revoked now.
  const kept = (family?.access ?? []).filter((entry) => entryExpiresAt(entry) > now);
  if (access) kept.push(accessEntry(access.hash, access.record.expiresAt));
  const dropped = kept.splice(0, Math.max(0, kept.length - MAX_FAMILY_ACCESS_TOKENS));
  for (const entry of dropped) writes.push({ kind: 'delete', key: tokenKey(entryHash(entry)) });
  const nextFamily: Family = {
    clientId: client.clientId,
    live,
    access: kept,
    version: (family?.version ?? 0) + 1,
    revoked: false,
    expiresAt: Math.max(family?.expiresAt ?? 0, record.expiresAt, next.record.expiresAt),
  };
  writes.push({
    kind: 'put',
    key: familyKey(familyId),
    item: { ...nextFamily },
    condition: family ? { matches: { version: family.version } } : { absent: true },
  });
  return (await deps.store.transact(writes)) ? response : familyId;
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
  if (grantType === 'refresh_token') return refreshTokens(deps, client, params);
  if (grantType === 'authorization_code') grant = await authorizationCodeGrant(deps, client, params);
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
  const hash = sha256Hex(token);
  const key = tokenKey(hash);
  const item = await deps.store.get(key);
  // A rotated refresh token names its grant all the same: the grant is what the client gives up.
  const rotated = rotatedFamily(item, client.clientId);
  if (rotated !== undefined) return revokeFamily(deps.store, rotated);
  const record = tokenFromItem(item);
  // Another client's token is left alone (RFC 7009 §2.1), without saying so.
  if (!record || record.clientId !== client.clientId) return;
  // RFC 7009 §2.1: a refresh token takes every access token of its grant with it.
  if (record.kind === 'refresh') await revokeFamily(deps.store, record.family ?? hash);
  // Also what no family lists: a token from before families, or one whose family item was lost.
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

/** Room for a JWT access token with its groups; an opaque one is 180 characters at most. */
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

/**
 * An opaque access token (Bearer or Basic) names its client and user in clear before its random
 * part, `t1.<client id>.<user id>.<32 random [A-Za-z0-9]>`, so the authorizer can read the token,
 * the client and the user in one BatchGetItem instead of the token first. The names are not
 * secrets (the authorizer passes them to the handler anyway) and decide nothing: the token is
 * stored by the SHA-256 of the whole string, prefix included, and its item must name the same
 * client and user. Four dot-separated parts: never taken for a JWT (three). The characters stay
 * RFC 6750's b64token and URL-safe, so clients that echo the token keep working; a client id that
 * could not be written so (an admin-chosen one with other characters) gets the earlier format.
 */
const ACCESS_TOKEN_TAG = 't1';
const CLEAR_CLIENT_ID = /^[A-Za-z0-9_-]{1,128}$/;
const CLEAR_USER_ID = /^(?:0|[1-9][0-9]{0,14})$/;
const RANDOM_PART = new RegExp(`^[A-Za-z0-9]{${TOKEN_LENGTH}}$`);

function newAccessToken(clientId: string, userId: number): string {
  const random = randomToken();
  return CLEAR_CLIENT_ID.test(clientId) && CLEAR_USER_ID.test(String(userId))
    ? `${ACCESS_TOKEN_TAG}.${clientId}.${userId}.${random}`
    : random;
}

/** The client and user an access token names in clear; undefined for a token without them (issued before). */
export function accessTokenNames(token: string): { readonly clientId: string; readonly userId: number } | undefined {
  const parts = token.split('.');
  if (parts.length !== 4) return undefined;
  const [tag, clientId, userId, random] = parts as [string, string, string, string];
  if (tag !== ACCESS_TOKEN_TAG || !CLEAR_CLIENT_ID.test(clientId) || !CLEAR_USER_ID.test(userId)) return undefined;
  if (!RANDOM_PART.test(random)) return undefined;
  return { clientId, userId: Number(userId) };
}

/** The key of the item an access token is stored as (by its SHA-256). */
export const accessTokenKey = (token: string): AuthKey => tokenKey(sha256Hex(token));

/** A stored access token's item checked: an access token of the given scheme, unexpired; anything else is a 401. */
export function checkAccessTokenItem(item: AuthItem | undefined, scheme: 'oauth2' | 'basic', now: number): TokenRecord {
  const record = tokenFromItem(item);
  if (!record || record.kind !== 'access') throw new AuthenticationRequiredError('unknown token');
  // A Basic token is not a Bearer token, nor the other way round (the original v17 checks the app type).
  if (record.scheme !== scheme) throw new AuthenticationRequiredError('token of another scheme');
  // DynamoDB's TTL deletes lazily (within days), so expiry is checked here, not left to it.
  if (record.expiresAt <= now) throw new AuthenticationRequiredError('expired token');
  return record;
}

/** A stored access token of the given scheme, unexpired, read on its own; anything else is a 401. */
export async function lookUpAccessToken(
  deps: TokenDeps,
  token: string,
  scheme: 'oauth2' | 'basic',
): Promise<TokenRecord> {
  return checkAccessTokenItem(await deps.store.get(accessTokenKey(token)), scheme, nowSeconds(deps.now));
}
