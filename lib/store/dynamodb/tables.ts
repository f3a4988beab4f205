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

export function recordsTableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'shard', AttributeType: 'S' },
      { AttributeName: 'id', AttributeType: 'N' },
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
      const { Table } = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
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
