/**
 * Metering through the object routes, on the in-memory stores: a write counted by its own
 * transaction (committed exactly when it is), limits that stop a write before it writes anything,
 * replays and failures that use no quota, and the RateLimit headers on answers and errors.
 */
import { parseList } from 'structured-headers';
import type { AppError} from '../../../lib/errors';
import { TooManyRequestsError } from '../../../lib/errors';
import type { ApiRequest, ApiResult } from '../../../lib/http';
import { buildAccessRules } from '../../../lib/models/access';
import { buildRegistry } from '../../../lib/models/registry';
import { PLAN_CONTEXT_KEY, planToContext, type Plan } from '../../../lib/metering/plan';
import { limitCounters } from '../../../lib/metering/windows';
import { routeObjectRequest, type ObjectDeps } from '../../../lib/object-api/router';
import { recordsFromData } from '../../../lib/runtime/demo';
import { shippedAccessRules, shippedModels } from '../../../models';
import demoData from '../../../scripts/demo-data.json';
import { MemoryMeterStore } from '../../helpers/memory-meter-store';
import { MemoryRecordStore } from '../../helpers/memory-record-store';
import { rejection } from '../../helpers/thrown';
import { objectRequest } from '../../helpers/object-request';

const registry = buildRegistry(shippedModels);
const accessRules = buildAccessRules(shippedAccessRules);
const NOW = new Date('2026-12-06T05:30:10Z');
const DAY = { from: '2026-12-06T00:00:00Z', to: '2026-12-07T00:00:00Z' };

async function setup() {
  const usage = new MemoryMeterStore();
  const store = new MemoryRecordStore({ usage });
  await store.putMany(recordsFromData(registry, demoData.records));
  const deps: ObjectDeps = {
    registry,
    store,
    accessRules,
    now: () => NOW,
    sleep: async () => {},
    meter: { store: usage, now: () => NOW },
  };
  return { usage, store, deps };
}

function request(method: string, proxy: string | undefined, query: Record<string, string>, plan?: Plan, headers: Record<string, string> = {}): ApiRequest {
  return objectRequest({
    method,
    proxy,
    query,
    headers,
    authorizer: {
      userId: '2',
      clientId: 'client-a',
      scheme: 'oauth2',
      tokenScopes: '',
      groups: 'base.group_user,base.group_partner_manager',
      ...(plan ? { [PLAN_CONTEXT_KEY]: planToContext(plan) } : {}),
    },
  });
}

const okCalls = async (usage: MemoryMeterStore, method: string) =>
  (await usage.ledger('client-a', DAY.from, DAY.to))
    .filter((row) => row.method === method && row.outcome === 'ok')
    .reduce((sum, row) => ({ calls: sum.calls + row.calls, units: sum.units + row.units }), { calls: 0, units: 0 });

const remaining = (headers: Readonly<Record<string, string>> | undefined, policy: string) =>
  Object.fromEntries(parseList(headers?.RateLimit ?? '').find(([name]) => name === policy)?.[1] ?? []).r;

describe('metered object calls', () => {
  it('counts a PUT list in its own transaction, priced per record under a per-record plan', async () => {
    const { usage, store, deps } = await setup();
    const plan: Plan = { quotaDay: 100, perRecord: true };
    const before = store.calls.transact;
    const result = (await routeObjectRequest(deps, request('PUT', undefined, { ids: '17,20', vals: "{'color': 4}" }, plan))) as ApiResult & { headers: Record<string, string> };
    expect(result.status).toBe(200);
    expect(store.calls.transact - before).toBe(1);
    expect(await okCalls(usage, 'write')).toEqual({ calls: 1, units: 2 });
    expect(usage.calls.add).toBe(0); // a write's count is never a request of its own
    expect(remaining(result.headers, 'day')).toBe(98);
  });

  it('writes nothing when the plan refuses a write, and answers 429 with the headers', async () => {
    const { usage, store, deps } = await setup();
    const plan: Plan = { quotaDay: 1 };
    await routeObjectRequest(deps, request('PUT', undefined, { ids: '17', vals: "{'color': 1}" }, plan));
    const [record] = (await store.getMany([{ model: 'res.partner', id: 17 }], { consistent: true })).values();
    const error = await rejection(routeObjectRequest(deps, request('PUT', undefined, { ids: '17', vals: "{'color': 2}" }, plan)));
    expect(error).toBeInstanceOf(TooManyRequestsError);
    expect((error as TooManyRequestsError).code).toBe('QUOTA_EXCEEDED');
    expect(remaining((error as AppError).answerHeaders, 'day')).toBe(0);
    const [after] = (await store.getMany([{ model: 'res.partner', id: 17 }], { consistent: true })).values();
    expect(after).toEqual(record);
    expect(await okCalls(usage, 'write')).toEqual({ calls: 1, units: 1 });
  });

  it('uses no quota for a write refused with a 404, and counts it as a client error', async () => {
    const { usage, deps } = await setup();
    const plan: Plan = { quotaDay: 5 };
    const error = await rejection(routeObjectRequest(deps, request('PUT', undefined, { ids: '17,9999', vals: "{'color': 1}" }, plan)));
    expect((error as AppError).status).toBe(404);
    expect(remaining((error as AppError).answerHeaders, 'day')).toBe(5);
    expect(await usage.readCounts(limitCounters('client-a', plan, NOW, 0)[0]!.counter)).toEqual([0]);
    const rows = await usage.ledger('client-a', DAY.from, DAY.to);
    expect(rows.map((row) => [row.method, row.outcome, row.calls])).toEqual([['write', 'client_error', 1]]);
  });

  it('bills an Idempotency-Key write once: the replay uses no quota and is not counted', async () => {
    const { usage, deps } = await setup();
    const plan: Plan = { quotaDay: 5 };
    const keyed = () => request('PUT', undefined, { ids: '17', vals: "{'color': 3}" }, plan, { 'idempotency-key': 'k-1' });
    await routeObjectRequest(deps, keyed());
    const replay = (await routeObjectRequest(deps, keyed())) as ApiResult & { headers: Record<string, string> };
    expect(replay.headers['Idempotent-Replayed']).toBe('true');
    expect(remaining(replay.headers, 'day')).toBe(4);
    expect(await okCalls(usage, 'write')).toEqual({ calls: 1, units: 1 });
  });

  it('counts a read beside the read, and moves a search that found nothing to client_error', async () => {
    const { usage, deps } = await setup();
    await routeObjectRequest(deps, request('GET', undefined, { ids: '17' }));
    await rejection(routeObjectRequest(deps, request('GET', undefined, { domain: "[('name','=','nobody at all')]" })));
    const rows = await usage.ledger('client-a', DAY.from, DAY.to);
    expect(rows.map((row) => [row.method, row.outcome, row.calls]).sort()).toEqual([
      ['search_read', 'client_error', 1],
      ['search_read', 'ok', 1],
    ]);
  });

  it('gives a call refused before metering (bad parameters) the current counts', async () => {
    const { deps } = await setup();
    const plan: Plan = { quotaDay: 7 };
    const error = await rejection(routeObjectRequest(deps, request('PUT', undefined, { ids: 'x', vals: '{}' }, plan)));
    expect((error as AppError).status).toBe(400);
    expect(remaining((error as AppError).answerHeaders, 'day')).toBe(7);
  });

  it('does not meter at all without a usage table', async () => {
    const { usage, deps } = await setup();
    const { meter: _meter, ...unmetered } = deps;
    const result = await routeObjectRequest(unmetered, request('GET', undefined, { ids: '17' }, { quotaDay: 1 }));
    expect(result.headers?.RateLimit).toBeUndefined();
    expect(usage.items.size).toBe(0);
  });
});
