/**
 * The token endpoints: POST /restapi/1.0/common/oauth2/access_token (every grant), .../oauth2/revoke,
 * .../basic/access_token, .../oauth1/request_token and .../oauth1/access_token.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { tokenEndpoint } from '../lib/auth/token-api';
import { runHttp } from '../lib/http';
import { getHttpOptions } from '../lib/runtime/container';
import { getOAuth1Deps, getTokenDeps } from '../lib/runtime/container-auth';

const deps = { ...getTokenDeps(), ...getOAuth1Deps() };
const options = getHttpOptions();
const { log } = options;

export const handler = (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  log.startInvocation(context);
  return runHttp(event, options, (request) => tokenEndpoint(deps, request));
};
