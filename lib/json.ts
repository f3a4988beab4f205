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
  const out: string[] = [];
  write(payload, out);
  return out.join('');
}

function write(value: PyValue, out: string[]): void {
  if (value === null) {
    out.push('null');
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (typeof value === 'string') {
    // JSON.stringify writes a lone surrogate as \udXXX, as json.dumps does.
    out.push(JSON.stringify(value));
  } else if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw new TypeError(`Not an int: ${value} (a float must be a PyFloat)`);
    }
    // The same text as JSON.stringify for every safe integer, but no switch to 1e+21 beyond.
    out.push(BigInt(value).toString());
  } else if (typeof value === 'bigint') {
    out.push(value.toString());
  } else if (value instanceof PyFloat) {
    if (!Number.isFinite(value.value)) {
      throw new TypeError(`JSON cannot represent the float ${formatPythonFloat(value.value)}`);
    }
    out.push(formatPythonFloat(value.value));
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, index) => {
      if (index > 0) out.push(',');
      write(item, out);
    });
    out.push(']');
  } else if (value instanceof Map) {
    out.push('{');
    let first = true;
    for (const [key, item] of value) {
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(key), ':');
      write(item, out);
    }
    out.push('}');
  } else {
    throw new TypeError(`Unsupported data type: ${typeof value}`);
  }
}
