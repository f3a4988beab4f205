/**
 * Object-route events as API Gateway (REST API, Lambda proxy) hands them to the object Lambda
 * once the authorizer has allowed the request: for running the handler in process or a bundle
 * directly (the bench and the tests), without API Gateway in front.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface ObjectRouteEventOptions {
  readonly method: string;
  readonly model: string;
  /** What follows the model in the path (a method, an id, id/method); nothing for /object/{model}. */
  readonly proxy?: string | undefined;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly requestId: string;
  /** The authorizer's context (lib/auth/authorizer.ts), as API Gateway passes it: strings. */
  readonly authorizer: Readonly<Record<string, string>>;
}

export function objectRouteEvent({ method, model, proxy, query = {}, headers = {}, requestId, authorizer }: ObjectRouteEventOptions): APIGatewayProxyEvent {
  const path = `/restapi/1.0/object/${model}${proxy === undefined ? '' : `/${proxy}`}`;
  const resource = proxy === undefined ? '/restapi/1.0/object/{model}' : '/restapi/1.0/object/{model}/{proxy+}';
  const multiValued = (entries: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(entries).map(([name, value]) => [name, [value]]));
  return {
    resource,
    path,
    httpMethod: method,
    headers: { ...headers },
    multiValueHeaders: multiValued(headers),
    queryStringParameters: { ...query },
    multiValueQueryStringParameters: multiValued(query),
    pathParameters: proxy === undefined ? { model } : { model, proxy },
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      authorizer: { principalId: authorizer.userId, ...authorizer },
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: headers['User-Agent'] ?? null,
        userArn: null,
      },
      path: `/prod${path}`,
      stage: 'prod',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
    },
  };
}
