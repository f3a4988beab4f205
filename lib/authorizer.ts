/** The authorizer's logic: credentials from the request event -> an IAM policy, or Unauthorized. */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authenticateBearer, type AuthDeps } from './auth';
import { AuthenticationRequiredError } from './errors';
import { errorFields, type Logger } from './log';

/**
 * The policy covers every method and path of the stage, so that a cached result (should caching
 * ever be turned on) is valid for every route, not just the first one called (aws-dynamodb-oauth §2.4).
 */
export function stageWildcardArn(methodArn: string): string {
  // arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{verb}/{path...}
  const [prefix = '', stage = '*'] = methodArn.split('/');
  return `${prefix}/${stage}/*/*`;
}

/** The Authorization header, whatever its case; more than one is refused as ambiguous. */
export function authorizationHeader(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  const values: string[] = [];
  for (const [name, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === 'authorization' && list) values.push(...list);
  }
  if (values.length === 0) {
    for (const [name, value] of Object.entries(event.headers ?? {})) {
      if (name.toLowerCase() === 'authorization' && value !== undefined) values.push(value);
    }
  }
  if (values.length > 1) throw new AuthenticationRequiredError('more than one Authorization header');
  return values[0];
}

export async function authorizeRequest(deps: AuthDeps, log: Logger, event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const requestLog = log.child({ requestId: event.requestContext?.requestId, path: event.path });
  try {
    const principal = await authenticateBearer(deps, authorizationHeader(event));
    return {
      principalId: String(principal.userId),
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcardArn(event.methodArn) }],
      },
      context: { userId: principal.userId, clientId: principal.clientId, scheme: principal.scheme, scopes: principal.scopes },
    };
  } catch (error) {
    if (error instanceof AuthenticationRequiredError) requestLog.info('unauthorized', { reason: error.reason });
    else requestLog.error('authorizer failed; refusing the request', errorFields(error));
    // The exact message API Gateway maps to 401.
    throw new Error('Unauthorized');
  }
}
