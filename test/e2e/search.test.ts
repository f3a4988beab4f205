/**
 * search_read, search and search_count over HTTP on the demo partners (scripts/demo-data.json).
 * Expected ids are worked out by hand from the demo data and Odoo's domain semantics. The other
 * e2e files change street2/ref/phone-like fields only, never the ones searched here.
 */
import { apiUrl, demoToken } from '../helpers/local';

async function get(path: string, accept?: string) {
  const headers: Record<string, string> = { Authorization: `Bearer ${await demoToken()}` };
  if (accept) headers.Accept = accept;
  const response = await fetch(`${apiUrl()}/restapi/1.0/object/${path}`, { headers });
  return { status: response.status, body: await response.text(), cursor: response.headers.get('x-next-cursor') };
}

const names = (body: string) => (JSON.parse(body) as { Partner: Array<{ id: number; name: string }> }).Partner.map((p) => [p.id, p.name]);

describe('GET /object/{model}?domain=... (search_read)', () => {
  it.each([
    // In res.partner's _order: complete_name ("YourCompany, Administrator" after "YourCompany"), then id descending.
    ["[('is_company','=',True)]", [[12, 'Azure Interior'], [18, 'Deco Addict'], [26, 'Gemini Furniture'], [1, 'YourCompany']]],
    ["['|',('name','ilike','FOSTER'),('city','=','Taipei')]", [[17, 'Edward Foster'], [20, 'Peter Mitchell']]],
    ["[('country_id.code','in',['BE','TW'])]", [[17, 'Edward Foster'], [20, 'Peter Mitchell']]],
    ["[('category_id','in',[1])]", [[18, 'Deco Addict'], [26, 'Gemini Furniture']]],
    ["[('id','child_of',1)]", [[1, 'YourCompany'], [3, 'Administrator']]],
    ["[('state_id','=',False),('is_company','=',True)]", [[12, 'Azure Interior']]],
    ["[('country_id','=','Taiwan')]", [[20, 'Peter Mitchell']]],
  ])('finds %s', async (domain, expected) => {
    const { status, body } = await get(`res.partner?domain=${domain}&fields=['name']`);
    expect([status, names(body)]).toStrictEqual([200, expected]);
  });

  it('orders by several keys and pages with offset and limit', async () => {
    const companies = "res.partner?domain=[('is_company','=',True)]&fields=['name']";
    // Odoo's databases use the C collation: code-point order, so 'Y' sorts after 'G'.
    expect(names((await get(`${companies}&order=name desc, id`)).body)).toStrictEqual([[1, 'YourCompany'], [26, 'Gemini Furniture'], [18, 'Deco Addict'], [12, 'Azure Interior']]);
    expect(names((await get(`${companies}&offset=1&limit=2`)).body)).toStrictEqual([[18, 'Deco Addict'], [26, 'Gemini Furniture']]);
    expect(names((await get(`${companies}&offset=1&limit=2&order=id`)).body)).toStrictEqual([[12, 'Azure Interior'], [18, 'Deco Addict']]);
  });

  it('walks a whole model page by page with the continuation token, in its default order and in id order', async () => {
    const pages: Array<Array<Array<string | number>>> = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: string; cursor: string | null } = await get(`res.partner?fields=['name']&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      pages.push(names(page.body).map(([id]) => [id as number]));
      cursor = page.cursor;
    } while (cursor !== null && pages.length < 10);
    expect(pages).toStrictEqual([[[12], [18], [17]], [[26], [7], [20]], [[1], [3]]]);
    const byId: number[] = [];
    cursor = null;
    do {
      const page: { status: number; body: string; cursor: string | null } = await get(`res.partner?fields=['name']&limit=3&order=id${cursor ? `&cursor=${cursor}` : ''}`);
      byId.push(...names(page.body).map(([id]) => id as number));
      cursor = page.cursor;
    } while (cursor !== null && byId.length < 30);
    expect(byId).toStrictEqual([1, 3, 7, 12, 17, 18, 20, 26]);
  });

  it.each([
    ["res.partner?domain=[('name','=','Nobody')]", 404, '{"code":404,"message":"Record not found"}'],
    ["res.partner?domain=[('nope','=',1)]", 403, `{"error":{"code":403,"message":"Invalid field 'nope' on model 'res.partner'"}}`],
    ["res.partner?domain=[('name','=')]", 400, null],
    ['res.partner?limit=0', 400, `{"error":{"code":400,"message":"'limit' must be an integer from 1 to 1000"}}`],
    ['res.partner?order=name sideways', 400, `{"error":{"code":400,"message":"Invalid 'order': 'name sideways'; expected field names of res.partner with asc or desc, e.g. order=name desc, id"}}`],
    ['res.partner?cursor=garbage', 400, `{"error":{"code":400,"message":"Invalid 'cursor': pass back the X-Next-Cursor value of the previous page unchanged"}}`],
  ])('answers %s with %i', async (path, status, body) => {
    const response = await get(path);
    expect(response.status).toBe(status);
    if (body !== null) expect(response.body).toBe(body);
    else expect(JSON.parse(response.body)).toStrictEqual({ error: { code: 400, message: expect.stringMatching(/^Invalid domain: term 0 /) } });
  });
});

describe('GET /object/{model}/search and /search_count', () => {
  it('answers the matching ids as a list, in JSON and XML', async () => {
    expect(await get("res.partner/search?domain=[('country_id.code','=','US')]")).toMatchObject({ status: 200, body: '{"Partner":[12,18,26,7,1,3]}' });
    expect(await get("res.partner/search?domain=[('country_id.code','in',['BE','TW'])]", 'application/xml')).toMatchObject({
      status: 200,
      body: '<res.partner type="list"><item type="int">17</item><item type="int">20</item></res.partner>',
    });
  });

  it('counts every record without a domain (counted by DynamoDB) as the search finds them, archived ones with active_test False', async () => {
    const activeOff = `context=${encodeURIComponent("{'active_test': False}")}`;
    for (const [model, context] of [['res.partner', ''], ['res.partner.category', ''], ['res.partner.category', activeOff], ['res.country', '']] as const) {
      const ids = JSON.parse((await get(`${model}/search?limit=1000&${context}`)).body) as Record<string, number[]>;
      const found = Object.values(ids)[0] as number[];
      expect(found.length).toBeGreaterThan(0);
      expect(await get(`${model}/search_count?${context}`)).toMatchObject({ status: 200, body: `{"count":${found.length}}` });
    }
  });

  it('counts, zero included', async () => {
    expect(await get("res.partner/search_count?domain=[('country_id.code','in',['BE','TW'])]")).toMatchObject({ status: 200, body: '{"count":2}' });
    expect(await get("res.partner/search_count?domain=[('name','=','Nobody')]", 'application/xml')).toMatchObject({ status: 200, body: '<count type="int">0</count>' });
  });
});

describe('X-Query-Plan: how a search ran, on request', () => {
  async function planned(path: string, ask: boolean) {
    const headers: Record<string, string> = { Authorization: `Bearer ${await demoToken()}`, ...(ask ? { 'X-Query-Plan': '1' } : {}) };
    const response = await fetch(`${apiUrl()}/restapi/1.0/object/${path}`, { headers });
    return { status: response.status, body: await response.text(), plan: response.headers.get('x-query-plan') };
  }

  it('answers an indexed lookup with its plan (estimated, index entries and records read), and a walk as a scan', async () => {
    const byName = await planned("res.partner?domain=[('name','=','Deco Addict')]&fields=['name']", true);
    expect([byName.status, names(byName.body), byName.plan]).toStrictEqual([200, [[18, 'Deco Addict']], 'index; via="name ="; estimated=1; entries=1; read=1']);
    const byCity = await planned("res.partner/search?domain=[('city','=','Taipei')]", true);
    expect([byCity.status, byCity.body, byCity.plan]).toStrictEqual([200, '{"Partner":[20]}', 'scan; via="res.partner (order index)"; entries=0; read=8']);
    const count = await planned("res.partner/search_count?domain=[('name','=ilike','deco%')]", true);
    expect([count.status, count.body, count.plan]).toStrictEqual([200, '{"count":1}', 'count; via="name =ilike"; entries=0; read=0']);
    // A dotted path: the comodel's code index, then the partners' country_id index.
    const path = await planned("res.partner/search?domain=[('country_id.code','=','TW')]", true);
    expect([path.body, path.plan]).toStrictEqual(['{"Partner":[20]}', 'index; via="country_id in (1 resolved)"; estimated=1; entries=1; read=1']);
    // Nothing found: the 404 carries the plan too.
    const none = await planned("res.partner?domain=[('ref','=','no such ref')]", true);
    expect([none.status, none.plan]).toStrictEqual([404, 'index; via="ref ="; estimated=0; entries=0; read=0']);
  });

  it('sends no plan unless asked', async () => {
    expect((await planned("res.partner?domain=[('name','=','Deco Addict')]", false)).plan).toBeNull();
    expect((await planned("res.partner?domain=[('name','=','Deco Addict')]", true)).plan).not.toBeNull();
  });
});
