/**
 * The metering core through its port (an in-memory MeterStore with DynamoDB's per-item semantics):
 * limits taken exactly under concurrency, units given back when a call uses none, the ledger's
 * counts, the 429s and the RateLimit headers (parsed as Structured Fields, RFC 9651).
 */
import { parseList } from 'structured-headers';
import { TooManyRequestsError } from '../../../lib/errors';
import { CallMeter, currentRateLimitHeaders, type CallToMeter } from '../../../lib/metering/meter';
import type { Plan } from '../../../lib/metering/plan';
import { limitCounters, rateWindowSeconds } from '../../../lib/metering/windows';
import { MemoryMeterStore } from '../../helpers/memory-meter-store';

const NOW = new Date('2026-12-06T05:30:10Z');
const deps = (store: MemoryMeterStore, now = NOW) => ({ store, now: () => now, random: () => 0 });
const call = (plan: Plan | undefined, extra: Partial<CallToMeter> = {}): CallToMeter => ({
  clientId: 'client-a',
  plan,
  model: 'res.partner',
  method: 'search_read',
  units: 1,
  kind: 'read',
  ...extra,
});

/** The RateLimit fields as a client library reads them: policy name -> parameters. */
function parsed(headers: Record<string, string>) {
  const table = (field: string | undefined) =>
    new Map(parseList(field ?? '').map(([name, params]) => [String(name), Object.fromEntries(params)]));
  return { policy: table(headers['RateLimit-Policy']), now: table(headers.RateLimit) };
}

const ledgerTotal = async (store: MemoryMeterStore, outcome: string) =>
  (await store.ledger('client-a', '2026-12-06T00:00:00Z', '2026-12-07T00:00:00Z'))
    .filter((row) => row.outcome === outcome)
    .reduce((sum, row) => sum + row.calls, 0);

describe('limit counters', () => {
  it('puts the rate window in an item of its own, the day and month of quota in one item per month', () => {
    const plan: Plan = { rate: { perSecond: 10, burst: 20 }, quotaDay: 1000, quotaMonth: 30_000 };
    const [rate, quota] = limitCounters('c1', plan, NOW, 3);
    expect(rateWindowSeconds(plan.rate!)).toBe(2);
    expect(rate?.counter).toEqual({
      key: { pk: `rate#c1#2#${Math.floor(NOW.getTime() / 2000)}`, sk: '-' },
      counts: [{ attribute: 'used', max: 17 }],
      expiresAt: (Math.floor(NOW.getTime() / 2000) + 1) * 2 + 3600,
    });
    expect(quota?.counter.key).toEqual({ pk: 'quota#c1#2026-12', sk: '-' });
    expect(quota?.counter.counts).toEqual([
      { attribute: 'd06', max: 997 },
      { attribute: 'month', max: 29_997 },
    ]);
    expect(quota?.limits.map((limit) => [limit.policy, new Date(limit.resetsAt * 1000).toISOString()])).toEqual([
      ['day', '2026-12-07T00:00:00.000Z'],
      ['month', '2027-01-01T00:00:00.000Z'],
    ]);
  });

  it('takes nothing for a plan without limits', () => {
    expect(limitCounters('c1', { perRecord: true }, NOW, 1)).toEqual([]);
  });
});

describe('CallMeter', () => {
  it('serves exactly the remaining units when many calls race for them', async () => {
    const store = new MemoryMeterStore();
    const plan: Plan = { quotaDay: 20 };
    const meters = Array.from({ length: 50 }, () => new CallMeter(deps(store), call(plan)));
    const outcomes = await Promise.allSettled(meters.map((meter) => meter.succeeded()));
    const served = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(served).toHaveLength(20);
    expect(await store.readCounts(limitCounters('client-a', plan, NOW, 0)[0]!.counter)).toEqual([20]);
  });

  it('refuses with a 429 QUOTA_EXCEEDED whose Retry-After is the end of the day, and the headers show nothing left', async () => {
    const store = new MemoryMeterStore();
    const plan: Plan = { quotaDay: 1 };
    await new CallMeter(deps(store), call(plan)).succeeded();
    const meter = new CallMeter(deps(store), call(plan));
    const error = await meter.failed(new Error('the read itself, irrelevant once refused'));
    expect(error).toBeInstanceOf(TooManyRequestsError);
    const refusal = error as TooManyRequestsError;
    expect(refusal.code).toBe('QUOTA_EXCEEDED');
    expect(refusal.status).toBe(429);
    expect(refusal.retryAfterSeconds).toBe(Math.ceil((Date.parse('2026-12-07T00:00:00Z') - NOW.getTime()) / 1000));
    expect(refusal.message).toContain('Daily quota of 1 units used up');
    const { policy, now } = parsed(refusal.answerHeaders);
    expect(policy.get('day')).toEqual({ q: 1, w: 86_400 });
    expect(now.get('day')).toMatchObject({ r: 0 });
    expect(await ledgerTotal(store, 'limited')).toBe(1);
    expect(await ledgerTotal(store, 'ok')).toBe(1);
  });

  it('refuses with RATE_LIMITED past the burst and gives the quota units back', async () => {
    const store = new MemoryMeterStore();
    const plan: Plan = { rate: { perSecond: 1, burst: 2 }, quotaMonth: 100 };
    for (let i = 0; i < 2; i++) await new CallMeter(deps(store), call(plan)).succeeded();
    const error = (await new CallMeter(deps(store), call(plan)).failed(new Error('x'))) as TooManyRequestsError;
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(2);
    const quota = limitCounters('client-a', plan, NOW, 0)[1]!.counter;
    expect(await store.readCounts(quota)).toEqual([2]);
    const { now } = parsed(error.answerHeaders);
    expect(now.get('burst')).toMatchObject({ r: 0 });
    expect(now.get('month')).toMatchObject({ r: 98 });
  });

  it('keeps the rate window unit of a call the quota refused (an attempt counts for the rate)', async () => {
    const store = new MemoryMeterStore();
    const plan: Plan = { rate: { perSecond: 5, burst: 10 }, quotaDay: 0 + 1 };
    await new CallMeter(deps(store), call(plan)).succeeded();
    await new CallMeter(deps(store), call(plan)).failed(new Error('x'));
    const rate = limitCounters('client-a', plan, NOW, 0)[0]!.counter;
    expect(await store.readCounts(rate)).toEqual([2]);
  });

  it('gives the units back and moves a read from ok to its outcome when it fails after being let in', async () => {
    const store = new MemoryMeterStore();
    const plan: Plan = { quotaDay: 10 };
    const notFound = Object.assign(new Error('Record not found'), { status: 404 });
    const meter = new CallMeter(deps(store), call(plan));
    expect(await meter.failed(notFound)).toBe(notFound);
    expect(await store.readCounts(limitCounters('client-a', plan, NOW, 0)[0]!.counter)).toEqual([0]);
    expect(await ledgerTotal(store, 'ok')).toBe(0);
    expect(await ledgerTotal(store, 'client_error')).toBe(1);
    const { now } = parsed((notFound as unknown as { answerHeaders: Record<string, string> }).answerHeaders ?? {});
    expect(now.size).toBe(0); // a plain Error carries no headers (only AppErrors do)
  });

  it('counts a server error as server_error and uses no quota', async () => {
    const store = new MemoryMeterStore();
    const plan: Plan = { quotaMonth: 5 };
    await new CallMeter(deps(store), call(plan, { kind: 'write', method: 'write' })).failed(new Error('boom'));
    expect(await store.readCounts(limitCounters('client-a', plan, NOW, 0)[0]!.counter)).toEqual([0]);
    expect(await ledgerTotal(store, 'server_error')).toBe(1);
  });

  it('counts a write only through its transaction: the rider gives the ok count, succeeded adds nothing', async () => {
    const store = new MemoryMeterStore();
    const meter = new CallMeter(deps(store), call(undefined, { kind: 'write', method: 'write', units: 3 }));
    const { count, allowed, committed } = meter.rider;
    await allowed;
    store.apply(count()); // as the write's committed transaction does
    committed();
    expect(parsed(await meter.succeeded())).toEqual({ policy: new Map(), now: new Map() });
    const rows = await store.ledger('client-a', '2026-12-06T00:00:00Z', '2026-12-07T00:00:00Z');
    expect(rows).toEqual([
      { clientId: 'client-a', hour: '2026-12-06T05:00:00Z', model: 'res.partner', method: 'write', outcome: 'ok', calls: 1, units: 3 },
    ]);
    expect(store.calls.add).toBe(0);
  });

  it('keeps the units of a write that committed even when its answer then failed', async () => {
    const store = new MemoryMeterStore();
    const plan: Plan = { quotaDay: 5 };
    const meter = new CallMeter(deps(store), call(plan, { kind: 'write', method: 'write' }));
    meter.rider.committed();
    await meter.failed(new Error('rendering failed after the commit'));
    expect(await store.readCounts(limitCounters('client-a', plan, NOW, 0)[0]!.counter)).toEqual([1]);
    expect(await ledgerTotal(store, 'server_error')).toBe(0);
  });

  it('gives back the units of an Idempotency-Key replay, which wrote nothing', async () => {
    const store = new MemoryMeterStore();
    const plan: Plan = { quotaDay: 5 };
    const meter = new CallMeter(deps(store), call(plan, { kind: 'write', method: 'write' }));
    const headers = await meter.succeeded(false);
    expect(await store.readCounts(limitCounters('client-a', plan, NOW, 0)[0]!.counter)).toEqual([0]);
    expect(parsed(headers).now.get('day')).toMatchObject({ r: 5 });
  });

  it('fails a read whose ledger count did not land, rather than serve it unbilled', async () => {
    const store = new MemoryMeterStore();
    store.add = async () => {
      throw new Error('DynamoDB outage (in-memory fault)');
    };
    const plan: Plan = { quotaDay: 5 };
    await expect(new CallMeter(deps(store), call(plan)).succeeded()).rejects.toThrow('usage ledger');
    expect(await store.readCounts(limitCounters('client-a', plan, NOW, 0)[0]!.counter)).toEqual([0]);
  });

  it('states every limit in RateLimit-Policy and what is left of each in RateLimit', async () => {
    const store = new MemoryMeterStore();
    const plan: Plan = { rate: { perSecond: 10, burst: 20 }, quotaDay: 1000, quotaMonth: 30_000 };
    const headers = await new CallMeter(deps(store), call(plan, { units: 4 })).succeeded();
    const { policy, now } = parsed(headers);
    expect([...policy.keys()]).toEqual(['burst', 'day', 'month']);
    expect(policy.get('burst')).toEqual({ q: 20, w: 2 });
    expect(policy.get('month')).toEqual({ q: 30_000, w: 31 * 86_400 });
    expect(now.get('burst')).toEqual({ r: 16, t: 2 });
    expect(now.get('day')).toEqual({ r: 996, t: Math.ceil((Date.parse('2026-12-07T00:00:00Z') - NOW.getTime()) / 1000) });
    expect(now.get('month')).toMatchObject({ r: 29_996 });
  });

  it('answers the current counts for a call refused before it was metered', async () => {
    const store = new MemoryMeterStore();
    const plan: Plan = { quotaDay: 3 };
    await new CallMeter(deps(store), call(plan)).succeeded();
    const { now } = parsed(await currentRateLimitHeaders(deps(store), 'client-a', plan));
    expect(now.get('day')).toMatchObject({ r: 2 });
    expect(await currentRateLimitHeaders(deps(store), 'client-a', undefined)).toEqual({});
  });
});
