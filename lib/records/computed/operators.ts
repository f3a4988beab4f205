/**
 * Operators in vals (issue 14): `{'credit_limit': {'$inc': 100}}` sets a field from its own
 * current value, record by record, on the consistent read the write commits against. Parsed and
 * checked with the vals (parseOperator, before anything is read); applied while the transaction
 * is built (applyOperator), so a version conflict's re-read recomputes them and each operator
 * applies exactly once per committed request.
 *
 * An empty current value counts as Odoo reads it: 0 for numbers, '' for text. A date or datetime
 * has no "zero", so $min/$max on an empty one set the operand (as MongoDB's do on a missing field).
 */
import { InvalidValueError } from '../../errors';
import type { FieldDef, FieldType, ModelDef } from '../../models/registry';
import { PyFloat, type PyDict, type PyValue } from '../../wire/pyvalue';
import { compareCodePoints } from '../../wire/code-points';
import type { StoredRecord, StoredValue } from '../port';
import { describeValue, INT_MAX, INT_MIN, MIN_FLOAT_MAGNITUDE, parseFieldValue, storableFloat } from '../values';

/**
 * $inc, $mul, $min or $max over one number type: BigInt for integers (exact whatever the operands),
 * doubles for floats. Only the arithmetic differs between the two, hence add and mul passed in.
 */
function numericResult<N extends number | bigint>(
  operator: OperatorName,
  current: N,
  by: N,
  add: (a: N, b: N) => N,
  mul: (a: N, b: N) => N,
): N {
  if (operator === '$inc') return add(current, by);
  if (operator === '$mul') return mul(current, by);
  if (operator === '$min') return by < current ? by : current;
  return by > current ? by : current;
}

export type OperatorName = '$inc' | '$mul' | '$min' | '$max' | '$append' | '$prepend' | '$now';

/** The field types each operator applies to. */
const TYPES: Readonly<Record<OperatorName, readonly FieldType[]>> = {
  $inc: ['integer', 'float', 'monetary'],
  $mul: ['integer', 'float', 'monetary'],
  $min: ['integer', 'float', 'monetary', 'date', 'datetime', 'char'],
  $max: ['integer', 'float', 'monetary', 'date', 'datetime', 'char'],
  $append: ['char', 'text', 'html'],
  $prepend: ['char', 'text', 'html'],
  $now: ['date', 'datetime'],
};

const isOperatorName = (name: string): name is OperatorName => Object.hasOwn(TYPES, name);

/** A field's change computed from its current value: the operator and its (checked) operand. */
export interface ComputedChange {
  readonly kind: 'computed';
  readonly operator: OperatorName;
  /** A number for $inc/$mul and numeric $min/$max, a string for text and dates, true for $now. */
  readonly operand: number | string | true;
}

/** Whether a value in vals is meant as an operator: a dict with a key that starts with '$'. */
export function isOperatorDict(value: PyValue): value is PyDict {
  return value instanceof Map && [...value.keys()].some((key) => key.startsWith('$'));
}

function invalid(model: ModelDef, field: FieldDef, problem: string): InvalidValueError {
  return new InvalidValueError(
    `Invalid operator for field '${field.name}' (${field.type}) on model '${model.model}': ${problem}`,
  );
}

/**
 * Checks an operator dict for `field`: exactly one key, a known operator, one that applies to the
 * field's type, and an operand of the right type. Anything else is a 403 naming field and
 * operator, as a wrong value is (validate.ts), with nothing read or written.
 */
export function parseOperator(model: ModelDef, field: FieldDef, value: PyDict): ComputedChange {
  const keys = [...value.keys()];
  if (keys.length !== 1)
    throw invalid(
      model,
      field,
      `an operator dict has exactly one key, got ${keys.length} (${keys.map((key) => `'${key}'`).join(', ')})`,
    );
  const name = keys[0] as string;
  const operand = value.get(name) as PyValue;
  if (!isOperatorName(name))
    throw invalid(model, field, `unknown operator '${name}'; use one of ${Object.keys(TYPES).join(', ')}`);
  const types = TYPES[name];
  if (!types.includes(field.type))
    throw invalid(model, field, `'${name}' applies to fields of type ${types.join(', ')}, not ${field.type}`);
  const wrongOperand = (expected: string) =>
    invalid(model, field, `'${name}' expects ${expected}, got ${describeValue(operand)}`);
  const computed = (checked: number | string | true): ComputedChange => ({
    kind: 'computed',
    operator: name,
    operand: checked,
  });

  if (name === '$now') {
    if (operand !== true) throw wrongOperand('True');
    return computed(true);
  }
  if (name === '$append' || name === '$prepend') {
    if (typeof operand !== 'string') throw wrongOperand('a string');
    return computed(operand);
  }
  if (field.type === 'integer') {
    // $inc/$mul/$min/$max on an integer: an integer operand (a float would not stay an integer).
    if (typeof operand !== 'number' || !Number.isSafeInteger(operand)) throw wrongOperand('an integer');
    return computed(operand);
  }
  if (field.type === 'float' || field.type === 'monetary') {
    const number =
      operand instanceof PyFloat
        ? operand.value
        : typeof operand === 'number' && Number.isSafeInteger(operand)
          ? operand
          : undefined;
    if (number === undefined || !Number.isFinite(number)) throw wrongOperand('a number');
    return computed(number);
  }
  // $min/$max on a date, datetime or char: a non-empty value of the field, as a write takes it.
  const expected = {
    date: "a date 'YYYY-MM-DD'",
    datetime: "a UTC datetime 'YYYY-MM-DD HH:MM:SS'",
  }[field.type as string];
  if (typeof operand !== 'string' || (expected !== undefined && operand === ''))
    throw wrongOperand(expected ?? 'a string');
  let parsed: StoredValue;
  try {
    const change = parseFieldValue(model, field, operand);
    parsed = change.kind === 'set' ? change.value : null;
  } catch {
    throw wrongOperand(expected ?? 'a string');
  }
  return computed(typeof parsed === 'string' ? parsed : operand);
}

/** A stored number as Odoo reads it: empty (or not a number: a left-over of another type) is 0. */
function currentNumber(stored: StoredValue | undefined): number {
  return typeof stored === 'number' && Number.isFinite(stored) ? stored : 0;
}

function currentText(stored: StoredValue | undefined): string {
  return typeof stored === 'string' ? stored : '';
}

/**
 * The value `change` gives `field` of `record` (as read), with `commitTime` ('YYYY-MM-DD HH:MM:SS',
 * the write_date the write sets) for $now. A result the field cannot hold (an integer out of
 * PostgreSQL's int4 range, a float the store cannot keep) is a 403 naming the record and field.
 */
export function applyOperator(
  field: FieldDef,
  record: StoredRecord,
  change: ComputedChange,
  commitTime: string,
): StoredValue {
  const { operator, operand } = change;
  const stored = record.values[field.name];
  const outOfRange = (result: string, range: string) =>
    new InvalidValueError(
      `Invalid value for field '${field.name}' (${field.type}) of ${record.model}(${record.id}): ` +
        `'${operator}' gives ${result}, outside ${range}; nothing was written`,
    );

  switch (field.type) {
    case 'integer': {
      // BigInt: exact whatever the operands, so the range check never sees a rounded product.
      const current = BigInt(currentNumber(stored));
      const by = BigInt(operand as number);
      const result = numericResult(
        operator,
        current,
        by,
        (a, b) => a + b,
        (a, b) => a * b,
      );
      if (result < BigInt(INT_MIN) || result > BigInt(INT_MAX))
        throw outOfRange(String(result), `Odoo's integer range ${INT_MIN} to ${INT_MAX}`);
      return Number(result);
    }
    case 'float':
    case 'monetary': {
      const current = currentNumber(stored);
      const by = operand as number;
      const result = numericResult(
        operator,
        current,
        by,
        (a, b) => a + b,
        (a, b) => a * b,
      );
      if (!Number.isFinite(result) || !storableFloat(result))
        throw outOfRange(
          String(result),
          `the magnitudes a float can hold (0, or ${MIN_FLOAT_MAGNITUDE} to ${Number.MAX_SAFE_INTEGER})`,
        );
      // -0 reads as 0.0 in Odoo; the store keeps no sign of zero either.
      return result === 0 ? 0 : result;
    }
    case 'date':
    case 'datetime': {
      if (operator === '$now') return field.type === 'date' ? commitTime.slice(0, 10) : commitTime;
      const by = operand as string;
      // Both are in a fixed-width ISO form: text order is time order.
      if (typeof stored !== 'string' || stored === '') return by;
      const keepCurrent = operator === '$min' ? stored <= by : stored >= by;
      return keepCurrent ? stored : by;
    }
    default: {
      // char, text, html.
      const current = currentText(stored);
      const by = operand as string;
      let result: string;
      if (operator === '$append') result = current + by;
      else if (operator === '$prepend') result = by + current;
      else {
        const order = compareCodePoints(current, by);
        result = operator === '$min' ? (order <= 0 ? current : by) : order >= 0 ? current : by;
      }
      // Nothing added to an empty value leaves it as it was (NULL stays NULL, '' stays '').
      return result === '' ? (stored === '' ? '' : null) : result;
    }
  }
}
