/**
 * Publishing change events to EventBridge within PutEvents' limits, over a port (the adapter that
 * holds the SDK client lives in lib/store; locally EventBridge is not emulated, and the local stage's
 * port writes the entries out instead). Three rules from the PutEvents reference shape this module:
 * - at most 10 entries per call, and the call's entries must together stay under 256 KB, sized the
 *   way the EventBridge user guide's "Calculating PutEvents event entry size" says (UTF-8 bytes of
 *   Source, DetailType, Detail and each Resources item, 14 bytes for a Time; EventBusName is not counted);
 * - a call can fail partly: FailedEntryCount and, for each entry in request order, an EventId or an
 *   ErrorCode; only the failed entries are sent again;
 * - InternalFailure and ThrottlingException are the retryable codes; the documented others
 *   (AccessDeniedException, InvalidArgument, MalformedDetail, ...) will fail the same way again.
 * AWS raised the entry limit to 1 MB in 2026; 256 KB stays the default because it holds in every region
 * and for every consumer of the bus (`maxRequestBytes` raises it).
 */

/** One PutEvents request entry, in the SDK's own shape so the adapter passes it through unchanged. */
export interface EventEntry {
  readonly Source: string;
  readonly DetailType: string;
  /** The event's JSON, already serialised. */
  readonly Detail: string;
  readonly EventBusName: string;
  readonly Time?: Date;
  readonly Resources?: readonly string[];
}

/** One entry of a PutEvents answer: EventId on success, ErrorCode (and ErrorMessage) on failure. */
export interface PutEventsResultEntry {
  readonly EventId?: string;
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
}

export interface PutEventsAnswer {
  readonly FailedEntryCount?: number;
  readonly Entries?: readonly PutEventsResultEntry[];
}

/** What publishing needs of EventBridge: the PutEvents call, for at most 10 entries under the size limit. */
export interface EventBusPort {
  putEvents(entries: readonly EventEntry[]): Promise<PutEventsAnswer>;
}

export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

/** The documented failures that another attempt cannot fix. */
const PERMANENT_CODES = new Set([
  'AccessDeniedException',
  'InvalidAccountIdException',
  'InvalidArgument',
  'MalformedDetail',
  'RedactionFailure',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
]);

/** The code of an entry that was never sent because it alone is over the size limit. */
export const ENTRY_TOO_LARGE = 'EntryTooLarge';

/** The entry's size as EventBridge counts it against the limit. */
export function entrySize(entry: EventEntry): number {
  let size = entry.Time === undefined ? 0 : 14;
  size += Buffer.byteLength(entry.Source, 'utf8') + Buffer.byteLength(entry.DetailType, 'utf8');
  size += Buffer.byteLength(entry.Detail, 'utf8');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource, 'utf8');
  return size;
}

export interface BatchLimits {
  readonly maxEntries?: number;
  /** The calls' entries together stay under this many bytes (the guide: "must be less than 256KB"). */
  readonly maxRequestBytes?: number;
}

export interface Batches {
  /** Indexes into the entries, one list per PutEvents call, in the entries' order. */
  readonly calls: readonly (readonly number[])[];
  /** Indexes of the entries that alone reach the size limit: they are never sent. */
  readonly tooLarge: readonly number[];
}

/** Groups entries into PutEvents calls, keeping their order: each call as full as the limits allow. */
export function batchEntries(entries: readonly EventEntry[], limits: BatchLimits = {}): Batches {
  const maxEntries = limits.maxEntries ?? PUT_EVENTS_MAX_ENTRIES;
  const maxBytes = limits.maxRequestBytes ?? PUT_EVENTS_MAX_BYTES;
  const calls: number[][] = [];
  const tooLarge: number[] = [];
  let current: number[] = [];
  let currentBytes = 0;
  entries.forEach((entry, index) => {
    const size = entrySize(entry);
    if (size >= maxBytes) {
      tooLarge.push(index);
      return;
    }
    if (current.length === maxEntries || currentBytes + size >= maxBytes) {
      calls.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(index);
    currentBytes += size;
  });
  if (current.length > 0) calls.push(current);
  return { calls, tooLarge };
}

export interface FailedEntry {
  /** The entry's index in what was given to publishAll. */
  readonly index: number;
  readonly entry: EventEntry;
  readonly errorCode: string;
  readonly errorMessage: string;
  /** True when retrying cannot help (a documented permanent code, or the entry is too large). */
  readonly permanent: boolean;
  /** How many calls carried it (0 for an entry too large to send). */
  readonly attempts: number;
}

export interface PublishResult {
  /** The EventId of each entry that was accepted, by index; undefined for the failed ones. */
  readonly eventIds: readonly (string | undefined)[];
  /** What finally failed, by index. */
  readonly failed: readonly FailedEntry[];
}

export interface PublishOptions extends BatchLimits {
  /** Rounds of retries of the entries that failed with a retryable code (0: send once). */
  readonly maxRetries?: number;
  /** The backoff before retry round n is a random share of min(maxDelayMs, baseDelayMs * 2^n) ("full jitter"). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Injected for tests; setTimeout and Math.random otherwise. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * Publishes every entry, retrying only the entries that failed with a retryable code (a throttled or
 * broken call counts as all of its entries failing so), with exponential backoff, for `maxRetries`
 * rounds. Never throws for what EventBridge answers: the caller (the stream consumer) turns `failed`
 * into the batch item failures it reports, so the records behind them are handed to it again.
 */
export async function publishAll(
  port: EventBusPort,
  entries: readonly EventEntry[],
  options: PublishOptions = {},
): Promise<PublishResult> {
  const maxRetries = options.maxRetries ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  const eventIds: (string | undefined)[] = entries.map(() => undefined);
  const failed: FailedEntry[] = [];
  const attempts = entries.map(() => 0);
  const fail = (index: number, errorCode: string, errorMessage: string, permanent: boolean): void => {
    failed.push({ index, entry: entries[index]!, errorCode, errorMessage, permanent, attempts: attempts[index]! });
  };

  const { tooLarge } = batchEntries(entries, options);
  const tooLargeSet = new Set(tooLarge);
  for (const index of tooLarge) {
    const limit = options.maxRequestBytes ?? PUT_EVENTS_MAX_BYTES;
    fail(
      index,
      ENTRY_TOO_LARGE,
      `The entry is ${entrySize(entries[index]!)} bytes, over the ${limit}-byte PutEvents limit`,
      true,
    );
  }

  let pending = entries.map((_, index) => index).filter((index) => !tooLargeSet.has(index));
  for (let round = 0; pending.length > 0; round += 1) {
    const last = round >= maxRetries;
    const retry: { index: number; code: string; message: string }[] = [];
    const subset = pending.map((index) => entries[index]!);
    for (const call of batchEntries(subset, options).calls) {
      const indexes = call.map((position) => pending[position]!);
      indexes.forEach((index) => (attempts[index]! += 1));
      let answer: PutEventsAnswer;
      try {
        answer = await port.putEvents(indexes.map((index) => entries[index]!));
      } catch (error) {
        const { name, message } = error instanceof Error ? error : new Error(String(error));
        for (const index of indexes) retry.push({ index, code: name, message });
        continue;
      }
      indexes.forEach((index, position) => {
        const result = answer.Entries?.[position];
        if (result?.EventId !== undefined && result.ErrorCode === undefined) {
          eventIds[index] = result.EventId;
        } else if (result?.ErrorCode !== undefined && PERMANENT_CODES.has(result.ErrorCode)) {
          fail(index, result.ErrorCode, result.ErrorMessage ?? '', true);
        } else {
          // A missing result entry is treated like InternalFailure: nothing says the event was accepted.
          retry.push({ index, code: result?.ErrorCode ?? 'MissingResultEntry', message: result?.ErrorMessage ?? '' });
        }
      });
    }
    if (last || retry.length === 0) {
      for (const { index, code, message } of retry) fail(index, code, message, false);
      break;
    }
    await sleep(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** round));
    pending = retry.map(({ index }) => index).sort((a, b) => a - b);
  }

  failed.sort((a, b) => a.index - b.index);
  return { eventIds, failed };
}
