/**
 * The order index (lib/indexes/order.ts) and searches in a model's default order (Odoo's _order):
 * the keys' byte order (DynamoDB's) is PostgreSQL's order of the fields — checked against an oracle
 * written apart from the encoding — and a search pages through it with a cursor, at the same cost
 * at any depth, in the same sequence as its in-memory sort of a lookup's candidates.
 */
import fc from 'fast-check';
import { MAX_ORDER_TEXT_BYTES, orderIndexTerms, orderKeyOf, sortedFields, sortedKeysOf, totalOrder, walkKeyOf } from '../../../lib/indexes/order';
import { layoutIdOf } from '../../../lib/indexes/indexer';
import { buildRegistry, getModel, type ModelDef } from '../../../lib/models/registry';
import { MAX_SORTED_WALK, parseOrder, searchRecords } from '../../../lib/records/search/search';
import type { StoredRecord, StoredValue } from '../../../lib/records/port';
import { compareCodePoints } from '../../../lib/wire/code-points';
import { shippedModels } from '../../../models';
import { MemoryRecordStore } from '../../helpers/memory-record-store';

const registry = buildRegistry(shippedModels);
const partner = getModel(registry, 'res.partner');
const byteOrder = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

/** A model with every kind of term: a number descending, a text, a boolean descending, a date. */
const thing = getModel(
  buildRegistry([
    ...shippedModels,
    {
      model: 'x.thing',
      description: 'Thing',
      recName: 'name',
      order: 'score desc, name, flag desc, day',
      fields: [
        { name: 'name', type: 'char', string: 'Name' },
        { name: 'score', type: 'float', string: 'Score' },
        { name: 'flag', type: 'boolean', string: 'Flag' },
        { name: 'day', type: 'date', string: 'Day' },
      ],
    },
  ]),
  'x.thing',
);

/**
 * PostgreSQL's ORDER BY, written from its rules rather than from the keys: NULLS LAST ascending
 * and FIRST descending, text in the C collation (UTF-8 byte order), booleans COALESCE(f, FALSE).
 */
function postgresOrder(model: ModelDef, order: string) {
  const keys = totalOrder(model, parseOrder(model, order)).keys;
  return (a: StoredRecord, b: StoredRecord): number => {
    for (const { field, descending } of keys) {
      let x: StoredValue | undefined = field.name === 'id' ? a.id : a.values[field.name];
      let y: StoredValue | undefined = field.name === 'id' ? b.id : b.values[field.name];
      if (field.type === 'boolean') [x, y] = [x === true ? 1 : 0, y === true ? 1 : 0];
      const xNull = x === null || x === undefined;
      const yNull = y === null || y === undefined;
      let result: number;
      if (xNull || yNull) result = xNull === yNull ? 0 : xNull ? 1 : -1;
      else if (typeof x === 'string') result = byteOrder(x, y as string);
      else result = Math.sign((x as number) - (y as number));
      if (descending) result = -result;
      if (result !== 0) return result;
    }
    return 0;
  };
}

const text = fc.oneof(
  fc.constant(null),
  fc.constantFrom('', 'a', 'A', 'ab', 'a b', 'a\u0001', 'a\u0000b', 'a\u0002', '\uffff', '\u{10000}', 'é', 'e\u0301'),
  fc.string({ unit: 'binary', maxLength: 6 }),
);

describe('the order index', () => {
  it('code-point order is UTF-8 byte order (what DynamoDB and the C collation use), not UTF-16 order', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(byteOrder(a, b));
      }),
    );
    expect(compareCodePoints('\u{10000}', '\uffff')).toBeGreaterThan(0);
  });

  it("orders res.partner's keys as PostgreSQL orders its _order (complete_name, id desc), NULLs last, escapes and prefixes included", () => {
    const order = postgresOrder(partner, 'complete_name, id desc');
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.integer({ min: 1, max: 10 ** 12 }), name: text }), { maxLength: 30 }),
        (rows) => {
          const records = rows.map(({ id, name }): StoredRecord => ({ model: 'res.partner', id, version: 1, values: { complete_name: name } }));
          const byKey = [...records].sort((a, b) =>
            byteOrder(orderKeyOf(partner, a.id, a.values) as string, orderKeyOf(partner, b.id, b.values) as string),
          );
          expect(byKey.map((r) => [r.values.complete_name, r.id])).toStrictEqual([...records].sort(order).map((r) => [r.values.complete_name, r.id]));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('orders numbers descending with NULLs first, booleans as COALESCE(f, FALSE), dates as text', () => {
    const order = postgresOrder(thing, 'score desc, name, flag desc, day');
    const score = fc.oneof(fc.constant(null), fc.constantFrom(0, -0, 1.5, -2), fc.double({ noNaN: true, noDefaultInfinity: true }));
    const flag = fc.constantFrom(true, false, null);
    const day = fc.oneof(fc.constant(null), fc.constantFrom('2024-01-31', '2024-02-01', '1999-12-31'));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ id: fc.integer({ min: 1, max: 1000 }), score, name: fc.constantFrom('x', 'y', null), flag, day }),
          { maxLength: 25 },
        ),
        (rows) => {
          const records = rows.map(({ id, ...values }): StoredRecord => ({ model: 'x.thing', id, version: 1, values }));
          const key = (r: StoredRecord) => orderKeyOf(thing, r.id, r.values) as string;
          const byKey = [...records].sort((a, b) => byteOrder(key(a), key(b)));
          const expected = [...records].sort(order);
          // Equal in every term (ids repeat here): the same place either way.
          expect(byKey.map((r) => expected.findIndex((e) => order(e, r) === 0))).toStrictEqual(
            expected.map((r) => expected.findIndex((e) => order(e, r) === 0)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fits a sort key (1,024 bytes) whatever the texts, cutting each text term', () => {
    const users = getModel(registry, 'res.users');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 700 }), fc.string({ unit: 'binary', maxLength: 700 }), (name, login) => {
        const key = orderKeyOf(users, 10 ** 14, { name, login }) as string;
        expect(Buffer.byteLength(key, 'utf8')).toBeLessThanOrEqual(1024);
      }),
    );
    expect(MAX_ORDER_TEXT_BYTES).toBeLessThan(1000);
  });

  it("serves each shipped model's _order (Odoo 17's), forward and reversed, and no other order", () => {
    const orders = Object.fromEntries(
      registry.models
        .filter((model) => orderIndexTerms(model))
        .map((model) => [model.model, (orderIndexTerms(model) ?? []).map((t) => `${t.field.name}${t.descending ? ' desc' : ''}`).join(', ')]),
    );
    expect(orders).toStrictEqual({
      'res.partner': 'complete_name, id desc',
      'res.partner.category': 'name, id',
      'res.country': 'name, id',
      'res.country.state': 'code, id',
      'res.users': 'name, login, id',
      'ir.model': 'model, id',
      'ir.model.fields': 'name, id',
    });
    const direction = (model: ModelDef, order: string) => totalOrder(model, parseOrder(model, order)).walk?.direction;
    expect(direction(partner, 'complete_name, id desc')).toBe('forward');
    expect(direction(partner, 'complete_name desc, id')).toBe('backward');
    // Ties are in no particular order in Odoo: the id is added in the direction the index serves.
    expect(direction(partner, 'complete_name desc')).toBe('backward');
    expect(direction(partner, 'complete_name')).toBe('forward');
    expect(direction(partner, 'complete_name, id')).toBeUndefined();
    expect(direction(partner, 'name, email')).toBeUndefined();
    const country = getModel(registry, 'res.country');
    expect(direction(country, 'name')).toBe('forward');
    expect(direction(country, 'name desc')).toBe('backward');
    expect(direction(country, 'name desc, id desc')).toBe('backward');
    expect(direction(country, 'name desc, id')).toBeUndefined();
    expect(direction(country, 'code, name')).toBeUndefined();
    // No index: id alone (the model's own index), text descending, a many2one (Odoo orders it by the comodel's _order).
    const model = (order: string) =>
      getModel(buildRegistry([...shippedModels, { model: 'x.y', description: 'Y', order, fields: [{ name: 'name', type: 'char', string: 'N' }, { name: 'up', type: 'many2one', relation: 'x.y', string: 'U' }] }]), 'x.y');
    expect(orderIndexTerms(model('id'))).toBeUndefined();
    expect(orderIndexTerms(model('name desc'))).toBeUndefined();
    expect(orderIndexTerms(model('up'))).toBeUndefined();
    expect(orderIndexTerms(model('name'))).toBeDefined();
  });

  it('refuses a model definition whose order is not fields with asc or desc', () => {
    const define = (order: unknown) => () =>
      buildRegistry([...shippedModels, { model: 'x.y', description: 'Y', order, fields: [{ name: 'name', type: 'char', string: 'N' }, { name: 'tags', type: 'many2many', relation: 'x.y', string: 'T' }] }]);
    expect(define('nope')).toThrow("order: 'nope' is not a field with asc or desc");
    expect(define('name sideways')).toThrow('order');
    expect(define('tags')).toThrow('order');
    expect(define(7)).toThrow('order');
    expect(define('name desc, id')).not.toThrow();
  });

  it("changes the indexes' layout id when an order changes (the reindex command must rewrite the keys)", () => {
    const other = buildRegistry(shippedModels.map((m) => ((m as { model: string }).model === 'res.country' ? { ...(m as object), order: 'code' } : m)));
    expect(layoutIdOf(other)).not.toBe(layoutIdOf(registry));
  });
});

describe('searching in the default order', () => {
  const names = ['delta', 'Alpha', 'charlie', 'alpha', 'Bravo', 'alpha', null, 'Écho', 'echo', 'bravo'];
  async function storeWith(indexesReady = true): Promise<MemoryRecordStore> {
    const store = new MemoryRecordStore({ indexesReady });
    await store.putMany(
      Array.from({ length: 200 }, (_, i): StoredRecord => ({
        model: 'res.partner',
        id: i + 1,
        version: 1,
        values: { complete_name: names[i % names.length] ?? null, ref: i % 3 === 0 ? 'R' : null, active: i % 7 !== 0 },
      })),
    );
    store.resetCalls();
    return store;
  }
  const expectedIds = (records: StoredRecord[], order: string, keep: (r: StoredRecord) => boolean) =>
    records.filter(keep).sort(postgresOrder(partner, order)).map((r) => r.id);

  it("answers in the model's _order when no order is given, walking the order index page by page with a cursor", async () => {
    const store = await storeWith();
    const all = store.allRecords();
    const expected = expectedIds(all, 'complete_name, id desc', (r) => r.values.active === true);
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await searchRecords({ registry, store }, { model: partner, limit: 17, ...(cursor ? { cursor } : {}) });
      seen.push(...page.records.map((r) => r.id));
      expect(page.plan).toMatchObject({ strategy: 'scan', via: 'res.partner (order index)' });
      // A page reads what it needs (17 and the one that says there is more, over the archived ones), not the model.
      expect(page.plan.read).toBeLessThan(60);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toStrictEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 17));
    expect(store.calls.scanModel).toBe(0);
  });

  it('walks backward for the reverse order, and pages with offset as well as with the cursor', async () => {
    const store = await storeWith();
    const order = parseOrder(partner, 'complete_name desc, id');
    const expected = expectedIds(store.allRecords(), 'complete_name desc, id', (r) => r.values.active === true);
    const page = await searchRecords({ registry, store }, { model: partner, order, offset: 30, limit: 20 });
    expect(page.records.map((r) => r.id)).toStrictEqual(expected.slice(30, 50));
    const next = await searchRecords({ registry, store }, { model: partner, order, limit: 20, cursor: page.nextCursor });
    expect(next.records.map((r) => r.id)).toStrictEqual(expected.slice(50, 70));
    // NULL names first in descending order (PostgreSQL's default).
    expect(store.allRecords().find((r) => r.id === expected[0])?.values.complete_name).toBeNull();
  });

  it("sorts a lookup's candidates in the same sequence, and either way a cursor goes on in the other", async () => {
    const store = await storeWith();
    const unmarked = await storeWith(false);
    const domain = [['ref', '=', 'R']];
    const expected = expectedIds(store.allRecords(), 'complete_name, id desc', (r) => r.values.active === true && r.values.ref === 'R');
    const viaLookup = await searchRecords({ registry, store }, { model: partner, domain, limit: 10 });
    expect(viaLookup.plan).toMatchObject({ strategy: 'index', via: 'ref =' });
    expect(viaLookup.records.map((r) => r.id)).toStrictEqual(expected.slice(0, 10));
    // The same cursor, given to a search that walks the order index (no lookup: an unindexed term or'ed in).
    const walked = await searchRecords(
      { registry, store },
      { model: partner, domain: ['|', ['ref', '=', 'R'], ['street', '=', 'nowhere']], limit: 10, cursor: viaLookup.nextCursor },
    );
    expect(walked.plan.via).toBe('res.partner (order index)');
    expect(walked.records.map((r) => r.id)).toStrictEqual(expected.slice(10, 20));
    // A table whose indexes are not marked: the model read and sorted here, the same sequence and cursor.
    const sorted = await searchRecords({ registry, store: unmarked }, { model: partner, domain, limit: 10, cursor: walked.nextCursor });
    expect(sorted.plan.strategy).toBe('scan');
    expect(sorted.records.map((r) => r.id)).toStrictEqual(expected.slice(20, 30));
  });

  it("refuses a cursor made for another order, and orders no index serves sort in memory without a cursor", async () => {
    const store = await storeWith();
    const byName = await searchRecords({ registry, store }, { model: partner, limit: 5 });
    const idOrder = parseOrder(partner, 'id');
    const byId = await searchRecords({ registry, store }, { model: partner, limit: 5, order: idOrder });
    expect(byId.records.map((r) => r.id)).toStrictEqual([2, 3, 4, 5, 6]);
    await expect(searchRecords({ registry, store }, { model: partner, limit: 5, order: idOrder, cursor: byName.nextCursor })).rejects.toThrow(
      "Invalid 'cursor': it pages another order",
    );
    await expect(searchRecords({ registry, store }, { model: partner, limit: 5, cursor: byId.nextCursor })).rejects.toThrow('another order');
    await expect(
      searchRecords({ registry, store }, { model: partner, limit: 5, order: parseOrder(partner, 'complete_name desc, id'), cursor: byName.nextCursor }),
    ).rejects.toThrow('another order');
    // A forged cursor: not JSON, or a key longer than a sort key can be (a 400, never DynamoDB's refusal).
    const forged = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');
    for (const cursor of ['%%%', forged({ k: '1'.repeat(1025) }), forged({ k: '1', b: 2 }), forged({ k: 7 }), forged({ k: 'x' }), forged({ k: '' })])
      await expect(searchRecords({ registry, store }, { model: partner, limit: 5, cursor })).rejects.toThrow("Invalid 'cursor'");
    const city = parseOrder(partner, 'ref desc, name');
    const other = await searchRecords({ registry, store }, { model: partner, limit: 5, order: city });
    expect(other.records.map((r) => r.id)).toStrictEqual(expectedIds(store.allRecords(), 'ref desc, name', (r) => r.values.active === true).slice(0, 5));
    expect(other.nextCursor).toBeUndefined();
    await expect(searchRecords({ registry, store }, { model: partner, limit: 5, order: city, cursor: byName.nextCursor })).rejects.toThrow(
      "'cursor' pages in id order, in res.partner's default order (or its reverse), or by one of name, email, vat, ref, date (asc or desc) only",
    );
  });

  it("orders by a many2one as Odoo joins it: by the comodel's _order (countries by name), NULLs last ascending, first descending", async () => {
    const store = new MemoryRecordStore();
    // Country ids in another order than their names: Belgium 1, France 2, Belize 3.
    const countries = [
      [1, 'Belgium'],
      [2, 'France'],
      [3, 'Belize'],
    ].map(([id, name]): StoredRecord => ({ model: 'res.country', id: id as number, version: 1, values: { name: name as string, code: String(id) } }));
    const countryOf: Record<number, number | null> = { 10: 2, 11: 3, 12: 1, 13: null, 14: 3, 15: 2 };
    const partners = Object.entries(countryOf).map(
      ([id, country]): StoredRecord => ({ model: 'res.partner', id: Number(id), version: 1, values: { name: `P${id}`, country_id: country, active: true } }),
    );
    await store.putMany([...countries, ...partners]);
    const ids = async (order: string) =>
      (await searchRecords({ registry, store }, { model: partner, limit: 10, order: parseOrder(partner, order) })).records.map((r) => r.id);
    // Belgium (12), Belize (11, 14), France (10, 15), no country (13); ties by id.
    expect(await ids('country_id')).toStrictEqual([12, 11, 14, 10, 15, 13]);
    expect(await ids('country_id desc, id desc')).toStrictEqual([13, 15, 10, 14, 11, 12]);
    // Not by the country's id, which would put France (2) before Belize (3).
    expect(await ids('country_id, id desc')).toStrictEqual([12, 14, 11, 15, 10, 13]);
  });

  it('keeps id order for a model without an _order (custom models, webhooks)', async () => {
    const store = new MemoryRecordStore();
    const webhook = getModel(registry, 'ir.webhook');
    await store.putMany([3, 1, 2].map((id): StoredRecord => ({ model: 'ir.webhook', id, version: 1, values: { name: `w${4 - id}`, active: true } })));
    const found = await searchRecords({ registry, store }, { model: webhook, limit: 10 });
    expect(found.records.map((r) => r.id)).toStrictEqual([1, 2, 3]);
    expect(store.calls.listInOrder).toBe(0);
  });
});

describe("sorted fields: an indexed field's own order, walked like the model's", () => {
  const store200 = async (): Promise<MemoryRecordStore> => {
    const store = new MemoryRecordStore();
    const refs = ['b', 'B', 'ab', 'a', null, '\u{1F600}x', '\uFFFDx', 'a\u0001', ''];
    await store.putMany(
      Array.from({ length: 200 }, (_, i): StoredRecord => ({
        model: 'res.partner',
        id: i + 1,
        version: 1,
        values: {
          name: `n${(i * 37) % 23}`,
          ref: refs[i % refs.length] ?? null,
          date: i % 5 === 0 ? null : `2024-0${1 + (i % 9)}-1${i % 10}`,
          street: i % 4 === 0 ? 'Main' : null,
          active: i % 7 !== 0,
        },
      })),
    );
    store.resetCalls();
    return store;
  };
  const expectedIds = (records: StoredRecord[], order: string, keep: (r: StoredRecord) => boolean) =>
    records.filter(keep).sort(postgresOrder(partner, order)).map((r) => r.id);

  it("gives each indexed field the model's order does not serve a slot: text, dates and numbers; not many2ones", () => {
    const slots = Object.fromEntries(
      registry.models.filter((model) => sortedFields(model).length > 0).map((model) => [model.model, sortedFields(model).map(({ field, slot }) => `${slot} ${field.name}`)]),
    );
    expect(slots).toStrictEqual({
      'res.partner': ['1 name', '2 email', '3 vat', '4 ref', '5 date'],
      'res.country': ['1 code'],
      'res.users': ['1 login'],
      'ir.model.fields': ['1 model'],
    });
    const walk = (model: ModelDef, order: string) => totalOrder(model, parseOrder(model, order)).walk;
    expect(walk(partner, 'ref')).toStrictEqual({ slot: 4, direction: 'forward' });
    expect(walk(partner, 'ref desc')).toStrictEqual({ slot: 4, direction: 'backward' });
    expect(walk(partner, 'date desc, id desc')).toStrictEqual({ slot: 5, direction: 'backward' });
    expect(walk(partner, 'date, id')).toStrictEqual({ slot: 5, direction: 'forward' });
    // The default order's own field keeps its index; other shapes are not served.
    expect(walk(partner, 'complete_name')).toStrictEqual({ slot: 0, direction: 'forward' });
    expect(walk(partner, 'ref, id desc')).toBeUndefined();
    expect(walk(partner, 'ref, name')).toBeUndefined();
    expect(walk(partner, 'parent_id')).toBeUndefined();
    expect(walk(partner, 'street')).toBeUndefined();
  });

  it('keys order as PostgreSQL orders the field ascending (NULLs last), and reversed as it orders it descending (NULLs first)', () => {
    const ref = sortedFields(partner).find(({ field }) => field.name === 'ref');
    const date = sortedFields(partner).find(({ field }) => field.name === 'date');
    const day = fc.oneof(fc.constant(null), fc.constantFrom('2024-01-31', '2024-02-01', '1999-12-31', '2024-01-31 08:00:00'));
    fc.assert(
      fc.property(fc.array(fc.record({ id: fc.integer({ min: 1, max: 10 ** 12 }), ref: text, date: day }), { maxLength: 30 }), (rows) => {
        const unique = [...new Map(rows.map((row) => [row.id, row])).values()];
        const records = unique.map(({ id, ...values }): StoredRecord => ({ model: 'res.partner', id, version: 1, values }));
        for (const [sorted, field] of [
          [ref, 'ref'],
          [date, 'date'],
        ] as const) {
          const key = (r: StoredRecord) => walkKeyOf(partner, sorted?.slot as number, r.id, r.values) as string;
          const byKey = [...records].sort((a, b) => byteOrder(key(a), key(b))).map((r) => r.id);
          expect(byKey).toStrictEqual([...records].sort(postgresOrder(partner, field)).map((r) => r.id));
          expect([...byKey].reverse()).toStrictEqual([...records].sort(postgresOrder(partner, `${field} desc`)).map((r) => r.id));
        }
      }),
      { numRuns: 300 },
    );
    // Every key fits a sort key, a long text cut.
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 1200 }), (long) => {
        for (const key of sortedKeysOf(partner, 10 ** 14, { name: long, email: long, vat: long, ref: long, date: '2024-01-31' }))
          expect(Buffer.byteLength(key, 'utf8')).toBeLessThanOrEqual(1024);
      }),
    );
  });

  it('pages order=ref and order=ref desc through the sorted index with a cursor, reading about a page per page', async () => {
    const store = await store200();
    for (const order of ['ref', 'ref desc', 'date desc', 'name']) {
      const expected = expectedIds(store.allRecords(), order, (r) => r.values.active === true);
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await searchRecords({ registry, store }, { model: partner, order: parseOrder(partner, order), limit: 17, ...(cursor ? { cursor } : {}) });
        seen.push(...page.records.map((r) => r.id));
        expect(page.plan).toMatchObject({ strategy: 'scan', via: `res.partner (${order.split(' ')[0]} sorted index)` });
        expect(page.plan.read).toBeLessThan(60);
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toStrictEqual(expected);
    }
    expect(store.calls.scanModel).toBe(0);
    expect(store.calls.listSorted).toBeGreaterThan(0);
  });

  it("filters a walk by the domain, and a cursor goes on between the walk and a lookup's candidates sorted here", async () => {
    const store = await store200();
    const order = parseOrder(partner, 'ref desc');
    const keep = (r: StoredRecord) => r.values.active === true && r.values.street === 'Main';
    const expected = expectedIds(store.allRecords(), 'ref desc', keep);
    const first = await searchRecords({ registry, store }, { model: partner, order, domain: [['street', '=', 'Main']], limit: 9 });
    expect(first.plan.via).toBe('res.partner (ref sorted index)');
    expect(first.records.map((r) => r.id)).toStrictEqual(expected.slice(0, 9));
    // The same order over a lookup's candidates (sorted here by the same keys) takes the walk's cursor.
    const ids = expected.slice(9, 30);
    const second = await searchRecords(
      { registry, store },
      { model: partner, order, domain: [['id', 'in', ids], ['street', '=', 'Main']], limit: 9, cursor: first.nextCursor },
    );
    expect(second.plan.strategy).toBe('index');
    expect(second.records.map((r) => r.id)).toStrictEqual(ids.slice(0, 9));
    const third = await searchRecords({ registry, store }, { model: partner, order, domain: [['street', '=', 'Main']], limit: 9, cursor: second.nextCursor });
    expect(third.records.map((r) => r.id)).toStrictEqual(expected.slice(18, 27));
    // A cursor of another sorted field, or of its ascending walk, or of the default order: another order.
    const byName = await searchRecords({ registry, store }, { model: partner, order: parseOrder(partner, 'name'), limit: 3 });
    const byRef = await searchRecords({ registry, store }, { model: partner, order: parseOrder(partner, 'ref'), limit: 3 });
    const byDefault = await searchRecords({ registry, store }, { model: partner, limit: 3 });
    for (const cursor of [byName.nextCursor, byRef.nextCursor, byDefault.nextCursor])
      await expect(searchRecords({ registry, store }, { model: partner, order, limit: 3, cursor })).rejects.toThrow('another order');
    const forged = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');
    for (const s of [0, 6, 1.5, '4'])
      await expect(searchRecords({ registry, store }, { model: partner, order, limit: 3, cursor: forged({ k: '1a', b: 1, s }) })).rejects.toThrow("Invalid 'cursor'");
  });

  it("gives up a walk that passes over 2,000 records for a read of the model sorted here: the same answer and cursor", async () => {
    const store = new MemoryRecordStore();
    // 4,000 partners; the 3 in street 'Far' have the last refs (a domain the ref walk would read to its end for).
    await store.putMany(
      Array.from({ length: 4_000 }, (_, i): StoredRecord => ({
        model: 'res.partner',
        id: i + 1,
        version: 1,
        values: { name: `p${i}`, ref: `r${String(i).padStart(5, '0')}`, street: i >= 3_997 ? 'Far' : i < 5 ? 'Near' : null, active: true },
      })),
    );
    const order = parseOrder(partner, 'ref');
    const far = await searchRecords({ registry, store }, { model: partner, order, domain: [['street', '=', 'Far']], limit: 2 });
    expect(far.records.map((r) => r.id)).toStrictEqual([3_998, 3_999]);
    expect(far.plan.via).toBe(`res.partner (ref sorted index: over ${MAX_SORTED_WALK} passed)`);
    expect(far.plan.read).toBeGreaterThan(4_000);
    const next = await searchRecords({ registry, store }, { model: partner, order, domain: [['street', '=', 'Far']], limit: 2, cursor: far.nextCursor });
    expect(next.records.map((r) => r.id)).toStrictEqual([4_000]);
    // Matches near the walk's start: walked, a page's worth read.
    const near = await searchRecords({ registry, store }, { model: partner, order, domain: [['street', '=', 'Near']], limit: 2 });
    expect(near.records.map((r) => r.id)).toStrictEqual([1, 2]);
    expect(near.plan).toMatchObject({ via: 'res.partner (ref sorted index)' });
    expect(near.plan.read).toBeLessThan(10);
  });

  it('passes over an entry the index has not caught up with: never a record twice, never one out of its place', async () => {
    const store = await store200();
    const order = parseOrder(partner, 'ref');
    store.freezeIndex();
    // Moved after the index froze: 4 goes from 'a' to 'zz' (its entry still says 'a'), 5 from NULL to '0'.
    const moved = store.allRecords().filter((r) => r.id === 4 || r.id === 5);
    await store.putMany(moved.map((r) => ({ ...r, version: 2, values: { ...r.values, ref: r.id === 4 ? 'zz' : '0' } })));
    const seen: StoredRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await searchRecords({ registry, store }, { model: partner, order, limit: 23, ...(cursor ? { cursor } : {}) });
      seen.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor);
    const ids = seen.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    // In order by what each record holds now; the moved ones wait for the index (as a lookup would miss them).
    expect(ids).toStrictEqual(expectedIds(store.allRecords(), 'ref', (r) => r.values.active === true && r.id !== 4 && r.id !== 5));
    store.thawIndex();
    const caughtUp = await searchRecords({ registry, store }, { model: partner, order, limit: 200 });
    expect(caughtUp.records.map((r) => r.id)).toStrictEqual(expectedIds(store.allRecords(), 'ref', (r) => r.values.active === true));
  });
});
