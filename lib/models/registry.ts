/**
 * The model registry: which models exist, their fields and Odoo types, labels, relations,
 * required flags, selections and defaults. Built once per container from the data in models/,
 * validated as it is built so a bad definition fails the cold start instead of a request.
 */
import { PyFloat, type PyValue } from '../wire/pyvalue';
import { ModelDefinitionError, ModelNotFoundError } from '../errors';

export const FIELD_TYPES = [
  'char',
  'text',
  'html',
  'integer',
  'float',
  'monetary',
  'boolean',
  'date',
  'datetime',
  'selection',
  'many2one',
  'one2many',
  'many2many',
  'binary',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export type OnDelete = 'set null' | 'cascade' | 'restrict';

/** A JSON-representable default (the stored form). */
export type DefaultValue = string | number | boolean | null | number[];

export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  /** The label (Odoo's `string`). */
  readonly string: string;
  readonly help: string;
  readonly required: boolean;
  /** Set by the system (id, display name, log access): dropped from vals silently, as Odoo does. */
  readonly magic: boolean;
  /** The comodel of relational fields. */
  readonly relation?: string;
  /** The many2one on the comodel that a one2many is the inverse of. */
  readonly relationField?: string;
  readonly selection?: ReadonlyArray<readonly [string, string]>;
  readonly default?: DefaultValue;
  readonly ondelete?: OnDelete;
  /** Declared indexed (Odoo's `index=True`): searches on it read lib/indexes' entries, not the model. */
  readonly index?: boolean;
  /**
   * A custom field's index (lib/indexes/custom.ts): the slot its claim holds (a shipped index takes
   * the next slot in declaration order instead), and whether its entries are still being built —
   * written by every write, not yet read by searches.
   */
  readonly indexSlot?: number;
  readonly indexBuilding?: boolean;
  /**
   * Stored and computed by the service from other fields (Odoo's compute=..., store=True; e.g.
   * res.partner.complete_name, lib/records/complete-names.ts): set by the system, so `magic` too.
   */
  readonly computed?: boolean;
}

export interface ModelDef {
  /** The technical name, e.g. res.partner. */
  readonly model: string;
  /** Odoo's _description, e.g. "Partner"; the JSON response key by default. */
  readonly description: string;
  /** The field whose value is the record's display name (Odoo's _rec_name). */
  readonly recName: string;
  /**
   * The fields a search by display name compares, any of them matching (Odoo's _rec_names_search:
   * models/*.json `"recNamesSearch"`; res.partner's complete_name, email, ref, vat); [recName] by default.
   */
  readonly recNamesSearch: readonly string[];
  /** Every field in read() order, `id` first. */
  readonly fields: readonly FieldDef[];
  readonly fieldsByName: ReadonlyMap<string, FieldDef>;
  /**
   * Odoo's _order: the order searches answer in when the caller gives none (models/*.json
   * `"order"`, e.g. "name, id desc"); absent (custom models too): by id, Odoo's default.
   */
  readonly order?: readonly OrderKey[];
}

/** One term of an order: a field, ascending or descending. */
export interface OrderKey {
  readonly field: FieldDef;
  readonly descending: boolean;
}

export interface ModelRegistry {
  get(model: string): ModelDef | undefined;
  readonly models: readonly ModelDef[];
}

const RELATIONAL: ReadonlySet<FieldType> = new Set(['many2one', 'one2many', 'many2many']);
/** The types a declared index serves (lib/indexes/keys.ts gives each its keys). */
export const INDEXABLE_TYPES: ReadonlySet<FieldType> = new Set([
  'char',
  'text',
  'selection',
  'integer',
  'float',
  'monetary',
  'many2one',
  'date',
  'datetime',
]);
/** Indexed fields one model may declare: the records table has a secondary index per slot. */
export const MAX_INDEXED_FIELDS = 8;
/**
 * The records table's field index slots: the 8 the declared indexes may take, and 2 that only
 * custom fields' indexes take (lib/indexes/custom.ts), so that a model whose declarations fill
 * their 8 (res.partner) can still index two custom fields.
 */
export const INDEX_SLOT_COUNT = MAX_INDEXED_FIELDS + 2;
const FIELD_NAME = /^[a-z_][a-z0-9_]*$/;
const MODEL_NAME = /^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$/;

/**
 * Fields every model has, whatever its file says (Odoo's magic fields). A definition may list
 * them to choose where they appear in read() output; otherwise they go last, `id` always first.
 */
const MAGIC_FIELDS: readonly FieldDef[] = [
  magicField('id', 'integer', 'ID'),
  magicField('display_name', 'char', 'Display Name'),
  magicField('create_uid', 'many2one', 'Created by', 'res.users'),
  magicField('create_date', 'datetime', 'Created on'),
  magicField('write_uid', 'many2one', 'Last Updated by', 'res.users'),
  magicField('write_date', 'datetime', 'Last Updated on'),
];

function magicField(name: string, type: FieldType, label: string, relation?: string): FieldDef {
  return { name, type, string: label, help: '', required: false, magic: true, ...(relation ? { relation } : {}) };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseField(model: string, raw: unknown): FieldDef {
  if (!isObject(raw)) throw new ModelDefinitionError(model, 'a field is not an object');
  const {
    name,
    type,
    string: label,
    help,
    required,
    relation,
    relationField,
    selection,
    default: def,
    ondelete,
    index,
    indexSlot,
    indexBuilding,
    computed,
  } = raw;
  if (typeof name !== 'string' || !FIELD_NAME.test(name))
    throw new ModelDefinitionError(model, `bad field name ${JSON.stringify(name)}`);
  const where = `field ${name}`;
  if (typeof type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(type)) {
    throw new ModelDefinitionError(model, `${where} has unknown type ${JSON.stringify(type)}`);
  }
  const fieldType = type as FieldType;
  const magic = MAGIC_FIELDS.find((f) => f.name === name);
  if (magic && magic.type !== fieldType)
    throw new ModelDefinitionError(model, `${where} must be of type ${magic.type}`);
  if (typeof label !== 'string' || label === '')
    throw new ModelDefinitionError(model, `${where} needs a label ("string")`);
  if (RELATIONAL.has(fieldType) && typeof relation !== 'string')
    throw new ModelDefinitionError(model, `${where} needs a relation`);
  if (!RELATIONAL.has(fieldType) && relation !== undefined)
    throw new ModelDefinitionError(model, `${where} is not relational`);
  if (fieldType === 'one2many' && typeof relationField !== 'string')
    throw new ModelDefinitionError(model, `${where} needs a relationField`);
  let choices: Array<readonly [string, string]> | undefined;
  if (fieldType === 'selection') {
    if (!Array.isArray(selection) || selection.length === 0)
      throw new ModelDefinitionError(model, `${where} needs selection values`);
    choices = selection.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        throw new ModelDefinitionError(model, `${where} has a selection entry that is not [value, label]`);
      }
      return [pair[0], pair[1]] as const;
    });
  } else if (selection !== undefined) {
    throw new ModelDefinitionError(model, `${where} is not a selection`);
  }
  if (ondelete !== undefined && !['set null', 'cascade', 'restrict'].includes(ondelete as string)) {
    throw new ModelDefinitionError(model, `${where} has unknown ondelete ${JSON.stringify(ondelete)}`);
  }
  if (def !== undefined) checkDefault(model, where, fieldType, def, choices);
  if (computed !== undefined && computed !== true)
    throw new ModelDefinitionError(model, `${where}: "computed" is true or absent`);
  if (index !== undefined && (index !== true || !INDEXABLE_TYPES.has(fieldType)))
    throw new ModelDefinitionError(
      model,
      `${where} cannot be indexed ("index": true on ${[...INDEXABLE_TYPES].join(', ')})`,
    );
  if (
    indexSlot !== undefined &&
    (index !== true ||
      !Number.isInteger(indexSlot) ||
      (indexSlot as number) < 1 ||
      (indexSlot as number) > INDEX_SLOT_COUNT)
  )
    throw new ModelDefinitionError(model, `${where}: "indexSlot" is a slot 1..${INDEX_SLOT_COUNT} of an indexed field`);
  if (indexBuilding !== undefined && (indexBuilding !== true || indexSlot === undefined))
    throw new ModelDefinitionError(
      model,
      `${where}: "indexBuilding" is true, of a field with an "indexSlot", or absent`,
    );
  return {
    name,
    type: fieldType,
    string: label,
    help: typeof help === 'string' ? help : '',
    required: required === true,
    magic: magic !== undefined || computed === true,
    ...(computed === true ? { computed: true } : {}),
    ...(typeof relation === 'string' ? { relation } : {}),
    ...(typeof relationField === 'string' ? { relationField } : {}),
    ...(choices ? { selection: choices } : {}),
    ...(def !== undefined ? { default: def as DefaultValue } : {}),
    ...(ondelete !== undefined ? { ondelete: ondelete as OnDelete } : {}),
    ...(index === true ? { index: true } : {}),
    ...(indexSlot !== undefined ? { indexSlot: indexSlot as number } : {}),
    ...(indexBuilding === true ? { indexBuilding: true } : {}),
  };
}

function checkDefault(
  model: string,
  where: string,
  type: FieldType,
  def: unknown,
  choices?: ReadonlyArray<readonly [string, string]>,
): void {
  const ok =
    def === null ||
    (type === 'boolean' && typeof def === 'boolean') ||
    (['integer', 'float', 'monetary'].includes(type) && typeof def === 'number') ||
    (type === 'selection' && choices?.some(([value]) => value === def)) ||
    (['char', 'text', 'html', 'date', 'datetime', 'binary'].includes(type) && typeof def === 'string');
  if (!ok) throw new ModelDefinitionError(model, `${where} has a default that does not fit its type`);
}

/** Types an order cannot name (Odoo refuses to order by x2many and binary fields). */
const UNORDERABLE: ReadonlySet<FieldType> = new Set(['one2many', 'many2many', 'binary']);

/**
 * An order's text (`name desc, id`): field names of `model` each with an optional asc or desc;
 * a string saying what is wrong when it is not one.
 */
export function parseOrderText(model: ModelDef, text: string): OrderKey[] | string {
  const keys: OrderKey[] = [];
  for (const part of text.split(',')) {
    const [name = '', direction = 'asc', ...extra] = part.trim().split(/\s+/);
    const field = model.fieldsByName.get(name);
    const dir = direction.toLowerCase();
    if (!field || extra.length > 0 || (dir !== 'asc' && dir !== 'desc') || UNORDERABLE.has(field.type))
      return `'${part.trim()}'`;
    keys.push({ field, descending: dir === 'desc' });
  }
  return keys;
}

function parseModel(raw: unknown): ModelDef {
  if (!isObject(raw)) throw new ModelDefinitionError('?', 'not an object');
  const { model, description, recName, recNamesSearch, fields, order } = raw;
  if (typeof model !== 'string' || !MODEL_NAME.test(model))
    throw new ModelDefinitionError(String(model), 'bad model name');
  if (typeof description !== 'string' || description === '')
    throw new ModelDefinitionError(model, 'needs a description');
  if (!Array.isArray(fields)) throw new ModelDefinitionError(model, 'needs a fields list');
  const declared = fields.map((f) => parseField(model, f));
  const byName = new Map<string, FieldDef>();
  for (const field of declared) {
    if (byName.has(field.name)) throw new ModelDefinitionError(model, `field ${field.name} is declared twice`);
    byName.set(field.name, field);
  }
  const ordered = [MAGIC_FIELDS[0] as FieldDef, ...declared.filter((f) => f.name !== 'id')];
  for (const magic of MAGIC_FIELDS) if (!byName.has(magic.name) && magic.name !== 'id') ordered.push(magic);
  const positional = ordered.filter((f) => f.index && f.indexSlot === undefined).length;
  if (positional > MAX_INDEXED_FIELDS)
    throw new ModelDefinitionError(model, `at most ${MAX_INDEXED_FIELDS} fields can be indexed`);
  // A custom field's slot (its claim's) is one the declared indexes leave free, and its own.
  const claimed = ordered.flatMap((f) => (f.indexSlot === undefined ? [] : [f.indexSlot]));
  if (claimed.some((slot, i) => slot <= positional || claimed.indexOf(slot) !== i))
    throw new ModelDefinitionError(model, 'an index slot is taken twice');
  const fieldsByName = new Map(ordered.map((f) => [f.name, f] as const));
  const rec = typeof recName === 'string' ? recName : 'name';
  const recField = fieldsByName.get(rec);
  // A computed char may name the records (res.partner's complete_name, as in Odoo 17); the other magic fields not.
  if (!recField || !['char', 'text', 'selection'].includes(recField.type) || (recField.magic && !recField.computed)) {
    throw new ModelDefinitionError(model, `recName ${rec} must be a char field of the model`);
  }
  const searched = recNamesSearch === undefined ? [rec] : recNamesSearch;
  const text = (name: unknown) => {
    const field = typeof name === 'string' ? fieldsByName.get(name) : undefined;
    return field !== undefined && ['char', 'text', 'selection'].includes(field.type) && field.name !== 'display_name';
  };
  if (!Array.isArray(searched) || searched.length === 0 || !searched.every(text))
    throw new ModelDefinitionError(model, 'recNamesSearch must list char fields of the model');
  const definition: ModelDef = {
    model,
    description,
    recName: rec,
    recNamesSearch: searched as string[],
    fields: ordered,
    fieldsByName,
  };
  if (order === undefined) return definition;
  const keys = typeof order === 'string' ? parseOrderText(definition, order) : String(order);
  if (typeof keys === 'string') throw new ModelDefinitionError(model, `order: ${keys} is not a field with asc or desc`);
  return { ...definition, order: keys };
}

/** Validates the definitions (each on its own, then the relations between them) and indexes them. */
export function buildRegistry(definitions: readonly unknown[]): ModelRegistry {
  const models = definitions.map(parseModel);
  const byModel = new Map<string, ModelDef>();
  for (const def of models) {
    if (byModel.has(def.model)) throw new ModelDefinitionError(def.model, 'defined twice');
    byModel.set(def.model, def);
  }
  for (const def of models) {
    for (const field of def.fields) {
      if (!field.relation) continue;
      const comodel = byModel.get(field.relation);
      if (!comodel)
        throw new ModelDefinitionError(def.model, `field ${field.name} relates to unknown model ${field.relation}`);
      if (field.relationField) {
        const inverse = comodel.fieldsByName.get(field.relationField);
        if (!inverse || inverse.type !== 'many2one' || inverse.relation !== def.model) {
          throw new ModelDefinitionError(
            def.model,
            `field ${field.name}: ${field.relation}.${field.relationField} is not a many2one to ${def.model}`,
          );
        }
      }
    }
  }
  return { get: (name) => byModel.get(name), models };
}

/** The value a field reads as when nothing is stored (Odoo's read() of an empty field). */
export function emptyValueOf(field: FieldDef): PyValue {
  switch (field.type) {
    case 'one2many':
    case 'many2many':
      return [];
    case 'integer':
      return 0;
    case 'float':
    case 'monetary':
      return new PyFloat(0);
    default:
      return false;
  }
}

/** The model named, or Odoo's "model not found" (404). */
export function getModel(registry: ModelRegistry, model: string): ModelDef {
  const def = registry.get(model);
  if (!def) throw new ModelNotFoundError(model);
  return def;
}
