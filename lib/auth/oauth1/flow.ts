/**
 * OAuth 1.0a (RFC 5849) as the original has it: the three legs (request token, authorize,
 * access token) and the verification of signed resource requests. lib/auth/oauth1/signature.ts does the
 * signature arithmetic; this module looks up the secrets, checks freshness and keeps the state.
 *
 * Made safe where the original was not: secrets are sealed at rest (the key ring), nonces are
 * recorded in DynamoDB after the signature checks out (a conditional put: a replay fails on every
 * Lambda instance), request tokens and verifiers are single-use, callbacks must be registered,
 * unknown signature methods are refused rather than treated as HMAC-SHA1, and header values are
 * parsed, never evaluated.
 */
import {
  clientFromItem,
  clientKey,
  MAX_CREDENTIAL_LENGTH,
  nowSeconds,
  randomToken,
  secretMatches,
  sha256Hex,
  type AuthItem,
  type AuthKey,
  type AuthStore,
  type ClientRecord,
  type Principal,
} from '../credentials';
import { AuthenticationRequiredError, BadRequestError, SecretDecryptionError } from '../../errors';
import { formPairs, queryPairsOf, type ApiRequest } from '../../http';
import type { KeyRing } from '../keys';
import {
  checkTimestamp,
  gatherOAuthParameters,
  hasOAuthScheme,
  nonceKey,
  parseOAuthAuthorizationHeader,
  requestBaseStringUri,
  requestOrigin,
  verifySignature,
  type OAuthRequest,
  type OriginSettings,
  type ParamPair,
} from './signature';

/**
 * The origin settings (signature.ts's OriginSettings: PUBLIC_BASE_URL, else the domain API Gateway
 * reports; X-Forwarded-* only with TRUSTED_PROXY) and what the flows need besides.
 */
export interface OAuth1Deps extends OriginSettings {
  readonly store: AuthStore;
  /** The key ring that seals OAuth 1.0a secrets, loaded on first use. */
  readonly keys: () => Promise<KeyRing>;
  /** Accepted clock difference for oauth_timestamp, seconds (RFC 5849 §3.3). */
  readonly timestampWindow: number;
  readonly now?: () => number;
}

/** How long a request token waits for the user's approval and exchange. */
export const REQUEST_TOKEN_VALIDITY = 3600;
/** Nonces are kept a little longer than the window in which their timestamp is accepted. */
const NONCE_SLACK = 60;

const requestTokenKey = (token: string): AuthKey => ({ kind: 'O1REQ', id: token });
const accessTokenKey = (token: string): AuthKey => ({ kind: 'O1ACC', id: token });
const pkOf = (key: AuthKey): string => `${key.kind}#${key.id}`;

/** A signed request as both the authorizer (no body) and the token endpoints (form body) see it. */
export interface SignedRequest {
  readonly method: string;
  /** The path the client called, without the public base path. */
  readonly path: string;
  /** The domain API Gateway reports the request came in on (requestContext.domainName). */
  readonly domainName: string | undefined;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly authorization: string | undefined;
  readonly query: readonly ParamPair[];
  readonly body?: readonly ParamPair[];
}

/** Whether a request carries OAuth 1.0a credentials (RFC 5849 §3.5: header or query). */
export function isOAuth1Request(authorization: string | undefined, query: readonly ParamPair[]): boolean {
  return (
    (authorization !== undefined && hasOAuthScheme(authorization)) || query.some(([name]) => name === 'oauth_signature')
  );
}

interface Verified {
  readonly request: OAuthRequest;
  readonly client: ClientRecord;
  /** The token's item (request or access token), when the request names one. */
  readonly token: AuthItem | undefined;
}

function openSecret(keys: KeyRing, sealed: unknown, owner: AuthKey): string {
  if (typeof sealed !== 'string' || sealed === '') throw new AuthenticationRequiredError('no secret stored');
  try {
    return keys.secretBox.open(sealed, pkOf(owner));
  } catch (error) {
    // A secret sealed under another key (or tampered with) is a server-side problem, not the
    // client's: it is logged as an error by the caller and the client gets a 503/500, not a 401.
    if (error instanceof SecretDecryptionError)
      throw new Error(`cannot open the secret of ${owner.kind}`, { cause: error });
    throw error;
  }
}

/** A signed request's parameters, client and token, looked up and checked; its signature not yet. */
interface LookedUp extends Verified {
  /** The key of the token's item, when the request names one. */
  readonly ownerOfToken: AuthKey | undefined;
}

/**
 * RFC 5849 §3.2's checks up to the signature: the protocol parameters, the client (an OAuth 1.0a
 * one) and the token (the client's own, unexpired), in one read.
 */
async function lookUpSignedRequest(
  deps: OAuth1Deps,
  signed: SignedRequest,
  tokenKind: 'none' | 'O1REQ' | 'O1ACC',
): Promise<LookedUp> {
  const header =
    signed.authorization !== undefined && hasOAuthScheme(signed.authorization)
      ? parseOAuthAuthorizationHeader(signed.authorization).params
      : undefined;
  const request = gatherOAuthParameters({
    query: signed.query,
    ...(header ? { header } : {}),
    ...(signed.body ? { body: signed.body } : {}),
  });
  if (request.consumerKey.length > MAX_CREDENTIAL_LENGTH || (request.token?.length ?? 0) > MAX_CREDENTIAL_LENGTH)
    throw new AuthenticationRequiredError('credential too long');
  if (tokenKind === 'none' && request.token)
    throw new AuthenticationRequiredError('a request token request carries no token');
  if (tokenKind !== 'none' && !request.token) throw new AuthenticationRequiredError('oauth_token is missing');
  const ownerOfToken = request.token && tokenKind !== 'none' ? { kind: tokenKind, id: request.token } : undefined;
  const [clientItem, token] = await deps.store.getMany(
    ownerOfToken ? [clientKey(request.consumerKey), ownerOfToken] : [clientKey(request.consumerKey)],
  );
  const client = clientFromItem(clientItem);
  if (!client || client.accessType !== 'oauth1') throw new AuthenticationRequiredError('unknown consumer key');
  if (ownerOfToken && (!token || token.clientId !== client.clientId))
    throw new AuthenticationRequiredError('unknown token');
  if (ownerOfToken && typeof token?.expiresAt === 'number' && token.expiresAt <= nowSeconds(deps.now))
    throw new AuthenticationRequiredError('expired token');
  return { request, client, token, ownerOfToken };
}

/**
 * RFC 5849 §3.2: parameters, secrets, signature, then freshness — the nonce is recorded only
 * after the signature checks out, so an unauthenticated caller cannot use up other clients' nonces.
 */
async function verifySignedRequest(
  deps: OAuth1Deps,
  signed: SignedRequest,
  tokenKind: 'none' | 'O1REQ' | 'O1ACC',
  /** Work that needs the verified request, run at the same time as the nonce's write (one round trip fewer). */
  alongside: (verified: Verified) => Promise<unknown> = async () => undefined,
): Promise<Verified> {
  const { request, client, token, ownerOfToken } = await lookUpSignedRequest(deps, signed, tokenKind);
  const keys = await deps.keys();
  const consumerSecret = openSecret(keys, client.sealedSecret, clientKey(client.clientId));
  const tokenSecret = ownerOfToken ? openSecret(keys, token?.sealedSecret, ownerOfToken) : undefined;
  const origin = requestOrigin(deps, { domainName: signed.domainName, headers: signed.headers });
  verifySignature(signed.method, requestBaseStringUri(origin, signed.path), request, consumerSecret, tokenSecret);

  const verified = { request, client, token };
  // PLAINTEXT (over https only) may leave timestamp and nonce out (§3.4.4); everything else has both.
  const { timestamp, nonce } = request;
  if (timestamp === undefined || nonce === undefined) {
    await alongside(verified);
    return verified;
  }
  const now = nowSeconds(deps.now);
  checkTimestamp(timestamp, now, deps.timestampWindow);
  const recordNonce = async () => {
    const recorded = await deps.store.put(
      { kind: 'NONCE', id: nonceKey(request.consumerKey, request.token, timestamp, nonce) },
      { expiresAt: Math.max(timestamp, now) + deps.timestampWindow + NONCE_SLACK },
      { ifAbsent: true },
    );
    if (!recorded) throw new AuthenticationRequiredError('nonce already used');
  };
  await Promise.all([recordNonce(), alongside(verified)]);
  return verified;
}

/**
 * The signed request of a call that reaches a function with its body (a token endpoint, or an
 * object route whose signature the authorizer left pending), which, unlike the authorizer, sees
 * a form body.
 */
function signedApiRequest(deps: OAuth1Deps, request: ApiRequest): SignedRequest {
  return {
    method: request.method,
    // With a configured public base URL, its base path is added to the resource path instead.
    path: deps.publicOrigin ? request.path : request.calledPath,
    domainName: request.domainName,
    headers: Object.fromEntries(request.headers),
    authorization: request.headers.get('authorization'),
    query: queryPairsOf(request),
    // RFC 5849 §3.4.1.3.1: a form body's parameters are signed too.
    body: formPairs(request) ?? [],
  };
}

/** The callback a request token will redirect to: `oob` (none), or one of the client's registered URIs. */
function checkedCallback(client: ClientRecord, callback: string | undefined): string {
  if (callback === undefined || callback === '' || callback === 'oob') return '';
  // An unregistered callback would make the authorize page an open redirect carrying verifiers.
  if (!client.redirectUris.includes(callback))
    throw new BadRequestError('oauth_callback is not registered for this client');
  return callback;
}

export interface OAuth1Credentials {
  readonly oauth_token: string;
  readonly oauth_token_secret: string;
}

/** Leg 1, POST /restapi/1.0/common/oauth1/request_token: temporary credentials for the consumer. */
export async function oauth1RequestToken(deps: OAuth1Deps, apiRequest: ApiRequest): Promise<OAuth1Credentials> {
  const { request, client } = await verifySignedRequest(deps, signedApiRequest(deps, apiRequest), 'none');
  const callback = checkedCallback(client, request.callback);
  const token = randomToken();
  const secret = randomToken();
  const key = requestTokenKey(token);
  const keys = await deps.keys();
  await deps.store.put(key, {
    clientId: client.clientId,
    sealedSecret: keys.secretBox.seal(secret, pkOf(key)),
    callback,
    expiresAt: nowSeconds(deps.now) + REQUEST_TOKEN_VALIDITY,
  });
  return { oauth_token: token, oauth_token_secret: secret };
}

export interface PendingRequestToken {
  readonly token: string;
  readonly client: ClientRecord;
  /** Empty: out of band (the verifier is shown as JSON, as the original does). */
  readonly callback: string;
}

/** Leg 2, GET /restapi/1.0/common/oauth1/authorize: the request token the user is asked about. */
export async function pendingRequestToken(
  store: AuthStore,
  token: string | undefined,
  now?: () => number,
): Promise<PendingRequestToken> {
  if (!token || token.length > MAX_CREDENTIAL_LENGTH) throw new BadRequestError('oauth_token is required');
  const item = await store.get(requestTokenKey(token));
  if (
    !item ||
    typeof item.clientId !== 'string' ||
    typeof item.expiresAt !== 'number' ||
    item.expiresAt <= nowSeconds(now)
  ) {
    throw new BadRequestError('Request Token Expired');
  }
  const client = clientFromItem(await store.get(clientKey(item.clientId)));
  if (!client) throw new BadRequestError('Request Token Expired');
  return { token, client, callback: typeof item.callback === 'string' ? item.callback : '' };
}

/** The user approved: the request token is bound to them and a verifier issued (stored hashed). */
export async function approveRequestToken(store: AuthStore, token: string, userId: number): Promise<string> {
  const key = requestTokenKey(token);
  const item = await store.get(key);
  if (!item) throw new BadRequestError('Request Token Expired');
  // Longer than the original's 7 digits: the verifier is the proof of the user's consent.
  const verifier = randomToken();
  await store.put(key, { ...item, userId, verifierHash: sha256Hex(verifier) });
  return verifier;
}

/** Leg 3, POST /restapi/1.0/common/oauth1/access_token: the verifier and request token for token credentials. */
export async function oauth1AccessToken(deps: OAuth1Deps, apiRequest: ApiRequest): Promise<OAuth1Credentials> {
  const {
    request,
    client,
    token: pending,
  } = await verifySignedRequest(deps, signedApiRequest(deps, apiRequest), 'O1REQ');
  const requestToken = request.token as string;
  if (!request.verifier) throw new AuthenticationRequiredError('oauth_verifier is missing');
  if (typeof pending?.userId !== 'number' || typeof pending.verifierHash !== 'string')
    throw new AuthenticationRequiredError('request token not authorized yet');
  if (!secretMatches(request.verifier, pending.verifierHash)) throw new AuthenticationRequiredError('wrong verifier');
  // Single use: of two exchanges racing with the same request token, one gets it.
  if (!(await deps.store.take(requestTokenKey(requestToken))))
    throw new AuthenticationRequiredError('request token already used');
  return issueOAuth1AccessToken(deps.store, await deps.keys(), client, pending.userId, deps.now);
}

/**
 * A signed resource request (the authorizer's part): who it is from, or a 401. `complete` (the
 * user's groups, say) runs while the nonce is written.
 */
export async function authenticateOAuth1<T>(
  deps: OAuth1Deps,
  signed: SignedRequest,
  complete: (principal: Omit<Principal, 'groups'>) => Promise<T>,
): Promise<T> {
  let completed: T | undefined;
  await verifySignedRequest(deps, signed, 'O1ACC', async ({ client, token }) => {
    if (typeof token?.userId !== 'number') throw new AuthenticationRequiredError('unknown token');
    completed = await complete({
      userId: token.userId,
      clientId: client.clientId,
      scheme: 'oauth1',
      scopes: typeof token.scopes === 'string' ? token.scopes : '',
    });
  });
  return completed as T;
}

/**
 * An OAuth 1.0a request with a form body: RFC 5849 §3.4.1.3.1 signs its fields, which an API
 * Gateway authorizer never sees. The authorizer checks all it can (this function) and lets it
 * through marked pending (OAUTH1_SIGNATURE_PENDING), with who it would be from; the object
 * function, which sees the body, verifies the signature over the whole request and records the
 * nonce before anything else (verifyPendingOAuth1Signature). The marker comes only from the
 * authorizer's context, which no client can write.
 */
export const OAUTH1_SIGNATURE_CONTEXT_KEY = 'oauth1Signature';
export const OAUTH1_SIGNATURE_PENDING = 'pending';

/**
 * The authorizer's part of a form-body request: the protocol parameters of the header and query,
 * the consumer and its access token (known, the client's, unexpired), the timestamp's window and
 * the origin — everything but the signature, which covers a body it cannot see, and the nonce,
 * which is recorded once the signature checks out. Whom the request is from, or a 401; `complete`
 * (the user's groups, say) then runs as for a verified request.
 */
export async function preverifyOAuth1<T>(
  deps: OAuth1Deps,
  signed: SignedRequest,
  complete: (principal: Omit<Principal, 'groups'>) => Promise<T>,
): Promise<T> {
  const { request, client, token } = await lookUpSignedRequest(deps, signed, 'O1ACC');
  if (typeof token?.userId !== 'number') throw new AuthenticationRequiredError('unknown token');
  if (request.timestamp !== undefined) checkTimestamp(request.timestamp, nowSeconds(deps.now), deps.timestampWindow);
  requestOrigin(deps, { domainName: signed.domainName, headers: signed.headers });
  return complete({
    userId: token.userId,
    clientId: client.clientId,
    scheme: 'oauth1',
    scopes: typeof token.scopes === 'string' ? token.scopes : '',
  });
}

/**
 * The object function's part of a request the authorizer left pending: the signature over the
 * whole request (header, query and form fields) and the nonce, recorded once it checks out (a
 * conditional put, so a replay fails here as it does in the authorizer); and the request must be
 * from whom the authorizer said. A 401 otherwise.
 */
export async function verifyPendingOAuth1Signature(
  deps: OAuth1Deps,
  apiRequest: ApiRequest,
  expected: { readonly userId: number; readonly clientId: string },
): Promise<void> {
  await verifySignedRequest(deps, signedApiRequest(deps, apiRequest), 'O1ACC', async ({ client, token }) => {
    if (token?.userId !== expected.userId || client.clientId !== expected.clientId)
      throw new AuthenticationRequiredError('not the caller the authorizer let through');
  });
}

/** Issues OAuth 1.0a token credentials (leg 3, and the admin CLI's setup without the browser leg). */
export async function issueOAuth1AccessToken(
  store: AuthStore,
  keys: KeyRing,
  client: ClientRecord,
  userId: number,
  now?: () => number,
): Promise<OAuth1Credentials> {
  const token = randomToken();
  const secret = randomToken();
  const key = accessTokenKey(token);
  await store.put(key, {
    clientId: client.clientId,
    userId,
    sealedSecret: keys.secretBox.seal(secret, pkOf(key)),
    scopes: '',
    createdAt: nowSeconds(now),
  });
  return { oauth_token: token, oauth_token_secret: secret };
}
