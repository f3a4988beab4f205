/**
 * The order index: every record of a model with a declared order (models/*.json `"order"`, Odoo's
 * _order) carries one key whose order as text — by code point, which is how DynamoDB orders string
 * keys (their UTF-8 bytes) — is the model's order, the id last. A page of a search in that order
 * (or in its exact reverse) is then a walk of the index from where the last page stopped, at the
 * same cost at any depth, as the id order's walk of the model's own index.
 *
 * The key is the terms' keys one after the other, each self-delimiting (none is a prefix of
 * another), so comparing two keys compares the first term, then the next...:
 *   - text (char, text, html, selection, date, datetime), ascending only: VALUE_TAG, the text with
 *     U+0000 and U+0001 escaped, then TERMINATOR (below every escaped character: a text sorts before
 *     its extensions, as in PostgreSQL's C collation); NULL is NULL_TAG: after every value;
 *   - numbers (integer, float, monetary): VALUE_TAG and lib/indexes/keys.ts' 16 hex digits (of the
 *     negated number when descending); NULL after the values ascending, before them descending
 *     (PostgreSQL's defaults: NULLS LAST for ASC, NULLS FIRST for DESC);
 *   - booleans: '0' for False (NULL too: Odoo orders COALESCE(field, FALSE)), '1' for True,
 *     swapped when descending;
 *   - the id: 15 digits (their complement to 10^15 - 1 descending), added ascending when the
 *     order does not name it, so every key is unique and the order total.
 * Not served (the model then has no order index, and searches sort their matches in memory):
 * descending text, many2one (Odoo orders those by the comodel's own _order: a rename there would
 * move keys here), and the order `id` alone (the model's own index is that walk).
 *
 * Sorted fields: an indexed field (models/*.json `"index": true`) of those kinds whose order the
 * model's order index does not serve gets a key of its own in a sorted slot (1..MAX_SORTED_SLOTS,
 * in declaration order): the field ascending, then the id — so `order=ref` (walked forward) and
 * `order=ref desc` (backward: NULLs first, as PostgreSQL's DESC) page at the cost of the page, as
 * on Odoo, where the field's btree serves the ORDER BY. Many2ones are left out (ordered by their
 * comodel's _order, as above), and fields past the slots sort their matches in memory.
 *
 * A text term keeps at most MAX_ORDER_TEXT_BYTES (UTF-8, escapes included) between all the text
 * terms of a key (DynamoDB's sort keys hold 1,024 bytes, shared with a value's key in the field
 * indexes, whose entries of one value follow in this order): values longer than that which share
 * their first bytes tie in the index, and their order falls to the next term.
 */
import type { FieldDef, ModelDef, OrderKey } from '../models/registry';
import type { StoredValue } from '../records/port';
import { idKey, numberKey, NULL_TAG, VALUE_TAG } from './keys';
import { escapedText, TEXT_END } from './key-text';

/** Below every character of an escaped text: ends a text term. */
export const TERMINATOR = TEXT_END;
/**
 * Text bytes a key may hold, shared by its text terms (the tags, numbers and id take under 40 more):
 * the key ends the field indexes' entries too, after the value's key (keys.ts), within 1,024 bytes.
 */
export const MAX_ORDER_TEXT_BYTES = 400;
/** Text a sorted field's key keeps (it holds nothing else but a tag, a terminator and the id). */
export const MAX_SORTED_TEXT_BYTES = 960;
/** Sorted slots of a model: the records table has a secondary index per slot (`bySorted<n>`). */
export const MAX_SORTED_SLOTS = 5;
const BEFORE_VALUES = '0';
const LARGEST_ID = 999_999_999_999_999;

type TermKind = 'text' | 'number' | 'boolean' | 'id';

const KIND_OF_TYPE: Readonly<Partial<Record<FieldDef['type'], TermKind>>> = {
  char: 'text',
  text: 'text',
  html: 'text',
  selection: 'text',
  date: 'text',
  datetime: 'text',
  integer: 'number',
  float: 'number',
  monetary: 'number',
  boolean: 'boolean',
};

export interface Term extends OrderKey {
  readonly kind: TermKind;
}

const termsOfModel = new WeakMap<ModelDef, readonly Term[] | null>();

/**
 * Which index walks an order, and which way: slot 0 is the model's order index, 1.. its sorted
 * fields' (sortedFields).
 */
export interface OrderWalk {
  readonly slot: number;
  readonly direction: 'forward' | 'backward';
}

/**
 * `order` made total: the id added when it does not name it (ascending, or descending when that
 * is what an index serves: Odoo leaves ties in no particular order, so either is its order), and
 * nothing after the id (it is unique); and the index that walks it, if one does.
 */
export function totalOrder(model: ModelDef, order: readonly OrderKey[]): { keys: OrderKey[]; walk?: OrderWalk } {
  const at = order.findIndex((key) => key.field.name === 'id');
  if (at !== -1) {
    const keys = order.slice(0, at + 1);
    const walk = orderWalkOf(model, keys);
    return walk ? { keys, walk } : { keys };
  }
  const idField = model.fieldsByName.get('id') as FieldDef;
  const options = [false, true].map((descending) => [...order, { field: idField, descending }]);
  for (const keys of options) {
    const walk = orderWalkOf(model, keys);
    if (walk) return { keys, walk };
  }
  return { keys: options[0] as OrderKey[] };
}

/** The index that walks `order` (total: the id last), the model's order index first; undefined: none does. */
export function orderWalkOf(model: ModelDef, order: readonly OrderKey[]): OrderWalk | undefined {
  const direction = orderIndexDirection(model, order);
  if (direction) return { slot: 0, direction };
  for (const { slot, terms } of sortedFields(model)) {
    const sorted = termsDirection(terms, order);
    if (sorted) return { slot, direction: sorted };
  }
  return undefined;
}

/** The terms of the model's order index; undefined when it has none (see the file's comment). */
export function orderIndexTerms(model: ModelDef): readonly Term[] | undefined {
  let terms = termsOfModel.get(model);
  if (terms === undefined) {
    terms = null;
    const order = model.order ?? [];
    const idField = model.fieldsByName.get('id') as FieldDef;
    // The id ascending after the model's order, when it does not name it.
    const keys = order.some((key) => key.field.name === 'id')
      ? order.slice(0, order.findIndex((key) => key.field.name === 'id') + 1)
      : [...order, { field: idField, descending: false }];
    const kinds = keys.map(({ field, descending }) => {
      const kind = field.name === 'id' ? 'id' : KIND_OF_TYPE[field.type];
      return kind === 'text' && descending ? undefined : kind;
    });
    if (keys.length > 1 && kinds.every((kind) => kind !== undefined))
      terms = keys.map((key, i) => ({ ...key, kind: kinds[i] as TermKind }));
    termsOfModel.set(model, terms);
  }
  return terms ?? undefined;
}

/**
 * How the order index walks for `order` (total: the id last): forward when it is
 * the model's order, backward when it is its exact reverse; undefined when the index cannot serve it.
 */
export function orderIndexDirection(model: ModelDef, order: readonly OrderKey[]): 'forward' | 'backward' | undefined {
  const terms = orderIndexTerms(model);
  return terms && termsDirection(terms, order);
}

function termsDirection(terms: readonly Term[], order: readonly OrderKey[]): 'forward' | 'backward' | undefined {
  if (terms.length !== order.length) return undefined;
  if (!terms.every((term, i) => term.field.name === order[i]?.field.name)) return undefined;
  if (terms.every((term, i) => term.descending === order[i]?.descending)) return 'forward';
  if (terms.every((term, i) => term.descending !== order[i]?.descending)) return 'backward';
  return undefined;
}

/** A sorted field of a model (see the file's comment): its slot and its key's terms (the field, then the id). */
export interface SortedField {
  readonly field: FieldDef;
  readonly slot: number;
  readonly terms: readonly Term[];
}

const sortedOfModel = new WeakMap<ModelDef, readonly SortedField[]>();

/** The model's sorted fields, in declaration order: the n-th takes sorted slot n. */
export function sortedFields(model: ModelDef): readonly SortedField[] {
  let sorted = sortedOfModel.get(model);
  if (!sorted) {
    const idField = model.fieldsByName.get('id') as FieldDef;
    const id: Term = { field: idField, descending: false, kind: 'id' };
    const servedByOrderIndex = (field: FieldDef) =>
      [false, true].some((descending) =>
        orderIndexDirection(model, [
          { field, descending: false },
          { ...id, descending },
        ]),
      );
    sorted = model.fields
      // A custom field's index (custom.ts) has no sorted slot: its `order` sorts in memory.
      .filter(
        (field) =>
          field.index === true &&
          field.indexSlot === undefined &&
          SORTED_KINDS.has(KIND_OF_TYPE[field.type] as TermKind),
      )
      .filter((field) => !servedByOrderIndex(field))
      .slice(0, MAX_SORTED_SLOTS)
      .map((field, position) => ({
        field,
        slot: position + 1,
        terms: [{ field, descending: false, kind: KIND_OF_TYPE[field.type] as TermKind }, id],
      }));
    sortedOfModel.set(model, sorted);
  }
  return sorted;
}

/** The kinds a sorted field may have: ordered by their own values (booleans are not worth a slot). */
const SORTED_KINDS: ReadonlySet<TermKind> = new Set(['text', 'number']);

function termKey(term: Term, value: StoredValue | undefined, id: number, textBytes: number): string {
  switch (term.kind) {
    case 'id':
      return idKey(term.descending ? LARGEST_ID - id : id);
    case 'boolean':
      return (value === true) !== term.descending ? '1' : '0';
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return term.descending ? BEFORE_VALUES : NULL_TAG;
      return `${VALUE_TAG}${numberKey(term.descending ? -value : value)}`;
    case 'text':
      return typeof value === 'string' ? `${VALUE_TAG}${escapedText(value, textBytes)}${TERMINATOR}` : NULL_TAG;
  }
}

/** The record's key in its model's order index; undefined when the model has none. */
export function orderKeyOf(
  model: ModelDef,
  id: number,
  values: Readonly<Record<string, StoredValue>>,
): string | undefined {
  const terms = orderIndexTerms(model);
  return terms && keyOfTerms(terms, id, values, MAX_ORDER_TEXT_BYTES);
}

/** The record's keys in its model's sorted slots (sortedFields), in slot order. */
export function sortedKeysOf(model: ModelDef, id: number, values: Readonly<Record<string, StoredValue>>): string[] {
  return sortedFields(model).map(({ terms }) => keyOfTerms(terms, id, values, MAX_SORTED_TEXT_BYTES));
}

/** The record's key in the index of `slot` (0: the order index, else a sorted slot); undefined when it has none. */
export function walkKeyOf(
  model: ModelDef,
  slot: number,
  id: number,
  values: Readonly<Record<string, StoredValue>>,
): string | undefined {
  if (slot === 0) return orderKeyOf(model, id, values);
  const sorted = sortedFields(model)[slot - 1];
  return sorted && keyOfTerms(sorted.terms, id, values, MAX_SORTED_TEXT_BYTES);
}

/** The terms' keys one after the other, the text terms sharing `textBudget` bytes. */
function keyOfTerms(
  terms: readonly Term[],
  id: number,
  values: Readonly<Record<string, StoredValue>>,
  textBudget: number,
): string {
  const textBytes = Math.floor(textBudget / Math.max(1, terms.filter((t) => t.kind === 'text').length));
  const value = (name: string) => (Object.hasOwn(values, name) ? values[name] : null);
  return terms.map((term) => termKey(term, value(term.field.name), id, textBytes)).join('');
}
