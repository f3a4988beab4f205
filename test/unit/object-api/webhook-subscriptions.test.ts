/**
 * Webhook subscriptions through the object API (issue 12, "Out to webhooks"): the rules of
 * ir.webhook's values, checked alone and through the object routes over the in-memory store — a
 * refused create or write writes nothing; the signing secret is answered once and stored sealed;
 * the sealed value is never read or written by a client; deliveries are the service's to write.
 */
import { randomBytes } from 'node:crypto';
import { keyRingFrom } from '../../../lib/auth/keys';
import { AccessDeniedError, InvalidFieldError, InvalidLiteralError, InvalidValueError } from '../../../lib/errors';
import { modelEnvelope, serialize, type ApiRequest, type ApiResult } from '../../../lib/http';
import { buildAccessRules } from '../../../lib/models/access';
import { buildRegistry } from '../../../lib/models/registry';
import { routeObjectRequest, type ObjectDeps } from '../../../lib/object-api/router';
import {
  checkFieldList,
  checkSubscriptionDomain,
  checkSubscriptionVals,
  SECRET_ASSOCIATED_DATA,
  withoutServiceFields,
} from '../../../lib/object-api/webhook-subscriptions';
import { recordsFromData } from '../../../lib/runtime/demo';
import { verifyDelivery, signDelivery } from '../../../lib/webhooks/signature';
import type { PyDict, PyValue } from '../../../lib/wire/pyvalue';
import { shippedAccessRules, shippedModels } from '../../../models';
import demoData from '../../../scripts/demo-data.json';
import { MemoryRecordStore, noCalls } from '../../helpers/memory-record-store';
import { rejection, thrown } from '../../helpers/thrown';
import { ADMIN_AUTHORIZER, objectRequest } from '../../helpers/object-request';

const registry = buildRegistry(shippedModels);
const partner = registry.get('res.partner')!;
const rules = { registry, localTargets: false };
const vals = (entries: Record<string, PyValue>) => new Map(Object.entries(entries));

describe('the values of a subscription', () => {
  const good = { name: 'Partners', model: 'res.partner', url: 'https://hooks.example.com/odoo' };

  it('takes a watched model, a public https URL, a field list and a domain; the list comes back trimmed', () => {
    expect(
      checkSubscriptionVals(
        vals({ ...good, fields: ' name , email,name,', domain: "[('is_company', '=', True)]" }),
        rules,
      ),
    ).toStrictEqual(vals({ ...good, fields: 'name,email', domain: "[('is_company', '=', True)]" }));
  });

  it('takes an empty field list and an empty domain as no filter (False), and [] as it is', () => {
    expect(checkSubscriptionVals(vals({ ...good, fields: ' , ', domain: '  ' }), rules)).toStrictEqual(
      vals({ ...good, fields: false, domain: false }),
    );
    expect(checkSubscriptionVals(vals({ ...good, fields: false, domain: '[]' }), rules)).toStrictEqual(
      vals({ ...good, fields: false, domain: '[]' }),
    );
  });

  it.each([
    [
      'an unknown model',
      { model: 'res.nothing' },
      "Wrong value for ir.webhook.model: no model 'res.nothing'; give a model's technical name, e.g. 'res.partner'",
    ],
    [
      'the subscriptions themselves',
      { model: 'ir.webhook' },
      "Wrong value for ir.webhook.model: 'ir.webhook' cannot be watched; subscriptions and deliveries send no webhooks",
    ],
    [
      'the deliveries',
      { model: 'ir.webhook.delivery' },
      "Wrong value for ir.webhook.model: 'ir.webhook.delivery' cannot be watched; subscriptions and deliveries send no webhooks",
    ],
    ['a model that is not text', { model: 3 }, 'Wrong value for ir.webhook.model: 3; expected a string or False'],
    [
      'an unknown field',
      { fields: 'name,nope,zip' },
      "Wrong value for ir.webhook.fields: 'nope' is not a field of res.partner; give comma-separated field names, e.g. 'name,email', or nothing for every field",
    ],
    [
      'unknown fields',
      { fields: 'nope, nada' },
      "Wrong value for ir.webhook.fields: 'nope', 'nada' are not fields of res.partner; give comma-separated field names, e.g. 'name,email', or nothing for every field",
    ],
    ['fields as a list', { fields: ['name'] }, 'Wrong value for ir.webhook.fields: a list; expected a string or False'],
    [
      'a domain as a list',
      { domain: [] },
      `Wrong value for ir.webhook.domain: a list; expected a string or False, e.g. "[('is_company', '=', True)]"`,
    ],
  ])('refuses %s (403, INVALID_VALUE)', (_case, change, message) => {
    const error = thrown(() => checkSubscriptionVals(vals({ ...good, ...change }), rules));
    expect(error).toStrictEqual(new InvalidValueError(message));
    expect((error as InvalidValueError).status).toBe(403);
  });

  describe('the URL', () => {
    it.each([
      ['http outside the local stage', 'http://hooks.example.com/odoo', 'the URL must be https'],
      ['loopback', 'https://127.0.0.1/hook', 'the host 127.0.0.1 is'],
      ['a private address', 'https://10.1.2.3/hook', 'the host 10.1.2.3 is'],
      ['the metadata service', 'https://169.254.169.254/latest/meta-data', 'the host 169.254.169.254 is'],
      ['localhost', 'https://localhost:8443/hook', 'the host localhost is a loopback name'],
      ['no URL at all', 'hooks.example.com', 'not a valid absolute URL'],
    ])('refuses %s', (_case, url, reason) => {
      const error = thrown(() => checkSubscriptionVals(vals({ ...good, url }), rules));
      expect(error).toBeInstanceOf(InvalidValueError);
      expect((error as Error).message).toContain(`Wrong value for ir.webhook.url: ${reason}`);
    });

    it('takes http and loopback on the local stage (npm run listen), never the metadata service', () => {
      const local = { registry, localTargets: true };
      expect(checkSubscriptionVals(vals({ ...good, url: 'http://127.0.0.1:4000/hook' }), local).get('url')).toBe(
        'http://127.0.0.1:4000/hook',
      );
      expect(
        thrown(() => checkSubscriptionVals(vals({ ...good, url: 'http://169.254.169.254/' }), local)),
      ).toBeInstanceOf(InvalidValueError);
    });
  });

  describe('the domain', () => {
    it("is parsed as search's domain parameter: text that does not parse is a 400 naming 'domain'", () => {
      const error = thrown(() => checkSubscriptionDomain("[('name', '=', 'x'", partner, registry));
      expect(error).toBeInstanceOf(InvalidLiteralError);
      expect((error as InvalidLiteralError).status).toBe(400);
      expect((error as Error).message).toMatch(/^Cannot parse 'domain': /);
    });

    it('names fields of the watched model (an unknown one is the same 403 as in a search)', () => {
      expect(thrown(() => checkSubscriptionDomain("[('nope', '=', 1)]", partner, registry))).toStrictEqual(
        new InvalidFieldError('nope', 'res.partner'),
      );
    });

    it.each([
      [
        'a dotted path',
        "[('country_id.code', '=', 'BE')]",
        "the term on 'country_id' follows a relation (a dotted path or 'any')",
      ],
      [
        "an 'any' term",
        "[('category_id', 'any', [('name', '=', 'Vendor')])]",
        "the term on 'category_id' follows a relation (a dotted path or 'any')",
      ],
      ['child_of', "[('parent_id', 'child_of', 17)]", "the term 'parent_id child_of' walks a hierarchy"],
      [
        'parent_of',
        "['|', ('is_company', '=', True), ('parent_id', 'parent_of', [20])]",
        "the term 'parent_id parent_of' walks a hierarchy",
      ],
      [
        'a name compared with a many2one',
        "[('country_id', '=', 'Belgium')]",
        "the term on 'country_id' compares a name with a relation (a name search on res.country)",
      ],
    ])('refuses %s: it would read other models at delivery time', (_case, domain, why) => {
      const error = thrown(() => checkSubscriptionDomain(domain, partner, registry));
      expect(error).toBeInstanceOf(InvalidValueError);
      expect((error as Error).message).toBe(
        `Wrong value for ir.webhook.domain: ${why}. A subscription's domain is evaluated on the changed record alone ` +
          "when its change is delivered, so it cannot follow dotted paths, use 'any', child_of or parent_of, or compare " +
          "names with relational fields: these would read other models at delivery time. Compare the record's own " +
          "fields, e.g. [('country_id', '=', 21)]",
      );
    });

    it("takes terms on the record's own fields, ids of relations included", () => {
      expect(() =>
        checkSubscriptionDomain(
          "['|', ('country_id', '=', 21), '&', ('name', 'ilike', 'foster'), ('category_id', 'in', [1, 2])]",
          partner,
          registry,
        ),
      ).not.toThrow();
    });
  });

  describe('on a write', () => {
    const stored = { model: 'res.partner', fields: 'name,street2', domain: "[('street2', '!=', False)]" };

    it('checks only the values given while the model stays', () => {
      expect(checkSubscriptionVals(vals({ name: 'Renamed' }), rules, stored)).toStrictEqual(vals({ name: 'Renamed' }));
      expect(checkSubscriptionVals(vals({ fields: 'email ' }), rules, stored)).toStrictEqual(vals({ fields: 'email' }));
      expect(thrown(() => checkSubscriptionVals(vals({ fields: 'code' }), rules, stored))).toBeInstanceOf(
        InvalidValueError,
      );
    });

    it("checks the record's fields and domain again when the model changes", () => {
      expect(thrown(() => checkSubscriptionVals(vals({ model: 'res.country' }), rules, stored))).toStrictEqual(
        new InvalidValueError(
          "Wrong value for ir.webhook.fields: 'street2' is not a field of res.country; give comma-separated field names, e.g. 'name,email', or nothing for every field",
        ),
      );
      expect(
        thrown(() => checkSubscriptionVals(vals({ model: 'res.country', fields: 'name' }), rules, stored)),
      ).toStrictEqual(new InvalidFieldError('street2', 'res.country'));
      expect(
        checkSubscriptionVals(vals({ model: 'res.country', fields: 'name,code', domain: false }), rules, stored),
      ).toStrictEqual(vals({ model: 'res.country', fields: 'name,code', domain: false }));
    });
  });

  it('trims, dedupes and accepts every field of the model, magic ones included', () => {
    expect(checkFieldList('write_date, id ,display_name,write_date', partner)).toBe('write_date,id,display_name');
  });
});

describe('answers leave the sealed secret out', () => {
  const webhook = registry.get('ir.webhook')!;
  const record = (id: number): PyDict => vals({ id, name: 'Partners', secret_sealed: 'v1.k.iv.ct.tag', active: true });

  it('of one record, a list of them and the field descriptions; other models as they are', () => {
    expect(withoutServiceFields({ status: 200, model: webhook, data: record(1) })).toStrictEqual({
      status: 200,
      model: webhook,
      data: vals({ id: 1, name: 'Partners', active: true }),
    });
    expect(withoutServiceFields({ status: 200, model: webhook, data: [record(1), record(2)] })).toStrictEqual({
      status: 200,
      model: webhook,
      data: [vals({ id: 1, name: 'Partners', active: true }), vals({ id: 2, name: 'Partners', active: true })],
    });
    const other: ApiResult = { status: 200, model: partner, data: vals({ id: 17, secret_sealed: 'x' }) };
    expect(withoutServiceFields(other)).toBe(other);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the object routes

const accessRules = buildAccessRules(shippedAccessRules);
const ADMIN = 'base.group_user,base.group_system';
const keyRing = keyRingFrom(randomBytes(32));

async function demoStore(): Promise<MemoryRecordStore> {
  const store = new MemoryRecordStore();
  await store.putMany(recordsFromData(registry, demoData.records));
  store.resetCalls();
  return store;
}

function request(method: string, model: string, proxy: string | undefined, query: Record<string, string>, groups = ADMIN): ApiRequest {
  return objectRequest({ method, model, proxy, query, authorizer: { ...ADMIN_AUTHORIZER, groups } });
}

function depsOf(store: MemoryRecordStore, extra: Partial<ObjectDeps> = {}): ObjectDeps {
  return {
    registry,
    store,
    accessRules,
    now: () => new Date('2024-03-04T05:06:07Z'),
    sleep: async () => {},
    keys: async () => keyRing,
    ...extra,
  };
}

const send = (store: MemoryRecordStore, req: ApiRequest, extra: Partial<ObjectDeps> = {}) =>
  routeObjectRequest(depsOf(store, extra), req);

const SUBSCRIBE =
  "{'name': 'Partners', 'model': 'res.partner', 'url': 'https://hooks.example.com/odoo', 'fields': 'name, email'}";

/** The answer's record (one dict). */
function answered(result: ApiResult): PyDict {
  if (!('model' in result) || !(result.data instanceof Map)) throw new Error('expected one record');
  return result.data;
}

/** A call refused: the error, and nothing reserved or written (reads are allowed). */
async function expectRefused(
  store: MemoryRecordStore,
  req: ApiRequest,
  expected: unknown,
  extra: Partial<ObjectDeps> = {},
) {
  const before = store.allRecords();
  const lastId = store.lastId('ir.webhook');
  const error = await rejection(send(store, req, extra));
  expect(error).toStrictEqual(expected);
  expect(store.allRecords()).toStrictEqual(before);
  expect(store.lastId('ir.webhook')).toBe(lastId);
  expect(store.calls.transact).toBe(0);
  return error;
}

describe('POST /object/ir.webhook', () => {
  it('answers 201 with the record and its signing secret, shown this once; the record keeps it sealed', async () => {
    const store = await demoStore();
    const result = await send(store, request('POST', 'ir.webhook', undefined, { vals: SUBSCRIBE }));
    expect(result.status).toBe(201);
    const data = answered(result);
    const secret = data.get('secret') as string;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect([...data.keys()]).not.toContain('secret_sealed');
    expect(
      Object.fromEntries(
        [...data].filter(([name]) => ['name', 'model', 'url', 'fields', 'domain', 'active'].includes(name)),
      ),
    ).toStrictEqual({
      name: 'Partners',
      model: 'res.partner',
      url: 'https://hooks.example.com/odoo',
      fields: 'name,email',
      domain: false,
      active: true,
    });
    const id = data.get('id') as number;
    const sealed = store.record('ir.webhook', id)?.values.secret_sealed as string;
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain(secret.slice(6));
    expect(keyRing.secretBox.open(sealed, SECRET_ASSOCIATED_DATA)).toBe(secret);
    // The secret signs deliveries that a receiver holding it verifies.
    const now = new Date('2024-03-04T05:06:07Z');
    const headers = signDelivery(secret, { id: 'msg_1', timestamp: Math.floor(now.getTime() / 1000), body: '{}' });
    expect(verifyDelivery([secret], { ...headers }, '{}', now)).toStrictEqual({
      ok: true,
      id: 'msg_1',
      timestamp: 1709528767,
    });
  });

  it('answers the secret in XML too, as a str', async () => {
    const store = await demoStore();
    const result = await send(store, request('POST', 'ir.webhook', undefined, { vals: SUBSCRIBE }));
    if (!('model' in result)) throw new Error('expected model data');
    const xml = serialize(modelEnvelope(result.model, result.data, 'xml', 'description'), 'xml');
    expect(xml).toMatch(/<secret type="str">whsec_[A-Za-z0-9+/]{43}=<\/secret><\/ir\.webhook>$/);
    expect(xml).not.toContain('secret_sealed');
  });

  it('gives every subscription a secret of its own', async () => {
    const store = await demoStore();
    const first = answered(await send(store, request('POST', 'ir.webhook', undefined, { vals: SUBSCRIBE })));
    const second = answered(await send(store, request('POST', 'ir.webhook', undefined, { vals: SUBSCRIBE })));
    expect(first.get('secret')).not.toBe(second.get('secret'));
  });

  it.each([
    [
      'an unknown model',
      "{'name': 'X', 'model': 'res.nothing', 'url': 'https://hooks.example.com/x'}",
      InvalidValueError,
    ],
    ['a private URL', "{'name': 'X', 'model': 'res.partner', 'url': 'https://192.168.1.10/x'}", InvalidValueError],
    [
      'an unknown field',
      "{'name': 'X', 'model': 'res.partner', 'url': 'https://hooks.example.com/x', 'fields': 'nope'}",
      InvalidValueError,
    ],
    [
      'a dotted domain',
      `{'name': 'X', 'model': 'res.partner', 'url': 'https://hooks.example.com/x', 'domain': "[('country_id.code', '=', 'BE')]"}`,
      InvalidValueError,
    ],
    [
      'a domain that does not parse',
      `{'name': 'X', 'model': 'res.partner', 'url': 'https://hooks.example.com/x', 'domain': "[('name'"}`,
      InvalidLiteralError,
    ],
  ])('refuses %s, writing nothing', async (_case, subscription, kind) => {
    const store = await demoStore();
    const before = store.allRecords();
    const error = await rejection(send(store, request('POST', 'ir.webhook', undefined, { vals: subscription })));
    expect(error).toBeInstanceOf(kind);
    expect(store.allRecords()).toStrictEqual(before);
    expect(store.calls.transact).toBe(0);
  });

  it("refuses a client's own sealed secret (Odoo's field AccessError), writing nothing", async () => {
    const store = await demoStore();
    const error = await expectRefused(
      store,
      request('POST', 'ir.webhook', undefined, {
        vals: "{'name': 'X', 'model': 'res.partner', 'url': 'https://hooks.example.com/x', 'secret_sealed': 'v1.mine'}",
      }),
      expect.any(AccessDeniedError),
    );
    expect((error as Error).message).toMatch(
      /^You do not have enough rights to access the fields "secret_sealed" on Webhook Subscription \(ir\.webhook\)\. Please contact your system administrator\.\n\n\(Operation: write\)\n\nThe signing secret is generated and sealed by the service/,
    );
    expect(store.calls).toStrictEqual(noCalls());
  });

  it('is refused where no key can seal the secret (a function without the key ring)', async () => {
    const store = await demoStore();
    await expectRefused(
      store,
      request('POST', 'ir.webhook', undefined, { vals: SUBSCRIBE }),
      new AccessDeniedError(
        'ir.webhook records are created through the HTTP API: this function holds no key to seal their signing secret',
      ),
      { keys: undefined },
    );
  });

  it('is refused to a user who is not an administrator', async () => {
    const store = await demoStore();
    const error = await expectRefused(
      store,
      request('POST', 'ir.webhook', undefined, { vals: SUBSCRIBE }, 'base.group_user,base.group_partner_manager'),
      expect.any(AccessDeniedError),
    );
    expect((error as Error).message).toMatch(
      /^You are not allowed to create 'Webhook Subscription' \(ir\.webhook\) records\./,
    );
  });
});

describe('reading and writing ir.webhook', () => {
  async function subscribed() {
    const store = await demoStore();
    const id = answered(await send(store, request('POST', 'ir.webhook', undefined, { vals: SUBSCRIBE }))).get(
      'id',
    ) as number;
    store.resetCalls();
    return { store, id };
  }

  it('reads, searches and describes the fields without the sealed secret, and never with the clear one', async () => {
    const { store, id } = await subscribed();
    const one = answered(await send(store, request('GET', 'ir.webhook', String(id), {})));
    const list = await send(
      store,
      request('GET', 'ir.webhook', undefined, { domain: "[('model', '=', 'res.partner')]" }),
    );
    const described = answered(await send(store, request('GET', 'ir.webhook', 'fields_get', {})));
    for (const keys of [[...one.keys()], [...((list as { data: PyDict[] }).data[0] as PyDict).keys()]]) {
      expect(keys).toContain('url');
      expect(keys).not.toContain('secret_sealed');
      expect(keys).not.toContain('secret');
    }
    expect([...described.keys()]).toContain('url');
    expect([...described.keys()]).not.toContain('secret_sealed');
  });

  it('refuses to read the sealed secret by name', async () => {
    const { store, id } = await subscribed();
    const error = await rejection(
      send(store, request('GET', 'ir.webhook', String(id), { fields: "['url', 'secret_sealed']" })),
    );
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect((error as Error).message).toContain('(Operation: read)');
    expect(store.calls).toStrictEqual(noCalls());
  });

  it.each([
    ['searched', 'GET', undefined, { domain: "['|', ('active', '=', False), ('secret_sealed', '=like', 'v1.a%')]" }],
    ['counted', 'GET', 'search_count', { domain: "[('secret_sealed.x', '!=', False)]" }],
    ['sorted by', 'GET', undefined, { order: 'name asc, secret_sealed desc' }],
    ['a write conditioned on', 'PUT', '1', { vals: "{'name': 'x'}", where: "[('secret_sealed', 'like', 'v1.')]" }],
  ])(
    'refuses the sealed secret %s (it could be read out a character at a time)',
    async (_case, method, proxy, query) => {
      const { store } = await subscribed();
      const error = await rejection(send(store, request(method, 'ir.webhook', proxy, query)));
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect((error as Error).message).toMatch(
        /^You do not have enough rights to access the fields "secret_sealed" .*\n\n\(Operation: read\)/s,
      );
      expect(store.calls).toStrictEqual(noCalls());
    },
  );

  it('refuses to write the sealed secret, writing nothing', async () => {
    const { store, id } = await subscribed();
    await expectRefused(
      store,
      request('PUT', 'ir.webhook', String(id), { vals: "{'secret_sealed': False}" }),
      expect.any(AccessDeniedError),
    );
  });

  it("checks a new URL, and the record's fields and domain against a new model", async () => {
    const { store, id } = await subscribed();
    await expectRefused(
      store,
      request('PUT', 'ir.webhook', String(id), { vals: "{'url': 'http://hooks.example.com/odoo'}" }),
      new InvalidValueError(
        'Wrong value for ir.webhook.url: the URL must be https (an https URL on a public address, e.g. https://hooks.example.com/odoo)',
      ),
    );
    await expectRefused(
      store,
      request('PUT', 'ir.webhook', String(id), { vals: "{'model': 'res.country'}" }),
      new InvalidValueError(
        "Wrong value for ir.webhook.fields: 'email' is not a field of res.country; give comma-separated field names, e.g. 'name,email', or nothing for every field",
      ),
    );
    const written = await send(
      store,
      request('PUT', 'ir.webhook', String(id), { vals: "{'model': 'res.country', 'fields': 'code ,name'}" }),
    );
    expect([answered(written).get('model'), answered(written).get('fields')]).toStrictEqual([
      'res.country',
      'code,name',
    ]);
    expect([...answered(written).keys()]).not.toContain('secret_sealed');
  });

  it('names the record a write of several does not fit', async () => {
    const { store, id } = await subscribed();
    const other = answered(
      await send(
        store,
        request('POST', 'ir.webhook', undefined, {
          vals: "{'name': 'Names', 'model': 'res.partner', 'url': 'https://hooks.example.com/c', 'fields': 'name'}",
        }),
      ),
    ).get('id') as number;
    store.resetCalls();
    await expectRefused(
      store,
      request('PUT', 'ir.webhook', undefined, { ids: `${id},${other}`, vals: "{'model': 'res.country'}" }),
      new InvalidValueError(
        `ir.webhook(${id}): Wrong value for ir.webhook.fields: 'email' is not a field of res.country; give comma-separated field names, e.g. 'name,email', or nothing for every field`,
      ),
    );
  });

  it('archives and deletes as any model', async () => {
    const { store, id } = await subscribed();
    expect(
      answered(await send(store, request('PUT', 'ir.webhook', String(id), { vals: "{'active': False}" }))).get(
        'active',
      ),
    ).toBe(false);
    await send(store, request('DELETE', 'ir.webhook', String(id), {}));
    expect(store.record('ir.webhook', id)).toBeUndefined();
  });
});

describe('ir.webhook.delivery', () => {
  it.each([
    ['create', 'POST', undefined, { vals: "{'event_id': 'msg_1'}" }],
    ['modify', 'PUT', '1', { vals: "{'state': 'delivered'}" }],
    ['delete', 'DELETE', '1', {}],
  ])('refuses to %s deliveries through the API, even for an administrator', async (verb, method, proxy, query) => {
    const store = await demoStore();
    await store.putMany([
      { model: 'ir.webhook.delivery', id: 1, version: 1, values: { event_id: 'msg_1', state: 'pending' } },
    ]);
    store.resetCalls();
    const error = await expectRefused(
      store,
      request(method, 'ir.webhook.delivery', proxy, query),
      expect.any(AccessDeniedError),
    );
    expect((error as Error).message).toBe(
      `You are not allowed to ${verb} 'Webhook Delivery' (ir.webhook.delivery) records.\n\n` +
        'Deliveries are recorded by the service as it sends webhooks; they can be read and searched, not changed. ' +
        'To stop deliveries, archive or delete the subscription (ir.webhook).',
    );
    expect(store.calls).toStrictEqual(noCalls());
  });

  it('is read by administrators as any model', async () => {
    const store = await demoStore();
    await store.putMany([
      { model: 'ir.webhook.delivery', id: 1, version: 1, values: { event_id: 'msg_1', state: 'pending' } },
    ]);
    const one = answered(
      await send(store, request('GET', 'ir.webhook.delivery', '1', { fields: "['event_id', 'state']" })),
    );
    expect(one).toStrictEqual(vals({ id: 1, event_id: 'msg_1', state: 'pending' }));
  });
});
