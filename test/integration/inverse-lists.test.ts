/**
 * One2many lists kept with their inverse many2one (lib/records/inverses.ts) on DynamoDB Local: the
 * parents' updates ride in the write's own transaction, a parent being deleted refuses a new child
 * (the update's mark condition), and the reindex command rebuilds lists written before.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransactionCancelledError } from '../../lib/errors';
import { buildRegistry } from '../../lib/models/registry';
import { createRecord, unlinkRecords, writeRecords } from '../../lib/records';
import { updateAction, type StoredRecord } from '../../lib/records/port';
import { DynamoRecordStore } from '../../lib/store/dynamodb/records-table';
import { shippedModels } from '../../models';
import type { PyValue } from '../../lib/wire/pyvalue';
import { reindex } from '../../scripts/reindex';
import { freshStores } from '../helpers/local';

const registry = buildRegistry(shippedModels);
const caller = { userId: 2, clientId: 'client-a' };
const vals = (entries: Array<[string, PyValue]>) => new Map(entries);
let stores: Awaited<ReturnType<typeof freshStores>>;

beforeAll(async () => {
  stores = await freshStores({ demo: true });
});

afterAll(() => stores.client.destroy());

const read = async (model: string, id: number) =>
  (await stores.records.getMany([{ model, id }], { consistent: true })).get(`${model}#${id}`);

describe('one2many lists on DynamoDB Local', () => {
  it('the demo data is loaded with consistent lists', async () => {
    expect((await read('res.partner.category', 1))?.values.child_ids).toEqual([3]);
    expect((await read('res.partner', 1))?.values.child_ids).toEqual([3]);
  });

  it('a create and a move change both parents in the same commit; a delete of the parent clears the child', async () => {
    const deps = { registry, store: stores.records };
    const child = await createRecord(deps, { model: 'res.partner', vals: vals([['name', 'Child'], ['parent_id', 12]]), caller });
    const id = child.get('id') as number;
    expect((await read('res.partner', 12))?.values.child_ids).toEqual([id]);
    await writeRecords(deps, { model: 'res.partner', ids: [id], vals: vals([['parent_id', 18]]), caller });
    expect([(await read('res.partner', 12))?.values.child_ids, (await read('res.partner', 18))?.values.child_ids]).toEqual([[], [id]]);
    // Both parents carry the write's change stamp: the feed regroups them with the child.
    const [childItem, parentItem] = [await stores.rawItem('res.partner', id), await stores.rawItem('res.partner', 18)];
    expect(parentItem?.tx?.id).toBe(childItem?.tx?.id);

    const parent = await createRecord(deps, { model: 'res.partner', vals: vals([['name', 'Parent']]), caller });
    const parentId = parent.get('id') as number;
    await writeRecords(deps, { model: 'res.partner', ids: [parentId], vals: vals([['child_ids', [[4, id]]]]), caller });
    expect((await read('res.partner', id))?.values.parent_id).toBe(parentId);
    expect((await read('res.partner', 18))?.values.child_ids).toEqual([]);
    await unlinkRecords(deps, { model: 'res.partner', ids: [parentId], caller });
    expect((await read('res.partner', id))?.values.parent_id).toBeNull();
    await unlinkRecords(deps, { model: 'res.partner', ids: [id], caller });
  });

  it('concurrent creates under one parent all commit, and its list holds each once', async () => {
    const deps = { registry, store: stores.records };
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) => createRecord(deps, { model: 'res.partner', vals: vals([['name', `Same ${i}`], ['parent_id', 26]]), caller })),
    );
    const ids = created.map((record) => record.get('id') as number).sort((a, b) => a - b);
    const list = (await read('res.partner', 26))?.values.child_ids as number[];
    expect([...list].sort((a, b) => a - b)).toEqual(ids);
    await unlinkRecords(deps, { model: 'res.partner', ids, caller });
    expect((await read('res.partner', 26))?.values.child_ids).toEqual([]);
  });

  it("an update that requires the record unmarked fails while a delete's mark holds, and passes once it lapsed", async () => {
    const record = (await read('res.partner', 26)) as StoredRecord;
    const now = Date.now();
    await stores.records.transact([
      { kind: 'mark', key: { model: 'res.partner', id: 26 }, expectedVersion: record.version, mark: { until: now + 1_000, token: 't' }, now },
    ]);
    const marked = (await read('res.partner', 26)) as StoredRecord;
    const refused = await stores.records
      .transact([{ ...updateAction(marked, { comment: 'x' }), unmarkedAt: now }])
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TransactionCancelledError);
    await stores.records.transact([{ ...updateAction(marked, { comment: 'x' }), unmarkedAt: now + 2_000 }]);
    expect((await read('res.partner', 26))?.values.comment).toBe('x');
  });

  it('npm run reindex rebuilds lists that drifted before they were kept, then marks the table', async () => {
    const fresh = await freshStores({ demo: true });
    try {
      const old = new DynamoRecordStore(fresh.client, fresh.tables.records, undefined, undefined, 'old-layout');
      // As a table written before: category 1 lists nothing, partner 12 lists one that is not its child.
      for (const [model, id, list] of [['res.partner.category', 1, []], ['res.partner', 12, [17]]] as const) {
        const record = (await old.getMany([{ model, id }], { consistent: true })).get(`${model}#${id}`) as StoredRecord;
        await old.transact([updateAction(record, { child_ids: [...list] })]);
      }
      const store = new DynamoRecordStore(fresh.client, fresh.tables.records, undefined, undefined, 'new-layout');
      expect(await store.indexesReady()).toBe(false);
      const result = await reindex(store, { checkpointFile: join(mkdtempSync(join(tmpdir(), 'relink-')), 'checkpoint.json') });
      expect(result.written).toBeGreaterThanOrEqual(2);
      const lists = await store.getMany(
        [
          { model: 'res.partner.category', id: 1 },
          { model: 'res.partner', id: 12 },
        ],
        { consistent: true },
      );
      expect([lists.get('res.partner.category#1')?.values.child_ids, lists.get('res.partner#12')?.values.child_ids]).toEqual([[3], []]);
      expect(await store.indexesReady()).toBe(true);
    } finally {
      fresh.client.destroy();
    }
  });
});
