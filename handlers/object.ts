/** The object routes: /restapi/1.0/object/{model}[/...], behind the authorizer. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { runHttp } from '../lib/http';
import { routeObjectRequest } from '../lib/object-api/router';
import {
  getAccessRules,
  getCatalog,
  getConfig,
  getLogger,
  getRecordStore,
  getRegistry,
} from '../lib/runtime/container';

const deps = { registry: getRegistry(), store: getRecordStore(), accessRules: getAccessRules(), catalog: getCatalog() };
const options = { log: getLogger(), responseKey: getConfig().responseKey, corsOrigins: getConfig().corsOrigins };

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  runHttp(event, options, (request) => routeObjectRequest(deps, request));
