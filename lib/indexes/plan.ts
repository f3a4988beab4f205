/**
 * The planner: which records a search reads instead of its whole model. From a domain it takes the
 * terms a declared index (or the ids themselves) can look up, and turns them into candidate ids:
 * - a leaf on an indexed field: its lookup (lookup.ts); on `id`: the ids; child_of/parent_of on `id`
 *   (or a many2one to the model itself): the hierarchy's ids, walked by reads before planning;
 * - a dotted path or name search through an indexed many2one (`country_id.code = 'BE'`), once its
 *   comodel ids are resolved: a lookup of those ids;
 * - one through a one2many (`child_ids.name = 'x'`, `child_ids any [...]`): the resolved children,
 *   read consistently, name their parents in their inverse many2one (kept exact with the list);
 * - '&': the most selective of its children that can be looked up (each counted by DynamoDB when
 *   there is a choice), intersected with the others that are at most INTERSECT_FACTOR times as
 *   many (reading keys costs less than reading the records they would let through);
 * - '|': the union of its children, if every one of them can be looked up;
 * - anything else ('!', 'not any', negative operators, unindexed fields): nothing.
 * The candidates are a superset of the matches; the search reads each candidate record
 * consistently and evaluates the whole domain on it, so a lagging index entry can make a search
 * read a record it then drops, never return one that does not match.
 */
import type { FieldDef, ModelDef } from '../models/registry';
import type { IndexQuery, IndexRange, RecordStore } from '../records/port';
import { compareCodePoints } from '../wire/code-points';
import { hierarchyMatchesSelf, leafTerm, type DomainNode, type ResolvableNode } from '../records/search/domain';
import { MAX_SORT_KEY_BYTES, indexedField, walkKeyOfEntry } from './keys';
import { lookupOf, MAX_LOOKUP_VALUES, type Lookup } from './lookup';

/** Candidates a plan may read; a source that holds more is not used (the search walks the model). */
export const MAX_CANDIDATES = 10_000;
/** '&': another child is intersected when it holds at most this many times the chosen one's candidates. */
export const INTERSECT_FACTOR = 8;

export type Source =
  | { readonly kind: 'ids'; readonly ids: readonly number[]; readonly label: string }
  | { readonly kind: 'lookup'; readonly lookup: Lookup; readonly label: string }
  /** The records the many2one `field` of these `model` records points at (a one2many read upside down). */
  | {
      readonly kind: 'inverse';
      readonly model: string;
      readonly field: string;
      readonly ids: readonly number[];
      readonly label: string;
    }
  | { readonly kind: 'union' | 'all'; readonly sources: readonly Source[] };

/** The ids resolved for a dotted path or name search (search.ts resolves them before planning). */
export type ResolvedIds = (node: ResolvableNode) => ReadonlySet<number> | undefined;

/** What the domain's candidates can be read from, or undefined if only a walk of the model finds them. */
export function sourceOf(model: ModelDef, node: DomainNode, resolved: ResolvedIds): Source | undefined {
  switch (node.kind) {
    case 'constant':
      return node.value ? undefined : { kind: 'ids', ids: [], label: 'FALSE' };
    case 'not':
      return undefined;
    case 'and': {
      const sources = node.children.flatMap((child) => sourceOf(model, child, resolved) ?? []);
      if (sources.length === 0) return undefined;
      return sources.length === 1 ? sources[0] : { kind: 'all', sources };
    }
    case 'or': {
      const sources = node.children.map((child) => sourceOf(model, child, resolved));
      return sources.every((source) => source !== undefined) ? { kind: 'union', sources } : undefined;
    }
    case 'any':
      if (node.negated) return undefined;
      if (node.field.type === 'one2many') return resolvedParents(node, resolved);
      return node.field.type === 'many2one' ? resolvedLookup(model, node, resolved) : undefined;
    case 'leaf': {
      const { field, operator } = node;
      if (node.subpath.length > 0) {
        // A many2one name search with a positive operator is `field IN (ids)`.
        const positive = !['!=', 'not in', 'not like', 'not ilike'].includes(operator);
        if (!positive) return undefined;
        if (field.type === 'one2many') return resolvedParents(node, resolved);
        return field.type === 'many2one' ? resolvedLookup(model, node, resolved) : undefined;
      }
      const label = `${field.name} ${operator}`;
      if ((operator === 'child_of' || operator === 'parent_of') && hierarchyMatchesSelf(node)) {
        // The hierarchy's ids, walked by reads (search.ts resolves them): those records are the candidates.
        const ids = resolved(node);
        return ids && ids.size <= MAX_CANDIDATES ? { kind: 'ids', ids: [...ids], label } : undefined;
      }
      const term = leafTerm(node);
      if (!term) return undefined;
      if (field.name === 'id') {
        if (term.kind !== 'equals') return undefined;
        return { kind: 'ids', ids: term.values.filter((id): id is number => typeof id === 'number'), label };
      }
      const indexed = indexedField(model, field.name);
      const lookup = indexed && lookupOf(model, indexed, term);
      return lookup ? { kind: 'lookup', lookup, label } : undefined;
    }
  }
}

function resolvedLookup(model: ModelDef, node: ResolvableNode, resolved: ResolvedIds): Source | undefined {
  const ids = resolved(node);
  const indexed = indexedField(model, node.field.name);
  if (!ids || !indexed || ids.size > MAX_LOOKUP_VALUES) return undefined;
  const lookup = lookupOf(model, indexed, { kind: 'equals', values: [...ids], exact: true });
  return lookup && { kind: 'lookup', lookup, label: `${node.field.name} in (${ids.size} resolved)` };
}

/** A one2many's resolved children: their parents are the candidates (up to MAX_CANDIDATES children). */
function resolvedParents(node: ResolvableNode, resolved: ResolvedIds): Source | undefined {
  const ids = resolved(node);
  const { relation, relationField } = node.field;
  if (!ids || !relation || !relationField || ids.size > MAX_CANDIDATES) return undefined;
  return {
    kind: 'inverse',
    model: relation,
    field: relationField,
    ids: [...ids],
    label: `${node.field.name} (${ids.size} resolved)`,
  };
}

/** What a plan read, for the X-Query-Plan header. */
export interface PlanReport {
  /** The terms the candidates came from, e.g. `ref =` or `name =ilike & date >=`. */
  readonly via: string;
  /** The candidates the chosen source holds, counted by DynamoDB (when it was counted). */
  estimated?: number;
  /** Index entries read. */
  entries: number;
}

/**
 * The candidate ids of `source`, or undefined when there are more than MAX_CANDIDATES; with
 * `walkKeys`, the walk key (keys.ts) of each candidate an index entry named, as the entry has it.
 */
export async function candidateIds(
  store: RecordStore,
  source: Source,
  report: PlanReport,
  walkKeys?: Map<number, string>,
): Promise<Set<number> | undefined> {
  switch (source.kind) {
    case 'ids':
      return new Set(source.ids);
    case 'inverse': {
      const children = await store.getMany(
        source.ids.map((id) => ({ model: source.model, id })),
        { consistent: true },
      );
      const ids = new Set<number>();
      for (const child of children.values()) {
        const parent = child.values[source.field];
        if (typeof parent === 'number') ids.add(parent);
      }
      return ids;
    }
    case 'lookup': {
      const pages = await Promise.all(
        source.lookup.queries.map((query) => store.queryIndex(query, { limit: MAX_CANDIDATES })),
      );
      const ids = new Set<number>();
      for (const page of pages) {
        report.entries += page.entries.length;
        if (!page.complete) return undefined;
        for (const { id, sort } of page.entries) {
          ids.add(id);
          walkKeys?.set(id, walkKeyOfEntry(source.lookup.kind, sort));
        }
      }
      return ids.size > MAX_CANDIDATES ? undefined : ids;
    }
    case 'union': {
      const parts = await Promise.all(source.sources.map((part) => candidateIds(store, part, report, walkKeys)));
      const ids = new Set<number>();
      for (const part of parts) {
        if (!part) return undefined;
        for (const id of part) ids.add(id);
      }
      return ids.size > MAX_CANDIDATES ? undefined : ids;
    }
    case 'all': {
      const counts = await Promise.all(source.sources.map((part) => estimate(store, part)));
      const smallest = Math.min(...counts);
      if (smallest > MAX_CANDIDATES) return undefined;
      const chosen = source.sources.filter((_, i) => (counts[i] as number) <= smallest * INTERSECT_FACTOR);
      const parts = await Promise.all(chosen.map((part) => candidateIds(store, part, report, walkKeys)));
      let ids: Set<number> | undefined;
      for (const part of parts) {
        if (!part) continue;
        ids = ids ? new Set([...ids].filter((id) => part.has(id))) : part;
      }
      return ids;
    }
  }
}

/** How many candidates `source` holds, counted by DynamoDB (a union's parts may overlap: their sum). */
export async function estimate(store: RecordStore, source: Source): Promise<number> {
  switch (source.kind) {
    case 'ids':
    case 'inverse':
      return source.ids.length;
    case 'lookup':
      return countAll(store, source.lookup.queries);
    case 'union':
      return (await Promise.all(source.sources.map((part) => estimate(store, part)))).reduce((a, b) => a + b, 0);
    case 'all':
      return Math.min(...(await Promise.all(source.sources.map((part) => estimate(store, part)))));
  }
}

/** The sum of the queries' counts (disjoint ranges: one lookup's values are distinct). */
export async function countAll(store: RecordStore, queries: readonly IndexQuery[]): Promise<number> {
  return (await Promise.all(queries.map((query) => store.countIndex(query)))).reduce((a, b) => a + b, 0);
}

/** The terms a source reads, for the plan's report. */
export function describeSource(source: Source): string {
  switch (source.kind) {
    case 'ids':
    case 'inverse':
    case 'lookup':
      return source.label;
    case 'union':
      return source.sources.map(describeSource).join(' | ');
    case 'all':
      return source.sources.map(describeSource).join(' & ');
  }
}

/**
 * Above the first character of every walk key (an order key starts with a tag or a digit, an id's
 * key with a digit: all ASCII): the end of one value's entries.
 */
const AFTER_WALK_KEYS = '\u007f';
/** Steps of an ordered walk grow to this many candidates at most. */
const MAX_STEP = 3_200;
/** How many times the even split of a step each stream is asked for (see candidatesInWalkOrder). */
const SKEW = 4;

/** The part of a lookup-of-values query's keys before the walk key: the value's key and SEPARATOR. */
function valuePrefixOf(query: IndexQuery): string {
  return query.range.kind === 'prefix' ? query.range.prefix : '';
}

/**
 * Whether a walk of `lookup` can go on after the walk key `after`: each value's key followed by it
 * fits a sort key (a longer one is no key of this lookup, and DynamoDB would refuse the bound).
 */
export function walkCanStartAfter(lookup: Lookup, after: string): boolean {
  return lookup.queries.every(
    (query) => Buffer.byteLength(`${valuePrefixOf(query)}${after}`, 'utf8') <= MAX_SORT_KEY_BYTES,
  );
}

/** Where a walk of a lookup starts: after the walk key `after` (undefined: from the first), backward or not. */
export interface WalkFrom {
  readonly after: string | undefined;
  readonly backward: boolean;
}

/**
 * The candidates of a lookup of values (`=`, `in`) in the order of their walk keys (keys.ts: the
 * model's default order), after `from.after` (or backward, before it), a step at a time. Each
 * partition of each value (a stream) keeps its entries in that order, so reading a share of each
 * and merging them gives every candidate up to the least last key of the streams that may hold
 * more (the greatest, backward). A page costs the same at any depth (as the model's own walks,
 * listModel and listInOrder) and reads about the entries it needs, not every candidate. Shares are
 * generous (SKEW times the even split): one value's entries often gather in a few partitions
 * (every hundredth id falls in 4 of 16), and a stream found empty is not asked again, so the next
 * round's shares grow.
 */
export async function* candidatesInWalkOrder(
  store: RecordStore,
  lookup: Lookup,
  from: WalkFrom,
  firstStep: number,
  report: PlanReport,
): AsyncGenerator<number[]> {
  const { backward } = from;
  // Walk keys are unique and none extends another (each ends with a fixed-width id), so a range
  // bounded by the last key read, both ends included, holds that one entry and then the next ones.
  const rangeAfter = (prefix: string, after: string | undefined): IndexRange =>
    backward
      ? { kind: 'between', from: prefix, to: `${prefix}${after ?? AFTER_WALK_KEYS}` }
      : { kind: 'between', from: `${prefix}${after ?? ''}`, to: `${prefix}${AFTER_WALK_KEYS}` };
  const streams = lookup.queries.flatMap((query) =>
    query.partitions.map((partition) => ({
      query: { ...query, partitions: [partition] },
      prefix: valuePrefixOf(query),
      after: from.after,
      done: false,
    })),
  );
  // Later in the walk's direction: above 0 when `a` comes after `b`.
  const later = (a: string, b: string) => (backward ? -compareCodePoints(a, b) : compareCodePoints(a, b));
  // Entries read but not yet known complete, and the ids of those known complete, not yet handed over.
  let pending: { id: number; key: string }[] = [];
  const ready: number[] = [];
  for (let step = Math.max(1, firstStep); ; step = Math.min(step * 2, MAX_STEP)) {
    const open = streams.filter((stream) => !stream.done);
    if (ready.length < step && open.length > 0) {
      const share = Math.ceil(((step - ready.length) / open.length) * SKEW) + 2;
      const shares = await Promise.all(
        open.map(({ query, prefix, after }) =>
          store
            // One more when the range holds the last entry read again.
            .queryIndexShares({ ...query, range: rangeAfter(prefix, after) }, share + (after === undefined ? 0 : 1), {
              backward,
            })
            .then(([found]) => found ?? { entries: [], more: false }),
        ),
      );
      shares.forEach(({ entries, more }, i) => {
        const stream = open[i] as (typeof open)[number];
        report.entries += entries.length;
        const fresh = entries
          .map(({ id, sort }) => ({ id, key: sort.slice(stream.prefix.length) }))
          .filter(({ key }) => key !== stream.after);
        pending.push(...fresh);
        stream.after = fresh.at(-1)?.key ?? stream.after;
        stream.done = !more || fresh.length === 0;
      });
      const unfinished = streams.filter((stream) => !stream.done);
      const bounds = unfinished.map((stream) => stream.after as string);
      const bound = bounds.reduce<string | undefined>(
        (a, b) => (a === undefined || later(b, a) < 0 ? b : a),
        undefined,
      );
      const known = (key: string) => bound === undefined || later(key, bound) <= 0;
      ready.push(
        ...pending
          .filter(({ key }) => known(key))
          .sort((a, b) => later(a.key, b.key))
          .map(({ id }) => id),
      );
      pending = pending.filter(({ key }) => !known(key));
    }
    if (ready.length === 0 && streams.every((stream) => stream.done)) return;
    // Only what this step needs: a page of 80 reads about 81 records, not every candidate found.
    if (ready.length > 0) yield ready.splice(0, step);
  }
}

/**
 * The ids of the records of `model` whose many2one `field` holds one of `targets`, found through
 * the field's index (the targets looked up MAX_LOOKUP_VALUES at a time, in parallel); undefined when
 * the field is not indexed, the table's indexes are not marked complete, or the lookup holds more
 * than MAX_CANDIDATES (the caller walks the model). Like every lookup, a superset at worst lagging
 * by the index's moment: the caller reads the records and checks their values.
 */
export async function referencingIds(
  store: RecordStore,
  model: ModelDef,
  field: FieldDef,
  targets: ReadonlySet<number>,
): Promise<number[] | undefined> {
  const indexed = field.type === 'many2one' ? indexedField(model, field.name) : undefined;
  if (!indexed || !(await store.indexesReady())) return undefined;
  const values = [...targets];
  const chunks = Array.from({ length: Math.ceil(values.length / MAX_LOOKUP_VALUES) }, (_, i) =>
    values.slice(i * MAX_LOOKUP_VALUES, (i + 1) * MAX_LOOKUP_VALUES),
  );
  const pages = await Promise.all(
    chunks
      .flatMap((chunk) => lookupOf(model, indexed, { kind: 'equals', values: chunk, exact: true })?.queries ?? [])
      .map((query) => store.queryIndex(query, { limit: MAX_CANDIDATES })),
  );
  if (pages.some((page) => !page.complete)) return undefined;
  const ids = [...new Set(pages.flatMap((page) => page.entries.map(({ id }) => id)))].sort((a, b) => a - b);
  return ids.length > MAX_CANDIDATES ? undefined : ids;
}
