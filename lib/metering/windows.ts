/**
 * Where each count lives in the usage table, and when each period resets: the plan's rate window,
 * the day and month of quota, and the ledger's hours. Pure: the time is always given.
 *
 * Items (table USAGE_TABLE, keys pk + sk):
 *   pk "rate#<client>#<window seconds>#<window index>", sk "-"   units in one rate window (TTL)
 *   pk "quota#<client>#<YYYY-MM>", sk "-"                        `month` and `d<DD>` units (TTL)
 *   pk "ledger#<client>#<YYYY-MM>#<shard>", sk "<DD>T<HH>"      the ledger: per hour, `c|model|method|outcome`
 *                                                                 calls and `u|…` units
 * The ledger is split into LEDGER_SHARDS items per hour, one picked at random per call: a client's
 * writes each add to one in their own transaction, and DynamoDB cancels transactions that touch the
 * same item at the same time (TransactionConflict), so one item per hour would serialise them.
 */
import type { CounterIncrement } from '../records/port';
import type { LimitCounter } from './port';
import type { Outcome, UsageRow } from './ledger';
import { OUTCOMES } from './ledger';
import type { Plan } from './plan';

export const LEDGER_SHARDS = 8;
/** How long the ledger is kept: 400 days, past a year of invoices and their disputes. */
const LEDGER_RETENTION_SECONDS = 400 * 86_400;
/** Kept a little past their period, so a late give-back finds its item. */
const LIMIT_GRACE_SECONDS = 3_600;

const epochSeconds = (time: Date) => Math.floor(time.getTime() / 1000);
const pad = (n: number) => String(n).padStart(2, '0');
/** `2026-12` */
const monthOf = (time: Date) => time.toISOString().slice(0, 7);

/** The rate window's length in seconds: burst / rate, rounded, at least one. */
export function rateWindowSeconds(rate: NonNullable<Plan['rate']>): number {
  return Math.max(1, Math.round(rate.burst / rate.perSecond));
}

/** A limit the plan sets, with the counter it is counted in and when its period ends. */
export interface Limit {
  /** The RateLimit policy's name: "burst", "day" or "month". */
  readonly policy: 'burst' | 'day' | 'month';
  readonly quota: number;
  /** The window's length, seconds (the RateLimit-Policy's `w`). */
  readonly windowSeconds: number;
  /** Epoch seconds when the current period ends. */
  readonly resetsAt: number;
}

/** The day's and month's ends (UTC), epoch seconds. */
function dayEnd(time: Date): number {
  return Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate() + 1) / 1000;
}
function monthEnd(time: Date): number {
  return Date.UTC(time.getUTCFullYear(), time.getUTCMonth() + 1, 1) / 1000;
}
function monthStart(time: Date): number {
  return Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), 1) / 1000;
}

/**
 * The counters a call of `units` takes under `plan` at `now`, each with the limits it holds: the
 * rate window's (one count), and the quota month's (the day's count and the month's, one item, so
 * both are taken or neither).
 */
export function limitCounters(
  clientId: string,
  plan: Plan,
  now: Date,
  units: number,
): { counter: LimitCounter; limits: Limit[] }[] {
  const counters: { counter: LimitCounter; limits: Limit[] }[] = [];
  const seconds = epochSeconds(now);
  if (plan.rate) {
    const window = rateWindowSeconds(plan.rate);
    const index = Math.floor(seconds / window);
    const resetsAt = (index + 1) * window;
    counters.push({
      counter: {
        key: { pk: `rate#${clientId}#${window}#${index}`, sk: '-' },
        counts: [{ attribute: 'used', max: plan.rate.burst - units }],
        expiresAt: resetsAt + LIMIT_GRACE_SECONDS,
      },
      limits: [{ policy: 'burst', quota: plan.rate.burst, windowSeconds: window, resetsAt }],
    });
  }
  const counts: { attribute: string; max: number }[] = [];
  const limits: Limit[] = [];
  if (plan.quotaDay !== undefined) {
    counts.push({ attribute: `d${pad(now.getUTCDate())}`, max: plan.quotaDay - units });
    limits.push({ policy: 'day', quota: plan.quotaDay, windowSeconds: 86_400, resetsAt: dayEnd(now) });
  }
  if (plan.quotaMonth !== undefined) {
    counts.push({ attribute: 'month', max: plan.quotaMonth - units });
    limits.push({
      policy: 'month',
      quota: plan.quotaMonth,
      windowSeconds: monthEnd(now) - monthStart(now),
      resetsAt: monthEnd(now),
    });
  }
  if (counts.length > 0) {
    counters.push({
      counter: {
        key: { pk: `quota#${clientId}#${monthOf(now)}`, sk: '-' },
        counts,
        expiresAt: monthEnd(now) + LIMIT_GRACE_SECONDS,
      },
      limits,
    });
  }
  return counters;
}

/** What the ledger counts of one call. */
export interface LedgerEntry {
  readonly clientId: string;
  readonly model: string;
  readonly method: string;
  readonly outcome: Outcome;
  readonly units: number;
}

const SEPARATOR = '|';
const callsAttribute = (entry: Omit<LedgerEntry, 'units' | 'clientId'>) =>
  ['c', entry.model, entry.method, entry.outcome].join(SEPARATOR);
const unitsAttribute = (entry: Omit<LedgerEntry, 'units' | 'clientId'>) =>
  ['u', entry.model, entry.method, entry.outcome].join(SEPARATOR);

/** The ledger item a call at `time` adds to (shard picked by `shard`, 0 ≤ shard < LEDGER_SHARDS). */
export function ledgerKey(clientId: string, time: Date, shard: number): { pk: string; sk: string } {
  return {
    pk: `ledger#${clientId}#${monthOf(time)}#${shard}`,
    sk: `${pad(time.getUTCDate())}T${pad(time.getUTCHours())}`,
  };
}

/** The ledger partitions of a client's month, one per shard. */
export function ledgerPartitions(clientId: string, month: string): string[] {
  return Array.from({ length: LEDGER_SHARDS }, (_, shard) => `ledger#${clientId}#${month}#${shard}`);
}

/**
 * The increment of one call's count: +1 call and +units under its outcome; `moveFrom` also takes
 * the call back from another outcome (a read counted `ok` beside it that then failed).
 */
export function ledgerIncrement(
  entry: LedgerEntry,
  time: Date,
  shard: number,
  moveFrom?: { outcome: Outcome; units: number },
): CounterIncrement {
  const adds: Record<string, number> = { [callsAttribute(entry)]: 1, [unitsAttribute(entry)]: entry.units };
  if (moveFrom) {
    const from = { ...entry, outcome: moveFrom.outcome };
    adds[callsAttribute(from)] = (adds[callsAttribute(from)] ?? 0) - 1;
    adds[unitsAttribute(from)] = (adds[unitsAttribute(from)] ?? 0) - moveFrom.units;
  }
  return {
    key: ledgerKey(entry.clientId, time, shard),
    adds,
    expiresAt: epochSeconds(time) + LEDGER_RETENTION_SECONDS,
  };
}

/**
 * The rows of one ledger item (its partition names the client and month, its sort key the day and
 * hour); shards of the same hour are summed by the caller (sumRows).
 */
export function rowsOfLedgerItem(
  clientId: string,
  month: string,
  sk: string,
  attributes: Readonly<Record<string, unknown>>,
): UsageRow[] {
  const hour = `${month}-${sk.slice(0, 2)}T${sk.slice(3, 5)}:00:00Z`;
  const rows = new Map<string, { model: string; method: string; outcome: Outcome; calls: number; units: number }>();
  for (const [name, value] of Object.entries(attributes)) {
    const [kind, model, method, outcome, ...rest] = name.split(SEPARATOR);
    if ((kind !== 'c' && kind !== 'u') || rest.length > 0 || typeof value !== 'number') continue;
    if (model === undefined || method === undefined || !(OUTCOMES as readonly string[]).includes(outcome ?? ''))
      continue;
    const id = [model, method, outcome].join(SEPARATOR);
    const row = rows.get(id) ?? { model, method, outcome: outcome as Outcome, calls: 0, units: 0 };
    if (kind === 'c') row.calls += value;
    else row.units += value;
    rows.set(id, row);
  }
  return [...rows.values()]
    .filter((row) => row.calls !== 0 || row.units !== 0)
    .map((row) => ({ clientId, hour, ...row }));
}

/** Rows with the same client, hour (or coarser period, via `period`), model, method and outcome summed. */
export function sumRows(rows: readonly UsageRow[], period: (hour: string) => string = (hour) => hour): UsageRow[] {
  const sums = new Map<string, UsageRow>();
  for (const row of rows) {
    const hour = period(row.hour);
    const id = [row.clientId, hour, row.model, row.method, row.outcome].join('\u0000');
    const sum = sums.get(id);
    sums.set(id, sum ? { ...sum, calls: sum.calls + row.calls, units: sum.units + row.units } : { ...row, hour });
  }
  return [...sums.values()]
    .filter((row) => row.calls !== 0 || row.units !== 0)
    .sort(
      (a, b) =>
        a.hour.localeCompare(b.hour) ||
        a.model.localeCompare(b.model) ||
        a.method.localeCompare(b.method) ||
        a.outcome.localeCompare(b.outcome),
    );
}

/** The months (`YYYY-MM`) that hours in [from, to) fall in. */
export function monthsBetween(from: Date, to: Date): string[] {
  const months: string[] = [];
  for (
    let cursor = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
    cursor < to;
    cursor = new Date(Date.UTC(cursor.getUTCFullYear(), cursor.getUTCMonth() + 1, 1))
  )
    months.push(monthOf(cursor));
  return months;
}
