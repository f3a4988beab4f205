/**
 * The origin an OAuth 1.0a token endpoint checks a signature for (lib/auth/oauth1/flow.ts, issue 15
 * §6.1): the domain API Gateway reports in the event, over https — never the Host or X-Forwarded-*
 * headers a client sends — unless PUBLIC_BASE_URL or a trusted proxy says otherwise. Through the
 * API Gateway event -> ApiRequest -> oauth1RequestToken, over the in-memory AuthStore.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import OAuth from 'oauth-1.0a';
import { createClient } from '../../../lib/auth/admin';
import { keyRingFrom } from '../../../lib/auth/keys';
import { oauth1RequestToken, type OAuth1Deps } from '../../../lib/auth/oauth1/flow';
import { parsePublicBaseUrl } from '../../../lib/auth/oauth1/signature';
import { AuthenticationRequiredError } from '../../../lib/errors';
import { toApiRequest } from '../../../lib/http';
import { MemoryAuthStore } from '../../helpers/memory-auth-store';
import { rejection } from '../../helpers/thrown';

const DOMAIN = 'abc123.execute-api.eu-west-1.amazonaws.com';
const PATH = '/restapi/1.0/common/oauth1/request_token';

async function setup(settings: Partial<Pick<OAuth1Deps, 'publicOrigin' | 'trustedProxy' | 'gatewayEmulated'>> = {}) {
  const store = new MemoryAuthStore();
  const keys = keyRingFrom(randomBytes(32));
  const deps: OAuth1Deps = { store, keys: async () => keys, publicOrigin: undefined, timestampWindow: 300, ...settings };
  const consumer = await createClient(store, keys, { userId: 7, name: 'Legacy app', accessType: 'oauth1' });
  const signer = new OAuth({
    consumer: { key: consumer.clientId, secret: consumer.clientSecret },
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
  });
  /** Leg 1 signed for `signedFor` (the stage in the path), as API Gateway passes it on with `headers` (null: no domainName). */
  const requestToken = (signedFor: string, headers: Record<string, string>, domainName: string | null = DOMAIN) => {
    const authorization = signer.toHeader(signer.authorize({ url: `${signedFor}/prod${PATH}`, method: 'POST' })).Authorization;
    const event = {
      httpMethod: 'POST',
      path: PATH,
      headers: { ...headers, Authorization: authorization },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { path: `/prod${PATH}`, requestId: 'r1', stage: 'prod', ...(domainName ? { domainName } : {}) },
    } as unknown as APIGatewayProxyEvent;
    return oauth1RequestToken(deps, toApiRequest(event));
  };
  return { requestToken };
}

describe('the OAuth 1.0a request_token leg checks the signature for', () => {
  it('https and the domain API Gateway reports, stage included', async () => {
    const { requestToken } = await setup();
    await expect(requestToken(`https://${DOMAIN}`, { Host: DOMAIN })).resolves.toMatchObject({ oauth_token: expect.any(String) });
  });

  it('not the origin a client names with Host or X-Forwarded-* (a request signed for another server sharing the consumer)', async () => {
    const { requestToken } = await setup();
    const spoofed = { Host: 'other.example', 'X-Forwarded-Host': 'other.example', 'X-Forwarded-Proto': 'https' };
    expect(await rejection(requestToken('https://other.example', spoofed))).toBeInstanceOf(AuthenticationRequiredError);
    expect(await rejection(requestToken(`http://${DOMAIN}`, { Host: DOMAIN, 'X-Forwarded-Proto': 'http' }))).toBeInstanceOf(AuthenticationRequiredError);
  });

  it('nothing when API Gateway reported no domain: refused', async () => {
    const { requestToken } = await setup();
    const error = await rejection(requestToken(`https://${DOMAIN}`, { Host: DOMAIN }, null));
    expect((error as AuthenticationRequiredError).reason).toContain('set PUBLIC_BASE_URL');
  });

  it('the configured PUBLIC_BASE_URL when there is one', async () => {
    const { requestToken } = await setup({ publicOrigin: parsePublicBaseUrl('https://api.example.com/prod') });
    await expect(requestToken('https://api.example.com', { Host: DOMAIN })).resolves.toMatchObject({ oauth_token: expect.any(String) });
  });

  it("X-Forwarded-Host and -Proto with a trusted proxy (TRUSTED_PROXY), the proxy's own (last) element", async () => {
    const { requestToken } = await setup({ trustedProxy: true });
    const headers = { Host: DOMAIN, 'X-Forwarded-Host': 'spoofed.example, api.example.com', 'X-Forwarded-Proto': 'https' };
    await expect(requestToken('https://api.example.com', headers)).resolves.toMatchObject({ oauth_token: expect.any(String) });
    expect(await rejection(requestToken('https://spoofed.example', headers))).toBeInstanceOf(AuthenticationRequiredError);
  });

  it('http and the Host header under serverless-offline, which reports a placeholder domain', async () => {
    const { requestToken } = await setup({ gatewayEmulated: true });
    await expect(requestToken('http://127.0.0.1:3000', { Host: '127.0.0.1:3000' }, 'offlineContext_domainName')).resolves.toMatchObject({ oauth_token: expect.any(String) });
  });
});
