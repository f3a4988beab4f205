/**
 * Odoo's search / search_read / search_count over a RecordStore: the domain (lib/records/search/domain.ts) is
 * evaluated in memory on a model's records, walked in id order through the model's index — never a
 * table scan — page by page. Dotted paths and 'any' terms, name searches and child_of/parent_of are
 * resolved first into id sets by searching the comodels, as Odoo does with subqueries, each in the
 * context Odoo gives it (active_test handed down, False below a many2one).
 *
 * Paging: `offset`/`limit` as the original, plus an opaque continuation token (the last id of a
 * page, for the default id order) whose cost does not grow with depth. Ordering by other fields
 * sorts the matches in memory, up to MAX_SORTED_MATCHES of them.
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
import type { FieldDef, ModelDef, ModelRegistry } from '../../models/registry';
import { PyFloat, type PyValue } from '../../wire/pyvalue';
import type { RecordStore, StoredRecord, StoredValue } from '../port';

export interface SearchDeps {
  readonly registry: ModelRegistry;
  readonly store: RecordStore;
}

export interface OrderKey {
  readonly field: FieldDef;
  readonly descending: boolean;
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
}

export interface SearchResult {
  readonly records: StoredRecord[];
  /** Where the next page starts, when there may be one (id order only). */
  readonly nextCursor?: string;
}

/**
 * Records read from the index in the first step of a walk; each further step reads twice as many,
 * up to MAX_WALK_PAGE.
 */
const WALK_PAGE = 200;
const MAX_WALK_PAGE = 3_200;
/** Matches sorted in memory for an order other than id; more is a 400 asking for a narrower domain. */
export const MAX_SORTED_MATCHES = 10_000;

/** `order=name desc, id`: field names with asc/desc, validated against the model. */
export function parseOrder(model: ModelDef, text: string | undefined): OrderKey[] {
  if (text === undefined || text.trim() === '') return [];
  return text.split(',').map((part) => {
    const [name = '', direction = 'asc', ...extra] = part.trim().split(/\s+/);
    const field = model.fieldsByName.get(name);
    const dir = direction.toLowerCase();
    if (
      !field ||
      extra.length > 0 ||
      (dir !== 'asc' && dir !== 'desc') ||
      ['one2many', 'many2many', 'binary'].includes(field.type)
    ) {
      throw new BadRequestError(
        `Invalid 'order': '${part.trim()}'; expected field names of ${model.model} with asc or desc, e.g. order=name desc, id`,
      );
    }
    return { field, descending: dir === 'desc' };
  });
}

function encodeCursor(afterId: number): string {
  return Buffer.from(JSON.stringify({ a: afterId })).toString('base64url');
}

function decodeCursor(cursor: string): number {
  try {
    const { a } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { a?: unknown };
    if (typeof a === 'number' && Number.isSafeInteger(a) && a >= 0) return a;
  } catch {
    // reported below
  }
  throw new BadRequestError("Invalid 'cursor': pass back the X-Next-Cursor value of the previous page unchanged");
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
async function compile(resolver: Resolver, search: SubSearch): Promise<(record: StoredRecord) => boolean> {
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
  return (record) =>
    (!leaveArchivedOut || record.values.active === true) && evaluateRecord(domain, record, lookup) === select;
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
  for (let after = afterId, size = Math.min(firstPage, MAX_WALK_PAGE); ; size = Math.min(size * 2, MAX_WALK_PAGE)) {
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
  const matches = await compile(resolver, search);
  await resolver.deps.store.scanModel(search.model.model, (records) => {
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
  // The whole hierarchy of the comodel, archived records included, as Odoo walks it.
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

/** PostgreSQL's order: NULLs last ascending, first descending; text by code point (Odoo's C collation). */
function compareBy(keys: readonly OrderKey[]): (a: StoredRecord, b: StoredRecord) => number {
  const rank = (value: StoredValue | undefined) => (value === null || value === undefined ? 1 : 0);
  return (a, b) => {
    for (const { field, descending } of keys) {
      const x = field.name === 'id' ? a.id : a.values[field.name];
      const y = field.name === 'id' ? b.id : b.values[field.name];
      const nulls = rank(x) - rank(y);
      let result = nulls !== 0 ? nulls : x === y ? 0 : (x as string | number) < (y as string | number) ? -1 : 1;
      if (descending) result = -result;
      if (result !== 0) return result;
    }
    return a.id - b.id;
  };
}

/** search / search_read: the matching records of one page. */
export async function searchRecords(deps: SearchDeps, request: SearchRequest): Promise<SearchResult> {
  const { model, limit } = request;
  const offset = request.offset ?? 0;
  const node = parseDomain(request.domain ?? [], model, deps.registry);
  // expression.is_false: nothing to read.
  if (node.kind === 'constant' && !node.value) return { records: [] };
  const activeTest = request.activeTest ?? true;
  const leaveArchivedOut = skipsArchived(model, request.domain, activeTest);
  const matches = await compile(resolverFor(deps), { model, domain: node, activeTest, leaveArchivedOut, select: true });
  const order = request.order ?? [];
  const byId = order.length === 0 || (order.length === 1 && order[0]?.field.name === 'id' && !order[0].descending);
  if (!byId) {
    if (request.cursor !== undefined)
      throw new BadRequestError("'cursor' pages in id order only; use offset with another order");
    const all: StoredRecord[] = [];
    await deps.store.scanModel(model.model, (records) => {
      for (const record of records) if (matches(record)) all.push(record);
      if (all.length > MAX_SORTED_MATCHES) {
        throw new BadRequestError(
          `More than ${MAX_SORTED_MATCHES} records match: narrow the domain to order by another field than id, or page in id order`,
        );
      }
    });
    return { records: all.sort(compareBy(order)).slice(offset, offset + limit) };
  }
  const records: StoredRecord[] = [];
  let skipped = 0;
  let more = false;
  // Without a domain the first step is the page itself, plus one to know whether more follow.
  const firstStep = offset + limit + 1;
  await walk(
    deps.store,
    model.model,
    request.cursor === undefined ? 0 : decodeCursor(request.cursor),
    (record) => {
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
    firstStep,
  );
  const last = records.at(-1);
  return more && last ? { records, nextCursor: encodeCursor(last.id) } : { records };
}

/** search_count: how many records match (0 included). */
export async function countRecords(
  deps: SearchDeps,
  request: Pick<SearchRequest, 'model' | 'domain' | 'activeTest'>,
): Promise<number> {
  const node = parseDomain(request.domain ?? [], request.model, deps.registry);
  const activeTest = request.activeTest ?? true;
  const leaveArchivedOut = skipsArchived(request.model, request.domain, activeTest);
  // Every record (the pagination total): DynamoDB counts, and nothing but the counts comes back.
  if (node.kind === 'constant' && node.value) {
    return deps.store.countModel(request.model.model, leaveArchivedOut ? { whereTrue: 'active' } : {});
  }
  const search = { model: request.model, domain: node, activeTest, leaveArchivedOut, select: true };
  return (await matchingIds(resolverFor(deps), search)).size;
}

/**
 * The models besides `model` whose records searching `domain` on it reads (dotted paths and 'any'
 * terms, name searches, child_of/parent_of hierarchies): each needs the read right, checked by the caller
 * before the search. The domain is validated as the search does (the same 400s and 403s).
 */
export function domainModels(registry: ModelRegistry, model: ModelDef, domain: PyValue | undefined): ModelDef[] {
  return walkedModels(parseDomain(domain ?? [], model, registry), registry);
}
