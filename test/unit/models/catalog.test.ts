import { baseMetaRecords, BASE_ID_LIMIT, CATALOG_TTL_MS, definitionsWith, IR_MODEL, IR_MODEL_FIELDS, ModelCatalog, servableRegistry } from '../../../lib/models/catalog';
import { buildRegistry } from '../../../lib/models/registry';
import { type RecordStore, type StoredRecord, type WriteAction } from '../../../lib/records/port';
import { shippedModels } from '../../../models';
import { ModelDefinitionError, TransactionCancelledError } from '../../../lib/errors';

/** The part of the storage port the catalog uses, in memory (a test double of our own port). */
class MetaStore {
  readonly records = new Map<string, StoredRecord>();
  readonly sequences = new Map<string, number>();
  scans = 0;
  reads = 0;
  async getMany(keys: readonly { model: string; id: number }[]): Promise<Map<string, StoredRecord>> {
    this.reads += 1;
    const found = new Map<string, StoredRecord>();
    for (const key of keys) {
      const record = this.records.get(`${key.model}#${key.id}`);
      if (record) found.set(`${key.model}#${key.id}`, record);
    }
    return found;
  }
  async transact(actions: readonly WriteAction[]): Promise<void> {
    for (const action of actions) {
      if (action.kind !== 'create') throw new Error('only creates here');
      if (this.records.has(`${action.key.model}#${action.key.id}`)) throw new TransactionCancelledError(['condition']);
      this.records.set(`${action.key.model}#${action.key.id}`, action.record);
    }
  }
  async scanModel(model: string, visit: (records: readonly StoredRecord[]) => void): Promise<void> {
    this.scans += 1;
    visit([...this.records.values()].filter((record) => record.model === model));
  }
  async putMany(records: readonly StoredRecord[]): Promise<void> {
    for (const record of records) this.records.set(`${record.model}#${record.id}`, record);
  }
  async raiseSequence(model: string, atLeast: number): Promise<void> {
    this.sequences.set(model, Math.max(this.sequences.get(model) ?? 0, atLeast));
  }
  asPort(): RecordStore {
    return this as unknown as RecordStore;
  }
}

const customModel = (id: number, model: string, name: string): StoredRecord => ({ model: IR_MODEL, id, version: 1, values: { name, model, state: 'manual' } });
const customField = (id: number, modelId: number, values: Record<string, string | boolean>): StoredRecord => ({ model: IR_MODEL_FIELDS, id, version: 1, values: { model_id: modelId, state: 'manual', ...values } });

describe('custom models', () => {
  describe('definitionsWith', () => {
    it('adds custom models (with x_name) and custom fields on shipped models', () => {
      const base = baseMetaRecords(buildRegistry(shippedModels));
      const partnerModelId = base.find((record) => record.model === IR_MODEL && record.values.model === 'res.partner')?.id as number;
      const registry = buildRegistry(
        definitionsWith(
          shippedModels,
          [...base.filter((record) => record.model === IR_MODEL), customModel(BASE_ID_LIMIT, 'x_shop', 'Shop')],
          [
            customField(BASE_ID_LIMIT, BASE_ID_LIMIT, { name: 'x_kind', ttype: 'selection', selection: "[('a', 'A'), ('b', 'B')]", field_description: 'Kind' }),
            customField(BASE_ID_LIMIT + 1, partnerModelId, { name: 'x_shop_id', ttype: 'many2one', relation: 'x_shop', field_description: 'Shop' }),
          ],
        ),
      );
      const shop = registry.get('x_shop');
      expect([shop?.description, shop?.recName, shop?.fields.map((field) => field.name).slice(0, 3)]).toStrictEqual(['Shop', 'x_name', ['id', 'x_name', 'x_kind']]);
      expect(shop?.fieldsByName.get('x_kind')?.selection).toStrictEqual([['a', 'A'], ['b', 'B']]);
      expect(registry.get('res.partner')?.fieldsByName.get('x_shop_id')?.relation).toBe('x_shop');
    });

    it('refuses definitions the registry cannot use (a relation to nothing, a bad selection)', () => {
      const build = (field: Record<string, string | boolean>) => () => buildRegistry(definitionsWith(shippedModels, [customModel(BASE_ID_LIMIT, 'x_a', 'A')], [customField(BASE_ID_LIMIT, BASE_ID_LIMIT, field)]));
      expect(build({ name: 'x_b', ttype: 'many2one', relation: 'nowhere' })).toThrow(ModelDefinitionError);
      expect(build({ name: 'x_c', ttype: 'selection', selection: 'not a list' })).toThrow(ModelDefinitionError);
      expect(build({ name: 'x_d', ttype: 'char' })).not.toThrow();
    });
  });

  describe('servableRegistry', () => {
    it('keeps serving when two changes made at once stored definitions that cannot stand together: the first of each conflict wins', () => {
      // Two models of one name (two creates that raced), a field defined twice on one model, and a
      // many2one to a model that is not there (created while its target was deleted).
      const models = [customModel(100_002, 'x_pet', 'Pet (second)'), customModel(100_001, 'x_pet', 'Pet'), customModel(100_003, 'x_toy', 'Toy')];
      const fields = [
        customField(100_011, 100_001, { name: 'x_age', ttype: 'integer', field_description: 'Age' }),
        customField(100_012, 100_001, { name: 'x_age', ttype: 'char', field_description: 'Age again' }),
        customField(100_013, 100_003, { name: 'x_owner', ttype: 'many2one', relation: 'x_gone', field_description: 'Owner' }),
        customField(100_014, 100_003, { name: 'x_colour', ttype: 'char', field_description: 'Colour' }),
      ];
      expect(() => buildRegistry(definitionsWith(shippedModels, models, fields))).toThrow(ModelDefinitionError);
      const registry = servableRegistry(shippedModels, models, fields);
      expect(registry.get('x_pet')?.description).toBe('Pet');
      expect(registry.get('x_pet')?.fieldsByName.get('x_age')?.type).toBe('integer');
      expect(registry.get('x_toy')?.fieldsByName.has('x_owner')).toBe(false);
      expect(registry.get('x_toy')?.fieldsByName.get('x_colour')?.type).toBe('char');
      expect(registry.get('res.partner')).toBeDefined();
    });

    it('is the plain registry when the definitions are sound', () => {
      const models = [customModel(100_001, 'x_pet', 'Pet')];
      expect(servableRegistry(shippedModels, models, []).models.map((model) => model.model)).toStrictEqual(buildRegistry(definitionsWith(shippedModels, models, [])).models.map((model) => model.model));
    });
  });

  describe('baseMetaRecords', () => {
    it('gives every shipped model and field a base record below BASE_ID_LIMIT', () => {
      const registry = buildRegistry(shippedModels);
      const base = baseMetaRecords(registry);
      expect(base.filter((record) => record.model === IR_MODEL).map((record) => record.values.model)).toStrictEqual(registry.models.map((model) => model.model));
      expect(base.filter((record) => record.model === IR_MODEL_FIELDS)).toHaveLength(registry.models.reduce((sum, model) => sum + model.fields.length, 0));
      expect(base.every((record) => record.id < BASE_ID_LIMIT && record.values.state === 'base')).toBe(true);
    });
  });

  describe('ModelCatalog', () => {
    it('writes the base records and a stamp once, keeps the definitions for the TTL, then scans again only when the stamp changed', async () => {
      const store = new MetaStore();
      let now = 1_000_000;
      const catalog = new ModelCatalog(store.asPort(), shippedModels, () => now);
      await catalog.registryFor('res.partner');
      // Scan, write the base records, scan again; then the stage's first stamp.
      expect([store.scans, store.sequences.get(IR_MODEL), store.records.has('ir.catalog#1')]).toStrictEqual([4, BASE_ID_LIMIT, true]);
      await catalog.registryFor('res.partner');
      expect([store.scans, store.reads]).toStrictEqual([4, 1]);

      // The TTL runs out: one read of the stamp; it was written after this instance's scan, so one scan more, then none.
      now += CATALOG_TTL_MS + 1;
      await catalog.registryFor('res.partner');
      expect(store.scans).toBe(6);
      now += CATALOG_TTL_MS + 1;
      await catalog.registryFor('res.partner');
      expect([store.scans, store.reads]).toStrictEqual([6, 3]);

      // Another instance defines x_new and replaces the stamp: a request naming x_new finds it at once.
      await store.putMany([customModel(BASE_ID_LIMIT, 'x_new', 'New'), { model: 'ir.catalog', id: 1, version: 1, values: { stamp: 'changed' } }]);
      now += 1_500;
      expect((await catalog.registryFor('x_new')).get('x_new')?.description).toBe('New');
      expect(store.scans).toBe(8);
      // An unknown model with an unchanged stamp costs one read, no scan.
      now += 1_500;
      expect((await catalog.registryFor('x_typo')).get('x_typo')).toBeUndefined();
      expect(store.scans).toBe(8);
    });
  });
});
