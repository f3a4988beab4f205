/**
 * One2many lists kept with their inverse many2ones (lib/records/inverses.ts), through the records
 * core's write, create and unlink over the in-memory store seeded with the demo data: each change
 * of one side changes the other in the same transaction, and deletes find children by the lists.
 */
import fc from 'fast-check';
import { InvalidValueError, WriteConflictError } from '../../../lib/errors';
import { createRecord, unlinkRecords, writeRecords, type StoredRecord } from '../../../lib/records';
import { searchRecords } from '../../../lib/records/search/search';
import { inverseLinks, listOf, relinkLists, withInverseLists } from '../../../lib/records/inverses';
import { updateAction } from '../../../lib/records/port';
import type { PyValue } from '../../../lib/wire/pyvalue';
import { shippedModels } from '../../../models';
import { MemoryRecordStore } from '../../helpers/memory-record-store';
import { caller, demoSetup, NOW, registry, vals } from '../../helpers/demo-core';
import { rejection } from '../../helpers/thrown';


const listIn = (store: MemoryRecordStore, model: string, id: number, field: string) =>
  store.record(model, id)?.values[field];

/** Every one2many list of the store against its inverse many2one: the lists that disagree (none, hopefully). */
function disagreements(records: readonly StoredRecord[]): string[] {
  const problems: string[] = [];
  for (const link of inverseLinks(registry)) {
    const children = new Map<number, number[]>();
    for (const record of records)
      if (record.model === link.childModel && typeof record.values[link.ref.name] === 'number') {
        const parentId = record.values[link.ref.name] as number;
        children.set(parentId, [...(children.get(parentId) ?? []), record.id]);
      }
    for (const record of records) {
      if (record.model !== link.parentModel) continue;
      const list = (record.values[link.list.name] as number[] | undefined) ?? [];
      const expected = (children.get(record.id) ?? []).sort((a, b) => a - b);
      if (
        new Set(list).size !== list.length ||
        JSON.stringify([...list].sort((a, b) => a - b)) !== JSON.stringify(expected)
      )
        problems.push(`${record.model}(${record.id}).${link.list.name} = [${list}], children [${expected}]`);
    }
  }
  return problems;
}

describe('one2many lists and their inverse many2one, kept in one transaction', () => {
  it('the demo data loads consistent: category 1 lists category 3, which names it as its parent', async () => {
    const { store } = await demoSetup();
    expect(listIn(store, 'res.partner.category', 1, 'child_ids')).toEqual([3]);
    expect(listIn(store, 'res.partner', 1, 'child_ids')).toEqual([3]);
    expect(disagreements(store.allRecords())).toEqual([]);
  });

  it("a child's parent_id moved: the old parent drops it, the new one gains it, in the write's one transaction", async () => {
    const { store, deps } = await demoSetup();
    const writeDate = store.record('res.partner', 12)?.values.write_date;
    await writeRecords(deps, { model: 'res.partner', ids: [3], vals: vals([['parent_id', 12]]), caller });
    expect(store.calls.transact).toBe(1);
    expect(listIn(store, 'res.partner', 1, 'child_ids')).toEqual([]);
    expect(listIn(store, 'res.partner', 12, 'child_ids')).toEqual([3]);
    // The parent's version moved (its list changed: an ETag must too); its write_date did not, as in Odoo.
    expect(store.record('res.partner', 12)?.version).toBe(2);
    expect(store.record('res.partner', 12)?.values.write_date).toBe(writeDate);
  });

  it("a parent's list commands write its children's parent_id, and take them from their old parents", async () => {
    const { store, deps } = await demoSetup();
    const [answer] = await writeRecords(deps, {
      model: 'res.partner',
      ids: [12],
      vals: vals([
        [
          'child_ids',
          [
            [4, 3],
            [4, 17],
          ],
        ],
      ]),
      caller,
    });
    expect(answer?.get('child_ids')).toEqual([3, 17]);
    expect([3, 17].map((id) => store.record('res.partner', id)?.values.parent_id)).toEqual([12, 12]);
    expect(listIn(store, 'res.partner', 1, 'child_ids')).toEqual([]);

    await writeRecords(deps, { model: 'res.partner', ids: [12], vals: vals([['child_ids', [[3, 3]]]]), caller });
    expect(store.record('res.partner', 3)?.values.parent_id).toBeNull();
    await writeRecords(deps, { model: 'res.partner', ids: [12], vals: vals([['child_ids', [[6, 0, [20]]]]]), caller });
    expect([17, 20].map((id) => store.record('res.partner', id)?.values.parent_id)).toEqual([null, 12]);
    await writeRecords(deps, { model: 'res.partner', ids: [12], vals: vals([['child_ids', [[5]]]]), caller });
    expect(store.record('res.partner', 20)?.values.parent_id).toBeNull();
    expect(disagreements(store.allRecords())).toEqual([]);
  });

  it('writers adding children to one parent at once do not send each other back: an append, not an update at a version', async () => {
    const { store, deps } = await demoSetup();
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        createRecord(deps, { model: 'res.partner', vals: vals([['name', `C${i}`], ['parent_id', 18]]), caller }),
      ),
    );
    // One commit each: none read the parent again after another's commit.
    expect(store.calls.transact).toBe(10);
    const ids = created.map((record) => record.get('id') as number);
    expect([...(listIn(store, 'res.partner', 18, 'child_ids') as number[])].sort((a, b) => a - b)).toEqual(ids.sort((a, b) => a - b));
    // Its version moved with each (an ETag changes with the list).
    expect(store.record('res.partner', 18)?.version).toBe(11);
    expect(disagreements(store.allRecords())).toEqual([]);
  });

  it('a create with a parent, and one with (0, 0, vals) children: both sides at once', async () => {
    const { store, deps } = await demoSetup();
    const child = await createRecord(deps, {
      model: 'res.partner',
      vals: vals([
        ['name', 'C'],
        ['parent_id', 18],
      ]),
      caller,
    });
    expect(listIn(store, 'res.partner', 18, 'child_ids')).toEqual([child.get('id')]);
    const parent = await createRecord(deps, {
      model: 'res.partner',
      vals: vals([
        ['name', 'P'],
        [
          'child_ids',
          [
            [0, 0, new Map([['name', 'Q']])],
            [4, child.get('id') as number],
          ],
        ],
      ]),
      caller,
    });
    expect((parent.get('child_ids') as number[]).length).toBe(2);
    expect(listIn(store, 'res.partner', 18, 'child_ids')).toEqual([]);
    expect(disagreements(store.allRecords())).toEqual([]);
  });

  it('taking a child off a list whose inverse is ondelete cascade is refused (Odoo deletes it): nothing written', async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();
    const error = await rejection(
      writeRecords(deps, { model: 'res.partner.category', ids: [1], vals: vals([['child_ids', [[3, 3]]]]), caller }),
    );
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as Error).message).toContain('(2, 3)');
    expect(store.allRecords()).toEqual(before);
  });

  it('a required inverse cannot be cleared through its list (a state without a country): refused, nothing written', async () => {
    const { store, deps } = await demoSetup();
    const country = store
      .allRecords()
      .find((r) => r.model === 'res.country' && (r.values.state_ids as number[])?.length);
    const [stateId] = country?.values.state_ids as number[];
    const error = await rejection(
      writeRecords(deps, {
        model: 'res.country',
        ids: [country?.id as number],
        vals: vals([['state_ids', [[3, stateId as number]]]]),
        caller,
      }),
    );
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as Error).message).toContain("'country_id'");
    expect(store.record('res.country.state', stateId as number)?.values.country_id).toBe(country?.id);
  });

  it('a write naming both sides differently is refused, nothing written', async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();
    const error = await rejection(
      writeRecords(deps, {
        model: 'res.partner',
        ids: [12, 3],
        vals: vals([
          ['parent_id', 26],
          ['child_ids', [[4, 3]]],
        ]),
        caller,
      }),
    );
    expect(error).toBeInstanceOf(InvalidValueError);
    expect(store.allRecords()).toEqual(before);
  });

  it("deleting a child drops it from its parent's list; deleting a parent finds its children by its list, walking no model", async () => {
    const { store, deps } = await demoSetup();
    const child = await createRecord(deps, {
      model: 'res.partner',
      vals: vals([
        ['name', 'C'],
        ['parent_id', 1],
      ]),
      caller,
    });
    expect(listIn(store, 'res.partner', 1, 'child_ids')).toEqual([3, child.get('id')]);
    await unlinkRecords(deps, { model: 'res.partner', ids: [child.get('id') as number], caller });
    expect(listIn(store, 'res.partner', 1, 'child_ids')).toEqual([3]);

    await writeRecords(deps, { model: 'res.partner', ids: [17, 20], vals: vals([['parent_id', 12]]), caller });
    store.resetCalls();
    await unlinkRecords(deps, { model: 'res.partner', ids: [12], caller });
    expect([17, 20].map((id) => store.record('res.partner', id)?.values.parent_id)).toEqual([null, null]);
    expect(store.calls.scanModel).toBe(0);
    // Category 1's child 3 (ondelete cascade) goes with it, found the same way.
    await unlinkRecords(deps, { model: 'res.partner.category', ids: [1], caller });
    expect(store.record('res.partner.category', 3)).toBeUndefined();
    expect(disagreements(store.allRecords())).toEqual([]);
  });

  it('a parent being deleted takes no new child: the write waits, then 409, nothing written', async () => {
    const { store, deps } = await demoSetup();
    const marked = store.record('res.partner', 26) as StoredRecord;
    await store.transact([
      {
        kind: 'mark',
        key: { model: 'res.partner', id: 26 },
        expectedVersion: marked.version,
        mark: { until: NOW.getTime() + 60_000, token: 'other' },
        now: NOW.getTime(),
      },
    ]);
    const before = store.allRecords();
    const error = await rejection(
      writeRecords(deps, { model: 'res.partner', ids: [17], vals: vals([['parent_id', 26]]), caller }),
    );
    expect(error).toBeInstanceOf(WriteConflictError);
    expect((error as Error).message).toContain('res.partner(26) is being deleted by another request');
    expect(store.allRecords()).toEqual(before);
  });

  it('children moved away from more parents than one transaction holds: a 400 naming the actions, nothing written', async () => {
    const { store, deps } = await demoSetup();
    // 50 parents with one child each (ids 1001..1100), as loaded data.
    await store.putMany(
      withInverseLists(
        registry,
        Array.from({ length: 100 }, (_, i) => ({
          model: 'res.partner',
          id: 1001 + i,
          version: 1,
          values: { name: `P${i}`, active: true, ...(i >= 50 ? { parent_id: 1001 + i - 50 } : {}) },
        })),
      ),
    );
    const before = store.allRecords();
    const children = Array.from({ length: 50 }, (_, i) => 1051 + i);
    const error = await rejection(writeRecords(deps, { model: 'res.partner', ids: children, vals: vals([['parent_id', 12]]), caller }));
    expect((error as { status?: number }).status).toBe(400);
    expect((error as Error).message).toContain('101 transaction actions');
    expect(store.allRecords()).toEqual(before);
  });

  it('a parent with 50,000 children: a write to it, and a child moved off it, keep the list whole and in order', async () => {
    const { store, deps } = await demoSetup();
    const children = Array.from({ length: 50_000 }, (_, i) => ({
      model: 'res.partner',
      id: 100_000 + i,
      version: 1,
      values: { name: `C${i}`, active: true, parent_id: 26 },
    }));
    await store.putMany(withInverseLists(registry, [store.record('res.partner', 26) as StoredRecord, ...children]));
    await writeRecords(deps, { model: 'res.partner', ids: [26], vals: vals([['street2', 'Big']]), caller });
    await writeRecords(deps, { model: 'res.partner', ids: [100_000], vals: vals([['parent_id', 18]]), caller });
    const list = listIn(store, 'res.partner', 26, 'child_ids') as number[];
    expect([list.length, list[0], list.at(-1)]).toEqual([49_999, 100_001, 149_999]);
    expect(listIn(store, 'res.partner', 18, 'child_ids')).toEqual([100_000]);
  });

  it('a parent that does not exist: 403 naming the field, nothing written', async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();
    const error = await rejection(
      writeRecords(deps, { model: 'res.partner', ids: [17], vals: vals([['parent_id', 999]]), caller }),
    );
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as Error).message).toContain("'parent_id'");
    expect(store.allRecords()).toEqual(before);
  });

  it('a custom field created on ir.model.fields is listed in its model’s field_id', async () => {
    const { store, deps } = await demoSetup();
    const { BASE_ID_LIMIT, baseMetaRecords } = await import('../../../lib/models/catalog');
    // As the catalog writes them: the shipped ones, custom ids from BASE_ID_LIMIT up.
    await store.putMany(baseMetaRecords(registry));
    await store.raiseSequence('ir.model.fields', BASE_ID_LIMIT);
    const partnerModel = store
      .allRecords()
      .find((r) => r.model === 'ir.model' && r.values.model === 'res.partner') as StoredRecord;
    const field = await createRecord(deps, {
      model: 'ir.model.fields',
      vals: vals([
        ['name', 'x_note'],
        ['field_description', 'Note'],
        ['model_id', partnerModel.id],
        ['ttype', 'char'],
        ['state', 'manual'],
      ]),
      caller,
    });
    expect(listIn(store, 'ir.model', partnerModel.id, 'field_id')).toContain(field.get('id'));
    // The catalog's load, which rewrites a shipped model's record when it is out of date, keeps it.
    const { ModelCatalog } = await import('../../../lib/models/catalog');
    await store.transact([updateAction(store.record('ir.model', partnerModel.id) as StoredRecord, { name: 'Outdated' })]);
    await new ModelCatalog(store, shippedModels).reload(true);
    expect(store.record('ir.model', partnerModel.id)?.values).toMatchObject({ name: 'Partner', field_id: expect.arrayContaining([field.get('id')]) });
  });

  it('child_of walks down the lists and parent_of up the parents, reading the hierarchy only, as a walk of the model answers', async () => {
    const { store, deps } = await demoSetup();
    const [top] = [await createRecord(deps, { model: 'res.partner', vals: vals([['name', 'Top']]), caller })];
    const middle = await createRecord(deps, {
      model: 'res.partner',
      vals: vals([
        ['name', 'Mid'],
        ['parent_id', top?.get('id') as number],
      ]),
      caller,
    });
    const leaf = await createRecord(deps, {
      model: 'res.partner',
      vals: vals([
        ['name', 'Leaf'],
        ['parent_id', middle.get('id') as number],
      ]),
      caller,
    });
    const ids = [top, middle, leaf].map((record) => record?.get('id') as number);
    const model = registry.get('res.partner') as NonNullable<ReturnType<typeof registry.get>>;
    const search = (operator: string, id: number, on: MemoryRecordStore) =>
      searchRecords({ registry, store: on }, { model, domain: [['id', operator, id]], limit: 100 }).then((result) =>
        result.records.map((record) => record.id).sort((a, b) => a - b),
      );
    store.resetCalls();
    expect(await search('child_of', ids[0] as number, store)).toEqual(ids);
    expect(await search('parent_of', ids[2] as number, store)).toEqual(ids);
    expect(store.calls.scanModel).toBe(0);
    const planned = await searchRecords({ registry, store }, { model, domain: [['id', 'child_of', ids[0] as number]], limit: 100 });
    expect(planned.plan).toMatchObject({ strategy: 'index', via: 'id child_of', read: 3 });
    // The same answers from the walk of the whole model a table not yet marked takes.
    const unmarked = new MemoryRecordStore({ indexesReady: false });
    await unmarked.putMany(store.allRecords());
    expect(await search('child_of', ids[0] as number, unmarked)).toEqual(ids);
    expect(unmarked.calls.scanModel).toBeGreaterThan(0);
    // A dotted path through the one2many: the children found by the name index name their parents.
    store.resetCalls();
    const viaChildren = await searchRecords({ registry, store }, { model, domain: [['child_ids.name', '=', 'Leaf']], limit: 100 });
    expect(viaChildren.records.map((record) => record.id)).toEqual([ids[1]]);
    expect(viaChildren.plan.strategy).toBe('index');
    expect(store.calls.scanModel).toBe(0);
  });

  it('random changes through every command and route keep both sides in agreement after each (property)', async () => {
    const partnerIds = [1, 3, 7, 12, 17, 18, 20, 26];
    const id = fc.constantFrom(...partnerIds);
    const parent = fc.option(id, { nil: false as const });
    const command = fc.oneof(
      id.map((c) => [4, c]),
      id.map((c) => [3, c]),
      id.map((c) => [2, c]),
      fc.constant([5]),
      fc.array(id, { maxLength: 3 }).map((ids) => [6, 0, ids]),
      fc.constant([0, 0, new Map([['name', 'New']])]),
    );
    const operation = fc.oneof(
      fc.record({
        kind: fc.constant('write' as const),
        ids: fc.uniqueArray(id, { minLength: 1, maxLength: 3 }),
        parent,
      }),
      fc.record({
        kind: fc.constant('list' as const),
        ids: fc.uniqueArray(id, { minLength: 1, maxLength: 2 }),
        commands: fc.array(command, { minLength: 1, maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('create' as const), parent }),
      fc.record({ kind: fc.constant('unlink' as const), ids: fc.uniqueArray(id, { minLength: 1, maxLength: 2 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 8 }), async (operations) => {
        const { store, deps } = await demoSetup();
        for (const op of operations) {
          const run = async () => {
            if (op.kind === 'write')
              await writeRecords(deps, {
                model: 'res.partner',
                ids: op.ids,
                vals: vals([['parent_id', op.parent]]),
                caller,
              });
            else if (op.kind === 'list')
              await writeRecords(deps, {
                model: 'res.partner',
                ids: op.ids,
                vals: vals([['child_ids', op.commands as PyValue]]),
                caller,
              });
            else if (op.kind === 'create')
              await createRecord(deps, {
                model: 'res.partner',
                vals: vals([
                  ['name', 'N'],
                  ['parent_id', op.parent],
                ]),
                caller,
              });
            else await unlinkRecords(deps, { model: 'res.partner', ids: op.ids, caller });
          };
          // What a refused change must leave as it was (a refused delete's marks move versions on, nothing else).
          const values = () => store.allRecords().map(({ model, id, values }) => ({ model, id, values }));
          const before = values();
          try {
            await run();
          } catch (error) {
            // Refused: a missing record, a record another model requires, a request naming both sides.
            if (!(error instanceof Error) || !('status' in error) || (error as { status: number }).status >= 500)
              throw error;
            expect(values()).toEqual(before);
          }
          expect(disagreements(store.allRecords())).toEqual([]);
        }
        // Searches through the lists answer as the walk of the model does.
        const walked = new MemoryRecordStore({ indexesReady: false });
        await walked.putMany(store.allRecords());
        const model = registry.get('res.partner') as NonNullable<ReturnType<typeof registry.get>>;
        for (const domain of [
          [['child_ids.name', '=', 'New']],
          [['child_ids', 'any', [['name', '=like', 'N%']]]],
          [['id', 'child_of', 1]],
          [['parent_id', 'child_of', 12]],
          [['id', 'parent_of', 3]],
        ]) {
          const ids = (on: MemoryRecordStore) =>
            searchRecords({ registry, store: on }, { model, domain, limit: 1000, activeTest: false }).then((result) =>
              result.records.map((record) => record.id),
            );
          expect(await ids(store)).toEqual(await ids(walked));
        }
      }),
      { numRuns: 150, seed: 20261206 },
    );
  });
});

describe('rebuilding the lists of a table written before they were kept', () => {
  it('listOf keeps the places of the ids it keeps and adds the others in id order', () => {
    expect(listOf([5, 3, 9, 3], [9, 1, 3])).toEqual([3, 9, 1]);
    expect(listOf([], [])).toEqual([]);
  });

  it('withInverseLists gives every list exactly the records that point at it', () => {
    const records = withInverseLists(registry, [
      { model: 'res.partner.category', id: 1, version: 1, values: { name: 'A', child_ids: [2] } },
      { model: 'res.partner.category', id: 2, version: 1, values: { name: 'B' } },
      { model: 'res.partner.category', id: 3, version: 1, values: { name: 'C', parent_id: 1 } },
    ]);
    expect(records.map((r) => r.values.child_ids)).toEqual([[3], undefined, undefined]);
  });

  it('relinkLists rebuilds drifted lists from the many2ones, at the version read, and a second run writes nothing', async () => {
    const { store } = await demoSetup();
    const drift = (model: string, id: number, list: number[]) =>
      store.transact([updateAction(store.record(model, id) as StoredRecord, { child_ids: list })]);
    await drift('res.partner.category', 1, []);
    await drift('res.partner', 12, [17, 999]);
    expect(disagreements(store.allRecords())).toHaveLength(2);

    const progress: number[] = [];
    const first = await relinkLists(store, registry, ({ written }) => progress.push(written));
    expect(first.written).toBe(2);
    expect(disagreements(store.allRecords())).toEqual([]);
    expect(listIn(store, 'res.partner.category', 1, 'child_ids')).toEqual([3]);
    expect(progress.at(-1)).toBe(2);
    expect((await relinkLists(store, registry)).written).toBe(0);
  });
});
