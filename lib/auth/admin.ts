/**
 * Client and user administration (npm run admin): create users, create OAuth clients of each type
 * for a user, list them, rotate secrets, revoke. Secrets are shown once: OAuth 2 and Basic client
 * secrets are stored as SHA-256 hashes, OAuth 1.0a consumer secrets sealed with the key ring.
 */
import {
  clientToItem,
  clientFromItem,
  clientKey,
  nowSeconds,
  randomToken,
  sha256Hex,
  type AccessType,
  type AuthStore,
  type ClientRecord,
} from './credentials';
import { BadRequestError } from '../errors';
import { planProblem, type Plan } from '../metering/plan';
import type { KeyRing } from './keys';

export interface NewClient {
  readonly userId: number;
  readonly name: string;
  readonly accessType: AccessType;
  readonly redirectUris?: readonly string[];
  /** OAuth 2 only: refreshes keep the refresh token (the original's behaviour) instead of rotating it. */
  readonly persistentRefreshTokens?: boolean;
}

export interface IssuedSecret {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Only absolute http(s) URIs without a fragment (RFC 6749 §3.1.2), or a private-use scheme for native apps. */
function checkRedirectUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new BadRequestError(`Redirect URI ${JSON.stringify(uri)} is not an absolute URI`);
  }
  // `#` alone leaves url.hash empty, yet is a fragment component all the same (RFC 6749 §3.1.2).
  if (uri.includes('#')) throw new BadRequestError(`Redirect URI ${uri} must not have a fragment`);
  if (url.protocol === 'javascript:' || url.protocol === 'data:')
    throw new BadRequestError(`Redirect URI ${uri} has a forbidden scheme`);
}

function withSecret(
  client: Omit<ClientRecord, 'secretHash' | 'sealedSecret'>,
  secret: string,
  keys: KeyRing | undefined,
): ClientRecord {
  if (client.accessType === 'oauth1') {
    if (!keys) throw new Error('OAuth 1.0a clients need the key ring to seal their secret');
    // HMAC needs the consumer secret in clear, so it is sealed, not hashed.
    return { ...client, secretHash: '', sealedSecret: keys.secretBox.seal(secret, `CLIENT#${client.clientId}`) };
  }
  return { ...client, secretHash: sha256Hex(secret), sealedSecret: '' };
}

export async function createClient(
  store: AuthStore,
  keys: KeyRing | undefined,
  request: NewClient,
  now?: () => number,
): Promise<IssuedSecret> {
  for (const uri of request.redirectUris ?? []) checkRedirectUri(uri);
  if (request.persistentRefreshTokens && request.accessType !== 'oauth2')
    throw new BadRequestError('Only OAuth 2 clients have refresh tokens');
  const clientId = randomToken();
  const clientSecret = randomToken();
  const client = withSecret(
    {
      clientId,
      name: request.name,
      userId: request.userId,
      accessType: request.accessType,
      redirectUris: [...(request.redirectUris ?? [])],
      createdAt: nowSeconds(now),
      ...(request.persistentRefreshTokens ? { persistentRefreshTokens: true as const } : {}),
    },
    clientSecret,
    keys,
  );
  await store.put(clientKey(clientId), clientToItem(client), { ifAbsent: true });
  return { clientId, clientSecret };
}

export async function getClient(store: AuthStore, clientId: string): Promise<ClientRecord> {
  const client = clientFromItem(await store.get(clientKey(clientId)));
  if (!client) throw new BadRequestError(`No client ${clientId}`);
  return client;
}

/** A new secret for the client; the old one stops working at once. */
export async function rotateClientSecret(
  store: AuthStore,
  keys: KeyRing | undefined,
  clientId: string,
): Promise<IssuedSecret> {
  const client = await getClient(store, clientId);
  const clientSecret = randomToken();
  await store.put(clientKey(clientId), clientToItem(withSecret(client, clientSecret, keys)));
  return { clientId, clientSecret };
}

/**
 * Switches an OAuth 2 client between rotated refresh tokens (the default: each refresh gives a new
 * one, and a reused one revokes its grant) and persistent ones (a refresh keeps the token, as the
 * original did, for clients written against it). Takes effect at the client's next refresh.
 */
export async function setPersistentRefreshTokens(
  store: AuthStore,
  clientId: string,
  persistent: boolean,
): Promise<void> {
  const client = await getClient(store, clientId);
  if (client.accessType !== 'oauth2') throw new BadRequestError('Only OAuth 2 clients have refresh tokens');
  const { persistentRefreshTokens: _was, ...rest } = client;
  await store.put(clientKey(clientId), clientToItem(persistent ? { ...rest, persistentRefreshTokens: true } : rest));
}

/**
 * Sets (or with undefined, removes) the client's plan: its rate and quotas take effect at its next
 * call, as the authorizer reads the client item on every call (no authorizer cache).
 */
export async function setClientPlan(store: AuthStore, clientId: string, plan: Plan | undefined): Promise<ClientRecord> {
  const { plan: _was, ...client } = await getClient(store, clientId);
  if (plan) {
    const problem = planProblem(plan);
    if (problem) throw new BadRequestError(`Invalid plan: ${problem}`);
  }
  const updated: ClientRecord = plan ? { ...client, plan } : client;
  await store.put(clientKey(clientId), clientToItem(updated));
  return updated;
}

/**
 * Deletes the client. Its tokens stop working at once: the authorizer checks that every token's
 * client still exists, and the token endpoints find no client to authenticate.
 */
export async function revokeClient(store: AuthStore, clientId: string): Promise<void> {
  await getClient(store, clientId);
  await store.delete(clientKey(clientId));
}

/** Every client, without secrets, for listing. */
export async function listClients(store: AuthStore): Promise<Omit<ClientRecord, 'secretHash' | 'sealedSecret'>[]> {
  const clients = (await store.list('CLIENT'))
    .map(({ item }) => clientFromItem(item))
    .filter((client): client is ClientRecord => client !== undefined);
  return clients
    .map(({ secretHash: _hash, sealedSecret: _sealed, ...shown }) => shown)
    .sort((a, b) => a.createdAt - b.createdAt || a.clientId.localeCompare(b.clientId));
}
