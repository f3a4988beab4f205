/**
 * RecordStore over DynamoDB. Params builders are pure and exported for tests; the class only sends.
 *
 * Item layout (table RECORDS_TABLE, partition key `pk`):
 *   pk      "res.partner#17"   one partition per record, so a model has no hot key
 *   model   "res.partner"      id 17
 *   shard   "res.partner#1"    the byModel index's partition key (id mod 16): lists a model without a scan
 *   version 3                  optimistic lock, +1 per write
 *   v       { name: ..., ... } the field values, under one map so field names never meet ours
 *   deleting, deletingBy       while a delete is under way: its mark's expiry (epoch ms) and token (the
 *                              deleting request's transaction id)
 *   tx { id, n, i, c }         the change stamp of the write that last created or updated it (records/port.ts
 *                              ChangeStamp): transaction id, its record count, this record's place, the client
 *   x1p, x1s .. x10p, x10s     its entries in the field indexes (lib/indexes/keys.ts; 9 and 10: custom fields'),
 *                              the keys of the global secondary indexes ix1..ix10, computed from the whole
 *                              record on every write
 *   a                          true/false: the record is active (models with an `active` field), projected
 *                              into ix1..ix10 so DynamoDB can count active records only
 * Beside the records, in no model's index (they have no shard):
 *   "sequence#res.partner"     a model's id counter: next, and the token of the reservation that last moved it up
 *   "idempotency#<sha-256>"    an Idempotency-Key's claim: fingerprint, model, recordIds, expiresAt (TTL)
 *   "txn#<transaction id>"     a deleting transaction's header (TransactionHeader): count, deleted [[model, id,
 *                              position]], client, uid, at, expiresAt (TTL)
 *   "indexes#<layout id>"      the reindex command's mark: every record has its entries in the indexes as
 *                              declared (lib/indexes/indexer.ts layoutIdOf); searches use them from then on
 */
import { randomUUID } from 'node:crypto';
import type {
  BatchWriteCommandInput,
  DeleteCommandInput,
  DynamoDBDocumentClient,
  PutCommandInput,
  QueryCommandInput,
  QueryCommandOutput,
  TransactWriteCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  ScanCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  MODEL_INDEX_SHARDS,
  recordKeyString,
  type CancellationReason,
  type IdempotencyClaim,
  type IdReservation,
  type RecordKey,
  type RecordStore,
  type StoredRecord,
  type StoredValue,
  type TransactionHeader,
  type WriteAction,
  type ChangeStamp,
  type Holding,
  type Indexer,
  type IndexHit,
  type IndexQuery,
  type IndexState,
} from '../../records/port';
import { shippedIndexer, shippedLayoutId } from '../../indexes/indexer';
import { INDEX_SLOTS } from '../../indexes/keys';
import { MAX_SORTED_SLOTS } from '../../indexes/order';
import { compareCodePoints } from '../../wire/code-points';
import { ServiceUnavailableError, TransactionCancelledError } from '../../errors';
import { isConditionFailure, translateStoreError } from './client';
import { buildCounterAddParams } from './usage-table';

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
const UNPROCESSED_RETRIES = 5;

type Item = Record<string, unknown>;

export function recordItemKey(key: RecordKey): { pk: string } {
  return { pk: recordKeyString(key) };
}

export function shardOf(key: RecordKey): string {
  return `${key.model}#${key.id % MODEL_INDEX_SHARDS}`;
}

/** The global secondary index of a declared field index slot (1..INDEX_SLOTS), and its key attributes. */
export const indexName = (slot: number) => `ix${slot}`;
export const indexPartitionAttribute = (slot: number) => `x${slot}p`;
export const indexSortAttribute = (slot: number) => `x${slot}s`;
/** The record's active flag, projected into the field indexes. */
export const ACTIVE_ATTRIBUTE = 'a';
/**
 * The order index (lib/indexes/order.ts): its partitions are the model's shards (the `shard`
 * attribute every record has), its sort key this attribute, which only models with an order have.
 */
export const ORDER_INDEX = 'byOrder';
export const ORDER_SORT_ATTRIBUTE = 'os';
/**
 * A sorted field's index (lib/indexes/order.ts sortedFields), per sorted slot: on the model's
 * shards too, sort key `os<slot>`; keys only (a walk reads the records it keeps, consistently).
 */
export const sortedIndexName = (slot: number) => `bySorted${slot}`;
export const sortedSortAttribute = (slot: number) => `os${slot}`;
const SORTED_ATTRIBUTES = Array.from({ length: MAX_SORTED_SLOTS }, (_, i) => sortedSortAttribute(i + 1));

/** A record's index entries as item attributes (slots without an entry have none). */
export function indexAttributes(state: IndexState | undefined): Item {
  const attributes: Item = {};
  state?.entries.forEach((entry, position) => {
    if (!entry) return;
    attributes[indexPartitionAttribute(position + 1)] = entry.partition;
    attributes[indexSortAttribute(position + 1)] = entry.sort;
  });
  if (state?.active !== undefined) attributes[ACTIVE_ATTRIBUTE] = state.active;
  if (state?.order !== undefined) attributes[ORDER_SORT_ATTRIBUTE] = state.order;
  state?.sorted?.forEach((key, position) => (attributes[sortedSortAttribute(position + 1)] = key));
  return attributes;
}

export function toItem(record: StoredRecord, indexer: Indexer = shippedIndexer): Item {
  return {
    ...recordItemKey(record),
    model: record.model,
    id: record.id,
    shard: shardOf(record),
    version: record.version,
    v: record.values,
    ...indexAttributes(indexer(record)),
  };
}

export function fromItem(item: Item): StoredRecord {
  const values = Object.assign(
    Object.create(null) as Record<string, StoredValue>,
    item.v as Record<string, StoredValue>,
  );
  const record = { model: String(item.model), id: Number(item.id), version: Number(item.version), values };
  if (item.deleting === undefined) return record;
  return { ...record, deleting: { until: Number(item.deleting), token: String(item.deletingBy) } };
}

/** Names every attribute through a counter placeholder; field names are client data. */
class ExpressionNames {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  #next = 0;

  name(attribute: string): string {
    const placeholder = `#n${this.#next++}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${this.#next++}`;
    this.values[placeholder] = value;
    return placeholder;
  }
}

/** The conditions that the record still holds `holding` (port.ts Holding): ' AND ...' per field, or nothing. */
function holdingCondition(expr: ExpressionNames, holding: Holding | undefined): string {
  const v = holding && Object.keys(holding).length > 0 ? expr.name('v') : '';
  return Object.entries(holding ?? {})
    .map(([field, value]) => {
      const path = `${v}.${expr.name(field)}`;
      return value === null
        ? ` AND (attribute_not_exists(${path}) OR ${path} = ${expr.value(null)})`
        : ` AND ${path} = ${expr.value(value)}`;
    })
    .join('');
}

/** A change stamp as the item's `tx` attribute: short names, since every record carries one. */
export function stampAttribute(stamp: ChangeStamp): Item {
  return { id: stamp.transactionId, n: stamp.count, i: stamp.position, c: stamp.clientId };
}

/** The Update of one record: its changed fields and version+1, if still at the expected version. */
export function buildUpdateParams(
  table: string,
  action: Extract<WriteAction, { kind: 'update' }>,
  indexer: Indexer = shippedIndexer,
): UpdateCommandInput & { UpdateExpression: string } {
  const expr = new ExpressionNames();
  const v = expr.name('v');
  const version = expr.name('version');
  const sets = Object.entries(action.set).map(([field, value]) => `${v}.${expr.name(field)} = ${expr.value(value)}`);
  sets.push(`${version} = ${expr.value(action.expectedVersion + 1)}`);
  if (action.stamp) sets.push(`${expr.name('tx')} = ${expr.value(stampAttribute(action.stamp))}`);
  // The index entries of the record as the update leaves it, whole: every slot set or removed.
  const removes: string[] = [];
  const state = indexer({ ...action.key, values: action.after });
  state?.entries.forEach((entry, position) => {
    const keys = [indexPartitionAttribute(position + 1), indexSortAttribute(position + 1)];
    if (!entry) removes.push(...keys.map((key) => expr.name(key)));
    else {
      const [partition, sort] = keys as [string, string];
      sets.push(`${expr.name(partition)} = ${expr.value(entry.partition)}`);
      sets.push(`${expr.name(sort)} = ${expr.value(entry.sort)}`);
    }
  });
  if (state?.active !== undefined) sets.push(`${expr.name(ACTIVE_ATTRIBUTE)} = ${expr.value(state.active)}`);
  if (state?.order !== undefined) sets.push(`${expr.name(ORDER_SORT_ATTRIBUTE)} = ${expr.value(state.order)}`);
  state?.sorted?.forEach((key, position) =>
    sets.push(`${expr.name(sortedSortAttribute(position + 1))} = ${expr.value(key)}`),
  );
  let condition = `${version} = ${expr.value(action.expectedVersion)}`;
  if (action.unmarkedAt !== undefined) {
    const deleting = expr.name('deleting');
    condition += ` AND (attribute_not_exists(${deleting}) OR ${deleting} <= ${expr.value(action.unmarkedAt)})`;
  }
  return {
    TableName: table,
    Key: recordItemKey(action.key),
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: expr.names,
    ExpressionAttributeValues: expr.values,
  };
}

/** Appends ids to lists of a record and moves its version on, if it exists and no delete's mark holds it. */
export function buildAppendParams(
  table: string,
  action: Extract<WriteAction, { kind: 'append' }>,
): UpdateCommandInput & { UpdateExpression: string } {
  const expr = new ExpressionNames();
  const v = expr.name('v');
  const version = expr.name('version');
  const empty = expr.value([]);
  const sets = Object.entries(action.lists).map(([field, ids]) => {
    const path = `${v}.${expr.name(field)}`;
    return `${path} = list_append(if_not_exists(${path}, ${empty}), ${expr.value(ids)})`;
  });
  sets.push(`${version} = ${version} + ${expr.value(1)}`);
  if (action.stamp) sets.push(`${expr.name('tx')} = ${expr.value(stampAttribute(action.stamp))}`);
  const deleting = expr.name('deleting');
  return {
    TableName: table,
    Key: recordItemKey(action.key),
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression:
      `attribute_exists(${expr.name('pk')}) AND (attribute_not_exists(${deleting}) OR ${deleting} <= ${expr.value(action.now)})` +
      holdingCondition(expr, action.holding),
    ExpressionAttributeNames: expr.names,
    ExpressionAttributeValues: expr.values,
  };
}

/** Deletes a record, if it is still at the version that was read. */
export function buildDeleteParams(
  table: string,
  action: Extract<WriteAction, { kind: 'delete' }>,
): DeleteCommandInput & { ConditionExpression: string } {
  return {
    TableName: table,
    Key: recordItemKey(action.key),
    ConditionExpression: '#version = :expected',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':expected': action.expectedVersion },
  };
}

/** A new record, if its id is free. */
export function buildCreateParams(
  table: string,
  action: Extract<WriteAction, { kind: 'create' }>,
  indexer: Indexer = shippedIndexer,
): PutCommandInput & { Item: Item } {
  const item = toItem(action.record, indexer);
  if (action.stamp) item.tx = stampAttribute(action.stamp);
  return { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' };
}

/** The item of a transaction's header: outside every model's index, removed by the TTL. */
export function headerKey(transactionId: string): { pk: string } {
  return { pk: `txn#${transactionId}` };
}

export function buildHeaderParams(
  table: string,
  { header }: Extract<WriteAction, { kind: 'header' }>,
): PutCommandInput {
  return {
    TableName: table,
    Item: {
      ...headerKey(header.transactionId),
      count: header.count,
      deleted: header.deleted.map(({ model, id, position }) => [model, id, position]),
      client: header.clientId,
      uid: header.userId,
      at: header.at,
      expiresAt: header.expiresAt,
    },
  };
}

export function headerFromItem(item: Item): TransactionHeader {
  const deleted = Array.isArray(item.deleted) ? (item.deleted as unknown[][]) : [];
  return {
    transactionId: String(item.pk).slice('txn#'.length),
    count: Number(item.count),
    deleted: deleted.map(([model, id, position]) => ({
      model: String(model),
      id: Number(id),
      position: Number(position),
    })),
    clientId: String(item.client),
    userId: Number(item.uid),
    at: String(item.at),
    expiresAt: Number(item.expiresAt),
  };
}

/**
 * A referenced record must exist and hold no deletion mark valid at `now`: a record whose delete
 * has started cannot gain a reference (its delete may have looked for them already).
 */
export function buildCheckParams(
  table: string,
  action: Extract<WriteAction, { kind: 'check' }>,
): {
  TableName: string;
  Key: { pk: string };
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  const expr = new ExpressionNames();
  const holding = holdingCondition(expr, action.holding);
  return {
    TableName: table,
    Key: recordItemKey(action.key),
    ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(#deleting) OR #deleting <= :now)${holding}`,
    ExpressionAttributeNames: { '#deleting': 'deleting', ...expr.names },
    ExpressionAttributeValues: { ':now': action.now, ...expr.values },
  };
}

/**
 * A delete's mark on a record and its version+1, if the record is still at the version read and
 * no other delete holds a valid mark on it (this request's own earlier mark may be renewed).
 */
export function buildMarkParams(
  table: string,
  action: Extract<WriteAction, { kind: 'mark' }>,
): UpdateCommandInput & { UpdateExpression: string } {
  return {
    TableName: table,
    Key: recordItemKey(action.key),
    UpdateExpression: 'SET #deleting = :until, #deletingBy = :token, #version = :next',
    ConditionExpression:
      '#version = :expected AND (attribute_not_exists(#deleting) OR #deleting <= :now OR #deletingBy = :token)',
    ExpressionAttributeNames: { '#deleting': 'deleting', '#deletingBy': 'deletingBy', '#version': 'version' },
    ExpressionAttributeValues: {
      ':until': action.mark.until,
      ':token': action.mark.token,
      ':next': action.expectedVersion + 1,
      ':expected': action.expectedVersion,
      ':now': action.now,
    },
  };
}

/** Removes a delete's mark, if the record still holds that mark (whatever its version now). */
export function buildUnmarkParams(
  table: string,
  action: Extract<WriteAction, { kind: 'unmark' }>,
): UpdateCommandInput & { UpdateExpression: string } {
  return {
    TableName: table,
    Key: recordItemKey(action.key),
    UpdateExpression: 'REMOVE #deleting, #deletingBy',
    ConditionExpression: '#deletingBy = :token',
    ExpressionAttributeNames: { '#deleting': 'deleting', '#deletingBy': 'deletingBy' },
    ExpressionAttributeValues: { ':token': action.token },
  };
}

/**
 * The transaction of `actions`: the records' table, and the usage table for a ledger count (which
 * a store made without `usageTable` cannot commit: a bug in its wiring).
 */
export function buildTransactWriteParams(
  table: string,
  actions: readonly WriteAction[],
  usageTable?: string,
  indexer: Indexer = shippedIndexer,
): TransactWriteCommandInput {
  return {
    TransactItems: actions.map((action) => {
      switch (action.kind) {
        case 'check':
          return { ConditionCheck: buildCheckParams(table, action) };
        case 'mark':
          return { Update: buildMarkParams(table, action) };
        case 'unmark':
          return { Update: buildUnmarkParams(table, action) };
        case 'create':
          return { Put: buildCreateParams(table, action, indexer) };
        case 'update':
          return { Update: buildUpdateParams(table, action, indexer) };
        case 'append':
          return { Update: buildAppendParams(table, action) };
        case 'delete':
          return { Delete: buildDeleteParams(table, action) };
        case 'claim':
          return { Put: buildClaimParams(table, action) };
        case 'count':
          if (usageTable === undefined) throw new Error('a ledger count to commit, and no usage table');
          return { Update: buildCounterAddParams(usageTable, action.increment) };
        case 'header':
          return { Put: buildHeaderParams(table, action) };
      }
    }),
  };
}

/**
 * An Idempotency-Key's claim (lib/object-api/keyed-call.ts): an item of its own, outside every model's index
 * (no shard), removed by the table's TTL on `expiresAt`. Claimable again once expired.
 */
export function claimKey(id: string): { pk: string } {
  return { pk: `idempotency#${id}` };
}

export function buildClaimParams(
  table: string,
  { claim, now }: Extract<WriteAction, { kind: 'claim' }>,
): PutCommandInput {
  return {
    TableName: table,
    Item: {
      ...claimKey(claim.id),
      fingerprint: claim.fingerprint,
      model: claim.model,
      recordIds: [...claim.recordIds],
      expiresAt: claim.expiresAt,
    },
    ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt <= :now',
    ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: { ':now': now },
  };
}

/** One shard of a model in id order, after `afterId`. */
export function buildShardQueryParams(
  table: string,
  shard: string,
  afterId: number,
  limit: number | undefined,
  startKey?: Record<string, unknown>,
): QueryCommandInput {
  return {
    TableName: table,
    IndexName: 'byModel',
    KeyConditionExpression: '#shard = :shard AND #id > :after',
    ExpressionAttributeNames: { '#shard': 'shard', '#id': 'id' },
    ExpressionAttributeValues: { ':shard': shard, ':after': afterId },
    ...(limit === undefined ? {} : { Limit: limit }),
    ...(startKey ? { ExclusiveStartKey: startKey } : {}),
  };
}

/**
 * One shard of a model's order index (lib/indexes/order.ts), or of a sorted slot's index (`slot`
 * 1..), from after the key `afterKey` (exclusive; undefined: from its start), forward or backward.
 * Only records of models with that order are in it (the sort key attribute is theirs only).
 */
export function buildOrderQueryParams(
  table: string,
  shard: string,
  options: { afterKey?: string | undefined; backward?: boolean; limit?: number; slot?: number },
  startKey?: Record<string, unknown>,
): QueryCommandInput {
  const { afterKey, backward = false, limit, slot = 0 } = options;
  const sortAttribute = slot === 0 ? ORDER_SORT_ATTRIBUTE : sortedSortAttribute(slot);
  return {
    TableName: table,
    IndexName: slot === 0 ? ORDER_INDEX : sortedIndexName(slot),
    KeyConditionExpression:
      afterKey === undefined ? '#shard = :shard' : `#shard = :shard AND #key ${backward ? '<' : '>'} :after`,
    ExpressionAttributeNames: {
      '#shard': 'shard',
      ...(afterKey === undefined ? {} : { '#key': sortAttribute }),
    },
    ExpressionAttributeValues: { ':shard': shard, ...(afterKey === undefined ? {} : { ':after': afterKey }) },
    ScanIndexForward: !backward,
    ...(limit === undefined ? {} : { Limit: limit }),
    ...(startKey ? { ExclusiveStartKey: startKey } : {}),
  };
}

/**
 * The number of records in one shard of a model (Select COUNT: DynamoDB reads them but sends only
 * the count); with `whereTrue`, those whose field of that name is true (the index projects every
 * attribute).
 */
export function buildShardCountParams(
  table: string,
  shard: string,
  whereTrue: string | undefined,
  startKey?: Record<string, unknown>,
): QueryCommandInput {
  const filtered = whereTrue !== undefined;
  return {
    TableName: table,
    IndexName: 'byModel',
    KeyConditionExpression: '#shard = :shard',
    ...(filtered ? { FilterExpression: '#v.#field = :true' } : {}),
    ExpressionAttributeNames: { '#shard': 'shard', ...(filtered ? { '#v': 'v', '#field': whereTrue } : {}) },
    ExpressionAttributeValues: { ':shard': shard, ...(filtered ? { ':true': true } : {}) },
    Select: 'COUNT',
    ...(startKey ? { ExclusiveStartKey: startKey } : {}),
  };
}

/**
 * One partition of a declared field index lookup (lib/indexes): its entries in the key range, the
 * active records' only if asked (the flag is projected into the index); COUNT sends only the number.
 */
export function buildIndexQueryParams(
  table: string,
  query: IndexQuery,
  partition: string,
  options: { count?: boolean; limit?: number; startKey?: Record<string, unknown>; backward?: boolean } = {},
): QueryCommandInput {
  const { slot, range, activeOnly } = query;
  const names: Record<string, string> = { '#p': indexPartitionAttribute(slot), '#s': indexSortAttribute(slot) };
  const values: Record<string, unknown> = { ':p': partition };
  let condition: string;
  if (range.kind === 'prefix') {
    condition = '#p = :p AND begins_with(#s, :prefix)';
    values[':prefix'] = range.prefix;
  } else {
    condition = '#p = :p AND #s BETWEEN :from AND :to';
    values[':from'] = range.from;
    values[':to'] = range.to;
  }
  if (activeOnly) {
    names['#a'] = ACTIVE_ATTRIBUTE;
    values[':true'] = true;
  }
  return {
    TableName: table,
    IndexName: indexName(slot),
    KeyConditionExpression: condition,
    ...(activeOnly ? { FilterExpression: '#a = :true' } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    // The sort key comes back with the id: a walk goes on after it (lib/indexes/plan.ts).
    ...(options.count ? { Select: 'COUNT' } : { ProjectionExpression: 'pk, #s' }),
    ...(options.backward ? { ScanIndexForward: false } : {}),
    ...(options.limit === undefined ? {} : { Limit: options.limit }),
    ...(options.startKey ? { ExclusiveStartKey: options.startKey } : {}),
  };
}

/** An entry a field index lookup read: its record's id (from the item's key) and its sort key. */
function hitOf(item: Record<string, unknown>, sortAttribute: string): IndexHit {
  return { id: idOfKey(String(item.pk)), sort: String(item[sortAttribute]) };
}

/** The item that says every record has its entries in the declared indexes of `layoutId`. */
export function indexesMarkKey(layoutId: string): { pk: string } {
  return { pk: `indexes#${layoutId}` };
}

/** Conditional updates reindexModel has in flight at once. */
const REINDEX_WRITES_AT_ONCE = 25;

/** How long a table found without the mark is taken at its word before asking again. */
const UNMARKED_RECHECK_MS = 10_000;

/**
 * The update that gives a record item the index entries its whole state has, at the version it
 * holds; undefined when it holds them already (the reindex command writes only what differs).
 */
export function buildReindexParams(table: string, item: Item, indexer: Indexer): UpdateCommandInput | undefined {
  const wanted = indexAttributes(indexer(fromItem(item)));
  const names = Array.from({ length: INDEX_SLOTS }, (_, i) => [
    indexPartitionAttribute(i + 1),
    indexSortAttribute(i + 1),
  ]).flat();
  names.push(ACTIVE_ATTRIBUTE, ORDER_SORT_ATTRIBUTE, ...SORTED_ATTRIBUTES);
  if (names.every((name) => item[name] === wanted[name])) return undefined;
  const expr = new ExpressionNames();
  const sets: string[] = [];
  const removes: string[] = [];
  for (const name of names) {
    if (wanted[name] === undefined) {
      if (item[name] !== undefined) removes.push(expr.name(name));
    } else sets.push(`${expr.name(name)} = ${expr.value(wanted[name])}`);
  }
  return {
    TableName: table,
    Key: { pk: item.pk },
    UpdateExpression: [
      sets.length > 0 ? `SET ${sets.join(', ')}` : '',
      removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' '),
    ConditionExpression: `${expr.name('version')} = ${expr.value(item.version)}`,
    ExpressionAttributeNames: expr.names,
    ExpressionAttributeValues: expr.values,
  };
}

/** The record id in a record item's key ("res.partner#17"). */
export function idOfKey(pk: string): number {
  return Number(pk.slice(pk.lastIndexOf('#') + 1));
}

/** The counter item of a model's id sequence; its key cannot be a record's (ids are numbers). */
export function sequenceKey(model: string): { pk: string } {
  return { pk: `sequence#${model}` };
}

/**
 * Reserves `count` ids at once: ADD on the counter, which DynamoDB serialises per item. The
 * counter keeps the token of the reservation that last moved it; the condition makes an SDK retry
 * of this very increment (its first answer lost) fail instead of taking a second range.
 */
export function buildReserveIdsParams(table: string, model: string, count: number, token: string): UpdateCommandInput {
  return {
    TableName: table,
    Key: sequenceKey(model),
    UpdateExpression: 'SET #reservation = :token ADD #next :count',
    ConditionExpression: 'attribute_not_exists(#reservation) OR #reservation <> :token',
    ExpressionAttributeNames: { '#next': 'next', '#reservation': 'reservation' },
    ExpressionAttributeValues: { ':count': count, ':token': token },
    ReturnValues: 'UPDATED_NEW',
  };
}

/**
 * Moves the counter back below a reservation if it still ends there: every id above it was given
 * back already (the counter only goes down by a release of the range at its top), so no id of the
 * range, nor above it, has been handed out to anyone else.
 */
export function buildReleaseIdsParams(table: string, reservation: IdReservation): UpdateCommandInput {
  const first = reservation.ids[0] as number;
  return {
    TableName: table,
    Key: sequenceKey(reservation.model),
    UpdateExpression: 'SET #next = :before',
    ConditionExpression: '#next = :last',
    ExpressionAttributeNames: { '#next': 'next' },
    ExpressionAttributeValues: { ':before': first - 1, ':last': first + reservation.ids.length - 1 },
  };
}

/** Moves a sequence up to `atLeast` if it is below (loaded records took those ids). */
export function buildRaiseSequenceParams(table: string, model: string, atLeast: number): UpdateCommandInput {
  return {
    TableName: table,
    Key: sequenceKey(model),
    UpdateExpression: 'SET #next = :atLeast',
    ConditionExpression: 'attribute_not_exists(#next) OR #next < :atLeast',
    ExpressionAttributeNames: { '#next': 'next' },
    ExpressionAttributeValues: { ':atLeast': atLeast },
  };
}

function reasonOf({ Code: code, Message: message }: { Code?: string; Message?: string } = {}): CancellationReason {
  // An action whose item would pass 400 KB cancels the transaction with a ValidationError reason.
  if (code === 'ValidationError' && /item size/i.test(message ?? '')) return 'too-large';
  switch (code) {
    case undefined:
    case 'None':
    case 'NONE':
      return 'none';
    case 'ConditionalCheckFailed':
      return 'condition';
    case 'TransactionConflict':
      return 'conflict';
    case 'ProvisionedThroughputExceeded':
    case 'ThrottlingError':
    case 'RequestLimitExceeded':
      return 'throttled';
    default:
      return 'other';
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** An action that can go alone as a conditional UpdateItem, DeleteItem or PutItem. */
type SingleWrite = Extract<WriteAction, { kind: 'create' | 'update' | 'append' | 'delete' | 'mark' | 'unmark' }>;

const isSingleWrite = (action: WriteAction): action is SingleWrite =>
  action.kind === 'create' ||
  action.kind === 'update' ||
  action.kind === 'append' ||
  action.kind === 'delete' ||
  action.kind === 'mark' ||
  action.kind === 'unmark';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class DynamoRecordStore implements RecordStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    /** The usage table, where the ledger's counts of writes are committed with them (usage-table.ts). */
    private readonly usageTable?: string,
    /**
     * Each written record's index entries: the shipped models' declared indexes, or (the functions:
     * lib/runtime/container.ts) the catalog's, custom fields' indexes included.
     */
    private readonly indexer: Indexer = shippedIndexer,
    /** The declarations those entries follow (indexesMarkKey). */
    private readonly layoutId: string = shippedLayoutId(),
  ) {}

  /** Once marked, a table stays so (for this store): the mark is read again only while it is missing. */
  #indexesMarked = false;
  #unmarkedSince = -Infinity;

  async indexesReady(): Promise<boolean> {
    if (this.#indexesMarked) return true;
    if (Date.now() - this.#unmarkedSince < UNMARKED_RECHECK_MS) return false;
    let item: Item | undefined;
    try {
      item = (await this.client.send(new GetCommand({ TableName: this.table, Key: indexesMarkKey(this.layoutId) })))
        .Item;
    } catch (error) {
      return translateStoreError(error);
    }
    this.#indexesMarked = item !== undefined;
    if (!this.#indexesMarked) this.#unmarkedSince = Date.now();
    return this.#indexesMarked;
  }

  /** Marks the table: every record has its entries (the reindex command, and a table just created). */
  async markIndexesReady(): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...indexesMarkKey(this.layoutId), at: new Date().toISOString() },
        }),
      );
    } catch (error) {
      translateStoreError(error);
    }
    this.#indexesMarked = true;
  }

  async getMany(
    keys: readonly RecordKey[],
    { consistent }: { consistent: boolean },
  ): Promise<Map<string, StoredRecord>> {
    const unique = [...new Map(keys.map((k) => [recordKeyString(k), k] as const)).values()];
    const found = new Map<string, StoredRecord>();
    await this.#batchGet(unique.map(recordItemKey), consistent, (item) => {
      const record = fromItem(item);
      found.set(recordKeyString(record), record);
    });
    return found;
  }

  /**
   * The items of `keys` that exist, each handed to `onItem`: BatchGetItem in chunks of 100 sent in
   * parallel (one sequential round trip whatever the number of keys), unprocessed keys sent again.
   */
  async #batchGet(keys: readonly Item[], consistent: boolean, onItem: (item: Item) => void): Promise<void> {
    await Promise.all(chunks(keys, BATCH_GET_LIMIT).map((chunk) => this.#batchGetChunk(chunk, consistent, onItem)));
  }

  async #batchGetChunk(keys: readonly Item[], consistent: boolean, onItem: (item: Item) => void): Promise<void> {
    let pending: Item[] = [...keys];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > UNPROCESSED_RETRIES) throw new ServiceUnavailableError(1);
      if (attempt > 0) await sleep(backoffMs(attempt));
      let response;
      try {
        response = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: consistent } } }),
        );
      } catch (error) {
        translateStoreError(error);
      }
      for (const item of response.Responses?.[this.table] ?? []) onItem(item);
      pending = (response.UnprocessedKeys?.[this.table]?.Keys as Item[] | undefined) ?? [];
    }
  }

  async transact(actions: readonly WriteAction[]): Promise<void> {
    const [only] = actions;
    // One record and nothing to check: a conditional UpdateItem/PutItem is just as atomic, at half
    // the write cost of a transaction (AWS bills each transactional write twice).
    if (actions.length === 1 && only && isSingleWrite(only)) return this.#writeOne(only);
    try {
      await this.client.send(
        new TransactWriteCommand(buildTransactWriteParams(this.table, actions, this.usageTable, this.indexer)),
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'TransactionCanceledException') {
        const reasons =
          (error as { CancellationReasons?: Array<{ Code?: string; Message?: string }> }).CancellationReasons ?? [];
        throw new TransactionCancelledError(
          actions.map((_, i) => reasonOf(reasons[i])),
          { cause: error },
        );
      }
      translateStoreError(error);
    }
  }

  async #writeOne(action: SingleWrite): Promise<void> {
    try {
      if (action.kind === 'update')
        await this.client.send(new UpdateCommand(buildUpdateParams(this.table, action, this.indexer)));
      else if (action.kind === 'append')
        await this.client.send(new UpdateCommand(buildAppendParams(this.table, action)));
      else if (action.kind === 'mark') await this.client.send(new UpdateCommand(buildMarkParams(this.table, action)));
      else if (action.kind === 'unmark')
        await this.client.send(new UpdateCommand(buildUnmarkParams(this.table, action)));
      else if (action.kind === 'delete')
        await this.client.send(new DeleteCommand(buildDeleteParams(this.table, action)));
      else await this.client.send(new PutCommand(buildCreateParams(this.table, action, this.indexer)));
    } catch (error) {
      if (isConditionFailure(error)) {
        // A single write has no idempotency token (a transaction has): when the SDK retried it
        // after a lost answer, the condition may have failed on this very write's first attempt.
        const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
        if (attempts > 1 && (await this.#alreadyWritten(action))) return;
        // The same outcome the core handles for a transaction: this action's condition failed.
        throw new TransactionCancelledError(['condition'], { cause: error });
      }
      // A transaction holding this item makes a plain write fail this way: a conflict, retried.
      if (error instanceof Error && error.name === 'TransactionConflictException')
        throw new TransactionCancelledError(['conflict'], { cause: error });
      translateStoreError(error);
    }
  }

  /** Whether the item is exactly what `action` makes of it (its earlier attempt got through). */
  async #alreadyWritten(action: SingleWrite): Promise<boolean> {
    let item: Item | undefined;
    try {
      item = (
        await this.client.send(
          new GetCommand({ TableName: this.table, Key: recordItemKey(action.key), ConsistentRead: true }),
        )
      ).Item;
    } catch (error) {
      return translateStoreError(error);
    }
    // The item as the Put wrote it, change stamp included.
    if (action.kind === 'create') return sameData(item, buildCreateParams(this.table, action, this.indexer).Item);
    if (action.kind === 'delete') return item === undefined;
    if (action.kind === 'mark')
      return item?.version === action.expectedVersion + 1 && item.deletingBy === action.mark.token;
    if (action.kind === 'unmark') return item?.deletingBy !== action.token;
    // An append moves no version it could be recognised by: its transaction's stamp, if it carries one.
    if (action.kind === 'append')
      return action.stamp !== undefined && (item?.tx as Item | undefined)?.id === action.stamp.transactionId;
    const values = (item?.v ?? {}) as Item;
    return (
      item?.version === action.expectedVersion + 1 &&
      Object.entries(action.set).every(([field, value]) => sameData(values[field], value))
    );
  }

  async listModel(model: string, { afterId, limit }: { afterId: number; limit: number }): Promise<StoredRecord[]> {
    return (await this.#modelPage(model, afterId, limit)).map(fromItem);
  }

  /** The items of up to `limit` records of `model` after `afterId`, in id order (the model's index, merged). */
  #modelPage(model: string, afterId: number, limit: number): Promise<Item[]> {
    return this.#mergeShards(
      model,
      afterId,
      limit,
      (shard, after, share) => this.#queryShard(buildShardQueryParams(this.table, shard, after, share), share),
      (item) => Number(item.id),
      (a, b) => a - b,
    );
  }

  async reindexModel(
    model: string,
    { afterId, limit }: { afterId: number; limit: number },
  ): Promise<{ lastId: number | undefined; read: number; written: number }> {
    // The model's index projects every attribute: the entries an item holds are compared as read.
    const items = await this.#modelPage(model, afterId, limit);
    // A few writes at a time: the builder runs beside the traffic, and a page's 500 at once is a burst.
    let written = 0;
    for (let at = 0; at < items.length; at += REINDEX_WRITES_AT_ONCE) {
      const done = await Promise.all(
        items.slice(at, at + REINDEX_WRITES_AT_ONCE).map((item) => this.#reindexItem(item)),
      );
      written += done.filter(Boolean).length;
    }
    const last = items.at(-1);
    return {
      lastId: last === undefined ? undefined : Number(last.id),
      read: items.length,
      written,
    };
  }

  async listInOrder(
    model: string,
    { afterKey, limit, backward = false }: { afterKey?: string | undefined; limit: number; backward?: boolean },
  ): Promise<{ record: StoredRecord; key: string }[]> {
    const direction = backward ? -1 : 1;
    const page = await this.#mergeShards<string | undefined>(
      model,
      afterKey,
      limit,
      (shard, after, share) =>
        this.#queryShard(buildOrderQueryParams(this.table, shard, { afterKey: after, backward, limit: share }), share),
      (item) => String(item[ORDER_SORT_ATTRIBUTE]),
      // DynamoDB orders string keys by their UTF-8 bytes: by code point.
      (a, b) => direction * compareCodePoints(a as string, b as string),
    );
    return page.map((item) => ({ record: fromItem(item), key: String(item[ORDER_SORT_ATTRIBUTE]) }));
  }

  async listSorted(
    model: string,
    slot: number,
    { afterKey, limit, backward = false }: { afterKey?: string | undefined; limit: number; backward?: boolean },
  ): Promise<{ id: number; key: string }[]> {
    const direction = backward ? -1 : 1;
    const sortAttribute = sortedSortAttribute(slot);
    const page = await this.#mergeShards<string | undefined>(
      model,
      afterKey,
      limit,
      (shard, after, share) =>
        this.#queryShard(
          buildOrderQueryParams(this.table, shard, { afterKey: after, backward, limit: share, slot }),
          share,
        ),
      (item) => String(item[sortAttribute]),
      (a, b) => direction * compareCodePoints(a as string, b as string),
    );
    return page.map((item) => ({ id: idOfKey(String(item.pk)), key: String(item[sortAttribute]) }));
  }

  /**
   * Up to `limit` items of a model's shards in one order, after `after`: each shard keeps its items
   * in that order (an index's sort key). Ask every shard for a fair share at once (one round trip
   * per round) and merge: items up to the least last key of the shards that may hold more are
   * complete; past it, a shard may still hide smaller keys. A round that leaves the page short
   * says the keys are spread unevenly over the shards (a value held by a few of them): the next
   * asks each for twice as many, so such a page takes a round or two more, not one per share.
   */
  async #mergeShards<K>(
    model: string,
    after: K,
    limit: number,
    query: (shard: string, after: K, share: number) => Promise<Item[]>,
    keyOf: (item: Item) => NonNullable<K>,
    compare: (a: NonNullable<K>, b: NonNullable<K>) => number,
  ): Promise<Item[]> {
    const out: Item[] = [];
    let from = after;
    let share = Math.ceil(limit / MODEL_INDEX_SHARDS) + 2;
    while (out.length < limit) {
      const pages = await Promise.all(
        Array.from({ length: MODEL_INDEX_SHARDS }, (_, shard) => query(`${model}#${shard}`, from, share)),
      );
      const lastKeys = pages.filter((page) => page.length === share).map((page) => keyOf(page.at(-1) as Item));
      const bound = lastKeys.reduce<NonNullable<K> | undefined>(
        (least, key) => (least === undefined || compare(key, least) < 0 ? key : least),
        undefined,
      );
      const complete = pages
        .flat()
        .filter((item) => bound === undefined || compare(keyOf(item), bound) <= 0)
        .sort((a, b) => compare(keyOf(a), keyOf(b)));
      out.push(...complete.slice(0, limit - out.length));
      if (bound === undefined) break;
      from = bound;
      share = Math.min(share * 2, limit + 2);
    }
    return out;
  }

  async scanModel(model: string, visit: (records: readonly StoredRecord[]) => void): Promise<void> {
    await this.#eachShardPage(
      model,
      (shard, startKey) => buildShardQueryParams(this.table, shard, 0, undefined, startKey),
      (page) => visit((page.Items ?? []).map(fromItem)),
    );
  }

  async countModel(model: string, { whereTrue }: { whereTrue?: string } = {}): Promise<number> {
    let count = 0;
    await this.#eachShardPage(
      model,
      (shard, startKey) => buildShardCountParams(this.table, shard, whereTrue, startKey),
      (page) => void (count += page.Count ?? 0),
    );
    return count;
  }

  /**
   * Every page of one query on each of the model's index shards, the shards at once. No Limit:
   * DynamoDB's own 1 MB pages, the fewest round trips per shard.
   */
  async #eachShardPage(
    model: string,
    params: (shard: string, startKey: Record<string, unknown> | undefined) => QueryCommandInput,
    onPage: (page: QueryCommandOutput) => void,
  ): Promise<void> {
    await Promise.all(
      Array.from({ length: MODEL_INDEX_SHARDS }, async (_, shard) => {
        let startKey: Record<string, unknown> | undefined;
        do {
          let page;
          try {
            page = await this.client.send(new QueryCommand(params(`${model}#${shard}`, startKey)));
          } catch (error) {
            return translateStoreError(error);
          }
          onPage(page);
          startKey = page.LastEvaluatedKey;
        } while (startKey);
        return undefined;
      }),
    );
  }

  /** Up to `limit` items of one shard query, page after page (a page stops at 1 MB too). */
  async #queryShard(params: QueryCommandInput, limit: number): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      let response;
      try {
        response = await this.client.send(
          new QueryCommand({
            ...params,
            Limit: limit - items.length,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
      } catch (error) {
        return translateStoreError(error);
      }
      items.push(...(response.Items ?? []));
      startKey = response.LastEvaluatedKey;
    } while (startKey && items.length < limit);
    return items;
  }

  async queryIndex(
    query: IndexQuery,
    { limit }: { limit: number },
  ): Promise<{ entries: IndexHit[]; complete: boolean }> {
    const entries: IndexHit[] = [];
    const sortAttribute = indexSortAttribute(query.slot);
    const stopped = await Promise.all(
      query.partitions.map((partition) =>
        this.#eachIndexPage(query, partition, { limit: () => Math.max(1, limit + 1 - entries.length) }, (page) => {
          for (const item of page.Items ?? []) entries.push(hitOf(item, sortAttribute));
          return entries.length <= limit;
        }),
      ),
    );
    if (entries.length > limit) return { entries: entries.slice(0, limit), complete: false };
    return { entries, complete: !stopped.includes(true) };
  }

  async queryIndexShares(
    query: IndexQuery,
    share: number,
    { backward = false }: { backward?: boolean } = {},
  ): Promise<{ entries: IndexHit[]; more: boolean }[]> {
    const sortAttribute = indexSortAttribute(query.slot);
    return Promise.all(
      query.partitions.map(async (partition) => {
        const entries: IndexHit[] = [];
        const options = { limit: () => share - entries.length, backward };
        const more = await this.#eachIndexPage(query, partition, options, (page) => {
          for (const item of page.Items ?? []) entries.push(hitOf(item, sortAttribute));
          return entries.length < share;
        });
        return { entries, more };
      }),
    );
  }

  async countIndex(query: IndexQuery): Promise<number> {
    let count = 0;
    await Promise.all(
      query.partitions.map((partition) =>
        this.#eachIndexPage(query, partition, { count: true }, (page) => {
          count += page.Count ?? 0;
          return true;
        }),
      ),
    );
    return count;
  }

  /**
   * The pages of one partition of a lookup, handed to `onPage` until it returns false or the
   * partition ends; `limit` gives the most entries the next page may hold (none: DynamoDB's 1 MB
   * pages). Returns whether the partition was left before its end (it may hold more).
   */
  async #eachIndexPage(
    query: IndexQuery,
    partition: string,
    options: { count?: boolean; limit?: () => number; backward?: boolean },
    onPage: (page: QueryCommandOutput) => boolean,
  ): Promise<boolean> {
    let startKey: Record<string, unknown> | undefined;
    do {
      let page;
      try {
        const params = buildIndexQueryParams(this.table, query, partition, {
          ...(options.count ? { count: true } : {}),
          ...(options.limit ? { limit: options.limit() } : {}),
          ...(options.backward ? { backward: true } : {}),
          startKey,
        });
        page = await this.client.send(new QueryCommand(params));
      } catch (error) {
        return translateStoreError(error);
      }
      startKey = page.LastEvaluatedKey;
      if (!onPage(page)) return startKey !== undefined;
    } while (startKey);
    return false;
  }

  /**
   * One page of the reindex command (scripts/reindex.ts): the records of one segment of a parallel
   * Scan from `startKey`, each given the entries its whole state has where they differ from those
   * it holds. Each write is conditioned on the version read; a record that changed since was given
   * its entries by that change, and is read again to be sure. Returns where the segment goes on
   * (undefined: done), and how many records it read and rewrote.
   */
  async reindexPage(
    segment: { readonly segment: number; readonly of: number },
    startKey: Record<string, unknown> | undefined,
  ): Promise<{ next: Record<string, unknown> | undefined; scanned: number; written: number }> {
    let page;
    try {
      page = await this.client.send(
        new ScanCommand({
          TableName: this.table,
          Segment: segment.segment,
          TotalSegments: segment.of,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
    } catch (error) {
      return translateStoreError(error);
    }
    const records = (page.Items ?? []).filter((item) => typeof item.shard === 'string' && item.v !== undefined);
    const written = await Promise.all(records.map((item) => this.#reindexItem(item)));
    return {
      next: page.LastEvaluatedKey,
      scanned: records.length,
      written: written.filter(Boolean).length,
    };
  }

  async #reindexItem(item: Item): Promise<boolean> {
    for (let current: Item | undefined = item, attempt = 0; current && attempt < UNPROCESSED_RETRIES; attempt++) {
      const params = buildReindexParams(this.table, current, this.indexer);
      if (!params) return false;
      try {
        await this.client.send(new UpdateCommand(params));
        return true;
      } catch (error) {
        if (!isConditionFailure(error)) return translateStoreError(error);
      }
      try {
        const key: Item = { pk: current.pk };
        current = (await this.client.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true })))
          .Item;
      } catch (error) {
        return translateStoreError(error);
      }
    }
    return false;
  }

  async reserveIds(model: string, count: number): Promise<IdReservation> {
    const token = randomUUID();
    let last: number | undefined;
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand(buildReserveIdsParams(this.table, model, count, token)),
      );
      last = Number(Attributes?.next);
    } catch (error) {
      if (!isConditionFailure(error)) return translateStoreError(error);
      // Only this token's own earlier attempt can fail the condition: its increment got through
      // and its answer was lost. The counter still says so unless another reservation came since.
      last = await this.#lastReservedBy(model, token);
      // Moved on already: that range is lost to us (skipped, never reused); take another.
      if (last === undefined) return this.reserveIds(model, count);
    }
    return { model, token, ids: Array.from({ length: count }, (_, i) => last - count + 1 + i) };
  }

  async #lastReservedBy(model: string, token: string): Promise<number | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.table, Key: sequenceKey(model), ConsistentRead: true }),
      );
      return Item?.reservation === token ? Number(Item.next) : undefined;
    } catch (error) {
      return translateStoreError(error);
    }
  }

  /** The headers of these transactions that exist (the change feed's: lib/changes), read consistently. */
  async getTransactionHeaders(ids: readonly string[]): Promise<Map<string, TransactionHeader>> {
    const headers = new Map<string, TransactionHeader>();
    await this.#batchGet([...new Set(ids)].map(headerKey), true, (item) => {
      const header = headerFromItem(item);
      headers.set(header.transactionId, header);
    });
    return headers;
  }

  async getClaim(id: string): Promise<IdempotencyClaim | undefined> {
    let item: Item | undefined;
    try {
      item = (
        await this.client.send(new GetCommand({ TableName: this.table, Key: claimKey(id), ConsistentRead: true }))
      ).Item;
    } catch (error) {
      return translateStoreError(error);
    }
    if (!item) return undefined;
    const recordIds = Array.isArray(item.recordIds) ? item.recordIds.map(Number) : [];
    return {
      id,
      fingerprint: String(item.fingerprint),
      model: String(item.model),
      recordIds,
      expiresAt: Number(item.expiresAt),
    };
  }

  async releaseIds(reservation: IdReservation): Promise<boolean> {
    if (reservation.ids.length === 0) return false;
    try {
      await this.client.send(new UpdateCommand(buildReleaseIdsParams(this.table, reservation)));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      return translateStoreError(error);
    }
  }

  async raiseSequence(model: string, atLeast: number): Promise<void> {
    try {
      await this.client.send(new UpdateCommand(buildRaiseSequenceParams(this.table, model, atLeast)));
    } catch (error) {
      if (!isConditionFailure(error)) translateStoreError(error);
    }
  }

  async putMany(records: readonly StoredRecord[]): Promise<void> {
    const highest = new Map<string, number>();
    for (const record of records) highest.set(record.model, Math.max(highest.get(record.model) ?? 0, record.id));
    for (const chunk of chunks(records, BATCH_WRITE_LIMIT)) {
      let pending: NonNullable<BatchWriteCommandInput['RequestItems']>[string] = chunk.map((r) => ({
        PutRequest: { Item: toItem(r, this.indexer) },
      }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) throw new ServiceUnavailableError(1);
        if (attempt > 0) await sleep(backoffMs(attempt));
        const response = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } }));
        // Writes DynamoDB did not get to (capacity) come back to be sent again.
        pending = response.UnprocessedItems?.[this.table] ?? [];
      }
    }
    await Promise.all([...highest].map(([model, id]) => this.raiseSequence(model, id)));
  }
}

/** Structural equality that ignores prototypes (stored values live in null-prototype objects). */
function sameData(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b))
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameData(x, b[i]));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && sameData((a as Item)[key], (b as Item)[key]))
    );
  }
  return Object.is(a, b);
}

/** Exponential backoff with full jitter (AWS's recommendation), capped at one second. */
export function backoffMs(attempt: number): number {
  return Math.random() * Math.min(1000, 25 * 2 ** attempt);
}
