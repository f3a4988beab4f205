/**
 * The REQUEST authorizer of every object route. Valid credentials -> an Allow policy with the
 * caller in the context; anything else -> `Unauthorized` (API Gateway's 401), never another error,
 * which API Gateway would turn into a 500.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authorizeRequest } from '../lib/authorizer';
import { getAuthStore, getConfig, getLogger } from '../lib/container';

const deps = { store: getAuthStore(), accessTokenValidity: getConfig().accessTokenValidity };
const log = getLogger();

export const handler = (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => authorizeRequest(deps, log, event);
