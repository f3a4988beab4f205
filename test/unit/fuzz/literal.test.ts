import fc from 'fast-check';
import { parseLiteralParam } from '../../../lib/wire/literal';
import { literalProperty } from '../../fuzz/properties';

// The bounded smoke of the literal parser's fuzz property; `npm run fuzz` runs it for minutes.
describe('fuzz: literal parser', () => {
  it('parses printed Python/JSON/JSON5 values back equal, and gives any other text a value or a 400 with its position', () => {
    fc.assert(literalProperty, { numRuns: 8000 });
  });

  // Found by the property (its shrunk counterexample): json5 returns a plain object, which puts
  // integer-like keys first, so such a dict would come back in another order. It is refused with
  // a 400 saying so; the Python-literal and JSON forms of the same dict keep their order.
  it('refuses a JSON5 dict whose keys look like integers (its order would be lost), and keeps the order of the same dict as a Python literal', () => {
    expect(() => parseLiteralParam("/**/{'':0,'0':{}}", 'vals')).toThrow(/integer-like keys/);
    expect(() => parseLiteralParam("{name: 'x', '2': 'b', '1': 'a'}", 'vals')).toThrow(/integer-like keys/);
    const vals = parseLiteralParam("{'name': 'x', '2': 'b', '1': 'a'}", 'vals');
    expect(vals instanceof Map ? [...vals.keys()] : vals).toStrictEqual(['name', '2', '1']);
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
