/**
 * The webhook delivery engine end to end on DynamoDB Local: subscriptions are ir.webhook records with a
 * sealed secret, deliveries ir.webhook.delivery records written through the records core, attempts made
 * by the hardened sender to a real receiver on 127.0.0.1 (WEBHOOK_LOCAL_TARGETS semantics: local: true)
 * through the in-process queue. The receiver checks every signature with the `standardwebhooks` package,
 * the independent oracle. Changes are built by hand in the shape the change feed hands over.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Change, ChangeType } from '../../lib/changes/change';
import { keyIdOf, SecretBox } from '../../lib/auth/secret-box';
import { buildRegistry } from '../../lib/models/registry';
import { createRecord, readRecords, writeRecords, type RecordsDeps, type StoredRecord } from '../../lib/records';
import { attemptDelivery, fanOut, type AttemptDeps, type FanOutDeps } from '../../lib/webhooks/deliveries';
import { LocalDeliveryQueue } from '../../lib/webhooks/local-queue';
import { RecordsWebhookStore } from '../../lib/webhooks/records-store';
import { sendDelivery } from '../../lib/webhooks/sender';
import { newSigningSecret } from '../../lib/webhooks/signature';
import { WEBHOOK_SECRET_AAD } from '../../lib/webhooks/subscription';
import type { PyValue } from '../../lib/wire/pyvalue';
import { shippedModels } from '../../models';
import { freshStores } from '../helpers/local';

const registry = buildRegistry(shippedModels);
const key = randomBytes(32);
const box = new SecretBox(key, keyIdOf(key));
const caller = { userId: 1, clientId: 'webhooks' };

interface Received {
  readonly path: string;
  readonly version: number;
  readonly eventId: string;
  /** What the standardwebhooks package made of the signature: the payload, or its error. */
  readonly verified: boolean;
  /** The body said its values were left out (too large for one event). */
  readonly valuesOmitted: boolean;
}

let stores: Awaited<ReturnType<typeof freshStores>>;
let deps: RecordsDeps;
let webhookStore: RecordsWebhookStore;
let server: http.Server;
let base: string;
const received: Received[] = [];
/** Per path: the statuses to answer, in turn (the last one repeats); 200 when none. */
const script = new Map<string, number[]>();
/** Per path: the secret its subscription signs with. */
const secrets = new Map<string, string>();

beforeAll(async () => {
  stores = await freshStores({ demo: true });
  deps = { registry, store: stores.records };
  webhookStore = new RecordsWebhookStore({ deps, caller, cacheMs: 0 });
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '';
      let verified = false;
      let version = -1;
      let valuesOmitted = false;
      try {
        const secret = secrets.get(path) ?? '';
        const payload = new Webhook(secret.slice('whsec_'.length)).verify(
          body,
          req.headers as Record<string, string>,
        ) as {
          data: { version: number; values_omitted?: boolean };
        };
        verified = true;
        version = payload.data.version;
        valuesOmitted = payload.data.values_omitted === true;
      } catch {
        verified = false;
      }
      received.push({ path, version, eventId: String(req.headers['webhook-id']), verified, valuesOmitted });
      const statuses = script.get(path) ?? [];
      const status = statuses.length > 1 ? (statuses.shift() as number) : (statuses[0] ?? 200);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 400 ? `answer ${status}` : 'ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

/** Every subscription made so far: turned off after each test, so a test's changes reach its own only. */
const subscriptions: number[] = [];

afterEach(async () => {
  const ids = subscriptions.splice(0);
  if (ids.length > 0)
    await writeRecords(deps, { model: 'ir.webhook', ids, vals: new Map([['active', false]]), caller });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  stores.client.destroy();
});

/** A subscription record made through the records core, its secret sealed as the object API seals it. */
async function subscribe(path: string, extra: Record<string, PyValue> = {}): Promise<number> {
  const secret = newSigningSecret();
  secrets.set(path, secret);
  const created = await createRecord(deps, {
    model: 'ir.webhook',
    caller,
    vals: new Map<string, PyValue>(
      Object.entries({
        name: path,
        model: 'res.partner',
        url: `${base}${path}`,
        secret_sealed: box.seal(secret, WEBHOOK_SECRET_AAD),
        ...extra,
      }),
    ),
  });
  const id = created.get('id') as number;
  subscriptions.push(id);
  return id;
}

function change(
  recordId: number,
  version: number,
  type: ChangeType = 'record.updated',
  values: Record<string, string | boolean> = {},
): Change {
  const state: StoredRecord = {
    model: 'res.partner',
    id: recordId,
    version,
    values: { name: `Partner ${recordId}`, active: true, ...values },
  };
  return {
    state,
    data: {
      id: `evt_${randomUUID()}`,
      type,
      model: 'res.partner',
      record_id: recordId,
      version,
      changed_fields: ['name'],
      old: type === 'record.created' ? null : { name: 'Before' },
      new: type === 'record.deleted' ? null : { name: state.values.name },
      display_name: String(state.values.name),
      write_uid: 1,
      write_date: '2026-12-06 10:20:30',
      client_id: 'test',
      transaction: { id: randomUUID(), count: 1, position: 0 },
    },
  };
}

function engine(options: { local?: boolean; send?: AttemptDeps['send'] } = {}) {
  const attemptDeps: AttemptDeps = {
    store: webhookStore,
    openSecret: async (sealed) => box.open(sealed, WEBHOOK_SECRET_AAD),
    local: options.local ?? true,
    retryScale: 0.0001,
    ...(options.send ? { send: options.send } : {}),
  };
  const queue = new LocalDeliveryQueue((job) => attemptDelivery(attemptDeps, job, new Date()));
  const fanOutDeps: FanOutDeps = { store: webhookStore, queue, registry: async () => registry };
  return { attemptDeps, queue, fanOutDeps };
}

/** A delivery as the object API reads it. */
async function readDelivery(id: number): Promise<Map<string, PyValue>> {
  const [record] = await readRecords(deps, { model: 'ir.webhook.delivery', ids: [id] });
  return record as Map<string, PyValue>;
}

async function deliveriesOf(webhookId: number): Promise<StoredRecord[]> {
  const found: StoredRecord[] = [];
  await stores.records.scanModel('ir.webhook.delivery', (page) =>
    found.push(...page.filter((r) => r.values.webhook_id === webhookId)),
  );
  // Deliveries are created concurrently, so their ids need not follow the versions: sort as the queue ran them.
  return found.sort(
    (a, b) =>
      Number(a.values.res_id) - Number(b.values.res_id) || Number(a.values.res_version) - Number(b.values.res_version),
  );
}

const from = (path: string) => received.filter((r) => r.path === path);

describe('webhook deliveries on DynamoDB Local', () => {
  it('delivers a signed event the standardwebhooks package verifies, and records it readable through the API', async () => {
    const webhookId = await subscribe('/ok');
    const { queue, fanOutDeps } = engine();
    const counts = await fanOut(fanOutDeps, [change(11, 2)]);
    await queue.idle();

    expect(counts).toStrictEqual({ changes: 1, deliveries: 1, created: 1, unusable: 0, tooLarge: 0 });
    expect(from('/ok')).toMatchObject([{ version: 2, verified: true }]);
    const [stored] = await deliveriesOf(webhookId);
    const delivery = await readDelivery(stored!.id);
    expect(
      Object.fromEntries(
        [
          'webhook_id',
          'event_id',
          'event_type',
          'res_model',
          'res_id',
          'res_version',
          'state',
          'attempt_count',
          'last_status',
          'last_error',
          'next_attempt',
          'create_uid',
        ].map((f) => [f, delivery.get(f)]),
      ),
    ).toStrictEqual({
      webhook_id: webhookId,
      event_id: from('/ok')[0]!.eventId,
      event_type: 'record.updated',
      res_model: 'res.partner',
      res_id: 11,
      res_version: 2,
      state: 'delivered',
      attempt_count: 1,
      last_status: 200,
      last_error: false,
      next_attempt: false,
      create_uid: [1, expect.any(String)],
    });
    expect(delivery.get('delivered_at')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(JSON.parse(delivery.get('attempt_log') as string)).toMatchObject([{ number: 1, status: 200, error: null }]);
    await queue.stop();
  });

  it('makes no second delivery when the same changes are handed over again', async () => {
    const webhookId = await subscribe('/twice');
    const { queue, fanOutDeps } = engine();
    const changes = [change(12, 1, 'record.created'), change(12, 2)];
    await fanOut(fanOutDeps, changes);
    await queue.idle();
    const again = await fanOut(fanOutDeps, changes);
    await queue.idle();

    expect(again).toStrictEqual({ changes: 2, deliveries: 2, created: 0, unusable: 0, tooLarge: 0 });
    expect((await deliveriesOf(webhookId)).map((d) => d.values.state)).toStrictEqual(['delivered', 'delivered']);
    expect(from('/twice').map((r) => r.version)).toStrictEqual([1, 2]);
    await queue.stop();
  });

  it('retries a receiver that answers 500, delivers on attempt 2 and keeps both attempts', async () => {
    script.set('/flaky', [500, 200]);
    const webhookId = await subscribe('/flaky');
    const { queue, fanOutDeps } = engine();
    await fanOut(fanOutDeps, [change(13, 5)]);
    await queue.idle();

    expect(from('/flaky').map((r) => [r.version, r.verified])).toStrictEqual([
      [5, true],
      [5, true],
    ]);
    expect(new Set(from('/flaky').map((r) => r.eventId)).size).toBe(1);
    const [stored] = await deliveriesOf(webhookId);
    const delivery = await readDelivery(stored!.id);
    expect([
      delivery.get('state'),
      delivery.get('attempt_count'),
      delivery.get('last_status'),
      delivery.get('last_error'),
    ]).toStrictEqual(['delivered', 2, 200, false]);
    expect(JSON.parse(delivery.get('attempt_log') as string)).toMatchObject([
      { number: 1, status: 500, error: 'HTTP 500: answer 500' },
      { number: 2, status: 200, error: null },
    ]);
    await queue.stop();
  });

  it('turns the subscription off when the receiver answers 410 Gone', async () => {
    script.set('/gone', [410]);
    const webhookId = await subscribe('/gone');
    const { queue, fanOutDeps } = engine();
    await fanOut(fanOutDeps, [change(14, 3)]);
    await queue.idle();

    const [subscription] = await readRecords(deps, { model: 'ir.webhook', ids: [webhookId], fields: ['active'] });
    expect(subscription?.get('active')).toBe(false);
    const [stored] = await deliveriesOf(webhookId);
    expect(stored?.values).toMatchObject({ state: 'disabled', attempt_count: 1, last_status: 410 });
    // The next change finds no active subscription for it: nothing more is sent.
    await fanOut(fanOutDeps, [change(14, 4)]);
    await queue.idle();
    expect(from('/gone')).toHaveLength(1);
    await queue.stop();
  });

  it('delivers 20 versions of one record in version order even when one attempt in the middle fails', async () => {
    // The 10th request fails: version 10's first attempt; the lane waits for its retry.
    script.set('/ordered', [...Array.from({ length: 9 }, () => 200), 503, 200]);
    const webhookId = await subscribe('/ordered');
    const { queue, fanOutDeps } = engine();
    // Handed over in three batches, as a stream would.
    const changes = Array.from({ length: 20 }, (_, i) => change(15, i + 1));
    await fanOut(fanOutDeps, changes.slice(0, 7));
    await fanOut(fanOutDeps, changes.slice(7, 14));
    await fanOut(fanOutDeps, changes.slice(14));
    await queue.idle();

    const versions = from('/ordered').map((r) => r.version);
    expect(versions).toStrictEqual([
      ...Array.from({ length: 10 }, (_, i) => i + 1),
      ...Array.from({ length: 11 }, (_, i) => i + 10),
    ]);
    expect(from('/ordered').every((r) => r.verified)).toBe(true);
    const deliveries = await deliveriesOf(webhookId);
    expect(deliveries.map((d) => [d.values.res_version, d.values.state, d.values.attempt_count])).toStrictEqual(
      Array.from({ length: 20 }, (_, i) => [i + 1, 'delivered', i === 9 ? 2 : 1]),
    );
    await queue.stop();
  });

  it('sends only the changes the fields filter and the domain let through', async () => {
    await subscribe('/filtered', { fields: 'email', domain: "[('is_company', '=', True)]" });
    const { queue, fanOutDeps } = engine();
    const touched = (c: Change, fields: string[]): Change => ({ ...c, data: { ...c.data, changed_fields: fields } });
    await fanOut(fanOutDeps, [
      touched(change(16, 2, 'record.updated', { is_company: true }), ['email']),
      touched(change(16, 3, 'record.updated', { is_company: true }), ['phone']),
      touched(change(17, 2, 'record.updated', { is_company: false }), ['email']),
      change(18, 1, 'record.created', { is_company: true }),
    ]);
    await queue.idle();
    // Records 16 and 18 are separate lanes: their order between them is not fixed.
    expect(
      from('/filtered')
        .map((r) => r.version)
        .sort(),
    ).toStrictEqual([1, 2]);
    await queue.stop();
  });

  it('refuses a target resolving to a private address outside the local stage, sends nothing and records why', async () => {
    const webhookId = await subscribe('/private', { url: 'https://hooks.example.com/in' });
    const literal = await subscribe('/literal', { url: `${base}/literal` });
    // The name resolves to a private address when the attempt connects (DNS played by the resolver).
    const { attemptDeps, fanOutDeps } = engine({
      local: false,
      send: (request) => sendDelivery({ ...request, resolve: async () => [{ address: '10.1.2.3', family: 4 }] }),
    });
    const queue = {
      jobs: [] as { deliveryId: number; lane: string }[],
      enqueue: async function (jobs: readonly { deliveryId: number; lane: string }[]) {
        this.jobs.push(...jobs);
      },
    };
    await fanOut({ ...fanOutDeps, queue }, [change(19, 1)]);
    const [privateJob, literalJob] = [webhookId, literal].map((id) =>
      queue.jobs.find((job) => job.lane.startsWith(`${id}:`))!,
    );

    const now = new Date(Date.now() + 2000);
    expect(await attemptDelivery(attemptDeps, privateJob!, now)).toMatchObject({ kind: 'retry' });
    expect(await attemptDelivery(attemptDeps, literalJob!, now)).toMatchObject({ kind: 'retry' });

    expect(from('/literal')).toHaveLength(0);
    const [privateDelivery] = await deliveriesOf(webhookId);
    expect(privateDelivery?.values).toMatchObject({
      state: 'pending',
      attempt_count: 1,
      last_status: 0,
      last_error: 'refused: hooks.example.com resolves to 10.1.2.3, a private address (RFC 1918)',
    });
    const [literalDelivery] = await deliveriesOf(literal);
    expect(literalDelivery?.values).toMatchObject({
      state: 'pending',
      attempt_count: 1,
      last_status: 0,
      last_error: 'refused: the URL must be https',
    });
  });

  it('sends an event too large for one body without its values (saying so), and the rest of the batch', async () => {
    await subscribe('/large');
    const { queue, fanOutDeps } = engine();
    const plain = change(21, 2);
    const big: Change = {
      ...plain,
      data: { ...plain.data, changed_fields: ['comment'], new: { comment: 'x'.repeat(450_000) } },
    };
    const counts = await fanOut(fanOutDeps, [change(21, 1), big, change(22, 1)]);
    await queue.idle();
    expect(counts).toStrictEqual({ changes: 3, deliveries: 3, created: 3, unusable: 0, tooLarge: 0 });
    // Two lanes (records 21 and 22): their order between them is not defined.
    expect(
      from('/large')
        .map((r) => [r.version, r.valuesOmitted, r.verified])
        .sort(),
    ).toStrictEqual([
      [1, false, true],
      [1, false, true],
      [2, true, true],
    ]);
    await queue.stop();
  });

  it('lets only one of two workers record an attempt on the same read of a delivery', async () => {
    const webhookId = await subscribe('/race');
    const { fanOutDeps } = engine();
    const queue = { enqueue: async () => undefined };
    await fanOut({ ...fanOutDeps, queue }, [change(20, 1)]);
    const [stored] = await deliveriesOf(webhookId);
    const read = (await webhookStore.getDelivery(stored!.id))!;
    const entry = { number: 1, at: new Date().toISOString(), status: 500, error: 'HTTP 500', duration_ms: 3 };
    const outcomes = await Promise.all([
      webhookStore.recordAttempt(read, { state: 'pending', attemptCount: 1, appendLog: entry }),
      webhookStore.recordAttempt(read, { state: 'pending', attemptCount: 1, appendLog: entry }),
    ]);
    expect(outcomes.sort()).toStrictEqual([false, true]);
    expect((await webhookStore.getDelivery(stored!.id))?.attemptLog).toHaveLength(1);
  });
});
