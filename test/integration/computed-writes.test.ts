/**
 * The `where` guard and operators of writeRecords (issue 14) over the real DynamoDB adapter and
 * DynamoDB Local: 20 concurrent reservations `$inc: -1` guarded by `where` credit_limit >= 1 on a
 * stock of 5 take exactly 5 and never go below zero; the guard and the operators are checked and
 * computed again on the re-read after a conflict.
 */
import { PreconditionFailedError, WriteConflictError } from '../../lib/errors';
import { buildRegistry } from '../../lib/models/registry';
import { writeRecords, type Caller, type RecordsDeps } from '../../lib/records';
import { PyFloat, type PyValue } from '../../lib/wire/pyvalue';
import { shippedModels } from '../../models';
import { freshStores, InterferingStore } from '../helpers/local';

const registry = buildRegistry(shippedModels);
const caller: Caller = { userId: 2, clientId: 'test-client' };

let stores: Awaited<ReturnType<typeof freshStores>>;

beforeAll(async () => {
  stores = await freshStores({ demo: true });
});

afterAll(() => stores.client.destroy());

const op = (name: string, operand: PyValue) => new Map<string, PyValue>([[name, operand]]);
const vals = (entries: Record<string, PyValue>) => new Map(Object.entries(entries));
const reserve = { credit_limit: op('$inc', new PyFloat(-1)) };
const guard: PyValue = [['credit_limit', '>=', 1]];


describe('where and operators against DynamoDB Local', () => {
  it('20 concurrent guarded reservations on a stock of 5: exactly 5 commit, the rest are refused, never below zero', async () => {
    const deps: RecordsDeps = { registry, store: stores.records, maxAttempts: 8 };
    await writeRecords(deps, { model: 'res.partner', ids: [18], vals: vals({ credit_limit: new PyFloat(5) }), caller });

    // A 409 (the attempts ran out under this contention) wrote nothing: the client sends it again,
    // until it commits or the guard refuses it (412).
    const reservation = async (): Promise<{ committed: boolean; left: number }> => {
      for (;;) {
        try {
          const [answer] = await writeRecords(deps, {
            model: 'res.partner',
            ids: [18],
            vals: vals(reserve),
            caller,
            where: guard,
          });
          return { committed: true, left: (answer?.get('credit_limit') as PyFloat).value };
        } catch (error) {
          if (error instanceof PreconditionFailedError) return { committed: false, left: -1 };
          if (!(error instanceof WriteConflictError)) throw error;
        }
      }
    };
    const outcomes = await Promise.all(Array.from({ length: 20 }, reservation));

    const committed = outcomes.filter((outcome) => outcome.committed);
    const stored = await stores.rawItem('res.partner', 18);
    expect(stored?.v.credit_limit).toBe(0);
    expect(committed).toHaveLength(5);
    // Each committed reservation saw its own unit: the answers are 4, 3, 2, 1, 0 in some order.
    expect(committed.map((outcome) => outcome.left).sort()).toStrictEqual([0, 1, 2, 3, 4]);
    // Once empty, a reservation is a 412 naming the record.
    await expect(
      writeRecords(deps, { model: 'res.partner', ids: [18], vals: vals(reserve), caller, where: guard }),
    ).rejects.toStrictEqual(
      new PreconditionFailedError('The records res.partner(18) do not match the where domain; nothing was written'),
    );
    expect((await stores.rawItem('res.partner', 18))?.version).toBe(stored?.version);
  });

  it('recomputes and re-checks on the re-read after a conflict: a competing write that emptied the stock wins', async () => {
    await writeRecords(
      { registry, store: stores.records },
      { model: 'res.partner', ids: [26], vals: vals({ credit_limit: new PyFloat(1), color: 1 }), caller },
    );
    const competing = new InterferingStore(stores, async (attempt) => {
      if (attempt === 1)
        await writeRecords(
          { registry, store: stores.records },
          { model: 'res.partner', ids: [26], vals: vals(reserve), caller },
        );
    });

    await expect(
      writeRecords(
        { registry, store: competing, sleep: async () => undefined },
        { model: 'res.partner', ids: [26], vals: vals({ ...reserve, color: op('$inc', 1) }), caller, where: guard },
      ),
    ).rejects.toBeInstanceOf(PreconditionFailedError);

    expect(competing.attempts).toBe(1);
    expect((await stores.rawItem('res.partner', 26))?.v).toMatchObject({ credit_limit: 0, color: 1 });
  });

  it('an operator over the lone conditional UpdateItem recomputes from the fresh read', async () => {
    await writeRecords(
      { registry, store: stores.records },
      { model: 'res.partner', ids: [20], vals: vals({ color: 10 }), caller },
    );
    const competing = new InterferingStore(stores, async (attempt) => {
      if (attempt === 1)
        await writeRecords(
          { registry, store: stores.records },
          { model: 'res.partner', ids: [20], vals: vals({ color: op('$mul', 2) }), caller },
        );
    });

    const [answer] = await writeRecords(
      { registry, store: competing, sleep: async () => undefined },
      { model: 'res.partner', ids: [20], vals: vals({ color: op('$inc', 1) }), caller },
    );

    expect(competing.attempts).toBe(2);
    expect(answer?.get('color')).toBe(21);
    expect((await stores.rawItem('res.partner', 20))?.v.color).toBe(21);
  });
});
