/**
 * The Indexer the records table is given (lib/records/port.ts): a record's entries from the shipped
 * model definitions. Only those declare indexes (a custom field cannot be indexed yet), so the
 * entries of a record are the same whatever custom models or fields a request's registry adds.
 */
import { createHash } from 'node:crypto';
import { shippedModels } from '../../models';
import { buildRegistry, type ModelRegistry } from '../models/registry';
import type { Indexer } from '../records/port';
import { ENTRY_FORMAT, indexedFields, indexStateOf } from './keys';
import { orderIndexTerms, sortedFields } from './order';

export function indexerOf(registry: ModelRegistry): Indexer {
  return ({ model, id, values }) => {
    const definition = registry.get(model);
    return definition ? indexStateOf(definition, id, values) : undefined;
  };
}

let shipped: Indexer | undefined;

/** The entries of the shipped models' indexed fields (built once, on first use). */
export const shippedIndexer: Indexer = (record) => {
  shipped ??= indexerOf(buildRegistry(shippedModels));
  return shipped(record);
};

/**
 * What the declared indexes are, in a few characters: the reindex command marks a table with it
 * once every record has its entries (records-table.ts), and a change of the declarations (a field
 * indexed, a slot moved) makes the mark another, so searches walk until the command ran again.
 */
export function layoutIdOf(registry: ModelRegistry): string {
  const layout: (string | number)[][] = [['entries', ENTRY_FORMAT]];
  for (const model of registry.models)
    for (const { field, kind, slot } of indexedFields(model)) layout.push([model.model, field.name, kind, slot]);
  // The one2many lists kept from their inverse many2ones (lib/records/inverses.ts): the same
  // command rebuilds them, and ondelete trusts them once the table is marked.
  const lists = registry.models.flatMap((model) =>
    model.fields.filter((field) => field.type === 'one2many').map((field) => ['list', model.model, field.name]),
  );
  layout.push(...lists);
  // The order index's keys (lib/indexes/order.ts): another order is other keys.
  for (const model of registry.models) {
    const terms = orderIndexTerms(model);
    if (terms)
      layout.push(['order', model.model, ...terms.map((t) => `${t.field.name} ${t.descending ? 'desc' : 'asc'}`)]);
  }
  // The sorted fields' keys (order.ts sortedFields): another field in a slot is other keys.
  for (const model of registry.models)
    for (const { field, slot } of sortedFields(model)) layout.push(['sorted', model.model, field.name, slot]);
  return createHash('sha256').update(JSON.stringify(layout)).digest('hex').slice(0, 16);
}

let shippedLayout: string | undefined;

export const shippedLayoutId = (): string => (shippedLayout ??= layoutIdOf(buildRegistry(shippedModels)));
