/**
 * The authorizer's logic: the credentials of a request -> a grant with the caller in the context
 * (lib/http/authorizer-event.ts makes it API Gateway's IAM policy), or none (API Gateway's 401).
 * It dispatches as the original does (`valid_authentication`): `oauth_signature` present ->
 * OAuth 1.0a (with a form body, whose fields the signature covers, all but the signature and the
 * nonce, which the object function checks: see preverifyOAuth1); `Bearer` -> an OAuth 2 token;
 * `Basic` -> the original's basic token; anything else -> 401. Then the user must be active and the
 * client still registered, and the user's groups go to the handler for the access rights. An opaque
 * token, like a JWT, costs one DynamoDB round trip (see authenticateAccessToken).
 */
import { clientFromItem, clientKey, nowSeconds, type AuthItem, type AuthStore, type Principal } from './credentials';
import { AuthenticationRequiredError } from '../errors';
import { looksLikeJwt, verifyAccessToken } from './jwt';
import { errorFields, type Logger } from '../runtime/log';
import {
  authenticateOAuth1,
  isOAuth1Request,
  OAUTH1_SIGNATURE_CONTEXT_KEY,
  OAUTH1_SIGNATURE_PENDING,
  preverifyOAuth1,
  type OAuth1Deps,
  type SignedRequest,
} from './oauth1/flow';
import {
  accessTokenKey,
  accessTokenNames,
  checkAccessTokenItem,
  lookUpAccessToken,
  parseTokenHeader,
  type TokenDeps,
  type TokenRecord,
} from './oauth2';
import { userFromItem, userKey } from './users';
import type { AuthorizerRequest, Grant } from '../http/authorizer-event';
import { mediaTypeOf } from '../wire/media-type';
import { PLAN_CONTEXT_KEY, planToContext } from '../metering/plan';

export interface AuthorizerDeps {
  readonly store: AuthStore;
  readonly tokens: TokenDeps;
  readonly oauth1: OAuth1Deps;
  /**
   * Deployed stages: the value of the stage's default API key (serverless.yml), returned as
   * usageIdentifierKey for clients without a key of their own; absent on the local stage.
   */
  readonly defaultApiKey?: string;
}

/** Every value of a header, whatever its case. */
function headerValues(request: AuthorizerRequest, wanted: string): readonly string[] {
  return request.headers.get(wanted) ?? [];
}

/** The Authorization header, whatever its case; more than one is refused as ambiguous. */
export function authorizationHeader(request: AuthorizerRequest): string | undefined {
  const values = headerValues(request, 'authorization');
  if (values.length > 1) throw new AuthenticationRequiredError('more than one Authorization header');
  return values[0];
}

/**
 * A form body: its fields are part of an OAuth 1.0a signature (RFC 5849 §3.4.1.3.1), but an API
 * Gateway authorizer never sees the body, so the object function checks such a signature
 * (lib/auth/oauth1/flow.ts, OAUTH1_SIGNATURE_PENDING). The Content-Type alone decides, as it
 * decides for the object function whether the body has fields (lib/http's formPairs).
 */
function hasFormBody(request: AuthorizerRequest): boolean {
  // Not Content-Length: an HTTP/2 request need not send one, and an empty form is verified alike.
  // Any of several Content-Type values: the object function may read another one than the first.
  return headerValues(request, 'content-type').some(
    (value) => mediaTypeOf(value) === 'application/x-www-form-urlencoded',
  );
}

/** The path as the client called it: with the stage or base path, which the client signed. */
function calledPath(request: AuthorizerRequest, oauth1: OAuth1Deps): string {
  // With a configured public base URL, its base path is added to the resource path instead.
  return oauth1.publicOrigin ? request.path : request.calledPath;
}

/**
 * A JWT access token (ACCESS_TOKEN_FORMAT=jwt): its signature and expiry are checked with the key,
 * without the token read (and hash) of an opaque token; then, as for every token, the user must
 * still be active and the client still registered — one BatchGetItem — so revoking a client or
 * archiving a user stops its JWTs at once, and the groups are the user's as they are now, not the
 * token's claim. Undefined for anything that is not a JWT.
 */
async function authenticateJwt(deps: AuthorizerDeps, request: AuthorizerRequest): Promise<Principal | undefined> {
  if (deps.tokens.accessTokenFormat !== 'jwt' || !deps.tokens.keys) return undefined;
  const authorization = authorizationHeader(request);
  if (!/^bearer /i.test(authorization ?? '') || request.query.some(([name]) => name === 'oauth_signature'))
    return undefined;
  const token = parseTokenHeader(authorization, 'bearer');
  if (!looksLikeJwt(token)) return undefined;
  const keys = await deps.tokens.keys();
  const { userId, clientId, scopes } = await verifyAccessToken(keys.jwtKey, token, deps.tokens.now);
  return withGroups(deps.store, { userId, clientId, scopes, scheme: 'jwt' });
}

/** An OAuth 1.0a request as the authorizer sees it: everything but the body. */
function signedRequestOf(deps: AuthorizerDeps, request: AuthorizerRequest): SignedRequest {
  return {
    method: request.method,
    path: calledPath(request, deps.oauth1),
    domainName: request.domainName,
    headers: joinedHeaders(request),
    authorization: authorizationHeader(request),
    query: request.query,
  };
}

async function authenticate(deps: AuthorizerDeps, request: AuthorizerRequest): Promise<Principal> {
  const authorization = authorizationHeader(request);
  const query = request.query;
  if (isOAuth1Request(authorization, query)) {
    // The user and client are read while the nonce is written: two round trips in all.
    return authenticateOAuth1(deps.oauth1, signedRequestOf(deps, request), (principal) =>
      withGroups(deps.store, principal),
    );
  }
  const scheme = authorization?.trimStart().split(' ', 1)[0]?.toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic')
    throw new AuthenticationRequiredError(authorization ? 'unsupported Authorization scheme' : 'no credentials');
  return authenticateAccessToken(
    deps,
    parseTokenHeader(authorization, scheme),
    scheme === 'bearer' ? 'oauth2' : 'basic',
  );
}

/**
 * An opaque Bearer or Basic token. One that names its client and user (lib/auth/oauth2.ts,
 * accessTokenNames) is read with them in one BatchGetItem: one round trip. The names only say what
 * to read: the token's item, found by the hash of the whole token, decides, and must name the same
 * client and user. Deleting that item (RFC 7009, a family's revocation), the client item or
 * archiving the user stops the token at the next request, as the reads are strongly consistent.
 * A token issued before it carried the names costs the token read, then the user and client.
 */
async function authenticateAccessToken(
  deps: AuthorizerDeps,
  token: string,
  scheme: 'oauth2' | 'basic',
): Promise<Principal> {
  const named = accessTokenNames(token);
  if (!named) {
    const record = await lookUpAccessToken(deps.tokens, token, scheme);
    return withGroups(deps.store, principalOf(record));
  }
  const [tokenItem, userItem, clientItem] = await deps.store.getMany([
    accessTokenKey(token),
    userKey(named.userId),
    clientKey(named.clientId),
  ]);
  const record = checkAccessTokenItem(tokenItem, scheme, nowSeconds(deps.tokens.now));
  if (record.clientId !== named.clientId || record.userId !== named.userId)
    throw new AuthenticationRequiredError('token names another client or user');
  return checkedPrincipal(principalOf(record), userItem, clientItem);
}

function principalOf(record: TokenRecord): Omit<Principal, 'groups'> {
  return { userId: record.userId, clientId: record.clientId, scheme: record.scheme, scopes: record.scopes };
}

/** The user must still be active and the client still registered: a revoked client's tokens stop at once. */
async function withGroups(store: AuthStore, principal: Omit<Principal, 'groups'>): Promise<Principal> {
  const [userItem, clientItem] = await store.getMany([userKey(principal.userId), clientKey(principal.clientId)]);
  return checkedPrincipal(principal, userItem, clientItem);
}

/** The principal with the user's groups, if the user as read is active and the client as read acts for them. */
function checkedPrincipal(
  principal: Omit<Principal, 'groups'>,
  userItem: AuthItem | undefined,
  clientItem: AuthItem | undefined,
): Principal {
  const user = userFromItem(userItem);
  const client = clientFromItem(clientItem);
  if (!user || !user.active) throw new AuthenticationRequiredError('user unknown or archived');
  if (!client || client.userId !== principal.userId) throw new AuthenticationRequiredError('client revoked');
  return { ...principal, groups: user.groups.join(','), ...(client.plan ? { plan: client.plan } : {}) };
}

/**
 * The context the handler reads (lib/models/access.ts's accessFromContext). The scopes go under
 * `tokenScopes`: serverless-offline overwrites a context key named `scopes` with a JWT claim.
 */
export function principalContext(principal: Principal): Record<string, string | number> {
  return {
    userId: principal.userId,
    clientId: principal.clientId,
    scheme: principal.scheme,
    tokenScopes: principal.scopes,
    groups: principal.groups,
    // The functions meter the call by it (lib/metering) without reading the client again.
    ...(principal.plan ? { [PLAN_CONTEXT_KEY]: planToContext(principal.plan) } : {}),
  };
}

/** The API key API Gateway meters the caller under (deployed stages): the client's own, else the stage's default. */
function usageKeyOf(deps: AuthorizerDeps, principal: Principal): { usageIdentifierKey?: string } {
  const key = principal.plan?.gateway?.apiKeyValue ?? deps.defaultApiKey;
  return key === undefined ? {} : { usageIdentifierKey: key };
}

/**
 * Each header's values as one comma list (RFC 9110 §5.3), for the OAuth 1.0a origin: a header sent
 * twice is then refused (two Host values are no host), or read by its last element, which a
 * trusted proxy wrote (X-Forwarded-*).
 */
function joinedHeaders(request: AuthorizerRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of request.headers) if (values.length > 0) headers[name] = values.join(', ');
  return headers;
}

/** The grant for a request with valid credentials; undefined (logged with the reason) for any other. */
export async function authorizeRequest(
  deps: AuthorizerDeps,
  log: Logger,
  request: AuthorizerRequest,
): Promise<Grant | undefined> {
  const requestLog = log.child({ requestId: request.requestId, path: request.path });
  try {
    if (isOAuth1Request(authorizationHeader(request), request.query) && hasFormBody(request)) {
      // Everything but the signature and the nonce, which the object function checks over the body.
      const principal = await preverifyOAuth1(deps.oauth1, signedRequestOf(deps, request), (verified) =>
        withGroups(deps.store, verified),
      );
      requestLog.info('OAuth 1.0a signature left to the object function', { reason: 'form body' });
      return {
        principalId: String(principal.userId),
        context: { ...principalContext(principal), [OAUTH1_SIGNATURE_CONTEXT_KEY]: OAUTH1_SIGNATURE_PENDING },
        ...usageKeyOf(deps, principal),
      };
    }
    const principal = (await authenticateJwt(deps, request)) ?? (await authenticate(deps, request));
    return {
      principalId: String(principal.userId),
      context: principalContext(principal),
      ...usageKeyOf(deps, principal),
    };
  } catch (error) {
    if (error instanceof AuthenticationRequiredError) requestLog.info('unauthorized', { reason: error.reason });
    else requestLog.error('authorizer failed; refusing the request', errorFields(error));
    return undefined;
  }
}
