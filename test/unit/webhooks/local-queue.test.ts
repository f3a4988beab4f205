/** The in-process delivery queue: FIFO lanes with one job in flight, retries at their time, idle and stop. */
import { LocalDeliveryQueue } from '../../../lib/webhooks/local-queue';
import type { AttemptResult, DeliveryJob } from '../../../lib/webhooks/port';

const job = (deliveryId: number, lane = 'a'): DeliveryJob => ({ deliveryId, lane });
const done: AttemptResult = { kind: 'done' };
const soon = (ms = 5): AttemptResult => ({ kind: 'retry', at: new Date(Date.now() + ms) });

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('LocalDeliveryQueue', () => {
  it('runs the jobs of one lane one at a time, in enqueue order', async () => {
    const started: number[] = [];
    let inFlight = 0;
    let most = 0;
    const queue = new LocalDeliveryQueue(async ({ deliveryId }) => {
      started.push(deliveryId);
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return done;
    });
    await queue.enqueue([job(1), job(2)]);
    await queue.enqueue([job(3)]);
    await queue.idle();
    expect(started).toStrictEqual([1, 2, 3]);
    expect(most).toBe(1);
  });

  it('holds a lane behind a job waiting for its retry, while other lanes go on', async () => {
    const runs: string[] = [];
    let firstTries = 0;
    const gate = deferred<void>();
    const queue = new LocalDeliveryQueue(async ({ deliveryId, lane }) => {
      runs.push(`${lane}${deliveryId}`);
      if (deliveryId === 1 && ++firstTries < 3) return soon();
      if (lane === 'b') gate.resolve();
      return done;
    });
    await queue.enqueue([job(1, 'a'), job(2, 'a'), job(3, 'b')]);
    await gate.promise;
    // Lane b ran while a1 waited for its retry, and a2 has not run yet.
    expect(runs).toStrictEqual(['a1', 'b3']);
    await queue.idle();
    expect(runs).toStrictEqual(['a1', 'b3', 'a1', 'a1', 'a2']);
  });

  it('runs both lanes concurrently: a slow job of one lane does not wait for another', async () => {
    const slow = deferred<AttemptResult>();
    const runs: number[] = [];
    const queue = new LocalDeliveryQueue(async ({ deliveryId }) => {
      runs.push(deliveryId);
      return deliveryId === 1 ? slow.promise : done;
    });
    await queue.enqueue([job(1, 'a'), job(2, 'b')]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toStrictEqual([1, 2]);
    let idle = false;
    const waiting = queue.idle().then(() => (idle = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    slow.resolve(done);
    await waiting;
    expect(queue.size).toBe(0);
  });

  it('tries a job that threw again after a pause, telling onError', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const queue = new LocalDeliveryQueue(
      async () => {
        if (++calls === 1) throw new Error('store unreachable');
        return done;
      },
      { errorDelayMs: 1, onError: (error, failed) => errors.push([(error as Error).message, failed.deliveryId]) },
    );
    await queue.enqueue([job(4)]);
    await queue.idle();
    expect(calls).toBe(2);
    expect(errors).toStrictEqual([['store unreachable', 4]]);
  });

  it('resolves idle at once when nothing is queued', async () => {
    const queue = new LocalDeliveryQueue(async () => done);
    await expect(queue.idle()).resolves.toBeUndefined();
  });

  it('stop clears the pending retries, drops what did not start and refuses new jobs', async () => {
    const runs: number[] = [];
    const queue = new LocalDeliveryQueue(async ({ deliveryId }) => {
      runs.push(deliveryId);
      return { kind: 'retry', at: new Date(Date.now() + 60_000) };
    });
    await queue.enqueue([job(1), job(2)]);
    await new Promise((resolve) => setImmediate(resolve));
    await queue.stop();
    await queue.idle();
    expect(runs).toStrictEqual([1]);
    expect(queue.size).toBe(0);
    await expect(queue.enqueue([job(3)])).rejects.toThrow('The local delivery queue is stopped');
  });
});
