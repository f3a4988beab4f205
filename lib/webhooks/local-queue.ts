/**
 * The in-process DeliveryQueue of the local stage (`npm start`) and the tests: what SQS FIFO does for a
 * deployed stage, in memory. Each lane (subscription + model + record) is a FIFO with one job in flight;
 * a job whose attempt asks for a retry stays at the head of its lane, behind a timer set for the time it
 * named, so the lane's later jobs wait for it — the changes to one record reach the receiver in version
 * order, retries included. Lanes do not wait for each other.
 *
 * Pending retries live in this process only: when `npm start` stops, a delivery waiting for its next
 * attempt stays `pending` in the records table (its next_attempt shows when it was due) and is not
 * attempted again.
 */
import type { AttemptResult, DeliveryJob, DeliveryQueue } from './port';

export type RunJob = (job: DeliveryJob) => Promise<AttemptResult>;

export interface LocalQueueOptions {
  /** Told when running a job threw (the store was unreachable, say); the job is tried again later. */
  readonly onError?: (error: unknown, job: DeliveryJob) => void;
  /** The first pause after a job threw, doubled on each further throw of the lane, up to a minute. */
  readonly errorDelayMs?: number;
  /** Epoch ms; Date.now unless given. */
  readonly now?: () => number;
}

const MAX_ERROR_DELAY_MS = 60_000;

interface Lane {
  readonly jobs: DeliveryJob[];
  running: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Throws in a row by the head job, for its back-off. */
  errors: number;
}

export class LocalDeliveryQueue implements DeliveryQueue {
  readonly #run: RunJob;
  readonly #options: LocalQueueOptions;
  readonly #lanes = new Map<string, Lane>();
  readonly #running = new Set<Promise<void>>();
  #idleWaiters: (() => void)[] = [];
  #stopped = false;

  constructor(run: RunJob, options: LocalQueueOptions = {}) {
    this.#run = run;
    this.#options = options;
  }

  async enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
    if (this.#stopped) throw new Error('The local delivery queue is stopped');
    const touched = new Set<string>();
    for (const job of jobs) {
      let lane = this.#lanes.get(job.lane);
      if (!lane) {
        lane = { jobs: [], running: false, timer: undefined, errors: 0 };
        this.#lanes.set(job.lane, lane);
      }
      lane.jobs.push(job);
      touched.add(job.lane);
    }
    for (const name of touched) this.#pump(name);
  }

  /** Resolves once no job is queued, running or waiting for a retry (at once when stopped). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** How many jobs are queued or running, retries included. */
  get size(): number {
    let count = 0;
    for (const lane of this.#lanes.values()) count += lane.jobs.length;
    return count;
  }

  /** Clears the retry timers, drops the jobs not started and waits for those running. Final. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const lane of this.#lanes.values()) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = undefined;
      lane.jobs.length = lane.running ? 1 : 0;
    }
    await Promise.all(this.#running);
    this.#lanes.clear();
    this.#settleIdle();
  }

  #isIdle(): boolean {
    return this.#stopped ? this.#running.size === 0 : this.#lanes.size === 0;
  }

  #settleIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #pump(name: string): void {
    const lane = this.#lanes.get(name);
    if (!lane || lane.running || lane.timer || this.#stopped) return;
    const job = lane.jobs[0];
    if (!job) {
      this.#lanes.delete(name);
      this.#settleIdle();
      return;
    }
    lane.running = true;
    const running: Promise<void> = this.#run(job).then(
      (result) => {
        lane.errors = 0;
        if (result.kind === 'done') lane.jobs.shift();
        else this.#wait(name, lane, result.at.getTime());
      },
      (error: unknown) => {
        try {
          this.#options.onError?.(error, job);
        } catch {
          // A failing error report must not stop the lane.
        }
        const delay = Math.min((this.#options.errorDelayMs ?? 1000) * 2 ** lane.errors, MAX_ERROR_DELAY_MS);
        lane.errors++;
        this.#wait(name, lane, this.#now() + delay);
      },
    );
    this.#running.add(running);
    void running.finally(() => {
      this.#running.delete(running);
      lane.running = false;
      if (this.#stopped) this.#settleIdle();
      else this.#pump(name);
    });
  }

  #wait(name: string, lane: Lane, at: number): void {
    if (this.#stopped) return;
    lane.timer = setTimeout(
      () => {
        lane.timer = undefined;
        this.#pump(name);
      },
      Math.max(0, at - this.#now()),
    );
    // A pending retry does not keep a process alive that has nothing else to do.
    lane.timer.unref();
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}
