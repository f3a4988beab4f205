/**
 * The local stream reader (lib/store/dynamodb/streams.ts) on DynamoDB Local's Streams API: the
 * records table's changes reach a handler typed as a deployed stream function is (the aws-lambda
 * types), in Lambda's event shape and in order per item; ReportBatchItemFailures and thrown errors
 * redeliver as Lambda does; stop() and drained() keep their promises. Each test has a fresh
 * records table of its own (created from the same definition as npm start's), so what a poller
 * reads is only what the test wrote.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/store/dynamodb/client';
import { StreamBatchRetry, StreamPoller, type StreamPollerOptions } from '../../lib/store/dynamodb/streams';
import { ensureTables, recordsTableDefinition } from '../../lib/store/dynamodb/tables';
import { rejection } from '../helpers/thrown';

const REGION = 'eu-west-1';
const endpoint = () => {
  const value = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!value)
    throw new Error(
      'TEST_DYNAMODB_ENDPOINT is not set: run these tests through jest (test/setup starts the local stack)',
    );
  return value;
};

let admin: DynamoDBClient;
let documents: DynamoDBDocumentClient;
const tables: string[] = [];
const pollers: StreamPoller[] = [];

beforeAll(() => {
  admin = new DynamoDBClient({
    region: REGION,
    endpoint: endpoint(),
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  documents = createDocumentClient({ endpoint: endpoint(), region: REGION });
});
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
});
afterAll(async () => {
  await Promise.all(tables.map((table) => admin.send(new DeleteTableCommand({ TableName: table }))));
  documents.destroy();
  admin.destroy();
});

/** A new records table (with its stream, as the definition gives it) and its stream's ARN. */
async function freshTable(): Promise<{ table: string; streamArn: string }> {
  const table = `test-stream-records-${randomUUID().slice(0, 8)}`;
  await admin.send(new CreateTableCommand(recordsTableDefinition(table)));
  tables.push(table);
  const { Table } = await admin.send(new DescribeTableCommand({ TableName: table }));
  return { table, streamArn: Table?.LatestStreamArn as string };
}

/** A started poller on `table` whose handler is the deployed function's type; stopped after the test. */
async function startPoller(
  table: string,
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>,
  options: Partial<StreamPollerOptions> = {},
): Promise<StreamPoller> {
  const poller = new StreamPoller({
    endpoint: endpoint(),
    region: REGION,
    tableName: table,
    handler,
    onError: () => undefined,
    ...options,
  });
  pollers.push(poller);
  await poller.start();
  return poller;
}

const put = (table: string, pk: string, v: Record<string, unknown>, version = 1) =>
  documents.send(new PutCommand({ TableName: table, Item: { pk, v, version } }));
const sequenceOf = (record: DynamoDBRecord) => record.dynamodb?.SequenceNumber as string;
const pkOf = (record: DynamoDBRecord) => record.dynamodb?.Keys?.pk?.S;

describe('the local stream poller', () => {
  it("delivers puts, updates and deletes in order per item, in Lambda's event shape with the wire-format images", async () => {
    const { table, streamArn } = await freshTable();
    const delivered: DynamoDBRecord[] = [];
    const poller = await startPoller(table, async (event) => {
      delivered.push(...event.Records);
    });
    await put(table, 'res.partner#1', { name: 'Ann' });
    await put(table, 'res.partner#2', { name: 'Bob' });
    await documents.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: 'res.partner#1' },
        UpdateExpression: 'SET v.#name = :name, version = :version',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: { ':name': 'Ann B', ':version': 2 },
      }),
    );
    await documents.send(new DeleteCommand({ TableName: table, Key: { pk: 'res.partner#2' } }));
    await documents.send(new DeleteCommand({ TableName: table, Key: { pk: 'res.partner#1' } }));
    await poller.drained();

    const image = (id: number, name: string, version: number) => ({
      pk: { S: `res.partner#${id}` },
      v: { M: { name: { S: name } } },
      version: { N: String(version) },
    });
    const expected = (id: number, eventName: string, images: Record<string, unknown>) => ({
      eventID: expect.any(String),
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: REGION,
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: { pk: { S: `res.partner#${id}` } },
        ...images,
        SequenceNumber: expect.any(String),
        SizeBytes: expect.any(Number),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: streamArn,
    });
    expect(delivered.filter((record) => pkOf(record) === 'res.partner#1')).toStrictEqual([
      expected(1, 'INSERT', { NewImage: image(1, 'Ann', 1) }),
      expected(1, 'MODIFY', { NewImage: image(1, 'Ann B', 2), OldImage: image(1, 'Ann', 1) }),
      expected(1, 'REMOVE', { OldImage: image(1, 'Ann B', 2) }),
    ]);
    expect(delivered.filter((record) => pkOf(record) === 'res.partner#2')).toStrictEqual([
      expected(2, 'INSERT', { NewImage: image(2, 'Bob', 1) }),
      expected(2, 'REMOVE', { OldImage: image(2, 'Bob', 1) }),
    ]);
    // The whole stream in write order (one shard locally), each change once.
    expect(delivered.map((record) => [pkOf(record), record.eventName])).toStrictEqual([
      ['res.partner#1', 'INSERT'],
      ['res.partner#2', 'INSERT'],
      ['res.partner#1', 'MODIFY'],
      ['res.partner#2', 'REMOVE'],
      ['res.partner#1', 'REMOVE'],
    ]);
    expect(new Set(delivered.map((record) => record.eventID)).size).toBe(5);
    expect(delivered.every((record) => Number.isInteger(record.dynamodb?.ApproximateCreationDateTime))).toBe(true);
  });

  it('passes every attribute type as Lambda does: numbers as strings, binaries in base64, sets, lists and maps', async () => {
    const { table } = await freshTable();
    const delivered: DynamoDBRecord[] = [];
    const poller = await startPoller(table, async (event) => {
      delivered.push(...event.Records);
    });
    await documents.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: 'res.partner#7',
          v: {
            active: true,
            parent_id: null,
            tags: ['a', 'b'],
            amount: 12.5,
            avatar: new Uint8Array([0, 1, 254, 255]),
          },
          ids: new Set([3, 1]),
          names: new Set(['x']),
          blobs: new Set([new Uint8Array([104, 105])]),
        },
      }),
    );
    await poller.drained();
    expect(delivered.map((record) => record.dynamodb?.NewImage)).toStrictEqual([
      {
        pk: { S: 'res.partner#7' },
        v: {
          M: {
            active: { BOOL: true },
            parent_id: { NULL: true },
            tags: { L: [{ S: 'a' }, { S: 'b' }] },
            amount: { N: '12.5' },
            avatar: { B: 'AAH+/w==' },
          },
        },
        ids: { NS: expect.arrayContaining(['1', '3']) },
        names: { SS: ['x'] },
        blobs: { BS: ['aGk='] },
      },
    ]);
  });

  it('redelivers from the record the handler reported as failed (ReportBatchItemFailures), not the ones before it', async () => {
    const { table } = await freshTable();
    // Written before the poller starts, read from the stream's beginning: one batch of four.
    for (const id of [1, 2, 3, 4]) await put(table, `res.partner#${id}`, { name: `P${id}` });
    const batches: string[][] = [];
    const retries: unknown[] = [];
    const poller = await startPoller(
      table,
      async (event) => {
        batches.push(event.Records.map((record) => pkOf(record) as string));
        if (batches.length > 1) return { batchItemFailures: [] };
        // The 2nd and 4th failed: the lowest of them is where the retry starts.
        return {
          batchItemFailures: [
            { itemIdentifier: sequenceOf(event.Records[3]!) },
            { itemIdentifier: sequenceOf(event.Records[1]!) },
          ],
        };
      },
      { startAt: 'TRIM_HORIZON', onError: (error) => retries.push(error) },
    );
    await poller.drained();
    expect(batches).toStrictEqual([
      ['res.partner#1', 'res.partner#2', 'res.partner#3', 'res.partner#4'],
      ['res.partner#2', 'res.partner#3', 'res.partner#4'],
    ]);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toBeInstanceOf(StreamBatchRetry);
    expect(retries[0]).toMatchObject({ attempt: 1, retryInMs: 100 });
  });

  it('redelivers the whole batch when the handler throws, and again until it succeeds', async () => {
    const { table } = await freshTable();
    for (const id of [1, 2]) await put(table, `res.partner#${id}`, { name: `P${id}` });
    const batches: string[][] = [];
    const retries: StreamBatchRetry[] = [];
    const failure = new Error('the webhook target is down');
    const poller = await startPoller(
      table,
      async (event) => {
        batches.push(event.Records.map(sequenceOf));
        if (batches.length <= 2) throw failure;
      },
      { startAt: 'TRIM_HORIZON', onError: (error) => retries.push(error as StreamBatchRetry) },
    );
    await poller.drained();
    expect(batches).toHaveLength(3);
    expect(batches[0]).toHaveLength(2);
    expect(batches[1]).toStrictEqual(batches[0]);
    expect(batches[2]).toStrictEqual(batches[0]);
    // Each retry is reported, with its cause, and backs off further.
    expect(
      retries.map(({ name, shardId, fromSequenceNumber, attempt, retryInMs, cause }) => ({
        name,
        shardId,
        fromSequenceNumber,
        attempt,
        retryInMs,
        cause,
      })),
    ).toStrictEqual([
      {
        name: 'StreamBatchRetry',
        shardId: expect.any(String),
        fromSequenceNumber: batches[0]![0],
        attempt: 1,
        retryInMs: 100,
        cause: failure,
      },
      {
        name: 'StreamBatchRetry',
        shardId: expect.any(String),
        fromSequenceNumber: batches[0]![0],
        attempt: 2,
        retryInMs: 200,
        cause: failure,
      },
    ]);
  });

  it('stops: stop() waits for the handler call in flight, and no call is made after it', async () => {
    const { table } = await freshTable();
    let calls = 0;
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const poller = await startPoller(table, async () => {
      calls++;
      entered();
      await released;
    });
    // A second poller on the same stream, as a witness that later writes did reach the stream.
    const witnessed: string[] = [];
    const witness = await startPoller(table, async (event) => {
      witnessed.push(...event.Records.map((record) => pkOf(record) as string));
    });
    await put(table, 'res.partner#1', { name: 'before stop' });
    await inFlight;
    let stopped = false;
    const stopping = poller.stop().then(() => (stopped = true));
    await witness.drained();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(calls).toBe(1);

    await put(table, 'res.partner#2', { name: 'after stop' });
    await witness.drained();
    expect(witnessed).toStrictEqual(['res.partner#1', 'res.partner#2']);
    expect(calls).toBe(1);
    expect(String(await rejection(poller.drained()))).toContain('needs a started poller');
  });

  it('drained() resolves only once the records written before it are handled, across batches and without waiting out the idle pause', async () => {
    const { table } = await freshTable();
    const handled: string[] = [];
    // An idle pause far beyond the test's timeout: only drained() can make the poller read again.
    const poller = await startPoller(
      table,
      async (event) => {
        await new Promise((resolve) => setImmediate(resolve));
        handled.push(...event.Records.map((record) => pkOf(record) as string));
      },
      { batchSize: 7, idleMs: 3_600_000 },
    );
    await poller.drained();
    expect(handled).toStrictEqual([]);
    const ids = Array.from({ length: 30 }, (_, index) => `res.partner#${index + 1}`);
    for (const pk of ids) await put(table, pk, { name: pk });
    await poller.drained();
    expect(handled).toStrictEqual(ids);
    await put(table, 'res.partner#31', { name: 'one more' });
    await poller.drained();
    expect(handled).toStrictEqual([...ids, 'res.partner#31']);
  });

  it('refuses to start on a table without a stream, saying so; ensureTables gives a kept table its stream', async () => {
    const suffix = randomUUID().slice(0, 8);
    const table = `test-stream-records-${suffix}`;
    // A records table made before the definition had a stream (npm start's kept data folder).
    const { StreamSpecification: _, ...withoutStream } = recordsTableDefinition(table);
    await admin.send(new CreateTableCommand(withoutStream));
    tables.push(table);
    const refused = new StreamPoller({
      endpoint: endpoint(),
      region: REGION,
      tableName: table,
      handler: async () => undefined,
    });
    pollers.push(refused);
    expect(String(await rejection(refused.start()))).toContain(`table ${table} has no stream enabled`);

    const created = await ensureTables(
      { endpoint: endpoint(), region: REGION },
      { records: table, auth: `test-stream-auth-${suffix}` },
    );
    tables.push(`test-stream-auth-${suffix}`);
    expect(created).toStrictEqual([`test-stream-auth-${suffix}`]);
    const { Table } = await admin.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.StreamSpecification).toStrictEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const delivered: string[] = [];
    const poller = await startPoller(table, async (event) => {
      delivered.push(...event.Records.map((record) => `${record.eventName} ${pkOf(record)}`));
    });
    await put(table, 'res.partner#1', { name: 'kept' });
    await poller.drained();
    expect(delivered).toStrictEqual(['INSERT res.partner#1']);
  });
});
