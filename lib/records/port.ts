/**
 * The port between the records core and its storage: what the core needs, in its own terms.
 * lib/store/dynamodb/records-table.ts implements it over DynamoDB; nothing here knows about AWS.
 */
import type { CancellationReason } from '../errors';

/** A field value as stored: JSON-like, one representation per Odoo type (see lib/records/values.ts). */
export type StoredValue = string | number | boolean | null | number[];

export interface RecordKey {
  readonly model: string;
  readonly id: number;
}

/** Ids taken from a model's sequence, with what proves the taking was this caller's. */
export interface IdReservation {
  readonly model: string;
  /** Consecutive, ascending. */
  readonly ids: readonly number[];
  /** Marks the sequence item as moved by this reservation (a random value): an SDK retry of it is recognised. */
  readonly token: string;
}

export interface StoredRecord extends RecordKey {
  /** Incremented by every write; the optimistic-locking condition of the next write. */
  readonly version: number;
  /** Field values by name (a null-prototype object: field names are data). */
  readonly values: Readonly<Record<string, StoredValue>>;
  /** Set while a delete of this record is under way (see DeletionMark); the record reads as usual. */
  readonly deleting?: DeletionMark;
}

/**
 * A delete's claim on a record it is about to delete (lib/records/ondelete.ts): while it holds, no
 * write can make a new reference to the record (a 'check' fails), so the references the delete
 * finds after marking are all there will be. A delete that fails removes its marks; one that
 * crashed leaves them to expire.
 */
export interface DeletionMark {
  /** Epoch milliseconds; the mark counts as absent from then on. */
  readonly until: number;
  /** The marking request's (random): its own later attempts may mark the record again, no one else. */
  readonly token: string;
}

/**
 * What a committed write leaves on each record it creates or updates, for the change feed
 * (lib/changes): the transaction it belongs to, so a consumer of the table's stream can regroup
 * what committed together (a stream gives a transaction's items unordered and unrelated).
 */
export interface ChangeStamp {
  /** The committing request's transaction: random, the same on every record it changes. */
  readonly transactionId: string;
  /** How many records the transaction changes (creates, updates and deletes). */
  readonly count: number;
  /** This record's place among them. */
  readonly position: number;
  /** The client whose call it is. */
  readonly clientId: string;
}

/**
 * What a transaction that deletes records says about itself, written in it as an item of its own:
 * a deleted record cannot carry a stamp (a Delete sets nothing), so the change feed finds its
 * transaction here, by the id its delete's mark left on it (DeletionMark.token).
 */
export interface TransactionHeader {
  readonly transactionId: string;
  readonly count: number;
  /** The deleted records and their places among the transaction's changes. */
  readonly deleted: readonly (RecordKey & { readonly position: number })[];
  readonly clientId: string;
  /** Who deleted (the deleted records' write_uid), and when (Odoo datetime text, UTC). */
  readonly userId: number;
  readonly at: string;
  /** Epoch seconds: the table's TTL removes the header then (long after the stream has let go of it). */
  readonly expiresAt: number;
}

export type WriteAction =
  /** Create a record, if no record has its id yet. */
  | { readonly kind: 'create'; readonly key: RecordKey; readonly record: StoredRecord; readonly stamp?: ChangeStamp }
  /** Set some fields of an existing record, if it is still at `expectedVersion`. */
  | {
      readonly kind: 'update';
      readonly key: RecordKey;
      readonly expectedVersion: number;
      readonly set: Readonly<Record<string, StoredValue>>;
      /**
       * The record's whole values once the update is applied (its values at `expectedVersion` with
       * `set` over them): what the store computes the record's index entries from, never `set` alone.
       */
      readonly after: Readonly<Record<string, StoredValue>>;
      /** Its values as read at `expectedVersion` (what lib/records/inverses.ts compares `after` with). */
      readonly before?: Readonly<Record<string, StoredValue>>;
      /**
       * Also require that no delete holds a mark on it still valid at this time (epoch ms), as a
       * 'check' does: set on a record updated because a new reference to it is written (a parent
       * whose one2many list gains the child).
       */
      readonly unmarkedAt?: number;
      readonly stamp?: ChangeStamp;
    }
  /**
   * Append ids to one2many lists of an existing record and move its version on, at whatever
   * version it is (so writers adding children to one parent at once do not refuse each other), if
   * no delete holds a mark on it still valid at `now` (epoch ms), as a 'check' demands. Touches no
   * other value, so no index entry (lib/records/inverses.ts: a parent gaining children).
   */
  | {
      readonly kind: 'append';
      readonly key: RecordKey;
      readonly lists: Readonly<Record<string, readonly number[]>>;
      readonly now: number;
      readonly stamp?: ChangeStamp;
      /** Values it must still hold (Holding). */
      readonly holding?: Holding;
    }
  /** Delete a record, if it is still at `expectedVersion`. */
  | {
      readonly kind: 'delete';
      readonly key: RecordKey;
      readonly expectedVersion: number;
      /** Its values as read (lib/records/inverses.ts: the lists that held it drop it). */
      readonly before?: Readonly<Record<string, StoredValue>>;
    }
  /**
   * Require that a record exists when the transaction commits (a many2one target, say) and that no
   * delete holds a mark on it that is still valid at `now` (epoch ms): a new reference must not
   * point at a record whose delete has already looked for references.
   */
  | { readonly kind: 'check'; readonly key: RecordKey; readonly now: number; readonly holding?: Holding }
  /**
   * Mark a record for deletion (and move its version on by one, so a write that read it before
   * fails), if it is still at `expectedVersion` and holds no mark valid at `now` (epoch ms) but one
   * with the same token.
   */
  | {
      readonly kind: 'mark';
      readonly key: RecordKey;
      readonly expectedVersion: number;
      readonly mark: DeletionMark;
      readonly now: number;
    }
  /** Remove the deletion mark with `token` from a record, if it still holds that one (the version stays). */
  | { readonly kind: 'unmark'; readonly key: RecordKey; readonly token: string }
  /** Record an Idempotency-Key as used, if it is not (or its earlier use expired before `now`, epoch seconds). */
  | { readonly kind: 'claim'; readonly claim: IdempotencyClaim; readonly now: number }
  /** Add to counters of the usage table, unconditionally: the call's count in the usage ledger (lib/metering). */
  | { readonly kind: 'count'; readonly increment: CounterIncrement }
  /** Write the header of a transaction that deletes records (TransactionHeader). */
  | { readonly kind: 'header'; readonly header: TransactionHeader };

/** The Update of `record`, read at its current version, that sets `set` on it. */
export function updateAction(
  record: StoredRecord,
  set: Readonly<Record<string, StoredValue>>,
): Extract<WriteAction, { kind: 'update' }> {
  return {
    kind: 'update',
    key: { model: record.model, id: record.id },
    expectedVersion: record.version,
    set,
    after: Object.assign(Object.create(null) as Record<string, StoredValue>, record.values, set),
    before: record.values,
  };
}

/** The Delete of `record`, read at its current version. */
export function deleteAction(record: StoredRecord): Extract<WriteAction, { kind: 'delete' }> {
  return {
    kind: 'delete',
    key: { model: record.model, id: record.id },
    expectedVersion: record.version,
    before: record.values,
  };
}

/** One entry of a declared field index (lib/indexes/keys.ts): its partition and sort keys. */
export interface IndexEntry {
  readonly partition: string;
  readonly sort: string;
}

/**
 * A record's entries in the declared field indexes, one per slot (null: none in that slot), and,
 * for a model with an `active` field, whether it is active (so a count can leave archived ones out).
 */
export interface IndexState {
  readonly entries: readonly (IndexEntry | null)[];
  readonly active?: boolean;
  /** Its key in its model's order index (lib/indexes/order.ts), for a model that has one. */
  readonly order?: string;
  /** Its keys in its model's sorted slots (lib/indexes/order.ts sortedFields), slot 1 first; absent: none. */
  readonly sorted?: readonly string[];
}

/** The index entries of a record as it is whole (lib/indexes): given to the store, which writes them with it. */
export type Indexer = (record: Pick<StoredRecord, 'model' | 'id' | 'values'>) => IndexState | undefined;

/** Which entries of one index slot a lookup reads: a key prefix, or a range of keys (both ends included). */
export type IndexRange =
  | { readonly kind: 'prefix'; readonly prefix: string }
  | { readonly kind: 'between'; readonly from: string; readonly to: string };

/** An entry a lookup read: the record's id and the entry's sort key. */
export interface IndexHit {
  readonly id: number;
  readonly sort: string;
}

export interface IndexQuery {
  /** 1..the number of slots. */
  readonly slot: number;
  /** The partitions of the field's entries (all of them are read). */
  readonly partitions: readonly string[];
  readonly range: IndexRange;
  /** Only the entries of active records. */
  readonly activeOnly?: boolean;
}

/**
 * An addition to counters of one item of the usage table (lib/metering/windows.ts names them): the
 * usage ledger's count of a write, committed in the write's own transaction, so a write is counted
 * exactly when it committed.
 */
export interface CounterIncrement {
  readonly key: { readonly pk: string; readonly sk: string };
  /** Attribute name -> the number to add (negative to take away). */
  readonly adds: Readonly<Record<string, number>>;
  /** Epoch seconds: the table's TTL removes the item then. */
  readonly expiresAt: number;
}

/** A transaction's outcome per action: the reasons a TransactionCancelledError (lib/errors) carries. */
export type { CancellationReason };

/**
 * A used Idempotency-Key (lib/object-api/keyed-call.ts): which records its request wrote, and which
 * request it was. Claimed in the request's own transaction, so it exists exactly when the write did.
 */
export interface IdempotencyClaim {
  /** A hash of the client and the key: one client's keys never meet another's. */
  readonly id: string;
  /** A hash of the request's method, path, query, media type and body. */
  readonly fingerprint: string;
  readonly model: string;
  /** The record a create made, or the records a write or an unlink named. */
  readonly recordIds: readonly number[];
  /** Epoch seconds; the claim counts as absent from then on (and DynamoDB's TTL removes it). */
  readonly expiresAt: number;
}

/** What a request carries to claim its key: the claim without the records, known at the commit. */
export type PendingClaim = Omit<IdempotencyClaim, 'model' | 'recordIds'>;

export interface RecordStore {
  /** The records that exist among `keys`, by recordKeyString(); `consistent` for read-your-writes. */
  getMany(keys: readonly RecordKey[], options: { consistent: boolean }): Promise<Map<string, StoredRecord>>;
  /** All actions or none. Throws TransactionCancelledError when a condition or a conflict cancels it. */
  transact(actions: readonly WriteAction[]): Promise<void>;
  /**
   * Creates or replaces whole records without conditions (demo data and bulk loads only), and
   * moves each model's id sequence past the highest id loaded.
   */
  putMany(records: readonly StoredRecord[]): Promise<void>;
  /**
   * Up to `limit` records of `model` with ids above `afterId`, in id order: one page of a walk
   * through the whole model that costs the same at any depth (the next page starts after the last
   * id). Reads the model's index only, never the whole table.
   */
  listModel(model: string, options: { afterId: number; limit: number }): Promise<StoredRecord[]>;
  /**
   * Up to `limit` records of `model` in its order index's key order (IndexState.order; backward:
   * the reverse), after the key `afterKey` (exclusive; undefined: from the first), each with its
   * key: one page of a walk in the model's order that costs the same at any depth. Only models
   * with an order index have records in it. Eventually consistent, as every secondary index.
   */
  listInOrder(
    model: string,
    options: { afterKey?: string | undefined; limit: number; backward?: boolean },
  ): Promise<{ record: StoredRecord; key: string }[]>;
  /**
   * Up to `limit` ids of `model` in the key order of its sorted `slot` (IndexState.sorted; backward:
   * the reverse), after the key `afterKey` (exclusive), each with its key: one page of a walk in a
   * sorted field's order. Only keys come back (the caller reads the records it keeps); eventually
   * consistent, as every secondary index.
   */
  listSorted(
    model: string,
    slot: number,
    options: { afterKey?: string | undefined; limit: number; backward?: boolean },
  ): Promise<{ id: number; key: string }[]>;
  /**
   * Gives up to `limit` records of `model` with ids above `afterId` (in id order) the index entries
   * their whole state has where they differ from those they hold, each write conditioned on the
   * version read (a record changed meanwhile is read again): one page of the custom indexes'
   * builder (lib/indexes/build.ts). Answers the last id done (undefined: none left), how many
   * records it read and how many it rewrote.
   */
  reindexModel(
    model: string,
    options: { afterId: number; limit: number },
  ): Promise<{ lastId: number | undefined; read: number; written: number }>;
  /**
   * Every record of `model`, in no particular order, handed to `visit` page by page: the model's
   * index shards read in parallel, for work that needs all of them (counts, sub-searches).
   */
  scanModel(model: string, visit: (records: readonly StoredRecord[]) => void): Promise<void>;
  /**
   * How many records `model` has (with `whereTrue`, those whose field of that name is true),
   * counted by DynamoDB on the model's index: the records are read there, only the counts come back.
   */
  countModel(model: string, options?: { whereTrue?: string }): Promise<number>;
  /**
   * The entries `query` selects (each its record's id and its sort key), at most `limit` of them
   * (`complete` false when there are more), in no particular order. Indexes are eventually
   * consistent: an entry may lag its record by a moment, so a caller reads the records themselves
   * before trusting them.
   */
  queryIndex(query: IndexQuery, options: { limit: number }): Promise<{ entries: IndexHit[]; complete: boolean }>;
  /**
   * Per partition of `query` (in its order), its first `share` entries in the range, in key order
   * (backward: from the last), each as its record's id and its sort key, and whether the partition
   * may hold more: one step of a walk through a lookup in key order.
   */
  queryIndexShares(
    query: IndexQuery,
    share: number,
    options?: { backward?: boolean },
  ): Promise<{ entries: IndexHit[]; more: boolean }[]>;
  /** How many entries `query` selects, counted by DynamoDB (only the count comes back). */
  countIndex(query: IndexQuery): Promise<number>;
  /**
   * Whether every record has its entries in the declared indexes as they are now declared (the
   * reindex command marks the table when it has written them all): until then a lookup could miss
   * records written before, so searches walk the model.
   */
  indexesReady(): Promise<boolean>;
  /** The claim of an Idempotency-Key, expired or not; read consistently. */
  getClaim(id: string): Promise<IdempotencyClaim | undefined>;
  /**
   * `count` new ids for `model`, never handed out before (an atomic counter per model). An SDK
   * retry of the increment after a lost answer gets the same ids, not a second range.
   */
  reserveIds(model: string, count: number): Promise<IdReservation>;
  /**
   * Gives a reservation's ids back to the sequence if it still ends at them (every later
   * reservation was given back too); true if it did. Only for ids no record holds: a create that
   * failed before it wrote.
   */
  releaseIds(reservation: IdReservation): Promise<boolean>;
  /** Moves the model's id sequence up to `atLeast` if it is below (ids below it are spoken for). */
  raiseSequence(model: string, atLeast: number): Promise<void>;
}

/**
 * How many shards a model's index is split into: a walk of one model (listModel, scanModel,
 * countModel) queries each of them, which is what a request's budget counts (budget.ts).
 */
export const MODEL_INDEX_SHARDS = 16;

/** The most actions one DynamoDB transaction can carry. */
export const MAX_TRANSACTION_ACTIONS = 100;

/**
 * Values a record checked or appended to must still hold when the transaction commits: what the
 * transaction computed from it (a contact's complete_name from its company's name: complete-names.ts).
 * NULL stands for a field with no value.
 */
export type Holding = Readonly<Record<string, StoredValue>>;

/** Whether `values` hold `holding` (a field with no value holds NULL). */
export function holds(values: Readonly<Record<string, StoredValue>>, holding: Holding | undefined): boolean {
  return Object.entries(holding ?? {}).every(
    ([field, value]) => JSON.stringify(values[field] ?? null) === JSON.stringify(value ?? null),
  );
}

export function recordKeyString(key: RecordKey): string {
  return `${key.model}#${key.id}`;
}
