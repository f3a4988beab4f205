/**
 * Credentials: OAuth clients, opaque access tokens, and the checks the authorizer and the token
 * endpoint make. Secrets and tokens are random, shown once, and stored only as SHA-256 hashes
 * (they are high-entropy, so a slow KDF adds nothing; RFC 6819 §5.1.4.1.3).
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { AuthenticationRequiredError, BadRequestError, InvalidClientError } from './errors';

export type AccessType = 'oauth2';

export interface ClientRecord {
  readonly clientId: string;
  readonly secretHash: string;
  /** The user the API acts as for this client (res.users id). */
  readonly userId: number;
  readonly name: string;
  readonly accessType: AccessType;
}

export type TokenKind = 'access' | 'refresh';

export interface TokenRecord {
  readonly tokenHash: string;
  readonly kind: TokenKind;
  readonly clientId: string;
  readonly userId: number;
  /** Seconds since the epoch; also the table's TTL attribute. */
  readonly expiresAt: number;
  readonly scopes: string;
}

export interface AuthStore {
  getClient(clientId: string): Promise<ClientRecord | undefined>;
  putClient(client: ClientRecord): Promise<void>;
  getToken(tokenHash: string): Promise<TokenRecord | undefined>;
  putTokens(tokens: readonly TokenRecord[]): Promise<void>;
}

/** What the authorizer establishes and the handlers receive. */
export interface Principal {
  readonly userId: number;
  readonly clientId: string;
  readonly scheme: 'oauth2';
  readonly scopes: string;
}

export interface AuthDeps {
  readonly store: AuthStore;
  readonly accessTokenValidity: number;
  readonly now?: () => number;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 32 characters of 62 carry 190 bits: above RFC 6749 §10.10's 160, and the original's length. */
const TOKEN_LENGTH = 32;
const REFRESH_TOKEN_VALIDITY = 30 * 24 * 3600;
/** Longer than any token we issue; bounds the work spent on a hostile header. */
const MAX_CREDENTIAL_LENGTH = 512;
/** RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** A random [A-Za-z0-9] string of `length` characters, uniformly drawn. */
export function randomToken(length = TOKEN_LENGTH): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Compares a presented secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = createHash('sha256').update(secret, 'utf8').digest();
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

/** Creates a client for a user; the secret is returned once and only its hash is kept. */
export async function createClient(store: AuthStore, userId: number, name: string): Promise<{ clientId: string; clientSecret: string }> {
  const clientId = randomToken();
  const clientSecret = randomToken();
  await store.putClient({ clientId, secretHash: sha256Hex(clientSecret), userId, name, accessType: 'oauth2' });
  return { clientId, clientSecret };
}

export interface TokenRequest {
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  readonly grantType: string | undefined;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly access_token_validity: number;
  readonly token_type: 'Bearer';
  readonly refresh_token: string;
}

/**
 * The original's POST /restapi/1.0/common/oauth2/access_token without a grant_type (and the
 * standard client_credentials grant): client id and secret in, a Bearer token out.
 */
export async function issueClientToken(deps: AuthDeps, request: TokenRequest): Promise<TokenResponse> {
  const { clientId, clientSecret } = request;
  if (!clientId || !clientSecret) throw new BadRequestError('client_id and client_secret are required');
  if (request.grantType !== undefined && request.grantType !== '' && request.grantType !== 'client_credentials') {
    throw new BadRequestError(`Unsupported grant_type '${request.grantType}'; use client_credentials or leave it out`);
  }
  const client = clientId.length <= MAX_CREDENTIAL_LENGTH ? await deps.store.getClient(clientId) : undefined;
  // Hash the secret even for an unknown client, so timing does not tell which one was wrong.
  const matches = secretMatches(clientSecret, client?.secretHash ?? '0'.repeat(64));
  if (!client || !matches) throw new InvalidClientError();
  const now = Math.floor((deps.now ?? Date.now)() / 1000);
  const accessToken = randomToken();
  const refreshToken = randomToken();
  await deps.store.putTokens([
    { tokenHash: sha256Hex(accessToken), kind: 'access', clientId, userId: client.userId, expiresAt: now + deps.accessTokenValidity, scopes: '' },
    { tokenHash: sha256Hex(refreshToken), kind: 'refresh', clientId, userId: client.userId, expiresAt: now + REFRESH_TOKEN_VALIDITY, scopes: '' },
  ]);
  return { access_token: accessToken, access_token_validity: deps.accessTokenValidity, token_type: 'Bearer', refresh_token: refreshToken };
}

/** The token of `Authorization: Bearer <token>`, or why the header is not one. */
export function parseBearer(header: string | undefined): string {
  if (header === undefined || header === '') throw new AuthenticationRequiredError('no Authorization header');
  if (header.length > MAX_CREDENTIAL_LENGTH) throw new AuthenticationRequiredError('Authorization header too long');
  const match = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  // RFC 7235: the scheme is case-insensitive.
  if (!match || match[1]?.toLowerCase() !== 'bearer') throw new AuthenticationRequiredError('not a Bearer Authorization header');
  const token = match[2] as string;
  if (!B64TOKEN.test(token)) throw new AuthenticationRequiredError('malformed bearer token');
  return token;
}

/** Looks a bearer token up by its hash; unknown, expired or non-access tokens are refused. */
export async function authenticateBearer(deps: AuthDeps, header: string | undefined): Promise<Principal> {
  const token = parseBearer(header);
  const record = await deps.store.getToken(sha256Hex(token));
  if (!record || record.kind !== 'access') throw new AuthenticationRequiredError('unknown token');
  // DynamoDB's TTL deletes lazily (within days), so expiry is checked here, not left to it.
  if (record.expiresAt <= Math.floor((deps.now ?? Date.now)() / 1000)) throw new AuthenticationRequiredError('expired token');
  return { userId: record.userId, clientId: record.clientId, scheme: 'oauth2', scopes: record.scopes };
}
