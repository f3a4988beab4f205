/**
 * Starts the local stack once for the integration and end-to-end tests: DynamoDB Local on a free
 * port (this run's own, in memory) and the API under serverless-offline on another free port.
 * The tests find them through the environment variables set here.
 */
import { freePort, startLocalStack } from '../../scripts/local-stack';

export default async function globalSetup(): Promise<void> {
  const stack = await startLocalStack({ port: await freePort() });
  process.env.TEST_DYNAMODB_ENDPOINT = stack.dynamo.endpoint;
  process.env.TEST_API_URL = stack.apiUrl;
  process.env.TEST_DEMO_CLIENT_ID = stack.demoClient.clientId;
  process.env.TEST_DEMO_CLIENT_SECRET = stack.demoClient.clientSecret;
  (globalThis as { __localStack?: typeof stack }).__localStack = stack;
}
