/**
 * An in-memory RecordStore: a test double of our own port (lib/records/port.ts), not a mock of the
 * AWS SDK. It keeps the port's contract as lib/store/dynamodb/records-table.ts (DynamoRecordStore)
 * keeps it over DynamoDB, as far as the core can tell:
 *
 * - every read returns fresh copies and every write stores copies: the core never shares an
 *   object with the "table", so mutating an answer (or an action after sending it) changes nothing;
 * - transact is all or nothing. Each action's condition is checked against the state before the
 *   transaction; if any fails, nothing is written and a TransactionCancelledError carries one reason
 *   per action in action order ('condition' where the condition failed, 'none' elsewhere), as
 *   DynamoDB's CancellationReasons do. An item that would pass 400 KB is 'too-large';
 * - what DynamoDB refuses as a malformed request (no actions, more than 100, two actions on one
 *   item) is a plain Error, as a ValidationException reaches the core untranslated (a bug: a 500);
 * - a claim is an item of its own; its condition fails while a claim with its id exists and has not
 *   expired at the action's `now` (expiresAt > now);
 * - a deletion mark lives on its record (StoredRecord.deleting, read back by every read) and holds
 *   while `until` > the action's `now`: a 'check' fails on a record that is missing or holds one; a
 *   'mark' needs the version and no mark that holds but one with its own token, and moves the
 *   version on; an 'unmark' needs its token's mark and leaves the version; an 'update' keeps it;
 * - a model's sequence is a counter of the last id handed out: reserveIds adds to it, releaseIds
 *   moves it back below a reservation only while it still ends at that reservation's last id,
 *   raiseSequence and putMany only move it up;
 * - scanModel hands over one page per index shard (id mod 16, each in id order), so a core that
 *   assumes the whole model comes in id order, or in one page, is caught.
 *
 * Differences a test must not rely on: every read is consistent (there is no replica to lag), and
 * nothing is ever throttled, conflicts or fails unless a test injects it (FAULT INJECTION below).
 */
import { randomUUID } from 'node:crypto';
import { TransactionCancelledError, type CancellationReason } from '../../lib/errors';
import {
  MAX_TRANSACTION_ACTIONS,
  MODEL_INDEX_SHARDS,
  holds,
  recordKeyString,
  type IdempotencyClaim,
  type IdReservation,
  type RecordKey,
  type RecordStore,
  type StoredRecord,
  type StoredValue,
  type TransactionHeader,
  type WriteAction,
  type Indexer,
  type IndexHit,
  type IndexQuery,
  type IndexState,
  type IndexEntry,
} from '../../lib/records/port';
import { shippedIndexer } from '../../lib/indexes/indexer';
import { MemoryMeterStore } from './memory-meter-store';

/** DynamoDB's item size limit. */
const MAX_ITEM_BYTES = 400 * 1024;

/** What a test can make the next transact do instead of committing: see failNextTransact. */
export type TransactFault = CancellationReason | readonly CancellationReason[] | Error;

type Method = keyof RecordStore;

const claimItemKey = (id: string) => `idempotency#${id}`;

/** The item an action writes or checks. A create puts its record under the record's own key, as DynamoRecordStore does. */
function itemOf(action: WriteAction): string {
  if (action.kind === 'claim') return claimItemKey(action.claim.id);
  if (action.kind === 'count') return `usage#${action.increment.key.pk}|${action.increment.key.sk}`;
  if (action.kind === 'header') return `txn#${action.header.transactionId}`;
  return recordKeyString(action.kind === 'create' ? action.record : action.key);
}

function copyValues(values: Readonly<Record<string, StoredValue>>): Record<string, StoredValue> {
  const copy: Record<string, StoredValue> = Object.create(null);
  for (const [name, value] of Object.entries(values)) copy[name] = Array.isArray(value) ? [...value] : value;
  return copy;
}

function copyRecord(record: StoredRecord): StoredRecord {
  const copy = { model: record.model, id: record.id, version: record.version, values: copyValues(record.values) };
  return record.deleting ? { ...copy, deleting: { ...record.deleting } } : copy;
}

/** Whether a record holds a deletion mark that still counts at `now` (epoch ms). */
function markHolds(record: StoredRecord, now: number): boolean {
  return record.deleting !== undefined && record.deleting.until > now;
}

/** Close to DynamoDB's own count (names plus values, UTF-8): enough to tell 100 KB from 500 KB. */
function itemBytes(record: StoredRecord): number {
  return Buffer.byteLength(JSON.stringify(record), 'utf8');
}

/** A count of zero for every port method: what `calls` starts at, and what a test that reads nothing expects. */
export function noCalls(): Record<Method, number> {
  return {
    getMany: 0,
    transact: 0,
    putMany: 0,
    listModel: 0,
    reindexModel: 0,
    listInOrder: 0,
    listSorted: 0,
    scanModel: 0,
    countModel: 0,
    getClaim: 0,
    reserveIds: 0,
    releaseIds: 0,
    raiseSequence: 0,
    queryIndex: 0,
    countIndex: 0,
    queryIndexShares: 0,
    indexesReady: 0,
  };
}

export interface MemoryRecordStoreOptions {
  /**
   * Skip the double's own safety work: the copies on every read and write, and weighing each
   * written record against 400 KB. For the bench's core-CPU row only, where that work would be
   * counted as ours; tests keep the default (false).
   */
  readonly lean?: boolean;
  /** Where the ledger counts that transactions commit land (a MemoryMeterStore of the same test); default: one of its own. */
  readonly usage?: MemoryMeterStore;
  /** The records' index entries (default: the shipped models' declared indexes, as the DynamoDB store). */
  readonly indexer?: Indexer;
  /** Whether the indexes are marked complete (default true); false: every search walks its model. */
  readonly indexesReady?: boolean;
}

export class MemoryRecordStore implements RecordStore {
  readonly #lean: boolean;
  readonly #records = new Map<string, StoredRecord>();
  /**
   * Each record's index entries as its last write gave them (the indexer of that moment), as the
   * DynamoDB store keeps them on the item: a writer whose indexer lacks an index leaves its entry out.
   */
  readonly #states = new Map<string, IndexState | undefined>();
  readonly #claims = new Map<string, IdempotencyClaim>();
  /** Per model: the last id handed out. */
  readonly #sequences = new Map<string, { last: number }>();

  /** Calls of each port method, but not those the double makes itself nor those of a beforeNextTransact change. */
  readonly calls: Record<Method, number> = noCalls();

  /** The headers of the transactions that deleted records (commit.ts stampChanges), by transaction id. */
  readonly transactionHeaders = new Map<string, TransactionHeader>();
  /** The usage table's items: the ledger counts transactions commit (the metering tests read them). */
  readonly usage: MemoryMeterStore;

  readonly #indexer: Indexer;
  /**
   * The index entries as they were when freezeIndex() was called: a lookup reads these instead of
   * the records' present state, as a lagging secondary index would (until thawIndex()).
   */
  #frozenIndex: Map<string, { record: StoredRecord; state: IndexState | undefined }> | undefined;

  readonly #indexesReady: boolean;

  constructor({
    lean = false,
    usage = new MemoryMeterStore(),
    indexer = shippedIndexer,
    indexesReady = true,
  }: MemoryRecordStoreOptions = {}) {
    this.#lean = lean;
    this.usage = usage;
    this.#indexer = indexer;
    this.#indexesReady = indexesReady;
  }

  async indexesReady(): Promise<boolean> {
    this.calls.indexesReady++;
    return this.#indexesReady;
  }

  #copy(record: StoredRecord): StoredRecord {
    return this.#lean ? record : copyRecord(record);
  }

  // -------------------------------------------------------------------------------------------
  // FAULT INJECTION (for tests only). Each queued entry is used up by one transact call, in order.

  readonly #transactFaults: TransactFault[] = [];
  readonly #beforeTransact: Array<{
    readonly change: () => Promise<void> | void;
    readonly when: ((actions: readonly WriteAction[]) => boolean) | undefined;
  }> = [];
  #interleaving = false;

  /**
   * The next `times` transact calls commit nothing and throw instead: an Error as it is; a
   * reason (e.g. 'conflict', 'throttled') as a TransactionCancelledError with that reason on the
   * first action and 'none' on the others, as DynamoDB reports one contended item; a list of
   * reasons as given, padded with 'none' to one per action.
   */
  failNextTransact(fault: TransactFault, times = 1): void {
    for (let i = 0; i < times; i++) this.#transactFaults.push(fault);
  }

  /**
   * Runs `change` at the start of the next transact call, before its conditions are checked:
   * another request's write landing between this request's read and its commit (the race the
   * version conditions are for). Write through putMany or transact; calls it makes are not counted.
   * With `when`, the change waits for the first transact call whose actions it accepts (a delete's
   * own commit, say, past its marks); the changes queued after it wait behind it.
   */
  beforeNextTransact(
    change: () => Promise<void> | void,
    times = 1,
    when?: (actions: readonly WriteAction[]) => boolean,
  ): void {
    for (let i = 0; i < times; i++) this.#beforeTransact.push({ change, when });
  }


  /** Sets every call counter back to 0 (after a test's setup, say). */
  resetCalls(): void {
    for (const method of Object.keys(this.calls) as Method[]) this.calls[method] = 0;
  }

  // -------------------------------------------------------------------------------------------
  // The port

  async getMany(keys: readonly RecordKey[], _options: { consistent: boolean }): Promise<Map<string, StoredRecord>> {
    this.calls.getMany++;
    const found = new Map<string, StoredRecord>();
    for (const key of keys) {
      const record = this.#records.get(recordKeyString(key));
      if (record) found.set(recordKeyString(key), this.#copy(record));
    }
    return found;
  }

  async transact(actions: readonly WriteAction[]): Promise<void> {
    this.calls.transact++;
    // The writes of an interleaved change are the other request's: they neither run the queued
    // changes nor meet the queued faults, which are for the calls of the core under test.
    if (!this.#interleaving) {
      const next = this.#beforeTransact[0];
      if (next && (next.when === undefined || next.when(actions))) {
        this.#beforeTransact.shift();
        await this.#interleave(next.change);
      }
      const fault = this.#transactFaults.shift();
      if (fault !== undefined) throw this.#faultError(fault, actions.length);
    }
    this.#validateRequest(actions);

    // Every condition against the state before the transaction, then every write or none.
    const reasons = actions.map((action) => this.#reasonOf(action));
    if (reasons.some((reason) => reason !== 'none')) throw new TransactionCancelledError(reasons);
    for (const action of actions) this.#apply(action);
  }

  async putMany(records: readonly StoredRecord[]): Promise<void> {
    this.calls.putMany++;
    for (const record of records) {
      this.#setIndexed(recordKeyString(record), this.#copy(record));
      this.#raise(record.model, record.id);
    }
  }

  async listModel(model: string, { afterId, limit }: { afterId: number; limit: number }): Promise<StoredRecord[]> {
    this.calls.listModel++;
    return this.#ofModel(model)
      .filter((record) => record.id > afterId)
      .slice(0, limit)
      .map((record) => this.#copy(record));
  }

  async listInOrder(
    model: string,
    options: { afterKey?: string | undefined; limit: number; backward?: boolean },
  ): Promise<{ record: StoredRecord; key: string }[]> {
    this.calls.listInOrder++;
    return this.#walkIndex(model, (state) => state?.order, options).map(({ record, key }) => ({
      record: this.#copy(record),
      key,
    }));
  }

  async listSorted(
    model: string,
    slot: number,
    options: { afterKey?: string | undefined; limit: number; backward?: boolean },
  ): Promise<{ id: number; key: string }[]> {
    this.calls.listSorted++;
    // Keys only, as the sorted indexes project them.
    return this.#walkIndex(model, (state) => state?.sorted?.[slot - 1], options).map(({ record, key }) => ({
      id: record.id,
      key,
    }));
  }

  /**
   * One page of an index on the model's records keyed by `keyOf` (records without a key are not in
   * it), after `afterKey`, either way: the keys as the index holds them (a frozen index: as they
   * were), compared as DynamoDB does (UTF-8 bytes).
   */
  #walkIndex(
    model: string,
    keyOf: (state: IndexState | undefined) => string | undefined,
    { afterKey, limit, backward = false }: { afterKey?: string | undefined; limit: number; backward?: boolean },
  ): { record: StoredRecord; key: string }[] {
    const direction = backward ? -1 : 1;
    return [...this.#indexedRecords().values()]
      .flatMap(({ record, state }) => {
        const key = keyOf(state);
        return record.model === model && key !== undefined ? [{ record, key }] : [];
      })
      .filter(({ key }) => afterKey === undefined || direction * utf8Compare(key, afterKey) > 0)
      .sort((a, b) => direction * utf8Compare(a.key, b.key))
      .slice(0, limit);
  }

  /** Each record with its index state: as the indexes hold them now, or as they were when frozen. */
  #indexedRecords(): Map<string, { record: StoredRecord; state: IndexState | undefined }> {
    return (
      this.#frozenIndex ??
      new Map([...this.#records].map(([key, record]) => [key, { record, state: this.#states.get(key) }] as const))
    );
  }

  /** The entry a record holds in an index slot, as its last write (or reindex) gave it. */
  entryOf(model: string, id: number, slot: number): IndexEntry | undefined {
    return this.#states.get(recordKeyString({ model, id }))?.entries[slot - 1] ?? undefined;
  }

  /** Writes a record with the entries the indexer gives it now (a Put or an Update of the DynamoDB store). */
  #setIndexed(key: string, record: StoredRecord): void {
    this.#records.set(key, record);
    this.#states.set(key, this.#indexer(record));
  }

  async reindexModel(
    model: string,
    { afterId, limit }: { afterId: number; limit: number },
  ): Promise<{ lastId: number | undefined; read: number; written: number }> {
    this.calls.reindexModel++;
    const page = this.#ofModel(model)
      .filter((record) => record.id > afterId)
      .slice(0, limit);
    let written = 0;
    for (const record of page) {
      const key = recordKeyString(record);
      const state = this.#indexer(record);
      if (JSON.stringify(state) === JSON.stringify(this.#states.get(key))) continue;
      this.#states.set(key, state);
      written++;
    }
    return { lastId: page.at(-1)?.id, read: page.length, written };
  }

  async scanModel(model: string, visit: (records: readonly StoredRecord[]) => void): Promise<void> {
    this.calls.scanModel++;
    const shards = Array.from({ length: MODEL_INDEX_SHARDS }, () => [] as StoredRecord[]);
    for (const record of this.#ofModel(model)) shards[record.id % MODEL_INDEX_SHARDS]?.push(this.#copy(record));
    for (const page of shards) if (page.length > 0) visit(page);
  }

  async countModel(model: string, { whereTrue }: { whereTrue?: string } = {}): Promise<number> {
    this.calls.countModel++;
    return this.#ofModel(model).filter((record) => whereTrue === undefined || record.values[whereTrue] === true).length;
  }

  async queryIndex(query: IndexQuery, { limit }: { limit: number }): Promise<{ entries: IndexHit[]; complete: boolean }> {
    this.calls.queryIndex++;
    const hits = this.#indexHits(query);
    return { entries: hits.slice(0, limit), complete: hits.length <= limit };
  }

  async queryIndexShares(
    query: IndexQuery,
    share: number,
    { backward = false }: { backward?: boolean } = {},
  ): Promise<{ entries: IndexHit[]; more: boolean }[]> {
    this.calls.queryIndexShares++;
    return query.partitions.map((partition) => {
      const hits = this.#indexHits({ ...query, partitions: [partition] });
      if (backward) hits.reverse();
      return { entries: hits.slice(0, share), more: hits.length > share };
    });
  }

  async countIndex(query: IndexQuery): Promise<number> {
    this.calls.countIndex++;
    return this.#indexHits(query).length;
  }

  /** From now on, lookups see the index entries of this moment, whatever is written after (a lagging index). */
  freezeIndex(): void {
    this.#frozenIndex = new Map(
      [...this.#records].map(([key, record]) => [key, { record, state: this.#states.get(key) }] as const),
    );
  }

  /** Lookups see the records' present entries again. */
  thawIndex(): void {
    this.#frozenIndex = undefined;
  }

  /** The entries in the query's slot, partitions and range: partition by partition, each in key order, as DynamoDB answers. */
  #indexHits({ slot, partitions, range, activeOnly }: IndexQuery): IndexHit[] {
    const wanted = new Set(partitions);
    const entries = this.#indexedRecords();
    const hits: { partition: string; sort: string; id: number }[] = [];
    for (const { record, state } of entries.values()) {
      const entry = state?.entries[slot - 1];
      if (!entry || !wanted.has(entry.partition) || (activeOnly && state?.active !== true)) continue;
      const inRange =
        range.kind === 'prefix'
          ? entry.sort.startsWith(range.prefix)
          : utf8Compare(entry.sort, range.from) >= 0 && utf8Compare(entry.sort, range.to) <= 0;
      if (inRange) hits.push({ partition: entry.partition, sort: entry.sort, id: record.id });
    }
    // Partition by partition (in the order asked), each in its sort key order, as the queries return them.
    const order = new Map(partitions.map((partition, position) => [partition, position] as const));
    hits.sort((a, b) => (order.get(a.partition) ?? 0) - (order.get(b.partition) ?? 0) || utf8Compare(a.sort, b.sort));
    return hits.map(({ id, sort }) => ({ id, sort }));
  }

  async getClaim(id: string): Promise<IdempotencyClaim | undefined> {
    this.calls.getClaim++;
    const claim = this.#claims.get(claimItemKey(id));
    return claim && { ...claim, recordIds: [...claim.recordIds] };
  }

  async reserveIds(model: string, count: number): Promise<IdReservation> {
    this.calls.reserveIds++;
    const last = (this.#sequences.get(model)?.last ?? 0) + count;
    this.#sequences.set(model, { last });
    // No SDK retry to recognise here; the token is only carried, as the port's callers expect one.
    return { model, token: randomUUID(), ids: Array.from({ length: count }, (_, i) => last - count + 1 + i) };
  }

  async releaseIds(reservation: IdReservation): Promise<boolean> {
    this.calls.releaseIds++;
    const first = reservation.ids[0];
    const sequence = this.#sequences.get(reservation.model);
    if (first === undefined || !sequence) return false;
    // Only while no later reservation holds ids above it: the counter still ends at this one.
    if (sequence.last !== first + reservation.ids.length - 1) return false;
    sequence.last = first - 1;
    return true;
  }

  async raiseSequence(model: string, atLeast: number): Promise<void> {
    this.calls.raiseSequence++;
    this.#raise(model, atLeast);
  }

  // -------------------------------------------------------------------------------------------
  // For tests to look at the "table" (not the port: not counted in `calls`)

  /** A copy of one stored record, or undefined. */
  record(model: string, id: number): StoredRecord | undefined {
    const record = this.#records.get(recordKeyString({ model, id }));
    return record && copyRecord(record);
  }

  /** Copies of every stored record, in key order: compare two of these to show that nothing was written. */
  allRecords(): StoredRecord[] {
    return [...this.#records.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, record]) => copyRecord(record));
  }

  /** The last id handed out for `model` (0 before any): what the next reservation starts after. */
  lastId(model: string): number {
    return this.#sequences.get(model)?.last ?? 0;
  }

  #raise(model: string, atLeast: number): void {
    const sequence = this.#sequences.get(model);
    if (!sequence) this.#sequences.set(model, { last: atLeast });
    else sequence.last = Math.max(sequence.last, atLeast);
  }

  /** A model's records in id order (the index's sort key). */
  #ofModel(model: string): StoredRecord[] {
    return [...this.#records.values()].filter((record) => record.model === model).sort((a, b) => a.id - b.id);
  }

  /** Runs a test's interleaved change without counting the calls it makes. */
  async #interleave(change: () => Promise<void> | void): Promise<void> {
    const before = { ...this.calls };
    this.#interleaving = true;
    try {
      await change();
    } finally {
      this.#interleaving = false;
      Object.assign(this.calls, before);
    }
  }

  #faultError(fault: TransactFault, actions: number): Error {
    if (fault instanceof Error) return fault;
    const given: readonly CancellationReason[] = typeof fault === 'string' ? [fault] : fault;
    if (given.length > actions) throw new Error(`failNextTransact: ${given.length} reasons for a transaction of ${actions} actions`);
    return new TransactionCancelledError(Array.from({ length: actions }, (_, i) => given[i] ?? 'none'));
  }

  /** What DynamoDB rejects before looking at any item (a ValidationException: a bug, not a cancellation). */
  #validateRequest(actions: readonly WriteAction[]): void {
    if (actions.length === 0 || actions.length > MAX_TRANSACTION_ACTIONS) {
      throw new Error(`ValidationException: a transaction holds 1 to ${MAX_TRANSACTION_ACTIONS} actions, not ${actions.length}`);
    }
    const items = new Set<string>();
    for (const action of actions) {
      const item = itemOf(action);
      if (items.has(item)) throw new Error(`ValidationException: Transaction request cannot include multiple operations on one item (${item})`);
      items.add(item);
    }
  }

  #reasonOf(action: WriteAction): CancellationReason {
    if (action.kind === 'count' || action.kind === 'header') return 'none';
    if (action.kind === 'claim') {
      const earlier = this.#claims.get(claimItemKey(action.claim.id));
      return earlier && earlier.expiresAt > action.now ? 'condition' : 'none';
    }
    const current = this.#records.get(itemOf(action));
    switch (action.kind) {
      case 'create':
        if (current) return 'condition';
        return this.#tooLarge(action.record) ? 'too-large' : 'none';
      case 'check':
      case 'append':
        return current && !markHolds(current, action.now) && holds(current.values, action.holding) ? 'none' : 'condition';
      case 'mark':
        if (current?.version !== action.expectedVersion) return 'condition';
        return markHolds(current, action.now) && current.deleting?.token !== action.mark.token ? 'condition' : 'none';
      case 'unmark':
        return current?.deleting?.token === action.token ? 'none' : 'condition';
      case 'delete':
        return current?.version === action.expectedVersion ? 'none' : 'condition';
      case 'update':
        if (current?.version !== action.expectedVersion) return 'condition';
        if (action.unmarkedAt !== undefined && markHolds(current, action.unmarkedAt)) return 'condition';
        // The port's contract: `after` is the record as read with `set` over it (its index entries come from it).
        if (!sameValues(action.after, updated(current, action.set).values))
          throw new Error(`an update of ${itemOf(action)} whose 'after' is not its values with 'set' applied`);
        return !this.#lean && this.#tooLarge(updated(current, action.set)) ? 'too-large' : 'none';
    }
  }

  #tooLarge(record: StoredRecord): boolean {
    return !this.#lean && itemBytes(record) > MAX_ITEM_BYTES;
  }

  #apply(action: WriteAction): void {
    switch (action.kind) {
      case 'claim':
        this.#claims.set(claimItemKey(action.claim.id), { ...action.claim, recordIds: [...action.claim.recordIds] });
        return;
      case 'create':
        this.#setIndexed(itemOf(action), this.#copy(action.record));
        return;
      case 'delete':
        this.#records.delete(itemOf(action));
        this.#states.delete(itemOf(action));
        return;
      case 'update':
        this.#setIndexed(itemOf(action), updated(this.#records.get(itemOf(action)) as StoredRecord, action.set));
        return;
      case 'append': {
        const current = this.#records.get(itemOf(action)) as StoredRecord;
        const lists = Object.entries(action.lists).map(([name, ids]) => {
          const list = current.values[name];
          return [name, [...(Array.isArray(list) ? list : []), ...ids] as number[]] as const;
        });
        this.#records.set(itemOf(action), updated(current, Object.fromEntries(lists)));
        return;
      }
      case 'mark': {
        const current = this.#records.get(itemOf(action)) as StoredRecord;
        this.#records.set(itemOf(action), { ...updated(current, {}), deleting: { ...action.mark } });
        return;
      }
      case 'unmark': {
        const { model, id, version, values } = this.#records.get(itemOf(action)) as StoredRecord;
        this.#records.set(itemOf(action), { model, id, version, values });
        return;
      }
      case 'check':
        return;
      case 'count':
        this.usage.apply(action.increment);
        return;
      case 'header':
        this.transactionHeaders.set(action.header.transactionId, action.header);
        return;
    }
  }
}

/** DynamoDB's order of string keys: their UTF-8 bytes. */
function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function sameValues(a: Readonly<Record<string, StoredValue>>, b: Readonly<Record<string, StoredValue>>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((key) => Object.hasOwn(b, key) && JSON.stringify(a[key]) === JSON.stringify(b[key]))
  );
}

/** A record with `set` applied and its version moved on by one, as an Update does. */
function updated(record: StoredRecord, set: Readonly<Record<string, StoredValue>>): StoredRecord {
  return { ...record, version: record.version + 1, values: copyValues({ ...record.values, ...set }) };
}
