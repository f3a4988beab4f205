/**
 * Metering one call: the plan's limits taken beside the call's first reads, the call counted in
 * the usage ledger, and the RateLimit headers of its answer. The whole flow in one place:
 *
 * - Limits: each counter the plan sets (rate window, day + month of quota) is taken with one
 *   conditional ADD, all at once and beside the call's own reads: no round trip of its own. A write
 *   waits for them before it commits (lib/records/commit.ts's requestReady); a read before it
 *   answers. A call the plan refuses answers 429 (Retry-After: when the refusing period resets)
 *   and uses no quota; units taken for a call that then fails — a 4xx, our 5xx, DynamoDB's
 *   throttling — or that replays an earlier answer (Idempotency-Key) are given back. Exact under
 *   concurrency: DynamoDB applies the ADDs one at a time, each only under its ceiling.
 * - Ledger: a write is counted in its own transaction (the 'count' action), so a write is billed
 *   exactly when it committed; a read is counted `ok` beside the read, and moved to its outcome if
 *   it then fails (one more request, on the failure path only).
 */
import { TooManyRequestsError, withAnswerHeaders } from '../errors';
import type { CounterIncrement } from '../records/port';
import { rateLimitHeaders, type LimitState } from './headers';
import type { Outcome } from './ledger';
import { isLimited, type Plan } from './plan';
import type { LimitCounter, MeterStore } from './port';
import { LEDGER_SHARDS, ledgerIncrement, limitCounters, type LedgerEntry, type Limit } from './windows';

export interface MeterDeps {
  readonly store: MeterStore;
  readonly now?: () => Date;
  /** Picks the ledger item's shard; injectable for tests. */
  readonly random?: () => number;
}

/** What is metered: whose call, of what, costing how many units. */
export interface CallToMeter {
  readonly clientId: string;
  readonly plan: Plan | undefined;
  readonly model: string;
  readonly method: string;
  readonly units: number;
  /** A write is counted in its own transaction; a read beside it. */
  readonly kind: 'read' | 'write';
}

/** The taking of one counter: its limits, and how it went. */
interface Taking {
  readonly counter: LimitCounter;
  readonly limits: readonly Limit[];
  readonly outcome: Promise<{ taken: boolean; values: readonly number[] }>;
}

const isRate = (taking: Taking) => taking.limits.some((limit) => limit.policy === 'burst');

/** The status an error answers with (an AppError's), 500 for anything else. */
const statusOf = (error: unknown): number =>
  typeof (error as { status?: unknown })?.status === 'number' ? (error as { status: number }).status : 500;

export const outcomeOfStatus = (status: number): Outcome =>
  status === 429 ? 'limited' : status >= 500 ? 'server_error' : status >= 400 ? 'client_error' : 'ok';

/**
 * One call's meter. Started when the call is let in (after its parameters are checked); its
 * `allowed` settles with the limits; `succeeded` or `failed` ends it and gives the answer's headers.
 */
export class CallMeter {
  readonly #deps: MeterDeps;
  readonly #call: CallToMeter;
  readonly #at: Date;
  readonly #takings: readonly Taking[];
  /** Resolves when every limit let the call in; rejects with the 429 otherwise. */
  readonly allowed: Promise<void>;
  /** A read's `ok` count, added beside the read. */
  readonly #readCount: Promise<boolean> | undefined;
  #committed = false;
  /** The takings whose units this call gave back. */
  readonly #givenBack = new Set<Taking>();
  readonly #readShard: number;

  constructor(deps: MeterDeps, call: CallToMeter) {
    this.#deps = deps;
    this.#call = call;
    this.#at = deps.now?.() ?? new Date();
    this.#readShard = this.#randomShard();
    this.#takings = isLimited(call.plan)
      ? limitCounters(call.clientId, call.plan, this.#at, call.units).map(({ counter, limits }) => ({
          counter,
          limits,
          outcome: deps.store.take(counter, call.units),
        }))
      : [];
    this.allowed = this.#decide();
    this.allowed.catch(() => undefined); // awaited by the write's commit or by succeeded/failed
    if (call.kind === 'read') {
      this.#readCount = deps.store.add(this.#increment('ok')).then(
        () => true,
        () => false,
      );
    }
  }

  /** What a write carries into its transaction (lib/records/commit.ts's MeteredWrite). */
  get rider() {
    return {
      count: () => this.#increment('ok'),
      allowed: this.allowed,
      committed: () => {
        this.#committed = true;
      },
    };
  }

  /**
   * The call answered `status` (2xx or 304). `served` false: it wrote nothing after all (an
   * Idempotency-Key replay), so its units are given back and nothing is billed. A read's count must
   * have landed before it answers; if it did not, the call fails (a 503) rather than go unbilled.
   */
  async succeeded(served = true): Promise<Record<string, string>> {
    await this.allowed;
    if (this.#call.kind === 'read' && !(await this.#readCount)) {
      await this.#giveBackTaken();
      throw new Error('the usage ledger could not count a read');
    }
    if (!served && !this.#committed) await this.#giveBackTaken();
    return this.#headers(await this.#states());
  }

  /**
   * The call failed with `error`: if the plan refused it, that 429 is the answer (whatever else
   * went wrong); else its units are given back (unless its write committed) and the ledger counts
   * it under its outcome. Returns the error to throw, with the RateLimit headers on it.
   */
  async failed(error: unknown): Promise<unknown> {
    const refusal = await this.allowed.then(
      () => undefined,
      (refused: unknown) => refused,
    );
    const answer = refusal ?? error;
    if (this.#committed && refusal === undefined) {
      // The write committed (and was counted): what failed came after; the units stay used.
      return withAnswerHeaders(answer, this.#headers(await this.#states()));
    }
    const outcome = outcomeOfStatus(statusOf(answer));
    // A refused call gave back what it had to when it was refused (#decide).
    await Promise.all([refusal === undefined ? this.#giveBackTaken() : undefined, this.#countFailure(outcome)]);
    return withAnswerHeaders(answer, this.#headers(await this.#states()));
  }

  /**
   * The ledger's count of this call under `outcome`: a write's in a shard picked afresh for each
   * attempt (one that conflicted on its shard tries another), a read's in one shard, so a failed
   * read's move from `ok` takes its count back from where it was added.
   */
  #increment(outcome: Outcome, moveFrom?: { outcome: Outcome; units: number }): CounterIncrement {
    const { clientId, model, method, units } = this.#call;
    const entry: LedgerEntry = { clientId, model, method, outcome, units: outcome === 'ok' ? units : 0 };
    const shard = this.#call.kind === 'read' ? this.#readShard : this.#randomShard();
    return ledgerIncrement(entry, this.#at, shard, moveFrom);
  }

  #randomShard(): number {
    return Math.floor((this.#deps.random ?? Math.random)() * LEDGER_SHARDS) % LEDGER_SHARDS;
  }

  /** A failed call's count: a read's `ok` moved to `outcome` (if it landed), a write's added. */
  async #countFailure(outcome: Outcome): Promise<void> {
    const moved = this.#call.kind === 'read' && (await this.#readCount);
    await this.#deps.store.add(
      this.#increment(outcome, moved ? { outcome: 'ok', units: this.#call.units } : undefined),
    );
  }

  async #decide(): Promise<void> {
    const outcomes = await Promise.all(this.#takings.map(({ outcome }) => outcome));
    const refused = this.#takings.filter((_, i) => !outcomes[i]?.taken);
    if (refused.length === 0) return;
    // Units taken by the counters that did let the call in go back; the rate window's stay used
    // when only the quota refused (an attempt is an attempt for the rate).
    const rateRefused = refused.some(({ limits }) => limits.some((limit) => limit.policy === 'burst'));
    await this.#giveBack(this.#takings.filter((taking, i) => outcomes[i]?.taken && (rateRefused || !isRate(taking))));
    throw this.#refusal(refused.flatMap(({ limits }) => limits));
  }

  #refusal(limits: readonly Limit[]): TooManyRequestsError {
    const now = this.#at.getTime() / 1000;
    const retryAfter = Math.max(1, Math.ceil(Math.max(...limits.map((limit) => limit.resetsAt)) - now));
    const rate = limits.find((limit) => limit.policy === 'burst');
    if (rate && limits.length === 1) {
      return new TooManyRequestsError(
        'RATE_LIMITED',
        `Rate limit exceeded: this client may use ${rate.quota} units per ${rate.windowSeconds} s; retry in ${retryAfter} s`,
        retryAfter,
      );
    }
    const quota = limits.find((limit) => limit.policy !== 'burst') as Limit;
    return new TooManyRequestsError(
      'QUOTA_EXCEEDED',
      `${quota.policy === 'day' ? 'Daily' : 'Monthly'} quota of ${quota.quota} units used up; it resets at ` +
        `${new Date(quota.resetsAt * 1000).toISOString().replace('.000Z', 'Z')}`,
      retryAfter,
    );
  }

  /** Gives back the units of every counter that took them and kept them (a call that used none after all). */
  async #giveBackTaken(): Promise<void> {
    const outcomes = await Promise.all(this.#takings.map(({ outcome }) => outcome.catch(() => undefined)));
    await this.#giveBack(this.#takings.filter((taking, i) => outcomes[i]?.taken && !this.#givenBack.has(taking)));
  }

  async #giveBack(takings: readonly Taking[]): Promise<void> {
    for (const taking of takings) this.#givenBack.add(taking);
    await Promise.all(takings.map(({ counter }) => this.#deps.store.giveBack(counter, this.#call.units)));
  }

  /** Each limit with its units used now: as the take left it, less what this call gave back. */
  async #states(): Promise<LimitState[]> {
    const outcomes = await Promise.all(this.#takings.map(({ outcome }) => outcome.catch(() => undefined)));
    return this.#takings.flatMap((taking, i) => {
      const outcome = outcomes[i];
      const returned = outcome?.taken && this.#givenBack.has(taking) ? this.#call.units : 0;
      return taking.limits.map((limit, j) => ({ limit, used: (outcome?.values[j] ?? 0) - returned }));
    });
  }

  #headers(states: readonly LimitState[]): Record<string, string> {
    return rateLimitHeaders(states, this.#at.getTime() / 1000);
  }
}

/**
 * The RateLimit headers of an answer given before a call was metered (its parameters were
 * refused, say): the plan's counts as they are now, read consistently (error paths only).
 */
export async function currentRateLimitHeaders(
  deps: MeterDeps,
  clientId: string,
  plan: Plan | undefined,
): Promise<Record<string, string>> {
  if (!isLimited(plan)) return {};
  const at = deps.now?.() ?? new Date();
  const counters = limitCounters(clientId, plan, at, 0);
  const values = await Promise.all(counters.map(({ counter }) => deps.store.readCounts(counter)));
  const states = counters.flatMap(({ limits }, i) => limits.map((limit, j) => ({ limit, used: values[i]?.[j] ?? 0 })));
  return rateLimitHeaders(states, at.getTime() / 1000);
}
