/**
 * The planner (lib/indexes/plan.ts) through search and search_count, over the in-memory store:
 * - a search that reads an index answers exactly what the walk of the whole model answers, for
 *   random records and random domains (every operator an index serves, the ones it cannot, '&',
 *   '|', '!', dotted paths), pages and counts included;
 * - what it reads: the candidates, not the model; a count DynamoDB makes; the plan it reports;
 * - a lagging index (entries of an earlier state) never makes a search return a record that does
 *   not match; what it can miss is what the README says.
 */
import fc from 'fast-check';
import { buildRegistry, getModel } from '../../../lib/models/registry';
import { countRecords, countWithPlan, parseOrder, searchRecords } from '../../../lib/records/search/search';
import { unlinkRecords } from '../../../lib/records/unlink';
import { withCompleteNames } from '../../../lib/records/complete-names';
import { updateAction, type StoredRecord, type StoredValue } from '../../../lib/records/port';
import type { PyValue } from '../../../lib/wire/pyvalue';
import { shippedModels } from '../../../models';
import { MemoryRecordStore } from '../../helpers/memory-record-store';
import { MAX_CANDIDATES } from '../../../lib/indexes/plan';
import { indexerOf } from '../../../lib/indexes/indexer';

const registry = buildRegistry(shippedModels);
const partner = getModel(registry, 'res.partner');

const NAMES = [
  'Azure',
  'azure',
  'Azure Interior',
  'AZURE',
  'Deco',
  'deco addict',
  'ΑΣΑ',
  'ασα',
  '',
  'Zoë',
  'a%b',
  'a_b',
];
const REFS = ['R1', 'r1', 'R10', 'R2', 'X'];
const DATES = ['2024-01-01', '2024-01-31', '2024-02-01', '2023-12-31'];

const partnerArb = (id: number) =>
  fc
    .record({
      name: fc.constantFrom(...NAMES),
      ref: fc.option(fc.constantFrom(...REFS), { nil: null }),
      vat: fc.option(fc.constantFrom('BE0477472701', 'be0477', 'US1'), { nil: null }),
      date: fc.option(fc.constantFrom(...DATES), { nil: null }),
      parent_id: fc.option(fc.integer({ min: 1, max: 12 }), { nil: null }),
      country_id: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
      city: fc.option(fc.constantFrom('Ghent', 'Namur'), { nil: null }),
      active: fc.boolean(),
    })
    .map((values): StoredRecord => ({
      model: 'res.partner',
      id,
      version: 1,
      values: values as Record<string, StoredValue>,
    }));

const COUNTRIES: StoredRecord[] = [
  { model: 'res.country', id: 1, version: 1, values: { name: 'Belgium', code: 'BE' } },
  { model: 'res.country', id: 2, version: 1, values: { name: 'France', code: 'FR' } },
  { model: 'res.country', id: 3, version: 1, values: { name: 'Belize', code: 'BZ' } },
];

const leafArb: fc.Arbitrary<PyValue> = fc
  .oneof(
    fc.tuple(
      fc.constant('name'),
      fc.constantFrom('=', '!=', '=ilike', '=like', 'ilike', 'in'),
      fc.constantFrom(...NAMES, 'az%', 'AZ%', 'Azure%', 'ασ%', 'ΑΣ%', 'a\\%%', 'a_b', 'de_o%'),
    ),
    fc.tuple(fc.constant('ref'), fc.constantFrom('=', 'in', '=like', '<', '>='), fc.constantFrom(...REFS, false, 'R%')),
    fc.tuple(
      fc.constant('date'),
      fc.constantFrom('=', '<', '<=', '>', '>=', '=like', 'in', '!='),
      fc.constantFrom(...DATES, false, '2024-01%'),
    ),
    fc.tuple(
      fc.constant('parent_id'),
      fc.constantFrom('=', 'in', '!=', '<', '>'),
      fc.oneof(fc.integer({ min: 0, max: 13 }), fc.constant(false)),
    ),
    fc.tuple(fc.constant('country_id.code'), fc.constantFrom('=', '=like', 'in'), fc.constantFrom('BE', 'B%', 'FR')),
    fc.tuple(fc.constant('id'), fc.constantFrom('in', '=', '>'), fc.integer({ min: 0, max: 30 })),
    fc.tuple(fc.constant('city'), fc.constantFrom('=', '!='), fc.constantFrom('Ghent', false)),
    fc.tuple(fc.constant('vat'), fc.constantFrom('=ilike', '='), fc.constantFrom('be%', 'BE0477472701', 'us1')),
  )
  .map(([field, operator, value]) => {
    // `in` takes a list (one or two values drawn from the same pool).
    const wanted: PyValue =
      operator === 'in' ? [value as PyValue, ...(typeof value === 'number' ? [value + 1] : [])] : (value as PyValue);
    return [field, operator, wanted];
  });

const domainArb: fc.Arbitrary<PyValue[]> = fc.oneof(
  fc.array(leafArb, { minLength: 1, maxLength: 3 }),
  fc.tuple(leafArb, leafArb).map(([a, b]) => ['|', a, b]),
  fc.tuple(leafArb, leafArb, leafArb).map(([a, b, c]) => ['&', '|', a, b, c]),
  fc.tuple(leafArb, leafArb).map(([a, b]) => [a, '!', b]),
);

async function storesWith(records: readonly StoredRecord[]) {
  const indexed = new MemoryRecordStore();
  const walked = new MemoryRecordStore({ indexesReady: false });
  // As the service stores them: with their complete names (res.partner's order).
  for (const store of [indexed, walked]) await store.putMany(withCompleteNames(registry, [...COUNTRIES, ...records]));
  return { indexed, walked };
}

describe('searching through the declared indexes', () => {
  it('answers what a walk of the whole model answers, for random records and domains (ids, pages, counts)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(...Array.from({ length: 24 }, (_, i) => partnerArb(i + 1))),
        domainArb,
        fc.boolean(),
        async (records, domain, activeTest) => {
          const { indexed, walked } = await storesWith(records);
          const request = { model: partner, domain, limit: 1000, activeTest };
          const viaWalk = await searchRecords({ registry, store: walked }, request).catch((error: Error) => error);
          // A domain the walk refuses (a value its field cannot compare with) is refused the same way.
          if (viaWalk instanceof Error) {
            await expect(searchRecords({ registry, store: indexed }, request)).rejects.toThrow(viaWalk.message);
            return;
          }
          const viaIndex = await searchRecords({ registry, store: indexed }, request);
          expect(viaIndex.records.map((r) => r.id)).toStrictEqual(viaWalk.records.map((r) => r.id));
          expect(await countRecords({ registry, store: indexed }, request)).toBe(viaWalk.records.length);
          // A page in the middle, and where the next one starts.
          const page = { ...request, offset: 1, limit: 2 };
          const [pageIndex, pageWalk] = await Promise.all([
            searchRecords({ registry, store: indexed }, page),
            searchRecords({ registry, store: walked }, page),
          ]);
          expect(pageIndex.records.map((r) => r.id)).toStrictEqual(pageWalk.records.map((r) => r.id));
          expect(pageIndex.nextCursor).toBe(pageWalk.nextCursor);
          // Pages by cursor, in the default order, its reverse and id order: the walk's sequence.
          for (const order of [undefined, parseOrder(partner, 'complete_name desc'), parseOrder(partner, 'id')]) {
            const pages = async (store: MemoryRecordStore) => {
              const ids: number[] = [];
              let cursor: string | undefined;
              do {
                const next = await searchRecords(
                  { registry, store },
                  { ...request, limit: 3, cursor, ...(order ? { order } : {}) },
                );
                ids.push(...next.records.map((r) => r.id));
                cursor = next.nextCursor;
              } while (cursor !== undefined);
              return ids;
            };
            expect(await pages(indexed)).toStrictEqual(await pages(walked));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads the candidates of an indexed equality, not the model, and reports the plan', async () => {
    const records = Array.from({ length: 200 }, (_, i): StoredRecord => ({
      model: 'res.partner',
      id: i + 1,
      version: 1,
      values: { name: `Partner ${i + 1}`, ref: i % 50 === 0 ? 'GOLD' : `R${i}`, active: true },
    }));
    const { indexed } = await storesWith(records);
    indexed.resetCalls();
    const { records: found, plan } = await searchRecords(
      { registry, store: indexed },
      { model: partner, domain: [['ref', '=', 'GOLD']], limit: 80, explain: true },
    );
    // In res.partner's order (name, id desc): by code point, 'Partner 101' before 'Partner 51'.
    expect(found.map((r) => r.id)).toStrictEqual([1, 101, 151, 51]);
    expect(plan).toStrictEqual({ strategy: 'index', via: 'ref =', estimated: 4, entries: 4, read: 4 });
    expect(indexed.calls).toMatchObject({ listModel: 0, scanModel: 0, getMany: 1 });
  });

  it('counts an exact indexed leaf with DynamoDB (active records only when archived ones are left out), and reads the records otherwise', async () => {
    const records = Array.from({ length: 30 }, (_, i): StoredRecord => ({
      model: 'res.partner',
      id: i + 1,
      version: 1,
      values: { name: i < 10 ? 'Gold' : 'Silver', active: i % 2 === 0 },
    }));
    const { indexed } = await storesWith(records);
    indexed.resetCalls();
    expect(
      await countWithPlan({ registry, store: indexed }, { model: partner, domain: [['name', '=', 'Gold']] }),
    ).toStrictEqual({
      count: 5,
      plan: { strategy: 'count', via: 'name =', entries: 0, read: 0 },
    });
    expect(
      await countRecords(
        { registry, store: indexed },
        { model: partner, domain: [['name', '=', 'Gold']], activeTest: false },
      ),
    ).toBe(10);
    expect(indexed.calls).toMatchObject({ countIndex: 2, getMany: 0, scanModel: 0 });
    // =like is never exact (the lookup folds case): the candidates are read and evaluated.
    const like = await countWithPlan(
      { registry, store: indexed },
      { model: partner, domain: [['name', '=like', 'G%']] },
    );
    expect(like).toMatchObject({ count: 5, plan: { strategy: 'index', via: 'name =like', entries: 10, read: 10 } });
  });

  it('resolves a dotted path through the comodel index, then looks up the many2one, without walking either model', async () => {
    const records = Array.from({ length: 60 }, (_, i): StoredRecord => ({
      model: 'res.partner',
      id: i + 1,
      version: 1,
      values: { name: `P${i}`, country_id: (i % 3) + 1, active: true },
    }));
    const { indexed } = await storesWith(records);
    indexed.resetCalls();
    const { records: found, plan } = await searchRecords(
      { registry, store: indexed },
      { model: partner, domain: [['country_id.code', '=', 'BE']], limit: 100 },
    );
    expect(found).toHaveLength(20);
    expect(plan.strategy).toBe('index');
    expect(indexed.calls).toMatchObject({ listModel: 0, scanModel: 0 });
  });

  it('walks the model (in its order) when a lookup would hold more than MAX_CANDIDATES, and says so; an equality pages through its lookup in the default order, both ways', async () => {
    const records = Array.from({ length: MAX_CANDIDATES + 1 }, (_, i): StoredRecord => ({
      model: 'res.partner',
      id: i + 1,
      version: 1,
      values: { name: 'Same', complete_name: 'Same', active: true },
    }));
    const store = new MemoryRecordStore({ lean: true });
    await store.putMany(records);
    const { records: found, plan } = await searchRecords(
      { registry, store },
      { model: partner, domain: [['name', '=like', 'Same%']], limit: 3 },
    );
    // res.partner's order: complete_name, then id descending.
    expect(found.map((r) => r.id)).toStrictEqual([MAX_CANDIDATES + 1, MAX_CANDIDATES, MAX_CANDIDATES - 1]);
    expect(plan).toMatchObject({
      strategy: 'scan',
      via: `res.partner (order index; name =like: over ${MAX_CANDIDATES} candidates)`,
    });
    expect(plan.read).toBeLessThan(100);
    // An equality in the default order is walked through its lookup, whose entries of one value
    // follow that order: a fair share of each partition, about what the page needs, at any depth.
    const equal = await searchRecords(
      { registry, store },
      { model: partner, domain: [['name', '=', 'Same']], limit: 3, offset: 5000 },
    );
    expect(equal.records.map((r) => r.id)).toStrictEqual([5001, 5000, 4999]);
    expect(equal.plan).toMatchObject({ strategy: 'index', via: 'name =' });
    expect(equal.plan.read).toBeLessThan(5100);
    const deep = await searchRecords(
      { registry, store },
      { model: partner, domain: [['name', '=', 'Same']], limit: 3, cursor: equal.nextCursor },
    );
    // 16 partitions, each asked for 4 times its even share of the 4 the page needs, plus 2, plus the entry it stopped at.
    expect([deep.records.map((r) => r.id), deep.plan.read, deep.plan.entries <= 16 * 4]).toStrictEqual([
      [4998, 4997, 4996],
      4,
      true,
    ]);
    // The reverse order walks it backward.
    const reverse = parseOrder(partner, 'complete_name desc');
    const back = await searchRecords(
      { registry, store },
      { model: partner, domain: [['name', '=', 'Same']], limit: 3, offset: 5000, order: reverse },
    );
    expect(back.records.map((r) => r.id)).toStrictEqual([5001, 5002, 5003]);
    const further = await searchRecords(
      { registry, store },
      { model: partner, domain: [['name', '=', 'Same']], limit: 3, cursor: back.nextCursor, order: reverse },
    );
    expect([further.records.map((r) => r.id), further.plan.read]).toStrictEqual([[5004, 5005, 5006], 4]);
    // In id order the entries are not in the order asked: more than MAX_CANDIDATES of them is a walk of the model.
    const byId = await searchRecords(
      { registry, store },
      { model: partner, domain: [['name', '=', 'Same']], limit: 3, order: parseOrder(partner, 'id') },
    );
    expect([byId.records.map((r) => r.id), byId.plan.strategy]).toStrictEqual([[1, 2, 3], 'scan']);
  });

  it("pages an equality in id order by its entries' ids, reading only the page's records", async () => {
    const records = Array.from({ length: 500 }, (_, i): StoredRecord => ({
      model: 'res.partner',
      id: i + 1,
      version: 1,
      values: { name: 'Same', ref: i % 2 === 0 ? 'EVEN' : 'ODD', complete_name: `N${(i * 7919) % 500}`, active: true },
    }));
    const store = new MemoryRecordStore({ lean: true });
    await store.putMany(records);
    const idOrder = parseOrder(partner, 'id');
    const page = await searchRecords(
      { registry, store },
      { model: partner, domain: [['ref', '=', 'ODD']], limit: 4, offset: 10, order: idOrder },
    );
    expect(page.records.map((r) => r.id)).toStrictEqual([22, 24, 26, 28]);
    // Every candidate's entry (250), but only the records up to the page's end and one more.
    expect(page.plan).toMatchObject({ strategy: 'index', entries: 250 });
    expect(page.plan.read).toBe(15);
    const next = await searchRecords(
      { registry, store },
      { model: partner, domain: [['ref', '=', 'ODD']], limit: 4, cursor: page.nextCursor, order: idOrder },
    );
    expect(next.records.map((r) => r.id)).toStrictEqual([30, 32, 34, 36]);
  });

  it('pages an equality of a model without an _order in id order through its lookup, reading about the page', async () => {
    const withTickets = buildRegistry([
      ...shippedModels,
      {
        model: 'x.ticket',
        description: 'Ticket',
        fields: [
          { name: 'name', type: 'char', string: 'Name' },
          { name: 'queue', type: 'char', string: 'Queue', index: true },
        ],
      },
    ]);
    const ticket = getModel(withTickets, 'x.ticket');
    const store = new MemoryRecordStore({ lean: true, indexer: indexerOf(withTickets) });
    await store.putMany(
      Array.from({ length: 2000 }, (_, i): StoredRecord => ({
        model: 'x.ticket',
        id: i + 1,
        version: 1,
        values: { name: `T${i}`, queue: i % 4 === 0 ? 'urgent' : 'later' },
      })),
    );
    const deps = { registry: withTickets, store };
    const first = await searchRecords(deps, {
      model: ticket,
      domain: [['queue', '=', 'urgent']],
      limit: 3,
      offset: 100,
    });
    expect(first.records.map((r) => r.id)).toStrictEqual([401, 405, 409]);
    expect(first.plan).toMatchObject({ strategy: 'index', via: 'queue =' });
    expect(first.plan.entries).toBeLessThan(500);
    const next = await searchRecords(deps, {
      model: ticket,
      domain: [['queue', '=', 'urgent']],
      limit: 3,
      cursor: first.nextCursor,
    });
    expect([next.records.map((r) => r.id), next.plan.read]).toStrictEqual([[413, 417, 421], 4]);
  });

  it('looks a display name prefix up in every field of _rec_names_search (complete_name, email, ref, vat) and unites them', async () => {
    const records = Array.from({ length: 300 }, (_, i): StoredRecord => ({
      model: 'res.partner',
      id: i + 1,
      version: 1,
      values: {
        name: `P${i}`,
        email: i === 7 ? 'sales@zeta.example' : `p${i}@example.org`,
        ref: i === 9 ? 'ZETA-9' : null,
        active: true,
      },
    }));
    records.push({ model: 'res.partner', id: 400, version: 1, values: { name: 'Zeta Corp', active: true } });
    const { indexed, walked } = await storesWith(records);
    const request = { model: partner, domain: [['display_name', '=ilike', 'zeta%']], limit: 10 };
    const found = await searchRecords({ registry, store: indexed }, request);
    expect(found.records.map((r) => r.id)).toStrictEqual(
      (await searchRecords({ registry, store: walked }, request)).records.map((r) => r.id),
    );
    expect(found.records.map((r) => r.id).sort((a, b) => a - b)).toStrictEqual([10, 400]);
    expect(found.plan).toMatchObject({
      strategy: 'index',
      via: 'complete_name =ilike | email =ilike | ref =ilike | vat =ilike',
      read: 2,
    });
    // The email's domain is not its start: =ilike 'sales%' finds the email.
    const byEmail = await searchRecords(
      { registry, store: indexed },
      { ...request, domain: [['display_name', '=ilike', 'sales@%']] },
    );
    expect([byEmail.records.map((r) => r.id), byEmail.plan.strategy]).toStrictEqual([[8], 'index']);
  });

  it('puts the candidates of a range or a prefix in the default order by their entries, reading only the page\'s records', async () => {
    const records = Array.from({ length: 600 }, (_, i): StoredRecord => ({
      model: 'res.partner',
      id: i + 1,
      version: 1,
      values: { name: `N${(i * 7919) % 600}`, date: i % 3 === 0 ? '2024-06-01' : '2023-01-01', active: true },
    }));
    const { indexed, walked } = await storesWith(records);
    for (const [domain, order] of [
      [[['date', '>=', '2024-01-01']], undefined],
      [[['name', '=ilike', 'n1%']], undefined],
      [[['date', '>=', '2024-01-01'], ['name', '=ilike', 'n1%']], undefined],
      [[['date', '>=', '2024-01-01']], parseOrder(partner, 'complete_name desc')],
    ] as const) {
      const request = { model: partner, domain: domain as unknown as PyValue[], limit: 7, ...(order ? { order } : {}) };
      const pages = async (store: MemoryRecordStore) => {
        const seen: number[] = [];
        const reads: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await searchRecords({ registry, store }, { ...request, cursor });
          seen.push(...page.records.map((r) => r.id));
          reads.push(page.plan.read);
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        return { seen, reads };
      };
      const viaIndex = await pages(indexed);
      expect(viaIndex.seen).toStrictEqual((await pages(walked)).seen);
      expect(viaIndex.seen.length).toBeGreaterThan(30);
      // Each page reads its 7 records and one more to know there is a next, not the 200 candidates.
      expect(Math.max(...viaIndex.reads)).toBe(8);
    }
  });

  it('never returns a record that no longer matches when the index lags its records; it may miss one just changed to match', async () => {
    const records = [1, 2, 3].map((id): StoredRecord => ({
      model: 'res.partner',
      id,
      version: 1,
      values: { name: `P${id}`, ref: 'OLD', active: true },
    }));
    const { indexed: store } = await storesWith(records);
    store.freezeIndex();
    // Record 2 moves from OLD to NEW; the index still has it under OLD.
    await store.transact([updateAction(store.record('res.partner', 2) as StoredRecord, { ref: 'NEW' })]);
    const old = await searchRecords({ registry, store }, { model: partner, domain: [['ref', '=', 'OLD']], limit: 10 });
    expect(old.records.map((r) => r.id)).toStrictEqual([1, 3]);
    expect(old.plan).toMatchObject({ entries: 3, read: 3 });
    const fresh = await searchRecords(
      { registry, store },
      { model: partner, domain: [['ref', '=', 'NEW']], limit: 10 },
    );
    expect(fresh.records).toStrictEqual([]);
    store.thawIndex();
    const caughtUp = await searchRecords(
      { registry, store },
      { model: partner, domain: [['ref', '=', 'NEW']], limit: 10 },
    );
    expect(caughtUp.records.map((r) => r.id)).toStrictEqual([2]);
  });

  it('walks every model until the table is marked reindexed (a table kept from before its indexes)', async () => {
    const store = new MemoryRecordStore({ indexesReady: false });
    await store.putMany([{ model: 'res.partner', id: 1, version: 1, values: { name: 'A', ref: 'X', active: true } }]);
    store.resetCalls();
    const { plan } = await searchRecords(
      { registry, store },
      { model: partner, domain: [['ref', '=', 'X']], limit: 10 },
    );
    expect(plan).toMatchObject({ strategy: 'scan', via: 'res.partner' });
    expect(store.calls).toMatchObject({ queryIndex: 0, countIndex: 0 });
  });

  it("finds a deleted record's references through an indexed many2one, without walking the referencing model", async () => {
    const partners = Array.from({ length: 40 }, (_, i): StoredRecord => ({
      model: 'res.partner',
      id: i + 1,
      version: 1,
      values: { name: `P${i}`, country_id: i === 7 ? 2 : 1, active: true },
    }));
    const { indexed: store } = await storesWith(partners);
    const deps = { registry, store, sleep: async () => {} };
    const caller = { userId: 2, clientId: 'client-a' };
    store.resetCalls();
    // res.country 3 is referenced by nobody: deleted without reading a partner or a state.
    await unlinkRecords(deps, { caller, model: 'res.country', ids: [3] });
    expect(store.record('res.country', 3)).toBeUndefined();
    expect(store.calls.scanModel).toBe(0);
    // res.country 2 is partner 8's (country_id is ondelete restrict): refused, naming it, nothing written.
    const values = () => store.allRecords().map(({ model, id, values: stored }) => ({ model, id, stored }));
    const before = values();
    await expect(unlinkRecords(deps, { caller, model: 'res.country', ids: [2] })).rejects.toThrow(
      /res\.partner\(8\)|Partner/,
    );
    expect(values()).toStrictEqual(before);
    expect(store.calls.scanModel).toBe(0);
  });
});
