/**
 * The object API's routes: request parameters in, one records-core call, a result out.
 * Read, search, write, create and unlink, and the model methods of METHODS.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { accessFromContext, checkAccess, mayDo, OPERATIONS, type AccessRules, type Operation } from './access';
import { AUTH_ERROR_CONTEXT_KEY, OAUTH1_FORM_BODY } from './authorizer';
import { AuthenticationRequiredError, BadRequestError, InvalidValueError, MethodNotAllowedError, NoRecordFoundError, PayloadTooLargeError, RouteNotFoundError, UriTooLongError } from './errors';
import { runHttp, singleParam, type ApiRequest, type ApiResult, type HttpOptions } from './http';
import { defaultGet, fieldsGet } from './introspection';
import { parseLiteralParam, parseVals } from './literal';
import { parseIds } from './params';
import type { ModelDef } from './models';
import type { PyValue } from './pyvalue';
import { createRecord, getModel, readRecords, renderRecords, selectFields, writeRecords, type Caller, type RecordsDeps } from './records';
import { countRecords, parseOrder, searchRecords } from './search';
import { unlinkRecords } from './unlink';

export interface ObjectDeps extends RecordsDeps {
  readonly accessRules: AccessRules;
}

/** The caller the authorizer established; without one the request never should have got here. */
export function callerOf(request: ApiRequest): Caller {
  if (request.authorizer[AUTH_ERROR_CONTEXT_KEY] === OAUTH1_FORM_BODY) {
    throw new AuthenticationRequiredError(
      'OAuth 1.0a with a form body',
      'Authentication required: the OAuth 1.0a signature covers form-body parameters, which cannot be verified here; send the oauth_* parameters in the Authorization header or the query, and the vals in the query or a JSON body',
    );
  }
  const userId = Number(request.authorizer.userId);
  const clientId = request.authorizer.clientId;
  if (!Number.isSafeInteger(userId) || userId <= 0 || !clientId) throw new AuthenticationRequiredError('no authorizer context');
  return { userId, clientId };
}

/** The access right (ir.model.access) each method needs; introspection needs none, as in Odoo. */
const METHOD_OPERATIONS: Readonly<Record<string, Operation | undefined>> = {
  search: 'read',
  search_count: 'read',
  search_read: 'read',
  read: 'read',
  name_search: 'read',
  write: 'write',
  create: 'create',
  unlink: 'unlink',
};

/** The operation of /object/{model}[/{id}] by verb. */
const VERB_OPERATIONS: Readonly<Record<string, Operation>> = { GET: 'read', PUT: 'write', POST: 'create', DELETE: 'unlink' };

/** The operation a request needs: by its method segment (/{method} or /{id}/{method}), else by its verb. */
function operationOf(request: ApiRequest): Operation | undefined {
  const rest = request.pathParameters.proxy;
  const method = rest === undefined ? undefined : rest.includes('/') ? rest.split('/')[1] : /^[0-9,]+$/.test(rest) ? undefined : rest;
  if (method !== undefined) return Object.hasOwn(METHOD_OPERATIONS, method) ? METHOD_OPERATIONS[method] : undefined;
  return VERB_OPERATIONS[request.method];
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

/** A list of names (`fields`, `allfields`, `attributes`, `fields_list`...); one name alone is accepted too. */
function stringListParam(request: ApiRequest, name: string): string[] | undefined {
  const text = singleParam(request, name);
  if (text === undefined) return undefined;
  const value = parseLiteralParam(text, name);
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) return value;
  throw new BadRequestError(`'${name}' must be a list of names, e.g. ${name}=['name','country_id']`);
}

/** The `{id}` path segment: one positive integer id. */
function pathId(segment: string): number {
  if (segment.includes(',')) throw new BadRequestError(`Invalid record id '${segment}' in the path; give several ids with ?ids=17,20`);
  const [id] = parseIds(segment);
  return id as number;
}

/** What every object route starts from: the authorizer's caller and the model. */
interface ObjectContext {
  readonly deps: ObjectDeps;
  readonly request: ApiRequest;
  readonly caller: Caller;
  readonly model: ModelDef;
}

const VALS_EXAMPLE = "vals={'street2':'Chung Hsiao East Road'}";

/** Bounds a literal body (the parser's own bound); larger payloads are a 413, not a parse error. */
const MAX_BODY_LENGTH = 100_000;

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

/** DELETE /object/{model}?ids=17,20: `{"ids": "17,20"}` as the original (v17) answers. */
async function deleteList({ deps, request, model }: ObjectContext): Promise<ApiResult> {
  const ids = parseIds(requiredParam(request, 'ids', 'ids=17,20'));
  await unlinkRecords(deps, { model: model.model, ids });
  return { status: 200, payload: new Map([['ids', ids.join(',')]]) };
}

/** DELETE /object/{model}/{id}: `{"id": 20}` as the original (v17) answers. */
async function deleteOne({ deps, model }: ObjectContext, id: number): Promise<ApiResult> {
  await unlinkRecords(deps, { model: model.model, ids: [id] });
  return { status: 200, payload: new Map([['id', id]]) };
}

/** POST /object/{model}?vals={...}: create one record; 201 with the record as one object. */
async function create({ deps, request, caller, model }: ObjectContext): Promise<ApiResult> {
  return { status: 201, model, data: await createRecord(deps, { model: model.model, vals: valsOf(request), caller }) };
}

/** Without a domain, a page holds this many records unless `limit` says otherwise. */
export const DEFAULT_LIMIT = 80;
/** The most records one page may hold; more pages with `cursor` (or `offset`). */
export const MAX_LIMIT = 1000;

/** A non-negative integer parameter (`offset`, `limit`), as a literal or plain digits. */
function intParam(request: ApiRequest, name: string, min: number, max: number): number | undefined {
  const text = singleParam(request, name);
  if (text === undefined || text === '' || text === 'None' || text === 'False') return undefined;
  const value = parseLiteralParam(text, name);
  if (typeof value !== 'number' || value < min || value > max) throw new BadRequestError(`'${name}' must be an integer from ${min} to ${max}`);
  return value;
}

/** `context={'active_test': False}`: the one context key a search honours here. */
function activeTestOf(request: ApiRequest): boolean {
  const text = singleParam(request, 'context');
  if (text === undefined) return true;
  const context = parseLiteralParam(text, 'context');
  if (!(context instanceof Map)) throw new BadRequestError("'context' must be a dict, e.g. context={'active_test': False}");
  return context.get('active_test') !== false;
}

/** `domain=[('name','ilike','a')]`, as its literal; the domain module checks its shape. */
function domainParam(request: ApiRequest): PyValue | undefined {
  const text = singleParam(request, 'domain');
  return text === undefined ? undefined : parseLiteralParam(text, 'domain');
}

/** The search parameters shared by search and search_read. */
function searchParams(request: ApiRequest, model: ModelDef) {
  const domain = domainParam(request);
  const limit = intParam(request, 'limit', 1, MAX_LIMIT) ?? (domain === undefined ? DEFAULT_LIMIT : MAX_LIMIT);
  return {
    model,
    domain,
    limit,
    offset: intParam(request, 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0,
    order: parseOrder(model, singleParam(request, 'order')),
    cursor: singleParam(request, 'cursor'),
    activeTest: activeTestOf(request),
  };
}

/** The continuation header of a page that may have a next one. */
const pageHeaders = (nextCursor: string | undefined): Record<string, string> => (nextCursor === undefined ? {} : { 'X-Next-Cursor': nextCursor });

/**
 * GET /object/{model}?ids=17,20: read a list of records (always a list). Without ids, search_read:
 * `domain`, `fields`, `offset`, `limit`, `order`, `cursor`; nothing found is the original's 404.
 */
async function readList({ deps, request, model }: ObjectContext): Promise<ApiResult> {
  const fieldNames = stringListParam(request, 'fields');
  const idsText = singleParam(request, 'ids');
  if (idsText !== undefined) return { status: 200, model, data: await readRecords(deps, { model: model.model, ids: parseIds(idsText), fields: fieldNames }) };
  const fields = selectFields(model, fieldNames); // an unknown field is a 403 before the search
  const { records, nextCursor } = await searchRecords(deps, searchParams(request, model));
  if (records.length === 0) throw new NoRecordFoundError();
  return { status: 200, model, data: await renderRecords(deps, model, records, fields), headers: pageHeaders(nextCursor) };
}

/** GET /object/{model}/search: the ids of the matching records. */
async function searchIds({ deps, request, model }: ObjectContext): Promise<ApiResult> {
  const { records, nextCursor } = await searchRecords(deps, searchParams(request, model));
  if (records.length === 0) throw new NoRecordFoundError();
  return { status: 200, model, data: records.map((record) => record.id), headers: pageHeaders(nextCursor) };
}

/** GET /object/{model}/search_count: `{"count": N}`, 0 included. */
async function searchCount({ deps, request, model }: ObjectContext): Promise<ApiResult> {
  const count = await countRecords(deps, { model, domain: domainParam(request), activeTest: activeTestOf(request) });
  return { status: 200, payload: new Map([['count', count]]) };
}

/** GET /object/{model}/fields_get[?allfields=[...]&attributes=[...]]. */
async function fieldsGetMethod({ request, model }: ObjectContext): Promise<ApiResult> {
  return { status: 200, model, data: fieldsGet(model, stringListParam(request, 'allfields'), stringListParam(request, 'attributes')) };
}

/** GET /object/{model}/default_get?fields_list=[...]. */
async function defaultGetMethod({ request, model }: ObjectContext): Promise<ApiResult> {
  const names = stringListParam(request, 'fields_list') ?? stringListParam(request, 'fields') ?? model.fields.map((f) => f.name);
  const defaults = defaultGet(model, names);
  if (defaults.size === 0) throw new NoRecordFoundError();
  return { status: 200, model, data: defaults };
}

/**
 * GET /object/{model}/check_access_rights?operation=['write']&raise_exception=False: whether the
 * caller's groups and token scopes allow it, `{"return": true}`; not allowed: Odoo's AccessError
 * (403), or with raise_exception False a false result, which the original answers as 404. A list
 * of operations keeps the last one's answer, as the original does.
 */
async function checkAccessRights({ deps, request, model }: ObjectContext): Promise<ApiResult> {
  const operations = stringListParam(request, 'operation') ?? ['read'];
  const unknown = operations.find((operation) => !(OPERATIONS as readonly string[]).includes(operation));
  if (unknown !== undefined) throw new InvalidValueError(`Invalid access mode '${unknown}'; expected one of ${OPERATIONS.join(', ')}`);
  const raiseText = singleParam(request, 'raise_exception');
  const raise = raiseText === undefined ? true : parseLiteralParam(raiseText, 'raise_exception') !== false;
  const access = accessFromContext(deps.accessRules, request.authorizer);
  const operation = operations[operations.length - 1] as Operation;
  if (raise) checkAccess(access, model, operation);
  if (!mayDo(access, model.model, operation)) throw new NoRecordFoundError();
  return { status: 200, payload: new Map([['return', true]]) };
}

/** GET /object/{model}/name_search?name=...&args=[domain]&operator=ilike&limit=100: [[id, name], ...]. */
async function nameSearch({ deps, request, model }: ObjectContext): Promise<ApiResult> {
  const nameText = singleParam(request, 'name');
  const name = nameText === undefined ? '' : parseLiteralParam(nameText, 'name');
  const operator = singleParam(request, 'operator') ?? 'ilike';
  const argsText = singleParam(request, 'args');
  const args = argsText === undefined ? [] : parseLiteralParam(argsText, 'args');
  if (typeof name !== 'string' || !Array.isArray(args)) throw new BadRequestError("'name' must be a string and 'args' a domain list");
  // Odoo's _name_search: an empty name with ilike matches everything.
  const domain: PyValue[] = name === '' && operator === 'ilike' ? args : [[model.recName, operator, name], ...args];
  const { records } = await searchRecords(deps, { model, domain, limit: intParam(request, 'limit', 1, MAX_LIMIT) ?? 100 });
  if (records.length === 0) throw new NoRecordFoundError();
  return { status: 200, model, data: records.map((record) => [record.id, String(record.values[model.recName] ?? '')]) };
}

/**
 * The model's methods reachable as /object/{model}/{method}, with any verb as the original routes
 * them. An explicit method answers 200, /create included (the original's rule).
 */
const METHODS: Readonly<Record<string, (context: ObjectContext) => Promise<ApiResult>>> = {
  search: searchIds,
  search_count: searchCount,
  search_read: readList,
  read: readList,
  write: writeList,
  create: async (context) => ({ ...(await create(context)), status: 200 }),
  unlink: deleteList,
  fields_get: fieldsGetMethod,
  default_get: defaultGetMethod,
  check_access_rights: checkAccessRights,
  name_search: nameSearch,
};

/** The methods of /object/{model}/{id}/{method}, on that one record. */
const RECORD_METHODS: Readonly<Record<string, (context: ObjectContext, id: number) => Promise<ApiResult>>> = {
  read: readOne,
  write: writeOne,
  unlink: deleteOne,
};

/** GET /object/{model}/{id}[?fields=[...]]: read one record; answers it as one object. */
async function readOne({ deps, request, model }: ObjectContext, id: number): Promise<ApiResult> {
  const [record] = await readRecords(deps, { model: model.model, ids: [id], fields: stringListParam(request, 'fields') });
  return { status: 200, model, data: record ?? null };
}

export function routeObjectRequest(deps: ObjectDeps, options: HttpOptions, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return runHttp(event, options, async (request) => {
    const caller = callerOf(request);
    checkQueryLength(request);
    const model = getModel(deps.registry, request.pathParameters.model ?? '');
    const operation = operationOf(request);
    // Before anything is read or written: the user's groups and the token's scopes (403 as Odoo).
    if (operation) checkAccess(accessFromContext(deps.accessRules, request.authorizer), model, operation);
    const context = { deps, request, caller, model };
    const rest = request.pathParameters.proxy;
    if (rest === undefined) {
      if (request.method === 'PUT') return writeList(context);
      if (request.method === 'GET') return readList(context);
      if (request.method === 'POST') return create(context);
      if (request.method === 'DELETE') return deleteList(context);
      throw new MethodNotAllowedError(request.method, ['GET', 'POST', 'PUT', 'DELETE']);
    }
    const method = Object.hasOwn(METHODS, rest) ? METHODS[rest] : undefined;
    if (method) return method(context);
    const [idSegment = '', recordMethodName, ...extra] = rest.split('/');
    if (recordMethodName !== undefined) {
      const recordMethod = Object.hasOwn(RECORD_METHODS, recordMethodName) ? RECORD_METHODS[recordMethodName] : undefined;
      if (!recordMethod || extra.length > 0 || !/^[0-9,]+$/.test(idSegment)) throw new RouteNotFoundError(request.method, request.path);
      return recordMethod(context, pathId(idSegment));
    }
    // /object/{model}/{id}; methods that are not here (copy, onchange...) need Odoo's server.
    if (!/^[0-9,]+$/.test(rest)) throw new RouteNotFoundError(request.method, request.path);
    if (request.method === 'PUT') return writeOne(context, pathId(rest));
    if (request.method === 'GET') return readOne(context, pathId(rest));
    if (request.method === 'DELETE') return deleteOne(context, pathId(rest));
    throw new MethodNotAllowedError(request.method, ['GET', 'PUT', 'DELETE']);
  });
}
