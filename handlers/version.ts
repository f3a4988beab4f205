/** GET /restapi/1.0/common/version: the server's version, as Odoo's exp_version() gives it. No auth. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { runHttp } from '../lib/http';
import { parseCorsOrigins } from '../lib/runtime/config';
import { createLogger } from '../lib/runtime/log';
import { versionInfo } from '../lib/object-api/version';

const options = {
  log: createLogger({ service: 'odoo-rest-lambda' }),
  responseKey: 'model' as const,
  corsOrigins: parseCorsOrigins(process.env.CORS_ORIGINS),
};

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  runHttp(event, options, async () => ({ status: 200, payload: versionInfo() }));
