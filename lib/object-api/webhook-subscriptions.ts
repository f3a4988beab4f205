/**
 * Webhook subscriptions (issue 12, "Out to webhooks") through the object API: `ir.webhook` records,
 * which administrators create, write and delete as any model's, with the rules the delivery engine
 * (lib/webhooks) relies on checked before anything is written:
 * - `model` names a model this service knows, other than the webhook models themselves (a delivery
 *   recorded would be a change that yields a delivery);
 * - `url` passes the SSRF guard (lib/webhooks/address-guard.ts; the sender checks the resolved
 *   addresses again at each attempt);
 * - `fields` lists fields of `model`, and `domain` is a domain on `model` that the engine can
 *   evaluate on the changed record alone: no dotted path, 'any', name search or hierarchy, which
 *   would read other models at delivery time;
 * - the signing secret is generated here, stored sealed (`secret_sealed`), and answered once, as
 *   `secret` in the create's answer. The sealed value is the service's own: never shown (reads and
 *   answers leave it out, as Odoo's read leaves out a field the user may not access) and never
 *   written by a client (Odoo's field AccessError).
 * `ir.webhook.delivery` records are written by the delivery engine only: administrators read them.
 */
import type { KeyRing } from '../auth/keys';
import { AccessDeniedError, InvalidValueError } from '../errors';
import type { ApiResult } from '../http';
import type { Operation } from '../models/access';
import type { ModelCatalog } from '../models/catalog';
import type { ModelDef, ModelRegistry } from '../models/registry';
import { SEALED_SECRET_FIELD, serviceFieldsOf } from '../models/service-fields';
import { readStoredRecords, type RecordsDeps } from '../records';
import { parseDomain, subpathLeaves, type ResolvableNode } from '../records/search/domain';
import { checkTargetUrl } from '../webhooks/address-guard';
import { newSigningSecret } from '../webhooks/signature';
import { parseLiteralParam } from '../wire/literal';
import type { PyDict, PyValue } from '../wire/pyvalue';

export const WEBHOOK_MODEL = 'ir.webhook';
export const DELIVERY_MODEL = 'ir.webhook.delivery';
/** Where the sealed signing secret is kept on an ir.webhook record (a service-only field). */
export { SEALED_SECRET_FIELD };
/** The key of the clear secret in the create's answer. */
export const SECRET_ANSWER_KEY = 'secret';
/**
 * The associated data the secret is sealed with: the model, not the record (whose id is not known
 * before the create commits). A sealed secret copied into another kind of record does not open.
 */
export const SECRET_ASSOCIATED_DATA = WEBHOOK_MODEL;

/** The subscription fields whose values depend on the target model. */
const TARGET_DEPENDENT = ['fields', 'domain'] as const;

export const isWebhookModel = (model: ModelDef): boolean => model.model === WEBHOOK_MODEL;
export const isDeliveryModel = (model: ModelDef): boolean => model.model === DELIVERY_MODEL;
/** A model a subscription may not watch: its own records, or the deliveries its changes make. */
const isWebhookModelName = (name: string): boolean => name === WEBHOOK_MODEL || name.startsWith(`${WEBHOOK_MODEL}.`);

const OPERATION_WORDS: Readonly<Record<Operation, string>> = {
  read: 'read',
  write: 'modify',
  create: 'create',
  unlink: 'delete',
};

/** Odoo 17's AccessError for fields a user may not access (models.py check_field_access_rights), and why. */
function fieldAccessError(model: ModelDef, fields: readonly string[], operation: 'read' | 'write'): AccessDeniedError {
  return new AccessDeniedError(
    `You do not have enough rights to access the fields "${fields.join(',')}" on ${model.description} ` +
      `(${model.model}). Please contact your system administrator.\n\n(Operation: ${operation})\n\n` +
      "The signing secret is generated and sealed by the service: it is shown once, as 'secret' in the " +
      "create's answer, and is never read or written through the API. To change it, create a new subscription.",
  );
}

/** What a call names that the service-only rules look at, each read only when needed. */
export interface NamedInCall {
  readonly vals: () => ReadonlyMap<string, PyValue>;
  /** The `fields` parameter of a read (undefined when not given). */
  readonly fields: () => readonly string[] | undefined;
  /** The domains the call searches or conditions on (`domain`, a write's `where`), as given. */
  readonly domains: () => readonly (PyValue | undefined)[];
  /** The `order` parameter's text. */
  readonly order: () => string | undefined;
}

/** The fields a domain's own terms name (the first step of a dotted path); other models' terms are not ours. */
function domainFieldNames(domain: PyValue | undefined): string[] {
  if (!Array.isArray(domain)) return [];
  return domain.flatMap((term) =>
    Array.isArray(term) && typeof term[0] === 'string' ? [term[0].split('.')[0] as string] : [],
  );
}

/** The fields an `order` text names. */
const orderFieldNames = (order: string | undefined): string[] =>
  (order ?? '').split(',').map((part) => part.trim().split(/\s+/)[0] as string);

/**
 * The refusals that need nothing read (403, Odoo's AccessError, before anything is read or
 * written): a create, write or unlink of a delivery; a service-only field in a create's or write's
 * vals or in a read's `fields`.
 */
export function checkServiceOnly(model: ModelDef, operation: Operation | undefined, named: NamedInCall): void {
  if (isDeliveryModel(model) && (operation === 'create' || operation === 'write' || operation === 'unlink')) {
    throw new AccessDeniedError(
      `You are not allowed to ${OPERATION_WORDS[operation]} '${model.description}' (${model.model}) records.\n\n` +
        'Deliveries are recorded by the service as it sends webhooks; they can be read and searched, not changed. ' +
        `To stop deliveries, archive or delete the subscription (${WEBHOOK_MODEL}).`,
    );
  }
  const hidden = serviceFieldsOf(model.model);
  if (hidden === undefined || operation === undefined) return;
  const written = operation === 'create' || operation === 'write' ? [...named.vals().keys()] : [];
  const refusedWrite = written.filter((name) => hidden.has(name));
  if (refusedWrite.length > 0) throw fieldAccessError(model, refusedWrite, 'write');
  // Searched or sorted by, a sealed value could be read out a character at a time (=like 'v1.a%').
  const read = [
    ...(operation === 'read' ? (named.fields() ?? []) : []),
    ...named.domains().flatMap(domainFieldNames),
    ...orderFieldNames(named.order()),
  ];
  const refusedRead = [...new Set(read.filter((name) => hidden.has(name)))];
  if (refusedRead.length > 0) throw fieldAccessError(model, refusedRead, 'read');
}

/** One record, or each record of a list, without the fields the service keeps to itself. */
function withoutFields(data: PyValue, hidden: ReadonlySet<string>): PyValue {
  if (data instanceof Map) return new Map([...data].filter(([name]) => !hidden.has(name)));
  if (Array.isArray(data)) return data.map((item) => (item instanceof Map ? withoutFields(item, hidden) : item));
  return data;
}

/**
 * An answer about a model's records without its service-only fields: records read, written or
 * created (one or a list), and fields_get's descriptions (keyed by field name too), as Odoo's read
 * and fields_get leave out the fields the user may not access. Other answers are as they are.
 */
export function withoutServiceFields(result: ApiResult): ApiResult {
  if (!('model' in result)) return result;
  const hidden = serviceFieldsOf(result.model.model);
  return hidden === undefined ? result : { ...result, data: withoutFields(result.data, hidden) };
}

// ---------------------------------------------------------------------------------------------
// Validation

/** What a subscription's values are checked against. */
export interface SubscriptionRules {
  /** The models a subscription may watch: the registry with the custom models (see registryFor). */
  readonly registry: ModelRegistry;
  /** The local stage: http and loopback targets allowed (WEBHOOK_LOCAL_TARGETS). */
  readonly localTargets: boolean;
}

/** A subscription's values as stored: what a write leaves as it is comes from the record. */
export interface StoredSubscription {
  readonly model?: PyValue;
  readonly fields?: PyValue;
  readonly domain?: PyValue;
}

const describe = (value: PyValue): string =>
  typeof value === 'string'
    ? `'${value}'`
    : value instanceof Map
      ? 'a dict'
      : Array.isArray(value)
        ? 'a list'
        : String(value);

/** A char value of `vals`: the text, or undefined for False/None/'' (no value). Any other type is a 403. */
function textOf(field: string, value: PyValue): string | undefined {
  if (value === null || value === false) return undefined;
  if (typeof value !== 'string')
    throw new InvalidValueError(
      `Wrong value for ${WEBHOOK_MODEL}.${field}: ${describe(value)}; expected a string or False` +
        (field === 'domain' ? ", e.g. \"[('is_company', '=', True)]\"" : ''),
    );
  return value.trim() === '' ? undefined : value;
}

/** The watched model: one the registry knows, and not a webhook model. */
function targetModel(name: string, registry: ModelRegistry): ModelDef {
  if (isWebhookModelName(name))
    throw new InvalidValueError(
      `Wrong value for ${WEBHOOK_MODEL}.model: '${name}' cannot be watched; subscriptions and deliveries send no webhooks`,
    );
  const model = registry.get(name);
  if (model === undefined)
    throw new InvalidValueError(
      `Wrong value for ${WEBHOOK_MODEL}.model: no model '${name}'; give a model's technical name, e.g. 'res.partner'`,
    );
  return model;
}

/** `fields`: comma-separated names of fields of `model`, returned trimmed, in order and once each. */
export function checkFieldList(text: string, model: ModelDef): string | false {
  const names = [...new Set(text.split(',').map((name) => name.trim()))].filter((name) => name !== '');
  const unknown = names.filter((name) => !model.fieldsByName.has(name));
  if (unknown.length > 0)
    throw new InvalidValueError(
      `Wrong value for ${WEBHOOK_MODEL}.fields: ${unknown.map((name) => `'${name}'`).join(', ')} ` +
        `${unknown.length === 1 ? 'is not a field' : 'are not fields'} of ${model.model}; ` +
        "give comma-separated field names, e.g. 'name,email', or nothing for every field",
    );
  return names.length === 0 ? false : names.join(',');
}

/** How a term that needs another model's records reads them, for the refusal's message. */
function termNeedingReads(node: ResolvableNode): string {
  if (node.kind === 'any') return `the term on '${node.field.name}' follows a relation (a dotted path or 'any')`;
  if (node.operator === 'child_of' || node.operator === 'parent_of')
    return `the term '${node.field.name} ${node.operator}' walks a hierarchy`;
  return `the term on '${node.field.name}' compares a name with a relation (a name search on ${node.field.relation})`;
}

/**
 * `domain`: a domain literal on `model`, parsed as search's `domain` parameter is (the same 400s for
 * text that does not parse, the same 403 for an unknown field), whose terms the delivery engine can
 * evaluate on the changed record's own values. An empty list stays (it filters nothing).
 */
export function checkSubscriptionDomain(text: string, model: ModelDef, registry: ModelRegistry): void {
  const node = parseDomain(parseLiteralParam(text, 'domain'), model, registry);
  const [reads] = subpathLeaves(node);
  if (reads !== undefined)
    throw new InvalidValueError(
      `Wrong value for ${WEBHOOK_MODEL}.domain: ${termNeedingReads(reads)}. A subscription's domain is evaluated ` +
        'on the changed record alone when its change is delivered, so it cannot follow dotted paths, use ' +
        "'any', child_of or parent_of, or compare names with relational fields: these would read other models " +
        "at delivery time. Compare the record's own fields, e.g. [('country_id', '=', 21)]",
    );
}

/**
 * Checks the subscription values a create or write gives (`vals`), with what the record holds for
 * the others (`stored`, on a write), and answers the vals to write: `fields` trimmed (False when it
 * names none), empty texts as False. Only the values given are checked, but a change of `model`
 * checks the record's `fields` and `domain` against the new model. A required value left out or
 * cleared is left to the records core (its 403).
 */
export function checkSubscriptionVals(
  vals: ReadonlyMap<string, PyValue>,
  rules: SubscriptionRules,
  stored: StoredSubscription = {},
): Map<string, PyValue> {
  const out = new Map(vals);
  const url = vals.has('url') ? textOf('url', vals.get('url') as PyValue) : undefined;
  if (url !== undefined) {
    const reason = checkTargetUrl(url, { local: rules.localTargets });
    if (reason !== undefined)
      throw new InvalidValueError(
        `Wrong value for ${WEBHOOK_MODEL}.url: ${reason}` +
          (rules.localTargets ? '' : ' (an https URL on a public address, e.g. https://hooks.example.com/odoo)'),
      );
  }
  const givenModel = vals.has('model') ? textOf('model', vals.get('model') as PyValue) : undefined;
  const modelName = vals.has('model') ? givenModel : typeof stored.model === 'string' ? stored.model : undefined;
  const model = modelName === undefined ? undefined : targetModel(modelName, rules.registry);
  // Without a model (left out, or cleared: the core refuses both) there is nothing to check them against.
  if (model === undefined) return out;
  for (const name of TARGET_DEPENDENT) {
    const given = vals.has(name);
    if (!given && !vals.has('model')) continue;
    const raw = given ? (vals.get(name) as PyValue) : (stored[name] ?? null);
    const text = given ? textOf(name, raw) : typeof raw === 'string' && raw.trim() !== '' ? raw : undefined;
    if (text === undefined) {
      if (given) out.set(name, false);
      continue;
    }
    if (name === 'fields') {
      const list = checkFieldList(text, model);
      if (given) out.set(name, list);
    } else {
      checkSubscriptionDomain(text, model, rules.registry);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The calls

export interface SubscriptionDeps {
  /** The request's records dependencies (its budgeted store, its registry). */
  readonly records: RecordsDeps;
  /** The custom models, reloaded when a subscription names one this instance has not seen yet. */
  readonly catalog?: ModelCatalog;
  /** Seals the signing secret; without it (a function that holds no key) a create is refused. */
  readonly keys?: () => Promise<KeyRing>;
  readonly localTargets: boolean;
}

/** A create, write or unlink of ir.webhook (or any other call on it), its parameters read when needed. */
export interface SubscriptionCall {
  readonly operation: Operation | undefined;
  readonly ids: () => number[];
  readonly vals: () => Map<string, PyValue>;
  /** The call itself, with these vals if given. */
  readonly run: (vals?: Map<string, PyValue>) => Promise<ApiResult>;
}

/** The registry that knows the model a subscription names, custom ones included. */
async function rulesFor(deps: SubscriptionDeps, modelName: PyValue | undefined): Promise<SubscriptionRules> {
  const registry =
    deps.catalog && typeof modelName === 'string' && deps.records.registry.get(modelName) === undefined
      ? await deps.catalog.registryFor(modelName)
      : deps.records.registry;
  return { registry, localTargets: deps.localTargets };
}

/**
 * Runs a call on ir.webhook: a create or write checked first (nothing written when refused); a
 * create given its sealed signing secret, and answered with the clear one as `secret`.
 */
export async function changeSubscriptions(deps: SubscriptionDeps, call: SubscriptionCall): Promise<ApiResult> {
  if (call.operation === 'create') return createSubscription(deps, call);
  if (call.operation === 'write') return call.run(await checkedWrite(deps, call));
  return call.run();
}

async function createSubscription(deps: SubscriptionDeps, call: SubscriptionCall): Promise<ApiResult> {
  const given = call.vals();
  const vals = checkSubscriptionVals(given, await rulesFor(deps, given.get('model')));
  if (!deps.keys)
    throw new AccessDeniedError(
      `${WEBHOOK_MODEL} records are created through the HTTP API: this function holds no key to seal their signing secret`,
    );
  const secret = newSigningSecret();
  const { secretBox } = await deps.keys();
  vals.set(SEALED_SECRET_FIELD, secretBox.seal(secret, SECRET_ASSOCIATED_DATA));
  const result = await call.run(vals);
  if (!('model' in result) || !(result.data instanceof Map)) return result;
  const data: PyDict = new Map([...result.data, [SECRET_ANSWER_KEY, secret]]);
  return { ...result, data };
}

/** A write's vals, checked against each record it writes (read first when the check needs its values). */
async function checkedWrite(deps: SubscriptionDeps, call: SubscriptionCall): Promise<Map<string, PyValue> | undefined> {
  const vals = call.vals();
  if (!['url', 'model', ...TARGET_DEPENDENT].some((name) => vals.has(name))) return undefined;
  const needsRecords = ['model', ...TARGET_DEPENDENT].some((name) => vals.has(name));
  if (!needsRecords) return checkSubscriptionVals(vals, await rulesFor(deps, undefined));
  const { records } = await readStoredRecords(deps.records, { model: WEBHOOK_MODEL, ids: call.ids() });
  let checked: Map<string, PyValue> | undefined;
  for (const record of records) {
    const stored: StoredSubscription = {
      model: record.values.model ?? null,
      fields: record.values.fields ?? null,
      domain: record.values.domain ?? null,
    };
    const modelName = vals.has('model') ? vals.get('model') : stored.model;
    try {
      checked = checkSubscriptionVals(vals, await rulesFor(deps, modelName ?? undefined), stored);
    } catch (error) {
      // Several records: say which one the values do not fit (its own fields or domain, say).
      if (records.length > 1 && error instanceof InvalidValueError)
        throw new InvalidValueError(`${WEBHOOK_MODEL}(${record.id}): ${error.message}`, { cause: error });
      throw error;
    }
  }
  return checked;
}
