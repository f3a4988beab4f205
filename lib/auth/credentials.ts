/**
 * Credentials shared by every scheme: the auth table's items, random secrets, hashes, and the
 * principal an authenticated request carries. Secrets that only need verifying (OAuth 2 and Basic
 * client secrets, tokens, codes) are random, shown once and stored as SHA-256 hashes: they are
 * high-entropy, so a slow KDF adds nothing (RFC 6819 §5.1.4.1.3). OAuth 1.0a secrets, which HMAC
 * needs in clear, are sealed with the key ring instead (lib/auth/keys.ts). Passwords use scrypt
 * (lib/auth/password.ts).
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { planFromJson, type Plan } from '../metering/plan';

/** The kinds of item in the auth table; an item's key is `KIND#id`. */
export type AuthItemKind =
  | 'CLIENT' // an OAuth application: client id, type, user, secret (hash or sealed), redirect URIs
  | 'TOKEN' // an OAuth 2 access or refresh token (or a rotated one's marker), or a Basic token, by SHA-256
  | 'FAMILY' // an OAuth 2 grant's refresh token family: its live refresh token and access tokens
  | 'CODE' // an OAuth 2 authorization code, by SHA-256; taken (deleted) on use
  | 'O1REQ' // an OAuth 1.0a request token (temporary credentials); taken on exchange
  | 'O1ACC' // an OAuth 1.0a access token (token credentials)
  | 'NONCE' // an OAuth 1.0a nonce already used
  | 'USER' // a user who may sign in: login, name, groups, active, password hash (by user id)
  | 'LOGIN' // login -> user id
  | 'SIGNIN' // a login's sign-in attempts since its last success, in a window (the lockout's counter)
  | 'SESSION' // a browser session of the consent pages, by SHA-256
  | 'KEY'; // the KMS-encrypted data key of a deployed stage

export interface AuthKey {
  readonly kind: AuthItemKind;
  readonly id: string;
}

export type AuthAttribute = string | number | boolean | readonly string[];
/** An item's attributes. `expiresAt` (seconds since the epoch) is also the table's TTL. */
export type AuthItem = Readonly<Record<string, AuthAttribute>>;

/** What must hold of an item for a write of a transaction to go through. */
export type AuthCondition =
  /** No item has the key. */
  | { readonly absent: true }
  /** The item exists and each named attribute holds exactly this value. */
  | { readonly matches: Readonly<Record<string, string | number>> };

/** One write of a transaction (AuthStore.transact): at most one per key. */
export type AuthWrite =
  | { readonly kind: 'put'; readonly key: AuthKey; readonly item: AuthItem; readonly condition?: AuthCondition }
  /** Deletes the item if there is one (a missing item is not a failure). */
  | { readonly kind: 'delete'; readonly key: AuthKey };

/** The most writes one transaction takes (DynamoDB's TransactWriteItems limit). */
export const MAX_AUTH_TRANSACTION_WRITES = 100;

/**
 * The auth table as the core needs it: items by key, with the conditional operations that make
 * single-use credentials and nonces safe across every Lambda instance.
 */
export interface AuthStore {
  get(key: AuthKey): Promise<AuthItem | undefined>;
  /** Several items in one round trip, in the order of `keys`. */
  getMany(keys: readonly AuthKey[]): Promise<(AuthItem | undefined)[]>;
  /** Writes the item; with `ifAbsent`, only if no item has the key (false if one had). */
  put(key: AuthKey, item: AuthItem, options?: { readonly ifAbsent?: boolean }): Promise<boolean>;
  /** Deletes the item and returns what it was, atomically: of two concurrent takes, one gets it. */
  take(key: AuthKey): Promise<AuthItem | undefined>;
  /**
   * Adds one to the `count` of a counter item and answers the new count, atomically, without a read
   * first: of concurrent increments each gets a count of its own (1, 2, 3, ...). A counter lives
   * while its `expiresAt` is after `now`; a missing or expired one is replaced by `{count: 1, expiresAt}`.
   */
  increment(key: AuthKey, window: { readonly now: number; readonly expiresAt: number }): Promise<number>;
  delete(key: AuthKey): Promise<void>;
  /**
   * All the writes or none (at most MAX_AUTH_TRANSACTION_WRITES, each key once): true when they
   * were made, false when a condition failed or a concurrent transaction on one of the items
   * cancelled them (nothing written either way).
   */
  transact(writes: readonly AuthWrite[]): Promise<boolean>;
  /** Every item of a kind: for the admin CLI only (a scan; no function role may do it). */
  list(kind: AuthItemKind): Promise<{ readonly id: string; readonly item: AuthItem }[]>;
}

export type AccessType = 'oauth1' | 'oauth2' | 'basic';
export const ACCESS_TYPES: readonly AccessType[] = ['oauth1', 'oauth2', 'basic'];

export interface ClientRecord {
  readonly clientId: string;
  readonly name: string;
  /** The user the API acts as for this client (res.users id), as in the original. */
  readonly userId: number;
  readonly accessType: AccessType;
  /** SHA-256 of the secret (oauth2, basic). */
  readonly secretHash: string;
  /** The consumer secret sealed with the key ring (oauth1: HMAC needs it in clear). */
  readonly sealedSecret: string;
  /** Exact redirect URIs the authorize endpoints accept (oauth2 redirect_uri, oauth1 callback). */
  readonly redirectUris: readonly string[];
  readonly createdAt: number;
  /**
   * OAuth 2 only, set by the admin: a refresh keeps the refresh token (as the original did, for
   * clients written against it) instead of rotating it. Absent: rotated, reuse revokes the grant.
   */
  readonly persistentRefreshTokens?: true;
  /** Set by the admin (`set-plan`): the client's rate and quotas (lib/metering/plan.ts); absent: unlimited. */
  readonly plan?: Plan;
}

export function clientKey(clientId: string): AuthKey {
  return { kind: 'CLIENT', id: clientId };
}

/** The typed view of a stored client; undefined for an item that is not one (never trusted blindly). */
/**
 * The plan stored on a client item, as a spread: `{ plan }`, or undefined without one. A stored
 * plan that does not parse limits nothing rather than locking the client out; `set-plan` checks
 * what it writes.
 */
function planOfItem(item: AuthItem): { plan: Plan } | undefined {
  const plan = typeof item.plan === 'string' ? planFromJson(item.plan) : undefined;
  return plan ? { plan } : undefined;
}

export function clientFromItem(item: AuthItem | undefined): ClientRecord | undefined {
  if (!item) return undefined;
  const accessType = ACCESS_TYPES.find((type) => type === item.accessType);
  if (!accessType || typeof item.clientId !== 'string' || typeof item.userId !== 'number') return undefined;
  return {
    clientId: item.clientId,
    name: typeof item.name === 'string' ? item.name : '',
    userId: item.userId,
    accessType,
    secretHash: typeof item.secretHash === 'string' ? item.secretHash : '',
    sealedSecret: typeof item.sealedSecret === 'string' ? item.sealedSecret : '',
    redirectUris: Array.isArray(item.redirectUris)
      ? item.redirectUris.filter((uri): uri is string => typeof uri === 'string')
      : [],
    createdAt: typeof item.createdAt === 'number' ? item.createdAt : 0,
    ...(accessType === 'oauth2' && item.persistentRefreshTokens === true ? { persistentRefreshTokens: true } : {}),
    ...(planOfItem(item) ?? {}),
  };
}

/** The client as its item: the plan, a nested object, as JSON text (an item's attributes are flat). */
export function clientToItem({ plan, ...client }: ClientRecord): AuthItem {
  return { ...client, ...(plan ? { plan: JSON.stringify(plan) } : {}) };
}

export type AuthScheme = 'oauth1' | 'oauth2' | 'basic' | 'jwt';

/** What the authorizer establishes and the handlers receive (through the authorizer context). */
export interface Principal {
  readonly userId: number;
  readonly clientId: string;
  readonly scheme: AuthScheme;
  /** Space-separated OAuth scopes narrowing the user's rights; empty: the user's rights. */
  readonly scopes: string;
  /** The user's groups (ir.model.access), comma-separated. */
  readonly groups: string;
  /** The client's plan, for the functions' metering (lib/metering); absent: unlimited. */
  readonly plan?: Plan;
}

/** The authorizer context key by which the handler learns why a request it must refuse got through. */
export const AUTH_ERROR_CONTEXT_KEY = 'authError';
/** Its value for an OAuth 1.0a request whose signature would cover a form body (lib/auth/authorizer.ts). */
export const OAUTH1_FORM_BODY = 'oauth1_form_body';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 32 characters of 62 carry 190 bits: above RFC 6749 §10.10's 160, and the original's length. */
export const TOKEN_LENGTH = 32;
/** Longer than any credential we issue; bounds the work spent on a hostile input. */
export const MAX_CREDENTIAL_LENGTH = 512;

/** A random [A-Za-z0-9] string of `length` characters, uniformly drawn. */
export function randomToken(length = TOKEN_LENGTH): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Compares a presented secret with a stored SHA-256 hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = createHash('sha256').update(secret, 'utf8').digest();
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

/** A hash no secret has: compared against when the client is unknown, so timing tells nothing. */
export const NO_SECRET_HASH = '0'.repeat(64);

export function nowSeconds(now: () => number = Date.now): number {
  return Math.floor(now() / 1000);
}
