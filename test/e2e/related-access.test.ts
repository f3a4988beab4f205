/**
 * Rights on every model a request reaches (issue 15 §2, §3), over HTTP against the served API: an
 * x2many command needs the right on the model it acts on, with the token's scope too, and a
 * domain path is no oracle on models the caller may not read. Nothing refused is written.
 */
import { createClient } from '../../lib/auth/admin';
import { apiUrl, demoClient, servedAuthStore } from '../helpers/local';

const served = servedAuthStore();
afterAll(() => served.close());

async function token(client: { clientId: string; clientSecret: string }, scope?: string): Promise<string> {
  const response = await fetch(`${apiUrl()}/restapi/1.0/common/oauth2/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret, ...(scope ? { scope } : {}) }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function call(method: string, path: string, bearer: string): Promise<{ status: number; body: string }> {
  const url = `${apiUrl()}/restapi/1.0/object/${path}`.replace(/ /g, '%20');
  const response = await fetch(url, { method, headers: { Authorization: `Bearer ${bearer}`, Accept: 'application/json' } });
  return { status: response.status, body: await response.text() };
}

const accessError = (message: string) => ({ status: 403, body: JSON.stringify({ error: { code: 403, message } }) });

describe('x2many commands with a token for res.partner:write (issue 15 §2)', () => {
  it('cannot create, rename or delete tags, nor delete a partner through child_ids; nothing changes', async () => {
    const scoped = await token(demoClient(), 'res.partner:write');
    const full = await token(demoClient());
    const state = async () => [
      await call('GET', "res.partner.category?fields=['name']", full),
      await call('GET', "res.partner/17?fields=['category_id','child_ids']", full),
      (await call('GET', 'res.partner/20?fields=[\'name\']', full)).status,
    ];
    const before = await state();
    const scopeError = (description: string, model: string, verb: string, operation: string) =>
      accessError(`You are not allowed to ${verb} '${description}' (${model}) records.\n\nThe access token's scope does not include ${model}:${operation}.`);

    expect(await call('PUT', "res.partner/17?vals={'category_id':[(0,0,{'name':'T'})]}", scoped)).toStrictEqual(
      scopeError('Partner Tags', 'res.partner.category', 'create', 'create'),
    );
    expect(await call('PUT', "res.partner/17?vals={'category_id':[(1,2,{'name':'X'})]}", scoped)).toStrictEqual(
      scopeError('Partner Tags', 'res.partner.category', 'modify', 'write'),
    );
    expect(await call('PUT', "res.partner/17?vals={'category_id':[(2,1)]}", scoped)).toStrictEqual(
      scopeError('Partner Tags', 'res.partner.category', 'delete', 'unlink'),
    );
    expect(await call('PUT', "res.partner/17?vals={'child_ids':[(2,20)]}", scoped)).toStrictEqual(
      scopeError('Partner', 'res.partner', 'delete', 'unlink'),
    );
    expect(await state()).toStrictEqual(before);
  });
});

describe("a domain path through models the demo user's token may not read (issue 15 §3)", () => {
  it('search_count is 403 whatever the prefix, not a count', async () => {
    const demoUser = await createClient(served.store, undefined, { userId: 2, name: 'Marc Demo countries', accessType: 'oauth2' });
    const countriesOnly = await token(demoUser, 'res.country:read');
    const refused = accessError(
      "You are not allowed to access 'User' (res.users) records.\n\nThe access token's scope does not include res.users:read.",
    );
    for (const prefix of ['admin@%', 'nobody@%']) {
      expect(await call('GET', `res.country/search_count?domain=[('create_uid.partner_id.email','=like','${prefix}')]`, countriesOnly)).toStrictEqual(refused);
    }
    // The same user reading countries without a path is fine.
    expect((await call('GET', "res.country/search_count?domain=[('code','=','BE')]", countriesOnly)).body).toBe('{"count":1}');
  });
});
