import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { AuthenticationRequiredError } from '../../../lib/errors';
import { JWT_AUDIENCE, JWT_ISSUER, looksLikeJwt, signAccessToken, verifyAccessToken } from '../../../lib/auth/jwt';
import { rejection } from '../../helpers/thrown';

const KEY = randomBytes(32);
const NOW = 1_800_000_000;
const CLAIMS = { userId: 7, clientId: 'client-7', scopes: 'res.partner:read', groups: ['base.group_user'] };
const at = (seconds: number) => () => seconds * 1000;

describe('JWT access tokens (RFC 9068)', () => {
  it('round-trips the user, client, scopes and groups, typed at+jwt', async () => {
    const token = await signAccessToken(KEY, CLAIMS, 1800, NOW);
    expect(looksLikeJwt(token)).toBe(true);
    expect(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())).toStrictEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(await verifyAccessToken(KEY, token, at(NOW + 10))).toStrictEqual({ userId: 7, clientId: 'client-7', scopes: 'res.partner:read', groups: 'base.group_user' });
  });

  it.each<[string, () => Promise<string>, number]>([
    ['expired', () => signAccessToken(KEY, CLAIMS, 1800, NOW), NOW + 1800 + 31],
    ['signed with another key', () => signAccessToken(randomBytes(32), CLAIMS, 1800, NOW), NOW],
    ['of another type (an ID token, typ JWT)', () => new SignJWT({ client_id: 'c', jti: 'j' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setSubject('7').setIssuedAt(NOW).setExpirationTime(NOW + 60).sign(KEY), NOW],
    ['for another audience', () => new SignJWT({ client_id: 'c', jti: 'j' }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer(JWT_ISSUER).setAudience('other').setSubject('7').setIssuedAt(NOW).setExpirationTime(NOW + 60).sign(KEY), NOW],
    ['without client_id', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setSubject('7').setJti('j').setIssuedAt(NOW).setExpirationTime(NOW + 60).sign(KEY), NOW],
    ['alg none', async () => `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: '7', client_id: 'c', jti: 'j', iat: NOW, exp: NOW + 60, iss: JWT_ISSUER, aud: JWT_AUDIENCE })).toString('base64url')}.x`, NOW],
  ])('refuses a token %s with a 401', async (_label, make, now) => {
    const error = await rejection(verifyAccessToken(KEY, await make(), at(now)));
    expect(error).toBeInstanceOf(AuthenticationRequiredError);
  });

  it('tells JWTs from opaque tokens', () => {
    expect(looksLikeJwt('AbCdEfGhIjKlMnOpQrStUvWxYz012345')).toBe(false);
    expect(looksLikeJwt('eyJhbGciOiJIUzI1NiJ9.e30.sig')).toBe(true);
  });
});
