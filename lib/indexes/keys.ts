/**
 * Declared field indexes: which fields of a model are indexed (models/*.json, `"index": true`), and
 * the keys their entries have. Pure; the records table holds the entries as attributes of the
 * record's own item (lib/store/dynamodb/records-table.ts), one global secondary index per slot.
 *
 * An entry of field F of record R (model M) in slot S:
 *   partition  "M#F#<R.id mod INDEX_SHARDS>"   the field's entries spread like the model's own index
 *   sort       tag, the value's key, SEPARATOR, R's walk key
 * where R's walk key is its key in M's order index (lib/indexes/order.ts: M's _order, the id last)
 * when M has one, else its id (15 digits): the entries of one value follow in the model's default
 * order, so a page of an `=`/`in` lookup in that order (or its reverse) reads about the page's
 * entries, at any depth (plan.ts candidatesInWalkOrder), as a walk of the model does;
 * where tag is VALUE_TAG (NULL_TAG is kept for a value no key can be made of: it sorts after every
 * value), and the value's key; a NULL / False value has no entry (the indexes are sparse: a record
 * pays for the fields it has, and `= False` is left to a walk), and the value's key:
 *   - text (char, text, selection): the value lower-cased (ilike's folding), SEPARATOR, the value
 *     itself: ilike prefixes and =like prefixes read the first part, `=` both;
 *   - numbers (integer, float, monetary, many2one): 16 hex digits whose text order is the numbers' order;
 *   - date, datetime: the stored text ('2024-01-31', '2024-01-31 08:00:00'), already in order.
 * Texts are escaped (key-text.ts) so that SEPARATOR never occurs inside one: the walk key of an
 * entry is what follows its value's key (walkKeyOfEntry), so candidates found by a range or a
 * prefix can be put in the model's order before any record is read.
 * Each text part is cut at MAX_TEXT_KEY_BYTES (UTF-8, at a character's end), so that the value's key
 * and the walk key fit a sort key's 1,024 bytes together (the order key keeps MAX_ORDER_TEXT_BYTES
 * of text): two long values that share their first bytes share a key, so a lookup of one also
 * finds the other, which the search's evaluation of the record then drops (see lookup.ts).
 */
import { INDEX_SLOT_COUNT, type FieldDef, type ModelDef } from '../models/registry';
import type { IndexEntry, IndexState, StoredValue } from '../records/port';
import { orderKeyOf, sortedKeysOf } from './order';
import { escapedText, escapedTooLong, TEXT_END } from './key-text';

/** Global secondary indexes the records table has for declared fields (its byModel index aside). */
export const INDEX_SLOTS = INDEX_SLOT_COUNT;
/** Partitions each field's entries are spread over (by record id), like the model's own index. */
export const INDEX_SHARDS = 16;
/**
 * Text kept in a value's key, per part, in UTF-8 bytes: the tag, 2 parts, 2 separators and a walk
 * key (MAX_ORDER_TEXT_BYTES of text, and under 40 bytes of tags, numbers and id) fit in 1,024.
 */
export const MAX_TEXT_KEY_BYTES = 240;
/** What a sort key may hold (DynamoDB's limit). */
export const MAX_SORT_KEY_BYTES = 1024;
/** Bytes of an order key besides its texts: the shipped orders take under 40 (a test holds them to it). */
export const MAX_ORDER_KEY_OVERHEAD = 40;

/**
 * How entries are keyed, as a version: 2 since the entries of a value follow in the walk key (the
 * id before) and texts are escaped; the layout id includes it, so a table keyed the old way is
 * reindexed before trusted.
 */
export const ENTRY_FORMAT = 2;

export const VALUE_TAG = '1';
export const NULL_TAG = '2';
/** Between a key's parts: below every character of an escaped text, and never inside one. */
export const SEPARATOR = TEXT_END;
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

/**
 * The model's indexed fields, each with its slot: a declared (shipped) one the next in declaration
 * order, a custom one its claim's (custom.ts). Every write gives a record the entries of all of
 * them, those still being built included.
 */
export function indexedFields(model: ModelDef): readonly IndexedField[] {
  let layout = layouts.get(model);
  if (!layout) {
    let position = 0;
    layout = model.fields
      .filter((field) => field.index === true)
      .map((field) => ({ field, kind: indexKindOf(field) as IndexKind, slot: field.indexSlot ?? ++position }));
    layouts.set(model, layout);
  }
  return layout;
}

/** The index a search may read for this field: none while a custom field's is being built. */
export function indexedField(model: ModelDef, name: string): IndexedField | undefined {
  return indexedFields(model).find(({ field }) => field.name === name && field.indexBuilding !== true);
}

export function partitionOf(model: string, field: string, shard: number): string {
  return `${model}#${field}#${shard}`;
}

/** Every partition of one field's entries: a lookup queries each. */
export function partitionsOf(model: string, field: string): string[] {
  return Array.from({ length: INDEX_SHARDS }, (_, shard) => partitionOf(model, field, shard));
}

/** `text` as a key's text part: escaped, cut at a character so that it holds at most MAX_TEXT_KEY_BYTES. */
export function keyText(text: string): string {
  return escapedText(text, MAX_TEXT_KEY_BYTES);
}

/** Whether keyText cuts `text` short (two texts may then share a key). */
export function isCut(text: string): boolean {
  return escapedTooLong(text, MAX_TEXT_KEY_BYTES);
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

/** The key of a text value: its folded form, then itself, each cut to MAX_TEXT_KEY_BYTES. */
export function textKey(text: string): string {
  return `${keyText(foldCase(text))}${SEPARATOR}${keyText(text)}`;
}

/** The key of a non-null value of `kind`, or undefined if the value is not of the kind (never stored). */
export function valueKey(kind: IndexKind, value: string | number): string | undefined {
  if (kind === 'number') return typeof value === 'number' && Number.isFinite(value) ? numberKey(value) : undefined;
  return typeof value === 'string' ? (kind === 'text' ? textKey(value) : keyText(value)) : undefined;
}

export function idKey(id: number): string {
  return String(id).padStart(15, '0');
}

/**
 * The sort key of a record's entry: its value's (or NULL's), then the record's walk key (its key in
 * its model's order index, else its id's): one value's entries follow in the model's default order.
 */
export function sortKeyOf(kind: IndexKind, value: StoredValue | undefined, walkKey: string): string {
  const key =
    value === null || value === undefined || typeof value === 'boolean' || Array.isArray(value)
      ? undefined
      : valueKey(kind, value);
  return key === undefined ? `${NULL_TAG}${SEPARATOR}${walkKey}` : `${VALUE_TAG}${key}${SEPARATOR}${walkKey}`;
}

/**
 * The walk key an entry's sort key ends with (the record's key in its model's order index, or its
 * id's): what follows the value's key, whose parts each end with SEPARATOR (a text's folded form
 * and itself, or a number's, a date's, NULL's one part).
 */
export function walkKeyOfEntry(kind: IndexKind, sort: string): string {
  const parts = kind === 'text' && sort.startsWith(VALUE_TAG) ? 2 : 1;
  let at = 1;
  for (let part = 0; part < parts; part++) at = sort.indexOf(SEPARATOR, at) + SEPARATOR.length;
  return sort.slice(at);
}

/**
 * The index entries of a record as it is (always its whole state, never a partial update: a key
 * computed from part of a record is how secondary keys drift), one per slot; null where the model
 * has no field in the slot or the record no value in it. `active` for models with an `active`
 * field, so a count can leave archived records out; `order`, its key in the model's order index;
 * `sorted`, its keys in the model's sorted slots (order.ts sortedFields).
 */
export function indexStateOf(model: ModelDef, id: number, values: Readonly<Record<string, StoredValue>>): IndexState {
  const entries: (IndexEntry | null)[] = Array.from({ length: INDEX_SLOTS }, () => null);
  const order = orderKeyOf(model, id, values);
  const walkKey = order ?? idKey(id);
  for (const { field, kind, slot } of indexedFields(model)) {
    const value = Object.hasOwn(values, field.name) ? values[field.name] : null;
    // Sparse: NULL (and False) has no entry, so a record pays only for the fields it has.
    if (value === null || value === undefined || value === false) continue;
    entries[slot - 1] = {
      partition: partitionOf(model.model, field.name, id % INDEX_SHARDS),
      sort: sortKeyOf(kind, value, walkKey),
    };
  }
  const hasActive = model.fieldsByName.get('active')?.type === 'boolean';
  const sorted = sortedKeysOf(model, id, values);
  return {
    entries,
    ...(hasActive ? { active: values.active === true } : {}),
    ...(order === undefined ? {} : { order }),
    ...(sorted.length === 0 ? {} : { sorted }),
  };
}
