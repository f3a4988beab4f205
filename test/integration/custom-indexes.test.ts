/**
 * A custom field's index on DynamoDB Local (lib/indexes/custom.ts, build.ts): claimed when the
 * catalog learns of it, built by the indexes function's code with that function's name on its
 * calls (the IAM guard checks each against the IndexesRole of the packaged template), then read by
 * a lookup. Records written before the claim (by a writer that had not heard of it) hold no entry
 * until the builder gives them one; a writer's store has its catalog checked before each write, so
 * past the catalog's TTL every write has its entry.
 */
import { buildIndexes } from '../../lib/indexes/build';
import { INDEX_FENCE_MS } from '../../lib/indexes/custom';
import { BASE_ID_LIMIT, CATALOG_TTL_MS } from '../../lib/models/catalog';
import { getModel } from '../../lib/models/registry';
import type { StoredRecord } from '../../lib/records/port';
import { parseOrder, searchRecords } from '../../lib/records/search/search';
import { createDocumentClient } from '../../lib/store/dynamodb/client';
import { catalogIndexedStore } from '../../lib/runtime/indexed-store';
import { freshStores } from '../helpers/local';

let stores: Awaited<ReturnType<typeof freshStores>>;
const clients: { destroy(): void }[] = [];
beforeAll(async () => {
  stores = await freshStores();
});
afterAll(() => {
  stores.client.destroy();
  for (const client of clients) client.destroy();
});

/** A store and its catalog, as a function's container makes them: the store indexes by the catalog's registry. */
function instance(now: () => number, appId?: string) {
  const client = appId
    ? createDocumentClient({ endpoint: process.env.TEST_DYNAMODB_ENDPOINT, region: 'eu-west-1', appId })
    : stores.client;
  if (appId) clients.push(client);
  return catalogIndexedStore(client, stores.tables, { clock: now });
}

const tickets = (from: number, count: number): StoredRecord[] =>
  Array.from({ length: count }, (_, i) => ({
    model: 'x_ticket',
    id: from + i,
    version: 1,
    values: { x_name: `T${from + i}`, x_code: 'ABC'[(from + i) % 3] as string },
  }));

describe("a custom field's index on DynamoDB Local", () => {
  it('is built by the indexes function (its role allows every call it makes), and a lookup reads it', async () => {
    let now = Date.now();
    const admin = instance(() => now);
    await admin.catalog.reload();
    // Another function's instance, its catalog loaded before the index is declared.
    const other = instance(() => now);
    await other.catalog.reload();
    const model = BASE_ID_LIMIT + 1;
    await admin.store.putMany([
      { model: 'ir.model', id: model, version: 1, values: { model: 'x_ticket', name: 'Ticket', state: 'manual' } },
      {
        model: 'ir.model.fields',
        id: BASE_ID_LIMIT + 1,
        version: 1,
        values: { name: 'x_code', field_description: 'Code', model_id: model, model: 'x_ticket', ttype: 'char', state: 'manual', index: false },
      },
    ]);
    await admin.catalog.changed();
    // Written while x_code was not indexed: no entries.
    await admin.store.putMany(tickets(1, 30));
    await admin.store.putMany([
      {
        model: 'ir.model.fields',
        id: BASE_ID_LIMIT + 1,
        version: 2,
        values: { name: 'x_code', field_description: 'Code', model_id: model, model: 'x_ticket', ttype: 'char', state: 'manual', index: true },
      },
    ]);
    await admin.catalog.changed();
    expect(admin.catalog.claims).toMatchObject([{ model: 'x_ticket', field: 'x_code', slot: 1, state: 'building' }]);
    // Written by an instance that knows the claim: with their entries.
    await admin.store.putMany(tickets(31, 30));
    expect((await stores.rawItem('x_ticket', 1))?.x1p).toBeUndefined();
    expect((await stores.rawItem('x_ticket', 31))?.x1p).toBe('x_ticket#x_code#15');
    // Within its TTL the other instance writes by what it loaded (no entry); past it, its store has
    // the catalog checked before the write, and the write has its entry.
    await other.store.putMany(tickets(61, 1));
    expect((await stores.rawItem('x_ticket', 61))?.x1p).toBeUndefined();
    now += CATALOG_TTL_MS + 1;
    await other.store.putMany(tickets(62, 1));
    expect((await stores.rawItem('x_ticket', 62))?.x1p).toBe('x_ticket#x_code#14');

    now += INDEX_FENCE_MS;
    const builder = instance(() => now, 'odoo-rest-lambda-local-indexes');
    const result = await buildIndexes({ store: builder.store, catalog: builder.catalog, clock: () => now });
    expect([result.ready, result.read, result.written]).toStrictEqual([['x_ticket.x_code'], 62, 31]);
    expect((await stores.rawItem('x_ticket', 1))?.x1p).toBe('x_ticket#x_code#1');

    const registry = builder.catalog.registry;
    const found = await searchRecords(
      { registry, store: builder.store },
      { model: getModel(registry, 'x_ticket'), domain: [['x_code', '=', 'A']], limit: 100, order: parseOrder(getModel(registry, 'x_ticket'), 'id') },
    );
    expect([found.plan.strategy, found.plan.via]).toStrictEqual(['index', 'x_code =']);
    expect(found.records.map((r) => r.id).sort((a, b) => a - b)).toStrictEqual(
      tickets(1, 62).filter((t) => t.values.x_code === 'A').map((t) => t.id),
    );
  });
});
