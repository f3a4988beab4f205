/**
 * The object API's routes: request parameters in, one records-core call, a result out.
 * Read, search, write, create and unlink, and the model methods of METHODS.
 */
import { AUTH_ERROR_CONTEXT_KEY, OAUTH1_FORM_BODY } from '../auth/credentials';
import {
  AuthenticationRequiredError,
  BadRequestError,
  InvalidValueError,
  MethodNotAllowedError,
  NoRecordFoundError,
  RouteNotFoundError,
} from '../errors';
import type { ApiRequest, ApiResult } from '../http';
import {
  accessFromContext,
  checkAccess,
  mayDo,
  OPERATIONS,
  type AccessContext,
  type AccessRules,
  type Operation,
} from '../models/access';
import { isMetaModel, type ModelCatalog } from '../models/catalog';
import { defaultGet, fieldsGet } from '../models/introspection';
import { getModel, type ModelDef } from '../models/registry';
import {
  budgeted,
  countRecords,
  createRecord,
  readRecords,
  renderRecords,
  searchRecords,
  selectFields,
  unlinkRecords,
  writeRecords,
  type Caller,
  type KeyedRequest,
  type PendingClaim,
  type RecordsDeps,
} from '../records';
import type { PyValue } from '../wire/pyvalue';
import { idempotencyKeyOf, pendingClaim, runKeyedCall } from './keyed-call';
import { changeDefinitions } from './meta-change';
import { checkDomainAccess, checkRelatedWriteAccess } from './related-access';
import {
  activeTestOf,
  bindParams,
  bodyParams,
  checkQueryLength,
  domainParam,
  idsParam,
  intParam,
  MAX_LIMIT,
  pathId,
  requiredIds,
  searchParams,
  stringListParam,
  valsOf,
  type CallParams,
} from './params';

export interface ObjectDeps extends RecordsDeps {
  readonly accessRules: AccessRules;
  /**
   * The shipped and custom (ir.model) definitions, per Lambda instance; without it, `registry`
   * alone (the shipped models) serves every request.
   */
  readonly catalog?: ModelCatalog;
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
  if (!Number.isSafeInteger(userId) || userId <= 0 || !clientId)
    throw new AuthenticationRequiredError('no authorizer context');
  return { userId, clientId };
}

/** What every object route starts from: the authorizer's caller, the model and the call's parameters. */
interface ObjectContext {
  readonly deps: ObjectDeps;
  /** The caller's rights: the user's groups and the token's scopes. */
  readonly access: AccessContext;
  readonly caller: Caller;
  readonly model: ModelDef;
  /** The call's parameters, from the query, the body, args and kwargs. */
  readonly params: CallParams;
  /** A write's Idempotency-Key, to claim in its transaction (keyed-call.ts). */
  readonly key?: KeyedRequest['key'];
}

/** A write's Idempotency-Key to claim, if it was sent one. */
const keyOf = ({ key }: ObjectContext): KeyedRequest => ({ key });

/** PUT /object/{model}?ids=17,20&vals={...}: the same vals on every id, all or nothing. */
async function writeList(context: ObjectContext): Promise<ApiResult> {
  const { deps, caller, model, params } = context;
  const ids = requiredIds(params);
  return {
    status: 200,
    model,
    data: await writeRecords(deps, { model: model.model, ids, vals: valsOf(params), caller, ...keyOf(context) }),
  };
}

/** PUT /object/{model}/{id}?vals={...}: update one record; answers it as one object. */
async function writeOne(context: ObjectContext, id: number): Promise<ApiResult> {
  const { deps, caller, model, params } = context;
  const [record] = await writeRecords(deps, {
    model: model.model,
    ids: [id],
    vals: valsOf(params),
    caller,
    ...keyOf(context),
  });
  return { status: 200, model, data: record ?? null };
}

/** What an unlink answers, as the original (v17): `{"ids": "17,20"}`, or `{"id": 20}` on /{id}. */
function unlinkAnswer(ids: readonly number[], onRecord: boolean): ApiResult {
  return {
    status: 200,
    payload: new Map<string, PyValue>(onRecord ? [['id', ids[0] as number]] : [['ids', ids.join(',')]]),
  };
}

/** DELETE /object/{model}?ids=17,20. */
async function deleteList(context: ObjectContext): Promise<ApiResult> {
  const ids = requiredIds(context.params);
  await unlinkRecords(context.deps, { model: context.model.model, ids, ...keyOf(context) });
  return unlinkAnswer(ids, false);
}

/** DELETE /object/{model}/{id}. */
async function deleteOne(context: ObjectContext, id: number): Promise<ApiResult> {
  await unlinkRecords(context.deps, { model: context.model.model, ids: [id], ...keyOf(context) });
  return unlinkAnswer([id], true);
}

/** POST /object/{model}?vals={...}: create one record; 201 with the record as one object. */
async function create(context: ObjectContext): Promise<ApiResult> {
  const { deps, caller, model, params } = context;
  return {
    status: 201,
    model,
    data: await createRecord(deps, { model: model.model, vals: valsOf(params), caller, ...keyOf(context) }),
  };
}

/** The continuation header of a page that may have a next one. */
const pageHeaders = (nextCursor: string | undefined): Record<string, string> =>
  nextCursor === undefined ? {} : { 'X-Next-Cursor': nextCursor };

/**
 * GET /object/{model}?ids=17,20: read a list of records (always a list). Without ids, search_read:
 * `domain`, `fields`, `offset`, `limit`, `order`, `cursor`; nothing found is the original's 404.
 */
async function readList({ deps, access, model, params }: ObjectContext): Promise<ApiResult> {
  const fieldNames = stringListParam(params, 'fields');
  const ids = idsParam(params);
  if (ids !== undefined)
    return { status: 200, model, data: await readRecords(deps, { model: model.model, ids, fields: fieldNames }) };
  const fields = selectFields(model, fieldNames); // an unknown field is a 403 before the search
  const request = searchParams(params, model);
  checkDomainAccess(access, deps.registry, model, request.domain);
  const { records, nextCursor } = await searchRecords(deps, request);
  if (records.length === 0) throw new NoRecordFoundError();
  return {
    status: 200,
    model,
    data: await renderRecords(deps, model, records, fields),
    headers: pageHeaders(nextCursor),
  };
}

/** GET /object/{model}/{id}[?fields=[...]]: read one record; answers it as one object. */
async function readOne({ deps, model, params }: ObjectContext, id: number): Promise<ApiResult> {
  const [record] = await readRecords(deps, {
    model: model.model,
    ids: [id],
    fields: stringListParam(params, 'fields'),
  });
  return { status: 200, model, data: record ?? null };
}

/** GET /object/{model}/search: the ids of the matching records. */
async function searchIds({ deps, access, model, params }: ObjectContext): Promise<ApiResult> {
  const request = searchParams(params, model);
  checkDomainAccess(access, deps.registry, model, request.domain);
  const { records, nextCursor } = await searchRecords(deps, request);
  if (records.length === 0) throw new NoRecordFoundError();
  return { status: 200, model, data: records.map((record) => record.id), headers: pageHeaders(nextCursor) };
}

/** GET /object/{model}/search_count: `{"count": N}`, 0 included. */
async function searchCount({ deps, access, model, params }: ObjectContext): Promise<ApiResult> {
  const domain = domainParam(params);
  checkDomainAccess(access, deps.registry, model, domain);
  const count = await countRecords(deps, { model, domain, activeTest: activeTestOf(params) });
  return { status: 200, payload: new Map([['count', count]]) };
}

/** GET /object/{model}/fields_get[?allfields=[...]&attributes=[...]]. */
async function fieldsGetMethod({ model, params }: ObjectContext): Promise<ApiResult> {
  return {
    status: 200,
    model,
    data: fieldsGet(model, stringListParam(params, 'allfields'), stringListParam(params, 'attributes')),
  };
}

/** GET /object/{model}/default_get?fields_list=[...]. */
async function defaultGetMethod({ model, params }: ObjectContext): Promise<ApiResult> {
  const names =
    stringListParam(params, 'fields_list') ?? stringListParam(params, 'fields') ?? model.fields.map((f) => f.name);
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
async function checkAccessRights({ access, model, params }: ObjectContext): Promise<ApiResult> {
  const operations = stringListParam(params, 'operation') ?? ['read'];
  const unknown = operations.find((operation) => !(OPERATIONS as readonly string[]).includes(operation));
  if (unknown !== undefined)
    throw new InvalidValueError(`Invalid access mode '${unknown}'; expected one of ${OPERATIONS.join(', ')}`);
  const raise = params.literal('raise_exception') !== false;
  const operation = operations[operations.length - 1] as Operation;
  if (raise) checkAccess(access, model, operation);
  if (!mayDo(access, model.model, operation)) throw new NoRecordFoundError();
  return { status: 200, payload: new Map([['return', true]]) };
}

/** GET /object/{model}/name_search?name=...&args=[domain]&operator=ilike&limit=100: [[id, name], ...]. */
async function nameSearch({ deps, access, model, params }: ObjectContext): Promise<ApiResult> {
  const name = params.literal('name') ?? '';
  const operator = params.text('operator') ?? 'ilike';
  const args = params.literal('args') ?? [];
  if (typeof name !== 'string' || !Array.isArray(args))
    throw new BadRequestError("'name' must be a string and 'args' a domain list");
  // Odoo's _name_search: an empty name with ilike matches everything.
  const domain: PyValue[] = name === '' && operator === 'ilike' ? args : [[model.recName, operator, name], ...args];
  checkDomainAccess(access, deps.registry, model, domain);
  const { records } = await searchRecords(deps, {
    model,
    domain,
    limit: intParam(params, 'limit', 1, MAX_LIMIT) ?? 100,
  });
  if (records.length === 0) throw new NoRecordFoundError();
  return { status: 200, model, data: records.map((record) => [record.id, String(record.values[model.recName] ?? '')]) };
}

/** A model method: its Odoo parameters, and what it does on the model and, if it can, on one record. */
interface MethodDef {
  /**
   * The Odoo signature's parameters in order (Odoo 17), which positional `args` fill and `kwargs`
   * name; `context` is always a keyword too. Record ids are not among them: they come from the
   * path or `ids`, as the original passes them first.
   */
  readonly params: readonly string[];
  /** The access right (ir.model.access) it needs; introspection needs none, as in Odoo. */
  readonly operation?: Operation;
  readonly onModel: (context: ObjectContext) => Promise<ApiResult>;
  readonly onRecord?: (context: ObjectContext, id: number) => Promise<ApiResult>;
}

/**
 * The model's methods, reachable as /object/{model}/{method} (and those with onRecord as
 * /object/{model}/{id}/{method}) with any verb, as the original routes them; the verb routes are
 * these methods too (VERB_METHODS). The one table of signatures.
 */
const METHODS: Readonly<Record<string, MethodDef>> = {
  search: { params: ['domain', 'offset', 'limit', 'order'], operation: 'read', onModel: searchIds },
  search_count: { params: ['domain'], operation: 'read', onModel: searchCount },
  search_read: { params: ['domain', 'fields', 'offset', 'limit', 'order'], operation: 'read', onModel: readList },
  read: { params: ['fields'], operation: 'read', onModel: readList, onRecord: readOne },
  write: { params: ['vals'], operation: 'write', onModel: writeList, onRecord: writeOne },
  create: { params: ['vals'], operation: 'create', onModel: create },
  unlink: { params: [], operation: 'unlink', onModel: deleteList, onRecord: deleteOne },
  fields_get: { params: ['allfields', 'attributes'], onModel: fieldsGetMethod },
  default_get: { params: ['fields_list'], onModel: defaultGetMethod },
  check_access_rights: { params: ['operation', 'raise_exception'], onModel: checkAccessRights },
  // Its `args` is its own parameter (a domain), so name_search takes keywords only.
  name_search: { params: ['name', 'args', 'operator', 'limit'], operation: 'read', onModel: nameSearch },
};

/** The method each verb means without a method in the path: on the model, and on /{id}. */
const VERB_METHODS: Readonly<Record<string, string>> = {
  GET: 'search_read',
  POST: 'create',
  PUT: 'write',
  DELETE: 'unlink',
};
const RECORD_VERB_METHODS: Readonly<Record<string, string>> = { GET: 'read', PUT: 'write', DELETE: 'unlink' };

/** What a request calls: the method, and how. */
interface Call {
  readonly name: string;
  readonly method: MethodDef;
  readonly run: (context: ObjectContext) => Promise<ApiResult>;
  /** Named in the path: answers 200 whatever the method (/create included), the original's rule. */
  readonly explicit: boolean;
  /** The record of /{id} and /{id}/{method} routes. */
  readonly recordId?: number;
}

const methodNamed = (name: string): MethodDef | undefined => (Object.hasOwn(METHODS, name) ? METHODS[name] : undefined);

/** The method of a request, from its path and verb. */
function resolveCall(request: ApiRequest): Call {
  const rest = request.pathParameters.proxy;
  if (rest === undefined) {
    const name = VERB_METHODS[request.method];
    const method = name === undefined ? undefined : methodNamed(name);
    if (name === undefined || method === undefined)
      throw new MethodNotAllowedError(request.method, Object.keys(VERB_METHODS));
    return { name, method, run: method.onModel, explicit: false };
  }
  const named = methodNamed(rest);
  if (named) return { name: rest, method: named, run: named.onModel, explicit: true };
  const [idSegment = '', recordMethodName, ...extra] = rest.split('/');
  if (recordMethodName !== undefined) {
    const method = methodNamed(recordMethodName);
    const onRecord = method?.onRecord;
    if (!method || !onRecord || extra.length > 0 || !/^[0-9,]+$/.test(idSegment))
      throw new RouteNotFoundError(request.method, request.path);
    const id = pathId(idSegment);
    return { name: recordMethodName, method, run: (context) => onRecord(context, id), explicit: true, recordId: id };
  }
  // /object/{model}/{id}; methods that are not here (copy, onchange...) need Odoo's server.
  if (!/^[0-9,]+$/.test(rest)) throw new RouteNotFoundError(request.method, request.path);
  const name = RECORD_VERB_METHODS[request.method];
  const onRecord = name === undefined ? undefined : methodNamed(name)?.onRecord;
  if (name === undefined || onRecord === undefined)
    throw new MethodNotAllowedError(request.method, Object.keys(RECORD_VERB_METHODS));
  const id = pathId(rest);
  return {
    name,
    method: METHODS[name] as MethodDef,
    run: (context) => onRecord(context, id),
    explicit: false,
    recordId: id,
  };
}

/**
 * What the request that claimed a key answered, on the records as they are now: a create's record
 * (404 if deleted since), a write's records, an unlink's ids.
 */
async function replayedAnswer({ deps, model }: ObjectContext, call: Call, ids: readonly number[]): Promise<ApiResult> {
  const onRecord = call.recordId !== undefined;
  if (call.method.operation === 'unlink') return unlinkAnswer(ids, onRecord);
  const records = await readRecords(deps, { model: model.model, ids });
  if (call.method.operation === 'create') return { status: 201, model, data: records[0] ?? null };
  return { status: 200, model, data: onRecord ? (records[0] ?? null) : records };
}

/** The pending claim of a create's, write's or unlink's Idempotency-Key; reads ignore the header. */
function claimOf(request: ApiRequest, call: Call, caller: Caller, deps: ObjectDeps): PendingClaim | undefined {
  const key = idempotencyKeyOf(request.headers);
  const operation = call.method.operation;
  if (key === undefined || operation === undefined || operation === 'read') return undefined;
  return pendingClaim(request, caller.clientId, key, deps.now?.() ?? new Date());
}

/** One object request, from the authorizer's caller to the route's answer. */
export async function routeObjectRequest(deps: ObjectDeps, request: ApiRequest): Promise<ApiResult> {
  // OPTIONS reaches the function without the authorizer, for CORS preflights (lib/http answers
  // those); any other OPTIONS cannot be authenticated, so it calls no method (405, not 401).
  if (request.method === 'OPTIONS') throw new MethodNotAllowedError(request.method, Object.keys(VERB_METHODS));
  const caller = callerOf(request);
  checkQueryLength(request);
  const modelName = request.pathParameters.model ?? '';
  // The registry with the custom models and fields this instance knows (reloaded when stale).
  const registry = deps.catalog ? await deps.catalog.registryFor(modelName) : deps.registry;
  // Every DynamoDB request and item read from here on counts toward this request's budget.
  const requestDeps: ObjectDeps = { ...deps, registry, store: budgeted(deps.store) };
  const model = getModel(registry, modelName);
  const call = resolveCall(request);
  const access = accessFromContext(deps.accessRules, request.authorizer);
  // Before anything is read or written: the user's groups and the token's scopes (403 as Odoo).
  if (call.method.operation) checkAccess(access, model, call.method.operation);
  const body = bodyParams(request.body, request.headers.get('content-type'), call.method.params.includes('vals'));
  const params = bindParams({ method: call.name, params: call.method.params }, request.query, body);
  const context = { deps: requestDeps, access, caller, model, params };
  // Before anything is read, reserved or written: the rights on every other model the x2many
  // commands of a create or write act on (related-access.ts).
  if (call.method.operation === 'create' || call.method.operation === 'write')
    checkRelatedWriteAccess(access, registry, model, valsOf(params));
  const run = (runContext: ObjectContext) => {
    if (!deps.catalog || !isMetaModel(model)) return call.run(runContext);
    const ids = () => (call.recordId !== undefined ? [call.recordId] : requiredIds(params));
    return changeDefinitions(deps.catalog, requestDeps, {
      model,
      operation: call.method.operation,
      ids,
      vals: () => valsOf(params),
      run: () => call.run(runContext),
    });
  };
  const claim = claimOf(request, call, caller, deps);
  const result = claim
    ? await runKeyedCall({
        deps: requestDeps,
        claim,
        lookFirst: isMetaModel(model),
        write: (key) => run({ ...context, key }),
        replay: (ids) => replayedAnswer(context, call, ids),
      })
    : await run(context);
  return call.explicit ? { ...result, status: 200 } : result;
}
