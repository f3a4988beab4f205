/**
 * The queue writer's dead-letter queue over SQS (lib/queue): a message that can never succeed is
 * sent there with its reason, by the function itself, so it is not retried (SQS's own redrive
 * moves only messages whose retries ran out, without a reason). FIFO: the same group, and the
 * original message id as the deduplication id (a second send of one dead message is dropped).
 */
import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type ChangeMessageVisibilityCommandInput,
  type SendMessageBatchCommandInput,
  type SendMessageBatchRequestEntry,
  type SendMessageCommandInput,
} from '@aws-sdk/client-sqs';
import type { DeadLetters, DeadReason, QueueMessage } from '../queue/run';
import type { DeliveryJob, DeliveryQueue } from '../webhooks/port';

export function buildDeadLetterParams(
  queueUrl: string,
  message: QueueMessage & { readonly groupId?: string | undefined },
  reason: DeadReason,
): SendMessageCommandInput {
  const fifo = queueUrl.endsWith('.fifo');
  return {
    QueueUrl: queueUrl,
    MessageBody: message.body,
    MessageAttributes: {
      reason: { DataType: 'String', StringValue: reason.message.slice(0, 1000) },
      status: { DataType: 'Number', StringValue: String(reason.status) },
      code: { DataType: 'String', StringValue: reason.code },
      originalMessageId: { DataType: 'String', StringValue: message.messageId },
    },
    ...(fifo
      ? { MessageGroupId: message.groupId ?? 'dead', MessageDeduplicationId: message.messageId.slice(0, 128) }
      : {}),
  };
}

export interface SqsConnection {
  readonly region: string;
  /** A stand-in SQS (tests: the local stage has none); the function's SDK names it in its User-Agent as appId. */
  readonly endpoint?: string;
  readonly appId?: string;
}

function sqsClient({ region, endpoint, appId }: SqsConnection): SQSClient {
  return new SQSClient({
    region,
    ...(appId ? { userAgentAppId: appId } : {}),
    // A stand-in answers without the MD5 digests SQS adds, and takes any credentials.
    ...(endpoint ? { endpoint, md5: false, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

/** In a function, the SDK names it in its User-Agent from AWS_SDK_UA_APP_ID, as every client here. */
export function sqsDeadLetters(queueUrl: string, connection: SqsConnection): DeadLetters {
  const client = sqsClient(connection);
  return {
    async send(message, reason) {
      await client.send(new SendMessageCommand(buildDeadLetterParams(queueUrl, message, reason)));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The webhook deliveries' queue (SQS FIFO): one message per delivery job (lib/webhooks/port.ts)

/** SendMessageBatch's limit. */
export const MAX_BATCH_ENTRIES = 10;
/** ChangeMessageVisibility's limit: 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;
/** Sends of the entries SQS refused before the enqueue gives up (and throws). */
const SEND_ATTEMPTS = 3;

/**
 * The message group of a lane: its SHA-256 in hex (64 characters of the allowed set, whatever the model's
 * name holds, and well under the 128 allowed). One group per lane: SQS delivers a group's messages one
 * at a time and in order, and holds the group while its head is invisible (waiting for its retry).
 */
export function deliveryGroupId(lane: string): string {
  return createHash('sha256').update(lane).digest('hex');
}

/** The body of a delivery job's message. */
export function deliveryMessageBody(job: DeliveryJob): string {
  return JSON.stringify({ deliveryId: job.deliveryId, lane: job.lane });
}

/**
 * The jobs as SendMessageBatch calls, to be sent one after another. A lane appears at most once per call
 * and its jobs in later calls than their predecessors: when SQS refuses one entry of a call and takes the
 * others, no job can have been queued ahead of an earlier one of its lane (the next call goes out only
 * once this one is wholly queued). Different lanes share calls, so a batch of changes to distinct records
 * takes ceil(n / 10) calls. The deduplication id is the delivery's: a job queued twice within SQS's
 * five minutes (a change batch handed over again) is queued once.
 */
export function buildDeliveryBatches(queueUrl: string, jobs: readonly DeliveryJob[]): SendMessageBatchCommandInput[] {
  const batches: SendMessageBatchRequestEntry[][] = [];
  const lastBatchOfLane = new Map<string, number>();
  for (const job of jobs) {
    let index = (lastBatchOfLane.get(job.lane) ?? -1) + 1;
    while ((batches[index]?.length ?? 0) >= MAX_BATCH_ENTRIES) index++;
    const batch = (batches[index] ??= []);
    batch.push({
      Id: String(batch.length),
      MessageBody: deliveryMessageBody(job),
      MessageGroupId: deliveryGroupId(job.lane),
      MessageDeduplicationId: `delivery-${job.deliveryId}`,
    });
    lastBatchOfLane.set(job.lane, index);
  }
  return batches.map((entries) => ({ QueueUrl: queueUrl, Entries: entries }));
}

/** Hides a received message for `seconds` more (capped at SQS's 12 hours; whole seconds, rounded up). */
export function buildVisibilityParams(
  queueUrl: string,
  receiptHandle: string,
  seconds: number,
): ChangeMessageVisibilityCommandInput {
  const whole = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(seconds)));
  return { QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: whole };
}

export interface SqsDeliveries extends DeliveryQueue {
  /** Hides a message received from the queue for `seconds` (its next attempt), so its group waits. */
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
}

/** The deliveries queue over SQS (deployed stages: DELIVERIES_QUEUE_URL, a FIFO queue). */
export function sqsDeliveries(queueUrl: string, connection: SqsConnection): SqsDeliveries {
  const client = sqsClient(connection);
  const sendBatch = async (input: SendMessageBatchCommandInput): Promise<void> => {
    let entries = input.Entries ?? [];
    for (let attempt = 1; ; attempt++) {
      const { Failed = [] } = await client.send(new SendMessageBatchCommand({ ...input, Entries: entries }));
      if (Failed.length === 0) return;
      if (attempt >= SEND_ATTEMPTS) {
        const reasons = Failed.map((failure) =>
          `${failure.Id}: ${failure.Code ?? '?'} ${failure.Message ?? ''}`.trim(),
        );
        throw new Error(
          `SQS refused ${Failed.length} delivery message(s) after ${attempt} sends: ${reasons.join('; ')}`,
        );
      }
      const failedIds = new Set(Failed.map((failure) => failure.Id));
      entries = entries.filter((entry) => failedIds.has(entry.Id));
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  };
  return {
    async enqueue(jobs) {
      for (const batch of buildDeliveryBatches(queueUrl, jobs)) await sendBatch(batch);
    },
    async changeVisibility(receiptHandle, seconds) {
      await client.send(new ChangeMessageVisibilityCommand(buildVisibilityParams(queueUrl, receiptHandle, seconds)));
    },
  };
}
