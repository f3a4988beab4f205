/**
 * The port between metering and its storage (lib/store/dynamodb/usage-table.ts implements it over
 * the usage table). Two kinds of items: limit counters (a plan's rate window, a client's month of
 * quota), each taken with one conditional ADD, and the ledger's hourly counters.
 */
import type { CounterIncrement } from '../records/port';
import type { UsageRow } from './ledger';

export type { CounterIncrement };

/** A usage-table item's key. */
export interface UsageKey {
  readonly pk: string;
  readonly sk: string;
}

/**
 * A counter item with ceilings: one conditional ADD of the same units to each attribute named,
 * which succeeds only if every one stays at or under its `max` (windows.ts builds them).
 */
export interface LimitCounter {
  readonly key: UsageKey;
  readonly counts: readonly { readonly attribute: string; readonly max: number }[];
  /** Epoch seconds: the table's TTL removes the item once its periods are over. */
  readonly expiresAt: number;
}

/** Each count's value: after the ADD when taken, as found when refused. */
export interface TakeOutcome {
  readonly taken: boolean;
  readonly values: readonly number[];
}

export interface MeterStore {
  /** Adds `units` to every count of `counter` if each stays within its max; never partly. */
  take(counter: LimitCounter, units: number): Promise<TakeOutcome>;
  /** Takes `units` back from every count of `counter` (a call that used none after all). */
  giveBack(counter: LimitCounter, units: number): Promise<void>;
  /** Adds to the counters of a ledger item (a read's count, beside the read). */
  add(increment: CounterIncrement): Promise<void>;
  /** The current values of counts (absent: 0), read consistently, for the usage report. */
  readCounts(counter: LimitCounter): Promise<number[]>;
  /** The ledger rows of `clientId` for the hours in [fromHour, toHour) (ISO hours, as UsageRow.hour). */
  ledger(clientId: string, fromHour: string, toHour: string): Promise<UsageRow[]>;
}
