/**
 * writeRecords over the real DynamoDB adapter and DynamoDB Local: atomicity, isolation, the
 * version-conflict retry and the many2one ConditionCheck, each on tables of this file's own.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidValueError, RecordNotFoundError, ServiceUnavailableError, TooManyIdsError, WriteConflictError, TransactionCancelledError } from '../../lib/errors';
import { buildRegistry } from '../../lib/models/registry';
import { PyFloat, type PyValue } from '../../lib/wire/pyvalue';
import { type StoredRecord } from '../../lib/records/port';
import { writeRecords, type Caller } from '../../lib/records';
import { toItem } from '../../lib/store/dynamodb/records-table';
import { shippedModels } from '../../models';
import { freshStores, InterferingStore } from '../helpers/local';

const registry = buildRegistry(shippedModels);
const caller: Caller = { userId: 2, clientId: 'test-client' };
const noWait = async () => undefined;

let stores: Awaited<ReturnType<typeof freshStores>>;

beforeAll(async () => {
  stores = await freshStores({ demo: true });
});

afterAll(() => stores.client.destroy());

const vals = (entries: Record<string, PyValue>) => new Map(Object.entries(entries));



const interferingStore = (beforeCommit: (attempt: number) => Promise<void>) => new InterferingStore(stores, beforeCommit);

describe('writeRecords against DynamoDB Local', () => {
  it('writes the same vals to every id and returns the committed records', async () => {
    const result = await writeRecords(
      { registry, store: stores.records, now: () => new Date('2026-01-02T03:04:05Z') },
      { model: 'res.partner', ids: [17, 20], vals: vals({ street2: 'Chung Hsiao East Road', credit_limit: new PyFloat(1.5) }), caller },
    );
    expect(result.map((r) => [r.get('id'), r.get('street2'), r.get('credit_limit'), r.get('write_date'), r.get('write_uid')])).toStrictEqual([
      [17, 'Chung Hsiao East Road', new PyFloat(1.5), '2026-01-02 03:04:05', [2, 'Marc Demo']],
      [20, 'Chung Hsiao East Road', new PyFloat(1.5), '2026-01-02 03:04:05', [2, 'Marc Demo']],
    ]);
    const stored = await stores.rawItem('res.partner', 20);
    expect(stored).toMatchObject({ version: 2, v: { street2: 'Chung Hsiao East Road', credit_limit: 1.5, write_uid: 2, write_date: '2026-01-02 03:04:05', name: 'Peter Mitchell' } });
  });

  it('writes nothing when one id is missing, and names every missing id', async () => {
    const before = await stores.rawItem('res.partner', 17);
    await expect(
      writeRecords({ registry, store: stores.records }, { model: 'res.partner', ids: [17, 99, 104], vals: vals({ street2: 'x' }), caller }),
    ).rejects.toStrictEqual(new RecordNotFoundError('res.partner', [99, 104]));
    expect(await stores.rawItem('res.partner', 17)).toStrictEqual(before);
  });

  it('refuses a many2one to a record that does not exist, writing nothing', async () => {
    const before = await stores.rawItem('res.partner', 17);
    await expect(
      writeRecords({ registry, store: stores.records }, { model: 'res.partner', ids: [17], vals: vals({ country_id: 4242 }), caller }),
    ).rejects.toThrow(new InvalidValueError("Invalid value for field 'country_id' (many2one) on model 'res.partner': res.country(4242) does not exist"));
    expect(await stores.rawItem('res.partner', 17)).toStrictEqual(before);
  });

  it('checks many2one targets at commit: a target deleted after the read cancels the whole write', async () => {
    await stores.records.putMany([{ model: 'res.country', id: 900, version: 1, values: { name: 'Doomed' } }]);
    const before = [await stores.rawItem('res.partner', 17), await stores.rawItem('res.partner', 20)];
    const store = interferingStore(async () => {
      await stores.client.send(new DeleteCommand({ TableName: stores.tables.records, Key: { pk: 'res.country#900' } }));
    });
    await expect(
      writeRecords({ registry, store }, { model: 'res.partner', ids: [17, 20], vals: vals({ country_id: 900, ref: 'doomed' }), caller }),
    ).rejects.toThrow("res.country(900) does not exist");
    expect([await stores.rawItem('res.partner', 17), await stores.rawItem('res.partner', 20)]).toStrictEqual(before);
  });

  it('re-reads and retries when another write got in between, keeping both writes', async () => {
    const store = interferingStore(async (attempt) => {
      if (attempt === 1) {
        await writeRecords({ registry, store: stores.records }, { model: 'res.partner', ids: [20], vals: vals({ phone: 'from the other writer' }), caller });
      }
    });
    const [record] = await writeRecords({ registry, store, sleep: noWait }, { model: 'res.partner', ids: [20], vals: vals({ mobile: 'from this writer' }), caller });
    expect(store.attempts).toBe(2);
    expect([record?.get('phone'), record?.get('mobile')]).toStrictEqual(['from the other writer', 'from this writer']);
    expect((await stores.rawItem('res.partner', 20))?.v).toMatchObject({ phone: 'from the other writer', mobile: 'from this writer' });
  });

  it('gives up with a 409 after the bounded retries, having written nothing of its own', async () => {
    let other = 0;
    const store = interferingStore(async () => {
      other++;
      await writeRecords({ registry, store: stores.records }, { model: 'res.partner', ids: [26], vals: vals({ ref: `other ${other}` }), caller });
    });
    await expect(
      writeRecords({ registry, store, sleep: noWait, maxAttempts: 3 }, { model: 'res.partner', ids: [26], vals: vals({ website: 'mine' }), caller }),
    ).rejects.toBeInstanceOf(WriteConflictError);
    expect(store.attempts).toBe(3);
    const stored = await stores.rawItem('res.partner', 26);
    expect(stored?.v.website).toBeUndefined();
    expect(stored?.v.ref).toBe('other 3');
  });

  it('loses no field when concurrent writers update the same records', async () => {
    const ids = [1, 3, 7, 12];
    const fields = ['ref', 'phone', 'mobile', 'website', 'vat', 'function', 'email', 'zip'];
    await Promise.all(
      fields.map((field) =>
        writeRecords(
          { registry, store: stores.records, maxAttempts: 50 },
          { model: 'res.partner', ids, vals: vals({ [field]: `${field} written` }), caller },
        ),
      ),
    );
    for (const id of ids) {
      const stored = await stores.rawItem('res.partner', id);
      for (const field of fields) expect([id, field, stored?.v[field]]).toStrictEqual([id, field, `${field} written`]);
      expect(stored?.version).toBe(1 + fields.length);
    }
  });

  it('never mixes two writes in one record: every record shows one writer for both fields', async () => {
    const ids = [1, 3, 7, 12, 18];
    const writers = ['A', 'B', 'C', 'D', 'E', 'F'];
    await Promise.all(
      writers.map((w) =>
        writeRecords({ registry, store: stores.records, maxAttempts: 50 }, { model: 'res.partner', ids, vals: vals({ street: `street ${w}`, city: `city ${w}` }), caller }),
      ),
    );
    const last = new Set<string>();
    for (const id of ids) {
      const stored = await stores.rawItem('res.partner', id);
      const writer = String(stored?.v.street).replace('street ', '');
      expect(stored?.v.city).toBe(`city ${writer}`);
      last.add(writer);
    }
    // Transactions serialise: the last committed writer is the same on every record.
    expect(last.size).toBe(1);
  });

  it('writes 100 records in one transaction and refuses 101 ids with a 400 naming the limit', async () => {
    const many: StoredRecord[] = Array.from({ length: 101 }, (_, i) => ({ model: 'res.partner.category', id: 1000 + i, version: 1, values: { name: `tag ${i}` } }));
    await stores.records.putMany(many);
    const ids = many.map((r) => r.id);
    const written = await writeRecords({ registry, store: stores.records }, { model: 'res.partner.category', ids: ids.slice(0, 100), vals: vals({ color: 7 }), caller });
    expect(written.map((r) => r.get('color'))).toStrictEqual(Array(100).fill(7));
    await expect(
      writeRecords({ registry, store: stores.records }, { model: 'res.partner.category', ids, vals: vals({ color: 8 }), caller }),
    ).rejects.toStrictEqual(new TooManyIdsError(101, 100));
    expect((await stores.rawItem('res.partner.category', 1100))?.v.color).toBeUndefined();
  });

  it('applies x2many commands in order and checks that linked records exist', async () => {
    const [record] = await writeRecords(
      { registry, store: stores.records },
      { model: 'res.partner', ids: [7], vals: vals({ category_id: [[6, 0, [1, 2]], [4, 3], [3, 1]] }), caller },
    );
    expect(record?.get('category_id')).toStrictEqual([2, 3]);
    await expect(
      writeRecords({ registry, store: stores.records }, { model: 'res.partner', ids: [7], vals: vals({ category_id: [[4, 777]] }), caller }),
    ).rejects.toThrow('res.partner.category(777) does not exist');
    expect((await stores.rawItem('res.partner', 7))?.v.category_id).toStrictEqual([2, 3]);
  });

  it('renders a many2one to a record written in the same request with its new name', async () => {
    await stores.client.send(new PutCommand({ TableName: stores.tables.records, Item: toItem({ model: 'res.partner', id: 501, version: 1, values: { name: 'Old co', is_company: true, child_ids: [500] } }) }));
    await stores.client.send(new PutCommand({ TableName: stores.tables.records, Item: toItem({ model: 'res.partner', id: 500, version: 1, values: { name: 'Old name', parent_id: 501 } }) }));
    const [record] = await writeRecords({ registry, store: stores.records }, { model: 'res.partner', ids: [500, 501], vals: vals({ name: 'New name' }), caller });
    // The company's display name (its complete_name: a company's is its name) as this write leaves it.
    expect(record?.get('parent_id')).toStrictEqual([501, 'New name']);
    expect(record?.get('display_name')).toBe('New name, New name');
  });
});

describe('writeRecords when DynamoDB reports conflicts or throttling', () => {
  // FAKE (labelled): DynamoDB Local never cancels a transaction for TransactionConflict or
  // throttling, so this store reports those reasons itself before delegating to the real one.
  function flakyStore(failures: number, reason: 'conflict' | 'throttled') {
    return interferingStore(async (attempt) => {
      if (attempt <= failures) throw new TransactionCancelledError([reason]);
    });
  }

  it('retries a transaction cancelled by a conflict and then succeeds', async () => {
    const store = flakyStore(2, 'conflict');
    const [record] = await writeRecords({ registry, store, sleep: noWait }, { model: 'res.partner', ids: [17], vals: vals({ ref: 'after conflicts' }), caller });
    expect([store.attempts, record?.get('ref')]).toStrictEqual([3, 'after conflicts']);
  });

  it('answers 503 when throttling outlasts the retries, with nothing written', async () => {
    const before = await stores.rawItem('res.partner', 17);
    const store = flakyStore(10, 'throttled');
    const failure = writeRecords({ registry, store, sleep: noWait, maxAttempts: 3 }, { model: 'res.partner', ids: [17], vals: vals({ ref: 'never' }), caller });
    await expect(failure).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(await stores.rawItem('res.partner', 17)).toStrictEqual(before);
  });
});

describe('x2many (1, id, vals) in a write', () => {
  it('updates the linked record in the same transaction', async () => {
    const [record] = await writeRecords(
      { registry, store: stores.records },
      { model: 'res.partner', ids: [18], vals: vals({ category_id: [[1, 2, new Map<string, PyValue>([['name', 'Hot prospects'], ['color', 9]])]], ref: 'with tag' }), caller },
    );
    expect(record?.get('ref')).toBe('with tag');
    expect((await stores.rawItem('res.partner.category', 2))?.v).toMatchObject({ name: 'Hot prospects', color: 9, write_uid: 2 });
  });

  it('writes nothing when the linked record does not exist or is one of the written records', async () => {
    const before = await stores.rawItem('res.partner', 18);
    await expect(
      writeRecords({ registry, store: stores.records }, { model: 'res.partner', ids: [18], vals: vals({ ref: 'no', category_id: [[1, 888, new Map([['name', 'x']])]] }), caller }),
    ).rejects.toThrow('res.partner.category(888) does not exist');
    await expect(
      writeRecords({ registry, store: stores.records }, { model: 'res.partner', ids: [18, 3], vals: vals({ ref: 'no', child_ids: [[1, 3, new Map([['name', 'x']])]] }), caller }),
    ).rejects.toThrow('updates res.partner(3), which this request writes already');
    expect(await stores.rawItem('res.partner', 18)).toStrictEqual(before);
  });
});
