/**
 * An in-memory AuthStore for unit tests: a test double of our own port (lib/auth/credentials.ts), not a mock
 * of the AWS SDK. It follows lib/store/dynamodb/auth-table.ts (DynamoAuthStore) exactly, as far as the core can
 * tell:
 *
 * - items are keyed `KIND#id`; an attribute named `pk` is the key's, never the item's;
 * - undefined attribute values are dropped (the document client's removeUndefinedValues);
 * - every read returns a fresh copy, so the core never shares an object with the "table";
 * - getMany answers in the order of the keys (a key asked twice gets the item twice), undefined
 *   for a missing one, and refuses more than 100 keys (BatchGetItem's limit);
 * - put with ifAbsent returns false and writes nothing when the key has an item;
 * - take deletes and returns the old item atomically (no await between the read and the delete),
 *   so of two concurrent takes exactly one gets it; undefined when there was none;
 * - increment adds one to a live counter's `count` (its expiresAt after `now`) and answers the new
 *   count, atomically (no await between the read and the write), so concurrent increments each get
 *   a count of their own; a missing or expired counter is replaced by {count: 1, expiresAt};
 * - delete of a missing key is not an error;
 * - transact checks every condition, then makes every write, atomically (no await in between):
 *   false and nothing written when a condition fails; it refuses (throws) more than 100 writes or
 *   two writes of one key, as TransactWriteItems does;
 * - list(kind) returns every item of that kind with its id (the part after `KIND#`).
 *
 * `items()` exposes what is stored, so tests can check that no secret is kept in clear.
 */
import type { AuthCondition, AuthItem, AuthItemKind, AuthKey, AuthStore, AuthWrite } from '../../lib/auth/credentials';

const MAX_BATCH_GET = 100;
const MAX_TRANSACTION_WRITES = 100;

const pkOf = (key: AuthKey): string => `${key.kind}#${key.id}`;

/** A deep copy without undefined values and without the key attribute, as DynamoDB would store it. */
function stored(item: AuthItem): AuthItem {
  const copy: Record<string, AuthItem[string]> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name === 'pk' || value === undefined) continue;
    copy[name] = Array.isArray(value) ? [...(value as readonly string[])] : value;
  }
  return copy;
}

export class MemoryAuthStore implements AuthStore {
  private readonly table = new Map<string, AuthItem>();

  async get(key: AuthKey): Promise<AuthItem | undefined> {
    const item = this.table.get(pkOf(key));
    return item && stored(item);
  }

  async getMany(keys: readonly AuthKey[]): Promise<(AuthItem | undefined)[]> {
    if (keys.length > MAX_BATCH_GET) throw new Error(`getMany: at most ${MAX_BATCH_GET} keys`);
    return keys.map((key) => {
      const item = this.table.get(pkOf(key));
      return item && stored(item);
    });
  }

  async put(key: AuthKey, item: AuthItem, options: { readonly ifAbsent?: boolean } = {}): Promise<boolean> {
    const pk = pkOf(key);
    if (options.ifAbsent && this.table.has(pk)) return false;
    this.table.set(pk, stored(item));
    return true;
  }

  async take(key: AuthKey): Promise<AuthItem | undefined> {
    const pk = pkOf(key);
    const item = this.table.get(pk);
    this.table.delete(pk);
    return item;
  }

  async increment(key: AuthKey, window: { readonly now: number; readonly expiresAt: number }): Promise<number> {
    const pk = pkOf(key);
    const item = this.table.get(pk);
    if (item && typeof item.expiresAt === 'number' && item.expiresAt > window.now) {
      const count = (typeof item.count === 'number' ? item.count : 0) + 1;
      this.table.set(pk, { ...item, count });
      return count;
    }
    this.table.set(pk, { count: 1, expiresAt: window.expiresAt });
    return 1;
  }

  async delete(key: AuthKey): Promise<void> {
    this.table.delete(pkOf(key));
  }

  async transact(writes: readonly AuthWrite[]): Promise<boolean> {
    if (writes.length === 0 || writes.length > MAX_TRANSACTION_WRITES)
      throw new Error(`transact: 1 to ${MAX_TRANSACTION_WRITES} writes, not ${writes.length}`);
    if (new Set(writes.map((write) => pkOf(write.key))).size !== writes.length) throw new Error('transact: one write per key');
    const holds = (condition: AuthCondition | undefined, item: AuthItem | undefined): boolean => {
      if (!condition) return true;
      if ('absent' in condition) return item === undefined;
      return item !== undefined && Object.entries(condition.matches).every(([name, value]) => item[name] === value);
    };
    if (!writes.every((write) => write.kind === 'delete' || holds(write.condition, this.table.get(pkOf(write.key))))) return false;
    for (const write of writes) {
      if (write.kind === 'put') this.table.set(pkOf(write.key), stored(write.item));
      else this.table.delete(pkOf(write.key));
    }
    return true;
  }

  async list(kind: AuthItemKind): Promise<{ readonly id: string; readonly item: AuthItem }[]> {
    const prefix = `${kind}#`;
    return [...this.table.entries()].filter(([pk]) => pk.startsWith(prefix)).map(([pk, item]) => ({ id: pk.slice(prefix.length), item: stored(item) }));
  }

  /** Every stored item with its `KIND#id` key (copies), for assertions. */
  items(): { readonly pk: string; readonly item: AuthItem }[] {
    return [...this.table.entries()].map(([pk, item]) => ({ pk, item: stored(item) }));
  }

  /** Everything stored, keys included, as one string: to look for values that must not be there. */
  dump(): string {
    return JSON.stringify(this.items());
  }
}
