/**
 * Issue 16 over HTTP against the served API: form bodies as parameters on the object routes (what
 * Python's `requests.put(url, data={...})` sends), and the string parameters taking raw text as
 * the original did. The partners are this file's own (created here, deleted after), so other
 * suites' demo records stay as they expect them.
 */
import { randomUUID } from 'node:crypto';
import { apiUrl, demoToken, servedItem } from '../helpers/local';

const PARTNERS = '/restapi/1.0/object/res.partner';
const FORM = 'application/x-www-form-urlencoded';

/** urllib.parse.urlencode(data), as requests encodes data={...}: quote_plus on names and values. */
function pythonUrlencode(data: Record<string, string>): string {
  const quotePlus = (text: string) =>
    encodeURIComponent(text)
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replace(/%20/g, '+');
  return Object.entries(data)
    .map(([name, value]) => `${quotePlus(name)}=${quotePlus(value)}`)
    .join('&');
}

/** Sends `body` with `contentType` (a form by default; null: no Content-Type header at all). */
async function send(method: string, path: string, options: { body?: string; contentType?: string | null; headers?: Record<string, string> } = {}) {
  const contentType = options.contentType === undefined ? FORM : options.contentType;
  const response = await fetch(`${apiUrl()}${path}`, {
    method,
    headers: { Authorization: `Bearer ${await demoToken()}`, ...(contentType === null ? {} : { 'Content-Type': contentType }), ...(options.headers ?? {}) },
    // Bytes, not a string: fetch would add Content-Type: text/plain to a string body.
    ...(options.body === undefined ? {} : { body: Buffer.from(options.body) }),
  });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), body: await response.text() };
}

type Partner = { id: number; name: string; street2: string | false; city: string | false };
const created = new Set<number>();

/** A partner's street2 as the API reads it. */
async function street2Of(id: number): Promise<string | false | undefined> {
  const answer = await send('GET', `${PARTNERS}/${id}?fields=${encodeURIComponent("['street2']")}`, { contentType: null });
  return (JSON.parse(answer.body) as { Partner?: Partner }).Partner?.street2;
}
const run = randomUUID().slice(0, 8);

afterAll(async () => {
  if (created.size > 0) expect((await send('DELETE', `${PARTNERS}?ids=${[...created].join(',')}`, { contentType: null })).status).toBe(200);
});

async function createPartner(name: string): Promise<Partner> {
  const answer = await send('POST', PARTNERS, { body: pythonUrlencode({ vals: `{'name': '${name}', 'city': 'Brussels'}` }) });
  expect(answer.status).toBe(201);
  const partner = (JSON.parse(answer.body) as { Partner: Partner }).Partner;
  created.add(partner.id);
  return partner;
}

describe('form bodies on the object routes', () => {
  it("POST create with vals in the form body: 201 and the record, as requests.post(url, data={'vals': ...}) sends it", async () => {
    const partner = await createPartner(`Form Create ${run}`);
    expect([partner.name, partner.city]).toStrictEqual([`Form Create ${run}`, 'Brussels']);
  });

  it('PUT list with ids=17%2C20-style ids and vals in the form body writes every id (the issue\'s request)', async () => {
    const [a, b] = [await createPartner(`Form Put A ${run}`), await createPartner(`Form Put B ${run}`)];
    const body = pythonUrlencode({ ids: `${a.id},${b.id}`, vals: "{'street2': 'Chung Hsiao East Road'}" });
    expect(body).toContain('ids=' + `${a.id}%2C${b.id}`);
    const answer = await send('PUT', PARTNERS, { body });
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as { Partner: Partner[] }).Partner.map((p) => [p.id, p.street2])).toStrictEqual([
      [a.id, 'Chung Hsiao East Road'],
      [b.id, 'Chung Hsiao East Road'],
    ]);
    expect([await street2Of(a.id), await street2Of(b.id)]).toStrictEqual(['Chung Hsiao East Road', 'Chung Hsiao East Road']);
  });

  it("PUT one record with a latin-1 form (charset honoured), and the query's ids beside the form's vals", async () => {
    const partner = await createPartner(`Form Charset ${run}`);
    const one = await send('PUT', `${PARTNERS}/${partner.id}`, { body: 'vals=%7B%27street2%27%3A+%27Caf%E9%27%7D', contentType: `${FORM}; charset=ISO-8859-1` });
    expect([one.status, (JSON.parse(one.body) as { Partner: Partner }).Partner.street2]).toStrictEqual([200, 'Café']);
    const mixed = await send('PUT', `${PARTNERS}?ids=${partner.id}`, { body: pythonUrlencode({ vals: "{'street2': 'Mixed'}" }) });
    expect([mixed.status, (JSON.parse(mixed.body) as { Partner: Partner[] }).Partner[0]?.street2]).toStrictEqual([200, 'Mixed']);
  });

  it('a parameter in the query and the form is a 400, and nothing is written', async () => {
    const partner = await createPartner(`Form Twice ${run}`);
    const before = await servedItem('res.partner', partner.id);
    const answer = await send('PUT', `${PARTNERS}?ids=${partner.id}`, { body: pythonUrlencode({ ids: String(partner.id), vals: "{'street2': 'Twice'}" }) });
    expect(answer).toStrictEqual({
      status: 400,
      replayed: null,
      body: JSON.stringify({ error: { code: 400, message: "Parameter 'ids' is given more than once: in the query and in the form body" } }),
    });
    expect(await servedItem('res.partner', partner.id)).toStrictEqual(before);
  });

  it('a form body without a form Content-Type is not a form: a 400 saying what is missing, and nothing is written', async () => {
    const partner = await createPartner(`Form Untyped ${run}`);
    const before = await servedItem('res.partner', partner.id);
    const body = pythonUrlencode({ ids: String(partner.id), vals: "{'street2': 'Untyped'}" });
    // What fetch sends for a string body, and a mislabelled one. (Without a Content-Type,
    // serverless-offline hands the function application/json; test/unit covers the header's absence.)
    for (const [contentType, sentAs] of [['text/plain;charset=UTF-8', 'is sent as text/plain'], ['application/json', 'is sent as application/json']] as const) {
      const answer = await send('PUT', PARTNERS, { body, contentType });
      expect([answer.status, (JSON.parse(answer.body) as { error: { message: string } }).error.message]).toStrictEqual([
        400,
        `The body looks form-encoded but ${sentAs}: send it with 'Content-Type: application/x-www-form-urlencoded' (such a body is read as a Python literal, JSON or XML)`,
      ]);
    }
    expect(await servedItem('res.partner', partner.id)).toStrictEqual(before);
  });

  it('bytes that are not UTF-8 are a 400, not a silently replaced character', async () => {
    const partner = await createPartner(`Form Bytes ${run}`);
    const answer = await send('PUT', `${PARTNERS}/${partner.id}`, { body: 'vals=%7B%27street2%27%3A+%27Caf%E9%27%7D' });
    expect(answer).toStrictEqual({ status: 400, replayed: null, body: JSON.stringify({ error: { code: 400, message: 'The form body\'s field "vals" is not valid utf-8 once percent-decoded' } }) });
  });

  it('an Idempotency-Key covers the form: the same form again is replayed, another form with the key is a 422', async () => {
    const partner = await createPartner(`Form Keyed ${run}`);
    const key = randomUUID();
    const first = await send('PUT', PARTNERS, { body: pythonUrlencode({ ids: String(partner.id), vals: "{'street2': 'Keyed'}" }), headers: { 'Idempotency-Key': key } });
    const again = await send('PUT', PARTNERS, { body: pythonUrlencode({ ids: String(partner.id), vals: "{'street2': 'Keyed'}" }), headers: { 'Idempotency-Key': key } });
    expect([first.status, first.replayed, again.status, again.replayed, again.body]).toStrictEqual([200, null, 200, 'true', first.body]);
    const other = await send('PUT', PARTNERS, { body: pythonUrlencode({ ids: String(partner.id), vals: "{'street2': 'Other'}" }), headers: { 'Idempotency-Key': key } });
    expect(other.status).toBe(422);
    expect(await street2Of(partner.id)).toBe('Keyed');
  });
});

describe('string parameters take raw text, as the original did', () => {
  it('name_search?name=<words>: the raw text is the name; False and quoted strings are literals', async () => {
    const partner = await createPartner(`Edwardo Raw ${run}`);
    const search = (query: string) => send('GET', `${PARTNERS}/name_search?${query}`, { contentType: null });
    expect(await search(`name=${encodeURIComponent(`Edwardo Raw ${run}`)}`)).toStrictEqual({ status: 200, replayed: null, body: JSON.stringify({ Partner: [[partner.id, partner.name]] }) });
    expect(await search(`name=${encodeURIComponent(`'Edwardo Raw ${run}'`)}&operator==`)).toStrictEqual({ status: 200, replayed: null, body: JSON.stringify({ Partner: [[partner.id, partner.name]] }) });
    // Form fields read the same way.
    const viaForm = await send('POST', `${PARTNERS}/name_search`, { body: pythonUrlencode({ name: `Edwardo Raw ${run}`, operator: 'ilike' }) });
    expect(viaForm.body).toBe(JSON.stringify({ Partner: [[partner.id, partner.name]] }));
  });

  it('search_read?order=name desc and check_access_rights?operation=read', async () => {
    const [a, b] = [await createPartner(`Order A ${run}`), await createPartner(`Order B ${run}`)];
    const ordered = await send('GET', `${PARTNERS}?domain=${encodeURIComponent(`[('id','in',[${a.id},${b.id}])]`)}&fields=${encodeURIComponent("['name']")}&order=name%20desc`, { contentType: null });
    expect(ordered.body).toBe(JSON.stringify({ Partner: [{ id: b.id, name: b.name }, { id: a.id, name: a.name }] }));
    expect((await send('GET', `${PARTNERS}/check_access_rights?operation=read`, { contentType: null })).body).toBe('{"return":true}');
  });

  it('where a string cannot be meant, a bare word is still a 400 (vals=street2)', async () => {
    const partner = await createPartner(`Bare Vals ${run}`);
    const answer = await send('PUT', `${PARTNERS}?ids=${partner.id}&vals=street2`, { contentType: null });
    expect(answer.status).toBe(400);
    expect((JSON.parse(answer.body) as { error: { message: string } }).error.message).toMatch(/^Cannot parse 'vals'/);
  });
});
