/**
 * The admin CLI's plan and usage commands (scripts/admin.ts) on DynamoDB Local: set-plan and
 * list-clients, the usage report, the exports (CSV, JSON, Stripe meter events, Marketplace
 * BatchMeterUsage requests), and on a deployed stage the API Gateway usage plan it keeps as a
 * backstop — through a fake of API Gateway (test/helpers/fake-api-gateway.ts: the local stage has
 * no API Gateway to talk to).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, getClient } from '../../lib/auth/admin';
import { ledgerIncrement } from '../../lib/metering/windows';
import { runAdmin } from '../../scripts/admin';
import { FakeGateway } from '../helpers/fake-api-gateway';
import { freshStores } from '../helpers/local';

let stores: Awaited<ReturnType<typeof freshStores>>;
let env: NodeJS.ProcessEnv;
let folder: string;
beforeAll(async () => {
  stores = await freshStores();
  env = {
    DYNAMODB_ENDPOINT: process.env.TEST_DYNAMODB_ENDPOINT,
    AUTH_TABLE: stores.tables.auth,
    RECORDS_TABLE: stores.tables.records,
    USAGE_TABLE: stores.tables.usage,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  folder = mkdtempSync(join(tmpdir(), 'admin-plans-'));
});
afterAll(() => {
  stores.client.destroy();
  rmSync(folder, { recursive: true, force: true });
});

async function admin(args: string[], gateway?: FakeGateway) {
  const lines: string[] = [];
  let stderr = '';
  const err = { write: (text: string) => ((stderr += text), true) } as unknown as NodeJS.WritableStream;
  const status = await runAdmin(args, {
    env,
    stdin: process.stdin,
    out: (line) => lines.push(line),
    err,
    runningStacks: () => [],
    ...(gateway ? { gatewayPort: () => gateway } : {}),
  });
  return { status: status ?? 0, lines, stderr };
}

const newClient = async (name: string) =>
  (await createClient(stores.auth, undefined, { userId: 1, name, accessType: 'oauth2' })).clientId;

describe('set-plan and list-clients', () => {
  it('sets a plan with the issue\'s options and shows it in list-clients', async () => {
    const clientId = await newClient('Planned');
    const set = await admin(['set-plan', '--client', clientId, '--rate', '10', '--burst', '20', '--quota-day', '1000', '--quota-month', '30000', '--per-record', '--weight', 'write=2']);
    expect(set.lines).toEqual([`client ${clientId}: rate 10/s burst 20, 1000/day, 30000/month, per record, write=2 (from its next call)`]);
    expect((await getClient(stores.auth, clientId)).plan).toEqual({
      rate: { perSecond: 10, burst: 20 },
      quotaDay: 1000,
      quotaMonth: 30_000,
      perRecord: true,
      weights: { write: 2 },
    });
    const listed = (await admin(['list-clients'])).lines.find((line) => line.startsWith(clientId));
    expect(listed).toMatch(/plan: rate 10\/s burst 20, 1000\/day, 30000\/month, per record, write=2$/);
    await admin(['set-plan', '--client-id', clientId, '--unlimited']);
    expect((await getClient(stores.auth, clientId)).plan).toBeUndefined();
  });

  it.each([
    [['--burst', '5'], '--burst needs --rate'],
    [['--rate', '0'], '--rate must be a positive number'],
    [['--quota-day', '1.5'], '--quota-day must be a positive whole number'],
    [['--weight', 'write'], '--weight must be METHOD=UNITS'],
    [[], 'set-plan needs a limit'],
  ])('refuses %j and changes nothing', async (options, message) => {
    const clientId = await newClient('Refused');
    await expect(admin(['set-plan', '--client', clientId, ...options])).rejects.toThrow(message);
    expect((await getClient(stores.auth, clientId)).plan).toBeUndefined();
  });

  it('on a deployed stage, also puts the client\'s API key in its tier\'s usage plan, and takes it out with the plan', async () => {
    const gateway = new FakeGateway();
    gateway.restApis.set('odoo-rest-lambda-test', 'api123');
    const clientId = await newClient('Deployed');
    const deployed = ['--stage', 'test'];
    await admin(['set-plan', '--client', clientId, '--rate', '5', '--quota-day', '100', ...deployed], gateway);
    const { plan } = await getClient(stores.auth, clientId);
    expect(plan?.gateway?.apiKeyValue).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(gateway.membership()).toEqual({ [`odoo-rest-lambda-test-${clientId}`]: ['odoo-rest-lambda-test-rate10-burst10-day120'] });
    // A stage whose REST API cannot be found: nothing is stored.
    const missing = new FakeGateway();
    await expect(admin(['set-plan', '--client', clientId, '--quota-day', '5', ...deployed], missing)).rejects.toThrow('No REST API named odoo-rest-lambda-test');
    expect((await getClient(stores.auth, clientId)).plan).toEqual(plan);
    await admin(['set-plan', '--client', clientId, '--unlimited', ...deployed], gateway);
    expect(gateway.keys.size).toBe(0);
    expect((await getClient(stores.auth, clientId)).plan).toBeUndefined();
  });
});

describe('usage and export-usage', () => {
  let clientId: string;
  beforeAll(async () => {
    clientId = await newClient('Billed');
    const entry = (method: string, outcome: 'ok' | 'client_error', units: number) => ({ clientId, model: 'res.partner', method, outcome, units });
    // Two closed hours of 2026-12-01, spread over shards as the calls would be.
    await Promise.all([
      stores.meter.add(ledgerIncrement(entry('write', 'ok', 2), new Date('2026-12-01T05:10:00Z'), 0)),
      stores.meter.add(ledgerIncrement(entry('write', 'ok', 3), new Date('2026-12-01T05:20:00Z'), 5)),
      stores.meter.add(ledgerIncrement(entry('search_read', 'ok', 1), new Date('2026-12-01T06:00:00Z'), 1)),
      stores.meter.add(ledgerIncrement(entry('search_read', 'client_error', 0), new Date('2026-12-01T06:30:00Z'), 2)),
    ]);
  });

  it('prints the usage per day with the billable totals', async () => {
    const { lines } = await admin(['usage', '--client', clientId, '--from', '2026-12-01', '--to', '2026-12-02', '--granularity', 'day']);
    expect(lines).toEqual([
      `client ${clientId}: unlimited; 2026-12-01T00:00:00Z to 2026-12-02T00:00:00Z`,
      '2026-12-01  res.partner  search_read  client_error  calls 1  units 0',
      '2026-12-01  res.partner  search_read  ok  calls 1  units 1',
      '2026-12-01  res.partner  write  ok  calls 2  units 5',
      'billable: 3 calls, 6 units (all outcomes: 4 calls)',
    ]);
  });

  it('exports CSV with every row, summed across shards', async () => {
    const { lines } = await admin(['export-usage', '--format', 'csv', '--client', clientId, '--from', '2026-12-01', '--to', '2026-12-02']);
    expect(lines).toEqual([
      'client_id,hour,model,method,outcome,calls,units',
      `${clientId},2026-12-01T05:00:00Z,res.partner,write,ok,2,5`,
      `${clientId},2026-12-01T06:00:00Z,res.partner,search_read,client_error,1,0`,
      `${clientId},2026-12-01T06:00:00Z,res.partner,search_read,ok,1,1`,
    ]);
  });

  it('writes Stripe meter events to a file, and exits 3 naming a client without a customer', async () => {
    const customers = join(folder, 'customers.json');
    writeFileSync(customers, JSON.stringify({ [clientId]: 'cus_Test123' }));
    const out = join(folder, 'stripe.jsonl');
    const args = ['export-usage', '--format', 'stripe', '--event-name', 'api_units', '--customers', customers, '--client', clientId, '--from', '2026-12-01', '--to', '2026-12-02', '--out', out];
    const first = await admin(args);
    expect(first.status).toBe(0);
    const events = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { identifier: string; payload: Record<string, string>; timestamp: number });
    expect(events.map((event) => [event.payload.method, event.payload.value, event.payload.stripe_customer_id, event.timestamp])).toEqual([
      ['write', '5', 'cus_Test123', Date.parse('2026-12-01T05:00:00Z') / 1000],
      ['search_read', '1', 'cus_Test123', Date.parse('2026-12-01T06:00:00Z') / 1000],
    ]);
    // The same period again: the same identifiers (Stripe drops a re-sent event).
    await admin(args);
    expect(readFileSync(out, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { identifier: string }).identifier)).toEqual(events.map((event) => event.identifier));
    writeFileSync(customers, '{}');
    const missing = await admin(args);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain(`left out (no Stripe customer): ${clientId}`);
  });

  it('writes AWS Marketplace BatchMeterUsage requests, leaving out hours 6 hours old', async () => {
    const accounts = join(folder, 'accounts.json');
    writeFileSync(accounts, JSON.stringify({ [clientId]: '123456789012' }));
    const { status, lines, stderr } = await admin(['export-usage', '--format', 'marketplace', '--product-code', 'prod-abc', '--dimension', 'api_units', '--accounts', accounts, '--client', clientId, '--from', '2026-12-01', '--to', '2026-12-02']);
    // Dec 1st is more than 6 hours ago for any run of this test after it: stale, reported.
    expect(lines).toEqual([]);
    expect(stderr).toContain('left out (6 hours old or more, which Marketplace rejects): 2026-12-01T05:00:00Z, 2026-12-01T06:00:00Z');
    expect(status).toBe(3);
  });

  it('writes a BatchMeterUsage request per closed recent hour, one record per account and hour', async () => {
    const recent = await newClient('Recent');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    const hour = `${twoHoursAgo.toISOString().slice(0, 13)}:00:00Z`;
    await stores.meter.add(ledgerIncrement({ clientId: recent, model: 'res.partner', method: 'write', outcome: 'ok', units: 7 }, twoHoursAgo, 4));
    const accounts = join(folder, 'recent-accounts.json');
    writeFileSync(accounts, JSON.stringify({ [recent]: '210987654321' }));
    const { status, lines } = await admin(['export-usage', '--format', 'marketplace', '--product-code', 'prod-abc', '--dimension', 'api_units', '--accounts', accounts, '--client', recent]);
    expect(status).toBe(0);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { ProductCode: 'prod-abc', UsageRecords: [{ CustomerAWSAccountID: '210987654321', Dimension: 'api_units', Quantity: 7, Timestamp: new Date(hour).toISOString() }] },
    ]);
  });
});
