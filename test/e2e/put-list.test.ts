/**
 * End to end over HTTP: the API served by serverless-offline (the local stage of serverless.yml,
 * authorizer included) over DynamoDB Local, as a client of the original would call it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiUrl, demoClient, demoToken, servedItem } from '../helpers/local';

const FIXTURES = join(__dirname, '..', 'fixtures');
const SEED_PATH = "/restapi/1.0/object/res.partner?ids=17,20&vals={'street2':'Chung%20Hsiao%20East%20Road'}";

const seedRecords = () => (JSON.parse(readFileSync(join(FIXTURES, 'seed-put-response.json'), 'utf8')) as { records: unknown[] }).records;
const seedXml = () => readFileSync(join(FIXTURES, 'seed-put-response.xml'), 'utf8');

async function call(path: string, init: RequestInit & { token?: string | null; accept?: string } = {}) {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? await demoToken() : init.token;
  if (token !== null) headers.set('Authorization', `Bearer ${token}`);
  if (init.accept) headers.set('Accept', init.accept);
  const response = await fetch(`${apiUrl()}${path}`, { method: 'PUT', ...init, headers });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** Odoo's datetime format for a moment, to bracket a write_date between two instants. */
const odooTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

const storedPartner = (id: number) => servedItem('res.partner', id);

describe('PUT /restapi/1.0/object/{model}?ids=...&vals=... (the seed request)', () => {
  it('answers the seed JSON: both partners with every field, street2 set, fresh write_date', async () => {
    // Prepare
    const before = Date.now() - 1000;
    // Act
    const response = await call(SEED_PATH);
    const after = Date.now() + 1000;
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('vary')).toMatch(/\bAccept\b/);
    const body = JSON.parse(response.body) as { Partner: Array<{ write_date: string }> };
    const writeDate = body.Partner[0]?.write_date as string;
    expect(writeDate >= odooTime(before) && writeDate <= odooTime(after)).toBe(true);
    const expected = JSON.parse(JSON.stringify(seedRecords()).replaceAll('WRITE_DATE', writeDate));
    expect(body).toStrictEqual({ Partner: expected });
    // Floats keep their decimal point on the wire, as Python's json.dumps writes them.
    expect(response.body).toContain('"credit_limit":0.0');
  });

  it('answers the seed XML byte for byte as dicttoxml({"res.partner": records}, root=False)', async () => {
    const response = await call(SEED_PATH, { accept: 'application/xml' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/xml; charset=utf-8');
    const writeDate = /<write_date type="str">([^<]+)<\/write_date>/.exec(response.body)?.[1] as string;
    expect(response.body).toBe(seedXml().replaceAll('WRITE_DATE', writeDate));
  });

  it('stores what it answered: write_uid is the caller, the version moved on', async () => {
    const before = await storedPartner(17);
    const response = await call("/restapi/1.0/object/res.partner?ids=17&vals={'ref':'E2E-1'}");
    expect(response.status).toBe(200);
    const after = await storedPartner(17);
    expect(after?.version).toBe((before?.version as number) + 1);
    expect(after?.v.ref).toBe('E2E-1');
    expect(after?.v.write_uid).toBe(1);
    const [record] = (JSON.parse(response.body) as { Partner: Array<Record<string, unknown>> }).Partner;
    expect(record?.write_date).toBe(after?.v.write_date);
  });

  it('accepts the vals of the documented curl command, whose braces curl strips without -g', async () => {
    const response = await call("/restapi/1.0/object/res.partner?ids=20&vals='street2':'No%20braces'");
    expect(response.status).toBe(200);
    expect((JSON.parse(response.body) as { Partner: Array<{ street2: string }> }).Partner[0]?.street2).toBe('No braces');
  });

  it('writes nothing and names the missing ids when any id does not exist (404)', async () => {
    const before = await storedPartner(17);
    const response = await call("/restapi/1.0/object/res.partner?ids=17,99,104&vals={'street2':'never'}");
    expect(response).toMatchObject({ status: 404, body: '{"code":404,"message":"Record not found: res.partner(99, 104)"}' });
    expect(await storedPartner(17)).toStrictEqual(before);
  });

  it.each([
    ["vals={'x':1}", 403, `{"error":{"code":403,"message":"Invalid field 'x' on model 'res.partner'"}}`],
    ["vals={'country_id':99999}", 403, `{"error":{"code":403,"message":"Invalid value for field 'country_id' (many2one) on model 'res.partner': res.country(99999) does not exist"}}`],
    ["vals={'name':False}", 403, `{"error":{"code":403,"message":"Field 'name' (Name) on model 'res.partner' is required and cannot be cleared"}}`],
    ["vals={'type':'boss'}", 403, `{"error":{"code":403,"message":"Wrong value for res.partner.type: 'boss'"}}`],
    ["vals={'street2':", 400, `{"error":{"code":400,"message":"Cannot parse 'vals': unexpected end of input at position 11"}}`],
    ['vals=[1,2]', 400, `{"error":{"code":400,"message":"'vals' must be a dict of field names to values, e.g. {'name': 'x'}"}}`],
  ])('refuses %s with %i and writes nothing', async (query, status, body) => {
    const before = await storedPartner(17);
    const response = await call(`/restapi/1.0/object/res.partner?ids=17&${query}`);
    expect({ status: response.status, body: response.body }).toStrictEqual({ status, body });
    expect(await storedPartner(17)).toStrictEqual(before);
  });

  it('refuses bad ids with a 400 that names the element', async () => {
    const response = await call("/restapi/1.0/object/res.partner?ids=17,abc&vals={'ref':'x'}");
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toStrictEqual({
      error: { code: 400, message: `Invalid 'ids': element 2 ("abc") is not a positive integer id; expected comma-separated ids, e.g. ids=17,20` },
    });
  });

  it('refuses a query longer than API Gateway allows with a 414, writing nothing', async () => {
    const before = await storedPartner(17);
    const response = await call(`/restapi/1.0/object/res.partner?ids=17&vals={'comment':'${'x'.repeat(10_300)}'}`);
    expect({ status: response.status, body: response.body }).toStrictEqual({
      status: 414,
      body: '{"error":{"code":414,"message":"The query string is longer than 10240 characters; API Gateway refuses such URLs"}}',
    });
    expect(await storedPartner(17)).toStrictEqual(before);
  });

  it('answers 404 for a model that does not exist', async () => {
    const response = await call("/restapi/1.0/object/x.nothing?ids=1&vals={'name':'x'}");
    expect({ status: response.status, body: response.body }).toStrictEqual({ status: 404, body: `{"code":404,"message":"Object x.nothing doesn't exist"}` });
  });

  it('gives errors in XML when XML is asked for', async () => {
    const response = await call("/restapi/1.0/object/res.partner?ids=17&vals={'x':1}", { accept: 'application/xml' });
    expect(response.status).toBe(403);
    expect(response.body).toBe(`<error type="dict"><code type="int">403</code><message type="str">Invalid field &apos;x&apos; on model &apos;res.partner&apos;</message></error>`);
  });

  it('answers 405 with Allow for a verb the route does not have yet', async () => {
    const response = await call('/restapi/1.0/object/res.partner', { method: 'PATCH' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST, PUT, DELETE');
  });
});

describe('authentication on the object routes', () => {
  it.each([
    ['no Authorization header', null],
    ['an unknown token', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a malformed token', 'not a token'],
    ['an empty token', ''],
  ])('answers 401 with the original body for %s', async (_case, token) => {
    const response = await call(SEED_PATH, { token });
    expect({ status: response.status, body: response.body }).toStrictEqual({ status: 401, body: '{"code":401,"message":"Authentication required"}' });
  });

  it('answers 401 in XML when XML is asked for', async () => {
    const response = await call(SEED_PATH, { token: null, accept: 'application/xml' });
    expect({ status: response.status, body: response.body }).toStrictEqual({
      status: 401,
      body: '<code type="int">401</code><message type="str">Authentication required</message>',
    });
  });

  it('does not accept a refresh token as an access token', async () => {
    const { clientId, clientSecret } = demoClient();
    const issued = await fetch(`${apiUrl()}/restapi/1.0/common/oauth2/access_token?client_id=${clientId}&client_secret=${clientSecret}`, { method: 'POST' });
    const { refresh_token } = (await issued.json()) as { refresh_token: string };
    expect((await call(SEED_PATH, { token: refresh_token })).status).toBe(401);
  });
});

describe('POST /restapi/1.0/common/oauth2/access_token', () => {
  const tokenUrl = () => `${apiUrl()}/restapi/1.0/common/oauth2/access_token`;

  it('issues a Bearer token for client_id and client_secret in a form body', async () => {
    const { clientId, clientSecret } = demoClient();
    const response = await fetch(tokenUrl(), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toStrictEqual({
      access_token: expect.stringMatching(/^t1\.[A-Za-z0-9_-]+\.(?:0|[1-9][0-9]*)\.[A-Za-z0-9]{32}$/),
      access_token_validity: 1800,
      expires_in: 1800,
      token_type: 'Bearer',
      refresh_token: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
    });
    expect(Object.keys(body)).toStrictEqual(['access_token', 'access_token_validity', 'token_type', 'refresh_token', 'expires_in']);
  });

  it('issues one for the parameters in the query and grant_type=client_credentials', async () => {
    const { clientId, clientSecret } = demoClient();
    const response = await fetch(`${tokenUrl()}?client_id=${clientId}&client_secret=${clientSecret}&grant_type=client_credentials`, { method: 'POST' });
    expect(response.status).toBe(200);
  });

  it.each([
    ['a wrong secret', (id: string) => `client_id=${id}&client_secret=wrong`],
    ['an unknown client', () => 'client_id=nobody&client_secret=wrong'],
  ])('answers 401 Invalid Credentials. for %s', async (_case, query) => {
    const response = await fetch(`${tokenUrl()}?${query(demoClient().clientId)}`, { method: 'POST' });
    expect({ status: response.status, body: await response.text() }).toStrictEqual({
      status: 401,
      // RFC 6749 §5.2's members, then the original's.
      body: '{"error":"invalid_client","error_description":"Invalid Credentials.","code":401,"message":"Invalid Credentials."}',
    });
  });

  it('answers 400 when the credentials are missing', async () => {
    const response = await fetch(tokenUrl(), { method: 'POST' });
    expect({ status: response.status, body: await response.text() }).toStrictEqual({
      status: 400,
      body: '{"error":"invalid_request","error_description":"client_id and client_secret are required","code":400,"message":"client_id and client_secret are required"}',
    });
  });
});

describe('GET /start (local stage only)', () => {
  it("returns the demo client's credentials", async () => {
    const response = await fetch(`${apiUrl()}/start`);
    const { clientId, clientSecret } = demoClient();
    expect(await response.json()).toStrictEqual({
      client_id: clientId,
      client_secret: clientSecret,
      host: expect.stringMatching(/^http:\/\/localhost:\d+$/),
      database: 'odoo-rest-lambda-local-records',
    });
  });
});
