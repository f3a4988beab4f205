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
   * PUBLIC_BASE_URL: the public base URL clients sign OAuth 1.0a requests for (scheme, host, base
   * path), e.g. https://api.example.com for a custom domain, or a CDN's URL in front of API Gateway.
   * Empty: https and the domain API Gateway reports it was called on (requestContext.domainName),
   * with the called path (stage included) — never a header the client chose.
   */
  readonly publicBaseUrl: string | undefined;
  /**
   * TRUSTED_PROXY=1 (or true): a proxy in front of API Gateway (a CDN, a load balancer) sets
   * X-Forwarded-Host and X-Forwarded-Proto, overwriting or appending to what the client sent; OAuth
   * 1.0a signatures are then checked for the origin they name (the last element of each, the
   * proxy's own), and PLAINTEXT is allowed when X-Forwarded-Proto says https. Unset (the default),
   * both headers are ignored: any client could send them. Only with such a proxy, and only when
   * PUBLIC_BASE_URL cannot name the one origin (a proxy serving several host names).
   */
  readonly trustedProxy: boolean;
  /**
   * IS_OFFLINE=true, which serverless-offline sets for the functions it runs (npm start, the tests):
   * it reports a placeholder domain name and serves plain http, so the OAuth 1.0a origin is http and
   * the Host header the client connected with (and PLAINTEXT is refused). Never set in AWS.
   */
  readonly gatewayEmulated: boolean;
  /** Accepted clock difference of an OAuth 1.0a oauth_timestamp, seconds. */
  readonly oauth1TimestampWindow: number;
  /**
   * OAuth 2 access tokens: opaque (default; each revocable at once) or jwt (the authorizer reads the
   * user and client but not the token: one round trip instead of two; revoking the client or
   * archiving the user stops them at once, revoking one of them does not before it expires).
   */
  readonly accessTokenFormat: 'opaque' | 'jwt';
}

function positiveSeconds(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  const value = Number(env[name] || fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds`);
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = (env[name] ?? '').trim().toLowerCase();
  if (value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new Error(`${name} must be 1, true, 0, false or empty, not ${JSON.stringify(env[name])}`);
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
    trustedProxy: flag(env, 'TRUSTED_PROXY'),
    gatewayEmulated: env.IS_OFFLINE === 'true',
    oauth1TimestampWindow: positiveSeconds(env, 'OAUTH1_TIMESTAMP_WINDOW', '300'),
    accessTokenFormat,
  };
}
