/**
 * One attempt's transaction, built in memory from the records as read: a version-conditioned
 * Update per written record, a Put per created record, the deletions (2, id) commands make with
 * their ondelete consequences, and a ConditionCheck per other record the values reference.
 * Nothing here reads or writes: the use cases (write.ts, create.ts) read first and commit after.
 */
import { InvalidValueError } from '../errors';
import type { FieldDef, ModelDef } from '../models/registry';
import type { Caller } from './deps';
import { applyOperator } from './computed/operators';
import type { UnlinkPlan } from './ondelete';
import {
  deleteAction,
  recordKeyString,
  updateAction,
  type RecordKey,
  type StoredRecord,
  type StoredValue,
  type WriteAction,
} from './port';
import type { ValidatedVals } from './validate';
import { applyX2ManyCommands } from './values';

/**
 * The values to SET on one record for these changes, computed from its current state (x2many
 * commands and operators such as $inc apply to its values as read).
 * `createdIds` gives the ids of the records its (0, 0, vals) commands create, in command order.
 */
export function computeUpdate(
  record: StoredRecord,
  vals: ValidatedVals,
  caller: Caller,
  commitTime: string,
  createdIds?: Iterator<number>,
): Record<string, StoredValue> {
  const set: Record<string, StoredValue> = Object.create(null);
  for (const [name, { field, change }] of vals.changes) {
    if (change.kind === 'set') {
      set[name] = change.value;
    } else if (change.kind === 'computed') {
      // From this record's value as read: a re-read after a version conflict computes it again.
      set[name] = applyOperator(field, record, change, commitTime);
    } else {
      const current = record.values[name];
      set[name] = applyX2ManyCommands(Array.isArray(current) ? current : [], change.commands, createdIds);
    }
  }
  set.write_uid = caller.userId;
  set.write_date = commitTime;
  return set;
}

export interface WriteTransaction {
  readonly actions: WriteAction[];
  /** The written records as they will be once committed, in the order given. */
  readonly newStates: StoredRecord[];
  /** The same for linked records that (1, id, vals) commands update. */
  readonly linkedStates: StoredRecord[];
  /** For each ConditionCheck, the field whose value requires the record. */
  readonly checkedFields: ReadonlyMap<string, FieldDef>;
  /**
   * Records whose contacts below did not fit the transaction: renamed once it committed
   * (lib/records/complete-names.ts, settleCompleteNames).
   */
  readonly settle?: readonly RecordKey[];
  /**
   * Records a completion read consistently for this attempt (inverses.ts: the parents, the children
   * lists name), by recordKeyString: the next completion reads them no more.
   */
  readonly completionReads?: ReadonlyMap<string, StoredRecord>;
}

/**
 * `transaction`'s new and linked states with the values a completion of it gave some of their
 * records (by recordKeyString): what the answer renders once it commits.
 */
export function completedStates(
  transaction: WriteTransaction,
  values: ReadonlyMap<string, Readonly<Record<string, StoredValue>>>,
): Pick<WriteTransaction, 'newStates' | 'linkedStates'> {
  const withValues = (state: StoredRecord): StoredRecord => {
    const completed = values.get(recordKeyString(state));
    return completed ? { ...state, values: Object.assign(Object.create(null), completed) } : state;
  };
  return { newStates: transaction.newStates.map(withValues), linkedStates: transaction.linkedStates.map(withValues) };
}

/** Collects the actions of one attempt, and what the records will look like once committed. */
class TransactionBuilder {
  readonly actions: WriteAction[] = [];
  /** Records this transaction writes (DynamoDB allows one action per item). */
  readonly #written = new Set<string>();
  /** Records that the records created by (0, 0, vals) commands reference. */
  readonly #childReferences = new Map<string, { key: RecordKey; field: FieldDef }>();

  constructor(
    private readonly caller: Caller,
    private readonly commitTime: string,
    private readonly now: number,
  ) {}

  /**
   * An Update of `record` with `changes`, and the records its (0, 0, vals) commands create with
   * the ids of `createdIds` (one per command, in order); returns its state once committed.
   */
  update(record: StoredRecord, changes: ValidatedVals, createdIds: readonly number[] = []): StoredRecord {
    const set = computeUpdate(record, changes, this.caller, this.commitTime, createdIds[Symbol.iterator]());
    const action = updateAction(record, set);
    this.actions.push(action);
    this.#written.add(recordKeyString(record));
    this.createChildren(record.id, changes, createdIds);
    return { ...record, version: record.version + 1, values: Object.assign(Object.create(null), action.after) };
  }

  create(record: StoredRecord, changes: ValidatedVals, createdIds: readonly number[] = []): void {
    this.actions.push({ kind: 'create', key: { model: record.model, id: record.id }, record });
    this.#written.add(recordKeyString(record));
    this.createChildren(record.id, changes, createdIds);
  }

  /** The records of the (0, 0, vals) commands; a one2many's inverse many2one points at the parent. */
  private createChildren(parentId: number, changes: ValidatedVals, createdIds: readonly number[]): void {
    changes.creates.forEach((create, index) => {
      const id = createdIds[index];
      if (id === undefined) throw new Error('an id for every (0, 0, vals) command must be reserved first');
      const inverse =
        create.field.type === 'one2many' && create.field.relationField
          ? { [create.field.relationField]: parentId }
          : {};
      const child = newRecord(create.model, id, create.vals, this.caller, this.commitTime, inverse);
      this.actions.push({ kind: 'create', key: { model: child.model, id }, record: child });
      this.#written.add(recordKeyString(child));
      for (const [keyString, reference] of create.vals.references) this.#childReferences.set(keyString, reference);
    });
  }

  /**
   * The deletions of (2, id) commands with their ondelete consequences. A referencing record that
   * this request writes keeps its own new state: fine when the reference is the x2many the command
   * is on (the command drops the id), refused otherwise (its outcome would depend on the order).
   */
  remove(model: ModelDef, vals: ValidatedVals, plan: UnlinkPlan): void {
    for (const record of plan.deleted) {
      const keyString = recordKeyString(record);
      if (this.#written.has(keyString)) {
        throw new InvalidValueError(
          `${record.model}(${record.id}) cannot be deleted by (2, id) on model '${model.model}': this request also writes it`,
        );
      }
      this.actions.push(deleteAction(record));
      this.#written.add(keyString);
    }
    for (const { record, set } of plan.updates) {
      if (!this.#written.has(recordKeyString(record))) {
        this.actions.push(updateAction(record, set));
        continue;
      }
      const covered = Object.keys(set).every((name) => {
        const change = vals.changes.get(name)?.change;
        return change?.kind === 'x2many' && change.commands.some((command) => command.op === 'delete');
      });
      if (!covered) {
        throw new InvalidValueError(
          `${record.model}(${record.id}) refers to a record that (2, id) deletes in a field this request does not write; delete it with its own request`,
        );
      }
    }
  }

  /**
   * The Updates of the linked records that (1, id, vals) commands write, then a ConditionCheck per
   * referenced record this transaction does not write (a written one is required by its own action,
   * and a delete's mark on it moved its version on): it must exist and be no delete's to take.
   */
  finish(
    model: ModelDef,
    vals: ValidatedVals,
    linkedRecords: ReadonlyMap<string, StoredRecord>,
    newStates: StoredRecord[],
  ): WriteTransaction {
    const references = new Map([...this.#childReferences, ...vals.references]);
    const linkedStates: StoredRecord[] = [];
    for (const [keyString, link] of vals.linked) {
      const where = `(1, ${link.key.id}, vals) on field '${link.field.name}' of model '${model.model}'`;
      // DynamoDB refuses two actions on one item, and Odoo's outcome would depend on the order.
      if (this.#written.has(keyString))
        throw new InvalidValueError(
          `${where} updates ${link.key.model}(${link.key.id}), which this request writes already`,
        );
      const record = linkedRecords.get(keyString);
      if (!record) throw new InvalidValueError(`${where}: ${link.key.model}(${link.key.id}) does not exist`);
      linkedStates.push(this.update(record, link.vals));
      for (const [referenced, reference] of link.vals.references)
        if (!references.has(referenced)) references.set(referenced, reference);
    }
    const checkedFields = new Map<string, FieldDef>();
    for (const [keyString, { key, field }] of references) {
      if (this.#written.has(keyString)) continue;
      this.actions.push({ kind: 'check', key, now: this.now });
      checkedFields.set(keyString, field);
    }
    return { actions: this.actions, newStates, linkedStates, checkedFields };
  }
}

/** What one write attempt's transaction is built from. */
export interface WriteTransactionInput {
  readonly model: ModelDef;
  /** The records written, as read (their versions are the transaction's conditions). */
  readonly records: readonly StoredRecord[];
  readonly vals: ValidatedVals;
  readonly caller: Caller;
  readonly commitTime: string;
  /** Epoch ms: a referenced record's check refuses it while a delete's mark on it holds at this time. */
  readonly now: number;
  /** The current state of the linked records (1, id, vals) commands update, read with the records. */
  readonly linkedRecords?: ReadonlyMap<string, StoredRecord>;
  /** `createdIds[i]`: the ids reserved for the records that record i's (0, 0, vals) commands create. */
  readonly createdIds?: readonly (readonly number[])[];
  /** What the (2, id) commands' deletions take (lib/records/ondelete.ts). */
  readonly unlinkPlan?: UnlinkPlan;
}

/**
 * The transaction for one write attempt: an Update per record, an Update per linked record that a
 * (1, id, vals) command writes, a Put per record a (0, 0, vals) command creates, and a
 * ConditionCheck per other record that the values reference.
 */
export function buildWriteTransaction(input: WriteTransactionInput): WriteTransaction {
  const { model, vals, createdIds = [] } = input;
  const builder = new TransactionBuilder(input.caller, input.commitTime, input.now);
  const newStates = input.records.map((record, i) => builder.update(record, vals, createdIds[i]));
  if (input.unlinkPlan) builder.remove(model, vals, input.unlinkPlan);
  return builder.finish(model, vals, input.linkedRecords ?? new Map(), newStates);
}

/**
 * The actions a write of `records` with `vals` (or a create, `records` being the new one) will
 * need, counted from the validated vals before anything is read or reserved, as
 * TransactionBuilder counts them: an Update (or Put) per record, a Put per (0, 0, vals) command
 * per record, an Update per (1, id, vals) record, a ConditionCheck per other referenced record,
 * plus `extra` (a key claim). Exact without (2, id) commands; their deletes are known only once
 * read, and never make the count smaller (a deleted record may drop its check, but adds a Delete).
 */
export function plannedActions(vals: ValidatedVals, records: readonly RecordKey[], extra: number): number {
  const written = new Set([...records.map(recordKeyString), ...vals.linked.keys()]);
  const referenced = new Set(vals.references.keys());
  for (const create of vals.creates) for (const key of create.vals.references.keys()) referenced.add(key);
  for (const link of vals.linked.values()) for (const key of link.vals.references.keys()) referenced.add(key);
  const checks = [...referenced].filter((key) => !written.has(key)).length;
  return records.length * (1 + vals.creates.length) + vals.linked.size + checks + extra;
}

/**
 * Stand-in ids for the records (0, 0, vals) commands create, `perRecord` for each of `records`:
 * negative, so no real record is ever mistaken for one. They let a transaction be built and its
 * size checked before a real id is reserved.
 */
export function placeholderIds(records: number, perRecord: number): number[][] {
  return Array.from({ length: records }, (_, i) =>
    Array.from({ length: perRecord }, (_, j) => -(i * perRecord + j + 1)),
  );
}

/** What a create's transaction is built from: as WriteTransactionInput, for one new record. */
export interface CreateTransactionInput extends Omit<WriteTransactionInput, 'records' | 'createdIds' | 'unlinkPlan'> {
  readonly record: StoredRecord;
  /** The ids reserved for the records its (0, 0, vals) commands create, one per command. */
  readonly createdIds?: readonly number[];
}

/** The transaction that creates `record` (a Put that requires its id to be free), with the same extras. */
export function buildCreateTransaction(input: CreateTransactionInput): WriteTransaction {
  const builder = new TransactionBuilder(input.caller, input.commitTime, input.now);
  builder.create(input.record, input.vals, input.createdIds);
  return builder.finish(input.model, input.vals, input.linkedRecords ?? new Map(), [input.record]);
}

/**
 * A new record of `model` with id `id`: defaults, then the vals (and `extra`, such as a one2many's
 * inverse), then the log-access fields. A required field that ends up empty is Odoo's "mandatory
 * field not set", a 403. `createdIds` as computeUpdate takes it.
 */
export function newRecord(
  model: ModelDef,
  id: number,
  vals: ValidatedVals,
  caller: Caller,
  commitTime: string,
  extra: Readonly<Record<string, StoredValue>> = {},
  createdIds?: readonly number[],
): StoredRecord {
  const empty: StoredRecord = { model: model.model, id, version: 0, values: Object.create(null) };
  const values: Record<string, StoredValue> = Object.create(null);
  for (const field of model.fields)
    if (field.default !== undefined)
      values[field.name] = Array.isArray(field.default) ? [...field.default] : field.default;
  Object.assign(values, computeUpdate(empty, vals, caller, commitTime, createdIds?.[Symbol.iterator]()), extra, {
    create_uid: caller.userId,
    create_date: commitTime,
  });
  for (const field of model.fields) {
    if (field.required && !field.magic && (values[field.name] === undefined || values[field.name] === null)) {
      throw new InvalidValueError(
        `Field '${field.name}' (${field.string}) on model '${model.model}' is required: give it a value`,
      );
    }
  }
  return { model: model.model, id, version: 1, values };
}
