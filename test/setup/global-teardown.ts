/**
 * Stops what the global setup started (serverless-offline, the IAM guard, DynamoDB Local) and
 * removes the run's folder (the captured logs, the template, and what the setup's tools left in
 * their temporary folder); then fails the run if the guard refused any call a function made.
 */
import { rmSync } from 'node:fs';
import type { LocalStack } from '../../scripts/local-stack';
import { describeViolations, type IamGuard } from './iam-guard';

export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as { __localStack?: { stack?: LocalStack; guard?: IamGuard; dynamo?: { stop(): Promise<void> } } }).__localStack;
  const violations = started?.guard?.violations() ?? [];
  try {
    await started?.stack?.stop();
    await started?.guard?.stop();
    await started?.dynamo?.stop();
  } finally {
    if (process.env.TEST_RUN_FOLDER) rmSync(process.env.TEST_RUN_FOLDER, { recursive: true, force: true });
  }
  if (violations.length > 0) throw new Error(describeViolations(violations));
}
