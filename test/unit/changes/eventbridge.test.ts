/**
 * PutEvents batching and partial-failure retries. EventBridge is not emulated locally (DynamoDB Local
 * is, EventBridge has no local twin), so these tests run against a FAKE event bus: an in-memory port
 * that records each call and answers per entry the way the PutEvents reference describes. It checks the
 * limits on every call it receives, so a batching mistake fails the test.
 */
import {
  batchEntries,
  entrySize,
  publishAll,
  ENTRY_TOO_LARGE,
  PUT_EVENTS_MAX_BYTES,
  type EventBusPort,
  type EventEntry,
  type PutEventsResultEntry,
} from '../../../lib/changes/eventbridge';

const entry = (n: number, detail: object = { id: n }): EventEntry => ({
  Source: 'odoo-rest-lambda.dev',
  DetailType: 'res.partner updated',
  Detail: JSON.stringify(detail),
  EventBusName: 'odoo-rest-lambda-dev',
  Time: new Date('2026-11-28T10:00:00Z'),
});

/** An entry of exactly `size` bytes as EventBridge counts them. */
const sized = (n: number, size: number): EventEntry => {
  const base = entrySize(entry(n, { id: n, pad: '' }));
  return entry(n, { id: n, pad: 'x'.repeat(size - base) });
};

/** What the fake answers for one entry on one call: accept it, or fail it with a code. */
type Decide = (detail: { id: number }, call: number) => PutEventsResultEntry | 'accept';

class FakeEventBus implements EventBusPort {
  readonly calls: EventEntry[][] = [];
  constructor(private readonly decide: Decide = () => 'accept') {}

  async putEvents(entries: readonly EventEntry[]) {
    const call = this.calls.length;
    this.calls.push([...entries]);
    if (entries.length > 10) throw new Error(`fake EventBridge: ${entries.length} entries in one call`);
    const bytes = entries.reduce((sum, one) => sum + entrySize(one), 0);
    if (bytes >= PUT_EVENTS_MAX_BYTES) throw new Error(`fake EventBridge: ${bytes} bytes in one call`);
    const results = entries.map((one) => {
      const detail = JSON.parse(one.Detail) as { id: number };
      const decided = this.decide(detail, call);
      return decided === 'accept' ? { EventId: `ev-${detail.id}-${call}` } : decided;
    });
    return { FailedEntryCount: results.filter((result) => result.ErrorCode).length, Entries: results };
  }

  /** The ids in each call, in order. */
  get idsPerCall(): number[][] {
    return this.calls.map((call) => call.map((one) => (JSON.parse(one.Detail) as { id: number }).id));
  }
}

const noWait = { sleep: async () => undefined, random: () => 0.5 };

describe('entrySize', () => {
  it('counts UTF-8 bytes of Source, DetailType, Detail and Resources, 14 for a Time, nothing for the bus name', () => {
    const plain: EventEntry = {
      Source: 'src',
      DetailType: 'dt',
      Detail: '{"a":"é"}',
      EventBusName: 'a-very-long-bus-name',
    };
    expect(entrySize(plain)).toBe(3 + 2 + 10);
    expect(entrySize({ ...plain, Time: new Date() })).toBe(15 + 14);
    expect(entrySize({ ...plain, Resources: ['arn:1', '日本'] })).toBe(15 + 5 + 6);
  });
});

describe('batchEntries', () => {
  it('puts at most 10 entries in a call, keeping their order', () => {
    const entries = Array.from({ length: 25 }, (_, n) => entry(n));
    const { calls, tooLarge } = batchEntries(entries);
    expect(calls.map((call) => call.length)).toEqual([10, 10, 5]);
    expect(calls.flat()).toEqual(entries.map((_, n) => n));
    expect(tooLarge).toEqual([]);
  });

  it('starts a new call before the entries together would reach 256 KB', () => {
    const entries = [sized(0, 100_000), sized(1, 100_000), sized(2, 62_144), sized(3, 62_143), sized(4, 1_000)];
    // 0+1 = 200,000; adding 2 would make exactly 262,144 (not under the limit); 2+3 = 124,287, +4 fits.
    expect(batchEntries(entries).calls).toEqual([
      [0, 1],
      [2, 3, 4],
    ]);
  });

  it('sets apart an entry that alone reaches the limit, and batches the rest around it', () => {
    const entries = [entry(0), sized(1, PUT_EVENTS_MAX_BYTES), entry(2), sized(3, PUT_EVENTS_MAX_BYTES - 1)];
    expect(batchEntries(entries)).toEqual({ calls: [[0, 2], [3]], tooLarge: [1] });
  });

  it('follows other limits when given (EventBridge raised the entry size to 1 MB in 2026)', () => {
    const entries = [sized(0, 300_000), sized(1, 300_000)];
    expect(batchEntries(entries).tooLarge).toEqual([0, 1]);
    expect(batchEntries(entries, { maxRequestBytes: 1024 * 1024 })).toEqual({ calls: [[0, 1]], tooLarge: [] });
    expect(batchEntries([entry(0), entry(1), entry(2)], { maxEntries: 2 }).calls).toEqual([[0, 1], [2]]);
  });

  it('gives no call for no entries', () => {
    expect(batchEntries([])).toEqual({ calls: [], tooLarge: [] });
  });
});

describe('publishAll (against a fake EventBridge)', () => {
  it('publishes 23 entries in 3 calls and returns every EventId', async () => {
    const bus = new FakeEventBus();
    const entries = Array.from({ length: 23 }, (_, n) => entry(n));
    const result = await publishAll(bus, entries, noWait);
    expect(bus.idsPerCall.map((ids) => ids.length)).toEqual([10, 10, 3]);
    expect(result).toEqual({ eventIds: entries.map((_, n) => `ev-${n}-${Math.floor(n / 10)}`), failed: [] });
  });

  it('retries only the entries that failed with a retryable code, with growing backoff', async () => {
    // Entries 3 and 7 are throttled on the first call, 7 again on the second; all goes through on the third.
    const bus = new FakeEventBus(({ id }, call) =>
      (id === 3 && call === 0) || (id === 7 && call <= 1)
        ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }
        : 'accept',
    );
    const waits: number[] = [];
    const result = await publishAll(
      bus,
      Array.from({ length: 10 }, (_, n) => entry(n)),
      { sleep: async (ms) => void waits.push(ms), random: () => 1, baseDelayMs: 100 },
    );
    expect(bus.idsPerCall).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 7], [7]]);
    expect(waits).toEqual([100, 200]);
    expect(result.failed).toEqual([]);
    expect(result.eventIds[3]).toBe('ev-3-1');
    expect(result.eventIds[7]).toBe('ev-7-2');
  });

  it('regroups the retried entries of several calls into as few calls as the limits allow', async () => {
    const bus = new FakeEventBus(({ id }, call) =>
      call < 3 && id % 3 === 0 ? { ErrorCode: 'InternalFailure' } : 'accept',
    );
    const result = await publishAll(
      bus,
      Array.from({ length: 30 }, (_, n) => entry(n)),
      noWait,
    );
    expect(bus.idsPerCall.slice(3)).toEqual([[0, 3, 6, 9, 12, 15, 18, 21, 24, 27]]);
    expect(result.failed).toEqual([]);
  });

  it('does not retry a permanent failure, and reports it with its code', async () => {
    const bus = new FakeEventBus(({ id }) =>
      id === 1 ? { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' } : 'accept',
    );
    const entries = [entry(0), entry(1), entry(2)];
    const result = await publishAll(bus, entries, noWait);
    expect(bus.calls).toHaveLength(1);
    expect(result.failed).toEqual([
      {
        index: 1,
        entry: entries[1],
        errorCode: 'MalformedDetail',
        errorMessage: 'Detail is malformed.',
        permanent: true,
        attempts: 1,
      },
    ]);
    expect(result.eventIds).toEqual(['ev-0-0', undefined, 'ev-2-0']);
  });

  it('gives up after maxRetries rounds and returns what still failed', async () => {
    const bus = new FakeEventBus(({ id }) =>
      id === 2 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : 'accept',
    );
    const entries = [entry(0), entry(1), entry(2)];
    const result = await publishAll(bus, entries, { ...noWait, maxRetries: 2 });
    expect(bus.idsPerCall).toEqual([[0, 1, 2], [2], [2]]);
    expect(result.failed).toEqual([
      {
        index: 2,
        entry: entries[2],
        errorCode: 'ThrottlingException',
        errorMessage: 'Rate exceeded',
        permanent: false,
        attempts: 3,
      },
    ]);
  });

  it('never sends an entry that alone is over the limit, and reports it as permanent', async () => {
    const bus = new FakeEventBus();
    const huge = sized(1, PUT_EVENTS_MAX_BYTES + 5);
    const result = await publishAll(bus, [entry(0), huge, entry(2)], noWait);
    expect(bus.idsPerCall).toEqual([[0, 2]]);
    expect(result.failed).toEqual([
      {
        index: 1,
        entry: huge,
        errorCode: ENTRY_TOO_LARGE,
        errorMessage: `The entry is ${PUT_EVENTS_MAX_BYTES + 5} bytes, over the 262144-byte PutEvents limit`,
        permanent: true,
        attempts: 0,
      },
    ]);
  });

  it('counts a call that throws as all of its entries failing, retryable', async () => {
    let calls = 0;
    const flaky: EventBusPort = {
      async putEvents(entries) {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        return { FailedEntryCount: 0, Entries: entries.map((_, n) => ({ EventId: `id-${calls}-${n}` })) };
      },
    };
    const result = await publishAll(flaky, [entry(0), entry(1)], noWait);
    expect(result).toEqual({ eventIds: ['id-2-0', 'id-2-1'], failed: [] });

    const down: EventBusPort = {
      putEvents: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    };
    const gaveUp = await publishAll(down, [entry(0)], { ...noWait, maxRetries: 1 });
    expect(gaveUp.failed).toEqual([
      {
        index: 0,
        entry: entry(0),
        errorCode: 'Error',
        errorMessage: 'connect ECONNREFUSED',
        permanent: false,
        attempts: 2,
      },
    ]);
  });

  it('treats a missing result entry as a failure to retry, never as accepted', async () => {
    let calls = 0;
    const short: EventBusPort = {
      async putEvents(entries) {
        calls += 1;
        const all = entries.map((_, n) => ({ EventId: `id-${calls}-${n}` }));
        return { FailedEntryCount: 0, Entries: calls === 1 ? all.slice(0, 1) : all };
      },
    };
    const result = await publishAll(short, [entry(0), entry(1)], noWait);
    expect(result).toEqual({ eventIds: ['id-1-0', 'id-2-0'], failed: [] });
  });

  it('sends nothing for no entries', async () => {
    const bus = new FakeEventBus();
    expect(await publishAll(bus, [], noWait)).toEqual({ eventIds: [], failed: [] });
    expect(bus.calls).toEqual([]);
  });
});
