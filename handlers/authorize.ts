/** The authorize pages: GET/POST /restapi/1.0/common/oauth1/authorize and .../oauth2/authorize (sign in, consent). */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { authorizePages } from '../lib/auth/consent/flow';
import { runHttp } from '../lib/http';
import { getAuthStore, getConfig, getLogger } from '../lib/runtime/container';
import { getKeyRing, getOAuth1Deps, getTokenDeps } from '../lib/runtime/container-auth';
import { callMetrics } from '../lib/runtime/metrics';

const deps = {
  store: getAuthStore(),
  tokens: getTokenDeps(),
  keys: getKeyRing(),
  publicOrigin: getOAuth1Deps().publicOrigin,
};
// Errors in the original's JSON shapes, whatever the browser's Accept.
const log = getLogger();
const options = { log, responseKey: getConfig().responseKey, jsonOnly: true, metrics: callMetrics(log) };

export const handler = (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  log.startInvocation(context);
  return runHttp(event, options, (request) => authorizePages(deps, request));
};
