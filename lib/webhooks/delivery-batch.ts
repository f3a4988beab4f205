/**
 * A batch of the deliveries queue (SQS FIFO, one message per delivery job) as its function gets it:
 * Powertools' FIFO processor runs the messages in order, and with skipGroupOnError a message whose
 * attempt must be retried fails only its own group (lane): the batch's other lanes go on.
 *
 * A retry is the message itself, hidden until its next attempt: ChangeMessageVisibility to the time
 * left (at most SQS's 12 hours: a message woken early is hidden again by attemptDelivery's answer) and
 * reported failed, so SQS keeps it. While it is invisible its group delivers nothing else, which keeps
 * the later changes to that record behind it, in order.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Logger } from '../runtime/log';
import type { AttemptResult, DeliveryJob } from './port';

/** What the function needs of an SQS record (aws-lambda's SQSRecord has these and more). */
export interface DeliveryMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiptHandle: string;
  readonly attributes: { readonly MessageGroupId?: string | undefined };
}

export interface DeliveryBatchResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

export interface DeliveryBatchDeps {
  readonly attempt: (job: DeliveryJob, now: Date) => Promise<AttemptResult>;
  readonly changeVisibility: (receiptHandle: string, seconds: number) => Promise<void>;
  readonly log: Logger;
  readonly now?: () => Date;
}

/** The message's job, or undefined when the body is not one (nothing could ever run it). */
export function parseDeliveryJob(body: string): DeliveryJob | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { deliveryId, lane } = parsed as Record<string, unknown>;
  if (!Number.isSafeInteger(deliveryId) || (deliveryId as number) <= 0 || typeof lane !== 'string') return undefined;
  return { deliveryId: deliveryId as number, lane };
}

/** Thrown to report a message failed on purpose: its retry is due later (its visibility says when). */
class RetryLater extends Error {}

export async function runDeliveryBatch(
  deps: DeliveryBatchDeps,
  records: readonly DeliveryMessage[],
): Promise<DeliveryBatchResponse> {
  const now = deps.now ?? (() => new Date());
  const processor = new SqsFifoPartialProcessorAsync();
  const event = { Records: records } as unknown as Parameters<typeof processPartialResponse>[0];
  const handle = async (item: unknown) => {
    const record = item as DeliveryMessage;
    const job = parseDeliveryJob(record.body);
    if (job === undefined) {
      // Not ours to retry: kept in the log, then deleted so it cannot hold its group forever.
      deps.log.error('delivery message dropped: its body is not a delivery job', { messageId: record.messageId });
      return;
    }
    const result = await deps.attempt(job, now());
    if (result.kind === 'done') return;
    const seconds = (result.at.getTime() - now().getTime()) / 1000;
    await deps.changeVisibility(record.receiptHandle, seconds);
    throw new RetryLater(`delivery ${job.deliveryId}: next attempt at ${result.at.toISOString()}`);
  };
  return processPartialResponse(event, handle, processor, { skipGroupOnError: true, throwOnFullBatchFailure: false });
}
