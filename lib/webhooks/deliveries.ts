/**
 * The webhook delivery engine, pure over its two ports (lib/webhooks/port.ts):
 * - fanOut: a batch of committed changes (in stream order) × the subscriptions that want each one →
 *   one delivery record per pair, its body fixed there and then, and the jobs queued in the same order;
 * - attemptDelivery: one attempt of one delivery, when the queue runs its job: signed, sent with the
 *   hardened sender, recorded, and its next attempt scheduled (or the delivery ended).
 *
 * Delivery is at least once (DESIGN §2): a receiver may see an event twice (an attempt whose answer was
 * lost), always with the same webhook-id, which is what it deduplicates on. The body never changes
 * between attempts, so neither does what the signature covers but the timestamp.
 */
import { createHash } from 'node:crypto';
import { isInternalModel, type Change } from '../changes/change';
import { PayloadTooLargeError } from '../errors';
import type { ModelRegistry } from '../models/registry';
import type { Logger } from '../runtime/log';
import { classifyAttempt, nextAttemptAt, type AttemptOutcome } from './schedule';
import { sendDelivery, type DeliveryRequest } from './sender';
import { signDelivery } from './signature';
import { matches, readSubscriptions, type Subscription } from './subscription';
import {
  laneOf,
  type AttemptLogEntry,
  type AttemptResult,
  type Delivery,
  type DeliveryJob,
  type DeliveryQueue,
  type DeliveryUpdate,
  type WebhookStore,
} from './port';

/** An attempt's whole deadline: the Standard Webhooks spec suggests 15 to 30 s. */
export const ATTEMPT_TIMEOUT_MS = 15_000;
/** How much of a receiver's answer is read: enough for an error page's start, never a download. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** Deliveries created at once by a fan-out (each is a round trip or two). */
const CREATE_CONCURRENCY = 8;

export interface FanOutDeps {
  readonly store: WebhookStore;
  readonly queue: DeliveryQueue;
  /** The models subscriptions are read against (shipped and custom). */
  readonly registry: () => Promise<ModelRegistry>;
  readonly now?: () => Date;
  readonly log?: Logger;
}

export interface FanOutCounts {
  readonly changes: number;
  /** Deliveries queued (change × matching subscription). */
  readonly deliveries: number;
  /** Of those, how many were new records (the rest: the batch was handed over before). */
  readonly created: number;
  /** Subscriptions skipped because their model, fields or domain no longer hold. */
  readonly unusable: number;
  /** Deliveries left out because their event is too large to store (logged as errors). */
  readonly tooLarge: number;
}

/** The webhook-id of a change sent to a subscription: stable, so a second fan-out finds the same delivery. */
export function deliveryEventId(changeId: string, subscriptionId: number): string {
  const digest = createHash('sha256').update(`${changeId}\u0000${subscriptionId}`).digest('base64url');
  return `msg_${digest.slice(0, 32)}`;
}

/** The change's write_date (Odoo's UTC text) as ISO 8601, or `fallback` without one. */
function changeTimestamp(writeDate: string | null, fallback: Date): string {
  const parsed = writeDate === null ? Number.NaN : Date.parse(`${writeDate.replace(' ', 'T')}Z`);
  return (Number.isNaN(parsed) ? fallback : new Date(parsed)).toISOString();
}

/**
 * The most a delivery's body holds: EventBridge's bound for one event, well under a record item's
 * 400 KB (the body is kept on the delivery record) and what any receiver takes.
 */
export const MAX_EVENT_BYTES = 256 * 1024;

/**
 * The exact bytes every attempt of the delivery sends and signs. A change too large for one body (big
 * text fields) goes without its values, saying so, as its EventBridge event does: never dropped.
 */
export function eventBody(change: Change, now: Date): string {
  const { data } = change;
  const timestamp = changeTimestamp(data.write_date, now);
  const body = JSON.stringify({ type: data.type, timestamp, data });
  if (Buffer.byteLength(body, 'utf8') <= MAX_EVENT_BYTES) return body;
  return JSON.stringify({ type: data.type, timestamp, data: { ...data, old: null, new: null, values_omitted: true } });
}

/** Runs `work` on every item with at most `limit` at once; the results in the items' order. */
async function mapInOrder<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Every change × every subscription that wants it: a delivery record each (idempotent per event id, so a
 * batch handed over twice makes no second delivery), then the jobs queued in stream order. Throws when a
 * record cannot be written or the queue refuses: the caller hands the batch over again.
 */
export async function fanOut(deps: FanOutDeps, changes: readonly Change[]): Promise<FanOutCounts> {
  const now = deps.now ?? (() => new Date());
  const published = changes.filter((change) => !isInternalModel(change.data.model));
  if (published.length === 0) return { changes: changes.length, deliveries: 0, created: 0, unusable: 0, tooLarge: 0 };

  const records = await deps.store.activeSubscriptions();
  const { usable, unusable } = readSubscriptions(records, await deps.registry());
  for (const skipped of unusable)
    deps.log?.warn('webhook subscription skipped', { webhookId: skipped.id, reason: skipped.reason });

  const pairs: { change: Change; subscription: Subscription }[] = [];
  for (const change of published) {
    for (const subscription of usable) if (matches(subscription, change)) pairs.push({ change, subscription });
  }
  const made = await mapInOrder(pairs, CREATE_CONCURRENCY, async ({ change, subscription }) => {
    const at = now();
    const { data } = change;
    const eventId = deliveryEventId(data.id, subscription.id);
    try {
      const { id, created } = await deps.store.createDelivery({
        webhookId: subscription.id,
        eventId,
        eventType: data.type,
        resModel: data.model,
        resId: data.record_id,
        resVersion: data.version,
        payload: eventBody(change, at),
        nextAttempt: at,
      });
      const job: DeliveryJob = { deliveryId: id, lane: laneOf(subscription.id, data.model, data.record_id) };
      return { job, created };
    } catch (error) {
      // An event too big to keep (DynamoDB's 400 KB item) would fail this batch on every hand-over and
      // hold back every later change: it is left out, loudly, instead.
      if (!(error instanceof PayloadTooLargeError)) throw error;
      deps.log?.error('webhook event too large to deliver', { webhookId: subscription.id, eventId, change: data.id });
      return undefined;
    }
  });
  const queued = made.filter((entry) => entry !== undefined);
  if (queued.length > 0) await deps.queue.enqueue(queued.map(({ job }) => job));
  return {
    changes: changes.length,
    deliveries: queued.length,
    created: queued.filter(({ created }) => created).length,
    unusable: unusable.length,
    tooLarge: made.length - queued.length,
  };
}

export interface AttemptDeps {
  readonly store: WebhookStore;
  /** Opens a subscription's sealed secret (the key ring's SecretBox, associated data WEBHOOK_SECRET_AAD). */
  readonly openSecret: (sealed: string) => Promise<string>;
  /** One attempt over the network; lib/webhooks/sender.ts unless given (tests give a fake). */
  readonly send?: (request: DeliveryRequest) => Promise<AttemptOutcome>;
  /** The local stage: http and loopback targets allowed (WEBHOOK_LOCAL_TARGETS). */
  readonly local: boolean;
  /** The retry offsets times this (WEBHOOK_RETRY_SCALE; 1 in production, tiny in tests). */
  readonly retryScale?: number;
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
  /** A monotonic clock in ms, for each attempt's duration. */
  readonly clock?: () => number;
  readonly log?: Logger;
}

/** When the attempt after `failed` failed attempts is due, the schedule's offsets scaled; undefined: spent. */
export function scaledNextAttempt(firstAttempt: Date, failed: number, scale: number): Date | undefined {
  const unscaled = nextAttemptAt(firstAttempt, failed);
  if (unscaled === undefined) return undefined;
  return new Date(firstAttempt.getTime() + (unscaled.getTime() - firstAttempt.getTime()) * scale);
}

const DONE: AttemptResult = { kind: 'done' };

/**
 * One attempt of the job's delivery at `now`, recorded; what the queue should do next. Idempotent: a
 * job run again after its delivery ended does nothing, and one run before its next attempt is due
 * (a queue that woke it early) only answers when that is. Never logs the secret or the signature.
 */
export async function attemptDelivery(deps: AttemptDeps, job: DeliveryJob, now: Date): Promise<AttemptResult> {
  const { store } = deps;
  const delivery = await store.getDelivery(job.deliveryId);
  if (delivery === undefined || delivery.state !== 'pending') return DONE;
  if (delivery.nextAttempt !== undefined && delivery.nextAttempt.getTime() > now.getTime()) {
    return { kind: 'retry', at: delivery.nextAttempt };
  }
  const log = deps.log?.child({ deliveryId: delivery.id, webhookId: delivery.webhookId, eventId: delivery.eventId });

  const subscription = await store.getSubscription(delivery.webhookId);
  if (subscription === undefined || !subscription.active) {
    const why = subscription === undefined ? 'the subscription was deleted' : 'the subscription is inactive';
    await settle(deps, delivery, { state: 'disabled', nextAttempt: null, lastError: `Not sent: ${why}` });
    log?.info('webhook delivery dropped', { reason: why });
    return DONE;
  }

  const number = delivery.attemptCount + 1;
  const firstAttempt = delivery.firstAttempt ?? now;
  const clock = deps.clock ?? (() => performance.now());
  const started = clock();
  const outcome = await sendSigned(deps, delivery, subscription.url, subscription.secretSealed, now, log);
  const verdict = classifyAttempt(outcome);
  const status = 'status' in verdict && verdict.status !== undefined ? verdict.status : 0;
  const error = 'error' in verdict ? verdict.error : null;
  const entry: AttemptLogEntry = {
    number,
    at: now.toISOString(),
    status,
    error,
    duration_ms: Math.max(0, Math.round(clock() - started)),
  };
  const attempt = { attemptCount: number, firstAttempt, lastStatus: status, lastError: error, appendLog: entry };
  log?.info('webhook attempt', { attempt: number, status, verdict: verdict.verdict, ...(error ? { error } : {}) });

  if (verdict.verdict === 'delivered') {
    return settle(deps, delivery, { ...attempt, state: 'delivered', nextAttempt: null, deliveredAt: now });
  }
  if (verdict.verdict === 'disable') {
    const result = await settle(deps, delivery, { ...attempt, state: 'disabled', nextAttempt: null });
    await store.disableSubscription(subscription.id);
    log?.warn('webhook subscription disabled: the receiver answered 410 Gone');
    return result;
  }
  const next = scaledNextAttempt(firstAttempt, number, deps.retryScale ?? 1);
  if (next === undefined) {
    log?.warn('webhook delivery failed: every scheduled attempt was made', { attempts: number });
    return settle(deps, delivery, { ...attempt, state: 'failed', nextAttempt: null });
  }
  return settle(deps, delivery, { ...attempt, state: 'pending', nextAttempt: next });
}

/** The attempt itself: secret opened, body signed, sent. A secret that cannot be opened is the attempt's error. */
async function sendSigned(
  deps: AttemptDeps,
  delivery: Delivery,
  url: string,
  secretSealed: string | undefined,
  now: Date,
  log: Logger | undefined,
): Promise<AttemptOutcome> {
  let headers: Readonly<Record<string, string>>;
  try {
    if (secretSealed === undefined) throw new Error('the subscription has no signing secret');
    const secret = await deps.openSecret(secretSealed);
    const timestamp = Math.floor(now.getTime() / 1000);
    headers = { ...signDelivery(secret, { id: delivery.eventId, timestamp, body: delivery.payload }) };
  } catch (error) {
    // Ours to fix (the key ring, a damaged record), not the receiver's: nothing is sent, the schedule goes on.
    const reason = error instanceof Error ? error.message : String(error);
    log?.error('webhook signing secret unavailable', { reason });
    return { kind: 'refused', message: `not sent: the signing secret could not be opened (${reason})` };
  }
  return (deps.send ?? sendDelivery)({
    url,
    headers,
    body: delivery.payload,
    timeoutMs: deps.timeoutMs ?? ATTEMPT_TIMEOUT_MS,
    maxResponseBytes: deps.maxResponseBytes ?? MAX_RESPONSE_BYTES,
    local: deps.local,
  });
}

/**
 * Writes the update if no other worker recorded anything since the delivery was read. When one did, its
 * record stands (this attempt's is dropped: the receiver got the same webhook-id twice, which at least
 * once allows) and the queue is told what that record says.
 */
async function settle(deps: AttemptDeps, read: Delivery, update: DeliveryUpdate): Promise<AttemptResult> {
  if (await deps.store.recordAttempt(read, update)) {
    return update.state === 'pending' && update.nextAttempt ? { kind: 'retry', at: update.nextAttempt } : DONE;
  }
  const current = await deps.store.getDelivery(read.id);
  if (current?.state === 'pending' && current.nextAttempt !== undefined)
    return { kind: 'retry', at: current.nextAttempt };
  return DONE;
}
