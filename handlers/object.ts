/** The object routes: /restapi/1.0/object/{model}[/...], behind the authorizer. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { verifyPendingOAuth1Signature } from '../lib/auth/oauth1/flow';
import { runHttp } from '../lib/http';
import { routeObjectRequest, type ObjectDeps } from '../lib/object-api/router';
import {
  getAccessRules,
  getCatalog,
  getConfig,
  getLogger,
  getRecordStore,
  getRegistry,
} from '../lib/runtime/container';
// The key ring, for the OAuth 1.0a requests with a form body whose signature the authorizer left
// to this function (it never sees the body); loaded on the first such request only.
import { getOAuth1Deps } from '../lib/runtime/container-auth';

const oauth1 = getOAuth1Deps();
const deps: ObjectDeps = {
  registry: getRegistry(),
  store: getRecordStore(),
  accessRules: getAccessRules(),
  catalog: getCatalog(),
  verifyOAuth1Signature: (request, caller) => verifyPendingOAuth1Signature(oauth1, request, caller),
};
const options = { log: getLogger(), responseKey: getConfig().responseKey, corsOrigins: getConfig().corsOrigins };

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  runHttp(event, options, (request) => routeObjectRequest(deps, request));
