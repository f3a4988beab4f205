/** GET /restapi/1.0/usage: the calling client's usage and what is left of its plan, behind the authorizer. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { runHttp } from '../lib/http';
import { routeUsageRequest } from '../lib/object-api/usage-route';
import { getHttpOptions, getMeterStore } from '../lib/runtime/container';

const store = getMeterStore();
if (!store) throw new Error('Missing required environment variable USAGE_TABLE');
const deps = { meter: { store } };
const options = {
  ...getHttpOptions(),
  labels: ({ authorizer }: { authorizer: Readonly<Record<string, string | undefined>> }) =>
    authorizer.clientId ? { clientId: authorizer.clientId, method: 'usage' } : { method: 'usage' },
};

export const handler = (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  options.log.startInvocation(context);
  return runHttp(event, options, (request) => routeUsageRequest(deps, request));
};
