/**
 * The two ports the webhook delivery engine (lib/webhooks/deliveries.ts) runs over, in its own terms:
 * where subscriptions and deliveries are kept (WebhookStore: ir.webhook and ir.webhook.delivery
 * records, lib/webhooks/records-store.ts), and what carries a delivery to its attempts
 * (DeliveryQueue: in process on the local stage, lib/webhooks/local-queue.ts; SQS FIFO deployed,
 * lib/store/sqs.ts).
 */
import type { StoredRecord } from '../records/port';

/** ir.webhook.delivery's `state`. */
export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'disabled';

/** One attempt as kept in a delivery's attempt_log (JSON, snake_case like the rest of the API). */
export interface AttemptLogEntry {
  /** 1 for the first attempt. */
  readonly number: number;
  /** When the attempt started, ISO 8601 with milliseconds. */
  readonly at: string;
  /** The receiver's HTTP status; 0 when it did not answer (timeout, network, refused). */
  readonly status: number;
  readonly error: string | null;
  readonly duration_ms: number;
}

/** What a new delivery record holds (state pending, no attempt yet). */
export interface NewDelivery {
  readonly webhookId: number;
  /** The webhook-id header, the same on every attempt. */
  readonly eventId: string;
  readonly eventType: string;
  readonly resModel: string;
  readonly resId: number;
  readonly resVersion: number;
  /** The exact body every attempt sends and signs. */
  readonly payload: string;
  /** When its first attempt is due: the time the change was fanned out. */
  readonly nextAttempt: Date;
}

/** A delivery record, as the engine reads it. */
export interface Delivery extends Omit<NewDelivery, 'nextAttempt'> {
  readonly id: number;
  /** The record's version when read: recording an attempt is conditioned on it. */
  readonly version: number;
  readonly state: DeliveryState;
  readonly attemptCount: number;
  readonly firstAttempt: Date | undefined;
  readonly nextAttempt: Date | undefined;
  readonly attemptLog: readonly AttemptLogEntry[];
}

/**
 * One write of a delivery record: its new state and, for an attempt, the attempt's log entry (appended
 * to those read). Fields left undefined keep their value.
 */
export interface DeliveryUpdate {
  readonly state: DeliveryState;
  readonly attemptCount?: number;
  readonly firstAttempt?: Date;
  /** null clears it (nothing more is due). */
  readonly nextAttempt?: Date | null;
  readonly lastStatus?: number;
  readonly lastError?: string | null;
  readonly deliveredAt?: Date;
  readonly appendLog?: AttemptLogEntry;
}

/** A subscription as an attempt needs it: where to send, whether it still wants events, its sealed secret. */
export interface SubscriptionTarget {
  readonly id: number;
  readonly url: string;
  readonly active: boolean;
  /** The `whsec_` secret sealed with the key ring's SecretBox (associated data: `ir.webhook`). */
  readonly secretSealed: string | undefined;
}

export interface WebhookStore {
  /**
   * The active ir.webhook records, as stored (lib/webhooks/subscription.ts reads them). Every change
   * batch asks: the adapter may answer from a copy a few seconds old.
   */
  activeSubscriptions(): Promise<readonly StoredRecord[]>;
  /**
   * Creates the delivery record, once per event id: asked again for the same event id (a change batch
   * handed over twice) it answers the id of the record made the first time, with `created` false.
   */
  createDelivery(delivery: NewDelivery): Promise<{ readonly id: number; readonly created: boolean }>;
  /** The delivery, read consistently; undefined when it does not exist. */
  getDelivery(id: number): Promise<Delivery | undefined>;
  /** The subscription, read consistently; undefined once it was deleted. */
  getSubscription(id: number): Promise<SubscriptionTarget | undefined>;
  /**
   * Writes `update` to the delivery in one write, if the record is still at `read.version`: false (and
   * nothing written) when another worker recorded something first, so two cannot both record attempt N.
   */
  recordAttempt(read: Delivery, update: DeliveryUpdate): Promise<boolean>;
  /** Sets the subscription inactive (a receiver answered 410 Gone); a deleted one is left alone. */
  disableSubscription(id: number): Promise<void>;
}

/**
 * One delivery to attempt. `lane` = subscription + model + record: the jobs of one lane are attempted
 * one after another in enqueue order, a failing one holding the lane until it is delivered or given up,
 * so the changes to one record reach a receiver in version order, retries included.
 */
export interface DeliveryJob {
  readonly deliveryId: number;
  readonly lane: string;
}

export interface DeliveryQueue {
  /** Queues the jobs in order; resolves once they are durably queued (or, in process, accepted). */
  enqueue(jobs: readonly DeliveryJob[]): Promise<void>;
}

/** What an attempt came to for the queue: finished (whatever the outcome), or to be run again at `at`. */
export type AttemptResult = { readonly kind: 'done' } | { readonly kind: 'retry'; readonly at: Date };

/** The lane of a subscription's deliveries for one record. */
export function laneOf(subscriptionId: number, model: string, recordId: number): string {
  return `${subscriptionId}:${model}:${recordId}`;
}
