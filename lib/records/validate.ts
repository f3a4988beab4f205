/**
 * `vals` checked against the model before anything is read: unknown fields, wrong types, required
 * fields cleared, bad selections and command shapes are all 403s, with nothing read or written.
 */
import { InvalidFieldError, InvalidValueError } from '../errors';
import { getModel, type FieldDef, type ModelDef, type ModelRegistry } from '../models/registry';
import type { PyValue } from '../wire/pyvalue';
import { recordKeyString, type RecordKey } from './port';
import { parseFieldValue, referencedKeys, type FieldChange } from './values';

export interface ValidatedVals {
  readonly changes: ReadonlyMap<string, { readonly field: FieldDef; readonly change: FieldChange }>;
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
  const changes = new Map<string, { field: FieldDef; change: FieldChange }>();
  const references = new Map<string, { key: RecordKey; field: FieldDef }>();
  const linked = new Map<string, LinkedWrite>();
  const creates: LinkedCreate[] = [];
  const deletes = new Map<string, { key: RecordKey; field: FieldDef }>();
  for (const [name, value] of vals) {
    const field = model.fieldsByName.get(name);
    if (!field) throw new InvalidFieldError(name, model.model);
    if (field.magic) continue;
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
            vals: mergeValidated(earlier, validateVals(getModel(registry, key.model), command.vals)),
          });
        } else if (command.op === 'create' && registry) {
          const comodel = getModel(registry, field.relation as string);
          creates.push({ field, model: comodel, vals: validateVals(comodel, command.vals) });
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
