/**
 * Operators in vals and the `where` guard (issue 14) through writeRecords, over the in-memory
 * store seeded with the demo data: each record computed from its own value as read, recomputed
 * and re-checked on the read of every attempt, nothing written when any record fails.
 */
import fc from 'fast-check';
import {
  BadRequestError,
  InvalidFieldError,
  InvalidValueError,
  PreconditionFailedError,
  WriteConflictError,
} from '../../../lib/errors';
import { buildRegistry } from '../../../lib/models/registry';
import {
  createRecord,
  unlinkRecords,
  writeRecords,
  type RecordsDeps,
  type StoredRecord,
  type StoredValue,
} from '../../../lib/records';
import { recordsFromData } from '../../../lib/runtime/demo';
import { PyFloat, type PyValue } from '../../../lib/wire/pyvalue';
import { shippedModels } from '../../../models';
import demoData from '../../../scripts/demo-data.json';
import { MemoryRecordStore } from '../../helpers/memory-record-store';
import { rejection } from '../../helpers/thrown';

const registry = buildRegistry(shippedModels);
const NOW = new Date('2024-03-04T05:06:07Z');
const COMMIT_TIME = '2024-03-04 05:06:07';
const caller = { userId: 2, clientId: 'client-a' };

async function demoSetup(options: { maxAttempts?: number } = {}) {
  const store = new MemoryRecordStore();
  await store.putMany(recordsFromData(registry, demoData.records));
  store.resetCalls();
  const deps: RecordsDeps = { registry, store, now: () => NOW, sleep: async () => undefined, ...options };
  return { store, deps };
}

const op = (name: string, operand: PyValue) => new Map<string, PyValue>([[name, operand]]);
const vals = (entries: Array<[string, PyValue]>) => new Map(entries);
const partner = (store: MemoryRecordStore, id: number) => store.record('res.partner', id) as StoredRecord;

/** Sets values on stored partners behind the core's back (another request's committed write). */
async function setValues(store: MemoryRecordStore, id: number, set: Record<string, StoredValue>) {
  const current = partner(store, id);
  await store.putMany([{ ...current, version: current.version + 1, values: { ...current.values, ...set } }]);
}

describe('operators through writeRecords', () => {
  it('gives each record its own result from its own value, in one commit, with $now the write_date', async () => {
    const { store, deps } = await demoSetup();
    await setValues(store, 17, { credit_limit: 100, color: 4, ref: 'A' });
    store.resetCalls();

    const answer = await writeRecords(deps, {
      model: 'res.partner',
      ids: [12, 17, 20],
      vals: vals([
        ['credit_limit', op('$inc', new PyFloat(0.5))],
        ['color', op('$mul', 3)],
        ['ref', op('$append', '-checked')],
        ['date', op('$now', true)],
      ]),
      caller,
    });

    expect(
      answer.map((record) => ['credit_limit', 'color', 'ref', 'date', 'write_date'].map((name) => record.get(name))),
    ).toEqual([
      [new PyFloat(5000.5), 9, '-checked', '2024-03-04', COMMIT_TIME],
      [new PyFloat(100.5), 12, 'A-checked', '2024-03-04', COMMIT_TIME],
      [new PyFloat(0.5), 0, '-checked', '2024-03-04', COMMIT_TIME],
    ]);
    expect(partner(store, 20).values).toMatchObject({
      credit_limit: 0.5,
      color: 0,
      ref: '-checked',
      date: '2024-03-04',
    });
    expect(store.calls.transact).toBe(1);
  });

  it('goes through the lone conditional Update of one record the same way', async () => {
    const { store, deps } = await demoSetup();
    await writeRecords(deps, {
      model: 'res.partner',
      ids: [12],
      vals: vals([['credit_limit', op('$inc', -1000)]]),
      caller,
    });
    expect(partner(store, 12).values.credit_limit).toBe(4000);
  });

  it('on a version conflict recomputes from the fresh read: another $inc landing first is not lost', async () => {
    const { store, deps } = await demoSetup();
    store.beforeNextTransact(() => setValues(store, 12, { credit_limit: 7000 }));

    const [answer] = await writeRecords(deps, {
      model: 'res.partner',
      ids: [12],
      vals: vals([['credit_limit', op('$inc', 100)]]),
      caller,
    });

    expect(answer?.get('credit_limit')).toEqual(new PyFloat(7100));
    expect(partner(store, 12).values.credit_limit).toBe(7100);
    expect(store.calls.transact).toBe(2);
  });

  it('sequential $inc writes from arbitrary interleavings of foreign writes add up exactly (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.integer({ min: -50, max: 50 }),
            fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: undefined }),
          ),
          { maxLength: 8 },
        ),
        async (steps) => {
          const { store, deps } = await demoSetup({ maxAttempts: 2 });
          let expected = 3; // Azure Interior's color in the demo data.
          for (const [by, foreign] of steps) {
            // A foreign write landing between our read and our commit moves the base we compute from.
            if (foreign !== undefined) {
              store.beforeNextTransact(() => setValues(store, 12, { color: foreign }));
              expected = foreign;
            }
            await writeRecords(deps, {
              model: 'res.partner',
              ids: [12],
              vals: vals([['color', op('$inc', by)]]),
              caller,
            });
            expected += by;
            expect(partner(store, 12).values.color).toBe(expected);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('an integer leaving int4 on one record is a 403 naming it, and nothing is written', async () => {
    const { store, deps } = await demoSetup();
    await setValues(store, 20, { color: 2 ** 31 - 10 });
    const before = store.allRecords();
    store.resetCalls();

    const error = await rejection(
      writeRecords(deps, { model: 'res.partner', ids: [12, 20], vals: vals([['color', op('$inc', 10)]]), caller }),
    );

    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as Error).message).toBe(
      "Invalid value for field 'color' (integer) of res.partner(20): '$inc' gives 2147483648, outside Odoo's integer range -2147483648 to 2147483647; nothing was written",
    );
    expect(store.allRecords()).toEqual(before);
    expect(store.calls.transact).toBe(0);
  });

  it('refuses operators in a create and inside x2many commands, naming the operator and field', async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();
    const created = await rejection(
      createRecord(deps, {
        model: 'res.partner',
        vals: vals([
          ['name', 'N'],
          ['color', op('$inc', 1)],
        ]),
        caller,
      }),
    );
    expect(created).toBeInstanceOf(InvalidValueError);
    expect((created as Error).message).toMatch(/^Operator '\$inc' on field 'color' is not allowed in create \(POST\)/);

    const nested = await rejection(
      writeRecords(deps, {
        model: 'res.partner',
        ids: [12],
        vals: vals([['child_ids', [[1, 17, vals([['color', op('$inc', 1)]])]]]]),
        caller,
      }),
    );
    expect((nested as Error).message).toMatch(
      /^Operator '\$inc' on field 'color' is not allowed inside \(1, id, vals\) on field 'child_ids'/,
    );
    const inCreate = await rejection(
      writeRecords(deps, {
        model: 'res.partner',
        ids: [12],
        vals: vals([
          [
            'child_ids',
            [
              [
                0,
                0,
                vals([
                  ['name', 'C'],
                  ['ref', op('$append', 'x')],
                ]),
              ],
            ],
          ],
        ]),
        caller,
      }),
    );
    expect((inCreate as Error).message).toMatch(
      /^Operator '\$append' on field 'ref' is not allowed inside \(0, 0, vals\)/,
    );
    expect(store.allRecords()).toEqual(before);
  });

  it('refuses a bad operator before reading anything', async () => {
    const { store, deps } = await demoSetup();
    const error = await rejection(
      writeRecords(deps, { model: 'res.partner', ids: [12], vals: vals([['is_company', op('$inc', 1)]]), caller }),
    );
    expect((error as Error).message).toBe(
      "Invalid operator for field 'is_company' (boolean) on model 'res.partner': '$inc' applies to fields of type integer, float, monetary, not boolean",
    );
    expect(store.calls.getMany).toBe(0);
  });
});

describe('the where guard', () => {
  const guard = [['credit_limit', '>=', 100]] as PyValue;

  it('writes when every record matches it', async () => {
    const { store, deps } = await demoSetup();
    await writeRecords(deps, {
      model: 'res.partner',
      ids: [12],
      vals: vals([['credit_limit', op('$inc', -100)]]),
      caller,
      where: guard,
    });
    expect(partner(store, 12).values.credit_limit).toBe(4900);
  });

  it('is a 412 naming the records that do not match, and nothing is written', async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();

    const error = await rejection(
      writeRecords(deps, {
        model: 'res.partner',
        ids: [17, 12, 20],
        vals: vals([['credit_limit', op('$inc', -100)]]),
        caller,
        where: guard,
      }),
    );

    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect([
      (error as PreconditionFailedError).status,
      (error as PreconditionFailedError).code,
      (error as Error).message,
    ]).toEqual([
      412,
      'PRECONDITION_FAILED',
      'The records res.partner(17, 20) do not match the where domain; nothing was written',
    ]);
    expect(store.allRecords()).toEqual(before);
    expect(store.calls.transact).toBe(0);
  });

  it('is checked again on the re-read after a conflict: a write that took the credit below the guard wins', async () => {
    const { store, deps } = await demoSetup();
    store.beforeNextTransact(() => setValues(store, 12, { credit_limit: 50 }));

    const error = await rejection(
      writeRecords(deps, {
        model: 'res.partner',
        ids: [12],
        vals: vals([['credit_limit', op('$inc', -100)]]),
        caller,
        where: guard,
      }),
    );

    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect(partner(store, 12).values.credit_limit).toBe(50);
    expect(store.calls.transact).toBe(1);
  });

  it('never takes a value below the guard, whatever foreign writes interleave (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }), { maxLength: 10 }),
        async (foreigns) => {
          const { store, deps } = await demoSetup({ maxAttempts: 2 });
          await setValues(store, 20, { credit_limit: 250 });
          for (const foreign of foreigns) {
            let landed = false;
            if (foreign !== undefined)
              store.beforeNextTransact(async () => {
                landed = true;
                await setValues(store, 20, { credit_limit: foreign });
              });
            const before = partner(store, 20).values.credit_limit as number;
            const outcome = await writeRecords(deps, {
              model: 'res.partner',
              ids: [20],
              vals: vals([['credit_limit', op('$inc', -100)]]),
              caller,
              where: guard,
            }).then(
              () => 'written',
              (error: unknown) => {
                if (error instanceof PreconditionFailedError || error instanceof WriteConflictError) return 'refused';
                throw error;
              },
            );
            const after = partner(store, 20).values.credit_limit as number;
            expect(after).toBeGreaterThanOrEqual(0);
            // The foreign write landed before our commit (we computed from it) or not at all (we were refused at the read).
            const base = landed ? (foreign as number) : before;
            expect(after).toBe(outcome === 'written' ? base - 100 : base);
            if (foreign !== undefined && !landed) {
              expect(outcome).toBe('refused');
              // Runs the queued foreign write now (a harmless check commits), so the next step starts clean.
              await store.transact([{ kind: 'check', key: { model: 'res.partner', id: 1 }, now: NOW.getTime() }]);
              expect(partner(store, 20).values.credit_limit).toBe(foreign);
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('combines with ordinary values and other operators; & and | and ! work', async () => {
    const { store, deps } = await demoSetup();
    await writeRecords(deps, {
      model: 'res.partner',
      ids: [12, 18],
      vals: vals([['city', 'Ghent']]),
      caller,
      where: ['|', ['credit_limit', '>', 1000], '!', ['country_id', '!=', 233]] as PyValue,
    });
    expect([partner(store, 12).values.city, partner(store, 18).values.city]).toEqual(['Ghent', 'Ghent']);
  });

  it('refuses dotted paths and other sub-searches with a 400, and unknown fields with a 403, before reading', async () => {
    const { store, deps } = await demoSetup();
    const write = (where: PyValue) =>
      writeRecords(deps, { model: 'res.partner', ids: [12], vals: vals([['city', 'X']]), caller, where });
    for (const where of [
      [['country_id.code', '=', 'US']],
      [['country_id', '=', 'United States']],
      [['parent_id', 'child_of', 12]],
    ] as PyValue[]) {
      const error = await rejection(write(where));
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as Error).message).toMatch(/^'where' may only compare fields of the written records themselves/);
    }
    expect(await rejection(write([['nope', '=', 1]]))).toBeInstanceOf(InvalidFieldError);
    expect(store.calls.getMany).toBe(0);
  });

  it('runs the precondition on the records as read, on every attempt, before anything is written', async () => {
    const { store, deps } = await demoSetup();
    const seen: number[][] = [];
    store.beforeNextTransact(() => setValues(store, 12, { color: 9 }));
    await writeRecords(deps, {
      model: 'res.partner',
      ids: [12],
      vals: vals([['color', op('$inc', 1)]]),
      caller,
      precondition: (records) => void seen.push(records.map((record) => record.version)),
    });
    expect(seen).toEqual([[1], [2]]);
    expect(partner(store, 12).values.color).toBe(10);

    const refused = await rejection(
      writeRecords(deps, {
        model: 'res.partner',
        ids: [12],
        vals: vals([['color', 0]]),
        caller,
        precondition: () => {
          throw new PreconditionFailedError('changed');
        },
      }),
    );
    expect(refused).toBeInstanceOf(PreconditionFailedError);
    expect(partner(store, 12).values.color).toBe(10);
  });

  it('unlink runs its precondition on the records as read, and deletes nothing when it throws', async () => {
    const { store, deps } = await demoSetup();
    const error = await rejection(
      unlinkRecords(deps, {
        caller,
        model: 'res.partner',
        ids: [26],
        precondition: ([record]) => {
          throw new PreconditionFailedError(`version ${record?.version}`);
        },
      }),
    );
    expect((error as Error).message).toBe('version 1');
    expect(partner(store, 26)).toBeDefined();
    await unlinkRecords(deps, { caller, model: 'res.partner', ids: [26], precondition: () => undefined });
    expect(store.record('res.partner', 26)).toBeUndefined();
  });

  it("unlink's precondition sees the records as before its own marks when an attempt is retried", async () => {
    const { store, deps } = await demoSetup();
    const seen: number[] = [];
    // The commit of the first attempt loses a race (its marks are on the record by then); the retry re-reads.
    store.beforeNextTransact(
      () => store.failNextTransact('conflict'),
      1,
      (actions) => actions.some((action) => action.kind === 'delete'),
    );
    await unlinkRecords(deps, {
      caller,
      model: 'res.partner',
      ids: [26],
      precondition: ([record]) => {
        seen.push(record?.version ?? -1);
        if (record?.version !== 1) throw new PreconditionFailedError(`version ${record?.version}`);
      },
    });
    expect(store.record('res.partner', 26)).toBeUndefined();
    expect(seen.length).toBeGreaterThan(1);
    expect(new Set(seen)).toStrictEqual(new Set([1]));
  });
});
