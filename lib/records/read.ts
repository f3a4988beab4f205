/**
 * Odoo's read(): records rendered as read() renders them (many2one as [id, display name], empty as
 * False, fields in the model's order or as named), the display names read in one parallel round trip.
 */
import { BadRequestError, InvalidFieldError } from '../errors';
import { getModel, type FieldDef, type ModelDef, type ModelRegistry } from '../models/registry';
import type { PyDict } from '../wire/pyvalue';
import { requireRecords } from './commit';
import type { RecordsDeps } from './deps';
import { recordKeyString, type RecordKey, type RecordStore, type StoredRecord } from './port';
import { readFieldValue } from './values';

/** Bounds one read's work and response size; the search endpoints page through more. */
export const MAX_READ_IDS = 1000;

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
  const { model, records, fields } = await readStoredRecords(deps, request);
  return renderRecords(deps, model, records, fields);
}

/** readRecords' first round trip: the records as stored (their versions make ETags), not yet rendered. */
export async function readStoredRecords(
  deps: RecordsDeps,
  request: ReadRequest,
): Promise<{ model: ModelDef; records: StoredRecord[]; fields: readonly FieldDef[] }> {
  const { registry, store } = deps;
  const model = getModel(registry, request.model);
  const fields = selectFields(model, request.fields); // an unknown field is a 403 before anything is read
  if (request.ids.length === 0)
    throw new BadRequestError("'ids' is empty: give the ids of the records to read, e.g. ids=17,20");
  if (request.ids.length > MAX_READ_IDS) {
    throw new BadRequestError(
      `Too many ids: ${request.ids.length} given, at most ${MAX_READ_IDS} records can be read in one request`,
    );
  }
  const found = await store.getMany(
    request.ids.map((id) => ({ model: model.model, id })),
    { consistent: true },
  );
  return { model, records: requireRecords(model.model, request.ids, found), fields };
}

/** Stored records as read() renders them (`fields` from selectFields), the display names read at once. */
export async function renderRecords(
  deps: RecordsDeps,
  model: ModelDef,
  records: readonly StoredRecord[],
  fields: readonly FieldDef[],
): Promise<PyDict[]> {
  const displayName = await readDisplayNames(deps.registry, deps.store, records, [], fields);
  return records.map((record) => renderRecord(model, record, displayName, fields));
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
export function renderRecord(
  model: ModelDef,
  record: StoredRecord,
  displayName: (key: RecordKey) => string | undefined,
  fields: readonly FieldDef[] = model.fields,
): PyDict {
  const out: PyDict = new Map();
  for (const field of fields) {
    if (field.name === 'id') out.set('id', record.id);
    else if (field.name === 'display_name')
      out.set('display_name', readFieldValue(field, record.values[model.recName], displayName));
    else out.set(field.name, readFieldValue(field, record.values[field.name], displayName));
  }
  return out;
}

/** Reads the display names of every many2one target of these records (one parallel round trip). */
export async function readDisplayNames(
  registry: ModelRegistry,
  store: Pick<RecordStore, 'getMany'>,
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
