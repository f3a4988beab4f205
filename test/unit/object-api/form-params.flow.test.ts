/**
 * Issue 16 through the object routes over the in-memory RecordStore seeded with the demo data:
 * form bodies as parameters on every route, raw-string parameters, and the OAuth 1.0a requests
 * whose signature the authorizer left pending (their form fields are signed): verified before
 * anything is read or written, refused with a 401 otherwise.
 */
import { AuthenticationRequiredError, BadRequestError } from '../../../lib/errors';
import type { ApiRequest, ApiResult } from '../../../lib/http';
import { buildAccessRules } from '../../../lib/models/access';
import { buildRegistry } from '../../../lib/models/registry';
import { routeObjectRequest, type ObjectDeps } from '../../../lib/object-api/router';
import { recordsFromData } from '../../../lib/runtime/demo';
import type { Caller } from '../../../lib/records';
import { pyDict, type PyValue } from '../../../lib/wire/pyvalue';
import { shippedAccessRules, shippedModels } from '../../../models';
import demoData from '../../../scripts/demo-data.json';
import { MemoryRecordStore, noCalls } from '../../helpers/memory-record-store';
import { rejection } from '../../helpers/thrown';
import { objectRequest } from '../../helpers/object-request';

const registry = buildRegistry(shippedModels);
const accessRules = buildAccessRules(shippedAccessRules);
const FORM = 'application/x-www-form-urlencoded';
const ADMIN_CONTEXT = { userId: '1', clientId: 'c1', scheme: 'oauth2', tokenScopes: '', groups: 'base.group_user,base.group_partner_manager,base.group_system' };
const PENDING_CONTEXT = { ...ADMIN_CONTEXT, scheme: 'oauth1', oauth1Signature: 'pending' };

async function demoStore(): Promise<MemoryRecordStore> {
  const store = new MemoryRecordStore();
  await store.putMany(recordsFromData(registry, demoData.records));
  store.resetCalls();
  return store;
}

interface Sent {
  readonly method: string;
  readonly proxy?: string;
  readonly query?: Record<string, string>;
  readonly body?: string;
  readonly contentType?: string;
  readonly authorizer?: Record<string, string>;
  readonly headers?: Record<string, string>;
}

function request({ contentType, authorizer = ADMIN_CONTEXT, headers = {}, ...sent }: Sent): ApiRequest {
  return objectRequest({ ...sent, authorizer, headers: { ...(contentType === undefined ? {} : { 'content-type': contentType }), ...headers } });
}

const depsOf = (store: MemoryRecordStore, extra: Partial<ObjectDeps> = {}): ObjectDeps => ({
  registry,
  store,
  accessRules,
  now: () => new Date('2024-03-04T05:06:07Z'),
  sleep: async () => {},
  ...extra,
});

/** The data of a model answer, or the payload of any other. */
function answered(result: ApiResult): { status: number; data: PyValue } {
  if ('data' in result) return { status: result.status, data: result.data };
  if ('payload' in result) return { status: result.status, data: result.payload };
  throw new Error('a made body');
}

const street2Of = (store: MemoryRecordStore, id: number) => store.allRecords().find((record) => record.model === 'res.partner' && record.id === id)?.values.street2;

/** urllib.parse.urlencode, as Python's requests encodes data={...}: quote_plus on names and values. */
const pythonForm = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`)
    .join('&');

describe('form fields are parameters on every object route', () => {
  it("PUT list: ids and vals in the form body, as requests.put(url, data={...}) sends them", async () => {
    const store = await demoStore();
    const body = pythonForm({ ids: '17,20', vals: "{'street2': 'Chung Hsiao East Road'}" });
    expect(body).toBe('ids=17%2C20&vals=%7B%27street2%27%3A+%27Chung+Hsiao+East+Road%27%7D');
    const result = answered(await routeObjectRequest(depsOf(store), request({ method: 'PUT', body, contentType: FORM })));
    expect(result.status).toBe(200);
    expect((result.data as Map<string, PyValue>[]).map((record) => [record.get('id'), record.get('street2')])).toStrictEqual([
      [17, 'Chung Hsiao East Road'],
      [20, 'Chung Hsiao East Road'],
    ]);
    expect([street2Of(store, 17), street2Of(store, 20)]).toStrictEqual(['Chung Hsiao East Road', 'Chung Hsiao East Road']);
  });

  it('PUT one record and POST create: vals in the form, with a charset', async () => {
    const store = await demoStore();
    const write = answered(await routeObjectRequest(depsOf(store), request({ method: 'PUT', proxy: '17', body: 'vals=%7B%22street2%22%3A+%22Caf%C3%A9%22%7D', contentType: `${FORM}; charset=utf-8` })));
    expect([write.status, (write.data as Map<string, PyValue>).get('street2')]).toStrictEqual([200, 'Café']);
    const create = answered(await routeObjectRequest(depsOf(store), request({ method: 'POST', body: pythonForm({ vals: "{'name': 'Form Partner'}" }), contentType: FORM })));
    expect([create.status, (create.data as Map<string, PyValue>).get('name')]).toStrictEqual([201, 'Form Partner']);
  });

  it('GET search_read and the methods read their parameters from the form too', async () => {
    const store = await demoStore();
    const read = answered(await routeObjectRequest(depsOf(store), request({ method: 'GET', body: pythonForm({ domain: "[('id', 'in', [17, 20])]", fields: "['name']", order: 'name desc' }), contentType: FORM })));
    expect(read.data).toStrictEqual([pyDict([['id', 20], ['name', 'Peter Mitchell']]), pyDict([['id', 17], ['name', 'Edward Foster']])]);
    const named = answered(await routeObjectRequest(depsOf(store), request({ method: 'POST', proxy: 'name_search', body: 'name=Edward', contentType: FORM })));
    expect(named).toStrictEqual({ status: 200, data: [[17, 'Edward Foster']] });
  });

  it('a parameter in the query and in the form is a 400, and nothing is read or written', async () => {
    const store = await demoStore();
    const before = store.allRecords();
    const error = await rejection(routeObjectRequest(depsOf(store), request({ method: 'PUT', query: { ids: '17' }, body: pythonForm({ ids: '20', vals: "{'street2': 'x'}" }), contentType: FORM })));
    expect(error).toStrictEqual(new BadRequestError("Parameter 'ids' is given more than once: in the query and in the form body"));
    expect(store.allRecords()).toStrictEqual(before);
    expect(store.calls).toStrictEqual(noCalls());
  });

  it('a form-looking body without a Content-Type is a 400 saying so, and nothing is written', async () => {
    const store = await demoStore();
    const before = store.allRecords();
    const error = await rejection(routeObjectRequest(depsOf(store), request({ method: 'PUT', body: pythonForm({ ids: '17', vals: "{'street2': 'x'}" }) })));
    expect((error as BadRequestError).message).toMatch(/^The body looks form-encoded but has no Content-Type/);
    expect(store.allRecords()).toStrictEqual(before);
    expect(store.calls).toStrictEqual(noCalls());
  });
});

describe('parameters whose value is a string take raw text, as the original did', () => {
  it.each<[string, Record<string, string>, PyValue]>([
    ['name=Edward', { name: 'Edward' }, [[17, 'Edward Foster']]],
    ['name=Edward Foster', { name: 'Edward Foster' }, [[17, 'Edward Foster']]],
    ["name='Peter'", { name: "'Peter'" }, [[20, 'Peter Mitchell']]],
    ['name=Edward Foster&operator==', { name: 'Edward Foster', operator: '=' }, [[17, 'Edward Foster']]],
    ['name=edward&operator=ilike', { name: 'edward', operator: 'ilike' }, [[17, 'Edward Foster']]],
  ])('name_search?%s', async (_label, query, expected) => {
    const result = answered(await routeObjectRequest(depsOf(await demoStore()), request({ method: 'GET', proxy: 'name_search', query: { ...query, args: "[('id', 'in', [17, 20])]" } })));
    expect(result).toStrictEqual({ status: 200, data: expected });
  });

  it('search_read?order=name asc and check_access_rights?operation=read', async () => {
    const store = await demoStore();
    const ordered = answered(await routeObjectRequest(depsOf(store), request({ method: 'GET', query: { domain: "[('id', 'in', [17, 20])]", fields: "['name']", order: 'name asc' } })));
    expect((ordered.data as Map<string, PyValue>[]).map((record) => record.get('id'))).toStrictEqual([17, 20]);
    for (const operation of ['read', "'write'", "['unlink']"]) {
      const checked = answered(await routeObjectRequest(depsOf(store), request({ method: 'GET', proxy: 'check_access_rights', query: { operation } })));
      expect([operation, checked]).toStrictEqual([operation, { status: 200, data: pyDict([['return', true]]) }]);
    }
  });

  it('where a string cannot be meant, a bare word stays a 400 (vals, domain, fields)', async () => {
    const store = await demoStore();
    for (const query of [{ ids: '17', vals: 'street2' }, { domain: 'Edward' }, { fields: 'name' }] as Record<string, string>[]) {
      const error = await rejection(routeObjectRequest(depsOf(store), request({ method: Object.hasOwn(query, 'vals') ? 'PUT' : 'GET', query })));
      expect([query, (error as { status?: number }).status]).toStrictEqual([query, 400]);
    }
  });
});

describe('OAuth 1.0a requests the authorizer left pending (a form body the signature covers)', () => {
  const pendingPut = (body = pythonForm({ ids: '17', vals: "{'street2': 'Signed'}" })) => request({ method: 'PUT', body, contentType: FORM, authorizer: PENDING_CONTEXT });

  it('verifies the signature before anything is read or written, with the caller the authorizer named', async () => {
    const store = await demoStore();
    const seen: { caller: Caller; callsThen: ReturnType<typeof noCalls>; body: string | undefined }[] = [];
    const verifyOAuth1Signature = async (sent: ApiRequest, caller: Caller) => {
      seen.push({ caller, callsThen: { ...store.calls }, body: sent.body });
    };
    const result = answered(await routeObjectRequest(depsOf(store, { verifyOAuth1Signature }), pendingPut()));
    expect(result.status).toBe(200);
    expect(seen).toStrictEqual([{ caller: { userId: 1, clientId: 'c1' }, callsThen: noCalls(), body: pendingPut().body }]);
    expect(street2Of(store, 17)).toBe('Signed');
  });

  it('a signature that does not verify is a 401 with nothing read or written', async () => {
    const store = await demoStore();
    const before = store.allRecords();
    const verifyOAuth1Signature = async () => {
      throw new AuthenticationRequiredError('signature mismatch');
    };
    const error = await rejection(routeObjectRequest(depsOf(store, { verifyOAuth1Signature }), pendingPut()));
    expect(error).toStrictEqual(new AuthenticationRequiredError('signature mismatch'));
    expect(store.allRecords()).toStrictEqual(before);
    expect(store.calls).toStrictEqual(noCalls());
  });

  it('without a verifier wired, a pending request is a 401 (never let through)', async () => {
    const store = await demoStore();
    const error = await rejection(routeObjectRequest(depsOf(store), pendingPut()));
    expect([error instanceof AuthenticationRequiredError, (error as AuthenticationRequiredError).status]).toStrictEqual([true, 401]);
    expect(store.calls).toStrictEqual(noCalls());
  });

  it('a pending request with a body too long to read is a 401 before the verifier runs', async () => {
    const store = await demoStore();
    let verified = 0;
    const error = await rejection(
      routeObjectRequest(depsOf(store, { verifyOAuth1Signature: async () => void verified++ }), pendingPut(`vals=${'x'.repeat(100_001)}`)),
    );
    expect([error instanceof AuthenticationRequiredError, verified]).toStrictEqual([true, 0]);
  });

  it('an OAuth 1.0a request the authorizer verified without its form fields is a 401 when it has some', async () => {
    const store = await demoStore();
    const verified = { ...ADMIN_CONTEXT, scheme: 'oauth1' };
    const error = await rejection(routeObjectRequest(depsOf(store), request({ method: 'PUT', body: pythonForm({ ids: '17', vals: "{'street2': 'x'}" }), contentType: FORM, authorizer: verified })));
    expect(error).toStrictEqual(new AuthenticationRequiredError('form fields an OAuth 1.0a signature verified without them'));
    expect(store.calls).toStrictEqual(noCalls());
    // An empty form, or a JSON body, is covered by a header-and-query signature.
    const read = answered(await routeObjectRequest(depsOf(store), request({ method: 'GET', proxy: '17', query: { fields: "['name']" }, body: '', contentType: FORM, authorizer: verified })));
    expect(read).toStrictEqual({ status: 200, data: pyDict([['id', 17], ['name', 'Edward Foster']]) });
  });

  it("an authorizer's refusal passed on in the context is a 401", async () => {
    const store = await demoStore();
    const error = await rejection(routeObjectRequest(depsOf(store), request({ method: 'GET', proxy: '17', authorizer: { authError: 'oauth1_form_body' } })));
    expect(error).toBeInstanceOf(AuthenticationRequiredError);
  });
});
