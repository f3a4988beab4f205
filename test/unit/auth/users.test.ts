import { sha256Hex } from '../../../lib/auth/credentials';
import { BadRequestError } from '../../../lib/errors';
import { verifyPassword } from '../../../lib/auth/password';
import { clearFailedSignIns, createSession, createUser, getUser, MAX_FAILED_SIGN_INS, SESSION_VALIDITY, sessionUser, setPassword, SIGN_IN_WINDOW, signIn, signInAttemptAllowed, updateUser, userFromItem, userKey } from '../../../lib/auth/users';
import { MemoryAuthStore } from '../../helpers/memory-auth-store';
import { rejection } from '../../helpers/thrown';

const NOW_MS = 1_700_000_000_000;
const NOW_S = 1_700_000_000;

async function withJane() {
  const store = new MemoryAuthStore();
  const jane = await createUser(store, { userId: 7, login: 'Jane', name: 'Jane Doe', groups: ['base.group_user'], password: 'correct horse' });
  return { store, jane };
}

describe('createUser', () => {
  it('stores an active user with a scrypt hash of the password, never the password', async () => {
    const { store, jane } = await withJane();
    expect(jane).toStrictEqual({
      userId: 7,
      login: 'Jane',
      name: 'Jane Doe',
      groups: ['base.group_user'],
      active: true,
      passwordHash: expect.stringMatching(/^scrypt\$/),
    });
    await expect(getUser(store, 7)).resolves.toStrictEqual(jane);
    await expect(verifyPassword('correct horse', jane.passwordHash)).resolves.toBe(true);
    expect(store.dump()).not.toContain('correct horse');
  });

  it('claims the login in lower case, pointing at the user id', async () => {
    const { store } = await withJane();
    await expect(store.get({ kind: 'LOGIN', id: 'jane' })).resolves.toStrictEqual({ userId: 7 });
    await expect(store.get({ kind: 'LOGIN', id: 'Jane' })).resolves.toBeUndefined();
  });

  it('creates an API-only user without a password, who cannot sign in', async () => {
    const store = new MemoryAuthStore();
    const api = await createUser(store, { userId: 8, login: 'api', name: 'API', groups: [] });
    expect(api.passwordHash).toBe('');
    await expect(signIn(store, 'api', '')).resolves.toBeUndefined();
    await expect(signIn(store, 'api', 'anything')).resolves.toBeUndefined();
  });

  it.each(['Jane', 'jane', 'JANE', 'jAnE'])('refuses the login %j when "Jane" is taken, and changes nothing', async (login) => {
    const { store } = await withJane();
    const error = await rejection(createUser(store, { userId: 8, login, name: 'Other', groups: [] }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe(`Login '${login}' is taken`);
    await expect(getUser(store, 8)).resolves.toBeUndefined();
    await expect(store.get({ kind: 'LOGIN', id: 'jane' })).resolves.toStrictEqual({ userId: 7 });
  });

  it('refuses a second user with the same id, leaving the first and its login as they were', async () => {
    const { store, jane } = await withJane();
    const error = await rejection(createUser(store, { userId: 7, login: 'john', name: 'John', groups: ['base.group_system'] }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe('User 7 already exists');
    await expect(getUser(store, 7)).resolves.toStrictEqual(jane);
    await expect(store.get({ kind: 'LOGIN', id: 'john' })).resolves.toBeUndefined();
  });

  it('lets only one of two concurrent creations of the same user id succeed', async () => {
    const store = new MemoryAuthStore();
    const results = await Promise.allSettled([
      createUser(store, { userId: 5, login: 'first', name: 'First', groups: [] }),
      createUser(store, { userId: 5, login: 'second', name: 'Second', groups: ['base.group_system'] }),
    ]);
    expect(results.map((result) => result.status).sort()).toStrictEqual(['fulfilled', 'rejected']);
    // Whichever won, every login left in the table names a user whose login it is.
    for (const { id, item } of await store.list('LOGIN')) {
      expect((await getUser(store, item.userId as number))?.login.toLowerCase()).toBe(id);
    }
  });

  it.each<[string, { userId: number; login: string }]>([
    ['an empty login', { userId: 9, login: '' }],
    ['a login with a space', { userId: 9, login: 'jane doe' }],
    ['a login of 129 characters', { userId: 9, login: 'a'.repeat(129) }],
    ['a user id of 0', { userId: 0, login: 'zero' }],
    ['a negative user id', { userId: -1, login: 'neg' }],
    ['a fractional user id', { userId: 1.5, login: 'frac' }],
    ['an unsafe user id', { userId: 2 ** 53, login: 'big' }],
  ])('refuses %s', async (_label, user) => {
    const store = new MemoryAuthStore();
    expect(await rejection(createUser(store, { ...user, name: 'X', groups: [] }))).toBeInstanceOf(BadRequestError);
    expect(store.items()).toStrictEqual([]);
  });
});

describe('signIn', () => {
  it('returns the user for the right password, whatever the case of the login', async () => {
    const { store, jane } = await withJane();
    await expect(signIn(store, 'Jane', 'correct horse')).resolves.toStrictEqual(jane);
    await expect(signIn(store, 'jane', 'correct horse')).resolves.toStrictEqual(jane);
    await expect(signIn(store, 'JANE', 'correct horse')).resolves.toStrictEqual(jane);
  });

  it.each<[string, string, string]>([
    ['a wrong password', 'Jane', 'wrong horse'],
    ['the password in another case', 'Jane', 'Correct Horse'],
    ['an empty password', 'Jane', ''],
    ['an unknown login', 'john', 'correct horse'],
    ['a huge login', 'j'.repeat(10_000), 'correct horse'],
    ['the password hash as the password', 'Jane', 'scrypt$32768$8$1$x$y'],
  ])('returns undefined for %s', async (_label, login, password) => {
    const { store } = await withJane();
    await expect(signIn(store, login, password)).resolves.toBeUndefined();
  });

  it('returns undefined for an archived user with the right password', async () => {
    const { store, jane } = await withJane();
    await updateUser(store, { ...jane, active: false });
    await expect(signIn(store, 'Jane', 'correct horse')).resolves.toBeUndefined();
  });

  it('accepts the new password after setPassword, and not the old one', async () => {
    const { store, jane } = await withJane();
    await setPassword(store, jane, 'battery staple');
    await expect(signIn(store, 'jane', 'battery staple')).resolves.toMatchObject({ userId: 7 });
    await expect(signIn(store, 'jane', 'correct horse')).resolves.toBeUndefined();
  });
});

describe('sessions', () => {
  it('creates a random session id stored only as its SHA-256, with its expiry', async () => {
    const { store } = await withJane();
    const sessionId = await createSession(store, 7, () => NOW_MS);
    expect(sessionId).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(store.dump()).not.toContain(sessionId);
    await expect(store.get({ kind: 'SESSION', id: sha256Hex(sessionId) })).resolves.toStrictEqual({ userId: 7, expiresAt: NOW_S + SESSION_VALIDITY });
    expect(await createSession(store, 7, () => NOW_MS)).not.toBe(sessionId);
  });

  it('returns the user of a session until it expires, and undefined from then on', async () => {
    const { store, jane } = await withJane();
    const sessionId = await createSession(store, 7, () => NOW_MS);
    await expect(sessionUser(store, sessionId, () => NOW_MS)).resolves.toStrictEqual(jane);
    await expect(sessionUser(store, sessionId, () => NOW_MS + (SESSION_VALIDITY - 1) * 1000)).resolves.toStrictEqual(jane);
    await expect(sessionUser(store, sessionId, () => NOW_MS + SESSION_VALIDITY * 1000)).resolves.toBeUndefined();
  });

  it.each<[string, string | undefined]>([
    ['no session id', undefined],
    ['an empty session id', ''],
    ['an unknown session id', 'x'.repeat(43)],
    ['a huge session id', 'x'.repeat(10_000)],
  ])('returns undefined for %s', async (_label, sessionId) => {
    const { store } = await withJane();
    await createSession(store, 7, () => NOW_MS);
    await expect(sessionUser(store, sessionId, () => NOW_MS)).resolves.toBeUndefined();
  });

  it('returns undefined for the SHA-256 of a session id presented as the id', async () => {
    const { store } = await withJane();
    const sessionId = await createSession(store, 7, () => NOW_MS);
    await expect(sessionUser(store, sha256Hex(sessionId), () => NOW_MS)).resolves.toBeUndefined();
  });

  it('returns undefined once the user is archived or gone', async () => {
    const { store, jane } = await withJane();
    const sessionId = await createSession(store, 7, () => NOW_MS);
    await updateUser(store, { ...jane, active: false });
    await expect(sessionUser(store, sessionId, () => NOW_MS)).resolves.toBeUndefined();
    await store.delete(userKey(7));
    await expect(sessionUser(store, sessionId, () => NOW_MS)).resolves.toBeUndefined();
  });
});

describe('userFromItem', () => {
  it('fills defaults: name from login, no groups, active unless false, no password', () => {
    expect(userFromItem({ userId: 3, login: 'x' })).toStrictEqual({ userId: 3, login: 'x', name: 'x', groups: [], active: true, passwordHash: '' });
    expect(userFromItem({ userId: 3, login: 'x', active: false })?.active).toBe(false);
  });

  it.each<[string, Record<string, string | number>]>([
    ['no userId', { login: 'x' }],
    ['a string userId', { userId: '3', login: 'x' }],
    ['no login', { userId: 3 }],
  ])('returns undefined for an item with %s', (_label, item) => {
    expect(userFromItem(item)).toBeUndefined();
  });
});

describe('sign-in attempts', () => {
  it('allow MAX_FAILED_SIGN_INS attempts of a login within the window, counted before the check, until the window ends; a success clears them', async () => {
    const { store } = await withJane();
    let now = NOW_MS;
    const clock = () => now;
    for (let attempt = 1; attempt < MAX_FAILED_SIGN_INS; attempt++) await expect(signInAttemptAllowed(store, 'Jane', clock)).resolves.toBe(true);
    await expect(signInAttemptAllowed(store, 'JANE', clock)).resolves.toBe(true);
    await expect(signInAttemptAllowed(store, 'jane', clock)).resolves.toBe(false);
    // Other logins are not affected.
    await expect(signInAttemptAllowed(store, 'john', clock)).resolves.toBe(true);
    // The window runs from the first attempt; refused attempts do not extend it.
    now += SIGN_IN_WINDOW * 1000 - 1000;
    await expect(signInAttemptAllowed(store, 'jane', clock)).resolves.toBe(false);
    now += 1000;
    await expect(signInAttemptAllowed(store, 'jane', clock)).resolves.toBe(true);
    await clearFailedSignIns(store, 'jane');
    for (let attempt = 1; attempt <= MAX_FAILED_SIGN_INS; attempt++) await expect(signInAttemptAllowed(store, 'jane', clock)).resolves.toBe(true);
  });

  it('are counted atomically: of 40 concurrent attempts exactly MAX_FAILED_SIGN_INS are allowed', async () => {
    const { store } = await withJane();
    const allowed = await Promise.all(Array.from({ length: 40 }, () => signInAttemptAllowed(store, 'jane', () => NOW_MS)));
    expect(allowed.filter(Boolean)).toHaveLength(MAX_FAILED_SIGN_INS);
  });
});
