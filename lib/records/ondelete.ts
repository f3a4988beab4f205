/**
 * The ondelete rules of Odoo's unlink(), as PostgreSQL's foreign keys apply them: `set null`
 * clears the reference, `cascade` deletes the referencing record too (and so on down), `restrict`
 * refuses the whole delete (403). many2many and one2many id lists drop the deleted ids.
 *
 * Finding the references: for a one2many's inverse many2one (a partner's children), the deleted
 * record's own list, which is exact (inverses.ts); for another indexed many2one, through its index
 * (lib/indexes/plan.ts referencingIds); the records then read consistently. Else by reading every
 * record of the model that has the field (its index shards in parallel): that cost grows with its size.
 *
 * A scan finds the references that exist when it runs, not those a write adds while the delete
 * goes on. So a delete first marks the records it deletes (DeletionMarks: one transaction per
 * cascade level, before that level's scan), and a write's check of a referenced record refuses a
 * marked one: a write that links to a record commits either before the mark (the scan finds its
 * reference and the rule applies to it) or not at all while the mark holds. The mark moves the
 * record's version on, so a write that read the record before it and writes the record itself
 * fails too, and the delete's own commit, conditioned on the marked version, fails if anyone
 * wrote the record since. A delete that fails removes its marks; a crashed one's expire.
 */
import { randomUUID } from 'node:crypto';
import { BadRequestError, InvalidValueError, WriteConflictError } from '../errors';
import type { FieldDef, ModelDef, ModelRegistry, OnDelete } from '../models/registry';
import { referencingIds } from '../indexes/plan';
import { commitStep } from './commit';
import { idsOf, linkOfReference } from './inverses';
import type { RecordsDeps } from './deps';
import {
  MAX_TRANSACTION_ACTIONS,
  recordKeyString,
  type DeletionMark,
  type RecordKey,
  type RecordStore,
  type StoredRecord,
  type StoredValue,
  type WriteAction,
} from './port';

/**
 * How long a delete's marks hold. A delete runs within one Lambda invocation (10 s at most); a
 * crashed one keeps new references away from its records this long.
 */
export const DELETION_MARK_MS = 30_000;
/**
 * A delete commits only while its marks hold at least this much longer: time for the commit to
 * land (SDK retries included) before any writer's clock could see them lapse, clock skew included.
 */
const MARK_MARGIN_MS = 15_000;

/** One request's deletion marks: set before each level's scan, removed when it ends without deleting. */
export class DeletionMarks {
  /** The request's transaction id (commit.ts WriteTarget): a deleted record's last state names it. */
  readonly #token: string;
  /** Every record this request marked (in any attempt), by recordKeyString. */
  readonly #marked = new Map<string, RecordKey>();
  /** Per record this request's marks hold: its version under the last mark, and before the first. */
  readonly #versions = new Map<string, { readonly marked: number; readonly before: number }>();

  constructor(
    private readonly deps: RecordsDeps,
    token: string = randomUUID(),
  ) {
    this.#token = token;
  }

  #now(): number {
    return (this.deps.now?.() ?? new Date()).getTime();
  }

  /**
   * Marks `records` (as read: the mark requires their versions) in one transaction, and returns
   * them as marked (version + 1). A mark refused (a record written since, or another delete's
   * mark) ends the attempt as a conflict (commitStep).
   */
  async mark(records: readonly StoredRecord[]): Promise<StoredRecord[]> {
    if (records.length === 0) return [];
    const now = this.#now();
    const mark: DeletionMark = { until: now + DELETION_MARK_MS, token: this.#token };
    const actions = records.map((record): WriteAction => {
      const key = { model: record.model, id: record.id };
      // Noted before the commit: when its outcome is unknown, release() still tries.
      this.#marked.set(recordKeyString(key), key);
      return { kind: 'mark', key, expectedVersion: record.version, mark, now };
    });
    await commitStep(this.deps, actions);
    for (const record of records) {
      const keyString = recordKeyString(record);
      const before = this.asBeforeOwnMarks(record).version;
      this.#versions.set(keyString, { marked: record.version + 1, before });
    }
    return records.map((record) => ({ ...record, version: record.version + 1, deleting: mark }));
  }

  /**
   * A record as it was before this request's own marks (an attempt that lost its commit leaves
   * them, and each moved the version on): what the request's own conditions on the record
   * (If-Match) compare, so a retry does not take its own mark for someone else's change. A record
   * written by anyone since is as read.
   */
  asBeforeOwnMarks(record: StoredRecord): StoredRecord {
    const versions = this.#versions.get(recordKeyString(record));
    return versions?.marked === record.version && record.deleting?.token === this.#token
      ? { ...record, version: versions.before }
      : record;
  }

  /**
   * Refuses to commit the deletion of `records` once their marks might lapse before the commit
   * lands: a writer could then link to them unseen. Only a request far slower than a Lambda may run.
   */
  assertHeld(records: readonly StoredRecord[]): void {
    const now = this.#now();
    if (records.some((record) => (record.deleting?.until ?? 0) - MARK_MARGIN_MS < now)) {
      throw new WriteConflictError(
        'The delete took too long to keep its records from new references; nothing was deleted. Retry the request.',
      );
    }
  }

  /**
   * Removes this request's marks from every record but those `deleted` (gone with the commit): all
   * at once, best effort. A mark that stays (the store failing, or the request ending first)
   * expires after DELETION_MARK_MS.
   */
  async release(deleted: readonly RecordKey[] = []): Promise<void> {
    const gone = new Set(deleted.map(recordKeyString));
    const keys = [...this.#marked].filter(([keyString]) => !gone.has(keyString)).map(([, key]) => key);
    this.#marked.clear();
    this.#versions.clear();
    await Promise.all(
      keys.map((key) => this.deps.store.transact([{ kind: 'unmark', key, token: this.#token }]).catch(() => undefined)),
    );
  }
}

interface Reference {
  readonly model: ModelDef;
  readonly field: FieldDef;
}

/**
 * Every stored field of every model that points at `target`, but one2many lists: the transaction's
 * completion (inverses.ts) drops a deleted child from its parent's list, from the child's many2one.
 */
function referencesTo(registry: ModelRegistry, target: string): Reference[] {
  return registry.models.flatMap((model) =>
    model.fields
      .filter((field) => field.relation === target && !(field.type === 'one2many' && field.relationField))
      .map((field) => ({ model, field })),
  );
}

/**
 * The ids that may refer to `deleted` through `reference`: for a one2many's inverse many2one, the
 * deleted records' own lists (exact: kept in the same transactions as the many2one, and read as
 * marked), once the table is marked as migrated (`npm run reindex` rebuilds the lists); else what
 * the field's index finds (plan.ts referencingIds), or undefined (walk the model).
 */
async function referencingIdsOf(
  deps: { registry: ModelRegistry; store: RecordStore },
  reference: Reference,
  deleted: readonly StoredRecord[],
): Promise<number[] | undefined> {
  const link = linkOfReference(deps.registry, reference.model.model, reference.field.name);
  if (link && (await deps.store.indexesReady())) {
    const lists = deleted.filter((record) => record.model === link.parentModel);
    return [...new Set(lists.flatMap((record) => idsOf(record.values[link.list.name])))].sort((a, b) => a - b);
  }
  return referencingIds(deps.store, reference.model, reference.field, new Set(deleted.map((record) => record.id)));
}

/** Odoo's default for a many2one without ondelete: set null, but a required one cannot be cleared. */
function ondeleteOf(field: FieldDef): OnDelete {
  return field.ondelete ?? (field.required ? 'restrict' : 'set null');
}

function restricted(reference: Reference, record: StoredRecord): InvalidValueError {
  return new InvalidValueError(
    'The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\n' +
      `Model: ${reference.model.description} (${reference.model.model}), Field: ${reference.field.string} (${reference.field.name}), ` +
      `record ${reference.model.model}(${record.id})`,
  );
}

/** What deleting some records takes: those records and the cascaded ones, and the references to clear. */
export interface UnlinkPlan {
  readonly deleted: StoredRecord[];
  readonly updates: Array<{ readonly record: StoredRecord; readonly set: Record<string, StoredValue> }>;
}

/**
 * The records to delete and the referencing records to update, following ondelete rules to the end.
 * Each level of records to delete is marked (`marks`) before the references to it are looked for;
 * the plan's deleted records are as marked (their versions the delete's conditions).
 */
export async function planUnlink(
  deps: { registry: ModelRegistry; store: RecordStore },
  records: readonly StoredRecord[],
  marks: DeletionMarks,
): Promise<UnlinkPlan> {
  const deleted = new Map<string, StoredRecord>();
  const updates = new Map<string, { record: StoredRecord; set: Record<string, StoredValue> }>();

  /** One record that may point at a deleted one: kept, cleared, or deleted too (returned). */
  const visit = (reference: Reference, ids: ReadonlySet<number>, record: StoredRecord): StoredRecord | undefined => {
    const key = recordKeyString(record);
    if (deleted.has(key)) return undefined;
    const value = record.values[reference.field.name];
    let cascaded: StoredRecord | undefined;
    if (reference.field.type === 'many2one') {
      if (typeof value !== 'number' || !ids.has(value)) return undefined;
      const rule = ondeleteOf(reference.field);
      if (rule === 'restrict') throw restricted(reference, record);
      if (rule === 'cascade') {
        deleted.set(key, record);
        updates.delete(key);
        cascaded = record;
      } else {
        const update = updates.get(key) ?? { record, set: Object.create(null) };
        update.set[reference.field.name] = null;
        updates.set(key, update);
      }
    } else if (Array.isArray(value) && value.some((id) => ids.has(id))) {
      const update = updates.get(key) ?? { record, set: Object.create(null) };
      const current = (update.set[reference.field.name] as number[] | undefined) ?? value;
      update.set[reference.field.name] = current.filter((id) => !ids.has(id));
      updates.set(key, update);
    }
    if (deleted.size + updates.size > MAX_TRANSACTION_ACTIONS) {
      throw new BadRequestError(
        `This delete also deletes or updates more than ${MAX_TRANSACTION_ACTIONS} records through ondelete rules and links; ` +
          `one all-or-nothing delete holds at most ${MAX_TRANSACTION_ACTIONS}`,
      );
    }
    return cascaded;
  };

  // Rounds: the records deleted by cascade in one round are the targets of the next.
  const named = new Map(records.map((record) => [recordKeyString(record), record] as const));
  for (let round: StoredRecord[] = [...named.values()]; round.length > 0;) {
    // Marked first: a reference a write adds from now on is refused, one added before is scanned.
    const marked = await marks.mark(round);
    for (const record of marked) deleted.set(recordKeyString(record), record);
    const next: StoredRecord[] = [];
    const idsByModel = new Map<string, Set<number>>();
    for (const record of round)
      idsByModel.set(record.model, (idsByModel.get(record.model) ?? new Set()).add(record.id));
    for (const [target, ids] of idsByModel) {
      for (const reference of referencesTo(deps.registry, target)) {
        const onEach = (record: StoredRecord) => {
          const cascaded = visit(reference, ids, record);
          if (cascaded) next.push(cascaded);
        };
        // A one2many's inverse: the deleted records' lists; another indexed many2one: its index; the
        // records then read consistently (in id order). Else every record of the referencing model.
        const found = await referencingIdsOf(
          deps,
          reference,
          marked.filter((record) => record.model === target),
        );
        if (found) {
          const model = reference.model.model;
          const read = await deps.store.getMany(
            found.map((id) => ({ model, id })),
            { consistent: true },
          );
          for (const id of found) {
            const record = read.get(recordKeyString({ model, id }));
            if (record) onEach(record);
          }
        } else await deps.store.scanModel(reference.model.model, (page) => page.forEach(onEach));
      }
    }
    round = next;
  }
  return { deleted: [...deleted.values()], updates: [...updates.values()] };
}
