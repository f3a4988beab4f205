/**
 * Parameters in request bodies (XML, JSON, Python literals) and positional `args` / keyword
 * `kwargs` on the method routes, over HTTP. Partners 17 and 20 end as the seed leaves them (the
 * other e2e files compare them with it); new records are tags, which no other file lists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiUrl, demoToken, servedItem } from '../helpers/local';

const FIXTURES = join(__dirname, '..', 'fixtures');

async function call(method: string, path: string, init: { body?: string; contentType?: string; accept?: string } = {}) {
  const headers: Record<string, string> = { Authorization: `Bearer ${await demoToken()}` };
  if (init.contentType) headers['Content-Type'] = init.contentType;
  if (init.accept) headers.Accept = init.accept;
  const response = await fetch(`${apiUrl()}/restapi/1.0/object/${path}`, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
  return { status: response.status, body: await response.text() };
}

/** The example: a str, a bool and an x2many command triple (6, 0, [1]); ref reset to the seed's False. */
const SEED_VALS_XML =
  '<vals><street2 type="str">Chung Hsiao East Road</street2><ref type="bool">false</ref><active type="bool">true</active>' +
  '<category_id type="list"><item type="list"><item type="int">6</item><item type="int">0</item><item type="list"><item type="int">1</item></item></item></category_id></vals>';

/** (5,): unlinks every tag again, leaving the partners as the seed has them. */
const CLEAR_TAGS_XML = '<vals><category_id type="list"><item type="list"><item type="int">5</item></item></category_id></vals>';

type Tag = { id: number; name: string; color: number; parent_id: unknown; child_ids: number[]; active: boolean };

async function newTag(name: string): Promise<number> {
  const { status, body } = await call('POST', 'res.partner.category', { body: `<vals><name>${name}</name></vals>`, contentType: 'application/xml' });
  if (status !== 201) throw new Error(`create answered ${status}: ${body}`);
  return (JSON.parse(body) as { 'Partner Tags': Tag })['Partner Tags'].id;
}

describe('XML request bodies', () => {
  afterAll(async () => {
    await call('PUT', 'res.partner?ids=17,20', { body: CLEAR_TAGS_XML, contentType: 'application/xml' });
  });

  it('PUT list with an XML <vals> body answers the seed records with the tag linked, in JSON', async () => {
    const response = await call('PUT', 'res.partner?ids=17,20', { body: SEED_VALS_XML, contentType: 'application/xml' });
    expect(response.status).toBe(200);
    const writeDate = (JSON.parse(response.body) as { Partner: Array<{ write_date: string }> }).Partner[0]?.write_date as string;
    const seed = (JSON.parse(readFileSync(join(FIXTURES, 'seed-put-response.json'), 'utf8')) as { records: Array<Record<string, unknown>> }).records;
    const expected = seed.map((record) => ({ ...record, write_date: writeDate, category_id: [1] }));
    expect(JSON.parse(response.body)).toStrictEqual({ Partner: expected });
  });

  it('PUT list with an XML <vals> body answers dicttoxml’s XML when XML is asked for', async () => {
    // text/xml, and a body that says it is XML by its first character only.
    const response = await call('PUT', 'res.partner?ids=17,20', { body: `\n${SEED_VALS_XML}`, contentType: 'text/plain', accept: 'application/xml' });
    expect(response.status).toBe(200);
    const writeDate = /<write_date type="str">([^<]+)<\/write_date>/.exec(response.body)?.[1] as string;
    const expected = readFileSync(join(FIXTURES, 'seed-put-response.xml'), 'utf8')
      .replaceAll('WRITE_DATE', writeDate)
      .replaceAll('<category_id type="list"></category_id>', '<category_id type="list"><item type="int">1</item></category_id>');
    expect(response.body).toBe(expected);
  });

  it('POST create with an XML body: 201 and the new record, entities decoded, untyped text as str', async () => {
    const body = '<?xml version="1.0" encoding="UTF-8"?>\n<vals>\n  <name type="str">R&amp;D &#x2013; XML</name>\n  <color type="int">7</color>\n  <parent_id type="int">1</parent_id>\n</vals>';
    const response = await call('POST', 'res.partner.category', { body, contentType: 'application/xml' });
    expect(response.status).toBe(201);
    expect(JSON.parse(response.body)).toStrictEqual({
      'Partner Tags': {
        id: expect.any(Number),
        name: 'R&D – XML',
        color: 7,
        parent_id: [1, 'Vendor'],
        child_ids: [],
        active: true,
        display_name: 'R&D – XML',
        create_uid: [1, 'Administrator'],
        create_date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
        write_uid: [1, 'Administrator'],
        write_date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      },
    });
    const plain = await call('POST', 'res.partner.category', { body: '<vals><name>Plain text</name></vals>', contentType: 'text/xml' });
    expect([plain.status, (JSON.parse(plain.body) as { 'Partner Tags': Tag })['Partner Tags'].name]).toStrictEqual([201, 'Plain text']);
  });

  it.each([
    ['malformed XML', '<vals><ref type="str">never</ref>', 'unexpected end of input inside <vals> at line 1, column 34'],
    ['a DOCTYPE (no entities, no XXE)', '<!DOCTYPE vals [<!ENTITY x SYSTEM "file:///etc/passwd">]><vals><ref>&x;</ref></vals>', 'DOCTYPE declarations are not allowed (no DTDs, no entity definitions) at line 1, column 1'],
    ['an undefined entity', '<vals><ref>&x;</ref></vals>', "undefined entity '&x;': only &lt; &gt; &amp; &quot; &apos; and character references are allowed at line 1, column 12"],
    ['the wrong root', '<root><ref>never</ref></root>', 'the root element must be <vals>, <args> or <kwargs>, not <root> at line 1, column 1'],
    ['a value that is not its type', '<vals><color type="int">many</color></vals>', "<color> has type 'int' but its text 'many' is not an integer at line 1, column 7"],
  ])('refuses %s with a 400 saying where, and writes nothing', async (_case, body, message) => {
    const before = await servedItem('res.partner', 17);
    const response = await call('PUT', 'res.partner?ids=17', { body, contentType: 'application/xml' });
    expect(response).toStrictEqual({ status: 400, body: JSON.stringify({ error: { code: 400, message: `Cannot parse the XML body: ${message}` } }) });
    expect(await servedItem('res.partner', 17)).toStrictEqual(before);
  });

  it('gives the 400 in XML when XML is asked for', async () => {
    const response = await call('PUT', 'res.partner?ids=17', { body: '<vals><a></vals>', contentType: 'application/xml', accept: 'application/xml' });
    expect(response).toStrictEqual({
      status: 400,
      body: '<error type="dict"><code type="int">400</code><message type="str">Cannot parse the XML body: &lt;/vals&gt; does not close &lt;a&gt; at line 1, column 10</message></error>',
    });
  });
});

describe('args and kwargs on the method routes', () => {
  const taiwan = '{"Country":[{"id":482,"name":"Taiwan"}]}';

  it.each([
    ['positional args in the query', "search_read?args=[[('code','=','TW')],['name']]"],
    ['kwargs in the query', "search_read?kwargs={'domain':[('code','=','TW')],'fields':['name']}"],
    ['args and kwargs together, with a named query parameter', "search_read?args=[[('code','in',['TW','BE'])]]&kwargs={'fields':['name']}&order=name desc&limit=1"],
  ])('search_read takes %s', async (_case, path) => {
    expect(await call('GET', `res.country/${path}`)).toStrictEqual({ status: 200, body: taiwan });
  });

  it('takes args and kwargs from a JSON body, a Python-literal body and an XML body', async () => {
    expect(await call('POST', 'res.country/search_read', { body: '{"args": [[["code", "=", "BE"]]], "kwargs": {"fields": ["code"]}}', contentType: 'application/json' })).toStrictEqual({
      status: 200,
      body: '{"Country":[{"id":274,"code":"BE"}]}',
    });
    expect(await call('POST', 'res.country/search', { body: "{'args': [[('code', 'in', ('BE', 'TW'))]], 'kwargs': {'limit': 1}}" })).toStrictEqual({
      status: 200,
      body: '{"Country":[274]}',
    });
    const argsXml = '<args><item type="list"><item type="list"><item type="str">code</item><item type="str">=</item><item type="str">TW</item></item></item></args>';
    expect(await call('POST', 'res.country/search', { body: argsXml, contentType: 'application/xml', accept: 'application/xml' })).toStrictEqual({
      status: 200,
      body: '<res.country type="list"><item type="int">482</item></res.country>',
    });
    const kwargsXml = '<kwargs><domain type="list"><item type="list"><item>code</item><item>=</item><item>BE</item></item></domain><fields type="list"><item>name</item></fields></kwargs>';
    expect(await call('POST', 'res.country/search_read', { body: kwargsXml, contentType: 'application/xml' })).toStrictEqual({
      status: 200,
      body: '{"Country":[{"id":274,"name":"Belgium"}]}',
    });
  });

  it('maps args and kwargs onto write and read of one record, and onto name_search', async () => {
    const id = await newTag('Args target');
    expect((await call('POST', `res.partner.category/${id}/write?args=[{'color':9}]`)).status).toBe(200);
    const kwargsXml = '<kwargs><vals type="dict"><color type="int">3</color></vals></kwargs>';
    expect((await call('POST', `res.partner.category/${id}/write`, { body: kwargsXml, contentType: 'application/xml' })).status).toBe(200);
    expect(await call('GET', `res.partner.category/${id}/read?args=[['color']]`)).toStrictEqual({ status: 200, body: `{"Partner Tags":{"id":${id},"color":3}}` });
    expect(await call('GET', "res.country/name_search?kwargs={'name':'bel','limit':5}")).toStrictEqual({ status: 200, body: '{"Country":[[274,"Belgium"]]}' });
  });

  it.each([
    [
      'a positional argument also given by name',
      "17/write?vals={'ref':'never'}&args=[{'ref':'never'}]",
      undefined,
      "write() got multiple values for argument 'vals': the query parameter 'vals' and args[0]",
    ],
    [
      'vals in the query and in an XML body',
      "17/write?vals={'ref':'never'}",
      '<vals><ref>never</ref></vals>',
      "Parameter 'vals' is given twice: in the query and in the body",
    ],
    ['an unknown keyword', "17/write?kwargs={'vals':{'ref':'never'},'ids':[17]}", undefined, "write() got an unexpected keyword argument 'ids'; it takes vals, context"],
    ['too many positional arguments', "17/write?args=[{'ref':'never'},{}]", undefined, 'write() takes at most 1 positional argument (vals) but 2 were given'],
    ['args that are not a list', "17/write?args={'ref':'never'}", undefined, "'args' must be a list of the method's positional arguments, e.g. args=[[('name','=','x')]]"],
  ])('refuses %s with a 400 naming it, and writes nothing', async (_case, path, body, message) => {
    const before = await servedItem('res.partner', 17);
    const response = await call('POST', `res.partner/${path}`, body === undefined ? {} : { body, contentType: 'application/xml' });
    expect(response).toStrictEqual({ status: 400, body: JSON.stringify({ error: { code: 400, message } }) });
    expect(await servedItem('res.partner', 17)).toStrictEqual(before);
  });
});
