import fc from 'fast-check';
import { parseLiteralParam } from '../../../lib/wire/literal';
import { literalProperty } from '../../fuzz/properties';

// The bounded smoke of the literal parser's fuzz property; `npm run fuzz` runs it for minutes.
describe('fuzz: literal parser', () => {
  it('parses printed Python/JSON/JSON5 values back equal, and gives any other text a value or a 400 with its position', () => {
    fc.assert(literalProperty, { numRuns: 8000 });
  });

  // Found by the property (its shrunk counterexample), when json5's own value was returned: its
  // plain object put integer-like keys first, so such a dict came back in another order (it was
  // then refused). The JSON5 text is now read by the Python parser's JSON5 mode, which keeps it.
  it('keeps the key order of a JSON5 dict whose keys look like integers, as its Python literal does', () => {
    const keys = (value: unknown) => (value instanceof Map ? [...value.keys()] : value);
    expect(keys(parseLiteralParam("/**/{'':0,'0':{}}", 'vals'))).toStrictEqual(['', '0']);
    expect(keys(parseLiteralParam("{name: 'x', '2': 'b', '1': 'a'}", 'vals'))).toStrictEqual(['name', '2', '1']);
    expect(keys(parseLiteralParam("{'name': 'x', '2': 'b', '1': 'a'}", 'vals'))).toStrictEqual(['name', '2', '1']);
  });

  // Found while fuzzing (the property silences it, to print nothing): json5 calls console.warn
  // once per raw U+2028/U+2029 inside a string, so one request within the length bound can write
  // ~100 000 unstructured lines to the function's log, bypassing lib/runtime/log.ts.
  it('writes nothing to the console, even for a JSON5 string full of U+2028', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(parseLiteralParam(`{a: '${'\u2028'.repeat(1000)}'}`, 'vals')).toStrictEqual(new Map([['a', '\u2028'.repeat(1000)]]));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
