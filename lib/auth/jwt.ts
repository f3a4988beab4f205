/**
 * Optional JWT access tokens (RFC 9068): ACCESS_TOKEN_FORMAT=jwt. The authorizer checks one without
 * the token read of an opaque token, then reads the user and the client (one BatchGetItem, as for
 * every scheme), so revoking the client or archiving the user stops its JWTs at once. Signed HS256
 * with a key derived from the stage's data key (lib/auth/keys.ts), so the token function and the
 * authorizer share it and nothing else can mint one; verified with `jose` (RFC 8725: the algorithm
 * is ours, never the token's; `typ` must be at+jwt; issuer and audience checked). Refresh tokens
 * stay opaque. One JWT alone cannot be revoked (RFC 7009 revocation finds no stored token): it
 * works until it expires (ACCESS_TOKEN_VALIDITY, 30 minutes); revoking its refresh token stops the
 * next one.
 */
import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Principal } from './credentials';
import { AuthenticationRequiredError } from '../errors';

export const JWT_ISSUER = 'odoo-rest-lambda';
export const JWT_AUDIENCE = 'restapi';
const ALGORITHM = 'HS256';
const CLOCK_TOLERANCE_SECONDS = 30;

export interface JwtClaims {
  readonly userId: number;
  readonly clientId: string;
  readonly scopes: string;
  /**
   * The user's groups when the token was issued (RFC 9068 §2.2.3.1), for the client to see; the
   * authorizer applies the user's groups as they are when the token is used.
   */
  readonly groups: readonly string[];
}

export async function signAccessToken(
  key: Buffer,
  claims: JwtClaims,
  validitySeconds: number,
  nowSeconds: number,
): Promise<string> {
  return new SignJWT({
    client_id: claims.clientId,
    groups: [...claims.groups],
    ...(claims.scopes ? { scope: claims.scopes } : {}),
  })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'at+jwt' })
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setSubject(String(claims.userId))
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + validitySeconds)
    .setJti(randomUUID())
    .sign(key);
}

/** Three base64url parts, the first a JSON header: worth handing to jose; an opaque token is not. */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** The principal of a valid access token JWT; anything else (expired, forged, another type) is a 401. */
export async function verifyAccessToken(
  key: Buffer,
  token: string,
  now?: () => number,
): Promise<Omit<Principal, 'scheme'>> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      typ: 'at+jwt',
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      requiredClaims: ['sub', 'client_id', 'jti', 'iat', 'exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      ...(now ? { currentDate: new Date(now()) } : {}),
    }));
  } catch {
    // jose's error says why (expired, bad signature...); the reason logged stays generic.
    throw new AuthenticationRequiredError('invalid JWT access token');
  }
  const userId = Number(payload.sub);
  const groups = Array.isArray(payload.groups)
    ? payload.groups.filter((group): group is string => typeof group === 'string')
    : [];
  if (!Number.isSafeInteger(userId) || userId <= 0 || typeof payload.client_id !== 'string')
    throw new AuthenticationRequiredError('malformed JWT claims');
  return {
    userId,
    clientId: payload.client_id,
    scopes: typeof payload.scope === 'string' ? payload.scope : '',
    groups: groups.join(','),
  };
}
