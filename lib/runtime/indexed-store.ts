/**
 * The records store and the model catalog as every writer needs them together: the store gives each
 * record it writes the entries of the indexes the catalog's registry declares — the shipped ones and
 * the custom fields' (lib/indexes/custom.ts) — and before each write it has the catalog checked
 * (`registryFor`: no read while the catalog is younger than its TTL), so no write is indexed by
 * definitions older than CATALOG_TTL_MS, whichever function makes it and however long it runs. That
 * bound is what a custom index's fence (INDEX_FENCE_MS) waits out. A store indexed by the shipped
 * declarations alone would leave a custom field's entries out, or remove them.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { shippedModels } from '../../models';
import { IR_MODEL, ModelCatalog } from '../models/catalog';
import { buildRegistry, type ModelRegistry } from '../models/registry';
import type { StoredRecord, WriteAction } from '../records/port';
import { DynamoRecordStore } from '../store/dynamodb/records-table';

/** The writers' store: each write after the catalog is checked (the catalog's own writes go through its own store). */
class CatalogIndexedStore extends DynamoRecordStore {
  constructor(
    client: DynamoDBDocumentClient,
    tables: { readonly records: string; readonly usage?: string | undefined },
    private readonly catalog: () => ModelCatalog,
  ) {
    super(client, tables.records, tables.usage, (record) => catalog().indexer(record));
  }

  async #fresh(): Promise<void> {
    await this.catalog().registryFor(IR_MODEL);
  }

  override async transact(actions: readonly WriteAction[]): Promise<void> {
    await this.#fresh();
    return super.transact(actions);
  }

  override async putMany(records: readonly StoredRecord[]): Promise<void> {
    await this.#fresh();
    return super.putMany(records);
  }

  override async reindexModel(model: string, options: { afterId: number; limit: number }) {
    await this.#fresh();
    return super.reindexModel(model, options);
  }

  override async reindexPage(...page: Parameters<DynamoRecordStore['reindexPage']>) {
    await this.#fresh();
    return super.reindexPage(...page);
  }
}

export function catalogIndexedStore(
  client: DynamoDBDocumentClient,
  tables: { readonly records: string; readonly usage?: string | undefined },
  options: { clock?: () => number; shippedRegistry?: ModelRegistry } = {},
): { store: DynamoRecordStore; catalog: ModelCatalog } {
  // The catalog reads and writes through a store of its own (indexed by it too): checking the
  // catalog before its own writes would wait for the load that makes them.
  const catalog: ModelCatalog = new ModelCatalog(
    new DynamoRecordStore(client, tables.records, tables.usage, (record) => catalog.indexer(record)),
    shippedModels,
    options.clock ?? Date.now,
    options.shippedRegistry ?? buildRegistry(shippedModels),
  );
  return { store: new CatalogIndexedStore(client, tables, () => catalog), catalog };
}
