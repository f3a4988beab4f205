/**
 * Field values between the wire and the store, per Odoo type:
 * - parseFieldValue: a value from `vals` (PyValue) -> a change to apply, or a 403 naming field and type;
 * - readFieldValue: a stored value -> what Odoo's read() shows (many2one [id, name], empty -> false...).
 */
import { InvalidValueError, pyRepr } from '../errors';
import type { FieldDef, ModelDef } from '../models/registry';
import { emptyValueOf } from '../models/registry';
import { PyFloat, type PyValue } from '../wire/pyvalue';
import { validCalendarDate } from './dates';
import type { RecordKey, StoredValue } from './port';

/** Odoo integers are PostgreSQL int4. */
export const INT_MIN = -(2 ** 31);
export const INT_MAX = 2 ** 31 - 1;

/** An x2many command, as Odoo's (code, id, value) triples. */
export type X2ManyCommand =
  | { readonly op: 'create'; readonly vals: Map<string, PyValue> }
  | { readonly op: 'update'; readonly id: number; readonly vals: Map<string, PyValue> }
  | { readonly op: 'delete'; readonly id: number }
  | { readonly op: 'unlink'; readonly id: number }
  | { readonly op: 'link'; readonly id: number }
  | { readonly op: 'clear' }
  | { readonly op: 'set'; readonly ids: readonly number[] };

export type FieldChange =
  | { readonly kind: 'set'; readonly value: StoredValue }
  | { readonly kind: 'x2many'; readonly commands: readonly X2ManyCommand[] };

export function describeValue(value: PyValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value.length > 60 ? 'a string' : pyRepr(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof PyFloat) return String(value.value);
  if (Array.isArray(value)) return 'a list';
  return 'a dict';
}

function wrongType(model: ModelDef, field: FieldDef, expected: string, value: PyValue): InvalidValueError {
  return new InvalidValueError(
    `Invalid value for field '${field.name}' (${field.type}) on model '${model.model}': expected ${expected}, got ${describeValue(value)}`,
  );
}

const isEmpty = (value: PyValue) => value === false || value === null;
/** Odoo's convert_to_cache reads any falsy value as empty for these types, '' included. */
const isEmptyOrBlank = (value: PyValue) => isEmpty(value) || value === '';

function isInt(value: PyValue): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function isPositiveId(value: PyValue): value is number {
  return isInt(value) && value > 0 && value <= INT_MAX;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?)?$/;

function parseDate(text: string): string | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const [, y, m, d] = match;
  return validCalendarDate(Number(y), Number(m), Number(d)) ? text : undefined;
}

/** Odoo accepts "YYYY-MM-DD HH:MM:SS" (UTC) and a bare date for midnight; fractions are dropped. */
function parseDatetime(text: string): string | undefined {
  const match = DATETIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = match;
  if (!validCalendarDate(Number(y), Number(mo), Number(d))) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  return `${y}-${mo}-${d} ${h}:${mi}:${s}`;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function parseCommand(model: ModelDef, field: FieldDef, raw: PyValue): X2ManyCommand {
  const bad = () =>
    new InvalidValueError(
      `Invalid command for field '${field.name}' (${field.type}) on model '${model.model}': ${describeValue(raw)}; ` +
        'expected (0, 0, vals), (1, id, vals), (2, id), (3, id), (4, id), (5,) or (6, 0, ids)',
    );
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 3) throw bad();
  const [code, second, third] = raw;
  switch (code) {
    case 0:
      if (raw.length !== 3 || !(third instanceof Map)) throw bad();
      return { op: 'create', vals: third };
    case 1:
      if (raw.length !== 3 || !isPositiveId(second as PyValue) || !(third instanceof Map)) throw bad();
      return { op: 'update', id: second as number, vals: third };
    case 2:
    case 3:
    case 4:
      if (!isPositiveId(second as PyValue)) throw bad();
      return { op: code === 2 ? 'delete' : code === 3 ? 'unlink' : 'link', id: second as number };
    case 5:
      return { op: 'clear' };
    case 6: {
      if (raw.length !== 3 || !Array.isArray(third) || !third.every((id) => isPositiveId(id))) throw bad();
      return { op: 'set', ids: [...new Set(third as number[])] };
    }
    default:
      throw bad();
  }
}

/** Validates one value from `vals` for its field. */

/**
 * The floats a record can hold: DynamoDB keeps no number closer to 0 than 1e-130, and the SDK's
 * marshalling refuses numbers beyond 2**53 (it would lose their digits). Odoo's doubles go further;
 * outside this range a write is a 403 rather than a failed write (a 500).
 */
export const MIN_FLOAT_MAGNITUDE = 1e-130;
export function storableFloat(value: number): boolean {
  const magnitude = Math.abs(value);
  return magnitude === 0 || (magnitude >= MIN_FLOAT_MAGNITUDE && magnitude <= Number.MAX_SAFE_INTEGER);
}

export function parseFieldValue(model: ModelDef, field: FieldDef, value: PyValue): FieldChange {
  const set = (stored: StoredValue): FieldChange => ({ kind: 'set', value: stored });
  switch (field.type) {
    case 'char':
    case 'text':
    case 'html':
      if (isEmpty(value)) return set(null);
      if (typeof value === 'string') return set(value);
      throw wrongType(model, field, 'a string or False', value);
    case 'integer':
      if (isEmpty(value)) return set(null);
      if (isInt(value) && value >= INT_MIN && value <= INT_MAX) return set(value);
      if (typeof value === 'bigint' || isInt(value))
        throw wrongType(model, field, `an integer between ${INT_MIN} and ${INT_MAX}`, value);
      throw wrongType(model, field, 'an integer', value);
    case 'float':
    case 'monetary': {
      if (isEmpty(value)) return set(null);
      // Odoo stores float(value): an int beyond 2**53 becomes the nearest float.
      const number =
        value instanceof PyFloat
          ? value.value
          : isInt(value)
            ? value
            : typeof value === 'bigint'
              ? Number(value)
              : undefined;
      if (number === undefined) throw wrongType(model, field, 'a number', value);
      if (!storableFloat(number))
        throw wrongType(
          model,
          field,
          `a number of magnitude between ${MIN_FLOAT_MAGNITUDE} and ${Number.MAX_SAFE_INTEGER}`,
          value,
        );
      return set(number);
    }
    case 'boolean':
      if (value === null) return set(false);
      if (typeof value === 'boolean') return set(value);
      throw wrongType(model, field, 'True or False', value);
    case 'date': {
      if (isEmptyOrBlank(value)) return set(null);
      const date = typeof value === 'string' ? parseDate(value) : undefined;
      if (date !== undefined) return set(date);
      throw wrongType(model, field, "a date 'YYYY-MM-DD'", value);
    }
    case 'datetime': {
      if (isEmptyOrBlank(value)) return set(null);
      const datetime = typeof value === 'string' ? parseDatetime(value) : undefined;
      if (datetime !== undefined) return set(datetime);
      throw wrongType(model, field, "a UTC datetime 'YYYY-MM-DD HH:MM:SS'", value);
    }
    case 'selection': {
      if (isEmptyOrBlank(value)) return set(null);
      if (typeof value === 'string' && field.selection?.some(([key]) => key === value)) return set(value);
      // Odoo's own text for this ValueError.
      throw new InvalidValueError(`Wrong value for ${model.model}.${field.name}: ${describeValue(value)}`);
    }
    case 'many2one':
      if (isEmpty(value)) return set(null);
      if (isPositiveId(value)) return set(value);
      throw wrongType(model, field, `the id of a ${field.relation} record or False`, value);
    case 'binary':
      if (isEmpty(value)) return set(null);
      if (typeof value === 'string' && BASE64.test(value.replace(/\s+/g, ''))) return set(value.replace(/\s+/g, ''));
      throw wrongType(model, field, 'base64 text or False', value);
    case 'one2many':
    case 'many2many': {
      if (isEmpty(value)) return { kind: 'x2many', commands: [{ op: 'clear' }] };
      if (!Array.isArray(value)) throw wrongType(model, field, 'a list of commands such as [(6, 0, [ids])]', value);
      // No commands: the links stay as they are, as in Odoo.
      if (value.length === 0) return { kind: 'x2many', commands: [] };
      // A bare list of ids replaces the set, as Odoo accepts for x2many writes.
      if (value.every((item) => isPositiveId(item)))
        return { kind: 'x2many', commands: [{ op: 'set', ids: [...new Set(value as number[])] }] };
      return { kind: 'x2many', commands: value.map((command) => parseCommand(model, field, command)) };
    }
  }
}

/**
 * Applies x2many commands to the current id list, in order, as Odoo does. `createdIds` gives the
 * ids of the records that (0, 0, vals) commands create, in command order.
 */
export function applyX2ManyCommands(
  current: readonly number[],
  commands: readonly X2ManyCommand[],
  createdIds?: Iterator<number>,
): number[] {
  let ids = [...current];
  for (const command of commands) {
    switch (command.op) {
      case 'link':
        if (!ids.includes(command.id)) ids.push(command.id);
        break;
      case 'unlink':
      case 'delete':
        ids = ids.filter((id) => id !== command.id);
        break;
      case 'clear':
        ids = [];
        break;
      case 'set':
        ids = [...command.ids];
        break;
      case 'create': {
        const created = createdIds?.next();
        if (created && !created.done) ids.push(created.value);
        break;
      }
      case 'update':
        break;
    }
  }
  return ids;
}

/** The records a change needs to exist at commit (many2one targets, linked x2many records). */
export function referencedKeys(field: FieldDef, change: FieldChange): RecordKey[] {
  if (!field.relation) return [];
  const model = field.relation;
  if (change.kind === 'set') return typeof change.value === 'number' ? [{ model, id: change.value }] : [];
  return change.commands.flatMap((command) => {
    if (command.op === 'link') return [{ model, id: command.id }];
    if (command.op === 'set') return command.ids.map((id) => ({ model, id }));
    return [];
  });
}

/**
 * A stored value as Odoo's read() renders it. `displayName` resolves many2one targets; a target
 * that no longer exists reads as false, as a dangling many2one does in Odoo.
 */
export function readFieldValue(
  field: FieldDef,
  stored: StoredValue | undefined,
  displayName: (key: RecordKey) => string | undefined,
): PyValue {
  if (stored === undefined || stored === null) return emptyValueOf(field);
  // A value of another type (left by a custom field dropped and created again with another ttype)
  // reads as empty, as Odoo's new column would: a float that is not a number must not fail the read.
  switch (field.type) {
    case 'float':
    case 'monetary':
      return typeof stored === 'number' && Number.isFinite(stored) ? new PyFloat(stored) : emptyValueOf(field);
    case 'many2one': {
      if (typeof stored !== 'number' || !Number.isSafeInteger(stored) || stored <= 0) return false;
      const name = displayName({ model: field.relation as string, id: stored });
      return name === undefined ? false : [stored, name];
    }
    case 'one2many':
    case 'many2many':
      return Array.isArray(stored) ? [...stored] : [];
    default:
      return stored as PyValue;
  }
}
