/**
 * AuthStore over DynamoDB (table AUTH_TABLE, partition key `pk` = `KIND#id`, TTL on `expiresAt`).
 * The kinds and what they hold are listed in lib/auth/credentials.ts. Every single-use credential is consumed
 * with a DeleteItem that returns the old item: of two concurrent uses exactly one sees it. A counter
 * (the sign-in lockout's) is counted with an UpdateItem ADD that returns the new count, never read first.
 * Refresh token rotation and family revocation are TransactWriteItems of conditional Puts and Deletes (the
 * SDK gives each a ClientRequestToken, so its own retry after a lost answer is not taken for a lost race).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  MAX_AUTH_TRANSACTION_WRITES,
  type AuthCondition,
  type AuthItem,
  type AuthItemKind,
  type AuthKey,
  type AuthStore,
  type AuthWrite,
} from '../../auth/credentials';
import { ServiceUnavailableError } from '../../errors';
import { isConditionFailure, translateStoreError } from './client';

export const authPk = (key: AuthKey): string => `${key.kind}#${key.id}`;

/** The attributes the adapter adds; the core never sees them. */
function withoutKey(item: Record<string, unknown> | undefined): AuthItem | undefined {
  if (!item) return undefined;
  const rest = { ...item };
  delete rest.pk;
  return rest as AuthItem;
}

/** BatchGetItem takes at most 100 keys; the core never asks for more than a handful. */
const MAX_BATCH_GET = 100;
const MAX_BATCH_ATTEMPTS = 5;
/** An increment meets an expired counter at most once per window; retries only cover racing restarts. */
const MAX_INCREMENT_ATTEMPTS = 5;
/** `count` is a DynamoDB reserved word, so both names go through placeholders. */
const COUNTER_NAMES = { '#count': 'count', '#expiresAt': 'expiresAt' };

/** UpdateItem: one more on a live counter (its expiresAt after now), the new count returned. */
export function incrementLiveCounterParams(table: string, key: AuthKey, now: number) {
  return {
    TableName: table,
    Key: { pk: authPk(key) },
    UpdateExpression: 'ADD #count :one',
    ConditionExpression: '#expiresAt > :now',
    ExpressionAttributeNames: COUNTER_NAMES,
    ExpressionAttributeValues: { ':one': 1, ':now': now },
    ReturnValues: 'UPDATED_NEW' as const,
  };
}

/** PutItem: a new counter at 1, only where there is none or it has expired (else another call just started it). */
export function startCounterParams(table: string, key: AuthKey, now: number, expiresAt: number) {
  return {
    TableName: table,
    Item: { pk: authPk(key), count: 1, expiresAt },
    ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt <= :now',
    ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: { ':now': now },
  };
}

/** A condition as a ConditionExpression, every attribute name and value through placeholders. */
function conditionParams(condition: AuthCondition | undefined) {
  if (!condition) return {};
  if ('absent' in condition) return { ConditionExpression: 'attribute_not_exists(pk)' };
  const names: Record<string, string> = {};
  const values: Record<string, string | number> = {};
  const terms = Object.entries(condition.matches).map(([name, value], index) => {
    names[`#c${index}`] = name;
    values[`:c${index}`] = value;
    return `#c${index} = :c${index}`;
  });
  // An empty `matches` still requires the item to exist.
  return {
    ConditionExpression: terms.length ? terms.join(' AND ') : 'attribute_exists(pk)',
    ...(terms.length ? { ExpressionAttributeNames: names, ExpressionAttributeValues: values } : {}),
  };
}

/**
 * TransactWriteItems of Puts and Deletes only: IAM authorises it per item (PutItem, DeleteItem), the
 * actions the token function has already.
 */
export function authTransactParams(table: string, writes: readonly AuthWrite[]): TransactWriteCommandInput {
  if (writes.length === 0 || writes.length > MAX_AUTH_TRANSACTION_WRITES)
    throw new Error(`transact: 1 to ${MAX_AUTH_TRANSACTION_WRITES} writes, not ${writes.length}`);
  if (new Set(writes.map((write) => authPk(write.key))).size !== writes.length)
    throw new Error('transact: one write per key');
  return {
    TransactItems: writes.map((write) =>
      write.kind === 'put'
        ? {
            Put: {
              TableName: table,
              Item: { ...write.item, pk: authPk(write.key) },
              ...conditionParams(write.condition),
            },
          }
        : { Delete: { TableName: table, Key: { pk: authPk(write.key) } } },
    ),
  };
}

/** Why DynamoDB cancelled a transaction: the reasons that mean "someone else got there first". */
const LOST_RACE = new Set(['None', 'NONE', 'ConditionalCheckFailed', 'TransactionConflict']);
const THROTTLED = new Set(['ProvisionedThroughputExceeded', 'ThrottlingError', 'RequestLimitExceeded']);

export class DynamoAuthStore implements AuthStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(key: AuthKey): Promise<AuthItem | undefined> {
    try {
      // Strongly consistent: a token or code written a moment ago by another instance must be seen.
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.table, Key: { pk: authPk(key) }, ConsistentRead: true }),
      );
      return withoutKey(Item);
    } catch (error) {
      return translateStoreError(error);
    }
  }

  async getMany(keys: readonly AuthKey[]): Promise<(AuthItem | undefined)[]> {
    if (keys.length > MAX_BATCH_GET) throw new Error(`getMany: at most ${MAX_BATCH_GET} keys`);
    const pks = [...new Set(keys.map(authPk))];
    const found = new Map<string, AuthItem>();
    try {
      let pending: Record<string, unknown>[] = pks.map((pk) => ({ pk }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_BATCH_ATTEMPTS) throw new Error('BatchGetItem left keys unprocessed after retries');
        const result = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of result.Responses?.[this.table] ?? [])
          found.set(String(item.pk), withoutKey(item) as AuthItem);
        pending = (result.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    } catch (error) {
      return translateStoreError(error);
    }
    return keys.map((key) => found.get(authPk(key)));
  }

  async put(key: AuthKey, item: AuthItem, options: { readonly ifAbsent?: boolean } = {}): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...item, pk: authPk(key) },
          ...(options.ifAbsent ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (options.ifAbsent && isConditionFailure(error)) return false;
      return translateStoreError(error);
    }
  }

  async take(key: AuthKey): Promise<AuthItem | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: authPk(key) },
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValues: 'ALL_OLD',
        }),
      );
      return withoutKey(Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      return translateStoreError(error);
    }
  }

  /**
   * One UpdateItem (ADD, conditional on the counter being live) that answers the new count; when
   * there is no live counter, a conditional PutItem starts one at 1. Of two calls that find none,
   * one starts it and the other counts on it. Never a read before the write.
   */
  async increment(key: AuthKey, window: { readonly now: number; readonly expiresAt: number }): Promise<number> {
    for (let attempt = 0; attempt < MAX_INCREMENT_ATTEMPTS; attempt++) {
      try {
        const { Attributes } = await this.client.send(
          new UpdateCommand(incrementLiveCounterParams(this.table, key, window.now)),
        );
        return Number(Attributes?.count);
      } catch (error) {
        if (!isConditionFailure(error)) return translateStoreError(error);
      }
      try {
        await this.client.send(new PutCommand(startCounterParams(this.table, key, window.now, window.expiresAt)));
        return 1;
      } catch (error) {
        if (!isConditionFailure(error)) return translateStoreError(error);
      }
    }
    throw new Error(`increment: the counter ${key.kind} kept being restarted by other calls`);
  }

  async delete(key: AuthKey): Promise<void> {
    try {
      await this.client.send(new DeleteCommand({ TableName: this.table, Key: { pk: authPk(key) } }));
    } catch (error) {
      translateStoreError(error);
    }
  }

  async transact(writes: readonly AuthWrite[]): Promise<boolean> {
    const params = authTransactParams(this.table, writes);
    try {
      await this.client.send(new TransactWriteCommand(params));
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'TransactionCanceledException') {
        const codes = ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map(
          (reason) => reason.Code ?? 'None',
        );
        if (codes.some((code) => THROTTLED.has(code))) throw new ServiceUnavailableError(1, { cause: error });
        if (codes.every((code) => LOST_RACE.has(code))) return false;
      }
      // A plain write in flight on one of the items cancels the transaction this way too.
      if (error instanceof Error && error.name === 'TransactionConflictException') return false;
      return translateStoreError(error);
    }
  }

  async list(kind: AuthItemKind): Promise<{ id: string; item: AuthItem }[]> {
    const prefix = `${kind}#`;
    const items: { id: string; item: AuthItem }[] = [];
    try {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(
          new ScanCommand({
            TableName: this.table,
            FilterExpression: 'begins_with(pk, :prefix)',
            ExpressionAttributeValues: { ':prefix': prefix },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? [])
          items.push({ id: String(item.pk).slice(prefix.length), item: withoutKey(item) as AuthItem });
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      return translateStoreError(error);
    }
    return items;
  }
}
