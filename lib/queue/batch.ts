/**
 * A batch of queue messages, as the writes queue's function gets it: Powertools' FIFO batch
 * processor runs them in order, reports the ones to deliver again (partial batch failures), and
 * once one fails, fails the rest of the batch behind it so no message overtakes an earlier one of
 * its group; a message that can never succeed goes to the dead letters with its reason instead.
 * The same function runs `npm run push` (scripts/push.ts), one message at a time.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Logger } from '../runtime/log';
import { runQueuedMessage, type DeadLetters, type QueueDeps, type QueueOutcome } from './run';

/** What the function needs of an SQS record (aws-lambda's SQSRecord has these and more). */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: { readonly MessageGroupId?: string | undefined };
}

/** SQS's partial batch response: the messages to deliver again. */
export interface BatchResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

/** One message to its end: run, and dead-lettered when it can never succeed. Throws to have it delivered again. */
export async function settleMessage(
  deps: QueueDeps,
  deadLetters: DeadLetters,
  log: Logger,
  record: QueueRecord,
): Promise<QueueOutcome> {
  const outcome = await runQueuedMessage(deps, { messageId: record.messageId, body: record.body });
  if (outcome.kind === 'done') {
    log.info('queued call done', { messageId: record.messageId, status: outcome.status, replayed: outcome.replayed });
    return outcome;
  }
  await deadLetters.send(
    { messageId: record.messageId, body: record.body, groupId: record.attributes.MessageGroupId },
    outcome.reason,
  );
  log.warn('queued call dead-lettered', { messageId: record.messageId, ...outcome.reason });
  return outcome;
}

export async function runQueueBatch(
  deps: QueueDeps,
  deadLetters: DeadLetters,
  log: Logger,
  records: readonly QueueRecord[],
): Promise<BatchResponse> {
  // A processor per batch: it keeps the batch's state.
  const processor = new SqsFifoPartialProcessorAsync();
  const event = { Records: records } as unknown as Parameters<typeof processPartialResponse>[0];
  const handle = async (record: unknown) => {
    await settleMessage(deps, deadLetters, log, record as QueueRecord);
  };
  // A batch whose every message must be delivered again is a partial response too (not a throw):
  // SQS redelivers them, and the function does not count as failed.
  return processPartialResponse(event, handle, processor, { throwOnFullBatchFailure: false });
}
