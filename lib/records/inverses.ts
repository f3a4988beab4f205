/**
 * One2many lists kept exact. In Odoo a one2many is its comodel's many2one read upside down
 * (res.partner.child_ids is every partner whose parent_id is this one). Here the list is stored on
 * the parent, where a read finds it in the parent's own item, and every transaction that changes
 * either side changes the other in the same all-or-nothing write, so the two always agree:
 * - a child's many2one set, moved or cleared (a write, a create, an ondelete's set null) or the
 *   child deleted: the old parent's list drops it and the new parent's list gains it;
 * - a parent's one2many commands ((4, id), (3, id), (5,), (6, 0, ids); (0, 0, vals) already
 *   create the child pointing at it): the children's many2one is written, and their old parents'
 *   lists drop them, as Odoo's One2many.write_real does.
 *
 * It completes a transaction already built from what the request named: the records it needs
 * besides (old parents, linked children) are read consistently, at most two round trips (children,
 * then their parents), none when no one2many or inverse many2one changes. A parent whose list gains
 * a child replaces that child's 'check' by an update that makes the same demand (it exists, no
 * delete's mark holds it). What it adds counts against the transaction's 100 actions as the rest.
 */
import { InvalidValueError, TransactionCancelledError } from '../errors';
import type { FieldDef, ModelRegistry } from '../models/registry';
import {
  recordKeyString,
  updateAction,
  type RecordKey,
  type RecordStore,
  type StoredRecord,
  type StoredValue,
  type WriteAction,
} from './port';
import { completedStates, type WriteTransaction } from './transaction';

/** A one2many and the many2one it is the inverse of. */
export interface InverseLink {
  /** The model that holds the list (the parent's). */
  readonly parentModel: string;
  readonly list: FieldDef;
  /** The comodel, whose records point at their parent. */
  readonly childModel: string;
  readonly ref: FieldDef;
}

const linksByRegistry = new WeakMap<ModelRegistry, readonly InverseLink[]>();

/** Every one2many of the registry with its inverse many2one (the registry checked they match). */
export function inverseLinks(registry: ModelRegistry): readonly InverseLink[] {
  let links = linksByRegistry.get(registry);
  if (!links) {
    links = registry.models.flatMap((model) =>
      model.fields.flatMap((list) => {
        const ref =
          list.relation && list.relationField
            ? registry.get(list.relation)?.fieldsByName.get(list.relationField)
            : undefined;
        return list.type === 'one2many' && ref?.type === 'many2one'
          ? [{ parentModel: model.model, list, childModel: list.relation as string, ref }]
          : [];
      }),
    );
    linksByRegistry.set(registry, links);
  }
  return links;
}

/** The link whose many2one is `model`.`field`, if that many2one is a one2many's inverse. */
export function linkOfReference(registry: ModelRegistry, model: string, field: string): InverseLink | undefined {
  return inverseLinks(registry).find((link) => link.childModel === model && link.ref.name === field);
}

type Values = Record<string, StoredValue>;

/** A record the transaction touches, or will once completed. */
interface Touched {
  readonly key: RecordKey;
  /** Its action in the transaction ('read': none yet, read by the completion). */
  readonly kind: 'create' | 'update' | 'delete' | 'check' | 'read';
  /** Its action's place in the transaction, if it has one. */
  readonly index?: number;
  /** As read by the completion (a record the transaction only checked, or did not touch). */
  readonly read?: StoredRecord;
  /** Its values as read (undefined for one the transaction creates, or checks and is not read yet). */
  readonly before?: Readonly<Values>;
  /** What it will hold once committed; null if the transaction deletes it, undefined if not known yet. */
  after: Values | null | undefined;
  /** The fields this completion changed on it. */
  readonly changed: Set<string>;
  /** Those of them that are one2many lists. */
  readonly changedLists: Set<string>;
  /** Whether it gains a reference (a child, a parent): it must exist and be no delete's to take. */
  referenced: boolean;
}

/** A stored x2many value's ids (none for anything else). */
export const idsOf = (value: StoredValue | undefined): number[] => (Array.isArray(value) ? value : []);
/** Whether what the record will hold is known (its own action says, or it was read). */
const known = (record: Touched | undefined): record is Touched & { after: Values | null } =>
  record !== undefined && record.after !== undefined;
/** The ids of `ids` that `other` does not hold, in order: linear, for lists of thousands of children. */
function without(ids: readonly number[], other: readonly number[]): number[] {
  if (ids === other || ids.length === 0) return [];
  const held = new Set(other);
  return ids.filter((id) => !held.has(id));
}
const refOf = (values: Readonly<Values> | null | undefined, field: FieldDef): number | null => {
  const value = values?.[field.name];
  return typeof value === 'number' ? value : null;
};

/**
 * `transaction` with the other side of its one2many and inverse many2one changes added (see the
 * module comment), and its new and linked states as they will then be. `now` (epoch ms) is the
 * time a delete's mark must have lapsed by, as for the checks.
 */
export async function keepInversesInStep(
  store: RecordStore,
  registry: ModelRegistry,
  transaction: WriteTransaction,
  now: number,
): Promise<WriteTransaction> {
  const links = inverseLinks(registry);
  if (links.length === 0) return transaction;
  const touched = touchedBy(transaction.actions);
  const read = async (keys: readonly RecordKey[]) => {
    const unique = new Map(keys.map((key) => [recordKeyString(key), key]));
    for (const keyString of unique.keys()) if (known(touched.get(keyString))) unique.delete(keyString);
    if (unique.size === 0) return;
    const found = await store.getMany([...unique.values()], { consistent: true });
    for (const record of found.values()) {
      const keyString = recordKeyString(record);
      const checked = touched.get(keyString);
      touched.set(keyString, {
        key: { model: record.model, id: record.id },
        kind: checked?.kind ?? 'read',
        ...(checked?.index === undefined ? {} : { index: checked.index }),
        read: record,
        before: record.values,
        after: { ...record.values },
        changed: new Set(),
        changedLists: new Set(),
        referenced: false,
      });
    }
  };

  // 1. A parent's own list commands write its children's many2one (the last parent named wins).
  const wanted = childrenNamedByLists(links, touched);
  if (wanted.size === 0 && !refChanges(links, touched)) return transaction;
  await read([...wanted.values()].map(({ key }) => key));
  for (const [keyString, { key, link, parentId }] of wanted) {
    const child = touched.get(keyString);
    // Missing: the check the list's reference made stays, and refuses the write (403).
    if (!known(child) || child.after === null) continue;
    const own =
      (child.kind === 'update' || child.kind === 'create') &&
      refOf(child.before, link.ref) !== refOf(child.after, link.ref);
    if (own && refOf(child.after, link.ref) !== parentId)
      throw new InvalidValueError(
        `${key.model}(${key.id}) gets '${link.ref.name}' from this request and from '${link.list.name}' of ` +
          `${link.parentModel}: give it one or the other`,
      );
    if (parentId === null) refuseOrphan(link, key);
    if (refOf(child.after, link.ref) === parentId) continue;
    child.after[link.ref.name] = parentId;
    child.changed.add(link.ref.name);
    if (parentId !== null) child.referenced = true;
  }

  // 2. Every many2one that moved: its old parent's list drops the child, its new parent's gains it.
  const moves = parentMoves(links, touched);
  await read([...moves.values()].map(({ key }) => key));
  for (const move of moves.values()) {
    const parent = touched.get(recordKeyString(move.key));
    if (!known(parent)) {
      if (move.add.length === 0) continue;
      throw new InvalidValueError(
        `Invalid value for field '${move.link.ref.name}' (many2one) on model '${move.link.childModel}': ` +
          `${move.key.model}(${move.key.id}) does not exist`,
      );
    }
    if (parent.after === null) continue;
    const name = move.link.list.name;
    const kept = idsOf(parent.after[name]).filter((id) => !move.remove.has(id));
    const list = [...kept, ...without([...new Set(move.add)], kept)];
    setList(parent, name, list);
    if (move.add.length > 0) parent.referenced = true;
  }

  // 3. A list keeps no child that this transaction deletes or gives to another parent.
  for (const parent of touched.values()) {
    if (!known(parent) || parent.after === null) continue;
    for (const link of links) {
      if (link.parentModel !== parent.key.model) continue;
      const list = idsOf(parent.after[link.list.name]);
      const kept = list.filter((id) => {
        const child = touched.get(recordKeyString({ model: link.childModel, id }));
        return (
          !known(child) ||
          (child.after !== null && (child.kind === 'create' || refOf(child.after, link.ref) === parent.key.id))
        );
      });
      if (kept.length !== list.length) setList(parent, link.list.name, kept);
    }
  }
  return rebuilt(transaction, touched, now);
}

/** The records the actions touch, by key: each with its values before and after. */
function touchedBy(actions: readonly WriteAction[]): Map<string, Touched> {
  const touched = new Map<string, Touched>();
  actions.forEach((action, index) => {
    const base = { index, changed: new Set<string>(), changedLists: new Set<string>(), referenced: false };
    const keyString = 'key' in action ? recordKeyString(action.key) : '';
    if (action.kind === 'create')
      touched.set(keyString, { ...base, kind: 'create', key: action.key, after: { ...action.record.values } });
    else if (action.kind === 'update' || action.kind === 'delete') {
      if (!action.before) throw new Error(`an ${action.kind} of ${keyString} without its values as read`);
      const after = action.kind === 'update' ? { ...action.after } : null;
      touched.set(keyString, { ...base, kind: action.kind, key: action.key, before: action.before, after });
    } else if (action.kind === 'check')
      touched.set(keyString, { ...base, kind: 'check', key: action.key, after: undefined });
  });
  return touched;
}

/** Per child that a list's commands added or removed, the parent it should now point at (null: none). */
function childrenNamedByLists(links: readonly InverseLink[], touched: ReadonlyMap<string, Touched>) {
  const wanted = new Map<string, { key: RecordKey; link: InverseLink; parentId: number | null }>();
  for (const record of touched.values()) {
    if (record.kind !== 'update' && record.kind !== 'create') continue;
    if (!record.after) continue;
    for (const link of links) {
      if (link.parentModel !== record.key.model) continue;
      const before = idsOf(record.before?.[link.list.name]);
      const after = idsOf(record.after[link.list.name]);
      for (const id of without(before, after)) {
        const key = { model: link.childModel, id };
        // A child the transaction deletes ((2, id)) or that another list claims keeps that.
        if (touched.get(recordKeyString(key))?.after === null || wanted.get(recordKeyString(key))?.parentId) continue;
        wanted.set(recordKeyString(key), { key, link, parentId: null });
      }
      for (const id of without(after, before)) {
        const key = { model: link.childModel, id };
        const child = touched.get(recordKeyString(key));
        // A child it creates ((0, 0, vals)) points at it already.
        if (child?.kind === 'create' && refOf(child.after, link.ref) === record.key.id) continue;
        wanted.set(recordKeyString(key), { key, link, parentId: record.key.id });
      }
    }
  }
  return wanted;
}

/** Whether any touched record's inverse many2one changes (or a record holding one is created or deleted). */
function refChanges(links: readonly InverseLink[], touched: ReadonlyMap<string, Touched>): boolean {
  return [...touched.values()].some(
    (record) =>
      record.kind !== 'check' &&
      links.some(
        (link) =>
          link.childModel === record.key.model && refOf(record.before, link.ref) !== refOf(record.after, link.ref),
      ),
  );
}

/** Per parent whose list changes: the children it gains and those it loses. */
function parentMoves(links: readonly InverseLink[], touched: ReadonlyMap<string, Touched>) {
  const moves = new Map<string, { key: RecordKey; link: InverseLink; add: number[]; remove: Set<number> }>();
  const move = (link: InverseLink, parentId: number) => {
    const key = { model: link.parentModel, id: parentId };
    const keyString = `${recordKeyString(key)}#${link.list.name}`;
    let entry = moves.get(keyString);
    if (!entry) moves.set(keyString, (entry = { key, link, add: [], remove: new Set() }));
    return entry;
  };
  for (const record of touched.values()) {
    if (!known(record)) continue;
    for (const link of links) {
      if (link.childModel !== record.key.model) continue;
      const before = refOf(record.before, link.ref);
      const after = refOf(record.after, link.ref);
      if (before === after) continue;
      if (before !== null) move(link, before).remove.add(record.key.id);
      if (after !== null) move(link, after).add.push(record.key.id);
    }
  }
  return moves;
}

function setList(record: Touched, name: string, ids: number[]): void {
  const current = idsOf(record.after?.[name]);
  if (current.length === ids.length && current.every((id, i) => id === ids[i])) return;
  (record.after as Values)[name] = ids;
  record.changed.add(name);
  record.changedLists.add(name);
}

/** A child taken off a list must be able to point nowhere: Odoo deletes it (cascade) or refuses (required). */
function refuseOrphan(link: InverseLink, key: RecordKey): void {
  if (link.ref.ondelete === 'cascade')
    throw new InvalidValueError(
      `Taking ${key.model}(${key.id}) off '${link.list.name}' deletes it in Odoo (its '${link.ref.name}' ` +
        `is ondelete cascade): delete it with (2, ${key.id}) instead`,
    );
  if (link.ref.required)
    throw new InvalidValueError(
      `Field '${link.ref.name}' (${link.ref.string}) on model '${link.childModel}' is required: ` +
        `${key.model}(${key.id}) cannot be taken off '${link.list.name}'`,
    );
}

/**
 * A record the request does not write whose lists only gain ids (a new parent): an append, at
 * whatever version it is, so many writers adding children to one parent at once do not refuse
 * each other (an update at the version read would send all but one back to read again).
 */
function appendOnly(record: Touched, now: number): WriteAction | undefined {
  const lists: Record<string, number[]> = {};
  if (record.changed.size !== record.changedLists.size) return undefined;
  for (const name of record.changed) {
    const before = idsOf(record.before?.[name]);
    const after = idsOf(record.after?.[name]);
    if (without(before, after).length > 0) return undefined;
    lists[name] = without(after, before);
  }
  return { kind: 'append', key: record.key, lists, now };
}

/** The transaction with the completion's changes: merged into the records' actions, or new updates. */
function rebuilt(transaction: WriteTransaction, touched: ReadonlyMap<string, Touched>, now: number): WriteTransaction {
  const actions = [...transaction.actions];
  const states = new Map<string, Values>();
  for (const [keyString, record] of touched) {
    if (record.changed.size === 0 || !record.after) continue;
    states.set(keyString, record.after);
    const set = Object.fromEntries([...record.changed].map((name) => [name, (record.after as Values)[name] ?? null]));
    const action = record.index === undefined ? undefined : actions[record.index];
    const demand = record.referenced || record.kind === 'check' ? { unmarkedAt: now } : {};
    if (action?.kind === 'create') {
      actions[record.index as number] = { ...action, record: { ...action.record, values: { ...record.after } } };
    } else if (action?.kind === 'update') {
      actions[record.index as number] = {
        ...action,
        ...demand,
        set: { ...action.set, ...set },
        after: { ...record.after },
      };
    } else if (record.read) {
      const write = appendOnly(record, now) ?? { ...updateAction(record.read, set), ...demand };
      if (record.index === undefined) actions.push(write);
      else actions[record.index] = write;
    }
  }
  // What was read consistently for this completion, for the next one (complete-names.ts) to reuse.
  const reads = [...touched.values()].flatMap((record) => (record.read ? [record.read] : []));
  const completionReads = new Map([
    ...(transaction.completionReads ?? []),
    ...reads.map((r) => [recordKeyString(r), r] as const),
  ]);
  if (states.size === 0) return reads.length > 0 ? { ...transaction, completionReads } : transaction;
  return {
    ...transaction,
    actions,
    ...completedStates(transaction, states),
    ...(reads.length > 0 ? { completionReads } : {}),
  };
}

/** `current` made to hold exactly `children`: those it has keep their places, the others follow in id order. */
export function listOf(current: readonly number[], children: readonly number[]): number[] {
  const wanted = new Set(children);
  const held = new Set<number>();
  const kept = current.filter((id) => wanted.has(id) && !held.has(id) && Boolean(held.add(id)));
  return [...kept, ...[...wanted].filter((id) => !held.has(id)).sort((a, b) => a - b)];
}

const sameList = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((id, i) => id === b[i]);

/**
 * `records` (a whole data set: the demo data, a bulk load) with every one2many list holding exactly
 * the records among them whose inverse many2one points at its record, whatever the lists said.
 */
export function withInverseLists(registry: ModelRegistry, records: readonly StoredRecord[]): StoredRecord[] {
  const children = new Map<string, number[]>();
  for (const link of inverseLinks(registry))
    for (const record of records) {
      const parentId = record.model === link.childModel ? refOf(record.values, link.ref) : null;
      if (parentId === null) continue;
      const key = `${recordKeyString({ model: link.parentModel, id: parentId })}#${link.list.name}`;
      const list = children.get(key);
      if (list) list.push(record.id);
      else children.set(key, [record.id]);
    }
  return records.map((record) => {
    let values: Values | undefined;
    for (const link of inverseLinks(registry)) {
      if (link.parentModel !== record.model) continue;
      const current = idsOf(record.values[link.list.name]);
      const list = listOf(current, children.get(`${recordKeyString(record)}#${link.list.name}`) ?? []);
      if (sameList(current, list)) continue;
      values ??= Object.assign(Object.create(null) as Values, record.values);
      values[link.list.name] = list;
    }
    return values ? { ...record, values } : record;
  });
}

/**
 * Rebuilds every one2many list of the table from the many2ones it is the inverse of (the migration
 * of a table written before lists were kept: `npm run reindex` runs it). Idempotent: a list that
 * already agrees is not written. Each drifted parent is settled on consistent reads of its list's
 * ids and the children the scan found, written at the version read; a write to it meanwhile (which
 * keeps its list itself) makes it read and settle again.
 */
export async function relinkLists(
  store: RecordStore,
  registry: ModelRegistry,
  onProgress: (done: { checked: number; written: number }) => void = () => undefined,
): Promise<{ checked: number; written: number }> {
  let checked = 0;
  let written = 0;
  for (const link of inverseLinks(registry)) {
    const children = new Map<number, number[]>();
    await store.scanModel(link.childModel, (page) => {
      for (const record of page) {
        const parentId = refOf(record.values, link.ref);
        if (parentId === null) continue;
        const list = children.get(parentId);
        if (list) list.push(record.id);
        else children.set(parentId, [record.id]);
      }
    });
    const drifted: StoredRecord[] = [];
    await store.scanModel(link.parentModel, (page) => {
      for (const record of page) {
        const current = idsOf(record.values[link.list.name]);
        if (!sameList(current, listOf(current, children.get(record.id) ?? []))) drifted.push(record);
      }
      checked += page.length;
      onProgress({ checked, written });
    });
    for (let start = 0; start < drifted.length; start += 25) {
      const settled = await Promise.all(
        drifted
          .slice(start, start + 25)
          .map((record) => settleList(store, link, record.id, children.get(record.id) ?? [])),
      );
      written += settled.filter(Boolean).length;
      onProgress({ checked, written });
    }
  }
  return { checked, written };
}

/** One parent's list set from consistent reads of its candidates; true if it was written. */
async function settleList(store: RecordStore, link: InverseLink, parentId: number, scanned: readonly number[]) {
  const key = { model: link.parentModel, id: parentId };
  for (let attempt = 1; ; attempt++) {
    const parent = (await store.getMany([key], { consistent: true })).get(recordKeyString(key));
    if (!parent) return false;
    const current = idsOf(parent.values[link.list.name]);
    const candidates = [...new Set([...current, ...scanned])].map((id) => ({ model: link.childModel, id }));
    const read = candidates.length > 0 ? await store.getMany(candidates, { consistent: true }) : new Map();
    const children = [...read.values()].filter((child) => refOf(child.values, link.ref) === parentId).map((c) => c.id);
    const list = listOf(current, children);
    if (sameList(current, list)) return false;
    try {
      await store.transact([updateAction(parent, { [link.list.name]: list })]);
      return true;
    } catch (error) {
      if (!(error instanceof TransactionCancelledError) || attempt === 5) throw error;
    }
  }
}
