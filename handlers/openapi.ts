/**
 * GET /restapi/1.0/openapi.json: the API's OpenAPI 3.1 description. No credentials: it says what
 * any client may learn from the docs (routes, parameters, models and their fields), nothing about
 * a client, a user or a record. A function of its own so that its role may read the model
 * definitions (and nothing else) while the version function keeps reading nothing.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { shippedModels } from '../models';
import { runHttp } from '../lib/http';
import { OpenApiSource } from '../lib/openapi/source';
import { getConfig, getHttpOptions, getRecordStore } from '../lib/runtime/container';

const config = getConfig();
const source = new OpenApiSource(getRecordStore(), shippedModels, {
  responseKey: config.responseKey,
  version: '1.0',
  ...(config.publicBaseUrl === undefined ? {} : { baseUrl: config.publicBaseUrl }),
});
const options = { ...getHttpOptions(), jsonOnly: true };
const { log } = options;

export const handler = (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  log.startInvocation(context);
  return runHttp(event, options, async () => ({
    status: 200,
    body: await source.json(),
    // A short shared cache: an added field shows within a minute even behind a CDN.
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=60' },
  }));
};
