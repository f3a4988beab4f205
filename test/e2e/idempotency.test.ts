/**
 * Idempotency-Key over HTTP against the served API: the same create, write or unlink sent again
 * with the same key answers as the first and writes nothing; the key used for another request is a
 * 422; racing requests with one key create one record.
 */
import { randomUUID } from 'node:crypto';
import { apiUrl, demoBasicClient, demoToken, servedItem } from '../helpers/local';

const TAGS = '/restapi/1.0/object/res.partner.category';

async function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  const response = await fetch(`${apiUrl()}${path}`, {
    method,
    headers: { Authorization: `Bearer ${await demoToken()}`, ...headers },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), body: await response.text() };
}

const tagOf = (body: string) => (JSON.parse(body) as { 'Partner Tags': { id: number; name: string } })['Partner Tags'];

/** The tags the tests created, deleted after them: other suites expect the demo tags only. */
const createdTags = new Set<number>();

afterAll(async () => {
  if (createdTags.size > 0) expect((await send('DELETE', `${TAGS}?ids=${[...createdTags].join(',')}`, {})).status).toBe(200);
});

async function createTag(name: string, key: string, extraHeaders: Record<string, string> = {}) {
  const answer = await send('POST', `${TAGS}?vals=${encodeURIComponent(`{'name': '${name}'}`)}`, { 'Idempotency-Key': key, ...extraHeaders });
  if (answer.status === 201) createdTags.add(tagOf(answer.body).id);
  return answer;
}

/** The tags named `name`, by search over the served API. */
async function tagsNamed(name: string): Promise<number[]> {
  const response = await send('GET', `${TAGS}/search?domain=${encodeURIComponent(`[('name','=','${name}')]`)}`, {});
  return response.status === 404 ? [] : (JSON.parse(response.body) as { 'Partner Tags': number[] })['Partner Tags'];
}

describe('Idempotency-Key on POST create', () => {
  it('the same create sent again with the same key: 201 with the same record, marked replayed, and one record only', async () => {
    const key = randomUUID();
    const name = `Idempotent ${key}`;
    const first = await createTag(name, key);
    expect([first.status, first.replayed]).toStrictEqual([201, null]);
    const again = await createTag(name, key);
    expect([again.status, again.replayed, again.body]).toStrictEqual([201, 'true', first.body]);
    expect(await tagsNamed(name)).toStrictEqual([tagOf(first.body).id]);
  });

  it('the key as a Structured Field string ("...") is the same key', async () => {
    const key = randomUUID();
    const name = `Quoted ${key}`;
    const first = await createTag(name, key);
    const again = await createTag(name, `"${key}"`);
    expect([again.status, again.replayed, tagOf(again.body).id]).toStrictEqual([201, 'true', tagOf(first.body).id]);
  });

  it('the key sent with another request: 422, and nothing created', async () => {
    const key = randomUUID();
    expect((await createTag(`First ${key}`, key)).status).toBe(201);
    const other = await createTag(`Second ${key}`, key);
    expect([other.status, JSON.parse(other.body)]).toStrictEqual([
      422,
      { error: { code: 422, message: 'This Idempotency-Key was used for a different request in the last 24 hours; send a new key with a new request' } },
    ]);
    expect(await tagsNamed(`Second ${key}`)).toStrictEqual([]);
  });

  it("one client's key is not another's: the same key from another client creates its own record", async () => {
    const key = randomUUID();
    const name = `Two clients ${key}`;
    const first = await createTag(name, key);
    const tokenResponse = await fetch(`${apiUrl()}/restapi/1.0/common/basic/access_token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: demoBasicClient().clientId, client_secret: demoBasicClient().clientSecret }),
    });
    const basic = ((await tokenResponse.json()) as { access_token: string }).access_token;
    const second = await createTag(name, key, { Authorization: `Basic ${basic}` });
    expect([second.status, second.replayed]).toStrictEqual([201, null]);
    expect(tagOf(second.body).id).not.toBe(tagOf(first.body).id);
    expect((await tagsNamed(name)).length).toBe(2);
  });

  it('eight requests racing with one key: all 201 with one and the same record, and one record created', async () => {
    const key = randomUUID();
    const name = `Raced ${key}`;
    const answers = await Promise.all(Array.from({ length: 8 }, () => createTag(name, key)));
    expect(answers.map((answer) => answer.status)).toStrictEqual(Array(8).fill(201));
    const ids = new Set(answers.map((answer) => tagOf(answer.body).id));
    expect(ids.size).toBe(1);
    expect(answers.filter((answer) => answer.replayed === null).length).toBe(1);
    expect(await tagsNamed(name)).toStrictEqual([...ids]);
  });

  it('a replay answers the record as it is now (it was renamed since)', async () => {
    const key = randomUUID();
    const first = await createTag(`Before ${key}`, key);
    const { id } = tagOf(first.body);
    expect((await send('PUT', `${TAGS}/${id}?vals=${encodeURIComponent(`{'name': 'After ${key}'}`)}`, {})).status).toBe(200);
    const again = await createTag(`Before ${key}`, key);
    expect([again.status, again.replayed, tagOf(again.body)]).toMatchObject([201, 'true', { id, name: `After ${key}` }]);
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['not ASCII', 'clé'],
  ])('a key that is %s: 400, nothing created', async (_case, key) => {
    const name = `Bad key ${randomUUID()}`;
    const response = await createTag(name, key);
    expect([response.status, JSON.parse(response.body)]).toStrictEqual([
      400,
      { error: { code: 400, message: 'The Idempotency-Key header must be 1 to 255 printable ASCII characters, e.g. a UUID' } },
    ]);
    expect(await tagsNamed(name)).toStrictEqual([]);
  });

  it('a read ignores the key', async () => {
    const read = await send('GET', `${TAGS}/1`, { 'Idempotency-Key': randomUUID() });
    expect([read.status, read.replayed]).toStrictEqual([200, null]);
  });
});

describe('Idempotency-Key on PUT (write) and DELETE (unlink)', () => {
  /** Two tags of the test's own. */
  async function ownTags(): Promise<[number, number]> {
    const ids = [];
    for (const name of ['Own A', 'Own B']) ids.push(tagOf((await createTag(`${name} ${randomUUID()}`, randomUUID())).body).id);
    return ids as [number, number];
  }

  const rename = (path: string, name: string, headers: Record<string, string> = {}) =>
    send('PUT', `${TAGS}${path}${path.includes('?') ? '&' : '?'}vals=${encodeURIComponent(`{'name': '${name}'}`)}`, headers);

  it('a list write sent again with its key after another client wrote: answered as written, the newer value kept (no older value written over it)', async () => {
    const [a, b] = await ownTags();
    const key = randomUUID();
    const first = await rename(`?ids=${a},${b}`, 'Pipeline value', { 'Idempotency-Key': key });
    expect([first.status, first.replayed]).toStrictEqual([200, null]);
    expect((await rename(`/${a}`, 'Newer value')).status).toBe(200);
    const versionBefore = (await servedItem('res.partner.category', a))?.version;
    const again = await rename(`?ids=${a},${b}`, 'Pipeline value', { 'Idempotency-Key': key });
    expect([again.status, again.replayed]).toStrictEqual([200, 'true']);
    const tags = (JSON.parse(again.body) as { 'Partner Tags': Array<{ id: number; name: string }> })['Partner Tags'];
    expect(tags.map((tag) => [tag.id, tag.name])).toStrictEqual([
      [a, 'Newer value'],
      [b, 'Pipeline value'],
    ]);
    expect((await servedItem('res.partner.category', a))?.version).toBe(versionBefore);
  });

  it('a one-record write with its key, sent again: the record as one object, replayed', async () => {
    const [a] = await ownTags();
    const key = randomUUID();
    const first = await rename(`/${a}`, 'Once', { 'Idempotency-Key': key });
    const again = await rename(`/${a}`, 'Once', { 'Idempotency-Key': key });
    expect([first.status, again.status, again.replayed, again.body]).toStrictEqual([200, 200, 'true', first.body]);
  });

  it("an unlink sent again with its key: the first answer again (not a 404), replayed; the key on another route: 422", async () => {
    const [a, b] = await ownTags();
    const key = randomUUID();
    const first = await send('DELETE', `${TAGS}?ids=${a},${b}`, { 'Idempotency-Key': key });
    expect([first.status, JSON.parse(first.body)]).toStrictEqual([200, { ids: `${a},${b}` }]);
    const again = await send('DELETE', `${TAGS}?ids=${a},${b}`, { 'Idempotency-Key': key });
    expect([again.status, again.replayed, again.body]).toStrictEqual([200, 'true', first.body]);
    const without = await send('DELETE', `${TAGS}?ids=${a},${b}`, {});
    expect(without.status).toBe(404);
    expect((await send('DELETE', `${TAGS}/${a}`, { 'Idempotency-Key': key })).status).toBe(422);
    createdTags.delete(a);
    createdTags.delete(b);
  });

  it('a keyed write of 100 ids: 400, one transaction holds 98 records beside the key and the ledger\'s count; nothing written', async () => {
    const [a] = await ownTags();
    const before = await servedItem('res.partner.category', a);
    const ids = [a, ...Array.from({ length: 99 }, (_, i) => 900_000 + i)].join(',');
    const response = await rename(`?ids=${ids}`, 'Too many', { 'Idempotency-Key': randomUUID() });
    expect([response.status, JSON.parse(response.body)]).toStrictEqual([
      400,
      { error: { code: 400, message: 'Too many ids: 100 given, at most 98 records can be written in one all-or-nothing request' } },
    ]);
    expect(await servedItem('res.partner.category', a)).toStrictEqual(before);
  });
});
