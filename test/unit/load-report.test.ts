/**
 * The pure parts of scripts/load.ts (npm run load): options, the connections per kind, the status
 * columns and the consistency check of what the PUTs wrote.
 */
import { allocateConnections, checkConsistency, formatTable, parseMix, parseOptions, statusCounts, type PutRecord } from '../../scripts/load';

describe('parseMix', () => {
  it('reads kind:weight pairs, a kind left out weighing 0', () => {
    expect(parseMix('put:2,read:5,search:3')).toEqual({ put: 2, read: 5, search: 3 });
    expect(parseMix('read:1')).toEqual({ put: 0, read: 1, search: 0 });
    expect(parseMix(' put : 1 , search:0')).toEqual({ put: 1, read: 0, search: 0 });
  });

  it.each(['', 'put', 'put:x', 'delete:1', 'put:1,put:2', 'put:0,read:0', 'put:-1', 'put:1.5'])('refuses %j', (text) => {
    expect(() => parseMix(text)).toThrow(/--mix/);
  });
});

describe('parseOptions', () => {
  it('has the documented defaults', () => {
    expect(parseOptions([])).toEqual({ durationS: 60, connections: 8, mix: { put: 2, read: 5, search: 3 }, maxRequests: 200_000, port: undefined });
  });

  it('reads every option', () => {
    expect(parseOptions(['--duration', '20', '--connections=4', '--mix', 'read:1', '--max-requests', '100', '--port', '4000'])).toEqual({
      durationS: 20,
      connections: 4,
      mix: { put: 0, read: 1, search: 0 },
      maxRequests: 100,
      port: 4000,
    });
  });

  it.each([
    [['--duration', '0']],
    [['--duration', '1501']], // the token would expire during the run
    [['--connections', 'many']],
    [['--max-requests', '4', '--connections', '8']],
    [['--port', '70000']],
    [['--url', 'http://example.com']], // loopback only: there is no option to aim it elsewhere
    [['extra']],
  ])('refuses %j', (argv) => {
    expect(() => parseOptions(argv)).toThrow();
  });
});

describe('allocateConnections', () => {
  it('shares the connections out by weight, in all exactly the number asked', () => {
    expect(allocateConnections({ put: 2, read: 5, search: 3 }, 8)).toEqual({ put: 2, read: 4, search: 2 });
    expect(allocateConnections({ put: 2, read: 5, search: 3 }, 10)).toEqual({ put: 2, read: 5, search: 3 });
    expect(allocateConnections({ put: 1, read: 0, search: 0 }, 8)).toEqual({ put: 8, read: 0, search: 0 });
  });

  it('gives every kind that weighs something at least one connection', () => {
    expect(allocateConnections({ put: 1, read: 100, search: 1 }, 3)).toEqual({ put: 1, read: 1, search: 1 });
    expect(allocateConnections({ put: 1, read: 100, search: 1 }, 8)).toEqual({ put: 1, read: 6, search: 1 });
    expect(() => allocateConnections({ put: 1, read: 1, search: 1 }, 2)).toThrow(/fewer/);
  });

  it('always sums to the connections', () => {
    for (let connections = 3; connections <= 40; connections++) {
      for (const mix of [{ put: 1, read: 1, search: 1 }, { put: 7, read: 1, search: 2 }, { put: 2, read: 5, search: 3 }, { put: 1, read: 99, search: 0 }]) {
        const given = allocateConnections(mix, connections);
        expect(given.put + given.read + given.search).toBe(connections);
      }
    }
  });
});

describe('statusCounts', () => {
  it('puts 404 and 409 in columns of their own, the rest of 4xx together, and anything not 2xx-4xx with the 5xx', () => {
    expect(statusCounts({ '200': { count: 10 }, '201': { count: 1 }, '404': { count: 2 }, '409': { count: 3 }, '400': { count: 1 }, '403': { count: 1 }, '503': { count: 4 } })).toEqual({
      responses: 22,
      ok2xx: 11,
      notFound: 2,
      conflict: 3,
      other4xx: 2,
      server5xx: 4,
      other: 0,
    });
    expect(statusCounts({ '302': { count: 1 } }).other).toBe(1);
    expect(statusCounts({}).responses).toBe(0);
  });
});

describe('formatTable', () => {
  it('pads the first column to the left and the others to the right', () => {
    expect(formatTable('T', ['kind', 'n'], [['put', '1'], ['total', '100']], ['note'])).toEqual(['T', 'kind     n', '-----  ---', 'put      1', 'total  100', 'note', '']);
  });
});

describe('checkConsistency', () => {
  const put = (ids: number[], value: string, status: number | undefined, sentAt: number, doneAt?: number): PutRecord => ({
    ids,
    value,
    sentAt,
    ...(doneAt === undefined ? {} : { doneAt }),
    ...(status === undefined ? {} : { status }),
  });
  const finals = (entries: Array<[number, string | false]>) => new Map(entries);
  const none = new Map<number, Set<string | false>>();

  it('accepts the value of a 200 PUT, even when overlapping PUTs ran at the same time', () => {
    const puts = [put([1, 2], 'load 0', 200, 0, 10), put([2, 3], 'load 1', 200, 5, 15)];
    const report = checkConsistency(puts, finals([[1, 'load 0'], [2, 'load 0'], [3, 'load 1']]), none);
    expect(report).toEqual({ checked: 3, written: 3, unanswered: 0, problems: [], readValues: 0, readProblems: [] });
    expect(checkConsistency(puts, finals([[1, 'load 0'], [2, 'load 1'], [3, 'load 1']]), none).problems).toEqual([]);
  });

  it('accepts the value of a PUT whose answer never came, and counts it', () => {
    const report = checkConsistency([put([1], 'load 0', 200, 0, 10), put([1], 'load 1', undefined, 20)], finals([[1, 'load 1']]), none);
    expect(report.problems).toEqual([]);
    expect(report.unanswered).toBe(1);
  });

  it('reports a value no PUT sent to that partner (foreign or torn)', () => {
    const puts = [put([1], 'load 0', 200, 0, 10), put([2], 'load 1', 200, 0, 10)];
    expect(checkConsistency(puts, finals([[1, 'load 1'], [2, 'load 1']]), none).problems).toEqual([expect.stringMatching(/^partner 1: .*not sent to it/)]);
    expect(checkConsistency(puts, finals([[1, 'load 0x'], [2, 'load 1']]), none).problems).toEqual([expect.stringMatching(/foreign or torn/)]);
  });

  it('reports the value of a refused PUT (409: nothing written)', () => {
    const puts = [put([1], 'load 0', 200, 0, 10), put([1, 2], 'load 1', 409, 0, 10)];
    expect(checkConsistency(puts, finals([[1, 'load 1'], [2, false]]), none).problems).toEqual([expect.stringMatching(/^partner 1: .*answered 409/)]);
  });

  it('reports an empty street2 after a 200, and a partner not read back', () => {
    const puts = [put([1, 2], 'load 0', 200, 0, 10)];
    expect(checkConsistency(puts, finals([[1, false]]), none).problems).toEqual([expect.stringMatching(/^partner 1: .*lost write/), 'partner 2: not read back']);
    expect(checkConsistency([put([1], 'load 0', 409, 0, 10)], finals([[1, false]]), none).problems).toEqual([]);
  });

  it('reports a value older than a 200 PUT sent after it was answered (stale)', () => {
    const puts = [put([1], 'load 0', 200, 0, 10), put([1], 'load 1', 200, 11, 20)];
    expect(checkConsistency(puts, finals([[1, 'load 0']]), none).problems).toEqual([expect.stringMatching(/stale/)]);
    expect(checkConsistency(puts, finals([[1, 'load 1']]), none).problems).toEqual([]);
    // Overlapping in time: either may have committed last.
    expect(checkConsistency([put([1], 'load 0', 200, 0, 10), put([1], 'load 1', 200, 9, 20)], finals([[1, 'load 0']]), none).problems).toEqual([]);
  });

  it('checks the values reads saw: sent to that partner, not by a refused PUT', () => {
    const puts = [put([1], 'load 0', 200, 0, 10), put([1], 'load 1', 409, 0, 10), put([1], 'load 2', undefined, 0)];
    const seen = new Map([[1, new Set<string | false>([false, 'load 0', 'load 2', 'load 1', 'load 9'])]]);
    const report = checkConsistency(puts, finals([[1, 'load 0']]), seen);
    expect(report.readValues).toBe(5);
    expect(report.readProblems).toEqual([expect.stringMatching(/saw "load 1", from a PUT answered 409/), expect.stringMatching(/saw street2 "load 9", which no PUT sent/)]);
  });
});
