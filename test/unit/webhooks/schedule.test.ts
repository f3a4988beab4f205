/** The retry schedule and what each attempt's result means, table by table. */
import {
  classifyAttempt,
  nextAttemptAt,
  MAX_ATTEMPTS,
  RETRY_OFFSETS_SECONDS,
  type AttemptOutcome,
} from '../../../lib/webhooks/schedule';

const first = new Date('2026-11-28T10:00:00.000Z');

describe('nextAttemptAt', () => {
  it.each([
    [0, '2026-11-28T10:00:00.000Z'],
    [1, '2026-11-28T10:00:05.000Z'],
    [2, '2026-11-28T10:05:00.000Z'],
    [3, '2026-11-28T10:30:00.000Z'],
    [4, '2026-11-28T12:00:00.000Z'],
    [5, '2026-11-28T15:00:00.000Z'],
    [6, '2026-11-28T20:00:00.000Z'],
    [7, '2026-11-29T00:00:00.000Z'],
    [8, '2026-11-29T06:00:00.000Z'],
    [9, '2026-11-29T10:00:00.000Z'],
  ])('after %i failed attempts, the next is due at %s', (failed, due) => {
    expect(nextAttemptAt(first, failed)?.toISOString()).toBe(due);
  });

  it('is spent after the tenth failed attempt: 24 h after the first, 10 attempts in all', () => {
    expect(MAX_ATTEMPTS).toBe(10);
    expect(nextAttemptAt(first, 10)).toBeUndefined();
    expect(nextAttemptAt(first, 11)).toBeUndefined();
    expect(RETRY_OFFSETS_SECONDS.at(-1)).toBe(24 * 3600);
  });

  it('never goes backwards', () => {
    const times = Array.from({ length: MAX_ATTEMPTS }, (_, failed) => nextAttemptAt(first, failed)!.getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(times).size).toBe(times.length);
  });

  it('does not change the date it is given', () => {
    const given = new Date(first.getTime());
    nextAttemptAt(given, 3)!.setTime(0);
    expect(given.getTime()).toBe(first.getTime());
  });

  it.each([-1, 1.5, Number.NaN])('refuses %p failed attempts', (failed) => {
    expect(() => nextAttemptAt(first, failed)).toThrow(RangeError);
  });
});

describe('classifyAttempt', () => {
  const response = (
    status: number,
    body = '',
    extra: { truncated?: boolean; location?: string } = {},
  ): AttemptOutcome => ({
    kind: 'response',
    status,
    body,
    truncated: extra.truncated ?? false,
    ...(extra.location === undefined ? {} : { location: extra.location }),
  });

  it.each([200, 201, 202, 204, 299])('%i is delivered', (status) => {
    expect(classifyAttempt(response(status, 'ignored'))).toEqual({ verdict: 'delivered', status });
  });

  it('410 Gone disables the subscription', () => {
    expect(classifyAttempt(response(410, 'endpoint removed'))).toEqual({
      verdict: 'disable',
      status: 410,
      error: 'HTTP 410 Gone: the receiver asked to stop: endpoint removed',
    });
  });

  it.each([301, 302, 303, 307, 308])('%i is a failure: the redirect is not followed', (status) => {
    expect(classifyAttempt(response(status, '', { location: 'https://elsewhere.example/hook' }))).toEqual({
      verdict: 'retry',
      status,
      error: `HTTP ${status}: redirects are not followed (Location: https://elsewhere.example/hook)`,
    });
  });

  it.each([
    [400, 'bad signature', 'HTTP 400: bad signature'],
    [401, '', 'HTTP 401'],
    [404, 'Not Found', 'HTTP 404: Not Found'],
    [429, 'slow down', 'HTTP 429: slow down'],
    [500, '<html>\n  <h1>Internal\tError</h1>\n</html>', 'HTTP 500: <html> <h1>Internal Error</h1> </html>'],
    [503, 'later', 'HTTP 503: later'],
  ])('%i is retried, its body kept on one line as the last error', (status, body, error) => {
    expect(classifyAttempt(response(status, body))).toEqual({ verdict: 'retry', status, error });
  });

  it('keeps at most 500 characters of the body, marking what was cut', () => {
    const long = classifyAttempt(response(500, 'x'.repeat(2000)));
    expect(long).toEqual({ verdict: 'retry', status: 500, error: `HTTP 500: ${'x'.repeat(500)}…` });
    const truncated = classifyAttempt(response(502, 'partial', { truncated: true }));
    expect(truncated).toEqual({ verdict: 'retry', status: 502, error: 'HTTP 502: partial…' });
  });

  it.each([
    [{ kind: 'timeout', message: 'no answer within 15000 ms' }, 'timeout: no answer within 15000 ms'],
    [
      { kind: 'network', message: 'ECONNREFUSED connect 203.0.113.9:443' },
      'network: ECONNREFUSED connect 203.0.113.9:443',
    ],
    [{ kind: 'refused', message: 'hook.example resolves to 10.0.0.5' }, 'refused: hook.example resolves to 10.0.0.5'],
  ] as const)('%o is retried', (outcome, error) => {
    expect(classifyAttempt(outcome)).toEqual({ verdict: 'retry', error });
  });
});
