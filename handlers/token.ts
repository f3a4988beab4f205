/**
 * The token endpoints: POST /restapi/1.0/common/oauth2/access_token (every grant), .../oauth2/revoke,
 * .../basic/access_token, .../oauth1/request_token and .../oauth1/access_token.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { tokenEndpoint } from '../lib/auth/token-api';
import { runHttp } from '../lib/http';
import { getConfig, getLogger } from '../lib/runtime/container';
import { getOAuth1Deps, getTokenDeps } from '../lib/runtime/container-auth';
import { callMetrics } from '../lib/runtime/metrics';

const deps = { ...getTokenDeps(), ...getOAuth1Deps() };
const log = getLogger();
const options = {
  log,
  responseKey: getConfig().responseKey,
  corsOrigins: getConfig().corsOrigins,
  metrics: callMetrics(log),
};

export const handler = (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  log.startInvocation(context);
  return runHttp(event, options, (request) => tokenEndpoint(deps, request));
};
