/**
 * CPython as the oracle for the literal parser: a batch of source texts goes to ONE python3
 * process, which answers what `ast.literal_eval` makes of each, in a form comparable with a PyValue.
 *
 * The interpreter is `python3` on PATH, or LITERAL_ORACLE_PYTHON. It is required: CI runs on a
 * machine with python3 (3.11, Debian bookworm's), and a test that quietly did nothing without it
 * would hide a regression. A machine without Python can opt out explicitly with LITERAL_ORACLE=off
 * (see literal-python.test.ts for what then still runs).
 */
import { spawnSync } from 'node:child_process';
import { PyFloat, type PyValue } from '../../../lib/wire/pyvalue';

export const PYTHON = process.env.LITERAL_ORACLE_PYTHON || 'python3';
export const ORACLE_OPTED_OUT = process.env.LITERAL_ORACLE === 'off';

/** What literal_eval made of one text. */
export type OracleAnswer =
  | { readonly kind: 'value'; readonly value: PyValue }
  // Python reads it, but as something the wire cannot carry (bytes, complex, a set, inf, a float key...).
  | { readonly kind: 'unrepresentable'; readonly what: string }
  | { readonly kind: 'error'; readonly error: string };

// Ints travel as hex (str() of an int past 4,300 digits raises, and the limit must stay on, since
// it is part of what literal_eval refuses); floats as repr(), which JavaScript reads back exactly.
const ORACLE_SCRIPT = String.raw`
import ast, json, math, sys, warnings

class Unrepresentable(Exception):
    pass

def convert(value):
    if value is None or isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, int):
        return {"int": hex(value)}
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            raise Unrepresentable("float " + repr(value))
        return {"float": repr(value)}
    if isinstance(value, (list, tuple)):
        return {"list": [convert(item) for item in value]}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            # The wire's dicts have str keys; an int key becomes its decimal text (a later equal
            # key then takes the earlier one's place, as in the parser's Map).
            if isinstance(key, bool) or not isinstance(key, (int, str)):
                raise Unrepresentable("dict key " + type(key).__name__)
            out[str(key)] = convert(item)
        return {"dict": [[key, item] for key, item in out.items()]}
    raise Unrepresentable(type(value).__name__)

def answer(text):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = ast.literal_eval(text)
    except BaseException as error:
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        return {"error": type(error).__name__ + ": " + str(error)[:200]}
    try:
        return {"value": convert(value)}
    except Unrepresentable as why:
        return {"unrepresentable": str(why)}
    except ValueError as error:
        return {"unrepresentable": "int key: " + str(error)[:80]}

texts = json.load(sys.stdin)
json.dump({"version": sys.version.split()[0], "answers": [answer(text) for text in texts]}, sys.stdout)
`;

type Wire =
  null | boolean | string | { int: string } | { float: string } | { list: Wire[] } | { dict: Array<[string, Wire]> };

function fromWire(wire: Wire): PyValue {
  if (wire === null || typeof wire === 'boolean' || typeof wire === 'string') return wire;
  if ('int' in wire) {
    const negative = wire.int.startsWith('-');
    const big = BigInt(negative ? wire.int.slice(1) : wire.int) * (negative ? -1n : 1n);
    const small = Number(big);
    return Number.isSafeInteger(small) ? small : big;
  }
  if ('float' in wire) return new PyFloat(Number(wire.float));
  if ('list' in wire) return wire.list.map(fromWire);
  return new Map(wire.dict.map(([key, item]) => [key, fromWire(item)]));
}

/** Runs `script` in the oracle interpreter with `input` as JSON on stdin; returns its JSON stdout. */
export function runPython(script: string, input: unknown): unknown {
  const result = spawnSync(PYTHON, ['-I', '-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `${PYTHON} is not on PATH: the literal parser is checked against CPython's ast.literal_eval. ` +
            'Install python3 (>= 3.11; apt-get install python3), point LITERAL_ORACLE_PYTHON at one, ' +
            'or set LITERAL_ORACLE=off to run without the oracle.'
        : `${PYTHON} could not run: ${result.error.message}`,
    );
  }
  if (result.status !== 0) throw new Error(`${PYTHON} failed (exit ${result.status}): ${result.stderr.slice(0, 2000)}`);
  return JSON.parse(result.stdout);
}

/** The interpreter's version, failing clearly when it is older than the 3.11 the parser follows. */
export function pythonVersion(): string {
  const version = runPython('import sys, json; json.dump(sys.version.split()[0], sys.stdout)', null) as string;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 3 || (major === 3 && minor < 11)) {
    throw new Error(`${PYTHON} is Python ${version}; the oracle must be CPython 3.11 or newer (LITERAL_ORACLE_PYTHON)`);
  }
  return version;
}

/** ast.literal_eval's answer for each text, from a single python3 process. */
export function literalEval(texts: readonly string[]): OracleAnswer[] {
  const { answers } = runPython(ORACLE_SCRIPT, texts) as {
    answers: Array<{ value: Wire } | { unrepresentable: string } | { error: string }>;
  };
  return answers.map((answer): OracleAnswer => {
    if ('error' in answer) return { kind: 'error', error: answer.error };
    if ('unrepresentable' in answer) return { kind: 'unrepresentable', what: answer.unrepresentable };
    return { kind: 'value', value: fromWire(answer.value) };
  });
}
