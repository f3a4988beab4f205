/**
 * Odoo search domains: parsing (prefix notation -> a validated tree) and in-memory evaluation of
 * that tree on stored records, with the results Odoo's SQL would give on the same data.
 *
 * Semantics follow Odoo 17's odoo/osv/expression.py:
 * - normalize_domain: terms next to each other are AND-ed; an empty domain is TRUE_LEAF;
 *   TRUE_LEAF (1, '=', 1) and FALSE_LEAF (0, '=', 1) are constants.
 * - _anyfy_leaves: a dotted path through a relational field becomes `field any [(rest, op, value)]`
 *   BEFORE negation is distributed, so `!` on a path is an exact complement ("not any"), while
 *   `('country_id.code', '!=', 'BE')` is `country_id in (ids whose code != 'BE')` (no NULLs).
 * - _tree_not: `!` is pushed into the terms through TERM_OPERATORS_NEGATION (`! (x < 5)` is
 *   `x >= 5`, which does not match NULL); a term without a negation (=like, =ilike, =?, child_of,
 *   parent_of) keeps a SQL NOT, so `! (email =like 'a%')` does not match a NULL email either.
 * - normalize_leaf: '<>' is '!='; `in`/`not in` with a bool is `=`/`!=`; `=`/`!=` with a list is
 *   `in`/`not in`.
 * - __leaf_to_sql: `= False|None` is IS NULL and `!= False|None` IS NOT NULL; a boolean field
 *   `= False` also matches NULL; `in` with False in the list adds OR IS NULL, `not in` adds OR IS NULL
 *   unless False is in the list; `!=` and `not like`/`not ilike` with a truthy value add OR IS NULL;
 *   like/ilike wrap the value in %...% (its own % and _ stay wildcards, backslash escapes), and with
 *   an empty value they match every row, NULLs included; numbers given where Odoo converts them
 *   (Integer: int(value or 0), Float: float(value or 0.0)); a datetime compared with a bare date
 *   gets 23:59:59 for '>' and '<=', 00:00:00 otherwise.
 * - parse(): a string on a many2one is a name search on the comodel (negative operators then also
 *   match NULL); on an x2many the name search uses the positive operator and the negative one is
 *   "no linked record matches"; x2many `in` means "some linked id is in", `= False` "no links";
 *   child_of/parent_of follow child_of_domain/parent_of_domain (on `id`, on a many2one to the same
 *   model the field itself is the parent link, otherwise the comodel's parent_id).
 *
 * Odoo 17 stores '' in a char field as '' (Char.convert_to_column keeps it) and `= False` is only
 * IS NULL, so '' is NOT treated as empty here either: `('email', '=', False)` does not match ''.
 *
 * Where this module chooses differently, and why:
 * - A name search compares the comodel's recName only (Odoo's _name_search, without the per-model
 *   overrides such as res.partner also matching email and ref).
 * - Things Odoo would send to PostgreSQL and fail on, or silently ignore, are a 400 naming the term:
 *   values that cannot be converted to the field's type, `in` with a scalar (except the x2many id and
 *   the bool forms Odoo accepts), '<'/'>' between a many2one and a name (Odoo rewrites them to '='),
 *   any comparison of a binary field other than with False (Odoo logs and ignores it), child_of on a
 *   one2many to the same model (Odoo walks it upside down), the 'any'/'not any' operators.
 * - ilike folds case with Unicode lower-casing and without unaccent (Odoo's default); text compares
 *   in code point order, as in the 'C' collation Odoo creates its databases with.
 * - Nesting of '&'/'|'/'!' and path length are bounded, so no input can exhaust the stack.
 *
 * Pure: relational conditions are resolved by the caller (see subpathLeaves / resolutionOf).
 */
import { BadRequestError, InvalidFieldError, pyRepr } from '../../errors';
import type { FieldDef, ModelDef, ModelRegistry } from '../../models/registry';
import { PyFloat, formatPythonFloat, type PyValue } from '../../wire/pyvalue';
import { validCalendarDate } from '../dates';
import type { StoredRecord, StoredValue } from '../port';
import { describeValue } from '../values';
import { isFloatText, isIntText } from '../../wire/number-text';

export type Operator =
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '=?'
  | 'in'
  | 'not in'
  | 'like'
  | 'ilike'
  | '=like'
  | '=ilike'
  | 'not like'
  | 'not ilike'
  | 'child_of'
  | 'parent_of';

export interface LeafNode {
  readonly kind: 'leaf';
  /** The model the leaf's field belongs to. */
  readonly model: ModelDef;
  readonly field: FieldDef;
  readonly operator: Operator;
  /** The value as given in the term (conversions to the field's type happen when matching). */
  readonly value: PyValue;
  /** The rest of a dotted path (`country_id.code` -> ['code']); [comodel recName] for a name search. */
  readonly subpath: readonly string[];
  /** A string compared with a relational field: Odoo's name search on the comodel. */
  readonly nameSearch: boolean;
}

export type DomainNode =
  | { readonly kind: 'and' | 'or'; readonly children: readonly DomainNode[] }
  | { readonly kind: 'not'; readonly child: DomainNode }
  | LeafNode
  | { readonly kind: 'constant'; readonly value: boolean };

/**
 * How the caller turns a leaf of subpathLeaves() into the id set that matchRecord's `resolved`
 * returns for it:
 * - search: the ids of `model` records matching `domain` (itself possibly with subpath leaves);
 *   `activeTest` says whether archived records are left out, as Odoo's context does there
 *   (many2one paths and name searches search with active_test=False, x2many ones with the default).
 * - hierarchy: the start ids (or the ids of a name search, active_test on) expanded with
 *   hierarchyIds() along `parentField` over every record of `model`, archived ones included.
 */
export type Resolution =
  | { readonly kind: 'search'; readonly model: ModelDef; readonly domain: DomainNode; readonly activeTest: boolean }
  | {
      readonly kind: 'hierarchy';
      readonly operator: 'child_of' | 'parent_of';
      readonly model: ModelDef;
      readonly parentField: FieldDef;
      readonly start:
        { readonly ids: readonly number[] } | { readonly domain: DomainNode; readonly activeTest: boolean };
    };

const OPERATORS: ReadonlySet<string> = new Set<Operator>([
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '=?',
  'in',
  'not in',
  'like',
  'ilike',
  '=like',
  '=ilike',
  'not like',
  'not ilike',
  'child_of',
  'parent_of',
]);

/** TERM_OPERATORS_NEGATION: the operators `!` can be pushed into. */
const NEGATION: Partial<Record<Operator, Operator>> = {
  '<': '>=',
  '>': '<=',
  '<=': '>',
  '>=': '<',
  '=': '!=',
  '!=': '=',
  in: 'not in',
  'not in': 'in',
  like: 'not like',
  ilike: 'not ilike',
  'not like': 'like',
  'not ilike': 'ilike',
};

/** NEGATIVE_TERM_OPERATORS. */
const NEGATIVE: ReadonlySet<Operator> = new Set<Operator>(['!=', 'not in', 'not like', 'not ilike']);
const WILDCARD: ReadonlySet<Operator> = new Set<Operator>(['like', 'ilike', 'not like', 'not ilike']);
const LIKE: ReadonlySet<Operator> = new Set<Operator>(['like', 'ilike', 'not like', 'not ilike', '=like', '=ilike']);
const RELATIONAL: ReadonlySet<string> = new Set(['many2one', 'one2many', 'many2many']);

/** Deepest nesting of '&', '|' and '!' (same operators in a row count once). */
export const MAX_DOMAIN_DEPTH = 64;
/** Most fields in one dotted path. */
export const MAX_PATH_STEPS = 16;

const TRUE: DomainNode = { kind: 'constant', value: true };
const FALSE: DomainNode = { kind: 'constant', value: false };

// ---------------------------------------------------------------------------------------------
// Errors

function bad(index: number | undefined, problem: string): BadRequestError {
  return new BadRequestError(`Invalid domain: ${index === undefined ? 'a term' : `term ${index}`} ${problem}`);
}

function cannotCompare(index: number | undefined, field: FieldDef, value: PyValue): BadRequestError {
  return bad(index, `cannot compare field ${pyRepr(field.name)} (${field.type}) with ${describeValue(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Python value helpers

function truthy(value: PyValue): boolean {
  if (value === null || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string') return value !== '';
  if (value instanceof PyFloat) return value.value !== 0;
  if (Array.isArray(value)) return value.length > 0;
  return value.size > 0;
}

/** Python's `value == True` / `value == False` for the scalars a domain can hold. */
function pyEqualsBool(value: PyValue, target: boolean): boolean {
  const n = target ? 1 : 0;
  if (typeof value === 'boolean') return value === target;
  if (typeof value === 'number') return value === n;
  if (typeof value === 'bigint') return value === BigInt(n);
  if (value instanceof PyFloat) return value.value === n;
  return false;
}

/** pycompat.to_text: what Odoo puts between the % of a like pattern. */
function pyText(value: PyValue): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof PyFloat) return formatPythonFloat(value.value);
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null) return 'None';
  return undefined;
}

function asNumber(value: PyValue): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof PyFloat) return Number.isFinite(value.value) ? value.value : undefined;
  return undefined;
}

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?$/;

/** A date or datetime text PostgreSQL would cast, as [date, time with optional fraction | undefined]. */
function parseDateText(text: string): [string, string | undefined] | undefined {
  const match = DATE_TEXT.exec(text);
  if (!match) return undefined;
  const [, y = '', mo = '', d = '', h, mi, s = '00', fraction] = match;
  if (!validCalendarDate(Number(y), Number(mo), Number(d))) return undefined;
  if (h === undefined || mi === undefined) return [`${y}-${mo}-${d}`, undefined];
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const frac = fraction?.replace(/0+$/, '') ?? '';
  return [`${y}-${mo}-${d}`, `${h}:${mi}:${s}${frac === '' ? '' : `.${frac}`}`];
}

/** Compares texts in code point order (the 'C' collation), not UTF-16 code unit order. */
function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Surrogates (D800-DFFF) encode code points above FFFF, so they must sort after E000-FFFF. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

// ---------------------------------------------------------------------------------------------
// LIKE patterns (PostgreSQL: % any run, _ one character, backslash escapes the next one)

type LikeToken = { readonly kind: 'any' } | { readonly kind: 'one' } | { readonly kind: 'char'; readonly char: string };

function compileLike(pattern: string): LikeToken[] | undefined {
  const chars = Array.from(pattern);
  const tokens: LikeToken[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '\\') {
      i++;
      if (i >= chars.length) return undefined;
      tokens.push({ kind: 'char', char: chars[i] as string });
    } else if (c === '%') {
      if (tokens[tokens.length - 1]?.kind !== 'any') tokens.push({ kind: 'any' });
    } else if (c === '_') {
      tokens.push({ kind: 'one' });
    } else {
      tokens.push({ kind: 'char', char: c });
    }
  }
  return tokens;
}

/** Wildcard matching with one backtrack point: O(text x pattern), never exponential. */
function likeMatches(text: string, tokens: readonly LikeToken[]): boolean {
  const chars = Array.from(text);
  let t = 0;
  let p = 0;
  let star = -1;
  let starText = 0;
  while (t < chars.length) {
    const token = tokens[p];
    if (token !== undefined && (token.kind === 'one' || (token.kind === 'char' && token.char === chars[t]))) {
      t++;
      p++;
    } else if (token?.kind === 'any') {
      star = p++;
      starText = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++starText;
    } else {
      return false;
    }
  }
  while (tokens[p]?.kind === 'any') p++;
  return p === tokens.length;
}

// ---------------------------------------------------------------------------------------------
// Phase 1: the prefix list -> a tree of raw terms (structure only)

type Raw =
  | {
      readonly kind: 'term';
      readonly index: number;
      readonly path: string;
      readonly operator: Operator;
      readonly value: PyValue;
    }
  | { readonly kind: 'constant'; readonly value: boolean }
  | { readonly kind: 'and' | 'or'; readonly children: readonly [Raw, Raw]; readonly depth: number }
  | { readonly kind: 'not'; readonly child: Raw; readonly depth: number };

function rawDepth(raw: Raw): number {
  return raw.kind === 'and' || raw.kind === 'or' || raw.kind === 'not' ? raw.depth : 0;
}

/** Odoo's TRUE_LEAF / FALSE_LEAF test is tuple equality, so 1, 1.0 and True all qualify. */
function constantTerm(term: readonly PyValue[]): boolean | undefined {
  const [left, operator, right] = term as [PyValue, PyValue, PyValue];
  if (operator !== '=' || !pyEqualsBool(right, true)) return undefined;
  if (pyEqualsBool(left, true)) return true;
  if (pyEqualsBool(left, false)) return false;
  return undefined;
}

function readTerm(token: readonly PyValue[], index: number): Raw {
  if (token.length !== 3) throw bad(index, `has ${token.length} items; a term is [field, operator, value]`);
  const constant = constantTerm(token);
  if (constant !== undefined) return { kind: 'constant', value: constant };
  const [path, operator, value] = token as [PyValue, PyValue, PyValue];
  if (typeof operator !== 'string')
    throw bad(index, `has an operator that is not a string: ${describeValue(operator)}`);
  if (operator === 'any' || operator === 'not any') throw bad(index, `operator ${pyRepr(operator)} is not supported`);
  if (operator !== '<>' && !OPERATORS.has(operator)) throw bad(index, `has unknown operator ${pyRepr(operator)}`);
  if (typeof path !== 'string') throw bad(index, `has a field path that is not a string: ${describeValue(path)}`);
  return { kind: 'term', index, path, operator: operator === '<>' ? '!=' : (operator as Operator), value };
}

function negateRaw(raw: Raw): Raw {
  if (raw.kind === 'not') return raw.child;
  if (raw.kind === 'constant') return { kind: 'constant', value: !raw.value };
  return { kind: 'not', child: raw, depth: rawDepth(raw) + 1 };
}

function combineRaw(kind: 'and' | 'or', a: Raw, b: Raw): Raw {
  // Same operators in a row are flattened later, so they do not add depth.
  const level = (child: Raw) => (child.kind === kind ? rawDepth(child) : rawDepth(child) + 1);
  return { kind, children: [a, b], depth: Math.max(level(a), level(b)) };
}

/** Reads the prefix notation right to left with a stack, as Odoo's parse() does. */
function readDomain(raw: PyValue): Raw {
  if (!Array.isArray(raw))
    throw new BadRequestError(`Invalid domain: expected a list of terms, got ${describeValue(raw)}`);
  const stack: Raw[] = [];
  for (let index = raw.length - 1; index >= 0; index--) {
    const token = raw[index] as PyValue;
    let node: Raw;
    if (token === '&' || token === '|') {
      if (stack.length < 2) throw bad(index, `('${token}') needs 2 operands, found ${stack.length}`);
      const first = stack.pop() as Raw;
      const second = stack.pop() as Raw;
      node = combineRaw(token === '&' ? 'and' : 'or', first, second);
    } else if (token === '!') {
      if (stack.length < 1) throw bad(index, "('!') needs 1 operand, found 0");
      node = negateRaw(stack.pop() as Raw);
    } else if (Array.isArray(token)) {
      node = readTerm(token, index);
    } else {
      throw bad(index, `is ${describeValue(token)}; expected '&', '|', '!' or a [field, operator, value] term`);
    }
    if (rawDepth(node) > MAX_DOMAIN_DEPTH)
      throw bad(index, `nests '&', '|' and '!' more than ${MAX_DOMAIN_DEPTH} levels deep`);
    stack.push(node);
  }
  if (stack.length === 0) return { kind: 'constant', value: true };
  // The stack holds the top-level expressions, leftmost on top: Odoo's implicit '&'.
  let result = stack[0] as Raw;
  for (let i = 1; i < stack.length; i++) result = combineRaw('and', stack[i] as Raw, result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Phase 2: raw terms -> validated leaves, with `!` pushed down as Odoo's _tree_not does

interface Context {
  readonly registry: ModelRegistry;
}

function notNode(node: DomainNode): DomainNode {
  if (node.kind === 'constant') return node.value ? FALSE : TRUE;
  if (node.kind === 'not') return node.child;
  return { kind: 'not', child: node };
}

/** Builds an n-ary and/or, flattening same-kind children and folding constants. */
function junction(kind: 'and' | 'or', parts: readonly DomainNode[]): DomainNode {
  const absorbing = kind === 'or';
  const children: DomainNode[] = [];
  for (const part of parts) {
    if (part.kind === 'constant') {
      if (part.value === absorbing) return part;
    } else if (part.kind === kind) {
      children.push(...part.children);
    } else {
      children.push(part);
    }
  }
  if (children.length === 0) return absorbing ? FALSE : TRUE;
  if (children.length === 1) return children[0] as DomainNode;
  return { kind, children };
}

function effectiveKind(kind: 'and' | 'or', negate: boolean): 'and' | 'or' {
  return negate === (kind === 'and') ? 'or' : 'and';
}

function toNode(ctx: Context, model: ModelDef, raw: Raw, negate: boolean): DomainNode {
  switch (raw.kind) {
    case 'constant':
      return raw.value !== negate ? TRUE : FALSE;
    case 'term':
      return buildTerm(ctx, model, raw.path, raw.operator, raw.value, negate, raw.index);
    case 'not':
      return toNode(ctx, model, raw.child, !negate);
    case 'and':
    case 'or': {
      // Same-kind runs are gathered with an explicit stack: a long '&' chain costs no recursion.
      const kind = effectiveKind(raw.kind, negate);
      const parts: DomainNode[] = [];
      const todo: Array<[Raw, boolean]> = [[raw, negate]];
      while (todo.length > 0) {
        const [item, itemNegate] = todo.pop() as [Raw, boolean];
        if ((item.kind === 'and' || item.kind === 'or') && effectiveKind(item.kind, itemNegate) === kind) {
          todo.push([item.children[1], itemNegate], [item.children[0], itemNegate]);
        } else if (
          item.kind === 'not' &&
          (item.child.kind === 'and' || item.child.kind === 'or') &&
          effectiveKind(item.child.kind, !itemNegate) === kind
        ) {
          todo.push([item.child, !itemNegate]);
        } else {
          parts.push(toNode(ctx, model, item, itemNegate));
        }
      }
      return junction(kind, parts);
    }
  }
}

function splitPath(path: string, index: number | undefined): string[] {
  const steps = path.split('.');
  if (steps.some((step) => step === '')) throw bad(index, `has an empty field name in ${pyRepr(path)}`);
  if (steps.length > MAX_PATH_STEPS) throw bad(index, `has a field path of more than ${MAX_PATH_STEPS} fields`);
  return steps;
}

function fieldOf(model: ModelDef, name: string): FieldDef {
  const field = model.fieldsByName.get(name);
  if (!field) throw new InvalidFieldError(name, model.model);
  return field;
}

function comodelOf(ctx: Context, field: FieldDef): ModelDef {
  const comodel = field.relation === undefined ? undefined : ctx.registry.get(field.relation);
  // buildRegistry guarantees every relation exists; a registry that breaks that is a bug.
  if (!comodel) throw new Error(`domain: field ${field.name} relates to unknown model ${String(field.relation)}`);
  return comodel;
}

function buildTerm(
  ctx: Context,
  model: ModelDef,
  path: string,
  operator: Operator,
  value: PyValue,
  negate: boolean,
  index: number | undefined,
): DomainNode {
  const [first = '', ...rest] = splitPath(path, index);
  const field = fieldOf(model, first);
  if (rest.length > 0) {
    if (!RELATIONAL.has(field.type)) throw new InvalidFieldError(path, model.model);
    const leaf: LeafNode = { kind: 'leaf', model, field, operator, value, subpath: rest, nameSearch: false };
    resolve(ctx, leaf, index); // validates the rest of the path on the comodel, step by step
    // Paths become 'any' before negation is distributed, so '!' on a path is its complement.
    return negate ? notNode(leaf) : leaf;
  }
  if (!negate) return buildField(ctx, model, field, operator, value, index);
  const negated = NEGATION[operator];
  return negated === undefined
    ? notNode(buildField(ctx, model, field, operator, value, index))
    : buildField(ctx, model, field, negated, value, index);
}

function isNameValue(value: PyValue): value is string | string[] {
  return (
    typeof value === 'string' ||
    (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string'))
  );
}

function positive(operator: Operator): Operator {
  return NEGATIVE.has(operator) ? (NEGATION[operator] as Operator) : operator;
}

/** One term on one field of `model` (no path left), with `!` already applied to its operator. */
function buildField(
  ctx: Context,
  model: ModelDef,
  fieldDef: FieldDef,
  op: Operator,
  value: PyValue,
  index: number | undefined,
): DomainNode {
  // normalize_leaf
  let operator = op;
  if (typeof value === 'boolean' && (operator === 'in' || operator === 'not in'))
    operator = operator === 'in' ? '=' : '!=';
  if (Array.isArray(value) && (operator === '=' || operator === '!=')) operator = operator === '=' ? 'in' : 'not in';
  if (operator === '=?' && (value === false || value === null)) return TRUE;
  // display_name is not stored: Odoo searches it on the record name.
  const field = fieldDef.name === 'display_name' ? fieldOf(model, model.recName) : fieldDef;
  const leaf = (leafOperator: Operator, nameSearch = false): LeafNode => ({
    kind: 'leaf',
    model,
    field,
    operator: leafOperator,
    value,
    subpath: nameSearch ? [comodelOf(ctx, field).recName] : [],
    nameSearch,
  });

  if (operator === 'child_of' || operator === 'parent_of') {
    const node = leaf(operator);
    const resolution = resolve(ctx, node, index);
    if (resolution.kind === 'hierarchy' && 'ids' in resolution.start && resolution.start.ids.length === 0) return FALSE;
    return node;
  }

  switch (field.type) {
    case 'many2one': {
      if (!isNameValue(value)) break;
      if (operator === '<' || operator === '<=' || operator === '>' || operator === '>=') {
        throw bad(index, `cannot compare many2one field ${pyRepr(field.name)} with a name using ${pyRepr(operator)}`);
      }
      if (typeof value === 'string' && (operator === 'in' || operator === 'not in'))
        operator = operator === 'in' ? '=' : '!=';
      const node = leaf(operator, true);
      resolve(ctx, node, index);
      return node;
    }
    case 'one2many':
    case 'many2many': {
      // Negative operators are "no linked record matches the positive one".
      const wrap = (node: DomainNode) => (NEGATIVE.has(operator) ? notNode(node) : node);
      if (typeof value === 'string') {
        const node = leaf(positive(operator), true);
        resolve(ctx, node, index);
        return wrap(node);
      }
      const node = leaf(positive(operator));
      compileLeaf(node, index);
      return wrap(node);
    }
    case 'binary':
      if ((operator === '=' || operator === '!=') && !truthy(value)) {
        // Odoo keeps binaries in attachments: only "set or not" can be searched.
        return { kind: 'leaf', model, field, operator, value: false, subpath: [], nameSearch: false };
      }
      throw bad(index, `can only compare binary field ${pyRepr(field.name)} with False`);
    default:
      break;
  }
  const node = leaf(operator);
  compileLeaf(node, index);
  return node;
}

// ---------------------------------------------------------------------------------------------
// Resolutions (what the executor searches beforehand)

function parentFieldOf(model: ModelDef, operator: string, index: number | undefined): FieldDef {
  const parent = model.fieldsByName.get('parent_id');
  if (!parent || parent.type !== 'many2one' || parent.relation !== model.model) {
    throw bad(index, `cannot use ${pyRepr(operator)}: model ${pyRepr(model.model)} has no parent_id hierarchy`);
  }
  return parent;
}

interface Hierarchy {
  readonly model: ModelDef;
  readonly parentField: FieldDef;
  /** Whether the record's own id is tested (true) or its field's value(s). */
  readonly matchSelf: boolean;
}

/** child_of_domain / parent_of_domain: which hierarchy a child_of/parent_of term walks. */
function hierarchyOf(ctx: Context, leaf: LeafNode, index: number | undefined): Hierarchy {
  const { model, field, operator } = leaf;
  if (field.name === 'id') return { model, parentField: parentFieldOf(model, operator, index), matchSelf: true };
  if (!RELATIONAL.has(field.type))
    throw bad(index, `cannot use ${pyRepr(operator)} on field ${pyRepr(field.name)} (${field.type})`);
  const comodel = comodelOf(ctx, field);
  if (comodel.model === model.model) {
    if (field.type === 'many2one') return { model, parentField: field, matchSelf: true };
    if (field.type === 'many2many')
      return { model, parentField: parentFieldOf(model, operator, index), matchSelf: true };
    throw bad(index, `cannot use ${pyRepr(operator)} on one2many field ${pyRepr(field.name)} of its own model`);
  }
  return { model: comodel, parentField: parentFieldOf(comodel, operator, index), matchSelf: false };
}

/** Odoo's to_ids(): ids, or names to look up with ilike; False and 0 mean none. */
function hierarchyStart(leaf: LeafNode, index: number | undefined): { ids: number[] } | { names: string[] } {
  const { value } = leaf;
  const isId = (item: PyValue): item is number => typeof item === 'number' && Number.isSafeInteger(item) && item >= 0;
  if (value === false) return { ids: [] };
  if (isId(value)) return { ids: value === 0 ? [] : [value] };
  if (typeof value === 'string') return { names: [value] };
  if (Array.isArray(value)) {
    if (isNameValue(value)) return { names: value };
    if (value.every((item) => item === false || isId(item)))
      return { ids: (value as Array<number | false>).filter((id): id is number => id !== false && id !== 0) };
  }
  throw bad(index, `operator ${pyRepr(leaf.operator)} needs ids or names, got ${describeValue(value)}`);
}

function resolve(ctx: Context, leaf: LeafNode, index: number | undefined): Resolution {
  // On a path, the hierarchy is the last field's (Odoo 17 makes the path 'any' first): the
  // comodel's sub-domain below carries the operator down to it.
  if ((leaf.operator === 'child_of' || leaf.operator === 'parent_of') && leaf.subpath.length === 0) {
    const { model, parentField } = hierarchyOf(ctx, leaf, index);
    const start = hierarchyStart(leaf, index);
    if ('ids' in start) return { kind: 'hierarchy', operator: leaf.operator, model, parentField, start };
    const byName = start.names.map((name) => buildTerm(ctx, model, model.recName, 'ilike', name, false, index));
    return {
      kind: 'hierarchy',
      operator: leaf.operator,
      model,
      parentField,
      start: { domain: junction('or', byName), activeTest: true },
    };
  }
  const comodel = comodelOf(ctx, leaf.field);
  const domain = buildTerm(ctx, comodel, leaf.subpath.join('.'), leaf.operator, leaf.value, false, index);
  return { kind: 'search', model: comodel, domain, activeTest: leaf.field.type !== 'many2one' };
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Parses and validates a domain (already parsed from its literal text) for `model`. */
export function parseDomain(raw: PyValue, model: ModelDef, registry: ModelRegistry): DomainNode {
  return toNode({ registry }, model, readDomain(raw), false);
}

/** The leaves whose id sets the caller must resolve (see resolutionOf) before matchRecord. */
export function subpathLeaves(node: DomainNode): LeafNode[] {
  const leaves: LeafNode[] = [];
  const todo: DomainNode[] = [node];
  while (todo.length > 0) {
    const item = todo.pop() as DomainNode;
    if (item.kind === 'and' || item.kind === 'or') todo.push(...[...item.children].reverse());
    else if (item.kind === 'not') todo.push(item.child);
    else if (item.kind === 'leaf' && needsResolution(item)) leaves.push(item);
  }
  return leaves;
}

/** What to search to resolve a leaf of subpathLeaves(). */
export function resolutionOf(leaf: LeafNode, registry: ModelRegistry): Resolution {
  return resolve({ registry }, leaf, undefined);
}

/**
 * Every model whose records resolving `node` reads (the comodels of dotted paths and name searches,
 * the hierarchies child_of/parent_of walk, and so on down their own sub-domains), once each, the
 * domain's own model included only when a hierarchy walks it. Odoo 17 searches each with
 * check_access_rights('read'): the caller checks them before anything is read.
 */
export function walkedModels(node: DomainNode, registry: ModelRegistry): ModelDef[] {
  const models = new Map<string, ModelDef>();
  const todo: DomainNode[] = [node];
  while (todo.length > 0) {
    for (const leaf of subpathLeaves(todo.pop() as DomainNode)) {
      const resolution = resolutionOf(leaf, registry);
      models.set(resolution.model.model, resolution.model);
      if (resolution.kind === 'search') todo.push(resolution.domain);
      else if ('domain' in resolution.start) todo.push(resolution.start.domain);
    }
  }
  return [...models.values()];
}

/**
 * child_of: the start ids and all their descendants; parent_of: the start ids and all their
 * ancestors. A cycle in the data ends the walk instead of looping.
 */
export function hierarchyIds(
  operator: 'child_of' | 'parent_of',
  startIds: Iterable<number>,
  parentOf: (id: number) => number | null | undefined,
  childrenOf: (id: number) => readonly number[],
): Set<number> {
  const found = new Set<number>();
  const todo: number[] = [];
  for (const id of startIds) {
    if (id && !found.has(id)) {
      found.add(id);
      todo.push(id);
    }
  }
  while (todo.length > 0) {
    const id = todo.pop() as number;
    const next = operator === 'child_of' ? childrenOf(id) : [parentOf(id)];
    for (const other of next) {
      if (other !== null && other !== undefined && other !== 0 && !found.has(other)) {
        found.add(other);
        todo.push(other);
      }
    }
  }
  return found;
}

/**
 * Whether `record` (of the domain's model) satisfies the domain. `resolved` gives the id set of
 * each leaf that subpathLeaves() returned (comodel ids satisfying the sub-leaf, or the hierarchy).
 */
export function matchRecord(
  node: DomainNode,
  record: StoredRecord,
  resolved: (leaf: LeafNode) => ReadonlySet<number>,
): boolean {
  return evaluate(node, record, resolved) === true;
}

// ---------------------------------------------------------------------------------------------
// Evaluation, in SQL's three-valued logic (null = unknown) so that NOT over a NULL stays false

type Truth = boolean | null;
type LeafTest = (record: StoredRecord, resolved: (leaf: LeafNode) => ReadonlySet<number>) => Truth;

function evaluate(node: DomainNode, record: StoredRecord, resolved: (leaf: LeafNode) => ReadonlySet<number>): Truth {
  switch (node.kind) {
    case 'constant':
      return node.value;
    case 'leaf':
      return compileLeaf(node, undefined)(record, resolved);
    case 'not': {
      const value = evaluate(node.child, record, resolved);
      return value === null ? null : !value;
    }
    case 'and':
    case 'or': {
      const decisive = node.kind === 'or';
      let unknown = false;
      for (const child of node.children) {
        const value = evaluate(child, record, resolved);
        if (value === decisive) return decisive;
        if (value === null) unknown = true;
      }
      return unknown ? null : !decisive;
    }
  }
}

function needsResolution(leaf: LeafNode): boolean {
  return leaf.subpath.length > 0 || leaf.operator === 'child_of' || leaf.operator === 'parent_of';
}

const compiled = new WeakMap<LeafNode, LeafTest>();

/** Turns a leaf into its test once (validating its value), cached per leaf. */
function compileLeaf(leaf: LeafNode, index: number | undefined): LeafTest {
  let test = compiled.get(leaf);
  if (!test) {
    test = buildTest(leaf, index);
    compiled.set(leaf, test);
  }
  return test;
}

function own(record: StoredRecord, name: string): StoredValue {
  if (name === 'id') return record.id;
  return Object.prototype.hasOwnProperty.call(record.values, name) ? (record.values[name] ?? null) : null;
}

function linkedIds(record: StoredRecord, name: string): readonly number[] {
  const stored = own(record, name);
  return Array.isArray(stored) ? stored : [];
}

function buildTest(leaf: LeafNode, index: number | undefined): LeafTest {
  const { field, operator } = leaf;
  const x2many = field.type === 'one2many' || field.type === 'many2many';

  if ((operator === 'child_of' || operator === 'parent_of') && leaf.subpath.length === 0) {
    const matchSelf = field.name === 'id' || (field.relation === leaf.model.model && field.type !== 'one2many');
    return (record, resolved) => {
      const ids = resolved(leaf);
      // No start ids is Odoo's FALSE_LEAF: plain false, even under a NOT.
      if (ids.size === 0) return false;
      if (matchSelf) return ids.has(record.id);
      if (x2many) return linkedIds(record, field.name).some((id) => ids.has(id));
      const value = own(record, field.name);
      return typeof value === 'number' ? ids.has(value) : null;
    };
  }

  if (leaf.subpath.length > 0) {
    if (x2many) {
      return (record, resolved) => {
        const ids = resolved(leaf);
        return linkedIds(record, field.name).some((id) => ids.has(id));
      };
    }
    // A path is 'any': a NULL many2one is false, so that '!' (its "not any") matches it.
    // A name search is `field IN (...)`, OR IS NULL for the negative operators.
    const nullResult: Truth = !leaf.nameSearch ? false : NEGATIVE.has(operator) ? true : null;
    return (record, resolved) => {
      const value = own(record, field.name);
      return typeof value === 'number' ? resolved(leaf).has(value) : nullResult;
    };
  }

  if (x2many) return buildX2ManyTest(leaf, index);
  if (field.type === 'binary') {
    const wantEmpty = operator === '=';
    return (record) => (own(record, field.name) === null || own(record, field.name) === '') === wantEmpty;
  }
  return buildScalarTest(leaf, index);
}

function buildX2ManyTest(leaf: LeafNode, index: number | undefined): LeafTest {
  const { field, value } = leaf;
  // `right is False`: "has no links" (the negative operators were turned into NOT of this).
  if (value === false) return (record) => linkedIds(record, field.name).length === 0;
  const items = Array.isArray(value) ? value : [value];
  const ids = new Set<number>();
  for (const item of items) {
    if (item === false || item === null) continue;
    const id = asNumber(item);
    if (id === undefined) throw cannotCompare(index, field, item);
    if (id !== 0) ids.add(id);
  }
  return (record) => linkedIds(record, field.name).some((id) => ids.has(id));
}

type Kind = 'id' | 'integer' | 'float' | 'boolean' | 'text' | 'date' | 'datetime' | 'many2one';

function kindOf(field: FieldDef): Kind {
  if (field.name === 'id') return 'id';
  switch (field.type) {
    case 'integer':
      return 'integer';
    case 'float':
    case 'monetary':
      return 'float';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'many2one':
      return 'many2one';
    default:
      return 'text';
  }
}

/** The value a stored value is compared with, as Odoo's convert_to_column makes it; null is SQL NULL. */
function convertValue(
  field: FieldDef,
  kind: Kind,
  operator: Operator,
  value: PyValue,
  index: number | undefined,
): number | string | null {
  const fail = () => cannotCompare(index, field, value);
  switch (kind) {
    case 'integer':
    case 'float': {
      // int(value or 0) / float(value or 0.0)
      if (!truthy(value)) return 0;
      if (value === true) return 1;
      if (typeof value === 'string') {
        if (!(kind === 'integer' ? isIntText : isFloatText)(value.trim())) throw fail();
        return Number(value);
      }
      const n = asNumber(value);
      if (n === undefined) throw fail();
      return kind === 'integer' ? Math.trunc(n) : n;
    }
    case 'id':
    case 'many2one': {
      if (value === false || value === null) return null;
      if (typeof value === 'string' && isIntText(value.trim())) return Number(value);
      const n = asNumber(value);
      if (n === undefined) throw fail();
      return n;
    }
    case 'boolean':
      return truthy(value) ? 1 : 0;
    case 'text': {
      if (value === false || value === null) return null;
      const text = pyText(value);
      if (text === undefined) throw fail();
      return text;
    }
    case 'date':
    case 'datetime': {
      if (value === false || value === null) return null;
      const parsed = typeof value === 'string' ? parseDateText(value) : undefined;
      if (!parsed) throw fail();
      const [date, time] = parsed;
      if (kind === 'date') return date;
      if (time !== undefined) return `${date} ${time}`;
      return `${date} ${operator === '>' || operator === '<=' ? '23:59:59' : '00:00:00'}`;
    }
  }
}

/** A stored value in the form convertValue's results compare with. */
function storedComparable(kind: Kind, stored: StoredValue): number | string | null {
  if (stored === null || Array.isArray(stored)) return null;
  if (typeof stored === 'boolean') return kind === 'boolean' ? Number(stored) : null;
  return stored;
}

/** The text of a stored value under PostgreSQL's ::text cast. */
function storedText(stored: StoredValue): string | null {
  if (stored === null || Array.isArray(stored)) return null;
  if (typeof stored === 'boolean') return stored ? 'true' : 'false';
  return String(stored);
}

function buildScalarTest(leaf: LeafNode, index: number | undefined): LeafTest {
  const { field, operator, value } = leaf;
  const kind = kindOf(field);
  const read = (record: StoredRecord) => own(record, field.name);

  if (operator === 'in' || operator === 'not in') {
    if (!Array.isArray(value))
      throw bad(index, `operator ${pyRepr(operator)} needs a list value, got ${describeValue(value)}`);
    const wantIn = operator === 'in';
    if (kind === 'boolean') {
      const hasTrue = value.some((item) => pyEqualsBool(item, true));
      const hasFalse = value.some((item) => pyEqualsBool(item, false));
      // False in the list also stands for NULL (check_null).
      return (record) => {
        const stored = read(record);
        const hit = stored === true ? hasTrue : hasFalse;
        return wantIn ? hit : !hit;
      };
    }
    let checkNull = false;
    const params = new Set<number | string>();
    for (const item of value) {
      if (item === false || item === null) checkNull = true;
      else params.add(convertValue(field, kind, 'in', item, index) as number | string);
    }
    return (record) => {
      const stored = storedComparable(kind, read(record));
      if (stored === null) return wantIn ? checkNull : !checkNull;
      return params.has(stored) === wantIn;
    };
  }

  if (kind === 'boolean' && (operator === '=' || operator === '!=') && typeof value === 'boolean') {
    const want = operator === '!=' ? !value : value;
    return (record) => (read(record) === true) === want;
  }

  if ((operator === '=' || operator === '!=') && (value === false || value === null)) {
    const wantNull = operator === '=';
    return (record) => (read(record) === null) === wantNull;
  }

  if (LIKE.has(operator)) {
    let text = pyText(value);
    if (text === undefined)
      throw bad(index, `operator ${pyRepr(operator)} needs a text value, got ${describeValue(value)}`);
    if (kind === 'datetime' && typeof value === 'string' && value.length === 10) text += ' 00:00:00';
    const wildcard = WILDCARD.has(operator);
    const insensitive = operator.endsWith('ilike');
    const pattern = wildcard ? `%${text}%` : text;
    const tokens = compileLike(insensitive ? pattern.toLowerCase() : pattern);
    if (!tokens) throw bad(index, 'has a like pattern that ends with an escape character');
    const negated = operator.startsWith('not');
    const orNull = (wildcard && !truthy(value)) || (truthy(value) && NEGATIVE.has(operator));
    return (record) => {
      const stored = storedText(read(record));
      if (stored === null) return orNull ? true : null;
      return likeMatches(insensitive ? stored.toLowerCase() : stored, tokens) !== negated;
    };
  }

  // =, !=, <, <=, >, >=, and =? with a value (which is '=')
  const target = convertValue(field, kind, operator, value, index);
  const orNull = operator === '!=' && truthy(value);
  return (record) => {
    const stored = storedComparable(kind, read(record));
    if (stored === null) return orNull ? true : null;
    if (target === null) return null;
    if (typeof stored !== typeof target) return false;
    const order =
      typeof target === 'number'
        ? Math.sign((stored as number) - target)
        : Math.sign(compareText(stored as string, target));
    switch (operator) {
      case '<':
        return order < 0;
      case '<=':
        return order <= 0;
      case '>':
        return order > 0;
      case '>=':
        return order >= 0;
      case '!=':
        return order !== 0;
      default:
        return order === 0;
    }
  };
}
