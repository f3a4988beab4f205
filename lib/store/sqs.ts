/**
 * The queue writer's dead-letter queue over SQS (lib/queue): a message that can never succeed is
 * sent there with its reason, by the function itself, so it is not retried (SQS's own redrive
 * moves only messages whose retries ran out, without a reason). FIFO: the same group, and the
 * original message id as the deduplication id (a second send of one dead message is dropped).
 */
import { SendMessageCommand, SQSClient, type SendMessageCommandInput } from '@aws-sdk/client-sqs';
import type { DeadLetters, DeadReason, QueueMessage } from '../queue/run';

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

/** In a function, the SDK names it in its User-Agent from AWS_SDK_UA_APP_ID, as every client here. */
export function sqsDeadLetters(queueUrl: string, { region, endpoint, appId }: SqsConnection): DeadLetters {
  const client = new SQSClient({
    region,
    ...(appId ? { userAgentAppId: appId } : {}),
    // A stand-in answers without the MD5 digests SQS adds, and takes any credentials.
    ...(endpoint ? { endpoint, md5: false, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  return {
    async send(message, reason) {
      await client.send(new SendMessageCommand(buildDeadLetterParams(queueUrl, message, reason)));
    },
  };
}
