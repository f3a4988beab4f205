/**
 * The parameters of one object-API call, wherever the client put them: query names, the keys of
 * the body, and the method's positional `args` and keyword `kwargs`, which the original hands on
 * as `getattr(records, method)(*args, **kwargs)`. Positional and keyword arguments are mapped
 * onto the method's Odoo signature (`args=[[('code','=','BE')], ['name']]` on search_read is its
 * `domain` and `fields`), so the routes read every parameter by its name, however it came.
 *
 * A parameter comes from one place only. Two places (a position and a keyword, a query name and a
 * body key...) is a 400 naming it, as Python's TypeError names it, rather than a guess at which
 * one was meant; so is an unknown keyword or one positional argument too many.
 */
import { BadRequestError, PayloadTooLargeError, paramGivenTwice } from '../errors';
import { parseLiteralParam } from '../wire/literal';
import type { PyDict, PyValue } from '../wire/pyvalue';
import { isXmlBody, parseXmlBody } from '../wire/xml-body';

/** A parameter as a route reads it: query text still to be parsed, or a value already parsed. */
export type ParamInput = { readonly text: string } | { readonly value: PyValue };

/** Where a parameter came from; `where` says so in messages. */
type Source = { readonly texts: readonly string[]; readonly where: string } | { readonly value: PyValue; readonly where: string };

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
export function bodyParams(body: string | undefined, contentType: string | undefined, takesVals: boolean): Map<string, PyValue> {
  if (body === undefined || body.trim() === '') return new Map();
  if (body.length > MAX_BODY_LENGTH) throw new PayloadTooLargeError(`The body is longer than ${MAX_BODY_LENGTH} characters`);
  if (isXmlBody(body, contentType)) {
    const { root, value } = parseXmlBody(body);
    return new Map([[root, value]]);
  }
  const parsed = parseLiteralParam(body, 'body');
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

/**
 * Puts together the parameters of a call to `signature.method`: the query's, the body's (from
 * bodyParams), and `args`/`kwargs` (from either) mapped onto the signature.
 * @throws BadRequestError for a parameter given twice, an unknown keyword, too many positional
 * arguments, or args/kwargs that are not a list/dict.
 */
export function bindParams(signature: MethodSignature, query: ReadonlyMap<string, readonly string[]>, body: ReadonlyMap<string, PyValue>): CallParams {
  const sources = new Map<string, Source>();
  for (const [name, texts] of query) sources.set(name, { texts, where: `the query parameter '${name}'` });
  for (const [name, value] of body) {
    if (sources.has(name)) throw new BadRequestError(`Parameter '${name}' is given twice: in the query and in the body`);
    sources.set(name, { value, where: `the body's '${name}'` });
  }
  const { method, params } = signature;
  const add = (name: string, source: Source): void => {
    const earlier = sources.get(name);
    if (earlier !== undefined) throw new BadRequestError(`${method}() got multiple values for argument '${name}': ${earlier.where} and ${source.where}`);
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
  if (!Array.isArray(value)) throw new BadRequestError("'args' must be a list of the method's positional arguments, e.g. args=[[('name','=','x')]]");
  return value;
}

function kwargsDict(value: PyValue | undefined): PyDict {
  if (value === undefined) return new Map();
  if (!(value instanceof Map)) throw new BadRequestError("'kwargs' must be a dict of keyword arguments, e.g. kwargs={'limit': 5}");
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

  /** The parameter's value: query text parsed as a Python literal (or JSON), other values as they are. */
  literal(name: string): PyValue | undefined {
    const input = this.get(name);
    if (input === undefined) return undefined;
    return 'text' in input ? parseLiteralParam(input.text, name) : input.value;
  }

  /** A parameter that is plain text (`order=name desc`): query text as it is, or a str value; None is no value. */
  text(name: string): string | undefined {
    const input = this.get(name);
    if (input === undefined) return undefined;
    if ('text' in input) return input.text;
    if (input.value === null) return undefined;
    if (typeof input.value === 'string') return input.value;
    throw new BadRequestError(`'${name}' must be a string`);
  }
}
