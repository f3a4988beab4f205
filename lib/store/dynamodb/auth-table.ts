/**
 * AuthStore over DynamoDB (table AUTH_TABLE, partition key `pk` = `KIND#id`, TTL on `expiresAt`).
 * The kinds and what they hold are listed in lib/auth/credentials.ts. Every single-use credential is consumed
 * with a DeleteItem that returns the old item: of two concurrent uses exactly one sees it. A counter
 * (the sign-in lockout's) is counted with an UpdateItem ADD that returns the new count, never read first.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AuthItem, AuthItemKind, AuthKey, AuthStore } from '../../auth/credentials';
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
