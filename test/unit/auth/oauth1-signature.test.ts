import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import OAuth from 'oauth-1.0a';
import { AuthenticationRequiredError } from '../../../lib/errors';
import {
  MAX_AUTHORIZATION_HEADER_LENGTH,
  assertPlaintextOverHttps,
  baseStringUri,
  checkTimestamp,
  computeSignature,
  gatherOAuthParameters,
  hasOAuthScheme,
  nonceKey,
  parseOAuthAuthorizationHeader,
  parsePublicBaseUrl,
  percentEncode,
  requestBaseStringUri,
  requestOrigin,
  signatureBaseString,
  signatureMatches,
  verifySignature,
  type OAuthParameterSources,
  type OriginSettings,
  type ParamPair,
  type SignatureMethod,
} from '../../../lib/auth/oauth1/signature';
import { queryPairs } from '../../../lib/http';
import { thrown } from '../../helpers/thrown';

/** The reason of the AuthenticationRequiredError `fn` throws; fails on any other outcome. */
function refusal(fn: () => unknown): string {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(AuthenticationRequiredError);
  return (error as AuthenticationRequiredError).reason;
}

/** Parses the header and gathers it with the other sources, as the authorizer will. */
function gather(header: string | undefined, sources: Omit<OAuthParameterSources, 'header'> = {}) {
  return gatherOAuthParameters({ ...sources, header: header === undefined ? undefined : parseOAuthAuthorizationHeader(header).params });
}

describe('percentEncode', () => {
  it('keeps only the unreserved characters, with uppercase hex and %20 for a space', () => {
    expect(percentEncode("a-b_c.d~e f@g!*'()+/")).toBe('a-b_c.d~e%20f%40g%21%2A%27%28%29%2B%2F');
    expect(percentEncode('')).toBe('');
    expect(percentEncode('%')).toBe('%25');
  });

  it('encodes the UTF-8 bytes of non-ASCII text', () => {
    expect(percentEncode('é')).toBe('%C3%A9');
    expect(percentEncode('€')).toBe('%E2%82%AC');
    expect(percentEncode('😀')).toBe('%F0%9F%98%80');
  });

  it('does not throw on a lone surrogate (encodeURIComponent would)', () => {
    expect(percentEncode('a\ud800b')).toBe('a%EF%BF%BDb');
  });

  it('agrees with the oauth-1.0a client on any text', () => {
    const client = new OAuth({ consumer: { key: 'k', secret: 's' } });
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => percentEncode(text) === client.percentEncode(text)), { numRuns: 2000 });
  });
});

// RFC 5849 §3.1: the request whose base string §3.4.1.1 spells out.
const RFC_3_1 = {
  header:
    'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", ' +
    'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", ' +
    'oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"',
  // ?b5=%3D%253D&a3=a&c%40=&a2=r%20b as API Gateway hands it over: already decoded.
  query: [['b5', '=%3D'], ['a3', 'a'], ['c@', ''], ['a2', 'r b']] as ParamPair[],
  body: 'c2&a3=2+q',
  consumerSecret: 'j49sk3j29djd',
  tokenSecret: 'dh893hdasih9',
  baseString:
    'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26' +
    'oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26' +
    'oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
};

/** serverless-offline's origin (http and the Host header), as the RFC examples' plain-http requests have it. */
const EMULATED: OriginSettings = { publicOrigin: undefined, gatewayEmulated: true };
/** Behind API Gateway, no public base URL and no trusted proxy: the default in AWS. */
const GATEWAY: OriginSettings = { publicOrigin: undefined };

/** The RFC 5849 §1.2 photo-printing example: consumer credentials. */
const PHOTOS = { consumerKey: 'dpf43f3p2l4k3l03', consumerSecret: 'kd94hf93k423kf44' };

describe('RFC 5849 test vectors', () => {
  const rfcRequest = () => gather(RFC_3_1.header, { query: RFC_3_1.query, body: [...new URLSearchParams(RFC_3_1.body)] });
  const rfcBaseUri = () => requestBaseStringUri(requestOrigin(EMULATED, { domainName: undefined, headers: { Host: 'example.com' } }), '/request');

  it('§3.4.1.1: reproduces the base string exactly', () => {
    const request = rfcRequest();
    expect(rfcBaseUri()).toBe('http://example.com/request');
    expect(signatureBaseString('POST', rfcBaseUri(), request.params)).toBe(RFC_3_1.baseString);
    expect(request).toMatchObject({ consumerKey: '9djdj82h48djs9d2', token: 'kkk9d7dh3k39sjv7', signatureMethod: 'HMAC-SHA1', timestamp: 137131201, nonce: '7d8f3e4a', location: 'header' });
  });

  it('§3.4.2: HMAC-SHA1 gives r6/TJjbCOr97/+UU0NsvSne7s5g=, not the bYT5CM... the RFC prints (an erratum)', () => {
    expect(computeSignature('HMAC-SHA1', RFC_3_1.baseString, RFC_3_1.consumerSecret, RFC_3_1.tokenSecret)).toBe('r6/TJjbCOr97/+UU0NsvSne7s5g=');
    // The RFC's header carries the erratum signature, so verifying it as printed must fail...
    expect(refusal(() => verifySignature('POST', rfcBaseUri(), rfcRequest(), RFC_3_1.consumerSecret, RFC_3_1.tokenSecret))).toBe('signature mismatch');
    // ...and succeed with the corrected one.
    const corrected = RFC_3_1.header.replace('bYT5CMsGcbgUdFHObYMEfcx6bsw%3D', 'r6%2FTJjbCOr97%2F%2BUU0NsvSne7s5g%3D');
    const request = gather(corrected, { query: RFC_3_1.query, body: [...new URLSearchParams(RFC_3_1.body)] });
    expect(() => verifySignature('POST', rfcBaseUri(), request, RFC_3_1.consumerSecret, RFC_3_1.tokenSecret)).not.toThrow();
  });

  it('HMAC-SHA256 over the same request (method named in the parameters)', () => {
    const header = RFC_3_1.header.replace('HMAC-SHA1', 'HMAC-SHA256').replace('bYT5CMsGcbgUdFHObYMEfcx6bsw%3D', percentEncode('ypAxjNip++Dm0fTM+gCl8wAo6ufSnseu1WHxL7py3BU='));
    const request = gather(header, { query: RFC_3_1.query, body: [...new URLSearchParams(RFC_3_1.body)] });
    const baseString = signatureBaseString('POST', rfcBaseUri(), request.params);
    expect(computeSignature('HMAC-SHA256', baseString, RFC_3_1.consumerSecret, RFC_3_1.tokenSecret)).toBe('ypAxjNip++Dm0fTM+gCl8wAo6ufSnseu1WHxL7py3BU=');
    expect(() => verifySignature('POST', rfcBaseUri(), request, RFC_3_1.consumerSecret, RFC_3_1.tokenSecret)).not.toThrow();
  });

  it('§3.4.4: PLAINTEXT is the key itself, accepted over https only', () => {
    expect(computeSignature('PLAINTEXT', 'ignored', RFC_3_1.consumerSecret, RFC_3_1.tokenSecret)).toBe('j49sk3j29djd&dh893hdasih9');
    const header = 'OAuth oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="PLAINTEXT", oauth_signature="j49sk3j29djd%26dh893hdasih9"';
    const request = gather(header);
    expect(request.timestamp).toBeUndefined();
    expect(request.nonce).toBeUndefined();
    expect(() => verifySignature('POST', 'https://example.com/request', request, RFC_3_1.consumerSecret, RFC_3_1.tokenSecret)).not.toThrow();
    expect(refusal(() => verifySignature('POST', 'http://example.com/request', request, RFC_3_1.consumerSecret, RFC_3_1.tokenSecret))).toBe('PLAINTEXT signature over http');
    expect(refusal(() => verifySignature('POST', 'https://example.com/request', request, RFC_3_1.consumerSecret, 'other'))).toBe('signature mismatch');
  });

  it('§1.2: temporary credentials request (callback, no token, empty token secret)', () => {
    const header =
      'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131200", ' +
      'oauth_nonce="wIjqoS", oauth_callback="http%3A%2F%2Fprinter.example.com%2Fready", oauth_signature="74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D"';
    const request = gather(header);
    expect(request.callback).toBe('http://printer.example.com/ready');
    expect(request.signature).toBe('74KNZJeDHnMBp0EMJ9ZHt/XKycU=');
    expect(() => verifySignature('POST', 'https://photos.example.net/initiate', request, PHOTOS.consumerSecret, undefined)).not.toThrow();
  });

  it('§1.2: token request (verifier, temporary token)', () => {
    const header =
      'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="hh5s93j4hdidpola", oauth_signature_method="HMAC-SHA1", ' +
      'oauth_timestamp="137131201", oauth_nonce="walatlh", oauth_verifier="hfdp7dh39dks9884", oauth_signature="gKgrFCywp7rO0OXSjdot%2FIHF7IU%3D"';
    const request = gather(header);
    expect(request.verifier).toBe('hfdp7dh39dks9884');
    expect(() => verifySignature('POST', 'https://photos.example.net/token', request, PHOTOS.consumerSecret, 'hdhd0244k9j7ao03')).not.toThrow();
  });

  describe('§1.2: protected resource request, signed over http', () => {
    const query: ParamPair[] = [['file', 'vacation.jpg'], ['size', 'original']];
    const header = (signature: string) =>
      'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", ' +
      `oauth_timestamp="137131202", oauth_nonce="chapoH", oauth_signature="${percentEncode(signature)}"`;

    it('verifies over http with the origin from the Host header (serverless-offline)', () => {
      const origin = requestOrigin(EMULATED, { domainName: undefined, headers: { host: 'photos.example.net' } });
      const request = gather(header('MdpQcU8iPSUjWoN/UDMsK2sui9I='), { query });
      expect(() => verifySignature('GET', requestBaseStringUri(origin, '/photos'), request, PHOTOS.consumerSecret, 'pfkkdhi9sl3r4s00')).not.toThrow();
    });

    it('signs differently over https (the domain API Gateway reports): the scheme is part of the base string', () => {
      const origin = requestOrigin(GATEWAY, { domainName: 'photos.example.net', headers: {} });
      const baseUri = requestBaseStringUri(origin, '/photos');
      expect(baseUri).toBe('https://photos.example.net/photos');
      expect(() => verifySignature('GET', baseUri, gather(header('91yh92rtXzicpezVYjTDNzieVps='), { query }), PHOTOS.consumerSecret, 'pfkkdhi9sl3r4s00')).not.toThrow();
      expect(refusal(() => verifySignature('GET', baseUri, gather(header('MdpQcU8iPSUjWoN/UDMsK2sui9I='), { query }), PHOTOS.consumerSecret, 'pfkkdhi9sl3r4s00'))).toBe('signature mismatch');
    });
  });

  it('OAuth Core 1.0 Appendix A: oauth_version=1.0 included, parameters in the query', () => {
    const query: ParamPair[] = [
      ['file', 'vacation.jpg'], ['size', 'original'], ['oauth_consumer_key', 'dpf43f3p2l4k3l03'], ['oauth_token', 'nnch734d00sl2jdk'],
      ['oauth_signature_method', 'HMAC-SHA1'], ['oauth_signature', 'tR3+Ty81lMeYAr/Fid0kMTYa/WM='], ['oauth_timestamp', '1191242096'],
      ['oauth_nonce', 'kllo9940pd9333jh'], ['oauth_version', '1.0'],
    ];
    const request = gatherOAuthParameters({ query });
    expect(request).toMatchObject({ location: 'query', version: '1.0' });
    const baseUri = baseStringUri({ scheme: 'http', host: 'photos.example.net', path: '/photos' });
    expect(signatureBaseString('GET', baseUri, request.params)).toBe(
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26' +
        'oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26' +
        'oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal',
    );
    expect(() => verifySignature('GET', baseUri, request, PHOTOS.consumerSecret, 'pfkkdhi9sl3r4s00')).not.toThrow();
  });
});

describe('cross-check with the oauth-1.0a client library', () => {
  const hashFunctions: Record<Exclude<SignatureMethod, 'PLAINTEXT'>, OAuth.HashFunction> = {
    'HMAC-SHA1': (base, key) => createHmac('sha1', key).update(base).digest('base64'),
    'HMAC-SHA256': (base, key) => createHmac('sha256', key).update(base).digest('base64'),
  };

  const text = fc.string({ unit: 'binary', maxLength: 12 });
  // A small pool of names as well as random ones, so that duplicated names are frequent.
  const paramName = fc.oneof(
    fc.constantFrom('a', 'b', 'a3', 'c@', 'x y', 'ü', 'sort', 'q+', '='),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
  ).filter((name) => !name.startsWith('oauth_') && name !== '__proto__');
  const pathSegment = fc.oneof(fc.constantFrom('restapi', '1.0', 'object', 'res.partner', '12', 'a+b', 'x:y', 'i,j'), text);
  const host = fc.constantFrom(
    { sent: 'api.example.com', canonical: 'api.example.com' },
    { sent: 'API.Example.COM', canonical: 'api.example.com' },
    { sent: 'localhost:3000', canonical: 'localhost:3000' },
    { sent: '127.0.0.1:8443', canonical: '127.0.0.1:8443' },
  );

  const scenario = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'get', 'post'),
    scheme: fc.constantFrom('http' as const, 'https' as const),
    host,
    publicBasePath: fc.option(fc.constantFrom('/prod', '/v1/api'), { nil: undefined }),
    segments: fc.array(pathSegment, { maxLength: 4 }),
    params: fc.array(fc.tuple(paramName, text, fc.boolean()), { maxLength: 8 }),
    signatureMethod: fc.constantFrom<SignatureMethod>('HMAC-SHA1', 'HMAC-SHA256', 'PLAINTEXT'),
    placement: fc.constantFrom('header' as const, 'query' as const, 'body' as const),
    consumer: fc.record({ key: fc.string({ minLength: 1, maxLength: 12 }), secret: text }),
    token: fc.option(fc.record({ key: fc.string({ minLength: 1, maxLength: 12 }), secret: text }), { nil: undefined }),
    realm: fc.option(fc.constantFrom('Example', 'Photos Printing'), { nil: undefined }),
    separator: fc.constantFrom(', ', ',', ' ,  ', ',\t'),
  });

  it('verifies whatever the library signs, and refuses it once tampered with', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        // PLAINTEXT is only accepted over https; the rule itself is tested elsewhere.
        const scheme = s.signatureMethod === 'PLAINTEXT' ? 'https' : s.scheme;
        const path = `/${s.segments.map((segment) => (/^[\w.+:,-]*$/.test(segment) ? segment : percentEncode(segment))).join('/')}`;
        const basePath = s.publicBasePath ?? '';
        const client = new OAuth({
          consumer: s.consumer,
          signature_method: s.signatureMethod,
          ...(s.signatureMethod === 'PLAINTEXT' ? {} : { hash_function: hashFunctions[s.signatureMethod] }),
          ...(s.realm === undefined ? {} : { realm: s.realm }),
          parameter_seperator: s.separator,
        });
        // The library merges its data into one object: duplicated names become arrays.
        const grouped = new Map<string, string[]>();
        for (const [name, value] of s.params) grouped.set(name, [...(grouped.get(name) ?? []), value]);
        const data = Object.fromEntries(grouped);
        const signed = client.authorize({ url: `${scheme}://${s.host.canonical}${basePath}${path}`, method: s.method, data }, s.token);

        const query: ParamPair[] = [];
        const body: ParamPair[] = [];
        for (const [name, value, inBody] of s.params) (inBody ? body : query).push([name, value]);
        const oauthPairs: ParamPair[] = Object.entries(signed)
          .filter(([name]) => name.startsWith('oauth_'))
          .map(([name, value]) => [name, String(value)]);
        let header: string | undefined;
        if (s.placement === 'header') header = client.toHeader(signed).Authorization;
        else (s.placement === 'query' ? query : body).push(...oauthPairs);

        // The Host header and the X-Forwarded-Proto of a trusted proxy in front of serverless-offline.
        const headers = { Host: s.host.sent, 'X-Forwarded-Proto': scheme };
        const publicOrigin = s.publicBasePath === undefined ? undefined : parsePublicBaseUrl(`${scheme}://${s.host.canonical}${basePath}`);
        const origin = requestOrigin({ publicOrigin, trustedProxy: true, gatewayEmulated: true }, { domainName: undefined, headers });
        const baseUri = requestBaseStringUri(origin, path);
        const request = gather(header, { query, body });
        expect(request.location).toBe(s.placement);
        expect(request.consumerKey).toBe(s.consumer.key);
        expect(request.token).toBe(s.token?.key || undefined);
        verifySignature(s.method, baseUri, request, s.consumer.secret, s.token?.secret);

        // Another secret, or (but with PLAINTEXT, which signs no request data) one more
        // parameter, and the same signature no longer verifies.
        if (s.signatureMethod !== 'PLAINTEXT') {
          const tampered = { ...request, params: [...request.params, ['extra', ''] as ParamPair] };
          expect(refusal(() => verifySignature(s.method, baseUri, tampered, s.consumer.secret, s.token?.secret))).toBe('signature mismatch');
        }
        expect(refusal(() => verifySignature(s.method, baseUri, request, `${s.consumer.secret}x`, s.token?.secret))).toBe('signature mismatch');
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseOAuthAuthorizationHeader', () => {
  it('reads the parameters in order, decoded, with realm apart', () => {
    expect(parseOAuthAuthorizationHeader('OAuth realm="Example", oauth_nonce="a%20b", oauth_token="", x="%E2%82%AC"')).toEqual({
      realm: 'Example',
      params: [['oauth_nonce', 'a b'], ['oauth_token', ''], ['x', '€']],
    });
  });

  it.each([
    ['OAuth a="1",b="2"'],
    ['oauth a="1", b="2"'],
    ['OAUTH   a = "1" ,  b= "2"  '],
    ['  OAuth\ta="1",\tb="2"'],
    ['OAuth a="1", , b="2",'],
    ['OAuth realm="", a="1", b="2"'],
    ['OAuth a="1", REALM="x y", b="2"'],
  ])('accepts the variant %j', (header) => {
    expect(parseOAuthAuthorizationHeader(header).params).toEqual([['a', '1'], ['b', '2']]);
  });

  it('keeps duplicated parameters, for gatherOAuthParameters to refuse', () => {
    const header = 'OAuth oauth_nonce="1", oauth_nonce="2"';
    expect(parseOAuthAuthorizationHeader(header).params).toEqual([['oauth_nonce', '1'], ['oauth_nonce', '2']]);
    expect(refusal(() => gather(header))).toBe('duplicated protocol parameter oauth_nonce');
  });

  it('takes a value as text, never as code (the original eval-ed it)', () => {
    expect(parseOAuthAuthorizationHeader('OAuth a="__import__(\'os\').system(\'id\')"').params).toEqual([['a', "__import__('os').system('id')"]]);
    expect(parseOAuthAuthorizationHeader('OAuth a="${process.exit(1)}"').params).toEqual([['a', '${process.exit(1)}']]);
  });

  it('reads a realm as an HTTP quoted-string', () => {
    expect(parseOAuthAuthorizationHeader('OAuth realm="a \\"b\\" c"').realm).toBe('a "b" c');
  });

  it('accepts no parameters at all (gathering then refuses)', () => {
    expect(parseOAuthAuthorizationHeader('OAuth')).toEqual({ params: [], realm: undefined });
    expect(refusal(() => gather('OAuth realm="x"'))).toBe('no OAuth parameters');
  });

  it.each([
    ['', 'not an OAuth Authorization header'],
    ['Bearer abc', 'not an OAuth Authorization header'],
    ['Basic YTpi', 'not an OAuth Authorization header'],
    ['OAuthx a="1"', 'not an OAuth Authorization header'],
    ['OAuth,a="1"', 'malformed'],
    ['OAuth a="1', 'malformed'],
    ['OAuth a="1", b', 'malformed'],
    ['OAuth a="1", b=', 'malformed'],
    ['OAuth a=1', 'malformed'],
    ["OAuth a='1'", 'malformed'],
    ['OAuth a="1"b="2"', 'malformed'],
    ['OAuth a="1" b="2"', 'malformed'],
    ['OAuth ="1"', 'malformed'],
    ['OAuth a=="1"', 'malformed'],
    ['OAuth a="x"y"', 'malformed'],
    ['OAuth a="\\"x"', 'malformed'],
    ['OAuth a="x y"', 'malformed'],
    ['OAuth a="é"', 'malformed'],
    ['OAuth a="\u0000"', 'malformed'],
    ['OAuth a="1"\u0000', 'malformed'],
    ['OAuth a="%"', 'invalid percent-encoding'],
    ['OAuth a="%zz"', 'invalid percent-encoding'],
    ['OAuth a="%FF"', 'invalid percent-encoding'],
    ['OAuth a%="1"', 'invalid percent-encoding'],
    ['OAuth realm="x", realm="y"', 'malformed'],
    ['OAuth realm="x\\', 'malformed'],
    ['OAuth realm="x\\\u0001"', 'malformed'],
    ['OAuth realm="x\u0001"', 'malformed'],
    ['OAuth a="1", Bearer abc', 'malformed'],
    ['OAuth a="1", OAuth b="2"', 'malformed'],
    ['OAuth a="1" OAuth b="2"', 'malformed'],
    ['OAuth a="1", Basic YTpi', 'malformed'],
  ])('refuses %j', (header, reason) => {
    expect(refusal(() => parseOAuthAuthorizationHeader(header))).toContain(reason);
  });

  it('refuses a value that is not a string at all (a malformed event)', () => {
    expect(refusal(() => parseOAuthAuthorizationHeader(undefined as unknown as string))).toBe('no Authorization header');
  });

  it('refuses a header over the length bound or with too many parameters', () => {
    expect(refusal(() => parseOAuthAuthorizationHeader(`OAuth a="${'x'.repeat(MAX_AUTHORIZATION_HEADER_LENGTH)}"`))).toBe('Authorization header too long');
    const many = Array.from({ length: 65 }, (_, i) => `p${i}="1"`).join(',');
    expect(refusal(() => parseOAuthAuthorizationHeader(`OAuth ${many}`))).toBe('too many parameters in the Authorization header');
    expect(parseOAuthAuthorizationHeader(`OAuth ${many.slice(0, many.lastIndexOf(','))}`).params).toHaveLength(64);
  });

  it('takes linear time on hostile input just under the bound', () => {
    const hostile = [`OAuth ${','.repeat(8000)}`, `OAuth a="${'%41'.repeat(2700)}"`, `OAuth ${' '.repeat(8000)}a`, `OAuth a="${'\\'.repeat(8000)}`];
    const started = process.hrtime.bigint();
    for (const header of hostile) {
      try {
        parseOAuthAuthorizationHeader(header);
      } catch (error) {
        expect(error).toBeInstanceOf(AuthenticationRequiredError);
      }
    }
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(200);
  });

  it('tells an OAuth header from another scheme', () => {
    expect(hasOAuthScheme('OAuth a="1"')).toBe(true);
    expect(hasOAuthScheme('oauth')).toBe(true);
    expect(hasOAuthScheme('Bearer abc')).toBe(false);
    expect(hasOAuthScheme('OAuthx')).toBe(false);
  });

  const pairs = fc.array(fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 10 })), { maxLength: 6 });
  const validHeader = fc
    .tuple(pairs, fc.constantFrom('OAuth', 'oauth', 'OAUTH'), fc.constantFrom(',', ', ', ' , ', ',\t'), fc.constantFrom('', ' ', '\t'))
    .map(([params, scheme, separator, around]) => ({
      params: params.filter(([name]) => name.toLowerCase() !== 'realm'),
      header: `${scheme} ${params
        .filter(([name]) => name.toLowerCase() !== 'realm')
        .map(([name, value]) => `${percentEncode(name)}${around}=${around}"${percentEncode(value)}"`)
        .join(separator)}`,
    }));

  it('reads back what a well-formed header carries', () => {
    fc.assert(fc.property(validHeader, ({ params, header }) => {
      expect(parseOAuthAuthorizationHeader(header).params).toEqual(params);
    }), { numRuns: 1000 });
  });

  it('returns or throws AuthenticationRequiredError, nothing else, on 10,000 generated and mutated headers', () => {
    const alphabet = fc.constantFrom('O', 'A', 'u', 't', 'h', ' ', '\t', ',', '=', '"', '\\', '%', '4', '1', 'F', 'z', 'r', 'e', 'a', 'l', 'm', '\u0000', '\u00ff', '\ud800', '😀', '\r', '\n');
    const mutation = fc.record({
      op: fc.constantFrom('delete', 'insert', 'replace', 'truncate', 'repeat'),
      position: fc.nat(),
      char: alphabet,
    });
    const mutated = fc.tuple(validHeader, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([{ header }, mutations]) => {
      let out = header;
      for (const { op, position, char } of mutations) {
        const at = out.length === 0 ? 0 : position % (out.length + 1);
        if (op === 'delete') out = out.slice(0, at) + out.slice(at + 1);
        else if (op === 'insert') out = out.slice(0, at) + char + out.slice(at);
        else if (op === 'replace') out = out.slice(0, at) + char + out.slice(at + 1);
        else if (op === 'truncate') out = out.slice(0, at);
        else out = out.slice(0, at) + out.slice(at).repeat(3);
      }
      return out;
    });
    const grammarSoup = fc.array(alphabet, { maxLength: 40 }).map((chars) => `OAuth ${chars.join('')}`);
    const anything = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii' }), fc.string());
    let returned = 0;
    fc.assert(
      fc.property(fc.oneof(validHeader.map(({ header }) => header), mutated, grammarSoup, anything), (header) => {
        let result;
        try {
          result = parseOAuthAuthorizationHeader(header);
        } catch (error) {
          if (!(error instanceof AuthenticationRequiredError)) throw error;
          return;
        }
        returned++;
        expect(result.params.length).toBeLessThanOrEqual(64);
        for (const pair of result.params) {
          expect(pair).toHaveLength(2);
          expect(typeof pair[0]).toBe('string');
          expect(typeof pair[1]).toBe('string');
        }
      }),
      { numRuns: 10_000 },
    );
    // Both outcomes are exercised, not only refusals.
    expect(returned).toBeGreaterThan(1000);
  });
});

describe('gatherOAuthParameters', () => {
  const valid: ParamPair[] = [
    ['oauth_consumer_key', 'ck'], ['oauth_token', 'tk'], ['oauth_signature_method', 'HMAC-SHA1'], ['oauth_signature', 'sig'],
    ['oauth_timestamp', '1700000000'], ['oauth_nonce', 'n1'],
  ];
  const without = (name: string) => valid.filter(([n]) => n !== name);
  const replacing = (name: string, value: string) => valid.map(([n, v]): ParamPair => [n, n === name ? value : v]);

  it('returns the protocol parameters and every parameter for the base string', () => {
    const request = gatherOAuthParameters({ query: [['a', '1'], ['a', '1']], header: valid, body: [['b', '']] });
    expect(request).toEqual({
      consumerKey: 'ck', token: 'tk', signatureMethod: 'HMAC-SHA1', signature: 'sig', timestamp: 1700000000, nonce: 'n1',
      verifier: undefined, callback: undefined, version: undefined, location: 'header',
      params: [['a', '1'], ['a', '1'], ...valid, ['b', '']],
    });
  });

  it('accepts the parameters in the query or the body as well', () => {
    expect(gatherOAuthParameters({ query: valid }).location).toBe('query');
    expect(gatherOAuthParameters({ body: valid, query: [['x', '1']] }).location).toBe('body');
  });

  it('treats an empty oauth_token as no token (two-legged)', () => {
    expect(gatherOAuthParameters({ header: replacing('oauth_token', '') }).token).toBeUndefined();
    expect(gatherOAuthParameters({ header: without('oauth_token') }).token).toBeUndefined();
  });

  it.each([
    ['a duplicated protocol parameter', { header: [...valid, ['oauth_nonce', 'n2']] }, 'duplicated protocol parameter oauth_nonce'],
    ['a duplicated unknown oauth_ parameter', { header: [...valid, ['oauth_x', '1'], ['oauth_x', '1']] }, 'duplicated protocol parameter oauth_x'],
    ['a duplicated oddly named parameter, not echoed', { header: [...valid, ['oauth_<b>', '1'], ['oauth_<b>', '1']] }, 'duplicated protocol parameter an oauth_ parameter'],
    ['parameters in the header and the query', { header: without('oauth_nonce'), query: [['oauth_nonce', 'n1']] }, 'OAuth parameters in more than one location'],
    ['parameters in the query and the body', { query: without('oauth_nonce'), body: [['oauth_nonce', 'n1']] }, 'OAuth parameters in more than one location'],
    ['no parameters', { query: [['a', '1']] }, 'no OAuth parameters'],
    ['oauth_version 2.0', { header: [...valid, ['oauth_version', '2.0']] }, 'unsupported oauth_version'],
    ['oauth_version empty', { header: [...valid, ['oauth_version', '']] }, 'unsupported oauth_version'],
    ['oauth_version 1.0a', { header: [...valid, ['oauth_version', '1.0a']] }, 'unsupported oauth_version'],
    ['RSA-SHA1', { header: replacing('oauth_signature_method', 'RSA-SHA1') }, 'unsupported oauth_signature_method'],
    ['an unknown method', { header: replacing('oauth_signature_method', 'HMAC-MD5') }, 'unsupported oauth_signature_method'],
    ['a method in the wrong case', { header: replacing('oauth_signature_method', 'hmac-sha1') }, 'unsupported oauth_signature_method'],
    ['no consumer key', { header: without('oauth_consumer_key') }, 'missing oauth_consumer_key'],
    ['an empty consumer key', { header: replacing('oauth_consumer_key', '') }, 'missing oauth_consumer_key'],
    ['no signature method', { header: without('oauth_signature_method') }, 'missing oauth_signature_method'],
    ['no signature', { header: without('oauth_signature') }, 'missing oauth_signature'],
    ['no nonce', { header: without('oauth_nonce') }, 'missing oauth_nonce'],
    ['no timestamp', { header: without('oauth_timestamp') }, 'missing oauth_timestamp'],
    ['a decimal timestamp', { header: replacing('oauth_timestamp', '1700000000.5') }, 'oauth_timestamp is not a positive integer'],
    ['a negative timestamp', { header: replacing('oauth_timestamp', '-1700000000') }, 'oauth_timestamp is not a positive integer'],
    ['a zero timestamp', { header: replacing('oauth_timestamp', '0') }, 'oauth_timestamp is not a positive integer'],
    ['a timestamp with leading zeros', { header: replacing('oauth_timestamp', '01700000000') }, 'oauth_timestamp is not a positive integer'],
    ['an exponent timestamp', { header: replacing('oauth_timestamp', '1e9') }, 'oauth_timestamp is not a positive integer'],
    ['a spaced timestamp', { header: replacing('oauth_timestamp', ' 1700000000') }, 'oauth_timestamp is not a positive integer'],
    ['a huge timestamp', { header: replacing('oauth_timestamp', '9'.repeat(20)) }, 'oauth_timestamp is not a positive integer'],
    ['a huge nonce', { header: replacing('oauth_nonce', 'n'.repeat(257)) }, 'oauth_nonce too long'],
    ['a huge consumer key', { header: replacing('oauth_consumer_key', 'k'.repeat(513)) }, 'oauth_consumer_key too long'],
  ] as [string, OAuthParameterSources, string][])('refuses %s', (_, sources, reason) => {
    expect(refusal(() => gatherOAuthParameters(sources))).toBe(reason);
  });

  it('does not require a timestamp or nonce with PLAINTEXT, but checks a timestamp that is sent', () => {
    const plaintext = replacing('oauth_signature_method', 'PLAINTEXT').filter(([n]) => n !== 'oauth_nonce' && n !== 'oauth_timestamp');
    expect(gatherOAuthParameters({ header: plaintext })).toMatchObject({ signatureMethod: 'PLAINTEXT', timestamp: undefined, nonce: undefined });
    expect(refusal(() => gatherOAuthParameters({ header: [...plaintext, ['oauth_timestamp', 'soon']] }))).toBe('oauth_timestamp is not a positive integer');
  });

  it('never puts the signature or a secret in a reason', () => {
    const secretish = 'S3cr3tS1gnature';
    const reasons = [
      refusal(() => gatherOAuthParameters({ header: [...replacing('oauth_signature', secretish), ['oauth_signature', secretish]] })),
      refusal(() => gatherOAuthParameters({ header: replacing('oauth_signature_method', secretish) })),
      refusal(() => gatherOAuthParameters({ header: [...valid, ['oauth_version', secretish]] })),
      refusal(() => gatherOAuthParameters({ header: [...valid, [`oauth_${secretish}`, '1'], [`oauth_${secretish}`, '1']] })),
    ];
    for (const reason of reasons) expect(reason).not.toContain(secretish);
  });

  it('turns API Gateway multi-value query parameters into pairs', () => {
    expect(queryPairs({ a: ['1', '2'], b: [''], c: undefined })).toEqual([['a', '1'], ['a', '2'], ['b', '']]);
    expect(queryPairs(null)).toEqual([]);
  });
});

describe('the base string URI', () => {
  it.each([
    [{ scheme: 'http', host: 'EXAMPLE.COM:80', path: '/r%20v/X' }, 'http://example.com/r%20v/X'],
    [{ scheme: 'https', host: 'www.example.net:8080', path: '/' }, 'https://www.example.net:8080/'],
    [{ scheme: 'HTTPS', host: 'Example.com:443', path: '' }, 'https://example.com/'],
    [{ scheme: 'http', host: 'example.com:443', path: '/a' }, 'http://example.com:443/a'],
    [{ scheme: 'https', host: 'example.com:80', path: '/a' }, 'https://example.com:80/a'],
    [{ scheme: 'https', host: '[::1]:8443', path: '/a' }, 'https://[::1]:8443/a'],
    [{ scheme: 'https', host: 'h', path: '/a%7eb/%2f/%41' }, 'https://h/a~b/%2F/A'],
    [{ scheme: 'https', host: 'h', path: '/a b/é/😀' }, 'https://h/a%20b/%C3%A9/%F0%9F%98%80'],
    [{ scheme: 'https', host: 'h', path: "/a+b:c@d,e;f=g!$&'()*" }, "https://h/a+b:c@d,e;f=g!$&'()*"],
    [{ scheme: 'https', host: 'h', path: '/%2B/%C3%A9' }, 'https://h/%2B/%C3%A9'],
  ])('%j -> %s', (parts, expected) => {
    expect(baseStringUri(parts)).toBe(expected);
    // Normal form: a second pass changes nothing.
    const again = new URL(expected);
    expect(baseStringUri({ scheme: again.protocol.slice(0, -1), host: again.host, path: expected.slice(expected.indexOf('/', 8)) })).toBe(expected);
  });

  it.each([
    [{ scheme: 'ftp', host: 'h', path: '/' }, 'unsupported URI scheme'],
    [{ scheme: 'https', host: 'h', path: 'relative' }, 'path does not start with "/"'],
    [{ scheme: 'https', host: 'h', path: '/%zz' }, 'invalid percent-encoding in the path'],
    [{ scheme: 'https', host: 'h', path: '/%4' }, 'invalid percent-encoding in the path'],
    [{ scheme: 'https', host: 'h:0', path: '/' }, 'invalid port'],
    [{ scheme: 'https', host: 'h:70000', path: '/' }, 'invalid port'],
    [{ scheme: 'https', host: 'h:', path: '/' }, 'invalid host'],
    [{ scheme: 'https', host: 'user@h', path: '/' }, 'invalid host'],
    [{ scheme: 'https', host: 'h/x', path: '/' }, 'invalid host'],
    [{ scheme: 'https', host: '', path: '/' }, 'invalid host'],
  ])('refuses %j', (parts, reason) => {
    expect(refusal(() => baseStringUri(parts))).toBe(reason);
  });

  it('takes the origin from a configured public base URL, base path included', () => {
    const origin = parsePublicBaseUrl('https://API.example.com:443/prod/');
    expect(origin).toEqual({ scheme: 'https', host: 'api.example.com', basePath: '/prod' });
    // The configured origin wins over whatever API Gateway or the headers say, in every mode.
    const headers = { Host: 'internal:8080', 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'other.example' };
    for (const mode of [{}, { trustedProxy: true }, { gatewayEmulated: true }]) {
      expect(requestOrigin({ publicOrigin: origin, ...mode }, { domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', headers })).toBe(origin);
    }
    expect(requestBaseStringUri(origin, '/restapi/1.0/object/res.partner')).toBe('https://api.example.com/prod/restapi/1.0/object/res.partner');
    expect(parsePublicBaseUrl('http://localhost:3000')).toEqual({ scheme: 'http', host: 'localhost:3000', basePath: '' });
  });

  it.each(['not a url', 'ftp://x', 'https://x/?a=1', 'https://x/#f', 'https://u:p@x/'])('refuses the configured base URL %j with a plain Error', (url) => {
    const error = thrown(() => parsePublicBaseUrl(url));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(AuthenticationRequiredError);
  });

  describe('without a public base URL', () => {
    const DOMAIN = 'abc123.execute-api.eu-west-1.amazonaws.com';
    /** Everything a client could send to name another origin. */
    const SPOOFED = { Host: 'other.example', 'X-Forwarded-Host': 'other.example', 'X-Forwarded-Proto': 'http' };

    it('takes https and the domain API Gateway reports, whatever the Host and X-Forwarded-* headers say', () => {
      expect(requestOrigin(GATEWAY, { domainName: DOMAIN, headers: SPOOFED })).toEqual({ scheme: 'https', host: DOMAIN, basePath: '' });
      expect(requestOrigin(GATEWAY, { domainName: 'api.example.com', headers: { 'X-Forwarded-Proto': 'https', Host: 'h' } })).toEqual({ scheme: 'https', host: 'api.example.com', basePath: '' });
    });

    it('refuses a request for which API Gateway reported no domain name, saying to set PUBLIC_BASE_URL', () => {
      for (const domainName of [undefined, '']) {
        expect(refusal(() => requestOrigin(GATEWAY, { domainName, headers: { Host: 'h' } }))).toBe('API Gateway reported no domain name (set PUBLIC_BASE_URL to the URL clients sign for)');
      }
    });

    it("with a trusted proxy (TRUSTED_PROXY), takes X-Forwarded-Host and -Proto: the last element of each, the proxy's own, any header case", () => {
      const trusted: OriginSettings = { publicOrigin: undefined, trustedProxy: true };
      const appended = { 'x-forwarded-proto': 'http, HTTPS', 'X-Forwarded-Host': 'spoofed.example, pub.example.com', host: DOMAIN };
      expect(requestOrigin(trusted, { domainName: DOMAIN, headers: appended })).toEqual({ scheme: 'https', host: 'pub.example.com', basePath: '' });
      expect(requestOrigin(trusted, { domainName: DOMAIN, headers: { 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'pub.example.com:8443' } })).toEqual({ scheme: 'http', host: 'pub.example.com:8443', basePath: '' });
      // Without them (or blank), what API Gateway reports.
      expect(requestOrigin(trusted, { domainName: DOMAIN, headers: { 'X-Forwarded-Host': ' ' } })).toEqual({ scheme: 'https', host: DOMAIN, basePath: '' });
      expect(refusal(() => requestOrigin(trusted, { domainName: DOMAIN, headers: { 'X-Forwarded-Proto': 'gopher' } }))).toBe('unsupported URI scheme');
    });

    it('under serverless-offline (IS_OFFLINE), takes http and the Host header, never X-Forwarded-* without a trusted proxy', () => {
      const placeholder = 'random-api-id.execute-api.us-east-1.amazonaws.com';
      expect(requestOrigin(EMULATED, { domainName: placeholder, headers: { HOST: '127.0.0.1:3000', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'other.example' } })).toEqual({
        scheme: 'http', host: '127.0.0.1:3000', basePath: '',
      });
      expect(requestOrigin({ ...EMULATED, trustedProxy: true }, { domainName: placeholder, headers: { Host: '127.0.0.1:3000', 'X-Forwarded-Proto': 'https' } })).toEqual({
        scheme: 'https', host: '127.0.0.1:3000', basePath: '',
      });
      expect(refusal(() => requestOrigin(EMULATED, { domainName: placeholder, headers: {} }))).toBe('no Host header');
      expect(refusal(() => requestOrigin(EMULATED, { domainName: placeholder, headers: null }))).toBe('no Host header');
    });
  });
});

describe('signatures', () => {
  it('sorts by encoded name then encoded value, in byte order, and leaves oauth_signature out', () => {
    const params: ParamPair[] = [['b', '2'], ['a', 'z'], ['a', 'Z'], ['a', 'z'], ['A', '1'], ['a', ''], ['oauth_signature', 'x'], ['ä', '1'], ['a~', '1'], ['a b', '1']];
    const baseString = signatureBaseString('get', 'https://h/', params);
    expect(decodeURIComponent(baseString.split('&')[2] as string)).toBe('%C3%A4=1&A=1&a=&a=Z&a=z&a=z&a%20b=1&a~=1&b=2');
    expect(baseString.startsWith('GET&https%3A%2F%2Fh%2F&')).toBe(true);
  });

  it('keys HMAC with an ampersand even without a token secret', () => {
    const expected = createHmac('sha1', 'c%26s&').update('base').digest('base64');
    expect(computeSignature('HMAC-SHA1', 'base', 'c&s', undefined)).toBe(expected);
    expect(computeSignature('HMAC-SHA1', 'base', 'c&s', '')).toBe(expected);
    expect(computeSignature('PLAINTEXT', 'base', 'c&s', undefined)).toBe('c%26s&');
  });

  it('compares signatures of any lengths without throwing', () => {
    expect(signatureMatches('abc', 'abc')).toBe(true);
    expect(signatureMatches('abc', 'abd')).toBe(false);
    expect(signatureMatches('abc', '')).toBe(false);
    expect(signatureMatches('', '')).toBe(true);
    expect(signatureMatches('r6/TJjbCOr97/+UU0NsvSne7s5g=', 'r6/TJjbCOr97/+UU0NsvSne7s5g=x')).toBe(false);
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => signatureMatches(a, b) === (a === b)));
  });

  it('refuses PLAINTEXT unless the base string URI is https', () => {
    expect(() => assertPlaintextOverHttps('PLAINTEXT', 'https://h/')).not.toThrow();
    expect(refusal(() => assertPlaintextOverHttps('PLAINTEXT', 'http://h/'))).toBe('PLAINTEXT signature over http');
    expect(() => assertPlaintextOverHttps('HMAC-SHA1', 'http://h/')).not.toThrow();
    const request = gatherOAuthParameters({ header: [['oauth_consumer_key', 'ck'], ['oauth_signature_method', 'PLAINTEXT'], ['oauth_signature', 'cs&']] });
    // A client's X-Forwarded-Proto makes no http request https (here serverless-offline, without a trusted proxy).
    const origin = requestOrigin(EMULATED, { domainName: undefined, headers: { Host: 'h', 'X-Forwarded-Proto': 'https' } });
    expect(refusal(() => verifySignature('GET', requestBaseStringUri(origin, '/'), request, 'cs', undefined))).toBe('PLAINTEXT signature over http');
  });
});

describe('freshness', () => {
  it('accepts a timestamp within the window either side, and refuses one outside', () => {
    expect(() => checkTimestamp(1000, 1000, 600)).not.toThrow();
    expect(() => checkTimestamp(400, 1000, 600)).not.toThrow();
    expect(() => checkTimestamp(1600, 1000, 600)).not.toThrow();
    expect(refusal(() => checkTimestamp(399, 1000, 600))).toBe('oauth_timestamp outside the allowed window');
    expect(refusal(() => checkTimestamp(1601, 1000, 600))).toBe('oauth_timestamp outside the allowed window');
    expect(refusal(() => checkTimestamp(Number.NaN, 1000, 600))).toBe('oauth_timestamp outside the allowed window');
  });

  it('keys a nonce on decoded values: %61bc in a header is the nonce abc', () => {
    const header = (nonce: string) => `OAuth oauth_consumer_key="ck", oauth_signature_method="HMAC-SHA1", oauth_signature="s", oauth_timestamp="5", oauth_nonce="${nonce}"`;
    const encoded = gather(header('%61bc'));
    const plain = gather(header('abc'));
    expect(encoded.nonce).toBe('abc');
    expect(nonceKey(encoded.consumerKey, encoded.token, encoded.timestamp as number, encoded.nonce as string)).toBe(nonceKey('ck', undefined, 5, 'abc'));
    // And indeed both sign the same base string: the replay the key must catch.
    expect(signatureBaseString('GET', 'https://h/', encoded.params)).toBe(signatureBaseString('GET', 'https://h/', plain.params));
  });

  it('never gives two different tuples the same key', () => {
    const tricky: [string, string | undefined, number, string][] = [
      ['a#b', 'c', 1, 'n'], ['a', 'b#c', 1, 'n'], ['a&b', 'c', 1, 'n'], ['a', 'b&c', 1, 'n'], ['a', '', 1, 'n&1'],
      ['a', 'b', 1, 'n'], ['a', 'b', 11, 'n'], ['a', 'b1', 1, 'n'], ['a', 'b', 1, '1n'], ['a%26b', 'c', 1, 'n'], ['a', undefined, 1, 'n'],
    ];
    const keys = new Set(tricky.map((tuple) => nonceKey(...tuple)));
    expect(keys.size).toBe(tricky.length);
    expect(nonceKey('a', undefined, 1, 'n')).toBe(nonceKey('a', '', 1, 'n'));
    expect(nonceKey('a', 'b', 1, 'n')).toMatch(/^[0-9a-f]{64}$/);

    const tuple = fc.tuple(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 2 ** 40 }), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(tuple, tuple, (a, b) => {
        const same = a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
        return (nonceKey(...a) === nonceKey(...b)) === same;
      }),
      { numRuns: 2000 },
    );
    // The collisions worth hunting: the same characters with a boundary moved across a separator.
    const separator = fc.constantFrom('&', '#', '%26', ':', '');
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), separator, (p, q, r, sep) => {
        const left = nonceKey(p + sep + q, r, 1, 'n');
        const right = nonceKey(p, q + sep + r, 1, 'n');
        return (left === right) === (p + sep + q === p && r === q + sep + r);
      }),
      { numRuns: 2000 },
    );
  });
});
