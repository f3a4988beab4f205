/**
 * Search parity with Odoo 17 over HTTP (issue 16): the domain families where we differed from
 * expression.py / BaseModel._search, and the 'any' / 'not any' operators, on the demo data
 * (scripts/demo-data.json: no archived records; only partner 17 has a function; tags 1 > 3, 2).
 * Expected ids are worked out by hand from Odoo's source. Nothing here writes.
 */
import { createClient } from '../../lib/auth/admin';
import { apiUrl, demoToken, servedAuthStore } from '../helpers/local';

const served = servedAuthStore();
afterAll(() => served.close());

async function get(path: string, bearer?: string): Promise<{ status: number; body: string }> {
  const url = `${apiUrl()}/restapi/1.0/object/${path}`.replace(/ /g, '%20');
  const response = await fetch(url, { headers: { Authorization: `Bearer ${bearer ?? (await demoToken())}`, Accept: 'application/json' } });
  return { status: response.status, body: await response.text() };
}

const ALL = [1, 3, 7, 12, 17, 18, 20, 26];
/**
 * The demo partners in res.partner's _order (complete_name, then id descending): Azure Interior,
 * Deco Addict, Edward Foster, Gemini Furniture, Marc Demo, Peter Mitchell, YourCompany,
 * "YourCompany, Administrator". Odoo answers a search in that order.
 */
const ODOO_ORDER = [12, 18, 17, 26, 7, 20, 1, 3];
const inOdooOrder = (ids: readonly number[]) => ODOO_ORDER.filter((id) => ids.includes(id));

describe('GET /object/res.partner/search and /search_count as Odoo 17 answers them', () => {
  it.each<[string, number[]]>([
    // like/ilike with False or None: an empty pattern, OR IS NULL.
    ["[('function','ilike',False)]", ALL],
    ["[('function','not ilike',None)]", [1, 3, 7, 12, 18, 20, 26]],
    // A many2one compared with 0 is compared with NULL.
    ["[('country_id','!=',0)]", []],
    ["[('country_id','not in',[0,233])]", []],
    ["[('country_id','in',[0,233])]", [1, 3, 7, 12, 18, 26]],
    // An 'active' term as written, '=?' included, keeps archived records (there are none here).
    ["[('active','=?',False)]", ALL],
    // is_false: `in` a falsy value is false as a whole.
    ["[('country_id','in',False)]", []],
    // '=?' on an x2many is '='.
    ["[('category_id','=?',False)]", [1, 3, 7, 17, 20]],
    ["[('category_id','child_of',1)]", [18, 26]],
    // OR-ed paths on one field: one merged sub-search.
    ["['|',('child_ids.name','=','Administrator'),('child_ids.active','=',True)]", [1]],
    // 'any' and 'not any'.
    ["[('child_ids','any',[('name','=','Administrator')])]", [1]],
    ["[('country_id','not any',[('code','=','US')])]", [17, 20]],
    ["['!',('country_id','any',[('code','in',['BE','TW'])])]", [1, 3, 7, 12, 18, 26]],
    ["[('category_id','any',[('parent_id.name','=','Vendor')])]", [18]],
  ])('%s -> %j', async (domain, expected) => {
    // The original module answers an empty search with its 404.
    const searched =
      expected.length > 0
        ? { status: 200, body: JSON.stringify({ Partner: inOdooOrder(expected) }) }
        : { status: 404, body: '{"code":404,"message":"Record not found"}' };
    expect(await get(`res.partner/search?domain=${domain}`)).toStrictEqual(searched);
    expect(await get(`res.partner/search_count?domain=${domain}`)).toStrictEqual({ status: 200, body: `{"count":${expected.length}}` });
  });

  it('answers a falsy `in` on res.partner.category with nothing', async () => {
    expect(await get("res.partner.category/search_count?domain=[('active','in',False)]")).toStrictEqual({ status: 200, body: '{"count":0}' });
  });

  it("is a 400 naming the term for 'any' on a field that is not relational", async () => {
    expect(await get("res.partner/search?domain=[('name','any',[])]")).toStrictEqual({
      status: 400,
      body: JSON.stringify({ error: { code: 400, message: "Invalid domain: term 0 cannot use 'any' on field 'name' (char)" } }),
    });
  });

  it("needs the read right on every model an 'any' walks, as a dotted path does", async () => {
    const demoUser = await createClient(served.store, undefined, { userId: 2, name: 'Marc Demo countries (any)', accessType: 'oauth2' });
    const response = await fetch(`${apiUrl()}/restapi/1.0/common/oauth2/access_token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: demoUser.clientId, client_secret: demoUser.clientSecret, scope: 'res.country:read' }),
    });
    const countriesOnly = ((await response.json()) as { access_token: string }).access_token;
    const refused = {
      status: 403,
      body: JSON.stringify({
        error: { code: 403, message: "You are not allowed to access 'User' (res.users) records.\n\nThe access token's scope does not include res.users:read." },
      }),
    };
    expect(await get("res.country/search_count?domain=[('create_uid','any',[('partner_id.email','=like','admin@%')])]", countriesOnly)).toStrictEqual(refused);
    expect(await get("res.country/search_count?domain=[('create_uid','not any',[])]", countriesOnly)).toStrictEqual(refused);
  });
});
