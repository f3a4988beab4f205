/**
 * The write path of the records core (write, create, unlink: read, compute, commit, retry) through
 * the RecordStore port, over the in-memory double (test/helpers/memory-record-store.ts) seeded with
 * the demo data: no DynamoDB. Faults are injected at the port, the clock is fixed and the pauses
 * between attempts do not wait.
 */
import {
  InvalidValueError,
  RecordNotFoundError,
  RecordTooLargeError,
  ServiceUnavailableError,
  TransactionCancelledError,
  WriteConflictError,
} from '../../../lib/errors';
import { buildRegistry } from '../../../lib/models/registry';
import {
  createRecord,
  readRecords,
  unlinkRecords,
  writeRecords,
  type RecordsDeps,
  type StoredRecord,
  type StoredValue,
  type WriteAction,
} from '../../../lib/records';
import { updateAction } from '../../../lib/records/port';
import { DELETION_MARK_MS } from '../../../lib/records/ondelete';
import { recordsFromData } from '../../../lib/runtime/demo';
import type { PyDict, PyValue } from '../../../lib/wire/pyvalue';
import { shippedModels } from '../../../models';
import demoData from '../../../scripts/demo-data.json';
import { MemoryRecordStore, noCalls } from '../../helpers/memory-record-store';
import { rejection } from '../../helpers/thrown';
const unlinkCaller = { userId: 1, clientId: 'test' };

const registry = buildRegistry(shippedModels);
const NOW = new Date('2024-03-04T05:06:07Z');
const COMMIT_TIME = '2024-03-04 05:06:07';
/** Marc Demo (res.users 2) writes; the demo data was written by the Administrator (1). */
const caller = { userId: 2, clientId: 'client-a' };
const MARC_DEMO: PyValue = [2, 'Marc Demo'];
const DEMO_CREATED = '2017-07-03 09:00:00';
/** The highest res.partner id in the demo data: the partner sequence stands there. */
const LAST_DEMO_PARTNER = 26;
/** The double's call counters when the core called nothing. */

interface Setup {
  readonly store: MemoryRecordStore;
  readonly deps: RecordsDeps;
  /** The pauses the core asked for between attempts (none is waited). */
  readonly pauses: number[];
}

async function demoSetup(options: { maxAttempts?: number } = {}): Promise<Setup> {
  const store = new MemoryRecordStore();
  await store.putMany(recordsFromData(registry, demoData.records));
  store.resetCalls();
  const pauses: number[] = [];
  const sleep = async (ms: number) => void pauses.push(ms);
  return { store, pauses, deps: { registry, store, now: () => NOW, sleep, ...options } };
}

const vals = (entries: Array<[string, PyValue]>) => new Map(entries);

/** Records as ordered entries: read() answers are dicts whose key order is part of the wire format. */
const entries = (records: readonly PyDict[]) => records.map((record) => [...record]);

/** `record` with some keys given new values, each where it was. */
function changed(record: PyDict, changes: Array<[string, PyValue]>): PyDict {
  const copy = new Map(record);
  for (const [name, value] of changes) {
    if (!copy.has(name)) throw new Error(`no field ${name} in the record`);
    copy.set(name, value);
  }
  return copy;
}

/** A delete's own commit (past its marks): what a racing write is interleaved before. */
const isCommitOfDelete = (actions: readonly WriteAction[]) => actions.some((action) => action.kind === 'delete');

/** Another request's write of one record landing between our read and our commit. */
function otherWrite(store: MemoryRecordStore, model: string, id: number, set: Record<string, StoredValue>) {
  return async () => {
    const current = store.record(model, id) as StoredRecord;
    await store.putMany([{ ...current, version: current.version + 1, values: { ...current.values, ...set } }]);
  };
}

describe('writeRecords through the store port', () => {
  it('commits once and answers each record as read() renders it: new values, write_uid, write_date', async () => {
    const { store, deps } = await demoSetup();
    const before = await readRecords(deps, { model: 'res.partner', ids: [17, 20] });
    store.resetCalls();

    const answer = await writeRecords(deps, {
      model: 'res.partner',
      ids: [17, 20],
      vals: vals([
        ['city', 'Ghent'],
        ['country_id', 274],
      ]),
      caller,
    });

    const expected = before.map((record) =>
      changed(record, [
        ['city', 'Ghent'],
        ['country_id', [274, 'Belgium']],
        ['write_uid', MARC_DEMO],
        ['write_date', COMMIT_TIME],
      ]),
    );
    expect(entries(answer)).toEqual(entries(expected));
    expect(entries(await readRecords(deps, { model: 'res.partner', ids: [17, 20] }))).toEqual(entries(expected));
    expect([store.record('res.partner', 17)?.version, store.record('res.partner', 20)?.version]).toEqual([2, 2]);
  });

  it('takes two round trips to the port: the records, then the commit beside the display names', async () => {
    const { store, deps } = await demoSetup();
    await writeRecords(deps, { model: 'res.partner', ids: [17, 20], vals: vals([['city', 'Ghent']]), caller });
    expect(store.calls).toEqual({ ...noCalls(), getMany: 2, transact: 1 });
  });

  it('answers the whole record, related names included', async () => {
    const { deps } = await demoSetup();
    const [answer] = await writeRecords(deps, {
      model: 'res.partner.category',
      ids: [3],
      vals: vals([
        ['name', 'IT Services'],
        ['color', 5],
      ]),
      caller,
    });
    expect(entries([answer as PyDict])).toEqual([
      [
        ['id', 3],
        ['name', 'IT Services'],
        ['color', 5],
        ['parent_id', [1, 'Vendor']],
        ['child_ids', []],
        ['active', true],
        ['display_name', 'IT Services'],
        ['create_uid', [1, 'Administrator']],
        ['create_date', DEMO_CREATED],
        ['write_uid', MARC_DEMO],
        ['write_date', COMMIT_TIME],
      ],
    ]);
  });

  it('on a version conflict re-reads and retries, keeping the other write (no lost update)', async () => {
    const { store, deps, pauses } = await demoSetup();
    store.beforeNextTransact(otherWrite(store, 'res.partner', 17, { street: '1 Other Street' }));

    const [answer] = await writeRecords(deps, {
      model: 'res.partner',
      ids: [17],
      vals: vals([['city', 'Ghent']]),
      caller,
    });

    expect([answer?.get('street'), answer?.get('city')]).toEqual(['1 Other Street', 'Ghent']);
    expect(store.record('res.partner', 17)).toMatchObject({
      version: 3,
      values: { street: '1 Other Street', city: 'Ghent', write_uid: 2 },
    });
    expect(store.calls.transact).toBe(2);
    expect(pauses).toHaveLength(1);
  });

  it.each(['condition', 'conflict'] as const)(
    "retries a transaction cancelled once with '%s' and commits",
    async (reason) => {
      const { store, deps } = await demoSetup();
      store.failNextTransact(reason);

      const [answer] = await writeRecords(deps, {
        model: 'res.partner',
        ids: [17],
        vals: vals([['city', 'Ghent']]),
        caller,
      });

      expect(answer?.get('city')).toBe('Ghent');
      expect(store.record('res.partner', 17)).toMatchObject({ version: 2, values: { city: 'Ghent' } });
      expect(store.calls.transact).toBe(2);
    },
  );

  it('gives up after maxAttempts conflicts: WriteConflictError (409), nothing written', async () => {
    const { store, deps, pauses } = await demoSetup();
    const before = store.allRecords();
    store.failNextTransact('conflict', 4);

    const error = await rejection(
      writeRecords(deps, { model: 'res.partner', ids: [17, 20], vals: vals([['city', 'Ghent']]), caller }),
    );

    expect(error).toBeInstanceOf(WriteConflictError);
    expect((error as WriteConflictError).status).toBe(409);
    expect((error as Error).message).toBe(
      'The records res.partner(17, 20) kept changing during the write (4 attempts); nothing was written. Retry the request.',
    );
    expect(store.calls.transact).toBe(4);
    expect(pauses).toHaveLength(3);
    expect(store.allRecords()).toEqual(before);
  });

  it('throttled on every attempt: ServiceUnavailableError (503) after maxAttempts, nothing written', async () => {
    const { store, deps } = await demoSetup({ maxAttempts: 2 });
    const before = store.allRecords();
    store.failNextTransact('throttled', 2);

    const error = await rejection(
      writeRecords(deps, { model: 'res.partner', ids: [17], vals: vals([['city', 'Ghent']]), caller }),
    );

    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).status).toBe(503);
    expect(store.calls.transact).toBe(2);
    expect(store.allRecords()).toEqual(before);
  });

  it('missing ids: RecordNotFoundError (404) naming them in request order, nothing written', async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();

    const error = await rejection(
      writeRecords(deps, { model: 'res.partner', ids: [17, 999, 20, 998], vals: vals([['city', 'Ghent']]), caller }),
    );

    expect(error).toBeInstanceOf(RecordNotFoundError);
    expect((error as RecordNotFoundError).status).toBe(404);
    expect((error as RecordNotFoundError).missingIds).toEqual([999, 998]);
    expect((error as Error).message).toBe('Record not found: res.partner(999, 998)');
    expect(store.calls.transact).toBe(0);
    expect(store.allRecords()).toEqual(before);
  });

  it('a many2one to a record that does not exist: InvalidValueError (403) naming the field, not retried, nothing written', async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();

    const error = await rejection(
      writeRecords(deps, { model: 'res.partner', ids: [17, 20], vals: vals([['country_id', 9999]]), caller }),
    );

    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).status).toBe(403);
    expect((error as Error).message).toBe(
      "Invalid value for field 'country_id' (many2one) on model 'res.partner': res.country(9999) does not exist",
    );
    expect(store.calls.transact).toBe(1);
    expect(store.allRecords()).toEqual(before);
  });

  it("a 'too-large' cancellation: RecordTooLargeError (413), not retried, nothing written", async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();
    store.failNextTransact(['none', 'too-large']);

    const error = await rejection(
      writeRecords(deps, { model: 'res.partner', ids: [17, 20], vals: vals([['comment', 'long']]), caller }),
    );

    expect(error).toBeInstanceOf(RecordTooLargeError);
    expect((error as RecordTooLargeError).status).toBe(413);
    expect(store.calls.transact).toBe(1);
    expect(store.allRecords()).toEqual(before);
  });

  it('a value that makes the record pass 400 KB: 413, nothing written', async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();

    const error = await rejection(
      writeRecords(deps, {
        model: 'res.partner',
        ids: [17],
        vals: vals([['comment', 'x'.repeat(410 * 1024)]]),
        caller,
      }),
    );

    expect(error).toBeInstanceOf(RecordTooLargeError);
    expect(store.allRecords()).toEqual(before);
  });

  it('an error that is not a cancellation reaches the caller as it is, after one attempt', async () => {
    const { store, deps } = await demoSetup();
    const failure = new Error('socket hang up');
    store.failNextTransact(failure);

    const error = await rejection(
      writeRecords(deps, { model: 'res.partner', ids: [17], vals: vals([['city', 'Ghent']]), caller }),
    );

    expect(error).toBe(failure);
    expect(store.calls.transact).toBe(1);
  });

  it('creates the records of (0, 0, vals) with ids from their sequence, linked to the written record', async () => {
    const { store, deps } = await demoSetup();

    const [answer] = await writeRecords(deps, {
      model: 'res.partner',
      ids: [17],
      vals: vals([['child_ids', [[0, 0, vals([['name', 'Child']])]]]]),
      caller,
    });

    const childId = LAST_DEMO_PARTNER + 1;
    expect(answer?.get('child_ids')).toEqual([childId]);
    expect(store.record('res.partner', childId)?.values).toMatchObject({
      name: 'Child',
      parent_id: 17,
      create_uid: 2,
      create_date: COMMIT_TIME,
    });
  });

  it('a write that fails gives back the ids its (0, 0, vals) took: the next create gets the first of them', async () => {
    const { store, deps } = await demoSetup();
    store.failNextTransact('throttled', 4);

    const error = await rejection(
      writeRecords(deps, {
        model: 'res.partner',
        ids: [17],
        vals: vals([['child_ids', [[0, 0, vals([['name', 'Child']])]]]]),
        caller,
      }),
    );
    const next = await createRecord(deps, { model: 'res.partner', vals: vals([['name', 'Next']]), caller });

    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(next.get('id')).toBe(LAST_DEMO_PARTNER + 1);
  });
});

describe('createRecord through the store port', () => {
  it("takes the next id from the model's sequence and answers the whole record as read() does", async () => {
    const { store, deps } = await demoSetup();

    const answer = await createRecord(deps, {
      model: 'res.partner.category',
      vals: vals([
        ['name', 'Retail'],
        ['parent_id', 2],
      ]),
      caller,
    });

    const expected = [
      ['id', 4],
      ['name', 'Retail'],
      ['color', 0],
      ['parent_id', [2, 'Prospects']],
      ['child_ids', []],
      ['active', true],
      ['display_name', 'Retail'],
      ['create_uid', MARC_DEMO],
      ['create_date', COMMIT_TIME],
      ['write_uid', MARC_DEMO],
      ['write_date', COMMIT_TIME],
    ];
    expect([...answer]).toEqual(expected);
    expect(entries(await readRecords(deps, { model: 'res.partner.category', ids: [4] }))).toEqual([expected]);
    expect(store.record('res.partner.category', 4)?.version).toBe(1);
    expect(store.calls).toMatchObject({ reserveIds: 1, transact: 1, releaseIds: 0 });
  });

  it('a create whose commit fails gives its id back: the next create gets the same id', async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();
    store.failNextTransact('throttled', 4);

    const error = await rejection(
      createRecord(deps, { model: 'res.partner', vals: vals([['name', 'First']]), caller }),
    );

    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(store.allRecords()).toEqual(before);
    expect(store.lastId('res.partner')).toBe(LAST_DEMO_PARTNER);
    const next = await createRecord(deps, { model: 'res.partner', vals: vals([['name', 'Second']]), caller });
    expect(next.get('id')).toBe(LAST_DEMO_PARTNER + 1);
  });

  it('keeps its id across retries of a conflict (no id spent per attempt)', async () => {
    const { store, deps } = await demoSetup();
    store.failNextTransact('conflict', 2);

    const answer = await createRecord(deps, { model: 'res.partner', vals: vals([['name', 'New']]), caller });

    expect(answer.get('id')).toBe(LAST_DEMO_PARTNER + 1);
    expect(store.calls).toMatchObject({ transact: 3, reserveIds: 1 });
    expect(store.lastId('res.partner')).toBe(LAST_DEMO_PARTNER + 1);
  });

  it('an id found taken (a record written behind the sequence) is skipped: the create retries with a new id', async () => {
    const { store, deps } = await demoSetup();
    const taken = LAST_DEMO_PARTNER + 1;
    const loaded = recordsFromData(registry, {
      'res.partner': [{ id: taken, name: 'Loaded with its own id' }],
    })[0] as StoredRecord;
    await store.transact([{ kind: 'create', key: { model: 'res.partner', id: taken }, record: loaded }]);
    store.resetCalls();

    const answer = await createRecord(deps, { model: 'res.partner', vals: vals([['name', 'New']]), caller });

    expect(answer.get('id')).toBe(taken + 1);
    expect(store.record('res.partner', taken)?.values.name).toBe('Loaded with its own id');
    expect(store.record('res.partner', taken + 1)?.values.name).toBe('New');
    expect(store.calls).toMatchObject({ transact: 2, reserveIds: 2 });
  });

  it("an injected 'condition' on the create action also means its id is taken: a new id", async () => {
    const { store, deps } = await demoSetup();
    store.failNextTransact('condition');

    const answer = await createRecord(deps, { model: 'res.partner', vals: vals([['name', 'New']]), caller });

    expect(answer.get('id')).toBe(LAST_DEMO_PARTNER + 2);
    expect(store.calls).toMatchObject({ transact: 2, reserveIds: 2 });
  });

  it('a many2one to a record that does not exist: 403 naming the field, nothing written, its id given back', async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();

    const error = await rejection(
      createRecord(deps, {
        model: 'res.partner',
        vals: vals([
          ['name', 'New'],
          ['country_id', 9999],
        ]),
        caller,
      }),
    );

    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).status).toBe(403);
    expect((error as Error).message).toContain("'country_id'");
    expect(store.allRecords()).toEqual(before);
    expect(store.lastId('res.partner')).toBe(LAST_DEMO_PARTNER);
  });

  it('a required field left out is refused (403) before an id is taken', async () => {
    const { store, deps } = await demoSetup();

    const error = await rejection(
      createRecord(deps, { model: 'res.partner', vals: vals([['city', 'Ghent']]), caller }),
    );

    expect(error).toBeInstanceOf(InvalidValueError);
    expect(store.calls).toEqual(noCalls());
  });
});

describe('unlinkRecords through the store port', () => {
  it('marks every record named in one transaction, then deletes them all in one transaction', async () => {
    const { store, deps } = await demoSetup();

    await unlinkRecords(deps, { caller: unlinkCaller, model: 'res.partner', ids: [17, 20] });

    expect([store.record('res.partner', 17), store.record('res.partner', 20)]).toEqual([undefined, undefined]);
    expect(store.calls.transact).toBe(2);
    const error = await rejection(readRecords(deps, { model: 'res.partner', ids: [17, 20] }));
    expect((error as RecordNotFoundError).missingIds).toEqual([17, 20]);
  });

  it('applies the ondelete rules in the same transaction: cascade deletes, links to the deleted dropped', async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();

    await unlinkRecords(deps, { caller: unlinkCaller, model: 'res.partner.category', ids: [1] });

    // Category 3's parent_id (ondelete cascade) is 1; partners 18 (tags 1, 3) and 26 (tag 1) lose them; 12 (tag 2) keeps its.
    expect([1, 2, 3].map((id) => store.record('res.partner.category', id) !== undefined)).toEqual([false, true, false]);
    expect([12, 18, 26].map((id) => store.record('res.partner', id)?.values.category_id)).toEqual([[2], [], []]);
    // The marks of tag 1, then of the tag it cascades to (3), then the one commit.
    expect(store.calls.transact).toBe(3);
    const untouched = (records: StoredRecord[]) =>
      records.filter(
        (r) =>
          !['res.partner.category#1', 'res.partner.category#3', 'res.partner#18', 'res.partner#26'].includes(
            `${r.model}#${r.id}`,
          ),
      );
    expect(untouched(store.allRecords())).toEqual(untouched(before));
  });

  it('a missing id: RecordNotFoundError (404) naming it, nothing deleted', async () => {
    const { store, deps } = await demoSetup();
    const before = store.allRecords();

    const error = await rejection(
      unlinkRecords(deps, { caller: unlinkCaller, model: 'res.partner', ids: [17, 999, 20] }),
    );

    expect(error).toBeInstanceOf(RecordNotFoundError);
    expect((error as RecordNotFoundError).status).toBe(404);
    expect((error as RecordNotFoundError).missingIds).toEqual([999]);
    expect(store.calls.transact).toBe(0);
    expect(store.allRecords()).toEqual(before);
  });

  it('all or nothing: while a record it must update keeps changing, nothing is deleted, then 409', async () => {
    const { store, deps } = await demoSetup();
    const tagValues = [1, 3].map((id) => store.record('res.partner.category', id)?.values);
    store.beforeNextTransact(otherWrite(store, 'res.partner', 26, { city: 'Elsewhere' }), 4, isCommitOfDelete);

    const error = await rejection(
      unlinkRecords(deps, { caller: unlinkCaller, model: 'res.partner.category', ids: [1] }),
    );

    expect(error).toBeInstanceOf(WriteConflictError);
    expect((error as WriteConflictError).status).toBe(409);
    // Per attempt: the marks of tags 1 and 3, and the commit; at the end, the two marks removed.
    expect(store.calls.transact).toBe(4 * 3 + 2);
    // The values as they were and no mark left (the versions moved on with each attempt's marks).
    expect([1, 3].map((id) => store.record('res.partner.category', id)?.deleting)).toEqual([undefined, undefined]);
    expect([1, 3].map((id) => store.record('res.partner.category', id)?.values)).toEqual(tagValues);
    expect(store.record('res.partner', 18)?.values.category_id).toEqual([1, 3]);
    expect(store.record('res.partner', 26)?.values).toMatchObject({ category_id: [1], city: 'Elsewhere' });
  });
});

/**
 * Issue 15 §5: a delete plans its ondelete rules from a scan, so it first marks its records, and a
 * write's check of a referenced record refuses a marked one. The racing write is interleaved at
 * the exact moment through beforeNextTransact.
 */
describe('a delete racing a write that links to its records', () => {
  const ATLANTIS = 900;
  const atlantis: StoredRecord = {
    model: 'res.country',
    id: ATLANTIS,
    version: 1,
    values: { name: 'Atlantis', code: 'AQ', state_ids: [] },
  };
  const isMark = (actions: readonly WriteAction[]) => actions.some((action) => action.kind === 'mark');
  const linkTo = (deps: RecordsDeps, id: number, field: string, target: number) =>
    writeRecords(deps, { model: 'res.partner', ids: [id], vals: vals([[field, target]]), caller });
  const settle = <T>(promise: Promise<T>) =>
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );

  it('a write that links to a record whose delete has started fails, writing nothing (409 while it runs, 403 once it committed)', async () => {
    const { store, deps } = await demoSetup();
    await store.putMany([atlantis]);
    const partner = store.record('res.partner', 17);
    let raced: { value?: unknown; error?: unknown } = {};
    // The write reads and commits between the delete's scan and its commit.
    store.beforeNextTransact(
      async () => void (raced = await settle(linkTo(deps, 17, 'country_id', ATLANTIS))),
      1,
      isCommitOfDelete,
    );

    await unlinkRecords(deps, { caller: unlinkCaller, model: 'res.country', ids: [ATLANTIS] });

    expect(raced.error).toBeInstanceOf(WriteConflictError);
    expect((raced.error as WriteConflictError).message).toBe(
      'res.country(900) is being deleted by another request (4 attempts); nothing was written. Retry the request.',
    );
    expect(store.record('res.country', ATLANTIS)).toBeUndefined();
    expect(store.record('res.partner', 17)).toEqual(partner);
    const after = await rejection(linkTo(deps, 17, 'country_id', ATLANTIS));
    expect(after).toStrictEqual(
      new InvalidValueError(
        "Invalid value for field 'country_id' (many2one) on model 'res.partner': res.country(900) does not exist",
      ),
    );
  });

  it('a delete that finds a reference made before its mark applies restrict: 403, its mark removed, the reference kept', async () => {
    const { store, deps } = await demoSetup();
    await store.putMany([atlantis]);
    // The write lands after the delete read the country, before it marked it.
    store.beforeNextTransact(async () => void (await linkTo(deps, 17, 'country_id', ATLANTIS)), 1, isMark);

    const error = await rejection(unlinkRecords(deps, { caller: unlinkCaller, model: 'res.country', ids: [ATLANTIS] }));

    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).message).toMatch(/Field: Country \(country_id\), record res\.partner\(17\)$/);
    expect([store.record('res.country', ATLANTIS)?.values, store.record('res.country', ATLANTIS)?.deleting]).toEqual([
      atlantis.values,
      undefined,
    ]);
    expect(store.record('res.partner', 17)?.values.country_id).toBe(ATLANTIS);
    // No mark left behind: the next write may link to it at once.
    const [answer] = await linkTo(deps, 20, 'country_id', ATLANTIS);
    expect(answer?.get('country_id')).toStrictEqual([ATLANTIS, 'Atlantis']);
  });

  it('a delete that finds a reference made before its mark applies set null', async () => {
    const { store, deps } = await demoSetup();
    await store.putMany([
      {
        model: 'res.partner',
        id: 900,
        version: 1,
        values: { name: 'Doomed Co', active: true, child_ids: [], category_id: [] },
      },
    ]);
    store.beforeNextTransact(async () => void (await linkTo(deps, 17, 'parent_id', 900)), 1, isMark);

    await unlinkRecords(deps, { caller: unlinkCaller, model: 'res.partner', ids: [900] });

    expect(store.record('res.partner', 900)).toBeUndefined();
    expect(store.record('res.partner', 17)?.values.parent_id).toBeNull();
  });

  it('a delete that finds a reference made before its mark applies cascade (and marks the cascaded record before looking further)', async () => {
    const { store, deps } = await demoSetup();
    await store.putMany([
      { model: 'res.partner.category', id: 900, version: 1, values: { name: 'Doomed', active: true, child_ids: [] } },
    ]);
    let child = 0;
    store.beforeNextTransact(
      async () => {
        child = (
          await createRecord(deps, {
            model: 'res.partner.category',
            vals: vals([
              ['name', 'Doomed child'],
              ['parent_id', 900],
            ]),
            caller,
          })
        ).get('id') as number;
      },
      1,
      isMark,
    );

    await unlinkRecords(deps, { caller: unlinkCaller, model: 'res.partner.category', ids: [900] });

    expect(child).toBeGreaterThan(0);
    expect([store.record('res.partner.category', 900), store.record('res.partner.category', child)]).toEqual([
      undefined,
      undefined,
    ]);
  });

  it("a crashed delete's mark expires: a write linking to the record is refused while it holds (nothing written), and commits after", async () => {
    const { store, deps } = await demoSetup();
    let clock = NOW;
    const timed: RecordsDeps = { ...deps, now: () => clock };
    await store.putMany([atlantis]);
    const partner = store.record('res.partner', 17);
    // A delete that marked the country and never got further.
    await store.transact([
      {
        kind: 'mark',
        key: { model: 'res.country', id: ATLANTIS },
        expectedVersion: 1,
        mark: { until: NOW.getTime() + DELETION_MARK_MS, token: 'crashed' },
        now: NOW.getTime(),
      },
    ]);

    const refused = await rejection(linkTo(timed, 17, 'country_id', ATLANTIS));
    expect(refused).toBeInstanceOf(WriteConflictError);
    expect(store.record('res.partner', 17)).toEqual(partner);

    clock = new Date(NOW.getTime() + DELETION_MARK_MS);
    const [answer] = await linkTo(timed, 17, 'country_id', ATLANTIS);
    expect(answer?.get('country_id')).toStrictEqual([ATLANTIS, 'Atlantis']);
    // And a new delete sees the reference (its own mark replaces the lapsed one): restrict.
    expect(
      await rejection(unlinkRecords(timed, { caller: unlinkCaller, model: 'res.country', ids: [ATLANTIS] })),
    ).toBeInstanceOf(InvalidValueError);
  });

  it('a (2, id) delete marks its record too: a write linking to it in between fails', async () => {
    const { store, deps } = await demoSetup();
    await store.putMany([
      atlantis,
      {
        model: 'res.country.state',
        id: 900,
        version: 1,
        values: { name: 'Poseidonia', code: 'PO', country_id: ATLANTIS },
      },
    ]);
    let raced: { value?: unknown; error?: unknown } = {};
    store.beforeNextTransact(
      async () => void (raced = await settle(linkTo(deps, 17, 'state_id', 900))),
      1,
      isCommitOfDelete,
    );

    await writeRecords(deps, {
      model: 'res.country',
      ids: [ATLANTIS],
      vals: vals([['state_ids', [[2, 900]]]]),
      caller,
    });

    expect(raced.error).toBeInstanceOf(WriteConflictError);
    expect(store.record('res.country.state', 900)).toBeUndefined();
    expect(store.record('res.partner', 17)?.values.state_id).not.toBe(900);
  });
});

/** The double must keep the port's contract, or the tests above prove nothing. */
describe('MemoryRecordStore (the port in memory)', () => {
  const key = (id: number) => ({ model: 'res.partner', id });

  it('answers copies: changing what it returned changes nothing stored', async () => {
    const { store } = await demoSetup();
    const found = await store.getMany([key(18)], { consistent: true });
    const record = found.get('res.partner#18') as StoredRecord;
    (record.values as Record<string, unknown>).name = 'Changed';
    (record.values.category_id as number[]).push(99);
    expect(store.record('res.partner', 18)?.values).toMatchObject({ name: 'Deco Addict', category_id: [1, 3] });
  });

  it('cancels a whole transaction with one reason per action, in action order', async () => {
    const { store } = await demoSetup();
    const before = store.allRecords();

    const error = await rejection(
      store.transact([
        updateAction(store.record('res.partner', 17) as StoredRecord, { city: 'Ghent' }),
        { kind: 'check', key: { model: 'res.country', id: 9999 }, now: NOW.getTime() },
        { kind: 'delete', key: key(20), expectedVersion: 7 },
        { kind: 'create', key: key(26), record: { ...key(26), version: 1, values: {} } },
      ]),
    );

    expect(error).toBeInstanceOf(TransactionCancelledError);
    expect((error as TransactionCancelledError).reasons).toEqual(['none', 'condition', 'condition', 'condition']);
    expect(store.allRecords()).toEqual(before);
  });

  it('refuses two actions on one item as a malformed request, not a cancellation', async () => {
    const { store } = await demoSetup();
    const error = await rejection(
      store.transact([
        updateAction(store.record('res.partner', 17) as StoredRecord, { city: 'Ghent' }),
        { kind: 'check', key: key(17), now: NOW.getTime() },
      ]),
    );
    expect(error).not.toBeInstanceOf(TransactionCancelledError);
    expect((error as Error).message).toMatch(/multiple operations on one item/);
  });

  it('gives ids back only while the sequence still ends at them', async () => {
    const { store } = await demoSetup();
    const first = await store.reserveIds('res.partner', 2);
    const second = await store.reserveIds('res.partner', 1);
    expect([first.ids, second.ids]).toEqual([[27, 28], [29]]);
    expect(await store.releaseIds(first)).toBe(false); // 29 is still out
    expect(await store.releaseIds(second)).toBe(true);
    expect(await store.releaseIds(first)).toBe(true);
    expect((await store.reserveIds('res.partner', 1)).ids).toEqual([27]);
    await store.raiseSequence('res.partner', 10);
    expect(store.lastId('res.partner')).toBe(27);
  });

  it('lists a model in id order, scans it page by page, counts it', async () => {
    const { store } = await demoSetup();
    expect((await store.listModel('res.partner', { afterId: 7, limit: 3 })).map((r) => r.id)).toEqual([12, 17, 18]);
    const pages: number[][] = [];
    await store.scanModel('res.partner', (page) => pages.push(page.map((r) => r.id)));
    expect(pages.flat().sort((a, b) => a - b)).toEqual([1, 3, 7, 12, 17, 18, 20, 26]);
    expect(pages.length).toBeGreaterThan(1);
    expect(await store.countModel('res.partner')).toBe(8);
  });
});
