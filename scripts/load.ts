/**
 * npm run load: a bounded load test of the local API. It starts DynamoDB Local, the demo data, LOAD
 * partners of its own and the API under serverless-offline on free loopback ports (as the bench
 * does; stopped at the end, on failure and on Ctrl-C), gets a demo OAuth 2 token, then drives a mix
 * of PUT list, read and search requests with autocannon for --duration seconds or --max-requests
 * requests, whichever comes first.
 *
 *   npm run load -- [--duration 60] [--connections 8] [--mix put:2,read:5,search:3] [--max-requests 200000] [--port N]
 *
 * The mix: one autocannon instance per kind, all at once, the connections shared out by weight (so
 * the weights are shares of the load's concurrency, not exact shares of requests). Per kind:
 *   put     PUT /object/res.partner?ids=<2 to 10 ids>&vals={'street2':'load <n>'}, a fresh value per
 *           request; a quarter of the ids from the 8 demo partners (contended), the rest from the
 *           LOAD_PARTNERS load partners
 *   read    GET /object/res.partner/<id>?fields=['name','street2'] and GET ...?ids=<2 to 10>&fields=[...]
 *   search  GET ...?domain=[('city','ilike','a')]&limit=20, GET .../search_count?domain=[...] and
 *           one in five a domain nothing matches (search_read: 404 "Record not found", as the original)
 *
 * Every answer is checked: its status against what that request may answer (200; 409 for a PUT
 * whose records kept changing; 404 for the search that matches nothing) and its body (a PUT's
 * records carry the value written, in the order of ids; a read's the ids asked; search_read's
 * cities contain an "a"; search_count the count the data has). Then, once the API is quiet, every
 * partner a PUT named is read back: its street2 must be the value of a PUT that answered 200 (or of
 * one whose answer never came), never that of a refused PUT, a value nobody sent, the original
 * value after a 200, or a value older than a 200 PUT that started after it was answered.
 *
 * The usage ledger (issue 13) must agree: the demo client's `ok` count grows during the load by
 * exactly the 2xx answers received (plus, at most, the requests still in flight when it stopped,
 * which the server may have served). test/integration/ledger-exactness.test.ts checks the same
 * under injected faults (throttling, answers lost after the commit, replays).
 *
 * Prints the machine, the settings, a table per kind with the total (requests/s, p50/p99/p99.9
 * latency, statuses, errors, timeouts), a table per route, the ledger check, the consistency check, and
 * PASS/FAIL; exit code 1 on FAIL.
 */
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { recordsFromData } from '../lib/runtime/demo';
import { buildRegistry } from '../lib/models/registry';
import { createDocumentClient } from '../lib/store/dynamodb/client';
import { DynamoRecordStore } from '../lib/store/dynamodb/records-table';
import { DynamoMeterStore } from '../lib/store/dynamodb/usage-table';
import { hourOf } from '../lib/metering/ledger';
import { shippedModels } from '../models';
import demoData from './demo-data.json';
import { freePort, LOCAL_TABLES, localKeyFile, portIsFree, prepareData, startApi, startDynamo } from './local-stack';
import { fetchToken, machineLine, runWithCleanup, type Cleanup } from './script-run';

const REGION = 'eu-west-1';
const MODEL = 'res.partner';
const OBJECT_PATH = `/restapi/1.0/object/${MODEL}`;
/** The JSON key of res.partner's records (RESPONSE_KEY=description, the default). */
const RESPONSE_KEY = 'Partner';
const DEMO_PARTNER_IDS: readonly number[] = demoData.records['res.partner'].map((p) => p.id);
/** The load's own partners, clear of the demo data's ids. */
const FIRST_LOAD_ID = 10_000;
const LOAD_PARTNERS = 200;
const LOAD_CITIES = ['Brussels', 'Antwerp', 'Ghent', 'Liege', 'Namur', 'Leuven', 'Mons', 'Bruges'] as const;
const DEMO_COUNTRY_ID = 274;
const DEMO_USER_ID = 1;
/** The share of a PUT's ids taken from the 8 demo partners: concurrent PUTs overlap there. */
const HOT_SHARE = 0.25;
const MIN_LIST_IDS = 2;
const MAX_LIST_IDS = 10;
const SEARCH_LIMIT = 20;
const SEARCH_DOMAIN = "[('city','ilike','a')]";
const EMPTY_DOMAIN = "[('city','=','No such city')]";
const READ_FIELDS = "['name','street2']";

/** Tokens live 30 minutes (ACCESS_TOKEN_VALIDITY); the run must end well before. */
const MAX_DURATION_S = 1_500;
/** A request with no answer after this is a timeout (autocannon reconnects and goes on). */
const REQUEST_TIMEOUT_S = 30;
/** Before measuring: this many rounds of `connections` concurrent requests per route, so serverless-offline has started its Lambda instances. */
const WARMUP_ROUNDS = 2;
/** After the load: how long the API gets to finish requests that were in flight when it stopped, and how long to wait for the read-back to be stable. */
const QUIET_MS = 3_000;
const SETTLE_LIMIT_MS = 30_000;
const FETCH_TIMEOUT_MS = REQUEST_TIMEOUT_S * 1000;
/** Samples of unexpected answers kept for the report. */
const SAMPLES = 5;

export const KINDS = ['put', 'read', 'search'] as const;
export type Kind = (typeof KINDS)[number];
const ROUTES = ['PUT list', 'read one', 'read ids', 'search_read', 'search_read, no match', 'search_count'] as const;
type Route = (typeof ROUTES)[number];
const ROUTE_KIND: Record<Route, Kind> = {
  'PUT list': 'put',
  'read one': 'read',
  'read ids': 'read',
  search_read: 'search',
  'search_read, no match': 'search',
  search_count: 'search',
};

// ---------------------------------------------------------------------------------------------
// autocannon 9 (CommonJS, no type declarations): the part of its API used here

interface CannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  setupRequest?: (request: CannonRequest, context: Record<string, unknown>) => CannonRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, unknown>) => void;
}

interface CannonOptions {
  url: string;
  connections: number;
  duration: number;
  maxOverallRequests: number;
  timeout: number;
  headers: Record<string, string>;
  requests: CannonRequest[];
  /** Keeps the latency histogram encoded, so that the kinds can be aggregated into a total. */
  skipAggregateResult: true;
}

/** One instance's result with skipAggregateResult (the histograms still encoded). */
interface CannonRawResult {
  latencies: string;
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}

interface CannonAggregate {
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: { p50: number; p99: number; p99_9: number; max: number; totalCount: number };
}

interface CannonInstance extends PromiseLike<CannonRawResult> {
  stop?: () => void;
}

interface Autocannon {
  (options: CannonOptions): CannonInstance;
  aggregateResult(results: CannonRawResult[], options: { url: string; connections: number }): CannonAggregate;
}

const loadAutocannon = () => createRequire(__filename)('autocannon') as Autocannon;

// ---------------------------------------------------------------------------------------------
// Options

export interface Options {
  readonly durationS: number;
  readonly connections: number;
  readonly mix: Readonly<Record<Kind, number>>;
  readonly maxRequests: number;
  readonly port: number | undefined;
}

const USAGE = 'usage: npm run load -- [--duration 60] [--connections 8] [--mix put:2,read:5,search:3] [--max-requests 200000] [--port N]';

function positiveInteger(name: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new Error(`--${name} must be an integer from 1 to ${max}, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** "put:2,read:5,search:3": a weight per kind (a kind left out weighs 0). */
export function parseMix(text: string): Record<Kind, number> {
  const mix: Record<Kind, number> = { put: 0, read: 0, search: 0 };
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const match = /^\s*([a-z]+)\s*:\s*(\d+)\s*$/.exec(part);
    const kind = match?.[1] as Kind | undefined;
    if (!match || kind === undefined || !KINDS.includes(kind)) throw new Error(`--mix: ${JSON.stringify(part)} is not kind:weight with kind one of ${KINDS.join(', ')}`);
    if (seen.has(kind)) throw new Error(`--mix names ${kind} twice`);
    seen.add(kind);
    mix[kind] = Number(match[2]);
  }
  if (KINDS.every((kind) => mix[kind] === 0)) throw new Error('--mix: every weight is 0');
  return mix;
}

export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string', default: '60' },
      connections: { type: 'string', default: '8' },
      mix: { type: 'string', default: 'put:2,read:5,search:3' },
      'max-requests': { type: 'string', default: '200000' },
      port: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const connections = positiveInteger('connections', values.connections, 256);
  const maxRequests = positiveInteger('max-requests', values['max-requests'], 10_000_000);
  if (maxRequests < connections) throw new Error('--max-requests must be at least --connections');
  return {
    durationS: positiveInteger('duration', values.duration, MAX_DURATION_S),
    connections,
    mix: parseMix(values.mix),
    maxRequests,
    port: values.port === undefined ? undefined : positiveInteger('port', values.port, 65_535),
  };
}

/**
 * The connections per kind: proportional to the weights (largest remainder), at least one for
 * each kind that weighs something, `connections` in all.
 */
export function allocateConnections(mix: Readonly<Record<Kind, number>>, connections: number): Record<Kind, number> {
  const active = KINDS.filter((kind) => mix[kind] > 0);
  if (connections < active.length) throw new Error(`--connections ${connections} is fewer than the ${active.length} kinds of the mix`);
  const total = active.reduce((sum, kind) => sum + mix[kind], 0);
  const exact = Object.fromEntries(KINDS.map((kind) => [kind, (mix[kind] / total) * connections])) as Record<Kind, number>;
  const given = Object.fromEntries(KINDS.map((kind) => [kind, mix[kind] > 0 ? Math.max(1, Math.floor(exact[kind])) : 0])) as Record<Kind, number>;
  const sum = () => KINDS.reduce((s, kind) => s + given[kind], 0);
  while (sum() > connections) {
    const over = active.filter((kind) => given[kind] > 1).sort((a, b) => given[b] - exact[b] - (given[a] - exact[a]))[0] as Kind;
    given[over]--;
  }
  while (sum() < connections) {
    const under = [...active].sort((a, b) => exact[b] - given[b] - (exact[a] - given[a]))[0] as Kind;
    given[under]++;
  }
  return given;
}

// ---------------------------------------------------------------------------------------------
// Requests and the checks of their answers

/** What one PUT sent, and what became of it (status undefined: no answer came). */
export interface PutRecord {
  readonly ids: readonly number[];
  readonly value: string;
  /** performance.now() when it was built, just before it was sent. */
  readonly sentAt: number;
  doneAt?: number;
  status?: number;
}

interface Plan {
  readonly route: Route;
  readonly method: 'GET' | 'PUT';
  readonly path: string;
  readonly ids: readonly number[];
  readonly put?: PutRecord;
}

type Outcome = 'ok' | 'empty' | 'conflict' | 'unexpected';

interface RouteTally {
  requests: number;
  ok: number;
  empty: number;
  conflict: number;
  unexpected: number;
}

const PARTNER_POOL: readonly number[] = [...DEMO_PARTNER_IDS, ...Array.from({ length: LOAD_PARTNERS }, (_, i) => FIRST_LOAD_ID + i)];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

/** 2 to 10 distinct partner ids in random order, about HOT_SHARE of them demo partners. */
function listIds(): number[] {
  const count = between(MIN_LIST_IDS, MAX_LIST_IDS);
  const ids = new Set<number>();
  while (ids.size < count) ids.add(Math.random() < HOT_SHARE ? pick(DEMO_PARTNER_IDS) : FIRST_LOAD_ID + Math.floor(Math.random() * LOAD_PARTNERS));
  return [...ids];
}

const query = (params: Record<string, string>) =>
  Object.entries(params)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The cities of the partners search_count counts: the data's, since the load never writes city. */
function expectedSearchCount(): number {
  const cities = [...demoData.records['res.partner'].map((p) => p.city), ...Array.from({ length: LOAD_PARTNERS }, (_, i) => loadCity(i))];
  return cities.filter((city) => city.toLowerCase().includes('a')).length;
}

const loadCity = (i: number): string => LOAD_CITIES[i % LOAD_CITIES.length] as string;

/** Builds the requests, checks the answers and keeps the tallies and what the PUTs wrote. */
class LoadState {
  readonly puts: PutRecord[] = [];
  readonly tallies = new Map<Route, RouteTally>(ROUTES.map((route) => [route, { requests: 0, ok: 0, empty: 0, conflict: 0, unexpected: 0 }]));
  readonly samples: string[] = [];
  /** The street2 values reads saw, per partner. */
  readonly seen = new Map<number, Set<string | false>>();
  readonly #searchCount = expectedSearchCount();
  #next = 0;
  /** Requests built and answers received, and those answered 2xx (the usage ledger's check). */
  readonly counts = { sent: 0, answered: 0, answered2xx: 0 };

  plan(kind: Kind): Plan {
    this.counts.sent++;
    switch (kind) {
      case 'put': {
        const ids = listIds();
        const put: PutRecord = { ids, value: `load ${this.#next++}`, sentAt: performance.now() };
        this.puts.push(put);
        return { route: 'PUT list', method: 'PUT', path: `${OBJECT_PATH}?${query({ ids: ids.join(','), vals: `{'street2':'${put.value}'}` })}`, ids, put };
      }
      case 'read': {
        if (Math.random() < 0.5) {
          const id = pick(PARTNER_POOL);
          return { route: 'read one', method: 'GET', path: `${OBJECT_PATH}/${id}?${query({ fields: READ_FIELDS })}`, ids: [id] };
        }
        const ids = listIds();
        return { route: 'read ids', method: 'GET', path: `${OBJECT_PATH}?${query({ ids: ids.join(','), fields: READ_FIELDS })}`, ids };
      }
      case 'search': {
        const draw = Math.random();
        if (draw < 0.4) return { route: 'search_read', method: 'GET', path: `${OBJECT_PATH}?${query({ domain: SEARCH_DOMAIN, limit: String(SEARCH_LIMIT) })}`, ids: [] };
        if (draw < 0.8) return { route: 'search_count', method: 'GET', path: `${OBJECT_PATH}/search_count?${query({ domain: SEARCH_DOMAIN })}`, ids: [] };
        return { route: 'search_read, no match', method: 'GET', path: `${OBJECT_PATH}?${query({ domain: EMPTY_DOMAIN, limit: String(SEARCH_LIMIT) })}`, ids: [] };
      }
    }
  }

  /** Records an answer; returns what it was. */
  answer(plan: Plan, status: number, body: string): Outcome {
    this.counts.answered++;
    if (status >= 200 && status < 300) this.counts.answered2xx++;
    if (plan.put) {
      plan.put.status = status;
      plan.put.doneAt = performance.now();
    }
    const tally = this.tallies.get(plan.route) as RouteTally;
    tally.requests++;
    const problem = this.#check(plan, status, body);
    const outcome: Outcome = problem !== undefined ? 'unexpected' : status === 409 ? 'conflict' : status === 404 ? 'empty' : 'ok';
    tally[outcome]++;
    if (problem !== undefined && this.samples.length < SAMPLES) this.samples.push(`${plan.route}: ${plan.method} ${plan.path} -> ${status}: ${problem}; body ${body.slice(0, 300)}`);
    return outcome;
  }

  /** undefined when the answer is one this request may get, else what is wrong with it. */
  #check(plan: Plan, status: number, body: string): string | undefined {
    if (plan.route === 'PUT list' && status === 409) return undefined; // the records kept changing: nothing written
    if (plan.route === 'search_read, no match') return status === 404 && body.includes('Record not found') ? undefined : 'expected 404 "Record not found"';
    if (status !== 200) return 'unexpected status';
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return 'not JSON';
    }
    if (plan.route === 'search_count') {
      const count = isRecord(parsed) ? parsed.count : undefined;
      return count === this.#searchCount ? undefined : `count ${String(count)}, the data has ${this.#searchCount}`;
    }
    const records = isRecord(parsed) ? parsed[RESPONSE_KEY] : undefined;
    if (plan.route === 'read one') return isRecord(records) ? this.#checkRecords(plan, [records]) : `no ${RESPONSE_KEY} object`;
    if (!Array.isArray(records)) return `no ${RESPONSE_KEY} list`;
    if (plan.route === 'search_read') {
      if (records.length === 0 || records.length > SEARCH_LIMIT) return `${records.length} records, expected 1 to ${SEARCH_LIMIT}`;
      const wrong = records.find((r) => !isRecord(r) || typeof r.city !== 'string' || !r.city.toLowerCase().includes('a'));
      return wrong === undefined ? undefined : `a record the domain does not match: ${JSON.stringify(wrong).slice(0, 200)}`;
    }
    return this.#checkRecords(plan, records);
  }

  /** PUT and reads: the ids asked, in order; a PUT's records carry its value; a read's values are kept. */
  #checkRecords(plan: Plan, records: readonly unknown[]): string | undefined {
    if (records.length !== plan.ids.length) return `${records.length} records for ${plan.ids.length} ids`;
    for (const [i, record] of records.entries()) {
      if (!isRecord(record) || record.id !== plan.ids[i]) return `record ${i} is not id ${plan.ids[i]}`;
      const street2 = record.street2;
      if (typeof street2 !== 'string' && street2 !== false) return `record ${plan.ids[i]}: street2 ${JSON.stringify(street2)}`;
      if (plan.put && street2 !== plan.put.value) return `record ${plan.ids[i]}: street2 ${JSON.stringify(street2)}, written ${JSON.stringify(plan.put.value)}`;
      if (!plan.put) {
        if (typeof record.name !== 'string' || record.name === '') return `record ${plan.ids[i]}: no name`;
        let values = this.seen.get(plan.ids[i] as number);
        if (!values) this.seen.set(plan.ids[i] as number, (values = new Set()));
        values.add(street2);
      }
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The usage ledger's check

/** How long the ledger check waits for calls in flight when the load stopped. */
const LEDGER_SETTLE_MS = 2_000;

/** The usage ledger's `ok` calls of one client in the last day and the next hour (read consistently). */
function usageLedger(endpoint: string, clientId: string) {
  const client = createDocumentClient({ endpoint, region: REGION });
  const meter = new DynamoMeterStore(client, LOCAL_TABLES.usage);
  return {
    async okCalls(): Promise<number> {
      const now = Date.now();
      const rows = await meter.ledger(clientId, hourOf(new Date(now - 86_400_000)), hourOf(new Date(now + 3_600_000)));
      return rows.filter((row) => row.outcome === 'ok').reduce((sum, row) => sum + row.calls, 0);
    },
    close: () => client.destroy(),
  };
}

// ---------------------------------------------------------------------------------------------
// The consistency check (pure)

export interface ConsistencyReport {
  /** Partners some PUT named, read back. */
  readonly checked: number;
  /** ... of which a PUT answered 200 for. */
  readonly written: number;
  /** Final values from a PUT whose answer never came (timed out, or in flight when the load stopped): it committed. */
  readonly unanswered: number;
  readonly problems: readonly string[];
  /** Values reads saw during the load, and those that no PUT could have written. */
  readonly readValues: number;
  readonly readProblems: readonly string[];
}

/**
 * Every partner a PUT named, against its final street2 (`final`, false when empty) and the values
 * reads saw (`seen`). The initial street2 of every partner is empty.
 */
export function checkConsistency(puts: readonly PutRecord[], final: ReadonlyMap<number, string | false>, seen: ReadonlyMap<number, ReadonlySet<string | false>>): ConsistencyReport {
  const byId = new Map<number, PutRecord[]>();
  for (const put of puts) for (const id of put.ids) byId.set(id, [...(byId.get(id) ?? []), put]);
  const problems: string[] = [];
  let written = 0;
  let unanswered = 0;
  for (const [id, covering] of byId) {
    const value = final.get(id);
    const succeeded = covering.filter((p) => p.status === 200);
    if (succeeded.length > 0) written++;
    if (value === undefined) {
      problems.push(`partner ${id}: not read back`);
      continue;
    }
    if (value === false) {
      if (succeeded.length > 0) problems.push(`partner ${id}: street2 empty after ${succeeded.length} PUTs answered 200 (lost write)`);
      continue;
    }
    const writer = covering.find((p) => p.value === value);
    if (!writer) {
      problems.push(`partner ${id}: street2 ${JSON.stringify(value)} was not sent to it by any PUT (foreign or torn value)`);
    } else if (writer.status === undefined) {
      unanswered++;
    } else if (writer.status !== 200) {
      problems.push(`partner ${id}: street2 ${JSON.stringify(value)} from a PUT answered ${writer.status} (a refused write is visible)`);
    } else {
      const later = succeeded.find((p) => writer.doneAt !== undefined && p.sentAt > writer.doneAt);
      if (later) problems.push(`partner ${id}: street2 ${JSON.stringify(value)}, yet ${JSON.stringify(later.value)} was sent after that PUT's 200 and answered 200 too (stale value)`);
    }
  }
  const readProblems: string[] = [];
  let readValues = 0;
  for (const [id, values] of seen) {
    for (const value of values) {
      readValues++;
      if (value === false) continue;
      const writer = (byId.get(id) ?? []).find((p) => p.value === value);
      if (!writer) readProblems.push(`partner ${id}: a read saw street2 ${JSON.stringify(value)}, which no PUT sent it`);
      else if (writer.status !== undefined && writer.status !== 200) readProblems.push(`partner ${id}: a read saw ${JSON.stringify(value)}, from a PUT answered ${writer.status}`);
    }
  }
  return { checked: final.size, written, unanswered, problems, readValues, readProblems };
}

// ---------------------------------------------------------------------------------------------
// Output

const say = (line = '') => process.stdout.write(`${line}\n`);
/** Progress goes to stderr so that stdout holds only the results. */
const progress = (line: string) => process.stderr.write(`.. ${line}\n`);

/** A plain-text table: first column left-aligned, the others right-aligned (they are numbers). */
export function formatTable(title: string, headers: readonly string[], rows: readonly (readonly string[])[], notes: readonly string[] = []): string[] {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [title, line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line), ...notes, ''];
}

const printTable = (...args: Parameters<typeof formatTable>) => formatTable(...args).forEach((line) => say(line));

/** The status columns of a kind's (or the total's) row, from autocannon's status counts. */
export interface StatusCounts {
  readonly responses: number;
  readonly ok2xx: number;
  readonly notFound: number;
  readonly conflict: number;
  readonly other4xx: number;
  readonly server5xx: number;
  readonly other: number;
}

export function statusCounts(stats: Readonly<Record<string, { count: number }>>): StatusCounts {
  let responses = 0;
  let ok2xx = 0;
  let notFound = 0;
  let conflict = 0;
  let other4xx = 0;
  let server5xx = 0;
  let other = 0;
  for (const [code, { count }] of Object.entries(stats)) {
    const status = Number(code);
    responses += count;
    if (status >= 200 && status < 300) ok2xx += count;
    else if (status === 404) notFound += count;
    else if (status === 409) conflict += count;
    else if (status >= 400 && status < 500) other4xx += count;
    else if (status >= 500 && status < 600) server5xx += count;
    else other += count;
  }
  return { responses, ok2xx, notFound, conflict, other4xx, server5xx, other };
}

interface KindResult {
  readonly label: string;
  readonly connections: number;
  readonly seconds: number;
  readonly aggregate: CannonAggregate;
  readonly unexpected: number;
}

const ms = (value: number) => (Number.isFinite(value) ? String(value) : '-');

function kindRow(result: KindResult): string[] {
  const s = statusCounts(result.aggregate.statusCodeStats);
  const { latency } = result.aggregate;
  const any = s.responses > 0;
  return [
    result.label,
    String(result.connections),
    String(s.responses),
    (s.responses / result.seconds).toFixed(1),
    any ? ms(latency.p50) : '-',
    any ? ms(latency.p99) : '-',
    any ? ms(latency.p99_9) : '-',
    String(s.ok2xx),
    String(s.notFound),
    String(s.conflict),
    String(s.other4xx),
    String(s.server5xx + s.other),
    String(result.aggregate.errors - result.aggregate.timeouts),
    String(result.aggregate.timeouts),
    String(result.unexpected),
  ];
}

function printMachine(): void {
  say(machineLine());
}

// ---------------------------------------------------------------------------------------------
// Setup


async function createLoadPartners(endpoint: string): Promise<void> {
  const client = createDocumentClient({ endpoint, region: REGION });
  try {
    const rows = Array.from({ length: LOAD_PARTNERS }, (_, i) => ({
      id: FIRST_LOAD_ID + i,
      name: `Load Partner ${i}`,
      street: `${i} Load Street`,
      city: loadCity(i),
      country_id: DEMO_COUNTRY_ID,
      create_uid: DEMO_USER_ID,
      write_uid: DEMO_USER_ID,
      create_date: '2024-01-01 00:00:00',
      write_date: '2024-01-01 00:00:00',
    }));
    await new DynamoRecordStore(client, LOCAL_TABLES.records).putMany(recordsFromData(buildRegistry(shippedModels), { [MODEL]: rows }));
  } finally {
    client.destroy();
  }
}



/** Loopback only: the load is never pointed at anything but the API this script started. */
function assertLoopback(url: string): void {
  const { hostname } = new URL(url);
  if (hostname !== '127.0.0.1') throw new Error(`refusing to load ${url}: only http://127.0.0.1 is allowed`);
}

// ---------------------------------------------------------------------------------------------
// The run

const delay = (msec: number) => new Promise((resolve) => setTimeout(resolve, msec));

async function send(apiUrl: string, token: string, plan: Plan): Promise<{ status: number; body: string }> {
  const response = await fetch(`${apiUrl}${plan.path}`, {
    method: plan.method,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  return { status: response.status, body: await response.text() };
}

/** WARMUP_ROUNDS of `connections` concurrent requests of each kind, checked like the load's. */
async function warmUp(apiUrl: string, token: string, state: LoadState, kinds: readonly Kind[], connections: number): Promise<void> {
  for (let round = 0; round < WARMUP_ROUNDS; round++) {
    for (const kind of kinds) {
      await Promise.all(
        Array.from({ length: connections }, async () => {
          const plan = state.plan(kind);
          const { status, body } = await send(apiUrl, token, plan);
          state.answer(plan, status, body);
        }),
      );
    }
  }
}

/** The street2 of every partner in `ids`, 100 per request. */
async function readBack(apiUrl: string, token: string, ids: readonly number[]): Promise<Map<number, string | false>> {
  const values = new Map<number, string | false>();
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const { status, body } = await send(apiUrl, token, { route: 'read ids', method: 'GET', path: `${OBJECT_PATH}?${query({ ids: chunk.join(','), fields: "['street2']" })}`, ids: chunk });
    if (status !== 200) throw new Error(`reading back ${chunk.length} partners answered ${status}: ${body.slice(0, 300)}`);
    const records = (JSON.parse(body) as Record<string, Array<{ id: number; street2: string | false }>>)[RESPONSE_KEY] ?? [];
    for (const record of records) values.set(record.id, record.street2);
  }
  return values;
}

/** Reads back until two reads QUIET_MS apart agree (requests in flight when the load stopped have finished), within SETTLE_LIMIT_MS. */
async function settledReadBack(apiUrl: string, token: string, ids: readonly number[]): Promise<{ values: Map<number, string | false>; settled: boolean }> {
  const deadline = performance.now() + SETTLE_LIMIT_MS;
  await delay(QUIET_MS);
  let values = await readBack(apiUrl, token, ids);
  while (performance.now() < deadline) {
    await delay(QUIET_MS);
    const again = await readBack(apiUrl, token, ids);
    const same = again.size === values.size && [...again].every(([id, value]) => values.get(id) === value);
    values = again;
    if (same) return { values, settled: true };
  }
  return { values, settled: false };
}

async function load(options: Options, cleanup: Cleanup, run: { readonly interrupted: boolean }): Promise<boolean> {
  const autocannon = loadAutocannon();
  const allocation = allocateConnections(options.mix, options.connections);
  const kinds = KINDS.filter((kind) => allocation[kind] > 0);

  printMachine();
  const port = options.port ?? (await freePort());
  if (options.port !== undefined && !(await portIsFree(port))) throw new Error(`port ${port} is in use on 127.0.0.1`);

  progress('starting DynamoDB Local');
  const dynamo = await startDynamo();
  cleanup.add(() => dynamo.stop());
  const keyFile = localKeyFile(undefined, port);
  cleanup.add(() => rm(keyFile, { force: true }));
  const demo = await prepareData(dynamo.endpoint, keyFile);
  progress(`creating ${LOAD_PARTNERS} load partners`);
  await createLoadPartners(dynamo.endpoint);
  progress('starting the API (serverless-offline)');
  const api = await startApi({ port, endpoint: dynamo.endpoint, demo, keyFile });
  cleanup.add(() => api.stop());
  assertLoopback(api.url);
  const token = await fetchToken(api.url, demo.oauth2, FETCH_TIMEOUT_MS);

  say(
    `Settings: ${options.durationS} s or ${options.maxRequests} requests, ${options.connections} connections ` +
      `(${kinds.map((kind) => `${kind} ${allocation[kind]}`).join(', ')}; mix ${KINDS.map((kind) => `${kind}:${options.mix[kind]}`).join(',')}), ` +
      `request timeout ${REQUEST_TIMEOUT_S} s, OAuth 2 Bearer (demo client)`,
  );
  say(`          ${api.url} (serverless-offline, stage local), DynamoDB Local in memory on the same machine, ` +
    `${DEMO_PARTNER_IDS.length} demo + ${LOAD_PARTNERS} load partners`);
  say();

  const state = new LoadState();
  progress(`warming up (${WARMUP_ROUNDS} x ${options.connections} requests per kind)`);
  await warmUp(api.url, token, state, kinds, options.connections);
  const warmupUnexpected = [...state.tallies.values()].reduce((sum, t) => sum + t.unexpected, 0);
  // The tallies count the measured load only; the warm-up's PUTs stay in the consistency check.
  for (const tally of state.tallies.values()) Object.assign(tally, { requests: 0, ok: 0, empty: 0, conflict: 0, unexpected: 0 });
  Object.assign(state.counts, { sent: 0, answered: 0, answered2xx: 0 });
  // The usage ledger's count of the demo client's served calls, before and after the measured load.
  const ledger = usageLedger(dynamo.endpoint, demo.oauth2.clientId);
  cleanup.add(async () => ledger.close());
  const ledgerBefore = await ledger.okCalls();

  progress(`load: ${options.durationS} s`);
  const cannonOptions = (kind: Kind): CannonOptions => ({
    url: api.url,
    connections: allocation[kind],
    duration: options.durationS,
    maxOverallRequests: Math.max(allocation[kind], Math.floor((options.maxRequests * allocation[kind]) / options.connections)),
    timeout: REQUEST_TIMEOUT_S,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    skipAggregateResult: true,
    requests: [
      {
        setupRequest: (request, context) => {
          const plan = state.plan(kind);
          context.plan = plan;
          return { ...request, method: plan.method, path: plan.path };
        },
        onResponse: (status, body, context) => {
          const plan = context.plan as Plan | undefined;
          if (plan) state.answer(plan, status, body);
        },
      },
    ],
  });
  const started = performance.now();
  const instances = kinds.map((kind) => autocannon(cannonOptions(kind)));
  const stopAll = () => instances.forEach((instance) => instance.stop?.());
  cleanup.add(async () => stopAll());
  // A bound of its own, should autocannon not stop at its duration.
  const guard = setTimeout(stopAll, (options.durationS + REQUEST_TIMEOUT_S + 10) * 1000);
  const raw = await Promise.all(instances.map((instance) => Promise.resolve(instance))).finally(() => clearTimeout(guard));
  const seconds = (performance.now() - started) / 1000;
  // Stopped by Ctrl-C: the figures are partial and the API is going away; the signal handler exits.
  if (run.interrupted) throw new Error('interrupted');

  const unexpectedOf = (kind: Kind) => ROUTES.filter((route) => ROUTE_KIND[route] === kind).reduce((sum, route) => sum + (state.tallies.get(route) as RouteTally).unexpected, 0);
  const results: KindResult[] = kinds.map((kind, i) => {
    const result = raw[i] as CannonRawResult;
    // aggregateResult shares (and adds into) the first result's status objects: each call gets its own copy.
    return { label: kind, connections: allocation[kind], seconds: result.duration, aggregate: autocannon.aggregateResult([structuredClone(result)], { url: api.url, connections: allocation[kind] }), unexpected: unexpectedOf(kind) };
  });
  const total: KindResult = {
    label: 'total',
    connections: options.connections,
    seconds,
    aggregate: autocannon.aggregateResult(raw.map((result) => structuredClone(result)), { url: api.url, connections: options.connections }),
    unexpected: results.reduce((sum, r) => sum + r.unexpected, 0),
  };

  printTable(
    `Load: ${seconds.toFixed(1)} s through ${api.url} (autocannon ${options.connections} connections, one instance per kind)`,
    ['kind', 'conns', 'requests', 'requests/s', 'p50 ms', 'p99 ms', 'p99.9 ms', '2xx', '404', '409', 'other 4xx', '5xx', 'errors', 'timeouts', 'unexpected'],
    [...results, total].map(kindRow),
    [
      '   requests: answers received; latency over every answer (autocannon, whole ms); 404: the search that matches',
      '   nothing (expected); 409: conflict (expected under contention: the records kept changing, nothing written);',
      '   5xx: any 5xx or non-HTTP status; errors: connection errors; unexpected: a status or body this request may not get.',
    ],
  );
  printTable(
    'Per route (checked answers)',
    ['route', 'requests', '200 as expected', '404 no match', '409 conflict', 'unexpected'],
    ROUTES.filter((route) => kinds.includes(ROUTE_KIND[route])).map((route) => {
      const t = state.tallies.get(route) as RouteTally;
      return [route, String(t.requests), String(t.ok), String(t.empty), String(t.conflict), String(t.unexpected)];
    }),
  );
  for (const sample of state.samples) say(`Unexpected: ${sample}`);
  if (state.samples.length > 0) say();

  progress('checking the usage ledger');
  // Calls still in flight when autocannon stopped may still commit (and be counted): a moment for them.
  await new Promise((resolve) => setTimeout(resolve, LEDGER_SETTLE_MS));
  const counted = (await ledger.okCalls()) - ledgerBefore;
  const inFlight = state.counts.sent - state.counts.answered;
  const ledgerExact = counted >= state.counts.answered2xx && counted <= state.counts.answered2xx + inFlight;
  say(
    `Usage ledger: ${counted} calls of the demo client counted ok during the load; ${state.counts.answered2xx} answered 2xx, ` +
      `${inFlight} sent and never answered (in flight when the load stopped: counted if they were served): ` +
      `${ledgerExact ? (inFlight === 0 ? 'equal' : 'within them') : 'MISMATCH'}`,
  );

  progress('checking consistency');
  const touched = [...new Set(state.puts.flatMap((put) => put.ids))].sort((a, b) => a - b);
  const { values, settled } = touched.length > 0 ? await settledReadBack(api.url, token, touched) : { values: new Map<number, string | false>(), settled: true };
  const report = checkConsistency(state.puts, values, state.seen);
  const answered = state.puts.filter((put) => put.status !== undefined).length;
  say(
    `Consistency: ${report.checked} partners read back (${report.written} written by a PUT answered 200; ${report.unanswered} hold the value of a PUT ` +
      `whose answer never came), ${state.puts.length} PUTs sent (${answered} answered, warm-up included), ${report.readValues} street2 values seen by reads` +
      `${settled ? '' : `; the values did not settle within ${SETTLE_LIMIT_MS / 1000} s`}: ${report.problems.length + report.readProblems.length} problems`,
  );
  for (const problem of [...report.problems, ...report.readProblems].slice(0, 10)) say(`   ${problem}`);

  const totals = statusCounts(total.aggregate.statusCodeStats);
  const failures = [
    totals.server5xx + totals.other > 0 ? `${totals.server5xx + totals.other} 5xx` : '',
    total.unexpected > 0 ? `${total.unexpected} unexpected statuses or bodies` : '',
    warmupUnexpected > 0 ? `${warmupUnexpected} unexpected answers during the warm-up` : '',
    total.aggregate.errors > 0 ? `${total.aggregate.errors} errors (${total.aggregate.timeouts} timeouts)` : '',
    report.problems.length + report.readProblems.length > 0 ? `${report.problems.length + report.readProblems.length} consistency problems` : '',
    settled ? '' : 'the records did not settle after the load',
    ledgerExact ? '' : `the usage ledger counted ${counted} calls ok for ${state.counts.answered2xx} answered 2xx`,
    totals.responses === 0 ? 'no answer at all' : '',
  ].filter((failure) => failure !== '');
  say();
  say(failures.length === 0 ? 'PASS: zero 5xx and zero unexpected statuses' : `FAIL: ${failures.join(', ')}`);
  return failures.length === 0;
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  await runWithCleanup('load', (cleanup, state) => load(options, cleanup, state));
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`load failed: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  });
}
