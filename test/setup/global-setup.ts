/**
 * Starts the local stack once for the integration and end-to-end tests: DynamoDB Local on a free
 * port (this run's own, in memory) and the API under serverless-offline on another free port.
 * The tests find them through the environment variables set here.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startLocalStack } from '../../scripts/local-stack';

export default async function globalSetup(): Promise<void> {
  // Everything the served functions log during the run, for test/e2e/log-secrets.test.ts to scan.
  const logFile = join(mkdtempSync(join(tmpdir(), 'odoo-rest-api-logs-')), 'api.log');
  const stack = await startLocalStack({ port: await freePort(), logFile });
  process.env.TEST_API_LOG_FILE = logFile;
  process.env.TEST_DYNAMODB_ENDPOINT = stack.dynamo.endpoint;
  process.env.TEST_API_URL = stack.apiUrl;
  process.env.TEST_DEMO_CLIENT_ID = stack.demo.oauth2.clientId;
  process.env.TEST_DEMO_CLIENT_SECRET = stack.demo.oauth2.clientSecret;
  process.env.TEST_DEMO_OAUTH1_ID = stack.demo.oauth1.clientId;
  process.env.TEST_DEMO_OAUTH1_SECRET = stack.demo.oauth1.clientSecret;
  process.env.TEST_DEMO_BASIC_ID = stack.demo.basic.clientId;
  process.env.TEST_DEMO_BASIC_SECRET = stack.demo.basic.clientSecret;
  process.env.TEST_DEMO_PASSWORD = stack.demo.password;
  process.env.TEST_SECRETS_KEY_FILE = stack.keyFile;
  (globalThis as { __localStack?: typeof stack }).__localStack = stack;
}
