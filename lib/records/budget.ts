/**
 * A request's cost, bounded (DESIGN §2): a RecordStore that counts the DynamoDB requests and the
 * items one request reads through it, and ends the request with RequestTooExpensiveError (a 400
 * naming the limit and what was spent) before it would outrun the Lambda's timeout. The object
 * router wraps the store once per request (lib/object-api/router.ts).
 *
 * What is refused: the calls that walk a model's index (listModel, listInOrder, scanModel, countModel) or read a
 * field index (queryIndex, countIndex: one query per partition of the field's entries), checked
 * before each call and on each page a scan hands over. They are the only calls whose cost the
 * request's input does not bound: a few dotted paths in a domain can walk whole models again and
 * again. Point calls (a BatchGet of at most 100 keys per request, a transaction, a claim lookup, a
 * counter update) are counted but never refused: their number is bounded by the 100-id and
 * 100-action limits, and a failed write's clean-up (its deletion marks, its reserved ids) must run.
 *
 * How requests are counted, from what the port shows (the DynamoDB adapter's shapes,
 * lib/store/dynamodb/records-table.ts): a model walk queries each of its MODEL_INDEX_SHARDS shards, so
 * listModel and countModel cost MODEL_INDEX_SHARDS each (at least: a 1 MB page or a second round costs
 * more, unseen here) and scanModel MODEL_INDEX_SHARDS plus one per page beyond one per shard (it hands
 * over every page, so that count is exact); getMany one per 100 distinct keys; putMany one per 25
 * records; every other call one. Items: the records each call returned (listModel's over-fetch per
 * shard and countModel's filtered-out records are not seen).
 */
import { RequestTooExpensiveError } from '../errors';
import { MODEL_INDEX_SHARDS, recordKeyString, type RecordStore, type StoredRecord } from './port';

const BATCH_GET_KEYS = 100;
const BATCH_WRITE_RECORDS = 25;

export interface RequestLimits {
  /** DynamoDB requests (queries, batch reads, transactions, updates) one request may make. */
  readonly requests: number;
  /** Items one request may read. */
  readonly items: number;
}

/**
 * The defaults, measured against the bench's model of 100,000 records (README, "What one request
 * may cost"): reading a whole 100,000-record model costs 32 queries and about 3 s locally
 * (search_count over a domain), and stays allowed, twice over; a third whole read would end too
 * close to the function's 10 s timeout. 1,000 requests hold the deepest legal path (16 steps,
 * 256 queries) three times over and a whole id-order walk of 100,000 records (about 560).
 * (A deployment setting could carry them; until then, constants.)
 */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = { requests: 1_000, items: 200_000 };

/** What one request has spent so far. */
export interface RequestCost {
  readonly requests: number;
  readonly items: number;
}

/** A RecordStore for one request that counts its cost and refuses model walks past `limits`. */
export interface BudgetedStore extends RecordStore {
  readonly spent: () => RequestCost;
}

export function budgeted(store: RecordStore, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): BudgetedStore {
  let requests = 0;
  let items = 0;
  const spend = (more: { requests?: number; items?: number }) => {
    requests += more.requests ?? 0;
    items += more.items ?? 0;
  };
  /** Refuses to go on once a limit is passed (or a walk's first round would pass the request limit). */
  const check = (next = 0) => {
    if (requests + next > limits.requests)
      throw new RequestTooExpensiveError({ what: 'DynamoDB requests', max: limits.requests }, { requests, items });
    if (items > limits.items)
      throw new RequestTooExpensiveError({ what: 'items read', max: limits.items }, { requests, items });
  };
  return {
    spent: () => ({ requests, items }),
    async getMany(keys, options) {
      spend({ requests: Math.ceil(new Set(keys.map(recordKeyString)).size / BATCH_GET_KEYS) });
      const found = await store.getMany(keys, options);
      spend({ items: found.size });
      return found;
    },
    async transact(actions) {
      spend({ requests: 1 });
      return store.transact(actions);
    },
    async putMany(records) {
      spend({ requests: Math.ceil(records.length / BATCH_WRITE_RECORDS) });
      return store.putMany(records);
    },
    async listModel(model, options) {
      check(MODEL_INDEX_SHARDS);
      spend({ requests: MODEL_INDEX_SHARDS });
      const page: StoredRecord[] = await store.listModel(model, options);
      spend({ items: page.length });
      return page;
    },
    async reindexModel(model, options) {
      check(MODEL_INDEX_SHARDS);
      spend({ requests: MODEL_INDEX_SHARDS });
      const page = await store.reindexModel(model, options);
      spend({ requests: page.written, items: page.read });
      return page;
    },
    async listInOrder(model, options) {
      check(MODEL_INDEX_SHARDS);
      spend({ requests: MODEL_INDEX_SHARDS });
      const page = await store.listInOrder(model, options);
      spend({ items: page.length });
      return page;
    },
    async listSorted(model, slot, options) {
      check(MODEL_INDEX_SHARDS);
      spend({ requests: MODEL_INDEX_SHARDS });
      const page = await store.listSorted(model, slot, options);
      spend({ items: page.length });
      return page;
    },
    async scanModel(model, visit) {
      check(MODEL_INDEX_SHARDS);
      spend({ requests: MODEL_INDEX_SHARDS });
      let pages = 0;
      await store.scanModel(model, (records) => {
        // Each page refused once over: the adapter's other shards stop at their next page.
        if (++pages > MODEL_INDEX_SHARDS) spend({ requests: 1 });
        spend({ items: records.length });
        check();
        visit(records);
      });
    },
    async countModel(model, options) {
      check(MODEL_INDEX_SHARDS);
      spend({ requests: MODEL_INDEX_SHARDS });
      const count = await store.countModel(model, options);
      spend({ items: count });
      return count;
    },
    async queryIndex(query, options) {
      check(query.partitions.length);
      spend({ requests: query.partitions.length });
      const found = await store.queryIndex(query, options);
      spend({ items: found.entries.length });
      return found;
    },
    async queryIndexShares(query, share, options) {
      check(query.partitions.length);
      spend({ requests: query.partitions.length });
      const shares = await store.queryIndexShares(query, share, options);
      spend({ items: shares.reduce((sum, { entries }) => sum + entries.length, 0) });
      return shares;
    },
    async countIndex(query) {
      check(query.partitions.length);
      spend({ requests: query.partitions.length });
      const count = await store.countIndex(query);
      spend({ items: count });
      return count;
    },
    async indexesReady() {
      return store.indexesReady();
    },
    async getClaim(id) {
      spend({ requests: 1 });
      const claim = await store.getClaim(id);
      if (claim) spend({ items: 1 });
      return claim;
    },
    async reserveIds(model, count) {
      spend({ requests: 1 });
      return store.reserveIds(model, count);
    },
    async releaseIds(reservation) {
      spend({ requests: 1 });
      return store.releaseIds(reservation);
    },
    async raiseSequence(model, atLeast) {
      spend({ requests: 1 });
      return store.raiseSequence(model, atLeast);
    },
  };
}
