/**
 * A client's usage for a period, from the ledger, with what is left of its plan's limits now: what
 * `GET /restapi/1.0/usage` answers and what the admin CLI exports.
 */
import { BadRequestError } from '../errors';
import { BILLABLE_OUTCOMES, hourOf, type UsageRow } from './ledger';
import type { MeterDeps } from './meter';
import { isLimited, type Plan } from './plan';
import { limitCounters, sumRows } from './windows';

export const GRANULARITIES = ['hour', 'day'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** The longest period one report reads: a year and a day (the ledger keeps 400 days). */
const MAX_PERIOD_DAYS = 366;
const HOUR_MS = 3_600_000;

export interface UsagePeriod {
  /** ISO hours: the first hour in, and the first hour after. */
  readonly fromHour: string;
  readonly toHour: string;
}

/** A time as given: `2026-12-06`, `2026-12-06T05`, `2026-12-06T05:30:00Z`...; undefined when absent. */
function parseTime(name: string, text: string | undefined): Date | undefined {
  if (text === undefined || text === '') return undefined;
  const normalised = /^\d{4}-\d{2}-\d{2}$/.test(text)
    ? `${text}T00:00:00Z`
    : /^\d{4}-\d{2}-\d{2}T\d{2}$/.test(text)
      ? `${text}:00:00Z`
      : text;
  const time = new Date(normalised);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(normalised) || Number.isNaN(time.getTime()))
    throw new BadRequestError(
      `'${name}' must be a UTC date or time, e.g. ${name}=2026-12-01 or ${name}=2026-12-06T05:00:00Z`,
    );
  return time;
}

/**
 * The period of [from, to), widened to whole hours: by default from the start of the current
 * month to the end of the current hour. A period that ends before it starts, or longer than a
 * year, is a 400.
 */
export function usagePeriod(from: string | undefined, to: string | undefined, now: Date): UsagePeriod {
  const start = parseTime('from', from) ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = parseTime('to', to) ?? new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS);
  const fromMs = Math.floor(start.getTime() / HOUR_MS) * HOUR_MS;
  const toMs = Math.ceil(end.getTime() / HOUR_MS) * HOUR_MS;
  if (toMs <= fromMs) throw new BadRequestError("'to' must come after 'from'");
  if (toMs - fromMs > MAX_PERIOD_DAYS * 24 * HOUR_MS)
    throw new BadRequestError(`A usage period covers at most ${MAX_PERIOD_DAYS} days; ask for several`);
  return { fromHour: hourOf(new Date(fromMs)), toHour: hourOf(new Date(toMs)) };
}

export function granularityOf(text: string | undefined): Granularity {
  const granularity = text === undefined || text === '' ? 'hour' : text;
  if (!(GRANULARITIES as readonly string[]).includes(granularity))
    throw new BadRequestError(`'granularity' must be one of ${GRANULARITIES.join(', ')}`);
  return granularity as Granularity;
}

/** A limit of the plan as it stands now. */
export interface LimitNow {
  readonly policy: 'burst' | 'day' | 'month';
  readonly quota: number;
  readonly used: number;
  readonly remaining: number;
  /** ISO time the period resets at. */
  readonly resetsAt: string;
}

export interface UsageReport {
  readonly clientId: string;
  readonly period: UsagePeriod;
  readonly granularity: Granularity;
  /** Summed per period (an hour, or a day as `2026-12-06`), model, method and outcome. */
  readonly rows: readonly UsageRow[];
  readonly totals: { calls: number; units: number; billableCalls: number; billableUnits: number };
  readonly limits: readonly LimitNow[];
}

export const dayOfHour = (hour: string) => hour.slice(0, 10);

/** The report of `clientId`'s usage in `period`, and its limits now (read consistently). */
export async function usageReport(
  deps: MeterDeps,
  clientId: string,
  plan: Plan | undefined,
  period: UsagePeriod,
  granularity: Granularity,
): Promise<UsageReport> {
  const now = deps.now?.() ?? new Date();
  const counters = isLimited(plan) ? limitCounters(clientId, plan, now, 0) : [];
  const [ledger, values] = await Promise.all([
    deps.store.ledger(clientId, period.fromHour, period.toHour),
    Promise.all(counters.map(({ counter }) => deps.store.readCounts(counter))),
  ]);
  const rows = sumRows(ledger, granularity === 'day' ? dayOfHour : undefined);
  const totals = { calls: 0, units: 0, billableCalls: 0, billableUnits: 0 };
  for (const row of rows) {
    totals.calls += row.calls;
    totals.units += row.units;
    if (BILLABLE_OUTCOMES.has(row.outcome)) {
      totals.billableCalls += row.calls;
      totals.billableUnits += row.units;
    }
  }
  const limits = counters.flatMap(({ limits: periodLimits }, i) =>
    periodLimits.map((limit, j) => {
      const used = values[i]?.[j] ?? 0;
      return {
        policy: limit.policy,
        quota: limit.quota,
        used,
        remaining: Math.max(0, limit.quota - used),
        resetsAt: new Date(limit.resetsAt * 1000).toISOString().replace('.000Z', 'Z'),
      };
    }),
  );
  return { clientId, period, granularity, rows, totals, limits };
}
