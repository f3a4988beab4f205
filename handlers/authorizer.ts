/**
 * The REQUEST authorizer of every object route. Valid credentials (OAuth 1.0a signature, OAuth 2
 * Bearer token, or the original's Basic token) -> an Allow policy with the caller in the context;
 * anything else -> `Unauthorized` (API Gateway's 401), never another error, which API Gateway
 * would turn into a 500.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorizeRequest } from '../lib/auth/authorizer';
import { runAuthorizer } from '../lib/http/authorizer-event';
import { getAuthStore, getLogger } from '../lib/runtime/container';
import { getOAuth1Deps, getTokenDeps } from '../lib/runtime/container-auth';

const deps = { store: getAuthStore(), tokens: getTokenDeps(), oauth1: getOAuth1Deps() };
const log = getLogger();

export const handler = (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> =>
  runAuthorizer(event, (request) => authorizeRequest(deps, log, request));
