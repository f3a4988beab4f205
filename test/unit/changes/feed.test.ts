/**
 * The change feed's core: the stamps a commit leaves, the stream records decoded (through the
 * DynamoDB adapter's own item layout, marshalled as a stream carries it), the change events built
 * from them, and a batch published with EventBridge's partial failures.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { buildChanges, changeId, publishable, type StreamChange } from '../../../lib/changes/build';
import type { Change } from '../../../lib/changes/change';
import type { EventBusPort, EventEntry } from '../../../lib/changes/eventbridge';
import { eventEntry, publishBatch, type ChangeFeedDeps } from '../../../lib/changes/feed';
import { buildRegistry } from '../../../lib/models/registry';
import { stampChanges } from '../../../lib/records/commit';
import type { ChangeStamp, StoredRecord, TransactionHeader, WriteAction } from '../../../lib/records/port';
import { decodeStreamRecord } from '../../../lib/store/dynamodb/change-stream';
import { stampAttribute, toItem } from '../../../lib/store/dynamodb/records-table';
import { shippedModels } from '../../../models';
import { MemoryRecordStore } from '../../helpers/memory-record-store';

const registry = buildRegistry(shippedModels);
const caller = { userId: 2, clientId: 'client-a' };
const now = new Date('2026-12-06T10:20:30Z');

/** A partner as the writes store it: with its complete_name (no parent here: its name), its display name. */
const partner = (id: number, version: number, values: Record<string, unknown>): StoredRecord => ({
  model: 'res.partner',
  id,
  version,
  values: Object.assign(Object.create(null), values, typeof values.name === 'string' ? { complete_name: values.name } : {}),
});

/** A stream record as Lambda hands it: the adapter's items, marshalled. */
function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  sequence: string,
  before?: Record<string, unknown>,
  after?: Record<string, unknown>,
) {
  const image = (item?: Record<string, unknown>) =>
    item === undefined ? undefined : marshall(item, { removeUndefinedValues: true });
  return { eventName, dynamodb: { SequenceNumber: sequence, OldImage: image(before), NewImage: image(after) } };
}

const stamped = (record: StoredRecord, stamp: ChangeStamp) => ({ ...toItem(record), tx: stampAttribute(stamp) });

describe('stampChanges', () => {
  const update = (id: number): WriteAction => ({
    kind: 'update',
    key: { model: 'res.partner', id },
    expectedVersion: 1,
    set: { name: 'x' },
    after: { name: 'x' },
  });

  it('stamps every created and updated record with the transaction, its count and the record’s place', () => {
    const actions: WriteAction[] = [
      update(1),
      { kind: 'check', key: { model: 'res.country', id: 3 }, now: 0 },
      update(2),
      { kind: 'create', key: { model: 'res.partner', id: 9 }, record: partner(9, 1, {}) },
    ];
    const out = stampChanges(actions, { transactionId: 't1', caller }, now);
    expect(out.map((action) => ('stamp' in action ? action.stamp : undefined))).toEqual([
      { transactionId: 't1', count: 3, position: 0, clientId: 'client-a' },
      undefined,
      { transactionId: 't1', count: 3, position: 1, clientId: 'client-a' },
      { transactionId: 't1', count: 3, position: 2, clientId: 'client-a' },
    ]);
    expect(out.some((action) => action.kind === 'header')).toBe(false);
  });

  it('writes a header for a transaction that deletes, naming the deleted records’ places', () => {
    const actions: WriteAction[] = [
      { kind: 'delete', key: { model: 'res.partner', id: 5 }, expectedVersion: 2 },
      update(6),
      { kind: 'delete', key: { model: 'res.partner', id: 7 }, expectedVersion: 2 },
    ];
    const out = stampChanges(actions, { transactionId: 't2', caller }, now);
    expect(out).toHaveLength(4);
    const header = out[3] as Extract<WriteAction, { kind: 'header' }>;
    expect(header.kind).toBe('header');
    expect(header.header).toMatchObject({
      transactionId: 't2',
      count: 3,
      clientId: 'client-a',
      userId: 2,
      at: '2026-12-06 10:20:30',
      deleted: [
        { model: 'res.partner', id: 5, position: 0 },
        { model: 'res.partner', id: 7, position: 2 },
      ],
    });
    expect((out[1] as { stamp?: ChangeStamp }).stamp?.position).toBe(1);
  });

  it('leaves a transaction without records (a delete’s marks) as it is', () => {
    const mark: WriteAction = {
      kind: 'mark',
      key: { model: 'res.partner', id: 5 },
      expectedVersion: 1,
      mark: { until: 1, token: 't' },
      now: 0,
    };
    expect(stampChanges([mark], { transactionId: 't3', caller }, now)).toEqual([mark]);
  });
});

describe('decodeStreamRecord', () => {
  const stamp: ChangeStamp = { transactionId: 'tx-b', count: 1, position: 0, clientId: 'client-a' };
  const older: ChangeStamp = { ...stamp, transactionId: 'tx-a' };

  it('decodes a stamped insert as a create, and an unstamped one (a bulk load) as nothing', () => {
    const created = decodeStreamRecord(
      streamRecord('INSERT', '1', undefined, stamped(partner(4, 1, { name: 'A' }), stamp)),
    );
    expect(created).toMatchObject({ kind: 'created', sequenceNumber: '1', stamp, after: { id: 4, version: 1 } });
    expect(decodeStreamRecord(streamRecord('INSERT', '2', undefined, toItem(partner(4, 1, {}))))).toBeUndefined();
  });

  it('decodes a modify whose stamp moved as an update, and one whose stamp stayed (a mark) as nothing', () => {
    const before = stamped(partner(4, 1, { name: 'A' }), older);
    const updated = decodeStreamRecord(
      streamRecord('MODIFY', '3', before, stamped(partner(4, 2, { name: 'B' }), stamp)),
    );
    expect(updated).toMatchObject({ kind: 'updated', before: { version: 1 }, after: { version: 2 }, stamp });
    const marked = { ...before, version: 2, deleting: 123, deletingBy: 'tx-c' };
    expect(decodeStreamRecord(streamRecord('MODIFY', '4', before, marked))).toBeUndefined();
  });

  it('decodes a remove by the transaction its mark names', () => {
    const marked = { ...stamped(partner(4, 2, { name: 'A' }), older), deleting: 123, deletingBy: 'tx-d' };
    expect(decodeStreamRecord(streamRecord('REMOVE', '5', marked))).toMatchObject({
      kind: 'deleted',
      transactionId: 'tx-d',
      before: { id: 4, version: 2 },
    });
  });

  it('ignores the items that are not records: sequences, key claims, transaction headers', () => {
    for (const item of [
      { pk: 'sequence#res.partner', next: 3 },
      { pk: 'idempotency#abc', fingerprint: 'f', model: 'res.partner', recordIds: [1], expiresAt: 1 },
      { pk: 'txn#t', count: 1, deleted: [], client: 'c', uid: 1, at: 'x', expiresAt: 1 },
    ]) {
      expect(decodeStreamRecord(streamRecord('INSERT', '6', undefined, item))).toBeUndefined();
      expect(decodeStreamRecord(streamRecord('REMOVE', '7', item))).toBeUndefined();
    }
  });
});

describe('buildChanges', () => {
  const store = new MemoryRecordStore();
  const header: TransactionHeader = {
    transactionId: 'tx-del',
    count: 2,
    deleted: [{ model: 'res.partner', id: 8, position: 1 }],
    clientId: 'client-b',
    userId: 6,
    at: '2026-12-06 11:00:00',
    expiresAt: 0,
  };
  const deps = { registry, store, headers: async () => new Map([[header.transactionId, header]]) };
  const stamp: ChangeStamp = { transactionId: 'tx-up', count: 2, position: 1, clientId: 'client-a' };

  beforeAll(async () => {
    await store.putMany([
      { model: 'res.country', id: 21, version: 1, values: Object.assign(Object.create(null), { name: 'Belgium' }) },
    ]);
  });

  it('describes an update by the fields it changed, before and after, as read() renders them', async () => {
    const before = partner(4, 1, {
      name: 'Old',
      country_id: null,
      city: 'Gent',
      write_uid: 1,
      write_date: '2026-01-01 00:00:00',
    });
    const after = partner(4, 2, {
      name: 'New',
      country_id: 21,
      city: 'Gent',
      write_uid: 2,
      write_date: '2026-12-06 10:20:30',
    });
    const [change] = await buildChanges(deps, [{ kind: 'updated', sequenceNumber: '1', before, after, stamp }]);
    expect(change?.data).toEqual({
      id: changeId('tx-up', 'res.partner', 4),
      type: 'record.updated',
      model: 'res.partner',
      record_id: 4,
      version: 2,
      // A rename changes the stored complete_name with it (the partner's display name).
      changed_fields: ['name', 'country_id', 'complete_name'].sort((a, b) => fieldIndex(a) - fieldIndex(b)),
      old: { name: 'Old', country_id: false, complete_name: 'Old' },
      new: { name: 'New', country_id: [21, 'Belgium'], complete_name: 'New' },
      display_name: 'New',
      write_uid: 2,
      write_date: '2026-12-06 10:20:30',
      client_id: 'client-a',
      transaction: { id: 'tx-up', count: 2, position: 1 },
    });
    expect(change?.state).toBe(after);
  });

  it('describes a delete by its transaction’s header, and a create by every field it has', async () => {
    const gone = partner(8, 3, { name: 'Gone', city: 'Liège' });
    const made = partner(9, 1, {
      name: 'Made',
      email: 'm@example.com',
      write_uid: 2,
      write_date: '2026-12-06 10:20:30',
    });
    const [deleted, created] = await buildChanges(deps, [
      { kind: 'deleted', sequenceNumber: '2', before: gone, transactionId: 'tx-del' },
      { kind: 'created', sequenceNumber: '3', after: made, stamp: { ...stamp, position: 0 } },
    ]);
    expect(deleted?.data).toMatchObject({
      type: 'record.deleted',
      version: 3,
      old: { name: 'Gone', city: 'Liège' },
      new: null,
      display_name: 'Gone',
      write_uid: 6,
      write_date: '2026-12-06 11:00:00',
      client_id: 'client-b',
      transaction: { id: 'tx-del', count: 2, position: 1 },
    });
    expect(created?.data).toMatchObject({
      type: 'record.created',
      old: null,
      new: { name: 'Made', email: 'm@example.com' },
    });
    expect(created?.data.changed_fields).toEqual(['name', 'email', 'complete_name'].sort((a, b) => fieldIndex(a) - fieldIndex(b)));
  });

  it('gives the same change the same id, and another record or transaction another', () => {
    expect(changeId('t', 'res.partner', 1)).toBe(changeId('t', 'res.partner', 1));
    expect(
      new Set([changeId('t', 'res.partner', 1), changeId('t', 'res.partner', 2), changeId('u', 'res.partner', 1)]).size,
    ).toBe(3);
  });

  it('does not publish the webhook machinery’s own records', () => {
    const delivery = { ...partner(1, 1, {}), model: 'ir.webhook.delivery' };
    const kept: StreamChange = { kind: 'created', sequenceNumber: '1', after: partner(1, 1, {}), stamp };
    expect(publishable([{ kind: 'created', sequenceNumber: '0', after: delivery, stamp }, kept])).toEqual([kept]);
  });
});

describe('publishBatch', () => {
  const stamp: ChangeStamp = { transactionId: 'tx', count: 3, position: 0, clientId: 'c' };
  const changes: StreamChange[] = [1, 2, 3].map((id) => ({
    kind: 'created',
    sequenceNumber: `seq-${id}`,
    after: partner(id, 1, { name: `P${id}` }),
    stamp: { ...stamp, position: id - 1 },
  }));
  const log = { info: () => undefined, error: () => undefined };

  function feed(
    bus: EventBusPort,
    deliver: (changes: readonly Change[]) => Promise<unknown> = async () => 0,
  ): ChangeFeedDeps {
    return {
      registry,
      store: new MemoryRecordStore(),
      headers: async () => new Map(),
      bus,
      eventBusName: 'odoo-bus',
      eventSource: 'odoo-rest-lambda.test',
      deliver,
      log,
    };
  }

  it('publishes every change with its detail-type and hands them all to the webhooks', async () => {
    const sent: EventEntry[] = [];
    const delivered: Change[] = [];
    const bus: EventBusPort = {
      putEvents: async (entries) => {
        sent.push(...entries);
        return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `e${i}` })) };
      },
    };
    const result = await publishBatch(
      feed(bus, async (all) => delivered.push(...all)),
      changes,
    );
    expect(result).toEqual({ changes: 3, published: 3, retryFrom: undefined });
    expect(sent.map((entry) => [entry.Source, entry.DetailType, entry.EventBusName])).toEqual([
      ['odoo-rest-lambda.test', 'res.partner created', 'odoo-bus'],
      ['odoo-rest-lambda.test', 'res.partner created', 'odoo-bus'],
      ['odoo-rest-lambda.test', 'res.partner created', 'odoo-bus'],
    ]);
    expect(delivered.map((change) => change.data.record_id)).toEqual([1, 2, 3]);
  });

  it('asks for the batch again from the first change EventBridge kept failing', async () => {
    const bus: EventBusPort = {
      putEvents: async (entries) => ({
        FailedEntryCount: 1,
        Entries: entries.map((entry) =>
          (JSON.parse(entry.Detail) as { record_id: number }).record_id === 2
            ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }
            : { EventId: 'ok' },
        ),
      }),
    };
    const result = await publishBatch({ ...feed(bus) }, changes);
    expect(result.retryFrom).toBe('seq-2');
    expect(result.published).toBe(2);
  });

  it('tells the webhooks their subscriptions changed when the batch holds a change of one, and publishes none of it', async () => {
    const sent: EventEntry[] = [];
    const bus: EventBusPort = {
      putEvents: async (entries) => {
        sent.push(...entries);
        return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: 'ok' })) };
      },
    };
    const told: string[] = [];
    const subscription: StreamChange = {
      kind: 'created',
      sequenceNumber: 'seq-0',
      after: { ...partner(1, 1, { name: 'hook' }), model: 'ir.webhook' },
      stamp,
    };
    const deps = { ...feed(bus), subscriptionsChanged: () => told.push('changed') };
    await publishBatch(deps, [subscription, ...changes]);
    expect(told).toEqual(['changed']);
    expect(sent.map((entry) => (JSON.parse(entry.Detail) as { model: string }).model)).toEqual([
      'res.partner',
      'res.partner',
      'res.partner',
    ]);
    await publishBatch(deps, changes);
    expect(told).toEqual(['changed']);
  });

  it('asks for the whole batch again when the webhooks could not take it', async () => {
    const bus: EventBusPort = {
      putEvents: async (entries) => ({ FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: 'ok' })) }),
    };
    const result = await publishBatch(
      feed(bus, async () => {
        throw new Error('down');
      }),
      changes,
    );
    expect(result.retryFrom).toBe('seq-1');
  });

  it('sends a change too large for one event without its values, saying so', () => {
    const data = {
      id: 'evt_x',
      type: 'record.created' as const,
      model: 'res.partner',
      record_id: 1,
      version: 1,
      changed_fields: ['comment'],
      old: null,
      new: { comment: 'x'.repeat(300 * 1024) },
      display_name: 'P1',
      write_uid: 2,
      write_date: null,
      client_id: 'c',
      transaction: { id: stamp.transactionId, count: 1, position: 0 },
    };
    const entry = eventEntry(data, { eventBusName: 'b', eventSource: 's' });
    expect(JSON.parse(entry.Detail)).toMatchObject({
      id: 'evt_x',
      new: null,
      values_omitted: true,
      changed_fields: ['comment'],
    });
  });
});

function fieldIndex(name: string): number {
  return registry.get('res.partner')?.fields.findIndex((field) => field.name === name) ?? -1;
}
