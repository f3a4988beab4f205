/**
 * res.partner's complete_name, stored as Odoo 17 stores it (compute='_compute_complete_name',
 * store=True): a contact's name after its company's ("Azure Interior, Brandon Freeman"), which is
 * res.partner's _order. It depends on the record (name, type, is_company, parent_id), its parent's
 * name and its commercial partner (the first company above it, or the top of its hierarchy), so a
 * company renamed renames every contact below it, down to the next company.
 *
 * Kept in the write that changes what it depends on: a built transaction (write, create, unlink,
 * after inverses.ts completed its lists) gets the new names of the records it writes and of the
 * contacts below them, read consistently level by level through their child lists (exact: see
 * inverses.ts), each written at the version read. When the contacts below do not fit the
 * transaction's 100 actions, the write commits without them and `settleCompleteNames` renames
 * them after it, in further transactions (commit.ts runs it before answering): until then, and
 * for good if the process stops in between, they keep their old names — `npm run reindex`
 * (relinkCompleteNames) puts every name right.
 *
 * Applies to a model with a computed `complete_name` char, a `parent_id` many2one to itself and
 * its `child_ids` list (models/res.partner.json).
 */
import { TransactionCancelledError } from '../errors';
import type { FieldDef, ModelDef, ModelRegistry } from '../models/registry';
import { pythonStrip } from '../wire/xml';
import {
  MAX_TRANSACTION_ACTIONS,
  recordKeyString,
  updateAction,
  type RecordKey,
  type RecordStore,
  type StoredRecord,
  type Holding,
  type StoredValue,
  type WriteAction,
} from './port';
import { idsOf } from './inverses';
import { completedStates, type WriteTransaction } from './transaction';

type Values = Readonly<Record<string, StoredValue>>;

const FIELD = 'complete_name';
/** Odoo 17's res.partner._complete_name_displayed_types: an unnamed address of these types is named by its type. */
const DISPLAYED_TYPES: ReadonlySet<StoredValue> = new Set(['invoice', 'delivery', 'other']);
/** What complete_name depends on in the record itself; the rest is in the records above it. */
const DEPENDS = ['name', 'type', 'is_company', 'parent_id'] as const;

/** Whether `model` keeps a complete_name (see the module comment). */
export function hasCompleteName(model: ModelDef): boolean {
  const parent = model.fieldsByName.get('parent_id');
  const children = model.fieldsByName.get('child_ids');
  return (
    model.fieldsByName.get(FIELD)?.computed === true &&
    parent?.type === 'many2one' &&
    parent.relation === model.model &&
    children?.type === 'one2many' &&
    children.relationField === 'parent_id'
  );
}

const ref = (values: Values | null | undefined, name: string): number | null => {
  const value = values?.[name];
  return typeof value === 'number' ? value : null;
};
const text = (value: StoredValue | undefined): string => (typeof value === 'string' ? value : '');

/**
 * Odoo 17's _get_complete_name: the name (an unnamed invoice, delivery or other address: its type's
 * label); below a parent and not a company, "<its commercial company's name, or its parent's>, <name>";
 * stripped as Python strips. `above` is its parent, then each record above up to the first company
 * or the top (what the record's own values point at; missing: a parent that does not exist).
 */
export function completeNameOf(model: ModelDef, values: Values, above: readonly Values[]): string {
  let name = text(values.name);
  const parent = above[0];
  if (ref(values, 'parent_id') !== null && parent) {
    if (name === '' && DISPLAYED_TYPES.has(values.type ?? null)) {
      const typeField = model.fieldsByName.get('type') as FieldDef;
      name = typeField.selection?.find(([value]) => value === values.type)?.[1] ?? '';
    }
    if (values.is_company !== true) {
      // commercial_company_name: the commercial partner's name when it is a company (a company's is never empty).
      const company = above.find((record) => record.is_company === true);
      name = `${text(company?.name) || text(parent.name)}, ${name}`;
    }
  }
  return pythonStrip(name);
}

/**
 * The records above `values` that its name needs, with their ids: parent first, up to the first
 * company or the top; `unread`: the first record above it whose state is not known yet (the chain
 * stops short there).
 */
function chainAbove(
  values: Values,
  stateOf: (id: number) => Values | null | undefined,
): { chain: { id: number; values: Values }[]; unread?: number } {
  const chain: { id: number; values: Values }[] = [];
  const seen = new Set<number>();
  for (let up = ref(values, 'parent_id'); up !== null && !seen.has(up);) {
    seen.add(up);
    const parent = stateOf(up);
    if (parent === undefined) return { chain, unread: up };
    if (parent === null) break; // missing or deleted
    chain.push({ id: up, values: parent });
    if (parent.is_company === true) break;
    up = ref(parent, 'parent_id');
  }
  return { chain };
}

/** What a record above a contact must still hold when a name computed from it commits. */
const holdingOf = (values: Values): Holding => Object.fromEntries(DEPENDS.map((name) => [name, values[name] ?? null]));

/** A record of the hierarchy as the transaction leaves it (null: deleted or missing), and its action. */
interface Named {
  values: Record<string, StoredValue> | null;
  readonly index?: number;
  readonly read?: StoredRecord;
}

/**
 * The states of `model`'s records: those given, and any other read consistently when asked for
 * (once), a level at a time.
 */
class Hierarchy {
  readonly states = new Map<number, Named>();
  constructor(
    private readonly store: RecordStore,
    readonly model: ModelDef,
  ) {}

  stateOf = (id: number): Values | null | undefined => {
    const named = this.states.get(id);
    return named === undefined ? undefined : named.values;
  };

  async read(ids: Iterable<number>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.states.has(id));
    if (missing.length === 0) return;
    const keys = missing.map((id) => ({ model: this.model.model, id }));
    const found = await this.store.getMany(keys, { consistent: true });
    for (const id of missing) {
      const record = found.get(recordKeyString({ model: this.model.model, id }));
      this.states.set(id, record ? { values: { ...record.values }, read: record } : { values: null });
    }
  }

  /** Reads up every chain above `ids` until each ends (a company, the top, a missing record). */
  async readAbove(ids: readonly number[]): Promise<void> {
    for (;;) {
      const wanted = new Set<number>();
      for (const id of ids) {
        const values = this.stateOf(id);
        const unread = values ? chainAbove(values, this.stateOf).unread : undefined;
        if (unread !== undefined) wanted.add(unread);
      }
      if (wanted.size === 0) return;
      await this.read(wanted);
    }
  }

  /**
   * The contacts below `ids` whose names follow theirs: each level's children (their lists), read,
   * down to the next companies (they and theirs keep their names). Stops, returning undefined, once
   * more than `limit` are found.
   */
  async below(ids: readonly number[], limit: number): Promise<number[] | undefined> {
    const found: number[] = [];
    const seen = new Set(ids);
    for (let level = [...ids]; level.length > 0;) {
      const children = level.flatMap((id) => idsOf(this.stateOf(id)?.child_ids)).filter((id) => !seen.has(id));
      children.forEach((id) => seen.add(id));
      await this.read(children);
      level = children.filter((id) => {
        const values = this.stateOf(id);
        return values !== null && values !== undefined && values.is_company !== true;
      });
      found.push(...level);
      if (found.length > limit) return undefined;
    }
    return found;
  }

  /** The name `id` should have, once every record above it was read. */
  nameOf(id: number): string | undefined {
    const values = this.stateOf(id);
    if (!values) return undefined;
    const { chain, unread } = chainAbove(values, this.stateOf);
    return unread === undefined
      ? completeNameOf(
          this.model,
          values,
          chain.map((record) => record.values),
        )
      : undefined;
  }

  /** The ids of the records above `id` its name is computed from. */
  idsAbove(id: number): number[] {
    const values = this.stateOf(id);
    return values ? chainAbove(values, this.stateOf).chain.map((record) => record.id) : [];
  }
}

/** Where `actions` check `key` or append to its lists (-1: they do neither). */
function demandAt(actions: readonly WriteAction[], key: RecordKey): number {
  const keyString = recordKeyString(key);
  return actions.findIndex(
    (action) => (action.kind === 'check' || action.kind === 'append') && recordKeyString(action.key) === keyString,
  );
}

/**
 * `actions` with `record` (read, not written by them) renamed at the version read. A record they only
 * checked (a reference to it), or to whose lists they append (a new parent: inverses.ts), keeps that
 * demand and those ids in its update: one action per item.
 */
function withRename(actions: readonly WriteAction[], record: StoredRecord, name: string, now: number): WriteAction[] {
  const at = demandAt(actions, record);
  const existing = actions[at];
  const set: Record<string, StoredValue> = { [FIELD]: name };
  if (existing?.kind === 'append')
    for (const [list, ids] of Object.entries(existing.lists)) set[list] = [...idsOf(record.values[list]), ...ids];
  const write: WriteAction = { ...updateAction(record, set), ...(existing ? { unmarkedAt: now } : {}) };
  return at >= 0 ? actions.map((action, i) => (i === at ? write : action)) : [...actions, write];
}

/** `actions` with `key`'s check or append (a new one if it has neither) demanding `holding` too. */
function withHolding(actions: readonly WriteAction[], key: RecordKey, holding: Holding, now: number): WriteAction[] {
  const at = demandAt(actions, key);
  if (at < 0) return [...actions, { kind: 'check', key, now, holding }];
  return actions.map((action, i) =>
    i === at && (action.kind === 'check' || action.kind === 'append') ? { ...action, holding } : action,
  );
}

/**
 * Whether the names below a record follow a change of it: its name, or whether it is a company, or,
 * for a contact, its parent (a company's contacts are named after the company whatever is above it;
 * a type names only an unnamed address itself).
 */
function namesBelowChange(before: Values | undefined, after: Values | null): boolean {
  if (!before || !after) return false;
  if (before.name !== after.name || (before.is_company === true) !== (after.is_company === true)) return true;
  return after.is_company !== true && before.parent_id !== after.parent_id;
}

/**
 * The records of `transaction` whose names it changes (created, or one of DEPENDS changed), by
 * model, and those of them whose contacts below follow.
 */
function seedsOf(registry: ModelRegistry, transaction: WriteTransaction) {
  const seeds = new Map<string, { ids: number[]; parents: Set<number> }>();
  const add = (key: RecordKey, parent: boolean) => {
    let entry = seeds.get(key.model);
    if (!entry) seeds.set(key.model, (entry = { ids: [], parents: new Set() }));
    entry.ids.push(key.id);
    if (parent) entry.parents.add(key.id);
  };
  for (const action of transaction.actions) {
    const model = 'key' in action ? registry.get(action.key.model) : undefined;
    if (!model || !hasCompleteName(model)) continue;
    // A record created has no contacts yet but those its (0, 0, vals) commands create (seeds too).
    if (action.kind === 'create') add(action.key, false);
    else if (action.kind === 'update' || action.kind === 'delete') {
      const after = action.kind === 'update' ? action.after : null;
      if (DEPENDS.some((name) => action.before?.[name] !== after?.[name]))
        add(action.key, namesBelowChange(action.before, after));
    }
  }
  return seeds;
}

/**
 * `transaction` with the complete names it changes (see the module comment), and `settle`: the
 * records whose contacts below did not fit it, renamed by settleCompleteNames once it committed.
 * `now` (epoch ms): the time a delete's mark must have lapsed by, for a record it only checked.
 */
export async function keepCompleteNamesInStep(
  store: RecordStore,
  registry: ModelRegistry,
  transaction: WriteTransaction,
  now: number,
): Promise<WriteTransaction> {
  const seeds = seedsOf(registry, transaction);
  if (seeds.size === 0) return transaction;
  const actions = [...transaction.actions];
  const changed = new Map<string, Record<string, StoredValue>>();
  const settle: RecordKey[] = [...(transaction.settle ?? [])];
  for (const [modelName, { ids, parents }] of seeds) {
    const hierarchy = new Hierarchy(store, registry.get(modelName) as ModelDef);
    // What the lists' completion read (the parents gaining children, say) as read; then what the actions leave.
    for (const record of transaction.completionReads?.values() ?? [])
      if (record.model === modelName) hierarchy.states.set(record.id, { values: { ...record.values }, read: record });
    actions.forEach((action, index) => {
      if (action.kind === 'create' && action.key.model === modelName)
        hierarchy.states.set(action.key.id, { values: { ...action.record.values }, index });
      else if ((action.kind === 'update' || action.kind === 'delete') && action.key.model === modelName)
        hierarchy.states.set(action.key.id, { values: action.kind === 'update' ? { ...action.after } : null, index });
    });
    // What the transaction may still take: a delete's transaction adds its header when it commits
    // (commit.ts), and each record above the seeds a check of what it holds (below).
    await hierarchy.readAbove(ids);
    const seedsAbove = new Set(ids.flatMap((id) => hierarchy.idsAbove(id)));
    const header = actions.some((a) => a.kind === 'delete') ? 1 : 0;
    const room = MAX_TRANSACTION_ACTIONS - actions.length - header - seedsAbove.size;
    const below = await hierarchy.below([...parents], room);
    if (below === undefined) settle.push(...[...parents].map((id) => ({ model: modelName, id })));
    const renamed = below === undefined ? ids : [...ids, ...below];
    await hierarchy.readAbove(renamed);
    // The records above that names are computed from and that the transaction does not write: it
    // commits only if they still hold what was read (a company renamed meanwhile sends it back).
    const above = new Set(renamed.flatMap((id) => hierarchy.idsAbove(id)));
    for (const id of renamed) {
      const name = hierarchy.nameOf(id);
      const named = hierarchy.states.get(id) as Named;
      if (name === undefined || !named.values || named.values[FIELD] === name) continue;
      named.values[FIELD] = name;
      const key = { model: modelName, id };
      changed.set(recordKeyString(key), named.values);
      const action = named.index === undefined ? undefined : actions[named.index];
      if (action?.kind === 'create')
        actions[named.index as number] = { ...action, record: { ...action.record, values: { ...named.values } } };
      else if (action?.kind === 'update')
        actions[named.index as number] = {
          ...action,
          set: { ...action.set, [FIELD]: name },
          after: { ...named.values },
        };
      else if (named.read) actions.splice(0, actions.length, ...withRename(actions, named.read, name, now));
    }
    for (const id of above) {
      const named = hierarchy.states.get(id);
      const key = { model: modelName, id };
      const written = actions.some(
        (a) =>
          (a.kind === 'update' || a.kind === 'create' || a.kind === 'delete') &&
          recordKeyString(a.key) === recordKeyString(key),
      );
      if (!named?.values || written) continue;
      actions.splice(0, actions.length, ...withHolding(actions, key, holdingOf(named.values), now));
    }
  }
  return {
    ...transaction,
    actions,
    ...completedStates(transaction, changed),
    ...(settle.length > 0 ? { settle } : {}),
  };
}

/** Renames tried again when a contact changes under a follow-up write, before giving up (reindex repairs). */
const SETTLE_ATTEMPTS = 5;
/** Records per follow-up transaction: its updates and the change feed's stamps, within 100 actions. */
const SETTLE_CHUNK = MAX_TRANSACTION_ACTIONS;

/**
 * After a write whose contacts below did not fit its transaction: every contact below `keys` given
 * the name it should have now, read consistently and written at the version read, by `commit` in
 * transactions of up to MAX_TRANSACTION_ACTIONS (each its own change in the feed); a contact
 * changed meanwhile is read and named again, up to SETTLE_ATTEMPTS times. Returns how many records
 * it renamed, and how many it left with an old name (`npm run reindex` names them).
 */
export async function settleCompleteNames(
  store: RecordStore,
  registry: ModelRegistry,
  keys: readonly RecordKey[],
  commit: (actions: WriteAction[]) => Promise<boolean>,
): Promise<{ renamed: number; left: number }> {
  let renamed = 0;
  let left = 0;
  const byModel = new Map<string, number[]>();
  for (const key of keys) byModel.set(key.model, [...(byModel.get(key.model) ?? []), key.id]);
  for (const [modelName, ids] of byModel) {
    const model = registry.get(modelName);
    if (!model || !hasCompleteName(model)) continue;
    for (let attempt = 1; ; attempt++) {
      const hierarchy = new Hierarchy(store, model);
      await hierarchy.read(ids);
      const below = (await hierarchy.below(ids, Infinity)) ?? [];
      await hierarchy.readAbove(below);
      const writes = below.flatMap((id) => {
        const named = hierarchy.states.get(id);
        const name = hierarchy.nameOf(id);
        return named?.read && name !== undefined && named.values?.[FIELD] !== name
          ? [updateAction(named.read, { [FIELD]: name })]
          : [];
      });
      // Each chunk commits only if the records it was renamed after still hold what was read.
      const checks = ids.flatMap((id): WriteAction[] => {
        const values = hierarchy.stateOf(id);
        return values
          ? [{ kind: 'check', key: { model: modelName, id }, now: Date.now(), holding: holdingOf(values) }]
          : [];
      });
      const size = Math.max(1, SETTLE_CHUNK - checks.length);
      let refused = 0;
      for (let at = 0; at < writes.length; at += size) {
        const chunk = writes.slice(at, at + size);
        if (await commit([...chunk, ...checks])) renamed += chunk.length;
        else refused += chunk.length;
      }
      // Those refused changed since they were read: read and named again.
      if (refused === 0) break;
      if (attempt === SETTLE_ATTEMPTS) {
        left += refused;
        break;
      }
    }
  }
  return { renamed, left };
}

/** What a name is computed from, kept per record by the whole-model passes below (not whole records). */
function nameInputs(values: Values): Values {
  return Object.fromEntries([...DEPENDS, FIELD].map((name) => [name, values[name] ?? null]));
}

/** `records` (a whole data set: the demo data, a bulk load) with every complete_name as its hierarchy makes it. */
export function withCompleteNames(registry: ModelRegistry, records: readonly StoredRecord[]): StoredRecord[] {
  const byModel = new Map<string, Map<number, Values>>();
  for (const record of records) {
    const model = registry.get(record.model);
    if (!model || !hasCompleteName(model)) continue;
    if (!byModel.has(record.model)) byModel.set(record.model, new Map());
    byModel.get(record.model)?.set(record.id, record.values);
  }
  if (byModel.size === 0) return [...records];
  return records.map((record) => {
    const states = byModel.get(record.model);
    if (!states) return record;
    const above = chainAbove(record.values, (id) => states.get(id) ?? null).chain;
    const name = completeNameOf(
      registry.get(record.model) as ModelDef,
      record.values,
      above.map((r) => r.values),
    );
    if (record.values[FIELD] === name) return record;
    return {
      ...record,
      values: Object.assign(Object.create(null) as Record<string, StoredValue>, record.values, { [FIELD]: name }),
    };
  });
}

/**
 * Gives every record of the table the complete_name its hierarchy makes (the migration of a table
 * written before names were kept, and the repair of follow-ups that did not finish: `npm run
 * reindex` runs it). Idempotent: a name already right is not written. Each record that differs is
 * read again consistently with the records above it and written at the version read; one changed
 * meanwhile is read and named again.
 */
export async function relinkCompleteNames(
  store: RecordStore,
  registry: ModelRegistry,
  onProgress: (done: { checked: number; written: number }) => void = () => undefined,
): Promise<{ checked: number; written: number }> {
  let checked = 0;
  let written = 0;
  for (const model of registry.models.filter(hasCompleteName)) {
    const states = new Map<number, Values>();
    await store.scanModel(model.model, (page) => {
      for (const record of page) states.set(record.id, nameInputs(record.values));
      checked += page.length;
      onProgress({ checked, written });
    });
    const drifted = [...states].flatMap(([id, values]) => {
      const above = chainAbove(values, (up) => states.get(up) ?? null).chain;
      return values[FIELD] ===
        completeNameOf(
          model,
          values,
          above.map((r) => r.values),
        )
        ? []
        : [id];
    });
    states.clear();
    for (let start = 0; start < drifted.length; start += 25) {
      const settled = await Promise.all(drifted.slice(start, start + 25).map((id) => settleName(store, model, id)));
      written += settled.filter(Boolean).length;
      onProgress({ checked, written });
    }
  }
  return { checked, written };
}

/** One record's name from consistent reads of it and the records above it; true if it was written. */
async function settleName(store: RecordStore, model: ModelDef, id: number): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const hierarchy = new Hierarchy(store, model);
    await hierarchy.read([id]);
    await hierarchy.readAbove([id]);
    const named = hierarchy.states.get(id);
    const name = hierarchy.nameOf(id);
    if (!named?.read || name === undefined || named.values?.[FIELD] === name) return false;
    try {
      await store.transact([updateAction(named.read, { [FIELD]: name })]);
      return true;
    } catch (error) {
      if (!(error instanceof TransactionCancelledError) || attempt === 5) throw error;
    }
  }
}
