/**
 * The object API's routes: request parameters in, one records-core call, a result out.
 * So far: read and write by ids (list and single record), create. Search and unlink come next.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AuthenticationRequiredError, BadRequestError, MethodNotAllowedError, PayloadTooLargeError, RouteNotFoundError, UriTooLongError } from './errors';
import { runHttp, singleParam, type ApiRequest, type ApiResult, type HttpOptions } from './http';
import { parseLiteralParam, parseVals } from './literal';
import { parseIds } from './params';
import type { ModelDef } from './models';
import type { PyValue } from './pyvalue';
import { createRecord, getModel, readRecords, writeRecords, type Caller, type RecordsDeps } from './records';

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

/** `fields=['name','country_id']`: a list of field names (one name alone is accepted too). */
function fieldsParam(request: ApiRequest): string[] | undefined {
  const text = singleParam(request, 'fields');
  if (text === undefined) return undefined;
  const value = parseLiteralParam(text, 'fields');
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((name): name is string => typeof name === 'string')) return value;
  throw new BadRequestError("'fields' must be a list of field names, e.g. fields=['name','country_id']");
}

/** The `{id}` path segment: one positive integer id. */
function pathId(segment: string): number {
  if (segment.includes(',')) throw new BadRequestError(`Invalid record id '${segment}' in the path; give several ids with ?ids=17,20`);
  const [id] = parseIds(segment);
  return id as number;
}

/** What every object route starts from: the authorizer's caller and the model. */
interface ObjectContext {
  readonly deps: RecordsDeps;
  readonly request: ApiRequest;
  readonly caller: Caller;
  readonly model: ModelDef;
}

const VALS_EXAMPLE = "vals={'street2':'Chung Hsiao East Road'}";

/**
 * `vals`, from the query or, as the original allows, the body: a dict body with a `vals` key, or
 * the whole dict body as the vals (JSON, JSON5 or a Python literal).
 */
function valsOf(request: ApiRequest): Map<string, PyValue> {
  const query = singleParam(request, 'vals');
  if (query !== undefined) return parseVals(query);
  if (request.body === undefined || request.body.trim() === '') throw new BadRequestError(`Parameter 'vals' is required, e.g. ${VALS_EXAMPLE}`);
  if (request.body.length > MAX_BODY_LENGTH) throw new PayloadTooLargeError(`The body is longer than ${MAX_BODY_LENGTH} characters`);
  const body = parseLiteralParam(request.body, 'body');
  if (!(body instanceof Map)) throw new BadRequestError("The body must be a dict: the vals themselves, or {'vals': {...}}");
  const vals = body.get('vals') ?? body;
  if (!(vals instanceof Map)) throw new BadRequestError("'vals' must be a dict of field names to values, e.g. {'name': 'x'}");
  return vals;
}

/** Bounds a literal body (the parser's own bound); larger payloads are a 413, not a parse error. */
const MAX_BODY_LENGTH = 100_000;

/** PUT /object/{model}?ids=17,20&vals={...}: the same vals on every id, all or nothing. */
async function writeList({ deps, request, caller, model }: ObjectContext): Promise<ApiResult> {
  const ids = parseIds(requiredParam(request, 'ids', 'ids=17,20'));
  return { status: 200, model, data: await writeRecords(deps, { model: model.model, ids, vals: valsOf(request), caller }) };
}

/** PUT /object/{model}/{id}?vals={...}: update one record; answers it as one object. */
async function writeOne({ deps, request, caller, model }: ObjectContext, id: number): Promise<ApiResult> {
  const [record] = await writeRecords(deps, { model: model.model, ids: [id], vals: valsOf(request), caller });
  return { status: 200, model, data: record ?? null };
}

/** POST /object/{model}?vals={...}: create one record; 201 with the record as one object. */
async function create({ deps, request, caller, model }: ObjectContext): Promise<ApiResult> {
  return { status: 201, model, data: await createRecord(deps, { model: model.model, vals: valsOf(request), caller }) };
}

/** GET /object/{model}?ids=17,20[&fields=[...]]: read a list of records; always a list. */
async function readList({ deps, request, model }: ObjectContext): Promise<ApiResult> {
  const idsText = singleParam(request, 'ids');
  if (idsText === undefined) {
    // @debt search_read (domain, offset, limit, order) is the next step of the object API.
    throw new BadRequestError('Give the records to read with ids=17,20; searching with a domain is not available yet');
  }
  return { status: 200, model, data: await readRecords(deps, { model: model.model, ids: parseIds(idsText), fields: fieldsParam(request) }) };
}

/** GET /object/{model}/{id}[?fields=[...]]: read one record; answers it as one object. */
async function readOne({ deps, request, model }: ObjectContext, id: number): Promise<ApiResult> {
  const [record] = await readRecords(deps, { model: model.model, ids: [id], fields: fieldsParam(request) });
  return { status: 200, model, data: record ?? null };
}

export function routeObjectRequest(deps: RecordsDeps, options: HttpOptions, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return runHttp(event, options, async (request) => {
    const caller = callerOf(request);
    checkQueryLength(request);
    const context = { deps, request, caller, model: getModel(deps.registry, request.pathParameters.model ?? '') };
    const rest = request.pathParameters.proxy;
    if (rest === undefined) {
      if (request.method === 'PUT') return writeList(context);
      if (request.method === 'GET') return readList(context);
      if (request.method === 'POST') return create(context);
      throw new MethodNotAllowedError(request.method, ['GET', 'POST', 'PUT']);
    }
    // /object/{model}/{id}; the named methods (/search, /fields_get, ...) come with the search step.
    if (!/^[0-9,]+$/.test(rest)) throw new RouteNotFoundError(request.method, request.path);
    if (request.method === 'PUT') return writeOne(context, pathId(rest));
    if (request.method === 'GET') return readOne(context, pathId(rest));
    throw new MethodNotAllowedError(request.method, ['GET', 'PUT']);
  });
}
