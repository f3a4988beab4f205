/**
 * The usage table on DynamoDB Local (lib/store/dynamodb/usage-table.ts): limit counters taken with
 * conditional ADDs exactly under concurrency, given back, the ledger's counts committed in a
 * write's own transaction across the two tables (and not at all when it is cancelled), and the
 * ledger read back per hour across shards and months.
 */
import { CallMeter } from '../../lib/metering/meter';
import type { Plan } from '../../lib/metering/plan';
import { ledgerIncrement, limitCounters, sumRows } from '../../lib/metering/windows';
import { writeRecords } from '../../lib/records';
import { buildRegistry } from '../../lib/models/registry';
import { TransactionCancelledError } from '../../lib/errors';
import { shippedModels } from '../../models';
import { freshStores } from '../helpers/local';

const registry = buildRegistry(shippedModels);
const NOW = new Date('2026-12-06T05:30:10Z');

describe('the usage table', () => {
  let stores: Awaited<ReturnType<typeof freshStores>>;
  beforeAll(async () => {
    stores = await freshStores({ demo: true });
  });
  afterAll(() => stores.client.destroy());

  it('lets exactly 20 of 50 concurrent calls take the last 20 units of a quota', async () => {
    const plan: Plan = { quotaDay: 20 };
    const counter = limitCounters('race-client', plan, NOW, 1)[0]!.counter;
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => stores.meter.take(counter, 1)));
    expect(outcomes.filter((outcome) => outcome.taken)).toHaveLength(20);
    // Each refusal says what it found: the ceiling reached.
    expect(outcomes.filter((outcome) => !outcome.taken).every((outcome) => outcome.values[0] === 20)).toBe(true);
    expect(new Set(outcomes.filter((outcome) => outcome.taken).map((outcome) => outcome.values[0])).size).toBe(20);
    await stores.meter.giveBack(counter, 1);
    expect(await stores.meter.readCounts(counter)).toEqual([19]);
  });

  it('takes the day and month of one item together, or neither', async () => {
    const plan: Plan = { quotaDay: 2, quotaMonth: 3 };
    const counter = limitCounters('both-client', plan, NOW, 1)[0]!.counter;
    const nextDay = limitCounters('both-client', plan, new Date('2026-12-07T01:00:00Z'), 1)[0]!.counter;
    expect((await stores.meter.take(counter, 1)).taken).toBe(true);
    expect((await stores.meter.take(counter, 1)).taken).toBe(true);
    expect(await stores.meter.take(counter, 1)).toEqual({ taken: false, values: [2, 2] });
    // The next day has units left, the month one: the day's count of the 7th and the month move together.
    expect(await stores.meter.take(nextDay, 1)).toEqual({ taken: true, values: [1, 3] });
    expect(await stores.meter.take(nextDay, 1)).toEqual({ taken: false, values: [1, 3] });
  });

  it('commits a write and its ledger count together, and neither when the transaction is cancelled', async () => {
    const meter = new CallMeter({ store: stores.meter, now: () => NOW }, {
      clientId: 'writer', plan: undefined, model: 'res.partner', method: 'write', units: 1, kind: 'write',
    });
    const caller = { userId: 2, clientId: 'writer' };
    const deps = { registry, store: stores.records, now: () => NOW };
    await writeRecords(deps, { model: 'res.partner', ids: [17], vals: new Map([['color', 5]]), caller, meter: meter.rider });
    const count = ledgerIncrement({ clientId: 'writer', model: 'res.partner', method: 'write', outcome: 'ok', units: 1 }, NOW, 3);
    // A version condition that fails cancels the whole transaction, the count with it.
    await expect(
      stores.records.transact([
        { kind: 'update', key: { model: 'res.partner', id: 17 }, expectedVersion: 0, set: { color: 6 }, after: { color: 6 } },
        { kind: 'count', increment: count },
      ]),
    ).rejects.toBeInstanceOf(TransactionCancelledError);
    const rows = sumRows(await stores.meter.ledger('writer', '2026-12-06T00:00:00Z', '2026-12-07T00:00:00Z'));
    expect(rows).toEqual([
      { clientId: 'writer', hour: '2026-12-06T05:00:00Z', model: 'res.partner', method: 'write', outcome: 'ok', calls: 1, units: 1 },
    ]);
  });

  it('reads the ledger per hour across shards and months, only within the period', async () => {
    const entry = { clientId: 'reader', model: 'res.partner', method: 'search_read', outcome: 'ok' as const, units: 2 };
    const times = ['2026-11-30T23:10:00Z', '2026-12-01T00:05:00Z', '2026-12-01T00:50:00Z', '2026-12-01T02:00:00Z'];
    await Promise.all(times.map((time, i) => stores.meter.add(ledgerIncrement(entry, new Date(time), i % 8))));
    const rows = sumRows(await stores.meter.ledger('reader', '2026-11-30T23:00:00Z', '2026-12-01T02:00:00Z'));
    expect(rows.map((row) => [row.hour, row.calls, row.units])).toEqual([
      ['2026-11-30T23:00:00Z', 1, 2],
      ['2026-12-01T00:00:00Z', 2, 4],
    ]);
  });
});
