/**
 * The deliveries queue over SQS FIFO: the parameters the adapter sends (no SQS emulator runs here and the
 * SDK is not mocked), and the function's batch handling with an attempt and a visibility port of its own.
 */
import {
  buildDeliveryBatches,
  buildVisibilityParams,
  deliveryGroupId,
  MAX_VISIBILITY_SECONDS,
} from '../../../lib/store/sqs';
import { parseDeliveryJob, runDeliveryBatch, type DeliveryMessage } from '../../../lib/webhooks/delivery-batch';
import type { AttemptResult, DeliveryJob } from '../../../lib/webhooks/port';

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/odoo-rest-lambda-prod-deliveries.fifo';

describe('buildDeliveryBatches', () => {
  it('sends each job as its own message: the lane hashed into the group, the delivery id as deduplication id', () => {
    const [batch] = buildDeliveryBatches(QUEUE, [{ deliveryId: 42, lane: '3:res.partner:17' }]);
    expect(batch).toStrictEqual({
      QueueUrl: QUEUE,
      Entries: [
        {
          Id: '0',
          MessageBody: '{"deliveryId":42,"lane":"3:res.partner:17"}',
          MessageGroupId: deliveryGroupId('3:res.partner:17'),
          MessageDeduplicationId: 'delivery-42',
        },
      ],
    });
    expect(deliveryGroupId('3:res.partner:17')).toMatch(/^[0-9a-f]{64}$/);
    expect(deliveryGroupId('3:res.partner:17')).not.toBe(deliveryGroupId('3:res.partner:18'));
  });

  it('puts at most 10 messages in a call, and a lane at most once per call, its jobs in later calls in order', () => {
    const jobs: DeliveryJob[] = [
      ...Array.from({ length: 12 }, (_, i) => ({ deliveryId: i + 1, lane: `1:res.partner:${i + 1}` })),
      { deliveryId: 13, lane: '1:res.partner:1' },
      { deliveryId: 14, lane: '1:res.partner:1' },
      { deliveryId: 15, lane: '1:res.partner:2' },
    ];
    const batches = buildDeliveryBatches(QUEUE, jobs);
    const ids = batches.map((batch) => batch.Entries!.map((entry) => (JSON.parse(entry.MessageBody!) as DeliveryJob).deliveryId));
    expect(ids).toStrictEqual([
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      [11, 12, 13, 15],
      [14],
    ]);
    for (const batch of batches) {
      const groups = batch.Entries!.map((entry) => entry.MessageGroupId);
      expect(new Set(groups).size).toBe(groups.length);
      expect(batch.Entries!.map((entry) => entry.Id)).toStrictEqual(batch.Entries!.map((_, i) => String(i)));
    }
  });

  it('sends nothing for no jobs', () => {
    expect(buildDeliveryBatches(QUEUE, [])).toStrictEqual([]);
  });
});

describe('buildVisibilityParams', () => {
  it('hides a message for whole seconds, rounded up, never below 0 nor above the 12-hour cap', () => {
    expect(buildVisibilityParams(QUEUE, 'rh', 4.2)).toStrictEqual({ QueueUrl: QUEUE, ReceiptHandle: 'rh', VisibilityTimeout: 5 });
    expect(buildVisibilityParams(QUEUE, 'rh', -3).VisibilityTimeout).toBe(0);
    expect(buildVisibilityParams(QUEUE, 'rh', 20 * 3600).VisibilityTimeout).toBe(MAX_VISIBILITY_SECONDS);
  });
});

describe('parseDeliveryJob', () => {
  it('reads the job a message carries, and nothing else', () => {
    expect(parseDeliveryJob('{"deliveryId":7,"lane":"1:m:2"}')).toStrictEqual({ deliveryId: 7, lane: '1:m:2' });
    for (const body of ['', 'null', '[]', '{"deliveryId":"7","lane":"x"}', '{"deliveryId":0,"lane":"x"}', '{"deliveryId":7}']) {
      expect(parseDeliveryJob(body)).toBeUndefined();
    }
  });
});

describe('runDeliveryBatch', () => {
  const NOW = new Date('2026-12-06T10:00:00Z');
  const message = (id: string, deliveryId: number, lane: string): DeliveryMessage => ({
    messageId: id,
    body: JSON.stringify({ deliveryId, lane }),
    receiptHandle: `rh-${id}`,
    attributes: { MessageGroupId: deliveryGroupId(lane) },
  });
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined, child: () => log };

  it('hides a message to retry until its attempt is due and fails its lane only; other lanes go on', async () => {
    const attempted: number[] = [];
    const hidden: [string, number][] = [];
    const results: Record<number, AttemptResult> = {
      1: { kind: 'retry', at: new Date(NOW.getTime() + 300_000) },
      3: { kind: 'done' },
      4: { kind: 'retry', at: new Date(NOW.getTime() + 20 * 3600_000) },
    };
    const response = await runDeliveryBatch(
      {
        attempt: async (job) => {
          attempted.push(job.deliveryId);
          return results[job.deliveryId] ?? { kind: 'done' };
        },
        changeVisibility: async (receiptHandle, seconds) => {
          hidden.push([receiptHandle, seconds]);
        },
        log,
        now: () => NOW,
      },
      [message('m1', 1, 'a'), message('m2', 2, 'a'), message('m3', 3, 'b'), message('m4', 4, 'c'), message('m5', 5, 'd')],
    );
    // m2 is behind m1 in lane a: not attempted, failed with it, so SQS keeps both in order.
    expect(attempted).toStrictEqual([1, 3, 4, 5]);
    expect(hidden).toStrictEqual([
      ['rh-m1', 300],
      ['rh-m4', 72_000],
    ]);
    expect(response.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }, { itemIdentifier: 'm4' }]);
  });

  it('drops a message whose body is not a job (it could never run) and reports an attempt that threw', async () => {
    const errors: unknown[] = [];
    const response = await runDeliveryBatch(
      {
        attempt: async () => {
          throw new Error('store unreachable');
        },
        changeVisibility: async () => undefined,
        log: { ...log, error: (...args: unknown[]) => errors.push(args) },
        now: () => NOW,
      },
      [{ messageId: 'bad', body: 'nope', receiptHandle: 'rh', attributes: { MessageGroupId: 'g' } }, message('m2', 2, 'a')],
    );
    expect(response.batchItemFailures).toStrictEqual([{ itemIdentifier: 'm2' }]);
    expect(errors).toStrictEqual([['delivery message dropped: its body is not a delivery job', { messageId: 'bad' }]]);
  });
});
