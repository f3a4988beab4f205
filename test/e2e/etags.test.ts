/**
 * ETags and conditional requests over HTTP (serverless-offline + DynamoDB Local): GET answers an
 * ETag, If-None-Match gives a 304 without a body, a PUT with If-Match writes only while the tag is
 * current (a 412 in the usual error envelope, JSON or XML, and nothing written otherwise), and
 * `where` guards a write the same way.
 */
import { apiUrl, demoToken } from '../helpers/local';

async function call(method: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${apiUrl()}/restapi/1.0/object/${path}`, {
    method,
    headers: { Authorization: `Bearer ${await demoToken()}`, ...headers },
  });
  return { status: response.status, etag: response.headers.get('etag'), body: await response.text() };
}

async function newTag(name: string): Promise<number> {
  const { body } = await call('POST', `res.partner.category?vals={'name':'${name}'}`);
  return (JSON.parse(body) as { 'Partner Tags': { id: number } })['Partner Tags'].id;
}

const nameOf = async (id: number) =>
  (
    JSON.parse((await call('GET', `res.partner.category/${id}?fields=['name']`)).body) as {
      'Partner Tags': { name: string };
    }
  )['Partner Tags'].name;

describe('ETag, If-Match and If-None-Match', () => {
  it('GET -> ETag -> PUT with If-Match writes; the stale tag then is a 412 and writes nothing', async () => {
    const id = await newTag('Tagged');
    const read = await call('GET', `res.partner.category/${id}`);
    expect(read.status).toBe(200);
    expect(read.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const stale = read.etag as string;

    const put = await call('PUT', `res.partner.category/${id}?vals={'name':'Renamed'}`, { 'If-Match': stale });
    expect(put.status).toBe(200);
    expect(put.etag).not.toBe(stale);
    expect((await call('GET', `res.partner.category/${id}`)).etag).toBe(put.etag);

    const again = await call('PUT', `res.partner.category/${id}?vals={'name':'Lost update'}`, { 'If-Match': stale });
    expect(again.status).toBe(412);
    expect(JSON.parse(again.body)).toStrictEqual({
      error: { code: 412, message: expect.stringContaining(`res.partner.category(${id})`) },
    });
    expect(await nameOf(id)).toBe('Renamed');

    const xml = await call('PUT', `res.partner.category/${id}?vals={'name':'Lost update'}`, {
      'If-Match': stale,
      Accept: 'application/xml',
    });
    expect(xml.status).toBe(412);
    expect(xml.body).toMatch(
      /^<error type="dict"><code type="int">412<\/code><message type="str">If-Match: .*<\/message><\/error>$/,
    );
    expect(await nameOf(id)).toBe('Renamed');
  });

  it('answers 304 with no body to a GET whose If-None-Match names the current tag, JSON or XML', async () => {
    const id = await newTag('Cached');
    const { etag } = await call('GET', `res.partner.category?ids=${id}`);
    for (const accept of ['application/json', 'application/xml']) {
      const cached = await call('GET', `res.partner.category/${id}`, {
        'If-None-Match': etag as string,
        Accept: accept,
      });
      expect([cached.status, cached.body, cached.etag]).toStrictEqual([304, '', etag]);
    }
    await call('PUT', `res.partner.category/${id}?vals={'name':'Changed'}`);
    const changed = await call('GET', `res.partner.category/${id}`, { 'If-None-Match': etag as string });
    expect(changed.status).toBe(200);
    expect(JSON.parse(changed.body)['Partner Tags'].name).toBe('Changed');
  });

  it('makes a DELETE conditional on If-Match', async () => {
    const id = await newTag('Kept');
    const { etag } = await call('GET', `res.partner.category/${id}`);
    expect((await call('DELETE', `res.partner.category/${id}`, { 'If-Match': '"stale"' })).status).toBe(412);
    expect(await nameOf(id)).toBe('Kept');
    expect((await call('DELETE', `res.partner.category/${id}`, { 'If-Match': etag as string })).status).toBe(200);
    expect((await call('GET', `res.partner.category/${id}`)).status).toBe(404);
  });

  it('guards a PUT list with where: 412 and nothing written when a record does not match', async () => {
    const [a, b] = [await newTag('Where A'), await newTag('Where B')];
    const guarded = await call(
      'PUT',
      `res.partner.category?ids=${a},${b}&vals={'color':3}&where=[('name','=','Where A')]`,
    );
    expect(guarded.status).toBe(412);
    const list = await call('GET', `res.partner.category?ids=${a},${b}&fields=['color']`);
    expect(JSON.parse(list.body)['Partner Tags'].map((r: { color: number | false }) => r.color)).not.toContain(3);
    const ok = await call('PUT', `res.partner.category?ids=${a},${b}&vals={'color':3}&where=[('name','like','Where')]`);
    expect(ok.status).toBe(200);
    expect(ok.etag).toBe((await call('GET', `res.partner.category?ids=${a},${b}`)).etag);
  });
});
