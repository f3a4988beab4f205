/**
 * Stops what the global setup started (serverless-offline, the IAM guard, DynamoDB Local) and
 * removes the captured logs; then fails the run if the guard refused any call a function made.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LocalStack } from '../../scripts/local-stack';
import { describeViolations, type IamGuard } from './iam-guard';

export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as { __localStack?: { stack: LocalStack; guard: IamGuard; dynamo: { stop(): Promise<void> } } }).__localStack;
  const violations = started?.guard.violations() ?? [];
  await started?.stack.stop();
  await started?.guard.stop();
  await started?.dynamo.stop();
  if (process.env.TEST_API_LOG_FILE) rmSync(dirname(process.env.TEST_API_LOG_FILE), { recursive: true, force: true });
  if (violations.length > 0) throw new Error(describeViolations(violations));
}
