/**
 * Starts the local stack once for the integration and end-to-end tests: DynamoDB Local on a free
 * port (this run's own, in memory), the IAM guard in front of it (test/setup/iam-guard.ts: every
 * call a function makes is checked against its role in the prod template), and the API under
 * serverless-offline on another free port. The tests find them through the environment variables
 * set here.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startDynamo, startLocalStack } from '../../scripts/local-stack';
import { packagedTemplate, startIamGuard, templateRoles } from './iam-guard';

export default async function globalSetup(): Promise<void> {
  // Everything the served functions log during the run, for test/e2e/log-secrets.test.ts to scan.
  const runFolder = mkdtempSync(join(tmpdir(), 'odoo-rest-api-logs-'));
  const logFile = join(runFolder, 'api.log');
  const [dynamo, template] = await Promise.all([startDynamo(), packagedTemplate()]);
  const guard = await startIamGuard(dynamo.endpoint, templateRoles(template));
  // For test/integration/iam-guard.test.ts, which puts a guard of its own in front of DynamoDB Local.
  const templateFile = join(runFolder, 'template.json');
  writeFileSync(templateFile, JSON.stringify(template));
  process.env.TEST_TEMPLATE_FILE = templateFile;
  process.env.TEST_DYNAMODB_UNGUARDED_ENDPOINT = dynamo.endpoint;
  const stack = await startLocalStack({ port: await freePort(), logFile, endpoint: guard.endpoint });
  process.env.TEST_API_LOG_FILE = logFile;
  process.env.TEST_DYNAMODB_ENDPOINT = guard.endpoint;
  process.env.TEST_API_URL = stack.apiUrl;
  process.env.TEST_DEMO_CLIENT_ID = stack.demo.oauth2.clientId;
  process.env.TEST_DEMO_CLIENT_SECRET = stack.demo.oauth2.clientSecret;
  process.env.TEST_DEMO_OAUTH1_ID = stack.demo.oauth1.clientId;
  process.env.TEST_DEMO_OAUTH1_SECRET = stack.demo.oauth1.clientSecret;
  process.env.TEST_DEMO_BASIC_ID = stack.demo.basic.clientId;
  process.env.TEST_DEMO_BASIC_SECRET = stack.demo.basic.clientSecret;
  process.env.TEST_DEMO_PASSWORD = stack.demo.password;
  process.env.TEST_SECRETS_KEY_FILE = stack.keyFile;
  Object.assign(globalThis, { __localStack: { stack, guard, dynamo } });
}
