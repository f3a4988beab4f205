/**
 * The writes queue's function logic (lib/queue/batch.ts) on DynamoDB Local, as the queue function
 * (its SDK names it, so every call is checked against QueueRole by the IAM guard): SQS-shaped
 * batches of good, invalid, duplicate and not-allowed messages give the right per-message results,
 * the dead letters carry their reasons, and nothing is written twice; throttling is retried, and a
 * FIFO batch stops at its first retried message. The dead letters are an in-memory FAKE (SQS is not
 * emulated locally); the throttling comes from the labelled SDK-middleware fake
 * (test/helpers/fault-injection.ts).
 */
import { getUser } from '../../lib/auth/users';
import { seedDemoAuth } from '../../lib/runtime/demo';
import { buildAccessRules } from '../../lib/models/access';
import { buildRegistry } from '../../lib/models/registry';
import { routeObjectRequest, type ObjectDeps } from '../../lib/object-api/router';
import { runQueueBatch, type QueueRecord } from '../../lib/queue/batch';
import { userGroupsFrom, type DeadLetters, type DeadReason, type QueueDeps } from '../../lib/queue/run';
import { createLogger } from '../../lib/runtime/log';
import { DynamoAuthStore } from '../../lib/store/dynamodb/auth-table';
import { DynamoRecordStore } from '../../lib/store/dynamodb/records-table';
import { DynamoMeterStore } from '../../lib/store/dynamodb/usage-table';
import { shippedAccessRules, shippedModels } from '../../models';
import { faultyDocumentClient, type FaultInjector } from '../helpers/fault-injection';
import { freshStores, testKeyRing } from '../helpers/local';

/** The queue function's name in its SDK's User-Agent under the local stage (serverless.yml). */
const QUEUE_APP_ID = 'odoo-rest-lambda-local-queue';

let stores: Awaited<ReturnType<typeof freshStores>>;
let injector: FaultInjector;
let deps: QueueDeps;
const dead: Array<{ messageId: string; groupId: string | undefined; reason: DeadReason }> = [];
/** A FAKE dead-letter queue: SQS is not emulated locally. */
const deadLetters: DeadLetters = {
  async send(message, reason) {
    dead.push({ messageId: message.messageId, groupId: message.groupId, reason });
  },
};
const log = createLogger({}, () => undefined);

beforeAll(async () => {
  stores = await freshStores({ demo: true });
  await seedDemoAuth(stores.auth, testKeyRing());
  injector = faultyDocumentClient(process.env.TEST_DYNAMODB_ENDPOINT, QUEUE_APP_ID);
  const objectDeps: ObjectDeps = {
    registry: buildRegistry(shippedModels),
    accessRules: buildAccessRules(shippedAccessRules),
    store: new DynamoRecordStore(injector.client, stores.tables.records, stores.tables.usage),
    meter: { store: new DynamoMeterStore(injector.client, stores.tables.usage) },
    sleep: async () => {},
  };
  const auth = new DynamoAuthStore(injector.client, stores.tables.auth);
  deps = {
    route: (request) => routeObjectRequest(objectDeps, request),
    userGroups: userGroupsFrom((userId) => getUser(auth, userId)),
    // User 1 (admin) and 2 (demo: may only read partners) may be named; 3 may not.
    allowedUsers: new Set([1, 2]),
    clientId: 'queue',
  };
});
afterAll(() => {
  injector.destroy();
  stores.client.destroy();
});
beforeEach(() => dead.splice(0));

const record = (messageId: string, call: Record<string, unknown> | string, groupId = 'res.partner'): QueueRecord => ({
  messageId,
  body: typeof call === 'string' ? call : JSON.stringify(call),
  attributes: { MessageGroupId: groupId },
});
const street2 = async (id: number) => (await stores.rawItem('res.partner', id))?.v.street2;
const version = async (id: number) => (await stores.rawItem('res.partner', id))?.version as number;

describe('the writes queue', () => {
  it('runs good messages, dead-letters the ones that can never succeed with their reason, and writes a duplicate once', async () => {
    const before = await version(17);
    const response = await runQueueBatch(deps, deadLetters, log, [
      record('m-1', { model: 'res.partner', method: 'write', ids: [17, 20], vals: { street2: 'queued 1' }, user: 1 }),
      record('m-2', 'not json'),
      record('m-3', { model: 'res.partner', method: 'write', ids: [17, 99_999], vals: { street2: 'never' }, user: 1 }),
      record('m-4', { model: 'res.partner', method: 'write', ids: [17], vals: { street2: 'not allowed' }, user: 3 }),
      record('m-5', { model: 'res.partner', method: 'write', ids: [17], vals: { street2: 'no right' }, user: 2 }),
      // The same message delivered again (SQS at-least-once): its Idempotency-Key is its id.
      record('m-1', { model: 'res.partner', method: 'write', ids: [17, 20], vals: { street2: 'queued 1' }, user: 1 }),
      record('m-6', { model: 'res.partner', method: 'create', vals: { name: 'Queued partner', street2: 'queued' }, user: 1 }),
    ]);
    expect(response.batchItemFailures).toEqual([]);
    expect(dead.map(({ messageId, reason }) => [messageId, reason.status, reason.code])).toEqual([
      ['m-2', 400, 'INVALID_MESSAGE'],
      ['m-3', 404, 'RECORD_NOT_FOUND'],
      ['m-4', 403, 'USER_NOT_ALLOWED'],
      ['m-5', 403, 'ACCESS_DENIED'],
    ]);
    expect(dead.find((entry) => entry.messageId === 'm-3')?.reason.message).toBe('Record not found: res.partner(99999)');
    expect(dead.every((entry) => entry.groupId === 'res.partner')).toBe(true);
    expect([await street2(17), await street2(20)]).toEqual(['queued 1', 'queued 1']);
    // m-1 written once although delivered twice; nothing of m-3, m-4, m-5.
    expect(await version(17)).toBe(before + 1);
  });

  it('delivers a throttled message again, and with it every message behind it in the batch (FIFO order)', async () => {
    // Throttled on every SDK attempt of every try: the write ends in a 503, to be delivered again.
    injector.arm({ command: 'TransactWriteItemsCommand', fault: 'throttling', times: 12 });
    const response = await runQueueBatch(deps, deadLetters, log, [
      record('t-1', { model: 'res.partner', method: 'write', ids: [17, 20], vals: { street2: 'throttled' }, user: 1 }),
      record('t-2', { model: 'res.partner', method: 'write', ids: [20, 26], vals: { street2: 'after it' }, user: 1 }),
    ]);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['t-1', 't-2']);
    expect(dead).toEqual([]);
    expect(await street2(26)).not.toBe('after it');
    // Delivered again once DynamoDB answers: both written, in order.
    injector.disarm();
    const again = await runQueueBatch(deps, deadLetters, log, [
      record('t-1', { model: 'res.partner', method: 'write', ids: [17, 20], vals: { street2: 'throttled' }, user: 1 }),
      record('t-2', { model: 'res.partner', method: 'write', ids: [20, 26], vals: { street2: 'after it' }, user: 1 }),
    ]);
    expect(again.batchItemFailures).toEqual([]);
    expect([await street2(17), await street2(20), await street2(26)]).toEqual(['throttled', 'after it', 'after it']);
  });
});
