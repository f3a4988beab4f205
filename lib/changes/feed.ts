/**
 * One batch of the records table's stream, published: every change to EventBridge (or the local
 * stage's stand-in) and to the webhook subscriptions that match it. What is published is at least
 * once: a batch whose publishing failed is handed again from the first change that failed (the
 * stream consumer reports it: ReportBatchItemFailures), and the changes carry stable ids, so a
 * consumer recognises a change it already has.
 */
import type { Change, ChangeData } from './change';
import { buildChanges, modelOf, publishable, type ChangeSourceDeps, type StreamChange } from './build';
import { entrySize, publishAll, PUT_EVENTS_MAX_BYTES, type EventBusPort, type EventEntry } from './eventbridge';

export interface ChangeFeedDeps extends ChangeSourceDeps {
  readonly bus: EventBusPort;
  readonly eventBusName: string;
  /** `source` of every event: the service and the stage. */
  readonly eventSource: string;
  /** Hands the changes to the webhook subscriptions (lib/webhooks); throws when they could not be taken in. */
  readonly deliver: (changes: readonly Change[]) => Promise<unknown>;
  /** Told before `deliver` when the batch holds a change of a subscription (ir.webhook): its copy is stale. */
  readonly subscriptionsChanged?: () => void;
  readonly log: {
    info(message: string, details?: Record<string, unknown>): void;
    error(message: string, details?: Record<string, unknown>): void;
  };
}

export interface FeedResult {
  readonly changes: number;
  readonly published: number;
  /** The sequence number to hand the batch again from (this change and those after it), if anything failed. */
  readonly retryFrom?: string | undefined;
}

const VERBS = { 'record.created': 'created', 'record.updated': 'updated', 'record.deleted': 'deleted' } as const;

/** The EventBridge entry of a change: `detail-type` like `res.partner updated`, so rules match on plain fields. */
export function eventEntry(data: ChangeData, deps: Pick<ChangeFeedDeps, 'eventBusName' | 'eventSource'>): EventEntry {
  const entry: EventEntry = {
    Source: deps.eventSource,
    DetailType: `${data.model} ${VERBS[data.type]}`,
    Detail: JSON.stringify(data),
    EventBusName: deps.eventBusName,
  };
  if (entrySize(entry) < PUT_EVENTS_MAX_BYTES) return entry;
  // Too large for one event (big text fields): the change without its values, which say so; the
  // record is read through the API. Never dropped, never blocking the stream behind it.
  const slim = { ...data, old: null, new: null, values_omitted: true };
  return { ...entry, Detail: JSON.stringify(slim) };
}

/**
 * Publishes one batch's changes (decoded, in stream order). A change EventBridge refuses for good
 * (an entry it calls malformed) is logged and not retried: it would block the stream behind it.
 */
export async function publishBatch(deps: ChangeFeedDeps, decoded: readonly StreamChange[]): Promise<FeedResult> {
  if (decoded.some((change) => modelOf(change) === 'ir.webhook')) deps.subscriptionsChanged?.();
  const streamChanges = publishable(decoded);
  if (streamChanges.length === 0) return { changes: 0, published: 0 };
  const changes = await buildChanges(deps, streamChanges);
  const [published, delivered] = await Promise.all([
    publishAll(
      deps.bus,
      changes.map((change) => eventEntry(change.data, deps)),
    ),
    deps.deliver(changes).then(
      () => undefined,
      (error: unknown) => error,
    ),
  ]);
  let retryIndex: number | undefined;
  for (const failure of published.failed) {
    deps.log.error('A change could not be published to EventBridge', {
      changeId: changes[failure.index]?.data.id,
      errorCode: failure.errorCode,
      permanent: failure.permanent,
    });
    if (!failure.permanent) retryIndex = Math.min(retryIndex ?? failure.index, failure.index);
  }
  if (delivered !== undefined) {
    deps.log.error('The changes could not be handed to the webhook deliveries', {
      error: delivered instanceof Error ? delivered.message : String(delivered),
    });
    retryIndex = 0;
  }
  return {
    changes: changes.length,
    published: published.eventIds.filter((id) => id !== undefined).length,
    retryFrom: retryIndex === undefined ? undefined : streamChanges[retryIndex]?.sequenceNumber,
  };
}
