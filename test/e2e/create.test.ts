/** POST /restapi/1.0/object/{model} over HTTP: vals in the query or the body, 201 with the new record. */
import { apiUrl, demoToken } from '../helpers/local';

async function post(path: string, init: { body?: string; contentType?: string; accept?: string } = {}) {
  const headers: Record<string, string> = { Authorization: `Bearer ${await demoToken()}` };
  if (init.contentType) headers['Content-Type'] = init.contentType;
  if (init.accept) headers.Accept = init.accept;
  const response = await fetch(`${apiUrl()}${path}`, { method: 'POST', headers, ...(init.body === undefined ? {} : { body: init.body }) });
  return { status: response.status, body: await response.text() };
}

type Tag = { id: number; name: string; color: number; parent_id: unknown; active: boolean; create_uid: unknown };

describe('POST /restapi/1.0/object/{model} (create)', () => {
  it('creates from vals in the query and answers 201 with the record as one object', async () => {
    const response = await post("/restapi/1.0/object/res.partner.category?vals={'name':'Wholesale','parent_id':1}");
    expect(response.status).toBe(201);
    const { 'Partner Tags': tag } = JSON.parse(response.body) as { 'Partner Tags': Tag };
    expect({ ...tag, id: typeof tag.id }).toMatchObject({ id: 'number', name: 'Wholesale', color: 0, parent_id: [1, 'Vendor'], active: true, create_uid: [1, 'Administrator'] });
    // Reading it back gives the same record.
    const read = await fetch(`${apiUrl()}/restapi/1.0/object/res.partner.category/${tag.id}`, { headers: { Authorization: `Bearer ${await demoToken()}` } });
    expect(await read.text()).toBe(response.body);
  });

  it.each([
    ['a JSON body', '{"name": "From JSON", "color": 4}', 'application/json'],
    ["a Python-literal body with a 'vals' key", "{'vals': {'name': 'From Python', 'color': 4}}", 'text/plain'],
  ])('creates from %s', async (_case, body, contentType) => {
    const response = await post('/restapi/1.0/object/res.partner.category', { body, contentType });
    expect(response.status).toBe(201);
    expect((JSON.parse(response.body) as { 'Partner Tags': Tag })['Partner Tags'].color).toBe(4);
  });

  it('answers in XML with the record as a dict', async () => {
    const response = await post("/restapi/1.0/object/res.country?vals={'name':'Atlantis','code':'AT'}", { accept: 'application/xml' });
    expect(response.status).toBe(201);
    expect(response.body).toMatch(/^<res\.country type="dict"><id type="int">\d+<\/id><name type="str">Atlantis<\/name><code type="str">AT<\/code><phone_code type="int">0<\/phone_code>/);
  });

  it.each([
    ['no vals at all', '/restapi/1.0/object/res.country', 400, `{"error":{"code":400,"message":"Parameter 'vals' is required, e.g. vals={'street2':'Chung Hsiao East Road'}"}}`],
    ['a required field missing', "/restapi/1.0/object/res.country?vals={'code':'XX'}", 403, `{"error":{"code":403,"message":"Field 'name' (Country Name) on model 'res.country' is required: give it a value"}}`],
    ['an unknown field', "/restapi/1.0/object/res.country?vals={'name':'X','nope':1}", 403, `{"error":{"code":403,"message":"Invalid field 'nope' on model 'res.country'"}}`],
  ])('refuses %s', async (_case, path, status, body) => {
    expect(await post(path)).toStrictEqual({ status, body });
  });
});
