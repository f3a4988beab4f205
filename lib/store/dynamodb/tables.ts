/**
 * The tables as DynamoDB Local needs them created (scripts and tests). serverless.yml declares
 * the same tables for AWS; test/unit/serverless-config.test.ts keeps the two in step.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { DynamoConnection } from './client';
import { INDEX_SLOTS } from '../../indexes/keys';
import { MAX_SORTED_SLOTS } from '../../indexes/order';
import {
  ACTIVE_ATTRIBUTE,
  indexName,
  indexPartitionAttribute,
  indexSortAttribute,
  ORDER_INDEX,
  ORDER_SORT_ATTRIBUTE,
  sortedIndexName,
  sortedSortAttribute,
} from './records-table';

const slots = Array.from({ length: INDEX_SLOTS }, (_, i) => i + 1);
const sortedSlots = Array.from({ length: MAX_SORTED_SLOTS }, (_, i) => i + 1);

/**
 * The declared field indexes (lib/indexes): one per slot, keyed by the slot's partition and sort
 * attributes, holding the record's key and its active flag only (a lookup reads the records
 * themselves, consistently). Sparse: a record of a model with no field in the slot has no entry.
 */
export function fieldIndexDefinitions(): NonNullable<CreateTableCommandInput['GlobalSecondaryIndexes']> {
  return slots.map((slot) => ({
    IndexName: indexName(slot),
    KeySchema: [
      { AttributeName: indexPartitionAttribute(slot), KeyType: 'HASH' },
      { AttributeName: indexSortAttribute(slot), KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [ACTIVE_ATTRIBUTE] },
  }));
}

/**
 * The sorted fields' indexes (lib/indexes/order.ts sortedFields): one per sorted slot, on the
 * model's shards, keys only — a write that moves no sorted field's key costs them nothing, and a
 * walk reads the records it keeps consistently.
 */
export function sortedIndexDefinitions(): NonNullable<CreateTableCommandInput['GlobalSecondaryIndexes']> {
  return sortedSlots.map((slot) => ({
    IndexName: sortedIndexName(slot),
    KeySchema: [
      { AttributeName: 'shard', KeyType: 'HASH' },
      { AttributeName: sortedSortAttribute(slot), KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' },
  }));
}

export function recordsTableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'shard', AttributeType: 'S' },
      { AttributeName: 'id', AttributeType: 'N' },
      { AttributeName: ORDER_SORT_ATTRIBUTE, AttributeType: 'S' },
      ...sortedSlots.map((slot) => ({ AttributeName: sortedSortAttribute(slot), AttributeType: 'S' as const })),
      ...slots.flatMap((slot) => [
        { AttributeName: indexPartitionAttribute(slot), AttributeType: 'S' as const },
        { AttributeName: indexSortAttribute(slot), AttributeType: 'S' as const },
      ]),
    ],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byModel',
        KeySchema: [
          { AttributeName: 'shard', KeyType: 'HASH' },
          { AttributeName: 'id', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      // The order index (lib/indexes/order.ts): a model's records in its declared order, on the
      // same shards; every attribute, so a page of a walk in that order is one round of queries.
      {
        IndexName: ORDER_INDEX,
        KeySchema: [
          { AttributeName: 'shard', KeyType: 'HASH' },
          { AttributeName: ORDER_SORT_ATTRIBUTE, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      ...fieldIndexDefinitions(),
      ...sortedIndexDefinitions(),
    ],
    // Every committed change, old and new item, for the change feed (read by Lambda when deployed,
    // by lib/store/dynamodb/streams.ts locally).
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

export function authTableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  };
}

/** The usage table (usage-table.ts): limit counters and the usage ledger, keys pk + sk, TTL on expiresAt. */
export function usageTableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
  };
}

/** Describes the table once all its indexes are usable (DynamoDB Local builds one in a moment; a minute at most). */
async function untilIndexesActive(client: DynamoDBClient, tableName: string) {
  for (let wait = 0; ; wait++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE')) return Table;
    if (wait === 600) throw new Error(`${tableName}: its new indexes were not active after a minute`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Creates the tables that do not exist yet; returns the names of those it created. */
export async function ensureTables(
  connection: DynamoConnection,
  tables: { records: string; auth: string; usage?: string },
): Promise<string[]> {
  const client = new DynamoDBClient({
    region: connection.region,
    ...(connection.endpoint
      ? { endpoint: connection.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  const created: string[] = [];
  try {
    const definitions = [recordsTableDefinition(tables.records), authTableDefinition(tables.auth)];
    if (tables.usage !== undefined) definitions.push(usageTableDefinition(tables.usage));
    for (const definition of definitions) {
      try {
        await client.send(new CreateTableCommand(definition));
        created.push(definition.TableName as string);
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      let { Table } = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
      // A table kept from before an index was declared gets it; its entries are filled in by
      // `npm run reindex` (scripts/reindex.ts). DynamoDB creates one index per UpdateTable and
      // refuses a second while one is building (LimitExceededException), so each waits for the last.
      const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
      const missing = (definition.GlobalSecondaryIndexes ?? []).filter((index) => !present.has(index.IndexName));
      for (const index of missing) {
        await client.send(
          new UpdateTableCommand({
            TableName: definition.TableName,
            AttributeDefinitions: definition.AttributeDefinitions,
            GlobalSecondaryIndexUpdates: [{ Create: index }],
          }),
        );
        Table = await untilIndexesActive(client, definition.TableName as string);
      }
      // A table kept from before it had a stream (npm start's data folder, a DYNAMODB_ENDPOINT)
      // gets one, or the local change feed would have nothing to read.
      if (definition.StreamSpecification && Table?.StreamSpecification?.StreamEnabled !== true) {
        await client.send(
          new UpdateTableCommand({
            TableName: definition.TableName,
            StreamSpecification: definition.StreamSpecification,
          }),
        );
      }
    }
  } finally {
    client.destroy();
  }
  return created;
}
