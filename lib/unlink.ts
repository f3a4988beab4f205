/**
 * Odoo's unlink(): delete records, all or nothing, and apply each referencing field's ondelete
 * rule as PostgreSQL's foreign keys would: `set null` clears the reference, `cascade` deletes the
 * referencing record too (and so on down), `restrict` refuses the whole delete (403). many2many and
 * one2many id lists drop the deleted ids.
 *
 * Finding the references walks every model that has a field pointing at a deleted record's model
 * through its index (there is no reverse index yet): the cost grows with those models' sizes.
 */
import { BadRequestError, InvalidValueError, RecordNotFoundError, TooManyIdsError } from './errors';
import type { FieldDef, ModelDef, ModelRegistry, OnDelete } from './models';
import { MAX_TRANSACTION_ACTIONS, recordKeyString, type StoredRecord, type StoredValue, type WriteAction } from './record-store';
import { checkTransactionSize, commitOrRetry, getModel, type RecordsDeps } from './records';

export interface UnlinkRequest {
  readonly model: string;
  readonly ids: readonly number[];
}

interface Reference {
  readonly model: ModelDef;
  readonly field: FieldDef;
}

/** Every stored field of every model that points at `target`. */
function referencesTo(registry: ModelRegistry, target: string): Reference[] {
  return registry.models.flatMap((model) => model.fields.filter((field) => field.relation === target).map((field) => ({ model, field })));
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

/** The records to delete and the referencing records to update, following ondelete rules to the end. */
async function planUnlink(deps: RecordsDeps, records: readonly StoredRecord[]) {
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
  for (let round: StoredRecord[] = [...records]; round.length > 0; ) {
    const next: StoredRecord[] = [];
    const idsByModel = new Map<string, Set<number>>();
    for (const record of round) idsByModel.set(record.model, (idsByModel.get(record.model) ?? new Set()).add(record.id));
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

/** Deletes the records of `ids` and applies the ondelete rules, in one transaction or not at all. */
export async function unlinkRecords(deps: RecordsDeps, request: UnlinkRequest): Promise<void> {
  const model = getModel(deps.registry, request.model);
  if (request.ids.length > MAX_TRANSACTION_ACTIONS) throw new TooManyIdsError(request.ids.length, MAX_TRANSACTION_ACTIONS);
  const keys = request.ids.map((id) => ({ model: model.model, id }));
  for (let attempt = 1; ; attempt++) {
    const found = await deps.store.getMany(keys, { consistent: true });
    const missing = request.ids.filter((id) => !found.has(recordKeyString({ model: model.model, id })));
    if (missing.length > 0) throw new RecordNotFoundError(model.model, missing);
    const plan = await planUnlink(deps, keys.map((key) => found.get(recordKeyString(key)) as StoredRecord));
    const actions: WriteAction[] = [
      ...plan.deleted.map((record): WriteAction => ({ kind: 'delete', key: { model: record.model, id: record.id }, expectedVersion: record.version })),
      ...plan.updates.map(({ record, set }): WriteAction => ({ kind: 'update', key: { model: record.model, id: record.id }, expectedVersion: record.version, set })),
    ];
    checkTransactionSize(actions.length, request.ids.length);
    const transaction = { actions, newStates: [], linkedStates: [], checkedFields: new Map() };
    if (await commitOrRetry(deps, transaction, model, attempt, `The records ${model.model}(${request.ids.join(', ')})`)) return;
  }
}
