/**
 * The authorizer's logic: the credentials of a request event -> an IAM policy with the caller in
 * the context, or `Unauthorized` (API Gateway's 401). It dispatches as the original does
 * (`valid_authentication`): `oauth_signature` present -> OAuth 1.0a; `Bearer` -> an OAuth 2 token;
 * `Basic` -> the original's basic token; anything else -> 401. Then the user must be active and the
 * client still registered, and the user's groups go to the handler for the access rights.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { AUTH_ERROR_CONTEXT_KEY, clientFromItem, clientKey, OAUTH1_FORM_BODY, type AuthStore, type Principal } from './credentials';
import { AuthenticationRequiredError } from '../errors';
import { looksLikeJwt, verifyAccessToken } from './jwt';
import { errorFields, type Logger } from '../runtime/log';
import { queryPairs } from './oauth1/signature';
import { authenticateOAuth1, isOAuth1Request, type OAuth1Deps } from './oauth1/flow';
import { lookUpAccessToken, parseTokenHeader, type TokenDeps } from './oauth2';
import { userFromItem, userKey } from './users';
import { mediaTypeOf } from '../wire/media-type';

export interface AuthorizerDeps {
  readonly store: AuthStore;
  readonly tokens: TokenDeps;
  readonly oauth1: OAuth1Deps;
}

/**
 * The policy covers every method and path of the stage, so that a cached result (should caching
 * ever be turned on) is valid for every route, not just the first one called (aws-dynamodb-oauth §2.4).
 */
export function stageWildcardArn(methodArn: string): string {
  // arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{verb}/{path...}
  const [prefix = '', stage = '*'] = methodArn.split('/');
  return `${prefix}/${stage}/*/*`;
}

function headerValues(event: APIGatewayRequestAuthorizerEvent, wanted: string): string[] {
  const values: string[] = [];
  for (const [name, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === wanted && list) values.push(...list);
  }
  if (values.length === 0) {
    for (const [name, value] of Object.entries(event.headers ?? {})) {
      if (name.toLowerCase() === wanted && value !== undefined) values.push(value);
    }
  }
  return values;
}

/** The Authorization header, whatever its case; more than one is refused as ambiguous. */
export function authorizationHeader(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  const values = headerValues(event, 'authorization');
  if (values.length > 1) throw new AuthenticationRequiredError('more than one Authorization header');
  return values[0];
}

/**
 * A signed form body: its parameters would be part of the signature (RFC 5849 §3.4.1.3.1), but
 * an API Gateway authorizer never sees the body, so such a signature cannot be checked.
 */
function hasFormBody(event: APIGatewayRequestAuthorizerEvent): boolean {
  const contentType = mediaTypeOf(headerValues(event, 'content-type')[0]);
  const length = Number(headerValues(event, 'content-length')[0] ?? '0');
  return contentType === 'application/x-www-form-urlencoded' && (length > 0 || headerValues(event, 'transfer-encoding').length > 0);
}


/** The path as the client called it: with the stage or base path, which the client signed. */
function calledPath(event: APIGatewayRequestAuthorizerEvent, oauth1: OAuth1Deps): string {
  // With a configured public base URL, its base path is added to the resource path instead.
  return oauth1.publicOrigin ? event.path : (event.requestContext?.path ?? event.path);
}

/**
 * A JWT access token (ACCESS_TOKEN_FORMAT=jwt): verified with the key alone, no table read; its
 * groups are the ones it was issued with. Undefined for anything that is not one.
 */
async function authenticateJwt(deps: AuthorizerDeps, event: APIGatewayRequestAuthorizerEvent): Promise<Principal | undefined> {
  if (deps.tokens.accessTokenFormat !== 'jwt' || !deps.tokens.keys) return undefined;
  const authorization = authorizationHeader(event);
  if (!/^bearer /i.test(authorization ?? '') || queryPairs(event.multiValueQueryStringParameters).some(([name]) => name === 'oauth_signature')) return undefined;
  const token = parseTokenHeader(authorization, 'bearer');
  if (!looksLikeJwt(token)) return undefined;
  const keys = await deps.tokens.keys();
  return { ...(await verifyAccessToken(keys.jwtKey, token, deps.tokens.now)), scheme: 'jwt' };
}

async function authenticate(deps: AuthorizerDeps, event: APIGatewayRequestAuthorizerEvent): Promise<Principal> {
  const authorization = authorizationHeader(event);
  const query = queryPairs(event.multiValueQueryStringParameters);
  if (isOAuth1Request(authorization, query)) {
    const signed = { method: event.httpMethod, path: calledPath(event, deps.oauth1), headers: event.headers ?? {}, authorization, query };
    // The user and client are read while the nonce is written: two round trips in all.
    return authenticateOAuth1(deps.oauth1, signed, (principal) => withGroups(deps.store, principal));
  }
  const scheme = authorization?.trimStart().split(' ', 1)[0]?.toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') throw new AuthenticationRequiredError(authorization ? 'unsupported Authorization scheme' : 'no credentials');
  const record = await lookUpAccessToken(deps.tokens, parseTokenHeader(authorization, scheme), scheme === 'bearer' ? 'oauth2' : 'basic');
  return withGroups(deps.store, { userId: record.userId, clientId: record.clientId, scheme: record.scheme, scopes: record.scopes });
}

/** The user must still be active and the client still registered: a revoked client's tokens stop at once. */
async function withGroups(store: AuthStore, principal: Omit<Principal, 'groups'>): Promise<Principal> {
  const [userItem, clientItem] = await store.getMany([userKey(principal.userId), clientKey(principal.clientId)]);
  const user = userFromItem(userItem);
  const client = clientFromItem(clientItem);
  if (!user || !user.active) throw new AuthenticationRequiredError('user unknown or archived');
  if (!client || client.userId !== principal.userId) throw new AuthenticationRequiredError('client revoked');
  return { ...principal, groups: user.groups.join(',') };
}

/**
 * The context the handler reads (lib/models/access.ts's accessFromContext). The scopes go under
 * `tokenScopes`: serverless-offline overwrites a context key named `scopes` with a JWT claim.
 */
export function principalContext(principal: Principal): Record<string, string | number> {
  return { userId: principal.userId, clientId: principal.clientId, scheme: principal.scheme, tokenScopes: principal.scopes, groups: principal.groups };
}

function allow(event: APIGatewayRequestAuthorizerEvent, principalId: string, context: Record<string, string | number>): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcardArn(event.methodArn) }],
    },
    context,
  };
}

export async function authorizeRequest(deps: AuthorizerDeps, log: Logger, event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const requestLog = log.child({ requestId: event.requestContext?.requestId, path: event.path });
  try {
    if (isOAuth1Request(authorizationHeader(event), queryPairs(event.multiValueQueryStringParameters)) && hasFormBody(event)) {
      // API Gateway's 401 body is fixed, so to say why, the request goes on without a user and
      // the handler (which refuses any request without one) answers 401 with the reason.
      requestLog.info('unauthorized', { reason: 'OAuth 1.0a with a form body' });
      return allow(event, 'anonymous', { [AUTH_ERROR_CONTEXT_KEY]: OAUTH1_FORM_BODY });
    }
    const principal = (await authenticateJwt(deps, event)) ?? (await authenticate(deps, event));
    return allow(event, String(principal.userId), principalContext(principal));
  } catch (error) {
    if (error instanceof AuthenticationRequiredError) requestLog.info('unauthorized', { reason: error.reason });
    else requestLog.error('authorizer failed; refusing the request', errorFields(error));
    // The exact message API Gateway maps to 401.
    throw new Error('Unauthorized');
  }
}
