/**
 * The declared field indexes on DynamoDB Local: the entries a write leaves on the record item (from
 * its whole state, an update that leaves a field out included), the lookups and counts of the
 * global secondary indexes, the reindex command (idempotent, resumable, conditioned on versions)
 * and the mark, and ensureTables giving a table kept from before its indexes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { lookupOf } from '../../lib/indexes/lookup';
import { BadRequestError } from '../../lib/errors';
import { indexedField } from '../../lib/indexes/keys';
import { orderKeyOf } from '../../lib/indexes/order';
import { compareCodePoints } from '../../lib/wire/code-points';
import { buildRegistry, getModel } from '../../lib/models/registry';
import { countRecords, parseOrder, searchRecords } from '../../lib/records/search/search';
import { updateAction, type StoredRecord } from '../../lib/records/port';
import { DynamoRecordStore } from '../../lib/store/dynamodb/records-table';
import { ensureTables, recordsTableDefinition } from '../../lib/store/dynamodb/tables';
import { shippedModels } from '../../models';
import { reindex } from '../../scripts/reindex';
import { freshStores } from '../helpers/local';

const registry = buildRegistry(shippedModels);
const partner = getModel(registry, 'res.partner');
const refField = indexedField(partner, 'ref');

let stores: Awaited<ReturnType<typeof freshStores>>;

const partnerRecord = (id: number, values: Record<string, string | number | boolean | null>): StoredRecord => ({
  model: 'res.partner',
  id,
  version: 1,
  values: { name: `P${id}`, active: true, ...values },
});

beforeAll(async () => {
  stores = await freshStores();
});

afterAll(() => stores.client.destroy());

function refLookup(value: string) {
  const lookup = refField && lookupOf(partner, refField, { kind: 'equals', values: [value], exact: true });
  if (!lookup) throw new Error('ref is declared indexed');
  return lookup.queries[0] as NonNullable<(typeof lookup.queries)[0]>;
}

describe('DynamoRecordStore and the field indexes', () => {
  it('writes entries with the record, moves them on update (from the whole record), and finds and counts them', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => 1000 + i);
    await stores.records.putMany(
      ids.map((id) => partnerRecord(id, { ref: id % 4 === 0 ? 'GOLD' : 'TIN', active: id % 8 !== 0 })),
    );
    const gold = await stores.records.queryIndex(refLookup('GOLD'), { limit: 100 });
    expect(gold.complete).toBe(true);
    expect(gold.entries.map(({ id }) => id).sort((a, b) => a - b)).toStrictEqual(ids.filter((id) => id % 4 === 0));
    expect(await stores.records.countIndex(refLookup('GOLD'))).toBe(10);
    expect(await stores.records.countIndex({ ...refLookup('GOLD'), activeOnly: true })).toBe(5);
    // A limit below the matches: complete false.
    expect((await stores.records.queryIndex(refLookup('TIN'), { limit: 5 })).complete).toBe(false);

    // An update that sets only `city` keeps the ref entry (computed from the whole record) ...
    const [first] = (await stores.records.getMany([{ model: 'res.partner', id: 1000 }], { consistent: true })).values();
    await stores.records.transact([updateAction(first as StoredRecord, { city: 'Ghent' })]);
    expect(String((await stores.rawItem('res.partner', 1000))?.x5s).startsWith('1gold\u0001\u0001GOLD\u0001\u0001')).toBe(true);
    // ... and one that changes ref moves it.
    const [again] = (await stores.records.getMany([{ model: 'res.partner', id: 1000 }], { consistent: true })).values();
    await stores.records.transact([updateAction(again as StoredRecord, { ref: 'TIN', active: false })]);
    expect(await stores.records.countIndex(refLookup('GOLD'))).toBe(9);
    const item = await stores.rawItem('res.partner', 1000);
    // The entry ends with the record's order key: TIN's entries follow res.partner's order.
    const orderKey = orderKeyOf(partner, 1000, (again as StoredRecord).values) as string;
    expect([item?.x5p, item?.x5s, item?.a]).toStrictEqual([
      'res.partner#ref#8',
      `1tin\u0001\u0001TIN\u0001\u0001${orderKey}`,
      false,
    ]);
  });

  it('answers search and search_count through the indexes on DynamoDB Local as a walk does', async () => {
    await stores.records.putMany(
      [50, 51, 52, 53].map((id) => partnerRecord(id, { ref: 'SEARCHED', date: `2024-0${(id % 4) + 1}-15` })),
    );
    const deps = { registry, store: stores.records };
    const { records, plan } = await searchRecords(deps, {
      model: partner,
      domain: [
        ['ref', '=', 'SEARCHED'],
        ['date', '>=', '2024-02-01'],
      ],
      limit: 10,
      explain: true,
      order: parseOrder(partner, 'id'),
    });
    expect(records.map((r) => r.id)).toStrictEqual([50, 51, 53]);
    expect(plan).toMatchObject({ strategy: 'index', via: 'ref = & date >=' });
    expect(await countRecords(deps, { model: partner, domain: [['ref', '=', 'SEARCHED']] })).toBe(4);
  });

  it('pages through an equality lookup in the default order and its reverse on DynamoDB Local, reading about what each page needs', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => 5000 + i * 3);
    // Names that sort otherwise than the ids, with ties (broken by id descending), upper case first (C collation).
    const nameOf = (id: number) => ['beta', 'Alpha', 'alpha', 'Ωmega', 'Zed'][(id * 7) % 5] as string;
    await stores.records.putMany(ids.map((id) => partnerRecord(id, { ref: 'PAGED', complete_name: nameOf(id) })));
    const expected = [...ids].sort((a, b) => compareCodePoints(nameOf(a), nameOf(b)) || b - a);
    const deps = { registry, store: stores.records };
    for (const [order, sequence] of [
      [undefined, expected],
      [parseOrder(partner, 'complete_name desc'), [...expected].reverse()],
    ] as const) {
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await searchRecords(deps, {
          model: partner,
          domain: [['ref', '=', 'PAGED']],
          limit: 25,
          cursor,
          ...(order ? { order } : {}),
        });
        seen.push(...page.records.map((r) => r.id));
        // 16 partitions, each asked for 4 times its even share of the 26 the page needs (+2, +1 for
        // the entry the last page stopped at), in steps: never every candidate.
        expect(page.plan).toMatchObject({ strategy: 'index', via: 'ref =' });
        expect(page.plan.entries).toBeLessThanOrEqual(16 * 10);
        expect(page.plan.read).toBeLessThanOrEqual(26);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(seen).toStrictEqual(sequence);
    }
  });

  it('refuses a forged cursor whose key, after a long value\'s, could be no sort key (a 400, never DynamoDB\'s refusal)', async () => {
    const long = 'R'.repeat(240);
    await stores.records.putMany([partnerRecord(7001, { ref: long, complete_name: 'Long' })]);
    const deps = { registry, store: stores.records };
    const cursor = Buffer.from(JSON.stringify({ k: 'x'.repeat(1000) })).toString('base64url');
    const search = searchRecords(deps, { model: partner, domain: [['ref', '=', long]], limit: 5, cursor });
    await expect(search).rejects.toBeInstanceOf(BadRequestError);
    await expect(search).rejects.toThrow("Invalid 'cursor'");
    // A key above every real one (they start with a digit) would make the lookup's BETWEEN upside down.
    const above = Buffer.from(JSON.stringify({ k: '\u00ffzz' })).toString('base64url');
    await expect(searchRecords(deps, { model: partner, domain: [['ref', '=', long]], limit: 5, cursor: above })).rejects.toBeInstanceOf(BadRequestError);
    // A real cursor of that lookup goes on.
    const first = await searchRecords(deps, { model: partner, domain: [['ref', '=', long]], limit: 5 });
    expect(first.records.map((r) => r.id)).toStrictEqual([7001]);
  });

  it('reindexes a table whose records lack their entries: idempotent, resumable, then marked', async () => {
    const fresh = await freshStores();
    try {
      // A store that writes no entries, and no mark: a table from before the indexes.
      const old = new DynamoRecordStore(fresh.client, fresh.tables.records, undefined, () => undefined, 'old-layout');
      await old.putMany(Array.from({ length: 30 }, (_, i) => partnerRecord(i + 1, { ref: i < 3 ? 'FIND' : 'OTHER' })));
      const store = new DynamoRecordStore(fresh.client, fresh.tables.records, undefined, undefined, 'test-layout');
      expect(await store.indexesReady()).toBe(false);
      expect(await store.queryIndex(refLookup('FIND'), { limit: 10 })).toStrictEqual({ entries: [], complete: true });

      const checkpointFile = join(mkdtempSync(join(tmpdir(), 'reindex-')), 'checkpoint.json');
      // Interrupted after the first page of a segment: the checkpoint holds where each segment was.
      let pages = 0;
      const stopped = await reindex(store, { checkpointFile, stop: () => pages++ > 0 });
      expect(stopped.interrupted).toBe(true);
      const resumed = await reindex(store, { checkpointFile });
      expect(resumed).toMatchObject({ resumed: true, interrupted: false });
      expect(resumed.scanned).toBeGreaterThanOrEqual(30);
      expect((await store.queryIndex(refLookup('FIND'), { limit: 10 })).entries.map(({ id }) => id).sort()).toStrictEqual([1, 2, 3]);
      // A second run writes nothing: every record holds its entries.
      const again = await reindex(store, { checkpointFile });
      expect(again).toMatchObject({ resumed: false, written: 0 });
      expect(
        await new DynamoRecordStore(
          fresh.client,
          fresh.tables.records,
          undefined,
          undefined,
          'test-layout',
        ).indexesReady(),
      ).toBe(true);
    } finally {
      fresh.client.destroy();
    }
  });

  it('gives a table kept from before its indexes the missing ones (ensureTables), usable at once', async () => {
    const endpoint = process.env.TEST_DYNAMODB_ENDPOINT as string;
    const name = `test-old-records-${Date.now()}`;
    const client = new DynamoDBClient({
      endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const definition = recordsTableDefinition(name);
      const indexes = definition.GlobalSecondaryIndexes ?? [];
      // The table as it was: the model index only.
      await client.send(
        new CreateTableCommand({
          ...definition,
          GlobalSecondaryIndexes: indexes.filter((index) => index.IndexName === 'byModel'),
          AttributeDefinitions: definition.AttributeDefinitions?.filter((a) =>
            ['pk', 'shard', 'id'].includes(a.AttributeName as string),
          ),
        }),
      );
      await ensureTables({ endpoint, region: 'eu-west-1' }, { records: name, auth: `${name}-auth` });
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      expect((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort()).toStrictEqual(
        indexes.map((index) => index.IndexName).sort(),
      );
      const store = new DynamoRecordStore(stores.client, name);
      await store.putMany([partnerRecord(7, { ref: 'NEWLY' })]);
      expect((await store.queryIndex(refLookup('NEWLY'), { limit: 10 })).entries.map(({ id }) => id)).toStrictEqual([7]);
    } finally {
      client.destroy();
    }
  });

  it('does not find a record item written without its entries (by hand, or before the indexes): why searches wait for the mark', async () => {
    await stores.client.send(
      new PutCommand({
        TableName: stores.tables.records,
        Item: {
          pk: 'res.partner#4242',
          model: 'res.partner',
          id: 4242,
          shard: 'res.partner#2',
          version: 1,
          v: { name: 'Hand', ref: 'HAND' },
        },
      }),
    );
    expect((await stores.records.queryIndex(refLookup('HAND'), { limit: 10 })).entries.map(({ id }) => id)).toStrictEqual([]);
  });
});
