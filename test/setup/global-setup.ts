/**
 * Starts the local stack once for the integration and end-to-end tests: DynamoDB Local on a free
 * port (this run's own, in memory), the IAM guard in front of it (test/setup/iam-guard.ts: every
 * call a function makes is checked against its role in the prod template), and the API under
 * serverless-offline on another free port. The tests find them through the environment variables
 * set here.
 *
 * Everything the run writes to the temporary folder is under one folder of its own, which the
 * global teardown removes: the captured logs, and whatever the tools the setup starts put in the
 * temporary folder (serverless-esbuild, packaging the template, leaves a folder per function there).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startDynamo, startLocalStack } from '../../scripts/local-stack';
import { packagedTemplate, startIamGuard, templateRoles } from './iam-guard';

/**
 * The settings of the README's Configuration table that a developer's shell may have set for
 * npm start: the suite's API runs with their documented defaults whatever the shell says
 * (serverless.yml's `${env:NAME, default}`; an empty value is the default for the functions).
 */
const DOCUMENTED_DEFAULTS = {
  RESPONSE_KEY: '',
  ACCESS_TOKEN_VALIDITY: '',
  ACCESS_TOKEN_FORMAT: '',
  OAUTH1_TIMESTAMP_WINDOW: '',
  PUBLIC_BASE_URL: '',
  TRUSTED_PROXY: '',
  CORS_ORIGINS: '',
};

export default async function globalSetup(): Promise<void> {
  const runFolder = mkdtempSync(join(tmpdir(), 'odoo-rest-api-logs-'));
  process.env.TEST_RUN_FOLDER = runFolder;
  // Everything the served functions log during the run, for test/e2e/log-secrets.test.ts to scan.
  const logFile = join(runFolder, 'api.log');
  // The processes started here (osls package, serverless-offline) and this one while setting up
  // take their temporary folder from TMPDIR: the run's, removed by the teardown.
  const temporary = join(runFolder, 'tmp');
  mkdirSync(temporary);
  const tmpdirBefore = process.env.TMPDIR;
  process.env.TMPDIR = temporary;
  try {
    const [dynamo, template] = await Promise.all([startDynamo(), packagedTemplate()]);
    const guard = await startIamGuard(dynamo.endpoint, templateRoles(template));
    Object.assign(globalThis, { __localStack: { guard, dynamo } });
    // For test/integration/iam-guard.test.ts, which puts a guard of its own in front of DynamoDB Local.
    const templateFile = join(runFolder, 'template.json');
    writeFileSync(templateFile, JSON.stringify(template));
    process.env.TEST_TEMPLATE_FILE = templateFile;
    process.env.TEST_DYNAMODB_UNGUARDED_ENDPOINT = dynamo.endpoint;
    const stack = await startLocalStack({
      port: await freePort(),
      logFile,
      endpoint: guard.endpoint,
      streamEndpoint: dynamo.endpoint,
      // Webhook retries at 1/1000 of the schedule: 5 s becomes 5 ms (the e2e tests see a retry happen).
      env: { ...DOCUMENTED_DEFAULTS, WEBHOOK_RETRY_SCALE: '0.001' },
    });
    Object.assign(globalThis, { __localStack: { stack, guard, dynamo } });
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
    process.env.TEST_EVENTS_FILE = stack.eventsFile;
  } catch (error) {
    // jest runs no teardown when the setup fails: stop what did start and leave nothing behind.
    const started = (globalThis as { __localStack?: { guard?: { stop(): Promise<void> }; dynamo?: { stop(): Promise<void> } } }).__localStack;
    await started?.guard?.stop().catch(() => undefined);
    await started?.dynamo?.stop().catch(() => undefined);
    rmSync(runFolder, { recursive: true, force: true });
    throw error;
  } finally {
    if (tmpdirBefore === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdirBefore;
  }
}
