/**
 * Custom models, as Odoo's `ir.model` / `ir.model.fields` with state 'manual': records of those two
 * models, in the records table, define models (`x_...`) and fields (`x_...`, also on shipped
 * models) that every endpoint then serves. The registry a request uses is the shipped definitions
 * (models/*.json) plus these stored ones, rebuilt by the same validator (lib/models/registry.ts).
 *
 * Every Lambda instance sees a definition without a redeploy: each keeps the stored definitions
 * for at most CATALOG_TTL_MS, then checks one stamp item (CATALOG_STAMP_KEY) and scans the
 * definitions again only if it changed; a request naming a model it does not know checks at once.
 * The shipped models appear in `ir.model` too (state 'base', ids below BASE_ID_LIMIT), written the
 * first time an instance loads the catalog; they cannot be changed or deleted.
 */
import { randomUUID } from 'node:crypto';
import { AccessDeniedError, InvalidValueError, ModelDefinitionError, TransactionCancelledError } from '../errors';
import { parsePythonLiteral } from '../wire/literal';
import { buildRegistry, type ModelDef, type ModelRegistry } from './registry';
import type { PyValue } from '../wire/pyvalue';
import {
  recordKeyString,
  updateAction,
  type Indexer,
  type RecordStore,
  type StoredRecord,
  type StoredValue,
  type WriteAction,
} from '../records/port';
import { idsOf } from '../records/inverses';
import {
  claimsSignature,
  claimsText,
  liveClaims,
  parseClaims,
  reconcileClaims,
  type CustomFieldDecl,
  type IndexClaim,
} from '../indexes/custom';
import { indexerOf } from '../indexes/indexer';

export const IR_MODEL = 'ir.model';
export const IR_MODEL_FIELDS = 'ir.model.fields';
export const META_MODELS: ReadonlySet<string> = new Set([IR_MODEL, IR_MODEL_FIELDS]);

/** Ids below this are the shipped models' and fields' records; custom ones get ids from here up. */
export const BASE_ID_LIMIT = 100_000;
/** How long an instance trusts the definitions it loaded. */
export const CATALOG_TTL_MS = 30_000;
/** A request for a model nobody defined reloads at most this often (a typo must not cost a scan each time). */
export const UNKNOWN_MODEL_RELOAD_MS = 1_000;

const CUSTOM_NAME = /^x_[a-z0-9_]*$/;

type Json = Record<string, unknown>;

const str = (value: StoredValue | undefined): string => (typeof value === 'string' ? value : '');
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A stored selection ("[('a', 'A'), ('b', 'B')]", as Odoo keeps it) as [value, label] pairs. */
function selectionOf(text: string, where: string): [string, string][] {
  let parsed: PyValue;
  try {
    parsed = parsePythonLiteral(text);
  } catch {
    throw new ModelDefinitionError(
      where,
      `its selection ${JSON.stringify(text)} is not a list of (value, label) pairs`,
    );
  }
  if (
    !Array.isArray(parsed) ||
    !parsed.every(
      (pair) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string',
    )
  ) {
    throw new ModelDefinitionError(
      where,
      `its selection ${JSON.stringify(text)} is not a list of (value, label) pairs`,
    );
  }
  return parsed.map((pair) => [(pair as string[])[0] as string, (pair as string[])[1] as string]);
}

/** The ir.model records' technical names, by id (what a field's model_id names). */
function modelNamesById(models: readonly StoredRecord[]): Map<number, string> {
  return new Map(models.map((record) => [record.id, str(record.values.model)] as const));
}

/**
 * A stored ir.model.fields record as a field definition of models/*.json's shape; indexed when its
 * index holds a slot (lib/indexes/custom.ts: `claim`, building or ready).
 */
function fieldDefinition(record: StoredRecord, modelName: string, claim?: IndexClaim): Json {
  const v = record.values;
  const type = str(v.ttype);
  return {
    ...(claim
      ? { index: true, indexSlot: claim.slot, ...(claim.state === 'building' ? { indexBuilding: true } : {}) }
      : {}),
    name: str(v.name),
    type,
    string: str(v.field_description) || str(v.name),
    help: str(v.help),
    required: v.required === true,
    ...(str(v.relation) ? { relation: str(v.relation) } : {}),
    ...(str(v.relation_field) ? { relationField: str(v.relation_field) } : {}),
    ...(type === 'selection' ? { selection: selectionOf(str(v.selection), `${modelName}.${str(v.name)}`) } : {}),
    ...(type === 'many2one' && str(v.on_delete) ? { ondelete: str(v.on_delete) } : {}),
  };
}

/**
 * The definitions of every model: the shipped ones with their custom fields added, then the custom
 * models (each with an `x_name` char field, its display name, unless it defines one: Odoo adds the
 * same field to a model created this way).
 */
export function definitionsWith(
  shipped: readonly unknown[],
  models: readonly StoredRecord[],
  fields: readonly StoredRecord[],
  claims: ReadonlyMap<number, IndexClaim> = new Map(),
): unknown[] {
  const modelNameById = modelNamesById(models);
  const customFields = new Map<string, Json[]>();
  for (const record of fields) {
    if (record.values.state !== 'manual') continue;
    const modelName = modelNameById.get(Number(record.values.model_id));
    if (modelName === undefined) continue;
    customFields.set(modelName, [
      ...(customFields.get(modelName) ?? []),
      fieldDefinition(record, modelName, claims.get(record.id)),
    ]);
  }
  const definitions: unknown[] = shipped.map((definition) => {
    if (!isObject(definition) || !Array.isArray(definition.fields)) return definition;
    const extra = customFields.get(String(definition.model)) ?? [];
    return extra.length ? { ...definition, fields: [...definition.fields, ...extra] } : definition;
  });
  for (const record of models) {
    if (record.values.state !== 'manual') continue;
    const name = str(record.values.model);
    const own = customFields.get(name) ?? [];
    const withName = own.some((field) => field.name === 'x_name')
      ? own
      : [{ name: 'x_name', type: 'char', string: 'Name' }, ...own];
    definitions.push({
      model: name,
      description: str(record.values.name) || name,
      recName: 'x_name',
      fields: withName,
    });
  }
  return definitions;
}

/**
 * The registry of the stored definitions. Each change is checked before it is written, but two
 * changes checked at once can store a pair that cannot stand together (two models of one name,
 * a relation to a model deleted meanwhile). Rather than failing every request, the definitions
 * are then taken one by one in id order, each one kept only if the registry still builds with it:
 * the first of two models of one name wins, and the others are left out until fixed.
 */
export function servableRegistry(
  shipped: readonly unknown[],
  models: readonly StoredRecord[],
  fields: readonly StoredRecord[],
  claims: ReadonlyMap<number, IndexClaim> = new Map(),
): ModelRegistry {
  try {
    return buildRegistry(definitionsWith(shipped, models, fields, claims));
  } catch (error) {
    if (!(error instanceof ModelDefinitionError)) throw error;
  }
  const builds = (keptModels: readonly StoredRecord[], keptFields: readonly StoredRecord[]) => {
    try {
      buildRegistry(definitionsWith(shipped, keptModels, keptFields, claims));
      return true;
    } catch (error) {
      if (error instanceof ModelDefinitionError) return false;
      throw error;
    }
  };
  const byId = (records: readonly StoredRecord[]) => [...records].sort((a, b) => a.id - b.id);
  const keptModels: StoredRecord[] = [];
  for (const record of byId(models)) if (builds([...keptModels, record], [])) keptModels.push(record);
  const keptFields: StoredRecord[] = [];
  for (const record of byId(fields)) if (builds(keptModels, [...keptFields, record])) keptFields.push(record);
  return buildRegistry(definitionsWith(shipped, keptModels, keptFields, claims));
}

/** The custom fields as the index claims see them (lib/indexes/custom.ts). */
export function customFieldDecls(models: readonly StoredRecord[], fields: readonly StoredRecord[]): CustomFieldDecl[] {
  const modelNameById = modelNamesById(models);
  return fields.flatMap((record) => {
    const model = modelNameById.get(Number(record.values.model_id));
    if (record.values.state !== 'manual' || model === undefined) return [];
    const { name, ttype, index } = record.values;
    return [{ id: record.id, model, name: str(name), type: str(ttype), index: index === true }];
  });
}

/** The shipped models and their fields as ir.model / ir.model.fields records (state 'base'). */
export function baseMetaRecords(registry: ModelRegistry): StoredRecord[] {
  const records: StoredRecord[] = [];
  let fieldId = 0;
  registry.models.forEach((model, index) => {
    const modelId = index + 1;
    const fieldIds: number[] = [];
    for (const field of model.fields) {
      fieldId += 1;
      fieldIds.push(fieldId);
      const values: Record<string, StoredValue> = {
        name: field.name,
        field_description: field.string,
        model_id: modelId,
        model: model.model,
        ttype: field.type,
        relation: field.relation ?? false,
        relation_field: field.relationField ?? false,
        selection: field.selection
          ? `[${field.selection.map(([value, label]) => `(${JSON.stringify(value)}, ${JSON.stringify(label)})`).join(', ')}]`
          : false,
        required: field.required,
        on_delete: field.ondelete ?? 'set null',
        help: field.help || false,
        index: field.index === true,
        state: 'base',
      };
      records.push({ model: IR_MODEL_FIELDS, id: fieldId, version: 1, values });
    }
    records.push({
      model: IR_MODEL,
      id: modelId,
      version: 1,
      values: { name: model.description, model: model.model, state: 'base', info: false, field_id: fieldIds },
    });
  });
  if (fieldId >= BASE_ID_LIMIT) throw new Error('Too many shipped fields for the base id range');
  return records;
}

async function allOf(store: RecordStore, model: string): Promise<StoredRecord[]> {
  const records: StoredRecord[] = [];
  await store.scanModel(model, (page) => records.push(...page));
  return records;
}

/**
 * A shipped ir.model record as it should be stored: its field_id keeps the custom fields the
 * stored list holds (ids from BASE_ID_LIMIT up, kept with their model_id: lib/records/inverses.ts).
 */
function withCustomFields(record: StoredRecord, stored: StoredRecord | undefined): StoredRecord {
  if (record.model !== IR_MODEL || !stored) return record;
  const custom = idsOf(stored.values.field_id).filter((id) => id >= BASE_ID_LIMIT);
  if (custom.length === 0) return record;
  return { ...record, values: { ...record.values, field_id: [...idsOf(record.values.field_id), ...custom] } };
}

/** The stored definitions, with the shipped models' base records written if they are missing or out of date. */
function sameValues(a: Readonly<Record<string, StoredValue>>, b: Readonly<Record<string, StoredValue>>): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].every((name) => JSON.stringify(a[name] ?? false) === JSON.stringify(b[name] ?? false));
}

/**
 * ir.model.fields' `model` is the technical name of its model_id's model, for every field (Odoo's
 * create() sets it from model_id, and clients search fields by it). The object routes write what
 * the client sent, so a custom field created without it (or stored before it was filled) lacks it:
 * these are the conditional updates that set it, each at the version read (a concurrent change
 * wins, and the next load looks again). A field whose model is unknown is left alone.
 */
export function fieldModelRepairs(
  models: readonly StoredRecord[],
  fields: readonly StoredRecord[],
): Extract<WriteAction, { kind: 'update' }>[] {
  const modelNameById = modelNamesById(models);
  return fields.flatMap((record) => {
    const name = modelNameById.get(Number(record.values.model_id));
    if (!name || record.values.model === name) return [];
    return [updateAction(record, { model: name })];
  });
}

async function repairFieldModels(
  store: RecordStore,
  repairs: readonly Extract<WriteAction, { kind: 'update' }>[],
): Promise<void> {
  // One conditional UpdateItem each: one that lost to a concurrent write must not hold back the rest.
  await Promise.all(
    repairs.map(async (repair) => {
      try {
        await store.transact([repair]);
      } catch (error) {
        if (!(error instanceof TransactionCancelledError)) throw error;
      }
    }),
  );
}

async function loadMeta(
  store: RecordStore,
  base: readonly StoredRecord[],
  repair = true,
): Promise<{ models: StoredRecord[]; fields: StoredRecord[] }> {
  const [models, fields] = await Promise.all([allOf(store, IR_MODEL), allOf(store, IR_MODEL_FIELDS)]);
  const stored = new Map([...models, ...fields].map((record) => [`${record.model}#${record.id}`, record]));
  const outdated = base
    .map((record) => withCustomFields(record, stored.get(`${record.model}#${record.id}`)))
    .filter((record) => {
      const current = stored.get(`${record.model}#${record.id}`);
      return !current || !sameValues(current.values, record.values);
    });
  if (outdated.length > 0) {
    // Idempotent (the same records from every instance); custom records live above BASE_ID_LIMIT.
    await store.putMany(outdated);
    await Promise.all([
      store.raiseSequence(IR_MODEL, BASE_ID_LIMIT),
      store.raiseSequence(IR_MODEL_FIELDS, BASE_ID_LIMIT),
    ]);
    return loadMeta(store, [], repair);
  }
  const repairs = repair ? fieldModelRepairs(models, fields) : [];
  if (repairs.length > 0) {
    // A lazy repair: whichever instance loads the definitions first after such a field was stored
    // (every instance does before its first request, and after every change of the definitions).
    await repairFieldModels(store, repairs);
    return loadMeta(store, [], false);
  }
  return { models, fields };
}

/**
 * A record of a model of its own (no definition names it, so no route serves it) whose `stamp`
 * is replaced after every change of the definitions: an instance whose definitions are older than
 * the TTL reads this one item, and scans ir.model / ir.model.fields again only if it changed. It
 * also keeps the custom fields' index claims (`indexes`, lib/indexes/custom.ts), so every check
 * reads them consistently; a claim's change is not a change of the stamp (no scan is needed).
 */
export const CATALOG_STAMP_KEY = { model: 'ir.catalog', id: 1 } as const;
/** Conditional writes of the stamp item tried before giving up (each loses only to another's write). */
const STAMP_WRITE_ATTEMPTS = 8;

interface StampItem {
  readonly record: StoredRecord | undefined;
  readonly stamp: string | undefined;
  readonly claims: IndexClaim[];
}

/** The model registry of the shipped and stored definitions, kept per Lambda instance. */
export class ModelCatalog {
  #registry: ModelRegistry;
  #loadedAt = -Infinity;
  /** The stamp read before the scan this registry comes from (undefined: none, or never read). */
  #stamp: string | undefined;
  #scanned = false;
  #meta: { models: StoredRecord[]; fields: StoredRecord[] } = { models: [], fields: [] };
  #claims: IndexClaim[] = [];
  #loading: Promise<ModelRegistry> | undefined;
  readonly #base: readonly StoredRecord[];
  readonly #shippedRegistry: ModelRegistry;

  constructor(
    private readonly store: RecordStore,
    private readonly shipped: readonly unknown[],
    private readonly clock: () => number = Date.now,
    /** The shipped models' registry, when the caller has it built already (one cold-start build). */
    shippedRegistry: ModelRegistry = buildRegistry(shipped),
  ) {
    this.#registry = shippedRegistry;
    this.#shippedRegistry = shippedRegistry;
    this.#base = baseMetaRecords(this.#registry);
  }

  /** The registry to serve `modelName` with: checked when stale, or when it does not know the model yet. */
  async registryFor(modelName: string): Promise<ModelRegistry> {
    const age = this.clock() - this.#loadedAt;
    const known = this.#registry.get(modelName) !== undefined;
    if (age > CATALOG_TTL_MS || (!known && age > UNKNOWN_MODEL_RELOAD_MS)) return this.reload();
    return this.#registry;
  }

  /** The registry as last loaded (no read): what this instance's writes index records by. */
  get registry(): ModelRegistry {
    return this.#registry;
  }

  /**
   * The records table's indexer on this instance (lib/runtime/container.ts gives it the store):
   * the entries of the indexes the registry last loaded declares, custom fields' included.
   */
  readonly indexer: Indexer = (record) => indexerOf(this.#registry)(record);

  /** The index claims as last read (the builder reads them afresh: updateClaims). */
  get claims(): readonly IndexClaim[] {
    return this.#claims;
  }

  async #readStampItem(): Promise<StampItem> {
    const found = await this.store.getMany([CATALOG_STAMP_KEY], { consistent: true });
    const record = found.get(recordKeyString(CATALOG_STAMP_KEY));
    const stamp = record?.values.stamp;
    return {
      record,
      stamp: typeof stamp === 'string' ? stamp : undefined,
      claims: parseClaims(record?.values.indexes),
    };
  }

  /**
   * Writes the stamp item as `change` makes it from the one read (undefined: nothing to write), at
   * the version read; read again and redone when another write came first. Answers the item as left.
   */
  async #writeStampItem(
    change: (item: StampItem) => { stamp?: string; claims?: readonly IndexClaim[] } | undefined,
    read?: StampItem,
  ): Promise<StampItem> {
    for (let attempt = 0; ; attempt++) {
      const item = attempt === 0 && read ? read : await this.#readStampItem();
      const next = change(item);
      if (!next) return item;
      const values: Record<string, StoredValue> = {
        stamp: next.stamp ?? item.stamp ?? randomUUID(),
        indexes: claimsText(next.claims ?? item.claims),
      };
      const written = { ...CATALOG_STAMP_KEY, version: (item.record?.version ?? 0) + 1, values };
      try {
        await this.store.transact([
          item.record ? updateAction(item.record, values) : { kind: 'create', key: CATALOG_STAMP_KEY, record: written },
        ]);
        return { record: written, stamp: values.stamp as string, claims: next.claims ? [...next.claims] : item.claims };
      } catch (error) {
        if (!(error instanceof TransactionCancelledError) || attempt + 1 >= STAMP_WRITE_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Reads the stamp, then — if it changed since this instance's scan, or `force` — the stored
   * definitions. The stamp is read BEFORE the scan: a change that lands during the scan leaves
   * a newer stamp, so the next check scans again rather than keeping a stale registry. The index
   * claims come with the stamp: another set of them is another registry (no scan needed), and a
   * custom field's index asked for or given up is claimed or dropped here (reconcileClaims).
   */
  reload(force = false): Promise<ModelRegistry> {
    this.#loading ??= (async () => {
      try {
        let item = await this.#readStampItem();
        const scannedUnder = item.stamp;
        const unchanged = !force && this.#scanned && item.stamp !== undefined && item.stamp === this.#stamp;
        if (!unchanged) this.#meta = await loadMeta(this.store, this.#base);
        const decls = customFieldDecls(this.#meta.models, this.#meta.fields);
        if (reconcileClaims(item.claims, decls, this.#shippedRegistry, this.clock()) || item.record === undefined) {
          // A stage's first stamp, or claims to change: written at the version read (a concurrent
          // change wins, and this is worked out again from what it left).
          item = await this.#writeStampItem((current) => {
            const claims = reconcileClaims(current.claims, decls, this.#shippedRegistry, this.clock());
            return claims || current.record === undefined ? { ...(claims ? { claims } : {}) } : undefined;
          }, item);
        }
        if (!unchanged || claimsSignature(item.claims) !== claimsSignature(this.#claims)) {
          const live = liveClaims(item.claims, decls, this.#shippedRegistry);
          this.#registry = servableRegistry(this.shipped, this.#meta.models, this.#meta.fields, live);
        }
        this.#claims = item.claims;
        // The stamp read before the scan (a stamp written since, by this reload or another instance,
        // is a change this scan may not have seen: the next check scans again).
        if (!unchanged) this.#stamp = scannedUnder;
        this.#scanned = true;
        this.#loadedAt = this.clock();
        return this.#registry;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  /** After this instance changed the definitions: a new stamp for the other instances, then its own scan. */
  async changed(): Promise<ModelRegistry> {
    await this.#writeStampItem(() => ({ stamp: randomUUID() }));
    return this.reload(true);
  }

  /**
   * Changes the index claims (the builder's progress and states: lib/indexes/build.ts) from those
   * stored, then reloads this instance's registry with them. `change` answers undefined to leave
   * them; it may be called more than once (after losing to another write).
   */
  async updateClaims(
    change: (claims: readonly IndexClaim[]) => IndexClaim[] | undefined,
  ): Promise<readonly IndexClaim[]> {
    const item = await this.#writeStampItem((current) => {
      const claims = change(current.claims);
      return claims ? { claims } : undefined;
    });
    await this.reload();
    return item.claims;
  }

  /** Throws ModelDefinitionError unless these definitions make a valid registry. */
  check(models: readonly StoredRecord[], fields: readonly StoredRecord[]): void {
    buildRegistry(definitionsWith(this.shipped, models, fields));
  }

  /** The stored meta records, for checking a change against them. */
  async storedMeta(): Promise<{ models: StoredRecord[]; fields: StoredRecord[] }> {
    return loadMeta(this.store, this.#base);
  }
}

/** A change of ir.model / ir.model.fields records, as the object routes are about to make it. */
export type MetaChange =
  | { readonly kind: 'create'; readonly model: string; readonly values: Readonly<Record<string, StoredValue>> }
  | {
      readonly kind: 'write';
      readonly model: string;
      readonly ids: readonly number[];
      readonly values: Readonly<Record<string, StoredValue>>;
    }
  | { readonly kind: 'unlink'; readonly model: string; readonly ids: readonly number[] };

/** Plain stored values of a vals dict (the meta models' fields are all scalars or ids). */
export function metaValues(vals: ReadonlyMap<string, PyValue>): Record<string, StoredValue> {
  const values: Record<string, StoredValue> = Object.create(null) as Record<string, StoredValue>;
  for (const [name, value] of vals) {
    if (typeof value === 'string' || typeof value === 'boolean' || value === null) values[name] = value;
    else if (typeof value === 'number') values[name] = value;
    else if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number') values[name] = value[0];
  }
  return values;
}

function refuse(message: string): never {
  throw new AccessDeniedError(message);
}

/**
 * Checks a change of the definitions before it is made: custom names start with `x_`, base
 * records stay as shipped, a custom field keeps its model and type, a custom model with records is
 * not deleted, and the registry after the change is still valid (types, relations, selections, no
 * name twice) — else 403, nothing written.
 */
export async function checkMetaChange(
  catalog: ModelCatalog,
  change: MetaChange,
  countRecords: (model: string) => Promise<number>,
): Promise<MetaCheck> {
  const { models, fields } = await catalog.storedMeta();
  const modelNameOf = (modelId: StoredValue | undefined): string | undefined =>
    models.find((record) => record.id === Number(modelId))?.values.model as string | undefined;
  let fieldModel: string | undefined;
  const own = change.model === IR_MODEL ? models : fields;
  let nextModels = models;
  let nextFields = fields;
  if (change.kind === 'create') {
    const values: Record<string, StoredValue> = { state: 'manual', ...change.values };
    if (values.state !== 'manual') refuse('Custom models and fields are created with state manual');
    const name = str(values[change.model === IR_MODEL ? 'model' : 'name']);
    if (!CUSTOM_NAME.test(name)) {
      refuse(
        change.model === IR_MODEL
          ? "The model name must start with 'x_'."
          : "Custom fields must have a name that starts with 'x_' !",
      );
    }
    if (change.model === IR_MODEL_FIELDS) {
      // Odoo's create() takes `model` from model_id whatever vals say; here the vals are written as
      // sent, so a `model` that is not model_id's is refused rather than stored (and one left out is
      // filled in by the catalog's repair as soon as the field is created).
      fieldModel = modelNameOf(values.model_id);
      if (fieldModel !== undefined && isGiven(values.model) && values.model !== fieldModel)
        refuse(fieldModelMismatch(values.model, fieldModel));
    }
    const record: StoredRecord = { model: change.model, id: Number.MAX_SAFE_INTEGER, version: 1, values };
    if (change.model === IR_MODEL) nextModels = [...models, record];
    else nextFields = [...fields, record];
  } else {
    const targets = own.filter((record) => change.ids.includes(record.id));
    if (targets.some((record) => record.values.state !== 'manual'))
      refuse('Properties of base fields cannot be altered in this manner!');
    if (change.kind === 'write') {
      if ('state' in change.values && change.values.state !== 'manual')
        refuse('Properties of base fields cannot be altered in this manner!');
      if (change.model === IR_MODEL && 'model' in change.values) refuse('Field "Model" cannot be modified on models.');
      // As Odoo 17's ir.model.fields write(): the stored values were written for the field's model
      // and type (char 'abc' is no float), so neither changes; the field is dropped and created again.
      if (change.model === IR_MODEL_FIELDS) {
        for (const target of targets) {
          if ('model_id' in change.values && change.values.model_id !== target.values.model_id)
            refuse('Changing the model of a field is forbidden!');
          if ('ttype' in change.values && change.values.ttype !== target.values.ttype)
            refuse('Changing the type of a field is not yet supported. Please drop it and create it again!');
          // Odoo's write() drops `model` (and model_id, state) from vals; dropping is not ours to do
          // here, so only the value it already has (model_id's model) goes through.
          const name = modelNameOf(target.values.model_id);
          if ('model' in change.values && name !== undefined && change.values.model !== name)
            refuse(fieldModelMismatch(change.values.model, name));
        }
      }
      const updated = own.map((record) =>
        change.ids.includes(record.id) ? { ...record, values: { ...record.values, ...change.values } } : record,
      );
      if (change.model === IR_MODEL) nextModels = updated;
      else nextFields = updated;
    } else {
      if (change.model === IR_MODEL) {
        for (const target of targets) {
          const name = str(target.values.model);
          if ((await countRecords(name)) > 0) refuse(`Model '${name}' still has records: delete them first.`);
        }
        nextModels = models.filter((record) => !change.ids.includes(record.id));
        // Its fields go with it (ondelete cascade).
        nextFields = fields.filter((record) => !change.ids.includes(Number(record.values.model_id)));
      } else {
        nextFields = fields.filter((record) => !change.ids.includes(record.id));
      }
    }
  }
  try {
    catalog.check(nextModels, nextFields);
  } catch (error) {
    if (error instanceof ModelDefinitionError) throw new InvalidValueError(error.message);
    throw error;
  }
  return fieldModel === undefined ? {} : { fieldModel };
}

/** What a checked change tells the caller. */
export interface MetaCheck {
  /** A field created: its model's technical name (its `model`, as read back). */
  readonly fieldModel?: string;
}

const isGiven = (value: StoredValue | undefined): boolean => value !== undefined && value !== false && value !== null;

function fieldModelMismatch(given: StoredValue | undefined, name: string): string {
  return `Field "Model Name" is the technical name of the field's model ("Model"): ${JSON.stringify(name)}, not ${JSON.stringify(given ?? false)}.`;
}

/** Whether a model is one of the definitions' (whose writes change the registry). */
export function isMetaModel(model: ModelDef): boolean {
  return META_MODELS.has(model.model);
}
