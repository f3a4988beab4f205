/**
 * The webhook delivery engine's singletons (lib/webhooks), apart from container.ts so that only the
 * functions that deliver carry the key ring's KMS client and the SQS SDK:
 * - the WebhookStore over the records core, writing as the seed's user 1 (the Administrator, every
 *   right: the service's own writes are not a client's and are not limited by one's access rules);
 * - the key ring that opens the subscriptions' sealed secrets (as the credential functions build it);
 * - the DeliveryQueue: SQS FIFO when DELIVERIES_QUEUE_URL is set (deployed stages), else one in-process
 *   LocalDeliveryQueue per process (npm start, tests), whose pending retries live in memory only.
 * `deliverChanges` is what the stream consumer calls with each batch's changes, in stream order.
 */
import type { Change } from '../changes/change';
import type { Caller } from '../records';
import { sqsDeliveries, type SqsDeliveries } from '../store/sqs';
import { attemptDelivery, fanOut, type AttemptDeps, type FanOutCounts, type FanOutDeps } from '../webhooks/deliveries';
import { LocalDeliveryQueue } from '../webhooks/local-queue';
import type { DeliveryJob, DeliveryQueue } from '../webhooks/port';
import { RecordsWebhookStore } from '../webhooks/records-store';
import { WEBHOOK_SECRET_AAD } from '../webhooks/subscription';
import { getKeyRing } from './container-auth';
import { getCatalog, getConfig, getLogger, getRecordStore, getRegistry, once } from './container';
import { errorFields } from './log';

/** Who the service writes delivery records as: the seed's user 1. */
export const WEBHOOK_CALLER: Caller = { userId: 1, clientId: 'webhooks' };

export const getWebhookStore = once(
  () => new RecordsWebhookStore({ deps: { registry: getRegistry(), store: getRecordStore() }, caller: WEBHOOK_CALLER }),
);

export const getAttemptDeps = once<AttemptDeps>(() => {
  const config = getConfig();
  const keys = getKeyRing();
  return {
    store: getWebhookStore(),
    openSecret: async (sealed) => (await keys()).secretBox.open(sealed, WEBHOOK_SECRET_AAD),
    local: config.webhookLocalTargets,
    retryScale: config.webhookRetryScale,
    log: getLogger().child({ component: 'webhooks' }),
  };
});

/** The deployed queue (DELIVERIES_QUEUE_URL); the deliveries function also hides messages with it. */
export const getSqsDeliveries = once<SqsDeliveries | undefined>(() => {
  const { deliveriesQueueUrl, region } = getConfig();
  return deliveriesQueueUrl === undefined ? undefined : sqsDeliveries(deliveriesQueueUrl, { region });
});

/** The local stage's queue: attempts run in this process as soon as they are due. */
export const getLocalDeliveryQueue = once(() => {
  const deps = getAttemptDeps();
  return new LocalDeliveryQueue((job: DeliveryJob) => attemptDelivery(deps, job, new Date()), {
    onError: (error, job) =>
      getLogger().error('webhook attempt failed to run; retrying', {
        deliveryId: job.deliveryId,
        ...errorFields(error),
      }),
  });
});

export const getDeliveryQueue = once<DeliveryQueue>(() => getSqsDeliveries() ?? getLocalDeliveryQueue());

export const getFanOutDeps = once<FanOutDeps>(() => ({
  store: getWebhookStore(),
  queue: getDeliveryQueue(),
  // Custom models too: the catalog's registry (shipped and stored definitions), refreshed as it is for requests.
  registry: () => getCatalog().registryFor('ir.webhook'),
  log: getLogger().child({ component: 'webhooks' }),
}));

/**
 * Hands a batch of committed changes (in stream order) to the webhooks: a delivery record per change and
 * subscription that wants it, queued. Throws when that cannot be done: the stream hands the batch over
 * again, and nothing is delivered twice for it (delivery creation is idempotent per event).
 */
export function deliverChanges(changes: readonly Change[]): Promise<FanOutCounts> {
  return fanOut(getFanOutDeps(), changes);
}

/** A subscription changed (the change feed saw it): the next batch reads them again. */
export function forgetSubscriptions(): void {
  getWebhookStore().forgetSubscriptions();
}
