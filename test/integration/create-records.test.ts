/** createRecord over DynamoDB Local: ids from the per-model sequence, defaults, required fields, references. */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidValueError } from '../../lib/errors';
import { buildRegistry } from '../../lib/models/registry';
import type { PyValue } from '../../lib/wire/pyvalue';
import { createRecord, writeRecords, type Caller } from '../../lib/records';
import { shippedModels } from '../../models';
import demoData from '../../scripts/demo-data.json';
import { freshStores } from '../helpers/local';

const registry = buildRegistry(shippedModels);
const caller: Caller = { userId: 2, clientId: 'test-client' };
const vals = (entries: Record<string, PyValue>) => new Map(Object.entries(entries));
let stores: Awaited<ReturnType<typeof freshStores>>;

beforeAll(async () => {
  stores = await freshStores({ demo: true });
});

afterAll(() => stores.client.destroy());


describe('createRecord against DynamoDB Local', () => {
  it('creates a record with the next id after the loaded ones, defaults and log-access fields, and answers it as read()', async () => {
    const created = await createRecord(
      { registry, store: stores.records, now: () => new Date('2026-02-03T04:05:06Z') },
      { model: 'res.partner', vals: vals({ name: 'New Partner', country_id: 274, category_id: [[6, 0, [1, 2]]] }), caller },
    );
    const expectedId = Math.max(...demoData.records['res.partner'].map((p) => p.id)) + 1;
    const picked = Object.fromEntries(['id', 'name', 'country_id', 'category_id', 'active', 'type', 'lang', 'color', 'create_uid', 'create_date', 'write_uid'].map((k) => [k, created.get(k)]));
    expect(picked).toStrictEqual({
      id: expectedId,
      name: 'New Partner',
      country_id: [274, 'Belgium'],
      category_id: [1, 2],
      active: true,
      type: 'contact',
      lang: 'en_US',
      color: 0,
      create_uid: [2, 'Marc Demo'],
      create_date: '2026-02-03 04:05:06',
      write_uid: [2, 'Marc Demo'],
    });
    expect([...created.keys()]).toStrictEqual(registry.get('res.partner')?.fields.map((f) => f.name));
    expect(await stores.rawItem('res.partner', expectedId)).toMatchObject({ version: 1, v: { name: 'New Partner', country_id: 274, active: true } });
  });

  it('never hands out one id twice, even to concurrent creates', async () => {
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createRecord({ registry, store: stores.records }, { model: 'res.partner.category', vals: vals({ name: `Tag ${i}` }), caller })),
    );
    const ids = created.map((record) => record.get('id') as number);
    expect(new Set(ids).size).toBe(20);
    for (const [i, id] of ids.entries()) expect((await stores.rawItem('res.partner.category', id))?.v.name).toBe(`Tag ${i}`);
  });

  it('refuses a record without a required field, creating nothing and spending no id', async () => {
    const [before] = (await stores.records.reserveIds('res.country.state', 1)).ids;
    await expect(createRecord({ registry, store: stores.records }, { model: 'res.country.state', vals: vals({ name: 'Nowhere' }), caller })).rejects.toStrictEqual(
      new InvalidValueError("Field 'country_id' (Country) on model 'res.country.state' is required: give it a value"),
    );
    expect((await stores.records.reserveIds('res.country.state', 1)).ids).toStrictEqual([(before as number) + 1]);
  });

  it('refuses a many2one to a record that does not exist, creating nothing and giving its id back', async () => {
    const next = (await stores.records.reserveIds('res.country.state', 1)).ids[0] as number;
    await expect(
      createRecord({ registry, store: stores.records }, { model: 'res.country.state', vals: vals({ name: 'Nowhere', code: 'NW', country_id: 4242 }), caller }),
    ).rejects.toThrow('res.country(4242) does not exist');
    expect(await stores.rawItem('res.country.state', next + 1)).toBeUndefined();
    // The refused create's id went back to the sequence: the next one is handed out again.
    expect((await stores.records.reserveIds('res.country.state', 1)).ids).toStrictEqual([next + 1]);
  });

  it('a refused create gives back the ids of its (0, 0, vals) commands too', async () => {
    const [nextPartner] = (await stores.records.reserveIds('res.partner', 1)).ids;
    const [nextTag] = (await stores.records.reserveIds('res.partner.category', 1)).ids;
    const refused = vals({ name: 'Refused', country_id: 4242, category_id: [[0, 0, new Map([['name', 'Never made']])]] });
    await expect(createRecord({ registry, store: stores.records }, { model: 'res.partner', vals: refused, caller })).rejects.toThrow('res.country(4242) does not exist');
    expect((await stores.records.reserveIds('res.partner', 1)).ids).toStrictEqual([(nextPartner as number) + 1]);
    expect((await stores.records.reserveIds('res.partner.category', 1)).ids).toStrictEqual([(nextTag as number) + 1]);
  });

  it('a refused create with several reservations of one model (itself and two child contacts) gives back all three', async () => {
    const [nextPartner] = (await stores.records.reserveIds('res.partner', 1)).ids;
    const child = (name: string) => [0, 0, new Map([['name', name]])];
    const refused = vals({ name: 'Parent', country_id: 4242, child_ids: [child('Child 1'), child('Child 2')] });
    await expect(createRecord({ registry, store: stores.records }, { model: 'res.partner', vals: refused, caller })).rejects.toThrow('res.country(4242) does not exist');
    expect((await stores.records.reserveIds('res.partner', 1)).ids).toStrictEqual([(nextPartner as number) + 1]);
  });

  it('ids are given back only from the top of the sequence: below a reservation still held, the gap stays, and nothing is reused', async () => {
    const first = await stores.records.reserveIds('res.partner.category', 2);
    const second = await stores.records.reserveIds('res.partner.category', 1);
    expect(await stores.records.releaseIds(first)).toBe(false); // the second still holds the top
    expect(await stores.records.releaseIds(second)).toBe(true);
    expect(await stores.records.releaseIds(second)).toBe(false); // once only
    const third = await stores.records.reserveIds('res.partner.category', 1);
    expect(third.ids).toStrictEqual(second.ids);
    expect(await stores.records.releaseIds(first)).toBe(false); // the third holds the top now
  });

  it('concurrent creates, half of them refused: every created id distinct, and no created id ever handed out twice', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) =>
        createRecord({ registry, store: stores.records }, { model: 'res.partner', vals: vals(i % 2 === 0 ? { name: `Ok ${i}` } : { name: `Refused ${i}`, country_id: 4242 }), caller }),
      ),
    );
    const ids = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value.get('id') as number] : []));
    expect([ids.length, new Set(ids).size, outcomes.filter((outcome) => outcome.status === 'rejected').length]).toStrictEqual([8, 8, 8]);
    for (const id of ids) expect(String((await stores.rawItem('res.partner', id))?.v.name)).toMatch(/^Ok \d+$/);
    // The sequence stands past every created id, so none can be handed out again.
    const [after] = (await stores.records.reserveIds('res.partner', 1)).ids;
    expect(after).toBeGreaterThan(Math.max(...ids));
  });

  it('takes the next id when the reserved one is already used by a loaded record', async () => {
    const [next] = (await stores.records.reserveIds('res.country', 1)).ids;
    // A record loaded behind the sequence's back, on the ids it would hand out next.
    await stores.client.send(
      new PutCommand({
        TableName: stores.tables.records,
        Item: { pk: `res.country#${(next as number) + 1}`, model: 'res.country', id: (next as number) + 1, version: 1, v: { name: 'Squatter' } },
      }),
    );
    const created = await createRecord({ registry, store: stores.records, sleep: async () => undefined }, { model: 'res.country', vals: vals({ name: 'Newland' }), caller });
    expect(created.get('id')).toBe((next as number) + 2);
    expect((await stores.rawItem('res.country', (next as number) + 1))?.v.name).toBe('Squatter');
  });
});

describe('x2many (0, 0, vals): creating linked records in the same transaction', () => {
  it('creates one child per written record; a one2many child points back at its parent', async () => {
    const [record] = await writeRecords(
      { registry, store: stores.records },
      { model: 'res.partner', ids: [12], vals: vals({ child_ids: [[0, 0, new Map<string, PyValue>([['name', 'New contact'], ['country_id', 274]])]] }), caller },
    );
    const childIds = record?.get('child_ids') as number[];
    const childId = childIds.at(-1) as number;
    expect((await stores.rawItem('res.partner', childId))?.v).toMatchObject({ name: 'New contact', parent_id: 12, country_id: 274, active: true });
    const tagged = await writeRecords(
      { registry, store: stores.records },
      { model: 'res.partner', ids: [7, 20], vals: vals({ category_id: [[0, 0, new Map([['name', 'Fresh']])]] }), caller },
    );
    const [tagA, tagB] = tagged.map((r) => (r.get('category_id') as number[]).at(-1) as number);
    expect(tagA).not.toBe(tagB);
    expect([(await stores.rawItem('res.partner.category', tagA as number))?.v.name, (await stores.rawItem('res.partner.category', tagB as number))?.v.name]).toStrictEqual(['Fresh', 'Fresh']);
  });

  it("fills a required inverse on create: a country's new states point at it", async () => {
    const country = await createRecord(
      { registry, store: stores.records },
      { model: 'res.country', vals: vals({ name: 'Freedonia', state_ids: [[0, 0, new Map([['name', 'North'], ['code', 'N']])]] }), caller },
    );
    const [stateId] = country.get('state_ids') as number[];
    expect((await stores.rawItem('res.country.state', stateId as number))?.v).toMatchObject({ name: 'North', code: 'N', country_id: country.get('id') });
  });

  it('creates nothing when a child lacks a required field', async () => {
    const before = await stores.rawItem('res.country', 274);
    await expect(
      writeRecords({ registry, store: stores.records }, { model: 'res.country', ids: [274], vals: vals({ state_ids: [[0, 0, new Map([['name', 'No code']])]] }), caller }),
    ).rejects.toStrictEqual(new InvalidValueError("Field 'code' (State Code) on model 'res.country.state' is required: give it a value"));
    expect(await stores.rawItem('res.country', 274)).toStrictEqual(before);
  });
});
