/**
 * The parameters of one object-API call, wherever the client put them: query names, the fields of
 * a form body (application/x-www-form-urlencoded, as Python's `requests.put(url, data={...})`
 * sends them; read like query text), the keys of any other body, and the method's positional
 * `args` and keyword `kwargs`, which the original hands on
 * as `getattr(records, method)(*args, **kwargs)`. Positional and keyword arguments are mapped
 * onto the method's Odoo signature (`args=[[('code','=','BE')], ['name']]` on search_read is its
 * `domain` and `fields`), so the routes read every parameter by its name, however it came.
 *
 * A parameter comes from one place only. Two places (a position and a keyword, a query name and a
 * form field or a body key...) is a 400 naming it, as Python's TypeError names it, rather than a guess at which
 * one was meant; so is an unknown keyword or one positional argument too many.
 *
 * Then each parameter's reader: ids, vals, names, integers, the domain and the search options, each
 * a 400 naming the parameter when it is not what the method takes.
 */
import {
  BadRequestError,
  InvalidIdsError,
  InvalidLiteralError,
  PayloadTooLargeError,
  UriTooLongError,
  paramGivenTwice,
} from '../errors';
import { formPairs, mediaTypeOf, type ApiRequest } from '../http';
import type { ModelDef } from '../models/registry';
import { parseOrder } from '../records';
import { parseLiteralParam, parseVals } from '../wire/literal';
import type { PyDict, PyValue } from '../wire/pyvalue';
import { isXmlBody, parseXmlBody } from '../wire/xml-body';

/** A parameter as a route reads it: query text still to be parsed, or a value already parsed. */
export type ParamInput = { readonly text: string } | { readonly value: PyValue };

/** Where a parameter came from; `where` says so in messages. */
type Source =
  { readonly texts: readonly string[]; readonly where: string } | { readonly value: PyValue; readonly where: string };

/** An Odoo method's parameters in order; each can be given by position or by keyword, as in Python. */
export interface MethodSignature {
  readonly method: string;
  readonly params: readonly string[];
}

/** Every method also takes `context` as a keyword: Odoo's execute_kw applies it around the call. */
const ALWAYS_KEYWORDS: readonly string[] = ['context'];

/** Bounds a body (the literal and XML parsers' own bound); larger payloads are a 413, not a parse error. */
export const MAX_BODY_LENGTH = 100_000;

/** Keys that make a dict body a dict of parameters rather than the vals themselves. */
const PARAMETER_BODY_KEYS = ['vals', 'args', 'kwargs'];

/**
 * The parameters a request body carries, as the original reads them. An XML body gives one, named
 * by its root (`<vals>`, `<args>`, `<kwargs>`). A dict body (JSON, JSON5 or a Python literal)
 * gives its keys; for a method that takes vals (create, write) a dict with none of the keys vals,
 * args or kwargs is the vals itself, the common way to send them.
 */
export function bodyParams(
  body: string | undefined,
  contentType: string | undefined,
  takesVals: boolean,
): Map<string, PyValue> {
  if (body === undefined || body.trim() === '') return new Map();
  if (body.length > MAX_BODY_LENGTH)
    throw new PayloadTooLargeError(`The body is longer than ${MAX_BODY_LENGTH} characters`);
  if (isXmlBody(body, contentType)) {
    const { root, value } = parseXmlBody(body);
    return new Map([[root, value]]);
  }
  if (mediaTypeOf(contentType) === 'multipart/form-data')
    throw new BadRequestError(
      'multipart/form-data bodies are not read here: send the fields as application/x-www-form-urlencoded, or a JSON body',
    );
  const parsed = parseBody(body, contentType);
  if (!(parsed instanceof Map)) {
    throw new BadRequestError(
      takesVals
        ? "The body must be a dict: the vals themselves, or {'vals': {...}}"
        : "The body must be a dict of parameters, e.g. {'args': [...], 'kwargs': {...}}, or XML with the root <args> or <kwargs>",
    );
  }
  if (takesVals && !PARAMETER_BODY_KEYS.some((key) => parsed.has(key))) return new Map([['vals', parsed]]);
  return parsed;
}

/** `name=value&...`: what a form looks like, which a literal, JSON or XML body never does. */
const FORM_LIKE = /^[^\s&=]+=[^\s&]*(?:&[^\s&=]+=[^\s&]*)*$/;

/** A media type fit to be shown back in a message (a client's header otherwise is not echoed). */
const SHOWABLE_MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,40}\/[a-z0-9!#$&^_.+-]{1,40}$/;

/**
 * A body that is not XML: a Python literal, JSON or JSON5. A body without a form Content-Type is
 * never taken for a form (werkzeug reads form fields by the Content-Type alone, and so does the
 * OAuth 1.0a signature), so one that looks like a form — sent without a Content-Type (Python's
 * `requests` with `data='a=b'`), as text/plain (fetch with a string), or mislabelled — is refused
 * saying so.
 */
function parseBody(body: string, contentType: string | undefined): PyValue {
  try {
    return parseLiteralParam(body, 'body');
  } catch (error) {
    if (!(error instanceof InvalidLiteralError) || !FORM_LIKE.test(body.trim())) throw error;
    const mediaType = mediaTypeOf(contentType);
    const sentAs =
      mediaType === ''
        ? 'has no Content-Type'
        : SHOWABLE_MEDIA_TYPE.test(mediaType)
          ? `is sent as ${mediaType}`
          : 'is sent with another Content-Type';
    throw new BadRequestError(
      `The body looks form-encoded but ${sentAs}: send it with 'Content-Type: application/x-www-form-urlencoded' (such a body is read as a Python literal, JSON or XML)`,
    );
  }
}

/** The fields of a form body (lib/http's formPairs), by name, every value kept; none without a form body. */
export function formFields(request: Pick<ApiRequest, 'headers' | 'body'>): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  if (request.body !== undefined && request.body.length > MAX_BODY_LENGTH)
    throw new PayloadTooLargeError(`The body is longer than ${MAX_BODY_LENGTH} characters`);
  for (const [name, value] of formPairs(request) ?? []) fields.set(name, [...(fields.get(name) ?? []), value]);
  return fields;
}

/** RFC 5849's protocol parameters (oauth_*): the signature's business, never a method's parameter. */
const isOAuthProtocolParameter = (name: string) => name.startsWith('oauth_');

/**
 * Puts together the parameters of a call to `signature.method`: the query's, the body's (from
 * bodyParams), and `args`/`kwargs` (from either) mapped onto the signature.
 * @throws BadRequestError for a parameter given twice, an unknown keyword, too many positional
 * arguments, or args/kwargs that are not a list/dict.
 */
export function bindParams(
  signature: MethodSignature,
  query: ReadonlyMap<string, readonly string[]>,
  body: ReadonlyMap<string, PyValue>,
  form: ReadonlyMap<string, readonly string[]> = new Map(),
): CallParams {
  const sources = new Map<string, Source>();
  for (const [name, texts] of query) sources.set(name, { texts, where: `the query parameter '${name}'` });
  // Form fields are parameters as query ones are (Odoo's http layer merges them), text to parse alike.
  for (const [name, texts] of form) {
    if (isOAuthProtocolParameter(name)) continue;
    if (sources.has(name))
      throw new BadRequestError(`Parameter '${name}' is given more than once: in the query and in the form body`);
    sources.set(name, { texts, where: `the form field '${name}'` });
  }
  for (const [name, value] of body) {
    if (sources.has(name))
      throw new BadRequestError(`Parameter '${name}' is given twice: in the query and in the body`);
    sources.set(name, { value, where: `the body's '${name}'` });
  }
  const { method, params } = signature;
  const add = (name: string, source: Source): void => {
    const earlier = sources.get(name);
    if (earlier !== undefined)
      throw new BadRequestError(
        `${method}() got multiple values for argument '${name}': ${earlier.where} and ${source.where}`,
      );
    sources.set(name, source);
  };

  // name_search has a parameter of its own called args (a domain); there, args means that one.
  const positional = params.includes('args') ? [] : argsList(takeOut(sources, 'args'));
  if (positional.length > params.length) {
    const given = `${positional.length} ${positional.length === 1 ? 'was' : 'were'} given`;
    throw new BadRequestError(
      params.length === 0
        ? `${method}() takes no positional arguments but ${given}`
        : `${method}() takes at most ${params.length} positional argument${params.length === 1 ? '' : 's'} (${params.join(', ')}) but ${given}`,
    );
  }
  positional.forEach((value, index) => add(params[index] as string, { value, where: `args[${index}]` }));
  for (const [name, value] of kwargsDict(takeOut(sources, 'kwargs'))) {
    if (!params.includes(name) && !ALWAYS_KEYWORDS.includes(name)) {
      const known = [...params, ...ALWAYS_KEYWORDS].join(', ');
      throw new BadRequestError(`${method}() got an unexpected keyword argument '${name}'; it takes ${known}`);
    }
    add(name, { value, where: `kwargs['${name}']` });
  }
  return new CallParams(sources);
}

/** Removes `args` or `kwargs` from the sources and gives its value, parsed. */
function takeOut(sources: Map<string, Source>, name: 'args' | 'kwargs'): PyValue | undefined {
  const source = sources.get(name);
  sources.delete(name);
  if (source === undefined) return undefined;
  if (!('texts' in source)) return source.value;
  if (source.texts.length > 1) throw paramGivenTwice(name);
  const [text] = source.texts;
  return text === undefined ? undefined : parseLiteralParam(text, name);
}

function argsList(value: PyValue | undefined): readonly PyValue[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new BadRequestError(
      "'args' must be a list of the method's positional arguments, e.g. args=[[('name','=','x')]]",
    );
  return value;
}

function kwargsDict(value: PyValue | undefined): PyDict {
  if (value === undefined) return new Map();
  if (!(value instanceof Map))
    throw new BadRequestError("'kwargs' must be a dict of keyword arguments, e.g. kwargs={'limit': 5}");
  return value;
}

/** The bound parameters of one call, read by name. */
export class CallParams {
  constructor(private readonly sources: ReadonlyMap<string, Source>) {}

  /** The parameter as it came; a query parameter given twice is ambiguous, hence a 400. */
  get(name: string): ParamInput | undefined {
    const source = this.sources.get(name);
    if (source === undefined) return undefined;
    if (!('texts' in source)) return { value: source.value };
    if (source.texts.length > 1) throw paramGivenTwice(name);
    const [text] = source.texts;
    return text === undefined ? undefined : { text };
  }

  /** These parameters with `name` set to `value`, which the server gave it (`where` says so in errors). */
  with(name: string, value: PyValue, where: string): CallParams {
    const source: Source = { value, where };
    return new CallParams(new Map([...this.sources, [name, source]]));
  }

  /** The parameter's value: query text parsed as a Python literal (or JSON), other values as they are. */
  literal(name: string): PyValue | undefined {
    const input = this.get(name);
    if (input === undefined) return undefined;
    return 'text' in input ? parseLiteralParam(input.text, name) : input.value;
  }

  /**
   * A parameter whose value is a string (`name`, `order`, `operator`...), as the original reads it:
   * the text's Python literal (or JSON) if it is one (`name='x'` is x, `name=False` is False), else
   * the text itself (`name=Edward Smith`, `order=name asc`, `operator=ilike`), which eval and
   * json.loads both refused. Values that came parsed (body keys, args, kwargs) are as they came.
   */
  stringLiteral(name: string): PyValue | undefined {
    const input = this.get(name);
    if (input === undefined) return undefined;
    if (!('text' in input)) return input.value;
    try {
      return parseLiteralParam(input.text, name);
    } catch (error) {
      if (error instanceof InvalidLiteralError) return input.text;
      throw error;
    }
  }

  /**
   * A string parameter (see stringLiteral) whose None or False means no value (`order`,
   * `operator`); any other value that is not a str is a 400.
   */
  string(name: string): string | undefined {
    const value = this.stringLiteral(name);
    if (value === undefined || value === null || value === false) return undefined;
    if (typeof value === 'string') return value;
    throw new BadRequestError(`'${name}' must be a string`);
  }

  /** A parameter that is opaque text (`cursor`): query text as it is, or a str value; None is no value. */
  text(name: string): string | undefined {
    const input = this.get(name);
    if (input === undefined) return undefined;
    if ('text' in input) return input.text;
    if (input.value === null) return undefined;
    if (typeof input.value === 'string') return input.value;
    throw new BadRequestError(`'${name}' must be a string`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the parameters

/** Odoo ids are PostgreSQL int4 serials. */
const MAX_ID = 2 ** 31 - 1;
const ID = /^[1-9][0-9]*$/;

/**
 * `ids=17,20`: a comma-separated list of positive integers (spaces around them allowed).
 * Duplicates collapse, keeping the first position. Anything else is a 400 that names the element.
 */
export function parseIds(text: string): number[] {
  if (text.trim() === '') throw new InvalidIdsError("'ids' is empty: give comma-separated record ids, e.g. ids=17,20");
  const ids: number[] = [];
  const seen = new Set<number>();
  text.split(',').forEach((raw, index) => {
    const element = raw.trim();
    const id = ID.test(element) ? Number(element) : NaN;
    if (!(id <= MAX_ID)) {
      const shown = element.length > 20 ? `${element.slice(0, 20)}...` : element;
      throw new InvalidIdsError(
        `Invalid 'ids': element ${index + 1} (${JSON.stringify(shown)}) is not a positive integer id; expected comma-separated ids, e.g. ids=17,20`,
      );
    }
    if (!seen.has(id)) {
      seen.add(id);
      ids.push(id);
    }
  });
  return ids;
}

/**
 * `ids` given as a value rather than query text (a body key): a list of ids, one id, or the same
 * comma-separated text as in the query. The elements must be ints; they are checked as parseIds does.
 */
export function idsFromValue(value: PyValue): number[] {
  if (typeof value === 'string') return parseIds(value);
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) throw new InvalidIdsError("'ids' is empty: give record ids, e.g. [17, 20]");
  return parseIds(
    items
      .map((item, index) => {
        if (typeof item === 'number' || typeof item === 'bigint') return String(item);
        throw new InvalidIdsError(
          `Invalid 'ids': element ${index + 1} is not a positive integer id; expected a list of ids, e.g. [17, 20]`,
        );
      })
      .join(','),
  );
}

/** `ids=17,20` in the query, or ids in the body (a list, one id, or the same text). */
export function idsParam(params: CallParams): number[] | undefined {
  const input = params.get('ids');
  if (input === undefined) return undefined;
  return 'text' in input ? parseIds(input.text) : idsFromValue(input.value);
}

export function requiredIds(params: CallParams): number[] {
  const ids = idsParam(params);
  if (ids === undefined) throw new BadRequestError("Parameter 'ids' is required, e.g. ids=17,20");
  return ids;
}

/**
 * API Gateway (REST, regional) refuses URLs over 10,240 characters with its own 414; the same limit
 * here keeps a local run and the tests honest about what a deployed API accepts.
 */
export const MAX_QUERY_LENGTH = 10_240;

export function checkQueryLength(request: ApiRequest): void {
  let length = 0;
  for (const [name, values] of request.query) for (const value of values) length += name.length + value.length + 2;
  if (length > MAX_QUERY_LENGTH) {
    throw new UriTooLongError(
      `The query string is longer than ${MAX_QUERY_LENGTH} characters; API Gateway refuses such URLs`,
    );
  }
}

/** A list of names (`fields`, `allfields`, `attributes`, `fields_list`...); one name alone is accepted too. */
export function stringListParam(params: CallParams, name: string): string[] | undefined {
  const value = params.literal(name);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) return value;
  throw new BadRequestError(`'${name}' must be a list of names, e.g. ${name}=['name','country_id']`);
}

/** The `{id}` path segment: one positive integer id. */
export function pathId(segment: string): number {
  if (segment.includes(','))
    throw new BadRequestError(`Invalid record id '${segment}' in the path; give several ids with ?ids=17,20`);
  const [id] = parseIds(segment);
  return id as number;
}

const VALS_EXAMPLE = "vals={'street2':'Chung Hsiao East Road'}";

/** `vals`: a dict, from the query, the body (see bodyParams), args or kwargs. */
export function valsOf(params: CallParams): Map<string, PyValue> {
  const input = params.get('vals');
  if (input === undefined) throw new BadRequestError(`Parameter 'vals' is required, e.g. ${VALS_EXAMPLE}`);
  if ('text' in input) return parseVals(input.text);
  if (!(input.value instanceof Map))
    throw new BadRequestError("'vals' must be a dict of field names to values, e.g. {'name': 'x'}");
  return input.value;
}

/** Without a domain, a page holds this many records unless `limit` says otherwise. */
export const DEFAULT_LIMIT = 80;
/** The most records one page may hold; more pages with `cursor` (or `offset`). */
export const MAX_LIMIT = 1000;

/**
 * A non-negative integer parameter (`offset`, `limit`), as a literal or plain digits; None, False
 * or nothing is no value.
 */
export function intParam(params: CallParams, name: string, min: number, max: number): number | undefined {
  const input = params.get(name);
  if (input === undefined || ('text' in input && input.text === '')) return undefined;
  const value = params.literal(name);
  if (value === null || value === false) return undefined;
  if (typeof value !== 'number' || value < min || value > max)
    throw new BadRequestError(`'${name}' must be an integer from ${min} to ${max}`);
  return value;
}

/** `context={'active_test': False}`: the one context key a search honours here. */
export function activeTestOf(params: CallParams): boolean {
  const context = params.literal('context');
  if (context === undefined || context === null) return true;
  if (!(context instanceof Map))
    throw new BadRequestError("'context' must be a dict, e.g. context={'active_test': False}");
  return context.get('active_test') !== false;
}

/** `domain=[('name','ilike','a')]`, as its literal (None is no domain); the domain module checks its shape. */
export function domainParam(params: CallParams): PyValue | undefined {
  return params.literal('domain') ?? undefined;
}

/** The search parameters shared by search and search_read. */
export function searchParams(params: CallParams, model: ModelDef) {
  const domain = domainParam(params);
  const limit = intParam(params, 'limit', 1, MAX_LIMIT) ?? (domain === undefined ? DEFAULT_LIMIT : MAX_LIMIT);
  return {
    model,
    domain,
    limit,
    offset: intParam(params, 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0,
    order: parseOrder(model, params.string('order')),
    cursor: params.text('cursor'),
    activeTest: activeTestOf(params),
  };
}

/**
 * `where=[domain]` on a write: every written record must match it as read, else 412 and nothing
 * written (lib/records/write.ts). A domain as `domain` is: parsed and checked (the same 400s) when
 * the router checks the read rights it needs (related-access.ts checkDomainAccess).
 */
export function whereParam(params: CallParams): PyValue | undefined {
  const where = params.literal('where') ?? undefined;
  if (where !== undefined && !Array.isArray(where))
    throw new BadRequestError("'where' must be a domain list, e.g. where=[('credit_limit', '>=', 100)]");
  return where;
}
