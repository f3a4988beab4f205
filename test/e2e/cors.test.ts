/**
 * CORS over HTTP, as the suite's API runs it: with no CORS_ORIGINS (the default, none allowed).
 * Preflights are answered without the authorizer and grant nothing; serverless-offline's own CORS
 * (an echoed Origin with credentials on everything) never shows, as API Gateway adds none.
 */
import { apiUrl } from '../helpers/local';

const SITE = 'https://app.example.com';

function corsHeadersOf(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('access-control-')));
}

async function preflight(path: string, method: string) {
  const response = await fetch(`${apiUrl()}${path}`, {
    method: 'OPTIONS',
    headers: {
      Origin: SITE,
      'Access-Control-Request-Method': method,
      'Access-Control-Request-Headers': 'authorization, content-type',
    },
  });
  return { status: response.status, cors: corsHeadersOf(response), body: await response.text() };
}

describe('CORS with no allowed origins (the default)', () => {
  it.each([
    ['/restapi/1.0/object/res.partner', 'PUT'],
    ['/restapi/1.0/object/res.partner/17', 'DELETE'],
    ['/restapi/1.0/common/oauth2/access_token', 'POST'],
  ])('answers a preflight of %s 204 without the authorizer and without a grant', async (path, method) => {
    expect(await preflight(path, method)).toStrictEqual({ status: 204, cors: {}, body: '' });
  });

  it('grants no origin on a function answer', async () => {
    const response = await fetch(`${apiUrl()}/restapi/1.0/common/version`, { headers: { Origin: SITE } });
    expect([response.status, corsHeadersOf(response)]).toStrictEqual([200, {}]);
  });

  it("echoes the Origin, without credentials, on API Gateway's own 401 (a constant body)", async () => {
    const response = await fetch(`${apiUrl()}/restapi/1.0/object/res.partner`, { headers: { Origin: SITE } });
    expect([
      response.status,
      corsHeadersOf(response),
      response.headers.get('vary'),
      await response.text(),
    ]).toStrictEqual([
      401,
      { 'access-control-allow-origin': SITE, 'access-control-expose-headers': 'WWW-Authenticate' },
      'Accept, Origin',
      '{"code":401,"message":"Authentication required"}',
    ]);
  });
});
