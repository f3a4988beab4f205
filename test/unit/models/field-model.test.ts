/**
 * ir.model.fields' `model`: the technical name of model_id's model, for every field, shipped or
 * custom, filled in the store (so reads and searches see it) however the field was created, and
 * never written to anything else.
 */
import { AccessDeniedError, TransactionCancelledError } from '../../../lib/errors';
import { BASE_ID_LIMIT, checkMetaChange, fieldModelRepairs, IR_MODEL, IR_MODEL_FIELDS, ModelCatalog } from '../../../lib/models/catalog';
import { recordKeyString, type RecordStore, type StoredRecord, type StoredValue, type WriteAction } from '../../../lib/records/port';
import { shippedModels } from '../../../models';
import { rejection } from '../../helpers/thrown';

/** The part of the storage port the catalog uses, in memory (a test double of our own port). */
class MetaStore {
  readonly records = new Map<string, StoredRecord>();
  /** Runs once before the next update of a field: a concurrent write landing between the catalog's scan and its repair. */
  beforeUpdate: (() => void) | undefined;
  async getMany(keys: readonly { model: string; id: number }[]): Promise<Map<string, StoredRecord>> {
    const found = new Map<string, StoredRecord>();
    for (const key of keys) {
      const record = this.records.get(recordKeyString(key));
      if (record) found.set(recordKeyString(key), record);
    }
    return found;
  }
  async transact(actions: readonly WriteAction[]): Promise<void> {
    for (const action of actions) {
      const current = 'key' in action ? this.records.get(recordKeyString(action.key)) : undefined;
      if (action.kind === 'create') {
        if (current) throw new TransactionCancelledError(['condition']);
        this.records.set(recordKeyString(action.key), action.record);
      } else if (action.kind === 'update') {
        const before = action.key.model === IR_MODEL_FIELDS ? this.beforeUpdate : undefined;
        if (before) this.beforeUpdate = undefined;
        before?.();
        const latest = this.records.get(recordKeyString(action.key));
        if (!latest || latest.version !== action.expectedVersion) throw new TransactionCancelledError(['condition']);
        this.records.set(recordKeyString(action.key), { ...latest, version: latest.version + 1, values: { ...latest.values, ...action.set } });
      } else throw new Error(`no ${action.kind} here`);
    }
  }
  async scanModel(model: string, visit: (records: readonly StoredRecord[]) => void): Promise<void> {
    visit([...this.records.values()].filter((record) => record.model === model));
  }
  async putMany(records: readonly StoredRecord[]): Promise<void> {
    for (const record of records) this.records.set(recordKeyString(record), record);
  }
  async raiseSequence(): Promise<void> {}
  asPort(): RecordStore {
    return this as unknown as RecordStore;
  }
  field(id: number): StoredRecord | undefined {
    return this.records.get(`${IR_MODEL_FIELDS}#${id}`);
  }
}

const MODEL_ID = BASE_ID_LIMIT;
const customModel: StoredRecord = { model: IR_MODEL, id: MODEL_ID, version: 1, values: { name: 'Custom', model: 'x_custom', state: 'manual' } };
const customField = (id: number, values: Record<string, StoredValue> = {}): StoredRecord => ({
  model: IR_MODEL_FIELDS,
  id,
  version: 1,
  values: { model_id: MODEL_ID, name: `x_f${id}`, ttype: 'char', field_description: 'F', state: 'manual', ...values },
});

async function loaded(...fields: StoredRecord[]) {
  const store = new MetaStore();
  await store.putMany([customModel, ...fields]);
  const catalog = new ModelCatalog(store.asPort(), shippedModels, () => 0);
  return { store, catalog };
}

const noRecords = async () => 0;

describe('fieldModelRepairs', () => {
  it("sets a field's missing or wrong `model` to its model_id's model, at the version read, and leaves the rest alone", () => {
    const repairs = fieldModelRepairs(
      [customModel],
      [
        customField(BASE_ID_LIMIT + 1),
        { ...customField(BASE_ID_LIMIT + 2, { model: 'res.partner' }), version: 4 },
        customField(BASE_ID_LIMIT + 3, { model: 'x_custom' }),
        customField(BASE_ID_LIMIT + 4, { model_id: 424_242 }),
      ],
    );
    expect(repairs.map(({ after: _after, before: _before, ...repair }) => repair)).toStrictEqual([
      { kind: 'update', key: { model: IR_MODEL_FIELDS, id: BASE_ID_LIMIT + 1 }, expectedVersion: 1, set: { model: 'x_custom' } },
      { kind: 'update', key: { model: IR_MODEL_FIELDS, id: BASE_ID_LIMIT + 2 }, expectedVersion: 4, set: { model: 'x_custom' } },
    ]);
  });
});

describe('ModelCatalog: the lazy repair of `model`', () => {
  it('fills `model` of fields stored without it when it loads the definitions, and every shipped field has it', async () => {
    const { store, catalog } = await loaded(customField(BASE_ID_LIMIT + 1), customField(BASE_ID_LIMIT + 2, { model: false }));
    await catalog.registryFor('x_custom');
    expect([store.field(BASE_ID_LIMIT + 1)?.values.model, store.field(BASE_ID_LIMIT + 1)?.version]).toStrictEqual(['x_custom', 2]);
    expect(store.field(BASE_ID_LIMIT + 2)?.values.model).toBe('x_custom');
    const fields = [...store.records.values()].filter((record) => record.model === IR_MODEL_FIELDS);
    expect(fields.filter((record) => typeof record.values.model !== 'string' || record.values.model === '')).toStrictEqual([]);
  });

  it('gives the checks the repaired fields (storedMeta)', async () => {
    const { catalog } = await loaded(customField(BASE_ID_LIMIT + 1));
    const { fields } = await catalog.storedMeta();
    expect(fields.find((record) => record.id === BASE_ID_LIMIT + 1)?.values.model).toBe('x_custom');
  });

  it('lets a concurrent write of the field win, and loads all the same', async () => {
    const { store, catalog } = await loaded(customField(BASE_ID_LIMIT + 1));
    await catalog.registryFor('res.partner');
    // Stored without `model` again, and written by someone else between the next scan and its repair.
    await store.putMany([customField(BASE_ID_LIMIT + 1)]);
    store.beforeUpdate = () => void store.putMany([{ ...customField(BASE_ID_LIMIT + 1, { help: 'theirs' }), version: 7 }]);
    const registry = await catalog.changed();
    expect(registry.get('x_custom')?.fieldsByName.has(`x_f${BASE_ID_LIMIT + 1}`)).toBe(true);
    expect(store.field(BASE_ID_LIMIT + 1)?.values).toMatchObject({ help: 'theirs' });
    expect(store.field(BASE_ID_LIMIT + 1)?.version).toBe(7);
    // The next load repairs it.
    await catalog.changed();
    expect(store.field(BASE_ID_LIMIT + 1)?.values).toMatchObject({ help: 'theirs', model: 'x_custom' });
  });
});

describe('checkMetaChange: `model` of ir.model.fields', () => {
  const create = (values: Record<string, StoredValue>) => ({ kind: 'create' as const, model: IR_MODEL_FIELDS, values });
  const write = (ids: number[], values: Record<string, StoredValue>) => ({ kind: 'write' as const, model: IR_MODEL_FIELDS, ids, values });

  it.each<[string, Record<string, StoredValue>]>([
    ['without `model`', {}],
    ['with `model` false', { model: false }],
    ["with model_id's model", { model: 'x_custom' }],
  ])('accepts a field created %s, and names the model it will read back', async (_label, extra) => {
    const { catalog } = await loaded();
    const check = await checkMetaChange(catalog, create({ model_id: MODEL_ID, name: 'x_new', ttype: 'char', ...extra }), noRecords);
    expect(check).toStrictEqual({ fieldModel: 'x_custom' });
  });

  it("refuses (403) a field created with a `model` that is not its model_id's", async () => {
    const { catalog } = await loaded();
    const error = await rejection(checkMetaChange(catalog, create({ model_id: MODEL_ID, name: 'x_new', ttype: 'char', model: 'res.partner' }), noRecords));
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect((error as AccessDeniedError).message).toBe('Field "Model Name" is the technical name of the field\'s model ("Model"): "x_custom", not "res.partner".');
  });

  it("accepts a write of the same `model`, and refuses (403) any other, false included", async () => {
    const { catalog } = await loaded(customField(BASE_ID_LIMIT + 1, { model: 'x_custom' }));
    await expect(checkMetaChange(catalog, write([BASE_ID_LIMIT + 1], { model: 'x_custom', field_description: 'G' }), noRecords)).resolves.toStrictEqual({});
    for (const model of ['res.partner', false]) {
      const error = await rejection(checkMetaChange(catalog, write([BASE_ID_LIMIT + 1], { model }), noRecords));
      expect(error).toBeInstanceOf(AccessDeniedError);
    }
  });

  it('checks a write against the repaired field: a field stored without `model` takes its own model', async () => {
    const { catalog } = await loaded(customField(BASE_ID_LIMIT + 1));
    await expect(checkMetaChange(catalog, write([BASE_ID_LIMIT + 1], { model: 'x_custom' }), noRecords)).resolves.toStrictEqual({});
  });
});
