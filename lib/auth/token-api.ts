/**
 * The token endpoints' HTTP side (the `token` function): parameters from the query or a form body,
 * as the original reads them, and client credentials from them or from an RFC 6749 §2.3.1 Basic
 * header.
 */
import { BadRequestError, MethodNotAllowedError, OAuthError, RouteNotFoundError } from '../errors';
import { formPairs, queryPairsOf, singleValued, type ApiRequest, type ApiResult } from '../http';
import { oauth1AccessToken, oauth1RequestToken, type OAuth1Deps } from './oauth1/flow';
import {
  basicTokenEndpoint,
  clientCredentialsFromBasicHeader,
  oauth2TokenEndpoint,
  revokeToken,
  type ClientCredentials,
  type TokenDeps,
} from './oauth2';
import type { PyDict, PyValue } from '../wire/pyvalue';

export type TokenApiDeps = TokenDeps & OAuth1Deps;

/** Query parameters, then form-body parameters; each name may appear once. */
export function tokenParams(request: ApiRequest): Map<string, string> {
  const form = formPairs(request);
  if (request.body && !form)
    throw new BadRequestError(
      'Send the token request parameters in the query or as an application/x-www-form-urlencoded body',
    );
  return singleValued([...queryPairsOf(request), ...(form ?? [])]);
}

/** Client id and secret from the parameters or a Basic header; both at once is ambiguous. */
function clientCredentials(request: ApiRequest, params: Map<string, string>): ClientCredentials | undefined {
  const fromHeader = clientCredentialsFromBasicHeader(request.headers.get('authorization'));
  const clientId = params.get('client_id');
  const clientSecret = params.get('client_secret');
  if (fromHeader && (clientId !== undefined || clientSecret !== undefined)) {
    throw new OAuthError(
      'invalid_request',
      'Send the client credentials either in the Authorization header or as parameters, not both',
    );
  }
  if (fromHeader) return fromHeader;
  return clientId === undefined || clientSecret === undefined ? undefined : { clientId, clientSecret };
}

function payloadOf(value: object): PyDict {
  return new Map(Object.entries(value) as [string, PyValue][]);
}

/** RFC 6749 §5.1: token responses must not be cached (Cache-Control: no-store is on every response). */
const NO_CACHE = { Pragma: 'no-cache' };

type TokenRoute = (deps: TokenApiDeps, request: ApiRequest) => Promise<PyDict>;

const ROUTES: Readonly<Record<string, TokenRoute>> = {
  '/restapi/1.0/common/oauth2/access_token': async (deps, request) => {
    const params = tokenParams(request);
    return payloadOf(await oauth2TokenEndpoint(deps, params, clientCredentials(request, params)));
  },
  '/restapi/1.0/common/oauth2/revoke': async (deps, request) => {
    const params = tokenParams(request);
    await revokeToken(deps, params, clientCredentials(request, params));
    return new Map();
  },
  '/restapi/1.0/common/basic/access_token': async (deps, request) => {
    const params = tokenParams(request);
    return payloadOf(await basicTokenEndpoint(deps, params, clientCredentials(request, params)));
  },
  '/restapi/1.0/common/oauth1/request_token': async (deps, request) =>
    payloadOf(await oauth1RequestToken(deps, request)),
  '/restapi/1.0/common/oauth1/access_token': async (deps, request) => payloadOf(await oauth1AccessToken(deps, request)),
};

/** The route of a path, with or without a stage or base-path prefix before /restapi. */
function routeOf(path: string): TokenRoute | undefined {
  const start = path.indexOf('/restapi/');
  return start < 0 ? undefined : ROUTES[path.slice(start).replace(/\/+$/, '')];
}

/** The token endpoints' route: POSTs only, answers never cached. */
export async function tokenEndpoint(deps: TokenApiDeps, request: ApiRequest): Promise<ApiResult> {
  const route = routeOf(request.path);
  if (!route) throw new RouteNotFoundError(request.method, request.path);
  // RFC 6749 §3.2: token requests are POSTs (credentials in a GET's URL end up in logs).
  if (request.method !== 'POST') throw new MethodNotAllowedError(request.method, ['POST']);
  return { status: 200, payload: await route(deps, request), headers: NO_CACHE };
}
