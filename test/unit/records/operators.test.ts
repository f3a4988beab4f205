/**
 * Operators in vals (lib/records/computed/operators.ts): what each accepts, per field type, and
 * what it computes, against a plain model of the arithmetic (BigInt for integers, code point
 * order for text, calendar order for dates).
 */
import fc from 'fast-check';
import { InvalidValueError } from '../../../lib/errors';
import { buildRegistry, type FieldDef, type ModelDef } from '../../../lib/models/registry';
import {
  applyOperator,
  isOperatorDict,
  parseOperator,
  type ComputedChange,
} from '../../../lib/records/computed/operators';
import type { StoredRecord, StoredValue } from '../../../lib/records/port';
import { validateVals } from '../../../lib/records/validate';
import { PyFloat, type PyValue } from '../../../lib/wire/pyvalue';
import { shippedModels } from '../../../models';
import { thrown } from '../../helpers/thrown';

const registry = buildRegistry([
  ...shippedModels,
  {
    model: 'x.counter',
    description: 'Counter',
    recName: 'name',
    fields: [
      { name: 'name', type: 'char', string: 'Name' },
      { name: 'count', type: 'integer', string: 'Count' },
      { name: 'amount', type: 'float', string: 'Amount' },
      { name: 'price', type: 'monetary', string: 'Price' },
      { name: 'day', type: 'date', string: 'Day' },
      { name: 'moment', type: 'datetime', string: 'Moment' },
      { name: 'notes', type: 'text', string: 'Notes' },
      { name: 'body', type: 'html', string: 'Body' },
      { name: 'done', type: 'boolean', string: 'Done' },
      { name: 'kind', type: 'selection', string: 'Kind', selection: [['a', 'A']] },
      { name: 'blob', type: 'binary', string: 'Blob' },
      { name: 'parent_id', type: 'many2one', string: 'Parent', relation: 'x.counter' },
    ],
  },
]);
const model = registry.get('x.counter') as ModelDef;
const field = (name: string) => model.fieldsByName.get(name) as FieldDef;
const COMMIT_TIME = '2024-03-04 05:06:07';
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

const op = (name: string, operand: PyValue) => new Map<string, PyValue>([[name, operand]]);
const record = (values: Record<string, StoredValue>): StoredRecord => ({
  model: 'x.counter',
  id: 7,
  version: 3,
  values,
});

/** The value `name`'s operator gives a record holding `current` (undefined: never set). */
function apply(name: string, operator: string, operand: PyValue, current: StoredValue | undefined): StoredValue {
  const change = parseOperator(model, field(name), op(operator, operand));
  return applyOperator(field(name), record(current === undefined ? {} : { [name]: current }), change, COMMIT_TIME);
}

const messageOf = (fn: () => unknown) => {
  const error = thrown(fn);
  if (!(error instanceof InvalidValueError)) throw new Error(`expected an InvalidValueError, got ${String(error)}`);
  return error.message;
};

describe('isOperatorDict', () => {
  it('is a dict with a key starting with $, and nothing else', () => {
    expect(isOperatorDict(op('$inc', 1))).toBe(true);
    expect(
      isOperatorDict(
        new Map([
          ['$inc', 1],
          ['x', 2],
        ]),
      ),
    ).toBe(true);
    expect(isOperatorDict(new Map([['inc', 1]]))).toBe(false);
    expect(isOperatorDict([['$inc', 1]] as PyValue)).toBe(false);
    expect(isOperatorDict('$inc')).toBe(false);
  });
});

describe('parseOperator refuses, naming field and operator (403, as a wrong value)', () => {
  it.each<[string, string, PyValue, RegExp]>([
    ['count', '$add', 1, /field 'count' \(integer\).*unknown operator '\$add'; use one of \$inc, \$mul/],
    [
      'done',
      '$inc',
      1,
      /field 'done' \(boolean\).*'\$inc' applies to fields of type integer, float, monetary, not boolean/,
    ],
    [
      'kind',
      '$max',
      'a',
      /'\$max' applies to fields of type integer, float, monetary, date, datetime, char, not selection/,
    ],
    ['parent_id', '$inc', 1, /not many2one/],
    ['blob', '$append', 'x', /not binary/],
    ['notes', '$min', 'a', /'\$min' applies .* not text/],
    ['name', '$now', true, /'\$now' applies to fields of type date, datetime, not char/],
    ['count', '$inc', new PyFloat(1.5), /'\$inc' expects an integer, got 1.5/],
    ['count', '$inc', '1', /'\$inc' expects an integer, got '1'/],
    ['count', '$mul', true, /'\$mul' expects an integer, got True/],
    ['count', '$inc', 2n ** 70n, /'\$inc' expects an integer/],
    ['amount', '$inc', 'x', /'\$inc' expects a number, got 'x'/],
    ['amount', '$mul', null, /'\$mul' expects a number, got None/],
    ['amount', '$inc', new PyFloat(Number.POSITIVE_INFINITY), /'\$inc' expects a number/],
    ['name', '$append', 3, /'\$append' expects a string, got 3/],
    ['day', '$now', 1, /'\$now' expects True, got 1/],
    ['day', '$max', '2024-02-30', /'\$max' expects a date 'YYYY-MM-DD', got '2024-02-30'/],
    ['day', '$min', '', /'\$min' expects a date/],
    ['moment', '$min', '2024-01-01T00:00:00', /'\$min' expects a UTC datetime/],
    ['name', '$max', false, /'\$max' expects a string, got False/],
  ])('%s with %s %p', (name, operator, operand, message) => {
    expect(messageOf(() => parseOperator(model, field(name), op(operator, operand)))).toMatch(message);
  });

  it('a dict with several keys, operators or not', () => {
    const twoKeys = new Map<string, PyValue>([
      ['$inc', 1],
      ['$mul', 2],
    ]);
    expect(messageOf(() => parseOperator(model, field('count'), twoKeys))).toBe(
      "Invalid operator for field 'count' (integer) on model 'x.counter': an operator dict has exactly one key, got 2 ('$inc', '$mul')",
    );
    expect(
      messageOf(() =>
        validateVals(
          model,
          new Map([
            [
              'count',
              new Map<string, PyValue>([
                ['$inc', 1],
                ['by', 2],
              ]),
            ],
          ]),
        ),
      ),
    ).toMatch(/exactly one key, got 2/);
  });

  it('a dict without an operator key stays a wrong value, as before operators existed', () => {
    expect(messageOf(() => validateVals(model, new Map([['count', new Map([['inc', 1]])]])))).toBe(
      "Invalid value for field 'count' (integer) on model 'x.counter': expected an integer, got a dict",
    );
  });
});

describe('applyOperator against a plain model', () => {
  const emptyOr = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
  const int4 = fc.integer({ min: INT_MIN, max: INT_MAX });

  it.each(['$inc', '$mul', '$min', '$max'] as const)(
    '%s on an integer: exact, or a 403 naming record and field outside int4',
    (operator) => {
      fc.assert(
        fc.property(
          emptyOr(int4),
          fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger(), int4),
          (current, operand) => {
            const a = BigInt(current ?? 0);
            const b = BigInt(operand);
            const expected = { $inc: a + b, $mul: a * b, $min: a < b ? a : b, $max: a > b ? a : b }[operator];
            if (expected >= BigInt(INT_MIN) && expected <= BigInt(INT_MAX)) {
              expect(apply('count', operator, operand, current)).toBe(Number(expected));
            } else {
              expect(messageOf(() => apply('count', operator, operand, current))).toBe(
                `Invalid value for field 'count' (integer) of x.counter(7): '${operator}' gives ${expected}, ` +
                  `outside Odoo's integer range ${INT_MIN} to ${INT_MAX}; nothing was written`,
              );
            }
          },
        ),
      );
    },
  );

  it('integer edges: 2^31-1 + 1 is refused, -2^31 is reached', () => {
    expect(() => apply('count', '$inc', 1, INT_MAX)).toThrow(/x.counter\(7\).*gives 2147483648/);
    expect(apply('count', '$inc', -1, INT_MIN + 1)).toBe(INT_MIN);
    expect(apply('count', '$inc', 5, undefined)).toBe(5);
  });

  it.each(['amount', 'price'])('%s (float, monetary): IEEE arithmetic on the value read, empty as 0.0', (name) => {
    const number = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ min: -1e9, max: 1e9, noNaN: true }));
    fc.assert(
      fc.property(
        emptyOr(number),
        number,
        fc.constantFrom('$inc', '$mul', '$min', '$max'),
        (current, operand, operator) => {
          const a = current ?? 0;
          const raw = { $inc: a + operand, $mul: a * operand, $min: Math.min(a, operand), $max: Math.max(a, operand) }[
            operator
          ];
          const expected = raw === 0 ? 0 : raw;
          const storable =
            expected === 0 || (Math.abs(expected) >= 1e-130 && Math.abs(expected) <= Number.MAX_SAFE_INTEGER);
          const operandValue = Number.isSafeInteger(operand) ? operand : new PyFloat(operand);
          if (storable) expect(apply(name, operator, operandValue, current)).toBe(expected);
          else expect(() => apply(name, operator, operandValue, current)).toThrow(InvalidValueError);
        },
      ),
    );
  });

  it('a float result the store cannot keep is a 403 naming the record', () => {
    expect(messageOf(() => apply('amount', '$mul', new PyFloat(1e-200), 1.5))).toMatch(
      /^Invalid value for field 'amount' \(float\) of x.counter\(7\): '\$mul' gives 1.5e-200, outside the magnitudes a float can hold/,
    );
    expect(() => apply('amount', '$inc', 2 ** 53, 2 ** 53)).toThrow(InvalidValueError);
    expect(apply('amount', '$inc', new PyFloat(0.2), 0.1)).toBe(0.1 + 0.2);
  });

  it.each(['$min', '$max'] as const)(
    '%s on a date and a datetime: calendar order, an empty value takes the operand',
    (operator) => {
      const instant = fc.date({
        min: new Date('1900-01-01T00:00:00Z'),
        max: new Date('2199-12-31T23:59:59Z'),
        noInvalidDate: true,
      });
      const datetime = (at: Date) => at.toISOString().slice(0, 19).replace('T', ' ');
      fc.assert(
        fc.property(emptyOr(instant), instant, (current, operand) => {
          const pick = (a: Date, b: Date) => ((operator === '$min' ? a <= b : a >= b) ? a : b);
          const expected = current === null ? operand : pick(current, operand);
          expect(apply('moment', operator, datetime(operand), current && datetime(current))).toBe(datetime(expected));
          const day = (at: Date) => datetime(at).slice(0, 10);
          const expectedDay =
            current === null ? day(operand) : [day(current), day(operand)].sort()[operator === '$min' ? 0 : 1];
          expect(apply('day', operator, day(operand), current && day(current))).toBe(expectedDay);
        }),
      );
    },
  );

  it('a bare date given to $max on a datetime means its midnight, as a write takes it', () => {
    expect(apply('moment', '$max', '2024-05-01', '2024-04-30 23:59:59')).toBe('2024-05-01 00:00:00');
  });

  it.each(['$min', '$max'] as const)("%s on a char: Python's str order (code points), empty as ''", (operator) => {
    const codePoints = (text: string) => Array.from(text, (char) => char.codePointAt(0) as number);
    const pythonLess = (a: string, b: string) => {
      const [x, y] = [codePoints(a), codePoints(b)];
      for (let i = 0; i < Math.min(x.length, y.length); i++)
        if (x[i] !== y[i]) return (x[i] as number) < (y[i] as number);
      return x.length < y.length;
    };
    const text = fc.string({
      unit: fc.oneof(fc.constantFrom('a', 'b', 'ｚ', '😀', '\uffff'), fc.string({ unit: 'grapheme', maxLength: 1 })),
      maxLength: 4,
    });
    fc.assert(
      fc.property(emptyOr(text.filter((t) => t !== '')), text, (current, operand) => {
        const a = current ?? '';
        const smaller = pythonLess(operand, a) ? operand : a;
        const larger = pythonLess(a, operand) ? operand : a;
        const expected = operator === '$min' ? smaller : larger;
        expect(apply('name', operator, operand, current)).toBe(expected === '' ? null : expected);
      }),
    );
  });

  it("orders an astral character after U+FFFF, as Python does (JavaScript's < would not)", () => {
    expect(apply('name', '$max', '\uffff', '😀')).toBe('😀');
    expect(apply('name', '$min', '\uffff', '😀')).toBe('\uffff');
  });

  it.each(['name', 'notes', 'body'])('$append and $prepend on %s: concatenation, empty as empty text', (name) => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: null }), fc.string(), (current, operand) => {
        const a = current ?? '';
        const emptyResult = current === '' ? '' : null;
        const appended = a + operand;
        const prepended = operand + a;
        expect(apply(name, '$append', operand, current)).toBe(appended === '' ? emptyResult : appended);
        expect(apply(name, '$prepend', operand, current)).toBe(prepended === '' ? emptyResult : prepended);
      }),
    );
  });

  it('$now: the commit time on a datetime, its date on a date, whatever the value', () => {
    expect(apply('moment', '$now', true, '2001-01-01 00:00:00')).toBe(COMMIT_TIME);
    expect(apply('day', '$now', true, undefined)).toBe('2024-03-04');
  });

  it('validateVals keeps the operator as a computed change, and drops it on a magic field as any value', () => {
    const validated = validateVals(
      model,
      new Map<string, PyValue>([
        ['count', op('$inc', 2)],
        ['write_date', op('$now', true)],
      ]),
    );
    expect([...validated.changes]).toEqual([
      [
        'count',
        { field: field('count'), change: { kind: 'computed', operator: '$inc', operand: 2 } satisfies ComputedChange },
      ],
    ]);
  });
});
