/**
 * `npm run admin -- export-usage`: the usage ledger of one or more clients for a period, as a file
 * for people (CSV, JSON) or for billing (Stripe meter events, AWS Marketplace BatchMeterUsage
 * requests, each as JSON Lines). It sends nothing. Formats: lib/metering/export.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { listClients } from '../lib/auth/admin';
import type { AuthStore } from '../lib/auth/credentials';
import {
  ExportError,
  jsonLines,
  marketplaceBatches,
  stripeMeterEvents,
  usageCsv,
  usageJson,
} from '../lib/metering/export';
import type { UsageRow } from '../lib/metering/ledger';
import type { MeterStore } from '../lib/metering/port';
import { usagePeriod } from '../lib/metering/report';
import { sumRows } from '../lib/metering/windows';

const FORMATS = ['csv', 'json', 'stripe', 'marketplace'] as const;
/** Calls in flight at the turn of an hour are counted into it for at most a Lambda's timeout; 5 minutes is ample. */
const DEFAULT_SETTLE_SECONDS = 300;
/** The exit status when billable usage was left out of a billing file (so a cron job notices). */
export const LEFT_OUT_STATUS = 3;

export interface ExportValues {
  readonly format?: string | undefined;
  readonly client?: readonly string[] | undefined;
  readonly 'client-id'?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly out?: string | undefined;
  readonly settle?: string | undefined;
  readonly 'event-name'?: string | undefined;
  readonly customers?: string | undefined;
  readonly 'product-code'?: string | undefined;
  readonly dimension?: string | undefined;
  readonly accounts?: string | undefined;
}

export interface ExportDeps {
  readonly store: AuthStore;
  readonly meter: MeterStore;
  readonly out: (line: string) => void;
  readonly err?: NodeJS.WritableStream | undefined;
  readonly now?: Date;
}

/** A JSON file mapping client ids to billing accounts (`{"client id": "cus_..."}`). */
function mappingFile(path: string | undefined, option: string): (clientId: string) => string | undefined {
  if (!path) throw new ExportError(`--${option} FILE.json is required: {"<client id>": "<account>", ...}`);
  let mapping: unknown;
  try {
    mapping = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ExportError(`--${option} ${path}: ${(error as Error).message}`);
  }
  if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping))
    throw new ExportError(`--${option} ${path} must hold one JSON object of client ids to accounts`);
  const accounts = mapping as Record<string, unknown>;
  return (clientId) => (typeof accounts[clientId] === 'string' ? (accounts[clientId] as string) : undefined);
}

function settleOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_SETTLE_SECONDS;
  const seconds = Number(text);
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new ExportError('--settle must be a whole number of seconds');
  return seconds;
}

/** The period's defaults: csv/json the month so far; Stripe the last day; Marketplace the last 6 hours. */
function defaultFrom(format: (typeof FORMATS)[number], now: Date): string | undefined {
  const hoursBack = format === 'stripe' ? 24 : format === 'marketplace' ? 6 : undefined;
  return hoursBack === undefined ? undefined : new Date(now.getTime() - hoursBack * 3_600_000).toISOString();
}

/** Runs the export; its exit status (LEFT_OUT_STATUS when a billing file had to leave usage out). */
export async function exportUsage(values: ExportValues, deps: ExportDeps): Promise<number> {
  const format = FORMATS.find((name) => name === values.format);
  if (!format) throw new ExportError(`--format must be one of ${FORMATS.join(', ')}`);
  const now = deps.now ?? new Date();
  const period = usagePeriod(values.from ?? defaultFrom(format, now), values.to, now);
  const named = [...(values.client ?? []), ...(values['client-id'] ? [values['client-id']] : [])];
  const clientIds = named.length > 0 ? named : (await listClients(deps.store)).map((client) => client.clientId);
  const rows: UsageRow[] = [];
  for (const clientId of clientIds) rows.push(...(await deps.meter.ledger(clientId, period.fromHour, period.toHour)));
  const summed = sumRows(rows);
  const say = (line: string) => deps.err?.write(`${line}\n`);
  let text: string;
  let status = 0;
  const leftOut = (what: string, items: readonly unknown[]) => {
    if (items.length === 0) return;
    say(`left out (${what}): ${items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(', ')}`);
  };
  if (format === 'csv') text = usageCsv(summed);
  else if (format === 'json') text = `${JSON.stringify(usageJson(summed, { from: new Date(period.fromHour), to: new Date(period.toHour) }), null, 2)}\n`;
  else if (format === 'stripe') {
    const { events, left } = stripeMeterEvents(summed, {
      eventName: values['event-name'] ?? '',
      customerOf: mappingFile(values.customers, 'customers'),
      now,
      settleSeconds: settleOf(values.settle),
    });
    text = jsonLines(events);
    leftOut('hours still open: export them again later', left.open);
    leftOut('older than Stripe takes', left.tooOld);
    leftOut('no Stripe customer', left.noCustomer);
    leftOut('not a Stripe customer id', left.badCustomer);
    if (left.tooOld.length + left.noCustomer.length + left.badCustomer.length > 0) status = LEFT_OUT_STATUS;
    say(`${events.length} meter events`);
  } else {
    const { batches, left } = marketplaceBatches(summed, {
      productCode: values['product-code'] ?? '',
      dimension: values.dimension ?? '',
      customerAccountOf: mappingFile(values.accounts, 'accounts'),
      now,
      settleSeconds: settleOf(values.settle),
    });
    text = jsonLines(batches);
    leftOut('hours still open: export them again later', left.open);
    leftOut('6 hours old or more, which Marketplace rejects', left.stale);
    leftOut('no AWS account', left.noAccount);
    leftOut('not a 12-digit AWS account id', left.badAccount);
    leftOut('quantity too large for one record', left.tooLarge);
    const lost = left.stale.length + left.noAccount.length + left.badAccount.length + left.tooLarge.length;
    if (lost > 0) status = LEFT_OUT_STATUS;
    say(`${batches.length} BatchMeterUsage requests`);
  }
  if (values.out) {
    writeFileSync(values.out, text, { mode: 0o600 });
    say(`wrote ${values.out} (${clientIds.length} clients, ${period.fromHour} to ${period.toHour})`);
  } else {
    for (const line of text.replace(/\r?\n$/, '').split(/\r?\n/)) if (line !== '') deps.out(line);
  }
  return status;
}
