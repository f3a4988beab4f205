/**
 * search / search_count parity with Odoo 17 (odoo/osv/expression.py, BaseModel._search and
 * _where_calc in odoo/models.py, convert_to_column in odoo/fields.py) on the families of domains
 * where a differential check against Odoo found us apart, and on the 'any' / 'not any' operators.
 * Through searchRecords/countRecords over the in-memory RecordStore double. Every expected id list
 * was worked out by hand from Odoo's source, not from this implementation.
 */
import { BadRequestError } from '../../../lib/errors';
import { buildRegistry, getModel } from '../../../lib/models/registry';
import { countRecords, domainModels, searchRecords } from '../../../lib/records';
import { withCompleteNames } from '../../../lib/records/complete-names';
import type { StoredRecord, StoredValue } from '../../../lib/records/port';
import { parseLiteralParam } from '../../../lib/wire/literal';
import { shippedModels } from '../../../models';
import { MemoryRecordStore } from '../../helpers/memory-record-store';
import { rejection } from '../../helpers/thrown';

const registry = buildRegistry(shippedModels);

function record(model: string, id: number, values: Record<string, StoredValue>): StoredRecord {
  return { model, id, version: 1, values: Object.assign(Object.create(null) as Record<string, StoredValue>, values) };
}

// Countries: 1 Belgium, 233 United States.
const countries = [
  record('res.country', 1, { name: 'Belgium', code: 'BE' }),
  record('res.country', 233, { name: 'United States', code: 'US' }),
];

// Tags: Customer (1) > VIP (2), Customer > Lapsed (3, archived); Vendor (4, archived).
const tags = [
  record('res.partner.category', 1, { name: 'Customer', parent_id: null, child_ids: [2, 3], active: true }),
  record('res.partner.category', 2, { name: 'VIP', parent_id: 1, child_ids: [], active: true }),
  record('res.partner.category', 3, { name: 'Lapsed', parent_id: 1, child_ids: [], active: false }),
  record('res.partner.category', 4, { name: 'Vendor', parent_id: null, child_ids: [], active: false }),
];

// Partners: Acme (1) > Alice (2), Old Intern (3, archived); Bob (4) > Zed (5, archived), Dan (7);
// Carol (6) > Archived Kid (8, archived). Functions: 1, 5, 7, 8 NULL; 4 ''.
const partnerRows = [
  record('res.partner', 1, {
    name: 'Acme',
    is_company: true,
    active: true,
    country_id: 1,
    category_id: [1],
    parent_id: null,
    child_ids: [2, 3],
    city: 'Brussels',
    function: null,
  }),
  record('res.partner', 2, {
    name: 'Alice',
    active: true,
    country_id: 233,
    category_id: [2],
    parent_id: 1,
    child_ids: [],
    city: 'Wavre',
    function: 'CEO',
  }),
  record('res.partner', 3, {
    name: 'Old Intern',
    active: false,
    country_id: 1,
    category_id: [3],
    parent_id: 1,
    child_ids: [],
    city: 'Namur',
    function: 'Intern',
  }),
  record('res.partner', 4, {
    name: 'Bob',
    active: true,
    country_id: null,
    category_id: [],
    parent_id: null,
    child_ids: [5, 7],
    city: null,
    function: '',
  }),
  record('res.partner', 5, {
    name: 'Zed',
    active: false,
    country_id: null,
    category_id: [],
    parent_id: 4,
    child_ids: [],
    city: 'Wavre',
    function: null,
  }),
  record('res.partner', 6, {
    name: 'Carol',
    active: true,
    country_id: 233,
    category_id: [3],
    parent_id: null,
    child_ids: [8],
    city: 'Ghent',
    function: 'Buyer',
  }),
  record('res.partner', 7, {
    name: 'Dan',
    active: true,
    country_id: 1,
    category_id: [],
    parent_id: 4,
    child_ids: [],
    city: 'Liège',
    function: null,
  }),
  record('res.partner', 8, {
    name: 'Archived Kid',
    active: false,
    country_id: 1,
    category_id: [1],
    parent_id: 6,
    child_ids: [],
    city: 'Ghent',
    function: null,
  }),
];

// Users (res.users.partner_id is auto_join in Odoo 17): admin -> Acme, kid -> Archived Kid, bob -> Bob.
const users = [
  record('res.users', 1, { name: 'Admin', login: 'admin', partner_id: 1, active: true }),
  record('res.users', 2, { name: 'Kid', login: 'kid', partner_id: 8, active: true }),
  record('res.users', 3, { name: 'Bob', login: 'bob', partner_id: 4, active: true }),
];

const ALL = [1, 2, 3, 4, 5, 6, 7, 8];
const ACTIVE = [1, 2, 4, 6, 7];

async function storeWithData(): Promise<MemoryRecordStore> {
  const store = new MemoryRecordStore();
  // As the writes store them: partners with their complete names (their display names).
  await store.putMany(withCompleteNames(registry, [...countries, ...tags, ...partnerRows, ...users]));
  store.resetCalls();
  return store;
}

/**
 * The ids search() answers, in id order (which records match: the order is the model's _order,
 * tested in test/unit/indexes/order.test.ts), and the count search_count answers, which must agree.
 */
async function found(domain: string, options: { model?: string; activeTest?: boolean } = {}): Promise<number[]> {
  const store = await storeWithData();
  const model = getModel(registry, options.model ?? 'res.partner');
  const request = { model, domain: parseLiteralParam(domain, 'domain'), activeTest: options.activeTest ?? true };
  const { records } = await searchRecords({ registry, store }, { ...request, limit: 1000 });
  const ids = records.map((row) => row.id).sort((a, b) => a - b);
  expect(await countRecords({ registry, store }, request)).toBe(ids.length);
  return ids;
}

type Case = [domain: string, expected: number[]];
const DEFAULT: { activeTest?: boolean } = {};
const ACTIVE_TEST_OFF = { activeTest: false };

describe('search parity with Odoo 17', () => {
  describe('like/ilike with False or None: pycompat.to_text gives an empty pattern, which adds OR IS NULL (__leaf_to_sql)', () => {
    it.each<Case>([
      ["[('function', 'ilike', False)]", ACTIVE],
      ["[('function', 'like', None)]", ACTIVE],
      // not like '%%' matches nothing but the NULLs: 1 and 7 (5 and 8 are archived; 4's '' is not NULL).
      ["[('function', 'not ilike', None)]", [1, 7]],
      ["[('name', 'not ilike', None)]", []],
      ["['!', ('function', 'ilike', False)]", [1, 7]],
      // =like/=ilike compare with convert_to_column(False), NULL: nothing, and NOT of it nothing either.
      ["[('function', '=like', False)]", []],
      ["['!', ('function', '=ilike', None)]", []],
      // True is still the text 'True'.
      ["[('function', 'ilike', True)]", []],
    ])('%s -> %j', async (domain, expected) => {
      expect(await found(domain)).toStrictEqual(expected);
    });
  });

  describe('a many2one compared with 0: Many2one.convert_to_column makes it NULL', () => {
    it.each<Case>([
      ["[('country_id', '!=', 0)]", []],
      ["[('country_id', '=', 0)]", []],
      ["[('country_id', '>', 0)]", []],
      // NOT IN (NULL, 233) is never true; OR IS NULL still adds the partners without a country.
      ["[('country_id', 'not in', [0, 233])]", [4]],
      ["[('country_id', 'not in', [0])]", [4]],
      ["[('country_id', 'in', [0, 233])]", [2, 6]],
      // Without the 0, as before.
      ["[('country_id', 'not in', [233])]", [1, 4, 7]],
      // An integer field keeps its 0 (int(value or 0)); x2many ids drop it.
      ["[('category_id', 'in', [0, 2])]", [2]],
    ])('%s -> %j', async (domain, expected) => {
      expect(await found(domain)).toStrictEqual(expected);
    });
  });

  describe("sub-searches run in the caller's context; a many2one's active_test=False reaches the x2many sub-searches below it", () => {
    it.each<[string, { activeTest?: boolean }, number[]]>([
      // Zed (5), Bob's only Wavre child, is archived.
      ["[('child_ids.city', '=', 'Wavre')]", DEFAULT, [1]],
      ["[('child_ids.city', '=', 'Wavre')]", ACTIVE_TEST_OFF, [1, 4]],
      // Under parent_id (active_test=False) child_ids finds Zed: Bob's children match (Dan; Zed is archived).
      ["[('parent_id.child_ids.city', '=', 'Wavre')]", DEFAULT, [2, 7]],
      // An x2many name search too.
      ["[('category_id', '=', 'Lapsed')]", DEFAULT, []],
      ["[('category_id', '=', 'Lapsed')]", ACTIVE_TEST_OFF, [3, 6]],
      // A many2one name search always searches with active_test=False.
      ["[('parent_id', '=', 'Carol')]", ACTIVE_TEST_OFF, [8]],
      ["[('parent_id', '=', 'Carol')]", DEFAULT, []],
    ])('%s in %j -> %j', async (domain, options, expected) => {
      expect(await found(domain, options)).toStrictEqual(expected);
    });
  });

  describe("_where_calc looks for a term on 'active' in the domain as given, before '=?' or folding", () => {
    it.each<Case>([
      ["[('active', '=?', False)]", ALL],
      ["[('active', '=?', None), ('name', 'ilike', 'a')]", [1, 2, 6, 7, 8]],
      ["[('active', '=?', True)]", ACTIVE],
      // The TRUE leaf folds the '|' away, but the 'active' term was there.
      ["['|', ('active', '=', False), (1, '=', 1)]", ALL],
      ["['!', ('active', '=', True)]", [3, 5, 8]],
      // A path through a field is not a term on 'active' itself.
      ["[('parent_id.active', '=', False)]", []],
    ])('%s -> %j', async (domain, expected) => {
      expect(await found(domain)).toStrictEqual(expected);
    });
  });

  describe("child_of on a many2many searches the hierarchy's ids in the caller's context (comodel._search)", () => {
    it.each<[string, { activeTest?: boolean }, number[]]>([
      // Customer's hierarchy is 1, 2, 3; Lapsed (3) is archived, so Carol (tagged Lapsed only) is out.
      ["[('category_id', 'child_of', 1)]", DEFAULT, [1, 2]],
      ["[('category_id', 'child_of', 1)]", ACTIVE_TEST_OFF, [1, 2, 3, 6, 8]],
      ["[('category_id', 'child_of', 'Customer')]", DEFAULT, [1, 2]],
      // Lapsed's ancestors are Lapsed and Customer; Lapsed is left out.
      ["[('category_id', 'parent_of', [3])]", DEFAULT, [1]],
      // Below an x2many path the context is the caller's ...
      ["[('child_ids.category_id', 'child_of', 3)]", DEFAULT, []],
      ["[('child_ids.category_id', 'child_of', 3)]", ACTIVE_TEST_OFF, [1]],
      // ... below a many2one path active_test is False: Lapsed counts (8's parent Carol has it).
      ["[('parent_id.category_id', 'child_of', 3)]", ACTIVE_TEST_OFF, [8]],
      // A many2one or one2many hierarchy is walked with active_test=False and not filtered.
      ["[('parent_id', 'child_of', 4)]", DEFAULT, [4, 7]],
      ["[('id', 'child_of', 6)]", ACTIVE_TEST_OFF, [6, 8]],
    ])('%s in %j -> %j', async (domain, options, expected) => {
      expect(await found(domain, options)).toStrictEqual(expected);
    });
  });

  describe('expression.is_false: `in` a falsy value makes the whole domain false (BaseModel._search)', () => {
    it.each<[string, string, number[]]>([
      ['res.partner.category', "[('active', 'in', False)]", []],
      ['res.partner.category', "[('active', 'in', [])]", []],
      ['res.partner.category', "[('active', '=', False)]", [3, 4]],
      // '!' makes it true (not false): normalize_leaf then reads `not in False` as `!= False`.
      ['res.partner.category', "['!', ('active', 'in', False)]", [1, 2]],
      ['res.partner', "[('country_id', 'in', False)]", []],
      ['res.partner', "[('country_id', 'in', None)]", []],
      ['res.partner', "[('name', 'ilike', 'a'), ('country_id', 'in', 0)]", []],
      // Inside an '|' that is not false as a whole, `in False` is `= False`.
      ['res.partner', "['|', ('country_id', 'in', False), ('id', '=', 1)]", [1, 4]],
      // A path is 'any': the comodel's own _search answers nothing for its sub-domain.
      ['res.partner', "[('parent_id.country_id', 'in', False)]", []],
      ['res.partner', "['!', ('parent_id.country_id', 'in', False)]", ACTIVE],
    ])('%s %s -> %j', async (model, domain, expected) => {
      expect(await found(domain, { model })).toStrictEqual(expected);
    });

    it('reads nothing for a false domain', async () => {
      const store = await storeWithData();
      const model = getModel(registry, 'res.partner');
      const domain = parseLiteralParam("[('country_id.code', '=', 'BE'), ('id', 'in', [])]", 'domain');
      expect((await searchRecords({ registry, store }, { model, domain, limit: 10 })).records).toStrictEqual([]);
      expect(await countRecords({ registry, store }, { model, domain })).toBe(0);
      expect(store.calls).toMatchObject({ listModel: 0, scanModel: 0, countModel: 0 });
    });
  });

  describe("'=?' on an x2many is '=' (parse()'s x2many branches handle `right is False` first)", () => {
    it.each<Case>([
      ["[('category_id', '=?', False)]", [4, 7]],
      ["[('category_id', '=?', None)]", []],
      ["[('category_id', '=?', 2)]", [2]],
      ["[('category_id', '=?', [1, 2])]", [1, 2]],
      ["[('category_id', '=?', 'VIP')]", [2]],
      ["[('child_ids', '=?', False)]", [2, 7]],
      // On other fields '=?' False/None is still TRUE.
      ["[('country_id', '=?', False)]", ACTIVE],
    ])('%s -> %j', async (domain, expected) => {
      expect(await found(domain)).toStrictEqual(expected);
    });
  });

  describe("OR-ed sub-searches on one field are merged (_tree_combine_anies), and an 'active' term in them keeps archived records", () => {
    it.each<Case>([
      // One sub-search on children: name = 'Archived Kid' OR active = True, with no archive filter.
      ["['|', ('child_ids.name', '=', 'Archived Kid'), ('child_ids.active', '=', True)]", [1, 4, 6]],
      // Under '&' an x2many's are not merged: the name sub-search leaves the archived kid out.
      ["[('child_ids.name', '=', 'Archived Kid'), ('child_ids.active', '=', False)]", []],
      ["[('child_ids.active', '=', False)]", [1, 4, 6]],
      // A many2one's are merged under '&' too: one parent that is both.
      ["[('parent_id.name', '=', 'Acme'), ('parent_id.is_company', '=', True)]", [2]],
      // 'not any' under '&' merges with '|': no child named Alice or Dan.
      ["['!', ('child_ids.name', '=', 'Alice'), '!', ('child_ids.name', '=', 'Dan')]", [2, 6, 7]],
    ])('%s -> %j', async (domain, expected) => {
      expect(await found(domain)).toStrictEqual(expected);
    });
  });

  describe("'any' and 'not any'", () => {
    it.each<[string, { activeTest?: boolean }, number[]]>([
      ["[('child_ids', 'any', [('city', '=', 'Wavre')])]", DEFAULT, [1]],
      ["[('child_ids', 'any', [('city', '=', 'Wavre')])]", ACTIVE_TEST_OFF, [1, 4]],
      ["[('child_ids', 'not any', [('city', '=', 'Wavre')])]", DEFAULT, [2, 4, 6, 7]],
      ["['!', ('child_ids', 'any', [('city', '=', 'Wavre')])]", DEFAULT, [2, 4, 6, 7]],
      ["['!', ('child_ids', 'not any', [('city', '=', 'Wavre')])]", DEFAULT, [1]],
      // A many2one: 'not any' includes the partners without a country (NOT IN ... OR IS NULL).
      ["[('country_id', 'any', [('code', '=', 'BE')])]", DEFAULT, [1, 7]],
      ["[('country_id', 'not any', [('code', '=', 'BE')])]", DEFAULT, [2, 4, 6]],
      // An empty domain: linked to some record the sub-search finds (the active tags).
      ["[('category_id', 'any', [])]", DEFAULT, [1, 2]],
      ["[('category_id', 'any', [])]", ACTIVE_TEST_OFF, [1, 2, 3, 6, 8]],
      ["[('country_id', 'any', [])]", DEFAULT, [1, 2, 6, 7]],
      // A many2one searches its comodel with active_test=False: Carol's archived kid counts.
      ["[('parent_id', 'any', [('name', '=', 'Carol')])]", ACTIVE_TEST_OFF, [8]],
      // Nested, with paths and operators inside.
      ["[('parent_id', 'any', [('child_ids', 'any', [('city', '=', 'Wavre')])])]", DEFAULT, [2, 7]],
      ["[('child_ids', 'any', ['|', ('country_id.code', '=', 'US'), ('name', 'ilike', 'dan')])]", DEFAULT, [1, 4]],
      ["[('parent_id.child_ids', 'any', [('name', '=', 'Dan')])]", DEFAULT, [7]],
      // A false sub-domain: 'any' finds nothing, 'not any' everything.
      ["[('country_id', 'any', [('name', 'in', False)])]", DEFAULT, []],
      ["[('country_id', 'not any', [('name', 'in', [])])]", DEFAULT, ACTIVE],
    ])('%s in %j -> %j', async (domain, options, expected) => {
      expect(await found(domain, options)).toStrictEqual(expected);
    });

    it('reads the comodels an any walks, for the access check, even under a false sub-domain', () => {
      const partner = getModel(registry, 'res.partner');
      const walked = (text: string) =>
        domainModels(registry, partner, parseLiteralParam(text, 'domain')).map((model) => model.model);
      expect(walked("[('country_id', 'any', [('state_ids', 'any', [('code', '=', 'X')])])]")).toStrictEqual([
        'res.country',
        'res.country.state',
      ]);
      expect(walked("[('category_id', 'not any', [('id', 'in', [])])]")).toStrictEqual(['res.partner.category']);
      expect(walked("['|', (1, '=', 1), ('country_id', 'any', [])]")).toStrictEqual([]);
    });

    it('is a 400 naming the term on a field that is not relational, or with a value that is not a domain', async () => {
      const store = await storeWithData();
      const model = getModel(registry, 'res.partner');
      for (const [text, message] of [
        ["[('city', 'any', [])]", "Invalid domain: term 0 cannot use 'any' on field 'city' (char)"],
        [
          "[('child_ids', 'not any', 'Dan')]",
          "Invalid domain: term 0 operator 'not any' needs a domain (a list of terms), got 'Dan'",
        ],
        [
          "[('child_ids', 'any', [('city', 'like')])]",
          'Invalid domain: term 0 of the domain of term 0 has 2 items; a term is [field, operator, value]',
        ],
      ] as const) {
        const error = await rejection(
          searchRecords({ registry, store }, { model, domain: parseLiteralParam(text, 'domain'), limit: 10 }),
        );
        expect([error instanceof BadRequestError, (error as Error).message]).toStrictEqual([true, message]);
      }
    });

    it('bounds how deep any conditions and paths nest together, as a path of 16 fields', async () => {
      const nested = (anys: number, path: string) => {
        let domain = `[('${path}', '=', 'x')]`;
        for (let i = 0; i < anys; i++) domain = `[('child_ids', 'any', ${domain})]`;
        return domain;
      };
      expect(await found(nested(8, `${'child_ids.'.repeat(7)}name`))).toStrictEqual([]);
      const error = await rejection(found(nested(8, `${'child_ids.'.repeat(8)}name`)));
      expect((error as Error).message).toBe(
        'Invalid domain: term 0 of the domain of term 0 of the domain of term 0 of the domain of term 0 of the domain of term 0 of the domain of term 0 of the domain of term 0 of the domain of term 0 of the domain of term 0 has a field path of more than 16 fields',
      );
    });
  });

  describe('res.users.partner_id is auto_join: its condition joins into the query instead of a sub-search', () => {
    it.each<[string, { activeTest?: boolean }, number[]]>([
      // No archive filter on the joined partner, as for any many2one.
      ["[('partner_id', 'any', [('name', '=', 'Archived Kid')])]", DEFAULT, [2]],
      ["[('partner_id.name', '=', 'Archived Kid')]", DEFAULT, [2]],
      // The x2many sub-searches below it keep the caller's context (no active_test=False from a sub-search).
      ["[('partner_id.child_ids.city', '=', 'Wavre')]", DEFAULT, [1]],
      ["[('partner_id.child_ids.city', '=', 'Wavre')]", ACTIVE_TEST_OFF, [1, 3]],
      // 'not any' is SQL's NOT over the joined condition: a NULL function is unknown, not "not CEO".
      ["[('partner_id', 'not any', [('function', '=', 'CEO')])]", DEFAULT, [3]],
      ["[('partner_id', 'not any', [('function', '!=', 'CEO')])]", DEFAULT, []],
      // No is_false shortcut in a join: `in False` is `= False` there.
      ["[('partner_id', 'any', [('country_id', 'in', False)])]", DEFAULT, [3]],
    ])('%s in %j -> %j', async (domain, options, expected) => {
      expect(await found(domain, { ...options, model: 'res.users' })).toStrictEqual(expected);
    });
  });
});
