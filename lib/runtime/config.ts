/**
 * Configuration, read once per container from the environment. A missing or malformed setting
 * throws at cold start (the first import), never in the middle of a request.
 */
export type ResponseKeyRule = 'description' | 'model';

export interface Config {
  readonly recordsTable: string;
  readonly authTable: string;
  /**
   * The usage table (USAGE_TABLE): the plans' limits and the usage ledger (lib/metering). Every
   * stage of serverless.yml sets it; without it (a bare test configuration) nothing is metered.
   */
  readonly usageTable: string | undefined;
  /** QUEUE_USERS: the res.users ids the writes queue's producers may act as (lib/queue); empty: none. */
  readonly queueUsers: ReadonlySet<number>;
  /** The queue writer's dead-letter queue (deployed stages). */
  readonly deadLetterQueueUrl: string | undefined;
  /**
   * The change feed (lib/changes): the EventBridge bus its events go to (EVENT_BUS_NAME, deployed
   * stages) and their `source` (EVENT_SOURCE: the service and stage). Without a bus (the local
   * stage) the entries are written to LOCAL_EVENTS_FILE, or only counted.
   */
  readonly eventBusName: string | undefined;
  readonly eventSource: string;
  readonly localEventsFile: string | undefined;
  /** The webhook deliveries' queue (DELIVERIES_QUEUE_URL, deployed stages); locally an in-process queue. */
  readonly deliveriesQueueUrl: string | undefined;
  /**
   * WEBHOOK_LOCAL_TARGETS=true (the local stage only): webhook URLs may be http and point at
   * loopback or private addresses. Never set on a deployed stage.
   */
  readonly webhookLocalTargets: boolean;
  /** WEBHOOK_RETRY_SCALE (local stage and tests): the retry schedule's offsets times this (1: as specified). */
  readonly webhookRetryScale: number;
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
  /**
   * CORS_ORIGINS: the browser origins (comma-separated, exact: `https://app.example.com`, as a
   * browser sends Origin) whose scripts may read this API's answers. Empty, the default: none.
   * `*` is refused: the allow-list is the point (lib/http/cors.ts).
   */
  readonly corsOrigins: ReadonlySet<string>;
  /**
   * DEFAULT_API_KEY (deployed stages, serverless.yml): the value of the stage's default API key, which
   * the authorizer returns as usageIdentifierKey for clients without a key of their own. Unset locally.
   */
  readonly defaultApiKey?: string;
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

/**
 * The allowed origins of CORS_ORIGINS. Each must be written exactly as a browser serializes it
 * (scheme, lower-case host, a port only when not the default, no path or trailing slash), since
 * requests are matched by string equality; anything else fails at cold start rather than never match.
 */
export function parseCorsOrigins(value: string | undefined): ReadonlySet<string> {
  const origins = new Set<string>();
  for (const item of (value ?? '').split(',')) {
    const origin = item.trim();
    if (origin === '') continue;
    if (origin === '*') throw new Error('CORS_ORIGINS must list exact origins; "*" (any site) is not allowed');
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) {
      const hint =
        url && (url.protocol === 'https:' || url.protocol === 'http:')
          ? ` (write it as ${JSON.stringify(url.origin)})`
          : '';
      throw new Error(
        `CORS_ORIGINS must list origins as a browser sends them, like https://app.example.com, not ${JSON.stringify(origin)}${hint}`,
      );
    }
    origins.add(origin);
  }
  return origins;
}

/** A comma-separated list of user ids; anything else fails the cold start. */
function userIds(env: NodeJS.ProcessEnv, name: string): ReadonlySet<number> {
  const text = (env[name] ?? '').trim();
  if (text === '') return new Set();
  const ids = text.split(',').map((part) => Number(part.trim()));
  if (!ids.every((id) => Number.isSafeInteger(id) && id > 0))
    throw new Error(`${name} must be comma-separated res.users ids, not ${JSON.stringify(text)}`);
  return new Set(ids);
}

function retryScale(env: NodeJS.ProcessEnv): number {
  const text = env.WEBHOOK_RETRY_SCALE || '1';
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1)
    throw new Error(`WEBHOOK_RETRY_SCALE must be a number in (0, 1], not ${JSON.stringify(text)}`);
  return scale;
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
    usageTable: env.USAGE_TABLE || undefined,
    queueUsers: userIds(env, 'QUEUE_USERS'),
    deadLetterQueueUrl: env.DEAD_LETTER_QUEUE_URL || undefined,
    eventBusName: env.EVENT_BUS_NAME || undefined,
    eventSource: env.EVENT_SOURCE || 'odoo-rest-lambda.local',
    localEventsFile: env.LOCAL_EVENTS_FILE || undefined,
    deliveriesQueueUrl: env.DELIVERIES_QUEUE_URL || undefined,
    webhookLocalTargets: flag(env, 'WEBHOOK_LOCAL_TARGETS'),
    webhookRetryScale: retryScale(env),
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
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS),
    ...(env.DEFAULT_API_KEY ? { defaultApiKey: env.DEFAULT_API_KEY } : {}),
  };
}
