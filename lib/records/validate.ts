/**
 * `vals` checked against the model before anything is read: unknown fields, wrong types, required
 * fields cleared, bad selections and command shapes are all 403s, with nothing read or written.
 */
import { InvalidFieldError, InvalidValueError } from '../errors';
import type { Operation } from '../models/access';
import { getModel, type FieldDef, type ModelDef, type ModelRegistry } from '../models/registry';
import type { PyValue } from '../wire/pyvalue';
import { isOperatorDict, parseOperator, type ComputedChange } from './computed/operators';
import { recordKeyString, type RecordKey } from './port';
import { parseFieldValue, referencedKeys, type FieldChange } from './values';

/** A value to set or x2many commands (values.ts), or an operator computed from the current value. */
export type ValChange = FieldChange | ComputedChange;

export interface ValidatedVals {
  readonly changes: ReadonlyMap<string, { readonly field: FieldDef; readonly change: ValChange }>;
  /** Records that must exist at commit, by recordKeyString(), with the field that references each. */
  readonly references: ReadonlyMap<string, { readonly key: RecordKey; readonly field: FieldDef }>;
  /** Linked records that `(1, id, vals)` commands write in the same transaction, by recordKeyString(). */
  readonly linked: ReadonlyMap<string, LinkedWrite>;
  /** The records `(0, 0, vals)` commands create, in command order (one each per written record). */
  readonly creates: readonly LinkedCreate[];
  /** The records `(2, id)` commands delete (with their ondelete rules), by recordKeyString(). */
  readonly deletes: ReadonlyMap<string, { readonly key: RecordKey; readonly field: FieldDef }>;
}

export interface LinkedCreate {
  readonly field: FieldDef;
  readonly model: ModelDef;
  readonly vals: ValidatedVals;
}

export interface LinkedWrite {
  readonly key: RecordKey;
  readonly field: FieldDef;
  readonly vals: ValidatedVals;
}

/**
 * Checks `vals` against the model before anything is read: unknown fields, wrong types, required
 * fields cleared, bad selections and command shapes are all 403s. Magic fields are dropped.
 * `(1, id, vals)` commands are checked against the comodel (one level deep) with `registry`.
 */
export function validateVals(
  model: ModelDef,
  vals: ReadonlyMap<string, PyValue>,
  registry?: ModelRegistry,
): ValidatedVals {
  const changes = new Map<string, { field: FieldDef; change: ValChange }>();
  const references = new Map<string, { key: RecordKey; field: FieldDef }>();
  const linked = new Map<string, LinkedWrite>();
  const creates: LinkedCreate[] = [];
  const deletes = new Map<string, { key: RecordKey; field: FieldDef }>();
  for (const [name, value] of vals) {
    const field = model.fieldsByName.get(name);
    if (!field) throw new InvalidFieldError(name, model.model);
    if (field.magic) continue;
    if (isOperatorDict(value)) {
      changes.set(name, { field, change: parseOperator(model, field, value) });
      continue;
    }
    const change = parseFieldValue(model, field, value);
    if (change.kind === 'set' && change.value === null && field.required) {
      throw new InvalidValueError(
        `Field '${field.name}' (${field.string}) on model '${model.model}' is required and cannot be cleared`,
      );
    }
    if (change.kind === 'x2many') {
      for (const command of change.commands) {
        if (command.op === 'update' && registry) {
          const key = { model: field.relation as string, id: command.id };
          const earlier = linked.get(recordKeyString(key))?.vals;
          linked.set(recordKeyString(key), {
            key,
            field,
            vals: mergeValidated(
              earlier,
              withoutOperators(validateVals(getModel(registry, key.model), command.vals), field, '(1, id, vals)'),
            ),
          });
        } else if (command.op === 'create' && registry) {
          const comodel = getModel(registry, field.relation as string);
          creates.push({
            field,
            model: comodel,
            vals: withoutOperators(validateVals(comodel, command.vals), field, '(0, 0, vals)'),
          });
        } else if (command.op === 'delete' && registry) {
          const key = { model: field.relation as string, id: command.id };
          deletes.set(recordKeyString(key), { key, field });
        } else if (command.op === 'create' || command.op === 'delete' || command.op === 'update') {
          // Commands inside the vals of (0, 0, vals) and (1, id, vals) stop at one level.
          throw new InvalidValueError(
            `Command '${command.op}' on field '${field.name}' is not supported inside (0, 0, vals) or (1, id, vals); ` +
              'write the linked records with their own request',
          );
        }
      }
    }
    changes.set(name, { field, change });
    for (const key of referencedKeys(field, change)) references.set(recordKeyString(key), { key, field });
  }
  return { changes, references, linked, creates, deletes };
}

/**
 * Refuses operators ($inc...) where they have no single record read to compute from, or where
 * two commands on one record would merge them: in a create, and inside (0, 0, vals) or
 * (1, id, vals). `where` says which, for the message.
 */
export function withoutOperators(vals: ValidatedVals, field: FieldDef | undefined, where: string): ValidatedVals {
  for (const [name, { change }] of vals.changes) {
    if (change.kind !== 'computed') continue;
    const inside = field ? ` inside ${where} on field '${field.name}'` : ` in ${where}`;
    throw new InvalidValueError(
      `Operator '${change.operator}' on field '${name}' is not allowed${inside}: operators compute from a ` +
        "record's current value, so they apply only to the fields of the records a write (PUT) updates",
    );
  }
  return vals;
}

/** Two updates of one record, as applying one after the other would leave it. */
function mergeValidated(earlier: ValidatedVals | undefined, later: ValidatedVals): ValidatedVals {
  if (!earlier) return later;
  const changes = new Map(earlier.changes);
  for (const [name, next] of later.changes) {
    const previous = changes.get(name)?.change;
    if (previous?.kind === 'x2many' && next.change.kind === 'x2many') {
      changes.set(name, {
        field: next.field,
        change: { kind: 'x2many', commands: [...previous.commands, ...next.change.commands] },
      });
    } else {
      changes.set(name, next);
    }
  }
  return {
    changes,
    references: new Map([...earlier.references, ...later.references]),
    linked: new Map(),
    creates: [],
    deletes: new Map(),
  };
}

/** A right on another model than the one written that a request needs (its x2many commands'). */
export interface AccessNeed {
  readonly model: string;
  readonly operation: Operation;
  /** The x2many field whose command needs it. */
  readonly field: FieldDef;
}

/**
 * The rights the x2many commands of `vals` need on the models they act on, as Odoo's
 * _RelationalMulti write_real checks them (the written model's own right is the caller's to check):
 * (0, 0, vals) create, (1, id, vals) write, (2, id) unlink on the comodel; (3, id), (4, id), (5,)
 * and (6, 0, ids) write on the comodel of a one2many (they set or clear the children's inverse
 * many2one), nothing more on a many2many (only the written record's links change). Commands
 * inside (0, 0, vals) and (1, id, vals) count too. One need per model and operation.
 */
export function accessNeeds(vals: ValidatedVals): AccessNeed[] {
  const needs = new Map<string, AccessNeed>();
  const need = (model: string, operation: Operation, field: FieldDef) => {
    if (!needs.has(`${model}:${operation}`)) needs.set(`${model}:${operation}`, { model, operation, field });
  };
  const visit = (current: ValidatedVals) => {
    for (const { field, change } of current.changes.values()) {
      if (change.kind !== 'x2many' || field.relation === undefined) continue;
      for (const command of change.commands) {
        if (command.op === 'create') need(field.relation, 'create', field);
        else if (command.op === 'update') need(field.relation, 'write', field);
        else if (command.op === 'delete') need(field.relation, 'unlink', field);
        else if (field.type === 'one2many') need(field.relation, 'write', field);
      }
    }
    for (const create of current.creates) visit(create.vals);
    for (const link of current.linked.values()) visit(link.vals);
  };
  visit(vals);
  return [...needs.values()];
}

/** What writing or creating a `model` record with `vals` needs on other models; `vals` checked as validateVals does. */
export function relatedAccessNeeds(
  registry: ModelRegistry,
  model: string,
  vals: ReadonlyMap<string, PyValue>,
): AccessNeed[] {
  return accessNeeds(validateVals(getModel(registry, model), vals, registry));
}
