/**
 * write() and read() semantics over a RecordStore: validate vals against the model, compute each
 * record's new state in memory, commit all of it in one transaction or nothing, render as read().
 *
 * The write path for n ids makes two sequential round trips (DESIGN §2):
 *   1. one consistent BatchGet of the records (their values and versions);
 *   2. one TransactWriteItems (a version-conditioned Update per record and per record a (1, id, vals)
 *      command updates, a ConditionCheck per newly referenced record; the store sends a lone Update
 *      as a conditional UpdateItem), in parallel with the BatchGet of the display names the
 *      response needs. A version conflict re-reads and tries again, a bounded number of times.
 */
import {
  BadRequestError,
  InvalidFieldError,
  InvalidValueError,
  ModelNotFoundError,
  RecordNotFoundError,
  RecordTooLargeError,
  ServiceUnavailableError,
  TooManyIdsError,
  WriteConflictError,
} from '../errors';
import type { FieldDef, ModelDef, ModelRegistry } from '../models/registry';
import type { PyDict, PyValue } from '../wire/pyvalue';
import {
  MAX_TRANSACTION_ACTIONS,
  recordKeyString,
  TransactionCancelledError,
  type RecordKey,
  type RecordStore,
  type StoredRecord,
  type StoredValue,
  type WriteAction,
} from './port';
import { planUnlink, type UnlinkPlan } from './ondelete';
import { KeyAlreadyClaimedError, type PendingClaim } from '../object-api/keyed-call';
import { ReservedIds } from './reserved-ids';
import { applyX2ManyCommands, parseFieldValue, readFieldValue, referencedKeys, type FieldChange } from './values';

/** Who is calling, as the authorizer established it. */
export interface Caller {
  readonly userId: number;
  readonly clientId: string;
}

export interface RecordsDeps {
  readonly registry: ModelRegistry;
  readonly store: RecordStore;
  /** The commit time source; injectable so tests can pin it. */
  readonly now?: () => Date;
  /** Attempts of the read-compute-commit cycle before giving up on conflicts. */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A request's Idempotency-Key (lib/object-api/keyed-call.ts), claimed in the request's own transaction. */
export interface KeyedRequest {
  readonly claim?: PendingClaim | undefined;
  /**
   * A check run alongside the first reads that must pass before anything is written (that no
   * earlier request used the key): awaited with them, so it costs no round trip of its own.
   */
  readonly beforeCommit?: Promise<unknown> | undefined;
}

/** The transaction action that claims a request's key, if it has one, for the records it writes. */
export function claimActions(request: KeyedRequest, model: string, recordIds: readonly number[], now: Date): WriteAction[] {
  if (!request.claim) return [];
  return [{ kind: 'claim', claim: { ...request.claim, model, recordIds }, now: Math.floor(now.getTime() / 1000) }];
}

/** At most the records one transaction holds (less the action a key claim takes), else a 400 naming the limit. */
export function checkRecordsPerWrite(ids: readonly number[], request: KeyedRequest): void {
  const limit = MAX_TRANSACTION_ACTIONS - (request.claim ? 1 : 0);
  if (ids.length > limit) throw new TooManyIdsError(ids.length, limit);
}

export interface WriteRequest extends KeyedRequest {
  readonly model: string;
  readonly ids: readonly number[];
  readonly vals: ReadonlyMap<string, PyValue>;
  readonly caller: Caller;
}

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

const DEFAULT_MAX_ATTEMPTS = 4;
/** Bounds one read's work and response size; the search endpoints page through more. */
export const MAX_READ_IDS = 1000;

export function getModel(registry: ModelRegistry, model: string): ModelDef {
  const def = registry.get(model);
  if (!def) throw new ModelNotFoundError(model);
  return def;
}

/** Odoo's datetime format, UTC: `YYYY-MM-DD HH:MM:SS`. */
export function formatOdooDatetime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Checks `vals` against the model before anything is read: unknown fields, wrong types, required
 * fields cleared, bad selections and command shapes are all 403s. Magic fields are dropped.
 * `(1, id, vals)` commands are checked against the comodel (one level deep) with `registry`.
 */
export function validateVals(model: ModelDef, vals: ReadonlyMap<string, PyValue>, registry?: ModelRegistry): ValidatedVals {
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
      throw new InvalidValueError(`Field '${field.name}' (${field.string}) on model '${model.model}' is required and cannot be cleared`);
    }
    if (change.kind === 'x2many') {
      for (const command of change.commands) {
        if (command.op === 'update' && registry) {
          const key = { model: field.relation as string, id: command.id };
          const earlier = linked.get(recordKeyString(key))?.vals;
          linked.set(recordKeyString(key), { key, field, vals: mergeValidated(earlier, validateVals(getModel(registry, key.model), command.vals)) });
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
      changes.set(name, { field: next.field, change: { kind: 'x2many', commands: [...previous.commands, ...next.change.commands] } });
    } else {
      changes.set(name, next);
    }
  }
  return { changes, references: new Map([...earlier.references, ...later.references]), linked: new Map(), creates: [], deletes: new Map() };
}

/**
 * The values to SET on one record for these changes, computed from its current state.
 * `createdIds` gives the ids of the records its (0, 0, vals) commands create, in command order.
 */
export function computeUpdate(record: StoredRecord, vals: ValidatedVals, caller: Caller, commitTime: string, createdIds?: Iterator<number>): Record<string, StoredValue> {
  const set: Record<string, StoredValue> = Object.create(null);
  for (const [name, { change }] of vals.changes) {
    if (change.kind === 'set') {
      set[name] = change.value;
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
  ) {}

  /**
   * An Update of `record` with `changes`, and the records its (0, 0, vals) commands create with
   * the ids of `createdIds` (one per command, in order); returns its state once committed.
   */
  update(record: StoredRecord, changes: ValidatedVals, createdIds: readonly number[] = []): StoredRecord {
    const set = computeUpdate(record, changes, this.caller, this.commitTime, createdIds[Symbol.iterator]());
    this.actions.push({ kind: 'update', key: { model: record.model, id: record.id }, expectedVersion: record.version, set });
    this.#written.add(recordKeyString(record));
    this.createChildren(record.id, changes, createdIds);
    return { ...record, version: record.version + 1, values: Object.assign(Object.create(null), record.values, set) };
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
      const inverse = create.field.type === 'one2many' && create.field.relationField ? { [create.field.relationField]: parentId } : {};
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
        throw new InvalidValueError(`${record.model}(${record.id}) cannot be deleted by (2, id) on model '${model.model}': this request also writes it`);
      }
      this.actions.push({ kind: 'delete', key: { model: record.model, id: record.id }, expectedVersion: record.version });
      this.#written.add(keyString);
    }
    for (const { record, set } of plan.updates) {
      if (!this.#written.has(recordKeyString(record))) {
        this.actions.push({ kind: 'update', key: { model: record.model, id: record.id }, expectedVersion: record.version, set });
        continue;
      }
      const covered = Object.keys(set).every((name) => {
        const change = vals.changes.get(name)?.change;
        return change?.kind === 'x2many' && change.commands.some((command) => command.op === 'delete');
      });
      if (!covered) {
        throw new InvalidValueError(`${record.model}(${record.id}) refers to a record that (2, id) deletes in a field this request does not write; delete it with its own request`);
      }
    }
  }

  /**
   * The Updates of the linked records that (1, id, vals) commands write, then a ConditionCheck per
   * referenced record this transaction does not write (a written one is required by its own action).
   */
  finish(model: ModelDef, vals: ValidatedVals, linkedRecords: ReadonlyMap<string, StoredRecord>, newStates: StoredRecord[]): WriteTransaction {
    const references = new Map([...this.#childReferences, ...vals.references]);
    const linkedStates: StoredRecord[] = [];
    for (const [keyString, link] of vals.linked) {
      const where = `(1, ${link.key.id}, vals) on field '${link.field.name}' of model '${model.model}'`;
      // DynamoDB refuses two actions on one item, and Odoo's outcome would depend on the order.
      if (this.#written.has(keyString)) throw new InvalidValueError(`${where} updates ${link.key.model}(${link.key.id}), which this request writes already`);
      const record = linkedRecords.get(keyString);
      if (!record) throw new InvalidValueError(`${where}: ${link.key.model}(${link.key.id}) does not exist`);
      linkedStates.push(this.update(record, link.vals));
      for (const [referenced, reference] of link.vals.references) if (!references.has(referenced)) references.set(referenced, reference);
    }
    const checkedFields = new Map<string, FieldDef>();
    for (const [keyString, { key, field }] of references) {
      if (this.#written.has(keyString)) continue;
      this.actions.push({ kind: 'check', key });
      checkedFields.set(keyString, field);
    }
    return { actions: this.actions, newStates, linkedStates, checkedFields };
  }
}

/**
 * The transaction for one write attempt: an Update per record, an Update per linked record that a
 * (1, id, vals) command writes, a Put per record a (0, 0, vals) command creates, and a
 * ConditionCheck per other record that the values reference. `linkedRecords` holds the current
 * state of the linked records (read with the records); `createdIds[i]` the ids reserved for the
 * records that record i's (0, 0, vals) commands create.
 */
export function buildWriteTransaction(
  model: ModelDef,
  records: readonly StoredRecord[],
  vals: ValidatedVals,
  caller: Caller,
  commitTime: string,
  linkedRecords: ReadonlyMap<string, StoredRecord> = new Map(),
  createdIds: readonly (readonly number[])[] = [],
  unlinkPlan?: UnlinkPlan,
): WriteTransaction {
  const builder = new TransactionBuilder(caller, commitTime);
  const newStates = records.map((record, i) => builder.update(record, vals, createdIds[i]));
  if (unlinkPlan) builder.remove(model, vals, unlinkPlan);
  return builder.finish(model, vals, linkedRecords, newStates);
}

/** The transaction that creates `record` (a Put that requires its id to be free), with the same extras. */
export function buildCreateTransaction(
  model: ModelDef,
  record: StoredRecord,
  vals: ValidatedVals,
  caller: Caller,
  commitTime: string,
  linkedRecords: ReadonlyMap<string, StoredRecord> = new Map(),
  createdIds: readonly number[] = [],
): WriteTransaction {
  const builder = new TransactionBuilder(caller, commitTime);
  builder.create(record, vals, createdIds);
  return builder.finish(model, vals, linkedRecords, [record]);
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
  for (const field of model.fields) if (field.default !== undefined) values[field.name] = Array.isArray(field.default) ? [...field.default] : field.default;
  Object.assign(values, computeUpdate(empty, vals, caller, commitTime, createdIds?.[Symbol.iterator]()), extra, { create_uid: caller.userId, create_date: commitTime });
  for (const field of model.fields) {
    if (field.required && !field.magic && (values[field.name] === undefined || values[field.name] === null)) {
      throw new InvalidValueError(`Field '${field.name}' (${field.string}) on model '${model.model}' is required: give it a value`);
    }
  }
  return { model: model.model, id, version: 1, values };
}

/** The records of (2, id) commands, as read; one that does not exist is a 403 naming the field. */
function deletedTargets(vals: ValidatedVals, found: ReadonlyMap<string, StoredRecord>): StoredRecord[] {
  return [...vals.deletes].map(([keyString, { key, field }]) => {
    const record = found.get(keyString);
    if (!record) throw new InvalidValueError(`Invalid command (2, ${key.id}) on field '${field.name}': ${key.model}(${key.id}) does not exist`);
    return record;
  });
}

/**
 * Ids for the records that (0, 0, vals) commands create: `perRecord[i]` for written record i, one
 * per command in order. One counter increment per command, all at once (parallel to the reads).
 */
async function reserveCreatedIds(reserved: ReservedIds, creates: readonly LinkedCreate[], records: number): Promise<number[][]> {
  const byCommand = await Promise.all(creates.map((create) => reserved.take(create.model.model, records)));
  return Array.from({ length: records }, (_, i) => byCommand.map((ids) => ids[i] as number));
}

/** Reads the display names of every many2one target of these records (one parallel round trip). */
async function readDisplayNames(
  registry: ModelRegistry,
  store: RecordStore,
  records: readonly StoredRecord[],
  linked: readonly StoredRecord[],
  fields: readonly FieldDef[],
) {
  // A record written by this very request names itself by its new state, not the stored one.
  const own = new Map([...records, ...linked].map((r) => [recordKeyString(r), r] as const));
  const keys: RecordKey[] = [];
  for (const field of fields) {
    if (field.type !== 'many2one') continue;
    for (const record of records) {
      const value = record.values[field.name];
      const key = { model: field.relation as string, id: value as number };
      if (typeof value === 'number' && !own.has(recordKeyString(key))) keys.push(key);
    }
  }
  const found = keys.length > 0 ? await store.getMany(keys, { consistent: false }) : new Map<string, StoredRecord>();
  return (key: RecordKey): string | undefined => {
    const target = own.get(recordKeyString(key)) ?? found.get(recordKeyString(key));
    if (!target) return undefined;
    const recName = registry.get(key.model)?.recName ?? 'name';
    const name = target.values[recName];
    return typeof name === 'string' ? name : '';
  };
}

/**
 * The fields a read returns: all of them in the model's order, or those named in the order named,
 * `id` always first (Odoo's read() builds its dicts that way: `_read_format`). An unknown name is
 * Odoo's ValueError, a 403.
 */
export function selectFields(model: ModelDef, names?: readonly string[]): readonly FieldDef[] {
  if (names === undefined || names.length === 0) return model.fields;
  return [...new Set(['id', ...names])].map((name) => {
    const field = model.fieldsByName.get(name);
    if (!field) throw new InvalidFieldError(name, model.model);
    return field;
  });
}

/** One record as Odoo's read() renders it: every field of `fields`, in that order. */
export function renderRecord(model: ModelDef, record: StoredRecord, displayName: (key: RecordKey) => string | undefined, fields: readonly FieldDef[] = model.fields): PyDict {
  const out: PyDict = new Map();
  for (const field of fields) {
    if (field.name === 'id') out.set('id', record.id);
    else if (field.name === 'display_name') out.set('display_name', readFieldValue(field, record.values[model.recName], displayName));
    else out.set(field.name, readFieldValue(field, record.values[field.name], displayName));
  }
  return out;
}

function parseCancellation(error: TransactionCancelledError, { actions, checkedFields }: WriteTransaction, model: ModelDef) {
  let versionConflict = false;
  let transient = false;
  let idTaken = false;
  error.reasons.forEach((reason, index) => {
    const action = actions[index];
    if (!action || reason === 'none') return;
    // The request's Idempotency-Key, used by another request that committed first: it replays that one.
    if (reason === 'condition' && action.kind === 'claim') throw new KeyAlreadyClaimedError();
    if (reason === 'too-large') throw new RecordTooLargeError({ cause: error });
    if (reason === 'condition' && action.kind === 'check') {
      const field = checkedFields.get(recordKeyString(action.key));
      throw new InvalidValueError(
        `Invalid value for field '${field?.name}' (${field?.type}) on model '${model.model}': ` +
          `${action.key.model}(${action.key.id}) does not exist`,
      );
    }
    // A new record's id is held by a record loaded behind the sequence's back: new ids, then retry.
    if (reason === 'condition' && action.kind === 'create') idTaken = true;
    // Another write got there first (a version condition, or a transaction on the same item): re-read, then 409.
    if (reason === 'condition' || reason === 'conflict') versionConflict = true;
    else if (reason === 'throttled') transient = true;
    else throw new Error(`Unexpected transaction cancellation: ${error.message}`, { cause: error });
  });
  return { versionConflict, transient, idTaken };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function checkTransactionSize(actions: number, records: number): void {
  if (actions > MAX_TRANSACTION_ACTIONS) {
    throw new BadRequestError(
      `This write needs ${actions} transaction actions (${records} records and ${actions - records} ` +
        `linked or referenced records); one all-or-nothing write holds at most ${MAX_TRANSACTION_ACTIONS}`,
    );
  }
}

/**
 * What became of one attempt: committed; or to be read again and retried, after a jittered pause
 * (a version condition failed, or DynamoDB reported a conflict or throttling) — with new ids when
 * a record it creates found its id taken.
 */
export type CommitOutcome = 'committed' | 'retry' | 'retry-with-new-ids';

/**
 * Commits one attempt (see CommitOutcome). Throws once the attempts are spent (409, or 503 when
 * only throttling was seen), and at once for a referenced record that does not exist (403).
 */
export async function commitOrRetry(deps: RecordsDeps, transaction: WriteTransaction, model: ModelDef, attempt: number, what: string): Promise<CommitOutcome> {
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  try {
    await deps.store.transact(transaction.actions);
    return 'committed';
  } catch (error) {
    if (!(error instanceof TransactionCancelledError)) throw error;
    const { versionConflict, transient, idTaken } = parseCancellation(error, transaction, model);
    if (attempt >= maxAttempts) {
      if (transient && !versionConflict) throw new ServiceUnavailableError(1, { cause: error });
      throw new WriteConflictError(`${what} kept changing during the write (${attempt} attempts); nothing was written. Retry the request.`, { cause: error });
    }
    await (deps.sleep ?? defaultSleep)(Math.random() * 20 * 2 ** attempt);
    return idTaken ? 'retry-with-new-ids' : 'retry';
  }
}

/**
 * Runs `attempts` with the ids it reserves: given back if it throws (lib/records/reserved-ids.ts), so a
 * request that failed before it created anything leaves no gap in the sequence.
 */
async function withReservedIds<T>(store: RecordStore, attempts: (reserved: ReservedIds) => Promise<T>): Promise<T> {
  const reserved = new ReservedIds(store);
  try {
    return await attempts(reserved);
  } catch (error) {
    await reserved.giveBack();
    throw error;
  }
}

/**
 * Odoo's write(): the same vals on every id, all or nothing, then the committed records rendered
 * as read() with all fields, in the order of `ids`.
 */
export async function writeRecords(deps: RecordsDeps, request: WriteRequest): Promise<PyDict[]> {
  const { registry, store } = deps;
  const model = getModel(registry, request.model);
  if (request.ids.length === 0) throw new BadRequestError("'ids' is empty: give the ids of the records to update, e.g. ids=17,20");
  checkRecordsPerWrite(request.ids, request);
  const vals = validateVals(model, request.vals, registry);
  const keys = request.ids.map((id) => ({ model: model.model, id }));
  const linkedKeys = [...vals.linked.values()].map((link) => link.key);
  const deleteKeys = [...vals.deletes.values()].map((target) => target.key);
  const now = deps.now ?? (() => new Date());

  return withReservedIds(store, async (reserved) => {
    let createdIds: number[][] | undefined; // kept across attempts unless taken
    for (let attempt = 1; ; attempt++) {
      const [found, ids] = await Promise.all([
        store.getMany([...keys, ...linkedKeys, ...deleteKeys], { consistent: true }),
        createdIds ?? reserveCreatedIds(reserved, vals.creates, keys.length),
        request.beforeCommit,
      ]);
      createdIds = ids;
      const missing = request.ids.filter((id) => !found.has(recordKeyString({ model: model.model, id })));
      if (missing.length > 0) throw new RecordNotFoundError(model.model, missing);
      const records = keys.map((key) => found.get(recordKeyString(key)) as StoredRecord);
      // (2, id): what deleting those records takes (extra reads, only when the command is used).
      const unlinkPlan = vals.deletes.size > 0 ? await planUnlink(deps, deletedTargets(vals, found)) : undefined;

      const transaction = buildWriteTransaction(model, records, vals, request.caller, formatOdooDatetime(now()), found, createdIds, unlinkPlan);
      transaction.actions.push(...claimActions(request, model.model, request.ids, now()));
      const { newStates, linkedStates } = transaction;
      checkTransactionSize(transaction.actions.length, records.length);
      // The display names do not depend on the commit: fetch them while it runs.
      const names = readDisplayNames(registry, store, newStates, linkedStates, model.fields);
      names.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      const outcome = await commitOrRetry(deps, transaction, model, attempt, `The records ${model.model}(${request.ids.join(', ')})`);
      if (outcome === 'committed') {
        const displayName = await names;
        return newStates.map((record) => renderRecord(model, record, displayName));
      }
      if (outcome === 'retry-with-new-ids') {
        reserved.forgetAll();
        createdIds = undefined;
      }
    }
  });
}

export interface ReadRequest {
  readonly model: string;
  readonly ids: readonly number[];
  /** Field names to return; all fields when absent or empty. */
  readonly fields?: readonly string[] | undefined;
}

/**
 * Odoo's read(): the records of `ids`, in that order, as read() renders them. Any id missing is a
 * 404 naming the missing ids. Two round trips: the records, then the display names they show.
 */
export async function readRecords(deps: RecordsDeps, request: ReadRequest): Promise<PyDict[]> {
  const { registry, store } = deps;
  const model = getModel(registry, request.model);
  const fields = selectFields(model, request.fields); // an unknown field is a 403 before anything is read
  if (request.ids.length === 0) throw new BadRequestError("'ids' is empty: give the ids of the records to read, e.g. ids=17,20");
  if (request.ids.length > MAX_READ_IDS) {
    throw new BadRequestError(`Too many ids: ${request.ids.length} given, at most ${MAX_READ_IDS} records can be read in one request`);
  }
  const keys = request.ids.map((id) => ({ model: model.model, id }));
  const found = await store.getMany(keys, { consistent: true });
  const missing = request.ids.filter((id) => !found.has(recordKeyString({ model: model.model, id })));
  if (missing.length > 0) throw new RecordNotFoundError(model.model, missing);
  return renderRecords(deps, model, keys.map((key) => found.get(recordKeyString(key)) as StoredRecord), fields);
}

/** Stored records as read() renders them (`fields` from selectFields), the display names read at once. */
export async function renderRecords(deps: RecordsDeps, model: ModelDef, records: readonly StoredRecord[], fields: readonly FieldDef[]): Promise<PyDict[]> {
  const displayName = await readDisplayNames(deps.registry, deps.store, records, [], fields);
  return records.map((record) => renderRecord(model, record, displayName, fields));
}

export interface CreateRequest extends KeyedRequest {
  readonly model: string;
  readonly vals: ReadonlyMap<string, PyValue>;
  readonly caller: Caller;
}

/**
 * Odoo's create(): a new record with a fresh id from the model's sequence, defaults applied,
 * required fields enforced, x2many links checked, all in one transaction; answered as read().
 * Round trips: the id (and any records (1, id, vals) commands update), then the commit in parallel
 * with the display names.
 */
export async function createRecord(deps: RecordsDeps, request: CreateRequest): Promise<PyDict> {
  const { registry, store } = deps;
  const model = getModel(registry, request.model);
  const vals = validateVals(model, request.vals, registry);
  if (vals.deletes.size > 0) throw new InvalidValueError('Command (2, id) is not allowed in create: the new record has no linked records to delete yet');
  const linkedKeys = [...vals.linked.values()].map((link) => link.key);
  const now = deps.now ?? (() => new Date());
  // Required fields are checked before an id is spent on a record that cannot be created.
  newRecord(model, 0, vals, request.caller, formatOdooDatetime(now()));
  return withReservedIds(store, async (reserved) => {
    let ids: { id: number; createdIds: number[] } | undefined; // kept across attempts unless taken
    for (let attempt = 1; ; attempt++) {
      const [taken, linkedRecords] = await Promise.all([
        ids ?? takeCreateIds(reserved, model, vals.creates),
        linkedKeys.length > 0 ? store.getMany(linkedKeys, { consistent: true }) : Promise.resolve(new Map<string, StoredRecord>()),
        request.beforeCommit,
      ]);
      ids = taken;
      const commitTime = formatOdooDatetime(now());
      const record = newRecord(model, ids.id, vals, request.caller, commitTime, {}, ids.createdIds);
      const transaction = buildCreateTransaction(model, record, vals, request.caller, commitTime, linkedRecords, ids.createdIds);
      transaction.actions.push(...claimActions(request, model.model, [record.id], now()));
      checkTransactionSize(transaction.actions.length, 1);
      const names = readDisplayNames(registry, store, [record], transaction.linkedStates, model.fields);
      names.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      const outcome = await commitOrRetry(deps, transaction, model, attempt, `A new ${model.model} record`);
      if (outcome === 'committed') return renderRecord(model, record, await names);
      // An id already taken (records loaded with explicit ids): new ones, then again.
      if (outcome === 'retry-with-new-ids') {
        reserved.forgetAll();
        ids = undefined;
      }
    }
  });
}

/** The new record's id and those of the records its (0, 0, vals) commands create, reserved at once. */
async function takeCreateIds(reserved: ReservedIds, model: ModelDef, creates: readonly LinkedCreate[]): Promise<{ id: number; createdIds: number[] }> {
  const [[id], [createdIds]] = await Promise.all([reserved.take(model.model, 1), reserveCreatedIds(reserved, creates, 1)]);
  return { id: id as number, createdIds: createdIds as number[] };
}
