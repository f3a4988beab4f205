/**
 * The change feed's singletons (the stream consumer: handlers/changes.ts, and npm start's local
 * poller): the records' stream decoded, the EventBridge bus (or the local stand-in), the webhook
 * deliveries. Apart from container.ts so that no other bundle carries the EventBridge SDK.
 */
import { modelOf, type StreamChange } from '../changes/build';
import { publishBatch, type ChangeFeedDeps, type FeedResult } from '../changes/feed';
import type { EventBusPort } from '../changes/eventbridge';
import { eventBridgeBus } from '../store/eventbridge';
import { decodeStreamRecord, type StreamRecordLike } from '../store/dynamodb/change-stream';
import type { DynamoRecordStore } from '../store/dynamodb/records-table';
import { getCatalog, getConfig, getLogger, getRecordStore, getRegistry, once } from './container';
import { localEventBus } from './local-event-bus';

const getBus = once<EventBusPort>(() => {
  const { eventBusName, region, localEventsFile } = getConfig();
  return eventBusName ? eventBridgeBus({ region }) : localEventBus(localEventsFile, getLogger());
});

/**
 * Publishes one batch of stream records (Lambda's, or the local poller's, in the same shape) with
 * `webhooks` taking the changes; answers the sequence number to be handed again from.
 */
export async function publishStreamRecords(
  records: readonly StreamRecordLike[],
  webhooks: Pick<ChangeFeedDeps, 'deliver' | 'subscriptionsChanged'>,
): Promise<FeedResult> {
  const decoded = records.map(decodeStreamRecord).filter((change): change is StreamChange => change !== undefined);
  const config = getConfig();
  const store = getRecordStore() as DynamoRecordStore;
  // Custom models too: the catalog reloads when the batch names a model it does not know yet (or
  // its definitions are stale), and the last registry it answers is the freshest.
  let registry = getRegistry();
  for (const model of new Set(decoded.map(modelOf))) registry = await getCatalog().registryFor(model);
  const deps: ChangeFeedDeps = {
    registry,
    store,
    headers: (ids) => store.getTransactionHeaders(ids),
    bus: getBus(),
    eventBusName: config.eventBusName ?? 'local',
    eventSource: config.eventSource,
    ...webhooks,
    log: getLogger(),
  };
  return publishBatch(deps, decoded);
}
