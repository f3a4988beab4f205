/**
 * What a fuzz property is made of, and the checks they share. A target is an arbitrary of cases
 * and a check that throws on a violation; `property` is the fast-check property of the two, the
 * same object in the jest smoke (bounded numRuns) and in scripts/fuzz.ts (a time budget).
 *
 * Checks never use jest's expect, so the properties also run outside jest, and they print nothing.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { AppError } from '../../lib/errors';
import type { PyValue } from '../../lib/wire/pyvalue';
import { canonical } from './pyvalues';

export interface FuzzTarget {
  /** The name scripts/fuzz.ts --only takes. */
  readonly name: string;
  /** What the property says, in one line. */
  readonly description: string;
  readonly property: fc.IProperty<[unknown]>;
  /**
   * The same property with `around` called for every case instead of the check itself; `around`
   * calls `run` (once or more) to run the check. scripts/fuzz.ts times and counts cases with it.
   */
  instrumented(around: (input: unknown, run: () => void) => void): fc.IProperty<[unknown]>;
}

export function defineTarget<T>(name: string, description: string, arbitrary: fc.Arbitrary<T>, check: (input: T) => void): FuzzTarget {
  const erased = arbitrary as fc.Arbitrary<unknown>;
  const run = check as (input: unknown) => void;
  return {
    name,
    description,
    property: fc.property(erased, (input) => {
      run(input);
    }),
    instrumented: (around) =>
      fc.property(erased, (input) => {
        around(input, () => run(input));
      }),
  };
}

/** A violated property (as opposed to a parser throwing something it must not). */
export class PropertyViolation extends Error {
  override readonly name = 'PropertyViolation';
}

export function fail(message: string, cause?: unknown): never {
  throw new PropertyViolation(message, cause === undefined ? undefined : { cause });
}

/** Text for a message: quoted, escaped, and cut to a readable length. */
export function show(value: unknown, max = 300): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : fc.stringify(value);
  return text.length > max ? `${text.slice(0, max)}... (${text.length} chars)` : text;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const frames = (error.stack ?? '').split('\n').slice(1, 4).map((line) => line.trim()).join(' | ');
    return `${error.constructor.name}: ${error.message}${frames ? ` [${frames}]` : ''}`;
  }
  return `a thrown ${typeof error}: ${String(error)}`;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AppError };

type ErrorClass = abstract new (...args: never[]) => AppError;

/**
 * Runs `run`: its value, or the AppError it threw if that is one of `allowed` and carries
 * `status`; anything else thrown (a TypeError, a RangeError from a stack overflow, another
 * AppError) is a violation that names what was thrown and where.
 */
export function outcome<T>(label: string, run: () => T, allowed: ReadonlyArray<readonly [ErrorClass, number | readonly number[]]>): Outcome<T> {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    for (const [errorClass, status] of allowed) {
      if (error instanceof errorClass) {
        const statuses: readonly number[] = typeof status === 'number' ? [status] : status;
        if (!statuses.includes(error.status)) fail(`${label}: ${error.constructor.name} with status ${error.status}, expected ${statuses.join(' or ')}`, error);
        if (typeof error.message !== 'string' || error.message === '') fail(`${label}: ${error.constructor.name} without a message`, error);
        return { ok: false, error };
      }
    }
    fail(`${label} threw ${describeError(error)}; only ${allowed.map(([c]) => c.name).join(', ') || 'nothing'} may be thrown`, error);
  }
}

/** Compares two PyValues by their canonical form (int vs float, -0.0, dict order all count). */
export function expectSameValue(label: string, actual: PyValue, expected: PyValue, input?: string): void {
  const a = canonical(actual);
  const e = canonical(expected);
  if (a !== e) fail(`${label}: got ${show(a, 600)}, expected ${show(e, 600)}${input === undefined ? '' : ` for input ${show(input, 600)}`}`);
}

export function expectEqual(label: string, actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) fail(`${label}: got ${show(actual)}, expected ${show(expected)}`);
}

export function expectTrue(label: string, condition: boolean): void {
  if (!condition) fail(label);
}
