/**
 * The object API's routes: request parameters in, one records-core call, a result out.
 * Read, search, write, create and unlink, and the model methods of METHODS.
 */
import type { KeyRing } from '../auth/keys';
import { OAUTH1_SIGNATURE_CONTEXT_KEY, OAUTH1_SIGNATURE_PENDING } from '../auth/oauth1/flow';
import {
  AuthenticationRequiredError,
  BadRequestError,
  InvalidValueError,
  MethodNotAllowedError,
  NoRecordFoundError,
  RouteNotFoundError,
  withAnswerHeaders,
} from '../errors';
import {
  entityTagOf,
  formPairs,
  isFormRequest,
  requestConditions,
  type ApiRequest,
  type ApiResult,
  type RequestConditions,
} from '../http';
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
import { getModel, type ModelDef, type ModelRegistry } from '../models/registry';
import {
  budgeted,
  countWithPlan,
  createRecord,
  readRecords,
  readStoredRecords,
  renderRecords,
  searchRecords,
  selectFields,
  unlinkRecords,
  writeRecords,
  type Caller,
  type StoredRecord,
  type KeyedRequest,
  type PendingClaim,
  type RecordsDeps,
  type SearchPlan,
} from '../records';
import type { PyValue } from '../wire/pyvalue';
import { callerOf } from './caller';
import { idempotencyKeyOf, pendingClaim, REPLAYED_HEADER, runKeyedCall } from './keyed-call';
import { CallMeter, currentRateLimitHeaders, type MeterDeps } from '../metering/meter';
import { PLAN_CONTEXT_KEY, planFromContext, unitsOf, type Plan } from '../metering/plan';
import { readConditionAnswer, WriteConditions } from './conditions';
import { changeDefinitions } from './meta-change';
import { METHOD_SIGNATURES, RECORD_VERB_METHODS, VERB_METHODS, type MethodName, type MethodSignature } from './methods';
import { checkDomainAccess, checkRelatedWriteAccess } from './related-access';
import { changeSubscriptions, checkServiceOnly, isWebhookModel, withoutServiceFields } from './webhook-subscriptions';
import {
  activeTestOf,
  bindParams,
  bodyParams,
  checkQueryLength,
  domainParam,
  formFields,
  idsParam,
  MAX_BODY_LENGTH,
  intParam,
  MAX_LIMIT,
  pathId,
  requiredIds,
  searchParams,
  stringListParam,
  valsOf,
  whereParam,
  type CallParams,
} from './params';

export interface ObjectDeps extends RecordsDeps {
  readonly accessRules: AccessRules;
  /**
   * The shipped and custom (ir.model) definitions, per Lambda instance; without it, `registry`
   * alone (the shipped models) serves every request.
   */
  readonly catalog?: ModelCatalog;
  /**
   * Verifies the OAuth 1.0a signature of a request the authorizer left pending (its form fields
   * are signed, and the authorizer never sees the body) and records its nonce, or throws 401
   * (lib/auth/oauth1/flow.ts's verifyPendingOAuth1Signature). Without it such a request is a 401.
   */
  readonly verifyOAuth1Signature?: (request: ApiRequest, caller: Caller) => Promise<void>;
  /** The usage table: the plan's limits and the usage ledger (lib/metering). Without it nothing is metered. */
  readonly meter?: MeterDeps;
  /**
   * The key ring, loaded on first use: it seals the signing secret of a webhook subscription
   * (webhook-subscriptions.ts). Without it, creating one is refused (a function that holds no key).
   */
  readonly keys?: () => Promise<KeyRing>;
  /** WEBHOOK_LOCAL_TARGETS (the local stage): subscriptions may target http and loopback URLs. */
  readonly webhookLocalTargets?: boolean;
}

/**
 * The authorizer's caller, once the request is fully authenticated. An OAuth 1.0a request with a
 * form body comes marked pending: its signature (which covers the form's fields) is verified here
 * over the whole request, and its nonce recorded, before anything else is read or written. Any
 * other OAuth 1.0a request was verified by the authorizer over its header and query only, so form
 * fields beside it would be unsigned: a 401 (the authorizer marks every form-typed request
 * pending, so this takes a Content-Type the two saw differently).
 */
export async function authenticatedCaller(deps: ObjectDeps, request: ApiRequest): Promise<Caller> {
  const caller = callerOf(request);
  if (request.authorizer[OAUTH1_SIGNATURE_CONTEXT_KEY] === OAUTH1_SIGNATURE_PENDING) {
    if (!deps.verifyOAuth1Signature)
      throw new AuthenticationRequiredError('pending OAuth 1.0a signature and no verifier');
    if ((request.body?.length ?? 0) > MAX_BODY_LENGTH)
      throw new AuthenticationRequiredError('pending OAuth 1.0a signature over a body too long to read');
    await deps.verifyOAuth1Signature(request, caller);
    return caller;
  }
  if (request.authorizer.scheme === 'oauth1' && isFormRequest(request) && (formPairs(request) ?? []).length > 0)
    throw new AuthenticationRequiredError('form fields an OAuth 1.0a signature verified without them');
  return caller;
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
  /** A metered write's ledger count and limits, which ride in its transaction (lib/metering/meter.ts). */
  readonly meter?: KeyedRequest['meter'];
  /** If-Match and If-None-Match (conditions.ts). */
  readonly conditions: RequestConditions;
  /** The caller asked how its search is run (X-Query-Plan): the plan is answered in that header. */
  readonly explain: boolean;
}

/** What rides in a write's transaction: its Idempotency-Key's claim and its ledger count, if any. */
const keyOf = ({ key, meter }: ObjectContext): KeyedRequest => ({ key, meter });

/** The ETag header, when there is a tag to answer. */
const etagHeaders = (etag: string | undefined): Record<string, string> => (etag === undefined ? {} : { ETag: etag });

/**
 * The write of `ids`, all or nothing, conditional on `where` and on If-Match / If-None-Match (each
 * a 412 with nothing written); answers the records and their tag once written.
 */
async function conditionalWrite(context: ObjectContext, ids: readonly number[]) {
  const { deps, caller, model, params } = context;
  const conditions = new WriteConditions(context.conditions, model.model, ids);
  const where = whereParam(params);
  const records = await writeRecords(deps, {
    model: model.model,
    ids,
    vals: valsOf(params),
    caller,
    ...(where === undefined ? {} : { where }),
    precondition: conditions.precondition,
    ...keyOf(context),
  });
  return { records, headers: etagHeaders(conditions.etagAfterWrite()) };
}

/** PUT /object/{model}?ids=17,20&vals={...}[&where=[...]]: the same vals on every id, all or nothing. */
async function writeList(context: ObjectContext): Promise<ApiResult> {
  const { records, headers } = await conditionalWrite(context, requiredIds(context.params));
  return { status: 200, model: context.model, data: records, headers };
}

/** PUT /object/{model}/{id}?vals={...}[&where=[...]]: update one record; answers it as one object. */
async function writeOne(context: ObjectContext, id: number): Promise<ApiResult> {
  const { records, headers } = await conditionalWrite(context, [id]);
  return { status: 200, model: context.model, data: records[0] ?? null, headers };
}

/** What an unlink answers, as the original (v17): `{"ids": "17,20"}`, or `{"id": 20}` on /{id}. */
function unlinkAnswer(ids: readonly number[], onRecord: boolean): ApiResult {
  return {
    status: 200,
    payload: new Map<string, PyValue>(onRecord ? [['id', ids[0] as number]] : [['ids', ids.join(',')]]),
  };
}

/** The unlink of `ids`, conditional on If-Match / If-None-Match (a 412 with nothing deleted). */
async function conditionalUnlink(context: ObjectContext, ids: readonly number[]): Promise<void> {
  const { precondition } = new WriteConditions(context.conditions, context.model.model, ids);
  await unlinkRecords(context.deps, {
    model: context.model.model,
    ids,
    caller: context.caller,
    precondition,
    ...keyOf(context),
  });
}

/** DELETE /object/{model}?ids=17,20. */
async function deleteList(context: ObjectContext): Promise<ApiResult> {
  const ids = requiredIds(context.params);
  await conditionalUnlink(context, ids);
  return unlinkAnswer(ids, false);
}

/** DELETE /object/{model}/{id}. */
async function deleteOne(context: ObjectContext, id: number): Promise<ApiResult> {
  await conditionalUnlink(context, [id]);
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

/** A request's X-Query-Plan: any value but 0 or false asks for the plan. */
export const QUERY_PLAN_HEADER = 'X-Query-Plan';
const asksForPlan = (value: string | undefined) =>
  value !== undefined && !['', '0', 'false'].includes(value.trim().toLowerCase());

/**
 * The plan a search ran, when asked, as a structured field (RFC 8941 parameters):
 * `index; via="ref ="; estimated=1000; entries=1000; read=81`.
 */
function planHeaders({ explain }: ObjectContext, plan: SearchPlan): Record<string, string> {
  if (!explain) return {};
  const via = plan.via.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, (c) => `\\${c}`);
  const estimated = plan.estimated === undefined ? '' : `; estimated=${plan.estimated}`;
  return {
    [QUERY_PLAN_HEADER]: `${plan.strategy}; via="${via}"${estimated}; entries=${plan.entries}; read=${plan.read}`,
  };
}

/**
 * Records read, answered with their ETag (the tag of their versions, in order), or a 304 without
 * rendering them when the If-None-Match names that tag (412 when an If-Match names another).
 */
async function taggedRead(
  { deps, model, conditions }: ObjectContext,
  records: readonly StoredRecord[],
  fields: Parameters<typeof renderRecords>[3],
  shape: (rendered: Awaited<ReturnType<typeof renderRecords>>) => ApiResult,
): Promise<ApiResult> {
  const unchanged = readConditionAnswer(conditions, model.model, records);
  if (unchanged) return unchanged;
  const answer = shape(await renderRecords(deps, model, records, fields));
  return { ...answer, headers: { ...answer.headers, ETag: entityTagOf(model.model, records) } };
}

/**
 * GET /object/{model}?ids=17,20: read a list of records (always a list). Without ids, search_read:
 * `domain`, `fields`, `offset`, `limit`, `order`, `cursor`; nothing found is the original's 404.
 */
async function readList(context: ObjectContext): Promise<ApiResult> {
  const { deps, access, model, params } = context;
  const fieldNames = stringListParam(params, 'fields');
  const ids = idsParam(params);
  if (ids !== undefined) {
    const { records, fields } = await readStoredRecords(deps, { model: model.model, ids, fields: fieldNames });
    return taggedRead(context, records, fields, (data) => ({ status: 200, model, data }));
  }
  const fields = selectFields(model, fieldNames); // an unknown field is a 403 before the search
  const request = searchParams(params, model);
  checkDomainAccess(access, deps.registry, model, request.domain);
  const { records, nextCursor, plan } = await searchRecords(deps, { ...request, explain: context.explain });
  if (records.length === 0) throw withAnswerHeaders(new NoRecordFoundError(), planHeaders(context, plan));
  return taggedRead(context, records, fields, (data) => ({
    status: 200,
    model,
    data,
    headers: { ...pageHeaders(nextCursor), ...planHeaders(context, plan) },
  }));
}

/** GET /object/{model}/{id}[?fields=[...]]: read one record; answers it as one object. */
async function readOne(context: ObjectContext, id: number): Promise<ApiResult> {
  const { deps, model, params } = context;
  const { records, fields } = await readStoredRecords(deps, {
    model: model.model,
    ids: [id],
    fields: stringListParam(params, 'fields'),
  });
  return taggedRead(context, records, fields, ([record]) => ({ status: 200, model, data: record ?? null }));
}

/** GET /object/{model}/search: the ids of the matching records. */
async function searchIds(context: ObjectContext): Promise<ApiResult> {
  const { deps, access, model, params } = context;
  const request = searchParams(params, model);
  checkDomainAccess(access, deps.registry, model, request.domain);
  const { records, nextCursor, plan } = await searchRecords(deps, { ...request, explain: context.explain });
  if (records.length === 0) throw withAnswerHeaders(new NoRecordFoundError(), planHeaders(context, plan));
  const headers = { ...pageHeaders(nextCursor), ...planHeaders(context, plan) };
  return { status: 200, model, data: records.map((record) => record.id), headers };
}

/** GET /object/{model}/search_count: `{"count": N}`, 0 included. */
async function searchCount(context: ObjectContext): Promise<ApiResult> {
  const { deps, access, model, params } = context;
  const domain = domainParam(params);
  checkDomainAccess(access, deps.registry, model, domain);
  const request = { model, domain, activeTest: activeTestOf(params), explain: context.explain };
  const { count, plan } = await countWithPlan(deps, request);
  return { status: 200, payload: new Map([['count', count]]), headers: planHeaders(context, plan) };
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
  const operations = operationsParam(params) ?? ['read'];
  const unknown = operations.find((operation) => !(OPERATIONS as readonly string[]).includes(operation));
  if (unknown !== undefined)
    throw new InvalidValueError(`Invalid access mode '${unknown}'; expected one of ${OPERATIONS.join(', ')}`);
  const raise = params.literal('raise_exception') !== false;
  const operation = operations[operations.length - 1] as Operation;
  if (raise) checkAccess(access, model, operation);
  if (!mayDo(access, model.model, operation)) throw new NoRecordFoundError();
  return { status: 200, payload: new Map([['return', true]]) };
}

/**
 * `operation`: Odoo's check_access_rights takes one mode (`operation=read`, raw text as the
 * original reads it, or `'read'`); the original's documented `['read']` list is taken too.
 */
function operationsParam(params: CallParams): string[] | undefined {
  const value = params.stringLiteral('operation');
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((item): item is string => typeof item === 'string'))
    return value;
  throw new BadRequestError("'operation' must be an access mode, e.g. operation=read or operation=['write']");
}

/**
 * GET /object/{model}/name_search?name=...&args=[domain]&operator=ilike&limit=100: [[id, name], ...].
 * `name` is any scalar, as Odoo puts it in the term (`name=Edward`, raw text, is 'Edward'; `name=False`
 * is False); `operator` a string.
 */
async function nameSearch(context: ObjectContext): Promise<ApiResult> {
  const { deps, access, model, params } = context;
  const name = params.stringLiteral('name') ?? '';
  const operator = params.string('operator') ?? 'ilike';
  const args = params.literal('args') ?? [];
  if (name instanceof Map || Array.isArray(name)) throw new BadRequestError("'name' must be a string");
  if (!Array.isArray(args)) throw new BadRequestError("'args' must be a domain list, e.g. args=[('active','=',True)]");
  // Odoo 17's _name_search: the name compared with each of _rec_names_search's fields (a
  // display_name term here); an empty name with like or ilike matches everything.
  const everything = name === '' && (operator === 'ilike' || operator === 'like');
  const domain: PyValue[] = everything ? args : [['display_name', operator, name], ...args];
  checkDomainAccess(access, deps.registry, model, domain);
  const { records, plan } = await searchRecords(deps, {
    model,
    domain,
    limit: intParam(params, 'limit', 1, MAX_LIMIT) ?? 100,
    explain: context.explain,
  });
  if (records.length === 0) throw withAnswerHeaders(new NoRecordFoundError(), planHeaders(context, plan));
  const data = records.map((record) => [record.id, String(record.values[model.recName] ?? '')]);
  return { status: 200, model, data, headers: planHeaders(context, plan) };
}

/** A model method: its signature (methods.ts), and what it does on the model and, if it can, on one record. */
export interface MethodDef {
  readonly params: MethodSignature['params'];
  readonly operation?: Operation;
  readonly onModel: (context: ObjectContext) => Promise<ApiResult>;
  readonly onRecord?: (context: ObjectContext, id: number) => Promise<ApiResult>;
}

/** What each method of METHOD_SIGNATURES does; the signatures say which take a record. */
const ROUTES: Readonly<Record<MethodName, Pick<MethodDef, 'onModel' | 'onRecord'>>> = {
  search: { onModel: searchIds },
  search_count: { onModel: searchCount },
  search_read: { onModel: readList },
  read: { onModel: readList, onRecord: readOne },
  write: { onModel: writeList, onRecord: writeOne },
  create: { onModel: create },
  unlink: { onModel: deleteList, onRecord: deleteOne },
  fields_get: { onModel: fieldsGetMethod },
  default_get: { onModel: defaultGetMethod },
  check_access_rights: { onModel: checkAccessRights },
  name_search: { onModel: nameSearch },
};

/** The methods, signature and route together. */
export const METHODS: Readonly<Record<string, MethodDef>> = Object.fromEntries(
  (Object.keys(METHOD_SIGNATURES) as MethodName[]).map((name) => {
    const { onRecord: _onRecord, ...signature }: MethodSignature = METHOD_SIGNATURES[name];
    return [name, { ...signature, ...ROUTES[name] }];
  }),
);

/**
 * A call's metric labels (lib/runtime/metrics.ts), each from a bounded set, since every distinct
 * value is a billed CloudWatch metric: the client the authorizer established, a model the registry
 * knows (any other name is "other", so a client cannot mint metrics by inventing names) and a
 * method of the table (none when the path names no known one).
 */
export function callLabels(registry: ModelRegistry, request: ApiRequest) {
  const clientId = request.authorizer.clientId;
  const model = request.pathParameters.model;
  const rest = request.pathParameters.proxy;
  const named = rest?.split('/').find((segment) => Object.hasOwn(METHODS, segment));
  const method =
    rest === undefined
      ? VERB_METHODS[request.method]
      : (named ?? (/^[0-9,]+$/.test(rest) ? RECORD_VERB_METHODS[request.method] : undefined));
  return {
    ...(clientId ? { clientId } : {}),
    ...(model ? { model: registry.get(model) ? model : 'other' } : {}),
    ...(method ? { method } : {}),
  };
}

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
  if (call.method.operation === 'create') {
    const [record] = await readRecords(deps, { model: model.model, ids });
    return { status: 201, model, data: record ?? null };
  }
  // A write's replay answers the records' tag as they are now, as its data shows them.
  const { records, fields } = await readStoredRecords(deps, { model: model.model, ids });
  const data = await renderRecords(deps, model, records, fields);
  const headers = { ETag: entityTagOf(model.model, records) };
  return { status: 200, model, data: onRecord ? (data[0] ?? null) : data, headers };
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
  const caller = await authenticatedCaller(deps, request);
  const plan = planFromContext(request.authorizer[PLAN_CONTEXT_KEY]);
  let meter: CallMeter | undefined;
  try {
    const { context, run, call } = await prepareCall(deps, request, caller);
    meter = deps.meter && startMeter(deps.meter, context, call, plan);
    const metered: ObjectContext =
      meter && call.method.operation && call.method.operation !== 'read' ? { ...context, meter: meter.rider } : context;
    const claim = claimOf(request, call, caller, deps);
    const ran = claim
      ? await runKeyedCall({
          deps: context.deps,
          claim,
          lookFirst: isMetaModel(context.model),
          write: (key) => run({ ...metered, key }),
          replay: (ids) => replayedAnswer(context, call, ids),
        })
      : await run(metered);
    // What the service keeps to itself (a subscription's sealed secret) leaves no answer, replays included.
    const result = withoutServiceFields(ran);
    // A 304 stays one: it says the client's copy is current, whatever the route's usual status.
    const answer = call.explicit && result.status !== 304 ? { ...result, status: 200 } : result;
    if (!meter) return answer;
    // A replay wrote nothing: its units go back, and the ledger counted nothing.
    const served = result.headers?.[REPLAYED_HEADER] === undefined;
    return { ...answer, headers: { ...answer.headers, ...(await meter.succeeded(served)) } };
  } catch (error) {
    if (meter) throw await meter.failed(error);
    // Refused before it was metered (its parameters, say): the plan's counts as they are.
    throw deps.meter ? withAnswerHeaders(error, await rateLimitHeadersNow(deps.meter, caller, plan)) : error;
  }
}

/** The call's meter, its units priced by the plan: per call, or per record written. */
function startMeter(meterDeps: MeterDeps, context: ObjectContext, call: Call, plan: Plan | undefined): CallMeter {
  const operation = call.method.operation;
  const kind = operation === undefined || operation === 'read' ? 'read' : 'write';
  const records =
    operation === 'write' || operation === 'unlink'
      ? call.recordId !== undefined
        ? 1
        : requiredIds(context.params).length
      : operation === 'create'
        ? 1
        : 0;
  return new CallMeter(meterDeps, {
    clientId: context.caller.clientId,
    plan,
    model: context.model.model,
    method: call.name,
    units: unitsOf(plan, call.name, records),
    kind,
  });
}

/** The RateLimit headers of an answer refused before metering; none if they cannot be read now. */
async function rateLimitHeadersNow(meterDeps: MeterDeps, caller: Caller, plan: Plan | undefined) {
  return currentRateLimitHeaders(meterDeps, caller.clientId, plan).catch(() => ({}));
}

/**
 * Everything a call needs before it runs, each refusal before anything is read or written: the
 * model, the method, the caller's rights, the parameters, the conditions.
 */
async function prepareCall(deps: ObjectDeps, request: ApiRequest, caller: Caller) {
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
  // A form body's fields are parameters as the query's are (Odoo's http layer hands both to the
  // route); any other body is a literal, JSON or XML (bodyParams).
  const form = isFormRequest(request);
  const body = form
    ? new Map<string, PyValue>()
    : bodyParams(request.body, request.headers.get('content-type'), call.method.params.includes('vals'));
  const params = bindParams(
    { method: call.name, params: call.method.params },
    request.query,
    body,
    form ? formFields(request) : undefined,
  );
  const conditions = requestConditions(request.headers, request.method);
  const explain = asksForPlan(request.headers.get(QUERY_PLAN_HEADER.toLowerCase()));
  const context: ObjectContext = { deps: requestDeps, access, caller, model, params, conditions, explain };
  // Deliveries are the service's to write, and a subscription's sealed secret is never read or written.
  checkServiceOnly(model, call.method.operation, {
    vals: () => valsOf(params),
    fields: () => stringListParam(params, 'fields'),
    domains: () => [domainParam(params), whereParam(params)],
    order: () => params.string('order'),
  });
  // Before anything is read, reserved or written: the rights on every other model the x2many
  // commands of a create or write act on (related-access.ts).
  if (call.method.operation === 'create' || call.method.operation === 'write')
    checkRelatedWriteAccess(access, registry, model, valsOf(params));
  // A write's `where` domain reads what a search's would: the same rights, and the same 400s.
  if (call.method.operation === 'write') checkDomainAccess(access, registry, model, whereParam(params));
  const run = (runContext: ObjectContext) => {
    const ids = () => (call.recordId !== undefined ? [call.recordId] : requiredIds(params));
    const runWith = (vals?: Map<string, PyValue>) =>
      call.run(
        vals
          ? { ...runContext, params: runContext.params.with('vals', vals, 'the vals as completed by the server') }
          : runContext,
      );
    if (isWebhookModel(model)) {
      const subscriptionDeps = {
        records: requestDeps,
        ...(deps.catalog ? { catalog: deps.catalog } : {}),
        ...(deps.keys ? { keys: deps.keys } : {}),
        localTargets: deps.webhookLocalTargets ?? false,
      };
      return changeSubscriptions(subscriptionDeps, {
        operation: call.method.operation,
        ids,
        vals: () => valsOf(params),
        run: runWith,
      });
    }
    if (!deps.catalog || !isMetaModel(model)) return call.run(runContext);
    return changeDefinitions(deps.catalog, requestDeps, {
      model,
      operation: call.method.operation,
      ids,
      vals: () => valsOf(params),
      run: runWith,
    });
  };
  return { context, run, call };
}
