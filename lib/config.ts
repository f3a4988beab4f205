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
  const validity = Number(env.ACCESS_TOKEN_VALIDITY || '1800');
  if (!Number.isInteger(validity) || validity <= 0) throw new Error('ACCESS_TOKEN_VALIDITY must be a positive number of seconds');
  return {
    recordsTable: requireEnv(env, 'RECORDS_TABLE'),
    authTable: requireEnv(env, 'AUTH_TABLE'),
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'eu-west-1',
    responseKey,
    accessTokenValidity: validity,
  };
}
