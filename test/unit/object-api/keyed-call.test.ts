import { BadRequestError } from '../../../lib/errors';
import type { ApiRequest } from '../../../lib/http';
import { IDEMPOTENCY_KEY_LIFETIME_SECONDS, idempotencyKeyOf, pendingClaim } from '../../../lib/object-api/keyed-call';
import { thrown } from '../../helpers/thrown';

const headers = (value: string) => new Map([['idempotency-key', value]]);

function request(overrides: Partial<ApiRequest> = {}): ApiRequest {
  return {
    method: 'POST',
    path: '/restapi/1.0/object/res.partner',
    calledPath: '/restapi/1.0/object/res.partner',
    pathParameters: { model: 'res.partner' },
    query: new Map([['vals', ["{'name': 'x'}"]]]),
    headers: new Map([['content-type', 'application/json; charset=utf-8']]),
    body: undefined,
    requestId: 'r1',
    authorizer: {},
    ...overrides,
  };
}

const NOW = new Date('2026-11-28T00:00:00Z');

describe('idempotencyKeyOf', () => {
  it('returns undefined without the header', () => {
    expect(idempotencyKeyOf(new Map())).toBeUndefined();
  });

  it.each([
    ['a bare UUID', '8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['a Structured Field string', '"8e03978e-40d5"', '8e03978e-40d5'],
    ['a string with escaped quote and backslash', '"a\\"b\\\\c"', 'a"b\\c'],
    ['surrounding spaces', '  k1  ', 'k1'],
    ['255 characters', 'k'.repeat(255), 'k'.repeat(255)],
  ])('returns the key of %s', (_case, value, key) => {
    expect(idempotencyKeyOf(headers(value))).toBe(key);
  });

  it.each([
    ['empty', ''],
    ['an empty string', '""'],
    ['256 characters', 'k'.repeat(256)],
    ['non-ASCII', 'clé'],
    ['a control character', 'a\u0001b'],
  ])('throws a 400 for %s', (_case, value) => {
    expect(thrown(() => idempotencyKeyOf(headers(value)))).toStrictEqual(
      new BadRequestError('The Idempotency-Key header must be 1 to 255 printable ASCII characters, e.g. a UUID'),
    );
  });
});

describe('pendingClaim', () => {
  it('returns the same claim for the same request sent again, expiring a day later', () => {
    const claim = pendingClaim(request(), 'client-1', 'k', NOW);
    expect(pendingClaim(request({ requestId: 'r2', headers: new Map([['content-type', 'Application/JSON']]) }), 'client-1', 'k', NOW)).toStrictEqual(claim);
    expect(claim.expiresAt).toBe(NOW.getTime() / 1000 + IDEMPOTENCY_KEY_LIFETIME_SECONDS);
  });

  it('returns another claim id for another client or key, and another fingerprint for another request', () => {
    const claim = pendingClaim(request(), 'client-1', 'k', NOW);
    expect(pendingClaim(request(), 'client-2', 'k', NOW).id).not.toBe(claim.id);
    expect(pendingClaim(request(), 'client-1', 'k2', NOW).id).not.toBe(claim.id);
    for (const other of [
      request({ query: new Map([['vals', ["{'name': 'y'}"]]]) }),
      request({ body: '{"name": "x"}' }),
      request({ path: '/restapi/1.0/object/res.country' }),
      request({ method: 'PUT' }),
      request({ headers: new Map([['content-type', 'text/plain']]) }),
    ]) {
      expect(pendingClaim(other, 'client-1', 'k', NOW).fingerprint).not.toBe(claim.fingerprint);
    }
  });

  it('leaves the OAuth 1.0a protocol parameters (oauth_*) out of the fingerprint: a re-signed retry is the same request', () => {
    const signed = (nonce: string, signature: string, timestamp: string) =>
      request({
        query: new Map([
          ['vals', ["{'name': 'x'}"]],
          ['oauth_consumer_key', ['ck']],
          ['oauth_token', ['tk']],
          ['oauth_signature_method', ['HMAC-SHA1']],
          ['oauth_timestamp', [timestamp]],
          ['oauth_nonce', [nonce]],
          ['oauth_version', ['1.0']],
          ['oauth_signature', [signature]],
        ]),
      });
    const first = pendingClaim(signed('n1', 'c2lnMQ==', '1700000000'), 'client-1', 'k', NOW);
    expect(pendingClaim(signed('n2', 'c2lnMg==', '1700000042'), 'client-1', 'k', NOW)).toStrictEqual(first);
    // The same call with its credentials in the Authorization header instead.
    expect(pendingClaim(request(), 'client-1', 'k', NOW)).toStrictEqual(first);
    // The parameters of the call itself still count.
    const otherVals = signed('n3', 'c2lnMw==', '1700000043');
    (otherVals.query as Map<string, string[]>).set('vals', ["{'name': 'y'}"]);
    expect(pendingClaim(otherVals, 'client-1', 'k', NOW).fingerprint).not.toBe(first.fingerprint);
  });

  describe('a form body (issue 16): its fields count as the query ones do', () => {
    const formRequest = (body: string, contentType = 'application/x-www-form-urlencoded') =>
      request({ method: 'PUT', query: new Map(), headers: new Map([['content-type', contentType]]), body });

    it('is the same request when only its oauth_* fields or their encoding differ', () => {
      const first = pendingClaim(formRequest('ids=17%2C20&vals=%7B%27ref%27%3A+%27x%27%7D&oauth_nonce=n1&oauth_signature=s1'), 'client-1', 'k', NOW);
      // Re-signed, spelt with other (equivalent) escapes, and the charset said aloud.
      const again = formRequest("ids=17,20&vals={'ref':%20'x'}&oauth_nonce=n2&oauth_signature=s2", 'application/x-www-form-urlencoded; charset=utf-8');
      expect(pendingClaim(again, 'client-1', 'k', NOW)).toStrictEqual(first);
      expect(pendingClaim(formRequest("ids=17,20&vals={'ref': 'x'}"), 'client-1', 'k', NOW)).toStrictEqual(first);
    });

    it('is another request when a field, its order or where it was sent differs', () => {
      const first = pendingClaim(formRequest("ids=17,20&vals={'ref': 'x'}"), 'client-1', 'k', NOW).fingerprint;
      for (const other of [
        formRequest("ids=17,20&vals={'ref': 'y'}"),
        formRequest("ids=17&vals={'ref': 'x'}"),
        formRequest("vals={'ref': 'x'}&ids=17,20"),
        // The same text with no form Content-Type is a body, not fields.
        formRequest("ids=17,20&vals={'ref': 'x'}", 'text/plain'),
        // The same fields in the query.
        request({ method: 'PUT', query: new Map([['ids', ['17,20']], ['vals', ["{'ref': 'x'}"]]]), headers: new Map([['content-type', 'application/x-www-form-urlencoded']]) }),
      ]) {
        expect(pendingClaim(other, 'client-1', 'k', NOW).fingerprint).not.toBe(first);
      }
    });
  });
});
