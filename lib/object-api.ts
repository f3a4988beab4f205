/**
 * The object API's routes: request parameters in, one records-core call, a result out.
 * Only PUT /object/{model}?ids=...&vals=... (write on a list of ids) exists so far.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AuthenticationRequiredError, BadRequestError, MethodNotAllowedError, RouteNotFoundError } from './errors';
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

/** PUT /object/{model}?ids=17,20&vals={...}: the same vals on every id, all or nothing. */
async function writeList(deps: RecordsDeps, request: ApiRequest, modelName: string): Promise<ApiResult> {
  const caller = callerOf(request);
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
