/** POST /restapi/1.0/common/oauth2/access_token: client credentials in, a Bearer token out. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { getAuthStore, getConfig, getLogger } from '../lib/container';
import { tokenEndpoint } from '../lib/token-api';

const deps = { store: getAuthStore(), accessTokenValidity: getConfig().accessTokenValidity };
const options = { log: getLogger(), responseKey: getConfig().responseKey };

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => tokenEndpoint(deps, options, event);
