/**
 * Declared field indexes: which fields of a model are indexed (models/*.json, `"index": true`), and
 * the keys their entries have. Pure; the records table holds the entries as attributes of the
 * record's own item (lib/store/dynamodb/records-table.ts), one global secondary index per slot.
 *
 * An entry of field F of record R (model M) in slot S:
 *   partition  "M#F#<R.id mod INDEX_SHARDS>"   the field's entries spread like the model's own index
 *   sort       tag, the value's key, SEPARATOR, R's id (15 digits)
 * where tag is VALUE_TAG (NULL_TAG is kept for a value no key can be made of: it sorts after every
 * value), and the value's key; a NULL / False value has no entry (the indexes are sparse: a record
 * pays for the fields it has, and `= False` is left to a walk), and the value's key:
 *   - text (char, text, selection): the value lower-cased (ilike's folding), SEPARATOR, the value
 *     itself: ilike prefixes and =like prefixes read the first part, `=` both;
 *   - numbers (integer, float, monetary, many2one): 16 hex digits whose text order is the numbers' order;
 *   - date, datetime: the stored text ('2024-01-31', '2024-01-31 08:00:00'), already in order.
 * Each text part is cut at MAX_TEXT_KEY code points (a sort key holds at most 1,024 bytes): two long
 * values that share their first MAX_TEXT_KEY characters share a key, so a lookup of one also finds
 * the other, which the search's evaluation of the record then drops (see lookup.ts).
 */
import { MAX_INDEXED_FIELDS, type FieldDef, type ModelDef } from '../models/registry';
import type { IndexEntry, IndexState, StoredValue } from '../records/port';
import { orderKeyOf } from './order';

/** Global secondary indexes the records table has for declared fields (its byModel index aside). */
export const INDEX_SLOTS = MAX_INDEXED_FIELDS;
/** Partitions each field's entries are spread over (by record id), like the model's own index. */
export const INDEX_SHARDS = 16;
/** Text kept in a key, per part, in code points: 2 × 100 × 4 UTF-8 bytes and the rest fit in 1,024. */
export const MAX_TEXT_KEY = 100;

export const VALUE_TAG = '1';
export const NULL_TAG = '2';
/** Between a key's parts; below every character a value can hold but U+0000 (which PostgreSQL refuses). */
export const SEPARATOR = '\u0001';
/** Above every key of a value (tags and numbers are ASCII): the end of a range with no upper bound. */
export const END_OF_VALUES = NULL_TAG;

export type IndexKind = 'text' | 'number' | 'date';

/** The field types an index serves, and how their values become keys. */
const KIND_OF_TYPE: Readonly<Partial<Record<FieldDef['type'], IndexKind>>> = {
  char: 'text',
  text: 'text',
  selection: 'text',
  integer: 'number',
  float: 'number',
  monetary: 'number',
  many2one: 'number',
  date: 'date',
  datetime: 'date',
};

export function indexKindOf(field: FieldDef): IndexKind | undefined {
  return KIND_OF_TYPE[field.type];
}

/** One indexed field of a model and the slot (1..INDEX_SLOTS) its entries take. */
export interface IndexedField {
  readonly field: FieldDef;
  readonly kind: IndexKind;
  readonly slot: number;
}

const layouts = new WeakMap<ModelDef, readonly IndexedField[]>();

/** The model's indexed fields, in declaration order: the n-th takes slot n. */
export function indexedFields(model: ModelDef): readonly IndexedField[] {
  let layout = layouts.get(model);
  if (!layout) {
    layout = model.fields
      .filter((field) => field.index === true)
      .map((field, position) => ({ field, kind: indexKindOf(field) as IndexKind, slot: position + 1 }));
    layouts.set(model, layout);
  }
  return layout;
}

export function indexedField(model: ModelDef, name: string): IndexedField | undefined {
  return indexedFields(model).find(({ field }) => field.name === name);
}

export function partitionOf(model: string, field: string, shard: number): string {
  return `${model}#${field}#${shard}`;
}

/** Every partition of one field's entries: a lookup queries each. */
export function partitionsOf(model: string, field: string): string[] {
  return Array.from({ length: INDEX_SHARDS }, (_, shard) => partitionOf(model, field, shard));
}

const codePoints = (text: string) => Array.from(text);

/** The first MAX_TEXT_KEY code points of `text` (never half a surrogate pair). */
export function cutText(text: string): string {
  const points = codePoints(text);
  return points.length <= MAX_TEXT_KEY ? text : points.slice(0, MAX_TEXT_KEY).join('');
}

export function isCut(text: string): boolean {
  return codePoints(text).length > MAX_TEXT_KEY;
}

/** ilike's case folding (lib/records/search/domain.ts folds with the same call). */
export function foldCase(text: string): string {
  return text.toLowerCase();
}

/** A float64 as 16 hex digits in numeric order: IEEE 754 bits, sign flipped, negatives inverted. */
export function numberKey(value: number): string {
  const bytes = new DataView(new ArrayBuffer(8));
  bytes.setFloat64(0, value === 0 ? 0 : value);
  let high = bytes.getUint32(0);
  let low = bytes.getUint32(4);
  if (high & 0x8000_0000) {
    high = ~high >>> 0;
    low = ~low >>> 0;
  } else {
    high = (high | 0x8000_0000) >>> 0;
  }
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}

/** The key of a text value: its folded form, then itself, each cut to MAX_TEXT_KEY. */
export function textKey(text: string): string {
  return `${cutText(foldCase(text))}${SEPARATOR}${cutText(text)}`;
}

/** The key of a non-null value of `kind`, or undefined if the value is not of the kind (never stored). */
export function valueKey(kind: IndexKind, value: string | number): string | undefined {
  if (kind === 'number') return typeof value === 'number' && Number.isFinite(value) ? numberKey(value) : undefined;
  return typeof value === 'string' ? (kind === 'text' ? textKey(value) : value) : undefined;
}

export function idKey(id: number): string {
  return String(id).padStart(15, '0');
}

/** The sort key of a record's entry: its value's (or NULL's), then its id. */
export function sortKeyOf(kind: IndexKind, value: StoredValue | undefined, id: number): string {
  const key =
    value === null || value === undefined || typeof value === 'boolean' || Array.isArray(value)
      ? undefined
      : valueKey(kind, value);
  return key === undefined ? `${NULL_TAG}${SEPARATOR}${idKey(id)}` : `${VALUE_TAG}${key}${SEPARATOR}${idKey(id)}`;
}

/**
 * The index entries of a record as it is (always its whole state, never a partial update: a key
 * computed from part of a record is how secondary keys drift), one per slot; null where the model
 * has no field in the slot or the record no value in it. `active` for models with an `active`
 * field, so a count can leave archived records out; `order`, its key in the model's order index.
 */
export function indexStateOf(model: ModelDef, id: number, values: Readonly<Record<string, StoredValue>>): IndexState {
  const entries: (IndexEntry | null)[] = Array.from({ length: INDEX_SLOTS }, () => null);
  for (const { field, kind, slot } of indexedFields(model)) {
    const value = Object.hasOwn(values, field.name) ? values[field.name] : null;
    // Sparse: NULL (and False) has no entry, so a record pays only for the fields it has.
    if (value === null || value === undefined || value === false) continue;
    entries[slot - 1] = {
      partition: partitionOf(model.model, field.name, id % INDEX_SHARDS),
      sort: sortKeyOf(kind, value, id),
    };
  }
  const hasActive = model.fieldsByName.get('active')?.type === 'boolean';
  const order = orderKeyOf(model, id, values);
  return {
    entries,
    ...(hasActive ? { active: values.active === true } : {}),
    ...(order === undefined ? {} : { order }),
  };
}
