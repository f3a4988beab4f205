/**
 * A call's parameters (lib/object-api/params.ts): the request body (a Python literal, JSON, JSON5 or
 * XML) and the query, bound onto an Odoo method's signature, then read by name.
 *
 * Valid bodies give their parameters (a dict body for create/write without vals/args/kwargs keys
 * is the vals); positional args and kwargs land on the right names. Any body or query gives
 * parameters or a 400 (BadRequestError, InvalidLiteralError, InvalidXmlError) or a 413, and
 * reading any parameter gives a value or a 400. Nothing else.
 */
import fc from 'fast-check';
import { bindParams, bodyParams, MAX_BODY_LENGTH, type CallParams, type MethodSignature } from '../../lib/object-api/params';
import { BadRequestError, InvalidLiteralError, InvalidXmlError, PayloadTooLargeError } from '../../lib/errors';
import type { PyDict, PyValue } from '../../lib/wire/pyvalue';
import { hasConstantKey, withoutConsoleWarnings } from './literal';
import { anyTextArb, mutatedArb } from './mutate';
import { chooserOf, chooserSpecArb, keyArb, printLiteral, pyValueArb, type LiteralStyle } from './pyvalues';
import { defineTarget, expectSameValue, fail, outcome, show } from './target';
import { printXmlBody, xmlKeyArb, xmlScalarArb } from './xml';

/** Signatures as lib/object-api/router.ts declares them (Odoo 17's). */
const SIGNATURES: readonly MethodSignature[] = [
  { method: 'search_read', params: ['domain', 'fields', 'offset', 'limit', 'order'] },
  { method: 'write', params: ['vals'] },
  { method: 'create', params: ['vals'] },
  { method: 'unlink', params: [] },
  { method: 'name_search', params: ['name', 'args', 'operator', 'limit'] },
  { method: 'read', params: ['fields'] },
];

const PARAM_NAMES = ['domain', 'fields', 'offset', 'limit', 'order', 'vals', 'args', 'kwargs', 'context', 'name', 'operator', 'ids', 'x'];

const BODY_ERRORS = [
  [BadRequestError, 400],
  [InvalidLiteralError, 400],
  [InvalidXmlError, 400],
  [PayloadTooLargeError, 413],
] as const;
const PARAM_ERRORS = [
  [BadRequestError, 400],
  [InvalidLiteralError, 400],
] as const;

export type CallCase =
  | { readonly kind: 'dict-body'; readonly style: LiteralStyle; readonly dict: PyDict; readonly body: string; readonly takesVals: boolean }
  | { readonly kind: 'xml-body'; readonly root: 'vals' | 'args' | 'kwargs'; readonly value: PyValue; readonly body: string }
  | { readonly kind: 'bind'; readonly signature: MethodSignature; readonly args: readonly PyValue[]; readonly kwargs: PyDict; readonly query: string }
  | {
      readonly kind: 'any';
      readonly signature: MethodSignature;
      readonly body: string | undefined;
      readonly contentType: string | undefined;
      readonly query: ReadonlyArray<readonly [string, readonly string[]]>;
    };

const styleArb = fc.constantFrom<LiteralStyle>('python', 'json', 'json5');

const dictBodyArb: fc.Arbitrary<CallCase> = fc
  .tuple(fc.array(fc.tuple(fc.oneof(keyArb, fc.constantFrom('vals', 'args', 'kwargs', 'name')), pyValueArb({ maxDepth: 30 })), { maxLength: 4 }), styleArb, chooserSpecArb, fc.boolean())
  .map(([pairs, style, spec, takesVals]): CallCase => {
    const dict: PyDict = new Map(pairs);
    return { kind: 'dict-body', style, dict, body: printLiteral(dict, style, chooserOf(spec)), takesVals };
  });

const xmlBodyArb: fc.Arbitrary<CallCase> = fc
  .tuple(fc.constantFrom('vals' as const, 'args' as const, 'kwargs' as const), fc.array(fc.tuple(xmlKeyArb, pyValueArb({ maxDepth: 3, scalar: xmlScalarArb, key: xmlKeyArb })), { maxLength: 4 }), chooserSpecArb)
  .map(([root, pairs, spec]): CallCase => {
    const value: PyValue = root === 'args' ? pairs.map(([, v]) => v) : new Map(pairs);
    return { kind: 'xml-body', root, value, body: printXmlBody(root, value, chooserOf(spec)) };
  });

const bindArb: fc.Arbitrary<CallCase> = fc
  .constantFrom(...SIGNATURES.filter((s) => !s.params.includes('args')))
  .chain((signature) =>
    fc.tuple(
      fc.constant(signature),
      fc.array(pyValueArb({ maxDepth: 4 }), { maxLength: signature.params.length }),
      fc.subarray([...signature.params, 'context']),
      fc.array(pyValueArb({ maxDepth: 4 }), { minLength: 6, maxLength: 6 }),
      chooserSpecArb,
    ),
  )
  .map(([signature, args, names, values, spec]): CallCase => {
    // Keywords for the parameters the positional arguments left free.
    const kwargs: PyDict = new Map(names.filter((name) => signature.params.indexOf(name) < 0 || signature.params.indexOf(name) >= args.length).map((name, i) => [name, values[i] ?? null] as const));
    const ch = chooserOf(spec);
    return { kind: 'bind', signature, args, kwargs, query: printLiteral(args, 'python', ch) };
  });

const queryValueArb = fc.oneof(
  pyValueArb({ maxDepth: 4 }).chain((value) => fc.tuple(styleArb, chooserSpecArb).map(([style, spec]) => printLiteral(value, style, chooserOf(spec)))),
  anyTextArb,
);

const anyCallArb: fc.Arbitrary<CallCase> = fc
  .record({
    signature: fc.constantFrom(...SIGNATURES),
    body: fc.oneof(
      fc.constant(undefined),
      fc.constant(''),
      dictBodyArb.map((c) => (c.kind === 'dict-body' ? c.body : '')),
      xmlBodyArb.map((c) => (c.kind === 'xml-body' ? c.body : '')),
      mutatedArb(
        fc.oneof(dictBodyArb, xmlBodyArb).map((c) => (c.kind === 'dict-body' || c.kind === 'xml-body' ? c.body : '')),
        { tokens: fc.constantFrom('{', '}', '<', '>', "'", ':', ',', 'vals', 'args', 'kwargs', '<vals>', '</vals>', '[', ']'), pairs: [['{', '}'], ['[', ']'], ['<a>', '</a>']] },
      ),
      anyTextArb,
      fc.integer({ min: -2, max: 2 }).map((d) => `{'a': '${'x'.repeat(MAX_BODY_LENGTH + d - 9)}'}`),
    ),
    contentType: fc.constantFrom(undefined, 'application/json', 'application/xml', 'text/xml; charset=utf-8', 'text/plain', 'APPLICATION/XML', ''),
    query: fc.uniqueArray(fc.tuple(fc.constantFrom(...PARAM_NAMES), fc.array(queryValueArb, { minLength: 1, maxLength: 2 })), { maxLength: 4, selector: ([name]) => name }),
  })
  .map((r): CallCase => ({ kind: 'any', ...r }));

export const callCaseArb: fc.Arbitrary<CallCase> = fc.oneof(
  { arbitrary: dictBodyArb, weight: 3 },
  { arbitrary: xmlBodyArb, weight: 2 },
  { arbitrary: bindArb, weight: 3 },
  { arbitrary: anyCallArb, weight: 6 },
);

/** Every parameter of the call read every way: values or 400s. */
function readAll(params: CallParams, signature: MethodSignature): void {
  for (const name of [...signature.params, 'context', 'ids', 'x']) {
    outcome(`CallParams.get(${name})`, () => params.get(name), PARAM_ERRORS);
    outcome(`CallParams.literal(${name})`, () => params.literal(name), PARAM_ERRORS);
    const text = outcome(`CallParams.text(${name})`, () => params.text(name), PARAM_ERRORS);
    if (text.ok && text.value !== undefined && typeof text.value !== 'string') fail(`CallParams.text(${name}) gave ${show(text.value)}`);
  }
}

export function checkCallCase(input: CallCase): void {
  withoutConsoleWarnings(() => checkCallCaseLoudly(input));
}

function checkCallCaseLoudly(input: CallCase): void {
  switch (input.kind) {
    case 'dict-body': {
      const result = outcome('bodyParams', () => bodyParams(input.body, undefined, input.takesVals), BODY_ERRORS);
      const dict = input.dict;
      if (input.body.length > MAX_BODY_LENGTH) return;
      if (input.style === 'json5' && hasConstantKey(input.dict) && !result.ok) {
        // An unquoted JSON5 key True/False/None is a Python constant: refused (lib/wire/literal.ts).
        if (!(result.error instanceof InvalidLiteralError) || result.error.reason !== 'dict keys must be strings or integers')
          fail(`bodyParams: ${result.error.message}`);
        return;
      }
      if (!result.ok) fail(`bodyParams refused the ${input.style} dict body ${show(input.body)}: ${result.error.message}`);
      const isParams = ['vals', 'args', 'kwargs'].some((key) => input.dict.has(key));
      const expected: PyValue = input.takesVals && !isParams ? new Map([['vals', dict]]) : dict;
      expectSameValue(`bodyParams of a ${input.style} dict (takesVals ${input.takesVals})`, result.value, expected, input.body);
      return;
    }
    case 'xml-body': {
      for (const contentType of [undefined, 'application/xml']) {
        const result = outcome('bodyParams', () => bodyParams(input.body, contentType, true), BODY_ERRORS);
        if (!result.ok) fail(`bodyParams refused the XML body ${show(input.body)}: ${result.error.message}`);
        expectSameValue('bodyParams of an XML body', result.value, new Map([[input.root, input.value]]), input.body);
      }
      return;
    }
    case 'bind': {
      const query = new Map([['args', [input.query]]]);
      const body: ReadonlyMap<string, PyValue> = new Map([['kwargs', input.kwargs]]);
      const result = outcome(`bindParams(${input.signature.method})`, () => bindParams(input.signature, query, body), PARAM_ERRORS);
      if (!result.ok) fail(`bindParams refused args=${show(input.query)} kwargs=${show(input.kwargs)} for ${input.signature.method}: ${result.error.message}`);
      input.args.forEach((value, i) => {
        const name = input.signature.params[i] as string;
        const got = outcome(`literal(${name})`, () => result.value.literal(name), PARAM_ERRORS);
        if (!got.ok || got.value === undefined) fail(`args[${i}] did not land on ${name}`);
        expectSameValue(`args[${i}] as ${name}`, got.value, value);
      });
      for (const [name, value] of input.kwargs) {
        const got = outcome(`literal(${name})`, () => result.value.literal(name), PARAM_ERRORS);
        if (!got.ok || got.value === undefined) fail(`kwargs['${name}'] did not land on ${name}`);
        expectSameValue(`kwargs['${name}']`, got.value, value);
      }
      readAll(result.value, input.signature);
      return;
    }
    case 'any': {
      const body = outcome('bodyParams', () => bodyParams(input.body, input.contentType, input.signature.params.includes('vals')), BODY_ERRORS);
      if (body.ok) {
        if (!(body.value instanceof Map)) fail(`bodyParams gave ${show(body.value)}`);
      } else if (body.error instanceof PayloadTooLargeError && (input.body ?? '').length <= MAX_BODY_LENGTH) {
        fail(`a 413 for a body of ${(input.body ?? '').length} characters`);
      }
      const bodyMap = body.ok ? body.value : new Map<string, PyValue>();
      const bound = outcome(`bindParams(${input.signature.method})`, () => bindParams(input.signature, new Map(input.query), bodyMap), PARAM_ERRORS);
      if (bound.ok) readAll(bound.value, input.signature);
      return;
    }
  }
}

export const callParamsTarget = defineTarget(
  'call-params',
  'request bodies (literal or XML) and query parameters bind onto a method signature; anything else gives a 400 or 413, and every parameter reads as a value or a 400',
  callCaseArb,
  checkCallCase,
);
