/**
 * Entity tags and their comparison (lib/http/etag.ts), against RFC 9110's own examples
 * (§8.8.3, §8.8.3.2, §13.1.1, §13.1.2).
 */
import { BadRequestError } from '../../../lib/errors';
import {
  entityTagOf,
  ifMatchHolds,
  ifNoneMatchHolds,
  notModified,
  parseEntityTagCondition,
  requestConditions,
  strongMatch,
  weakMatch,
  type EntityTag,
} from '../../../lib/http';
import { thrown } from '../../helpers/thrown';

const tag = (text: string): EntityTag => {
  const parsed = parseEntityTagCondition('If-Match', text);
  if (parsed === undefined || parsed === '*' || parsed.length !== 1) throw new Error(`not one tag: ${text}`);
  return parsed[0] as EntityTag;
};

describe('parseEntityTagCondition', () => {
  it.each([
    ['"xyzzy"', [{ weak: false, opaque: '"xyzzy"' }]],
    ['W/"xyzzy"', [{ weak: true, opaque: '"xyzzy"' }]],
    ['""', [{ weak: false, opaque: '""' }]],
    [
      '"xyzzy", "r2d2xxxx", "c3piozzzz"',
      [
        { weak: false, opaque: '"xyzzy"' },
        { weak: false, opaque: '"r2d2xxxx"' },
        { weak: false, opaque: '"c3piozzzz"' },
      ],
    ],
    [
      'W/"xyzzy", W/"r2d2xxxx", W/"c3piozzzz"',
      [
        { weak: true, opaque: '"xyzzy"' },
        { weak: true, opaque: '"r2d2xxxx"' },
        { weak: true, opaque: '"c3piozzzz"' },
      ],
    ],
    // §5.6.1: empty list elements and optional whitespace are allowed.
    [
      ' , "a" ,,\t"b" , ',
      [
        { weak: false, opaque: '"a"' },
        { weak: false, opaque: '"b"' },
      ],
    ],
  ])('reads %j as RFC 9110 does', (value, expected) => {
    expect(parseEntityTagCondition('If-Match', value)).toStrictEqual(expected);
  });

  it('reads * as any current representation', () => {
    expect(parseEntityTagCondition('If-None-Match', ' * ')).toBe('*');
  });

  it('gives undefined without the header', () => {
    expect(parseEntityTagCondition('If-Match', undefined)).toBeUndefined();
  });

  it.each(['xyzzy', '"unterminated', '"a" "b"', 'w/"lowercase-weak"', '"in"side"', '"a", *', '', ' , ', '"sp ace"'])(
    'refuses %j with a 400 naming the header',
    (value) => {
      const error = thrown(() => parseEntityTagCondition('If-Match', value));
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as Error).message).toContain('If-Match');
    },
  );
});

describe('comparison (RFC 9110 §8.8.3.2 table)', () => {
  it.each([
    ['W/"1"', 'W/"1"', false, true],
    ['W/"1"', 'W/"2"', false, false],
    ['W/"1"', '"1"', false, true],
    ['"1"', '"1"', true, true],
  ])('%s vs %s: strong %s, weak %s', (a, b, strong, weak) => {
    expect([strongMatch(tag(a), tag(b)), weakMatch(tag(a), tag(b))]).toStrictEqual([strong, weak]);
    expect([strongMatch(tag(b), tag(a)), weakMatch(tag(b), tag(a))]).toStrictEqual([strong, weak]);
  });
});

describe('If-Match (strong comparison) and If-None-Match (weak comparison)', () => {
  const etag = '"xyzzy"';
  const condition = (value: string) => parseEntityTagCondition('If-Match', value) ?? [];

  it.each([
    ['"xyzzy"', true],
    ['"r2d2xxxx", "xyzzy"', true],
    ['W/"xyzzy"', false], // a weak tag never matches strongly
    ['"r2d2xxxx", "c3piozzzz"', false],
    ['*', true],
  ])('If-Match: %s holds: %s', (value, holds) => {
    expect(ifMatchHolds(condition(value), etag)).toBe(holds);
  });

  it.each([
    ['"xyzzy"', false],
    ['W/"xyzzy"', false], // weak comparison: W/ matches too
    ['W/"xyzzy", W/"r2d2xxxx", W/"c3piozzzz"', false],
    ['"r2d2xxxx", "c3piozzzz"', true],
    ['*', false],
  ])('If-None-Match: %s holds: %s', (value, holds) => {
    expect(ifNoneMatchHolds(condition(value), etag)).toBe(holds);
  });

  it('reads both headers of a request, lower-case as ApiRequest has them', () => {
    const headers = new Map([
      ['if-match', '"a"'],
      ['if-none-match', '*'],
    ]);
    expect(requestConditions(headers)).toStrictEqual({ ifMatch: [{ weak: false, opaque: '"a"' }], ifNoneMatch: '*' });
    expect(requestConditions(new Map())).toStrictEqual({});
  });
});

describe('entityTagOf', () => {
  const records = [
    { id: 17, version: 3 },
    { id: 20, version: 1 },
  ];

  it('is a strong, quoted, opaque tag that shows neither the model, ids nor versions', () => {
    const etag = entityTagOf('res.partner', records);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(etag).not.toMatch(/partner|17|20/);
    // What it is made of: a tag parses back as one strong tag.
    expect(parseEntityTagCondition('If-Match', etag)).toStrictEqual([{ weak: false, opaque: etag }]);
  });

  it('is the same for the same records and versions, different when any changes', () => {
    const etag = entityTagOf('res.partner', records);
    expect(entityTagOf('res.partner', [...records])).toBe(etag);
    expect(entityTagOf('res.partner', [records[0]!, { id: 20, version: 2 }])).not.toBe(etag);
    expect(entityTagOf('res.partner', [records[1]!, records[0]!])).not.toBe(etag); // order counts
    expect(entityTagOf('res.users', records)).not.toBe(etag);
    expect(entityTagOf('res.partner', [records[0]!])).not.toBe(etag);
  });
});

describe('notModified', () => {
  it('is a 304 without a body, with the tag and the caching headers the 200 has', () => {
    expect(notModified('"t"')).toStrictEqual({
      status: 304,
      body: '',
      headers: { ETag: '"t"', Vary: 'Accept', 'Cache-Control': 'no-store' },
    });
  });
});
