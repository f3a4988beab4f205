/**
 * The records table's stream records (DynamoDB Streams, NEW_AND_OLD_IMAGES, as Lambda hands them and
 * as the local poller builds them) decoded into the change feed's terms (lib/changes/build.ts):
 * records only (sequences, claims and transaction headers are not), and of those only the changes a
 * committed write made (see build.ts for which).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { StreamChange } from '../../changes/build';
import type { ChangeStamp } from '../../records/port';
import { fromItem } from './records-table';

/** The part of a stream record this reads (Lambda's DynamoDBRecord has it; its AttributeValue type is its own). */
export interface StreamRecordLike {
  readonly eventName?: string | undefined;
  readonly dynamodb?:
    | {
        readonly NewImage?: Record<string, unknown> | undefined;
        readonly OldImage?: Record<string, unknown> | undefined;
        readonly SequenceNumber?: string | undefined;
      }
    | undefined;
}

type Item = Record<string, unknown>;

const image = (value: Record<string, unknown> | undefined): Item | undefined =>
  value === undefined ? undefined : unmarshall(value as Record<string, AttributeValue>);

/** A record's item (a model's record has a shard in the byModel index; nothing else does). */
const isRecordItem = (item: Item | undefined): item is Item =>
  item !== undefined && typeof item.shard === 'string' && typeof item.model === 'string';

function stampOf(item: Item): ChangeStamp | undefined {
  const tx = item.tx as { id?: unknown; n?: unknown; i?: unknown; c?: unknown } | undefined;
  if (tx === undefined || typeof tx.id !== 'string') return undefined;
  return { transactionId: tx.id, count: Number(tx.n), position: Number(tx.i), clientId: String(tx.c) };
}

/** The changes among `records`, in their order; `undefined` entries are records that are not changes. */
export function decodeStreamRecord(record: StreamRecordLike): StreamChange | undefined {
  const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
  const after = image(record.dynamodb?.NewImage);
  const before = image(record.dynamodb?.OldImage);
  if (record.eventName === 'REMOVE') {
    if (!isRecordItem(before) || typeof before.deletingBy !== 'string') return undefined;
    return { kind: 'deleted', sequenceNumber, before: fromItem(before), transactionId: before.deletingBy };
  }
  if (!isRecordItem(after)) return undefined;
  const stamp = stampOf(after);
  if (stamp === undefined) return undefined;
  if (record.eventName === 'INSERT') return { kind: 'created', sequenceNumber, after: fromItem(after), stamp };
  if (record.eventName !== 'MODIFY' || !isRecordItem(before)) return undefined;
  if (stampOf(before)?.transactionId === stamp.transactionId) return undefined;
  return { kind: 'updated', sequenceNumber, before: fromItem(before), after: fromItem(after), stamp };
}
