/** The object routes: /restapi/1.0/object/{model}[/...], behind the authorizer. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { verifyPendingOAuth1Signature } from '../lib/auth/oauth1/flow';
import { runHttp } from '../lib/http';
import { callLabels, routeObjectRequest, type ObjectDeps } from '../lib/object-api/router';
import { getHttpOptions, getObjectDeps } from '../lib/runtime/container';
// The key ring, for the OAuth 1.0a requests with a form body whose signature the authorizer left
// to this function (it never sees the body), and to seal the signing secret of a webhook
// subscription; loaded on the first such request only.
import { getKeyRing, getOAuth1Deps } from '../lib/runtime/container-auth';

const oauth1 = getOAuth1Deps();
const deps: ObjectDeps = {
  ...getObjectDeps(),
  verifyOAuth1Signature: (request, caller) => verifyPendingOAuth1Signature(oauth1, request, caller),
  keys: getKeyRing(),
};
const options = {
  ...getHttpOptions(),
  labels: (request: Parameters<typeof callLabels>[1]) => callLabels(deps.registry, request),
};

export const handler = (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  options.log.startInvocation(context);
  return runHttp(event, options, (request) => routeObjectRequest(deps, request));
};
