/** Reading by ids over HTTP (read one, read list) and updating one record, in JSON and XML. */
import { apiUrl, demoToken } from '../helpers/local';

async function call(method: string, path: string, accept?: string) {
  const headers: Record<string, string> = { Authorization: `Bearer ${await demoToken()}` };
  if (accept) headers.Accept = accept;
  const response = await fetch(`${apiUrl()}${path}`, { method, headers });
  return { status: response.status, body: await response.text() };
}

const GEMINI = "/restapi/1.0/object/res.partner/26?fields=['name','country_id','category_id','partner_latitude']";

describe('GET /restapi/1.0/common/version', () => {
  it("answers Odoo's exp_version() without authentication, in JSON and XML", async () => {
    const json = await fetch(`${apiUrl()}/restapi/1.0/common/version`);
    expect(await json.text()).toBe('{"server_version":"17.0","server_version_info":[17,0,0,"final",0,""],"server_serie":"17.0","protocol_version":1}');
    const xml = await fetch(`${apiUrl()}/restapi/1.0/common/version`, { headers: { Accept: 'application/xml' } });
    expect(await xml.text()).toBe(
      '<server_version type="str">17.0</server_version><server_version_info type="list"><item type="int">17</item><item type="int">0</item>' +
        '<item type="int">0</item><item type="str">final</item><item type="int">0</item><item type="str"></item></server_version_info>' +
        '<server_serie type="str">17.0</server_serie><protocol_version type="int">1</protocol_version>',
    );
  });
});

describe('GET /restapi/1.0/object/{model}/{id} (read one)', () => {
  it('answers one object with the asked fields, id first, in JSON', async () => {
    expect(await call('GET', GEMINI)).toStrictEqual({
      status: 200,
      body: '{"Partner":{"id":26,"name":"Gemini Furniture","country_id":[233,"United States"],"category_id":[1],"partner_latitude":38.2494}}',
    });
  });

  it('answers the same as dicttoxml would in XML', async () => {
    expect(await call('GET', GEMINI, 'application/xml')).toStrictEqual({
      status: 200,
      body:
        '<res.partner type="dict"><id type="int">26</id><name type="str">Gemini Furniture</name>' +
        '<country_id type="list"><item type="int">233</item><item type="str">United States</item></country_id>' +
        '<category_id type="list"><item type="int">1</item></category_id><partner_latitude type="float">38.2494</partner_latitude></res.partner>',
    });
  });

  it('answers every field without fields', async () => {
    const { status, body } = await call('GET', '/restapi/1.0/object/res.country.state/1');
    expect(status).toBe(200);
    expect(JSON.parse(body)).toStrictEqual({
      'Country state': {
        id: 1,
        country_id: [274, 'Belgium'],
        name: 'Brabant wallon',
        code: 'WBR',
        display_name: 'Brabant wallon',
        create_uid: [1, 'Administrator'],
        create_date: '2017-07-03 09:00:00',
        write_uid: [1, 'Administrator'],
        write_date: '2017-07-03 09:00:00',
      },
    });
  });

  it.each([
    ['/restapi/1.0/object/res.partner/9999', 404, '{"code":404,"message":"Record not found: res.partner(9999)"}'],
    ["/restapi/1.0/object/res.partner/26?fields=['nope']", 403, `{"error":{"code":403,"message":"Invalid field 'nope' on model 'res.partner'"}}`],
    ['/restapi/1.0/object/res.partner/26?fields=[1]', 400, `{"error":{"code":400,"message":"'fields' must be a list of names, e.g. fields=['name','country_id']"}}`],
    ['/restapi/1.0/object/res.partner/1,2', 400, '{"error":{"code":400,"message":"Invalid record id \'1,2\' in the path; give several ids with ?ids=17,20"}}'],
    ['/restapi/1.0/object/x.nothing/1', 404, `{"code":404,"message":"Object x.nothing doesn't exist"}`],
  ])('GET %s answers %i', async (path, status, body) => {
    expect(await call('GET', path)).toStrictEqual({ status, body });
  });

  it('answers 404 for a named method that does not exist yet', async () => {
    expect((await call('GET', '/restapi/1.0/object/res.partner/copy')).status).toBe(404);
  });
});

describe('GET /restapi/1.0/object/{model}?ids=... (read list)', () => {
  it('answers a list in the order of ids, even for one id', async () => {
    expect(await call('GET', "/restapi/1.0/object/res.country?ids=482,274&fields=['name','code']")).toStrictEqual({
      status: 200,
      body: '{"Country":[{"id":482,"name":"Taiwan","code":"TW"},{"id":274,"name":"Belgium","code":"BE"}]}',
    });
    expect(await call('GET', "/restapi/1.0/object/res.country?ids=274&fields=['code']", 'application/xml')).toStrictEqual({
      status: 200,
      body: '<res.country type="list"><item type="dict"><id type="int">274</id><code type="str">BE</code></item></res.country>',
    });
  });

  it('answers 404 naming every missing id', async () => {
    expect(await call('GET', '/restapi/1.0/object/res.country?ids=274,5,6')).toStrictEqual({
      status: 404,
      body: '{"code":404,"message":"Record not found: res.country(5, 6)"}',
    });
  });

});

describe('PUT /restapi/1.0/object/{model}/{id} (update one)', () => {
  it('writes the record and answers it as one object with all its fields', async () => {
    const { status, body } = await call('PUT', "/restapi/1.0/object/res.partner.category/3?vals={'color':11}");
    expect(status).toBe(200);
    const { 'Partner Tags': record } = JSON.parse(body) as { 'Partner Tags': Record<string, unknown> };
    expect(Object.keys(record)).toStrictEqual(['id', 'name', 'color', 'parent_id', 'child_ids', 'active', 'display_name', 'create_uid', 'create_date', 'write_uid', 'write_date']);
    expect([record.id, record.color, record.parent_id, record.write_uid]).toStrictEqual([3, 11, [1, 'Vendor'], [1, 'Administrator']]);
    expect(await call('GET', "/restapi/1.0/object/res.partner.category/3?fields=['color']")).toStrictEqual({ status: 200, body: '{"Partner Tags":{"id":3,"color":11}}' });
  });
});
