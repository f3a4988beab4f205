/**
 * The usage ledger's rows: how many calls a client made, per hour, model, method and outcome, and
 * the units they cost. Counted by the call itself — a write in its own transaction, a read beside
 * the read (meter.ts) — into counters of the usage table (lib/store/dynamodb/usage-table.ts).
 */

/**
 * What became of a call. `ok` — served: a 2xx, or a 304 (the client's copy is current: the call was
 * served, from the read it made) — is billed and uses quota; the others are kept for operators and
 * use none: `client_error` (a 4xx once the call was let in), `server_error` (our 5xx, DynamoDB
 * throttling), `limited` (the plan's 429).
 */
export const OUTCOMES = ['ok', 'client_error', 'server_error', 'limited'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The outcomes that are billed and use quota. */
export const BILLABLE_OUTCOMES: ReadonlySet<Outcome> = new Set(['ok']);

/** One row of the ledger: a client's calls of one method on one model with one outcome, in one UTC hour. */
export interface UsageRow {
  readonly clientId: string;
  /** The hour's start, ISO 8601 UTC: `2026-12-06T05:00:00Z`. */
  readonly hour: string;
  readonly model: string;
  readonly method: string;
  readonly outcome: Outcome;
  readonly calls: number;
  readonly units: number;
}

/** The hour (ISO, as UsageRow.hour) that a time falls in. */
export function hourOf(time: Date): string {
  return `${time.toISOString().slice(0, 13)}:00:00Z`;
}
