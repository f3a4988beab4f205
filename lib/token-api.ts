/** The token endpoint's HTTP side: parameters from the query or a form body, as the original reads them. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { issueClientToken, type AuthDeps } from './auth';
import { BadRequestError } from './errors';
import { paramGivenTwice, runHttp, type ApiRequest, type HttpOptions } from './http';
import type { PyDict } from './pyvalue';

/** Query parameters, then form-body parameters over them; each name may appear once. */
export function tokenParams(request: ApiRequest): Map<string, string> {
  const params = new Map<string, string>();
  const add = (name: string, value: string) => {
    if (params.has(name)) throw paramGivenTwice(name);
    params.set(name, value);
  };
  for (const [name, values] of request.query) for (const value of values) add(name, value);
  if (request.body) {
    const contentType = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/x-www-form-urlencoded') {
      throw new BadRequestError('Send the token request parameters in the query or as an application/x-www-form-urlencoded body');
    }
    for (const [name, value] of new URLSearchParams(request.body)) add(name, value);
  }
  return params;
}

export function tokenEndpoint(deps: AuthDeps, options: HttpOptions, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return runHttp(event, options, async (request) => {
    const params = tokenParams(request);
    const token = await issueClientToken(deps, {
      clientId: params.get('client_id'),
      clientSecret: params.get('client_secret'),
      grantType: params.get('grant_type'),
    });
    const payload: PyDict = new Map(Object.entries(token));
    // RFC 6749 §5.1: token responses must not be cached.
    return { status: 200, payload, headers: { Pragma: 'no-cache' } };
  });
}
