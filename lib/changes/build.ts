/**
 * From the records table's stream to change events. The stream gives each item change once, in
 * order per item (DynamoDB Streams); what it does not give — which changes committed together, who
 * made them, what they look like to a client — comes from the change stamps every committed write
 * leaves on its records (lib/records/commit.ts stampChanges), the header a deleting transaction
 * writes, and read()'s rendering.
 *
 * Which stream records are changes:
 * - a record created with a stamp: `record.created` (a bulk load writes without one: not a change);
 * - a record whose stamp moved to another transaction: `record.updated` (a delete's mark or its
 *   removal moves the version but not the stamp: not a change of anyone's data);
 * - a record removed: `record.deleted`, its transaction named by its delete's mark (every delete
 *   marks first: lib/records/ondelete.ts) and described by that transaction's header.
 */
import { createHash } from 'node:crypto';
import type { FieldDef, ModelDef, ModelRegistry } from '../models/registry';
import { readDisplayNames, renderRecord } from '../records/read';
import type { ChangeStamp, RecordStore, StoredRecord, StoredValue, TransactionHeader } from '../records/port';
import { PyFloat, type PyValue } from '../wire/pyvalue';
import { isInternalModel, type Change, type ChangeData, type ChangeType, type RenderedValue } from './change';

/** One record's change as the stream gave it, decoded by the store adapter (lib/store/dynamodb/change-stream.ts). */
export type StreamChange =
  | {
      readonly kind: 'created' | 'updated';
      /** The stream record's sequence number: what a failed batch reports to be handed again. */
      readonly sequenceNumber: string;
      readonly before?: StoredRecord | undefined;
      readonly after: StoredRecord;
      readonly stamp: ChangeStamp;
    }
  | {
      readonly kind: 'deleted';
      readonly sequenceNumber: string;
      readonly before: StoredRecord;
      /** The deleting transaction: its mark's token. */
      readonly transactionId: string;
    };

/** What building the changes reads: display names of referenced records, and deleting transactions' headers. */
export interface ChangeSourceDeps {
  readonly registry: ModelRegistry;
  readonly store: Pick<RecordStore, 'getMany'>;
  readonly headers: (transactionIds: readonly string[]) => Promise<ReadonlyMap<string, TransactionHeader>>;
}

/** The fields every change reports apart (write_uid, write_date), and the creation's, which never change. */
const LOG_FIELDS = new Set(['create_uid', 'create_date', 'write_uid', 'write_date']);

/** The change's id: stable, so the same change handed twice (a retried batch) is recognisable. */
export function changeId(transactionId: string, model: string, recordId: number): string {
  const digest = createHash('sha256').update(`${transactionId}\n${model}\n${recordId}`).digest('base64url');
  return `evt_${digest.slice(0, 27)}`;
}

const TYPES: Readonly<Record<StreamChange['kind'], ChangeType>> = {
  created: 'record.created',
  updated: 'record.updated',
  deleted: 'record.deleted',
};

/** The model a stream change is of. */
export const modelOf = (change: StreamChange): string =>
  change.kind === 'deleted' ? change.before.model : change.after.model;

/** The changes that are published: all but the webhook machinery's own (isInternalModel). */
export const publishable = (changes: readonly StreamChange[]): StreamChange[] =>
  changes.filter((change) => !isInternalModel(modelOf(change)));

/**
 * The change events of `published` (in stream order, one each), with their old and new values as
 * read() renders them. The display names of referenced records are read once for the whole batch,
 * as they are now; deleting transactions' headers likewise.
 */
export async function buildChanges(deps: ChangeSourceDeps, published: readonly StreamChange[]): Promise<Change[]> {
  const deletedBy = [
    ...new Set(published.flatMap((change) => (change.kind === 'deleted' ? [change.transactionId] : []))),
  ];
  const states = published.flatMap((change) => [change.before, change.kind === 'deleted' ? undefined : change.after]);
  const present = states.filter((state): state is StoredRecord => state !== undefined);
  const [headers, displayName] = await Promise.all([
    deletedBy.length > 0 ? deps.headers(deletedBy) : new Map<string, TransactionHeader>(),
    readDisplayNames(deps.registry, deps.store, present, [], manyToOneFields(deps.registry, present)),
  ]);
  return published.map((change) => toChange(deps.registry, change, headers, displayName));
}

/** Every many2one field of the models these records belong to (readDisplayNames reads their targets). */
function manyToOneFields(registry: ModelRegistry, records: readonly StoredRecord[]): FieldDef[] {
  const models = new Set(records.map((record) => record.model));
  return [...models].flatMap((name) => registry.get(name)?.fields.filter((field) => field.type === 'many2one') ?? []);
}

function toChange(
  registry: ModelRegistry,
  change: StreamChange,
  headers: ReadonlyMap<string, TransactionHeader>,
  displayName: Parameters<typeof renderRecord>[2],
): Change {
  const state = change.kind === 'deleted' ? change.before : change.after;
  const model = registry.get(state.model);
  const names = changedFields(model, change);
  const render = (record: StoredRecord | undefined) =>
    record === undefined ? null : renderFields(model, record, names, displayName);
  const common = {
    id: '',
    type: TYPES[change.kind],
    model: state.model,
    record_id: state.id,
    version: state.version,
    changed_fields: names,
    old: render(change.before),
    new: change.kind === 'deleted' ? null : render(change.after),
    display_name: displayNameOf(model, state),
  };
  let data: ChangeData;
  if (change.kind === 'deleted') {
    const header = headers.get(change.transactionId);
    const place = header?.deleted.find((entry) => entry.model === state.model && entry.id === state.id);
    data = {
      ...common,
      id: changeId(change.transactionId, state.model, state.id),
      write_uid: header?.userId ?? null,
      write_date: header?.at ?? null,
      client_id: header?.clientId ?? null,
      // A header is written with its transaction and kept 7 days: missing only for a change handed very late.
      transaction: { id: change.transactionId, count: header?.count ?? 0, position: place?.position ?? -1 },
    };
  } else {
    const { stamp } = change;
    data = {
      ...common,
      id: changeId(stamp.transactionId, state.model, state.id),
      write_uid: numberOrNull(state.values.write_uid),
      write_date: stringOrNull(state.values.write_date),
      client_id: stamp.clientId,
      transaction: { id: stamp.transactionId, count: stamp.count, position: stamp.position },
    };
  }
  return { data, state };
}

/**
 * The fields the change is about, in the model's order: for an update those whose stored value
 * differs, the log fields aside (reported on their own); for a create or a delete every field the
 * record has. A field the model no longer declares (a custom field since removed) is left out.
 */
function changedFields(model: ModelDef | undefined, change: StreamChange): string[] {
  const after = change.kind === 'deleted' ? undefined : change.after.values;
  const before = change.before?.values;
  const order = model ? model.fields.map((field) => field.name) : Object.keys({ ...before, ...after }).sort();
  return order.filter((name) => {
    if (name === 'id' || name === 'display_name' || LOG_FIELDS.has(name)) return false;
    if (model && model.fieldsByName.get(name)?.type === 'one2many') return false;
    if (change.kind !== 'updated') return (after ?? before)?.[name] !== undefined;
    return !sameValue(before?.[name], after?.[name]);
  });
}

function renderFields(
  model: ModelDef | undefined,
  record: StoredRecord,
  names: readonly string[],
  displayName: Parameters<typeof renderRecord>[2],
): Record<string, RenderedValue> {
  const out: Record<string, RenderedValue> = {};
  if (!model) {
    // A model since removed: its stored values as they are (nothing left to render them by).
    for (const name of names) out[name] = record.values[name] ?? false;
    return out;
  }
  const fields = names.map((name) => model.fieldsByName.get(name) as FieldDef);
  for (const [name, value] of renderRecord(model, record, displayName, fields)) out[name] = plain(value);
  return out;
}

function displayNameOf(model: ModelDef | undefined, record: StoredRecord): string {
  const name = record.values[model?.recName ?? 'name'];
  return typeof name === 'string' ? name : `${record.model},${record.id}`;
}

/** A rendered value as plain JSON: floats as numbers (JSON has one number type), dicts as objects. */
function plain(value: PyValue): RenderedValue {
  if (value instanceof PyFloat) return value.value;
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [key, plain(item)]));
  return value;
}

function sameValue(a: StoredValue | undefined, b: StoredValue | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => item === b[i]);
  return (a ?? null) === (b ?? null);
}

const numberOrNull = (value: StoredValue | undefined) => (typeof value === 'number' ? value : null);
const stringOrNull = (value: StoredValue | undefined) => (typeof value === 'string' ? value : null);
