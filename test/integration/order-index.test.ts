/**
 * The order index on DynamoDB Local (lib/indexes/order.ts, the records table's byOrder index): a
 * model's records come back in its declared order, merged across its 16 shards, forward and
 * backward, from any key; searches in res.partner's _order page through it with a cursor; a
 * company's rename names its contacts (in follow-up transactions when they do not fit one); the
 * reindex command gives a table written before its order keys and names.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { buildRegistry, getModel } from '../../lib/models/registry';
import { writeRecords } from '../../lib/records';
import { withCompleteNames } from '../../lib/records/complete-names';
import type { StoredRecord, WriteAction } from '../../lib/records/port';
import { TransactionCancelledError } from '../../lib/errors';
import { parseOrder, searchRecords } from '../../lib/records/search/search';
import { walkKeyOf } from '../../lib/indexes/order';
import { shippedModels } from '../../models';
import { reindex } from '../../scripts/reindex';
import { freshStores } from '../helpers/local';

const registry = buildRegistry(shippedModels);
const partner = getModel(registry, 'res.partner');
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

let stores: Awaited<ReturnType<typeof freshStores>>;
beforeAll(async () => {
  stores = await freshStores();
});
afterAll(() => stores.client.destroy());

// Names whose code-point order is not their UTF-16 order (U+FFFD against an astral character), cases, prefixes.
const NAMES = ['b', 'B', 'ab', 'a', '\u{1F600}x', '\uFFFDx', 'a b', 'é', 'e', 'Z', ''];

const partners = (from: number, count: number): StoredRecord[] =>
  withCompleteNames(
    registry,
    Array.from({ length: count }, (_, i) => ({
      model: 'res.partner',
      id: from + i,
      version: 1,
      values: { name: `${NAMES[i % NAMES.length]}${i % 3}`, active: true },
    })),
  );

describe('the order index on DynamoDB Local', () => {
  it("lists a model in its order's keys, merged across the shards, from any key, both ways", async () => {
    const records = partners(1, 300);
    await stores.records.putMany(records);
    const expected = [...records].sort(
      (a, b) => byteOrder(a.values.complete_name as string, b.values.complete_name as string) || b.id - a.id,
    );
    for (const backward of [false, true]) {
      const want = backward ? [...expected].reverse() : expected;
      const seen: number[] = [];
      let afterKey: string | undefined;
      for (;;) {
        const page = await stores.records.listInOrder('res.partner', { afterKey, limit: 37, backward });
        seen.push(...page.map(({ record }) => record.id));
        if (page.length < 37) break;
        afterKey = page.at(-1)?.key;
      }
      expect(seen).toStrictEqual(want.map((r) => r.id));
    }
  });

  it('searches in the default order page by page with the cursor, and in its reverse', async () => {
    const deps = { registry, store: stores.records };
    const domain = [['id', '>=', 1]];
    const all = await searchRecords(deps, { model: partner, domain: [], limit: 1000 });
    expect(all.plan.via).toBe('res.partner (order index)');
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await searchRecords(deps, { model: partner, domain: [], limit: 50, cursor });
      seen.push(...page.records.map((r) => r.id));
      expect(page.plan.read).toBeLessThanOrEqual(51 + 16 * 4);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toStrictEqual(all.records.map((r) => r.id));
    const reverse = await searchRecords(deps, { model: partner, domain, limit: 1000, order: parseOrder(partner, 'complete_name desc') });
    expect(reverse.records.map((r) => r.id)).toStrictEqual([...seen].reverse());
  });

  it("renames a company's contacts with it, beyond one transaction's 100 actions", async () => {
    const company: StoredRecord = { model: 'res.partner', id: 5000, version: 1, values: { name: 'Big Co', is_company: true, active: true } };
    const contacts = Array.from({ length: 130 }, (_, i): StoredRecord => ({
      model: 'res.partner',
      id: 5001 + i,
      version: 1,
      values: { name: `Person ${i}`, parent_id: 5000, active: true },
    }));
    await stores.records.putMany(
      withCompleteNames(registry, [{ ...company, values: { ...company.values, child_ids: contacts.map((c) => c.id) } }, ...contacts]),
    );
    const deps = { registry, store: stores.records };
    await writeRecords(deps, { model: 'res.partner', ids: [5000], vals: new Map([['name', 'Bigger Co']]), caller: { userId: 2, clientId: 'c' } });
    const found = await searchRecords(deps, { model: partner, domain: [['parent_id', '=', 5000]], limit: 200, order: parseOrder(partner, 'id') });
    expect(new Set(found.records.map((r) => r.values.complete_name)).size).toBe(130);
    expect(found.records.every((r) => r.values.complete_name === `Bigger Co, ${r.values.name}`)).toBe(true);
    // Each follow-up is a stamped change of its own (the change feed reads the stamp).
    const item = await stores.rawItem('res.partner', 5130);
    expect(item?.tx).toMatchObject({ c: 'c', n: expect.any(Number) });
  });

  it('a check with the values a record must still hold commits only while it holds them (NULL as no value)', async () => {
    await stores.records.putMany([{ model: 'res.partner', id: 8000, version: 1, values: { name: 'Holder', active: true } }]);
    const check = (holding: Record<string, string | null>): WriteAction => ({ kind: 'check', key: { model: 'res.partner', id: 8000 }, now: Date.now(), holding });
    await expect(stores.records.transact([check({ name: 'Holder', parent_id: null })])).resolves.toBeUndefined();
    await expect(stores.records.transact([check({ name: 'Other' })])).rejects.toBeInstanceOf(TransactionCancelledError);
    await expect(stores.records.transact([check({ name: 'Holder', parent_id: 'x' })])).rejects.toBeInstanceOf(TransactionCancelledError);
  });

  it('the reindex command gives records written before their order keys and names, then marks the table', async () => {
    // A record as an older release left it: no complete_name, no order key.
    await stores.records.putMany(partners(9000, 1));
    await stores.client.send(
      new UpdateCommand({
        TableName: stores.tables.records,
        Key: { pk: 'res.partner#9000' },
        UpdateExpression: 'REMOVE os, os1, v.complete_name',
      }),
    );
    const checkpointFile = join(mkdtempSync(join(tmpdir(), 'reindex-')), 'checkpoint.json');
    await reindex(stores.records, { checkpointFile, err: () => undefined });
    const item = await stores.rawItem('res.partner', 9000);
    expect(item?.v.complete_name).toBe(`${NAMES[0]}0`);
    expect(typeof item?.os).toBe('string');
    expect(item?.os1).toBe(walkKeyOf(partner, 1, 9000, item?.v));
  });
});

describe('sorted fields on DynamoDB Local (the bySorted<k> indexes)', () => {
  const REFS = ['b', 'B', 'ab', 'a', null, '\u{1F600}x', '\uFFFDx', 'a b', ''];
  const refOrder = (a: StoredRecord, b: StoredRecord) => {
    const [x, y] = [a.values.ref, b.values.ref];
    if (x === y) return a.id - b.id;
    if (x === null) return 1;
    if (y === null) return -1;
    return byteOrder(x as string, y as string) || a.id - b.id;
  };
  const records = withCompleteNames(
    registry,
    Array.from({ length: 240 }, (_, i): StoredRecord => ({
      model: 'res.partner',
      id: 20_001 + i,
      version: 1,
      values: { name: `Sorted ${i}`, ref: REFS[i % REFS.length] ?? null, street: i % 2 === 0 ? 'Even' : null, active: true },
    })),
  );
  const ours = (ids: number[]) => ids.filter((id) => id > 20_000 && id <= 20_240);

  beforeAll(async () => {
    await stores.records.putMany(records);
  });

  it("lists a sorted field's keys, merged across the shards, from any key, both ways: keys only", async () => {
    const expected = [...records].sort(refOrder).map((r) => r.id);
    for (const backward of [false, true]) {
      const seen: number[] = [];
      let afterKey: string | undefined;
      for (;;) {
        const page = await stores.records.listSorted('res.partner', 4, { afterKey, limit: 41, backward });
        for (const { id, key } of page) {
          const record = records.find((r) => r.id === id);
          if (record) expect(key).toBe(walkKeyOf(partner, 4, id, record.values));
        }
        seen.push(...page.map(({ id }) => id));
        if (page.length < 41) break;
        afterKey = page.at(-1)?.key;
      }
      expect(ours(seen)).toStrictEqual(backward ? [...expected].reverse() : expected);
    }
  });

  it('a page of keys held by a few shards asks those for more each round (rounds double their share)', async () => {
    // 160 partners of one ref whose ids fall in 2 of the 16 shards (ids = 3 and 11 mod 16), then others.
    const skewed = Array.from({ length: 160 }, (_, i): StoredRecord => ({
      model: 'res.country.state',
      id: 40_000 + 16 * Math.floor(i / 2) + (i % 2 === 0 ? 3 : 11),
      version: 1,
      values: { name: `S${i}`, code: 'SKEW', country_id: 1 },
    }));
    const others = Array.from({ length: 64 }, (_, i): StoredRecord => ({ model: 'res.country.state', id: 50_000 + i, version: 1, values: { name: `T${i}`, code: `T${i}`, country_id: 1 } }));
    await stores.records.putMany([...skewed, ...others]);
    let queries = 0;
    const count = (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      if (context.commandName === 'QueryCommand') queries++;
      return next(args);
    };
    stores.client.middlewareStack.add(count as never, { step: 'initialize', name: 'countQueries' });
    try {
      const page = await stores.records.listInOrder('res.country.state', { limit: 100 });
      expect(page.map(({ record }) => record.id)).toStrictEqual([...skewed].sort((a, b) => a.id - b.id).slice(0, 100).map((r) => r.id));
      // 2 shards hold the page: 9 each in the first round, 18 in the second, 36, 72 — not 6 rounds of 9.
      expect(queries).toBeLessThanOrEqual(16 * 4);
    } finally {
      stores.client.middlewareStack.remove('countQueries');
    }
  });

  it('pages order=ref desc with a domain and the cursor, and a write moves its record in that order', async () => {
    const deps = { registry, store: stores.records };
    const order = parseOrder(partner, 'ref desc');
    // No term an index looks up: the walk of the ref index, filtered by the domain.
    const domain = [['street', '=', 'Even']];
    const collect = async () => {
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await searchRecords(deps, { model: partner, domain, order, limit: 25, cursor });
        expect(page.plan.via).toBe('res.partner (ref sorted index)');
        seen.push(...page.records.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor);
      return ours(seen);
    };
    // ref desc: NULLs first, as PostgreSQL's DESC.
    const expected = (all: StoredRecord[]) =>
      all.filter((r) => r.values.street === 'Even').sort(refOrder).reverse().map((r) => r.id);
    const before = await collect();
    expect(before).toStrictEqual(expected(records));
    const first = records.find((r) => r.values.street === 'Even' && r.values.ref === 'a') as StoredRecord;
    await writeRecords(deps, { model: 'res.partner', ids: [first.id], vals: new Map([['ref', '\u{10FFFF}']]), caller: { userId: 2, clientId: 'c' } });
    const after = records.map((r) => (r.id === first.id ? { ...r, values: { ...r.values, ref: '\u{10FFFF}' } } : r));
    const seen = await collect();
    expect(seen.indexOf(first.id)).toBeLessThan(before.indexOf(first.id));
    expect(seen).toStrictEqual(expected(after));
  });
});
