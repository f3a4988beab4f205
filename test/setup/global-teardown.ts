/** Stops what the global setup started: serverless-offline, then DynamoDB Local; removes the captured logs. */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LocalStack } from '../../scripts/local-stack';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __localStack?: LocalStack }).__localStack?.stop();
  if (process.env.TEST_API_LOG_FILE) rmSync(dirname(process.env.TEST_API_LOG_FILE), { recursive: true, force: true });
}
