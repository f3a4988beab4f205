/**
 * The records store and the model catalog as every writer needs them together: the store gives each
 * record it writes the entries of the indexes the catalog's registry declares — the shipped ones and
 * the custom fields' (lib/indexes/custom.ts) — as this process last loaded it. A store indexed by
 * the shipped declarations alone would leave a custom field's entries out (or remove them).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { shippedModels } from '../../models';
import { ModelCatalog } from '../models/catalog';
import { buildRegistry, type ModelRegistry } from '../models/registry';
import type { IndexState } from '../records/port';
import { DynamoRecordStore } from '../store/dynamodb/records-table';

export function catalogIndexedStore(
  client: DynamoDBDocumentClient,
  tables: { readonly records: string; readonly usage?: string | undefined },
  options: { clock?: () => number; shippedRegistry?: ModelRegistry } = {},
): { store: DynamoRecordStore; catalog: ModelCatalog } {
  // The catalog below, built before any record can be written.
  const store: DynamoRecordStore = new DynamoRecordStore(
    client,
    tables.records,
    tables.usage,
    (record): IndexState | undefined => catalog.indexer(record),
  );
  const catalog: ModelCatalog = new ModelCatalog(
    store,
    shippedModels,
    options.clock ?? Date.now,
    options.shippedRegistry ?? buildRegistry(shippedModels),
  );
  return { store, catalog };
}
