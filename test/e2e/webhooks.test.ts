/**
 * Webhooks over HTTP, end to end: a subscription created through the object API, writes through
 * the served API, DynamoDB Local's stream read by the local stage's consumer, and signed deliveries
 * to a receiver on this machine, verified with the `standardwebhooks` package (an implementation of
 * the spec that is not ours). The local stage retries at 1/1000 of the schedule (5 s -> 5 ms).
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { objectCall } from '../helpers/local';

interface Received {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly answer: number;
}

/** A receiver that answers each delivery with the next status of `answers` (then 204), keeping what it got. */
async function receiver(answers: number[] = []) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer = answers.shift() ?? 204;
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      received.push({ headers, body: Buffer.concat(chunks).toString('utf8'), answer });
      response.writeHead(answer).end(answer >= 400 ? 'not now' : '');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((done) => server.close(done)) };
}

async function call(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const { status, body } = await objectCall(method, path);
  return { status, body: body ? (JSON.parse(body) as unknown) : undefined };
}

const first = (body: unknown) =>
  Object.values(body as Record<string, Record<string, unknown>>)[0] as Record<string, unknown>;

/** What these tests created, deleted at the end (subscriptions first): other files search the demo data as it is. */
const created: { model: string; id: number }[] = [];

afterAll(async () => {
  const order = ['ir.webhook', 'res.partner', 'res.partner.category'];
  for (const model of order)
    for (const record of created.filter((entry) => entry.model === model))
      await call('DELETE', `${model}/${record.id}`);
});

async function subscribe(vals: Record<string, string>): Promise<{ id: number; secret: string }> {
  const literal = `{${Object.entries(vals)
    .map(([key, value]) => `'${key}': ${JSON.stringify(value)}`)
    .join(', ')}}`;
  const { status, body } = await call('POST', `ir.webhook?vals=${encodeURIComponent(literal)}`);
  expect(status).toBe(201);
  const record = first(body);
  created.push({ model: 'ir.webhook', id: record.id as number });
  return { id: record.id as number, secret: record.secret as string };
}

async function create(name: string): Promise<number> {
  const { status, body } = await call('POST', `res.partner?vals=${encodeURIComponent(`{'name': '${name}'}`)}`);
  expect(status).toBe(201);
  const id = first(body).id as number;
  created.push({ model: 'res.partner', id });
  return id;
}

/** Waits (60 s at most) until `done` holds. */
async function until(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const eventOf = (delivery: Received) =>
  JSON.parse(delivery.body) as {
    type: string;
    timestamp: string;
    data: { record_id: number; version: number; new: Record<string, unknown> | null };
  };

describe('webhooks (local stage)', () => {
  it('signs every delivery as Standard Webhooks says, and sends only what the subscription asks for', async () => {
    const target = await receiver();
    try {
      const marker = `hooked-${Date.now()}`;
      const { secret } = await subscribe({
        name: 'e2e signed',
        model: 'res.partner',
        url: target.url,
        fields: 'street',
        domain: `[('street', '=like', '${marker}%')]`,
      });
      expect(secret).toMatch(/^whsec_/);
      const id = await create('Hooked');
      // Not sent: the name is not a field it asks for; and a street outside its domain.
      await call('PUT', `res.partner/${id}?vals=${encodeURIComponent("{'name': 'Hooked again'}")}`);
      await call('PUT', `res.partner/${id}?vals=${encodeURIComponent("{'street': 'elsewhere'}")}`);
      expect(
        (await call('PUT', `res.partner/${id}?vals=${encodeURIComponent(`{'street': '${marker} 1'}`)}`)).status,
      ).toBe(200);
      await until('the signed delivery', () => target.received.some((got) => eventOf(got).data.record_id === id));
      const mine = target.received.filter((got) => eventOf(got).data.record_id === id);
      expect(mine).toHaveLength(1);
      const [delivery] = mine as [Received];
      // The independent oracle: throws unless the signature and timestamp are right.
      const verified = new Webhook(secret).verify(delivery.body, delivery.headers) as ReturnType<typeof eventOf>;
      expect(verified.type).toBe('record.updated');
      expect(verified.data.new).toEqual({ street: `${marker} 1` });
      expect(delivery.headers['webhook-id']).toMatch(/^msg_/);
      expect(() =>
        new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(delivery.body, delivery.headers),
      ).toThrow();
    } finally {
      await target.close();
    }
  });

  it('retries a receiver that answered 500, and records both attempts on the delivery', async () => {
    const target = await receiver([500]);
    try {
      // Only this tag (its domain): the receiver's one 500 must go to its first attempt, not to another change.
      const name = `Retried tag ${Date.now()}`;
      const hook = await subscribe({
        name: 'e2e retried',
        model: 'res.partner.category',
        url: target.url,
        domain: `[('name', '=', '${name}')]`,
      });
      const { status, body } = await call(
        'POST',
        `res.partner.category?vals=${encodeURIComponent(`{'name': '${name}'}`)}`,
      );
      expect(status).toBe(201);
      const tag = first(body).id as number;
      created.push({ model: 'res.partner.category', id: tag });
      await until(
        'the second attempt',
        () => target.received.filter((got) => eventOf(got).data.record_id === tag).length >= 2,
      );
      const attempts = target.received.filter((got) => eventOf(got).data.record_id === tag);
      expect(attempts.map((got) => got.answer)).toEqual([500, 204]);
      // The same event, the same id, re-signed.
      expect(attempts[1]?.headers['webhook-id']).toBe(attempts[0]?.headers['webhook-id']);
      expect(attempts[1]?.body).toBe(attempts[0]?.body);
      const domain = encodeURIComponent(`[('webhook_id', '=', ${hook.id})]`);
      let deliveries: Record<string, unknown>[] = [];
      await until('the delivery recorded as delivered', async () => {
        const { body: found } = await call('GET', `ir.webhook.delivery?domain=${domain}`);
        deliveries = Object.values(found as Record<string, Record<string, unknown>[]>)[0] ?? [];
        return deliveries.some((delivery) => delivery.state === 'delivered');
      });
      const [delivery] = deliveries;
      expect(delivery).toMatchObject({
        state: 'delivered',
        attempt_count: 2,
        last_status: 204,
        res_model: 'res.partner.category',
        res_id: tag,
      });
      const log = JSON.parse(String(delivery?.attempt_log)) as { status: number }[];
      expect(log.map((attempt) => attempt.status)).toEqual([500, 204]);
    } finally {
      await target.close();
    }
  });

  it('disables a subscription whose receiver answers 410 Gone', async () => {
    const target = await receiver([410]);
    try {
      const marker = `gone-${Date.now()}`;
      const hook = await subscribe({
        name: 'e2e gone',
        model: 'res.partner',
        url: target.url,
        domain: `[('ref', '=', '${marker}')]`,
      });
      const id = await create('Gone watcher');
      expect((await call('PUT', `res.partner/${id}?vals=${encodeURIComponent(`{'ref': '${marker}'}`)}`)).status).toBe(
        200,
      );
      await until('the subscription disabled', async () => {
        const { body } = await call('GET', `ir.webhook/${hook.id}?fields=${encodeURIComponent("['active']")}`);
        return first(body).active === false;
      });
      expect(target.received.map((got) => got.answer)).toEqual([410]);
    } finally {
      await target.close();
    }
  });

  it('keeps 20 rapid updates of one record in version order at the receiver', async () => {
    const target = await receiver([500]);
    try {
      const marker = `ordered-${Date.now()}`;
      await subscribe({
        name: 'e2e ordered',
        model: 'res.partner',
        url: target.url,
        domain: `[('ref', '=like', '${marker}%')]`,
      });
      const id = await create('Ordered');
      for (let n = 1; n <= 20; n++) {
        expect(
          (await call('PUT', `res.partner/${id}?vals=${encodeURIComponent(`{'ref': '${marker}-${n}'}`)}`)).status,
        ).toBe(200);
      }
      const delivered = () => target.received.filter((got) => got.answer < 300 && eventOf(got).data.record_id === id);
      await until('20 deliveries', () => delivered().length >= 20);
      expect(delivered().map((got) => eventOf(got).data.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    } finally {
      await target.close();
    }
  });

  it('writes no signing secret to the logs', async () => {
    const { secret } = await subscribe({ name: 'e2e logs', model: 'res.partner', url: 'http://127.0.0.1:9/never' });
    await create('Log check');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const logs = await readFile(String(process.env.TEST_API_LOG_FILE), 'utf8');
    expect(logs.includes(secret)).toBe(false);
    expect(logs.includes(secret.slice('whsec_'.length))).toBe(false);
  });
});
