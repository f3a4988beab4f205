/**
 * Plans over HTTP against the local stack: exact quotas under concurrency (50 calls against 20
 * units: exactly 20 served, 30 answered 429 in the original's error shape, JSON or XML, with
 * Retry-After), the RateLimit headers on every answer (parsed as RFC 9651 Structured Fields), the
 * rate's burst, writes billed per record, and GET /restapi/1.0/usage answering from the ledger.
 */
import { parseList } from 'structured-headers';
import { createClient, setClientPlan } from '../../lib/auth/admin';
import type { Plan } from '../../lib/metering/plan';
import { apiUrl, demoToken, servedAuthStore } from '../helpers/local';
import { closeConnections, send, type RawResponse } from '../helpers/served-http';

const served = servedAuthStore();
const created: number[] = [];
afterAll(async () => {
  if (created.length > 0) {
    const token = await demoToken();
    await fetch(`${apiUrl()}/restapi/1.0/object/res.partner?ids=${created.join(',')}`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
  }
  served.close();
  closeConnections();
});

/** A partner of this file's own, created by the (unmetered) demo client. */
async function ownPartner(name: string): Promise<number> {
  const response = await fetch(`${apiUrl()}/restapi/1.0/object/res.partner?vals=${encodeURIComponent(`{'name': '${name}'}`)}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await demoToken()}` },
  });
  expect(response.status).toBe(201);
  const id = ((await response.json()) as { Partner: { id: number } }).Partner.id;
  created.push(id);
  return id;
}

/** A client of its own with `plan`, and a Bearer token for it. */
async function clientWithPlan(name: string, plan: Plan) {
  const client = await createClient(served.store, undefined, { userId: 1, name, accessType: 'oauth2' });
  await setClientPlan(served.store, client.clientId, plan);
  const response = await fetch(`${apiUrl()}/restapi/1.0/common/oauth2/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret }),
  });
  expect(response.status).toBe(200);
  const { access_token } = (await response.json()) as { access_token: string };
  return { clientId: client.clientId, authorization: `Bearer ${access_token}` };
}

/** The RateLimit fields as a client library reads them (RFC 9651 lists): policy name -> parameters. */
function rateLimitOf(headers: { get(name: string): string | null } | Readonly<Record<string, unknown>>) {
  const field = (name: string) =>
    typeof headers.get === 'function' ? (headers as Headers).get(name) : ((headers as Record<string, unknown>)[name.toLowerCase()] as string | undefined);
  const table = (value: string | null | undefined) =>
    new Map(parseList(value ?? '').map(([name, params]) => [String(name), Object.fromEntries(params)]));
  return { policy: table(field('RateLimit-Policy')), now: table(field('RateLimit')) };
}
const rateLimit = (response: Response) => rateLimitOf(response.headers);

describe('plans over HTTP', () => {
  it('serves exactly 20 of 50 concurrent calls against 20 units, and refuses 30 with 429 and Retry-After', async () => {
    const { authorization } = await clientWithPlan('Quota race', { quotaDay: 20 });
    // Over a pool of kept-alive sockets (served-http): 50 calls at once queue on 16 connections
    // rather than 50 cold starts of the local emulator, which answers some of those with 504.
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        send(apiUrl(), { method: 'GET', target: `/restapi/1.0/object/res.partner/17?fields=${encodeURIComponent("['name']")}`, headers: { Authorization: authorization } }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(20);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30);
    for (const response of responses) {
      const { policy, now } = rateLimitOf(response.headers);
      expect(policy.get('day')).toEqual({ q: 20, w: 86_400 });
      expect(now.get('day')?.r).toBeGreaterThanOrEqual(0);
      expect(now.get('day')?.t).toBeGreaterThanOrEqual(1);
    }
    const refused = responses.find((response) => response.status === 429) as RawResponse;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const body = JSON.parse(refused.body) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(429);
    expect(body.error.message).toMatch(/^Daily quota of 20 units used up; it resets at \d{4}-\d{2}-\d{2}T00:00:00Z$/);
    expect(rateLimitOf(refused.headers).now.get('day')?.r).toBe(0);

    const xml = await fetch(`${apiUrl()}/restapi/1.0/object/res.partner/17`, {
      headers: { Authorization: authorization, Accept: 'application/xml' },
    });
    expect(xml.status).toBe(429);
    expect(await xml.text()).toMatch(/^<error type="dict"><code type="int">429<\/code><message type="str">Daily quota of 20 units/);
  });

  it('refuses past the burst with RATE_LIMITED, and answers the usage of the client with its limits', async () => {
    // Two partners of this test's own (written by the unmetered demo client), so the demo records stay as they are.
    const [a, b] = await Promise.all(['Burst A', 'Burst B'].map(ownPartner));
    // A burst of 3 in a window of a day (3 units at 3 per 86400 s): the test cannot cross its end.
    const { clientId, authorization } = await clientWithPlan('Burst', { rate: { perSecond: 3 / 86_400, burst: 3 }, perRecord: true });
    const put = () =>
      fetch(`${apiUrl()}/restapi/1.0/object/res.partner?ids=${a}&vals={'color': 2}`, { method: 'PUT', headers: { Authorization: authorization } });
    expect((await put()).status).toBe(200);
    const list = await fetch(`${apiUrl()}/restapi/1.0/object/res.partner?ids=${a},${b}&vals={'color': 3}`, { method: 'PUT', headers: { Authorization: authorization } });
    expect(list.status).toBe(200);
    expect(rateLimit(list).now.get('burst')?.r).toBe(0);
    const refused = await put();
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/^Rate limit exceeded/);

    const usage = await fetch(`${apiUrl()}/restapi/1.0/usage?granularity=day`, { headers: { Authorization: authorization } });
    expect(usage.status).toBe(200);
    const { usage: report } = (await usage.json()) as {
      usage: {
        client_id: string;
        rows: { model: string; method: string; outcome: string; calls: number; units: number }[];
        totals: { billable_calls: number; billable_units: number };
        limits: { policy: string; quota: number; remaining: number }[];
      };
    };
    expect(report.client_id).toBe(clientId);
    const writes = report.rows.filter((row) => row.method === 'write');
    expect(writes.filter((row) => row.outcome === 'ok').map((row) => [row.calls, row.units])).toEqual([[2, 3]]);
    expect(writes.filter((row) => row.outcome === 'limited').map((row) => row.calls)).toEqual([1]);
    expect(report.totals).toMatchObject({ billable_calls: 2, billable_units: 3 });
    expect(report.limits).toEqual([expect.objectContaining({ policy: 'burst', quota: 3, remaining: 0 })]);
    expect(rateLimit(usage).now.get('burst')?.r).toBe(0);
  });

  it('answers the usage report in XML and refuses a period that ends before it starts', async () => {
    const { authorization } = await clientWithPlan('Usage XML', { quotaMonth: 1000 });
    const xml = await fetch(`${apiUrl()}/restapi/1.0/usage`, { headers: { Authorization: authorization, Accept: 'application/xml' } });
    expect(xml.status).toBe(200);
    expect(await xml.text()).toMatch(/^<usage type="dict"><client_id type="str">/);
    const bad = await fetch(`${apiUrl()}/restapi/1.0/usage?from=2026-12-06&to=2026-12-01`, { headers: { Authorization: authorization } });
    expect(bad.status).toBe(400);
    expect(rateLimit(bad).policy.get('month')).toEqual(expect.objectContaining({ q: 1000 }));
    const anonymous = await fetch(`${apiUrl()}/restapi/1.0/usage`);
    expect(anonymous.status).toBe(401);
  });
});
