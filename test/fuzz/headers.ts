/**
 * The small parsers of request text: `ids` (lib/object-api/params.ts), the Accept header (lib/http/negotiate.ts),
 * OAuth 1.0a Authorization headers and protocol parameters (lib/auth/oauth1/signature.ts), and Bearer/Basic
 * Authorization headers (lib/auth/oauth2.ts). Each: well-formed input gives exactly what it says;
 * anything else gives a value with the documented shape or the documented error, nothing else.
 */
import fc from 'fast-check';
import { AuthenticationRequiredError, InvalidIdsError, OAuthError } from '../../lib/errors';
import { JSON_TYPE, negotiate } from '../../lib/http';
import { gatherOAuthParameters, parseOAuthAuthorizationHeader, SIGNATURE_METHODS, type OAuthParameterSources, type ParamPair } from '../../lib/auth/oauth1/signature';
import { queryPairs } from '../../lib/http';
import { clientCredentialsFromBasicHeader, parseTokenHeader } from '../../lib/auth/oauth2';
import { idsFromValue, parseIds } from '../../lib/object-api/params';
import type { PyValue } from '../../lib/wire/pyvalue';
import { anyTextArb, mutatedArb, soupArb } from './mutate';
import { pyValueArb } from './pyvalues';
import { defineTarget, expectEqual, fail, outcome, show } from './target';

const MAX_ID = 2 ** 31 - 1;

/** Whitespace String.prototype.trim removes (what parseIds allows around an id). */
const trimmable = fc.constantFrom('', '', ' ', '  ', '\t', '\n', '\u00a0', '\ufeff', '\u2028', '\u3000');

// ---------------------------------------------------------------------------------------------
// ids

export type IdsCase =
  | { readonly kind: 'valid'; readonly ids: readonly number[]; readonly text: string }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly value: PyValue };

const idArb = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: MAX_ID }), fc.constantFrom(1, MAX_ID, MAX_ID - 1));

const validIdsArb = fc
  .array(fc.tuple(idArb, trimmable, trimmable), { minLength: 1, maxLength: 12 })
  .chain((items) => fc.tuple(fc.constant(items), fc.array(fc.nat(items.length - 1), { maxLength: 4 })))
  .map(([items, repeats]): IdsCase => {
    // Duplicates, anywhere after their first position, collapse.
    const all = [...items, ...repeats.map((i) => items[i] as (typeof items)[number])];
    return { kind: 'valid', ids: [...new Set(all.map(([id]) => id))], text: all.map(([id, before, after]) => `${before}${id}${after}`).join(',') };
  });

const IDS_TOKENS = fc.constantFrom('1', '7', '17', '0', '00', '01', ',', ',,', ' ', '\t', '-', '+', '.', 'e', '1e3', '0x1F', '2147483647', '2147483648', '9'.repeat(30), '١', '٣', '\u00a0', '\ufeff', 'a', '[', ']', 'None', '\0', '😀', '\ud800');

export const idsCaseArb: fc.Arbitrary<IdsCase> = fc.oneof(
  { arbitrary: validIdsArb, weight: 3 },
  { arbitrary: fc.oneof(anyTextArb, soupArb(IDS_TOKENS, 30), mutatedArb(validIdsArb.map((c) => (c.kind === 'valid' ? c.text : '')), { tokens: IDS_TOKENS, pairs: [['[', ']']] })).map((text): IdsCase => ({ kind: 'text', text })), weight: 4 },
  {
    arbitrary: fc
      .oneof(pyValueArb({ maxDepth: 3 }), fc.array(fc.oneof(idArb, fc.integer(), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map((b) => (Number.isSafeInteger(Number(b)) ? Number(b) : b))), { maxLength: 6 }))
      .map((value): IdsCase => ({ kind: 'value', value })),
    weight: 2,
  },
);

function checkIds(label: string, ids: readonly number[]): void {
  if (!Array.isArray(ids) || ids.length === 0) fail(`${label}: returned ${show(ids)}, not a non-empty list`);
  for (const id of ids) if (!Number.isSafeInteger(id) || id < 1 || id > MAX_ID) fail(`${label}: id ${String(id)} is not a positive int4`);
  if (new Set(ids).size !== ids.length) fail(`${label}: duplicates in ${show(ids)}`);
}

export function checkIdsCase(input: IdsCase): void {
  const errors = [[InvalidIdsError, 400]] as const;
  if (input.kind === 'value') {
    const result = outcome('idsFromValue', () => idsFromValue(input.value), errors);
    if (result.ok) checkIds('idsFromValue', result.value);
    return;
  }
  const result = outcome('parseIds', () => parseIds(input.text), errors);
  const fromValue = outcome('idsFromValue of the text', () => idsFromValue(input.text), errors);
  if (result.ok !== fromValue.ok) fail(`parseIds and idsFromValue disagree on ${show(input.text)}`);
  if (result.ok && fromValue.ok) expectEqual(`idsFromValue(${show(input.text)})`, fromValue.value, result.value);
  if (result.ok) {
    checkIds('parseIds', result.value);
    // Each id is one comma-separated element, as written: the elements, trimmed, first occurrences.
    const expected = [...new Set(input.text.split(',').map((element) => Number(element.trim())))];
    expectEqual(`parseIds(${show(input.text)})`, result.value, expected);
  }
  if (input.kind === 'valid') {
    if (!result.ok) fail(`parseIds refused ${show(input.text)}: ${result.error.message}`);
    expectEqual(`parseIds(${show(input.text)})`, result.value, input.ids);
    const asList = outcome('idsFromValue of the list', () => idsFromValue([...input.ids]), errors);
    if (!asList.ok) fail(`idsFromValue refused ${show(input.ids)}: ${asList.error.message}`);
    expectEqual('idsFromValue of the list', asList.value, input.ids);
  }
}

export const idsTarget = defineTarget('ids', "ids=17,20 text gives its positive ids once each; anything else gives InvalidIdsError (400)", idsCaseArb, checkIdsCase);

// ---------------------------------------------------------------------------------------------
// Accept

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  /** The q parameter as written, or undefined for none (q=1). */
  readonly q: string | undefined;
  readonly params: readonly string[];
}

export type AcceptCase = { readonly kind: 'wellformed'; readonly ranges: readonly MediaRange[]; readonly header: string } | { readonly kind: 'text'; readonly header: string | undefined };

const TYPES = fc.constantFrom(
  ['application', 'json'],
  ['application', 'xml'],
  ['text', 'xml'],
  ['text', '*'],
  ['application', '*'],
  ['*', '*'],
  ['text', 'html'],
  ['text', 'plain'],
  ['image', 'png'],
  ['application', 'xhtml+xml'],
  ['application', 'vnd.api+json'],
);
const caseOf = (text: string, upper: boolean) => (upper ? text.toUpperCase() : text);

const mediaRangeArb: fc.Arbitrary<MediaRange> = fc
  .tuple(TYPES, fc.boolean(), fc.option(fc.constantFrom('0', '0.0', '0.001', '0.1', '0.5', '0.85', '0.9', '0.999', '1', '1.0', '1.000'), { nil: undefined }), fc.array(fc.constantFrom('charset=utf-8', 'level=1', 'version=2'), { maxLength: 2 }))
  .map(([[type, subtype], upper, q, params]) => ({ type: caseOf(type as string, upper), subtype: caseOf(subtype as string, upper), q, params }));

const OWS = fc.constantFrom('', ' ', '\t', '  ');

const wellformedAcceptArb: fc.Arbitrary<AcceptCase> = fc
  .uniqueArray(mediaRangeArb, { maxLength: 6, selector: (r) => `${r.type}/${r.subtype}`.toLowerCase() })
  .chain((ranges) => fc.tuple(fc.constant(ranges), fc.array(fc.tuple(OWS, OWS, fc.constantFrom('q', 'Q')), { minLength: ranges.length, maxLength: ranges.length })))
  .map(([ranges, layout]): AcceptCase => ({
    kind: 'wellformed',
    ranges,
    header: ranges
      .map((range, i) => {
        const [ows1, ows2, q] = layout[i] as [string, string, string];
        const params = [...range.params, ...(range.q === undefined ? [] : [`${q}=${range.q}`])];
        return `${range.type}/${range.subtype}${params.map((p) => `${ows1};${ows2}${p}`).join('')}`;
      })
      .join(`${layout[0]?.[0] ?? ''},${layout[0]?.[1] ?? ' '}`),
  }));

/** RFC 9110 §12.5.1, written out again: a media type takes the q of its most specific matching range. */
function acceptOracle(ranges: readonly MediaRange[]): 'json' | 'application/xml' | 'text/xml' {
  const q = (range: MediaRange | undefined) => (range === undefined ? 0 : range.q === undefined ? 1 : Number(range.q));
  const find = (type: string, subtype: string) => ranges.find((r) => r.type.toLowerCase() === type && r.subtype.toLowerCase() === subtype);
  const quality = (type: string, subtype: string, anyType: boolean) => {
    const range = find(type, subtype) ?? find(type, '*') ?? (anyType ? find('*', '*') : undefined);
    return q(range);
  };
  const json = quality('application', 'json', true);
  const applicationXml = quality('application', 'xml', true);
  // text/xml is answered only when named (text/xml or text/*), never for */*.
  const textXml = quality('text', 'xml', false);
  const [xmlType, xmlQ] = textXml > applicationXml ? (['text/xml', textXml] as const) : (['application/xml', applicationXml] as const);
  return xmlQ > 0 && xmlQ > json ? xmlType : 'json';
}

const ACCEPT_TOKENS = fc.constantFrom('application/json', 'application/xml', 'text/xml', '*/*', 'text/*', 'application/*', ';', ',', 'q=', 'q=0', 'q=1', 'q=0.5', 'q=-1', 'q=2', 'q=NaN', 'q=Infinity', 'q=0x1', 'q=1e-3', 'q= ', ' ', '/', '*', 'xml', 'json', '"', '\0', '\ud800', '😀');

export const acceptCaseArb: fc.Arbitrary<AcceptCase> = fc.oneof(
  { arbitrary: wellformedAcceptArb, weight: 4 },
  { arbitrary: fc.oneof(fc.constant(undefined), fc.constant(''), anyTextArb, soupArb(ACCEPT_TOKENS, 20), mutatedArb(wellformedAcceptArb.map((c) => (c.kind === 'wellformed' ? c.header : '')), { tokens: ACCEPT_TOKENS, pairs: [['"', '"']] })).map((header): AcceptCase => ({ kind: 'text', header })), weight: 4 },
);

const ALLOWED_NEGOTIATIONS = [JSON_TYPE, { format: 'xml', contentType: 'application/xml; charset=utf-8' }, { format: 'xml', contentType: 'text/xml; charset=utf-8' }];

export function checkAcceptCase(input: AcceptCase): void {
  const result = outcome('negotiate', () => negotiate(input.header), []);
  if (!result.ok) return;
  if (!ALLOWED_NEGOTIATIONS.some((allowed) => fc.stringify(allowed) === fc.stringify({ format: result.value.format, contentType: result.value.contentType }))) {
    fail(`negotiate(${show(input.header)}) gave ${show(result.value)}`);
  }
  if (input.kind === 'wellformed') {
    const expected = acceptOracle(input.ranges);
    const got = result.value.format === 'json' ? 'json' : result.value.contentType.split(';')[0];
    if (got !== expected) fail(`negotiate(${show(input.header)}) chose ${String(got)}, RFC 9110 says ${expected}`);
  }
}

export const acceptTarget = defineTarget('accept', 'the Accept header picks JSON or XML by RFC 9110 q-values and never throws', acceptCaseArb, checkAcceptCase);

// ---------------------------------------------------------------------------------------------
// OAuth 1.0a

/** RFC 5849 §3.6 percent-encoding, written out again (upper or lower case hex both decode). */
function rfc3986(text: string, lower: boolean): string {
  const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return lower ? encoded.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()) : encoded;
}

/** Well-formed UTF-16 (encodeURIComponent refuses lone surrogates, and so would any client). */
const wellFormedArb = fc.oneof(fc.string({ maxLength: 10 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('', ' ', '+', '%', '=', ',', '"', '\\', 'ü', '😀', 'a b'));
const realmArb = fc.string({ unit: fc.constantFrom(...' \tabcXYZ019!#$%&\'()*+,-./:;<=>?@[]^_`{|}~"\\'.split('')), maxLength: 12 });

export type OAuth1Case =
  | { readonly kind: 'header-valid'; readonly params: readonly ParamPair[]; readonly realm: string | undefined; readonly header: string }
  | { readonly kind: 'header-text'; readonly header: string }
  | { readonly kind: 'gather-valid'; readonly sources: OAuthParameterSources; readonly expected: Record<string, unknown> }
  | { readonly kind: 'gather'; readonly sources: OAuthParameterSources; readonly multiValue: string | undefined };

const validHeaderArb: fc.Arbitrary<OAuth1Case> = fc
  .tuple(
    fc.array(fc.tuple(wellFormedArb.filter((name) => name !== '' && name.toLowerCase() !== 'realm'), wellFormedArb, fc.boolean()), { maxLength: 8 }),
    fc.option(fc.tuple(realmArb, fc.array(fc.boolean(), { maxLength: 12 })), { nil: undefined }),
    fc.nat({ max: 8 }),
    fc.constantFrom('OAuth', 'oauth', 'OAUTH', 'oAuth'),
    fc.constantFrom(',', ', ', ' , ', ',\t', ', ,', ',,'),
    fc.constantFrom('', ' ', '\t'),
    fc.constantFrom(' ', '  ', '\t'),
  )
  .map(([params, realm, realmAt, scheme, separator, around, afterScheme]): OAuth1Case => {
    const parts = params.map(([name, value, lower]) => `${rfc3986(name, lower)}${around}=${around}"${rfc3986(value, lower)}"`);
    let realmText: string | undefined;
    if (realm !== undefined) {
      const [text, escapes] = realm;
      // A quoted-string: `"` and `\` must be escaped, any other character may be.
      const quoted = Array.from(text, (c, i) => (c === '"' || c === '\\' || escapes[i] === true ? `\\${c}` : c)).join('');
      parts.splice(Math.min(realmAt, parts.length), 0, `realm${around}=${around}"${quoted}"`);
      realmText = text;
    }
    return { kind: 'header-valid', params: params.map(([name, value]) => [name, value] as const), realm: realmText, header: `${scheme}${parts.length > 0 ? afterScheme : ''}${parts.join(separator)}` };
  });

const ALNUM = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'.split(''));
const SIGNATURE_CHARS = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=&'.split(''));
/** Like fc.stringMatching(/^[A-Za-z0-9]{min,max}$/), at a fraction of its cost. */
const alnum = (minLength: number, maxLength: number) => fc.string({ unit: ALNUM, minLength, maxLength });

const OAUTH_NAMES = ['oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_signature', 'oauth_timestamp', 'oauth_nonce', 'oauth_version', 'oauth_callback', 'oauth_verifier'] as const;

function protocolValueArb(name: string): fc.Arbitrary<string> {
  switch (name) {
    case 'oauth_signature_method':
      return fc.constantFrom('HMAC-SHA1', 'HMAC-SHA256', 'PLAINTEXT', 'hmac-sha1', 'RSA-SHA1', '');
    case 'oauth_timestamp':
      return fc.oneof(fc.integer({ min: 1, max: 2 ** 40 }).map(String), fc.constantFrom('0', '01', '-1', '1.5', '1e9', '', '9'.repeat(13), ' 1'));
    case 'oauth_version':
      return fc.constantFrom('1.0', '1.0a', '2.0', '');
    case 'oauth_consumer_key':
    case 'oauth_token':
      return fc.oneof(alnum(1, 32), fc.constant(''), fc.integer({ min: 500, max: 520 }).map((n) => 'k'.repeat(n)));
    case 'oauth_nonce':
      return fc.oneof(alnum(1, 32), fc.constant(''), fc.integer({ min: 250, max: 260 }).map((n) => 'n'.repeat(n)));
    default:
      return fc.oneof(fc.string({ unit: SIGNATURE_CHARS, minLength: 1, maxLength: 28 }), fc.constant(''), wellFormedArb);
  }
}

const PROTOCOL_VALUES = new Map(OAUTH_NAMES.map((name) => [name, protocolValueArb(name)] as const));

const protocolPairArb: fc.Arbitrary<ParamPair> = fc.oneof(
  { arbitrary: fc.constantFrom(...OAUTH_NAMES).chain((name) => (PROTOCOL_VALUES.get(name) as fc.Arbitrary<string>).map((value) => [name, value] as const)), weight: 6 },
  { arbitrary: fc.tuple(fc.constantFrom('oauth_', 'oauth_x', 'oauth_body_hash', 'OAUTH_TOKEN', 'a', 'sort', 'ids'), wellFormedArb), weight: 2 },
  { arbitrary: fc.tuple(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 })), weight: 1 },
);

interface ValidRequest {
  readonly sources: { readonly query: ParamPair[]; readonly header: ParamPair[]; readonly body: ParamPair[] };
  readonly expected: Record<string, unknown>;
}

/** A request's protocol parameters as a client sends them, in one place (leg parameters may stray). */
const validRequestArb: fc.Arbitrary<ValidRequest> = fc
  .record({
    consumerKey: alnum(1, 32),
    token: fc.option(alnum(1, 32), { nil: undefined }),
    method: fc.constantFrom(...SIGNATURE_METHODS),
    signature: fc.string({ unit: SIGNATURE_CHARS, minLength: 1, maxLength: 44 }),
    timestamp: fc.integer({ min: 1, max: 99_999_999_999 }),
    nonce: alnum(1, 32),
    version: fc.boolean(),
    callback: fc.option(fc.constantFrom('oob', 'https://client.example/cb'), { nil: undefined }),
    verifier: fc.option(alnum(1, 16), { nil: undefined }),
    location: fc.constantFrom('query' as const, 'header' as const, 'body' as const),
    legLocation: fc.constantFrom('query' as const, 'header' as const, 'body' as const),
    extra: fc.array(fc.tuple(fc.constantFrom('ids', 'vals', 'a', 'realm'), wellFormedArb), { maxLength: 3 }),
    order: fc.nat(),
  })
  .map((r): ValidRequest => {
    const pairs: ParamPair[] = [
      ['oauth_consumer_key', r.consumerKey],
      ['oauth_signature_method', r.method],
      ['oauth_signature', r.signature],
      ['oauth_timestamp', String(r.timestamp)],
      ['oauth_nonce', r.nonce],
    ];
    if (r.token !== undefined) pairs.push(['oauth_token', r.token]);
    if (r.version) pairs.push(['oauth_version', '1.0']);
    const leg: ParamPair[] = [];
    if (r.callback !== undefined) leg.push(['oauth_callback', r.callback]);
    if (r.verifier !== undefined) leg.push(['oauth_verifier', r.verifier]);
    // Rotate the order: the position of a protocol parameter means nothing.
    const rotated = pairs.map((_, i) => pairs[(i + r.order) % pairs.length] as ParamPair);
    const sources = { query: [] as ParamPair[], header: [] as ParamPair[], body: [] as ParamPair[] };
    sources[r.location].push(...rotated);
    sources[r.legLocation].push(...leg);
    sources.query.push(...r.extra);
    return {
      sources,
      expected: {
        consumerKey: r.consumerKey,
        token: r.token,
        signatureMethod: r.method,
        signature: r.signature,
        timestamp: r.timestamp,
        nonce: r.nonce,
        verifier: r.verifier,
        callback: r.callback,
        version: r.version ? '1.0' : undefined,
        location: r.location,
        params: [...sources.query, ...sources.header, ...sources.body],
      },
    };
  });

/** API Gateway's multiValueQueryStringParameters for `pairs`: parsed JSON, so '__proto__' is an own key. */
function multiValueJson(pairs: readonly ParamPair[]): string {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of pairs) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  return `{${[...grouped].map(([name, values]) => `${JSON.stringify(name)}:${JSON.stringify(values)}`).join(',')}}`;
}

const gatherArb: fc.Arbitrary<OAuth1Case> = fc
  .tuple(fc.array(protocolPairArb, { maxLength: 8 }), fc.array(protocolPairArb, { maxLength: 8 }), fc.array(protocolPairArb, { maxLength: 4 }), fc.boolean())
  .map(([query, header, body, viaApiGateway]): OAuth1Case => {
    if (!viaApiGateway) return { kind: 'gather', sources: { query, header, body }, multiValue: undefined };
    const multiValue = multiValueJson(query);
    return { kind: 'gather', sources: { query: queryPairs(JSON.parse(multiValue) as Record<string, string[]>), header, body }, multiValue };
  });

/** Valid requests with one protocol parameter dropped, blanked, duplicated, moved or replaced. */
const perturbedGatherArb: fc.Arbitrary<OAuth1Case> = fc
  .tuple(validRequestArb, fc.constantFrom('drop', 'blank', 'duplicate', 'move', 'replace'), fc.nat(), fc.constantFrom('query' as const, 'header' as const, 'body' as const), protocolPairArb)
  .map(([valid, how, index, to, pair]): OAuth1Case => {
    const sources = { query: [...valid.sources.query], header: [...valid.sources.header], body: [...valid.sources.body] };
    const from = (['query', 'header', 'body'] as const).find((where) => sources[where].some(([name]) => name.startsWith('oauth_'))) ?? 'query';
    const list = sources[from];
    const at = list.length === 0 ? 0 : index % list.length;
    const target = list[at];
    if (target !== undefined) {
      if (how === 'drop') list.splice(at, 1);
      else if (how === 'blank') list[at] = [target[0], ''];
      else if (how === 'duplicate') sources[to].push(target);
      else if (how === 'move') {
        list.splice(at, 1);
        sources[to].push(target);
      } else list[at] = pair;
    }
    return { kind: 'gather', sources, multiValue: undefined };
  });

const HEADER_TOKENS = fc.constantFrom('OAuth', 'oauth', ' ', '\t', ',', '=', '"', '\\', '%', '%4', '%41', '%E9', '%C3%A9', '%ED%A0%80', 'realm', 'oauth_token', 'a', 'z', '\u0000', '\u00ff', '\ud800', '😀', '\r', '\n', 'é');

export const oauth1CaseArb: fc.Arbitrary<OAuth1Case> = fc.oneof(
  { arbitrary: validHeaderArb, weight: 3 },
  {
    arbitrary: fc
      .oneof(anyTextArb, soupArb(HEADER_TOKENS, 40).map((text) => `OAuth ${text}`), mutatedArb(validHeaderArb.map((c) => (c.kind === 'header-valid' ? c.header : '')), { tokens: HEADER_TOKENS, pairs: [['"', '"']] }), fc.integer({ min: 8180, max: 8200 }).map((n) => `OAuth a="${'x'.repeat(Math.max(0, n - 11))}"`))
      .map((header): OAuth1Case => ({ kind: 'header-text', header })),
    weight: 4,
  },
  { arbitrary: validRequestArb.map(({ sources, expected }): OAuth1Case => ({ kind: 'gather-valid', sources, expected })), weight: 2 },
  { arbitrary: perturbedGatherArb, weight: 2 },
  { arbitrary: gatherArb, weight: 2 },
);

function checkHeaderResult(header: string): ReturnType<typeof parseOAuthAuthorizationHeader> | undefined {
  const result = outcome('parseOAuthAuthorizationHeader', () => parseOAuthAuthorizationHeader(header), [[AuthenticationRequiredError, 401]]);
  if (!result.ok) return undefined;
  const { params, realm } = result.value;
  if (params.length > 64) fail(`more than 64 parameters from ${show(header)}`);
  for (const pair of params) if (pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') fail(`a malformed pair ${show(pair)}`);
  if (realm !== undefined && typeof realm !== 'string') fail(`a realm that is not a string: ${show(realm)}`);
  if (header.length > 8192) fail(`a header of ${header.length} characters was accepted`);
  return result.value;
}

function checkGathered(sources: OAuthParameterSources): void {
  const result = outcome('gatherOAuthParameters', () => gatherOAuthParameters(sources), [[AuthenticationRequiredError, 401]]);
  if (!result.ok) return;
  const request = result.value;
  const all = [...(sources.query ?? []), ...(sources.header ?? []), ...(sources.body ?? [])];
  expectEqual('gathered params', request.params, all);
  const values = (name: string) => all.filter(([n]) => n === name).map(([, v]) => v);
  for (const name of new Set(all.map(([n]) => n).filter((n) => n.startsWith('oauth_')))) {
    if (values(name).length > 1) fail(`accepted ${name} given twice`);
  }
  const location = sources[request.location] ?? [];
  for (const [name] of all) {
    if (name.startsWith('oauth_') && name !== 'oauth_callback' && name !== 'oauth_verifier' && !location.some(([n]) => n === name)) fail(`accepted ${name} outside the location ${request.location}`);
  }
  const one = (name: string) => values(name)[0];
  if (!request.consumerKey || request.consumerKey !== one('oauth_consumer_key') || request.consumerKey.length > 512) fail(`consumer key ${show(request.consumerKey)}`);
  if (!SIGNATURE_METHODS.includes(request.signatureMethod) || request.signatureMethod !== one('oauth_signature_method')) fail(`signature method ${show(request.signatureMethod)}`);
  if (!request.signature || request.signature !== one('oauth_signature')) fail('signature not as sent');
  const token = one('oauth_token');
  if (request.token !== (token === '' ? undefined : token) || (request.token?.length ?? 0) > 512) fail(`token ${show(request.token)}`);
  const timestamp = one('oauth_timestamp');
  if (request.timestamp === undefined) {
    if (request.signatureMethod !== 'PLAINTEXT' || (timestamp ?? '') !== '') fail('a missing timestamp accepted');
  } else if (!Number.isSafeInteger(request.timestamp) || request.timestamp < 1 || String(request.timestamp) !== timestamp) {
    fail(`timestamp ${show(request.timestamp)} from ${show(timestamp)}`);
  }
  if (request.nonce === undefined ? request.signatureMethod !== 'PLAINTEXT' : request.nonce !== one('oauth_nonce') || request.nonce.length > 256) fail(`nonce ${show(request.nonce)}`);
  if (request.version !== undefined && request.version !== '1.0') fail(`version ${show(request.version)}`);
  if (one('oauth_version') !== undefined && one('oauth_version') !== '1.0') fail(`accepted oauth_version ${show(one('oauth_version'))}`);
}

export function checkOAuth1Case(input: OAuth1Case): void {
  switch (input.kind) {
    case 'header-valid': {
      const parsed = checkHeaderResult(input.header);
      if (parsed === undefined) fail(`refused the well-formed header ${show(input.header)}`);
      expectEqual(`params of ${show(input.header)}`, parsed.params, input.params);
      expectEqual(`realm of ${show(input.header)}`, parsed.realm, input.realm);
      checkGathered({ header: parsed.params });
      return;
    }
    case 'header-text': {
      const parsed = checkHeaderResult(input.header);
      if (parsed !== undefined) checkGathered({ header: parsed.params });
      return;
    }
    case 'gather-valid': {
      const result = outcome('gatherOAuthParameters of a valid request', () => gatherOAuthParameters(input.sources), [[AuthenticationRequiredError, 401]]);
      if (!result.ok) fail(`refused a valid request ${show(input.sources)}: ${(result.error as AuthenticationRequiredError).reason}`);
      const { consumerKey, token, signatureMethod, signature, timestamp, nonce, verifier, callback, version, location, params } = result.value;
      expectEqual('the gathered request', { consumerKey, token, signatureMethod, signature, timestamp, nonce, verifier, callback, version, location, params }, input.expected);
      checkGathered(input.sources);
      return;
    }
    case 'gather':
      if (input.multiValue !== undefined) {
        // queryPairs keeps every value of every name.
        const grouped = JSON.parse(input.multiValue) as Record<string, string[]>;
        const count = Object.values(grouped).reduce((n, values) => n + values.length, 0);
        if (input.sources.query?.length !== count) fail(`queryPairs lost values of ${input.multiValue}`);
      }
      checkGathered(input.sources);
      return;
  }
}

export const oauth1Target = defineTarget(
  'oauth1',
  'OAuth 1.0a headers and protocol parameters: well-formed ones read back exactly; anything else gives a request of the right shape or a 401',
  oauth1CaseArb,
  checkOAuth1Case,
);

// ---------------------------------------------------------------------------------------------
// Bearer and Basic

export type OAuth2Case =
  | { readonly kind: 'token-valid'; readonly scheme: 'bearer' | 'basic'; readonly header: string; readonly token: string }
  | { readonly kind: 'token-text'; readonly scheme: 'bearer' | 'basic'; readonly header: string | undefined }
  | { readonly kind: 'client-valid'; readonly header: string; readonly clientId: string; readonly clientSecret: string }
  | { readonly kind: 'client-text'; readonly header: string | undefined };

const B64_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/';
const schemeWord = (scheme: string) => fc.constantFrom(scheme, scheme.toUpperCase(), scheme[0]?.toUpperCase() + scheme.slice(1));

const validTokenArb: fc.Arbitrary<OAuth2Case> = fc
  .constantFrom('bearer' as const, 'basic' as const)
  .chain((scheme) =>
    fc.tuple(
      fc.constant(scheme),
      schemeWord(scheme),
      fc.integer({ min: 1, max: 3 }),
      fc.string({ unit: fc.constantFrom(...B64_CHARS.split('')), minLength: 1, maxLength: 60 }),
      fc.nat({ max: 2 }),
      fc.nat({ max: 2 }),
    ),
  )
  .map(([scheme, word, spaces, body, padding, trailing]): OAuth2Case => {
    const token = `${body}${'='.repeat(padding)}`;
    return { kind: 'token-valid', scheme, header: `${word}${' '.repeat(spaces)}${token}${' '.repeat(trailing)}`, token };
  });

/** RFC 6749 §2.3.1: form-urlencode id and secret (space as '+' or %20), join with ':', base64. */
const validClientArb: fc.Arbitrary<OAuth2Case> = fc
  .tuple(wellFormedArb, wellFormedArb, fc.boolean(), fc.boolean(), schemeWord('basic'), fc.integer({ min: 1, max: 2 }), fc.nat({ max: 1 }))
  .map(([clientId, clientSecret, plusForSpace, padded, word, spaces, trailing]): OAuth2Case => {
    const encode = (text: string) => (plusForSpace ? encodeURIComponent(text).replace(/%20/g, '+') : encodeURIComponent(text));
    let b64 = Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`, 'utf8').toString('base64');
    if (!padded) b64 = b64.replace(/=+$/, '');
    return { kind: 'client-valid', header: `${word}${' '.repeat(spaces)}${b64}${' '.repeat(trailing)}`, clientId, clientSecret };
  });

const TOKEN_TOKENS = fc.constantFrom('Bearer', 'Basic', 'bearer', ' ', '\t', 'abc', 'QUJD', '=', '==', '+', '/', '-', '.', '~', '%', ':', ',', '"', '\0', '\u00a0', 'é', '😀', 'dXNlcjpwYXNz', 'Og==', 'JUZGOiVGRg==', 'JTox');

export const oauth2CaseArb: fc.Arbitrary<OAuth2Case> = fc.oneof(
  { arbitrary: validTokenArb, weight: 3 },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom('bearer' as const, 'basic' as const),
        fc.oneof(fc.constant(undefined), anyTextArb, soupArb(TOKEN_TOKENS, 12), mutatedArb(validTokenArb.map((c) => (c.kind === 'token-valid' ? c.header : '')), { tokens: TOKEN_TOKENS, pairs: [['"', '"']] }), fc.integer({ min: 2040, max: 2056 }).map((n) => `Bearer ${'a'.repeat(n - 7)}`)),
      )
      .map(([scheme, header]): OAuth2Case => ({ kind: 'token-text', scheme, header })),
    weight: 3,
  },
  { arbitrary: validClientArb, weight: 3 },
  {
    arbitrary: fc
      .oneof(fc.constant(undefined), anyTextArb, soupArb(TOKEN_TOKENS, 12), mutatedArb(validClientArb.map((c) => (c.kind === 'client-valid' ? c.header : '')), { tokens: TOKEN_TOKENS, pairs: [['"', '"']] }), fc.string({ unit: 'binary', maxLength: 20 }).map((text) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`), fc.uint8Array({ maxLength: 24 }).map((bytes) => `Basic ${Buffer.from(bytes).toString('base64')}`))
      .map((header): OAuth2Case => ({ kind: 'client-text', header })),
    weight: 3,
  },
);

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export function checkOAuth2Case(input: OAuth2Case): void {
  switch (input.kind) {
    case 'token-valid':
    case 'token-text': {
      const result = outcome(`parseTokenHeader(${input.scheme})`, () => parseTokenHeader(input.header, input.scheme), [[AuthenticationRequiredError, 401]]);
      if (result.ok) {
        const header = input.header ?? '';
        if (!B64TOKEN.test(result.value) || !header.includes(result.value) || header.length > 2048) fail(`parseTokenHeader(${show(input.header)}) gave ${show(result.value)}`);
        if (!header.toLowerCase().startsWith(`${input.scheme} `)) fail(`parseTokenHeader accepted ${show(input.header)} as ${input.scheme}`);
      }
      if (input.kind === 'token-valid') {
        if (!result.ok) fail(`parseTokenHeader refused ${show(input.header)}: ${(result.error as AuthenticationRequiredError).reason}`);
        expectEqual(`the token of ${show(input.header)}`, result.value, input.token);
      }
      return;
    }
    case 'client-valid':
    case 'client-text': {
      const result = outcome('clientCredentialsFromBasicHeader', () => clientCredentialsFromBasicHeader(input.header), [[OAuthError, 400]]);
      if (!result.ok) {
        if ((result.error as OAuthError).oauthError !== 'invalid_request') fail(`an OAuthError ${(result.error as OAuthError).oauthError}, expected invalid_request`);
      } else if (result.value !== undefined) {
        const { clientId, clientSecret } = result.value;
        if (typeof clientId !== 'string' || typeof clientSecret !== 'string') fail(`credentials of the wrong shape: ${show(result.value)}`);
        if (!/^basic /i.test(input.header ?? '')) fail(`credentials from a header that is not Basic: ${show(input.header)}`);
      }
      if (input.kind === 'client-valid') {
        if (!result.ok || result.value === undefined) fail(`clientCredentialsFromBasicHeader refused ${show(input.header)}`);
        expectEqual(`the credentials in ${show(input.header)}`, result.value, { clientId: input.clientId, clientSecret: input.clientSecret });
      }
      return;
    }
  }
}

export const oauth2Target = defineTarget(
  'oauth2',
  'Bearer/Basic headers give their token or a 401; Basic client credentials read back, or undefined, or a 400 invalid_request',
  oauth2CaseArb,
  checkOAuth2Case,
);
