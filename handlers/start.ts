/**
 * GET /start, local stage only (serverless.yml declares it there and nowhere else): the demo
 * client's credentials, as the original's demo server gave them, so a developer can get going.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createLogger } from '../lib/runtime/log';
import { runHttp } from '../lib/http';
import { demoCredentials } from '../lib/runtime/demo';

const options = { log: createLogger({ service: 'odoo-rest-lambda' }), responseKey: 'model' as const };

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
  runHttp(event, options, async () => ({ status: 200, payload: demoCredentials(process.env) }));
