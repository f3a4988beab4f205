/**
 * How the DynamoDB adapter translates SDK failures. FAKE (labelled): DynamoDB Local cannot
 * produce throttling, TransactionConflict cancellations or outages, so a stand-in document
 * client throws errors shaped as the SDK's (name, CancellationReasons, $metadata).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PayloadTooLargeError, ServiceUnavailableError, TransactionCancelledError } from '../../../lib/errors';
import { DynamoRecordStore } from '../../../lib/store/dynamodb/records-table';

function sdkError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: {}, ...extra });
}

function storeThrowing(error: Error): DynamoRecordStore {
  const client = { send: async () => Promise.reject(error) } as unknown as DynamoDBDocumentClient;
  return new DynamoRecordStore(client, 'records');
}

const update = { kind: 'update', key: { model: 'res.partner', id: 1 }, expectedVersion: 1, set: { ref: 'x' }, after: { ref: 'x' } } as const;
const check = { kind: 'check', key: { model: 'res.country', id: 2 }, now: 0 } as const;

describe('store/records', () => {
  describe('DynamoRecordStore.transact', () => {
    it.each([
      [[{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }], ['none', 'condition']],
      [[{ Code: 'TransactionConflict' }, { Code: 'None' }], ['conflict', 'none']],
      [[{ Code: 'ThrottlingError' }, { Code: 'ProvisionedThroughputExceeded' }], ['throttled', 'throttled']],
      [[{ Code: 'ValidationError' }, { Code: 'None' }], ['other', 'none']],
    ])('reports the cancellation reasons %j per action as %j', async (reasons, expected) => {
      const store = storeThrowing(sdkError('TransactionCanceledException', { CancellationReasons: reasons }));
      await expect(store.transact([update, check])).rejects.toStrictEqual(new TransactionCancelledError(expected as never));
    });

    it.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError', 'TimeoutError'])(
      'turns %s into a 503 the client may retry',
      async (name) => {
        await expect(storeThrowing(sdkError(name)).transact([update])).rejects.toBeInstanceOf(ServiceUnavailableError);
      },
    );

    it('turns a reset connection into a 503', async () => {
      await expect(storeThrowing(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).transact([update])).rejects.toBeInstanceOf(ServiceUnavailableError);
    });

    it('turns an item over 400 KB into a 413', async () => {
      const error = sdkError('ValidationException', { message: 'Item size has exceeded the maximum allowed size' });
      await expect(storeThrowing(error).transact([update])).rejects.toBeInstanceOf(PayloadTooLargeError);
    });

    it('lets an error it does not understand through unchanged (a bug: logged 500)', async () => {
      const error = sdkError('ResourceNotFoundException');
      await expect(storeThrowing(error).transact([update])).rejects.toBe(error);
    });
  });

  describe('DynamoRecordStore.transact with one record and nothing to check (a conditional UpdateItem)', () => {
    it('sends an UpdateItem, not a transaction', async () => {
      const sent: string[] = [];
      const client = { send: async (command: object) => void sent.push(command.constructor.name) } as unknown as DynamoDBDocumentClient;
      await new DynamoRecordStore(client, 'records').transact([update]);
      await new DynamoRecordStore(client, 'records').transact([update, check]);
      expect(sent).toStrictEqual(['UpdateCommand', 'TransactWriteCommand']);
    });

    it.each([
      ['ConditionalCheckFailedException', 'condition'],
      ['TransactionConflictException', 'conflict'],
    ])('reports %s as a cancellation for %s, as a transaction would', async (name, reason) => {
      await expect(storeThrowing(sdkError(name)).transact([update])).rejects.toStrictEqual(new TransactionCancelledError([reason as never]));
    });
  });

  describe('DynamoRecordStore.getMany', () => {
    it('turns throttling into a 503', async () => {
      await expect(storeThrowing(sdkError('ThrottlingException')).getMany([{ model: 'res.partner', id: 1 }], { consistent: true })).rejects.toBeInstanceOf(ServiceUnavailableError);
    });
  });
});
