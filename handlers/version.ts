/** GET /restapi/1.0/common/version: the server's version, as Odoo's exp_version() gives it. No auth. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { runHttp } from '../lib/http';
import { parseCorsOrigins } from '../lib/runtime/config';
import { createLogger } from '../lib/runtime/log';
import { callMetrics } from '../lib/runtime/metrics';
import { versionInfo } from '../lib/object-api/version';

// Its own logger, not the container's: this function reads no configuration and no table.
const log = createLogger();
const options = {
  log,
  responseKey: 'model' as const,
  corsOrigins: parseCorsOrigins(process.env.CORS_ORIGINS),
  metrics: callMetrics(log),
};

export const handler = (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  log.startInvocation(context);
  return runHttp(event, options, async () => ({ status: 200, payload: versionInfo() }));
};
