/**
 * The values that travel on the wire: what the original produced with Python objects.
 *
 * Python keeps int and float apart (`100` vs `100.0`) and both of our output formats show the
 * difference (dicttoxml's `type="int"` / `type="float"`, json.dumps' `100.0`), so a float is
 * wrapped in {@link PyFloat}. Ints are plain numbers while they are safe integers, bigints beyond.
 * Dicts are Maps so key order is insertion order even for keys that look like integers
 * (a plain object would move "123" to the front) and so `__proto__` is just a key.
 */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyDict = Map<string, PyValue>;

export type PyValue = null | boolean | string | number | bigint | PyFloat | PyValue[] | PyDict;

/** Builds a PyDict from entries in order; a small convenience for tests and renderers. */
export function pyDict(entries: Iterable<readonly [string, PyValue]>): PyDict {
  return new Map(entries);
}

/**
 * Formats a float exactly as Python's repr()/str() does: `100.0`, `1e+16`, `2.5e-07`, `-0.0`,
 * `0.30000000000000004`, `nan`, `inf`.
 *
 * Both languages print the shortest string that round-trips, so only the layout differs:
 * Python switches to exponent notation when the decimal exponent is < -4 or >= 16, always shows
 * a sign and at least two exponent digits, and always shows a fractional part otherwise.
 */
export function formatPythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  // toExponential() with no argument gives the shortest round-trip digits: "d.ddde±x".
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${digits[0]}${fraction}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fracPart = digits.slice(exponent + 1);
  return `${sign}${intPart}.${fracPart === '' ? '0' : fracPart}`;
}
