/** unlinkRecords over DynamoDB Local: all or nothing, with each ondelete rule. */
import { InvalidValueError, RecordNotFoundError } from '../../lib/errors';
import { buildRegistry } from '../../lib/models/registry';
import type { PyValue } from '../../lib/wire/pyvalue';
import type { StoredRecord } from '../../lib/records/port';
import { writeRecords } from '../../lib/records';
import { unlinkRecords } from '../../lib/records/unlink';
import { shippedModels } from '../../models';
import { freshStores } from '../helpers/local';

const registry = buildRegistry(shippedModels);
const caller = { userId: 1, clientId: 'test' };
let stores: Awaited<ReturnType<typeof freshStores>>;

beforeEach(async () => {
  // Every test deletes, so each gets the demo data in tables of its own.
  stores = await freshStores({ demo: true });
});

afterEach(() => stores.client.destroy());

const deps = () => ({ registry, store: stores.records });
const values = async (model: string, id: number) =>
  (await stores.rawItem(model, id))?.v as StoredRecord['values'] | undefined;

describe('unlinkRecords against DynamoDB Local', () => {
  it('deletes the records, clears a set-null many2one and drops the ids from x2many lists', async () => {
    // Partner 3 (Administrator) has parent_id 1; partner 1 lists it in child_ids.
    await unlinkRecords(deps(), { caller, model: 'res.partner', ids: [1] });
    expect(await values('res.partner', 1)).toBeUndefined();
    expect((await values('res.partner', 3))?.parent_id).toBeNull();
    // Tag 1 (Vendor) is linked from partners 18 and 26; its child tag 3 cascades.
    await unlinkRecords(deps(), { caller, model: 'res.partner.category', ids: [1] });
    expect([await values('res.partner.category', 1), await values('res.partner.category', 3)]).toStrictEqual([
      undefined,
      undefined,
    ]);
    expect([
      (await values('res.partner', 18))?.category_id,
      (await values('res.partner', 26))?.category_id,
    ]).toStrictEqual([[], []]);
  });

  it('refuses to delete a record that a restrict many2one points at, deleting nothing', async () => {
    await expect(unlinkRecords(deps(), { caller, model: 'res.country', ids: [482, 274] })).rejects.toBeInstanceOf(
      InvalidValueError,
    );
    await expect(unlinkRecords(deps(), { caller, model: 'res.country', ids: [482] })).rejects.toThrow(
      'The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: Partner (res.partner), Field: Country (country_id), record res.partner(20)',
    );
    expect([(await values('res.country', 482))?.name, (await values('res.country', 274))?.name]).toStrictEqual([
      'Taiwan',
      'Belgium',
    ]);
  });

  it('deletes nothing and names the missing ids when one is missing', async () => {
    await expect(unlinkRecords(deps(), { caller, model: 'res.partner', ids: [7, 99] })).rejects.toStrictEqual(
      new RecordNotFoundError('res.partner', [99]),
    );
    expect((await values('res.partner', 7))?.name).toBe('Marc Demo');
  });
});

describe('x2many (2, id) in a write: deleting the linked record with its ondelete rules', () => {
  const write = (model: string, ids: number[], field: string, commands: PyValue) =>
    writeRecords(deps(), { model, ids, vals: new Map([[field, commands]]), caller });

  it('deletes the linked record and drops it from the list, in the same transaction', async () => {
    const [record] = await write('res.partner', [18], 'category_id', [[2, 3]]);
    expect(record?.get('category_id')).toStrictEqual([1]);
    expect(await values('res.partner.category', 3)).toBeUndefined();
    expect((await values('res.partner', 18))?.category_id).toStrictEqual([1]);
  });

  it('refuses, writing and deleting nothing, when a restrict reference protects the linked record', async () => {
    // State 13 (California) is the state_id of partners 1, 18 and 26.
    await expect(write('res.country', [233], 'state_ids', [[2, 13]])).rejects.toThrow(
      'another model requires the record being deleted',
    );
    expect([
      (await values('res.country.state', 13))?.name,
      (await values('res.country', 233))?.state_ids,
    ]).toStrictEqual(['California', [13]]);
  });

  it('refuses a linked record that does not exist', async () => {
    await expect(write('res.partner', [18], 'category_id', [[2, 999]])).rejects.toStrictEqual(
      new InvalidValueError(
        "Invalid command (2, 999) on field 'category_id': res.partner.category(999) does not exist",
      ),
    );
  });
});
