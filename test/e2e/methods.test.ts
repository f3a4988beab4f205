/** The explicit method routes, /object/{model}/{method} and /object/{model}/{id}/{method}, with any verb. */
import { apiUrl, demoToken } from '../helpers/local';

async function call(method: string, path: string) {
  const response = await fetch(`${apiUrl()}/restapi/1.0/object/${path}`, { method, headers: { Authorization: `Bearer ${await demoToken()}` } });
  return { status: response.status, body: await response.text() };
}

describe('explicit methods', () => {
  it('read, search_read and search answer as their verb-routed twins', async () => {
    expect(await call('GET', "res.country/274/read?fields=['code']")).toStrictEqual({ status: 200, body: '{"Country":{"id":274,"code":"BE"}}' });
    expect(await call('POST', "res.country/read?ids=482&fields=['code']")).toStrictEqual({ status: 200, body: '{"Country":[{"id":482,"code":"TW"}]}' });
    expect(await call('GET', "res.country/search_read?domain=[('code','=','TW')]&fields=['name']")).toStrictEqual({ status: 200, body: '{"Country":[{"id":482,"name":"Taiwan"}]}' });
    expect(await call('POST', "res.country/search?domain=[('code','in',['BE','TW'])]")).toStrictEqual({ status: 200, body: '{"Country":[274,482]}' });
  });

  it('create answers 200 when called by name, then write and unlink act on the record', async () => {
    const created = await call('POST', "res.partner.category/create?vals={'name':'Via method'}");
    expect(created.status).toBe(200);
    const { id } = (JSON.parse(created.body) as { 'Partner Tags': { id: number } })['Partner Tags'];
    const written = await call('POST', `res.partner.category/${id}/write?vals={'color':5}`);
    expect([written.status, (JSON.parse(written.body) as { 'Partner Tags': { color: number } })['Partner Tags'].color]).toStrictEqual([200, 5]);
    expect(await call('POST', `res.partner.category/${id}/unlink`)).toStrictEqual({ status: 200, body: `{"id":${id}}` });
  });

  it('answers 404 for a method this service does not have', async () => {
    expect((await call('POST', 'res.partner/17/copy')).status).toBe(404);
    expect((await call('POST', 'res.partner/17/read/more')).status).toBe(404);
  });
});
