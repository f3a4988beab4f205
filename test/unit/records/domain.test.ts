import { evaluateRecord, hierarchyIds, matchRecord, parseDomain, resolutionOf, subpathLeaves, type AnyNode, type DomainNode, type LeafNode, type Operator, type ResolvableNode, type SubSearch } from '../../../lib/records/search/domain';
import { BadRequestError, InvalidFieldError } from '../../../lib/errors';
import { parseLiteralParam } from '../../../lib/wire/literal';
import { buildRegistry, type ModelDef } from '../../../lib/models/registry';
import type { PyValue } from '../../../lib/wire/pyvalue';
import type { StoredRecord, StoredValue } from '../../../lib/records/port';
import { shippedModels } from '../../../models';
import { withCompleteNames } from '../../../lib/records/complete-names';
import { thrown } from '../../helpers/thrown';

// Every expected id list below was written by hand from Odoo 17's semantics
// (odoo/osv/expression.py: normalize_domain, _tree_not, _anyfy_leaves, parse(), __leaf_to_sql;
// odoo/addons/base/tests/test_expression.py for the NULL cases), not from this implementation.

const registry = buildRegistry(shippedModels);

function modelDef(name: string): ModelDef {
  const def = registry.get(name);
  if (!def) throw new Error(`no model ${name}`);
  return def;
}

const partner = modelDef('res.partner');
const country = modelDef('res.country');
const category = modelDef('res.partner.category');

function record(model: string, id: number, values: Record<string, StoredValue>): StoredRecord {
  return { model, id, version: 1, values: Object.assign(Object.create(null) as Record<string, StoredValue>, values) };
}

// Countries: 4 has no code.
const countries = [
  record('res.country', 1, { name: 'Belgium', code: 'BE' }),
  record('res.country', 2, { name: 'Taiwan', code: 'TW' }),
  record('res.country', 3, { name: "Côte d'Ivoire", code: 'CI' }),
  record('res.country', 4, { name: 'Nowhere', code: null }),
];

// Tags: Customer > VIP > Gold; Supplier > Old (archived).
const categories = [
  record('res.partner.category', 1, { name: 'Customer', parent_id: null, child_ids: [2], active: true }),
  record('res.partner.category', 2, { name: 'VIP', parent_id: 1, child_ids: [3], active: true }),
  record('res.partner.category', 3, { name: 'Gold', parent_id: 2, child_ids: [], active: true }),
  record('res.partner.category', 4, { name: 'Supplier', parent_id: null, child_ids: [5], active: true }),
  record('res.partner.category', 5, { name: 'Old', parent_id: 4, child_ids: [], active: false }),
];

// Partners. Notable: 4 has no credit limit; 5 has a NULL email and 8 an empty one; 7's city is ''
// and 8's NULL; 7 is archived and 8's `active` was never stored; 9's is_company was never stored;
// the company tree is 1 > 2 > 4, 1 > 3, 5 > 6, 8 > 9, 7 (archived) > 10.
// Stored with their complete names, as every write stores them (res.partner's display name).
const partners = withCompleteNames(registry, [
  record('res.partner', 1, {
    name: 'Acme Corp', email: 'info@acme.com', city: 'Brussels', is_company: true, active: true, credit_limit: 5000,
    date: '2024-01-15', create_date: '2024-01-15 08:00:00', parent_id: null, child_ids: [2, 3], country_id: 1, category_id: [1], color: 1,
  }),
  record('res.partner', 2, {
    name: 'Alice Martin', email: 'alice@acme.com', city: 'Brussels', is_company: false, active: true, credit_limit: 100.5,
    date: '2024-02-29', create_date: '2024-02-29 23:59:59', parent_id: 1, child_ids: [4], country_id: 1, category_id: [2], color: 2,
  }),
  record('res.partner', 3, {
    name: 'Bob_Smith', email: 'bob%50@example.org', city: 'Antwerp', is_company: false, active: true, credit_limit: 0,
    date: null, create_date: '2024-03-01 00:00:00', parent_id: 1, child_ids: [], country_id: 1, category_id: [2, 3], color: 0,
  }),
  record('res.partner', 4, {
    name: 'Ëlodie Çelik', email: 'ELODIE@EXAMPLE.ORG', city: 'Liège', is_company: false, active: true, credit_limit: null,
    date: '2023-12-31', create_date: '2023-12-31 12:30:00', parent_id: 2, child_ids: [], country_id: 3, category_id: [], color: null,
  }),
  record('res.partner', 5, {
    name: 'Taipei Trading', email: null, city: 'Taipei', is_company: true, active: true, credit_limit: 25000,
    date: '2024-06-30', create_date: '2024-06-30 10:00:00', parent_id: null, child_ids: [6], country_id: 2, category_id: [4], color: 3,
  }),
  record('res.partner', 6, {
    name: 'Wang Wei', email: 'wang@taipei.tw', city: 'Taipei', is_company: false, active: true, credit_limit: 300,
    date: '2024-01-15', create_date: '2024-01-15 00:00:00', parent_id: 5, child_ids: [], country_id: 2, category_id: [1, 4], color: 2,
  }),
  record('res.partner', 7, {
    name: 'Zoë Archive', email: 'zoe@old.example', city: '', is_company: false, active: false, credit_limit: 50,
    date: null, create_date: '2022-05-05 05:05:05', parent_id: null, child_ids: [10], country_id: null, category_id: [5], color: null,
  }),
  record('res.partner', 8, {
    name: 'No Country Ltd', email: '', city: null, is_company: true, credit_limit: 1000,
    date: '2024-01-01', create_date: '2024-01-01 00:00:00', parent_id: null, child_ids: [9], country_id: null, category_id: [], color: 1,
  }),
  record('res.partner', 9, {
    name: 'Hélène Dupont', email: 'helene@exemple.be', city: 'BRUSSELS', active: true, credit_limit: 100.5,
    date: '2024-02-28', create_date: '2024-02-28 12:00:00', parent_id: 8, child_ids: [], country_id: 1, category_id: [3], color: null,
  }),
  record('res.partner', 10, {
    name: 'Vincent 100%', email: 'vincent@example.com', city: 'Ghent', is_company: false, active: true, credit_limit: -20,
    date: '2024-12-31', create_date: '2024-12-31 23:59:59', parent_id: 7, child_ids: [], country_id: 4, category_id: [2, 5], color: 4,
  }),
]);

const tables: Readonly<Record<string, readonly StoredRecord[]>> = {
  'res.partner': partners,
  'res.country': countries,
  'res.partner.category': categories,
};

function table(model: string): readonly StoredRecord[] {
  const rows = tables[model];
  if (!rows) throw new Error(`no test data for ${model}`);
  return rows;
}

/**
 * A tiny executor, as the search executor works: resolve each node subpathLeaves() announces by
 * searching its comodel (recursively, in the context and with the archive filter the resolution
 * says), or by walking the hierarchy, then evaluate every record in memory. It refuses to resolve
 * a node that subpathLeaves() did not announce.
 */
function runSearch(sub: SubSearch): number[] {
  const announced = new Set(subpathLeaves(sub.domain));
  const cache = new Map<ResolvableNode, ReadonlySet<number>>();
  const resolved = (leaf: ResolvableNode): ReadonlySet<number> => {
    if (!announced.has(leaf)) throw new Error(`node on ${leaf.field.name} was not announced by subpathLeaves`);
    let ids = cache.get(leaf);
    if (!ids) {
      ids = resolveLeaf(leaf, sub.activeTest);
      cache.set(leaf, ids);
    }
    return ids;
  };
  return table(sub.model.model)
    .filter((row) => !sub.leaveArchivedOut || row.values.active === true)
    .filter((row) => evaluateRecord(sub.domain, row, resolved) === sub.select)
    .map((row) => row.id);
}

/** A top-level search: archived records left out when activeTest is on (and the model has `active`). */
function search(model: string, node: DomainNode, activeTest: boolean): number[] {
  const def = modelDef(model);
  return runSearch({ model: def, domain: node, activeTest, leaveArchivedOut: activeTest && def.fieldsByName.has('active'), select: true });
}

function resolveLeaf(leaf: ResolvableNode, activeTest: boolean): ReadonlySet<number> {
  const resolution = resolutionOf(leaf, registry, activeTest);
  if (resolution.kind === 'search') return new Set(runSearch(resolution));
  const rows = table(resolution.model.model);
  const parentName = resolution.parentField.name;
  const start = 'ids' in resolution.start ? resolution.start.ids : runSearch(resolution.start.search);
  const parentOf = (id: number) => {
    const parent = rows.find((row) => row.id === id)?.values[parentName];
    return typeof parent === 'number' ? parent : null;
  };
  const childrenOf = (id: number) => rows.filter((row) => row.values[parentName] === id).map((row) => row.id);
  const ids = hierarchyIds(resolution.operator, start, parentOf, childrenOf);
  if (!resolution.leaveArchivedOut) return ids;
  return new Set([...ids].filter((id) => rows.find((row) => row.id === id)?.values.active === true));
}

function parse(text: string, model: ModelDef = partner): DomainNode {
  return parseDomain(parseLiteralParam(text, 'domain'), model, registry);
}

/** The partners a domain (as the client sends it) selects, archived ones included (active_test=False). */
function partnersMatching(text: string): number[] {
  return search('res.partner', parse(text), false);
}

function leaf(model: ModelDef, field: string, operator: Operator, value: PyValue, subpath: string[] = [], nameSearch = false): LeafNode {
  const def = model.fieldsByName.get(field);
  if (!def) throw new Error(`no field ${field}`);
  return { kind: 'leaf', model, field: def, operator, value, subpath, nameSearch };
}

function anyNode(model: ModelDef, field: string, negated: boolean, domain: DomainNode, namesActive = false): AnyNode {
  const def = model.fieldsByName.get(field);
  if (!def) throw new Error(`no field ${field}`);
  return { kind: 'any', model, field: def, negated, domain, namesActive, autoJoin: false };
}

function errorOf(fn: () => unknown): { type: string; status: unknown; message: string } {
  const error = thrown(fn) as Error & { status?: unknown };
  return { type: error.constructor.name, status: error.status, message: error.message };
}

const ALL = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

describe('domain', () => {
  describe('matchRecord', () => {
    describe('equality and ordering', () => {
      it.each<[string, number[]]>([
        ['[]', ALL],
        ["[('name', '=', 'Acme Corp')]", [1]],
        // '=' is exact: 'BRUSSELS' is another value.
        ["[('city', '=', 'Brussels')]", [1, 2]],
        // '!=' with a truthy value adds OR IS NULL: 8 (NULL) matches, and so does 7 ('').
        ["[('city', '!=', 'Brussels')]", [3, 4, 5, 6, 7, 8, 9, 10]],
        // ... but not with a falsy one: `color != 0` leaves the NULL colors (4, 7, 9) out.
        ["[('color', '!=', 0)]", [1, 2, 5, 6, 8, 10]],
        ["[('color', '<>', 2)]", [1, 3, 4, 5, 7, 8, 9, 10]],
        // Integer.convert_to_column is int(value): 2.7 is compared as 2.
        ["[('color', '=', 2.7)]", [2, 6]],
        ["[('credit_limit', '=', 100.5)]", [2, 9]],
        ["[('credit_limit', '>', 100.5)]", [1, 5, 6, 8]],
        ["[('credit_limit', '>=', 100.5)]", [1, 2, 5, 6, 8, 9]],
        ["[('credit_limit', '<', 50)]", [3, 10]],
        ["[('credit_limit', '<=', 50)]", [3, 7, 10]],
        // Float.convert_to_column is float(value or 0.0): `< False` is `< 0.0`, and NULL never compares.
        ["[('credit_limit', '<', False)]", [10]],
        ["[('id', '>', 8)]", [9, 10]],
        ["[('id', '!=', False)]", ALL],
        ["[('id', '=', False)]", []],
      ])('%s -> %j', (domain, expected) => {
        expect(partnersMatching(domain)).toStrictEqual(expected);
      });
    });

    describe('in and not in', () => {
      it.each<[string, number[]]>([
        ["[('id', 'in', [1, 3, 99])]", [1, 3]],
        ["[('id', 'not in', [1, 2, 3, 4, 5])]", [6, 7, 8, 9, 10]],
        // False in the list adds OR IS NULL.
        ["[('color', 'in', [1, 2, False])]", [1, 2, 4, 6, 7, 8, 9]],
        // not in adds OR IS NULL ...
        ["[('color', 'not in', [1, 2])]", [3, 4, 5, 7, 9, 10]],
        // ... unless False is in the list, which makes it AND IS NOT NULL.
        ["[('color', 'not in', [1, False])]", [2, 3, 5, 6, 10]],
        ["[('color', 'in', [])]", []],
        ["[('color', 'not in', [])]", ALL],
        ["[('email', 'in', [False, ''])]", [5, 8]],
        ["[('date', 'in', ['2024-01-15', '2024-12-31'])]", [1, 6, 10]],
        // normalize_leaf: `in` with a bool is `=`, `=` with a list is `in`.
        ["[('is_company', 'in', True)]", [1, 5, 8]],
        ["[('country_id', '=', [2, 3])]", [4, 5, 6]],
      ])('%s -> %j', (domain, expected) => {
        expect(partnersMatching(domain)).toStrictEqual(expected);
      });
    });

    describe('False and empty values', () => {
      it.each<[string, number[]]>([
        // char: `= False` is IS NULL only; Odoo 17 stores '' as '' (8's email, 7's city).
        ["[('email', '=', False)]", [5]],
        ["[('email', '!=', False)]", [1, 2, 3, 4, 6, 7, 8, 9, 10]],
        ["[('email', '=', '')]", [8]],
        ["[('city', '=', False)]", [8]],
        ["[('city', '=like', '')]", [7]],
        // boolean: `= False` is IS NULL OR = FALSE (8 never stored active).
        ["[('active', '=', False)]", [7, 8]],
        ["[('active', '=', True)]", [1, 2, 3, 4, 5, 6, 9, 10]],
        ["[('active', '!=', True)]", [7, 8]],
        ["[('is_company', '!=', False)]", [1, 5, 8]],
        ["[('is_company', 'in', [False])]", [2, 3, 4, 6, 7, 9, 10]],
        ["[('active', 'in', [True, False])]", ALL],
        ["[('active', 'not in', [True])]", [7, 8]],
        // None is not False for a boolean: `= None` is IS NULL only.
        ["[('active', '=', None)]", [8]],
        ["[('credit_limit', '=', False)]", [4]],
        ["[('credit_limit', '!=', False)]", [1, 2, 3, 5, 6, 7, 8, 9, 10]],
        ["[('date', '=', False)]", [3, 7]],
        ["[('date', '!=', False)]", [1, 2, 4, 5, 6, 8, 9, 10]],
        ["[('country_id', '=', False)]", [7, 8]],
        // expression.is_false: a domain that is `in` a falsy value is false as a whole, before
        // normalize_leaf would make it `= False` ...
        ["[('country_id', 'in', False)]", []],
        // ... but not inside a larger domain that is not false.
        ["['|', ('country_id', 'in', False), ('id', '=', 1)]", [1, 7, 8]],
        ["[('country_id', 'in', [2, False])]", [5, 6, 7, 8]],
        // x2many: `= False` is "no links".
        ["[('category_id', '=', False)]", [4, 8]],
        ["[('category_id', '!=', False)]", [1, 2, 3, 5, 6, 7, 9, 10]],
      ])('%s -> %j', (domain, expected) => {
        expect(partnersMatching(domain)).toStrictEqual(expected);
      });
    });

    describe('like, ilike, =like, =ilike', () => {
      it.each<[string, number[]]>([
        ["[('name', 'like', 'Acme')]", [1]],
        ["[('name', 'like', 'acme')]", []],
        ["[('name', 'ilike', 'acme')]", [1]],
        ["[('email', 'like', 'example.org')]", [3]],
        ["[('email', 'ilike', 'example.org')]", [3, 4]],
        // ilike folds non-ASCII case too; there is no unaccent.
        ["[('name', 'ilike', 'ëlodie')]", [4]],
        ["[('name', 'ilike', 'ZOË')]", [7]],
        ["[('name', 'ilike', 'helene')]", []],
        // Odoo 17: a partner's display name is its complete_name, so its contacts ('Acme Corp, Alice Martin') match too.
        ["[('display_name', 'ilike', 'corp')]", [1, 2, 3, 4]],
        // ... and a search by display name compares _rec_names_search: complete_name, email, ref, vat, any of them.
        ["[('display_name', 'ilike', 'example.org')]", [3, 4]],
        ["[('display_name', '=ilike', 'alice@%')]", [2]],
        // A negative operator: none of them may match (NULLs match a negative term, as in Odoo).
        ["[('display_name', 'not ilike', 'acme')]", [5, 6, 7, 8, 9, 10]],
        // ilike of nothing is no restriction (TRUE), not ilike of nothing is FALSE; =ilike '' is compared.
        ["[('display_name', 'ilike', '')]", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
        ["[('display_name', 'not ilike', False)]", []],
        ["[('display_name', '=ilike', '')]", [8]],
        // A many2one compared with a name: the comodel's display name search (the parent's email here).
        ["[('parent_id', 'ilike', 'info@acme')]", [2, 3]],
        // like wraps the value in %...% and keeps its own wildcards: _ is any one character ...
        ["[('name', 'like', 'A_ice')]", [2]],
        // ... unless escaped with a backslash.
        ["[('name', 'like', 'A\\\\_ice')]", []],
        ["[('name', 'like', 'Bob\\\\_')]", [3]],
        ["[('name', 'like', '100%')]", [10]],
        // =like takes the pattern as it is.
        ["[('name', '=like', 'A%')]", [1, 2]],
        ["[('name', '=like', 'a%')]", []],
        ["[('name', '=ilike', 'a%')]", [1, 2]],
        ["[('name', '=like', '100%')]", []],
        ["[('name', '=like', '%100\\\\%')]", [10]],
        ["[('email', '=like', '%@acme.com')]", [1, 2]],
        ["[('email', '=ilike', '_lodie@%')]", [4]],
        // not like with a truthy value adds OR IS NULL (5).
        ["[('email', 'not like', 'acme')]", [3, 4, 5, 6, 7, 8, 9, 10]],
        ["[('city', 'not ilike', 'brussels')]", [3, 4, 5, 6, 7, 8, 10]],
        // An empty value: like matches every row, NULLs included; not like only the NULLs.
        ["[('email', 'ilike', '')]", ALL],
        ["[('email', 'not ilike', '')]", [5]],
      ])('%s -> %j', (domain, expected) => {
        expect(partnersMatching(domain)).toStrictEqual(expected);
      });
    });

    describe('dates and datetimes', () => {
      it.each<[string, number[]]>([
        ["[('date', '=', '2024-01-15')]", [1, 6]],
        ["[('date', '<', '2024-01-15')]", [4, 8]],
        ["[('date', '>=', '2024-02-28')]", [2, 5, 9, 10]],
        // A bare date on a datetime: 23:59:59 for '>' and '<=', 00:00:00 for the others.
        ["[('create_date', '>', '2024-01-15')]", [2, 3, 5, 9, 10]],
        ["[('create_date', '<=', '2024-01-15')]", [1, 4, 6, 7, 8]],
        ["[('create_date', '>=', '2024-01-15')]", [1, 2, 3, 5, 6, 9, 10]],
        ["[('create_date', '=', '2024-01-15')]", [6]],
        ["[('create_date', '<', '2024-03-01 00:00:00')]", [1, 2, 4, 6, 7, 8, 9]],
        ["[('create_date', '=', '2024-02-29 23:59:59')]", [2]],
      ])('%s -> %j', (domain, expected) => {
        expect(partnersMatching(domain)).toStrictEqual(expected);
      });
    });

    describe('many2one', () => {
      it.each<[string, number[]]>([
        ["[('country_id', '=', 1)]", [1, 2, 3, 9]],
        ["[('country_id', '!=', 1)]", [4, 5, 6, 7, 8, 10]],
        ["[('country_id', 'not in', [1, 2])]", [4, 7, 8, 10]],
        ["[('parent_id', '=', 1)]", [2, 3]],
        // A string is a name search on the comodel.
        ["[('country_id', '=', 'Taiwan')]", [5, 6]],
        ["[('country_id', 'ilike', 'bel')]", [1, 2, 3, 9]],
        ["[('country_id', 'in', ['Taiwan', 'Nowhere'])]", [5, 6, 10]],
        // Negative operators search the comodel with them, then add OR IS NULL.
        ["[('country_id', 'not ilike', 'bel')]", [4, 5, 6, 7, 8, 10]],
        // test_expression.py test_15_m2o: ilike '' = has a parent, not ilike '' = has none.
        ["[('parent_id', 'ilike', '')]", [2, 3, 4, 6, 9, 10]],
        ["[('parent_id', 'not ilike', '')]", [1, 5, 7, 8]],
      ])('%s -> %j', (domain, expected) => {
        expect(partnersMatching(domain)).toStrictEqual(expected);
      });
    });

    describe('one2many and many2many', () => {
      it.each<[string, number[]]>([
        // in: some linked id is in the list; not in: none is.
        ["[('category_id', 'in', [1, 2])]", [1, 2, 3, 6, 10]],
        ["[('category_id', 'not in', [2])]", [1, 4, 5, 6, 7, 8, 9]],
        ["[('category_id', '=', 5)]", [7, 10]],
        ["[('category_id', 'in', [2]), ('category_id', 'in', [3])]", [3]],
        // test_05_not_str_m2m: a name matches linked records; '!=' a name means none is linked.
        ["[('category_id', '=', 'VIP')]", [2, 3, 10]],
        ["[('category_id', '!=', 'VIP')]", [1, 4, 5, 6, 7, 8, 9]],
        ["[('child_ids', '=', False)]", [3, 4, 6, 9, 10]],
        ["[('child_ids', 'in', [4])]", [2]],
      ])('%s -> %j', (domain, expected) => {
        expect(partnersMatching(domain)).toStrictEqual(expected);
      });
    });

    describe('dotted paths', () => {
      it.each<[string, number[]]>([
        ["[('country_id.code', '=', 'BE')]", [1, 2, 3, 9]],
        // The operator applies on the comodel: countries whose code != 'BE' (2, 3, and 4 with none);
        // partners without a country are not in that set.
        ["[('country_id.code', '!=', 'BE')]", [4, 5, 6, 10]],
        // '!' on a path is "not any": the exact complement, NULL many2ones included.
        ["['!', ('country_id.code', '=', 'BE')]", [4, 5, 6, 7, 8, 10]],
        ["[('country_id.code', '=', False)]", [10]],
        ["[('parent_id.country_id.code', '=', 'TW')]", [6]],
        ["['!', ('parent_id.is_company', '=', True)]", [1, 4, 5, 7, 8, 10]],
        // many2one paths search with active_test=False: 10's parent is archived.
        ["[('parent_id.name', '=', 'Zoë Archive')]", [10]],
        ["[('category_id.name', '=', 'VIP')]", [2, 3, 10]],
        // x2many paths search in the caller's context: here active_test=False, so the archived
        // tag 'Old' is found (search-parity.test.ts has it on).
        ["[('category_id.name', '=', 'Old')]", [7, 10]],
        ["[('child_ids.city', '=', 'Taipei')]", [5]],
        ["[('child_ids.name', 'ilike', 'a')]", [1, 5]],
        ["[('category_id.parent_id.name', '=', 'Customer')]", [2, 3, 10]],
      ])('%s -> %j', (domain, expected) => {
        expect(partnersMatching(domain)).toStrictEqual(expected);
      });
    });

    describe('&, | and ! in prefix notation', () => {
      it.each<[string, number[]]>([
        ["['|', ('city', '=', 'Taipei'), ('country_id', '=', 3)]", [4, 5, 6]],
        // Terms next to each other are AND-ed.
        ["[('is_company', '=', True), ('country_id', '=', 1)]", [1]],
        ["['&', ('is_company', '=', False), '|', ('city', '=', 'Brussels'), ('city', '=', 'Taipei')]", [2, 6]],
        // (color 1 or 4) and active: the '|' takes the next two terms, the implicit '&' the rest.
        ["['|', ('color', '=', 1), ('color', '=', 4), ('active', '=', True)]", [1, 10]],
        ["[('active', '=', True), '|', ('color', '=', 1), ('color', '=', 4)]", [1, 10]],
        // '!' is pushed into the terms: city != Taipei AND city != Brussels, each with OR IS NULL.
        ["['!', '|', ('city', '=', 'Taipei'), ('city', '=', 'Brussels')]", [3, 4, 7, 8, 9, 10]],
        // ! (credit_limit < 100) is credit_limit >= 100: 4 (NULL) matches neither.
        ["['!', ('credit_limit', '<', 100)]", [1, 2, 5, 6, 8, 9]],
        ["['!', '!', ('name', '=', 'Acme Corp')]", [1]],
        ["['!', ('active', '=', False)]", [1, 2, 3, 4, 5, 6, 9, 10]],
        ["['|', '!', ('id', '=', 1), ('id', '=', 1)]", ALL],
        // =like has no negation: NOT (email LIKE ...) is unknown on a NULL email (5).
        ["['!', ('email', '=like', '%@acme.com')]", [3, 4, 6, 7, 8, 9, 10]],
        ["['!', ('email', 'like', 'acme')]", [3, 4, 5, 6, 7, 8, 9, 10]],
        ["['&', '&', ('country_id', '=', 1), ('is_company', '=', False), '!', ('city', 'ilike', 'brussels')]", [3]],
      ])('%s -> %j', (domain, expected) => {
        expect(partnersMatching(domain)).toStrictEqual(expected);
      });
    });

    describe('TRUE_LEAF, FALSE_LEAF and =?', () => {
      it.each<[string, number[]]>([
        ['[(1, "=", 1)]', ALL],
        ['[[0, "=", 1]]', []],
        ["['!', (0, '=', 1)]", ALL],
        ["['|', (0, '=', 1), ('id', '=', 2)]", [2]],
        ["[(1, '=', 1), ('id', '=', 2)]", [2]],
        // =? is TRUE for False/None, '=' otherwise ...
        ["[('country_id', '=?', False)]", ALL],
        ["[('country_id', '=?', 2)]", [5, 6]],
        // ... and has no negation: NOT (color = 2) is unknown on NULL colors.
        ["['!', ('color', '=?', 2)]", [1, 3, 5, 8, 10]],
      ])('%s -> %j', (domain, expected) => {
        expect(partnersMatching(domain)).toStrictEqual(expected);
      });
    });

    describe('child_of and parent_of', () => {
      it.each<[string, number[]]>([
        ["[('id', 'child_of', 1)]", [1, 2, 3, 4]],
        ["[('id', 'child_of', [7])]", [7, 10]],
        ["[('id', 'parent_of', 4)]", [1, 2, 4]],
        // A many2one to the same model is itself the parent link, tested on the record's own id.
        ["[('parent_id', 'child_of', 5)]", [5, 6]],
        // Across models: the comodel's hierarchy, tested on the linked ids.
        ["[('category_id', 'child_of', 1)]", [1, 2, 3, 6, 9, 10]],
        ["[('category_id', 'parent_of', [2])]", [1, 2, 3, 6, 10]],
        // Names are looked up with ilike (archived tags left out), the walk includes archived ones.
        ["[('category_id', 'child_of', 'Supplier')]", [5, 6, 7, 10]],
        // No ids is FALSE_LEAF, so its negation is TRUE.
        ["[('id', 'child_of', [])]", []],
        ["[('id', 'child_of', False)]", []],
        ["['!', ('id', 'child_of', [])]", ALL],
        ["['!', ('id', 'child_of', [8])]", [1, 2, 3, 4, 5, 6, 7, 10]],
      ])('%s -> %j', (domain, expected) => {
        expect(partnersMatching(domain)).toStrictEqual(expected);
      });
    });

    it('matches other models with their own fields', () => {
      expect(search('res.country', parse("[('code', '=', False)]", country), false)).toStrictEqual([4]);
      expect(search('res.partner.category', parse("[('id', 'child_of', 4)]", category), false)).toStrictEqual([4, 5]);
      expect(search('res.partner.category', parse("[('id', 'child_of', 4)]", category), true)).toStrictEqual([4]);
    });

    it('reads only own properties of the stored values, NULL when absent', () => {
      const row = { model: 'res.partner', id: 1, version: 1, values: { name: 'x' } };
      expect(matchRecord(parse("[('name', '=', 'x'), ('email', '=', False)]"), row, () => new Set())).toStrictEqual(true);
    });
  });

  describe('parseDomain', () => {
    it.each<[string, DomainNode]>([
      ['[]', { kind: 'constant', value: true }],
      ["[(0, '=', 1), ('id', '=', 1)]", { kind: 'constant', value: false }],
      ["[('id', '<>', 3)]", leaf(partner, 'id', '!=', 3)],
      ["[('active', 'in', True)]", leaf(partner, 'active', '=', true)],
      ["[('name', '=', ['a', 'b'])]", leaf(partner, 'name', 'in', ['a', 'b'])],
      ["[('country_id', '=?', False)]", { kind: 'constant', value: true }],
      // expression.is_false: false as a whole, whatever its values would be.
      ["[('id', '=', 1), ('name', 'in', [])]", { kind: 'constant', value: false }],
      ["[('color', 'in', None), ('date', '>', 'not a date')]", { kind: 'constant', value: false }],
      ["['!', ('id', 'not in', False)]", { kind: 'constant', value: false }],
      ["[('category_id', 'any', [('name', 'in', [])])]", anyNode(partner, 'category_id', false, { kind: 'constant', value: false })],
      [
        "[('display_name', 'ilike', 'x')]",
        { kind: 'or', children: ['complete_name', 'email', 'ref', 'vat'].map((field) => leaf(partner, field, 'ilike', 'x')) },
      ],
      [
        "[('display_name', '!=', 'x')]",
        { kind: 'and', children: ['complete_name', 'email', 'ref', 'vat'].map((field) => leaf(partner, field, '!=', 'x')) },
      ],
      ["[('display_name', 'ilike', '')]", { kind: 'constant', value: true }],
      ["[('display_name', 'not like', '')]", { kind: 'constant', value: false }],
      [
        "[('name', '=', 'A'), '!', ('color', '<', 3)]",
        { kind: 'and', children: [leaf(partner, 'name', '=', 'A'), leaf(partner, 'color', '>=', 3)] },
      ],
      [
        "['|', ('id', '=', 1), '|', ('id', '=', 2), ('id', '=', 3)]",
        { kind: 'or', children: [leaf(partner, 'id', '=', 1), leaf(partner, 'id', '=', 2), leaf(partner, 'id', '=', 3)] },
      ],
      [
        "['!', '&', ('id', '=', 1), ('name', 'like', 'x')]",
        { kind: 'or', children: [leaf(partner, 'id', '!=', 1), leaf(partner, 'name', 'not like', 'x')] },
      ],
      ["['!', ('country_id.code', '=', 'BE')]", anyNode(partner, 'country_id', true, leaf(country, 'code', '=', 'BE'))],
      ["[('country_id', 'not any', [('code', '=', 'BE')])]", anyNode(partner, 'country_id', true, leaf(country, 'code', '=', 'BE'))],
      ["[('country_id', '!=', 'Taiwan')]", leaf(partner, 'country_id', '!=', 'Taiwan', ['name'], true)],
      ["[('category_id', '!=', 'VIP')]", { kind: 'not', child: leaf(partner, 'category_id', '=', 'VIP', ['name'], true) }],
      ["[('category_id', 'not in', [1])]", { kind: 'not', child: leaf(partner, 'category_id', 'in', [1]) }],
      ["['!', ('email', '=like', 'a%')]", { kind: 'not', child: leaf(partner, 'email', '=like', 'a%') }],
    ])('%s', (domain, expected) => {
      expect(parse(domain)).toStrictEqual(expected);
    });

    it('searches the display name of a model without _rec_names_search on its recName alone', () => {
      expect(parse("[('display_name', 'ilike', 'x')]", country)).toStrictEqual(leaf(country, 'name', 'ilike', 'x'));
    });

    it('accepts a long chain of the same operator', () => {
      const terms = Array.from({ length: 300 }, (_, i) => `('id', '!=', ${i + 100})`);
      const domain = `[${"'&', ".repeat(299)}${terms.join(', ')}]`;
      expect(partnersMatching(domain)).toStrictEqual(ALL);
    });

    it('accepts a very long implicit chain, with is_false reading it without recursion', () => {
      const terms: PyValue[] = Array.from({ length: 30_000 }, (_, i) => ['id', '!=', i + 100]);
      expect(search('res.partner', parseDomain(terms, partner, registry), false)).toStrictEqual(ALL);
      expect(parseDomain([...terms, ['id', 'in', []]], partner, registry)).toStrictEqual({ kind: 'constant', value: false });
    });

    it('accepts a long chain of !', () => {
      expect(partnersMatching(`[${"'!', ".repeat(1001)}('id', '=', 1)]`)).toStrictEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    describe('malformed domains are a 400 naming the term', () => {
      const deep = `[${"'&', ('id', '=', 1), '|', ('id', '=', 1), ".repeat(70)}('id', '=', 1)]`;
      const longPath = `[('${Array.from({ length: 17 }, () => 'parent_id').join('.')}', '=', 1)]`;
      it.each<[string, string]>([
        ["{'a': 1}", 'Invalid domain: expected a list of terms, got a dict'],
        ["'name'", "Invalid domain: expected a list of terms, got 'name'"],
        ["[('name', '=')]", 'Invalid domain: term 0 has 2 items; a term is [field, operator, value]'],
        ["[('id', '=', 1), ('name', '=', 'x', 'y')]", 'Invalid domain: term 1 has 4 items; a term is [field, operator, value]'],
        ["[('name', '=', 'a'), ('id', '>', 1), ('city', 'foo', 'x')]", "Invalid domain: term 2 has unknown operator 'foo'"],
        ["[('name', 'IN', ['a'])]", "Invalid domain: term 0 has unknown operator 'IN'"],
        ["[('name', 5, 'a')]", 'Invalid domain: term 0 has an operator that is not a string: 5'],
        ["[('name', 'any', [('name', '=', 'x')])]", "Invalid domain: term 0 cannot use 'any' on field 'name' (char)"],
        ["[('category_id', 'any', 5)]", "Invalid domain: term 0 operator 'any' needs a domain (a list of terms), got 5"],
        ["[('id', '=', 1), ('category_id', 'not any', [('name', '=', 'x'), ('nope', 'foo', 1)])]", "Invalid domain: term 1 of the domain of term 1 has unknown operator 'foo'"],
        ["[('child_ids', 'any', ['|', ('name', '=', 'x')])]", "Invalid domain: term 0 of the domain of term 0 ('|') needs 2 operands, found 1"],
        ["[('category_id', 'any', [('name', '=', 'x', 'y')])]", 'Invalid domain: term 0 of the domain of term 0 has 4 items; a term is [field, operator, value]'],
        ["['|', ('name', '=', 'a')]", "Invalid domain: term 0 ('|') needs 2 operands, found 1"],
        ["['&']", "Invalid domain: term 0 ('&') needs 2 operands, found 0"],
        ["[('name', '=', 'a'), '!']", "Invalid domain: term 1 ('!') needs 1 operand, found 0"],
        ["[('id', '=', 1), ('id', '=', 2), '|']", "Invalid domain: term 2 ('|') needs 2 operands, found 0"],
        ['[5]', "Invalid domain: term 0 is 5; expected '&', '|', '!' or a [field, operator, value] term"],
        ["[('id', '=', 1), 'or', ('id', '=', 2)]", "Invalid domain: term 1 is 'or'; expected '&', '|', '!' or a [field, operator, value] term"],
        ["[{'a': 1}]", "Invalid domain: term 0 is a dict; expected '&', '|', '!' or a [field, operator, value] term"],
        ["[(5, '=', 1)]", 'Invalid domain: term 0 has a field path that is not a string: 5'],
        ["[('', '=', 1)]", "Invalid domain: term 0 has an empty field name in ''"],
        ["[('country_id..code', '=', 1)]", "Invalid domain: term 0 has an empty field name in 'country_id..code'"],
        [longPath, 'Invalid domain: term 0 has a field path of more than 16 fields'],
        ["[('id', 'in', 5)]", "Invalid domain: term 0 operator 'in' needs a list value, got 5"],
        ["[('name', 'not in', 'abc')]", "Invalid domain: term 0 operator 'not in' needs a list value, got 'abc'"],
        ["[('color', '=', 'abc')]", "Invalid domain: term 0 cannot compare field 'color' (integer) with 'abc'"],
        ["[('date', '>', 'yesterday')]", "Invalid domain: term 0 cannot compare field 'date' (date) with 'yesterday'"],
        ["[('create_date', '<', '2024-02-30')]", "Invalid domain: term 0 cannot compare field 'create_date' (datetime) with '2024-02-30'"],
        ["[('name', '=', {'a': 1})]", "Invalid domain: term 0 cannot compare field 'name' (char) with a dict"],
        ["[('category_id', 'in', ['VIP'])]", "Invalid domain: term 0 cannot compare field 'category_id' (many2many) with 'VIP'"],
        ["[('name', 'like', ['a'])]", "Invalid domain: term 0 operator 'like' needs a text value, got a list"],
        ["[('name', '=like', 'abc\\\\')]", 'Invalid domain: term 0 has a like pattern that ends with an escape character'],
        ["[('parent_id', '<', 'Acme')]", "Invalid domain: term 0 cannot compare many2one field 'parent_id' with a name using '<'"],
        ["[('image_1920', '=', 'abc')]", "Invalid domain: term 0 can only compare binary field 'image_1920' with False"],
        ["[('name', 'child_of', 1)]", "Invalid domain: term 0 cannot use 'child_of' on field 'name' (char)"],
        ["[('country_id', 'child_of', 1)]", "Invalid domain: term 0 cannot use 'child_of': model 'res.country' has no parent_id hierarchy"],
        ["[('child_ids', 'parent_of', 1)]", "Invalid domain: term 0 cannot use 'parent_of' on one2many field 'child_ids' of its own model"],
        ["[('id', 'child_of', None)]", "Invalid domain: term 0 operator 'child_of' needs ids or names, got None"],
        ["[('country_id.code', 'in', 'BE')]", "Invalid domain: term 0 operator 'in' needs a list value, got 'BE'"],
        [deep, "Invalid domain: term 150 nests '&', '|' and '!' more than 64 levels deep"],
      ])('%s', (domain, message) => {
        expect(errorOf(() => parse(domain))).toStrictEqual({ type: 'BadRequestError', status: 400, message });
      });

      it('checks the structure of the whole list before the fields', () => {
        expect(errorOf(() => parse("[('nope', '=', 1), '&']"))).toStrictEqual({
          type: 'BadRequestError',
          status: 400,
          message: "Invalid domain: term 1 ('&') needs 2 operands, found 0",
        });
      });

      it('is a BadRequestError', () => {
        expect(thrown(() => parse('[5]'))).toBeInstanceOf(BadRequestError);
      });
    });

    describe('unknown fields are a 403 naming the model of the step', () => {
      it.each<[string, string, string]>([
        ["[('nope', '=', 1)]", 'nope', 'res.partner'],
        ["[('__proto__', '=', 1)]", '__proto__', 'res.partner'],
        ["[('constructor', '=', 1)]", 'constructor', 'res.partner'],
        // A domain is_false finds false still has its field names checked.
        ["[('toString', 'in', [])]", 'toString', 'res.partner'],
        ["[('country_id.nope', 'in', False)]", 'nope', 'res.country'],
        ["[('country_id.nope', '=', 1)]", 'nope', 'res.country'],
        ["[('country_id.__proto__', '=', 1)]", '__proto__', 'res.country'],
        ["[('parent_id.country_id.constructor', '=', 1)]", 'constructor', 'res.country'],
        ["[('name.first', '=', 'x')]", 'name.first', 'res.partner'],
        ["[('nope', 'child_of', 1)]", 'nope', 'res.partner'],
        ["['|', ('id', '=', 1), '!', ('nope', '=', 1)]", 'nope', 'res.partner'],
        ["[('country_id', '=', 'x'), ('category_id.nope', 'ilike', 'x')]", 'nope', 'res.partner.category'],
      ])('%s', (domain, field, model) => {
        expect(errorOf(() => parse(domain))).toStrictEqual({
          type: 'InvalidFieldError',
          status: 403,
          message: new InvalidFieldError(field, model).message,
        });
      });

      it("uses Odoo's text", () => {
        expect(errorOf(() => parse("[('nope', '=', 1)]")).message).toStrictEqual("Invalid field 'nope' on model 'res.partner'");
      });
    });
  });

  describe('subpathLeaves', () => {
    const describeNode = (found: ResolvableNode) => (found.kind === 'any' ? [found.field.name, found.negated ? 'not any' : 'any'] : [found.field.name, found.subpath, found.operator]);
    it.each<[string, unknown[]]>([
      ["[('name', '=', 'x'), ('id', '=', 1)]", []],
      [
        "['|', ('country_id.code', '=', 'BE'), '!', ('category_id', 'child_of', 1), ('name', '=', 'x'), ('parent_id', 'ilike', 'Acme')]",
        // _tree_combine_anies puts the 'any' conditions after the other terms of their '|'.
        [
          ['category_id', [], 'child_of'],
          ['country_id', 'any'],
          ['parent_id', ['complete_name'], 'ilike'],
        ],
      ],
      ["[('category_id', 'not ilike', 'vip')]", [['category_id', ['name'], 'ilike']]],
      // The nodes inside an 'any' are its own search's, not this one's.
      ["['!', ('child_ids', 'any', [('country_id.code', '=', 'BE')])]", [['child_ids', 'not any']]],
    ])('%s', (domain, expected) => {
      expect(subpathLeaves(parse(domain)).map(describeNode)).toStrictEqual(expected);
    });
  });

  describe('resolutionOf', () => {
    const only = (domain: string): ResolvableNode => {
      const [first, ...others] = subpathLeaves(parse(domain));
      if (!first || others.length > 0) throw new Error('expected one subpath leaf');
      return first;
    };
    const searchOf = (model: ModelDef, domain: DomainNode, activeTest: boolean, leaveArchivedOut: boolean) => ({ kind: 'search', model, domain, activeTest, leaveArchivedOut, select: true });

    it('searches a many2one comodel with the rest of the path and active_test=False, whatever the caller has', () => {
      for (const callerActiveTest of [true, false]) {
        expect(resolutionOf(only("[('parent_id.name', '!=', 'x')]"), registry, callerActiveTest)).toStrictEqual(searchOf(partner, leaf(partner, 'name', '!=', 'x'), false, false));
      }
    });

    it("searches an x2many comodel in the caller's context: archived records left out only when its active_test is on", () => {
      expect(resolutionOf(only("[('category_id', '!=', 'VIP')]"), registry)).toStrictEqual(searchOf(category, leaf(category, 'name', '=', 'VIP'), true, true));
      expect(resolutionOf(only("[('category_id.name', '=', 'VIP')]"), registry, false)).toStrictEqual(searchOf(category, leaf(category, 'name', '=', 'VIP'), false, false));
    });

    it('keeps archived records when the sub-domain has a term on active', () => {
      expect(resolutionOf(only("[('category_id', 'any', [('active', '=?', False)])]"), registry)).toStrictEqual(searchOf(category, { kind: 'constant', value: true }, true, false));
    });

    it('keeps a longer path for the next search', () => {
      const countryAny = anyNode(partner, 'country_id', false, leaf(country, 'code', '=', 'TW'));
      expect(resolutionOf(only("[('parent_id.country_id.code', '=', 'TW')]"), registry)).toStrictEqual(searchOf(partner, countryAny, false, false));
    });

    it.each<[string, object]>([
      ["[('id', 'child_of', [1, False, 3])]", { model: partner, parentField: partner.fieldsByName.get('parent_id'), start: { ids: [1, 3] }, leaveArchivedOut: false }],
      ["[('parent_id', 'parent_of', 4)]", { model: partner, parentField: partner.fieldsByName.get('parent_id'), start: { ids: [4] }, leaveArchivedOut: false }],
      [
        "[('category_id', 'child_of', 'vip')]",
        {
          model: category,
          parentField: category.fieldsByName.get('parent_id'),
          start: { search: { model: category, domain: leaf(category, 'name', 'ilike', 'vip'), activeTest: true, leaveArchivedOut: true, select: true } },
          // A many2many searches the hierarchy's ids in the caller's context.
          leaveArchivedOut: true,
        },
      ],
    ])('walks the hierarchy for %s', (domain, expected) => {
      const found = resolutionOf(only(domain), registry);
      const operator = domain.includes('parent_of') ? 'parent_of' : 'child_of';
      expect(found).toStrictEqual({ kind: 'hierarchy', operator, ...expected });
    });
  });

  describe('hierarchyIds', () => {
    // 1 > 2 > 3, 1 > 4; 5 > 6 > 7 > 5 is a cycle.
    const parents = new Map<number, number | null>([[1, null], [2, 1], [3, 2], [4, 1], [5, 7], [6, 5], [7, 6]]);
    const parentOf = (id: number) => parents.get(id);
    const childrenOf = (id: number) => [...parents].filter(([, parent]) => parent === id).map(([child]) => child);
    const sorted = (ids: Set<number>) => [...ids].sort((a, b) => a - b);

    it.each<['child_of' | 'parent_of', number[], number[]]>([
      ['child_of', [1], [1, 2, 3, 4]],
      ['child_of', [2], [2, 3]],
      ['child_of', [3, 4], [3, 4]],
      ['parent_of', [3], [1, 2, 3]],
      ['parent_of', [3, 4], [1, 2, 3, 4]],
      ['child_of', [5], [5, 6, 7]],
      ['parent_of', [6], [5, 6, 7]],
      ['child_of', [], []],
      ['child_of', [0], []],
      // An unknown id is kept, as Odoo's browse() keeps it.
      ['parent_of', [99], [99]],
    ])('%s %j -> %j', (operator, start, expected) => {
      expect(sorted(hierarchyIds(operator, start, parentOf, childrenOf))).toStrictEqual(expected);
    });
  });
});
