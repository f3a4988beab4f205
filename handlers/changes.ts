/**
 * The change feed: the records table's stream (DynamoDB Streams, NEW_AND_OLD_IMAGES) to EventBridge
 * and the webhook subscriptions (lib/changes, lib/webhooks). The event source mapping
 * (serverless.yml) keeps the records of one item in order, bisects a failing batch, retries a bounded
 * number of times and sends what still fails to a dead-letter queue; this function reports the first
 * change it could not publish (ReportBatchItemFailures), so the ones before it are not published again.
 * npm start runs the same code on DynamoDB Local's stream (scripts/local-stack.ts).
 */
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { getLogger } from '../lib/runtime/container';
import { publishStreamRecords } from '../lib/runtime/container-changes';
import { deliverChanges, forgetSubscriptions } from '../lib/runtime/container-webhooks';

const log = getLogger();

export const handler = async (event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> => {
  log.startInvocation(context);
  const result = await publishStreamRecords(event.Records, {
    deliver: deliverChanges,
    subscriptionsChanged: forgetSubscriptions,
  });
  log.info('Changes published', {
    records: event.Records.length,
    changes: result.changes,
    published: result.published,
    ...(result.retryFrom ? { retryFrom: result.retryFrom } : {}),
  });
  return { batchItemFailures: result.retryFrom ? [{ itemIdentifier: result.retryFrom }] : [] };
};
