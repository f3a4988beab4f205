/**
 * npm run fuzz: the fuzz properties of test/fuzz/properties.ts (the ones `npm test` runs a bounded
 * smoke of), run for a time budget instead of a number of cases.
 *
 *   npm run fuzz -- [--time 60] [--only literal,domain] [--seed N] [--jobs N] [--case-ms 2000] [--hang-ms 20000]
 *   npm run fuzz -- --only literal --seed N --path P     replays one case (printed first)
 *   npm run fuzz -- --list                               names the properties
 *
 * The budget (seconds, default 60) is split evenly between the selected properties (time one
 * leaves unused goes to the ones after it), which run `--jobs` at a time (default: one per
 * core), each in its own worker thread, as a loop of
 * fc.check batches with fresh seeds (N, N+1, ... with --seed) until its share is spent. For each
 * property it prints the cases run and cases/s, and the first counterexample with its seed and
 * path, the command that replays it, and the error. Exit code 1 if any property failed.
 *
 * Hangs: a synchronous parser that loops forever cannot be interrupted from inside its own
 * thread (fast-check's per-run timeout only applies to async properties), so the main thread
 * watches a shared counter of cases; a worker that makes no progress for --hang-ms is stopped
 * and reported with the seed and path of the case it was on. A case that finishes but takes
 * longer than --case-ms (twice running) fails as a counterexample of its own, "slow case".
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { FUZZ_TARGETS, type FuzzTarget } from '../test/fuzz/properties';

interface Options {
  readonly timeSeconds: number;
  readonly only: readonly string[] | undefined;
  readonly seed: number | undefined;
  readonly path: string | undefined;
  readonly jobs: number;
  readonly caseMs: number;
  readonly hangMs: number;
  readonly list: boolean;
}

interface WorkerInput {
  readonly target: string;
  readonly budgetMs: number;
  readonly seed: number | undefined;
  readonly caseMs: number;
  /** [cases run (not counting shrinking), index of the case within its batch, shrinking?, first failing index] */
  readonly progress: SharedArrayBuffer;
}

type WorkerMessage =
  | { readonly type: 'batch'; readonly seed: number }
  | { readonly type: 'done'; readonly cases: number; readonly elapsedMs: number; readonly batches: number }
  | {
      readonly type: 'failure';
      readonly cases: number;
      readonly elapsedMs: number;
      readonly batches: number;
      readonly seed: number;
      readonly path: string;
      readonly counterexample: string;
      readonly error: string;
    };

const CASES = 0;
const INDEX = 1;
const SHRINKING = 2;
const FIRST_FAILURE = 3;

// ---------------------------------------------------------------------------------------------
// Options

function usage(message: string): never {
  console.error(`${message}\nusage: npm run fuzz -- [--time 60] [--only ${FUZZ_TARGETS.map((t) => t.name).join(',')}] [--seed N] [--path P] [--jobs N] [--case-ms 2000] [--hang-ms 20000] [--list]`);
  process.exit(2);
}

function parseOptions(argv: readonly string[]): Options {
  const values = new Map<string, string>();
  let list = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--list') {
      list = true;
      continue;
    }
    const match = /^--(time|only|seed|path|jobs|case-ms|hang-ms)(?:=(.*))?$/.exec(arg);
    if (!match) usage(`unknown argument ${arg}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) usage(`${arg} needs a value`);
    values.set(match[1] as string, value);
  }
  const number = (name: string, fallback: number, integer = false): number => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) usage(`--${name} must be a number`);
    return value;
  };
  const only = values.get('only')?.split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of only ?? []) if (!FUZZ_TARGETS.some((t) => t.name === name)) usage(`no property named ${name}`);
  const seed = values.has('seed') ? number('seed', 0, true) | 0 : undefined;
  const path = values.get('path');
  if (path !== undefined && (seed === undefined || only?.length !== 1)) usage('--path replays one case: give --seed and exactly one --only');
  const timeSeconds = number('time', 60);
  if (timeSeconds <= 0) usage('--time must be positive');
  return {
    timeSeconds,
    only,
    seed,
    path,
    jobs: Math.max(1, number('jobs', availableParallelism(), true)),
    caseMs: number('case-ms', 2000),
    hangMs: number('hang-ms', 20_000),
    list,
  };
}

function targetNamed(name: string): FuzzTarget {
  const target = FUZZ_TARGETS.find((t) => t.name === name);
  if (!target) throw new Error(`no property named ${name}`);
  return target;
}

const randomSeed = (): number => (Math.random() * 0x1_0000_0000) | 0;

// ---------------------------------------------------------------------------------------------
// Worker: fc.check batches until the budget is spent

function describeFailure(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message}\n${(error.stack ?? '').split('\n').slice(1, 8).join('\n')}`;
  return String(error);
}

function runWorker(input: WorkerInput): void {
  const target = targetNamed(input.target);
  const progress = new Int32Array(input.progress);
  const started = performance.now();
  let cases = 0;
  let batches = 0;
  let failed = false;
  const timed = (run: () => void): number => {
    const begin = performance.now();
    run();
    return performance.now() - begin;
  };
  const property = target.instrumented((_input, run) => {
    Atomics.store(progress, INDEX, Atomics.load(progress, INDEX) + 1);
    if (!failed) Atomics.store(progress, CASES, ++cases);
    try {
      const ms = timed(run);
      if (ms > input.caseMs) {
        // Once more, so that a pause of the machine (GC, another process) is not taken for the parser's.
        const retry = timed(run);
        if (retry > input.caseMs) throw new Error(`slow case: ${Math.round(ms)} ms and ${Math.round(retry)} ms, over the ${input.caseMs} ms limit`);
      }
    } catch (error) {
      if (!failed) {
        // From here on fast-check shrinks; the watchdog then reports this case if shrinking hangs.
        failed = true;
        Atomics.store(progress, FIRST_FAILURE, Atomics.load(progress, INDEX) - 1);
        Atomics.store(progress, SHRINKING, 1);
      }
      throw error;
    }
  });

  let numRuns = 100;
  let seed = input.seed ?? randomSeed();
  for (;;) {
    const remaining = input.budgetMs - (performance.now() - started);
    if (remaining <= 0) break;
    Atomics.store(progress, INDEX, 0);
    parentPort?.postMessage({ type: 'batch', seed } satisfies WorkerMessage);
    const batchStart = performance.now();
    const before = cases;
    const details = fc.check(property, { seed, numRuns, interruptAfterTimeLimit: Math.max(1, Math.round(remaining)), markInterruptAsFailure: false });
    batches++;
    if (details.failed) {
      parentPort?.postMessage({
        type: 'failure',
        cases,
        elapsedMs: performance.now() - started,
        batches,
        seed: details.seed,
        path: details.counterexamplePath ?? '',
        counterexample: details.counterexample === null ? '(none: too many skipped cases)' : fc.stringify(details.counterexample[0]),
        error: describeFailure(details.errorInstance),
      } satisfies WorkerMessage);
      return;
    }
    // Batches of about a second: long enough to amortise fc.check, short enough to stop on time.
    const elapsed = performance.now() - batchStart;
    const ran = cases - before;
    if (ran > 0 && elapsed > 0) numRuns = Math.min(200_000, Math.max(50, Math.round((ran * 1000) / elapsed)));
    seed = input.seed === undefined ? randomSeed() : (seed + 1) | 0;
  }
  parentPort?.postMessage({ type: 'done', cases, elapsedMs: performance.now() - started, batches } satisfies WorkerMessage);
}

// ---------------------------------------------------------------------------------------------
// Main thread

interface Report {
  readonly target: string;
  readonly cases: number;
  readonly elapsedMs: number;
  readonly batches: number;
  readonly failure?: { readonly kind: 'counterexample' | 'hang' | 'crash'; readonly seed?: number; readonly path?: string; readonly counterexample?: string; readonly error: string };
}

function startWorker(target: string, budgetMs: number, options: Options): Promise<Report> {
  const progress = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
  const counters = new Int32Array(progress);
  const input: WorkerInput = { target, budgetMs, seed: options.seed, caseMs: options.caseMs, progress };
  // An eval worker, so that it loads TypeScript through tsx's require hook like this file does.
  const worker = new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(__filename)});`, { eval: true, workerData: input, execArgv: [] });
  const started = performance.now();
  let batchSeed: number | undefined;
  let batches = 0;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (report: Report) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      resolve(report);
    };
    let lastCount = -1;
    let lastIndex = -1;
    let lastChange = performance.now();
    const watchdog = setInterval(() => {
      if (batchSeed === undefined) return;
      const count = Atomics.load(counters, CASES);
      const index = Atomics.load(counters, INDEX);
      if (count !== lastCount || index !== lastIndex) {
        lastCount = count;
        lastIndex = index;
        lastChange = performance.now();
        return;
      }
      if (performance.now() - lastChange < options.hangMs) return;
      const shrinking = Atomics.load(counters, SHRINKING) === 1;
      // The case that was running: index - 1 within its batch (or the failure being shrunk).
      const path = String(shrinking ? Atomics.load(counters, FIRST_FAILURE) : index - 1);
      void worker.terminate();
      finish({
        target,
        cases: count,
        elapsedMs: performance.now() - started,
        batches,
        failure: {
          kind: 'hang',
          seed: batchSeed,
          path,
          error: `no progress for ${Math.round((performance.now() - lastChange) / 1000)} s ${shrinking ? 'while shrinking the counterexample at this path' : 'on the case at this path'} (limit --hang-ms ${options.hangMs})`,
        },
      });
    }, 250);
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'batch') {
        // The watchdog counts from the first batch: loading the modules is not a hang.
        if (batchSeed === undefined) lastChange = performance.now();
        batchSeed = message.seed;
        batches++;
      } else if (message.type === 'done') {
        finish({ target, cases: message.cases, elapsedMs: message.elapsedMs, batches: message.batches });
      } else {
        finish({
          target,
          cases: message.cases,
          elapsedMs: message.elapsedMs,
          batches: message.batches,
          failure: { kind: 'counterexample', seed: message.seed, path: message.path, counterexample: message.counterexample, error: message.error },
        });
      }
    });
    worker.on('error', (error) => finish({ target, cases: Atomics.load(counters, CASES), elapsedMs: performance.now() - started, batches, failure: { kind: 'crash', seed: batchSeed, error: describeFailure(error) } }));
    worker.on('exit', (code) => finish({ target, cases: Atomics.load(counters, CASES), elapsedMs: performance.now() - started, batches, failure: { kind: 'crash', seed: batchSeed, error: `worker exited with code ${code}` } }));
  });
}

function cut(text: string, max = 4000): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

function printReport(report: Report): void {
  const seconds = report.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(report.cases / seconds) : 0;
  const status = report.failure ? report.failure.kind.toUpperCase() : 'ok';
  console.log(`${report.target.padEnd(12)} ${String(report.cases).padStart(10)} cases  ${seconds.toFixed(1).padStart(6)} s  ${String(rate).padStart(8)} cases/s  ${String(report.batches).padStart(4)} batches  ${status}`);
}

function printFailure(report: Report): void {
  const { failure } = report;
  if (!failure) return;
  console.log(`\n--- ${report.target}: ${failure.kind}`);
  if (failure.seed !== undefined) console.log(`seed ${failure.seed}${failure.path !== undefined ? `, path ${failure.path}` : ''}`);
  if (failure.seed !== undefined && failure.path !== undefined && failure.path !== '') {
    console.log(`replay: npm run fuzz -- --only ${report.target} --seed ${failure.seed} --path ${failure.path}`);
  }
  if (failure.counterexample !== undefined) console.log(`counterexample: ${cut(failure.counterexample)}`);
  console.log(cut(failure.error));
}

/**
 * Runs `run` over `items`, `size` at a time. `run` gets how many items have not started yet,
 * itself included, so it can share out what is left of the time.
 */
async function pool<T, R>(items: readonly T[], size: number, run: (item: T, notStarted: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index] as T, items.length - index);
    }
  });
  await Promise.all(lanes);
  return results;
}

function replay(options: Options): void {
  const target = targetNamed((options.only as readonly string[])[0] as string);
  console.log(`replaying ${target.name} seed ${options.seed} path ${options.path}`);
  const property = target.instrumented((input, run) => {
    console.log(`input: ${cut(fc.stringify(input), 20_000)}`);
    const begin = performance.now();
    try {
      run();
    } finally {
      console.log(`ran in ${(performance.now() - begin).toFixed(1)} ms`);
    }
  });
  const details = fc.check(property, { seed: options.seed, path: options.path, numRuns: 1, endOnFailure: true });
  if (!details.failed) {
    console.log('the case passes');
    return;
  }
  console.log(`FAILED: ${describeFailure(details.errorInstance)}`);
  process.exitCode = 1;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.list) {
    for (const target of FUZZ_TARGETS) console.log(`${target.name.padEnd(12)} ${target.description}`);
    return;
  }
  if (options.path !== undefined) {
    replay(options);
    return;
  }
  const names = options.only ?? FUZZ_TARGETS.map((t) => t.name);
  const jobs = Math.min(options.jobs, names.length);
  const deadline = performance.now() + options.timeSeconds * 1000;
  // Each property gets an even share of the time left when it starts: `jobs` run at once, and
  // the time a property leaves unused (it stopped at a counterexample) goes to the ones after it.
  console.log(
    `fuzzing ${names.join(', ')} for ${options.timeSeconds} s: about ${((options.timeSeconds * jobs) / names.length).toFixed(1)} s each, ${jobs} at a time${options.seed === undefined ? '' : `, seeds from ${options.seed}`}`,
  );
  const reports = await pool(names, jobs, async (name, notStarted) => {
    const rounds = Math.ceil(notStarted / jobs);
    const report = await startWorker(name, Math.max(0, deadline - performance.now()) / rounds, options);
    printReport(report);
    return report;
  });
  const failures = reports.filter((r) => r.failure);
  const total = reports.reduce((n, r) => n + r.cases, 0);
  console.log(`\n${total} cases, ${failures.length === 0 ? 'no counterexample' : `${failures.length} of ${reports.length} properties failed`}`);
  for (const report of failures) printFailure(report);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  runWorker(workerData as WorkerInput);
}
