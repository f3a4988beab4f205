/**
 * The object API under DynamoDB faults (issue 5, part 4): throttling, TransactionConflict,
 * timeouts, reset connections, DynamoDB down for a while, and a crash between the write and the
 * response. Each request ends either in the right result after bounded, jittered retries, or in a
 * 503 with Retry-After and no internals; afterwards no record is half-written and no id reused.
 *
 * The faults come from test/helpers/fault-injection.ts: a labelled FAKE, an SDK middleware on a
 * real document client talking to DynamoDB Local (which cannot produce these faults itself). One
 * case needs no injector: a connection that is accepted and never answered (a real timeout).
 *
 * Why not real network failures here: under jest, errors raised by Node itself (ECONNREFUSED,
 * ECONNRESET) come from another realm than the test's, fail the SDK's `instanceof Error` and reach
 * the adapter as bare wrapper Errors without their code (a 500). Outside jest they are exactly the
 * shapes the injector raises (checked by hand with tsx against a dead port and a resetting server).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { buildAccessRules } from '../../lib/models/access';
import { createLogger } from '../../lib/runtime/log';
import { buildRegistry } from '../../lib/models/registry';
import { routeObjectRequest, type ObjectDeps } from '../../lib/object-api/router';
import { createDocumentClient } from '../../lib/store/dynamodb/client';
import { DynamoRecordStore, indexAttributes } from '../../lib/store/dynamodb/records-table';
import { shippedIndexer } from '../../lib/indexes/indexer';
import type { StoredValue } from '../../lib/records/port';
import { shippedAccessRules, shippedModels } from '../../models';
import { objectRouteEvent } from '../../scripts/api-events';
import demoData from '../../scripts/demo-data.json';
import { faultyDocumentClient, INJECTED_MARK, type CommandName, type FaultInjector, type FaultKind } from '../helpers/fault-injection';
import { freshStores } from '../helpers/local';
import { runHttp, type HttpOptions } from '../../lib/http';

/** The object handler's work on one event: lib/http around the object route, as handlers/object.ts runs it. */
const serveObject = (deps: ObjectDeps, options: HttpOptions, event: APIGatewayProxyEvent) =>
  runHttp(event, options, (request) => routeObjectRequest(deps, request));

type Item = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const registry = buildRegistry(shippedModels);
const accessRules = buildAccessRules(shippedAccessRules);
const CALLER_ID = 1;
/** The SDK's attempts per call (lib/store/dynamodb/client.ts) times ours per write (lib/records/commit.ts). */
const MOST_ATTEMPTS = 3 * 4;

const WRITTEN = { street2: 'Fault street', ref: 'F-1' };
const PUT_VALS = "{'street2': 'Fault street', 'ref': 'F-1'}";
const SERVICE_UNAVAILABLE = { error: { code: 503, message: 'The service is busy; retry later' } };

/** Every demo record, as [model, id]. */
const DEMO_KEYS: Array<[string, number]> = Object.entries(demoData.records).flatMap(([model, rows]) => rows.map((row) => [model, row.id] as [string, number]));
const DEMO_PARTNER_IDS = demoData.records['res.partner'].map((row) => row.id).sort((a, b) => a - b);
const LAST_DEMO_PARTNER_ID = Math.max(...DEMO_PARTNER_IDS);

let stores: Awaited<ReturnType<typeof freshStores>>;
let injector: FaultInjector;
let logLines: string[];
/** What a case leaves open (servers, clients), closed after it even when it timed out. */
const cleanups: Array<() => void> = [];

beforeEach(async () => {
  stores = await freshStores({ demo: true });
  // A client of its own per case: the SDK's retry quota and the injector's plans start fresh.
  injector = faultyDocumentClient();
  logLines = [];
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  injector.destroy();
  stores.client.destroy();
});

const options = () => ({ log: createLogger({}, (line) => void logLines.push(line)), responseKey: 'description' as const });
const depsOver = (store: DynamoRecordStore): ObjectDeps => ({ registry, store, accessRules });
/** The object handler's logic over the faulty client (deps.sleep left as shipped: jittered, small). */
const faultyDeps = () => depsOver(new DynamoRecordStore(injector.client, stores.tables.records));
/** The same over a client without faults: what a later request (the client's retry) meets. */
const cleanDeps = () => depsOver(stores.records);

/** An object-route event on res.partner as API Gateway passes it to the object Lambda after the authorizer. */
function objectEvent(method: string, proxy: string | undefined, query: Record<string, string>, extraHeaders: Record<string, string> = {}): APIGatewayProxyEvent {
  return objectRouteEvent({
    method,
    model: 'res.partner',
    proxy,
    query,
    requestId: `faults-${Math.random().toString(36).slice(2)}`,
    headers: { Accept: 'application/json', Authorization: 'Bearer faults', Host: 'api.example.com', ...extraHeaders },
    authorizer: { userId: String(CALLER_ID), clientId: 'x', scheme: 'oauth2', tokenScopes: '', groups: 'base.group_system' },
  });
}

const putList = (deps: ObjectDeps, headers: Record<string, string> = {}) =>
  serveObject(deps, options(), objectEvent('PUT', undefined, { ids: '17,20', vals: PUT_VALS }, headers));
const putOne = (deps: ObjectDeps) => serveObject(deps, options(), objectEvent('PUT', '17', { vals: PUT_VALS }));
const CREATE_NAME = 'Created under faults';
const createPartner = (deps: ObjectDeps, headers: Record<string, string> = {}) =>
  serveObject(deps, options(), objectEvent('POST', undefined, { vals: `{'name': '${CREATE_NAME}', 'city': 'Faultville'}` }, headers));

type Snapshot = Map<string, Item | undefined>;

async function snapshot(keys: ReadonlyArray<readonly [string, number]>): Promise<Snapshot> {
  const items = await Promise.all(keys.map(([model, id]) => stores.rawItem(model, id)));
  return new Map(keys.map(([model, id], i) => [`${model}#${id}`, items[i]]));
}

const WRITTEN_KEYS: Array<[string, number]> = [
  ['res.partner', 17],
  ['res.partner', 20],
];

/**
 * Whether a record is entirely its old version or entirely the new one: the same item, or a later
 * version whose every written field has the written value, write_uid/write_date the caller's and
 * the commit's, and every other field and attribute as before. Returns the version increase.
 */
function versionsAdded(before: Item | undefined, after: Item | undefined, written: Record<string, unknown>, label: string): number {
  if (isDeepStrictEqual(before, after)) return 0;
  const { v: beforeValues, version: beforeVersion, tx: _beforeStamp, ...beforeAttributes } = before ?? {};
  const { v: afterValues, version: afterVersion, tx: afterStamp, ...afterAttributes } = after ?? {};
  // The index entries are those of the new values, whole (lib/indexes/keys.ts); the rest as before.
  const [model, id] = [String(after?.model), Number(after?.id)];
  const entries = indexAttributes(shippedIndexer({ model, id, values: (afterValues ?? {}) as Record<string, StoredValue> }));
  const withoutEntries = (attributes: Item) => Object.fromEntries(Object.entries(attributes).filter(([name]) => !(name in entries)));
  expect({
    label,
    attributes: withoutEntries(afterAttributes),
    entries: Object.fromEntries(Object.keys(entries).map((name) => [name, afterAttributes[name]])),
    values: afterValues,
    newer: afterVersion > beforeVersion,
    stamp: afterStamp,
  }).toStrictEqual({
    label,
    attributes: withoutEntries(beforeAttributes),
    entries,
    // The change feed's stamp (lib/records/commit.ts stampChanges): the write's transaction.
    stamp: { id: expect.any(String), n: expect.any(Number), i: expect.any(Number), c: expect.any(String) },
    values: { ...beforeValues, ...written, write_uid: CALLER_ID, write_date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/) },
    newer: true,
  });
  return (afterVersion as number) - (beforeVersion as number);
}

/**
 * The records a PUT touched: each entirely old or entirely new, and all of them the same
 * (all-or-nothing). Returns 'old', or 'new' with the version increase (the times it was committed).
 */
async function expectAllOrNothing(before: Snapshot, written: Record<string, unknown> = WRITTEN): Promise<{ state: 'old' | 'new'; versionsAdded: number }> {
  const after = await snapshot([...before.keys()].map((key) => [key.slice(0, key.lastIndexOf('#')), Number(key.slice(key.lastIndexOf('#') + 1))] as const));
  const added = [...before.keys()].map((key) => versionsAdded(before.get(key), after.get(key), written, key));
  const states = added.map((n) => (n === 0 ? 'old' : 'new'));
  expect(new Set(states).size).toBe(1); // never some records old and others new
  return { state: states[0] as 'old' | 'new', versionsAdded: Math.max(...added) };
}

/** The 503 of a fault that outlasted the retries: Retry-After, the generic body, nothing internal. */
function expectServiceUnavailable(response: APIGatewayProxyResult): void {
  expect({ status: response.statusCode, retryAfter: response.headers?.['Retry-After'], body: JSON.parse(response.body) }).toStrictEqual({
    status: 503,
    retryAfter: '1',
    body: SERVICE_UNAVAILABLE,
  });
  expect(response.body).not.toMatch(/injected|Exception|TimeoutError|ECONN|stack|node_modules|\bat /);
}

/** The 200 of the PUT of 17 and 20: the committed values, as read() renders them. */
function expectWrittenList(response: APIGatewayProxyResult): void {
  expect(response.statusCode).toBe(200);
  const body = JSON.parse(response.body) as { Partner: Item[] };
  expect(body.Partner.map((r) => [r.id, r.street2, r.ref, r.write_uid])).toStrictEqual([
    [17, WRITTEN.street2, WRITTEN.ref, [CALLER_ID, 'Administrator']],
    [20, WRITTEN.street2, WRITTEN.ref, [CALLER_ID, 'Administrator']],
  ]);
}

describe('PUT of a list (one TransactWriteItems) under throttling', () => {
  it.each<FaultKind>(['throttling', 'provisioned-throughput'])('%s twice, then accepted: the SDK retries and the PUT answers 200', async (fault) => {
    const before = await snapshot(WRITTEN_KEYS);
    injector.arm({ command: 'TransactWriteItemsCommand', fault, times: 2 });
    expectWrittenList(await putList(faultyDeps()));
    expect([injector.faults('TransactWriteItemsCommand'), injector.attempts('TransactWriteItemsCommand')]).toStrictEqual([2, 3]);
    expect(injector.attempts('TransactWriteItemsCommand')).toBeLessThanOrEqual(MOST_ATTEMPTS);
    expect(await expectAllOrNothing(before)).toStrictEqual({ state: 'new', versionsAdded: 1 });
  });

  it('throttling that never ends: 503 with Retry-After and no internals, the cause logged, every demo record unchanged', async () => {
    const before = await snapshot(DEMO_KEYS);
    injector.arm({ command: 'TransactWriteItemsCommand', fault: 'throttling' });
    expectServiceUnavailable(await putList(faultyDeps()));
    // The SDK's three attempts; a 503 from the store is not retried again by the core.
    expect(injector.attempts('TransactWriteItemsCommand')).toBe(3);
    expect(await snapshot(DEMO_KEYS)).toStrictEqual(before);
    // The operator still learns why: the SDK's error is logged as the 503's cause.
    expect(logLines.some((line) => line.includes('"status":503') && line.includes('ThrottlingException') && line.includes(INJECTED_MARK))).toBe(true);
  });

  it('throttling reported inside the transaction (ThrottlingError reasons) every time: our retries are bounded, then 503, nothing written', async () => {
    const before = await snapshot(DEMO_KEYS);
    injector.arm({ command: 'TransactWriteItemsCommand', fault: 'transaction-throttled' });
    expectServiceUnavailable(await putList(faultyDeps()));
    // The SDK does not retry a cancelled transaction; the core re-reads and tries 4 times.
    expect(injector.attempts('TransactWriteItemsCommand')).toBe(4);
    expect(await snapshot(DEMO_KEYS)).toStrictEqual(before);
  });
});

describe('PUT of a list under TransactionConflict', () => {
  it('a conflict on the first attempt: the records are read again, the transaction retried, 200', async () => {
    const before = await snapshot(WRITTEN_KEYS);
    injector.arm({ command: 'TransactWriteItemsCommand', fault: 'transaction-conflict', times: 1 });
    expectWrittenList(await putList(faultyDeps()));
    expect(injector.attempts('TransactWriteItemsCommand')).toBe(2);
    expect(await expectAllOrNothing(before)).toStrictEqual({ state: 'new', versionsAdded: 1 });
  });

  // A TransactionConflict is another writer, not throttling (lib/records/commit.ts classifyCancellation):
  // one that outlasts the retries is DESIGN's 409 "the records kept changing", not a 503.
  it('a conflict every time: 409 after bounded retries, nothing written', async () => {
    const before = await snapshot(DEMO_KEYS);
    injector.arm({ command: 'TransactWriteItemsCommand', fault: 'transaction-conflict' });
    const response = await putList(faultyDeps());
    expect(injector.attempts('TransactWriteItemsCommand')).toBe(4);
    expect(await snapshot(DEMO_KEYS)).toStrictEqual(before);
    expect({ status: response.statusCode, body: JSON.parse(response.body) }).toStrictEqual({
      status: 409,
      body: { error: { code: 409, message: 'The records res.partner(17, 20) kept changing during the write (4 attempts); nothing was written. Retry the request.' } },
    });
  });

  it('a conflict on the lone UpdateItem of a one-record PUT (TransactionConflictException) once: retried, 200', async () => {
    const before = await snapshot([['res.partner', 17]]);
    injector.arm({ command: 'UpdateItemCommand', fault: 'transaction-conflict', times: 1 });
    const response = await putOne(faultyDeps());
    expect([response.statusCode, JSON.parse(response.body).Partner.ref]).toStrictEqual([200, WRITTEN.ref]);
    expect(injector.attempts('UpdateItemCommand')).toBe(2);
    expect(await expectAllOrNothing(before)).toStrictEqual({ state: 'new', versionsAdded: 1 });
  });
});

describe('PUT of a list under timeouts, reset connections and server errors', () => {
  const cases: Array<[FaultKind, CommandName]> = [
    ['timeout', 'BatchGetItemCommand'],
    ['timeout', 'TransactWriteItemsCommand'],
    ['connection-reset', 'BatchGetItemCommand'],
    ['connection-reset', 'TransactWriteItemsCommand'],
    ['connection-refused', 'TransactWriteItemsCommand'],
    ['internal-server-error', 'TransactWriteItemsCommand'],
  ];

  it.each(cases)('%s once on %s: retried by the SDK, 200', async (fault, command) => {
    const before = await snapshot(WRITTEN_KEYS);
    injector.arm({ command, fault, times: 1 });
    expectWrittenList(await putList(faultyDeps()));
    expect(injector.faults(command)).toBe(1);
    expect(injector.attempts(command)).toBeLessThanOrEqual(MOST_ATTEMPTS);
    expect(await expectAllOrNothing(before)).toStrictEqual({ state: 'new', versionsAdded: 1 });
  });

  it.each(cases)('%s every time on %s: 503 after bounded retries, nothing written', async (fault, command) => {
    const before = await snapshot(DEMO_KEYS);
    injector.arm({ command, fault });
    expectServiceUnavailable(await putList(faultyDeps()));
    expect(injector.attempts(command)).toBe(3);
    expect(await snapshot(DEMO_KEYS)).toStrictEqual(before);
  });
});

describe('PUT of a list when BatchGetItem leaves keys unprocessed', () => {
  it('every key unprocessed twice: read again with backoff, 200', async () => {
    const before = await snapshot(WRITTEN_KEYS);
    injector.arm({ command: 'BatchGetItemCommand', fault: 'unprocessed-keys', times: 2 });
    expectWrittenList(await putList(faultyDeps()));
    expect(await expectAllOrNothing(before)).toStrictEqual({ state: 'new', versionsAdded: 1 });
  });

  it('every key unprocessed every time: 503 after the bounded re-reads, nothing written', async () => {
    const before = await snapshot(DEMO_KEYS);
    injector.arm({ command: 'BatchGetItemCommand', fault: 'unprocessed-keys' });
    expectServiceUnavailable(await putList(faultyDeps()));
    // The first read and its 5 re-reads of the unprocessed keys (UNPROCESSED_RETRIES).
    expect(injector.attempts('BatchGetItemCommand')).toBe(6);
    expect(injector.attempts('TransactWriteItemsCommand')).toBe(0);
    expect(await snapshot(DEMO_KEYS)).toStrictEqual(before);
  });
});

describe('DynamoDB down or not answering', () => {
  it('for 300 ms (every request refused): 200 after retries or 503, and the records fully written or unchanged, never half', async () => {
    const before = await snapshot(WRITTEN_KEYS);
    injector.arm({ command: '*', fault: 'connection-refused', forMs: 300 });
    const response = await putList(faultyDeps());
    expect([200, 503]).toContain(response.statusCode);
    const { state } = await expectAllOrNothing(before);
    if (response.statusCode === 200) {
      expectWrittenList(response);
      expect(state).toBe('new');
    } else {
      expectServiceUnavailable(response);
    }
    expect(injector.faults()).toBeGreaterThan(0);
    for (const command of ['BatchGetItemCommand', 'TransactWriteItemsCommand'] as const) expect(injector.attempts(command)).toBeLessThanOrEqual(MOST_ATTEMPTS);
  });

  // FAILS today (it hangs until this test's own limit): lib/store/dynamodb/client.ts configures
  // `requestTimeout: 5_000`, but @smithy/node-http-handler 4.x only logs a warning when a request
  // exceeds it unless `throwOnRequestTimeout: true` is set, and no socket timeout applies by
  // default. A connection that is accepted and never answered holds the request until the Lambda
  // times out. With the option set, each attempt ends after 5 s and the PUT answers 503 (~15 s).
  it('accepting connections and never answering (a real timeout): each attempt is cut by the request timeout, then 503', async () => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const client = createDocumentClient({ endpoint: `http://127.0.0.1:${port}`, region: 'eu-west-1' });
    // Run after the case even when it times out (a finally here would wait for the hung request).
    cleanups.push(() => {
      client.destroy();
      for (const socket of sockets) socket.destroy();
      server.close();
    });
    expectServiceUnavailable(await putList(depsOver(new DynamoRecordStore(client, stores.tables.records))));
  }, 45_000);
});

describe('a crash between the write and the response (the write commits, its answer is lost)', () => {
  it('every answer of the transaction lost: 503; the records are fully written, once; the same PUT again answers 200 with the same values', async () => {
    const before = await snapshot(WRITTEN_KEYS);
    injector.arm({ command: 'TransactWriteItemsCommand', fault: 'connection-reset', after: true });
    expectServiceUnavailable(await putList(faultyDeps()));
    // The SDK's retries carry the same ClientRequestToken: DynamoDB answers them without writing again.
    expect(injector.sent('TransactWriteItemsCommand').map((request) => request.realOutcome)).toStrictEqual(['ok', 'ok', 'ok']);
    expect(await expectAllOrNothing(before)).toStrictEqual({ state: 'new', versionsAdded: 1 });

    const retry = await putList(cleanDeps());
    expectWrittenList(retry);
    expect(await expectAllOrNothing(before)).toStrictEqual({ state: 'new', versionsAdded: 2 });
  });

  it("the transaction's first answer lost: the SDK's retry (same ClientRequestToken) is answered without a second write, 200", async () => {
    const before = await snapshot(WRITTEN_KEYS);
    injector.arm({ command: 'TransactWriteItemsCommand', fault: 'connection-reset', after: true, times: 1 });
    expectWrittenList(await putList(faultyDeps()));
    expect(injector.attempts('TransactWriteItemsCommand')).toBe(2);
    expect(await expectAllOrNothing(before)).toStrictEqual({ state: 'new', versionsAdded: 1 });
  });

  it("a one-record PUT (a conditional UpdateItem, which has no token), its first answer lost: 200, the record fully written", async () => {
    const before = await snapshot([['res.partner', 17]]);
    injector.arm({ command: 'UpdateItemCommand', fault: 'connection-reset', after: true, times: 1 });
    const response = await putOne(faultyDeps());
    expect([response.statusCode, JSON.parse(response.body).Partner.ref]).toStrictEqual([200, WRITTEN.ref]);
    const { state, versionsAdded: added } = await expectAllOrNothing(before);
    expect(state).toBe('new');
    // The SDK's retry finds its own write and fails its version condition; the core re-reads and
    // writes the same values again (2 versions). One would be better: see the report.
    expect([1, 2]).toContain(added);
    expect(injector.attempts('UpdateItemCommand')).toBeLessThanOrEqual(MOST_ATTEMPTS);
  });

  it('a one-record PUT, every answer lost: 503; the record fully written; the same PUT again answers 200', async () => {
    const before = await snapshot([['res.partner', 17]]);
    injector.arm({ command: 'UpdateItemCommand', fault: 'connection-reset', after: true });
    expectServiceUnavailable(await putOne(faultyDeps()));
    expect(injector.sent('UpdateItemCommand').map((request) => request.realOutcome)).toStrictEqual(['ok', 'ConditionalCheckFailedException', 'ConditionalCheckFailedException']);
    expect(await expectAllOrNothing(before)).toStrictEqual({ state: 'new', versionsAdded: 1 });
    const retry = await putOne(cleanDeps());
    expect([retry.statusCode, JSON.parse(retry.body).Partner.street2]).toStrictEqual([200, WRITTEN.street2]);
    expect(await expectAllOrNothing(before)).toStrictEqual({ state: 'new', versionsAdded: 2 });
  });

  it('with an Idempotency-Key, every answer of the transaction lost: 503; the same PUT again is answered from that write, not written twice', async () => {
    const before = await snapshot(WRITTEN_KEYS);
    const keyed = { 'Idempotency-Key': 'faults-put-1' };
    injector.arm({ command: 'TransactWriteItemsCommand', fault: 'connection-reset', after: true });
    expectServiceUnavailable(await putList(faultyDeps(), keyed));
    const again = await putList(cleanDeps(), keyed);
    expect(again.headers?.['Idempotent-Replayed']).toBe('true');
    expectWrittenList(again);
    expect(await expectAllOrNothing(before)).toStrictEqual({ state: 'new', versionsAdded: 1 });
  });

  it('the display names cannot be read after the commit: 503 though the write is committed; the same PUT again answers 200', async () => {
    const before = await snapshot(WRITTEN_KEYS);
    // The first BatchGetItem is the records' read; the next ones, the display names read beside the commit.
    injector.arm({ command: 'BatchGetItemCommand', fault: 'throttling', skip: 1 });
    expectServiceUnavailable(await putList(faultyDeps()));
    expect(await expectAllOrNothing(before)).toStrictEqual({ state: 'new', versionsAdded: 1 });
    expectWrittenList(await putList(cleanDeps()));
  });
});

describe('POST create under faults: ids are never reused', () => {
  const SEQUENCE_KEY = { pk: 'sequence#res.partner' };

  async function sequenceNext(): Promise<number> {
    const { Item } = await stores.client.send(new GetCommand({ TableName: stores.tables.records, Key: SEQUENCE_KEY, ConsistentRead: true }));
    return Number(Item?.next);
  }

  async function partnerIds(): Promise<number[]> {
    return (await stores.records.listModel('res.partner', { afterId: 0, limit: 1000 })).map((record) => record.id);
  }

  /**
   * After a create: the demo partners untouched, every id listed once, each new record complete
   * (never half), ids only ever above the ones that existed, and the sequence past every id, so no
   * later create can reuse one. Returns the new ids and the reserved ids nobody holds (skipped).
   */
  async function checkIds(beforeDemo: Snapshot): Promise<{ created: number[]; skipped: number[] }> {
    expect(await snapshot([...beforeDemo.keys()].map((key) => ['res.partner', Number(key.split('#')[1])] as const))).toStrictEqual(beforeDemo);
    const ids = await partnerIds();
    expect(new Set(ids).size).toBe(ids.length);
    const created = ids.filter((id) => !DEMO_PARTNER_IDS.includes(id));
    expect(created.every((id) => id > LAST_DEMO_PARTNER_ID)).toBe(true);
    for (const id of created) {
      const item = await stores.rawItem('res.partner', id);
      expect(item).toStrictEqual({
        // Its index entries, from its values as written.
        ...indexAttributes(shippedIndexer({ model: 'res.partner', id, values: item?.v ?? {} })),
        pk: `res.partner#${id}`,
        model: 'res.partner',
        id,
        shard: `res.partner#${id % 16}`,
        version: 1,
        tx: { id: expect.any(String), n: 1, i: 0, c: expect.any(String) },
        v: expect.objectContaining({ name: CREATE_NAME, city: 'Faultville', create_uid: CALLER_ID, write_uid: CALLER_ID, create_date: expect.any(String), write_date: expect.any(String) }),
      });
    }
    const next = await sequenceNext();
    expect(next).toBeGreaterThanOrEqual(Math.max(LAST_DEMO_PARTNER_ID, ...created));
    const reserved = Array.from({ length: next - LAST_DEMO_PARTNER_ID }, (_, i) => LAST_DEMO_PARTNER_ID + 1 + i);
    return { created, skipped: reserved.filter((id) => !created.includes(id)) };
  }

  const demoPartners = () => snapshot(DEMO_PARTNER_IDS.map((id) => ['res.partner', id] as const));

  it('the id counter (reserveIds UpdateItem) throttled once: 201 with the next id, no id skipped', async () => {
    const beforeDemo = await demoPartners();
    injector.arm({ command: 'UpdateItemCommand', fault: 'throttling', times: 1 });
    const response = await createPartner(faultyDeps());
    expect([response.statusCode, JSON.parse(response.body).Partner.id]).toStrictEqual([201, LAST_DEMO_PARTNER_ID + 1]);
    expect(await checkIds(beforeDemo)).toStrictEqual({ created: [LAST_DEMO_PARTNER_ID + 1], skipped: [] });
  });

  it('the id counter down (throttled every time): 503, nothing created, no id skipped', async () => {
    const beforeDemo = await demoPartners();
    injector.arm({ command: 'UpdateItemCommand', fault: 'throttling' });
    expectServiceUnavailable(await createPartner(faultyDeps()));
    expect(injector.attempts('UpdateItemCommand')).toBe(3);
    expect(await checkIds(beforeDemo)).toStrictEqual({ created: [], skipped: [] });
  });

  it("the id counter's increment applied but its answer lost once: 201 with the next id; the SDK's retry is recognised by its token, no id skipped", async () => {
    const beforeDemo = await demoPartners();
    injector.arm({ command: 'UpdateItemCommand', fault: 'connection-reset', after: true, times: 1 });
    const response = await createPartner(faultyDeps());
    expect([response.statusCode, JSON.parse(response.body).Partner.id]).toStrictEqual([201, LAST_DEMO_PARTNER_ID + 1]);
    expect(injector.sent('UpdateItemCommand').map((request) => request.realOutcome)).toStrictEqual(['ok', 'ConditionalCheckFailedException']);
    expect(await checkIds(beforeDemo)).toStrictEqual({ created: [LAST_DEMO_PARTNER_ID + 1], skipped: [] });
  });

  it("the record's Put throttled every time: 503, nothing created; the reserved id is given back, and the next create takes it", async () => {
    const beforeDemo = await demoPartners();
    injector.arm({ command: 'PutItemCommand', fault: 'throttling' });
    expectServiceUnavailable(await createPartner(faultyDeps()));
    expect(await checkIds(beforeDemo)).toStrictEqual({ created: [], skipped: [] });
    const next = await createPartner(cleanDeps());
    expect([next.statusCode, JSON.parse(next.body).Partner.id]).toStrictEqual([201, LAST_DEMO_PARTNER_ID + 1]);
  });

  it("the record's Put throttled and DynamoDB unreadable afterwards: 503; the id cannot be proven unused, so it stays skipped (never reused)", async () => {
    const beforeDemo = await demoPartners();
    injector.arm({ command: 'PutItemCommand', fault: 'throttling' });
    injector.arm({ command: 'BatchGetItemCommand', fault: 'throttling' });
    expectServiceUnavailable(await createPartner(faultyDeps()));
    expect(await checkIds(beforeDemo)).toStrictEqual({ created: [], skipped: [LAST_DEMO_PARTNER_ID + 1] });
    const next = await createPartner(cleanDeps());
    expect([next.statusCode, JSON.parse(next.body).Partner.id]).toStrictEqual([201, LAST_DEMO_PARTNER_ID + 2]);
  });

  it("the record's Put commits and every answer is lost: 503; the record exists once, complete; the next create takes the next id", async () => {
    const beforeDemo = await demoPartners();
    injector.arm({ command: 'PutItemCommand', fault: 'connection-reset', after: true });
    expectServiceUnavailable(await createPartner(faultyDeps()));
    expect(injector.sent('PutItemCommand').map((request) => request.realOutcome)).toStrictEqual(['ok', 'ConditionalCheckFailedException', 'ConditionalCheckFailedException']);
    expect(await checkIds(beforeDemo)).toStrictEqual({ created: [LAST_DEMO_PARTNER_ID + 1], skipped: [] });
    const next = await createPartner(cleanDeps());
    expect([next.statusCode, JSON.parse(next.body).Partner.id]).toStrictEqual([201, LAST_DEMO_PARTNER_ID + 2]);
  });

  // FAILS today: the SDK's retry of the Put finds the record its first attempt created and fails
  // attribute_not_exists(pk); the core takes that for "id taken", reserves another id and creates
  // the record a second time. The client gets 201 for the second; the first is a duplicate it
  // never hears of.
  describe('with an Idempotency-Key, a create whose answer was lost is sent again safely', () => {
    const keyed = { 'Idempotency-Key': 'faults-key-1' };

    /** The same create sent again with the key, without faults: the first record, replayed; nothing more created. */
    async function expectReplay(beforeDemo: Snapshot): Promise<void> {
      const again = await createPartner(cleanDeps(), keyed);
      expect([again.statusCode, again.headers?.['Idempotent-Replayed'], JSON.parse(again.body).Partner.id]).toStrictEqual([201, 'true', LAST_DEMO_PARTNER_ID + 1]);
      expect((await checkIds(beforeDemo)).created).toStrictEqual([LAST_DEMO_PARTNER_ID + 1]);
    }

    it('the transaction (record and key claim) commits and every answer is lost: 503; sent again: 201 with that record, none created twice', async () => {
      const beforeDemo = await demoPartners();
      injector.arm({ command: 'TransactWriteItemsCommand', fault: 'connection-reset', after: true });
      expectServiceUnavailable(await createPartner(faultyDeps(), keyed));
      expect((await checkIds(beforeDemo)).created).toStrictEqual([LAST_DEMO_PARTNER_ID + 1]);
      await expectReplay(beforeDemo);
    });

    it('the display names cannot be read after the commit: 503; sent again: 201 with that record, none created twice', async () => {
      const beforeDemo = await demoPartners();
      injector.arm({ command: 'BatchGetItemCommand', fault: 'throttling' });
      expectServiceUnavailable(await createPartner(faultyDeps(), keyed));
      await expectReplay(beforeDemo);
    });

    it('the transaction throttled every time: 503, nothing created and the id given back; sent again: a fresh create (201, not a replay) on that id', async () => {
      const beforeDemo = await demoPartners();
      injector.arm({ command: 'TransactWriteItemsCommand', fault: 'throttling' });
      expectServiceUnavailable(await createPartner(faultyDeps(), keyed));
      expect(await checkIds(beforeDemo)).toStrictEqual({ created: [], skipped: [] });
      const again = await createPartner(cleanDeps(), keyed);
      expect([again.statusCode, again.headers?.['Idempotent-Replayed'], JSON.parse(again.body).Partner.id]).toStrictEqual([201, undefined, LAST_DEMO_PARTNER_ID + 1]);
    });
  });

  it("the record's Put commits and its first answer is lost: 201, and exactly one record is created", async () => {
    const beforeDemo = await demoPartners();
    injector.arm({ command: 'PutItemCommand', fault: 'connection-reset', after: true, times: 1 });
    const response = await createPartner(faultyDeps());
    expect(response.statusCode).toBe(201);
    const { created } = await checkIds(beforeDemo);
    expect(created).toStrictEqual([JSON.parse(response.body).Partner.id]);
  });
});
