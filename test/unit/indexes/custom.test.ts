/**
 * Custom fields' indexes (lib/indexes/custom.ts, build.ts) through the object routes over the
 * in-memory RecordStore, which keeps each record's entries as its last write gave them (as the
 * DynamoDB item does): `index: True` on a custom field claims a free slot (building), every writer
 * that loaded the catalog since writes its entries, the builder fills the rest once the fence has
 * passed and marks it ready, and only then do searches read it; `index: False` drops it the same way.
 */
import type { ApiResult } from '../../../lib/http';
import { buildIndexes } from '../../../lib/indexes/build';
import { INDEX_FENCE_MS, reconcileClaims, type IndexClaim } from '../../../lib/indexes/custom';
import { indexerOf } from '../../../lib/indexes/indexer';
import { indexedFields } from '../../../lib/indexes/keys';
import { buildAccessRules } from '../../../lib/models/access';
import { CATALOG_TTL_MS, ModelCatalog } from '../../../lib/models/catalog';
import { buildRegistry } from '../../../lib/models/registry';
import { routeObjectRequest, type ObjectDeps } from '../../../lib/object-api/router';
import { recordsFromData } from '../../../lib/runtime/demo';
import type { PyDict, PyValue } from '../../../lib/wire/pyvalue';
import { shippedAccessRules, shippedModels } from '../../../models';
import demoData from '../../../scripts/demo-data.json';
import { MemoryRecordStore } from '../../helpers/memory-record-store';
import { objectRequest } from '../../helpers/object-request';

const registry = buildRegistry(shippedModels);
const modelId = (name: string) => registry.models.findIndex((model) => model.model === name) + 1;

interface Instance {
  readonly catalog: ModelCatalog;
  readonly deps: ObjectDeps;
}

/** A store, and Lambda instances over it: each its catalog (and so its indexer), the same clock. */
async function setup() {
  let now = 1_700_000_000_000;
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  const catalogs: ModelCatalog[] = [];
  // Each write is indexed by the catalog of the instance that makes it (`writer`), as each function's store is.
  let writer = 0;
  const store = new MemoryRecordStore({
    indexer: (record) => (catalogs[writer]?.indexer ?? indexerOf(registry))(record),
  });
  await store.putMany(recordsFromData(registry, demoData.records));
  const instance = (): Instance => {
    const catalog = new ModelCatalog(store, shippedModels, clock.now, registry);
    catalogs.push(catalog);
    const deps: ObjectDeps = {
      registry,
      store,
      accessRules: buildAccessRules(shippedAccessRules),
      now: () => new Date(now),
      sleep: async () => {},
      catalog,
    };
    return { catalog, deps };
  };
  /** A call of the Administrator on `target` (`model` or `model/method`), its parameters in the query, asking for the plan. */
  const call = (on: Instance, method: string, target: string, query: Record<string, string>): Promise<ApiResult> => {
    writer = catalogs.indexOf(on.catalog);
    const [model, proxy] = target.split('/') as [string, string | undefined];
    const request = objectRequest({ method, model, proxy, query, headers: { 'x-query-plan': '1' } });
    return routeObjectRequest(on.deps, request);
  };
  const build = (on: Instance) => {
    writer = catalogs.indexOf(on.catalog);
    return buildIndexes({ store, catalog: on.catalog, clock: clock.now });
  };
  return { store, clock, instance, call, build };
}

const dataOf = (result: ApiResult): PyValue =>
  ('data' in result ? result.data : 'payload' in result ? result.payload : result.body) as PyValue;
const idOf = (result: ApiResult) => (dataOf(result) as PyDict).get('id') as number;
const planOf = (result: ApiResult) => String(result.headers?.['X-Query-Plan']);
/** A search's ids (its answer's list). */
const idsOf = (result: ApiResult) => dataOf(result) as number[];

/** A custom model x_ticket with a char x_code, created by `on`; then `count` tickets of codes A, B, C in turn. */
async function tickets(context: Awaited<ReturnType<typeof setup>>, on: Instance, count: number, index = true) {
  const model = idOf(await context.call(on, 'POST', 'ir.model', { vals: "{'model': 'x_ticket', 'name': 'Ticket'}" }));
  const field = idOf(
    await context.call(on, 'POST', 'ir.model.fields', {
      vals: `{'model_id': ${model}, 'name': 'x_code', 'field_description': 'Code', 'ttype': 'char', 'index': ${index ? 'True' : 'False'}}`,
    }),
  );
  for (let i = 0; i < count; i++)
    await context.call(on, 'POST', 'x_ticket', { vals: `{'x_name': 'T${i}', 'x_code': '${'ABC'[i % 3]}'}` });
  return { model, field };
}

const searchA = (context: Awaited<ReturnType<typeof setup>>, on: Instance) =>
  context.call(on, 'GET', 'x_ticket/search', { domain: "[('x_code', '=', 'A')]" });

describe("a custom field's index", () => {
  it('is claimed building, not read by searches until the builder, past the fence, made it ready; then a lookup (and a count) reads it', async () => {
    const context = await setup();
    const a = context.instance();
    await tickets(context, a, 9);
    expect(a.catalog.claims).toMatchObject([{ model: 'x_ticket', field: 'x_code', slot: 1, state: 'building' }]);
    const building = await searchA(context, a);
    expect([idsOf(building).length, planOf(building)]).toStrictEqual([3, 'scan; via="x_ticket (x_code index building)"; entries=0; read=9']);

    // Inside the fence the builder waits.
    context.clock.advance(INDEX_FENCE_MS - 1);
    const early = await context.build(a);
    expect([early.ready, early.waiting.map((w) => w.index)]).toStrictEqual([[], ['x_ticket.x_code']]);
    expect((await searchA(context, a)).headers?.['X-Query-Plan']).toMatch(/^scan/);

    context.clock.advance(1);
    const built = await context.build(a);
    expect([built.ready, built.read]).toStrictEqual([['x_ticket.x_code'], 9]);
    expect(a.catalog.claims).toMatchObject([{ state: 'ready', slot: 1 }]);
    const ready = await searchA(context, a);
    expect(idsOf(ready)).toStrictEqual(idsOf(building));
    expect(planOf(ready)).toMatch(/^index; via="x_code ="; estimated=3; entries=3; read=3$/);
    const count = await context.call(a, 'GET', 'x_ticket/search_count', { domain: "[('x_code', '=', 'A')]" });
    expect([(dataOf(count) as PyDict).get('count'), planOf(count)]).toStrictEqual([3, 'count; via="x_code ="; entries=0; read=0']);
  });

  it('is given by the builder to the records a writer that had not heard of it wrote without their entry', async () => {
    const context = await setup();
    const a = context.instance();
    const b = context.instance();
    await tickets(context, a, 0, false);
    // b loads the catalog (no index yet); then a indexes x_code, and b, inside its TTL, writes a ticket.
    await context.call(b, 'POST', 'x_ticket', { vals: "{'x_name': 'first', 'x_code': 'A'}" });
    const field = a.catalog.registry.get('x_ticket')?.fieldsByName.get('x_code');
    expect(field?.index).toBeUndefined();
    const fieldId = idsOf(await context.call(a, 'GET', 'ir.model.fields/search', { domain: "[('name', '=', 'x_code')]" }));
    await context.call(a, 'PUT', 'ir.model.fields', { ids: String(fieldId[0]), vals: "{'index': True}" });
    context.clock.advance(1_000);
    const stale = idOf(await context.call(b, 'POST', 'x_ticket', { vals: "{'x_name': 'by b', 'x_code': 'A'}" }));
    const known = idOf(await context.call(a, 'POST', 'x_ticket', { vals: "{'x_name': 'by a', 'x_code': 'A'}" }));
    const slot = indexedFields(a.catalog.registry.get('x_ticket') as never).find((f) => f.field.name === 'x_code')?.slot as number;
    expect(context.store.entryOf('x_ticket', stale, slot)).toBeUndefined();
    expect(context.store.entryOf('x_ticket', known, slot)).toBeDefined();

    context.clock.advance(INDEX_FENCE_MS);
    expect((await context.build(a)).ready).toStrictEqual(['x_ticket.x_code']);
    expect(context.store.entryOf('x_ticket', stale, slot)).toBeDefined();
    // b hears of it at its next check (its TTL passed), and reads the index from then on.
    context.clock.advance(CATALOG_TTL_MS + 1);
    const found = await searchA(context, b);
    expect([idsOf(found).length, planOf(found)]).toStrictEqual([3, expect.stringMatching(/^index/)]);
  });

  it('goes on where a stopped build left off (its progress kept in the claim)', async () => {
    const context = await setup();
    const a = context.instance();
    await tickets(context, a, 0, false);
    const many = Array.from({ length: 1_200 }, (_, i) => ({ model: 'x_ticket', id: i + 1, version: 1, values: { x_name: `T${i}`, x_code: 'ABC'[i % 3] as string } }));
    await context.store.putMany(many);
    const fieldId = (idsOf(await context.call(a, 'GET', 'ir.model.fields/search', { domain: "[('name', '=', 'x_code')]" })))[0];
    await context.call(a, 'PUT', 'ir.model.fields', { ids: String(fieldId), vals: "{'index': True}" });
    context.clock.advance(INDEX_FENCE_MS);
    let pages = 0;
    const stopped = await buildIndexes({ store: context.store, catalog: a.catalog, clock: context.clock.now, stop: () => pages++ >= 1 });
    expect([stopped.stopped, stopped.read, a.catalog.claims[0]?.after]).toStrictEqual([true, 500, 500]);
    const rest = await context.build(a);
    expect([rest.read, rest.ready]).toStrictEqual([700, ['x_ticket.x_code']]);
    expect(idsOf(await searchA(context, a))).toHaveLength(400);
  });

  it('is dropped when the field is no longer indexed: searches stop reading it at once, its entries go once the fence passed, and the slot is free again', async () => {
    const context = await setup();
    const a = context.instance();
    const { model, field } = await tickets(context, a, 6);
    context.clock.advance(INDEX_FENCE_MS);
    await context.build(a);
    await context.call(a, 'PUT', 'ir.model.fields', { ids: String(field), vals: "{'index': False}" });
    expect(a.catalog.claims).toMatchObject([{ state: 'dropping', slot: 1 }]);
    const search = await searchA(context, a);
    expect([idsOf(search).length, planOf(search)]).toStrictEqual([2, expect.stringMatching(/^scan/)]);
    // Another field asks for an index meanwhile: the dropping claim still holds slot 1.
    await context.call(a, 'POST', 'ir.model.fields', {
      vals: `{'model_id': ${model}, 'name': 'x_size', 'field_description': 'Size', 'ttype': 'integer', 'index': True}`,
    });
    expect(a.catalog.claims.map((c) => [c.field, c.slot, c.state])).toStrictEqual([
      ['x_code', 1, 'dropping'],
      ['x_size', 2, 'building'],
    ]);
    context.clock.advance(INDEX_FENCE_MS);
    const result = await context.build(a);
    expect([result.dropped, result.ready]).toStrictEqual([['x_ticket.x_code'], ['x_ticket.x_size']]);
    const ids = idsOf(await context.call(a, 'GET', 'x_ticket/search', { domain: '[]' }));
    expect(ids.every((id) => context.store.entryOf('x_ticket', id, 1) === undefined)).toBe(true);
    expect(a.catalog.claims.map((c) => [c.field, c.slot, c.state])).toStrictEqual([['x_size', 2, 'ready']]);
  });

  it('is reported dropped by one of two builders that run at once (the claim goes once)', async () => {
    const context = await setup();
    const a = context.instance();
    const { field } = await tickets(context, a, 3);
    context.clock.advance(INDEX_FENCE_MS);
    await context.build(a);
    await context.call(a, 'PUT', 'ir.model.fields', { ids: String(field), vals: "{'index': False}" });
    context.clock.advance(INDEX_FENCE_MS);
    const runs = await Promise.all([context.build(a), context.build(a)]);
    expect(runs.flatMap((run) => run.dropped)).toStrictEqual(['x_ticket.x_code']);
    expect(a.catalog.claims).toStrictEqual([]);
  });

  it("on a shipped model takes a slot its declared indexes leave free (res.country's 2; res.partner's 9, past its 8 declared), and none once all 10 are taken: the flag is kept, searches walk", async () => {
    const context = await setup();
    const a = context.instance();
    for (const model of ['res.country', 'res.partner'])
      await context.call(a, 'POST', 'ir.model.fields', {
        vals: `{'model_id': ${modelId(model)}, 'name': 'x_region', 'field_description': 'Region', 'ttype': 'char', 'index': True}`,
      });
    expect(a.catalog.claims.map((c) => [c.model, c.slot])).toStrictEqual([
      ['res.country', 2],
      ['res.partner', 9],
    ]);
    const belgium = idsOf(await context.call(a, 'GET', 'res.country/search', { domain: "[('code', '=', 'BE')]" }))[0];
    await context.call(a, 'PUT', 'res.country', { ids: String(belgium), vals: "{'x_region': 'Europe'}" });
    await context.call(a, 'PUT', 'res.partner', { ids: '17', vals: "{'x_region': 'Europe'}" });
    context.clock.advance(INDEX_FENCE_MS);
    await context.build(a);
    const country = await context.call(a, 'GET', 'res.country/search', { domain: "[('x_region', '=', 'Europe')]" });
    const partner = await context.call(a, 'GET', 'res.partner/search', { domain: "[('x_region', '=', 'Europe')]" });
    expect([planOf(country), planOf(partner)]).toStrictEqual([expect.stringMatching(/^index/), expect.stringMatching(/^index/)]);
    expect(idsOf(partner)).toStrictEqual([17]);
    // Two more on res.partner: the tenth slot, then none left (a flag; its searches walk).
    for (const name of ['x_area', 'x_zone'])
      await context.call(a, 'POST', 'ir.model.fields', {
        vals: `{'model_id': ${modelId('res.partner')}, 'name': '${name}', 'field_description': 'Z', 'ttype': 'char', 'index': True}`,
      });
    expect(a.catalog.claims.filter((c) => c.model === 'res.partner').map((c) => [c.field, c.slot])).toStrictEqual([
      ['x_region', 9],
      ['x_area', 10],
    ]);
    await context.call(a, 'PUT', 'res.partner', { ids: '17', vals: "{'x_zone': 'Z1'}" });
    context.clock.advance(INDEX_FENCE_MS);
    await context.build(a);
    const zone = await context.call(a, 'GET', 'res.partner/search', { domain: "[('x_zone', '=', 'Z1')]" });
    expect([idsOf(zone), planOf(zone)]).toStrictEqual([[17], expect.stringMatching(/^scan/)]);
    // The shipped index in slot 1 (code) is untouched.
    const byCode = await context.call(a, 'GET', 'res.country/search', { domain: "[('code', '=', 'BE')]" });
    expect(planOf(byCode)).toMatch(/^index/);
    const fields = dataOf(await context.call(a, 'GET', 'ir.model.fields/search_read', { domain: "[('name', '=', 'x_region')]", fields: "['model', 'index']" })) as PyDict[];
    expect(fields.map((f) => [f.get('model'), f.get('index')])).toStrictEqual([
      ['res.country', true],
      ['res.partner', true],
    ]);
  });

  it("reads as Odoo's `index` on the shipped fields", async () => {
    const context = await setup();
    const a = context.instance();
    const read = dataOf(
      await context.call(a, 'GET', 'ir.model.fields/search_read', { domain: "[('model', '=', 'res.partner'), ('name', 'in', ['ref', 'street'])]", fields: "['name', 'index']" }),
    ) as PyDict[];
    expect(Object.fromEntries(read.map((f) => [f.get('name'), f.get('index')]))).toStrictEqual({ ref: true, street: false });
  });
});

describe('reconcileClaims', () => {
  const field = (id: number, name: string, index = true) => ({ id, model: 'x_ticket', name, type: 'char', index });
  it('claims the lowest free slot per field, drops a claim whose field is gone, and changes nothing when all agree', () => {
    const claimed = reconcileClaims([], [field(1, 'x_a'), field(2, 'x_b'), field(3, 'x_c', false)], registry, 5) as IndexClaim[];
    expect(claimed.map((c) => [c.field, c.slot, c.state, c.since])).toStrictEqual([
      ['x_a', 1, 'building', 5],
      ['x_b', 2, 'building', 5],
    ]);
    expect(reconcileClaims(claimed, [field(1, 'x_a'), field(2, 'x_b')], registry, 6)).toBeUndefined();
    const dropped = reconcileClaims(claimed, [field(2, 'x_b')], registry, 7) as IndexClaim[];
    expect(dropped.map((c) => [c.field, c.state, c.since])).toStrictEqual([
      ['x_a', 'dropping', 7],
      ['x_b', 'building', 5],
    ]);
  });

  it('gives no slot past the tenth, and none of a type no index serves', () => {
    const eleven = Array.from({ length: 11 }, (_, i) => field(i + 1, `x_f${i}`));
    const claims = reconcileClaims([], [...eleven, { id: 20, model: 'x_ticket', name: 'x_flag', type: 'boolean', index: true }], registry, 1) as IndexClaim[];
    expect(claims.map((c) => c.slot)).toStrictEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
