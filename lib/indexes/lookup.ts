/**
 * A leaf's lookup in a declared field index: the key ranges (lib/records/port.ts IndexQuery) whose
 * entries hold every record the leaf can be true on. Pure.
 *
 * The ranges are a superset (the search evaluates the whole domain on every record it reads), and
 * exact when they hold nothing else, which lets a count be DynamoDB's:
 *   =, in       the value's whole key and SEPARATOR (NULL has no entry: no lookup)    exact
 *   <, <=, >, >= a BETWEEN over the values' keys (numbers, dates; never text, whose key
 *               starts with its folded form)                                           exact
 *   =ilike 'p%' the folded part of text keys starts with p                             exact if p is short
 *   =like 'p%'  the same with p folded: every text starting with p folds to one
 *               starting with p folded (not so for a Greek capital sigma, whose
 *               lower case depends on what follows: no lookup then)                    never exact
 */
import type { LeafTerm } from '../records/search/domain';
import type { IndexQuery, IndexRange } from '../records/port';
import type { ModelDef } from '../models/registry';
import {
  END_OF_VALUES,
  SEPARATOR,
  VALUE_TAG,
  keyText,
  foldCase,
  isCut,
  partitionsOf,
  valueKey,
  type IndexedField,
  type IndexKind,
} from './keys';

/** Above SEPARATOR: the end of the entries of one value. */
const AFTER_SEPARATOR = '\u0002';

/** Values of one `in` looked up one by one; a longer list is read another way (a query each, per shard). */
export const MAX_LOOKUP_VALUES = 16;

export interface Lookup {
  readonly queries: readonly IndexQuery[];
  /** The kind of the field's keys (where an entry's walk key starts: keys.ts walkKeyOfEntry). */
  readonly kind: IndexKind;
  /** Every entry the queries read is a record the leaf is true on (and no record is read twice). */
  readonly exact: boolean;
  /**
   * Each query is one value's whole key (`=`, `in`): its entries follow in the model's default
   * order (their walk keys, keys.ts), so the lookup can be walked in that order (or its reverse) a
   * page at a time (plan.ts candidatesInWalkOrder).
   */
  readonly values: boolean;
}

/**
 * The lookup of `term` on `indexed` of `model`, or undefined if the index cannot serve it (text
 * ranges, long `in` lists, a value of another type than the field's, which matches nothing anyway).
 */
export function lookupOf(model: ModelDef, indexed: IndexedField, term: LeafTerm): Lookup | undefined {
  const ranges = rangesOf(indexed, term);
  if (!ranges) return undefined;
  const partitions = partitionsOf(model.model, indexed.field.name);
  return {
    queries: ranges.ranges.map((range) => ({ slot: indexed.slot, partitions, range })),
    kind: indexed.kind,
    exact: ranges.exact,
    values: term.kind === 'equals',
  };
}

function rangesOf(indexed: IndexedField, term: LeafTerm): { ranges: IndexRange[]; exact: boolean } | undefined {
  // (`=`/`in` ranges are prefixes ending in SEPARATOR: what lookupOf marks as `values`.)
  const { kind } = indexed;
  switch (term.kind) {
    case 'equals': {
      if (term.values.length > MAX_LOOKUP_VALUES) return undefined;
      const ranges: IndexRange[] = [];
      let exact = true;
      // NULL has no entry (the indexes are sparse): a term that takes it is left to a walk.
      if (term.values.includes(null)) return undefined;
      for (const value of term.values) {
        if (value === null) continue;
        const key = valueKey(kind, value);
        // A value of another type never equals a stored one: nothing to read for it.
        if (key === undefined) continue;
        // Keys cut short may share a key with another value (a separator inside a value is escaped).
        if (typeof value === 'string' && (isCut(value) || isCut(foldCase(value)))) exact = false;
        ranges.push({ kind: 'prefix', prefix: `${VALUE_TAG}${key}${SEPARATOR}` });
      }
      return { ranges, exact };
    }
    case 'range': {
      if (kind === 'text') return undefined;
      const key = valueKey(kind, term.value);
      if (key === undefined) return { ranges: [], exact: true };
      const at = `${VALUE_TAG}${key}`;
      const past = `${at}${AFTER_SEPARATOR}`;
      const range: IndexRange =
        term.operator === '<'
          ? { kind: 'between', from: VALUE_TAG, to: at }
          : term.operator === '<='
            ? { kind: 'between', from: VALUE_TAG, to: past }
            : term.operator === '>'
              ? { kind: 'between', from: past, to: END_OF_VALUES }
              : { kind: 'between', from: at, to: END_OF_VALUES };
      return { ranges: [range], exact: true };
    }
    case 'prefix': {
      if (kind === 'number') return undefined;
      if (kind === 'date')
        return { ranges: [{ kind: 'prefix', prefix: `${VALUE_TAG}${keyText(term.prefix)}` }], exact: term.exact };
      if (!term.folded && term.prefix.includes('\u03a3')) return undefined;
      const folded = term.folded ? term.prefix : foldCase(term.prefix);
      const exact = term.folded && term.exact && !isCut(folded);
      return { ranges: [{ kind: 'prefix', prefix: `${VALUE_TAG}${keyText(folded)}` }], exact };
    }
  }
}
