/**
 * Every endpoint once with `Accept: application/xml`, each answer compared WHOLE with the string
 * that Python's `dicttoxml(payload, root=False)` (1.7.16) gives for the payload the original (v17)
 * builds: no prolog, one line, a `type` on every element, `<item>` for list members, strings
 * escaped (& " ' < >). The expected strings are written by hand from those rules, the demo data
 * (scripts/demo-data.json) and the models (models/*.json), not copied from our output.
 *
 * Where the original's payload itself is in question (the dict's key order), it is Odoo 17's:
 * read()/search_read() give `id`, then the fields in the order they were asked for
 * (BaseModel._read_format iterates `fnames`), and fields_get() gives each field's attributes in
 * alphabetical order (Field.description_attrs is built from dir(), which sorts).
 *
 * Where the README makes a deliberate choice (list endpoints always answer a list, empty values
 * stay `false` in single records, id order unless `order` is given), the expectation follows it,
 * and the requests are picked so that the choice does not decide the answer where possible.
 *
 * Records are written only if this file created them (res.partner.category tags), and they are
 * deleted again; the demo records are only read.
 */
import { apiUrl, demoToken } from '../helpers/local';

const OBJECT = '/restapi/1.0/object';
const XML = 'application/xml';
const XML_TYPE = 'application/xml; charset=utf-8';

let token = '';
/** Tags this file created and has not deleted yet (deleted in afterAll). */
const leftovers = new Set<number>();

beforeAll(async () => {
  token = await demoToken();
});

afterAll(async () => {
  if (leftovers.size === 0) return;
  await fetch(`${apiUrl()}${OBJECT}/res.partner.category?ids=${[...leftovers].join(',')}`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
});

interface Answer {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: string;
}

/** One request; XML unless `accept` says otherwise; the demo token unless `authorization` is given (null: none). */
async function call(method: string, path: string, init: { accept?: string | null; authorization?: string | null } = {}): Promise<Answer & { headers: Headers }> {
  const headers: Record<string, string> = {};
  const accept = init.accept === undefined ? XML : init.accept;
  if (accept !== null) headers.Accept = accept;
  const authorization = init.authorization === undefined ? `Bearer ${token}` : init.authorization;
  if (authorization !== null) headers.Authorization = authorization;
  const response = await fetch(`${apiUrl()}${path}`, { method, headers });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text(), headers: response.headers };
}

/** What a comparison looks at: status, Content-Type and the whole body. */
const answer = ({ status, contentType, body }: Answer): Answer => ({ status, contentType, body });
const xmlAnswer = (status: number, body: string): Answer => ({ status, contentType: XML_TYPE, body });

/** Python literal parameters go in the query encoded (they hold & " < > and spaces). */
const q = (value: string) => encodeURIComponent(value);

/** Odoo's datetime format, to bracket a create/write date between two instants. */
const odooTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

const ODOO_DATETIME = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}';

/**
 * The dynamic dates of a record: the value of `<NAME type="str">...</NAME>` is replaced by the
 * placeholder DATETIME when, and only when, it is in Odoo's `YYYY-MM-DD HH:MM:SS` form (an ISO
 * `T` date, as a raw datetime through dicttoxml would print, stays and fails the comparison).
 * The expected strings carry the same placeholder; the values are checked apart (dates()).
 */
function maskDates(body: string, names: readonly string[]): string {
  let masked = body;
  for (const name of names) masked = masked.replace(new RegExp(`<${name} type="str">${ODOO_DATETIME}</${name}>`), `<${name} type="str">DATETIME</${name}>`);
  return masked;
}

function dateOf(body: string, name: string): string | undefined {
  return new RegExp(`<${name} type="str">(${ODOO_DATETIME})</${name}>`).exec(body)?.[1];
}

/** The XML of a many2one value [id, "name"] (a list: dicttoxml gives its items their own types). */
const m2o = (tag: string, id: number, name: string) => `<${tag} type="list"><item type="int">${id}</item><item type="str">${name}</item></${tag}>`;
const ADMIN = (tag: string) => m2o(tag, 1, 'Administrator');

/** A tag of this file's own, created in JSON: its id and create date. */
async function newTag(name: string): Promise<{ id: number; createDate: string }> {
  const response = await call('POST', `${OBJECT}/res.partner.category?vals=${q(`{'name': '${name}'}`)}`, { accept: null });
  if (response.status !== 201) throw new Error(`create answered ${response.status}: ${response.body}`);
  const tag = (JSON.parse(response.body) as { 'Partner Tags': { id: number; create_date: string } })['Partner Tags'];
  leftovers.add(tag.id);
  return { id: tag.id, createDate: tag.create_date };
}

describe('GET /restapi/1.0/common/version in XML', () => {
  it("is exp_version()'s dict: four sibling elements, the version info a list with an empty str", async () => {
    expect(answer(await call('GET', '/restapi/1.0/common/version', { authorization: null }))).toStrictEqual(
      xmlAnswer(
        200,
        '<server_version type="str">17.0</server_version>' +
          '<server_version_info type="list"><item type="int">17</item><item type="int">0</item><item type="int">0</item>' +
          '<item type="str">final</item><item type="int">0</item><item type="str"></item></server_version_info>' +
          '<server_serie type="str">17.0</server_serie>' +
          '<protocol_version type="int">1</protocol_version>',
      ),
    );
  });
});

describe('reading in XML', () => {
  it('read one: a dict, id first, then the asked fields in the asked order (Odoo read())', async () => {
    // Asked: name, country_id, category_id, active. Odoo 17's read() answers them in that order
    // (the model's order would put active before category_id). Partner 17 has no tags: an empty
    // list is an open and a close tag.
    const response = await call('GET', `${OBJECT}/res.partner/17?fields=${q("['name','country_id','category_id','active']")}`);
    expect(answer(response)).toStrictEqual(
      xmlAnswer(
        200,
        '<res.partner type="dict"><id type="int">17</id><name type="str">Edward Foster</name>' +
          m2o('country_id', 274, 'Belgium') +
          '<category_id type="list"></category_id><active type="bool">true</active></res.partner>',
      ),
    );
  });

  it('read list: a list of dicts in the order of ids, selection keys as str, false as bool', async () => {
    // Fields asked in the model's order (name, state_id, country_id, lang), so that only the
    // list shape is under test here. 20 before 17: the order of ids, not the id order.
    const response = await call('GET', `${OBJECT}/res.partner?ids=20,17&fields=${q("['name','state_id','country_id','lang']")}`);
    expect(answer(response)).toStrictEqual(
      xmlAnswer(
        200,
        '<res.partner type="list">' +
          '<item type="dict"><id type="int">20</id><name type="str">Peter Mitchell</name><state_id type="bool">false</state_id>' +
          m2o('country_id', 482, 'Taiwan') +
          '<lang type="str">zh_TW</lang></item>' +
          '<item type="dict"><id type="int">17</id><name type="str">Edward Foster</name><state_id type="bool">false</state_id>' +
          m2o('country_id', 274, 'Belgium') +
          '<lang type="str">fr_BE</lang></item>' +
          '</res.partner>',
      ),
    );
  });

  it('search_read with a domain, order and limit: the first three US partners by name desc', async () => {
    // US partners (id <= 26: the demo's): YourCompany 1, Administrator 3, Marc Demo 7, Azure
    // Interior 12, Deco Addict 18, Gemini Furniture 26. By name desc, the first three: YourCompany,
    // Marc Demo, Gemini Furniture. Fields in the model's order; floats keep their point.
    const domain = q("[('country_id.code','=','US'),('id','<=',26)]");
    const response = await call('GET', `${OBJECT}/res.partner?domain=${domain}&fields=${q("['city','is_company','credit_limit']")}&order=${q('name desc')}&limit=3`);
    expect(answer(response)).toStrictEqual(
      xmlAnswer(
        200,
        '<res.partner type="list">' +
          '<item type="dict"><id type="int">1</id><city type="str">San Francisco</city><is_company type="bool">true</is_company><credit_limit type="float">0.0</credit_limit></item>' +
          '<item type="dict"><id type="int">7</id><city type="str">Eugene</city><is_company type="bool">false</is_company><credit_limit type="float">0.0</credit_limit></item>' +
          '<item type="dict"><id type="int">26</id><city type="str">Fairfield</city><is_company type="bool">true</is_company><credit_limit type="float">0.0</credit_limit></item>' +
          '</res.partner>',
      ),
    );
  });

  it('search_read of one record is still a list (README: list endpoints always answer a list), and a float keeps its digits', async () => {
    const response = await call('GET', `${OBJECT}/res.partner?domain=${q("[('name','=','Azure Interior')]")}&fields=${q("['credit_limit']")}`);
    expect(answer(response)).toStrictEqual(
      xmlAnswer(200, '<res.partner type="list"><item type="dict"><id type="int">12</id><credit_limit type="float">5000.0</credit_limit></item></res.partner>'),
    );
  });
});

describe('searching and counting in XML', () => {
  it('search: a list of int items, ordered by name and limited', async () => {
    // Companies: YourCompany 1, Azure Interior 12, Deco Addict 18, Gemini Furniture 26; by name: 12, 18, 26.
    const response = await call('GET', `${OBJECT}/res.partner/search?domain=${q("[('is_company','=',True)]")}&order=name&limit=3`);
    expect(answer(response)).toStrictEqual(
      xmlAnswer(200, '<res.partner type="list"><item type="int">12</item><item type="int">18</item><item type="int">26</item></res.partner>'),
    );
  });

  it('search_count: <count type="int">N</count>', async () => {
    const response = await call('GET', `${OBJECT}/res.country/search_count?domain=${q("[('code','in',['BE','TW'])]")}`);
    expect(answer(response)).toStrictEqual(xmlAnswer(200, '<count type="int">2</count>'));
  });

  it('search_count of nothing: 200 <count type="int">0</count>, not a 404', async () => {
    const response = await call('GET', `${OBJECT}/res.country/search_count?domain=${q("[('code','=','ZZ')]")}`);
    expect(answer(response)).toStrictEqual(xmlAnswer(200, '<count type="int">0</count>'));
  });
});

describe('model methods in XML', () => {
  it("fields_get: a dict of dicts, each field's attributes in Odoo's order (alphabetical)", async () => {
    // Odoo 17: fields_get() keeps the model's field order (name before type) and, per field, the
    // attributes in the order of Field.description_attrs, which is sorted (dir()): required,
    // string, type, whatever order `attributes` lists them in.
    const response = await call('GET', `${OBJECT}/res.partner/fields_get?allfields=${q("['type','name']")}&attributes=${q("['type','string','required']")}`);
    expect(answer(response)).toStrictEqual(
      xmlAnswer(
        200,
        '<res.partner type="dict">' +
          '<name type="dict"><required type="bool">true</required><string type="str">Name</string><type type="str">char</type></name>' +
          '<type type="dict"><required type="bool">false</required><string type="str">Address Type</string><type type="str">selection</type></type>' +
          '</res.partner>',
      ),
    );
  });

  it('fields_get with one attribute: the selection as a list of [key, label] lists, non-ASCII as is', async () => {
    const response = await call('GET', `${OBJECT}/res.partner/fields_get?allfields=${q("['lang']")}&attributes=${q("['selection']")}`);
    expect(answer(response)).toStrictEqual(
      xmlAnswer(
        200,
        '<res.partner type="dict"><lang type="dict"><selection type="list">' +
          '<item type="list"><item type="str">en_US</item><item type="str">English (US)</item></item>' +
          '<item type="list"><item type="str">fr_BE</item><item type="str">French (BE) / Français (BE)</item></item>' +
          '<item type="list"><item type="str">nl_BE</item><item type="str">Dutch (BE) / Nederlands (BE)</item></item>' +
          '<item type="list"><item type="str">zh_TW</item><item type="str">Chinese (Traditional) / 繁體中文</item></item>' +
          '</selection></lang></res.partner>',
      ),
    );
  });

  it('default_get: the defaults in the order of fields_list; a field without one is left out', async () => {
    // name has no default; is_company False (a default, so it is there), color 0, type 'contact', active True.
    const response = await call('GET', `${OBJECT}/res.partner/default_get?fields_list=${q("['is_company','name','color','type','active']")}`);
    expect(answer(response)).toStrictEqual(
      xmlAnswer(
        200,
        '<res.partner type="dict"><is_company type="bool">false</is_company><color type="int">0</color>' +
          '<type type="str">contact</type><active type="bool">true</active></res.partner>',
      ),
    );
  });

  it('check_access_rights: <return type="bool">true</return>', async () => {
    const response = await call('GET', `${OBJECT}/res.partner.category/check_access_rights?operation=${q("['create']")}`);
    expect(answer(response)).toStrictEqual(xmlAnswer(200, '<return type="bool">true</return>'));
  });

  it('name_search: a list of [id, name] lists', async () => {
    // Belgium 274 and Taiwan 482 both hold an "i"; id order and name order agree here.
    const response = await call('GET', `${OBJECT}/res.country/name_search?name=${q("'i'")}&args=${q("[('code','in',['BE','TW'])]")}&operator=ilike`);
    expect(answer(response)).toStrictEqual(
      xmlAnswer(
        200,
        '<res.country type="list">' +
          '<item type="list"><item type="int">274</item><item type="str">Belgium</item></item>' +
          '<item type="list"><item type="int">482</item><item type="str">Taiwan</item></item>' +
          '</res.country>',
      ),
    );
  });
});

describe('writing in XML (on tags this file creates)', () => {
  it('create: 201 and the new record as a dict, every field, strings escaped; reading it back gives the same', async () => {
    const before = Date.now() - 1000;
    const name = `XML & "tags" <it's new>`;
    const response = await call('POST', `${OBJECT}/res.partner.category?vals=${q(`{'name': ${JSON.stringify(name)}, 'color': 4}`)}`);
    const after = Date.now() + 1000;
    const id = Number(/^<res\.partner\.category type="dict"><id type="int">(\d+)<\/id>/.exec(response.body)?.[1]);
    if (Number.isInteger(id)) leftovers.add(id);
    // The id is the counter's (taken from the answer, then checked by reading back); the dates are
    // masked (see maskDates) and checked apart: both the commit time.
    const escaped = 'XML &amp; &quot;tags&quot; &lt;it&apos;s new&gt;';
    expect({ ...answer(response), body: maskDates(response.body, ['create_date', 'write_date']) }).toStrictEqual(
      xmlAnswer(
        201,
        `<res.partner.category type="dict"><id type="int">${id}</id><name type="str">${escaped}</name><color type="int">4</color>` +
          '<parent_id type="bool">false</parent_id><child_ids type="list"></child_ids><active type="bool">true</active>' +
          `<display_name type="str">${escaped}</display_name>` +
          ADMIN('create_uid') +
          '<create_date type="str">DATETIME</create_date>' +
          ADMIN('write_uid') +
          '<write_date type="str">DATETIME</write_date></res.partner.category>',
      ),
    );
    expect(id).toBeGreaterThan(3); // not a demo tag
    const createDate = dateOf(response.body, 'create_date') as string;
    expect(dateOf(response.body, 'write_date')).toBe(createDate);
    expect(createDate >= odooTime(before) && createDate <= odooTime(after)).toBe(true);
    expect(answer(await call('GET', `${OBJECT}/res.partner.category/${id}`))).toStrictEqual(xmlAnswer(200, response.body));
  });

  it('update one: 200 and the updated record as a dict; create_date kept, write_date the commit time', async () => {
    const { id, createDate } = await newTag('XML update me');
    const before = Date.now() - 1000;
    const response = await call('PUT', `${OBJECT}/res.partner.category/${id}?vals=${q(`{'name': "O'Brien & Co", 'color': 7}`)}`);
    const after = Date.now() + 1000;
    expect({ ...answer(response), body: maskDates(response.body, ['write_date']) }).toStrictEqual(
      xmlAnswer(
        200,
        `<res.partner.category type="dict"><id type="int">${id}</id><name type="str">O&apos;Brien &amp; Co</name><color type="int">7</color>` +
          '<parent_id type="bool">false</parent_id><child_ids type="list"></child_ids><active type="bool">true</active>' +
          '<display_name type="str">O&apos;Brien &amp; Co</display_name>' +
          ADMIN('create_uid') +
          `<create_date type="str">${createDate}</create_date>` +
          ADMIN('write_uid') +
          '<write_date type="str">DATETIME</write_date></res.partner.category>',
      ),
    );
    const writeDate = dateOf(response.body, 'write_date') as string;
    expect(writeDate >= odooTime(before) && writeDate <= odooTime(after)).toBe(true);
  });

  it('delete one: <id type="int">N</id>; the record is gone (404 in XML)', async () => {
    const { id } = await newTag('XML delete me');
    expect(answer(await call('DELETE', `${OBJECT}/res.partner.category/${id}`))).toStrictEqual(xmlAnswer(200, `<id type="int">${id}</id>`));
    leftovers.delete(id);
    expect(answer(await call('GET', `${OBJECT}/res.partner.category/${id}`))).toStrictEqual(
      xmlAnswer(404, `<code type="int">404</code><message type="str">Record not found: res.partner.category(${id})</message>`),
    );
  });

  it('delete list: <ids type="str">b,a</ids>, the ids as the query gave them; both are gone', async () => {
    const a = (await newTag('XML delete A')).id;
    const b = (await newTag('XML delete B')).id;
    expect(answer(await call('DELETE', `${OBJECT}/res.partner.category?ids=${b},${a}`))).toStrictEqual(xmlAnswer(200, `<ids type="str">${b},${a}</ids>`));
    leftovers.delete(a);
    leftovers.delete(b);
    expect(answer(await call('GET', `${OBJECT}/res.partner.category?ids=${a},${b}`))).toStrictEqual(
      xmlAnswer(404, `<code type="int">404</code><message type="str">Record not found: res.partner.category(${a}, ${b})</message>`),
    );
  });
});

describe('errors in XML', () => {
  it('400 (malformed vals): wrapped in <error type="dict">, quotes escaped', async () => {
    const response = await call('POST', `${OBJECT}/res.partner.category?vals=${q("{'name':")}`);
    expect(answer(response)).toStrictEqual(
      xmlAnswer(400, '<error type="dict"><code type="int">400</code><message type="str">Cannot parse &apos;vals&apos;: unexpected end of input at position 8</message></error>'),
    );
  });

  it.each([
    ['no Authorization header', null],
    ['an unknown token', 'Bearer not-a-token'],
  ])("401 with %s: the gateway's answer, bare code and message", async (_case, authorization) => {
    const response = await call('GET', `${OBJECT}/res.partner/17?fields=${q("['name']")}`, { authorization });
    expect(answer(response)).toStrictEqual(xmlAnswer(401, '<code type="int">401</code><message type="str">Authentication required</message>'));
  });

  it('403 (unknown field): wrapped in <error type="dict">', async () => {
    const response = await call('GET', `${OBJECT}/res.partner/17?fields=${q("['nope']")}`);
    expect(answer(response)).toStrictEqual(
      xmlAnswer(403, '<error type="dict"><code type="int">403</code><message type="str">Invalid field &apos;nope&apos; on model &apos;res.partner&apos;</message></error>'),
    );
  });

  it.each([
    ['a missing id', `${OBJECT}/res.partner/9999`, 'Record not found: res.partner(9999)'],
    ['an unknown model', `${OBJECT}/x.nothing/1`, 'Object x.nothing doesn&apos;t exist'],
    ['a search that finds nothing', `${OBJECT}/res.partner?domain=${q("[('name','=','Nobody')]")}`, 'Record not found'],
  ])('404 (%s): bare code and message', async (_case, path, message) => {
    expect(answer(await call('GET', path))).toStrictEqual(xmlAnswer(404, `<code type="int">404</code><message type="str">${message}</message>`));
  });

  it.each([
    [`${OBJECT}/res.partner`, 'GET, POST, PUT, DELETE'],
    [`${OBJECT}/res.partner/17`, 'GET, PUT, DELETE'],
  ])('405 on PATCH %s: wrapped in <error type="dict">, with Allow', async (path, allowed) => {
    const response = await call('PATCH', path);
    expect(answer(response)).toStrictEqual(
      xmlAnswer(405, `<error type="dict"><code type="int">405</code><message type="str">Method PATCH is not allowed here; use ${allowed}</message></error>`),
    );
    expect(response.headers.get('allow')).toBe(allowed);
  });
});

describe('content negotiation', () => {
  it('Accept: text/xml gives the same XML, as text/xml', async () => {
    const response = await call('GET', `${OBJECT}/res.country/274?fields=${q("['code','phone_code']")}`, { accept: 'text/xml' });
    expect(answer(response)).toStrictEqual({
      status: 200,
      contentType: 'text/xml; charset=utf-8',
      body: '<res.country type="dict"><id type="int">274</id><code type="str">BE</code><phone_code type="int">32</phone_code></res.country>',
    });
  });

  it('q-values: JSON at 0.5 and XML at 1 gives XML', async () => {
    const response = await call('GET', `${OBJECT}/res.country/482?fields=${q("['code']")}`, { accept: 'application/json;q=0.5, application/xml' });
    expect(answer(response)).toStrictEqual(xmlAnswer(200, '<res.country type="dict"><id type="int">482</id><code type="str">TW</code></res.country>'));
  });

  it('q-values: XML at 0.5 and JSON at 1 gives JSON', async () => {
    const response = await call('GET', `${OBJECT}/res.country/482?fields=${q("['code']")}`, { accept: 'application/xml;q=0.5, application/json' });
    expect(answer(response)).toStrictEqual({ status: 200, contentType: 'application/json; charset=utf-8', body: '{"Country":{"id":482,"code":"TW"}}' });
  });
});
