/**
 * The Idempotency-Key flow end to end through the object routes (routeObjectRequest ->
 * runKeyedCall -> the records core), over the in-memory RecordStore double seeded with the demo
 * data: no DynamoDB. The clock is a test's own; races are staged with the double's
 * beforeNextTransact hook, which lands another request's commit between this request's reads and
 * its own commit.
 */
import {
  BadRequestError,
  IdempotencyKeyReusedError,
  RecordNotFoundError,
  WriteConflictError,
} from '../../../lib/errors';
import type { ApiRequest, ApiResult } from '../../../lib/http';
import { buildAccessRules } from '../../../lib/models/access';
import { buildRegistry } from '../../../lib/models/registry';
import { IDEMPOTENCY_KEY_LIFETIME_SECONDS, pendingClaim, REPLAYED_HEADER } from '../../../lib/object-api/keyed-call';
import { routeObjectRequest, type ObjectDeps } from '../../../lib/object-api/router';
import { readRecords, type WriteAction } from '../../../lib/records';
import { recordsFromData } from '../../../lib/runtime/demo';
import type { PyDict, PyValue } from '../../../lib/wire/pyvalue';
import { shippedAccessRules, shippedModels } from '../../../models';
import demoData from '../../../scripts/demo-data.json';
import { MemoryRecordStore, noCalls } from '../../helpers/memory-record-store';
import { rejection } from '../../helpers/thrown';
import { ADMIN_AUTHORIZER, objectRequest } from '../../helpers/object-request';

const registry = buildRegistry(shippedModels);
const accessRules = buildAccessRules(shippedAccessRules);
const NOW = new Date('2024-03-04T05:06:07Z');
const NOW_SECONDS = NOW.getTime() / 1000;
/** The highest res.partner id in the demo data: the partner sequence stands there. */
const LAST_DEMO_PARTNER = 26;
const KEY = '8e03978e-40d5-43e8-bc93-6894a57f9324';
/** The double's call counters when the core called nothing. */

interface Setup {
  readonly store: MemoryRecordStore;
  readonly deps: ObjectDeps;
  /** The time `deps.now` answers; a test moves it on. */
  readonly clock: { now: Date };
  /** The actions of every transact call the core made, in order (not those of an interleaved change). */
  readonly transactions: (readonly WriteAction[])[];
}

async function demoSetup(): Promise<Setup> {
  const store = new MemoryRecordStore();
  await store.putMany(recordsFromData(registry, demoData.records));
  store.resetCalls();
  const clock = { now: NOW };
  const transactions: (readonly WriteAction[])[] = [];
  const transact = store.transact.bind(store);
  // Recorded before the double runs a queued interleaved change, whose own transactions come through here too: only the first call per core transact is kept.
  let depth = 0;
  jest.spyOn(store, 'transact').mockImplementation(async (actions) => {
    if (depth === 0) transactions.push(actions);
    depth++;
    try {
      return await transact(actions);
    } finally {
      depth--;
    }
  });
  const deps: ObjectDeps = { registry, store, accessRules, now: () => clock.now, sleep: async () => {} };
  return { store, deps, clock, transactions };
}

interface Call {
  readonly method: string;
  readonly model?: string;
  /** What follows the model in the path. */
  readonly proxy?: string;
  readonly query?: Readonly<Record<string, string>>;
  /** The Idempotency-Key header's value, if sent. */
  readonly key?: string;
  readonly clientId?: string;
  readonly body?: string;
}

/** The request API Gateway would pass on for `call`, from the demo OAuth 2 client of the Administrator. */
function apiRequest({ key, clientId = 'c1', body, ...call }: Call): ApiRequest {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key !== undefined) headers['idempotency-key'] = key;
  return objectRequest({ ...call, headers, body, authorizer: { ...ADMIN_AUTHORIZER, clientId } });
}

const send = (setup: Setup, call: Call) => routeObjectRequest(setup.deps, apiRequest(call));

/** What a test compares of an answer: the status, the data (or the bare payload) and the replay mark. */
function outcome(result: ApiResult) {
  const content = 'data' in result ? result.data : 'payload' in result ? result.payload : result.body;
  return { status: result.status, content, replayed: result.headers?.[REPLAYED_HEADER] };
}

/** One record of an answer as ordered entries (a read() dict's key order is part of the wire format). */
const entriesOf = (value: PyValue) => [...(value as PyDict)];
const field = (value: PyValue, name: string) => (value as PyDict).get(name);

const createAcme: Call = { method: 'POST', query: { vals: "{'name': 'Acme'}" }, key: KEY };
const claimsOf = (actions: readonly WriteAction[]) => actions.filter((action) => action.kind === 'claim');

describe('a keyed create (POST)', () => {
  it('creates one record and claims the key in the same transaction, for that record', async () => {
    const setup = await demoSetup();
    const { store, transactions } = setup;

    const first = outcome(await send(setup, createAcme));

    const id = LAST_DEMO_PARTNER + 1;
    expect([first.status, field(first.content, 'id'), field(first.content, 'name'), first.replayed]).toStrictEqual([201, id, 'Acme', undefined]);
    expect(store.record('res.partner', id)?.values.name).toBe('Acme');
    expect(store.calls.transact).toBe(1);
    expect(transactions).toHaveLength(1);
    const [transaction = []] = transactions;
    expect(transaction.map((action) => action.kind)).toStrictEqual(['create', 'claim']);
    const expected = pendingClaim(apiRequest(createAcme), 'c1', KEY, NOW);
    expect(claimsOf(transaction)).toStrictEqual([{ kind: 'claim', claim: { ...expected, model: 'res.partner', recordIds: [id] }, now: NOW_SECONDS }]);
    expect(expected.expiresAt).toBe(NOW_SECONDS + IDEMPOTENCY_KEY_LIFETIME_SECONDS);
  });

  it('sent again: 201 with the same record, marked Idempotent-Replayed, no second transaction, no id spent', async () => {
    const setup = await demoSetup();
    const { store } = setup;
    const first = outcome(await send(setup, createAcme));
    const stored = store.allRecords();
    store.resetCalls();

    const again = outcome(await send(setup, createAcme));

    expect([again.status, again.replayed]).toStrictEqual([201, 'true']);
    expect(entriesOf(again.content)).toStrictEqual(entriesOf(first.content));
    expect(store.calls.transact).toBe(0);
    expect(store.allRecords()).toStrictEqual(stored);
    expect(store.lastId('res.partner')).toBe(LAST_DEMO_PARTNER + 1);
  });

  it('sent again as the explicit /create method: the same record, 200 as that route answers', async () => {
    const setup = await demoSetup();
    const call: Call = { ...createAcme, proxy: 'create' };
    const first = outcome(await send(setup, call));
    setup.store.resetCalls();

    const again = outcome(await send(setup, call));

    expect([first.status, again.status, again.replayed]).toStrictEqual([200, 200, 'true']);
    expect(entriesOf(again.content)).toStrictEqual(entriesOf(first.content));
    expect(setup.store.calls.transact).toBe(0);
  });

  it('signed with OAuth 1.0a in the query, sent again with a fresh nonce and signature: replayed, not 422', async () => {
    const setup = await demoSetup();
    const signed = (nonce: string, signature: string, timestamp: string): Call => ({
      ...createAcme,
      query: {
        ...createAcme.query,
        oauth_consumer_key: 'ck',
        oauth_token: 'tk',
        oauth_signature_method: 'HMAC-SHA1',
        oauth_timestamp: timestamp,
        oauth_nonce: nonce,
        oauth_version: '1.0',
        oauth_signature: signature,
      },
    });
    const first = outcome(await send(setup, signed('nonce-1', 'c2lnbmF0dXJlLTE=', '1709528767')));
    setup.store.resetCalls();

    const again = outcome(await send(setup, signed('nonce-2', 'c2lnbmF0dXJlLTI=', '1709528790')));

    expect([first.status, again.status, again.replayed]).toStrictEqual([201, 201, 'true']);
    expect(entriesOf(again.content)).toStrictEqual(entriesOf(first.content));
    expect(setup.store.calls.transact).toBe(0);
  });
});

describe('the key sent with another request', () => {
  it.each<[string, Call]>([
    ['other vals', { ...createAcme, query: { vals: "{'name': 'Other'}" } }],
    ['the same vals in a body instead of the query', { ...createAcme, query: {}, body: '{"name": "Acme"}' }],
    ['another model', { ...createAcme, model: 'res.partner.category' }],
    ['another verb and path', { method: 'PUT', query: { ids: '17', vals: "{'name': 'Acme'}" }, key: KEY }],
  ])('%s: 422 IdempotencyKeyReusedError, nothing written and no id spent', async (_case, other) => {
    const setup = await demoSetup();
    const { store } = setup;
    await send(setup, createAcme);
    const stored = store.allRecords();
    store.resetCalls();

    const error = await rejection(send(setup, other));

    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect((error as IdempotencyKeyReusedError).status).toBe(422);
    expect(store.calls.transact).toBe(0);
    expect(store.allRecords()).toStrictEqual(stored);
    expect([store.lastId('res.partner'), store.lastId('res.partner.category')]).toStrictEqual([LAST_DEMO_PARTNER + 1, 3]);
  });
});

describe('whose key it is, and for how long', () => {
  it("another client's same key is another key: it creates a record of its own", async () => {
    const setup = await demoSetup();
    const { store, transactions } = setup;
    const first = outcome(await send(setup, createAcme));

    const other = outcome(await send(setup, { ...createAcme, clientId: 'c2' }));

    expect([other.status, field(other.content, 'id'), other.replayed]).toStrictEqual([201, LAST_DEMO_PARTNER + 2, undefined]);
    expect(field(first.content, 'id')).toBe(LAST_DEMO_PARTNER + 1);
    expect([store.record('res.partner', 27)?.values.name, store.record('res.partner', 28)?.values.name]).toStrictEqual(['Acme', 'Acme']);
    expect(transactions.map((actions) => claimsOf(actions).map((action) => action.kind === 'claim' && action.claim.id))).toStrictEqual([
      [pendingClaim(apiRequest(createAcme), 'c1', KEY, NOW).id],
      [pendingClaim(apiRequest(createAcme), 'c2', KEY, NOW).id],
    ]);
  });

  it('a second before the claim expires, the request is still replayed', async () => {
    const setup = await demoSetup();
    await send(setup, createAcme);
    setup.clock.now = new Date(NOW.getTime() + (IDEMPOTENCY_KEY_LIFETIME_SECONDS - 1) * 1000);
    setup.store.resetCalls();

    const again = outcome(await send(setup, createAcme));

    expect([again.status, field(again.content, 'id'), again.replayed]).toStrictEqual([201, LAST_DEMO_PARTNER + 1, 'true']);
    expect(setup.store.calls.transact).toBe(0);
  });

  it('an expired claim (24 h and more) counts as absent: the request writes again and its new claim replaces the old', async () => {
    const setup = await demoSetup();
    const { store, clock, transactions } = setup;
    await send(setup, createAcme);
    clock.now = new Date(NOW.getTime() + (IDEMPOTENCY_KEY_LIFETIME_SECONDS + 1) * 1000);
    store.resetCalls();

    const again = outcome(await send(setup, createAcme));

    expect([again.status, field(again.content, 'id'), again.replayed]).toStrictEqual([201, LAST_DEMO_PARTNER + 2, undefined]);
    expect(store.record('res.partner', LAST_DEMO_PARTNER + 2)?.values.name).toBe('Acme');
    expect(store.calls.transact).toBe(1);
    expect(claimsOf(transactions[1] ?? [])).toHaveLength(1);

    // The claim now names the new record, and lives a day from the second request.
    const third = outcome(await send(setup, createAcme));
    expect([third.status, field(third.content, 'id'), third.replayed]).toStrictEqual([201, LAST_DEMO_PARTNER + 2, 'true']);
    expect(store.calls.transact).toBe(1);
  });
});

describe('a keyed write (PUT list)', () => {
  const keyedWrite: Call = { method: 'PUT', query: { ids: '17,20', vals: "{'city': 'Ghent'}" }, key: KEY };

  it('sent again: answers the records as they are now, a value written since by an unkeyed PUT shown, not overwritten', async () => {
    const setup = await demoSetup();
    const { store, deps } = setup;
    const first = outcome(await send(setup, keyedWrite));
    expect(first.status).toBe(200);
    expect((first.content as PyDict[]).map((record) => [record.get('id'), record.get('city')])).toStrictEqual([
      [17, 'Ghent'],
      [20, 'Ghent'],
    ]);
    await send(setup, { method: 'PUT', query: { ids: '17', vals: "{'city': 'Bruges'}" } });
    const stored = store.allRecords();
    store.resetCalls();

    const again = outcome(await send(setup, keyedWrite));

    expect([again.status, again.replayed]).toStrictEqual([200, 'true']);
    expect((again.content as PyDict[]).map((record) => [record.get('id'), record.get('city')])).toStrictEqual([
      [17, 'Bruges'],
      [20, 'Ghent'],
    ]);
    const now = await readRecords(deps, { model: 'res.partner', ids: [17, 20] });
    expect((again.content as PyDict[]).map((record) => [...record])).toStrictEqual(now.map((record) => [...record]));
    expect(store.calls.transact).toBe(0);
    expect(store.allRecords()).toStrictEqual(stored);
    expect(store.record('res.partner', 17)?.values.city).toBe('Bruges');
  });

  it('sent again on /{id}: answers the one record as it is now', async () => {
    const setup = await demoSetup();
    const call: Call = { method: 'PUT', proxy: '17', query: { vals: "{'city': 'Ghent'}" }, key: KEY };
    const first = outcome(await send(setup, call));
    setup.store.resetCalls();

    const again = outcome(await send(setup, call));

    expect([again.status, again.replayed]).toStrictEqual([200, 'true']);
    expect(entriesOf(again.content)).toStrictEqual(entriesOf(first.content));
    expect(setup.store.calls.transact).toBe(0);
  });
});

describe('a keyed unlink (DELETE)', () => {
  it('sent again: replays {ids: ...} instead of a 404, deleting nothing more', async () => {
    const setup = await demoSetup();
    const { store } = setup;
    const call: Call = { method: 'DELETE', query: { ids: '17,20' }, key: KEY };
    const first = outcome(await send(setup, call));
    expect([first.status, first.content, first.replayed]).toStrictEqual([200, new Map([['ids', '17,20']]), undefined]);
    expect([store.record('res.partner', 17), store.record('res.partner', 20)]).toStrictEqual([undefined, undefined]);
    const stored = store.allRecords();
    store.resetCalls();

    const again = outcome(await send(setup, call));

    expect([again.status, again.content, again.replayed]).toStrictEqual([200, new Map([['ids', '17,20']]), 'true']);
    expect(store.calls.transact).toBe(0);
    expect(store.allRecords()).toStrictEqual(stored);
    // Without the key the same request is what the key saves the client from.
    const unkeyed = await rejection(send(setup, { ...call, key: undefined }));
    expect(unkeyed).toBeInstanceOf(RecordNotFoundError);
    expect((unkeyed as RecordNotFoundError).status).toBe(404);
  });

  it('on /{id}: replays {id: N}', async () => {
    const setup = await demoSetup();
    const call: Call = { method: 'DELETE', proxy: '17', key: KEY };
    await send(setup, call);
    setup.store.resetCalls();

    const again = outcome(await send(setup, call));

    expect([again.status, again.content, again.replayed]).toStrictEqual([200, new Map([['id', 17]]), 'true']);
    expect(setup.store.calls.transact).toBe(0);
  });
});

describe('two requests with one key racing', () => {
  /**
   * The same create from the same client, sent twice at once: the other one reserved its id first
   * (27) and commits its record and claim between this one's lookup (no claim yet) and its commit.
   */
  async function stageRace(setup: Setup, claim: { expiresAt: number; thenMoveClockTo?: Date }) {
    const { store, clock } = setup;
    const other = await store.reserveIds('res.partner', 1);
    const otherId = other.ids[0] as number;
    // The other request's record as its create would have written it: created on a scratch store with the same sequence.
    const scratch = new MemoryRecordStore();
    await scratch.putMany(recordsFromData(registry, demoData.records));
    await routeObjectRequest({ ...setup.deps, store: scratch }, apiRequest({ ...createAcme, key: undefined }));
    const otherRecord = scratch.record('res.partner', otherId);
    if (!otherRecord) throw new Error('the scratch create did not give the expected id');
    const pending = pendingClaim(apiRequest(createAcme), 'c1', KEY, NOW);
    store.beforeNextTransact(async () => {
      await store.transact([
        { kind: 'create', key: { model: 'res.partner', id: otherId }, record: otherRecord },
        { kind: 'claim', claim: { ...pending, expiresAt: claim.expiresAt, model: 'res.partner', recordIds: [otherId] }, now: NOW_SECONDS },
      ]);
      if (claim.thenMoveClockTo) clock.now = claim.thenMoveClockTo;
    });
    store.resetCalls();
    return { otherId, pending };
  }

  it("the second to commit answers the first's record (replayed), gives its ids back and writes nothing of its own", async () => {
    const setup = await demoSetup();
    const { store, deps, transactions } = setup;
    const { otherId, pending } = await stageRace(setup, { expiresAt: pendingClaim(apiRequest(createAcme), 'c1', KEY, NOW).expiresAt });
    const ownId = otherId + 1;

    const answer = outcome(await send(setup, createAcme));

    expect([answer.status, field(answer.content, 'id'), field(answer.content, 'name'), answer.replayed]).toStrictEqual([201, otherId, 'Acme', 'true']);
    const [otherNow] = await readRecords(deps, { model: 'res.partner', ids: [otherId] });
    expect(entriesOf(answer.content)).toStrictEqual(entriesOf(otherNow as PyDict));
    // It did try to commit its own record (27 taken, so 28) with the claim, and that is all it tried.
    expect(transactions).toHaveLength(1);
    expect(transactions[0]?.map((action) => (action.kind === 'create' ? `create ${action.record.id}` : action.kind))).toStrictEqual([`create ${ownId}`, 'claim']);
    expect([store.calls.transact, store.calls.getClaim, store.calls.releaseIds]).toStrictEqual([1, 2, 1]);
    expect(store.record('res.partner', ownId)).toBeUndefined();
    expect(await store.getClaim(pending.id)).toMatchObject({ recordIds: [otherId] });

    // Its id was given back: the next create gets it.
    expect(store.lastId('res.partner')).toBe(otherId);
    const next = outcome(await send(setup, { method: 'POST', query: { vals: "{'name': 'Next'}" } }));
    expect(field(next.content, 'id')).toBe(ownId);
  });

  it.each<[string, (setup: Setup) => { expiresAt: number; thenMoveClockTo?: Date }]>([
    // Valid when this request's transaction checked it, expired by the time it is looked up again.
    ['expired', () => ({ expiresAt: NOW_SECONDS + 1, thenMoveClockTo: new Date(NOW.getTime() + 2000) })],
    // Gone when it is looked up again (every lookup of the key finds nothing).
    [
      'removed',
      (setup) => {
        jest.spyOn(setup.store, 'getClaim').mockResolvedValue(undefined);
        return { expiresAt: NOW_SECONDS + IDEMPOTENCY_KEY_LIFETIME_SECONDS };
      },
    ],
  ])("the winner's claim %s when looked up afterwards: 409 WriteConflictError, nothing written, ids given back", async (_case, staging) => {
    const setup = await demoSetup();
    const { store } = setup;
    const { otherId } = await stageRace(setup, staging(setup));
    const stored = () => store.allRecords().filter((record) => record.id !== otherId || record.model !== 'res.partner');
    const before = stored();

    const error = await rejection(send(setup, createAcme));

    expect(error).toBeInstanceOf(WriteConflictError);
    expect((error as WriteConflictError).status).toBe(409);
    expect(store.calls.transact).toBe(1);
    expect(store.record('res.partner', otherId + 1)).toBeUndefined();
    expect(stored()).toStrictEqual(before);
    expect(store.lastId('res.partner')).toBe(otherId);
  });
});

describe('reads', () => {
  it.each<[string, Call]>([
    ['GET list', { method: 'GET', query: { ids: '17,20' }, key: KEY }],
    ['GET /{id}', { method: 'GET', proxy: '17', key: KEY }],
    ['search_read', { method: 'GET', query: { domain: "[('name', '=', 'Edward Foster')]" }, key: KEY }],
    ['POST /search_count', { method: 'POST', proxy: 'search_count', key: KEY }],
  ])('%s ignores the header: no lookup, no claim, the same answer every time', async (_case, call) => {
    const setup = await demoSetup();
    const { store } = setup;

    const first = outcome(await send(setup, call));
    const again = outcome(await send(setup, call));

    expect([first.status, first.replayed, again.replayed]).toStrictEqual([200, undefined, undefined]);
    expect(again.content).toStrictEqual(first.content);
    expect([store.calls.getClaim, store.calls.transact]).toStrictEqual([0, 0]);
    // A write with the key afterwards finds it unused.
    const write = outcome(await send(setup, createAcme));
    expect([write.status, write.replayed]).toStrictEqual([201, undefined]);
  });
});

describe('an invalid Idempotency-Key header', () => {
  it.each<[string, string, Call]>([
    ['256 characters', 'k'.repeat(256), createAcme],
    ['non-ASCII', 'clé', createAcme],
    ['empty', '', createAcme],
    ['a control character', 'a\u0001b', createAcme],
    ['256 characters on a PUT', 'k'.repeat(256), { method: 'PUT', query: { ids: '17', vals: "{'city': 'Ghent'}" } }],
    ['non-ASCII on a DELETE', 'clé', { method: 'DELETE', proxy: '17' }],
  ])('%s: 400 before anything is read or written', async (_case, key, call) => {
    const setup = await demoSetup();
    const { store } = setup;
    const stored = store.allRecords();

    const error = await rejection(send(setup, { ...call, key }));

    expect(error).toStrictEqual(new BadRequestError('The Idempotency-Key header must be 1 to 255 printable ASCII characters, e.g. a UUID'));
    expect((error as BadRequestError).status).toBe(400);
    expect(store.calls).toStrictEqual(noCalls());
    expect(store.allRecords()).toStrictEqual(stored);
  });
});
