/**
 * Webhook subscriptions over HTTP (issue 12, "Out to webhooks"): an administrator creates an
 * ir.webhook record and reads its signing secret once, in the create's answer; the record keeps it
 * sealed with the stage's key ring and no read shows it; values the delivery engine could not use
 * are refused with nothing created; deliveries are the service's to write; other users may not
 * subscribe. Every subscription made here is inactive (nothing is delivered to the example hosts)
 * and deleted at the end; refusals are counted by a name of this file's own, so other files'
 * subscriptions do not matter.
 */
import { readFileSync } from 'node:fs';
import { createClient } from '../../lib/auth/admin';
import { apiUrl, demoToken, objectCall, servedAuthStore, servedItem, testKeyRing } from '../helpers/local';

const suffix = Date.now().toString(36);
const REFUSED = `refused-${suffix}`;
let adminToken: string;
let userToken: string;
const created: number[] = [];
/** Every secret answered here, for the check that none reaches the API's log. */
const secrets: string[] = [];

interface Answer {
  status: number;
  body: string;
}

const call = (method: string, path: string, query: Record<string, string> = {}, options: { token?: string; accept?: string } = {}): Promise<Answer> =>
  objectCall(method, path, query, { token: adminToken, ...options });

const json = (answer: Answer) => JSON.parse(answer.body) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
const errorOf = (answer: Answer) => ({ status: answer.status, message: json(answer).error?.message as string });

/** Subscriptions named `name`, archived ones included. */
async function countNamed(name: string): Promise<number> {
  const answer = await call('GET', 'ir.webhook/search_count', { domain: `[('name','=','${name}')]`, context: "{'active_test': False}" });
  expect(answer.status).toBe(200);
  return json(answer).count as number;
}

function subscription(values: Record<string, string | boolean>): string {
  return JSON.stringify({ name: `hook-${suffix}`, model: 'res.partner', url: 'https://hooks.example.com/odoo', active: false, ...values });
}

beforeAll(async () => {
  adminToken = await demoToken();
  // Marc Demo (user 2): an internal user and contact manager, not an administrator.
  const served = servedAuthStore();
  try {
    const client = await createClient(served.store, undefined, { userId: 2, name: `webhook e2e ${suffix}`, accessType: 'oauth2' });
    const response = await fetch(`${apiUrl()}/restapi/1.0/common/oauth2/access_token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret }),
    });
    userToken = ((await response.json()) as { access_token: string }).access_token;
  } finally {
    served.close();
  }
});

afterAll(async () => {
  if (created.length > 0) await call('DELETE', 'ir.webhook', { ids: created.join(',') });
});

describe('POST /restapi/1.0/object/ir.webhook', () => {
  it('answers 201 with the record and its secret once; the item holds it sealed; reads show neither', async () => {
    const answer = await call('POST', 'ir.webhook', { vals: subscription({ fields: ' name, email ', domain: "[('is_company','=',True)]" }) });
    expect(answer.status).toBe(201);
    const record = json(answer)['Webhook Subscription'];
    created.push(record.id);
    secrets.push(record.secret);
    expect(record).toStrictEqual({
      id: expect.any(Number),
      name: `hook-${suffix}`,
      model: 'res.partner',
      url: 'https://hooks.example.com/odoo',
      fields: 'name,email',
      domain: "[('is_company','=',True)]",
      active: false,
      display_name: `hook-${suffix}`,
      create_uid: [1, 'Administrator'],
      create_date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      write_uid: [1, 'Administrator'],
      write_date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });

    const item = await servedItem('ir.webhook', record.id);
    const sealed = item?.v.secret_sealed as string;
    expect(sealed).toMatch(/^v1\./);
    expect(testKeyRing().secretBox.open(sealed, 'ir.webhook')).toBe(record.secret);

    const { secret: _secret, ...withoutSecret } = record;
    const read = await call('GET', `ir.webhook/${record.id}`);
    expect(json(read)['Webhook Subscription']).toStrictEqual(withoutSecret);
    const listed = await call('GET', 'ir.webhook', { domain: `[('id','=',${record.id})]`, context: "{'active_test': False}" });
    expect(json(listed)['Webhook Subscription']).toStrictEqual([withoutSecret]);
    for (const body of [read.body, listed.body]) {
      expect(body).not.toContain('secret');
      expect(body).not.toContain(sealed);
    }
    const described = json(await call('GET', 'ir.webhook/fields_get', { attributes: "['type']" }))['Webhook Subscription'];
    expect(Object.keys(described)).toContain('url');
    expect(Object.keys(described)).not.toContain('secret_sealed');
  });

  it('answers the secret in XML too', async () => {
    const answer = await call('POST', 'ir.webhook', { vals: subscription({}) }, { accept: 'application/xml' });
    expect(answer.status).toBe(201);
    created.push(Number(/^<ir\.webhook type="dict"><id type="int">(\d+)<\/id>/.exec(answer.body)?.[1]));
    secrets.push(/<secret type="str">([^<]+)<\/secret>/.exec(answer.body)?.[1] ?? 'missing');
    expect(answer.body).toMatch(/<secret type="str">whsec_[A-Za-z0-9+/]{43}=<\/secret><\/ir\.webhook>$/);
    expect(answer.body).not.toContain('secret_sealed');
  });

  it('takes an http loopback target on the local stage (WEBHOOK_LOCAL_TARGETS, for npm run listen)', async () => {
    const answer = await call('POST', 'ir.webhook', { vals: subscription({ url: 'http://127.0.0.1:4000/hook' }) });
    expect(answer.status).toBe(201);
    const record = json(answer)['Webhook Subscription'];
    created.push(record.id);
    expect(record.url).toBe('http://127.0.0.1:4000/hook');
  });

  it.each([
    ['an unknown model', { model: 'res.nothing' }, 403, "Wrong value for ir.webhook.model: no model 'res.nothing'; give a model's technical name, e.g. 'res.partner'"],
    ['a webhook model', { model: 'ir.webhook.delivery' }, 403, "Wrong value for ir.webhook.model: 'ir.webhook.delivery' cannot be watched; subscriptions and deliveries send no webhooks"],
    ['the metadata service as the target', { url: 'https://169.254.169.254/latest/meta-data' }, 403, 'Wrong value for ir.webhook.url: the host 169.254.169.254 is'],
    ['a private address as the target', { url: 'https://10.0.0.7/hook' }, 403, 'Wrong value for ir.webhook.url: the host 10.0.0.7 is'],
    ['a target that is not http(s)', { url: 'ftp://hooks.example.com/odoo' }, 403, 'Wrong value for ir.webhook.url: the URL must be'],
    ['an unknown field', { fields: 'name,nope' }, 403, "Wrong value for ir.webhook.fields: 'nope' is not a field of res.partner"],
    ['a domain that does not parse', { domain: "[('name','='" }, 400, "Cannot parse 'domain': "],
    ['a domain on an unknown field', { domain: "[('nope','=',1)]" }, 403, "Invalid field 'nope' on model 'res.partner'"],
    ['a dotted domain', { domain: "[('country_id.code','=','BE')]" }, 403, "Wrong value for ir.webhook.domain: the term on 'country_id' follows a relation (a dotted path or 'any'). A subscription's domain is evaluated on the changed record alone"],
    ['a child_of domain', { domain: "[('parent_id','child_of',17)]" }, 403, "Wrong value for ir.webhook.domain: the term 'parent_id child_of' walks a hierarchy."],
  ])('refuses %s, creating nothing', async (_case, values, status, message) => {
    const answer = await call('POST', 'ir.webhook', { vals: subscription({ name: REFUSED, ...values }) });
    const error = errorOf(answer);
    expect(error.status).toBe(status);
    expect(error.message.startsWith(message)).toBe(true);
    expect(await countNamed(REFUSED)).toBe(0);
  });

  it("refuses a client's sealed secret, creating nothing", async () => {
    const answer = await call('POST', 'ir.webhook', { vals: subscription({ name: REFUSED, secret_sealed: 'v1.mine' }) });
    expect(errorOf(answer)).toStrictEqual({
      status: 403,
      message: expect.stringMatching(/^You do not have enough rights to access the fields "secret_sealed" on Webhook Subscription \(ir\.webhook\)\./),
    });
    expect(await countNamed(REFUSED)).toBe(0);
  });

  it('refuses a user who is not an administrator, creating nothing; nor may they read subscriptions', async () => {
    const answer = await call('POST', 'ir.webhook', { vals: subscription({ name: REFUSED }) }, { token: userToken });
    expect(errorOf(answer)).toStrictEqual({ status: 403, message: expect.stringMatching(/^You are not allowed to create 'Webhook Subscription' \(ir\.webhook\) records\./) });
    expect(errorOf(await call('GET', 'ir.webhook/search_count', {}, { token: userToken })).status).toBe(403);
    expect(await countNamed(REFUSED)).toBe(0);
  });
});

describe('PUT /restapi/1.0/object/ir.webhook', () => {
  let id: number;
  beforeAll(async () => {
    const answer = await call('POST', 'ir.webhook', { vals: subscription({ fields: 'email' }) });
    id = json(answer)['Webhook Subscription'].id;
    created.push(id);
  });

  it('refuses to write the sealed secret, writing nothing', async () => {
    const before = await servedItem('ir.webhook', id);
    const answer = await call('PUT', `ir.webhook/${id}`, { vals: "{'secret_sealed': 'v1.mine', 'name': 'changed'}" });
    expect(errorOf(answer)).toStrictEqual({ status: 403, message: expect.stringContaining('(Operation: write)') });
    expect(await servedItem('ir.webhook', id)).toStrictEqual(before);
  });

  it("checks the record's fields against a new model, writing nothing when they do not fit", async () => {
    const before = await servedItem('ir.webhook', id);
    const refused = await call('PUT', `ir.webhook/${id}`, { vals: "{'model': 'res.country'}" });
    expect(errorOf(refused)).toStrictEqual({ status: 403, message: expect.stringMatching(/^Wrong value for ir\.webhook\.fields: 'email' is not a field of res\.country/) });
    expect(await servedItem('ir.webhook', id)).toStrictEqual(before);
    const written = await call('PUT', `ir.webhook/${id}`, { vals: "{'model': 'res.country', 'fields': 'code'}" });
    expect(written.status).toBe(200);
    expect(json(written)['Webhook Subscription']).toMatchObject({ id, model: 'res.country', fields: 'code' });
    expect(written.body).not.toContain('secret');
  });
});

describe('ir.webhook.delivery', () => {
  it.each([
    ['create', 'POST', 'ir.webhook.delivery', { vals: "{'event_id': 'msg_e2e'}" }],
    ['modify', 'PUT', 'ir.webhook.delivery/1', { vals: "{'state': 'delivered'}" }],
    ['delete', 'DELETE', 'ir.webhook.delivery/1', {}],
  ])('refuses to %s deliveries, even for an administrator', async (verb, method, path, query) => {
    const before = await servedItem('ir.webhook.delivery', 1);
    expect(errorOf(await call(method, path, query))).toStrictEqual({
      status: 403,
      message: expect.stringMatching(new RegExp(`^You are not allowed to ${verb} 'Webhook Delivery' \\(ir\\.webhook\\.delivery\\) records\\.\\n\\nDeliveries are recorded by the service`)),
    });
    expect(await servedItem('ir.webhook.delivery', 1)).toStrictEqual(before);
  });

  it('lets an administrator search them', async () => {
    const answer = await call('GET', 'ir.webhook.delivery/search_count', { domain: "[('event_id','=','msg_e2e')]" });
    expect({ status: answer.status, body: json(answer) }).toStrictEqual({ status: 200, body: { count: 0 } });
  });
});

describe("the API's log", () => {
  it('holds none of the signing secrets answered above, clear or sealed', async () => {
    expect(secrets).toHaveLength(2);
    const sealed = await Promise.all(created.slice(0, 2).map(async (id) => (await servedItem('ir.webhook', id))?.v.secret_sealed as string));
    const log = readFileSync(process.env.TEST_API_LOG_FILE as string, 'utf8');
    for (const secret of [...secrets, ...sealed]) {
      expect(secret.length).toBeGreaterThan(40);
      expect(log).not.toContain(secret);
      // Nor its key material alone (the base64 after whsec_), as a log line might print it.
      expect(log).not.toContain(secret.replace(/^whsec_/, ''));
    }
  });
});
