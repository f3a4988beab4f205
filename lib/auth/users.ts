/**
 * The users who may sign in on the consent pages and whose rights the API applies: login, name,
 * groups (models/access.json), active flag and a scrypt password hash, in the auth table (the
 * object API's res.users records are their public face). Browser sessions of the consent pages
 * live here too, stored by the SHA-256 of their random id.
 */
import { nowSeconds, randomToken, sha256Hex, type AuthItem, type AuthKey, type AuthStore } from './credentials';
import { BadRequestError } from '../errors';
import { dummyPasswordCheck, hashPassword, verifyPassword } from './password';

export interface UserRecord {
  readonly userId: number;
  readonly login: string;
  readonly name: string;
  readonly groups: readonly string[];
  readonly active: boolean;
  /** scrypt (lib/auth/password.ts); empty: the user cannot sign in (API-only). */
  readonly passwordHash: string;
}

export const userKey = (userId: number): AuthKey => ({ kind: 'USER', id: String(userId) });
/** Logins compare without regard to case, as Odoo's do. */
const loginKey = (login: string): AuthKey => ({ kind: 'LOGIN', id: login.trim().toLowerCase() });

export function userFromItem(item: AuthItem | undefined): UserRecord | undefined {
  if (!item || typeof item.userId !== 'number' || typeof item.login !== 'string') return undefined;
  return {
    userId: item.userId,
    login: item.login,
    name: typeof item.name === 'string' ? item.name : item.login,
    groups: Array.isArray(item.groups) ? item.groups.filter((group): group is string => typeof group === 'string') : [],
    active: item.active !== false,
    passwordHash: typeof item.passwordHash === 'string' ? item.passwordHash : '',
  };
}

export async function getUser(store: AuthStore, userId: number): Promise<UserRecord | undefined> {
  return userFromItem(await store.get(userKey(userId)));
}

export interface NewUser {
  readonly userId: number;
  readonly login: string;
  readonly name: string;
  readonly groups: readonly string[];
  readonly password?: string;
}

const LOGIN = /^[^\s]{1,128}$/;

/** Creates a user; the login must be free (claimed with a conditional put, so two creates cannot share it). */
export async function createUser(store: AuthStore, user: NewUser): Promise<UserRecord> {
  if (!LOGIN.test(user.login)) throw new BadRequestError('A login is 1 to 128 characters without spaces');
  if (!Number.isSafeInteger(user.userId) || user.userId <= 0)
    throw new BadRequestError('A user id is a positive integer');
  const record: UserRecord = {
    userId: user.userId,
    login: user.login,
    name: user.name,
    groups: [...user.groups],
    active: true,
    passwordHash: user.password ? await hashPassword(user.password) : '',
  };
  // Both claimed with conditional puts, so two concurrent creates cannot share an id or a login.
  if (!(await store.put(userKey(user.userId), { ...record }, { ifAbsent: true })))
    throw new BadRequestError(`User ${user.userId} already exists`);
  if (!(await store.put(loginKey(user.login), { userId: user.userId }, { ifAbsent: true }))) {
    await store.delete(userKey(user.userId));
    throw new BadRequestError(`Login '${user.login}' is taken`);
  }
  return record;
}

export async function updateUser(store: AuthStore, user: UserRecord): Promise<void> {
  await store.put(userKey(user.userId), { ...user });
}

export async function setPassword(store: AuthStore, user: UserRecord, password: string): Promise<void> {
  await updateUser(store, { ...user, passwordHash: await hashPassword(password) });
}

/**
 * The user with this login and password, if active. An unknown login costs the same scrypt work
 * as a wrong password, so timing does not tell which logins exist.
 */
export async function signIn(store: AuthStore, login: string, password: string): Promise<UserRecord | undefined> {
  const entry = login.length <= 128 ? await store.get(loginKey(login)) : undefined;
  const user = typeof entry?.userId === 'number' ? await getUser(store, entry.userId) : undefined;
  if (!user || !user.passwordHash) {
    await dummyPasswordCheck(password);
    return undefined;
  }
  return (await verifyPassword(password, user.passwordHash)) && user.active ? user : undefined;
}

/** Failed sign-ins a login may have within SIGN_IN_WINDOW before further attempts are refused. */
export const MAX_FAILED_SIGN_INS = 10;
export const SIGN_IN_WINDOW = 15 * 60;
const failuresKey = (login: string): AuthKey => ({ kind: 'SIGNIN', id: login.trim().toLowerCase() });

/**
 * Counts a sign-in attempt for a login BEFORE its password is checked, and says whether the check
 * may go on: each attempt costs a scrypt, and a password can be guessed only so fast. The count is
 * one atomic increment (no read first), so of any number of concurrent attempts exactly
 * MAX_FAILED_SIGN_INS are checked; the others, and every attempt after them until SIGN_IN_WINDOW
 * has passed since the first, are refused without a check. A successful sign-in clears the count
 * (clearFailedSignIns), so only failures add up.
 */
export async function signInAttemptAllowed(store: AuthStore, login: string, now?: () => number): Promise<boolean> {
  if (login.length > 128) return true;
  const seconds = nowSeconds(now);
  const attempts = await store.increment(failuresKey(login), { now: seconds, expiresAt: seconds + SIGN_IN_WINDOW });
  return attempts <= MAX_FAILED_SIGN_INS;
}

export async function clearFailedSignIns(store: AuthStore, login: string): Promise<void> {
  if (login.length <= 128) await store.delete(failuresKey(login));
}

export const SESSION_VALIDITY = 3600;
const sessionKey = (sessionId: string): AuthKey => ({ kind: 'SESSION', id: sha256Hex(sessionId) });

/** A browser session for the consent pages; the id goes in an HttpOnly cookie, its hash in the table. */
export async function createSession(store: AuthStore, userId: number, now?: () => number): Promise<string> {
  const sessionId = randomToken(43);
  await store.put(sessionKey(sessionId), { userId, expiresAt: nowSeconds(now) + SESSION_VALIDITY });
  return sessionId;
}

export async function sessionUser(
  store: AuthStore,
  sessionId: string | undefined,
  now?: () => number,
): Promise<UserRecord | undefined> {
  if (!sessionId || sessionId.length > 128) return undefined;
  const session = await store.get(sessionKey(sessionId));
  if (
    !session ||
    typeof session.userId !== 'number' ||
    typeof session.expiresAt !== 'number' ||
    session.expiresAt <= nowSeconds(now)
  )
    return undefined;
  const user = await getUser(store, session.userId);
  return user?.active ? user : undefined;
}
