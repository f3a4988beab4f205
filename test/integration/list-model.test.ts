/** Walking a model through its index, page by page, against DynamoDB Local. */
import type { StoredRecord } from '../../lib/records/port';
import { freshStores } from '../helpers/local';

let stores: Awaited<ReturnType<typeof freshStores>>;
const ids = Array.from({ length: 45 }, (_, i) => 3 * i + 1); // spread over every shard, not contiguous

beforeAll(async () => {
  stores = await freshStores();
  const record = (model: string, id: number): StoredRecord => ({ model, id, version: 1, values: { name: `${model} ${id}` } });
  await stores.records.putMany([...ids.map((id) => record('res.partner', id)), record('res.country', 2), record('res.country', 5)]);
});

afterAll(() => stores.client.destroy());

describe('DynamoRecordStore.scanModel', () => {
  it('hands over every record of one model, and only that model', async () => {
    const seen: number[] = [];
    await stores.records.scanModel('res.partner', (records) => seen.push(...records.map((r) => r.id)));
    expect(seen.sort((a, b) => a - b)).toStrictEqual(ids);
  });
});

describe('DynamoRecordStore.countModel', () => {
  it('counts every record of one model, and only that model', async () => {
    expect(await stores.records.countModel('res.partner', {})).toBe(ids.length);
    expect(await stores.records.countModel('res.country', {})).toBe(2);
    expect(await stores.records.countModel('res.users', {})).toBe(0);
  });

  it('with whereTrue active, counts only the records whose active is true (not false, not missing)', async () => {
    const tag = (id: number, active?: boolean): StoredRecord => ({ model: 'res.partner.category', id, version: 1, values: { name: `Tag ${id}`, ...(active === undefined ? {} : { active }) } });
    await stores.records.putMany([tag(1, true), tag(2, false), tag(3), tag(4, true), tag(21, true)]);
    expect(await stores.records.countModel('res.partner.category', { whereTrue: 'active' })).toBe(3);
    expect(await stores.records.countModel('res.partner.category', {})).toBe(5);
  });

  it('counts past DynamoDB\'s 1 MB pages (a shard holding 1.2 MB)', async () => {
    // Twelve records of 100 KB, all in shard 3 of res.country.state, half of them archived.
    const big = Array.from({ length: 12 }, (_, i): StoredRecord => ({
      model: 'res.country.state',
      id: 16 * i + 3,
      version: 1,
      values: { name: 'x'.repeat(100_000), active: i % 2 === 0 },
    }));
    await stores.records.putMany(big);
    expect(await stores.records.countModel('res.country.state', {})).toBe(12);
    expect(await stores.records.countModel('res.country.state', { whereTrue: 'active' })).toBe(6);
  });
});

describe('DynamoRecordStore.listModel', () => {
  it('walks every record of one model in id order, page after page, and only that model', async () => {
    const seen: number[] = [];
    let afterId = 0;
    for (let page = 0; page < 100; page++) {
      const records = await stores.records.listModel('res.partner', { afterId, limit: 7 });
      if (records.length === 0) break;
      expect(records.length).toBeLessThanOrEqual(7);
      seen.push(...records.map((r) => r.id));
      afterId = records.at(-1)?.id as number;
    }
    expect(seen).toStrictEqual(ids);
  });

  it('returns the records whole, and nothing past the last id', async () => {
    // values come back as a null-prototype object (field names are data); compare their contents.
    const plain = (records: StoredRecord[]) => records.map((r) => ({ ...r, values: { ...r.values } }));
    expect(plain(await stores.records.listModel('res.country', { afterId: 0, limit: 10 }))).toStrictEqual([
      { model: 'res.country', id: 2, version: 1, values: { name: 'res.country 2' } },
      { model: 'res.country', id: 5, version: 1, values: { name: 'res.country 5' } },
    ]);
    expect(await stores.records.listModel('res.country', { afterId: 5, limit: 10 })).toStrictEqual([]);
  });
});
