/**
 * Odoo search domains: parsing (prefix notation -> a validated tree) and in-memory evaluation of
 * that tree on stored records, with the results Odoo's SQL would give on the same data.
 *
 * Semantics follow Odoo 17's odoo/osv/expression.py and BaseModel._search / _where_calc:
 * - normalize_domain: terms next to each other are AND-ed; an empty domain is TRUE_LEAF;
 *   TRUE_LEAF (1, '=', 1) and FALSE_LEAF (0, '=', 1) are constants.
 * - is_false (in _search): a domain that is false by three-valued logic over '&' (min), '|' (max),
 *   '!', the constants, `in` a falsy value (false) and `not in` one (true) answers nothing, before
 *   normalize_leaf would read `('x', 'in', False)` as `= False`; each comodel sub-search applies it
 *   to its own sub-domain.
 * - _anyfy_leaves: a dotted path through a relational field becomes `field any [(rest, op, value)]`
 *   BEFORE negation is distributed, so `!` on a path is an exact complement ("not any"), while
 *   `('country_id.code', '!=', 'BE')` is `country_id in (ids whose code != 'BE')` (no NULLs).
 *   'any' / 'not any' terms take a domain on the comodel; 'not any' is the exact complement
 *   (`NOT IN (...) OR IS NULL` on a many2one, "no linked record" on an x2many).
 * - _tree_not: `!` is pushed into the terms through TERM_OPERATORS_NEGATION (`! (x < 5)` is
 *   `x >= 5`, which does not match NULL; `! any` is `not any`); a term without a negation (=like,
 *   =ilike, =?, child_of, parent_of) keeps a SQL NOT, so `! (email =like 'a%')` does not match a
 *   NULL email either.
 * - _tree_combine_anies: 'any's on one field under '|' (and a many2one's under '&') are one
 *   sub-search on the OR (AND) of their domains; 'not any's under '&' (a many2one's under '|') too.
 * - The comodel sub-searches (parse()): a many2one's runs with active_test=False, an x2many's in the
 *   caller's context (so below a many2one, archived records are found); each leaves archived
 *   records out as _where_calc does: active_test on and no term of its domain on `active` itself
 *   (a merged OR with an `active` term keeps archived records for every branch). res.users'
 *   partner_id is auto_join: its condition joins into the caller's query (no archive filter, no
 *   is_false, the caller's context below it, and 'not any' is SQL's NOT over the condition).
 * - normalize_leaf: '<>' is '!='; `in`/`not in` with a bool is `=`/`!=`; `=`/`!=` with a list is
 *   `in`/`not in`.
 * - __leaf_to_sql: `= False|None` is IS NULL and `!= False|None` IS NOT NULL; a boolean field
 *   `= False` also matches NULL; `in` with False in the list adds OR IS NULL, `not in` adds OR IS NULL
 *   unless False is in the list; `!=` and `not like`/`not ilike` with a truthy value add OR IS NULL;
 *   like/ilike wrap pycompat.to_text(value) in %...% (its own % and _ stay wildcards, backslash
 *   escapes; False and None are ''), and with an empty or falsy value they match every row, NULLs
 *   included; =like/=ilike with False/None compare with NULL and match nothing; values converted
 *   as convert_to_column does (Integer: int(value or 0), Float: float(value or 0.0), Many2one:
 *   `value or None`, so a many2one compared with 0 is compared with NULL); a datetime compared
 *   with a bare date gets 23:59:59 for '>' and '<=', 00:00:00 otherwise.
 * - parse(): a string on a many2one is a name search on the comodel (negative operators then also
 *   match NULL); on an x2many the name search uses the positive operator and the negative one is
 *   "no linked record matches"; x2many `in` means "some linked id is in", `= False` "no links",
 *   and '=?' is '=' there; child_of/parent_of follow child_of_domain/parent_of_domain (on `id`, on
 *   a many2one to the same model the field itself is the parent link, otherwise the comodel's
 *   parent_id), walked over archived records too, a many2many's hierarchy then searched in the
 *   caller's context (archived tags left out when active_test is on).
 *
 * Odoo 17 stores '' in a char field as '' (Char.convert_to_column keeps it) and `= False` is only
 * IS NULL, so '' is NOT treated as empty here either: `('email', '=', False)` does not match ''.
 *
 * Where this module chooses differently, and why:
 * - A name search (a `display_name` term, a many2one or x2many compared with a name, child_of by
 *   name, name_search) compares the model's recNamesSearch fields, any of them matching (all of
 *   them for a negative operator), as Odoo 17's _search_display_name over _rec_names_search.
 * - Things Odoo would send to PostgreSQL and fail on, or silently ignore, are a 400 naming the term:
 *   values that cannot be converted to the field's type, `in` with a scalar (except the x2many id and
 *   the bool forms Odoo accepts), '<'/'>' between a many2one and a name (Odoo rewrites them to '='),
 *   any comparison of a binary field other than with False (Odoo logs and ignores it), child_of on a
 *   one2many to the same model (Odoo walks it upside down), 'any' on a field that is not relational.
 * - A domain is_false finds false still has its field names checked (an unknown one is the usual
 *   403), where Odoo answers [] without looking at them; its values are not checked, as in Odoo.
 * - The read right is checked on every comodel a domain reaches, auto_join ones included (Odoo's
 *   JOIN skips the check there).
 * - ilike folds case with Unicode lower-casing and without unaccent (Odoo's default); text compares
 *   in code point order, as in the 'C' collation Odoo creates its databases with.
 * - Nesting of '&'/'|'/'!', path length and 'any' nesting (counted with the paths) are bounded, so
 *   no input can exhaust the stack.
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
  /** [comodel recName] for a name search (dotted paths are AnyNodes); [] otherwise. */
  readonly subpath: readonly string[];
  /** A string compared with a relational field: Odoo's name search on the comodel. */
  readonly nameSearch: boolean;
}

/**
 * `field any domain` (`not any`: its complement): a dotted path (`country_id.code = 'BE'` is
 * `country_id any [code = 'BE']`) or an explicit 'any' term, after Odoo merged those on one field.
 */
export interface AnyNode {
  readonly kind: 'any';
  readonly model: ModelDef;
  /** A relational field of `model`. */
  readonly field: FieldDef;
  readonly negated: boolean;
  /** The condition on the comodel; FALSE when expression.is_false holds for it. */
  readonly domain: DomainNode;
  /** Whether that domain has a term on `active` itself (Odoo's sub-search then keeps archived records). */
  readonly namesActive: boolean;
  /** Odoo's auto_join many2one (see AUTO_JOIN): the condition is joined into the query, not sub-searched. */
  readonly autoJoin: boolean;
}

export type DomainNode =
  | { readonly kind: 'and' | 'or'; readonly children: readonly DomainNode[] }
  | { readonly kind: 'not'; readonly child: DomainNode }
  | LeafNode
  | AnyNode
  | { readonly kind: 'constant'; readonly value: boolean };

/** What subpathLeaves() returns: the nodes whose id sets are searched beforehand. */
export type ResolvableNode = LeafNode | AnyNode;

/**
 * One comodel search (BaseModel._search) that a node's ids come from:
 * - activeTest: the context's active_test it runs in, handed down to its own sub-searches (a
 *   many2one path or name search sets it False; x2many ones and hierarchies keep the caller's);
 * - leaveArchivedOut: whether _where_calc adds `active = True` (active_test on, the model has
 *   `active`, and the domain has no term on `active` itself);
 * - select: true for the ids the domain matches; false for those it is false on (SQL's NOT of it
 *   holds: an auto_join 'not any').
 */
export interface SubSearch {
  readonly model: ModelDef;
  readonly domain: DomainNode;
  readonly activeTest: boolean;
  readonly leaveArchivedOut: boolean;
  readonly select: boolean;
}

/**
 * How the caller turns a node of subpathLeaves() into the id set that matchRecord's `resolved`
 * returns for it:
 * - search: the ids of a SubSearch (whose domain may need resolutions of its own);
 * - hierarchy: the start ids (or those of a name search) expanded with hierarchyIds() along
 *   `parentField` over every record of `model`, archived ones included, then without the archived
 *   ones when leaveArchivedOut (a many2many searches the hierarchy in the caller's context).
 */
export type Resolution =
  | ({ readonly kind: 'search' } & SubSearch)
  | {
      readonly kind: 'hierarchy';
      readonly operator: 'child_of' | 'parent_of';
      readonly model: ModelDef;
      readonly parentField: FieldDef;
      readonly start: { readonly ids: readonly number[] } | { readonly search: SubSearch };
      readonly leaveArchivedOut: boolean;
    };

/**
 * Fields Odoo 17 declares with auto_join=True (res.users.partner_id, in
 * odoo/addons/base/models/res_users.py): a path or 'any' through them is a JOIN, not a sub-search.
 * The model definitions do not carry the attribute, so it is named here.
 */
const AUTO_JOIN: ReadonlySet<string> = new Set(['res.users.partner_id']);

/** Odoo 17's 'any' / 'not any': the right side is a domain on the comodel. */
type AnyOperator = 'any' | 'not any';

const OPERATORS: ReadonlySet<string> = new Set<Operator | AnyOperator>([
  'any',
  'not any',
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

/** Where a term is: its index in the domain, or a text for a term inside an 'any' domain. */
type Where = number | string | undefined;

function whereText(where: Where): string {
  if (where === undefined) return 'a term';
  return typeof where === 'number' ? `term ${where}` : where;
}

function bad(index: Where, problem: string): BadRequestError {
  return new BadRequestError(`Invalid domain: ${whereText(index)} ${problem}`);
}

function cannotCompare(index: Where, field: FieldDef, value: PyValue): BadRequestError {
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
  if (value === false || value === null) return '';
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
      readonly index: Where;
      readonly path: string;
      readonly operator: Operator | AnyOperator;
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

function readTerm(token: readonly PyValue[], index: Where): Raw {
  if (token.length !== 3) throw bad(index, `has ${token.length} items; a term is [field, operator, value]`);
  const constant = constantTerm(token);
  if (constant !== undefined) return { kind: 'constant', value: constant };
  const [path, operator, value] = token as [PyValue, PyValue, PyValue];
  if (typeof operator !== 'string')
    throw bad(index, `has an operator that is not a string: ${describeValue(operator)}`);
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

/** Where the items of a domain are: `term 3`, or inside an 'any' term `term 0 of the domain of term 3`. */
function itemWhere(index: number, within: Where): Where {
  return within === undefined ? index : `term ${index} of the domain of ${whereText(within)}`;
}

/** Reads the prefix notation right to left with a stack, as Odoo's parse() does. */
function readDomain(raw: PyValue, within?: Where): Raw {
  if (!Array.isArray(raw))
    throw new BadRequestError(`Invalid domain: expected a list of terms, got ${describeValue(raw)}`);
  const stack: Raw[] = [];
  for (let index = raw.length - 1; index >= 0; index--) {
    const token = raw[index] as PyValue;
    const where = itemWhere(index, within);
    let node: Raw;
    if (token === '&' || token === '|') {
      if (stack.length < 2) throw bad(where, `('${token}') needs 2 operands, found ${stack.length}`);
      const first = stack.pop() as Raw;
      const second = stack.pop() as Raw;
      node = combineRaw(token === '&' ? 'and' : 'or', first, second);
    } else if (token === '!') {
      if (stack.length < 1) throw bad(where, "('!') needs 1 operand, found 0");
      node = negateRaw(stack.pop() as Raw);
    } else if (Array.isArray(token)) {
      node = readTerm(token, where);
    } else {
      throw bad(where, `is ${describeValue(token)}; expected '&', '|', '!' or a [field, operator, value] term`);
    }
    if (rawDepth(node) > MAX_DOMAIN_DEPTH)
      throw bad(where, `nests '&', '|' and '!' more than ${MAX_DOMAIN_DEPTH} levels deep`);
    stack.push(node);
  }
  if (stack.length === 0) return { kind: 'constant', value: true };
  // The stack holds the top-level expressions, leftmost on top: Odoo's implicit '&'.
  let result = stack[0] as Raw;
  for (let i = 1; i < stack.length; i++) result = combineRaw('and', stack[i] as Raw, result);
  return result;
}

/**
 * expression.is_false on the domain as given: three-valued over '&' (min), '|' (max) and '!'
 * (negation), TRUE_LEAF and FALSE_LEAF, `in` a falsy value (false) and `not in` one (true).
 * BaseModel._search answers nothing, without a query, when it holds.
 */
function rawIsFalse(raw: Raw): boolean {
  // Post-order with an explicit stack: a long '&' chain is a deep binary tree here.
  const ranks: number[] = [];
  const todo: Array<{ readonly node: Raw; readonly expanded: boolean }> = [{ node: raw, expanded: false }];
  while (todo.length > 0) {
    const { node, expanded } = todo.pop() as { node: Raw; expanded: boolean };
    if (node.kind === 'constant') ranks.push(node.value ? 1 : -1);
    else if (node.kind === 'term') ranks.push(termRank(node.operator, node.value));
    else if (!expanded) {
      todo.push({ node, expanded: true });
      for (const child of node.kind === 'not' ? [node.child] : node.children)
        todo.push({ node: child, expanded: false });
    } else if (node.kind === 'not') {
      ranks.push(-(ranks.pop() as number));
    } else {
      const a = ranks.pop() as number;
      const b = ranks.pop() as number;
      ranks.push(node.kind === 'and' ? Math.min(a, b) : Math.max(a, b));
    }
  }
  return ranks.pop() === -1;
}

function termRank(operator: string, value: PyValue): number {
  if (operator === 'in' && !truthy(value)) return -1;
  if (operator === 'not in' && !truthy(value)) return 1;
  return 0;
}

/**
 * _where_calc's test, `any(item[0] == 'active' for item in domain)`: whether a term of the domain
 * list as given (at any nesting of '&', '|', '!', not inside an 'any') is on `active` itself,
 * whatever its operator. Then archived records are not left out.
 */
export function domainNamesActive(domain: PyValue | undefined): boolean {
  return Array.isArray(domain) && domain.some((item) => Array.isArray(item) && item[0] === 'active');
}

// ---------------------------------------------------------------------------------------------
// Phase 2: raw terms -> Odoo's domain tree (expression.domain_combine_anies): paths become 'any'
// (_anyfy_leaves), '!' is pushed into the terms (_tree_not), TRUE/FALSE leaves fold
// (_tree_and/_tree_or), and 'any' conditions on one field are merged (_tree_combine_anies).
// The terms stay as written (no normalize_leaf yet): is_false and _where_calc look at them so.

interface Context {
  readonly registry: ModelRegistry;
}

type OTerm = {
  readonly kind: 'term';
  readonly index: Where;
  readonly model: ModelDef;
  readonly field: FieldDef;
  readonly operator: Operator;
  readonly value: PyValue;
};

type OAny = {
  readonly kind: 'any';
  readonly index: Where;
  readonly model: ModelDef;
  readonly field: FieldDef;
  readonly negated: boolean;
  readonly sub: OTree;
};

type OTree =
  | { readonly kind: 'constant'; readonly value: boolean }
  | { readonly kind: 'and' | 'or'; readonly children: readonly OTree[] }
  | { readonly kind: 'not'; readonly child: OTerm }
  | OTerm
  | OAny;

/** Builds an n-ary and/or, flattening same-kind children and folding constants. */
function junction<T extends { readonly kind: string }>(
  kind: 'and' | 'or',
  parts: readonly T[],
): T | { readonly kind: 'and' | 'or'; readonly children: readonly T[] } | { kind: 'constant'; value: boolean } {
  const absorbing = kind === 'or';
  const children: T[] = [];
  for (const part of parts) {
    if (part.kind === 'constant') {
      if ((part as unknown as { value: boolean }).value === absorbing) return { kind: 'constant', value: absorbing };
    } else if (part.kind === kind) {
      children.push(...(part as unknown as { children: readonly T[] }).children);
    } else {
      children.push(part);
    }
  }
  if (children.length === 0) return { kind: 'constant', value: !absorbing };
  if (children.length === 1) return children[0] as T;
  return { kind, children };
}

function effectiveKind(kind: 'and' | 'or', negate: boolean): 'and' | 'or' {
  return negate === (kind === 'and') ? 'or' : 'and';
}

/** How deep 'any' conditions and paths may nest, counted in relational steps. */
function checkHops(hops: number, index: Where): void {
  if (hops >= MAX_PATH_STEPS) throw bad(index, `has a field path of more than ${MAX_PATH_STEPS} fields`);
}

function toTree(ctx: Context, model: ModelDef, raw: Raw, negate: boolean, hops: number): OTree {
  switch (raw.kind) {
    case 'constant':
      return { kind: 'constant', value: raw.value !== negate };
    case 'term':
      return termTree(ctx, model, raw.path, raw.operator, raw.value, negate, raw.index, hops);
    case 'not':
      return toTree(ctx, model, raw.child, !negate, hops);
    case 'and':
    case 'or': {
      // Same-kind runs are gathered with an explicit stack: a long '&' chain costs no recursion.
      const kind = effectiveKind(raw.kind, negate);
      const parts: OTree[] = [];
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
          parts.push(toTree(ctx, model, item, itemNegate, hops));
        }
      }
      return junction(kind, parts);
    }
  }
}

function splitPath(path: string, index: Where): string[] {
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

/** One term (path, operator, value) of `model`, `negate`d: a path or an 'any' becomes an 'any' node. */
function termTree(
  ctx: Context,
  model: ModelDef,
  path: string,
  operator: Operator | AnyOperator,
  value: PyValue,
  negate: boolean,
  index: Where,
  hops: number,
): OTree {
  const [first = '', ...rest] = splitPath(path, index);
  const field = fieldOf(model, first);
  if (rest.length > 0) {
    if (!RELATIONAL.has(field.type)) throw new InvalidFieldError(path, model.model);
    checkHops(hops + rest.length, index);
    // _anyfy_leaves: (a.b, op, v) is (a, 'any', [(b, op, v)]), before '!' is distributed.
    const sub = termTree(ctx, comodelOf(ctx, field), rest.join('.'), operator, value, false, index, hops + 1);
    return { kind: 'any', index, model, field, negated: negate, sub };
  }
  if (operator === 'any' || operator === 'not any') {
    if (!RELATIONAL.has(field.type))
      throw bad(index, `cannot use ${pyRepr(operator)} on field ${pyRepr(field.name)} (${field.type})`);
    if (!Array.isArray(value))
      throw bad(index, `operator ${pyRepr(operator)} needs a domain (a list of terms), got ${describeValue(value)}`);
    // The field and at least one of its comodel's: as many fields as a path of hops + 2.
    checkHops(hops + 1, index);
    const sub = toTree(ctx, comodelOf(ctx, field), readDomain(value, index), false, hops + 1);
    return { kind: 'any', index, model, field, negated: (operator === 'not any') !== negate, sub };
  }
  const term: OTerm = { kind: 'term', index, model, field, operator, value };
  if (!negate) return term;
  const negated = NEGATION[operator];
  return negated === undefined ? { kind: 'not', child: term } : { ...term, operator: negated };
}

/**
 * _tree_combine_anies: (f any A) or (f any B) is (f any (A or B)); (f not any A) and (f not any B)
 * is (f not any (A or B)); on a many2one also (f any A) and (f any B) is (f any (A and B)) and
 * (f not any A) or (f not any B) is (f not any (A and B)). The merged sub-domain is one
 * sub-search, whose own terms decide _where_calc's archive filter (an `active` term among them
 * keeps archived records for all of them).
 */
function combineAnies(tree: OTree): OTree {
  if (tree.kind === 'any') return { ...tree, sub: combineAnies(tree.sub) };
  if (tree.kind !== 'and' && tree.kind !== 'or') return tree;
  const combined = junction(tree.kind, tree.children.map(combineAnies)) as OTree;
  if (combined.kind !== tree.kind) return combined;
  const others: OTree[] = [];
  const groups = new Map<string, OAny[]>();
  for (const child of combined.children) {
    if (child.kind !== 'any') {
      others.push(child);
      continue;
    }
    const key = `${child.negated ? 'not any' : 'any'} ${child.field.name}`;
    groups.set(key, [...(groups.get(key) ?? []), child]);
  }
  for (const members of groups.values()) {
    const [head] = members as [OAny, ...OAny[]];
    // 'any' merges under '|', 'not any' under '&'; the other way round only on a many2one.
    const mergesAlways = head.negated === (tree.kind === 'and');
    const merges = mergesAlways || (head.field.type === 'many2one' && members.length > 1);
    if (!merges) {
      others.push(...members);
      continue;
    }
    const subKind = mergesAlways ? 'or' : 'and';
    const sub = combineAnies(
      junction(
        subKind,
        members.map((member) => member.sub),
      ) as OTree,
    );
    others.push({ ...head, sub });
  }
  return junction(tree.kind, others) as OTree;
}

/** is_false on the sub-domain Odoo hands to the comodel's _search (the tree as it stands). */
function treeIsFalse(tree: OTree): boolean {
  const rank = (node: OTree): number => {
    switch (node.kind) {
      case 'constant':
        return node.value ? 1 : -1;
      case 'not':
        return -rank(node.child);
      case 'and':
        return node.children.reduce((least, child) => Math.min(least, rank(child)), 1);
      case 'or':
        return node.children.reduce((most, child) => Math.max(most, rank(child)), -1);
      case 'term':
        return termRank(node.operator, node.value);
      case 'any':
        return 0;
    }
  };
  return rank(tree) === -1;
}

/** _where_calc's `item[0] == 'active'` on the sub-domain Odoo hands to the comodel's _search. */
function treeNamesActive(tree: OTree): boolean {
  switch (tree.kind) {
    case 'and':
    case 'or':
      return tree.children.some(treeNamesActive);
    case 'not':
      return treeNamesActive(tree.child);
    case 'term':
      return tree.field.name === 'active';
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 3: Odoo's tree -> validated nodes (parse(): normalize_leaf and each field type's rules)

function notNode(node: DomainNode): DomainNode {
  if (node.kind === 'constant') return node.value ? FALSE : TRUE;
  if (node.kind === 'not') return node.child;
  return { kind: 'not', child: node };
}

function toDomain(ctx: Context, tree: OTree): DomainNode {
  switch (tree.kind) {
    case 'constant':
      return tree.value ? TRUE : FALSE;
    case 'and':
    case 'or':
      return junction(
        tree.kind,
        tree.children.map((child) => toDomain(ctx, child)),
      ) as DomainNode;
    case 'not':
      return notNode(toDomain(ctx, tree.child));
    case 'term':
      return buildField(ctx, tree.model, tree.field, tree.operator, tree.value, tree.index);
    case 'any': {
      const autoJoin = AUTO_JOIN.has(`${tree.model.model}.${tree.field.name}`);
      // The comodel's _search answers nothing for a false sub-domain before parsing its terms (its
      // fields were checked by _anyfy_leaves); a joined condition is no _search: no shortcut there.
      const domain = !autoJoin && treeIsFalse(tree.sub) ? FALSE : toDomain(ctx, tree.sub);
      return {
        kind: 'any',
        model: tree.model,
        field: tree.field,
        negated: tree.negated,
        domain,
        namesActive: treeNamesActive(tree.sub),
        autoJoin,
      };
    }
  }
}

/** A whole domain on `model`, through the three phases. */
function buildDomain(ctx: Context, model: ModelDef, raw: Raw, hops: number): DomainNode {
  return toDomain(ctx, combineAnies(toTree(ctx, model, raw, false, hops)));
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

/**
 * A search by display name (Odoo 17's _search_display_name): its term on each of the model's
 * recNamesSearch fields, any matching (every one for a negative operator); a `like`/`ilike` of
 * nothing (not `=like`) is no restriction (TRUE), or, negated, FALSE.
 */
function displayNameDomain(
  ctx: Context,
  model: ModelDef,
  operator: Operator,
  value: PyValue,
  index: Where,
): DomainNode {
  if (operator.endsWith('like') && !operator.includes('=') && !truthy(value))
    return NEGATIVE.has(operator) ? FALSE : TRUE;
  const terms = model.recNamesSearch.map((name) =>
    buildField(ctx, model, fieldOf(model, name), operator, value, index),
  );
  return junction(NEGATIVE.has(operator) ? 'and' : 'or', terms) as DomainNode;
}

/** One term on one field of `model` (no path left), with `!` already applied to its operator. */
function buildField(
  ctx: Context,
  model: ModelDef,
  fieldDef: FieldDef,
  op: Operator,
  value: PyValue,
  index: Where,
): DomainNode {
  const x2many = fieldDef.type === 'one2many' || fieldDef.type === 'many2many';
  // parse()'s x2many branches never look at '=?': it is '=' there (`= False` is "no links").
  let operator: Operator = x2many && op === '=?' ? '=' : op;
  // normalize_leaf
  if (typeof value === 'boolean' && (operator === 'in' || operator === 'not in'))
    operator = operator === 'in' ? '=' : '!=';
  if (Array.isArray(value) && (operator === '=' || operator === '!=')) operator = operator === '=' ? 'in' : 'not in';
  if (operator === '=?' && (value === false || value === null)) return TRUE;
  // display_name is not stored: Odoo searches it on the fields that name the records.
  if (fieldDef.name === 'display_name') return displayNameDomain(ctx, model, operator, value, index);
  const field = fieldDef;
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
    const resolution = resolve(ctx, node, index, true);
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
      resolve(ctx, node, index, true);
      return node;
    }
    case 'one2many':
    case 'many2many': {
      // Negative operators are "no linked record matches the positive one".
      const wrap = (node: DomainNode) => (NEGATIVE.has(operator) ? notNode(node) : node);
      if (typeof value === 'string') {
        const node = leaf(positive(operator), true);
        resolve(ctx, node, index, true);
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

function parentFieldOf(model: ModelDef, operator: string, index: Where): FieldDef {
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
function hierarchyOf(ctx: Context, leaf: LeafNode, index: Where): Hierarchy {
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
function hierarchyStart(leaf: LeafNode, index: Where): { ids: number[] } | { names: string[] } {
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

function hasActiveField(model: ModelDef): boolean {
  return model.fieldsByName.get('active')?.type === 'boolean';
}

/** A comodel _search in a context whose active_test is `activeTest`, on a domain that does not name `active`. */
function subSearch(model: ModelDef, domain: DomainNode, activeTest: boolean, namesActive = false): SubSearch {
  return {
    model,
    domain,
    activeTest,
    leaveArchivedOut: activeTest && !namesActive && hasActiveField(model),
    select: true,
  };
}

function resolve(ctx: Context, node: ResolvableNode, index: Where, activeTest: boolean): Resolution {
  if (node.kind === 'any') {
    const comodel = comodelOf(ctx, node.field);
    // auto_join: the condition joins into the caller's query (no archive filter, the caller's
    // context below); 'not any' is SQL's NOT over it, so it selects where the condition is false.
    if (node.autoJoin)
      return {
        kind: 'search',
        model: comodel,
        domain: node.domain,
        activeTest,
        leaveArchivedOut: false,
        select: !node.negated,
      };
    // A many2one searches with active_test=False; an x2many in the caller's context.
    const context = node.field.type === 'many2one' ? false : activeTest;
    return { kind: 'search', ...subSearch(comodel, node.domain, context, node.namesActive) };
  }
  if ((node.operator === 'child_of' || node.operator === 'parent_of') && node.subpath.length === 0) {
    const { model, parentField } = hierarchyOf(ctx, node, index);
    // The walk includes archived records; a many2many then searches the hierarchy's ids in the
    // caller's context (`comodel._search`), which leaves archived ones out.
    const leaveArchivedOut = node.field.type === 'many2many' && activeTest && hasActiveField(model);
    const start = hierarchyStart(node, index);
    if ('ids' in start)
      return { kind: 'hierarchy', operator: node.operator, model, parentField, start, leaveArchivedOut };
    // to_ids(): a name search per name, in the caller's context.
    const byName = start.names.map((name) => displayNameDomain(ctx, model, 'ilike', name, index));
    return {
      kind: 'hierarchy',
      operator: node.operator,
      model,
      parentField,
      start: { search: subSearch(model, junction('or', byName) as DomainNode, activeTest) },
      leaveArchivedOut,
    };
  }
  // A name search: _name_search on the comodel, active_test=False for a many2one.
  const comodel = comodelOf(ctx, node.field);
  const domain = displayNameDomain(ctx, comodel, node.operator, node.value, index);
  return { kind: 'search', ...subSearch(comodel, domain, node.field.type === 'many2one' ? false : activeTest) };
}

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * Parses and validates a domain (already parsed from its literal text) for `model`. A domain that
 * expression.is_false finds false is FALSE: BaseModel._search answers nothing for it before it
 * looks at its terms; here its field names are still checked (an unknown one stays a 403), its
 * values are not.
 */
export function parseDomain(raw: PyValue, model: ModelDef, registry: ModelRegistry): DomainNode {
  const read = readDomain(raw);
  if (!rawIsFalse(read)) return buildDomain({ registry }, model, read, 0);
  toTree({ registry }, model, read, false, 0);
  return FALSE;
}

/** The nodes whose id sets the caller must resolve (see resolutionOf) before matchRecord. */
export function subpathLeaves(node: DomainNode): ResolvableNode[] {
  const found: ResolvableNode[] = [];
  const todo: DomainNode[] = [node];
  while (todo.length > 0) {
    const item = todo.pop() as DomainNode;
    if (item.kind === 'and' || item.kind === 'or') todo.push(...[...item.children].reverse());
    else if (item.kind === 'not') todo.push(item.child);
    else if (item.kind === 'any' || (item.kind === 'leaf' && needsResolution(item))) found.push(item);
  }
  return found;
}

/**
 * What to search to resolve a node of subpathLeaves(), for a search whose context has
 * `activeTest` (Odoo's active_test; sub-searches hand it down, a many2one's sets it False).
 */
export function resolutionOf(node: ResolvableNode, registry: ModelRegistry, activeTest = true): Resolution {
  return resolve({ registry }, node, undefined, activeTest);
}

/**
 * Every model whose records resolving `node` reads (the comodels of dotted paths, 'any' terms and
 * name searches, the hierarchies child_of/parent_of walk, and so on down their own sub-domains),
 * once each, the domain's own model included only when a hierarchy walks it. Odoo 17 searches each
 * with check_access_rights('read'): the caller checks them before anything is read.
 */
export function walkedModels(node: DomainNode, registry: ModelRegistry): ModelDef[] {
  const models = new Map<string, ModelDef>();
  const todo: DomainNode[] = [node];
  while (todo.length > 0) {
    for (const leaf of subpathLeaves(todo.pop() as DomainNode)) {
      const resolution = resolutionOf(leaf, registry);
      models.set(resolution.model.model, resolution.model);
      if (resolution.kind === 'search') todo.push(resolution.domain);
      else if ('search' in resolution.start) todo.push(resolution.start.search.domain);
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
 * each node that subpathLeaves() returned (comodel ids satisfying the sub-domain, or the hierarchy).
 */
export function matchRecord(node: DomainNode, record: StoredRecord, resolved: Resolved): boolean {
  return evaluate(node, record, resolved) === true;
}

/** The domain on `record` in SQL's three-valued logic: true, false, or null (unknown). */
export function evaluateRecord(node: DomainNode, record: StoredRecord, resolved: Resolved): boolean | null {
  return evaluate(node, record, resolved);
}

// ---------------------------------------------------------------------------------------------
// Evaluation, in SQL's three-valued logic (null = unknown) so that NOT over a NULL stays false

type Truth = boolean | null;
type Resolved = (node: ResolvableNode) => ReadonlySet<number>;
type LeafTest = (record: StoredRecord, resolved: Resolved) => Truth;

function evaluate(node: DomainNode, record: StoredRecord, resolved: Resolved): Truth {
  switch (node.kind) {
    case 'constant':
      return node.value;
    case 'leaf':
      return compileLeaf(node, undefined)(record, resolved);
    case 'any':
      return anyTest(node, record, resolved);
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

/**
 * 'any': `field IN (ids)` (many2one) or "some linked id is in ids" (x2many), false on a NULL
 * many2one; 'not any' its exact complement (`NOT IN ... OR IS NULL`, NOT EXISTS). An auto_join
 * 'not any' was resolved to the ids whose condition is false (see resolve()).
 */
function anyTest(node: AnyNode, record: StoredRecord, resolved: Resolved): boolean {
  const ids = resolved(node);
  if (node.field.type === 'many2one') {
    const value = own(record, node.field.name);
    if (typeof value !== 'number') return node.negated;
    return node.autoJoin && node.negated ? ids.has(value) : ids.has(value) !== node.negated;
  }
  return linkedIds(record, node.field.name).some((id) => ids.has(id)) !== node.negated;
}

function needsResolution(leaf: LeafNode): boolean {
  return leaf.subpath.length > 0 || leaf.operator === 'child_of' || leaf.operator === 'parent_of';
}

const compiled = new WeakMap<LeafNode, LeafTest>();

/** Turns a leaf into its test once (validating its value), cached per leaf. */
function compileLeaf(leaf: LeafNode, index: Where): LeafTest {
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

/**
 * Whether a child_of/parent_of leaf (no dotted path) matches the records of the hierarchy itself
 * (on `id`, or on a many2one to its own model), rather than those linked to it.
 */
export function hierarchyMatchesSelf(leaf: LeafNode): boolean {
  const { field } = leaf;
  return field.name === 'id' || (field.relation === leaf.model.model && field.type !== 'one2many');
}

function buildTest(leaf: LeafNode, index: Where): LeafTest {
  const { field, operator } = leaf;
  const x2many = field.type === 'one2many' || field.type === 'many2many';

  if ((operator === 'child_of' || operator === 'parent_of') && leaf.subpath.length === 0) {
    const matchSelf = hierarchyMatchesSelf(leaf);
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
    // A many2one name search is `field IN (...)`, OR IS NULL for the negative operators.
    const nullResult: Truth = NEGATIVE.has(operator) ? true : null;
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

function buildX2ManyTest(leaf: LeafNode, index: Where): LeafTest {
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
  index: Where,
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
      // Many2one.convert_to_column is `value or None`: 0 is NULL, which nothing equals.
      return kind === 'many2one' && n === 0 ? null : n;
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

function buildScalarTest(leaf: LeafNode, index: Where): LeafTest {
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
    // A value that converts to NULL (a many2one 0) stays in the SQL list: `x NOT IN (NULL, ...)`
    // is never true, `x IN (NULL, ...)` unknown where no other value matches.
    let nullParam = false;
    const params = new Set<number | string>();
    for (const item of value) {
      if (item === false || item === null) checkNull = true;
      else {
        const param = convertValue(field, kind, 'in', item, index);
        if (param === null) nullParam = true;
        else params.add(param);
      }
    }
    return (record) => {
      const stored = storedComparable(kind, read(record));
      if (stored === null) return wantIn ? checkNull : !checkNull;
      if (params.has(stored)) return wantIn;
      return nullParam ? null : !wantIn;
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
    const wildcard = WILDCARD.has(operator);
    // =like/=ilike compare with convert_to_column(value): False/None are NULL, which matches nothing.
    if (!wildcard && (value === false || value === null)) return () => null;
    // like/ilike put pycompat.to_text(value) between the %: '' for False/None (then OR IS NULL).
    let text = pyText(value);
    if (text === undefined)
      throw bad(index, `operator ${pyRepr(operator)} needs a text value, got ${describeValue(value)}`);
    if (kind === 'datetime' && typeof value === 'string' && value.length === 10) text += ' 00:00:00';
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

// ---------------------------------------------------------------------------------------------
// What an index can look up for a leaf (lib/indexes/plan.ts): the same conversions as its test

/**
 * The records a leaf can be true on, as an index lookup can find them (a superset is fine: the
 * search evaluates the whole domain on each record it reads; `exact` says there is none to drop):
 * - equals: the stored value is one of `values` (null: NULL);
 * - range: the stored value compares with `value` (NULLs never do);
 * - prefix: the stored text starts with `prefix` (`folded`: after ilike's lower-casing, both sides).
 * Undefined where no lookup can find them (negations, wildcards on both sides, booleans, x2many).
 */
export type LeafTerm =
  | { readonly kind: 'equals'; readonly values: readonly (number | string | null)[]; readonly exact: true }
  | {
      readonly kind: 'range';
      readonly operator: '<' | '<=' | '>' | '>=';
      readonly value: number | string;
      readonly exact: true;
    }
  | { readonly kind: 'prefix'; readonly prefix: string; readonly folded: boolean; readonly exact: boolean };

export function leafTerm(leaf: LeafNode): LeafTerm | undefined {
  const { field, operator, value } = leaf;
  if (needsResolution(leaf) || ['one2many', 'many2many', 'binary', 'boolean'].includes(field.type)) return undefined;
  const kind = kindOf(field);
  const equals = (values: (number | string | null)[]): LeafTerm => ({ kind: 'equals', values, exact: true });
  try {
    if (operator === 'in') {
      if (!Array.isArray(value)) return undefined;
      const values: (number | string | null)[] = [];
      for (const item of value) {
        // False stands for NULL; a value that converts to NULL (a many2one 0) matches nothing.
        if (item === false || item === null) values.push(null);
        else {
          const param = convertValue(field, kind, 'in', item, undefined);
          if (param !== null) values.push(param);
        }
      }
      return equals([...new Set(values)]);
    }
    if (operator === '=' || operator === '=?') {
      if (value === false || value === null) return operator === '=' ? equals([null]) : undefined;
      const target = convertValue(field, kind, operator, value, undefined);
      return equals(target === null ? [] : [target]);
    }
    if (operator === '<' || operator === '<=' || operator === '>' || operator === '>=') {
      const target = convertValue(field, kind, operator, value, undefined);
      return target === null ? equals([]) : { kind: 'range', operator, value: target, exact: true };
    }
    if (operator === '=like' || operator === '=ilike') {
      if (value === false || value === null) return equals([]);
      let text = pyText(value);
      if (text === undefined) return undefined;
      if (kind === 'datetime' && typeof value === 'string' && value.length === 10) text += ' 00:00:00';
      const folded = operator === '=ilike';
      const tokens = compileLike(folded ? text.toLowerCase() : text);
      if (!tokens) return undefined;
      const fixed = tokens.findIndex((token) => token.kind !== 'char');
      const chars = tokens.slice(0, fixed === -1 ? tokens.length : fixed) as { kind: 'char'; char: string }[];
      if (chars.length === 0) return undefined;
      // The pattern is its prefix and one '%' (or no wildcard at all: then it is the whole text).
      const whole = fixed === -1 || (fixed === tokens.length - 1 && tokens[fixed]?.kind === 'any');
      return {
        kind: 'prefix',
        prefix: chars.map((token) => token.char).join(''),
        folded,
        exact: whole && fixed !== -1,
      };
    }
  } catch {
    // A value the leaf's own test refuses (its 400 comes from the evaluation): no lookup.
    return undefined;
  }
  return undefined;
}
