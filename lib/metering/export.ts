/**
 * The usage ledger as files for billing: CSV and JSON for people and spreadsheets, Stripe meter
 * events (JSON Lines of `POST /v1/billing/meter_events` bodies) and AWS Marketplace
 * `BatchMeterUsage` request bodies. Pure: the rows, the mappings from clients to billing accounts
 * and the time (`now`) are parameters, so the same inputs always give the same bytes. Sending the
 * files (and reading the ledger) is the admin CLI's business.
 *
 * Why only closed hours go to the billing systems: both deduplicate a re-sent usage by its key
 * (Stripe by `identifier`, Marketplace by customer, dimension and hour), so a second export of an
 * hour that was still counting would be dropped, not added: the calls made after the first export
 * would never be billed. An hour is closed once it has ended and `settleSeconds` have passed (calls
 * in flight at the turn of the hour are still counted into it).
 */
import { createHash } from 'node:crypto';
import { BILLABLE_OUTCOMES, type UsageRow } from './ledger';

/**
 * Inputs an export cannot work with (an option the operator got wrong, a malformed ledger row): the
 * CLI prints the message and writes nothing.
 */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

const HOUR_MS = 3_600_000;
const HOUR_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/;

/** The epoch milliseconds at which a ledger hour (`2026-12-06T05:00:00Z`) starts. */
function hourStart(hour: string): number {
  const time = HOUR_PATTERN.test(hour) ? Date.parse(hour) : NaN;
  // Date.parse rolls impossible dates over (Feb 30) in some engines: the round trip catches them.
  if (Number.isNaN(time) || new Date(time).toISOString() !== `${hour.slice(0, 19)}.000Z`)
    throw new ExportError(`the ledger hour '${hour}' is not an hour such as 2026-12-06T05:00:00Z`);
  return time;
}

function checkCount(value: number, what: string, row: UsageRow): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new ExportError(
      `the ledger row of ${row.clientId} at ${row.hour} (${row.model} ${row.method} ${row.outcome}) has ${what} ${value}, not a whole number`,
    );
}

function checkRow(row: UsageRow): void {
  hourStart(row.hour);
  checkCount(row.calls, 'calls', row);
  checkCount(row.units, 'units', row);
}

function checkTime(now: Date, settleSeconds: number): number {
  const time = now.getTime();
  if (Number.isNaN(time)) throw new ExportError('now is not a valid time');
  if (!Number.isSafeInteger(settleSeconds) || settleSeconds < 0)
    throw new ExportError('the settle time must be a whole number of seconds, 0 or more');
  return time;
}

/** Code unit order, not the locale's: the same rows sort the same everywhere. */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** By hour, client, model, method, outcome. */
function compareRows(a: UsageRow, b: UsageRow): number {
  return (
    compareText(a.hour, b.hour) ||
    compareText(a.clientId, b.clientId) ||
    compareText(a.model, b.model) ||
    compareText(a.method, b.method) ||
    compareText(a.outcome, b.outcome)
  );
}

const sortedRows = (rows: readonly UsageRow[]): UsageRow[] => [...rows].sort(compareRows);
const sortedUnique = (values: Iterable<string>): string[] => [...new Set(values)].sort(compareText);

/** Whether `hour` can still grow at `now`: it has not ended `settleMs` ago. */
const isOpen = (start: number, now: number, settleMs: number): boolean => start + HOUR_MS + settleMs > now;

// ---------------------------------------------------------------------------------------------
// CSV

export const CSV_HEADER = ['client_id', 'hour', 'model', 'method', 'outcome', 'calls', 'units'] as const;

/** An RFC 4180 field: quoted (quotes doubled) when it holds a comma, a quote, CR or LF. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The rows as RFC 4180 CSV: a header line, then one line per row sorted by hour, client, model,
 * method and outcome; CRLF after every line, the last one included. Values are written as they
 * are (no spreadsheet-formula escaping), so the file parses back to the ledger exactly.
 */
export function usageCsv(rows: readonly UsageRow[]): string {
  rows.forEach(checkRow);
  const lines = [CSV_HEADER.join(',')];
  for (const row of sortedRows(rows))
    lines.push(
      [row.clientId, row.hour, row.model, row.method, row.outcome, String(row.calls), String(row.units)]
        .map(csvField)
        .join(','),
    );
  return lines.map((line) => `${line}\r\n`).join('');
}

// ---------------------------------------------------------------------------------------------
// JSON

export interface UsageTotals {
  readonly calls: number;
  readonly units: number;
  /** Of the calls whose outcome is billed (BILLABLE_OUTCOMES). */
  readonly billableCalls: number;
  readonly billableUnits: number;
}

export interface UsageJson {
  /** The period's start (included) and end (excluded), ISO 8601 UTC. */
  readonly from: string;
  readonly to: string;
  readonly rows: readonly UsageRow[];
  readonly totals: UsageTotals;
}

export interface UsagePeriod {
  readonly from: Date;
  readonly to: Date;
}

/**
 * The period's rows (sorted as in the CSV) and their totals. The rows are the ledger's for
 * [from, to); one whose hour starts outside it is a bug in the query that fetched them: it throws
 * rather than put usage in a period it does not belong to.
 */
export function usageJson(rows: readonly UsageRow[], period: UsagePeriod): UsageJson {
  const from = period.from.getTime();
  const to = period.to.getTime();
  if (Number.isNaN(from) || Number.isNaN(to) || from > to)
    throw new ExportError('the period must run from a valid time to a valid time no earlier');
  let calls = 0;
  let units = 0;
  let billableCalls = 0;
  let billableUnits = 0;
  for (const row of rows) {
    checkRow(row);
    const start = hourStart(row.hour);
    if (start < from || start >= to)
      throw new ExportError(`the ledger row of ${row.clientId} at ${row.hour} is outside the period`);
    calls += row.calls;
    units += row.units;
    if (BILLABLE_OUTCOMES.has(row.outcome)) {
      billableCalls += row.calls;
      billableUnits += row.units;
    }
  }
  return {
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    rows: sortedRows(rows).map((row) => ({
      clientId: row.clientId,
      hour: row.hour,
      model: row.model,
      method: row.method,
      outcome: row.outcome,
      calls: row.calls,
      units: row.units,
    })),
    totals: { calls, units, billableCalls, billableUnits },
  };
}

/** JSON Lines: one compact JSON value per line, each line ending in LF (empty for no values). */
export function jsonLines(values: readonly unknown[]): string {
  return values.map((value) => `${JSON.stringify(value)}\n`).join('');
}

// ---------------------------------------------------------------------------------------------
// Billable units per key, over closed hours

interface BillableGroup {
  readonly clientId: string;
  readonly hour: string;
  readonly start: number;
  readonly model: string;
  readonly method: string;
  readonly units: number;
}

/**
 * The billable units per (client, hour, model, method) of the closed hours, sorted, without the
 * groups of no billable units; and the open hours (any row in them, billable or not: the hour is
 * not complete yet, so the operator exports it again later).
 */
function billableGroups(
  rows: readonly UsageRow[],
  now: number,
  settleMs: number,
): { groups: BillableGroup[]; open: string[] } {
  const groups = new Map<string, BillableGroup>();
  const open = new Set<string>();
  for (const row of sortedRows(rows)) {
    checkRow(row);
    const start = hourStart(row.hour);
    if (isOpen(start, now, settleMs)) {
      open.add(row.hour);
      continue;
    }
    if (!BILLABLE_OUTCOMES.has(row.outcome) || row.units === 0) continue;
    const key = JSON.stringify([row.clientId, row.hour, row.model, row.method]);
    const group = groups.get(key);
    groups.set(key, {
      clientId: row.clientId,
      hour: row.hour,
      start,
      model: row.model,
      method: row.method,
      units: (group?.units ?? 0) + row.units,
    });
  }
  return { groups: [...groups.values()], open: sortedUnique(open) };
}

/** Calls `of` once per client: the mapping may be a lookup the caller counts on being cheap. */
function memoized(of: (clientId: string) => string | undefined): (clientId: string) => string | undefined {
  const known = new Map<string, string | undefined>();
  return (clientId) => {
    if (!known.has(clientId)) known.set(clientId, of(clientId));
    return known.get(clientId);
  };
}

// ---------------------------------------------------------------------------------------------
// Stripe meter events

/** Stripe refuses meter events whose timestamp is more than 35 days in the past. */
export const STRIPE_MAX_AGE_SECONDS = 35 * 24 * 3600;
/** Stripe's limit on a meter event's identifier. */
export const STRIPE_IDENTIFIER_MAX = 100;

const STRIPE_CUSTOMER = /^cus_[A-Za-z0-9]+$/;
/** Parts that may appear as they are in a readable identifier: no `|` (the separator) and no `:`. */
const IDENTIFIER_PART = /^[A-Za-z0-9._-]+$/;

/** A `POST /v1/billing/meter_events` body. */
export interface StripeMeterEvent {
  readonly event_name: string;
  readonly payload: {
    readonly stripe_customer_id: string;
    /** The billable units, a whole number written as a string, as Stripe's form API takes it. */
    readonly value: string;
    readonly model: string;
    readonly method: string;
  };
  readonly identifier: string;
  /** Epoch seconds: the start of the hour the usage was counted in. */
  readonly timestamp: number;
}

export interface StripeOptions {
  /** The meter's event_name. */
  readonly eventName: string;
  /** The Stripe customer (`cus_...`) billed for a client, undefined for none. */
  readonly customerOf: (clientId: string) => string | undefined;
  readonly now: Date;
  /** How long after an hour's end it is still counted into (calls in flight): 0 or more. */
  readonly settleSeconds: number;
}

export interface StripeExport {
  readonly events: readonly StripeMeterEvent[];
  readonly left: {
    /** Hours not closed at `now`: export them again later. */
    readonly open: readonly string[];
    /** Hours with billable usage older than Stripe takes (35 days): bill them another way. */
    readonly tooOld: readonly string[];
    /** Clients with billable usage and no Stripe customer. */
    readonly noCustomer: readonly string[];
    /** Clients whose customer is not a Stripe customer id (`cus_...`). */
    readonly badCustomer: readonly string[];
  };
}

/**
 * The identifier of one event: the same for the same (meter, client, hour, model, method) in every
 * export, so Stripe drops a re-sent event, and different for any other. Readable
 * (`api_calls|client-1|20261206T05|res.partner|write`) when every part is plain and the whole fits
 * in 100 characters; otherwise `sha256:` and the hash of the parts. A readable identifier never
 * holds a `:`, a hashed one always does, so the two forms cannot meet. The meter's name is part of
 * it because Stripe's uniqueness window may span meters.
 */
export function stripeIdentifier(
  eventName: string,
  clientId: string,
  hour: string,
  model: string,
  method: string,
): string {
  const compactHour = `${hour.slice(0, 4)}${hour.slice(5, 7)}${hour.slice(8, 10)}T${hour.slice(11, 13)}`;
  const parts = [eventName, clientId, compactHour, model, method];
  const readable = parts.join('|');
  if (parts.every((part) => IDENTIFIER_PART.test(part)) && readable.length <= STRIPE_IDENTIFIER_MAX) return readable;
  const digest = createHash('sha256')
    .update(JSON.stringify([eventName, clientId, hour, model, method]), 'utf8')
    .digest('hex');
  return `sha256:${digest}`;
}

/**
 * One meter event per (client, hour, model, method) of the closed hours, with that key's billable
 * units summed; sorted by hour, client, model, method. Written as JSON Lines (jsonLines), one
 * request body a line. Stripe enforces identifier uniqueness over a rolling 24 hours only: export
 * each closed hour once, or re-send a file within a day of its first sending.
 */
export function stripeMeterEvents(rows: readonly UsageRow[], options: StripeOptions): StripeExport {
  const now = checkTime(options.now, options.settleSeconds);
  if (!IDENTIFIER_PART.test(options.eventName) || options.eventName.length > STRIPE_IDENTIFIER_MAX)
    throw new ExportError(
      `the meter event name '${options.eventName}' must be letters, digits, '.', '_' or '-' (at most 100)`,
    );
  const customerOf = memoized(options.customerOf);
  const { groups, open } = billableGroups(rows, now, options.settleSeconds * 1000);
  const tooOld = new Set<string>();
  const noCustomer = new Set<string>();
  const badCustomer = new Set<string>();
  const events: StripeMeterEvent[] = [];
  for (const group of groups) {
    if (group.start < now - STRIPE_MAX_AGE_SECONDS * 1000) {
      tooOld.add(group.hour);
      continue;
    }
    const customer = customerOf(group.clientId);
    if (customer === undefined || customer === '') {
      noCustomer.add(group.clientId);
      continue;
    }
    if (!STRIPE_CUSTOMER.test(customer)) {
      badCustomer.add(group.clientId);
      continue;
    }
    events.push({
      event_name: options.eventName,
      payload: {
        stripe_customer_id: customer,
        value: String(group.units),
        model: group.model,
        method: group.method,
      },
      identifier: stripeIdentifier(options.eventName, group.clientId, group.hour, group.model, group.method),
      timestamp: group.start / 1000,
    });
  }
  return {
    events,
    left: {
      open,
      tooOld: sortedUnique(tooOld),
      noCustomer: sortedUnique(noCustomer),
      badCustomer: sortedUnique(badCustomer),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// AWS Marketplace BatchMeterUsage

/** At most 25 usage records per BatchMeterUsage request. */
export const MARKETPLACE_BATCH_MAX = 25;
/** Marketplace rejects records whose hour is 6 hours old or more. */
export const MARKETPLACE_MAX_AGE_SECONDS = 6 * 3600;
/** A usage record's Quantity is at most 2^31 - 1. */
export const MARKETPLACE_QUANTITY_MAX = 2_147_483_647;
/** ProductCode and Dimension are 1 to 255 characters. */
const MARKETPLACE_NAME_MAX = 255;
const AWS_ACCOUNT = /^\d{12}$/;

export interface MarketplaceUsageRecord {
  readonly CustomerAWSAccountID: string;
  readonly Dimension: string;
  readonly Quantity: number;
  /** The hour's start, ISO 8601 as JSON writes a Date (`2026-12-06T05:00:00.000Z`). */
  readonly Timestamp: string;
}

/** A BatchMeterUsage request body (also the AWS CLI's `--cli-input-json`). */
export interface MarketplaceBatch {
  readonly ProductCode: string;
  readonly UsageRecords: readonly MarketplaceUsageRecord[];
}

export interface MarketplaceOptions {
  readonly productCode: string;
  readonly dimension: string;
  /** The customer's AWS account id (12 digits) for a client, undefined for none. */
  readonly customerAccountOf: (clientId: string) => string | undefined;
  readonly now: Date;
  /** How long after an hour's end it is still counted into (calls in flight): 0 or more. */
  readonly settleSeconds: number;
}

export interface MarketplaceExport {
  readonly batches: readonly MarketplaceBatch[];
  readonly left: {
    /** Hours not closed at `now`: export them again later. */
    readonly open: readonly string[];
    /** Hours with billable usage 6 hours old or more, which Marketplace rejects: bill them another way. */
    readonly stale: readonly string[];
    /** Clients with billable usage and no AWS account. */
    readonly noAccount: readonly string[];
    /** Clients whose account is not a 12-digit AWS account id. */
    readonly badAccount: readonly string[];
    /** (account, hour) pairs whose units exceed a record's Quantity (2^31 - 1): not sent. */
    readonly tooLarge: readonly { readonly account: string; readonly hour: string; readonly quantity: number }[];
  };
}

/**
 * BatchMeterUsage request bodies: one record per (customer account, closed hour) with the billable
 * units of its clients summed (Marketplace holds one quantity per customer, dimension and hour and
 * answers a second, different one with DuplicateRecord, so two clients of one account must be one
 * record); records without units are left out. Sorted by hour and account, then cut into requests
 * of at most 25 records, so the same inputs give the same requests, which Marketplace treats as
 * idempotent. Stale hours are left out, not sent to be rejected: run the export hourly.
 */
export function marketplaceBatches(rows: readonly UsageRow[], options: MarketplaceOptions): MarketplaceExport {
  const now = checkTime(options.now, options.settleSeconds);
  for (const [name, value] of [
    ['product code', options.productCode],
    ['dimension', options.dimension],
  ] as const)
    if (value.length === 0 || value.length > MARKETPLACE_NAME_MAX)
      throw new ExportError(`the ${name} must be 1 to ${MARKETPLACE_NAME_MAX} characters`);
  const accountOf = memoized(options.customerAccountOf);
  const { groups, open } = billableGroups(rows, now, options.settleSeconds * 1000);
  const stale = new Set<string>();
  const noAccount = new Set<string>();
  const badAccount = new Set<string>();
  const quantities = new Map<string, { account: string; hour: string; start: number; quantity: number }>();
  for (const group of groups) {
    if (group.start <= now - MARKETPLACE_MAX_AGE_SECONDS * 1000) {
      stale.add(group.hour);
      continue;
    }
    const account = accountOf(group.clientId);
    if (account === undefined || account === '') {
      noAccount.add(group.clientId);
      continue;
    }
    if (!AWS_ACCOUNT.test(account)) {
      badAccount.add(group.clientId);
      continue;
    }
    const key = `${group.hour} ${account}`;
    const sum = quantities.get(key);
    quantities.set(key, {
      account,
      hour: group.hour,
      start: group.start,
      quantity: (sum?.quantity ?? 0) + group.units,
    });
  }
  const records: MarketplaceUsageRecord[] = [];
  const tooLarge: { account: string; hour: string; quantity: number }[] = [];
  const ordered = [...quantities.values()].sort(
    (a, b) => compareText(a.hour, b.hour) || compareText(a.account, b.account),
  );
  for (const { account, hour, start, quantity } of ordered) {
    if (quantity > MARKETPLACE_QUANTITY_MAX) {
      tooLarge.push({ account, hour, quantity });
      continue;
    }
    records.push({
      CustomerAWSAccountID: account,
      Dimension: options.dimension,
      Quantity: quantity,
      Timestamp: new Date(start).toISOString(),
    });
  }
  const batches: MarketplaceBatch[] = [];
  for (let index = 0; index < records.length; index += MARKETPLACE_BATCH_MAX)
    batches.push({
      ProductCode: options.productCode,
      UsageRecords: records.slice(index, index + MARKETPLACE_BATCH_MAX),
    });
  return {
    batches,
    left: {
      open,
      stale: sortedUnique(stale),
      noAccount: sortedUnique(noAccount),
      badAccount: sortedUnique(badAccount),
      tooLarge,
    },
  };
}
