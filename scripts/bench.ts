/**
 * npm run bench: what a PUT /restapi/1.0/object/{model}?ids=...&vals=... costs, on this machine,
 * against DynamoDB Local. It starts everything it needs on free loopback ports and stops it at
 * the end (also on failure or Ctrl-C); every phase is bounded in count and in time.
 *
 *   1. In process: the object handler's logic (routeObjectRequest) on 1, 10 and 100 ids, with an
 *      API Gateway event as the authorizer would pass it. Per call: the DynamoDB commands sent and
 *      the HTTP requests they took (an SDK middleware counts both), the sequential round trips
 *      (the commands' start/end times swept into waves), this process's CPU, latency p50/p99.
 *   2. The baseline a user might write instead: one conditional UpdateItem per id, sequential and
 *      in parallel, with the same columns.
 *   3. Over HTTP: the local API under serverless-offline (authorizer included), concurrency 8.
 *   4. The Lambda bundles, built as serverless.yml's custom.esbuild builds them: size, and the time
 *      a fresh node process takes to require each one; a bundle of the DynamoDB client alone shows
 *      how much of that is the AWS SDK's.
 *   5. A model of BENCH_LARGE_RECORDS (100,000) partners: search_read pages, search_count, read, create;
 *      searches through the declared field indexes (issue 11: ref, a dotted path, a name prefix) beside
 *      the same through a walk (city, unindexed), with each search's X-Query-Plan; PUT lists of 100 ids
 *      on an unindexed and an indexed field with the write units they consume (table and indexes).
 *   6. The authorizer per scheme (OAuth 2 Bearer, Basic, OAuth 1.0a): the latency and DynamoDB
 *      requests it adds to every request.
 *   7. Computed writes (issue 14): PUT of 1, 10 and 100 ids in process as in 1., with
 *      vals={'color': {'$inc': 1}} and with the same plus where=[('color','>=',0)], beside the plain
 *      PUT (still 2 sequential round trips); then why they exist: RACE_CLIENTS concurrent clients
 *      adding 1 to one record's color by reading then writing (GET, then PUT color+1) against as
 *      many concurrent {'$inc': 1} PUTs, and how many increments each lost.
 *   8. Metering (issue 13): PUT of 1, 10 and 99 ids and a GET of one record in process, unmetered,
 *      with the usage ledger only, and under a plan (rate window + day and month quota): DynamoDB
 *      commands and sequential round trips per call, and the p50 each adds.
 *
 *   9. The writes queue (issue 12): batches of 10 write messages of 1 and 98 ids through runQueueBatch.
 *  10. The change feed (issue 12): the local stage's consumer (scripts/local-changes.ts, the stream
 *      handler's code on DynamoDB Local's stream): changes per second out of a burst of PUT lists, and
 *      the delay from a write's answer to its signed webhook at a receiver on this machine.
 *
 *  11. A custom field's index (lib/indexes/custom.ts): a custom model of CUSTOM_RECORDS records, 80 of
 *      an x_code equality matching 1% and its count, walked before the field is indexed and looked up
 *      after; the builder's pace (records given their entries per second).
 *
 * BENCH_ONLY=large runs 5. alone, BENCH_ONLY=computed runs 7. alone, BENCH_ONLY=metering runs 8. alone,
 * BENCH_ONLY=queue runs 9. alone, BENCH_ONLY=changes runs 10. alone, BENCH_ONLY=custom runs 11. alone.
 *
 * A summary line at the end checks the design targets (PASS/FAIL is printed, never an exit code).
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { build } from 'esbuild';
import OAuth from 'oauth-1.0a';
import { getClient } from '../lib/auth/admin';
import { authorizeRequest, type AuthorizerDeps } from '../lib/auth/authorizer';
import { keyRingFrom } from '../lib/auth/keys';
import { issueOAuth1AccessToken } from '../lib/auth/oauth1/flow';
import { basicTokenEndpoint, oauth2TokenEndpoint } from '../lib/auth/oauth2';
import { loadLocalKey } from '../lib/auth/secret-box';
import { DynamoAuthStore } from '../lib/store/dynamodb/auth-table';
import { recordsFromData } from '../lib/runtime/demo';
import { createLogger, type Logger } from '../lib/runtime/log';
import { buildRegistry } from '../lib/models/registry';
import { buildAccessRules } from '../lib/models/access';
import { routeObjectRequest, type ObjectDeps } from '../lib/object-api/router';
import { createRecord, formatOdooDatetime, writeRecords } from '../lib/records';
import { newSigningSecret } from '../lib/webhooks/signature';
import type { PyValue } from '../lib/wire/pyvalue';
import { createDocumentClient } from '../lib/store/dynamodb/client';
import { DynamoRecordStore, recordItemKey } from '../lib/store/dynamodb/records-table';
import { INDEX_SLOTS } from '../lib/indexes/keys';
import { MAX_SORTED_SLOTS, orderKeyOf, sortedFields, walkKeyOf } from '../lib/indexes/order';
import { ensureTables } from '../lib/store/dynamodb/tables';
import { MAX_TRANSACTION_ACTIONS, type RecordStore, type StoredRecord } from '../lib/records/port';
import { PLAN_CONTEXT_KEY, planToContext, type Plan } from '../lib/metering/plan';
import { DynamoMeterStore } from '../lib/store/dynamodb/usage-table';
import { runQueueBatch, type QueueRecord } from '../lib/queue/batch';
import { runQueuedMessage, type DeadLetters, type QueueDeps } from '../lib/queue/run';
import { shippedAccessRules, shippedModels } from '../models';
import demoData from './demo-data.json';
import { buildLambda, lambdaEsbuildOptions } from './lambda-bundles';
import { objectRouteEvent } from './api-events';
import { bulkLoad } from './bulk-load';
import { buildIndexes } from '../lib/indexes/build';
import { INDEX_FENCE_MS } from '../lib/indexes/custom';
import { catalogIndexedStore } from '../lib/runtime/indexed-store';
import { fetchToken, machineLine, runWithCleanup, type Cleanup } from './script-run';
import { freePort, LOCAL_TABLES, localKeyFile, prepareData, startApi, startChangeFeed, startDynamo, type DemoAuth, type DemoClient } from './local-stack';
// The core-only CPU row runs the same handler code over the port in memory, so the CPU left is ours, not
// the SDK's (plus the double's copies of what it returns and stores: microseconds per record).
import { MemoryRecordStore } from '../test/helpers/memory-record-store';
import { runHttp, type HttpOptions } from '../lib/http';
import { runAuthorizer } from '../lib/http';

/** The authorizer as its handler runs it: API Gateway's event in, its policy (or `Unauthorized`) out. */
const authorizeEvent = (deps: AuthorizerDeps, log: Logger, event: APIGatewayRequestAuthorizerEvent) =>
  runAuthorizer(event, (request) => authorizeRequest(deps, log, request));

/** The object handler's work on one event: lib/http around the object route, as handlers/object.ts runs it. */
const serveObject = (deps: ObjectDeps, options: HttpOptions, event: APIGatewayProxyEvent) =>
  runHttp(event, options, (request) => routeObjectRequest(deps, request));

const ROOT = join(__dirname, '..');
const REGION = 'eu-west-1';
const MODEL = 'res.partner';
/** The bench's own partners, clear of the demo data's ids; 8 workers x 100 ids fit in them. */
const FIRST_BENCH_ID = 10_000;
const BENCH_PARTNERS = 1_000;
/** Demo records the bench partners point at (Belgium, Administrator). */
const DEMO_COUNTRY_ID = 274;
const DEMO_USER_ID = 1;

const SIZES = [1, 10, 100] as const;
type Size = (typeof SIZES)[number];

/** Calls measured per row, after WARMUP_CALLS unmeasured ones (JIT, connection pool). */
const WARMUP_CALLS = 20;
/**
 * Unmeasured calls before the first row: a fresh process needs a few hundred calls before V8 has
 * optimised the handler and SDK paths (measured first without them, 1 id took twice the CPU).
 */
const PROCESS_WARMUP_CALLS: Record<Size, number> = { 1: 200, 10: 100, 100: 20 };
const IN_PROCESS_CALLS: Record<Size, number> = { 1: 300, 10: 200, 100: 100 };
/** 100 sequential UpdateItems take the longest per call; fewer calls keep the run short. */
const SEQUENTIAL_BASELINE_CALLS: Record<Size, number> = { 1: 300, 10: 200, 100: 50 };
/** A bound on each warm-up and on each row's measured calls, whatever their count. */
const ROW_TIME_LIMIT_MS = 20_000;

const HTTP_CONCURRENCY = 8;
/** The most records a metered write holds: one transaction's actions, less the usage ledger's count. */
const MAX_METERED_WRITE = MAX_TRANSACTION_ACTIONS - 1;
const HTTP_REQUESTS: Record<Size, number> = { 1: 400, 10: 200, 100: 100 };
const HTTP_TIME_LIMIT_MS = 15_000;
/** Two requests per worker first, so serverless-offline has started its Lambda instances. */
const HTTP_WARMUP_REQUESTS = 2 * HTTP_CONCURRENCY;
const HTTP_REQUEST_TIMEOUT_MS = 30_000;

const LOAD_RUNS = 5;
const CLIENT_ONLY_LABEL = 'reference: createDocumentClient() only';
const LOAD_TIMEOUT_MS = 15_000;

const TARGET_ROUND_TRIPS = 2;
const TARGET_CPU_MS = 5;
const TARGET_LOAD_MS = 100;

// ---------------------------------------------------------------------------------------------
// Output

const say = (line = '') => process.stdout.write(`${line}\n`);
/** Progress goes to stderr so that stdout holds only the results. */
const progress = (line: string) => process.stderr.write(`.. ${line}\n`);

/** A plain-text table: first column left-aligned, the others right-aligned (they are numbers). */
function printTable(title: string, headers: readonly string[], rows: readonly (readonly string[])[], notes: readonly string[] = []): void {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  say(title);
  say(line(headers));
  say(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) say(line(row));
  for (const note of notes) say(note);
  say();
}

/** A mean count per call: as an integer when it is one, else with two decimals. */
const perCall = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));
const ms1 = (value: number) => value.toFixed(1);
const ms2 = (value: number) => value.toFixed(2);
const passFail = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

// ---------------------------------------------------------------------------------------------
// Statistics

/** Nearest-rank percentile (p99 of 100 values is the 99th smallest). */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const median = (values: readonly number[]) => percentile(values, 50);

// ---------------------------------------------------------------------------------------------
// DynamoDB instrumentation

interface CommandSpan {
  readonly started: number;
  readonly ended: number;
}

/** What the instrumented client sent since the last reset. */
interface DynamoTrace {
  spans: CommandSpan[];
  httpRequests: number;
}

/**
 * Counts on the client's own middleware stack, so nothing in lib/ changes: once per command at
 * `initialize` (outside the retry loop, so its span covers retries), and once per HTTP attempt at
 * `finalizeRequest` with low priority (inside the SDK's retry middleware, which is high priority).
 */
function instrument(client: DynamoDBDocumentClient): DynamoTrace {
  const trace: DynamoTrace = { spans: [], httpRequests: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        trace.spans.push({ started, ended: performance.now() });
      }
    },
    { step: 'initialize', name: 'benchCommandSpan' },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      trace.httpRequests++;
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchHttpRequestCount' },
  );
  return trace;
}

/**
 * Sequential round trips: commands in start order, a new wave whenever a command starts after
 * every earlier one has ended (it had to wait for them). Parallel commands share a wave.
 */
function countWaves(spans: readonly CommandSpan[]): number {
  let waves = 0;
  let lastEnd = -Infinity;
  for (const span of [...spans].sort((a, b) => a.started - b.started)) {
    if (span.started >= lastEnd) waves++;
    lastEnd = Math.max(lastEnd, span.ended);
  }
  return waves;
}

// ---------------------------------------------------------------------------------------------
// Measuring calls

interface CallSample {
  readonly commands: number;
  readonly httpRequests: number;
  readonly waves: number;
  readonly cpuMs: number;
  readonly ms: number;
}

interface RowStats {
  readonly calls: number;
  readonly commands: number;
  readonly httpRequests: number;
  /** The most sequential round trips any call needed. */
  readonly maxWaves: number;
  readonly cpuMs: number;
  readonly p50: number;
  readonly p99: number;
}

/** One call with its DynamoDB trace, wall time and this process's CPU (user + system). */
async function sampleCall(trace: DynamoTrace, call: () => Promise<void>): Promise<CallSample> {
  trace.spans = [];
  trace.httpRequests = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await call();
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  return { commands: trace.spans.length, httpRequests: trace.httpRequests, waves: countWaves(trace.spans), cpuMs: (user + system) / 1000, ms };
}

/** `count` unmeasured calls, fewer if ROW_TIME_LIMIT_MS runs out. */
async function warmUp(count: number, call: (n: number) => Promise<void>): Promise<void> {
  const deadline = performance.now() + ROW_TIME_LIMIT_MS;
  for (let n = 0; n < count && performance.now() < deadline; n++) await call(n);
}

/** Warms up, then runs `calls` sequential calls (fewer if ROW_TIME_LIMIT_MS runs out). */
async function measureRow(trace: DynamoTrace, calls: number, call: (n: number) => Promise<void>): Promise<RowStats> {
  await warmUp(WARMUP_CALLS, call);
  const deadline = performance.now() + ROW_TIME_LIMIT_MS;
  let n = WARMUP_CALLS;
  const samples: CallSample[] = [];
  while (samples.length < calls && performance.now() < deadline) samples.push(await sampleCall(trace, () => call(n++)));
  if (samples.length === 0) throw new Error('no call finished within the row time limit');
  const latencies = samples.map((s) => s.ms);
  return {
    calls: samples.length,
    commands: mean(samples.map((s) => s.commands)),
    httpRequests: mean(samples.map((s) => s.httpRequests)),
    maxWaves: Math.max(...samples.map((s) => s.waves)),
    cpuMs: mean(samples.map((s) => s.cpuMs)),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

const ROW_HEADERS = ['ids', 'calls', 'DynamoDB commands/call', 'HTTP requests/call', 'round trips/call', 'CPU ms/call', 'p50 ms', 'p99 ms'];

function rowCells(size: Size, stats: RowStats): string[] {
  return [
    String(size),
    String(stats.calls),
    perCall(stats.commands),
    perCall(stats.httpRequests),
    String(stats.maxWaves),
    ms2(stats.cpuMs),
    ms1(stats.p50),
    ms1(stats.p99),
  ];
}

/** The ids a call writes: a fixed block per worker, so that concurrent calls never share a record. */
function idBlock(size: Size, worker = 0): number[] {
  return Array.from({ length: size }, (_, i) => FIRST_BENCH_ID + worker * size + i);
}

/** Different vals on every call, so that each one really changes the records. */
const benchVals = (n: number) => `{'street2':'bench ${n}'}`;

// ---------------------------------------------------------------------------------------------
// Setup

/** The bench partners, built and checked as the demo data is. */
async function createBenchPartners(store: RecordStore): Promise<void> {
  const registry = buildRegistry(shippedModels);
  const rows = Array.from({ length: BENCH_PARTNERS }, (_, i) => ({
    id: FIRST_BENCH_ID + i,
    name: `Bench Partner ${i}`,
    street: `${i} Bench Street`,
    city: 'Brussels',
    country_id: DEMO_COUNTRY_ID,
    create_uid: DEMO_USER_ID,
    write_uid: DEMO_USER_ID,
    create_date: '2024-01-01 00:00:00',
    write_date: '2024-01-01 00:00:00',
  }));
  await store.putMany(recordsFromData(registry, { [MODEL]: rows }));
}

// ---------------------------------------------------------------------------------------------
// 1. In process

/** The event API Gateway passes the object Lambda after the authorizer allowed the request. */
function putEvent(ids: readonly number[], vals: string, requestId: string): APIGatewayProxyEvent {
  return objectEvent('PUT', MODEL, undefined, { ids: ids.join(','), vals }, requestId);
}

/** An object-route event for the bench's client, as API Gateway passes it to the object Lambda. */
function objectEvent(
  method: string,
  model: string,
  proxy: string | undefined,
  query: Record<string, string>,
  requestId: string,
  extraHeaders: Record<string, string> = {},
): APIGatewayProxyEvent {
  return objectRouteEvent({
    method,
    model,
    proxy,
    query,
    requestId,
    headers: { Accept: '*/*', Authorization: 'Bearer bench', Host: 'api.example.com', 'User-Agent': 'odoo-rest-bench', ...extraHeaders },
    authorizer: { userId: String(DEMO_USER_ID), clientId: 'bench', scheme: 'oauth2', tokenScopes: '', groups: 'base.group_system' },
  });
}

/** One in-process PUT of `size` ids, checked: a failing call would measure an error path. */
function inProcessPut(deps: ObjectDeps, size: Size): (n: number) => Promise<void> {
  // Logs off: one JSON line per request would measure stdout, not the handler.
  const options = { log: createLogger({}, () => undefined), responseKey: 'description' as const };
  const ids = idBlock(size);
  return async (n) => {
    const response = await serveObject(deps, options, putEvent(ids, benchVals(n), `bench-${size}-${n}`));
    if (response.statusCode !== 200) throw new Error(`in-process PUT of ${size} ids answered ${response.statusCode}: ${response.body.slice(0, 500)}`);
  };
}

async function benchInProcess(deps: ObjectDeps, trace: DynamoTrace): Promise<Map<Size, RowStats>> {
  progress('warming up');
  for (const size of SIZES) await warmUp(PROCESS_WARMUP_CALLS[size], inProcessPut(deps, size));
  const results = new Map<Size, RowStats>();
  for (const size of SIZES) {
    progress(`in process, ${size} ids`);
    results.set(size, await measureRow(trace, IN_PROCESS_CALLS[size], inProcessPut(deps, size)));
  }
  return results;
}

/** The same in-process PUTs over MemoryRecordStore: the CPU of our code alone, per call. */
async function benchCoreOnly(): Promise<Map<Size, number>> {
  const registry = buildRegistry(shippedModels);
  const store = new MemoryRecordStore({ lean: true });
  await store.putMany(recordsFromData(registry, demoData.records));
  await createBenchPartners(store);
  const deps = { registry, store, accessRules: buildAccessRules(shippedAccessRules) };
  const results = new Map<Size, number>();
  for (const size of SIZES) {
    progress(`core only, ${size} ids`);
    const put = inProcessPut(deps, size);
    await warmUp(PROCESS_WARMUP_CALLS[size], put);
    const cpu: number[] = [];
    for (let n = 0; n < IN_PROCESS_CALLS[size]; n++) {
      const before = process.cpuUsage();
      await put(n);
      const { user, system } = process.cpuUsage(before);
      cpu.push((user + system) / 1000);
    }
    results.set(size, mean(cpu));
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// 2. Baseline

/** What a user might write by hand for one id: a conditional UpdateItem returning the new item. */
function updateOne(client: DynamoDBDocumentClient, id: number, street2: string, writeDate: string): Promise<unknown> {
  return client.send(
    new UpdateCommand({
      TableName: LOCAL_TABLES.records,
      Key: recordItemKey({ model: MODEL, id }),
      UpdateExpression: 'SET #v.#street2 = :street2, #v.#write_date = :write_date, #v.#write_uid = :write_uid, #version = #version + :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#v': 'v', '#street2': 'street2', '#write_date': 'write_date', '#write_uid': 'write_uid', '#version': 'version' },
      ExpressionAttributeValues: { ':street2': street2, ':write_date': writeDate, ':write_uid': DEMO_USER_ID, ':one': 1 },
      ReturnValues: 'ALL_NEW',
    }),
  );
}

async function updateSequentially(client: DynamoDBDocumentClient, ids: readonly number[], street2: string): Promise<void> {
  const writeDate = formatOdooDatetime(new Date());
  for (const id of ids) await updateOne(client, id, street2, writeDate);
}

async function updateInParallel(client: DynamoDBDocumentClient, ids: readonly number[], street2: string): Promise<void> {
  const writeDate = formatOdooDatetime(new Date());
  await Promise.all(ids.map((id) => updateOne(client, id, street2, writeDate)));
}

async function benchBaseline(client: DynamoDBDocumentClient, trace: DynamoTrace) {
  const sequential = new Map<Size, RowStats>();
  const parallel = new Map<Size, RowStats>();
  for (const size of SIZES) {
    const ids = idBlock(size);
    progress(`baseline, ${size} ids, sequential`);
    sequential.set(size, await measureRow(trace, SEQUENTIAL_BASELINE_CALLS[size], (n) => updateSequentially(client, ids, `bench ${n}`)));
    progress(`baseline, ${size} ids, parallel`);
    parallel.set(size, await measureRow(trace, IN_PROCESS_CALLS[size], (n) => updateInParallel(client, ids, `bench ${n}`)));
  }
  return { sequential, parallel };
}

// ---------------------------------------------------------------------------------------------
// 3. Over HTTP

interface LoadStats {
  readonly requests: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly unexpected: number;
  readonly firstUnexpected?: string;
}


/**
 * `total` PUTs of `size` ids from HTTP_CONCURRENCY workers, each on its own block of ids (so no
 * request waits on another's records), until done or HTTP_TIME_LIMIT_MS.
 */
async function runLoad(apiUrl: string, token: string, size: Size, total: number): Promise<LoadStats> {
  const latencies: number[] = [];
  let started = 0;
  let unexpected = 0;
  let firstUnexpected: string | undefined;
  const begin = performance.now();
  const deadline = begin + HTTP_TIME_LIMIT_MS;
  const worker = async (index: number) => {
    // The served API meters every call: its ledger count rides in the write's transaction.
    const ids = idBlock(size, index).slice(0, MAX_METERED_WRITE).join(',');
    while (started < total && performance.now() < deadline) {
      const n = started++;
      const url = `${apiUrl}/restapi/1.0/object/${MODEL}?ids=${ids}&vals=${encodeURIComponent(benchVals(n))}`;
      const t0 = performance.now();
      const response = await fetch(url, { method: 'PUT', headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS) });
      const body = await response.text();
      latencies.push(performance.now() - t0);
      if (response.status !== 200) {
        unexpected++;
        firstUnexpected ??= `${response.status} ${body.slice(0, 500)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, (_, i) => worker(i)));
  const seconds = (performance.now() - begin) / 1000;
  return {
    requests: latencies.length,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    unexpected,
    ...(firstUnexpected === undefined ? {} : { firstUnexpected }),
  };
}

async function benchHttp(apiUrl: string, demoClient: DemoClient): Promise<Map<Size, LoadStats>> {
  const token = await fetchToken(apiUrl, demoClient, HTTP_REQUEST_TIMEOUT_MS);
  const results = new Map<Size, LoadStats>();
  for (const size of SIZES) {
    progress(`HTTP, ${size} ids`);
    await runLoad(apiUrl, token, size, HTTP_WARMUP_REQUESTS);
    results.set(size, await runLoad(apiUrl, token, size, HTTP_REQUESTS[size]));
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// 4. Bundles

interface BundleStats {
  readonly name: string;
  readonly kb: number;
  readonly loadMs: number;
}

/** The handler files of serverless.yml's functions (`handler: handlers/x.handler` -> handlers/x.ts). */
async function handlerEntries(): Promise<string[]> {
  const yml = await readFile(join(ROOT, 'serverless.yml'), 'utf8');
  const entries = [...yml.matchAll(/^\s*handler:\s*(\S+)\.handler\s*$/gm)].map((match) => `${match[1]}.ts`);
  if (entries.length === 0) throw new Error('no `handler:` found in serverless.yml');
  return [...new Set(entries)].sort();
}

const ESBUILD_OPTIONS = lambdaEsbuildOptions();

/** One function's bundle, built on its own as serverless-esbuild builds it (package individually). */
function buildHandler(entry: string, outdir: string): Promise<string> {
  return buildLambda(entry, outdir, ESBUILD_OPTIONS);
}

/** A reference bundle that only builds the DynamoDB client as the handlers do: the SDK's share of a load. */
async function buildClientOnly(outdir: string): Promise<string> {
  const outfile = join(outdir, 'client-only.js');
  const contents = "import { createDocumentClient } from './lib/store/dynamodb/client';\ncreateDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'eu-west-1' });\n";
  await build({ ...ESBUILD_OPTIONS, stdin: { contents, resolveDir: ROOT, sourcefile: 'client-only.ts', loader: 'ts' }, outfile });
  return outfile;
}

/** Runs in a fresh node: the time to require the bundle, as a cold start's init phase does. */
const LOAD_SCRIPT = `
const { performance } = require('node:perf_hooks');
const started = performance.now();
require(process.argv[1]);
process.stdout.write(String(performance.now() - started));
`;

/** What the handlers read at load; the endpoint is never contacted (nothing is sent at load). */
const HANDLER_ENV = {
  RECORDS_TABLE: LOCAL_TABLES.records,
  AUTH_TABLE: LOCAL_TABLES.auth,
  USAGE_TABLE: LOCAL_TABLES.usage,
  DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/bench-dead.fifo',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:1',
  DEMO_CLIENT_ID: 'bench',
  DEMO_CLIENT_SECRET: 'bench',
};

async function loadTimeMs(bundle: string): Promise<number> {
  // Only PATH and the handlers' variables: nothing of this process (tsx's NODE_OPTIONS, say) leaks in.
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', LOAD_SCRIPT, bundle], {
    env: { PATH: process.env.PATH, ...HANDLER_ENV },
    timeout: LOAD_TIMEOUT_MS,
  });
  const ms = Number(stdout);
  if (!Number.isFinite(ms)) throw new Error(`loading ${bundle} printed ${JSON.stringify(stdout.slice(0, 200))}`);
  return ms;
}

async function measureBundle(name: string, bundle: string): Promise<BundleStats> {
  const times: number[] = [];
  for (let run = 0; run < LOAD_RUNS; run++) times.push(await loadTimeMs(bundle));
  return { name, kb: (await stat(bundle)).size / 1024, loadMs: median(times) };
}

async function benchBundles(outdir: string): Promise<{ handlers: BundleStats[]; clientOnly: BundleStats }> {
  const handlers: BundleStats[] = [];
  for (const entry of await handlerEntries()) {
    progress(`bundle ${entry}`);
    handlers.push(await measureBundle(entry, await buildHandler(entry, outdir)));
  }
  progress('bundle of the DynamoDB client alone');
  const clientOnly = await measureBundle(CLIENT_ONLY_LABEL, await buildClientOnly(outdir));
  return { handlers, clientOnly };
}

// ---------------------------------------------------------------------------------------------
// Report

function printMachine(): void {
  say(machineLine());
  say();
}

function printInProcess(stats: ReadonlyMap<Size, RowStats>, coreOnly: ReadonlyMap<Size, number>): void {
  printTable(
    `1. PUT ${MODEL}?ids=...&vals={'street2':...} in process (routeObjectRequest over DynamoDB Local)`,
    [...ROW_HEADERS, 'core CPU ms/call'],
    SIZES.map((size) => [...rowCells(size, stats.get(size) as RowStats), ms2(coreOnly.get(size) as number)]),
    [
      '   DynamoDB commands: client.send() calls. HTTP requests: attempts, SDK retries included.',
      '   Round trips: the most DynamoDB waits in sequence any call had (commands in flight together count once).',
      '   CPU: this process\'s user+system CPU per call (handler, SDK, rendering); DynamoDB Local is a separate',
      '   Java process, so its CPU is not included. Latencies are on loopback to DynamoDB Local, not AWS.',
      '   Core CPU: the same calls with the storage port in memory (no SDK, no I/O): parsing, validation,',
      '   computing the new state, rendering read() and JSON. The difference from CPU is the AWS SDK\'s share.',
      `   Calls asked: ${SIZES.map((size) => IN_PROCESS_CALLS[size]).join(' / ')}; a row with fewer stopped at its ${ROW_TIME_LIMIT_MS / 1000} s limit.`,
    ],
  );
}

function printBaseline(baseline: { sequential: ReadonlyMap<Size, RowStats>; parallel: ReadonlyMap<Size, RowStats> }): void {
  const rows = (mode: string, stats: ReadonlyMap<Size, RowStats>) => SIZES.map((size) => [`${mode} ${size}`, ...rowCells(size, stats.get(size) as RowStats).slice(1)]);
  printTable(
    '2. Baseline: one UpdateItem per id (SET street2, write_date, write_uid, version+1; attribute_exists(pk); ALL_NEW)',
    ['mode, ids', ...ROW_HEADERS.slice(1)],
    [...rows('sequential', baseline.sequential), ...rows('parallel', baseline.parallel)],
    [
      '   Not equivalent to 1.: not atomic (a missing id fails its own update and leaves the others written),',
      '   no validation of vals, no display names read, no response rendered.',
      '   Parallel 100: the SDK opens at most 50 connections, so half the updates wait for a free one (still one round trip here).',
      `   Calls asked: sequential ${SIZES.map((size) => SEQUENTIAL_BASELINE_CALLS[size]).join(' / ')}, parallel ${SIZES.map((size) => IN_PROCESS_CALLS[size]).join(' / ')}` +
        `; a row with fewer stopped at its ${ROW_TIME_LIMIT_MS / 1000} s limit. p99 of fewer than 100 calls is their maximum.`,
    ],
  );
}

function printHttp(stats: ReadonlyMap<Size, LoadStats>): void {
  printTable(
    `3. PUT over HTTP: serverless-offline with the authorizer, concurrency ${HTTP_CONCURRENCY}, up to ${HTTP_TIME_LIMIT_MS / 1000} s per row`,
    ['ids', 'requests', 'requests/s', 'p50 ms', 'p99 ms', 'non-200'],
    SIZES.map((size) => {
      const s = stats.get(size) as LoadStats;
      return [String(Math.min(size, MAX_METERED_WRITE)), String(s.requests), s.perSecond.toFixed(1), ms1(s.p50), ms1(s.p99), String(s.unexpected)];
    }),
    [
      '   serverless-offline runs the authorizer and the handler as two local Lambda invocations in worker',
      `   threads per request, on the same ${cpus().length} cores as DynamoDB Local: a floor for the emulator, not AWS figures.`,
      `   Requests asked: ${SIZES.map((size) => HTTP_REQUESTS[size]).join(' / ')}; a row with fewer stopped at its ${HTTP_TIME_LIMIT_MS / 1000} s limit.`,
      `   The served API meters every call, and a metered write holds ${MAX_METERED_WRITE} records (its ledger count is the 100th action).`,
      ...SIZES.flatMap((size) => {
        const first = stats.get(size)?.firstUnexpected;
        return first === undefined ? [] : [`   First non-200 with ${size} ids: ${first}`];
      }),
    ],
  );
}

function printBundles(bundles: { handlers: readonly BundleStats[]; clientOnly: BundleStats }): void {
  printTable(
    `4. Lambda bundles (serverless.yml's custom.esbuild options, no sourcemap)`,
    ['bundle', 'size KB', `load ms (median of ${LOAD_RUNS})`],
    [...bundles.handlers, bundles.clientOnly].map((b) => [b.name, b.kb.toFixed(1), ms1(b.loadMs)]),
    [
      `   Load: require() of the bundle in a fresh node ${process.version} process; Lambda's runtime init is not included.`,
      '   The reference row bundles only lib/store/dynamodb/client.ts (the AWS SDK DynamoDB client, built as the handlers build it).',
    ],
  );
}

function printSummary(
  inProcess: ReadonlyMap<Size, RowStats>,
  coreOnly: ReadonlyMap<Size, number>,
  handlerBundles: readonly BundleStats[],
  computed: ComputedResults,
): void {
  const roundTrips = Math.max(...[...inProcess.values()].map((s) => s.maxWaves));
  const computedRoundTrips = Math.max(...[...computed.rows.values()].flatMap((bySize) => [...bySize.values()].map((s) => s.maxWaves)));
  const incLost = computed.inc.sent - computed.inc.moved;
  const cpu = (inProcess.get(100) as RowStats).cpuMs;
  const core = coreOnly.get(100) as number;
  const slowest = handlerBundles.reduce((a, b) => (b.loadMs > a.loadMs ? b : a));
  say(
    [
      `Targets: round trips <= ${TARGET_ROUND_TRIPS} up to 100 ids: ${passFail(roundTrips <= TARGET_ROUND_TRIPS)} (max ${roundTrips})`,
      `handler CPU per 100-id call < ${TARGET_CPU_MS} ms: with the SDK ${passFail(cpu < TARGET_CPU_MS)} (${ms2(cpu)} ms), core only ${passFail(core < TARGET_CPU_MS)} (${ms2(core)} ms)`,
      `each bundle loads < ${TARGET_LOAD_MS} ms: ${passFail(slowest.loadMs < TARGET_LOAD_MS)} (slowest ${slowest.name} ${ms1(slowest.loadMs)} ms)`,
      `computed writes round trips <= ${TARGET_ROUND_TRIPS}: ${passFail(computedRoundTrips <= TARGET_ROUND_TRIPS)} (max ${computedRoundTrips})`,
      `$inc loses no increment: ${passFail(incLost === 0)} (${incLost} of ${computed.inc.sent})`,
    ].join(' | '),
  );
}

// ---------------------------------------------------------------------------------------------
// 5. A large model: search_read, search_count, read and create among LARGE_RECORDS partners

/** Partners in the large-model tables (BENCH_LARGE_RECORDS overrides, e.g. for a quick run). */
const LARGE_RECORDS = Number(process.env.BENCH_LARGE_RECORDS || 100_000);
const LARGE_TABLES = { records: 'bench-large-records', auth: 'bench-large-auth' };
/** One city in 100: a domain that matches 1% of the partners. */
const CITIES = 100;

function largePartners(registry: ReturnType<typeof buildRegistry>): StoredRecord[] {
  const rows = Array.from({ length: LARGE_RECORDS }, (_, i) => ({
    id: i + 1,
    name: `Partner ${i + 1}`,
    city: `City ${i % CITIES}`,
    // Indexed (ref, country_id): 1% share a ref, 1% are in Belgium (the demo's other countries for the rest).
    ref: `REF ${i % CITIES}`,
    country_id: i % CITIES === 0 ? DEMO_COUNTRY_ID : i % 2 === 0 ? 233 : 482,
    create_uid: DEMO_USER_ID,
    write_uid: DEMO_USER_ID,
    create_date: '2024-01-01 00:00:00',
    write_date: '2024-01-01 00:00:00',
  }));
  return recordsFromData(registry, { [MODEL]: rows });
}

async function benchLargeModel(endpoint: string, client: DynamoDBDocumentClient, trace: DynamoTrace): Promise<Array<[string, RowStats]>> {
  await ensureTables({ endpoint, region: REGION }, LARGE_TABLES);
  const registry = buildRegistry(shippedModels);
  const store = new DynamoRecordStore(client, LARGE_TABLES.records);
  // The countries and users the partners point at, then the partners themselves.
  await store.putMany(recordsFromData(registry, { 'res.country': demoData.records['res.country'], 'res.users': demoData.records['res.users'] }));
  await bulkLoad(store, largePartners(registry), `.. loading ${LARGE_RECORDS} partners`);
  // Loaded with their index entries (putMany writes them): the indexes are complete.
  await store.markIndexesReady();
  const deps = { registry, store, accessRules: buildAccessRules(shippedAccessRules) };
  const options = { log: createLogger({}, () => undefined), responseKey: 'description' as const };
  // A search row's plan (X-Query-Plan) is asked for by one more call after it is measured (call -1):
  // asking costs a count of the candidates, which the measured calls do not pay.
  const get = (proxy: string | undefined, query: Record<string, string>, expected = 200, label = '') => async (n: number) => {
    const event = objectEvent('GET', MODEL, proxy, query, `large-${n}`, n < 0 && label ? { 'X-Query-Plan': '1' } : {});
    const response = await serveObject(deps, options, event);
    if (response.statusCode !== expected) throw new Error(`${proxy ?? 'search_read'} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
    const plan = response.headers?.['X-Query-Plan'];
    if (label && plan !== undefined) largePlans.set(label, String(plan));
  };
  const put = (field: 'street2' | 'ref') => async (n: number) => {
    if (n < 0) return void writeUnitsOfPut.set(field, await putWriteUnits(field));
    const vals = `{'${field}': 'Bench ${field} ${n}'}`;
    const response = await serveObject(deps, options, objectEvent('PUT', MODEL, undefined, { ids: putIds, vals }, `large-put-${n}`));
    if (response.statusCode !== 200) throw new Error(`PUT answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
  };
  /**
   * A PUT list's write units on AWS, worked out by AWS's rules from the items before and after one
   * PUT of the 100 ids (DynamoDB Local reports none): per record, a transactional write 2 per KB of
   * the item; the model's index and the order index (ALL projections) 1 per KB of it each; each field index whose key moved 2
   * (its old entry deleted, its new one put: keys and the active flag, far below 1 KB); each sorted index (keys only)
   * whose key moved 2, and none whose key did not (no projected attribute changed).
   */
  const putWriteUnits = async (field: 'street2' | 'ref'): Promise<number> => {
    const ids = putIds.split(',').map(Number);
    const items = () => Promise.all(ids.map((id) => client.send(new GetCommand({ TableName: LARGE_TABLES.records, Key: { pk: `${MODEL}#${id}` }, ConsistentRead: true })).then((r) => r.Item ?? {})));
    const before = await items();
    await put(field)(1_000_000);
    const after = await items();
    const kb = (item: Record<string, unknown>) => Math.ceil(Buffer.byteLength(JSON.stringify(item), 'utf8') / 1024);
    return after.reduce((units, item, i) => {
      const old = before[i] ?? {};
      const moved = Array.from({ length: INDEX_SLOTS }, (_, k) => k + 1).filter((k) => old[`x${k}s`] !== item[`x${k}s`] || old[`x${k}p`] !== item[`x${k}p`]);
      const entries = moved.reduce((sum, k) => sum + (old[`x${k}s`] === undefined ? 0 : 1) + (item[`x${k}s`] === undefined ? 0 : 1), 0);
      const sortedMoved = Array.from({ length: MAX_SORTED_SLOTS }, (_, k) => `os${k + 1}`).filter((name) => old[name] !== item[name]);
      const sortedEntries = sortedMoved.reduce((sum, name) => sum + (old[name] === undefined ? 0 : 1) + (item[name] === undefined ? 0 : 1), 0);
      // The order index (ALL projection, on every record of a model with an _order) is rewritten with the item, as the model's.
      const ordered = item.os === undefined ? 0 : kb(item);
      return units + 2 * kb(item) + kb(item) + ordered + entries + sortedEntries;
    }, 0);
  };
  // 100 ids apart from the searched ones (their refs and cities end in 1..99 but 7): a PUT moves no searched row.
  const putIds = Array.from({ length: 100 }, (_, i) => 1_000 + i * CITIES + 1 + (i % 5)).join(',');
  const create = (keyed = false) => async (n: number) => {
    const headers: Record<string, string> = keyed ? { 'Idempotency-Key': `bench-${n}-${Date.now()}` } : {};
    const response = await serveObject(deps, options, objectEvent('POST', MODEL, undefined, { vals: `{'name':'Created ${n}','city':'Bench'}` }, `create-${n}`, headers));
    if (response.statusCode !== 201) throw new Error(`create answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
  };
  // 90 contacts moved between companies 1 and 2 by each call: both companies' child_ids are kept in the
  // same transaction (lib/records/inverses.ts), read beside nothing: one more round trip, 90 + 2 actions.
  const contactIds = Array.from({ length: 90 }, (_, i) => 3 + i * 997).join(',');
  const moveContacts = async (n: number) => {
    const response = await serveObject(deps, options, objectEvent('PUT', MODEL, undefined, { ids: contactIds, vals: `{'parent_id': ${n % 2 === 0 ? 1 : 2}}` }, `large-move-${n}`));
    if (response.statusCode !== 200) throw new Error(`PUT answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
  };
  const middleIds = Array.from({ length: 100 }, (_, i) => Math.floor(LARGE_RECORDS / 2) + i * 7).join(',');
  // Cursors as a previous page would have handed them out: after the middle id, after the middle record's order key.
  const cursorOf = (cursor: object) => Buffer.from(JSON.stringify(cursor)).toString('base64url');
  const middle = Math.floor(LARGE_RECORDS / 2);
  const partnerModel = buildRegistry(shippedModels).get(MODEL);
  const middleInOrder = cursorOf({ k: partnerModel && orderKeyOf(partnerModel, middle, { complete_name: `Partner ${middle}` }) });
  // A partner of ref 'REF 7' (ids 8, 108, ...) halfway through them.
  const middleOfRef = cursorOf({ k: partnerModel && orderKeyOf(partnerModel, middle + 8, { complete_name: `Partner ${middle + 8}` }) });
  // The middle partner's key in the ref index (lib/indexes/order.ts sortedFields), walked backward.
  const refSlot = partnerModel && sortedFields(partnerModel).find(({ field }) => field.name === 'ref')?.slot;
  const middleByRef = cursorOf({ k: partnerModel && refSlot && walkKeyOf(partnerModel, refSlot, middle, { ref: `REF ${(middle - 1) % CITIES}` }), b: 1, s: refSlot });
  const cases: Array<[string, number, (n: number) => Promise<void>]> = [
    ['search_read, first page of 80 (id order)', 30, get(undefined, { limit: '80', order: 'id' })],
    ['search_read, 80 from the middle (id order, cursor)', 30, get(undefined, { limit: '80', order: 'id', cursor: cursorOf({ a: middle }) })],
    // res.partner's _order (name, id desc): a walk of the order index (lib/indexes/order.ts).
    ['search_read, first page of 80 (default order)', 30, get(undefined, { limit: '80' }, 200, 'default order')],
    ['search_read, 80 from the middle (default order, cursor)', 30, get(undefined, { limit: '80', cursor: middleInOrder }, 200, 'default order, middle')],
    [`search_read, 80 of city = 1% (unindexed: walks)`, 10, get(undefined, { limit: '80', domain: "[('city','=','City 7')]" }, 200, 'city')],
    [`search_read, 80 of ref = 1% (indexed, id order)`, 30, get(undefined, { limit: '80', order: 'id', domain: "[('ref','=','REF 7')]" }, 200, 'ref')],
    // The entries of one ref follow res.partner's order (lib/indexes/keys.ts): walked like the order index.
    [`search_read, 80 of ref = 1% (indexed, default order)`, 30, get(undefined, { limit: '80', domain: "[('ref','=','REF 7')]" }, 200, 'ref, default order')],
    [`search_read, 80 of ref = 1% from the middle (indexed, default order, cursor)`, 30, get(undefined, { limit: '80', domain: "[('ref','=','REF 7')]", cursor: middleOfRef }, 200, 'ref, default order, middle')],
    // A prefix (1,111 candidates): their entries put in the default order by the order keys they end with, then the page read.
    [`search_read, 80 of name =ilike 'partner 12%' (indexed prefix, 1.1%, default order)`, 30, get(undefined, { limit: '80', domain: "[('name','=ilike','partner 12%')]" }, 200, 'name prefix, default order')],
    // An indexed field's own order (lib/indexes/order.ts sortedFields): a walk of its keys, then the page's records.
    ['search_read, first page of 80 ordered by ref (sorted index)', 30, get(undefined, { limit: '80', order: 'ref' }, 200, 'order=ref')],
    ['search_read, 80 from the middle ordered by ref desc (sorted index, cursor)', 30, get(undefined, { limit: '80', order: 'ref desc', cursor: middleByRef }, 200, 'order=ref desc, middle')],
    [`search_read, 80 of city = 1% ordered by ref (unindexed; its matches all share one ref, far in: the walk gives up, the model is read and sorted)`, 5, get(undefined, { limit: '80', order: 'ref', domain: "[('city','=','City 7')]" }, 200, 'order=ref, city')],
    [`search_read, 80 of ref = 1% ordered by name desc (indexed)`, 10, get(undefined, { limit: '80', domain: "[('ref','=','REF 7')]", order: 'name desc' }, 200, 'ref, name desc')],
    ["search_read, 80 of country_id.code = 'BE' (1%, dotted path)", 10, get(undefined, { limit: '80', domain: "[('country_id.code','=','BE')]" }, 200, 'country_id.code')],
    ['search_count, all', 5, get('search_count', {})],
    ['search_count, city = 1% (unindexed: walks)', 5, get('search_count', { domain: "[('city','=','City 7')]" }, 200, 'count city')],
    ['search_count, ref = 1% (indexed: DynamoDB counts)', 10, get('search_count', { domain: "[('ref','=','REF 7')]" }, 200, 'count ref')],
    ['search_count, ref = 1% & city (indexed candidates, read)', 10, get('search_count', { domain: "[('ref','=','REF 7'),('city','=','City 7')]" }, 200, 'count ref & city')],
    ["name_search 'Partner 4242%' =ilike (indexed prefix)", 30, get('name_search', { name: 'Partner 4242%', operator: '=ilike' }, 200, 'name_search')],
    // The per-request budget (lib/records/budget.ts: 1,000 DynamoDB requests, 200,000 items read).
    // The heaviest legal request: a dotted path walks the whole model for its ids, the count walks it again.
    ['heaviest legal: search_count, parent_id.city = 1% (2 whole walks, 200,000 items)', 3, get('search_count', { domain: "[('parent_id.city','=','City 7')]" })],
    ['over budget: search_count, two such paths (400 at 200,000 items)', 3, get('search_count', { domain: "['|',('parent_id.city','=','City 7'),('child_ids.city','=','City 8')]" }, 400)],
    ['read 100 ids', 30, get(undefined, { ids: middleIds })],
    ['create one record', 30, create()],
    ['create one record, with an Idempotency-Key', 30, create(true)],
    ['PUT list of 100 ids, an unindexed field (street2)', 10, put('street2')],
    ['PUT list of 100 ids, an indexed field (ref)', 10, put('ref')],
    ["PUT list of 90 ids, parent_id to another company (both child_ids kept)", 10, moveContacts],
    ["search_count, id child_of companies 1 | 2 (their lists: 90 contacts)", 10, get('search_count', { domain: "['|',('id','child_of',1),('id','child_of',2)]" }, 200, 'child_of')],
    ["search_read, child_ids.name = 'Partner 3' (its parent, through the child)", 10, get(undefined, { domain: "[('child_ids.name','=','Partner 3')]" }, 200, 'child_ids.name')],
  ];
  const rows: Array<[string, RowStats]> = [];
  // BENCH_ROWS=regex: only the rows whose label matches (with BENCH_ONLY=large, a quick look at a few).
  const only = process.env.BENCH_ROWS ? new RegExp(process.env.BENCH_ROWS) : undefined;
  for (const [label, calls, call] of cases) {
    if (only && !only.test(label)) continue;
    progress(`large model: ${label}`);
    rows.push([label, await measureRow(trace, calls, call)]);
    // One more call after the measured ones: a search's plan, or a PUT's write units.
    if (/^(search|name_search|PUT)/.test(label)) await call(-1);
  }
  return rows;
}

/** The X-Query-Plan of the last call of the large model's search rows, by row. */
const largePlans = new Map<string, string>();
/** The write units of one PUT list of 100 ids on AWS, by the field written (putWriteUnits). */
const writeUnitsOfPut = new Map<string, number>();

function printLargeModel(rows: ReadonlyArray<[string, RowStats]>): void {
  printTable(
    `5. ${MODEL} with ${LARGE_RECORDS} records, in process (routeObjectRequest over DynamoDB Local)`,
    ['operation', 'calls', 'DynamoDB commands/call', 'round trips/call', 'write units/call (AWS)', 'CPU ms/call', 'p50 ms', 'p99 ms'],
    rows.map(([label, s]) => {
      const units = writeUnitsOfPut.get(/\((street2|ref)\)$/.exec(label)?.[1] ?? '');
      return [label, String(s.calls), perCall(s.commands), String(s.maxWaves), units === undefined ? '-' : String(units), ms2(s.cpuMs), ms1(s.p50), ms1(s.p99)];
    }),
    [
      '   X-Query-Plan of the searches (strategy; terms looked up; estimated candidates; index entries read; records read):',
      ...[...largePlans].map(([label, plan]) => `     ${label.padEnd(18)} ${plan}`),
      '   Indexed: the lookup queries the field index\'s 16 partitions at once (keys only); an = walks them in the default',
      '   order (each entry ends with its record\'s order key), a prefix or range sorts its entries by those keys; then',
      '   BatchGets (consistent) of what the page needs, in that order; the whole domain is evaluated on them.',
      '   Write units (AWS\'s rules, from the items before and after one PUT; DynamoDB Local reports none): per record a',
      '   transactional write 2 per KB, the model index and the order index (ALL projections) 1 per KB each, each field',
      '   index and each sorted index (keys only) whose key moves 2.',
      '   An order on an indexed field (order=ref): the field\'s sorted index walked (keys only, 16 shards, rounds doubling',
      '   their share), then BatchGets (consistent) of the page\'s records; past 2,000 records without a page, the model read and sorted.',
      '   A page in id order: 16 index shards queried at once (a fair share each), merged; the same cost at any depth.',
      '   A domain is evaluated in memory on the records read in the page\'s order until it is full (1% matching: ~8,000 read).',
      '   Counts: 16 shards in parallel, 1 MB pages; without a domain DynamoDB counts (Select COUNT: only counts come back),',
      '   with one every record comes back and is evaluated here. Read: one BatchGet per 100 ids + display names.',
      '   Create: the id from the sequence counter (UpdateItem), then a conditional PutItem in parallel with the display names.',
      '   With an Idempotency-Key: the key (GetItem) read alongside the id, then one TransactWriteItems (record + key claim).',
    ],
  );
}

// 6. The authorizer per scheme: what it adds to every request

const AUTHORIZER_CALLS = 300;

function authorizerEvent(authorization: string, path: string, requestId: string): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:${REGION}:123456789012:bench/local/PUT${path}`,
    resource: '/restapi/1.0/object/{model}',
    path,
    httpMethod: 'PUT',
    headers: { Authorization: authorization, Host: 'bench.local' },
    multiValueHeaders: { Authorization: [authorization], Host: ['bench.local'] },
    pathParameters: { model: MODEL },
    queryStringParameters: { ids: '17' },
    multiValueQueryStringParameters: { ids: ['17'] },
    stageVariables: null,
    // The domain API Gateway reports: what an OAuth 1.0a signature is checked for (https).
    requestContext: { path, requestId, domainName: 'bench.local' } as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}

async function benchAuthorizer(client: DynamoDBDocumentClient, trace: DynamoTrace, demo: DemoAuth, keyFile: string): Promise<Array<[string, RowStats]>> {
  const store = new DynamoAuthStore(client, LOCAL_TABLES.auth);
  const keys = keyRingFrom(loadLocalKey(keyFile));
  const tokens = { store, accessTokenValidity: 1800 };
  const deps: AuthorizerDeps = { store, tokens, oauth1: { store, keys: async () => keys, publicOrigin: undefined, timestampWindow: 300 } };
  const log = createLogger({}, () => undefined);
  const path = `/restapi/1.0/object/${MODEL}`;
  const bearer = `Bearer ${(await oauth2TokenEndpoint(tokens, new Map(), demo.oauth2)).access_token}`;
  const basic = `Basic ${(await basicTokenEndpoint(tokens, new Map(), demo.basic)).access_token}`;
  const consumer = await getClient(store, demo.oauth1.clientId);
  const oauth1Token = await issueOAuth1AccessToken(store, keys, consumer, DEMO_USER_ID);
  const signer = new OAuth({
    consumer: { key: demo.oauth1.clientId, secret: demo.oauth1.clientSecret },
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
  });
  const jwtTokens = { ...tokens, accessTokenFormat: 'jwt' as const, keys: async () => keys };
  const jwtDeps: AuthorizerDeps = { ...deps, tokens: jwtTokens };
  const jwt = `Bearer ${(await oauth2TokenEndpoint(jwtTokens, new Map(), demo.oauth2)).access_token}`;
  const authorize = (header: (n: number) => string, with_: AuthorizerDeps = deps) => async (n: number) => {
    const result = await authorizeEvent(with_, log, authorizerEvent(header(n), path, `auth-${n}`));
    if (result.policyDocument.Statement[0]?.Effect !== 'Allow') throw new Error('the authorizer refused a valid credential');
  };
  const cases: Array<[string, (n: number) => Promise<void>]> = [
    ['OAuth 2 Bearer (opaque token)', authorize(() => bearer)],
    ['Basic token (the original, Odoo 15+)', authorize(() => basic)],
    ['OAuth 2 Bearer, JWT (ACCESS_TOKEN_FORMAT=jwt)', authorize(() => jwt, jwtDeps)],
    // A fresh nonce and signature per call, as a client sends them (signing is the client's CPU, done before timing).
    ['OAuth 1.0a HMAC-SHA1 (signature + nonce)', async (n) => {
      const header = signer.toHeader(signer.authorize({ url: `https://bench.local${path}?ids=17`, method: 'PUT' }, { key: oauth1Token.oauth_token, secret: oauth1Token.oauth_token_secret })).Authorization;
      await authorize(() => header)(n);
    }],
  ];
  const rows: Array<[string, RowStats]> = [];
  for (const [label, call] of cases) {
    progress(`authorizer: ${label}`);
    rows.push([label, await measureRow(trace, AUTHORIZER_CALLS, call)]);
  }
  return rows;
}

function printAuthorizer(rows: ReadonlyArray<[string, RowStats]>): void {
  printTable(
    '6. The authorizer per scheme, in process (authorizeRequest over DynamoDB Local): what it adds to each request',
    ['scheme', 'calls', 'DynamoDB commands/call', 'round trips/call', 'CPU ms/call', 'p50 ms', 'p99 ms'],
    rows.map(([label, s]) => [label, String(s.calls), perCall(s.commands), String(s.maxWaves), ms2(s.cpuMs), ms1(s.p50), ms1(s.p99)]),
    [
      '   Bearer/Basic: one BatchGetItem of the token (by its SHA-256), the user and the client the token names; tokens issued before the t1. format: GetItem first.',
      '   JWT: the HS256 signature and claims (jose) instead of the token read, then the same BatchGetItem of the user and the client.',
      '   OAuth 1.0a: one BatchGetItem of the consumer and the token (secrets unsealed in memory), the signature, then the conditional',
      '   PutItem of the nonce together with the user and client. API Gateway adds its own overhead on AWS; results are not cached (TTL 0).',
    ],
  );
}


// ---------------------------------------------------------------------------------------------
// 7. Computed writes: operators in vals and the where guard, and the lost updates they prevent

const INC_VALS = "{'color': {'$inc': 1}}";
const WHERE_GUARD = "[('color','>=',0)]";

type ComputedVariant = 'plain' | '$inc' | '$inc + where';
const COMPUTED_VARIANTS: readonly ComputedVariant[] = ['plain', '$inc', '$inc + where'];

/** The record the race is run on: the last bench partner, outside every block of ids written above. */
const RACE_ID = FIRST_BENCH_ID + BENCH_PARTNERS - 1;
const RACE_CLIENTS = 20;
/** Rounds of RACE_CLIENTS concurrent clients per way of incrementing; the lost counts are summed. */
const RACE_ROUNDS = 3;
/** Sends per client and increment at most (the first, then resends of a 409/503/504), and a bound per round. */
const RACE_MAX_SENDS = 20;
const RACE_TIME_LIMIT_MS = 30_000;
const RESENT_STATUSES = [409, 503, 504];

/** One in-process PUT of `size` ids in one of the variants, checked as inProcessPut's are. */
function computedPut(deps: ObjectDeps, size: Size, variant: ComputedVariant): (n: number) => Promise<void> {
  const options = { log: createLogger({}, () => undefined), responseKey: 'description' as const };
  const ids = idBlock(size).join(',');
  return async (n) => {
    const query: Record<string, string> =
      variant === 'plain' ? { ids, vals: benchVals(n) } : { ids, vals: INC_VALS, ...(variant === '$inc + where' ? { where: WHERE_GUARD } : {}) };
    const response = await serveObject(deps, options, objectEvent('PUT', MODEL, undefined, query, `computed-${size}-${n}`));
    if (response.statusCode !== 200) throw new Error(`in-process PUT (${variant}) of ${size} ids answered ${response.statusCode}: ${response.body.slice(0, 500)}`);
  };
}

interface RaceStats {
  /** Increments the clients were told were done (one 200 each). */
  readonly sent: number;
  /** What the record's color moved by over the rounds. */
  readonly moved: number;
  /** 409/503/504 answers resent. */
  readonly resent: number;
}

interface ComputedResults {
  readonly rows: ReadonlyMap<ComputedVariant, ReadonlyMap<Size, RowStats>>;
  readonly readThenWrite: RaceStats;
  readonly inc: RaceStats;
}

/** One record's color as the API reads it (an empty integer reads as 0, as Odoo's would). */
async function readColor(deps: ObjectDeps, options: HttpOptions, requestId: string): Promise<number> {
  const response = await serveObject(deps, options, objectEvent('GET', MODEL, String(RACE_ID), { fields: "['color']" }, requestId));
  if (response.statusCode !== 200) throw new Error(`GET of ${MODEL}(${RACE_ID}) answered ${response.statusCode}: ${response.body.slice(0, 500)}`);
  const record = Object.values(JSON.parse(response.body) as Record<string, { color: number | false }>)[0];
  return Number(record?.color ?? 0);
}

/**
 * RACE_ROUNDS rounds of RACE_CLIENTS clients at once, each adding 1 to the race record's color its
 * way. A 409/503/504 is resent as any client would (an $inc with its Idempotency-Key, so a lost
 * answer is replayed, never applied twice), at most RACE_MAX_SENDS times.
 */
async function race(deps: ObjectDeps, way: 'read-then-write' | 'inc'): Promise<RaceStats> {
  const options = { log: createLogger({}, () => undefined), responseKey: 'description' as const };
  const runId = Date.now().toString(36);
  const before = await readColor(deps, options, `race-${way}-before`);
  let sent = 0;
  let resent = 0;
  for (let round = 0; round < RACE_ROUNDS; round++) {
    const deadline = performance.now() + RACE_TIME_LIMIT_MS;
    const client = async (index: number) => {
      const tag = `race-${way}-${runId}-${round}-${index}`;
      for (let sends = 0; sends < RACE_MAX_SENDS && performance.now() < deadline; sends++) {
        let query: Record<string, string>;
        let headers: Record<string, string> = {};
        if (way === 'inc') {
          query = { ids: String(RACE_ID), vals: INC_VALS };
          headers = { 'Idempotency-Key': tag };
        } else {
          // The plain API: read the value, compute, write the result back (no If-Match, as clients do).
          const color = await readColor(deps, options, `${tag}-get-${sends}`);
          query = { ids: String(RACE_ID), vals: `{'color': ${color + 1}}` };
        }
        const response = await serveObject(deps, options, objectEvent('PUT', MODEL, undefined, query, `${tag}-put-${sends}`, headers));
        if (response.statusCode === 200) {
          sent++;
          return;
        }
        if (!RESENT_STATUSES.includes(response.statusCode)) throw new Error(`race (${way}) PUT answered ${response.statusCode}: ${response.body.slice(0, 500)}`);
        resent++;
      }
      throw new Error(`race (${way}): a client got no 200 in ${RACE_MAX_SENDS} sends or ${RACE_TIME_LIMIT_MS / 1000} s`);
    };
    await Promise.all(Array.from({ length: RACE_CLIENTS }, (_, index) => client(index)));
  }
  const after = await readColor(deps, options, `race-${way}-after`);
  return { sent, moved: after - before, resent };
}

async function benchComputed(deps: ObjectDeps, trace: DynamoTrace): Promise<ComputedResults> {
  // Every variant warmed up before the first row, as in 1.: the row measured first would pay for V8's
  // optimising the others' paths (measured without it, plain 1 id took twice the CPU of $inc 1 id).
  progress('computed writes: warming up');
  for (const variant of COMPUTED_VARIANTS) for (const size of SIZES) await warmUp(PROCESS_WARMUP_CALLS[size], computedPut(deps, size, variant));
  const rows = new Map<ComputedVariant, Map<Size, RowStats>>();
  for (const variant of COMPUTED_VARIANTS) {
    const bySize = new Map<Size, RowStats>();
    for (const size of SIZES) {
      progress(`computed writes, ${variant}, ${size} ids`);
      bySize.set(size, await measureRow(trace, IN_PROCESS_CALLS[size], computedPut(deps, size, variant)));
    }
    rows.set(variant, bySize);
  }
  progress(`computed writes: ${RACE_CLIENTS} concurrent clients, read then write`);
  const readThenWrite = await race(deps, 'read-then-write');
  progress(`computed writes: ${RACE_CLIENTS} concurrent clients, $inc`);
  const inc = await race(deps, 'inc');
  return { rows, readThenWrite, inc };
}

function printComputed(results: ComputedResults): void {
  printTable(
    `7. Computed writes: PUT ${MODEL}?ids=...&vals=... in process (routeObjectRequest over DynamoDB Local)`,
    ['vals, ids', ...ROW_HEADERS.slice(1)],
    COMPUTED_VARIANTS.flatMap((variant) =>
      SIZES.map((size) => [`${variant} ${size}`, ...rowCells(size, results.rows.get(variant)?.get(size) as RowStats).slice(1)]),
    ),
    [
      `   plain: vals={'street2': ...} as in 1.; $inc: vals=${INC_VALS}; + where: the same and where=${WHERE_GUARD}.`,
      '   Each record\'s new value is computed from the consistent read the write already makes, and the where domain is',
      '   checked on it; the version conditions of the one transaction hold both: no extra round trip, no extra command.',
      `   Calls asked: ${SIZES.map((size) => IN_PROCESS_CALLS[size]).join(' / ')} per variant; a row with fewer stopped at its ${ROW_TIME_LIMIT_MS / 1000} s limit.`,
    ],
  );
  const raceRow = (label: string, s: RaceStats) => [label, String(s.sent), String(s.moved), String(s.sent - s.moved), String(s.resent)];
  printTable(
    `7. Why: ${RACE_CLIENTS} concurrent clients each adding 1 to ${MODEL}(${RACE_ID}).color, ${RACE_ROUNDS} rounds, in process`,
    ['client', 'increments answered 200', 'color moved by', 'increments lost', '409/503/504 resent'],
    [
      raceRow("read then write: GET color, then PUT {'color': color+1}", results.readThenWrite),
      raceRow(`one PUT vals=${INC_VALS} (Idempotency-Key)`, results.inc),
    ],
    [
      '   Read then write: every client that read before another\'s write landed writes the same value back; the write',
      '   itself succeeds (it sets a value, which no version condition can tell from a stale one), the increment is gone.',
      '   $inc: each attempt computes from the value its transaction is conditioned on; a conflict recomputes from the fresh read.',
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// 8. Metering (issue 13): what the limits and the usage ledger cost a call

type MeteringVariant = 'unmetered' | 'ledger only (no plan)' | 'plan: rate + day + month';
const METERING_VARIANTS: readonly MeteringVariant[] = ['unmetered', 'ledger only (no plan)', 'plan: rate + day + month'];
/** Limits no bench run reaches: the plan's counters are taken and checked on every call all the same. */
const BENCH_PLAN: Plan = { rate: { perSecond: 1_000_000, burst: 1_000_000 }, quotaDay: 1_000_000_000, quotaMonth: 1_000_000_000 };
const METERING_OPERATIONS = ['PUT 1 id', 'PUT 10 ids', `PUT ${MAX_METERED_WRITE} ids`, 'GET 1 record'] as const;
type MeteringOperation = (typeof METERING_OPERATIONS)[number];
const METERING_CALLS = 150;

/** One in-process call of `operation` as the bench's client under `variant`, checked. */
function meteredCall(deps: ObjectDeps, variant: MeteringVariant, operation: MeteringOperation): (n: number) => Promise<void> {
  const options = { log: createLogger({}, () => undefined), responseKey: 'description' as const };
  const size = operation === 'PUT 1 id' ? 1 : operation === 'PUT 10 ids' ? 10 : MAX_METERED_WRITE;
  const ids = idBlock(100).slice(0, size).join(',');
  return async (n) => {
    const event =
      operation === 'GET 1 record'
        ? objectEvent('GET', MODEL, String(FIRST_BENCH_ID), { fields: "['name']" }, `metering-get-${n}`)
        : objectEvent('PUT', MODEL, undefined, { ids, vals: benchVals(n) }, `metering-${size}-${n}`);
    if (variant === 'plan: rate + day + month')
      (event.requestContext.authorizer as Record<string, unknown>)[PLAN_CONTEXT_KEY] = planToContext(BENCH_PLAN);
    const response = await serveObject(deps, options, event);
    if (response.statusCode !== 200) throw new Error(`metering ${variant}, ${operation} answered ${response.statusCode}: ${response.body.slice(0, 500)}`);
  };
}

async function benchMetering(
  deps: ObjectDeps,
  client: DynamoDBDocumentClient,
  trace: DynamoTrace,
): Promise<Map<MeteringVariant, Map<MeteringOperation, RowStats>>> {
  const metered: ObjectDeps = {
    ...deps,
    store: new DynamoRecordStore(client, LOCAL_TABLES.records, LOCAL_TABLES.usage),
    meter: { store: new DynamoMeterStore(client, LOCAL_TABLES.usage) },
  };
  const depsOf = (variant: MeteringVariant) => (variant === 'unmetered' ? deps : metered);
  progress('metering: warming up');
  for (const variant of METERING_VARIANTS) for (const operation of METERING_OPERATIONS) await warmUp(50, meteredCall(depsOf(variant), variant, operation));
  const results = new Map<MeteringVariant, Map<MeteringOperation, RowStats>>();
  for (const variant of METERING_VARIANTS) {
    const byOperation = new Map<MeteringOperation, RowStats>();
    for (const operation of METERING_OPERATIONS) {
      progress(`metering, ${variant}, ${operation}`);
      byOperation.set(operation, await measureRow(trace, METERING_CALLS, meteredCall(depsOf(variant), variant, operation)));
    }
    results.set(variant, byOperation);
  }
  return results;
}

function printMetering(results: ReadonlyMap<MeteringVariant, ReadonlyMap<MeteringOperation, RowStats>>): void {
  const unmetered = results.get('unmetered');
  printTable(
    '8. Metering: the same calls unmetered, with the usage ledger only, and under a plan (in process, DynamoDB Local)',
    ['variant, call', 'calls', 'DynamoDB commands/call', 'round trips/call', 'p50 ms', 'p99 ms', 'p50 delta ms'],
    METERING_VARIANTS.flatMap((variant) =>
      METERING_OPERATIONS.map((operation) => {
        const stats = results.get(variant)?.get(operation) as RowStats;
        const base = unmetered?.get(operation) as RowStats;
        return [`${variant}: ${operation}`, String(stats.calls), perCall(stats.commands), String(stats.maxWaves), ms1(stats.p50), ms1(stats.p99), (stats.p50 - base.p50).toFixed(1)];
      }),
    ),
    [
      "   Ledger only: a write's count rides in its own transaction (a single-record write becomes a two-item transaction);",
      "   a read's count is one UpdateItem beside the read. Plan: the rate window and the quota month are two more conditional",
      '   UpdateItems, sent beside the first read. Round trips: the most sequential waves of DynamoDB requests in any call.',
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// 9. The writes queue (issue 12): queue messages through the same routes, in process

/** A message's id is its Idempotency-Key: one action more, so at most 98 records per message. */
const QUEUE_SIZES = [1, MAX_METERED_WRITE - 1] as const;
const QUEUE_BATCHES = 20;
const QUEUE_BATCH_SIZE = 10;

interface QueueStats {
  readonly ids: number;
  readonly messages: number;
  readonly perSecond: number;
  readonly p50BatchMs: number;
}

/** Batches of 10 write messages (as SQS hands them to the queue function), each a fresh message id. */
async function benchQueue(deps: ObjectDeps, client: DynamoDBDocumentClient): Promise<QueueStats[]> {
  const metered: ObjectDeps = {
    ...deps,
    store: new DynamoRecordStore(client, LOCAL_TABLES.records, LOCAL_TABLES.usage),
    meter: { store: new DynamoMeterStore(client, LOCAL_TABLES.usage) },
  };
  const queueDeps: QueueDeps = {
    route: (request) => routeObjectRequest(metered, request),
    userGroups: async () => ['base.group_system', 'base.group_user', 'base.group_partner_manager'],
    allowedUsers: new Set([DEMO_USER_ID]),
    clientId: 'bench-queue',
  };
  const deadLetters: DeadLetters = {
    async send(_message, reason) {
      throw new Error(`bench queue message dead-lettered: ${reason.message}`);
    },
  };
  const log = createLogger({}, () => undefined);
  const results: QueueStats[] = [];
  for (const size of QUEUE_SIZES) {
    progress(`writes queue, ${size} ids per message`);
    const batchMs: number[] = [];
    const started = performance.now();
    let messages = 0;
    for (let batch = 0; batch < QUEUE_BATCHES; batch++) {
      const records = Array.from({ length: QUEUE_BATCH_SIZE }, (_, i) => {
        const n = batch * QUEUE_BATCH_SIZE + i;
        const ids = idBlock(100, 1).slice(0, size);
        return {
          messageId: `bench-queue-${size}-${n}-${Date.now()}`,
          body: JSON.stringify({ model: MODEL, method: 'write', ids, vals: { street2: `queue ${n}` }, user: DEMO_USER_ID }),
          attributes: { MessageGroupId: `${MODEL}-${size}` },
        };
      });
      const t0 = performance.now();
      const { batchItemFailures } = await runQueueBatch(queueDeps, deadLetters, log, records);
      batchMs.push(performance.now() - t0);
      if (batchItemFailures.length > 0) {
        // Why: the first message again, alone, with its error.
        const outcome = await runQueuedMessage(queueDeps, records[0] as QueueRecord).catch((error: Error) => `${error.message} (${String((error.cause as Error | undefined)?.message)})`);
        throw new Error(`bench queue batch: ${batchItemFailures.length} messages to deliver again; the first: ${JSON.stringify(outcome)}`);
      }
      messages += records.length;
    }
    results.push({ ids: size, messages, perSecond: messages / ((performance.now() - started) / 1000), p50BatchMs: percentile(batchMs, 50) });
  }
  return results;
}

/** Section 10: PUT lists of 99 ids in a burst (FEED_WRITERS at once), then single writes one by one for the webhook delay. */
const FEED_WRITERS = 4;
const FEED_BURST_WRITES = 20;
const FEED_BURST_IDS = 99;
const FEED_DELAY_WRITES = 60;

interface ChangeFeedStats {
  readonly changes: number;
  readonly writeSeconds: number;
  /** From the first write sent to the last of its changes in the events file. */
  readonly feedSeconds: number;
  readonly delaysMs: readonly number[];
}

/** Lines in a file (0 while it does not exist). */
async function lineCount(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

async function waitUntil(what: string, done: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`bench: ${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function benchChanges(deps: ObjectDeps, endpoint: string, keyFile: string, cleanup: Cleanup): Promise<ChangeFeedStats> {
  progress('change feed: starting the local consumer and a webhook receiver');
  const caller = { userId: DEMO_USER_ID, clientId: 'bench' };
  // The receiver notes when each version of each record arrived (this process's clock, as the writes').
  const arrivals = new Map<string, number>();
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { data } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { record_id: number; version: number } };
      arrivals.set(`${data.record_id}:${data.version}`, performance.now());
      response.writeHead(204).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  cleanup.add(() => new Promise((done) => receiver.close(done)));
  const { port } = receiver.address() as AddressInfo;
  // A subscription as the object API makes one: its secret sealed with the stack's key ring.
  const keys = keyRingFrom(loadLocalKey(keyFile));
  const sealed = keys.secretBox.seal(newSigningSecret(), 'ir.webhook');
  await createRecord(deps, {
    model: 'ir.webhook',
    caller,
    vals: new Map<string, PyValue>([
      ['name', 'bench'],
      ['model', MODEL],
      ['url', `http://127.0.0.1:${port}/hook`],
      ['fields', 'ref'],
      ['secret_sealed', sealed],
    ]),
  });
  const eventsFile = join(tmpdir(), `odoo-rest-bench-events-${process.pid}.jsonl`);
  cleanup.add(() => rm(eventsFile, { force: true }));
  const feed = await startChangeFeed({ endpoint, keyFile, eventsFile });
  cleanup.add(() => feed.stop());

  progress(`change feed: ${FEED_BURST_WRITES} PUT lists of ${FEED_BURST_IDS} ids, ${FEED_WRITERS} writers`);
  const before = await lineCount(eventsFile);
  const changes = FEED_BURST_WRITES * FEED_BURST_IDS;
  const started = performance.now();
  // Each writer its own ids (FEED_WRITERS x 99 <= BENCH_PARTNERS): no conflicts between them.
  await Promise.all(
    Array.from({ length: FEED_WRITERS }, async (_, writer) => {
      for (let n = writer; n < FEED_BURST_WRITES; n += FEED_WRITERS) {
        const ids = Array.from({ length: FEED_BURST_IDS }, (_, i) => FIRST_BENCH_ID + writer * FEED_BURST_IDS + i);
        await writeRecords(deps, { model: MODEL, ids, vals: new Map([['street2', `feed ${n}`]]), caller });
      }
    }),
  );
  const written = performance.now();
  await waitUntil('the burst\'s changes', async () => (await lineCount(eventsFile)) - before >= changes);
  const out = performance.now();

  progress(`change feed: ${FEED_DELAY_WRITES} single writes, each to its webhook`);
  const delaysMs: number[] = [];
  for (let n = 0; n < FEED_DELAY_WRITES; n++) {
    const id = FIRST_BENCH_ID + (n % BENCH_PARTNERS);
    const [record] = await writeRecords(deps, { model: MODEL, ids: [id], vals: new Map([['ref', `hook ${n}`]]), caller });
    const answered = performance.now();
    const version = (await deps.store.getMany([{ model: MODEL, id }], { consistent: true })).get(`${MODEL}#${id}`)?.version;
    if (!record || version === undefined) throw new Error('bench: the written record is gone');
    await waitUntil('a webhook delivery', () => arrivals.has(`${id}:${version}`), 30_000);
    delaysMs.push((arrivals.get(`${id}:${version}`) as number) - answered);
  }
  await feed.stop();
  return { changes, writeSeconds: (written - started) / 1000, feedSeconds: (out - started) / 1000, delaysMs };
}

const CUSTOM_TABLES = { records: 'bench-custom-records' };
const CUSTOM_RECORDS = 20_000;

interface CustomIndexStats {
  readonly rows: Array<[string, RowStats, string]>;
  readonly build: { readonly records: number; readonly written: number; readonly seconds: number };
}

/**
 * Section 11: a custom model x_ticket (x_code: 100 values, 1% each) on a table of its own, searched in
 * process through the object routes before x_code is indexed (a walk) and after the builder made its
 * index ready (a lookup); the builder timed between.
 */
async function benchCustomIndex(endpoint: string, client: DynamoDBDocumentClient, trace: DynamoTrace): Promise<CustomIndexStats> {
  await ensureTables({ endpoint, region: REGION }, { ...CUSTOM_TABLES, auth: 'bench-custom-auth' });
  let now = Date.now();
  const { store, catalog } = catalogIndexedStore(client, CUSTOM_TABLES, { clock: () => now });
  await store.markIndexesReady();
  const modelId = 100_001;
  const field = (index: boolean): StoredRecord => ({
    model: 'ir.model.fields',
    id: 100_001,
    version: index ? 2 : 1,
    values: { name: 'x_code', field_description: 'Code', model_id: modelId, model: 'x_ticket', ttype: 'char', state: 'manual', index },
  });
  await store.putMany([{ model: 'ir.model', id: modelId, version: 1, values: { model: 'x_ticket', name: 'Ticket', state: 'manual' } }, field(false)]);
  await catalog.changed();
  const tickets = Array.from({ length: CUSTOM_RECORDS }, (_, i): StoredRecord => ({
    model: 'x_ticket',
    id: i + 1,
    version: 1,
    values: { x_name: `Ticket ${i + 1}`, x_code: `C${i % 100}`, create_uid: DEMO_USER_ID, write_uid: DEMO_USER_ID, create_date: '2024-01-01 00:00:00', write_date: '2024-01-01 00:00:00' },
  }));
  await bulkLoad(store, tickets, `.. loading ${CUSTOM_RECORDS} x_ticket records`);
  const registry = buildRegistry(shippedModels);
  const deps: ObjectDeps = { registry, store, catalog, accessRules: buildAccessRules(shippedAccessRules) };
  const options = { log: createLogger({}, () => undefined), responseKey: 'description' as const };
  let plan = '';
  const get = (proxy: string | undefined, query: Record<string, string>) => async (n: number) => {
    const event = objectEvent('GET', 'x_ticket', proxy, query, `custom-${n}`, n < 0 ? { 'X-Query-Plan': '1' } : {});
    const response = await serveObject(deps, options, event);
    if (response.statusCode !== 200) throw new Error(`${proxy ?? 'search_read'} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
    if (n < 0) plan = String(response.headers?.['X-Query-Plan']);
  };
  const domain = "[('x_code','=','C7')]";
  const cases: Array<[string, number, (n: number) => Promise<void>]> = [
    ['search_read, 80 of x_code = 1%', 10, get(undefined, { limit: '80', domain, fields: "['x_name','x_code']" })],
    ['search_count, x_code = 1%', 10, get('search_count', { domain })],
  ];
  const rows: Array<[string, RowStats, string]> = [];
  const measure = async (when: string) => {
    for (const [label, calls, call] of cases) {
      progress(`custom index: ${label} (${when})`);
      const stats = await measureRow(trace, calls, call);
      await call(-1);
      rows.push([`${label} (${when})`, stats, plan]);
    }
  };
  await measure('not indexed: walks');
  await store.putMany([field(true)]);
  await catalog.changed();
  now += INDEX_FENCE_MS;
  progress(`custom index: building x_ticket.x_code over ${CUSTOM_RECORDS} records`);
  const started = performance.now();
  const built = await buildIndexes({ store, catalog, clock: () => now });
  const seconds = (performance.now() - started) / 1000;
  if (built.ready.length !== 1) throw new Error(`the custom index was not built: ${JSON.stringify(built)}`);
  await measure('indexed: looked up');
  return { rows, build: { records: built.read, written: built.written, seconds } };
}

function printCustomIndex(stats: CustomIndexStats): void {
  printTable(
    `11. A custom field's index: x_ticket with ${CUSTOM_RECORDS} records, in process (routeObjectRequest over DynamoDB Local)`,
    ['operation', 'calls', 'DynamoDB commands/call', 'round trips/call', 'CPU ms/call', 'p50 ms', 'p99 ms'],
    stats.rows.map(([label, s]) => [label, String(s.calls), perCall(s.commands), String(s.maxWaves), ms2(s.cpuMs), ms1(s.p50), ms1(s.p99)]),
    [
      '   X-Query-Plan of each row (strategy; terms looked up; estimated candidates; index entries read; records read):',
      ...stats.rows.map(([label, , plan]) => `     ${label}: ${plan}`),
      `   The builder (lib/indexes/build.ts, 500 records a page): ${stats.build.records} records read, ${stats.build.written} given their entry, in ${stats.build.seconds.toFixed(1)} s (${(stats.build.records / stats.build.seconds).toFixed(0)} records/s)`,
    ],
  );
}

function printChanges(stats: ChangeFeedStats): void {
  printTable(
    '10. The change feed, local stage: DynamoDB Local stream -> the stream handler (EventBridge stand-in + webhooks)',
    ['measure', 'value'],
    [
      [`changes out of ${FEED_BURST_WRITES} PUT lists of ${FEED_BURST_IDS} ids (${FEED_WRITERS} writers)`, String(stats.changes)],
      ['the writes took', `${stats.writeSeconds.toFixed(2)} s`],
      ['all their changes out after', `${stats.feedSeconds.toFixed(2)} s`],
      ['the last change out after the last write', `${(stats.feedSeconds - stats.writeSeconds).toFixed(2)} s`],
      ['changes/s through the consumer (first write to last change out)', (stats.changes / stats.feedSeconds).toFixed(0)],
      [`write answered -> signed webhook received, p50 / p99 (${stats.delaysMs.length} writes)`, `${ms1(percentile(stats.delaysMs, 50))} / ${ms1(percentile(stats.delaysMs, 99))} ms`],
    ],
    [
      '   The consumer polls the stream every 250 ms when it is idle (scripts/local-changes.ts), as a deployed',
      '   event source mapping polls each shard about 4 times a second; the delay is mostly that wait.',
    ],
  );
}

function printQueue(stats: readonly QueueStats[]): void {
  printTable(
    '9. The writes queue: batches of 10 write messages through runQueueBatch (Powertools FIFO processor), in process',
    ['ids per message', 'messages', 'messages/s', 'p50 ms per batch of 10'],
    stats.map((s) => [String(s.ids), String(s.messages), s.perSecond.toFixed(1), ms1(s.p50BatchMs)]),
    [
      '   One message group: in order, one at a time (a FIFO group is never run in parallel). Each message: the same',
      '   route as a PUT (its records read, one transaction with the Idempotency-Key claim and the ledger count).',
    ],
  );
}

// ---------------------------------------------------------------------------------------------

async function bench(cleanup: Cleanup): Promise<void> {
  printMachine();

  progress('starting DynamoDB Local');
  const dynamo = await startDynamo();
  cleanup.add(() => dynamo.stop());
  const keyFile = localKeyFile(undefined, 0);
  cleanup.add(() => rm(keyFile, { force: true }));
  const demo = await prepareData(dynamo.endpoint, keyFile);
  // DynamoDB Local answers the 100,000-record model's 1 MB pages slower than DynamoDB's 5 s request timeout.
  const client = createDocumentClient({ endpoint: dynamo.endpoint, region: REGION, requestTimeoutMs: 60_000 });
  cleanup.add(async () => client.destroy());
  const store = new DynamoRecordStore(client, LOCAL_TABLES.records);
  progress(`creating ${BENCH_PARTNERS} bench partners`);
  await createBenchPartners(store);
  const trace = instrument(client);

  const objectDeps: ObjectDeps = { registry: buildRegistry(shippedModels), store, accessRules: buildAccessRules(shippedAccessRules) };

  // BENCH_ONLY=large: the 100,000-record model's table alone (section 5).
  if (process.env.BENCH_ONLY === 'large') {
    printLargeModel(await benchLargeModel(dynamo.endpoint, client, trace));
    return;
  }
  // BENCH_ONLY=computed: the computed writes alone (section 7, its plain rows included).
  if (process.env.BENCH_ONLY === 'computed') {
    printComputed(await benchComputed(objectDeps, trace));
    return;
  }
  // BENCH_ONLY=metering: what metering costs a call alone (section 8).
  if (process.env.BENCH_ONLY === 'metering') {
    printMetering(await benchMetering(objectDeps, client, trace));
    return;
  }
  // BENCH_ONLY=queue: the writes queue alone (section 9).
  if (process.env.BENCH_ONLY === 'queue') {
    printQueue(await benchQueue(objectDeps, client));
    return;
  }
  // BENCH_ONLY=custom: a custom field's index alone (section 11).
  if (process.env.BENCH_ONLY === 'custom') {
    printCustomIndex(await benchCustomIndex(dynamo.endpoint, client, trace));
    return;
  }
  // BENCH_ONLY=changes: the change feed alone (section 10).
  if (process.env.BENCH_ONLY === 'changes') {
    printChanges(await benchChanges(objectDeps, dynamo.endpoint, keyFile, cleanup));
  printCustomIndex(await benchCustomIndex(dynamo.endpoint, client, trace));
    return;
  }

  const inProcess = await benchInProcess(objectDeps, trace);
  const coreOnly = await benchCoreOnly();
  printInProcess(inProcess, coreOnly);
  printBaseline(await benchBaseline(client, trace));

  progress('starting the API (serverless-offline)');
  const api = await startApi({ port: await freePort(), endpoint: dynamo.endpoint, demo, keyFile });
  cleanup.add(() => api.stop());
  printHttp(await benchHttp(api.url, demo.oauth2));
  await api.stop();

  printLargeModel(await benchLargeModel(dynamo.endpoint, client, trace));
  printAuthorizer(await benchAuthorizer(client, trace, demo, keyFile));
  const computed = await benchComputed(objectDeps, trace);
  printComputed(computed);
  printMetering(await benchMetering(objectDeps, client, trace));
  printQueue(await benchQueue(objectDeps, client));
  printChanges(await benchChanges(objectDeps, dynamo.endpoint, keyFile, cleanup));
  await cleanup.run(); // the bundles' load times are steadier without the stack running

  const outdir = await mkdtemp(join(tmpdir(), 'odoo-rest-bench-'));
  cleanup.add(() => rm(outdir, { recursive: true, force: true }));
  const bundles = await benchBundles(outdir);
  printBundles(bundles);

  printSummary(inProcess, coreOnly, bundles.handlers, computed);
}

void runWithCleanup('bench', bench);
