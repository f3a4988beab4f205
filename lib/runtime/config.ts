/**
 * Configuration, read once per container from the environment. A missing or malformed setting
 * throws at cold start (the first import), never in the middle of a request.
 */
export type ResponseKeyRule = 'description' | 'model';

export interface Config {
  readonly recordsTable: string;
  readonly authTable: string;
  /** Set locally (DynamoDB Local); empty in AWS, where the SDK finds the regional endpoint. */
  readonly dynamodbEndpoint: string | undefined;
  readonly region: string;
  /** The JSON response key: the model's description ("Partner", as the seed) or its technical name. */
  readonly responseKey: ResponseKeyRule;
  /** Lifetime of an access token, seconds (the original's access_token_validity). */
  readonly accessTokenValidity: number;
  /** Local stage: the data key file (lib/auth/keys.ts). */
  readonly secretsKeyFile: string | undefined;
  /** AWS: the KMS key that wraps the stage's data key. */
  readonly secretsKmsKeyId: string | undefined;
  /**
   * The public base URL clients sign OAuth 1.0a requests for (scheme, host, base path); empty: the
   * request's headers.
   */
  readonly publicBaseUrl: string | undefined;
  /** Accepted clock difference of an OAuth 1.0a oauth_timestamp, seconds. */
  readonly oauth1TimestampWindow: number;
  /** OAuth 2 access tokens: opaque (default; revocable at once) or jwt (no table read in the authorizer). */
  readonly accessTokenFormat: 'opaque' | 'jwt';
}

function positiveSeconds(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  const value = Number(env[name] || fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds`);
  return value;
}

export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`Missing required environment variable ${name}`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const responseKey = env.RESPONSE_KEY || 'description';
  if (responseKey !== 'description' && responseKey !== 'model') {
    throw new Error(`RESPONSE_KEY must be "description" or "model", not ${JSON.stringify(responseKey)}`);
  }
  const accessTokenFormat = env.ACCESS_TOKEN_FORMAT || 'opaque';
  if (accessTokenFormat !== 'opaque' && accessTokenFormat !== 'jwt')
    throw new Error(`ACCESS_TOKEN_FORMAT must be "opaque" or "jwt", not ${JSON.stringify(accessTokenFormat)}`);
  return {
    recordsTable: requireEnv(env, 'RECORDS_TABLE'),
    authTable: requireEnv(env, 'AUTH_TABLE'),
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'eu-west-1',
    responseKey,
    accessTokenValidity: positiveSeconds(env, 'ACCESS_TOKEN_VALIDITY', '1800'),
    secretsKeyFile: env.SECRETS_KEY_FILE || undefined,
    secretsKmsKeyId: env.SECRETS_KMS_KEY_ID || undefined,
    publicBaseUrl: env.PUBLIC_BASE_URL || undefined,
    oauth1TimestampWindow: positiveSeconds(env, 'OAUTH1_TIMESTAMP_WINDOW', '300'),
    accessTokenFormat,
  };
}
