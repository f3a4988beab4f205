/**
 * The REQUEST authorizer's side of API Gateway: its event in as a plain AuthorizerRequest, a grant
 * out as the IAM policy API Gateway expects, and `Unauthorized` — the exact error API Gateway maps
 * to 401 — for anything else (any other error would be a 500).
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';

/**
 * The error message API Gateway answers 401 for (any other error from an authorizer is a 500).
 * serverless-offline reports it like a crash, with a stack trace; scripts/local-stack.ts knows it
 * by this message and leaves it out of the logs it shows, the refusal being logged already.
 */
export const AUTHORIZER_REFUSAL = 'Unauthorized';

/** What the authorizer decides from: the request's method, paths, headers and query, never its body. */
export interface AuthorizerRequest {
  readonly method: string;
  /** The resource path, without the stage. */
  readonly path: string;
  /** The path as the client called it (with the stage or base path), as an OAuth 1.0a client signs it. */
  readonly calledPath: string;
  /**
   * The domain API Gateway reports the request came in on (`requestContext.domainName`: its
   * execute-api domain or a custom domain, which API Gateway serves over https only). API Gateway
   * sets it, not the client; serverless-offline sets a placeholder.
   */
  readonly domainName?: string;
  /** Every value of each header, by lower-case name. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** The query's pairs in order, every value of a repeated name kept. */
  readonly query: readonly (readonly [string, string])[];
  readonly requestId: string | undefined;
}

/** Who the request is for, and what the object handler reads of it (the authorizer context). */
export interface Grant {
  readonly principalId: string;
  readonly context: Readonly<Record<string, string | number>>;
  /**
   * Deployed stages: the value of the API key whose usage plan meters this caller at API Gateway
   * (apiKeySourceType AUTHORIZER, a coarse backstop to the exact limits of lib/metering).
   */
  readonly usageIdentifierKey?: string;
}

export function toAuthorizerRequest(event: APIGatewayRequestAuthorizerEvent): AuthorizerRequest {
  const headers = new Map<string, string[]>();
  for (const [name, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (list) headers.set(name.toLowerCase(), [...(headers.get(name.toLowerCase()) ?? []), ...list]);
  }
  // Some emitters fill only the single-value map, or not with every header.
  const singleValued = new Map<string, string[]>();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined)
      singleValued.set(name.toLowerCase(), [...(singleValued.get(name.toLowerCase()) ?? []), value]);
  }
  for (const [name, values] of singleValued) if (!headers.has(name)) headers.set(name, values);
  return {
    method: event.httpMethod,
    path: event.path,
    calledPath: event.requestContext?.path ?? event.path,
    ...(event.requestContext?.domainName ? { domainName: event.requestContext.domainName } : {}),
    headers,
    query: queryPairs(event.multiValueQueryStringParameters),
    requestId: event.requestContext?.requestId,
  };
}

/** API Gateway's multiValueQueryStringParameters (decoded values) as a list of pairs. */
export function queryPairs(
  multiValue: Readonly<Record<string, readonly string[] | undefined>> | null | undefined,
): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, values] of Object.entries(multiValue ?? {})) {
    for (const value of values ?? []) pairs.push([name, value]);
  }
  return pairs;
}

/**
 * The policy covers every method and path of the stage, so that a cached result (should caching
 * ever be turned on) is valid for every route, not just the first one called (aws-dynamodb-oauth §2.4).
 */
export function stageWildcardArn(methodArn: string): string {
  // arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{verb}/{path...}
  const [prefix = '', stage = '*'] = methodArn.split('/');
  return `${prefix}/${stage}/*/*`;
}

/** Runs the authorizer's decision on one event: a grant is an Allow policy, undefined is 401. */
export async function runAuthorizer(
  event: APIGatewayRequestAuthorizerEvent,
  decide: (request: AuthorizerRequest) => Promise<Grant | undefined>,
): Promise<APIGatewayAuthorizerResult> {
  const grant = await decide(toAuthorizerRequest(event));
  if (!grant) throw new Error(AUTHORIZER_REFUSAL);
  return {
    principalId: grant.principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcardArn(event.methodArn) }],
    },
    context: { ...grant.context },
    ...(grant.usageIdentifierKey === undefined ? {} : { usageIdentifierKey: grant.usageIdentifierKey }),
  };
}
