/**
 * The domain parser (lib/records/search/domain.ts) over the shipped models, res.partner first.
 *
 * 1. Valid domains: generated prefix-notation domains (&, |, !, implicit and, TRUE/FALSE leaves)
 *    of terms whose operator and value suit the field at the end of the path (dotted paths
 *    through many2one and x2many fields included), printed as Python literal text, parse; and
 *    the tree they give can be resolved and evaluated on generated records without throwing.
 * 2. Anything else: domains of random tokens, random terms and deep operator chains, and
 *    mutations of valid domain texts, give a tree (which also evaluates without throwing), a 400
 *    (InvalidLiteralError, BadRequestError) or a 403 InvalidFieldError. Nothing else.
 */
import fc from 'fast-check';
import { matchRecord, parseDomain, resolutionOf, subpathLeaves, type DomainNode } from '../../lib/records/search/domain';
import { BadRequestError, InvalidFieldError, InvalidLiteralError } from '../../lib/errors';
import { parseLiteralParam } from '../../lib/wire/literal';
import { buildRegistry, type FieldDef, type ModelDef } from '../../lib/models/registry';
import { PyFloat, type PyValue } from '../../lib/wire/pyvalue';
import type { StoredRecord, StoredValue } from '../../lib/records/port';
import { shippedModels } from '../../models';
import { withoutConsoleWarnings } from './literal';
import { mutatedArb, soupArb } from './mutate';
import { chooserOf, chooserSpecArb, printLiteral, pyValueArb, stringArb, type LiteralStyle } from './pyvalues';
import { defineTarget, expectSameValue, fail, outcome, show } from './target';

export const registry = buildRegistry(shippedModels);

function modelDef(name: string): ModelDef {
  const def = registry.get(name);
  if (!def) throw new Error(`no model ${name}`);
  return def;
}

export const partner = modelDef('res.partner');

// ---------------------------------------------------------------------------------------------
// Valid terms, by the field at the end of the path

interface PathEnd {
  readonly path: string;
  readonly model: ModelDef;
  readonly field: FieldDef;
}

const RELATIONAL = new Set(['many2one', 'one2many', 'many2many']);

/** Every path from res.partner of up to three fields, each step but the last relational. */
function pathsFrom(model: ModelDef, prefix: string, steps: number, out: PathEnd[]): PathEnd[] {
  for (const field of model.fields) {
    const path = prefix === '' ? field.name : `${prefix}.${field.name}`;
    out.push({ path, model, field });
    if (steps > 1 && RELATIONAL.has(field.type) && field.relation !== undefined) pathsFrom(modelDef(field.relation), path, steps - 1, out);
  }
  return out;
}

const PATHS: readonly PathEnd[] = pathsFrom(partner, '', 3, []);

function hasParentHierarchy(model: ModelDef): boolean {
  const parent = model.fieldsByName.get('parent_id');
  return parent !== undefined && parent.type === 'many2one' && parent.relation === model.model;
}

/** Whether child_of/parent_of works on this field (lib/records/search/domain.ts hierarchyOf, from Odoo's child_of_domain). */
function supportsHierarchy({ model, field }: PathEnd): boolean {
  if (field.name === 'id') return hasParentHierarchy(model);
  if (!RELATIONAL.has(field.type) || field.relation === undefined) return false;
  const comodel = modelDef(field.relation);
  if (comodel.model === model.model) return field.type === 'many2one' || (field.type === 'many2many' && hasParentHierarchy(model));
  return hasParentHierarchy(comodel);
}

/** Text without backslashes, so no like pattern ends in a lone escape character. */
const textArb = stringArb.map((s) => s.replace(/\\/g, ''));
const nameArb = fc.oneof(fc.constantFrom('Belgium', 'Edward Foster', 'Customer', '', 'a%b_c', "O'Neil"), textArb);
const falsy = fc.constantFrom<PyValue>(false, null);
const idArb = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }));
const intArb = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((b) => (Number.isSafeInteger(Number(b)) ? Number(b) : b)));
const floatArb = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => new PyFloat(x));
const intTextArb = fc.tuple(fc.constantFrom('', ' ', '\t'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 99999 })).map(([ws, sign, n]) => `${ws}${sign}${n}${ws}`);
const floatTextArb = fc.oneof(intTextArb, fc.constantFrom('1.5', '.5', '5.', ' -2e3 ', '+1E-2', '0.0'));
const anyScalar: fc.Arbitrary<PyValue> = fc.oneof(textArb, intArb, floatArb, fc.boolean(), falsy);

const DATE = fc.record({ y: fc.integer({ min: 1, max: 9999 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }) });
const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const dateTextArb = DATE.map(({ y, m, d }) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`);
const datetimeTextArb = fc.oneof(
  dateTextArb,
  fc
    .tuple(dateTextArb, fc.constantFrom(' ', 'T'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.option(fc.integer({ min: 0, max: 59 })), fc.constantFrom('', '.5', '.123456'))
    .map(([date, sep, h, mi, s, frac]) => `${date}${sep}${pad(h)}:${pad(mi)}${s === null ? '' : `:${pad(s)}${frac}`}`),
);

const COMPARE = ['=', '!=', '<>', '<', '<=', '>', '>=', '=?'] as const;
const LIKE = ['like', 'ilike', '=like', '=ilike', 'not like', 'not ilike'] as const;
const IN = ['in', 'not in'] as const;

type Term = readonly [string, string, PyValue];

/** Terms on a scalar field: comparisons with `value`, in/not in with lists of `item`, like with any scalar. */
function scalarTerms(path: string, value: fc.Arbitrary<PyValue>, item: fc.Arbitrary<PyValue> = value, likeValue: fc.Arbitrary<PyValue> = anyScalar): fc.Arbitrary<Term> {
  return fc.oneof(
    fc.tuple(fc.constant(path), fc.constantFrom(...COMPARE), value),
    fc.tuple(fc.constant(path), fc.constantFrom('=', '!=', '<>'), falsy),
    fc.tuple(fc.constant(path), fc.constantFrom(...IN), fc.array(fc.oneof(item, falsy), { maxLength: 4 })),
    fc.tuple(fc.constant(path), fc.constantFrom(...LIKE), likeValue),
  );
}

function hierarchyTerms(path: string): fc.Arbitrary<Term> {
  const start: fc.Arbitrary<PyValue> = fc.oneof(
    idArb,
    fc.constant(false),
    fc.array(fc.oneof(idArb, fc.constant(false)), { maxLength: 4 }),
    nameArb,
    fc.array(nameArb, { minLength: 1, maxLength: 3 }),
  );
  return fc.tuple(fc.constant(path), fc.constantFrom('child_of', 'parent_of'), start);
}

/** Valid terms for the field at the end of `end.path`. */
function termArb(end: PathEnd): fc.Arbitrary<Term> {
  const { path, field, model } = end;
  const options: Array<fc.Arbitrary<Term>> = [];
  const type = field.name === 'display_name' ? 'char' : field.type;
  if (field.name === 'id') {
    options.push(scalarTerms(path, fc.oneof(intArb, floatArb, intTextArb), fc.oneof(idArb, intTextArb)));
  } else {
    switch (type) {
      case 'char':
      case 'text':
      case 'html':
      case 'selection': {
        const choices = field.selection?.map(([value]) => value) ?? [];
        const text = choices.length > 0 ? fc.oneof(fc.constantFrom(...choices), textArb) : textArb;
        options.push(scalarTerms(path, fc.oneof(text, intArb, floatArb, fc.boolean())));
        break;
      }
      case 'integer':
        options.push(scalarTerms(path, fc.oneof(intArb, floatArb, fc.boolean(), intTextArb, fc.constant(''))));
        break;
      case 'float':
      case 'monetary':
        options.push(scalarTerms(path, fc.oneof(intArb, floatArb, fc.boolean(), floatTextArb, fc.constant(''))));
        break;
      case 'boolean':
        options.push(scalarTerms(path, anyScalar));
        break;
      case 'date':
        options.push(scalarTerms(path, dateTextArb));
        break;
      case 'datetime':
        options.push(scalarTerms(path, datetimeTextArb));
        break;
      case 'many2one':
        options.push(
          scalarTerms(path, fc.oneof(idArb, floatArb), fc.oneof(idArb, intTextArb), fc.oneof(idArb, floatArb, fc.boolean())),
          // A name (or names) compared with a many2one is a name search on the comodel.
          fc.tuple(fc.constant(path), fc.constantFrom('=', '!=', '<>', '=?', 'in', 'not in', ...LIKE), nameArb),
          fc.tuple(fc.constant(path), fc.constantFrom('=', '!=', 'in', 'not in'), fc.array(nameArb, { minLength: 1, maxLength: 3 })),
        );
        break;
      case 'one2many':
      case 'many2many':
        options.push(
          fc.tuple(fc.constant(path), fc.constantFrom(...COMPARE, ...IN), fc.oneof(idArb, fc.constant(false), fc.array(fc.oneof(idArb, falsy), { maxLength: 4 }))),
          fc.tuple(fc.constant(path), fc.constantFrom('=', '!=', '<>', '=?', ...LIKE), nameArb),
        );
        break;
      case 'binary':
        options.push(fc.tuple(fc.constant(path), fc.constantFrom('=', '!=', '<>'), fc.constantFrom<PyValue>(false, null, '', 0, new PyFloat(0))));
        break;
    }
  }
  if (supportsHierarchy(end)) options.push(hierarchyTerms(path));
  if (options.length === 0) throw new Error(`no terms for ${model.model}.${field.name}`);
  return fc.oneof(...options);
}

const TERM_ARBS = new Map(PATHS.map((end) => [end.path, termArb(end)] as const));

export const validTermArb: fc.Arbitrary<Term> = fc.constantFrom(...PATHS.map((end) => end.path)).chain((path) => TERM_ARBS.get(path) as fc.Arbitrary<Term>);

type Tree =
  | { readonly t: 'term'; readonly term: PyValue }
  | { readonly t: 'not'; readonly child: Tree }
  | { readonly t: '&' | '|'; readonly a: Tree; readonly b: Tree };

const constantLeafArb: fc.Arbitrary<PyValue> = fc.constantFrom<PyValue>([1, '=', 1], [0, '=', 1], [true, '=', 1], [1, '=', true], [new PyFloat(1), '=', 1], [false, '=', true]);

const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    { arbitrary: fc.oneof({ arbitrary: validTermArb.map((t): PyValue => [...t]), weight: 9 }, { arbitrary: constantLeafArb, weight: 1 }).map((term): Tree => ({ t: 'term', term })), weight: 3 },
    { arbitrary: tie('tree').map((child): Tree => ({ t: 'not', child })), weight: 1 },
    { arbitrary: fc.tuple(fc.constantFrom('&' as const, '|' as const), tie('tree'), tie('tree')).map(([t, a, b]): Tree => ({ t, a, b })), weight: 2 },
  ),
})).tree;

/** A whole domain: trees side by side (Odoo's implicit '&'), in prefix notation. */
export const validDomainArb: fc.Arbitrary<PyValue[]> = fc.array(treeArb, { maxLength: 3 }).map((trees) => trees.flatMap((tree) => prefixOf(tree)));

function prefixOf(tree: Tree): PyValue[] {
  const out: PyValue[] = [];
  const todo: Tree[] = [tree];
  while (todo.length > 0) {
    const item = todo.pop() as Tree;
    if (item.t === 'term') out.push(item.term);
    else if (item.t === 'not') {
      out.push('!');
      todo.push(item.child);
    } else {
      out.push(item.t);
      todo.push(item.b, item.a);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Records to evaluate on

function storedValueArb(field: FieldDef): fc.Arbitrary<StoredValue> {
  const maybe = <T extends StoredValue>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 4 });
  switch (field.type) {
    case 'integer':
      return field.name === 'id' ? idArb : maybe(fc.integer());
    case 'float':
    case 'monetary':
      return maybe(fc.double({ noNaN: true, noDefaultInfinity: true }));
    case 'boolean':
      return maybe(fc.boolean());
    case 'date':
      return maybe(dateTextArb);
    case 'datetime':
      return maybe(datetimeTextArb.map((text) => (text.length === 10 ? `${text} 00:00:00` : text.replace('T', ' '))));
    case 'many2one':
      return maybe(fc.integer({ min: 1, max: 30 }));
    case 'one2many':
    case 'many2many':
      return fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 4 });
    case 'selection':
      return maybe(fc.constantFrom(...(field.selection ?? [['x', 'x']]).map(([value]) => value)));
    default:
      return maybe(fc.oneof(textArb, fc.constantFrom('Edward Foster', 'BE', '')));
  }
}

const recordArb: fc.Arbitrary<StoredRecord> = fc
  .tuple(
    fc.integer({ min: 1, max: 30 }),
    fc.tuple(...partner.fields.filter((f) => f.name !== 'id').map((field) => fc.option(storedValueArb(field).map((value) => [field.name, value] as const), { nil: undefined }))),
  )
  .map(([id, pairs]) => ({
    model: partner.model,
    id,
    version: 1,
    values: Object.assign(Object.create(null) as Record<string, StoredValue>, Object.fromEntries(pairs.filter((pair) => pair !== undefined))),
  }));

// ---------------------------------------------------------------------------------------------
// Invalid and random domains

const OPERATOR_TOKENS = ['=', '!=', '<>', '<', '<=', '>', '>=', '=?', 'in', 'not in', 'like', 'ilike', '=like', '=ilike', 'not like', 'not ilike', 'child_of', 'parent_of', 'any', 'not any', '==', 'IN', ''];
const FIELD_TOKENS = [...new Set(PATHS.map((end) => end.path))].slice(0, 200).concat(['', '.', 'name.', '.name', 'nope', 'name.x', 'country_id..code', '__proto__', 'constructor', 'id.id', 'a.'.repeat(20) + 'a', 'parent_id.'.repeat(17) + 'name']);

const junkTermArb: fc.Arbitrary<PyValue> = fc.oneof(
  fc.tuple(fc.oneof(fc.constantFrom(...FIELD_TOKENS), fc.constantFrom<PyValue>(1, 0, null, true, new PyFloat(1)), textArb), fc.oneof(fc.constantFrom<PyValue>(...OPERATOR_TOKENS), anyScalar), pyValueArb({ maxDepth: 3 })).map((t): PyValue => [...t]),
  fc.array(fc.oneof(fc.constantFrom<PyValue>(...FIELD_TOKENS.slice(0, 20), ...OPERATOR_TOKENS), anyScalar), { maxLength: 5 }),
  validTermArb.map((t): PyValue => [...t]),
);

/** Valid domains with some terms' field, operator or value swapped for something arbitrary. */
const perturbedDomainArb: fc.Arbitrary<PyValue> = fc
  .tuple(
    validDomainArb,
    fc.nat(),
    fc.array(fc.oneof(fc.constantFrom<PyValue>(...FIELD_TOKENS), textArb), { minLength: 1, maxLength: 3 }),
    fc.array(fc.constantFrom<PyValue>(...OPERATOR_TOKENS), { minLength: 1, maxLength: 3 }),
    fc.array(pyValueArb({ maxDepth: 3 }), { minLength: 1, maxLength: 3 }),
  )
  .map(([domain, seed, fields, operators, values]) => {
    const ch = chooserOf({ seed, fanciness: 4 });
    const pools = [fields, operators, values] as const;
    return domain.map((token) => {
      if (!Array.isArray(token) || token.length !== 3 || ch.int(2) === 0) return token;
      const slot = ch.int(3);
      const pool = pools[slot] as readonly PyValue[];
      const copy = [...token];
      copy[slot] = pool[ch.int(pool.length)] as PyValue;
      return copy;
    });
  });

const junkDomainArb: fc.Arbitrary<PyValue> = fc.oneof(
  { arbitrary: perturbedDomainArb, weight: 6 },
  { arbitrary: fc.array(fc.oneof(fc.constantFrom<PyValue>('&', '|', '!'), junkTermArb, anyScalar), { maxLength: 10 }), weight: 6 },
  { arbitrary: pyValueArb({ maxDepth: 4 }), weight: 1 },
  {
    // Long operator chains: same operators flatten, alternating ones nest (bounded at 64 levels).
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('&|', '&', '!&', '!|&', '|!'), validTermArb)
      .map(([n, ops, term]): PyValue => {
        const out: PyValue[] = [];
        let operands = 1;
        for (let i = 0; i < n; i++) {
          const op = ops[i % ops.length] as string;
          out.push(op);
          if (op !== '!') operands++;
        }
        for (let i = 0; i < operands; i++) out.push([...term]);
        return out;
      }),
    weight: 1,
  },
);

const DOMAIN_TOKENS = fc.constantFrom('[', ']', '(', ')', ',', "'&'", "'|'", "'!'", "'name'", "'='", "'in'", "'like'", "'child_of'", "'country_id.code'", "'x'", '1', '0', 'True', 'False', 'None', "('name', '=', 'x')", '[1, 2]', ' ', "'", '"', '.', "'id'", "'parent_id'");
const PAIRS: ReadonlyArray<readonly [string, string]> = [['[', ']'], ['(', ')'], ["['!', ", ']'], ["['&', ", ']'], ['{', '}']];

const printedDomainArb = fc
  .tuple(validDomainArb, fc.constantFrom<LiteralStyle>('python', 'python', 'json', 'json5'), chooserSpecArb)
  .map(([domain, style, spec]) => ({ domain, style, text: printLiteral(domain, style, chooserOf(spec)) }));

export type DomainCase =
  | { readonly kind: 'valid'; readonly domain: PyValue; readonly style: LiteralStyle; readonly text: string; readonly records: readonly StoredRecord[] }
  | { readonly kind: 'value'; readonly domain: PyValue; readonly records: readonly StoredRecord[] }
  | { readonly kind: 'text'; readonly text: string; readonly records: readonly StoredRecord[] };

const recordsArb = fc.array(recordArb, { minLength: 1, maxLength: 2 });

export const domainCaseArb: fc.Arbitrary<DomainCase> = fc.oneof(
  { arbitrary: fc.tuple(printedDomainArb, recordsArb).map(([{ domain, style, text }, records]): DomainCase => ({ kind: 'valid', domain, style, text, records })), weight: 5 },
  { arbitrary: fc.tuple(junkDomainArb, recordsArb).map(([domain, records]): DomainCase => ({ kind: 'value', domain, records })), weight: 4 },
  {
    arbitrary: fc
      .tuple(fc.oneof(mutatedArb(printedDomainArb.map(({ text }) => text), { tokens: DOMAIN_TOKENS, pairs: PAIRS }), soupArb(DOMAIN_TOKENS)), recordsArb)
      .map(([text, records]): DomainCase => ({ kind: 'text', text, records })),
    weight: 3,
  },
);

// ---------------------------------------------------------------------------------------------

/** A parsed tree resolves and evaluates without throwing, to a boolean for every record. */
function checkTree(node: DomainNode, records: readonly StoredRecord[], where: string): void {
  const leaves = outcome(`subpathLeaves (${where})`, () => subpathLeaves(node), []);
  if (!leaves.ok) return;
  for (const leaf of leaves.value) outcome(`resolutionOf a ${leaf.field.name} leaf (${where})`, () => resolutionOf(leaf, registry), []);
  const someIds = new Set([1, 2, 17]);
  for (const record of records) {
    const result = outcome(`matchRecord (${where})`, () => matchRecord(node, record, () => someIds), []);
    if (result.ok && typeof result.value !== 'boolean') fail(`matchRecord gave ${show(result.value)} (${where})`);
  }
}

const DOMAIN_ERRORS = [
  [BadRequestError, 400],
  [InvalidFieldError, 403],
] as const;

function checkAnyDomain(domain: PyValue, records: readonly StoredRecord[], where: string): void {
  const parsed = outcome(`parseDomain (${where})`, () => parseDomain(domain, partner, registry), DOMAIN_ERRORS);
  if (parsed.ok) checkTree(parsed.value, records, where);
  else if (parsed.error instanceof BadRequestError && !parsed.error.message.startsWith('Invalid domain: ')) fail(`parseDomain: a 400 that does not say 'Invalid domain: ': ${parsed.error.message}`);
}

export function checkDomainCase(input: DomainCase): void {
  switch (input.kind) {
    case 'valid': {
      const literal = withoutConsoleWarnings(() => outcome('parseLiteralParam of a domain', () => parseLiteralParam(input.text, 'domain'), [[InvalidLiteralError, 400]]));
      if (!literal.ok) fail(`the ${input.style} text ${show(input.text)} of a valid domain does not parse: ${literal.error.message}`);
      if (input.style !== 'json5') expectSameValue('the domain read back', literal.value, input.domain, input.text);
      const parsed = outcome('parseDomain of a valid domain', () => parseDomain(literal.value, partner, registry), DOMAIN_ERRORS);
      if (!parsed.ok) fail(`parseDomain refused the valid domain ${show(input.text, 1000)}: ${parsed.error.constructor.name}: ${parsed.error.message}`);
      checkTree(parsed.value, input.records, 'a valid domain');
      return;
    }
    case 'value':
      checkAnyDomain(input.domain, input.records, 'a generated domain');
      return;
    case 'text': {
      const literal = withoutConsoleWarnings(() => outcome('parseLiteralParam of a domain', () => parseLiteralParam(input.text, 'domain'), [[InvalidLiteralError, 400]]));
      if (literal.ok) checkAnyDomain(literal.value, input.records, 'a mutated domain text');
      return;
    }
  }
}

export const domainTarget = defineTarget(
  'domain',
  'valid res.partner domains parse and evaluate; any other domain gives a tree, a 400 or a 403 InvalidFieldError',
  domainCaseArb,
  checkDomainCase,
);
