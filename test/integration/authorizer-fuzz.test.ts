/**
 * The authorizer against malformed credentials: at least 10,000 generated Authorization headers
 * (truncated, wrongly quoted, huge, binary, several schemes at once, mutations of valid ones) and
 * query parameters, run through the real authorizer logic over DynamoDB Local. The only
 * acceptable outcome for each is the `Unauthorized` API Gateway turns into a 401: never another
 * error (a 500) and never an Allow.
 */
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import OAuth from 'oauth-1.0a';
import { createClient, getClient } from '../../lib/auth/admin';
import { authorizeRequest, type AuthorizerDeps } from '../../lib/auth/authorizer';
import { keyRingFrom } from '../../lib/auth/keys';
import { createLogger, type Logger } from '../../lib/runtime/log';
import { issueOAuth1AccessToken } from '../../lib/auth/oauth1/flow';
import { oauth2TokenEndpoint, basicTokenEndpoint } from '../../lib/auth/oauth2';
import { createUser } from '../../lib/auth/users';
import { freshStores } from '../helpers/local';
import { runAuthorizer } from '../../lib/http';

/** The authorizer as its handler runs it: API Gateway's event in, its policy (or `Unauthorized`) out. */
const authorizeEvent = (deps: AuthorizerDeps, log: Logger, event: APIGatewayRequestAuthorizerEvent) =>
  runAuthorizer(event, (request) => authorizeRequest(deps, log, request));

let stores: Awaited<ReturnType<typeof freshStores>>;
let deps: AuthorizerDeps;
const valid: { bearer: string; basic: string; oauth: string } = { bearer: '', basic: '', oauth: '' };
const logged: string[] = [];
const log = createLogger({ service: 'fuzz' }, (line) => logged.push(line));

const URL_PATH = '/restapi/1.0/object/res.partner';

function event(authorization: string | undefined, query: Record<string, string[]> = {}): APIGatewayRequestAuthorizerEvent {
  const headers: Record<string, string> = { Host: 'api.test' };
  if (authorization !== undefined) headers.Authorization = authorization;
  return {
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:api/prod/GET/restapi/1.0/object/res.partner',
    resource: '/restapi/1.0/object/{model}',
    path: URL_PATH,
    httpMethod: 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    pathParameters: { model: 'res.partner' },
    queryStringParameters: Object.fromEntries(Object.entries(query).map(([name, values]) => [name, values[0] ?? ''])),
    multiValueQueryStringParameters: query,
    stageVariables: null,
    requestContext: { path: URL_PATH, requestId: 'fuzz', domainName: 'api.test' } as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}

beforeAll(async () => {
  stores = await freshStores();
  const keys = keyRingFrom(randomBytes(32));
  const tokens = { store: stores.auth, accessTokenValidity: 1800 };
  deps = { store: stores.auth, tokens, oauth1: { store: stores.auth, keys: async () => keys, publicOrigin: undefined, timestampWindow: 300 } };
  await createUser(stores.auth, { userId: 1, login: 'admin', name: 'Administrator', groups: ['base.group_system'] });
  const oauth2 = await createClient(stores.auth, undefined, { userId: 1, name: 'fuzz oauth2', accessType: 'oauth2' });
  const basic = await createClient(stores.auth, undefined, { userId: 1, name: 'fuzz basic', accessType: 'basic' });
  const oauth1 = await createClient(stores.auth, keys, { userId: 1, name: 'fuzz oauth1', accessType: 'oauth1' });
  valid.bearer = `Bearer ${(await oauth2TokenEndpoint(tokens, new Map(), oauth2)).access_token}`;
  valid.basic = `Basic ${(await basicTokenEndpoint(tokens, new Map(), basic)).access_token}`;
  const token = await issueOAuth1AccessToken(stores.auth, keys, await getClient(stores.auth, oauth1.clientId), 1);
  const signer = new OAuth({
    consumer: { key: oauth1.clientId, secret: oauth1.clientSecret },
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
  });
  valid.oauth = signer.toHeader(signer.authorize({ url: `https://api.test${URL_PATH}`, method: 'GET' }, { key: token.oauth_token, secret: token.oauth_token_secret })).Authorization;
});

afterAll(() => stores.client.destroy());

/** RFC 7235 forms of the same credentials: the scheme is case-insensitive, spaces around the token are free. */
const canonical = (header: string) => header.replace(/^ *([A-Za-z]+) +/, (_all, scheme: string) => `${scheme.toLowerCase()} `).replace(/ +$/, '');

async function outcome(authorization: string | undefined, query?: Record<string, string[]>): Promise<string> {
  try {
    const result = await authorizeEvent(deps, log, event(authorization, query));
    return `allowed ${JSON.stringify(result.context)}`;
  } catch (error) {
    return error instanceof Error ? error.message : `threw ${String(error)}`;
  }
}

describe('the authorizer, fuzzed', () => {
  it('allows the valid credentials the fuzzing starts from (so the refusals below mean something)', async () => {
    expect(await outcome(valid.bearer)).toMatch(/^allowed .*"scheme":"oauth2"/);
    expect(await outcome(valid.basic)).toMatch(/^allowed .*"scheme":"basic"/);
    expect(await outcome(valid.oauth)).toMatch(/^allowed .*"scheme":"oauth1"/);
  });

  it('answers Unauthorized, and nothing else, to 10,000+ malformed Authorization headers', async () => {
    const seeds = () => fc.constantFrom(valid.bearer, valid.basic, valid.oauth);
    const mutated = fc.tuple(seeds(), fc.nat(), fc.nat(), fc.string({ maxLength: 8 })).map(([seed, at, length, insert]) => {
      const start = at % (seed.length + 1);
      return seed.slice(0, start) + insert + seed.slice(start + (length % 4));
    });
    const header = fc.oneof(
      { arbitrary: mutated, weight: 4 },
      // Truncated.
      { arbitrary: fc.tuple(seeds(), fc.nat()).map(([seed, cut]) => seed.slice(0, cut % seed.length)), weight: 2 },
      // Several schemes at once.
      { arbitrary: fc.array(seeds(), { minLength: 2, maxLength: 3 }).map((parts) => parts.join(', ')), weight: 1 },
      // Wrong quoting in OAuth headers.
      { arbitrary: fc.constantFrom("'", '"', '""', '\\"', '=', ',').map((quote) => valid.oauth.replace(/"/g, quote)), weight: 1 },
      // Binary and control characters; any Unicode.
      { arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')), weight: 1 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 300 }), weight: 1 },
      // Huge.
      { arbitrary: fc.tuple(fc.constantFrom('Bearer ', 'Basic ', 'OAuth oauth_consumer_key="', ''), fc.integer({ min: 500, max: 20_000 })).map(([prefix, size]) => prefix + 'A'.repeat(size)), weight: 1 },
      // Scheme-only and whitespace.
      { arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'Basic', 'OAuth', 'OAuth ', ' ', '', 'Bearer  x y', 'bearer\tx'), weight: 1 },
    );
    const query = fc.option(fc.dictionary(fc.constantFrom('oauth_signature', 'oauth_consumer_key', 'oauth_token', 'oauth_nonce', 'ids', 'x'), fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 2 })), { nil: undefined });
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(header, query, async (authorization, params) => {
        // A mutation may leave a valid header (extra spaces, the scheme's case): those are not malformed.
        fc.pre(![valid.bearer, valid.basic].map(canonical).includes(canonical(authorization)));
        const result = await outcome(authorization, params ?? {});
        outcomes.set(result, (outcomes.get(result) ?? 0) + 1);
        return result === 'Unauthorized';
      }),
      { numRuns: 10_000 },
    );
    expect([...outcomes.keys()]).toStrictEqual(['Unauthorized']);
    expect(outcomes.get('Unauthorized')).toBeGreaterThanOrEqual(10_000);
  });

  it('never logged a token, a secret, a signature or an Authorization header', () => {
    const text = logged.join('\n');
    for (const secret of [valid.bearer.slice(7), valid.basic.slice(6), /oauth_signature="([^"]+)"/.exec(valid.oauth)?.[1] ?? 'none']) expect(text).not.toContain(secret);
    // One line per refusal at least: the reasons are logged, the credentials are not.
    expect(logged.filter((line) => line.includes('"message":"unauthorized"')).length).toBeGreaterThanOrEqual(10_000);
  });
});
