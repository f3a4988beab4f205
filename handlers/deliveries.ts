/**
 * The webhook deliveries queue (SQS FIFO, one message per delivery job, one group per subscription and
 * record): each message is one attempt of one delivery (lib/webhooks/deliveries.ts); a retry hides its
 * message until the attempt is due, holding the group so that record's later changes wait behind it.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { requireEnv } from '../lib/runtime/config';
import { getLogger } from '../lib/runtime/container';
import { getAttemptDeps, getSqsDeliveries } from '../lib/runtime/container-webhooks';
import { attemptDelivery } from '../lib/webhooks/deliveries';
import { runDeliveryBatch, type DeliveryBatchDeps } from '../lib/webhooks/delivery-batch';

// A cold start without the queue's URL fails at once, not on the first retry.
requireEnv(process.env, 'DELIVERIES_QUEUE_URL');
const sqs = getSqsDeliveries() as NonNullable<ReturnType<typeof getSqsDeliveries>>;
const attemptDeps = getAttemptDeps();
const log = getLogger();
const deps: DeliveryBatchDeps = {
  attempt: (job, now) => attemptDelivery(attemptDeps, job, now),
  changeVisibility: (receiptHandle, seconds) => sqs.changeVisibility(receiptHandle, seconds),
  log,
};

export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  log.startInvocation(context);
  const { batchItemFailures } = await runDeliveryBatch(deps, event.Records);
  return { batchItemFailures: [...batchItemFailures] };
};
