/**
 * When a webhook delivery is tried again, and what one attempt's result means. Pure: the consumer
 * that records attempts (status, last error, next attempt) asks these two functions and stores the answers.
 */

/**
 * The retries, as offsets from the first attempt (which is made at once): the Standard Webhooks
 * schedule, so a receiver that is down for up to a day still gets the event. Counting from the first
 * attempt rather than from the previous one keeps the total at 24 h even when an attempt itself ran
 * late (a slow receiver, a throttled consumer): a retry whose time has passed is simply due.
 */
export const RETRY_OFFSETS_SECONDS: readonly number[] = [
  5,
  5 * 60,
  30 * 60,
  2 * 3600,
  5 * 3600,
  10 * 3600,
  14 * 3600,
  20 * 3600,
  24 * 3600,
];

/** Every attempt a delivery gets: the first one and its retries. */
export const MAX_ATTEMPTS = RETRY_OFFSETS_SECONDS.length + 1;

/**
 * When the next attempt is due after `failedAttempts` attempts have failed (0: the first attempt, due
 * at once), or undefined when the schedule is spent and the delivery is given up.
 */
export function nextAttemptAt(firstAttemptAt: Date, failedAttempts: number): Date | undefined {
  if (!Number.isInteger(failedAttempts) || failedAttempts < 0) {
    throw new RangeError(`failedAttempts is a count of attempts, not ${failedAttempts}`);
  }
  if (failedAttempts === 0) return new Date(firstAttemptAt.getTime());
  const offset = RETRY_OFFSETS_SECONDS[failedAttempts - 1];
  return offset === undefined ? undefined : new Date(firstAttemptAt.getTime() + offset * 1000);
}

/** What one attempt came to, as the sender (lib/webhooks/sender.ts) reports it. It never throws for these. */
export type AttemptOutcome =
  /** The receiver answered: its status and the start of its body (kept for the attempt's last error). */
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly body: string;
      /** The body was longer than the sender reads. */
      readonly truncated: boolean;
      /** The Location of a redirect, which is not followed but is worth showing. */
      readonly location?: string;
    }
  /** No complete answer within the attempt's time limit. */
  | { readonly kind: 'timeout'; readonly message: string }
  /** DNS failure, connection refused or reset, TLS failure. */
  | { readonly kind: 'network'; readonly message: string }
  /** The target was not contacted: the URL or an address it resolved to is refused (lib/webhooks/address-guard.ts). */
  | { readonly kind: 'refused'; readonly message: string };

/**
 * What to do after an attempt: `delivered` ends the delivery; `disable` ends it and turns the
 * subscription off (the receiver said 410 Gone: "this endpoint no longer exists", per the spec);
 * `retry` records `error` as the attempt's last error and leaves the schedule to decide.
 */
export type AttemptVerdict =
  | { readonly verdict: 'delivered'; readonly status: number }
  | { readonly verdict: 'disable'; readonly status: number; readonly error: string }
  | { readonly verdict: 'retry'; readonly status?: number; readonly error: string };

/** How much of a receiver's body the last error keeps: enough to recognise the error page. */
export const ERROR_BODY_CHARS = 500;

function bodyExcerpt(body: string, truncated: boolean): string {
  const text = body.replace(/\s+/g, ' ').trim();
  if (text === '') return '';
  const cut = text.length > ERROR_BODY_CHARS || truncated;
  return `: ${text.slice(0, ERROR_BODY_CHARS)}${cut ? '…' : ''}`;
}

export function classifyAttempt(outcome: AttemptOutcome): AttemptVerdict {
  if (outcome.kind !== 'response') return { verdict: 'retry', error: `${outcome.kind}: ${outcome.message}` };
  const { status } = outcome;
  if (status >= 200 && status <= 299) return { verdict: 'delivered', status };
  if (status === 410) {
    return {
      verdict: 'disable',
      status,
      error: `HTTP 410 Gone: the receiver asked to stop${bodyExcerpt(outcome.body, outcome.truncated)}`,
    };
  }
  if (status >= 300 && status <= 399) {
    // A redirect would send a signed event to a URL nobody subscribed (and could point inside the network).
    const to = outcome.location ? ` (Location: ${outcome.location.slice(0, 200)})` : '';
    return { verdict: 'retry', status, error: `HTTP ${status}: redirects are not followed${to}` };
  }
  return { verdict: 'retry', status, error: `HTTP ${status}${bodyExcerpt(outcome.body, outcome.truncated)}` };
}
