/** The delivery engine over in-memory ports and a fake sender: fan-out, attempts, retries, 410, order per lane. */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { buildRegistry } from '../../../lib/models/registry';
import { SecretBox } from '../../../lib/auth/secret-box';
import {
  attemptDelivery,
  deliveryEventId,
  eventBody,
  MAX_EVENT_BYTES,
  fanOut,
  scaledNextAttempt,
  type AttemptDeps,
  type FanOutDeps,
} from '../../../lib/webhooks/deliveries';
import { LocalDeliveryQueue } from '../../../lib/webhooks/local-queue';
import type { AttemptOutcome } from '../../../lib/webhooks/schedule';
import { MAX_ATTEMPTS, RETRY_OFFSETS_SECONDS } from '../../../lib/webhooks/schedule';
import type { DeliveryRequest } from '../../../lib/webhooks/sender';
import { newSigningSecret } from '../../../lib/webhooks/signature';
import { WEBHOOK_SECRET_AAD } from '../../../lib/webhooks/subscription';
import { shippedModels } from '../../../models';
import { change, MemoryWebhookStore, RecordingQueue } from './memory-webhook-store';

const registry = buildRegistry(shippedModels);
const box = new SecretBox(randomBytes(32), 'test');
const T0 = new Date('2026-12-06T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const ok = (status = 200): AttemptOutcome => ({ kind: 'response', status, body: '', truncated: false });

function setup(answers: (request: DeliveryRequest) => AttemptOutcome = () => ok()) {
  const store = new MemoryWebhookStore();
  const secret = newSigningSecret();
  store.addSubscription({
    id: 1,
    model: 'res.partner',
    url: 'https://one.example.com/hook',
    secretSealed: box.seal(secret, WEBHOOK_SECRET_AAD),
  });
  const sent: DeliveryRequest[] = [];
  const attemptDeps: AttemptDeps = {
    store,
    openSecret: async (sealed) => box.open(sealed, WEBHOOK_SECRET_AAD),
    send: async (request) => {
      sent.push(request);
      return answers(request);
    },
    local: false,
    retryScale: 1,
    clock: () => 0,
  };
  const queue = new RecordingQueue();
  const fanOutDeps: FanOutDeps = { store, queue, registry: async () => registry, now: () => T0 };
  return { store, secret, sent, attemptDeps, queue, fanOutDeps };
}

describe('fanOut', () => {
  it('makes one delivery per change and matching subscription, its body fixed, and queues them in stream order', async () => {
    const { store, queue, fanOutDeps } = setup();
    store.addSubscription({ id: 2, model: 'res.partner', fields: 'email' });
    store.addSubscription({ id: 3, model: 'res.country' });
    const changes = [
      change({ id: 7, version: 2, changed: ['name'] }),
      change({ id: 7, version: 3, changed: ['email'] }),
      change({ id: 9, version: 1, type: 'record.created' }),
    ];

    const counts = await fanOut(fanOutDeps, changes);

    // Subscription 2 watches email: the name-only update is not its; a create always is.
    expect(counts).toStrictEqual({ changes: 3, deliveries: 5, created: 5, unusable: 0, tooLarge: 0 });
    expect(queue.jobs).toStrictEqual([
      { deliveryId: 1, lane: '1:res.partner:7' },
      { deliveryId: 2, lane: '1:res.partner:7' },
      { deliveryId: 3, lane: '2:res.partner:7' },
      { deliveryId: 4, lane: '1:res.partner:9' },
      { deliveryId: 5, lane: '2:res.partner:9' },
    ]);
    const first = store.deliveries.get(1);
    expect(first).toMatchObject({
      webhookId: 1,
      eventId: deliveryEventId(changes[0]!.data.id, 1),
      eventType: 'record.updated',
      resModel: 'res.partner',
      resId: 7,
      resVersion: 2,
      state: 'pending',
      nextAttempt: T0,
    });
    expect(JSON.parse(first!.payload)).toStrictEqual({
      type: 'record.updated',
      timestamp: '2026-12-06T10:20:30.000Z',
      data: changes[0]!.data,
    });
    expect(first!.eventId).toMatch(/^msg_[A-Za-z0-9_-]{32}$/);
  });

  it('stamps an event without a write_date with the fan-out time', async () => {
    const { store, fanOutDeps } = setup();
    await fanOut(fanOutDeps, [change({ writeDate: null })]);
    expect(JSON.parse(store.deliveries.get(1)!.payload).timestamp).toBe(T0.toISOString());
  });

  it('is idempotent: the same batch handed over twice makes no second delivery and queues the same ids', async () => {
    const { store, queue, fanOutDeps } = setup();
    const changes = [change({ version: 2 }), change({ version: 3 })];
    await fanOut(fanOutDeps, changes);
    const again = await fanOut(fanOutDeps, changes);
    expect(again).toStrictEqual({ changes: 2, deliveries: 2, created: 0, unusable: 0, tooLarge: 0 });
    expect(store.deliveries.size).toBe(2);
    expect(queue.jobs.map((job) => job.deliveryId)).toStrictEqual([1, 2, 1, 2]);
  });

  it("skips the webhook machinery's own records and unusable subscriptions (reported), and queues nothing without a match", async () => {
    const { store, queue, fanOutDeps } = setup();
    store.addSubscription({ id: 5, model: 'x.gone' });
    const warnings: unknown[] = [];
    const log = {
      info: () => undefined,
      warn: (...args: unknown[]) => warnings.push(args),
      error: () => undefined,
      child: () => log,
    };
    const counts = await fanOut({ ...fanOutDeps, log }, [
      change({ model: 'ir.webhook.delivery' }),
      change({ model: 'res.country' }),
    ]);
    expect(counts).toStrictEqual({ changes: 2, deliveries: 0, created: 0, unusable: 1, tooLarge: 0 });
    expect(warnings).toStrictEqual([
      ['webhook subscription skipped', { webhookId: 5, reason: 'the model "x.gone" does not exist (any more)' }],
    ]);
    expect(queue.jobs).toStrictEqual([]);
  });

  it('sends a change too large for one body without its values, saying so', () => {
    const big = change({ id: 8, values: { comment: 'x'.repeat(MAX_EVENT_BYTES) } });
    const body = JSON.parse(eventBody(big, T0)) as { type: string; data: Record<string, unknown> };
    expect(body.type).toBe(big.data.type);
    expect(body.data).toMatchObject({ id: big.data.id, record_id: 8, old: null, new: null, values_omitted: true });
    expect(Buffer.byteLength(eventBody(big, T0))).toBeLessThan(MAX_EVENT_BYTES);
    const small = JSON.parse(eventBody(change({ id: 9 }), T0)) as { data: Record<string, unknown> };
    expect(small.data).not.toHaveProperty('values_omitted');
  });

  it('leaves out, and counts, an event too large to store rather than failing the batch', async () => {
    const { store, queue, fanOutDeps } = setup();
    store.maxPayload = 2000;
    const errors: unknown[] = [];
    const log = {
      info: () => undefined,
      warn: () => undefined,
      error: (...args: unknown[]) => errors.push(args),
      child: () => log,
    };
    const big = change({ id: 8, values: { comment: 'x'.repeat(5000) } });
    const counts = await fanOut({ ...fanOutDeps, log }, [change({ id: 7 }), big, change({ id: 9 })]);
    expect(counts).toStrictEqual({ changes: 3, deliveries: 2, created: 2, unusable: 0, tooLarge: 1 });
    expect(queue.jobs.map((job) => job.lane)).toStrictEqual(['1:res.partner:7', '1:res.partner:9']);
    expect(errors).toStrictEqual([
      [
        'webhook event too large to deliver',
        { webhookId: 1, eventId: deliveryEventId(big.data.id, 1), change: big.data.id },
      ],
    ]);
  });
});

describe('attemptDelivery', () => {
  async function oneDelivery(answers?: (request: DeliveryRequest) => AttemptOutcome, fannedOutAt = T0) {
    const context = setup(answers);
    await fanOut({ ...context.fanOutDeps, now: () => fannedOutAt }, [change({ version: 4 })]);
    const job = context.queue.jobs[0]!;
    return { ...context, job };
  }

  it('signs and sends the stored body, and records the delivery', async () => {
    // The oracle checks the timestamp against its own clock: this attempt runs now.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const { store, sent, attemptDeps, job, secret } = await oneDelivery(undefined, now);
    expect(await attemptDelivery(attemptDeps, job, now)).toStrictEqual({ kind: 'done' });

    const delivery = store.deliveries.get(job.deliveryId)!;
    expect(sent).toHaveLength(1);
    const request = sent[0]!;
    expect(request).toMatchObject({
      url: 'https://one.example.com/hook',
      body: delivery.payload,
      timeoutMs: 15_000,
      maxResponseBytes: 65_536,
      local: false,
    });
    expect(request.headers['webhook-id']).toBe(delivery.eventId);
    expect(request.headers['webhook-timestamp']).toBe(String(now.getTime() / 1000));
    // The independent oracle: the standardwebhooks package verifies what was signed.
    const verified = new Webhook(secret.slice('whsec_'.length)).verify(request.body, request.headers);
    expect(verified).toStrictEqual(JSON.parse(delivery.payload));
    expect(delivery).toMatchObject({
      state: 'delivered',
      attemptCount: 1,
      firstAttempt: now,
      nextAttempt: undefined,
      lastStatus: 200,
      lastError: null,
      deliveredAt: now,
    });
    expect(delivery.attemptLog).toStrictEqual([
      { number: 1, at: now.toISOString(), status: 200, error: null, duration_ms: 0 },
    ]);
  });

  it('retries a failed attempt on the schedule, answers an early wake without sending, and delivers on attempt 2', async () => {
    let status = 500;
    const { store, sent, attemptDeps, job } = await oneDelivery(() => ok(status));
    expect(await attemptDelivery(attemptDeps, job, at(0))).toStrictEqual({ kind: 'retry', at: at(5) });
    expect(store.deliveries.get(job.deliveryId)).toMatchObject({
      state: 'pending',
      attemptCount: 1,
      nextAttempt: at(5),
      lastStatus: 500,
      lastError: 'HTTP 500',
    });

    expect(await attemptDelivery(attemptDeps, job, at(2))).toStrictEqual({ kind: 'retry', at: at(5) });
    expect(sent).toHaveLength(1);

    status = 204;
    expect(await attemptDelivery(attemptDeps, job, at(6))).toStrictEqual({ kind: 'done' });
    const delivery = store.deliveries.get(job.deliveryId)!;
    expect(delivery).toMatchObject({
      state: 'delivered',
      attemptCount: 2,
      lastStatus: 204,
      lastError: null,
      firstAttempt: at(0),
    });
    expect(delivery.attemptLog.map(({ number, status: s, error }) => [number, s, error])).toStrictEqual([
      [1, 500, 'HTTP 500'],
      [2, 204, null],
    ]);
    expect(new Set(sent.map((request) => request.headers['webhook-id'])).size).toBe(1);
  });

  it('counts the schedule from the first attempt, scaled by retryScale', async () => {
    const { attemptDeps, job } = await oneDelivery(() => ok(503));
    const scaled = { ...attemptDeps, retryScale: 0.5 };
    expect(await attemptDelivery(scaled, job, at(0))).toStrictEqual({ kind: 'retry', at: at(2.5) });
    // Attempt 2 runs late: attempt 3 is still due 150 s (300 s scaled) after the first.
    expect(await attemptDelivery(scaled, job, at(100))).toStrictEqual({ kind: 'retry', at: at(150) });
    expect(scaledNextAttempt(T0, 1, 1)).toStrictEqual(at(5));
  });

  it('gives the delivery up as failed once the schedule is spent', async () => {
    const { store, sent, attemptDeps, job } = await oneDelivery(() => ({
      kind: 'timeout',
      message: 'no answer within 15000 ms',
    }));
    let now = at(0);
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      const result = await attemptDelivery(attemptDeps, job, now);
      expect(result).toStrictEqual({ kind: 'retry', at: at(RETRY_OFFSETS_SECONDS[attempt - 1]!) });
      now = (result as { at: Date }).at;
    }
    expect(await attemptDelivery(attemptDeps, job, now)).toStrictEqual({ kind: 'done' });
    const delivery = store.deliveries.get(job.deliveryId)!;
    expect(delivery).toMatchObject({
      state: 'failed',
      attemptCount: MAX_ATTEMPTS,
      nextAttempt: undefined,
      lastStatus: 0,
      lastError: 'timeout: no answer within 15000 ms',
    });
    expect(delivery.attemptLog).toHaveLength(MAX_ATTEMPTS);
    expect(await attemptDelivery(attemptDeps, job, at(200_000))).toStrictEqual({ kind: 'done' });
    expect(sent).toHaveLength(MAX_ATTEMPTS);
  });

  it('disables the delivery and the subscription when the receiver answers 410 Gone', async () => {
    const { store, attemptDeps, job } = await oneDelivery(() => ({
      kind: 'response',
      status: 410,
      body: 'gone',
      truncated: false,
    }));
    expect(await attemptDelivery(attemptDeps, job, at(0))).toStrictEqual({ kind: 'done' });
    expect(store.deliveries.get(job.deliveryId)).toMatchObject({
      state: 'disabled',
      attemptCount: 1,
      lastStatus: 410,
      lastError: 'HTTP 410 Gone: the receiver asked to stop: gone',
    });
    expect(store.subscriptions.get(1)?.active).toBe(false);
  });

  it('sends nothing for a subscription that was deleted or turned off since, and marks the delivery disabled', async () => {
    const { store, sent, attemptDeps, job } = await oneDelivery();
    store.subscriptions.get(1)!.active = false;
    expect(await attemptDelivery(attemptDeps, job, at(0))).toStrictEqual({ kind: 'done' });
    expect(store.deliveries.get(job.deliveryId)).toMatchObject({
      state: 'disabled',
      attemptCount: 0,
      lastError: 'Not sent: the subscription is inactive',
    });
    expect(sent).toHaveLength(0);

    const other = await oneDelivery();
    other.store.subscriptions.delete(1);
    await attemptDelivery(other.attemptDeps, other.job, at(0));
    expect(other.store.deliveries.get(other.job.deliveryId)).toMatchObject({
      state: 'disabled',
      lastError: 'Not sent: the subscription was deleted',
    });
  });

  it('does nothing for a delivery that is over or unknown', async () => {
    const { sent, attemptDeps, job } = await oneDelivery();
    await attemptDelivery(attemptDeps, job, at(0));
    expect(await attemptDelivery(attemptDeps, job, at(1))).toStrictEqual({ kind: 'done' });
    expect(await attemptDelivery(attemptDeps, { deliveryId: 999, lane: 'x' }, at(1))).toStrictEqual({ kind: 'done' });
    expect(sent).toHaveLength(1);
  });

  it('keeps the record of a worker that recorded the attempt first, and answers what it says', async () => {
    const { store, attemptDeps, job } = await oneDelivery(() => ok(500));
    store.beforeRecord = (read) => {
      store.beforeRecord = undefined;
      // Another worker records attempt 1 first: a retry due at +5 s.
      void store.recordAttempt(read, { state: 'pending', attemptCount: 1, nextAttempt: at(5) });
    };
    expect(await attemptDelivery(attemptDeps, job, at(0))).toStrictEqual({ kind: 'retry', at: at(5) });
    expect(store.deliveries.get(job.deliveryId)).toMatchObject({ attemptCount: 1, attemptLog: [] });
  });

  it('records a secret that cannot be opened as the attempt error, sending nothing', async () => {
    const { store, sent, attemptDeps, job } = await oneDelivery();
    store.subscriptions.get(1)!.secretSealed = new SecretBox(randomBytes(32), 'other').seal(
      'whsec_x',
      WEBHOOK_SECRET_AAD,
    );
    expect(await attemptDelivery(attemptDeps, job, at(0))).toStrictEqual({ kind: 'retry', at: at(5) });
    expect(sent).toHaveLength(0);
    const { lastError, lastStatus } = store.deliveries.get(job.deliveryId) as { lastError: string; lastStatus: number };
    expect(lastStatus).toBe(0);
    expect(lastError).toMatch(/^refused: not sent: the signing secret could not be opened \(sealed under key "other"/);
    expect(lastError).not.toContain('whsec_');
  });
});

describe('fanOut and attempts through the local queue', () => {
  it('delivers the changes to one record in version order even when one attempt fails in the middle', async () => {
    const received: number[] = [];
    let failures = 0;
    const context = setup((request) => {
      const version = (JSON.parse(request.body) as { data: { version: number } }).data.version;
      if (version === 5 && failures < 2) {
        failures++;
        return ok(500);
      }
      received.push(version);
      return ok();
    });
    const deps = { ...context.attemptDeps, retryScale: 0.0001 };
    const queue = new LocalDeliveryQueue((job) => attemptDelivery(deps, job, new Date()));
    const changes = Array.from({ length: 10 }, (_, i) => change({ id: 7, version: i + 1 }));
    await fanOut({ ...context.fanOutDeps, queue, now: () => new Date() }, changes);
    await queue.idle();
    expect(received).toStrictEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(failures).toBe(2);
    expect([...context.store.deliveries.values()].every((d) => d.state === 'delivered')).toBe(true);
    await queue.stop();
  });
});
