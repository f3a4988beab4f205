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
        UpdateExpression: 'REMOVE os, v.complete_name',
      }),
    );
    const checkpointFile = join(mkdtempSync(join(tmpdir(), 'reindex-')), 'checkpoint.json');
    await reindex(stores.records, { checkpointFile, err: () => undefined });
    const item = await stores.rawItem('res.partner', 9000);
    expect(item?.v.complete_name).toBe(`${NAMES[0]}0`);
    expect(typeof item?.os).toBe('string');
  });
});
