import fc from 'fast-check';
import { CSRF_TTL_SECONDS, issueCsrf, parseCookies, serializeCookie, verifyCsrf } from '../../../lib/auth/consent/csrf';
import { thrown } from '../../helpers/thrown';

const KEY = Buffer.alloc(32, 9);
const OTHER_KEY = Buffer.alloc(32, 10);
const BINDING = 'browser-3f9a0c';
const NOW = 1_700_000_000;

/** Changes one character of the token at `index` to another valid character. */
function changedAt(token: string, index: number): string {
  const char = token[index] === 'A' ? 'B' : 'A';
  return token.slice(0, index) + char + token.slice(index + 1);
}

describe('issueCsrf / verifyCsrf', () => {
  const token = issueCsrf(KEY, BINDING, NOW);

  it('issues an expiry and a MAC', () => {
    expect(token).toMatch(new RegExp(`^${NOW + CSRF_TTL_SECONDS}\\.[A-Za-z0-9_-]{43}$`));
  });

  it('accepts its own token for the same binding, within the hour', () => {
    expect(verifyCsrf(KEY, BINDING, token, NOW)).toBe(true);
    expect(verifyCsrf(KEY, BINDING, token, NOW + CSRF_TTL_SECONDS - 1)).toBe(true);
  });

  it('refuses an expired token', () => {
    expect(verifyCsrf(KEY, BINDING, token, NOW + CSRF_TTL_SECONDS)).toBe(false);
    expect(verifyCsrf(KEY, BINDING, token, NOW + 10 * CSRF_TTL_SECONDS)).toBe(false);
  });

  it('refuses a token bound to another browser or session, or for another purpose', () => {
    expect(verifyCsrf(KEY, 'browser-other', token, NOW)).toBe(false);
    expect(verifyCsrf(KEY, '', token, NOW)).toBe(false);
    expect(verifyCsrf(KEY, BINDING, issueCsrf(KEY, BINDING, NOW, 'consent'), NOW)).toBe(false);
    expect(verifyCsrf(KEY, BINDING, issueCsrf(KEY, BINDING, NOW, 'consent'), NOW, 'consent')).toBe(true);
  });

  it('keeps binding and purpose apart (no ambiguous concatenation)', () => {
    const joined = issueCsrf(KEY, 'ab', NOW, 'x');
    expect(verifyCsrf(KEY, 'b', joined, NOW, 'xa')).toBe(false);
  });

  it('refuses a token made with another key', () => {
    expect(verifyCsrf(OTHER_KEY, BINDING, token, NOW)).toBe(false);
  });

  it('refuses a tampered MAC or a moved expiry', () => {
    expect(verifyCsrf(KEY, BINDING, changedAt(token, token.length - 5), NOW)).toBe(false);
    expect(verifyCsrf(KEY, BINDING, changedAt(token, 12), NOW)).toBe(false);
    const [expiry, mac] = token.split('.') as [string, string];
    expect(verifyCsrf(KEY, BINDING, `${Number(expiry) - 1}.${mac}`, NOW)).toBe(false);
    expect(verifyCsrf(KEY, BINDING, `${Number(expiry) + 1000}.${mac}`, NOW)).toBe(false);
  });

  it('refuses a token claiming a longer life than it is granted', () => {
    const later = issueCsrf(KEY, BINDING, NOW + 5000);
    expect(verifyCsrf(KEY, BINDING, later, NOW)).toBe(false);
  });

  it('answers false, never throws, to garbage', () => {
    const garbage: unknown[] = ['', '.', token.split('.')[1], `${token}x`, ` ${token}`, `${token}=`, '1.2.3', 'x'.repeat(100_000), undefined, null, 42, {}];
    for (const value of garbage) expect(verifyCsrf(KEY, BINDING, value, NOW)).toBe(false);
    expect(verifyCsrf(Buffer.alloc(0), BINDING, token, NOW)).toBe(false);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (text) => {
        expect(verifyCsrf(KEY, BINDING, text, NOW)).toBe(false);
      }),
    );
  });

  it('refuses to issue with a weak key or no binding', () => {
    expect(thrown(() => issueCsrf(Buffer.alloc(16), BINDING, NOW))).toBeInstanceOf(TypeError);
    expect(thrown(() => issueCsrf(KEY, '', NOW))).toBeInstanceOf(TypeError);
  });
});

describe('parseCookies', () => {
  it('reads name=value pairs, unquotes, and keeps the first of duplicates', () => {
    const cookies = parseCookies('a=1; b="two"; __Host-csrf=AbC_-9; a=3;c=');
    expect([...cookies]).toEqual([
      ['a', '1'],
      ['b', 'two'],
      ['__Host-csrf', 'AbC_-9'],
      ['c', ''],
    ]);
  });

  it('skips pairs that are not a token name and a cookie-octet value', () => {
    const cookies = parseCookies('novalue; =anon; bad name=1; ok=1; sp=a b; q="x;y"; uni=é; good=2');
    expect([...cookies]).toEqual([
      ['ok', '1'],
      ['good', '2'],
    ]);
  });

  it('cannot be tricked into touching the prototype', () => {
    const cookies = parseCookies('__proto__=x; constructor=y');
    expect(cookies.get('__proto__')).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('ignores absent and over-long headers', () => {
    expect(parseCookies(undefined).size).toBe(0);
    expect(parseCookies(`a=1; ${'b'.repeat(10_000)}=2`).size).toBe(0);
  });

  it('never throws, whatever the header', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (header) => {
        const cookies = parseCookies(header);
        for (const [name, value] of cookies) {
          expect(name).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          expect(value).not.toMatch(/[;\s",\\]/);
        }
      }),
    );
  });

  it('reads back what serializeCookie writes', () => {
    fc.assert(
      fc.property(fc.base64String({ maxLength: 60 }), (value) => {
        const set = serializeCookie('__Host-b', value, { secure: true, sameSite: 'Lax' });
        const pair = set.split('; ')[0] as string;
        expect(parseCookies(pair).get('__Host-b')).toBe(value);
      }),
    );
  });
});

describe('serializeCookie', () => {
  it('writes a host-only HttpOnly cookie with the given attributes', () => {
    expect(serializeCookie('__Host-csrf', 'abc', { maxAge: 3600, secure: true, sameSite: 'Lax' })).toBe('__Host-csrf=abc; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax');
    expect(serializeCookie('sid', 'xyz', { path: '/oauth', secure: false, httpOnly: true, sameSite: 'Strict' })).toBe('sid=xyz; Path=/oauth; HttpOnly; SameSite=Strict');
    expect(serializeCookie('sid', '', { maxAge: 0, secure: false, sameSite: 'Lax' })).toBe('sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax');
    expect(serializeCookie('sid', 'x', { secure: true, sameSite: 'Lax' })).not.toContain('Domain');
  });

  it('refuses what would break the header or be dropped by browsers', () => {
    const bad: [string, string, Parameters<typeof serializeCookie>[2]][] = [
      ['a b', 'v', { secure: true, sameSite: 'Lax' }],
      ['', 'v', { secure: true, sameSite: 'Lax' }],
      ['a', 'v; Domain=evil.example', { secure: true, sameSite: 'Lax' }],
      ['a', 'v\r\nSet-Cookie: x=y', { secure: true, sameSite: 'Lax' }],
      ['a', 'v', { path: '/x; Domain=evil', secure: true, sameSite: 'Lax' }],
      ['a', 'v', { path: 'relative', secure: true, sameSite: 'Lax' }],
      ['a', 'v', { maxAge: -1, secure: true, sameSite: 'Lax' }],
      ['a', 'v', { maxAge: 1.5, secure: true, sameSite: 'Lax' }],
      ['a', 'v', { secure: false, sameSite: 'None' }],
      ['__Secure-a', 'v', { secure: false, sameSite: 'Lax' }],
      ['__Host-a', 'v', { secure: false, sameSite: 'Lax' }],
      ['__Host-a', 'v', { path: '/oauth', secure: true, sameSite: 'Lax' }],
    ];
    for (const [name, value, options] of bad) expect(thrown(() => serializeCookie(name, value, options))).toBeInstanceOf(TypeError);
  });
});
