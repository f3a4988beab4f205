/**
 * Every limit of issue 5 over HTTP against the served API, each with its status, its message and
 * nothing written: the size of vals and of the query, nesting depth, the number of ids, a record
 * over DynamoDB's 400 KB, lone surrogates and characters XML 1.0 forbids (stored faithfully,
 * emitted well-formed), and __proto__ / constructor as field names (unknown fields, nothing more).
 */
import { apiUrl, demoToken, servedItem } from '../helpers/local';

const PARTNERS = '/restapi/1.0/object/res.partner';

async function send(method: string, path: string, init: { body?: string; contentType?: string; accept?: string } = {}) {
  const headers: Record<string, string> = { Authorization: `Bearer ${await demoToken()}`, Accept: init.accept ?? 'application/json' };
  if (init.contentType) headers['Content-Type'] = init.contentType;
  const response = await fetch(`${apiUrl()}${path}`, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
  return { status: response.status, body: await response.text() };
}

const q = (literal: string) => encodeURIComponent(literal);
const error = (code: number, message: string) => ({ error: { code, message } });
const answer = async (response: Promise<{ status: number; body: string }>) => {
  const { status, body } = await response;
  return { status, body: JSON.parse(body) as unknown };
};

/** The partners this test created; deleted after it, as other suites expect the demo partners only. */
const createdIds: number[] = [];

/** A partner of this test's own, so limits are tried on a record nothing else writes. */
async function ownPartner(name: string): Promise<number> {
  const created = await send('POST', `${PARTNERS}?vals=${q(`{'name': '${name}'}`)}`);
  expect(created.status).toBe(201);
  const { id } = (JSON.parse(created.body) as { Partner: { id: number } }).Partner;
  createdIds.push(id);
  return id;
}

/** The number of partners, to show a refused create created nothing. */
async function partnerCount(): Promise<number> {
  const response = await send('GET', `${PARTNERS}/search_count?context=${q("{'active_test': False}")}`);
  return (JSON.parse(response.body) as { count: number }).count;
}

let id: number;
let before: Record<string, unknown> | undefined;

beforeAll(async () => {
  id = await ownPartner('Limits');
});

afterAll(async () => {
  expect((await send('DELETE', `${PARTNERS}?ids=${createdIds.join(',')}`)).status).toBe(200);
});

beforeEach(async () => {
  before = await servedItem('res.partner', id);
});

/** The partner exactly as before the case: nothing written. */
const expectUnchanged = async () => expect(await servedItem('res.partner', id)).toStrictEqual(before);

describe('the size of vals and of the whole query', () => {
  it('a query over 10,240 characters (API Gateway refuses such URLs): 414, nothing written', async () => {
    expect(await answer(send('PUT', `${PARTNERS}/${id}?vals=${q(`{'comment': '${'x'.repeat(10_300)}'}`)}`))).toStrictEqual({
      status: 414,
      body: error(414, 'The query string is longer than 10240 characters; API Gateway refuses such URLs'),
    });
    await expectUnchanged();
  });

  it('a query just under it is served', async () => {
    const comment = 'y'.repeat(10_000);
    const response = await send('PUT', `${PARTNERS}/${id}?vals=${q(`{'comment': '${comment}'}`)}`);
    expect([response.status, (JSON.parse(response.body) as { Partner: { comment: string } }).Partner.comment]).toStrictEqual([200, comment]);
  });

  it('a create whose query is too long: 414, nothing created', async () => {
    const count = await partnerCount();
    expect((await send('POST', `${PARTNERS}?vals=${q(`{'name': '${'n'.repeat(10_300)}'}`)}`)).status).toBe(414);
    expect(await partnerCount()).toBe(count);
  });

  it('vals in a body over 100,000 characters: 413, nothing written', async () => {
    const body = JSON.stringify({ comment: 'z'.repeat(100_000) });
    expect(await answer(send('PUT', `${PARTNERS}/${id}`, { body, contentType: 'application/json' }))).toStrictEqual({
      status: 413,
      body: error(413, 'The body is longer than 100000 characters'),
    });
    await expectUnchanged();
  });
});

describe('nesting depth', () => {
  it('vals nested deeper than 32: 400 with the position, nothing written', async () => {
    const deep = `{'category_id': ${'['.repeat(33)}${']'.repeat(33)}}`;
    expect(await answer(send('PUT', `${PARTNERS}/${id}?vals=${q(deep)}`))).toStrictEqual({
      status: 400,
      body: error(400, "Cannot parse 'vals': nesting deeper than 32 at position 47"),
    });
    await expectUnchanged();
  });

  it('an XML body nested deeper than 33 elements: 400 with line and column, nothing written', async () => {
    const body = `<vals>${'<item type="list">'.repeat(40)}${'</item>'.repeat(40)}</vals>`;
    const response = await answer(send('PUT', `${PARTNERS}/${id}`, { body, contentType: 'application/xml' }));
    expect(response).toMatchObject({ status: 400, body: error(400, expect.stringMatching(/elements nested deeper than 33 at line 1, column \d+/)) });
    await expectUnchanged();
  });

  it('a domain nested deeper than its bound: 400', async () => {
    const domain = `${'['.repeat(70)}${']'.repeat(70)}`;
    const response = await answer(send('GET', `${PARTNERS}?domain=${q(domain)}`));
    expect(response).toMatchObject({ status: 400, body: error(400, expect.stringMatching(/nesting deeper than \d+/)) });
  });
});

describe('the number of ids', () => {
  it('a write of 101 ids (one transaction holds 100, the usage ledger\'s count one of them): 400 naming the limit, nothing written', async () => {
    const ids = [id, ...Array.from({ length: 100 }, (_, i) => 100_000 + i)].join(',');
    expect(await answer(send('PUT', `${PARTNERS}?ids=${ids}&vals=${q("{'ref': 'too many'}")}`))).toStrictEqual({
      status: 400,
      body: error(400, 'Too many ids: 101 given, at most 99 records can be written in one all-or-nothing request'),
    });
    await expectUnchanged();
  });

  it('a delete of 101 ids: 400 naming the limit, nothing deleted', async () => {
    const ids = [id, ...Array.from({ length: 100 }, (_, i) => 100_000 + i)].join(',');
    const response = await answer(send('DELETE', `${PARTNERS}?ids=${ids}`));
    // One action fewer than a write: the transaction's header for the change feed (and the ledger's count).
    expect(response).toMatchObject({ status: 400, body: error(400, expect.stringMatching(/^Too many ids: 101 given, at most 98 /)) });
    await expectUnchanged();
  });

  it('a read of 1,001 ids: 400 naming the limit', async () => {
    const ids = Array.from({ length: 1001 }, (_, i) => i + 1).join(',');
    expect(await answer(send('GET', `${PARTNERS}?ids=${ids}`))).toStrictEqual({
      status: 400,
      body: error(400, 'Too many ids: 1001 given, at most 1000 records can be read in one request'),
    });
  });
});

describe("a record over DynamoDB's 400 KB item size", () => {
  // 49,900 emoji: 99,800 characters (under the body limit), 199,600 bytes of UTF-8. Two such fields
  // fit in 400 KB (409,600 bytes); a third does not.
  const bigField = (name: string) => JSON.stringify({ [name]: '😀'.repeat(49_900) });
  const putBig = (path: string, name: string) => send('PUT', `${PARTNERS}${path}`, { body: bigField(name), contentType: 'application/json' });
  const TOO_BIG = { status: 413, body: error(413, 'The record would exceed the 400 KB DynamoDB item size limit') };

  it('a write that would make the record too big: 413, the record as it was', async () => {
    const big = await ownPartner('Big');
    expect([(await putBig(`/${big}`, 'comment')).status, (await putBig(`/${big}`, 'street')).status]).toStrictEqual([200, 200]);
    const nearlyFull = await servedItem('res.partner', big);
    expect(await answer(putBig(`/${big}`, 'street2'))).toStrictEqual(TOO_BIG);
    expect(await servedItem('res.partner', big)).toStrictEqual(nearlyFull);
  });

  it('the same in a list write (a transaction): 413, no record of the list written', async () => {
    const [a, b] = [await ownPartner('Big A'), await ownPartner('Big B')];
    expect([(await putBig(`/${b}`, 'comment')).status, (await putBig(`/${b}`, 'street')).status]).toStrictEqual([200, 200]);
    const items = [await servedItem('res.partner', a), await servedItem('res.partner', b)];
    expect(await answer(putBig(`?ids=${a},${b}`, 'street2'))).toStrictEqual(TOO_BIG);
    expect([await servedItem('res.partner', a), await servedItem('res.partner', b)]).toStrictEqual(items);
  });
});

describe('characters JSON and XML cannot carry as they are', () => {
  // A lone high and low surrogate, C0 controls XML 1.0 forbids, U+FFFE, and a valid pair.
  const odd = 'a\ud800b\udc00c\u0001d\u001fe\ufffef😀g';

  it('are stored faithfully, answered as JSON escapes that parse back to the same string', async () => {
    const response = await send('PUT', `${PARTNERS}/${id}`, { body: JSON.stringify({ comment: odd }), contentType: 'application/json' });
    expect(response.status).toBe(200);
    expect(response.body).toMatch(/"comment":"a\\ud800b\\udc00c\\u0001d\\u001fe/);
    expect((JSON.parse(response.body) as { Partner: { comment: string } }).Partner.comment).toBe(odd);
    expect((await servedItem('res.partner', id))?.v.comment).toBe(odd);
  });

  it('are answered in XML as U+FFFD each, so the document stays well-formed', async () => {
    const response = await send('GET', `${PARTNERS}/${id}?fields=${q("['comment']")}`, { accept: 'application/xml' });
    expect(response.status).toBe(200);
    expect(response.body).toContain('<comment type="str">a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf😀g</comment>');
    // Nothing XML 1.0's Char production excludes is left anywhere in the document.
    // eslint-disable-next-line no-control-regex -- these control characters are what is looked for
    expect(response.body).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });
});

describe('__proto__ and constructor as field names', () => {
  it.each(['__proto__', 'constructor', 'toString'])('%s in vals is an unknown field: 403, nothing written', async (name) => {
    expect(await answer(send('PUT', `${PARTNERS}/${id}`, { body: `{"${name}": {"polluted": 1}}`, contentType: 'application/json' }))).toStrictEqual({
      status: 403,
      body: error(403, `Invalid field '${name}' on model 'res.partner'`),
    });
    await expectUnchanged();
  });

  it('__proto__ in a create is an unknown field: 403, nothing created', async () => {
    const count = await partnerCount();
    const response = await answer(send('POST', PARTNERS, { body: '{"name": "P", "__proto__": {"admin": true}}', contentType: 'application/json' }));
    expect(response).toStrictEqual({ status: 403, body: error(403, "Invalid field '__proto__' on model 'res.partner'") });
    expect(await partnerCount()).toBe(count);
  });

  it('__proto__ in a domain and in fields: 403 as unknown fields', async () => {
    expect((await send('GET', `${PARTNERS}?domain=${q("[('__proto__', '=', 1)]")}`)).status).toBe(403);
    expect((await send('GET', `${PARTNERS}/${id}?fields=${q("['__proto__']")}`)).status).toBe(403);
  });
});
