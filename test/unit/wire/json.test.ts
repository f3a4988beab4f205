import { toPythonJson } from '../../../lib/wire/json';
import { PyFloat, pyDict } from '../../../lib/wire/pyvalue';
import type { PyValue } from '../../../lib/wire/pyvalue';

// Each expectation is Python's json.dumps(value, separators=(',', ':'), ensure_ascii=False) for
// the same Python value: the same JSON value as the original's json.dumps, laid out compactly.

describe('json', () => {
  describe('toPythonJson', () => {
    it('writes null and booleans as JSON does', () => {
      expect(toPythonJson(null)).toBe('null');
      expect(toPythonJson(true)).toBe('true');
      expect(toPythonJson(false)).toBe('false');
    });

    it('writes every digit of an int, whether number or bigint', () => {
      expect(toPythonJson([0, -42, 2 ** 53 - 1, 2 ** 60, 1e21, -0])).toBe(
        '[0,-42,9007199254740991,1152921504606846976,1000000000000000000000,0]',
      );
      expect(toPythonJson(123456789012345678901234567890n)).toBe('123456789012345678901234567890');
      expect(toPythonJson(-(2n ** 64n))).toBe('-18446744073709551616');
    });

    it('writes floats as Python repr() does, so they stay floats', () => {
      const values = [
        1.5, 100.0, 1e16, 1e15, 0.0001, 0.00001, -0.0, 2.5e-7, 0.1 + 0.2, 123456789.123, 1.7976931348623157e308, 5e-324,
      ];
      expect(toPythonJson(values.map((value) => new PyFloat(value)))).toBe(
        '[1.5,100.0,1e+16,1000000000000000.0,0.0001,1e-05,-0.0,2.5e-07,0.30000000000000004,123456789.123,' +
          '1.7976931348623157e+308,5e-324]',
      );
    });

    it('throws a TypeError for nan and infinite floats, which JSON cannot represent', () => {
      expect(() => toPythonJson(new PyFloat(NaN))).toThrow(TypeError);
      expect(() => toPythonJson([new PyFloat(Infinity)])).toThrow(TypeError);
      expect(() => toPythonJson(pyDict([['x', new PyFloat(-Infinity)]]))).toThrow(TypeError);
    });

    it('throws a TypeError for a plain number that is not an int (a float must be a PyFloat)', () => {
      expect(() => toPythonJson(1.5)).toThrow(TypeError);
      expect(() => toPythonJson([NaN])).toThrow(TypeError);
      expect(() => toPythonJson(pyDict([['x', Infinity]]))).toThrow(TypeError);
    });

    it('throws a TypeError for values that are not PyValues', () => {
      expect(() => toPythonJson(undefined as unknown as PyValue)).toThrow(TypeError);
      expect(() => toPythonJson([new Date(0) as unknown as PyValue])).toThrow(TypeError);
      expect(() => toPythonJson({ a: 1 } as unknown as PyValue)).toThrow(TypeError);
    });

    it('escapes strings as json.dumps does, leaving non-ASCII as it is', () => {
      expect(toPythonJson('a"b\\c\n\t\u0001\u007F\u2028 Z\u00FCrich \u{1F600}')).toBe(
        '"a\\"b\\\\c\\n\\t\\u0001\u007F\u2028 Z\u00FCrich \u{1F600}"',
      );
    });

    it('writes a lone surrogate as a \\u escape, which json.dumps does too', () => {
      expect(toPythonJson(['\uD800', 'x\uDFFFy'])).toBe('["\\ud800","x\\udfffy"]');
    });

    it('writes a dict as an object in Map order, integer-like and __proto__ keys included', () => {
      const payload = pyDict([['b', 1], ['123', 2], ['__proto__', 3], ['a"\n', 4], ['2', 5]]);
      expect(toPythonJson(payload)).toBe('{"b":1,"123":2,"__proto__":3,"a\\"\\n":4,"2":5}');
    });

    it('writes nested and empty containers compactly', () => {
      const payload = pyDict([
        ['res.partner', pyDict([
          ['id', 17], ['name', 'A & B'], ['active', true], ['state_id', false], ['zip', null],
          ['country_id', [274, 'Belgium']], ['child_ids', []], ['credit_limit', new PyFloat(0)], ['meta', new Map()],
        ])],
        ['m2m', [[6, 0, [1, 2, 3]]]],
      ]);
      expect(toPythonJson(payload)).toBe(
        '{"res.partner":{"id":17,"name":"A & B","active":true,"state_id":false,"zip":null,' +
          '"country_id":[274,"Belgium"],"child_ids":[],"credit_limit":0.0,"meta":{}},"m2m":[[6,0,[1,2,3]]]}',
      );
    });

    it('gives text that JSON.parse reads back to the same values', () => {
      const payload = pyDict([['f', new PyFloat(1e16)], ['g', new PyFloat(100)], ['s', 'x\u0000y'], ['n', [null, true]]]);
      expect(JSON.parse(toPythonJson(payload))).toEqual({ f: 1e16, g: 100, s: 'x\u0000y', n: [null, true] });
    });
  });
});
