/**
 * Reads a table's DynamoDB stream and hands its records to a function in the shape Lambda gives a
 * stream-triggered function, honouring the function's ReportBatchItemFailures answer as Lambda does.
 *
 * FOR THE LOCAL STAGE AND TESTS ONLY. Deployed stages never run this: there Lambda's event source
 * mapping (declared in serverless.yml) reads the stream. DynamoDB Local implements the Streams API
 * but nothing emulates event source mappings, so `npm start` and the tests run the same handler
 * code through this poller instead.
 *
 * Like Lambda it reads one batch at a time per shard, a child shard only after its parent is
 * finished (so the records of one item arrive in order), and retries a failed batch from its lowest
 * failed sequence number. Unlike Lambda it retries forever (a developer fixes the handler and the
 * records still arrive), reporting each retry through `onError`, and reads the shards one after
 * the other: locally there is one open shard, and one handler call at a time keeps logs readable.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type AttributeValue,
  type Shard,
  type ShardIteratorType,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import { isTransientFailure } from './client';

/*
 * The event and answer of a stream-triggered Lambda function, as @types/aws-lambda declares them
 * (DynamoDBStreamEvent, DynamoDBBatchResponse). lib/store may not import 'aws-lambda' (the layers
 * in eslint.config.mjs), so they are restated here; test/integration/stream-poller.test.ts passes
 * a handler typed with the aws-lambda types, which keeps the two compatible.
 */

/** An attribute value as Lambda passes it: DynamoDB's JSON wire shape, binaries in base64. */
export type StreamAttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: boolean }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { L: StreamAttributeValue[] }
  | { M: { [name: string]: StreamAttributeValue } };

export interface StreamEventRecord {
  eventID?: string;
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion?: string;
  eventSource?: string;
  awsRegion?: string;
  eventSourceARN?: string;
  dynamodb?: {
    /** Epoch seconds (the SDK gives a Date; Lambda's JSON has a number). */
    ApproximateCreationDateTime?: number;
    Keys?: { [name: string]: StreamAttributeValue };
    NewImage?: { [name: string]: StreamAttributeValue };
    OldImage?: { [name: string]: StreamAttributeValue };
    SequenceNumber?: string;
    SizeBytes?: number;
    StreamViewType?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
  };
  /** Only on deletions by TTL: `{ type: 'Service', principalId: 'dynamodb.amazonaws.com' }`. */
  userIdentity?: { type?: string; principalId?: string };
}

export interface StreamEvent {
  Records: StreamEventRecord[];
}

export interface StreamBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export interface StreamPollerOptions {
  /** DynamoDB Local's URL; absent: the region's real endpoint (only useful for trying this out). */
  readonly endpoint?: string;
  readonly region: string;
  readonly tableName: string;
  readonly handler: (event: StreamEvent) => Promise<StreamBatchResponse | void>;
  /** Records per handler call, 1..1000 (GetRecords' own limit); 100 unless told, as Lambda's default. */
  readonly batchSize?: number;
  /** How long a shard that returned nothing rests before it is read again; 250 ms unless told. */
  readonly idleMs?: number;
  /** Where the shards open at start() are read from; LATEST (only what is written after start()) unless told. */
  readonly startAt?: 'LATEST' | 'TRIM_HORIZON';
  /** Told about every retry and every failed AWS call (the poller keeps going); console.error unless told. */
  readonly onError?: (error: unknown) => void;
}

/** What onError gets when a batch is to be delivered again. */
export class StreamBatchRetry extends Error {
  constructor(
    readonly shardId: string,
    /** The batch is re-read from this record (included). */
    readonly fromSequenceNumber: string,
    /** How many times in a row this shard's batch has failed. */
    readonly attempt: number,
    readonly retryInMs: number,
    options?: { cause?: unknown },
  ) {
    super(
      `stream handler failed on shard ${shardId} (attempt ${attempt}): redelivering from sequence number ` +
        `${fromSequenceNumber} in ${retryInMs} ms`,
      options,
    );
    this.name = 'StreamBatchRetry';
  }
}

/** Where a shard's reading resumes when it has no iterator (at start, after a failure, an expiry). */
type Position =
  | { readonly type: 'LATEST' | 'TRIM_HORIZON' }
  | { readonly type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

interface ShardState {
  readonly id: string;
  readonly parentId: string | undefined;
  iterator: string | undefined;
  resume: Position;
  /** Read to its end (closed and every record delivered): its children may be read. */
  finished: boolean;
  idleUntil: number;
  retryAt: number;
  failures: number;
  /** The tick of the last GetRecords that found nothing left (see drained()). */
  caughtUpAt: number;
}

interface DrainWaiter {
  readonly since: number;
  resolve(): void;
  reject(error: Error): void;
}

const MAX_BATCH = 1000;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
/** New shards appear when DynamoDB rolls one over; they are also looked for as soon as a shard ends. */
const DESCRIBE_EVERY_MS = 5_000;

export class StreamPoller {
  private readonly dynamo: DynamoDBClient;
  private readonly streams: DynamoDBStreamsClient;
  private readonly batchSize: number;
  private readonly idleMs: number;
  private readonly onError: (error: unknown) => void;
  private streamArn = '';
  private readonly shards = new Map<string, ShardState>();
  private loop: Promise<void> | undefined;
  private stopping = false;
  /**
   * A counter started GetRecords and DescribeStream calls take a value from: a call whose tick is
   * above a drained() waiter's saw everything written before that waiter was made.
   */
  private tick = 0;
  private describedAt = 0;
  private nextDescribeAt = 0;
  private describeFailures = 0;
  private waiters: DrainWaiter[] = [];
  private wake: (() => void) | undefined;

  constructor(private readonly options: StreamPollerOptions) {
    const batchSize = options.batchSize ?? 100;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) {
      throw new RangeError(`batchSize must be an integer from 1 to ${MAX_BATCH}, not ${batchSize}`);
    }
    this.batchSize = batchSize;
    this.idleMs = options.idleMs ?? 250;
    this.onError = options.onError ?? ((error) => console.error('[stream poller]', error));
    // As lib/store/dynamodb/client.ts builds its clients: DynamoDB Local takes fixed credentials,
    // so a developer's real keys never reach it.
    const config = {
      region: options.region,
      maxAttempts: 3,
      requestHandler: { requestTimeout: 5_000, connectionTimeout: 1_000, throwOnRequestTimeout: true },
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.endpoint && !process.env.AWS_ACCESS_KEY_ID
        ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
    };
    this.dynamo = new DynamoDBClient(config);
    this.streams = new DynamoDBStreamsClient(config);
  }

  /** Resolves once every open shard has an iterator: a write made after this is delivered. */
  async start(): Promise<void> {
    if (this.loop || this.stopping) throw new Error('StreamPoller.start() may be called once');
    const { Table } = await this.dynamo.send(new DescribeTableCommand({ TableName: this.options.tableName }));
    if (!Table?.LatestStreamArn || Table.StreamSpecification?.StreamEnabled !== true) {
      throw new Error(`table ${this.options.tableName} has no stream enabled (StreamSpecification)`);
    }
    this.streamArn = Table.LatestStreamArn;
    const fromStart = this.options.startAt === 'TRIM_HORIZON';
    const started = ++this.tick;
    for (const shard of await this.describeShards()) {
      // From LATEST, a shard already closed holds only records older than start(): nothing to read.
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      const state = this.track(shard, { type: fromStart ? 'TRIM_HORIZON' : 'LATEST' });
      if (!fromStart && closed) state.finished = true;
    }
    this.describedAt = started;
    this.nextDescribeAt = Date.now() + DESCRIBE_EVERY_MS;
    // LATEST means "from when the iterator is made", so every open shard gets one now.
    for (const state of this.shards.values()) {
      if (!state.finished) state.iterator = await this.iteratorFor(state);
    }
    this.loop = this.run();
  }

  /** Stops polling; resolves once a handler call in flight has returned (no call is made after). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('the stream poller was stopped'));
    this.dynamo.destroy();
    this.streams.destroy();
  }

  /**
   * Resolves when everything written to the table before this call has been handed to the handler
   * and the handler succeeded with it (never, while the handler keeps failing). Tests use it instead
   * of sleeping: write, `await poller.drained()`, assert.
   */
  drained(): Promise<void> {
    if (!this.loop || this.stopping) return Promise.reject(new Error('StreamPoller.drained() needs a started poller'));
    const since = ++this.tick;
    // Read now rather than after the idle pause, and look for shards opened since the last look.
    for (const shard of this.shards.values()) shard.idleUntil = 0;
    this.nextDescribeAt = 0;
    const drained = new Promise<void>((resolve, reject) => this.waiters.push({ since, resolve, reject }));
    this.wake?.();
    return drained;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        if (Date.now() >= this.nextDescribeAt) await this.refreshShards();
        for (const shard of this.readableShards()) {
          if (this.stopping) break;
          if (Date.now() < Math.max(shard.idleUntil, shard.retryAt)) continue;
          await this.pollShard(shard);
        }
        this.settleWaiters();
      } catch (error) {
        // Only an onError that throws gets here; the loop must outlive it (nobody awaits it but stop()).
        console.error('[stream poller]', error);
        this.nextDescribeAt = Date.now() + MAX_BACKOFF_MS;
      }
      await this.pause();
    }
  }

  /** Shards that may be read: not finished, and their parent finished or gone (trimmed). */
  private readableShards(): ShardState[] {
    return [...this.shards.values()].filter((shard) => {
      if (shard.finished) return false;
      const parent = shard.parentId === undefined ? undefined : this.shards.get(shard.parentId);
      return parent === undefined || parent.finished;
    });
  }

  private async refreshShards(): Promise<void> {
    const started = ++this.tick;
    try {
      const listed = await this.describeShards();
      const present = new Set(listed.map((shard) => shard.ShardId));
      // Shards born after start() are read from their beginning, or their first records would be lost.
      for (const shard of listed) this.track(shard, { type: 'TRIM_HORIZON' });
      for (const id of this.shards.keys()) if (!present.has(id)) this.shards.delete(id);
      this.describedAt = started;
      this.describeFailures = 0;
      this.nextDescribeAt = Date.now() + DESCRIBE_EVERY_MS;
    } catch (error) {
      this.onError(error);
      this.nextDescribeAt = Date.now() + backoff(++this.describeFailures);
    }
  }

  private async describeShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.streams.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
    return shards;
  }

  private track(shard: Shard, resume: Position): ShardState {
    const id = shard.ShardId as string;
    let state = this.shards.get(id);
    if (!state) {
      state = {
        id,
        parentId: shard.ParentShardId,
        iterator: undefined,
        resume,
        finished: false,
        idleUntil: 0,
        retryAt: 0,
        failures: 0,
        caughtUpAt: 0,
      };
      this.shards.set(id, state);
    }
    return state;
  }

  private async iteratorFor(shard: ShardState): Promise<string | undefined> {
    const { resume } = shard;
    const { ShardIterator } = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shard.id,
        ShardIteratorType: resume.type satisfies ShardIteratorType,
        ...('sequenceNumber' in resume ? { SequenceNumber: resume.sequenceNumber } : {}),
      }),
    );
    return ShardIterator;
  }

  private async pollShard(shard: ShardState): Promise<void> {
    const started = ++this.tick;
    let records: _Record[];
    let next: string | undefined;
    try {
      shard.iterator ??= await this.iteratorFor(shard);
      if (shard.iterator === undefined) return this.finish(shard);
      const output = await this.streams.send(
        new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: this.batchSize }),
      );
      records = output.Records ?? [];
      next = output.NextShardIterator;
    } catch (error) {
      this.readFailed(shard, error);
      return;
    }
    if (records.length === 0) {
      shard.iterator = next;
      shard.failures = 0;
      // No next iterator: the shard is closed and read to its end.
      if (next === undefined) return this.finish(shard);
      shard.caughtUpAt = started;
      // A drained() made while this read was under way wants another one, not a rest.
      const awaited = this.waiters.some((waiter) => waiter.since > started);
      shard.idleUntil = awaited ? 0 : Date.now() + this.idleMs;
      return;
    }
    const sequenceNumbers = records.map((record) => record.dynamodb?.SequenceNumber ?? '');
    let failedFrom: string | undefined;
    let cause: unknown;
    try {
      const answer = await this.options.handler({ Records: records.map((record) => this.toEventRecord(record)) });
      failedFrom = firstFailure(answer, sequenceNumbers);
    } catch (error) {
      // A thrown error fails the whole batch, as in Lambda.
      failedFrom = sequenceNumbers[0];
      cause = error;
    }
    if (failedFrom === undefined) {
      shard.iterator = next;
      shard.resume = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: sequenceNumbers.at(-1) as string };
      shard.failures = 0;
      if (next === undefined) this.finish(shard);
      return;
    }
    // The records before the failed one are done; the failed one and those after it come again.
    shard.iterator = undefined;
    shard.resume = { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: failedFrom };
    shard.caughtUpAt = 0;
    const wait = backoff(++shard.failures);
    shard.retryAt = Date.now() + wait;
    this.onError(new StreamBatchRetry(shard.id, failedFrom, shard.failures, wait, { cause }));
  }

  private readFailed(shard: ShardState, error: unknown): void {
    const name = error instanceof Error ? error.name : '';
    if (name === 'ExpiredIteratorException') {
      // Iterators live 15 minutes: a new one from the last record delivered loses nothing.
      shard.iterator = undefined;
      return;
    }
    if (name === 'TrimmedDataAccessException') {
      // The position is older than the stream keeps (24 h): the oldest record left is the best there is.
      shard.iterator = undefined;
      shard.resume = { type: 'TRIM_HORIZON' };
    } else if (name === 'ResourceNotFoundException' && shard.iterator === undefined) {
      // The shard itself was trimmed away: nothing is left to read in it.
      this.finish(shard);
    } else if (!isTransientFailure(error)) {
      // An iterator the service refuses is not worth retrying; a new one from the same position is.
      shard.iterator = undefined;
    }
    shard.retryAt = Date.now() + backoff(++shard.failures);
    this.onError(error);
  }

  private finish(shard: ShardState): void {
    shard.finished = true;
    shard.iterator = undefined;
    // Its children become readable: find them now rather than at the next periodic look.
    this.nextDescribeAt = 0;
  }

  private toEventRecord(record: _Record): StreamEventRecord {
    const stream = record.dynamodb ?? {};
    const created = stream.ApproximateCreationDateTime;
    return {
      eventID: record.eventID,
      eventName: record.eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.options.region,
      dynamodb: {
        ...(created ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) } : {}),
        ...(stream.Keys ? { Keys: toWireMap(stream.Keys) } : {}),
        ...(stream.NewImage ? { NewImage: toWireMap(stream.NewImage) } : {}),
        ...(stream.OldImage ? { OldImage: toWireMap(stream.OldImage) } : {}),
        SequenceNumber: stream.SequenceNumber,
        SizeBytes: stream.SizeBytes,
        StreamViewType: stream.StreamViewType,
      },
      eventSourceARN: this.streamArn,
      ...(record.userIdentity
        ? { userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } }
        : {}),
    };
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const shards = [...this.shards.values()];
    this.waiters = this.waiters.filter((waiter) => {
      const done =
        this.describedAt > waiter.since &&
        shards.every((shard) => shard.finished || (shard.failures === 0 && shard.caughtUpAt > waiter.since));
      if (done) waiter.resolve();
      return !done;
    });
  }

  /** Sleeps until a shard or the next look at the stream is due; stop() and drained() cut it short. */
  private async pause(): Promise<void> {
    if (this.stopping) return;
    let until = this.nextDescribeAt;
    for (const shard of this.readableShards()) until = Math.min(until, Math.max(shard.idleUntil, shard.retryAt));
    const wait = until - Date.now();
    if (wait <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, wait);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }
}

/**
 * Where a batch must be re-read from according to the handler's answer, or undefined when it all
 * succeeded. As Lambda: no answer, or an empty or absent list, is success; an identifier that is
 * empty or not one of the batch's sequence numbers fails the whole batch.
 */
function firstFailure(answer: StreamBatchResponse | void, sequenceNumbers: readonly string[]): string | undefined {
  const failures = answer?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return undefined;
  let lowest: number | undefined;
  for (const failure of failures) {
    const index = sequenceNumbers.indexOf((failure as { itemIdentifier?: unknown } | null)?.itemIdentifier as string);
    if (index < 0) return sequenceNumbers[0];
    lowest = Math.min(lowest ?? index, index);
  }
  return sequenceNumbers[lowest as number];
}

/** 100 ms, doubling, at most 5 s. */
function backoff(failures: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(failures - 1, 16));
}

function toWireMap(map: Record<string, AttributeValue>): { [name: string]: StreamAttributeValue } {
  return Object.fromEntries(Object.entries(map).map(([name, value]) => [name, toWire(value)]));
}

/** The SDK's parsed attribute value back to the JSON Lambda passes (binaries as base64 strings). */
function toWire(value: AttributeValue): StreamAttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map((item) => Buffer.from(item).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(toWire) };
  if (value.M !== undefined) return { M: toWireMap(value.M) };
  throw new Error(`unknown attribute value type: ${Object.keys(value).join(', ')}`);
}
