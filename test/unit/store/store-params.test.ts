import type { Indexer, StoredRecord, StoredValue, WriteAction } from '../../../lib/records/port';
import { numberKey } from '../../../lib/indexes/keys';
import { buildIndexQueryParams, buildOrderQueryParams, buildReleaseIdsParams, buildReserveIdsParams, buildTransactWriteParams, fromItem, recordItemKey, shardOf, toItem } from '../../../lib/store/dynamodb/records-table';
import { MODEL_INDEX_SHARDS } from '../../../lib/records/port';

// DESIGN §2: every attribute name goes through ExpressionAttributeNames; one TransactWriteItems
// with a version condition per record and a ConditionCheck per referenced record; one partition
// per record (no hot key per model) and a sharded index to list a model without a scan.

const TABLE = 'records-test';
const NOW_MS = Date.parse('2024-03-04T05:06:07Z');
/** The ConditionCheck of res.country 482 at NOW_MS. */
const CHECK_482 = {
  TableName: TABLE,
  Key: { pk: 'res.country#482' },
  ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#deleting) OR #deleting <= :now)',
  ExpressionAttributeNames: { '#deleting': 'deleting' },
  ExpressionAttributeValues: { ':now': NOW_MS },
};

function values(entries: Record<string, StoredValue>): Record<string, StoredValue> {
  return Object.assign(Object.create(null) as Record<string, StoredValue>, entries);
}

/** DynamoDB reserved words that are also Odoo field names (a sample of the 573). */
const RESERVED_FIELD_NAMES = ['name', 'comment', 'date', 'type', 'zip', 'function', 'active', 'ref', 'lang', 'color', 'state', 'user', 'key', 'value'];

/** No declared indexes: the expressions below are those of the record's own attributes only. */
const NO_INDEXES: Indexer = () => undefined;

describe('store/records', () => {
  describe('buildTransactWriteParams', () => {
    it('returns an Update with counter placeholders, a version condition and the version bump', () => {
      const actions: WriteAction[] = [
        {
          kind: 'update',
          key: { model: 'res.partner', id: 17 },
          expectedVersion: 3,
          set: values({ street2: 'Chung Hsiao East Road', write_uid: 2, write_date: '2024-03-04 05:06:07' }),
          after: values({ street2: 'Chung Hsiao East Road', write_uid: 2, write_date: '2024-03-04 05:06:07' }),
        },
      ];
      expect(buildTransactWriteParams(TABLE, actions, undefined, NO_INDEXES)).toStrictEqual({
        TransactItems: [
          {
            Update: {
              TableName: TABLE,
              Key: { pk: 'res.partner#17' },
              UpdateExpression: 'SET #n0.#n2 = :v3, #n0.#n4 = :v5, #n0.#n6 = :v7, #n1 = :v8',
              ConditionExpression: '#n1 = :v9',
              ExpressionAttributeNames: { '#n0': 'v', '#n1': 'version', '#n2': 'street2', '#n4': 'write_uid', '#n6': 'write_date' },
              ExpressionAttributeValues: { ':v3': 'Chung Hsiao East Road', ':v5': 2, ':v7': '2024-03-04 05:06:07', ':v8': 4, ':v9': 3 },
            },
          },
        ],
      });
    });

    it("returns an append to a parent's list: list_append at any version, the version moved on, a check's demands as its condition", () => {
      const [item] = buildTransactWriteParams(TABLE, [{ kind: 'append', key: { model: 'res.partner', id: 18 }, lists: { child_ids: [40, 41] }, now: NOW_MS }]).TransactItems ?? [];
      expect(item?.Update).toStrictEqual({
        TableName: TABLE,
        Key: { pk: 'res.partner#18' },
        UpdateExpression: 'SET #n0.#n3 = list_append(if_not_exists(#n0.#n3, :v2), :v4), #n1 = #n1 + :v5',
        ConditionExpression: 'attribute_exists(#n7) AND (attribute_not_exists(#n6) OR #n6 <= :v8)',
        ExpressionAttributeNames: { '#n0': 'v', '#n1': 'version', '#n3': 'child_ids', '#n6': 'deleting', '#n7': 'pk' },
        ExpressionAttributeValues: { ':v2': [], ':v4': [40, 41], ':v5': 1, ':v8': NOW_MS },
      });
    });

    it('returns a ConditionCheck that the record exists and holds no deletion mark valid at the check time', () => {
      expect(buildTransactWriteParams(TABLE, [{ kind: 'check', key: { model: 'res.country', id: 482 }, now: NOW_MS }])).toStrictEqual({
        TransactItems: [{ ConditionCheck: CHECK_482 }],
      });
    });

    it('adds to a ConditionCheck the values the record must still hold (a company whose name a contact was named after)', () => {
      const check: WriteAction = { kind: 'check', key: { model: 'res.partner', id: 12 }, now: NOW_MS, holding: { name: 'Azure Interior', parent_id: null } };
      expect(buildTransactWriteParams(TABLE, [check]).TransactItems?.[0]?.ConditionCheck).toStrictEqual({
        ...CHECK_482,
        Key: { pk: 'res.partner#12' },
        ConditionExpression: `${CHECK_482.ConditionExpression} AND #n0.#n1 = :v2 AND (attribute_not_exists(#n0.#n3) OR #n0.#n3 = :v4)`,
        ExpressionAttributeNames: { '#deleting': 'deleting', '#n0': 'v', '#n1': 'name', '#n3': 'parent_id' },
        ExpressionAttributeValues: { ':now': NOW_MS, ':v2': 'Azure Interior', ':v4': null },
      });
    });

    it("returns a delete's mark as an Update: the mark, its token and version+1, if at the version read and no other delete's mark holds", () => {
      const mark: WriteAction = { kind: 'mark', key: { model: 'res.country', id: 482 }, expectedVersion: 3, mark: { until: NOW_MS + 30_000, token: 'tok-1' }, now: NOW_MS };
      expect(buildTransactWriteParams(TABLE, [mark])).toStrictEqual({
        TransactItems: [
          {
            Update: {
              TableName: TABLE,
              Key: { pk: 'res.country#482' },
              UpdateExpression: 'SET #deleting = :until, #deletingBy = :token, #version = :next',
              ConditionExpression: '#version = :expected AND (attribute_not_exists(#deleting) OR #deleting <= :now OR #deletingBy = :token)',
              ExpressionAttributeNames: { '#deleting': 'deleting', '#deletingBy': 'deletingBy', '#version': 'version' },
              ExpressionAttributeValues: { ':until': NOW_MS + 30_000, ':token': 'tok-1', ':next': 4, ':expected': 3, ':now': NOW_MS },
            },
          },
        ],
      });
    });

    it("returns an unmark as an Update that removes the mark only while it is that request's (the version stays)", () => {
      expect(buildTransactWriteParams(TABLE, [{ kind: 'unmark', key: { model: 'res.country', id: 482 }, token: 'tok-1' }])).toStrictEqual({
        TransactItems: [
          {
            Update: {
              TableName: TABLE,
              Key: { pk: 'res.country#482' },
              UpdateExpression: 'REMOVE #deleting, #deletingBy',
              ConditionExpression: '#deletingBy = :token',
              ExpressionAttributeNames: { '#deleting': 'deleting', '#deletingBy': 'deletingBy' },
              ExpressionAttributeValues: { ':token': 'tok-1' },
            },
          },
        ],
      });
    });

    it('returns the items in action order, each Update with its own placeholder counter', () => {
      const actions: WriteAction[] = [
        { kind: 'update', key: { model: 'res.partner', id: 17 }, expectedVersion: 1, set: values({ country_id: 482 }), after: values({ country_id: 482 }) },
        { kind: 'update', key: { model: 'res.partner', id: 20 }, expectedVersion: 5, set: values({ country_id: 482 }), after: values({ country_id: 482 }) },
        { kind: 'check', key: { model: 'res.country', id: 482 }, now: NOW_MS },
      ];
      const update = (pk: string, expected: number) => ({
        Update: {
          TableName: TABLE,
          Key: { pk },
          UpdateExpression: 'SET #n0.#n2 = :v3, #n1 = :v4',
          ConditionExpression: '#n1 = :v5',
          ExpressionAttributeNames: { '#n0': 'v', '#n1': 'version', '#n2': 'country_id' },
          ExpressionAttributeValues: { ':v3': 482, ':v4': expected + 1, ':v5': expected },
        },
      });
      expect(buildTransactWriteParams(TABLE, actions, undefined, NO_INDEXES)).toStrictEqual({
        TransactItems: [
          update('res.partner#17', 1),
          update('res.partner#20', 5),
          { ConditionCheck: CHECK_482 },
        ],
      });
    });

    it('returns null, false, lists and empty lists as the values to set', () => {
      const [item] = buildTransactWriteParams(TABLE, [
        { kind: 'update', key: { model: 'res.partner', id: 1 }, expectedVersion: 0, set: values({ street: null, is_company: false, category_id: [1, 2], child_ids: [] }), after: values({ street: null, is_company: false, category_id: [1, 2], child_ids: [] }) },
      ], undefined, NO_INDEXES).TransactItems ?? [];
      expect(item?.Update?.ExpressionAttributeValues).toStrictEqual({ ':v3': null, ':v5': false, ':v7': [1, 2], ':v9': [], ':v10': 1, ':v11': 0 });
    });

    it('returns expressions that alias every attribute name, reserved words included', () => {
      const set = values(Object.fromEntries(RESERVED_FIELD_NAMES.map((name, i) => [name, `value ${i}`])));
      const [item] = buildTransactWriteParams(TABLE, [{ kind: 'update', key: { model: 'res.partner', id: 17 }, expectedVersion: 3, set, after: set }], undefined, NO_INDEXES).TransactItems ?? [];
      const update = item?.Update;
      expect(update).toBeDefined();
      // Nothing but placeholders, '=', ',' and the SET keyword in the expressions.
      const tokens = `${update?.UpdateExpression} ${update?.ConditionExpression}`.split(/[\s,]+/).filter(Boolean);
      for (const token of tokens) expect(token).toMatch(/^(SET|=|#n\d+(\.#n\d+)?|:v\d+)$/);
      // Every field name is reached through a placeholder.
      expect(Object.values(update?.ExpressionAttributeNames ?? {}).sort()).toStrictEqual([...RESERVED_FIELD_NAMES, 'v', 'version'].sort());
      // Every placeholder used is defined, and every one defined is used.
      const usedNames = new Set(tokens.flatMap((t) => t.match(/#n\d+/g) ?? []));
      const usedValues = new Set(tokens.flatMap((t) => t.match(/:v\d+/g) ?? []));
      expect([...usedNames].sort()).toStrictEqual(Object.keys(update?.ExpressionAttributeNames ?? {}).sort());
      expect([...usedValues].sort()).toStrictEqual(Object.keys(update?.ExpressionAttributeValues ?? {}).sort());
    });

    it('returns a field named __proto__ as an ordinary aliased attribute', () => {
      const set = values({});
      Object.defineProperty(set, '__proto__', { value: 'x', enumerable: true, writable: true, configurable: true });
      const [item] = buildTransactWriteParams(TABLE, [{ kind: 'update', key: { model: 'res.partner', id: 1 }, expectedVersion: 0, set, after: set }], undefined, NO_INDEXES).TransactItems ?? [];
      expect(Object.values(item?.Update?.ExpressionAttributeNames ?? {})).toContain('__proto__');
      expect(Object.values(item?.Update?.ExpressionAttributeValues ?? {})).toContain('x');
    });

    it('returns no items for no actions', () => {
      expect(buildTransactWriteParams(TABLE, [])).toStrictEqual({ TransactItems: [] });
    });
  });

  describe('an Idempotency-Key claim in a transaction', () => {
    it('returns a Put of its own item (no shard: in no model index), conditioned on no live claim of that key', () => {
      const claim = { id: 'abc', fingerprint: 'f1', model: 'res.partner', recordIds: [42, 43], expiresAt: 1_800_086_400 };
      expect(buildTransactWriteParams(TABLE, [{ kind: 'claim', claim, now: 1_800_000_000 }])).toStrictEqual({
        TransactItems: [
          {
            Put: {
              TableName: TABLE,
              Item: { pk: 'idempotency#abc', fingerprint: 'f1', model: 'res.partner', recordIds: [42, 43], expiresAt: 1_800_086_400 },
              ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt <= :now',
              ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
              ExpressionAttributeValues: { ':now': 1_800_000_000 },
            },
          },
        ],
      });
    });
  });

  describe('id reservations', () => {
    it('returns an increment that marks the counter with its token and fails for a retry of itself', () => {
      expect(buildReserveIdsParams(TABLE, 'res.partner', 3, 't-1')).toStrictEqual({
        TableName: TABLE,
        Key: { pk: 'sequence#res.partner' },
        UpdateExpression: 'SET #reservation = :token ADD #next :count',
        ConditionExpression: 'attribute_not_exists(#reservation) OR #reservation <> :token',
        ExpressionAttributeNames: { '#next': 'next', '#reservation': 'reservation' },
        ExpressionAttributeValues: { ':count': 3, ':token': 't-1' },
        ReturnValues: 'UPDATED_NEW',
      });
    });

    it('returns a release that moves the counter below the range only while it still ends there', () => {
      expect(buildReleaseIdsParams(TABLE, { model: 'res.partner', ids: [41, 42, 43], token: 't-1' })).toStrictEqual({
        TableName: TABLE,
        Key: { pk: 'sequence#res.partner' },
        UpdateExpression: 'SET #next = :before',
        ConditionExpression: '#next = :last',
        ExpressionAttributeNames: { '#next': 'next' },
        ExpressionAttributeValues: { ':before': 40, ':last': 43 },
      });
    });
  });

  describe('recordItemKey', () => {
    it('returns one partition key per record: model#id', () => {
      expect(recordItemKey({ model: 'res.partner', id: 17 })).toStrictEqual({ pk: 'res.partner#17' });
    });
  });

  describe('shardOf', () => {
    it.each<[number, string]>([
      [0, 'res.partner#0'],
      [1, 'res.partner#1'],
      [15, 'res.partner#15'],
      [16, 'res.partner#0'],
      [17, 'res.partner#1'],
      [2 ** 31 - 1, 'res.partner#15'],
    ])('returns the shard of id %d', (id, expected) => {
      expect(shardOf({ model: 'res.partner', id })).toBe(expected);
    });

    it('returns every one of the model shards for consecutive ids, so one model has no single hot key', () => {
      const shards = new Set(Array.from({ length: 64 }, (_, i) => shardOf({ model: 'res.partner', id: i + 1 })));
      expect(shards.size).toBe(MODEL_INDEX_SHARDS);
      expect(MODEL_INDEX_SHARDS).toBeGreaterThan(1);
      for (const shard of shards) expect(shard.startsWith('res.partner#')).toBe(true);
    });

    it('returns different shards for the same id of different models', () => {
      expect(shardOf({ model: 'res.partner', id: 3 })).not.toBe(shardOf({ model: 'res.country', id: 3 }));
    });
  });

  describe('toItem', () => {
    it('returns the item with its key, model, id, shard, version and the values under v', () => {
      const record: StoredRecord = { model: 'res.partner', id: 17, version: 3, values: values({ name: 'Edward Foster', country_id: 274 }) };
      expect(toItem(record, NO_INDEXES)).toStrictEqual({
        pk: 'res.partner#17',
        model: 'res.partner',
        id: 17,
        shard: 'res.partner#1',
        version: 3,
        v: values({ name: 'Edward Foster', country_id: 274 }),
      });
    });

    it("returns the record's entries in res.partner's declared indexes, one slot per field in declaration order, and its active flag", () => {
      const record: StoredRecord = { model: 'res.partner', id: 17, version: 3, values: values({ name: 'Edward Foster', country_id: 274, active: true, complete_name: 'Edward Foster' }) };
      // res.partner's order (complete_name, id desc): the name, its terminator, the id's complement
      const orderKey = `1Edward Foster\u0001\u0001${String(999_999_999_999_999 - 17)}`;
      expect(toItem(record)).toStrictEqual({
        pk: 'res.partner#17',
        model: 'res.partner',
        id: 17,
        shard: 'res.partner#1',
        version: 3,
        v: values({ name: 'Edward Foster', country_id: 274, active: true, complete_name: 'Edward Foster' }),
        // name, country_id, complete_name (vat, ref, parent_id and date have no value: no entry); shard 17 mod 16 = 1;
        // each entry ends with the record's order key, so one value's entries follow res.partner's order
        x1p: 'res.partner#name#1',
        x1s: `1edward foster\u0001\u0001Edward Foster\u0001\u0001${orderKey}`,
        x2p: 'res.partner#country_id#1',
        x2s: `1${numberKey(274)}\u0001\u0001${orderKey}`,
        x8p: 'res.partner#complete_name#1',
        x8s: `1edward foster\u0001\u0001Edward Foster\u0001\u0001${orderKey}`,
        a: true,
        os: orderKey,
        // Its keys in res.partner's sorted slots (name, email, vat, ref, date): the value (NULL after every value), the id.
        os1: '1Edward Foster\u0001\u0001000000000000017',
        os2: '2000000000000017',
        os3: '2000000000000017',
        os4: '2000000000000017',
        os5: '2000000000000017',
      });
    });
  });

  describe('buildIndexQueryParams', () => {
    const query = { slot: 5, partitions: ['res.partner#ref#3'], range: { kind: 'between' as const, from: '1a', to: '1b' } };

    it('asks for the id and the sort key of each entry (both index keys: nothing more is read), forward by default', () => {
      expect(buildIndexQueryParams('records', query, 'res.partner#ref#3', { limit: 7 })).toStrictEqual({
        TableName: 'records',
        IndexName: 'ix5',
        KeyConditionExpression: '#p = :p AND #s BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#p': 'x5p', '#s': 'x5s' },
        ExpressionAttributeValues: { ':p': 'res.partner#ref#3', ':from': '1a', ':to': '1b' },
        ProjectionExpression: 'pk, #s',
        Limit: 7,
      });
    });

    it('walks backward with ScanIndexForward false; a count asks for the count only', () => {
      expect(buildIndexQueryParams('records', query, 'res.partner#ref#3', { backward: true }).ScanIndexForward).toBe(false);
      const count = buildIndexQueryParams('records', query, 'res.partner#ref#3', { count: true });
      expect([count.Select, count.ProjectionExpression]).toStrictEqual(['COUNT', undefined]);
    });
  });

  describe('buildOrderQueryParams', () => {
    it("queries the order index by default, and a sorted slot's keys-only index by its own key, after a key, both ways", () => {
      expect(buildOrderQueryParams('t', 'res.partner#3', { afterKey: '1a', limit: 7 })).toMatchObject({
        IndexName: 'byOrder',
        KeyConditionExpression: '#shard = :shard AND #key > :after',
        ExpressionAttributeNames: { '#shard': 'shard', '#key': 'os' },
        ScanIndexForward: true,
        Limit: 7,
      });
      expect(buildOrderQueryParams('t', 'res.partner#3', { afterKey: '1a', backward: true, slot: 4 })).toMatchObject({
        IndexName: 'bySorted4',
        KeyConditionExpression: '#shard = :shard AND #key < :after',
        ExpressionAttributeNames: { '#shard': 'shard', '#key': 'os4' },
        ExpressionAttributeValues: { ':shard': 'res.partner#3', ':after': '1a' },
        ScanIndexForward: false,
      });
    });
  });

  describe('fromItem', () => {
    it('returns the record of an item, values in a null-prototype object', () => {
      const item = { pk: 'res.partner#20', model: 'res.partner', id: 20, shard: 'res.partner#4', version: 7, v: { name: 'Peter Mitchell', street2: null } };
      const record = fromItem(item);
      expect(record).toStrictEqual({ model: 'res.partner', id: 20, version: 7, values: values({ name: 'Peter Mitchell', street2: null }) });
      expect(Object.getPrototypeOf(record.values)).toBeNull();
    });

    it('returns numbers for id and version even when the item holds them as strings', () => {
      const record = fromItem({ pk: 'res.partner#20', model: 'res.partner', id: '20', version: '7', v: {} });
      expect([record.id, record.version]).toStrictEqual([20, 7]);
    });

    it("returns a delete's mark with the record, which reads as usual", () => {
      const item = { pk: 'res.country#274', model: 'res.country', id: 274, version: 2, v: { name: 'Belgium' }, deleting: NOW_MS, deletingBy: 'tok-1' };
      expect(fromItem(item)).toStrictEqual({ model: 'res.country', id: 274, version: 2, values: values({ name: 'Belgium' }), deleting: { until: NOW_MS, token: 'tok-1' } });
    });

    it('returns the same record after toItem', () => {
      const record: StoredRecord = { model: 'res.country', id: 274, version: 1, values: values({ name: 'Belgium', code: 'BE', state_ids: [1, 2] }) };
      expect(fromItem(toItem(record))).toStrictEqual(record);
    });

    it('returns a field named constructor or toString as an ordinary value', () => {
      const record = fromItem({ model: 'x', id: 1, version: 1, v: { constructor: 'a', toString: 'b' } });
      expect(record.values.constructor).toBe('a');
      expect(record.values.toString).toBe('b');
    });
  });
});
