/**
 * The sign-in lockout of the consent pages (lib/auth/consent/flow.ts over lib/auth/users.ts), through
 * authorizePages over the in-memory AuthStore: each attempt is counted atomically before its password
 * is checked, so concurrent wrong passwords cannot slip past the limit between a read and a write.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { createClient } from '../../../lib/auth/admin';
import { authorizePages, type ConsentDeps } from '../../../lib/auth/consent/flow';
import { issueCsrf } from '../../../lib/auth/consent/csrf';
import { keyRingFrom } from '../../../lib/auth/keys';
import { createUser, MAX_FAILED_SIGN_INS, SIGN_IN_WINDOW, updateUser } from '../../../lib/auth/users';
import type { ApiRequest, ApiResult } from '../../../lib/http';
import { MemoryAuthStore } from '../../helpers/memory-auth-store';

const NOW_MS = 1_700_000_000_000;
const REDIRECT = 'https://app.example/callback';
const PATH = '/restapi/1.0/common/oauth2/authorize';
/** The sign-in form's browser binding (the restapi_browser cookie) this test's browser holds. */
const BINDING = 'b'.repeat(43);

/**
 * A password hash with scrypt's least cost (N=2^10) in the stored encoding: each check is still a
 * real scrypt, but the test does not pay 40 production-cost ones.
 */
function cheapPasswordHash(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(Buffer.from(password.normalize('NFC'), 'utf8'), salt, 32, { N: 1024, r: 8, p: 1 });
  const base64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
  return `scrypt$1024$8$1$${base64(salt)}$${base64(hash)}`;
}

async function setup() {
  const store = new MemoryAuthStore();
  const keys = keyRingFrom(randomBytes(32));
  const clock = { ms: NOW_MS };
  const now = () => clock.ms;
  const deps: ConsentDeps = { store, tokens: { store, accessTokenValidity: 1800, now }, keys: async () => keys, publicOrigin: undefined, now };
  const user = await createUser(store, { userId: 7, login: 'jane', name: 'Jane', groups: ['base.group_user'] });
  await updateUser(store, { ...user, passwordHash: cheapPasswordHash('the right one') });
  const app = await createClient(store, undefined, { userId: 7, name: 'App', accessType: 'oauth2', redirectUris: [REDIRECT] });
  /** The sign-in form posted with this password, as the browser sends it. */
  const signIn = (password: string): Promise<ApiResult> => {
    const form = new URLSearchParams({
      client_id: app.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      state: 's',
      login: 'jane',
      password,
      csrf_token: issueCsrf(keys.csrfKey, BINDING, Math.floor(clock.ms / 1000), 'login'),
    });
    const request: ApiRequest = {
      method: 'POST',
      path: PATH,
      calledPath: PATH,
      pathParameters: {},
      query: new Map(),
      headers: new Map([
        ['content-type', 'application/x-www-form-urlencoded'],
        ['cookie', `restapi_browser=${BINDING}`],
      ]),
      body: form.toString(),
      requestId: 'r1',
      authorizer: {},
    };
    return authorizePages(deps, request);
  };
  return { store, clock, signIn };
}

/** How many answers had each status, e.g. {401: 10, 429: 30}. */
function statusCounts(results: readonly ApiResult[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of results) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe('the sign-in lockout', () => {
  it(`checks exactly ${MAX_FAILED_SIGN_INS} of 40 concurrent wrong passwords; the others are refused (429) without a check`, async () => {
    const { signIn } = await setup();
    const results = await Promise.all(Array.from({ length: 40 }, (_, attempt) => signIn(`wrong ${attempt}`)));
    // 401 "Wrong login or password." is answered only after a password check.
    expect(statusCounts(results)).toStrictEqual({ 401: MAX_FAILED_SIGN_INS, 429: 40 - MAX_FAILED_SIGN_INS });
    const locked = await signIn('the right one');
    expect(locked.status).toBe(429);
    expect('body' in locked ? locked.body : '').toContain('Too many failed sign-ins for this login');
  });

  it('lets the right password in after fewer failures than the limit, and a success starts the count again', async () => {
    const { signIn } = await setup();
    for (let attempt = 1; attempt < MAX_FAILED_SIGN_INS; attempt++) expect((await signIn('wrong')).status).toBe(401);
    expect((await signIn('the right one')).status).toBe(200);
    const again = await Promise.all(Array.from({ length: MAX_FAILED_SIGN_INS + 5 }, () => signIn('wrong')));
    expect(statusCounts(again)).toStrictEqual({ 401: MAX_FAILED_SIGN_INS, 429: 5 });
  });

  it('lets the login try again once the window since its first counted attempt has passed', async () => {
    const { signIn, clock } = await setup();
    await Promise.all(Array.from({ length: MAX_FAILED_SIGN_INS + 1 }, () => signIn('wrong')));
    expect((await signIn('the right one')).status).toBe(429);
    clock.ms = NOW_MS + SIGN_IN_WINDOW * 1000 - 1000;
    expect((await signIn('the right one')).status).toBe(429);
    clock.ms = NOW_MS + SIGN_IN_WINDOW * 1000;
    expect((await signIn('the right one')).status).toBe(200);
  });
});
