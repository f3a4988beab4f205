/**
 * The object API's routes: request parameters in, one records-core call, a result out.
 * Only PUT /object/{model}?ids=...&vals=... (write on a list of ids) exists so far.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AuthenticationRequiredError, BadRequestError, MethodNotAllowedError, RouteNotFoundError, UriTooLongError } from './errors';
import { runHttp, singleParam, type ApiRequest, type ApiResult, type HttpOptions } from './http';
import { parseVals } from './literal';
import { parseIds } from './params';
import { getModel, writeRecords, type Caller, type RecordsDeps } from './records';

/** The caller the authorizer established; without one the request never should have got here. */
export function callerOf(request: ApiRequest): Caller {
  const userId = Number(request.authorizer.userId);
  const clientId = request.authorizer.clientId;
  if (!Number.isSafeInteger(userId) || userId <= 0 || !clientId) throw new AuthenticationRequiredError('no authorizer context');
  return { userId, clientId };
}

function requiredParam(request: ApiRequest, name: string, example: string): string {
  const value = singleParam(request, name);
  if (value === undefined) throw new BadRequestError(`Parameter '${name}' is required, e.g. ${example}`);
  return value;
}

/**
 * API Gateway (REST, regional) refuses URLs over 10,240 characters with its own 414; the same limit
 * here keeps a local run and the tests honest about what a deployed API accepts.
 */
export const MAX_QUERY_LENGTH = 10_240;

function checkQueryLength(request: ApiRequest): void {
  let length = 0;
  for (const [name, values] of request.query) for (const value of values) length += name.length + value.length + 2;
  if (length > MAX_QUERY_LENGTH) {
    throw new UriTooLongError(`The query string is longer than ${MAX_QUERY_LENGTH} characters; API Gateway refuses such URLs`);
  }
}

/** PUT /object/{model}?ids=17,20&vals={...}: the same vals on every id, all or nothing. */
async function writeList(deps: RecordsDeps, request: ApiRequest, modelName: string): Promise<ApiResult> {
  const caller = callerOf(request);
  checkQueryLength(request);
  const model = getModel(deps.registry, modelName);
  const ids = parseIds(requiredParam(request, 'ids', 'ids=17,20'));
  const vals = parseVals(requiredParam(request, 'vals', "vals={'street2':'Chung Hsiao East Road'}"));
  const records = await writeRecords(deps, { model: model.model, ids, vals, caller });
  return { status: 200, model, data: records };
}

export function routeObjectRequest(deps: RecordsDeps, options: HttpOptions, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return runHttp(event, options, async (request) => {
    const model = request.pathParameters.model ?? '';
    if (request.pathParameters.proxy !== undefined) throw new RouteNotFoundError(request.method, request.path);
    if (request.method === 'PUT') return writeList(deps, request, model);
    throw new MethodNotAllowedError(request.method, ['PUT']);
  });
}
