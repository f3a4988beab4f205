/**
 * MeterStore over DynamoDB: the usage table (USAGE_TABLE, keys pk + sk; lib/metering/windows.ts
 * lays out its items). Params builders are pure and exported for tests; the class only sends.
 * Limit counters are taken with one conditional UpdateItem each (never in a transaction: every call
 * of a client takes the same item, and transactions on one item cancel each other); the ledger's
 * counters are added by the writes' own transactions (records-table.ts, buildCounterAddParams) and
 * by plain UpdateItems beside the reads.
 */
import type { DynamoDBDocumentClient, QueryCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { UsageRow } from '../../metering/ledger';
import type { CounterIncrement, LimitCounter, MeterStore, TakeOutcome } from '../../metering/port';
import { ledgerPartitions, monthsBetween, rowsOfLedgerItem } from '../../metering/windows';
import { isConditionFailure, translateStoreError } from './client';

type Item = Record<string, unknown>;

/** Adds to counters (ADD creates a missing item or attribute at 0 first), and sets the TTL. */
export function buildCounterAddParams(
  table: string,
  { key, adds, expiresAt }: CounterIncrement,
): UpdateCommandInput & { UpdateExpression: string } {
  const names: Record<string, string> = { '#expiresAt': 'expiresAt' };
  const values: Record<string, unknown> = { ':expiresAt': expiresAt };
  const parts = Object.entries(adds).map(([attribute, amount], i) => {
    names[`#c${i}`] = attribute;
    values[`:c${i}`] = amount;
    return `#c${i} :c${i}`;
  });
  return {
    TableName: table,
    Key: { pk: key.pk, sk: key.sk },
    UpdateExpression: `ADD ${parts.join(', ')} SET #expiresAt = :expiresAt`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * Takes `units` from each count of a limit counter, only if every one stays within its max: the
 * condition reads the count before the ADD (`<= max`, max being the limit less these units). The
 * new values come back on success, the old ones on refusal.
 */
export function buildTakeParams(
  table: string,
  counter: LimitCounter,
  units: number,
): UpdateCommandInput & { UpdateExpression: string } {
  const names: Record<string, string> = { '#expiresAt': 'expiresAt' };
  const values: Record<string, unknown> = { ':units': units, ':expiresAt': counter.expiresAt };
  const adds: string[] = [];
  const conditions: string[] = [];
  counter.counts.forEach(({ attribute, max }, i) => {
    names[`#n${i}`] = attribute;
    values[`:max${i}`] = max;
    adds.push(`#n${i} :units`);
    conditions.push(`(attribute_not_exists(#n${i}) OR #n${i} <= :max${i})`);
  });
  return {
    TableName: table,
    Key: { pk: counter.key.pk, sk: counter.key.sk },
    UpdateExpression: `ADD ${adds.join(', ')} SET #expiresAt = :expiresAt`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: 'UPDATED_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** One ledger partition's items for the hours from `fromSk` (inclusive) to `toSk` (exclusive). */
export function buildLedgerQueryParams(
  table: string,
  partition: string,
  fromSk: string,
  toSk: string,
  startKey?: Item,
): QueryCommandInput {
  return {
    TableName: table,
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
    ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
    // BETWEEN is inclusive; the last hour is excluded by the caller's filter on the rows' hours.
    ExpressionAttributeValues: { ':pk': partition, ':from': fromSk, ':to': toSk },
    ConsistentRead: true,
    ...(startKey ? { ExclusiveStartKey: startKey } : {}),
  };
}

const countsOf = (item: Item | undefined, counter: LimitCounter): number[] =>
  counter.counts.map(({ attribute }) => {
    const value = item?.[attribute];
    return typeof value === 'number' ? value : 0;
  });

/** `DDTHH` of an ISO hour, within its month. */
const skOfHour = (hour: string) => `${hour.slice(8, 10)}T${hour.slice(11, 13)}`;

export class DynamoMeterStore implements MeterStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async take(counter: LimitCounter, units: number): Promise<TakeOutcome> {
    try {
      const output = await this.client.send(new UpdateCommand(buildTakeParams(this.table, counter, units)));
      return { taken: true, values: countsOf(output.Attributes, counter) };
    } catch (error) {
      if (isConditionFailure(error)) {
        // The item as the condition found it (ReturnValuesOnConditionCheckFailure): the document
        // client leaves an exception's item in DynamoDB's own attribute-value form.
        const found = (error as { Item?: Record<string, AttributeValue> }).Item;
        return { taken: false, values: countsOf(found ? unmarshall(found) : undefined, counter) };
      }
      return translateStoreError(error);
    }
  }

  async giveBack(counter: LimitCounter, units: number): Promise<void> {
    const adds = Object.fromEntries(counter.counts.map(({ attribute }) => [attribute, -units]));
    await this.add({ key: counter.key, adds, expiresAt: counter.expiresAt });
  }

  async add(increment: CounterIncrement): Promise<void> {
    try {
      await this.client.send(new UpdateCommand(buildCounterAddParams(this.table, increment)));
    } catch (error) {
      translateStoreError(error);
    }
  }

  async readCounts(counter: LimitCounter): Promise<number[]> {
    try {
      const output = await this.client.send(
        new GetCommand({ TableName: this.table, Key: { ...counter.key }, ConsistentRead: true }),
      );
      return countsOf(output.Item, counter);
    } catch (error) {
      return translateStoreError(error);
    }
  }

  async ledger(clientId: string, fromHour: string, toHour: string): Promise<UsageRow[]> {
    const from = new Date(fromHour);
    const to = new Date(toHour);
    const queries = monthsBetween(from, to).flatMap((month) => {
      const first = month === fromHour.slice(0, 7) ? skOfHour(fromHour) : '00T00';
      const last = month === toHour.slice(0, 7) ? skOfHour(toHour) : '99T99';
      return ledgerPartitions(clientId, month).map((partition) => ({ month, partition, first, last }));
    });
    const rows: UsageRow[] = [];
    // A month is LEDGER_SHARDS partitions; a few months at a time keeps the burst of queries small.
    for (let i = 0; i < queries.length; i += 16) {
      const pages = await Promise.all(
        queries
          .slice(i, i + 16)
          .map(({ month, partition, first, last }) => this.#queryAll(partition, first, last, month)),
      );
      for (const page of pages) rows.push(...page);
    }
    return rows.filter((row) => row.hour >= fromHour && row.hour < toHour).map((row) => ({ ...row, clientId }));
  }

  async #queryAll(partition: string, first: string, last: string, month: string): Promise<UsageRow[]> {
    const rows: UsageRow[] = [];
    let startKey: Item | undefined;
    try {
      do {
        const output = await this.client.send(
          new QueryCommand(buildLedgerQueryParams(this.table, partition, first, last, startKey)),
        );
        for (const item of output.Items ?? []) {
          const { pk: _pk, sk, expiresAt: _expires, ...counts } = item;
          rows.push(...rowsOfLedgerItem('', month, String(sk), counts));
        }
        startKey = output.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      translateStoreError(error);
    }
    return rows;
  }
}
