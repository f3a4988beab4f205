/** The authorize pages: GET/POST /restapi/1.0/common/oauth1/authorize and .../oauth2/authorize (sign in, consent). */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { authorizePages } from '../lib/auth/consent/flow';
import { getAuthStore, getConfig, getLogger } from '../lib/runtime/container';
import { getKeyRing, getOAuth1Deps, getTokenDeps } from '../lib/runtime/container-auth';

const deps = { store: getAuthStore(), tokens: getTokenDeps(), keys: getKeyRing(), publicOrigin: getOAuth1Deps().publicOrigin };
const options = { log: getLogger(), responseKey: getConfig().responseKey };

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => authorizePages(deps, options, event);
