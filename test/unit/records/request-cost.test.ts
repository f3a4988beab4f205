/**
 * What one request may cost (DESIGN §2): ids are reserved only for writes that can commit (the
 * records exist, the transaction fits), the per-request budget of DynamoDB requests and items read
 * ends a runaway search with a 400, and a domain's sub-searches run once each, a few at a time.
 * Through the in-memory RecordStore double seeded with the demo data.
 */
import { BadRequestError, RecordNotFoundError, RequestTooExpensiveError } from '../../../lib/errors';
import { buildAccessRules } from '../../../lib/models/access';
import { buildRegistry, getModel } from '../../../lib/models/registry';
import { routeObjectRequest, type ObjectDeps } from '../../../lib/object-api/router';
import { budgeted, countRecords, createRecord, writeRecords, type RecordsDeps, type RecordStore } from '../../../lib/records';
import { SUBSEARCH_CONCURRENCY } from '../../../lib/records/search/search';
import { recordsFromData } from '../../../lib/runtime/demo';
import type { PyValue } from '../../../lib/wire/pyvalue';
import { shippedAccessRules, shippedModels } from '../../../models';
import demoData from '../../../scripts/demo-data.json';
import { MemoryRecordStore } from '../../helpers/memory-record-store';
import { rejection } from '../../helpers/thrown';

const registry = buildRegistry(shippedModels);
const accessRules = buildAccessRules(shippedAccessRules);
const partners = getModel(registry, 'res.partner');
const NOW = new Date('2024-03-04T05:06:07Z');
const caller = { userId: 2, clientId: 'client-a' };
/** The highest res.partner id in the demo data: the partner sequence stands there. */
const LAST_DEMO_PARTNER = 26;

async function demoStore(): Promise<MemoryRecordStore> {
  // The walks a budget bounds: with the indexes unmarked every search walks its model, as it does
  // for a domain no index serves (test/unit/indexes/plan.test.ts counts what a lookup costs).
  const store = new MemoryRecordStore({ indexesReady: false });
  await store.putMany(recordsFromData(registry, demoData.records));
  store.resetCalls();
  return store;
}

const depsOf = (store: RecordStore): RecordsDeps => ({ registry, store, now: () => NOW, sleep: async () => {} });
const vals = (entries: Array<[string, PyValue]>) => new Map(entries);
/** `count` (0, 0, vals) commands, each creating a child partner. */
const children = (count: number, childVals: Array<[string, PyValue]> = []): PyValue =>
  Array.from({ length: count }, () => [0, 0, vals(childVals)]);

describe('ids are reserved only for a write that can commit', () => {
  it('a write of 100 missing ids with 300 (0, 0, vals) commands is a 404 that reserves nothing', async () => {
    const store = await demoStore();
    const ids = Array.from({ length: 100 }, (_, i) => 1_000 + i);

    const error = await rejection(
      writeRecords(depsOf(store), { model: 'res.partner', ids, vals: vals([['child_ids', children(300)]]), caller }),
    );

    expect(error).toBeInstanceOf(RecordNotFoundError);
    expect(store.calls).toMatchObject({ getMany: 1, reserveIds: 0, releaseIds: 0, transact: 0 });
    expect(store.lastId('res.partner')).toBe(LAST_DEMO_PARTNER);
  });

  it('a write needing 101 transaction actions is a 400 naming the limit, before any id is reserved', async () => {
    const store = await demoStore();

    const error = await rejection(
      writeRecords(depsOf(store), {
        model: 'res.partner',
        ids: [17],
        vals: vals([['child_ids', children(100, [['name', 'Child']])]]),
        caller,
      }),
    );

    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe(
      'This write needs 101 transaction actions (1 records and 100 linked or referenced records); one all-or-nothing write holds at most 100',
    );
    expect(store.calls).toMatchObject({ reserveIds: 0, releaseIds: 0, transact: 0 });
    expect(store.lastId('res.partner')).toBe(LAST_DEMO_PARTNER);
  });

  it('a create needing 101 transaction actions is a 400 before its own id is reserved', async () => {
    const store = await demoStore();

    const error = await rejection(
      createRecord(depsOf(store), {
        model: 'res.partner',
        vals: vals([['name', 'Parent'], ['child_ids', children(100, [['name', 'Child']])]]),
        caller,
      }),
    );

    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toMatch(/^This write needs 101 transaction actions/);
    expect(store.calls).toMatchObject({ reserveIds: 0, getMany: 0, transact: 0 });
    expect(store.lastId('res.partner')).toBe(LAST_DEMO_PARTNER);
  });

  it('a write with (0, 0, vals) that fits reserves once per command, after the read, and commits', async () => {
    const store = await demoStore();

    const [answer] = await writeRecords(depsOf(store), {
      model: 'res.partner',
      ids: [17, 20],
      vals: vals([['child_ids', children(2, [['name', 'Child']])]]),
      caller,
    });

    expect(answer?.get('child_ids')).toEqual(expect.arrayContaining([LAST_DEMO_PARTNER + 1, LAST_DEMO_PARTNER + 3]));
    expect(store.calls).toMatchObject({ getMany: 2, reserveIds: 2, transact: 1, releaseIds: 0 });
    expect(store.lastId('res.partner')).toBe(LAST_DEMO_PARTNER + 4);
  });
});

/** A path of `steps` fields: child_ids.child_ids. ... .name. */
const deepPath = (steps: number) => `${'child_ids.'.repeat(steps - 1)}name`;
/**
 * `leaves` distinct deep leaves, AND-ed: each its own chain of sub-searches (Odoo merges the
 * 'any's of one field under '|', and a many2one's under '&' too, but not an x2many's under '&').
 */
const deepDomain = (leaves: number): PyValue => Array.from({ length: leaves }, (_, i) => [deepPath(16), '=', `nobody ${i}`]);

describe('the per-request budget', () => {
  function objectDeps(store: RecordStore): ObjectDeps {
    return { registry, store, accessRules, now: () => NOW, sleep: async () => {} };
  }
  const searchCount = (deps: ObjectDeps, domain: PyValue) =>
    routeObjectRequest(deps, {
      method: 'POST',
      path: '/restapi/1.0/object/res.partner/search_count',
      calledPath: '/restapi/1.0/object/res.partner/search_count',
      pathParameters: { model: 'res.partner', proxy: 'search_count' },
      query: new Map(),
      headers: new Map([
        ['accept', 'application/json'],
        ['content-type', 'application/json'],
      ]),
      body: JSON.stringify({ domain }),
      requestId: 'request-1',
      authorizer: { userId: '1', clientId: 'c1', scheme: 'oauth2', tokenScopes: '', groups: 'base.group_system' },
    });

  it('a domain of 59 sixteen-step paths ends with a 400 naming the limit, after a bounded number of reads', async () => {
    const store = await demoStore();

    const error = await rejection(searchCount(objectDeps(store), deepDomain(59)));

    expect(error).toBeInstanceOf(RequestTooExpensiveError);
    expect((error as RequestTooExpensiveError).status).toBe(400);
    expect((error as Error).message).toMatch(
      /^This request needs more than 1000 DynamoDB requests, the most one request may spend \(\d+ DynamoDB requests and \d+ items read so far\); nothing was written/,
    );
    // 16 queries a model walk: no more walks than 1,000 requests hold (59 × 15 + 1 = 886 before).
    expect(store.calls.scanModel).toBeLessThanOrEqual(62);
  });

  it('a domain of three sixteen-step paths is within it', async () => {
    const store = await demoStore();

    const result = await searchCount(objectDeps(store), deepDomain(3));

    expect(result).toMatchObject({ status: 200 });
    // Each path walks res.partner once per relational step (15), and the count walks it once.
    expect(store.calls.scanModel).toBe(3 * 15 + 1);
  });

  it('counts the requests and items of each call, and refuses a walk past the limit', async () => {
    const store = await demoStore();
    const budget = budgeted(store, { requests: 40, items: 1_000 });
    const partnerCount = store.allRecords().filter((record) => record.model === 'res.partner').length;

    await budget.getMany([{ model: 'res.partner', id: 17 }, { model: 'res.partner', id: 17 }, { model: 'res.partner', id: 999 }], { consistent: true });
    await budget.scanModel('res.partner', () => {});
    await budget.listModel('res.partner', { afterId: 0, limit: 5 });

    expect(budget.spent()).toEqual({ requests: 1 + 16 + 16, items: 1 + partnerCount + 5 });
    const error = await rejection(budget.countModel('res.partner'));
    expect(error).toBeInstanceOf(RequestTooExpensiveError);
    expect(store.calls.countModel).toBe(0);
  });
});

describe("a domain's sub-searches", () => {
  it('run once per distinct path, operator and value, at any depth of the domain', async () => {
    const store = await demoStore();
    const domain: PyValue = [
      ['parent_id.name', '=', 'Azure Interior'],
      ['parent_id.name', '=', 'Azure Interior'],
      ['parent_id.parent_id.name', '=', 'Azure Interior'],
    ];

    await countRecords({ registry, store }, { model: partners, domain });

    // One walk for parent_id.name (reused inside parent_id.parent_id.name), one for that path, one for the count.
    expect(store.calls.scanModel).toBe(3);
  });

  it('run a few at a time', async () => {
    const store = await demoStore();
    let running = 0;
    let most = 0;
    const scanModel = store.scanModel.bind(store);
    jest.spyOn(store, 'scanModel').mockImplementation(async (model, visit) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      try {
        return await scanModel(model, visit);
      } finally {
        running--;
      }
    });
    // Five fields: paths on one field under '|' would be one merged sub-search (_tree_combine_anies).
    const domain: PyValue = ['|', '|', '|', '|', ...['parent_id', 'country_id', 'state_id', 'user_id', 'category_id'].map((field) => [`${field}.name`, '=', 'x'])];

    await countRecords({ registry, store }, { model: partners, domain });

    expect(most).toBe(SUBSEARCH_CONCURRENCY);
  });
});
