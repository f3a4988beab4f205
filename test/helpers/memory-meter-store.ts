/**
 * An in-memory MeterStore for unit tests, with DynamoDB's semantics where the metering core relies
 * on them: a take is all or nothing per item (ADD only if every count stays within its max), the
 * values come back after a take and before a refusal, and a ledger count committed by a write's
 * transaction (MemoryRecordStore's 'count' actions) lands in the same items the reads add to.
 */
import type { UsageRow } from '../../lib/metering/ledger';
import type { CounterIncrement, LimitCounter, MeterStore, TakeOutcome } from '../../lib/metering/port';
import { ledgerPartitions, monthsBetween, rowsOfLedgerItem } from '../../lib/metering/windows';

type Counts = Map<string, number>;

export class MemoryMeterStore implements MeterStore {
  /** Items by `pk|sk`. */
  readonly items = new Map<string, Counts>();
  /** Calls per method, for tests that count round trips. */
  readonly calls = { take: 0, giveBack: 0, add: 0, readCounts: 0, ledger: 0 };
  /** The next `take` calls throw this (a DynamoDB outage) instead of answering. */
  failTakes: Error | undefined;

  #item(key: { pk: string; sk: string }): Counts {
    const id = `${key.pk}|${key.sk}`;
    let item = this.items.get(id);
    if (!item) this.items.set(id, (item = new Map()));
    return item;
  }

  async take(counter: LimitCounter, units: number): Promise<TakeOutcome> {
    this.calls.take++;
    if (this.failTakes) throw this.failTakes;
    const item = this.#item(counter.key);
    const before = counter.counts.map(({ attribute }) => item.get(attribute) ?? 0);
    if (counter.counts.some(({ max }, i) => (before[i] as number) > max)) return { taken: false, values: before };
    counter.counts.forEach(({ attribute }, i) => item.set(attribute, (before[i] as number) + units));
    return { taken: true, values: before.map((value) => value + units) };
  }

  async giveBack(counter: LimitCounter, units: number): Promise<void> {
    this.calls.giveBack++;
    const item = this.#item(counter.key);
    for (const { attribute } of counter.counts) item.set(attribute, (item.get(attribute) ?? 0) - units);
  }

  async add(increment: CounterIncrement): Promise<void> {
    this.calls.add++;
    this.apply(increment);
  }

  /** A ledger count as a committed transaction applies it (not counted as a call). */
  apply({ key, adds }: CounterIncrement): void {
    const item = this.#item(key);
    for (const [attribute, amount] of Object.entries(adds)) item.set(attribute, (item.get(attribute) ?? 0) + amount);
  }

  async readCounts(counter: LimitCounter): Promise<number[]> {
    this.calls.readCounts++;
    const item = this.items.get(`${counter.key.pk}|${counter.key.sk}`);
    return counter.counts.map(({ attribute }) => item?.get(attribute) ?? 0);
  }

  async ledger(clientId: string, fromHour: string, toHour: string): Promise<UsageRow[]> {
    this.calls.ledger++;
    const rows: UsageRow[] = [];
    for (const month of monthsBetween(new Date(fromHour), new Date(toHour))) {
      for (const partition of ledgerPartitions(clientId, month)) {
        for (const [id, counts] of this.items) {
          const [pk, sk] = id.split('|') as [string, string];
          if (pk !== partition) continue;
          rows.push(...rowsOfLedgerItem(clientId, month, sk, Object.fromEntries(counts)));
        }
      }
    }
    return rows.filter((row) => row.hour >= fromHour && row.hour < toHour);
  }
}
