/**
 * The JSON body: the same JSON value Python's json.dumps gave for the same Python object, in
 * JSON.stringify's compact layout (no spaces). Non-ASCII characters are written as they are,
 * where json.dumps' default would write \u escapes; the value is the same.
 *
 * Python keeps ints and floats apart, so a PyFloat prints as Python prints it (`100.0`, `1e+16`).
 * An int prints all its digits.
 */
import { PyFloat, formatPythonFloat } from './pyvalue';
import type { PyValue } from './pyvalue';

/**
 * Serializes a payload. Throws a TypeError for NaN or infinite floats (JSON has no spelling for
 * them; the core never produces them), for a plain number that is not an integer (a float must be
 * a PyFloat), and for anything that is not a PyValue.
 *
 * @example
 * toPythonJson(new Map([['count', 19], ['ratio', new PyFloat(100)]])) // '{"count":19,"ratio":100.0}'
 */
export function toPythonJson(payload: PyValue): string {
  return write(payload);
}

/** What JSON.stringify would escape in a string (surrogates, even paired, take the slow path too). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

// The response of a 100-record write is ~3,600 values, so the common cases stay cheap: plain
// strings skip JSON.stringify, and the text is built by concatenation (V8 ropes), not arrays.
function writeString(text: string): string {
  // JSON.stringify writes a lone surrogate as \udXXX, as json.dumps does.
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function write(value: PyValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return writeString(value);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError(`Not an int: ${value} (a float must be a PyFloat)`);
    // Every digit of the exact value: String() rounds beyond 2**53 (2**60 -> ...847000).
    return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof PyFloat) {
    if (!Number.isFinite(value.value))
      throw new TypeError(`JSON cannot represent the float ${formatPythonFloat(value.value)}`);
    return formatPythonFloat(value.value);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + write(value[i] as PyValue);
    return `${out}]`;
  }
  if (value instanceof Map) {
    let out = '{';
    let first = true;
    for (const [key, item] of value) {
      out += `${first ? '' : ','}${writeString(key)}:${write(item)}`;
      first = false;
    }
    return `${out}}`;
  }
  throw new TypeError(`Unsupported data type: ${typeof value}`);
}
