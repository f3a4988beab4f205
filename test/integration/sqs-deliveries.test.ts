/**
 * The webhook deliveries queue's SQS calls (lib/store/sqs.ts: SendMessageBatch from the change feed,
 * ChangeMessageVisibility from the deliveries function) made by the real SQSClient against a stand-in
 * on loopback: a FAKE of Amazon SQS, labelled as such, that records each call and can refuse entries
 * of a batch the way SQS reports partial failures. The prod template's roles decide whether the
 * deployed functions may make those calls.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { deliveryGroupId, sqsDeliveries } from '../../lib/store/sqs';
import type { DeliveryJob } from '../../lib/webhooks/port';
import type { Template } from '../helpers/iam-policy';
import { callingFunction, templateRoles } from '../setup/iam-guard';

const template = JSON.parse(readFileSync(process.env.TEST_TEMPLATE_FILE as string, 'utf8')) as Template;
const roles = templateRoles(template);
const QUEUE_NAME = String(template.Resources.DeliveriesQueue?.Properties?.QueueName);
const QUEUE_URL = `https://sqs.eu-west-1.amazonaws.com/123456789012/${QUEUE_NAME}`;
const QUEUE_ARN = `arn:aws:sqs:eu-west-1:123456789012:${QUEUE_NAME}`;

interface Entry {
  readonly Id: string;
  readonly MessageBody: string;
  readonly MessageGroupId: string;
  readonly MessageDeduplicationId: string;
}

interface SqsCall {
  readonly fn: string | undefined;
  readonly operation: string;
  readonly input: { QueueUrl: string; Entries?: Entry[]; ReceiptHandle?: string; VisibilityTimeout?: number };
}

/** FAKE SQS (see the file's header). */
let fakeSqs: Server;
let endpoint: string;
const calls: SqsCall[] = [];
/** Deduplication ids the fake refuses, each as many times as listed. */
let refuse: string[] = [];

beforeAll(async () => {
  fakeSqs = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const input = JSON.parse(body) as SqsCall['input'];
      const operation = String(request.headers['x-amz-target']).replace('AmazonSQS.', '');
      calls.push({ fn: callingFunction(request.headers['user-agent'], 'local'), operation, input });
      let answer: unknown = {};
      if (operation === 'SendMessageBatch') {
        const failed: Entry[] = [];
        const successful: Entry[] = [];
        for (const entry of input.Entries ?? []) {
          const index = refuse.indexOf(entry.MessageDeduplicationId);
          if (index >= 0) {
            refuse.splice(index, 1);
            failed.push(entry);
          } else successful.push(entry);
        }
        answer = {
          Successful: successful.map((entry) => ({ Id: entry.Id, MessageId: `fake-${entry.MessageDeduplicationId}` })),
          Failed: failed.map((entry) => ({ Id: entry.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
        };
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => fakeSqs.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(fakeSqs.address() as { port: number }).port}`;
});
afterAll(async () => {
  // The SDK keeps its connections to the stand-in open.
  fakeSqs.closeAllConnections();
  await new Promise<void>((resolve) => fakeSqs.close(() => resolve()));
});
beforeEach(() => {
  calls.length = 0;
  refuse = [];
});

const queueFor = (fn: string) => sqsDeliveries(QUEUE_URL, { region: 'eu-west-1', endpoint, appId: `odoo-rest-lambda-local-${fn}` });
const sentIds = (call: SqsCall) => (call.input.Entries ?? []).map((entry) => (JSON.parse(entry.MessageBody) as DeliveryJob).deliveryId);

describe('the deliveries queue over SQS', () => {
  it('queues the change feed’s jobs in batches of at most 10, a lane once per call, with the changes role’s permission', async () => {
    const jobs: DeliveryJob[] = [
      ...Array.from({ length: 11 }, (_, i) => ({ deliveryId: i + 1, lane: `1:res.partner:${i + 1}` })),
      { deliveryId: 12, lane: '1:res.partner:1' },
    ];
    await queueFor('changes').enqueue(jobs);
    expect(calls.map((call) => [call.fn, call.operation, call.input.QueueUrl])).toStrictEqual([
      ['changes', 'SendMessageBatch', QUEUE_URL],
      ['changes', 'SendMessageBatch', QUEUE_URL],
    ]);
    expect(calls.map(sentIds)).toStrictEqual([
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      [11, 12],
    ]);
    expect(calls[1]?.input.Entries?.[1]).toStrictEqual({
      Id: '1',
      MessageBody: '{"deliveryId":12,"lane":"1:res.partner:1"}',
      MessageGroupId: deliveryGroupId('1:res.partner:1'),
      MessageDeduplicationId: 'delivery-12',
    });
    // SendMessageBatch is authorized as sqs:SendMessage.
    expect(roles.missing('changes', [{ action: 'sqs:SendMessage', resource: QUEUE_ARN }])).toStrictEqual([]);
    expect(roles.missing('object', [{ action: 'sqs:SendMessage', resource: QUEUE_ARN }])).toHaveLength(1);
  });

  it('sends again only the entries SQS refused, before the next call of the same lane goes out', async () => {
    refuse = ['delivery-2'];
    await queueFor('changes').enqueue([
      { deliveryId: 1, lane: 'a' },
      { deliveryId: 2, lane: 'b' },
      { deliveryId: 3, lane: 'b' },
    ]);
    expect(calls.map(sentIds)).toStrictEqual([[1, 2], [2], [3]]);
  });

  it('throws once SQS keeps refusing an entry, naming why', async () => {
    refuse = ['delivery-5', 'delivery-5', 'delivery-5'];
    await expect(queueFor('changes').enqueue([{ deliveryId: 5, lane: 'a' }])).rejects.toThrow(
      'SQS refused 1 delivery message(s) after 3 sends: 0: InternalError try again',
    );
  });

  it('hides a message until its retry with the deliveries role’s permission', async () => {
    await queueFor('deliveries').changeVisibility('receipt-1', 299.2);
    expect(calls.map((call) => [call.fn, call.operation, call.input])).toStrictEqual([
      ['deliveries', 'ChangeMessageVisibility', { QueueUrl: QUEUE_URL, ReceiptHandle: 'receipt-1', VisibilityTimeout: 300 }],
    ]);
    expect(roles.missing('deliveries', [{ action: 'sqs:ChangeMessageVisibility', resource: QUEUE_ARN }])).toStrictEqual([]);
    expect(roles.missing('changes', [{ action: 'sqs:ChangeMessageVisibility', resource: QUEUE_ARN }])).toHaveLength(1);
  });
});
