/**
 * The DynamoDB clients (built once per container) and the translation of SDK failures into the
 * project's errors. With lib/store/*.ts this is the only code that imports the AWS SDK.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RecordTooLargeError, ServiceUnavailableError } from '../../errors';

export interface DynamoConnection {
  readonly endpoint?: string | undefined;
  readonly region: string;
  /** How long one attempt may wait for its answer; 5 s unless told (DynamoDB Local's large pages need more). */
  readonly requestTimeoutMs?: number;
  /**
   * The caller's name in the SDK's User-Agent (`app/...`). A Lambda function gets it from
   * AWS_SDK_UA_APP_ID (serverless.yml); a test that runs a function's code in process says it here.
   */
  readonly appId?: string;
}

export function createDocumentClient({
  endpoint,
  region,
  requestTimeoutMs = 5_000,
  appId,
}: DynamoConnection): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region,
    ...(appId ? { userAgentAppId: appId } : {}),
    // The SDK's standard retry mode already backs off on throttling and 5xx; three attempts keep
    // a request well inside API Gateway's 29 s even with the timeouts below.
    maxAttempts: 3,
    // throwOnRequestTimeout: without it the SDK only logs a warning when requestTimeout passes,
    // and a DynamoDB that accepts the connection but never answers hangs the Lambda until it times out.
    requestHandler: { requestTimeout: requestTimeoutMs, connectionTimeout: 1_000, throwOnRequestTimeout: true },
    ...(endpoint ? { endpoint } : {}),
    // DynamoDB Local accepts any credentials: fixed ones keep a developer's real keys out of it,
    // unless the environment has some (the bundle test, which runs the Lambda credential path).
    ...(endpoint && !process.env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

/** Whether a failure (after the SDK's own retries) means "DynamoDB is not able to answer now". */
export function isTransientFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (
    TRANSIENT.has(error.name) ||
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    (status !== undefined && status >= 500)
  );
}

/** A conditional write refused because its condition was false (not an error for the caller). */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Turns an SDK failure into a project error where we understand it: transient ones into a 503
 * the client may retry, an item over 400 KB into a 413. Anything else is re-thrown unchanged
 * (it is a bug and becomes a logged 500).
 */
export function translateStoreError(error: unknown): never {
  if (isTransientFailure(error)) throw new ServiceUnavailableError(1, { cause: error });
  if (error instanceof Error && error.name === 'ValidationException' && /item size/i.test(error.message)) {
    throw new RecordTooLargeError({ cause: error });
  }
  throw error;
}
