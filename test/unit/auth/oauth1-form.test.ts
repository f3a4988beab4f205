/**
 * The object function's half of an OAuth 1.0a request with a form body (issue 16): the authorizer
 * never sees the body, so it leaves the signature pending and verifyPendingOAuth1Signature checks
 * it over the whole request — header, query and form fields (RFC 5849 §3.4.1.3.1) — then records
 * the nonce, exactly once. The RFC's own example (§3.4.1.1, a form body `c2&a3=2+q`, with the
 * errata's signature, which oauthlib and other libraries pin) is the raw, non-JavaScript vector.
 */
import { createHmac, randomBytes } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { createClient } from '../../../lib/auth/admin';
import { clientFromItem, clientKey, clientToItem } from '../../../lib/auth/credentials';
import { keyRingFrom } from '../../../lib/auth/keys';
import { issueOAuth1AccessToken, verifyPendingOAuth1Signature, type OAuth1Deps } from '../../../lib/auth/oauth1/flow';
import { parsePublicBaseUrl, signatureBaseString, baseStringUri } from '../../../lib/auth/oauth1/signature';
import { AuthenticationRequiredError } from '../../../lib/errors';
import { formPairs, queryPairsOf, type ApiRequest } from '../../../lib/http';
import { MemoryAuthStore } from '../../helpers/memory-auth-store';
import { rejection } from '../../helpers/thrown';

const FORM = 'application/x-www-form-urlencoded';

/** RFC 5849 §3.4.1.1 (and reference/aws-dynamodb-oauth.md §5.6). */
const RFC = {
  consumerKey: '9djdj82h48djs9d2',
  consumerSecret: 'j49sk3j29djd',
  token: 'kkk9d7dh3k39sjv7',
  tokenSecret: 'dh893hdasih9',
  timestamp: 137131201,
  /** The errata's value; the RFC prints bYT5CMsGcbgUdFHObYMEfcx6bsw=, which is wrong. */
  signature: 'r6/TJjbCOr97/+UU0NsvSne7s5g=',
  baseString:
    'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
};

/** The RFC's consumer and token, stored as the admin CLI and leg 3 store them (sealed secrets). */
async function rfcSetup() {
  const store = new MemoryAuthStore();
  const keys = keyRingFrom(randomBytes(32));
  await store.put(clientKey(RFC.consumerKey), clientToItem({
    clientId: RFC.consumerKey,
    name: 'RFC 5849 example',
    userId: 7,
    accessType: 'oauth1',
    secretHash: '',
    sealedSecret: keys.secretBox.seal(RFC.consumerSecret, `CLIENT#${RFC.consumerKey}`),
    redirectUris: [],
    createdAt: 0,
  }));
  await store.put({ kind: 'O1ACC', id: RFC.token }, { clientId: RFC.consumerKey, userId: 7, sealedSecret: keys.secretBox.seal(RFC.tokenSecret, `O1ACC#${RFC.token}`), scopes: '', createdAt: 0 });
  const deps: OAuth1Deps = { store, keys: async () => keys, publicOrigin: parsePublicBaseUrl('http://example.com'), timestampWindow: 300, now: () => RFC.timestamp * 1000 };
  return { store, deps };
}

/** `POST http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b` with the body `c2&a3=2+q`, as API Gateway hands it on. */
function rfcRequest(overrides: { body?: string; signature?: string; contentType?: string } = {}): ApiRequest {
  const signature = encodeURIComponent(overrides.signature ?? RFC.signature);
  return {
    method: 'POST',
    path: '/request',
    calledPath: '/request',
    pathParameters: {},
    // multiValueQueryStringParameters: decoded.
    query: new Map([['b5', ['=%3D']], ['a3', ['a']], ['c@', ['']], ['a2', ['r b']]]),
    headers: new Map([
      ['content-type', overrides.contentType ?? FORM],
      [
        'authorization',
        `OAuth realm="Example", oauth_consumer_key="${RFC.consumerKey}", oauth_token="${RFC.token}", oauth_signature_method="HMAC-SHA1", oauth_timestamp="${RFC.timestamp}", oauth_nonce="7d8f3e4a", oauth_signature="${signature}"`,
      ],
    ]),
    body: overrides.body ?? 'c2&a3=2+q',
    requestId: 'r1',
    authorizer: {},
  };
}

const CALLER = { userId: 7, clientId: RFC.consumerKey };

describe('verifyPendingOAuth1Signature', () => {
  it("builds the RFC's base string from the query, the header and the form body", () => {
    const request = rfcRequest();
    const header: [string, string][] = [
      ['oauth_consumer_key', RFC.consumerKey],
      ['oauth_token', RFC.token],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', String(RFC.timestamp)],
      ['oauth_nonce', '7d8f3e4a'],
    ];
    const params = [...queryPairsOf(request), ...header, ...(formPairs(request) ?? [])];
    expect(signatureBaseString('POST', baseStringUri({ scheme: 'http', host: 'example.com', path: '/request' }), params)).toBe(RFC.baseString);
  });

  it("verifies the RFC's form-body request and records its nonce once: the same request again is a 401", async () => {
    const { store, deps } = await rfcSetup();
    await expect(verifyPendingOAuth1Signature(deps, rfcRequest(), CALLER)).resolves.toBeUndefined();
    await expect(store.list('NONCE')).resolves.toHaveLength(1);
    expect(await rejection(verifyPendingOAuth1Signature(deps, rfcRequest(), CALLER))).toStrictEqual(new AuthenticationRequiredError('nonce already used'));
    await expect(store.list('NONCE')).resolves.toHaveLength(1);
  });

  it.each<[string, Parameters<typeof rfcRequest>[0]]>([
    ['a form field changed', { body: 'c2&a3=2+r' }],
    ['a form field added', { body: 'c2&a3=2+q&ids=26' }],
    ['the form left out', { body: '' }],
    ['the body sent as text/plain (not signed fields then)', { contentType: 'text/plain' }],
  ])('refuses the signature with %s, recording no nonce', async (_label, overrides) => {
    const { store, deps } = await rfcSetup();
    expect(await rejection(verifyPendingOAuth1Signature(deps, rfcRequest(overrides), CALLER))).toStrictEqual(new AuthenticationRequiredError('signature mismatch'));
    await expect(store.list('NONCE')).resolves.toStrictEqual([]);
  });

  it('refuses a signature made over the header and query only (a client that did not sign its form)', async () => {
    const { deps } = await rfcSetup();
    const withoutForm = RFC.baseString.replace('%26a3%3D2%2520q', '').replace('%26c2%3D', '');
    const signature = createHmac('sha1', `${RFC.consumerSecret}&${RFC.tokenSecret}`).update(withoutForm).digest('base64');
    expect(await rejection(verifyPendingOAuth1Signature(deps, rfcRequest({ signature }), CALLER))).toStrictEqual(new AuthenticationRequiredError('signature mismatch'));
  });

  it('refuses a request that is not from the caller the authorizer named', async () => {
    const { deps } = await rfcSetup();
    const error = await rejection(verifyPendingOAuth1Signature(deps, rfcRequest(), { userId: 8, clientId: RFC.consumerKey }));
    expect(error).toStrictEqual(new AuthenticationRequiredError('not the caller the authorizer let through'));
  });

  it('verifies PLAINTEXT (which signs no parameter) over https only, and records its nonce when it has one', async () => {
    const { store, deps } = await rfcSetup();
    const plaintext = (nonce: string) => {
      const request = rfcRequest();
      const authorization = `OAuth oauth_consumer_key="${RFC.consumerKey}", oauth_token="${RFC.token}", oauth_signature_method="PLAINTEXT", oauth_timestamp="${RFC.timestamp}", oauth_nonce="${nonce}", oauth_signature="${encodeURIComponent(`${RFC.consumerSecret}&${RFC.tokenSecret}`)}"`;
      return { ...request, headers: new Map([...request.headers, ['authorization', authorization]]) };
    };
    expect(await rejection(verifyPendingOAuth1Signature(deps, plaintext('p1'), CALLER))).toStrictEqual(new AuthenticationRequiredError('PLAINTEXT signature over http'));
    const overHttps: OAuth1Deps = { ...deps, publicOrigin: parsePublicBaseUrl('https://example.com') };
    await expect(verifyPendingOAuth1Signature(overHttps, plaintext('p2'), CALLER)).resolves.toBeUndefined();
    expect(await rejection(verifyPendingOAuth1Signature(overHttps, plaintext('p2'), CALLER))).toStrictEqual(new AuthenticationRequiredError('nonce already used'));
    await expect(store.list('NONCE')).resolves.toHaveLength(1);
  });

  it('verifies what the npm oauth-1.0a library signs for a PUT with a form body (data), once', async () => {
    const store = new MemoryAuthStore();
    const keys = keyRingFrom(randomBytes(32));
    const consumer = await createClient(store, keys, { userId: 7, name: 'Legacy app', accessType: 'oauth1' });
    const client = clientFromItem(await store.get(clientKey(consumer.clientId)));
    if (!client) throw new Error('no client');
    const token = await issueOAuth1AccessToken(store, keys, client, 7);
    const deps: OAuth1Deps = { store, keys: async () => keys, publicOrigin: parsePublicBaseUrl('https://api.test/prod'), timestampWindow: 300 };
    const signer = new OAuth({
      consumer: { key: consumer.clientId, secret: consumer.clientSecret },
      signature_method: 'HMAC-SHA256',
      hash_function: (base, key) => createHmac('sha256', key).update(base).digest('base64'),
    });
    const data = { ids: '17,20', vals: "{'street2': 'Chung Hsiao East Road'}" };
    // Before authorize(), which adds the URL's query parameters to `data`.
    const body = new URLSearchParams(data).toString();
    // oauth-1.0a signs the URL's query as written (it does not decode it): written unescaped here.
    const url = "https://api.test/prod/restapi/1.0/object/res.partner?fields=['name']";
    const authorization = signer.toHeader(signer.authorize({ url, method: 'PUT', data }, { key: token.oauth_token, secret: token.oauth_token_secret })).Authorization;
    const request: ApiRequest = {
      method: 'PUT',
      path: '/restapi/1.0/object/res.partner',
      calledPath: '/prod/restapi/1.0/object/res.partner',
      pathParameters: { model: 'res.partner' },
      query: new Map([['fields', ["['name']"]]]),
      headers: new Map([['content-type', `${FORM}; charset=utf-8`], ['authorization', authorization]]),
      body,
      requestId: 'r1',
      authorizer: {},
    };
    const caller = { userId: 7, clientId: consumer.clientId };
    await expect(verifyPendingOAuth1Signature(deps, request, caller)).resolves.toBeUndefined();
    await expect(rejection(verifyPendingOAuth1Signature(deps, request, caller))).resolves.toStrictEqual(new AuthenticationRequiredError('nonce already used'));
  });
});
