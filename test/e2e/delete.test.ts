/** DELETE over HTTP: one record, a list, and a refused one; the answers the original (v17) gives. */
import { apiUrl, demoToken } from '../helpers/local';

async function call(method: string, path: string, accept?: string) {
  const headers: Record<string, string> = { Authorization: `Bearer ${await demoToken()}` };
  if (accept) headers.Accept = accept;
  const response = await fetch(`${apiUrl()}/restapi/1.0/object/${path}`, { method, headers });
  return { status: response.status, body: await response.text() };
}

async function newTag(name: string): Promise<number> {
  const { body } = await call('POST', `res.partner.category?vals={'name':'${name}'}`);
  return (JSON.parse(body) as { 'Partner Tags': { id: number } })['Partner Tags'].id;
}

describe('DELETE /restapi/1.0/object/{model}[/{id}]', () => {
  it('deletes one record and answers {"id": N}; it is gone afterwards', async () => {
    const id = await newTag('Doomed');
    expect(await call('DELETE', `res.partner.category/${id}`)).toStrictEqual({ status: 200, body: `{"id":${id}}` });
    expect(await call('GET', `res.partner.category/${id}`)).toStrictEqual({ status: 404, body: `{"code":404,"message":"Record not found: res.partner.category(${id})"}` });
  });

  it('deletes a list and answers {"ids": "a,b"}, in XML too', async () => {
    const [a, b] = [await newTag('Doomed A'), await newTag('Doomed B')];
    expect(await call('DELETE', `res.partner.category?ids=${a},${b}`, 'application/xml')).toStrictEqual({ status: 200, body: `<ids type="str">${a},${b}</ids>` });
  });

  it('refuses to delete a country partners still use (403), and keeps it', async () => {
    const response = await call('DELETE', 'res.country/482');
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toStrictEqual({ error: { code: 403, message: expect.stringContaining('another model requires the record being deleted') } });
    expect((await call('GET', "res.country/482?fields=['name']")).body).toBe('{"Country":{"id":482,"name":"Taiwan"}}');
  });
});
