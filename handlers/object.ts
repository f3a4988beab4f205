/** The object routes: /restapi/1.0/object/{model}[/...], behind the authorizer. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { getAccessRules, getCatalog, getConfig, getLogger, getRecordStore, getRegistry } from '../lib/runtime/container';
import { routeObjectRequest } from '../lib/object-api/router';

const deps = { registry: getRegistry(), store: getRecordStore(), accessRules: getAccessRules(), catalog: getCatalog() };
const options = { log: getLogger(), responseKey: getConfig().responseKey };

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  routeObjectRequest(deps, options, event);
