/** Stops what the global setup started: serverless-offline, then DynamoDB Local. */
import type { LocalStack } from '../../scripts/local-stack';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __localStack?: LocalStack }).__localStack?.stop();
}
