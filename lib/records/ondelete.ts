/**
 * The ondelete rules of Odoo's unlink(), as PostgreSQL's foreign keys apply them: `set null`
 * clears the reference, `cascade` deletes the referencing record too (and so on down), `restrict`
 * refuses the whole delete (403). many2many and one2many id lists drop the deleted ids.
 *
 * Finding the references reads every model that has a field pointing at a deleted record's model
 * (its index shards in parallel; there is no reverse index yet): the cost grows with their sizes.
 */
import { BadRequestError, InvalidValueError } from '../errors';
import type { FieldDef, ModelDef, ModelRegistry, OnDelete } from '../models/registry';
import {
  MAX_TRANSACTION_ACTIONS,
  recordKeyString,
  type RecordStore,
  type StoredRecord,
  type StoredValue,
} from './port';

interface Reference {
  readonly model: ModelDef;
  readonly field: FieldDef;
}

/** Every stored field of every model that points at `target`. */
function referencesTo(registry: ModelRegistry, target: string): Reference[] {
  return registry.models.flatMap((model) =>
    model.fields.filter((field) => field.relation === target).map((field) => ({ model, field })),
  );
}

/** Odoo's default for a many2one without ondelete: set null, but a required one cannot be cleared. */
function ondeleteOf(field: FieldDef): OnDelete {
  return field.ondelete ?? (field.required ? 'restrict' : 'set null');
}

function restricted(reference: Reference, record: StoredRecord): InvalidValueError {
  return new InvalidValueError(
    'The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\n' +
      `Model: ${reference.model.description} (${reference.model.model}), Field: ${reference.field.string} (${reference.field.name}), ` +
      `record ${reference.model.model}(${record.id})`,
  );
}

/** What deleting some records takes: those records and the cascaded ones, and the references to clear. */
export interface UnlinkPlan {
  readonly deleted: StoredRecord[];
  readonly updates: Array<{ readonly record: StoredRecord; readonly set: Record<string, StoredValue> }>;
}

/** The records to delete and the referencing records to update, following ondelete rules to the end. */
export async function planUnlink(
  deps: { registry: ModelRegistry; store: RecordStore },
  records: readonly StoredRecord[],
): Promise<UnlinkPlan> {
  const deleted = new Map(records.map((record) => [recordKeyString(record), record] as const));
  const updates = new Map<string, { record: StoredRecord; set: Record<string, StoredValue> }>();

  /** One record that may point at a deleted one: kept, cleared, or deleted too (returned). */
  const visit = (reference: Reference, ids: ReadonlySet<number>, record: StoredRecord): StoredRecord | undefined => {
    const key = recordKeyString(record);
    if (deleted.has(key)) return undefined;
    const value = record.values[reference.field.name];
    let cascaded: StoredRecord | undefined;
    if (reference.field.type === 'many2one') {
      if (typeof value !== 'number' || !ids.has(value)) return undefined;
      const rule = ondeleteOf(reference.field);
      if (rule === 'restrict') throw restricted(reference, record);
      if (rule === 'cascade') {
        deleted.set(key, record);
        updates.delete(key);
        cascaded = record;
      } else {
        const update = updates.get(key) ?? { record, set: Object.create(null) };
        update.set[reference.field.name] = null;
        updates.set(key, update);
      }
    } else if (Array.isArray(value) && value.some((id) => ids.has(id))) {
      const update = updates.get(key) ?? { record, set: Object.create(null) };
      const current = (update.set[reference.field.name] as number[] | undefined) ?? value;
      update.set[reference.field.name] = current.filter((id) => !ids.has(id));
      updates.set(key, update);
    }
    if (deleted.size + updates.size > MAX_TRANSACTION_ACTIONS) {
      throw new BadRequestError(
        `This delete also deletes or updates more than ${MAX_TRANSACTION_ACTIONS} records through ondelete rules and links; ` +
          `one all-or-nothing delete holds at most ${MAX_TRANSACTION_ACTIONS}`,
      );
    }
    return cascaded;
  };

  // Rounds: the records deleted by cascade in one round are the targets of the next.
  for (let round: StoredRecord[] = [...records]; round.length > 0;) {
    const next: StoredRecord[] = [];
    const idsByModel = new Map<string, Set<number>>();
    for (const record of round)
      idsByModel.set(record.model, (idsByModel.get(record.model) ?? new Set()).add(record.id));
    for (const [target, ids] of idsByModel) {
      for (const reference of referencesTo(deps.registry, target)) {
        await deps.store.scanModel(reference.model.model, (page) => {
          for (const record of page) {
            const cascaded = visit(reference, ids, record);
            if (cascaded) next.push(cascaded);
          }
        });
      }
    }
    round = next;
  }
  return { deleted: [...deleted.values()], updates: [...updates.values()] };
}
