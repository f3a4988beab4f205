/**
 * Odoo's search / search_read / search_count over a RecordStore: the domain (lib/records/search/domain.ts) is
 * evaluated in memory on a model's records, walked in the search's order through the model's index
 * (id order) or its order index (the model's _order, lib/indexes/order.ts) — never a table scan —
 * page by page, or on the candidates a declared index finds (lib/indexes/plan.ts). Dotted paths and
 * 'any' terms, name searches and child_of/parent_of are resolved first into id sets by searching
 * the comodels, as Odoo does with subqueries, each in the context Odoo gives it (active_test handed
 * down, False below a many2one).
 *
 * Order: the one asked, else the model's _order. Paging: `offset`/`limit` as the original, plus an
 * opaque continuation token (the last id, or the last order key, of a page; in id order and in the
 * model's order or its reverse) whose cost does not grow with depth. Other orders sort the matches
 * in memory, up to MAX_SORTED_MATCHES of them.
 */
import {
  domainNamesActive,
  evaluateRecord,
  hierarchyIds,
  parseDomain,
  resolutionOf,
  subpathLeaves,
  walkedModels,
  type DomainNode,
  type ResolvableNode,
  type SubSearch,
} from './domain';
import { BadRequestError } from '../../errors';
import { parseOrderText, type FieldDef, type ModelDef, type ModelRegistry, type OrderKey } from '../../models/registry';
import { PyFloat, type PyValue } from '../../wire/pyvalue';
import { recordKeyString, type RecordStore, type StoredRecord, type StoredValue } from '../port';
import { idsOf, linkOfReference } from '../inverses';
import {
  MAX_SORTED_SLOTS,
  orderIndexTerms,
  sortedFields,
  totalOrder,
  walkKeyOf,
  type OrderWalk,
} from '../../indexes/order';
import { idKey, MAX_SORT_KEY_BYTES } from '../../indexes/keys';
import { compareCodePoints } from '../../wire/code-points';
import {
  MAX_CANDIDATES,
  candidateIds,
  candidatesInWalkOrder,
  walkCanStartAfter,
  countAll,
  describeSource,
  estimate,
  sourceOf,
  type PlanReport,
  type ResolvedIds,
  type Source,
} from '../../indexes/plan';

export interface SearchDeps {
  readonly registry: ModelRegistry;
  readonly store: RecordStore;
}

export interface SearchRequest {
  readonly model: ModelDef;
  /** The domain as parsed from its literal; undefined or [] for every record. */
  readonly domain?: PyValue | undefined;
  readonly offset?: number;
  readonly limit: number;
  readonly order?: readonly OrderKey[];
  /** A continuation token from a previous page (id order only). */
  readonly cursor?: string | undefined;
  /** Odoo's context active_test: leave archived records out unless the domain names `active`. */
  readonly activeTest?: boolean;
  /** The caller asked for the plan: count the chosen lookup's candidates before reading them. */
  readonly explain?: boolean;
}

export interface SearchResult {
  readonly records: StoredRecord[];
  /** Where the next page starts, when there may be one (id order only). */
  readonly nextCursor?: string;
  readonly plan: SearchPlan;
}

/**
 * How a search found its records (the X-Query-Plan header): through an index lookup (`index`),
 * DynamoDB's count of index entries or of the model (`count`), or a walk of the whole model (`scan`).
 */
export interface SearchPlan {
  readonly strategy: 'index' | 'count' | 'scan';
  /** The terms looked up (e.g. `ref =`), or the model walked. */
  readonly via: string;
  /** The candidates the lookup held, counted before reading them (when the caller asked for the plan). */
  readonly estimated?: number;
  /** Index entries read. */
  readonly entries: number;
  /** Records of the model read (consistently, for a lookup's candidates). */
  readonly read: number;
}

const NOTHING_READ: SearchPlan = { strategy: 'index', via: '', entries: 0, read: 0 };

/**
 * Records read from the index in the first step of a walk; each further step reads twice as many,
 * up to MAX_WALK_PAGE.
 */
const WALK_PAGE = 200;
const MAX_WALK_PAGE = 3_200;
/**
 * Records a walk of a sorted field's index may read past what its page needs (offset, limit and
 * one) before it gives up: a domain whose matches lie far apart in that order (under about one
 * record in 25 for a page of 80, or none) is then answered by reading the model once and sorting
 * the matches here, as before the index — cheaper than walking on, since the walk reads its
 * records by key after the index's keys (a BatchGet per 100) where a read of the model takes them
 * from the model's index a megabyte at a time.
 */
export const MAX_SORTED_WALK = 2_000;

/** A sorted field's walk that read MAX_SORTED_WALK records more than its page needs (walkSorted). */
class SortedWalkGaveUp extends Error {
  constructor(readonly read: number) {
    super('the sorted walk read too far');
  }
}

/** The sizes of a walk's steps: `firstPage`, then twice as many each step, up to MAX_WALK_PAGE. */
function* walkSteps(firstPage: number): Generator<number, never> {
  for (let size = Math.min(firstPage, MAX_WALK_PAGE); ; size = Math.min(size * 2, MAX_WALK_PAGE)) yield size;
}

/** Matches sorted in memory for an order other than id; more is a 400 asking for a narrower domain. */
export const MAX_SORTED_MATCHES = 10_000;

/** `order=name desc, id`: field names with asc/desc, validated against the model; [] for none. */
export function parseOrder(model: ModelDef, text: string | undefined): OrderKey[] {
  if (text === undefined || text.trim() === '') return [];
  const keys = parseOrderText(model, text);
  if (typeof keys === 'string')
    throw new BadRequestError(
      `Invalid 'order': ${keys}; expected field names of ${model.model} with asc or desc, e.g. order=name desc, id`,
    );
  return keys;
}

/**
 * Where a page stopped, opaque to the caller: the last id (id order) or the last key of the index
 * that walks the order (`slot` 0: the model's order index, else a sorted field's: lib/indexes/order.ts)
 * and the direction walked.
 */
type Cursor =
  { readonly afterId: number } | { readonly afterKey: string; readonly backward: boolean; readonly slot: number };

function encodeCursor(cursor: Cursor): string {
  const json =
    'afterId' in cursor
      ? { a: cursor.afterId }
      : { k: cursor.afterKey, ...(cursor.backward ? { b: 1 } : {}), ...(cursor.slot > 0 ? { s: cursor.slot } : {}) };
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

const CURSOR_HELP = 'pass back the X-Next-Cursor value of the previous page unchanged';

function decodeCursor(cursor: string): Cursor {
  try {
    const { a, k, b, s } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof a === 'number' && Number.isSafeInteger(a) && a >= 0) return { afterId: a };
    // An order key is a sort key: at most 1,024 bytes (a longer one is no key of ours, and DynamoDB
    // would refuse it), starting with a digit (a tag or an id's), as a lookup's BETWEEN bounds expect.
    const sized = typeof k === 'string' && Buffer.byteLength(k, 'utf8') <= MAX_SORT_KEY_BYTES;
    const key = sized && /^[0-9]/.test(k) ? k : undefined;
    const slot = cursorSlot(s);
    if (key !== undefined && (b === undefined || b === 1) && slot !== undefined)
      return { afterKey: key, backward: b === 1, slot };
  } catch {
    // reported below
  }
  throw new BadRequestError(`Invalid 'cursor': ${CURSOR_HELP}`);
}

/** A cursor's index: 0 (absent) for the model's order index, else a sorted slot; undefined: neither. */
function cursorSlot(s: unknown): number | undefined {
  if (s === undefined) return 0;
  return typeof s === 'number' && Number.isInteger(s) && s >= 1 && s <= MAX_SORTED_SLOTS ? s : undefined;
}

/**
 * The cursor of a search in the order `walk` walks (undefined: id order), refused when it was not
 * made by a search in that order: its next page would not follow from it.
 */
function cursorFor(text: string | undefined, walk: OrderWalk | undefined): Cursor | undefined {
  if (text === undefined) return undefined;
  const cursor = decodeCursor(text);
  const fits =
    'afterId' in cursor
      ? walk === undefined
      : walk?.slot === cursor.slot && walk.direction === (cursor.backward ? 'backward' : 'forward');
  if (fits) return cursor;
  throw new BadRequestError(`Invalid 'cursor': it pages another order; ${CURSOR_HELP}, with the same 'order'`);
}

/**
 * Whether archived records are left out, as Odoo's _where_calc does: active_test on, an `active`
 * field, and no term of the domain as given on `active` itself (`('active', '=?', False)` too).
 */
function skipsArchived(model: ModelDef, domain: PyValue | undefined, activeTest: boolean): boolean {
  return activeTest && model.fieldsByName.get('active')?.type === 'boolean' && !domainNamesActive(domain);
}

/** Sub-searches of one domain that run at once (each scan queries every index shard in parallel too). */
export const SUBSEARCH_CONCURRENCY = 4;

/**
 * One search's sub-searches (dotted paths, name searches, hierarchies), by what they resolve:
 * the same leaf anywhere in the domain, at any depth, is searched once and its ids reused.
 */
interface Resolver {
  readonly deps: SearchDeps;
  readonly resolved: Map<string, Promise<ReadonlySet<number>>>;
}

function resolverFor(deps: SearchDeps): Resolver {
  return { deps, resolved: new Map() };
}

/** Identifies a value exactly (type included: 1, 1.0, '1' and True are different terms). */
function valueKey(value: PyValue): string {
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${JSON.stringify(k)}:${valueKey(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(valueKey).join(',')}]`;
  if (value instanceof PyFloat) return `f${Object.is(value.value, -0) ? '-0' : String(value.value)}`;
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value}:${String(value)}`;
}

const nodeKeys = new WeakMap<DomainNode, string>();

/** Identifies a node exactly, sub-domains included (what its resolution depends on). */
function nodeKey(node: DomainNode): string {
  let key = nodeKeys.get(node);
  if (key !== undefined) return key;
  switch (node.kind) {
    case 'constant':
      key = node.value ? 'T' : 'F';
      break;
    case 'and':
    case 'or':
      key = `${node.kind}(${node.children.map(nodeKey).join(',')})`;
      break;
    case 'not':
      key = `not(${nodeKey(node.child)})`;
      break;
    case 'leaf': {
      const { model, field, subpath, operator, nameSearch, value } = node;
      key = JSON.stringify([model.model, field.name, subpath, operator, nameSearch, valueKey(value)]);
      break;
    }
    case 'any': {
      const { model, field, negated, namesActive, autoJoin } = node;
      key = `any${JSON.stringify([model.model, field.name, negated, namesActive, autoJoin])}(${nodeKey(node.domain)})`;
      break;
    }
  }
  nodeKeys.set(node, key);
  return key;
}

/** What a resolution depends on: the node, and the active_test of the search it is resolved for. */
function resolutionKey(node: ResolvableNode, activeTest: boolean): string {
  return `${activeTest ? 'A' : 'a'}${nodeKey(node)}`;
}

/** Runs `tasks` with at most `limit` at a time; rejects with the first failure (no new task starts after it). */
async function runBounded(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < tasks.length) {
      const task = tasks[next++] as () => Promise<void>;
      try {
        await task();
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/**
 * The matcher of one search (Odoo's _search): `search.domain` with its sub-searches resolved in
 * the search's context, archived records left out when `search.leaveArchivedOut`, and the records
 * on which the domain is true (or, `select` false, false).
 */
async function compile(resolver: Resolver, search: SubSearch): Promise<Compiled> {
  const { domain, activeTest, leaveArchivedOut, select } = search;
  const leaves = subpathLeaves(domain);
  const byKey = new Map<string, ResolvableNode>();
  for (const leaf of leaves) {
    const key = resolutionKey(leaf, activeTest);
    if (!byKey.has(key)) byKey.set(key, leaf);
  }
  const ids = new Map<string, ReadonlySet<number>>();
  // Distinct sub-searches, a few at a time; one already run (or running) for this search is reused.
  await runBounded(
    [...byKey].map(([key, leaf]) => async () => {
      let pending = resolver.resolved.get(key);
      if (!pending) {
        pending = resolveLeaf(resolver, leaf, activeTest);
        resolver.resolved.set(key, pending);
      }
      ids.set(key, await pending);
    }),
    SUBSEARCH_CONCURRENCY,
  );
  const resolved = new Map<ResolvableNode, ReadonlySet<number>>();
  for (const leaf of leaves) resolved.set(leaf, ids.get(resolutionKey(leaf, activeTest)) ?? new Set<number>());
  const lookup = (leaf: ResolvableNode) => resolved.get(leaf) ?? new Set<number>();
  return {
    matches: (record) =>
      (!leaveArchivedOut || record.values.active === true) && evaluateRecord(domain, record, lookup) === select,
    resolvedIds: (node) => resolved.get(node),
  };
}

interface Compiled {
  /** Whether the search selects a record. */
  readonly matches: (record: StoredRecord) => boolean;
  /** The ids a dotted path or name search of the domain resolved to. */
  readonly resolvedIds: ResolvedIds;
}

/**
 * The plan (lib/indexes/plan.ts) for `domain`: the source of its candidates and its report (with
 * the candidates counted first when the caller asked); undefined when the domain has nothing an
 * index can look up, or the table's indexes are not marked complete.
 */
async function planOf(
  store: RecordStore,
  model: ModelDef,
  domain: DomainNode,
  resolvedIds: ResolvedIds,
  explain = false,
): Promise<{ source: Source; report: PlanReport } | undefined> {
  const source = sourceOf(model, domain, resolvedIds);
  if (!source || !(await store.indexesReady())) return undefined;
  const report: PlanReport = { via: describeSource(source), entries: 0 };
  if (explain) report.estimated = await estimate(store, source);
  return { source, report };
}

/**
 * Every candidate of the plan for `domain`, sorted by id, with its report; undefined when the
 * domain has nothing an index can look up. `ids` is undefined when the lookup held more than
 * MAX_CANDIDATES (the search walks the model instead).
 */
async function plannedCandidates(
  store: RecordStore,
  model: ModelDef,
  domain: DomainNode,
  resolvedIds: ResolvedIds,
  explain = false,
): Promise<{ ids: number[] | undefined; report: PlanReport } | undefined> {
  const plan = await planOf(store, model, domain, resolvedIds, explain);
  return plan && { ids: await sortedCandidates(store, plan.source, plan.report), report: plan.report };
}

/**
 * Every candidate of `source` in id order (and into `walkKeys`, those its index entries hold:
 * plan.ts candidateIds); undefined when there are more than MAX_CANDIDATES.
 */
async function sortedCandidates(
  store: RecordStore,
  source: Source,
  report: PlanReport,
  walkKeys?: Map<number, string>,
): Promise<number[] | undefined> {
  const ids = await candidateIds(store, source, report, walkKeys);
  return ids && [...ids].sort((a, b) => a - b);
}

/**
 * The candidates' records, read consistently in id order (after `afterId`), handed to `visit`
 * until it returns false (readListed). Returns how many records were read.
 */
function readCandidates(
  store: RecordStore,
  model: string,
  ids: readonly number[],
  afterId: number,
  visit: (record: StoredRecord) => boolean,
  firstChunk = MAX_WALK_PAGE,
): Promise<number> {
  const next = ids.findIndex((id) => id > afterId);
  return readListed(store, model, next === -1 ? [] : ids.slice(next), visit, firstChunk);
}

/**
 * The records of `ids`, read consistently in that order, handed to `visit` until it returns false;
 * chunks grow from `firstChunk` as a walk's steps do. Returns how many records were read.
 */
function readListed(
  store: RecordStore,
  model: string,
  ids: readonly number[],
  visit: (record: StoredRecord) => boolean,
  firstChunk = MAX_WALK_PAGE,
): Promise<number> {
  async function* chunks(): AsyncGenerator<number[]> {
    let next = 0;
    for (let size = Math.max(1, firstChunk); next < ids.length; size = Math.min(size * 2, MAX_WALK_PAGE)) {
      yield ids.slice(next, next + size);
      next += size;
    }
  }
  return readInOrderGiven(store, model, chunks(), visit);
}

/**
 * The records of the ids handed over step by step, read consistently and handed to `visit` in the
 * order given until it returns false. Returns how many records were read.
 */
async function readInOrderGiven(
  store: RecordStore,
  model: string,
  steps: AsyncGenerator<number[]>,
  visit: (record: StoredRecord) => boolean,
): Promise<number> {
  let read = 0;
  for await (const ids of steps) {
    const found = await store.getMany(
      ids.map((id) => ({ model, id })),
      { consistent: true },
    );
    read += found.size;
    for (const id of ids) {
      const record = found.get(recordKeyString({ model, id }));
      if (record && !visit(record)) return read;
    }
  }
  return read;
}

/** Every record of `model`, in id order, handed to `visit` until it returns false. */
async function walk(
  store: RecordStore,
  model: string,
  afterId: number,
  visit: (record: StoredRecord) => boolean,
  firstPage = WALK_PAGE,
): Promise<void> {
  // A page usually fills in the first step; a selective domain needs more records per match, so
  // the steps grow rather than paying one round trip per 200 records read.
  let after = afterId;
  for (const size of walkSteps(firstPage)) {
    const page = await store.listModel(model, { afterId: after, limit: size });
    for (const record of page) if (!visit(record)) return;
    if (page.length < size) return;
    after = (page.at(-1) as StoredRecord).id;
  }
}

/** The ids of every record a search selects (order does not matter: a parallel scan). */
async function matchingIds(resolver: Resolver, search: SubSearch): Promise<Set<number>> {
  const ids = new Set<number>();
  // expression.is_false (or a sub-domain folded to FALSE): _search answers without a query.
  if (search.domain.kind === 'constant' && !search.domain.value && search.select) return ids;
  const { matches, resolvedIds } = await compile(resolver, search);
  const { store } = resolver.deps;
  // The complement of a domain (select false) has no lookup: it walks the model.
  const planned = search.select ? await plannedCandidates(store, search.model, search.domain, resolvedIds) : undefined;
  if (planned?.ids) {
    await readCandidates(store, search.model.model, planned.ids, 0, (record) => {
      if (matches(record)) ids.add(record.id);
      return true;
    });
    return ids;
  }
  await store.scanModel(search.model.model, (records) => {
    for (const record of records) if (matches(record)) ids.add(record.id);
  });
  return ids;
}

async function resolveLeaf(
  resolver: Resolver,
  leaf: ResolvableNode,
  activeTest: boolean,
): Promise<ReadonlySet<number>> {
  const { deps } = resolver;
  const resolution = resolutionOf(leaf, deps.registry, activeTest);
  if (resolution.kind === 'search') return matchingIds(resolver, resolution);
  const { start } = resolution;
  const startIds = 'ids' in start ? start.ids : [...(await matchingIds(resolver, start.search))];
  // parent_of reads up the parents; child_of down the children's list, once the table's lists are
  // rebuilt (inverses.ts; the reindex command marks it): a level per round trip, only the hierarchy read.
  const link = linkOfReference(deps.registry, resolution.model.model, resolution.parentField.name);
  if (resolution.operator === 'parent_of' || (link && (await deps.store.indexesReady()))) {
    const { found, active } = await hierarchyByReads(deps.store, resolution, startIds, link?.list.name);
    return resolution.leaveArchivedOut ? new Set([...found].filter((id) => active.has(id))) : found;
  }
  // Else the whole hierarchy of the comodel, archived records included, as Odoo walks it.
  const parent = new Map<number, number | null>();
  const children = new Map<number, number[]>();
  const active = new Set<number>();
  await deps.store.scanModel(resolution.model.model, (records) => {
    for (const record of records) {
      const up = record.values[resolution.parentField.name];
      const parentId = typeof up === 'number' ? up : null;
      parent.set(record.id, parentId);
      if (parentId !== null) children.set(parentId, [...(children.get(parentId) ?? []), record.id]);
      if (record.values.active === true) active.add(record.id);
    }
  });
  const found = hierarchyIds(
    resolution.operator,
    startIds,
    (id) => parent.get(id),
    (id) => children.get(id) ?? [],
  );
  // A many2many's `comodel._search([('id', 'in', ids)])` in the caller's context.
  return resolution.leaveArchivedOut ? new Set([...found].filter((id) => active.has(id))) : found;
}

/**
 * hierarchyIds over records read by key, level by level (consistently): each level's parents
 * (parent_of) or the ids in their `listField` (child_of). Also which of the records read are active.
 */
async function hierarchyByReads(
  store: RecordStore,
  resolution: { model: ModelDef; operator: 'child_of' | 'parent_of'; parentField: FieldDef },
  startIds: Iterable<number>,
  listField: string | undefined,
): Promise<{ found: Set<number>; active: Set<number> }> {
  const model = resolution.model.model;
  const found = new Set<number>();
  const active = new Set<number>();
  let level = [...new Set(startIds)].filter((id) => id > 0);
  level.forEach((id) => found.add(id));
  while (level.length > 0) {
    const read = await store.getMany(
      level.map((id) => ({ model, id })),
      { consistent: true },
    );
    const next: number[] = [];
    for (const record of read.values()) {
      if (record.values.active === true) active.add(record.id);
      const up = record.values[resolution.parentField.name];
      const relatives = resolution.operator === 'parent_of' ? [up] : idsOf(listField && record.values[listField]);
      for (const id of relatives)
        if (typeof id === 'number' && id > 0 && !found.has(id)) {
          found.add(id);
          next.push(id);
        }
    }
    level = next;
  }
  return { found, active };
}

/**
 * PostgreSQL's order, for the orders no index serves: NULLs last ascending, first descending; text
 * by code point (Odoo's C collation); booleans as COALESCE(field, FALSE), as Odoo orders them; a
 * many2one by its record's place in the comodel's order (`ranks`: m2oRanks), as Odoo joins it.
 * `keys` ends with the id (totalOrder), so no two records tie.
 */
function compareBy(
  keys: readonly OrderKey[],
  ranks: ReadonlyMap<string, ReadonlyMap<number, number>> = new Map(),
): (a: StoredRecord, b: StoredRecord) => number {
  const valueOf = (record: StoredRecord, field: FieldDef): StoredValue | undefined => {
    if (field.name === 'id') return record.id;
    if (field.type === 'boolean') return record.values[field.name] === true;
    const value = record.values[field.name];
    const rank = ranks.get(field.name);
    return rank && typeof value === 'number' ? (rank.get(value) ?? null) : value;
  };
  const rank = (value: StoredValue | undefined) => (value === null || value === undefined ? 1 : 0);
  return (a, b) => {
    for (const { field, descending } of keys) {
      const x = valueOf(a, field);
      const y = valueOf(b, field);
      let result = rank(x) - rank(y);
      if (result === 0 && x !== y) {
        if (typeof x === 'string' && typeof y === 'string') result = compareCodePoints(x, y);
        else result = (x as number) < (y as number) ? -1 : 1;
      }
      if (descending) result = -result;
      if (result !== 0) return result;
    }
    return 0;
  };
}

/**
 * For each many2one of `keys`, the place of each record it names among them in its comodel's order
 * (the comodel's _order, else its id; a many2one in that order by its id): Odoo orders a many2one
 * by joining its comodel and ordering by the comodel's _order. A record no longer there has none
 * (NULL). Reads only the records the matches name, consistently.
 */
async function m2oRanks(
  deps: SearchDeps,
  keys: readonly OrderKey[],
  records: readonly StoredRecord[],
): Promise<Map<string, Map<number, number>>> {
  const ranks = new Map<string, Map<number, number>>();
  for (const { field } of keys) {
    const comodel = field.type === 'many2one' && field.relation ? deps.registry.get(field.relation) : undefined;
    if (!comodel || ranks.has(field.name)) continue;
    const ids = new Set<number>();
    for (const record of records) {
      const value = record.values[field.name];
      if (typeof value === 'number') ids.add(value);
    }
    const found = await deps.store.getMany(
      [...ids].map((id) => ({ model: comodel.model, id })),
      { consistent: true },
    );
    const sorted = [...found.values()].sort(compareBy(totalOrder(comodel, comodel.order ?? []).keys));
    ranks.set(field.name, new Map(sorted.map((record, rank) => [record.id, rank])));
  }
  return ranks;
}

/** The order an index walks (forward or backward): by the records' keys in it. */
function compareByOrderKey(model: ModelDef, { slot, direction }: OrderWalk) {
  const sign = direction === 'forward' ? 1 : -1;
  const keys = new WeakMap<StoredRecord, string>();
  const keyOf = (record: StoredRecord) => {
    let key = keys.get(record);
    if (key === undefined) keys.set(record, (key = walkKeyOf(model, slot, record.id, record.values) as string));
    return key;
  };
  return {
    compare: (a: StoredRecord, b: StoredRecord) => sign * compareCodePoints(keyOf(a), keyOf(b)),
    /** Above 0 when the record comes after the key in this direction. */
    compareToKey: (record: StoredRecord, key: string) => sign * compareCodePoints(keyOf(record), key),
    cursorAfter: (record: StoredRecord): Cursor => ({ afterKey: keyOf(record), backward: sign < 0, slot }),
  };
}

/**
 * The order a search answers in: the one asked, else the model's (Odoo's _order; by id when it has
 * none), made total (the id last: totalOrder); and the index that walks it, if one does.
 */
function orderOf(model: ModelDef, asked: readonly OrderKey[] | undefined) {
  const { keys, walk } = totalOrder(model, asked && asked.length > 0 ? asked : (model.order ?? []));
  const byId = keys.length === 1 && keys[0]?.descending === false;
  return { keys, byId, orderWalk: byId ? undefined : walk };
}

/** search / search_read: the matching records of one page. */
export async function searchRecords(deps: SearchDeps, request: SearchRequest): Promise<SearchResult> {
  const { model, limit } = request;
  const offset = request.offset ?? 0;
  const node = parseDomain(request.domain ?? [], model, deps.registry);
  // expression.is_false: nothing to read.
  if (node.kind === 'constant' && !node.value) return { records: [], plan: { ...NOTHING_READ, via: 'FALSE' } };
  const activeTest = request.activeTest ?? true;
  const leaveArchivedOut = skipsArchived(model, request.domain, activeTest);
  const search = { model, domain: node, activeTest, leaveArchivedOut, select: true };
  const { matches, resolvedIds } = await compile(resolverFor(deps), search);
  const { keys, byId, orderWalk } = orderOf(model, request.order);
  if (!byId && !orderWalk && request.cursor !== undefined) {
    const sorted = sortedFields(model).map(({ field }) => field.name);
    const byField = sorted.length > 0 ? `, or by one of ${sorted.join(', ')} (asc or desc)` : '';
    throw new BadRequestError(
      `'cursor' pages in id order, in ${model.model}'s default order (or its reverse)${byField} only; use offset with another order`,
    );
  }
  const cursor = cursorFor(request.cursor, orderWalk);
  const afterId = cursor && 'afterId' in cursor ? cursor.afterId : 0;
  const afterKey = cursor && 'afterKey' in cursor ? cursor.afterKey : undefined;
  const chosen = await planOf(deps.store, model, node, resolvedIds, request.explain);
  const idCursor = (last: StoredRecord): Cursor => ({ afterId: last.id });
  const keyedCursor = orderWalk && compareByOrderKey(model, orderWalk).cursorAfter;
  // A page in the model's default order (or its reverse) of a lookup of values walks it in that
  // order, as its entries are kept (lib/indexes/keys.ts), reading about what the page needs.
  const defaultOrderWalk = orderWalk?.slot === 0 ? orderWalk.direction : undefined;
  const walkedOrder = orderIndexTerms(model) ? defaultOrderWalk : byId ? 'forward' : undefined;
  if (walkedOrder && chosen?.source.kind === 'lookup' && chosen.source.lookup.values) {
    const { source, report } = chosen;
    const backward = walkedOrder === 'backward';
    const from = { after: afterKey ?? (afterId > 0 ? idKey(afterId) : undefined), backward };
    if (from.after !== undefined && !walkCanStartAfter(source.lookup, from.after))
      throw new BadRequestError(`Invalid 'cursor': ${CURSOR_HELP}`);
    const candidates = (firstStep: number) => candidatesInWalkOrder(deps.store, source.lookup, from, firstStep, report);
    const { read, ...page } = await pageInOrder(
      request,
      matches,
      (visit, firstStep) => readInOrderGiven(deps.store, model.model, candidates(firstStep), visit),
      keyedCursor ?? idCursor,
    );
    return { ...page, plan: { strategy: 'index', ...report, read } };
  }
  // The walk keys the candidates' index entries hold (keys.ts): their place in the model's order.
  const walkKeys = new Map<number, string>();
  const planned = chosen && {
    ids: await sortedCandidates(deps.store, chosen.source, chosen.report, walkKeys),
    report: chosen.report,
  };
  // A walk of the model (`through` its order index, or its own), when there is no lookup or it held too many.
  const plan = (read: number, through?: string): SearchPlan =>
    planned?.ids
      ? { strategy: 'index', ...planned.report, read }
      : {
          strategy: 'scan',
          via: `${model.model}${aside([through, planned && `${planned.report.via}: over ${MAX_CANDIDATES} candidates`, building(model, node)])}`,
          entries: planned?.report.entries ?? 0,
          ...(planned?.report.estimated === undefined ? {} : { estimated: planned.report.estimated }),
          read,
        };

  // An order an index walks (the model's, a sorted field's, or their reverse) and no lookup to
  // narrow the domain: a walk of that index from where the last page stopped, reading about what
  // the page needs, as in id order. A sorted field's walk that finds too few matches gives up for
  // the sort below (its reads counted).
  let gaveUp: { read: number; note: string } | undefined;
  if (orderWalk && keyedCursor && !planned?.ids && (await deps.store.indexesReady())) {
    const from = { afterKey, backward: orderWalk.direction === 'backward' };
    const sorted = orderWalk.slot > 0 ? sortedFields(model)[orderWalk.slot - 1] : undefined;
    try {
      const { read, ...page } = await pageInOrder(
        request,
        matches,
        (visit, firstStep) =>
          sorted
            ? walkSorted(deps.store, model, orderWalk.slot, from, visit, firstStep)
            : walkInOrder(deps.store, model.model, from, visit, firstStep),
        keyedCursor,
      );
      return { ...page, plan: plan(read, sorted ? `${sorted.field.name} sorted index` : 'order index') };
    } catch (error) {
      if (!(error instanceof SortedWalkGaveUp) || !sorted) throw error;
      gaveUp = { read: error.read, note: `${sorted.field.name} sorted index: over ${MAX_SORTED_WALK} passed` };
    }
  }

  // The model's order (or its reverse) over candidates whose entries all gave their walk keys (a
  // range, a prefix, an intersection or union of lookups): put in order before any record is read,
  // so a page reads about its own records, not every candidate's.
  if (orderWalk?.slot === 0 && keyedCursor && planned?.ids && planned.ids.every((id) => walkKeys.has(id))) {
    const sign = orderWalk.direction === 'backward' ? -1 : 1;
    const keyOf = (id: number) => walkKeys.get(id) as string;
    const ordered = planned.ids
      .filter((id) => afterKey === undefined || sign * compareCodePoints(keyOf(id), afterKey) > 0)
      .sort((a, b) => sign * compareCodePoints(keyOf(a), keyOf(b)));
    const { read, ...page } = await pageInOrder(
      request,
      matches,
      (visit, firstStep) => readListed(deps.store, model.model, ordered, visit, firstStep),
      keyedCursor,
    );
    return { ...page, plan: plan(read) };
  }

  if (!byId) {
    // Every match, sorted here: by the order index's keys when it serves the order (the sequence
    // of its walk, so a cursor from either goes on in the other), else field by field.
    const byKey = orderWalk && compareByOrderKey(model, orderWalk);
    const pastCursor = (record: StoredRecord) =>
      !byKey || afterKey === undefined || byKey.compareToKey(record, afterKey) > 0;
    const all: StoredRecord[] = [];
    const keep = (record: StoredRecord) => {
      if (!matches(record) || !pastCursor(record)) return true;
      all.push(record);
      if (all.length > MAX_SORTED_MATCHES) {
        throw new BadRequestError(
          `More than ${MAX_SORTED_MATCHES} records match: narrow the domain to order by another field than id, or page in id order`,
        );
      }
      return true;
    };
    let read = gaveUp?.read ?? 0;
    if (planned?.ids) read = await readCandidates(deps.store, model.model, planned.ids, 0, keep);
    else {
      await deps.store.scanModel(model.model, (records) => {
        read += records.length;
        for (const record of records) keep(record);
      });
    }
    const sorted = all.sort(byKey ? byKey.compare : compareBy(keys, await m2oRanks(deps, keys, all)));
    const records = sorted.slice(offset, offset + limit);
    const last = records.at(-1);
    const next = byKey && last && sorted.length > offset + limit ? byKey.cursorAfter(last) : undefined;
    return { records, ...(next ? { nextCursor: encodeCursor(next) } : {}), plan: plan(read, gaveUp?.note) };
  }

  const { read, ...page } = await pageInOrder(
    request,
    matches,
    (visit, firstStep) =>
      planned?.ids
        ? readCandidates(deps.store, model.model, planned.ids, afterId, visit, firstStep)
        : walk(deps.store, model.model, afterId, visit, firstStep),
    idCursor,
  );
  return { ...page, plan: plan(read) };
}

/** Notes in parentheses after a name: ' (a; b)', or nothing when there are none. */
/**
 * The custom indexes (lib/indexes/custom.ts) still being built on the fields `node` names of
 * `model`, for a walk's plan to say why it walks ("x_code index building").
 */
function building(model: ModelDef, node: DomainNode): string | undefined {
  const names = new Set<string>();
  const visit = (n: DomainNode): void => {
    if (n.kind === 'and' || n.kind === 'or') n.children.forEach(visit);
    else if (n.kind === 'not') visit(n.child);
    else if ((n.kind === 'leaf' || n.kind === 'any') && n.model === model && n.field.indexBuilding === true)
      names.add(n.field.name);
  };
  visit(node);
  return names.size > 0 ? `${[...names].join(', ')} index building` : undefined;
}

function aside(notes: readonly (string | undefined)[]): string {
  const present = notes.filter((note) => note !== undefined);
  return present.length > 0 ? ` (${present.join('; ')})` : '';
}

/**
 * The records of `model` in its order index's order (or backward), after `afterKey`, handed to
 * `visit` until it returns false.
 */
async function walkInOrder(
  store: RecordStore,
  model: string,
  { afterKey, backward }: { afterKey: string | undefined; backward: boolean },
  visit: (record: StoredRecord) => boolean,
  firstPage = WALK_PAGE,
): Promise<void> {
  let after = afterKey;
  for (const size of walkSteps(firstPage)) {
    const page = await store.listInOrder(model, { afterKey: after, limit: size, backward });
    for (const { record } of page) if (!visit(record)) return;
    if (page.length < size) return;
    after = (page.at(-1) as { key: string }).key;
  }
}

/**
 * The records of `model` in the order of its sorted `slot` (or backward), after `afterKey`, handed
 * to `visit` until it returns false: the index's keys a step at a time, then those records, read
 * consistently. A record whose key is no longer the entry's (the index has not caught up with a
 * write yet) is passed over there: it belongs where its key is now. Returns how many records were read;
 * throws SortedWalkGaveUp once it has read MAX_SORTED_WALK more than `firstPage` without being stopped.
 */
async function walkSorted(
  store: RecordStore,
  model: ModelDef,
  slot: number,
  { afterKey, backward }: { afterKey: string | undefined; backward: boolean },
  visit: (record: StoredRecord) => boolean,
  firstPage = WALK_PAGE,
): Promise<number> {
  let read = 0;
  let after = afterKey;
  for (const size of walkSteps(firstPage)) {
    const page = await store.listSorted(model.model, slot, { afterKey: after, limit: size, backward });
    const found = await store.getMany(
      page.map(({ id }) => ({ model: model.model, id })),
      { consistent: true },
    );
    read += found.size;
    for (const { id, key } of page) {
      const record = found.get(recordKeyString({ model: model.model, id }));
      if (record && walkKeyOf(model, slot, id, record.values) === key && !visit(record)) return read;
    }
    if (page.length < size) return read;
    if (read > firstPage + MAX_SORTED_WALK) throw new SortedWalkGaveUp(read);
    after = (page.at(-1) as { key: string }).key;
  }
  return read; // not reached: the steps never end, a short one returns above
}

/**
 * One page in the order `source` hands the records over in: the matching records `offset` in, at
 * most `limit` of them, and where the next page starts (`cursorOf` its last record), from `source`
 * handing over the records to a visitor until it says stop; `firstStep` is what the source should
 * read first (the page, and one to know there is more). Returns how many records the source read too.
 */
async function pageInOrder(
  request: SearchRequest,
  matches: (record: StoredRecord) => boolean,
  source: (visit: (record: StoredRecord) => boolean, firstStep: number) => Promise<number | void>,
  cursorOf: (last: StoredRecord) => Cursor,
): Promise<{ records: StoredRecord[]; nextCursor?: string; read: number }> {
  const { limit } = request;
  const offset = request.offset ?? 0;
  const records: StoredRecord[] = [];
  let skipped = 0;
  let more = false;
  let visited = 0;
  const fetched = await source(
    (record) => {
      visited++;
      if (!matches(record)) return true;
      if (skipped < offset) {
        skipped++;
        return true;
      }
      if (records.length === limit) {
        more = true;
        return false;
      }
      records.push(record);
      return true;
    },
    offset + limit + 1,
  );
  // What the source read, when it says (a lookup's chunks), else what it handed over (a walk's pages).
  const read = typeof fetched === 'number' ? fetched : visited;
  const last = records.at(-1);
  return more && last ? { records, nextCursor: encodeCursor(cursorOf(last)), read } : { records, read };
}

/** search_count: how many records match (0 included). */
export async function countRecords(
  deps: SearchDeps,
  request: Pick<SearchRequest, 'model' | 'domain' | 'activeTest'>,
): Promise<number> {
  return (await countWithPlan(deps, request)).count;
}

/** search_count, and how the records were counted. */
export async function countWithPlan(
  deps: SearchDeps,
  request: Pick<SearchRequest, 'model' | 'domain' | 'activeTest' | 'explain'>,
): Promise<{ count: number; plan: SearchPlan }> {
  const { model } = request;
  const node = parseDomain(request.domain ?? [], model, deps.registry);
  const activeTest = request.activeTest ?? true;
  const leaveArchivedOut = skipsArchived(model, request.domain, activeTest);
  // Every record (the pagination total): DynamoDB counts, and nothing but the counts comes back.
  if (node.kind === 'constant' && node.value) {
    const count = await deps.store.countModel(model.model, leaveArchivedOut ? { whereTrue: 'active' } : {});
    return { count, plan: { strategy: 'count', via: model.model, entries: 0, read: 0 } };
  }
  if (node.kind === 'constant') return { count: 0, plan: { ...NOTHING_READ, via: 'FALSE' } };
  const search = { model, domain: node, activeTest, leaveArchivedOut, select: true };
  const resolver = resolverFor(deps);
  // One leaf that an index answers exactly: DynamoDB counts its entries (the active ones only
  // when archived records are left out), and nothing but the counts comes back.
  if (node.kind === 'leaf' && node.subpath.length === 0 && (await deps.store.indexesReady())) {
    const source = sourceOf(model, node, () => undefined);
    if (source?.kind === 'lookup' && source.lookup.exact) {
      const queries = source.lookup.queries.map((query) => ({ ...query, activeOnly: leaveArchivedOut }));
      const count = await countAll(deps.store, queries);
      return { count, plan: { strategy: 'count', via: source.label, entries: 0, read: 0 } };
    }
  }
  const { matches, resolvedIds } = await compile(resolver, search);
  const planned = await plannedCandidates(deps.store, model, node, resolvedIds, request.explain);
  let count = 0;
  let read = 0;
  const tally = (record: StoredRecord) => {
    read++;
    if (matches(record)) count++;
    return true;
  };
  if (planned?.ids) {
    await readCandidates(deps.store, model.model, planned.ids, 0, tally);
    return { count, plan: { strategy: 'index', ...planned.report, read } };
  }
  await deps.store.scanModel(model.model, (records) => records.forEach(tally));
  const via = `${model.model}${aside([building(model, node)])}`;
  return { count, plan: { strategy: 'scan', via, entries: planned?.report.entries ?? 0, read } };
}

/**
 * The models besides `model` whose records searching `domain` on it reads (dotted paths and 'any'
 * terms, name searches, child_of/parent_of hierarchies): each needs the read right, checked by the caller
 * before the search. The domain is validated as the search does (the same 400s and 403s).
 */
export function domainModels(registry: ModelRegistry, model: ModelDef, domain: PyValue | undefined): ModelDef[] {
  return walkedModels(parseDomain(domain ?? [], model, registry), registry);
}
