/**
 * What a model says about itself: Odoo's fields_get() and default_get(), from the registry alone.
 */
import { FIELD_TYPES, type FieldDef, type ModelDef } from './registry';
import { PyFloat, type PyDict, type PyValue } from '../wire/pyvalue';

/** What Odoo can sort by in SQL: every stored type but the x2many lists and binary data. */
const SORTABLE_TYPES: ReadonlySet<string> = new Set(
  FIELD_TYPES.filter((type) => type !== 'one2many' && type !== 'many2many' && type !== 'binary'),
);

/** A field's description as Odoo's fields_get() gives it (the attributes this registry knows). */
function describeField(field: FieldDef): PyDict {
  const out: PyDict = new Map<string, PyValue>([
    ['type', field.type],
    ['string', field.string],
    ['help', field.help],
    ['required', field.required],
    // Magic fields are set by the system; the rest is writable (Odoo's readonly is a UI hint anyway).
    ['readonly', field.magic],
    ['store', true],
    ['searchable', true],
    ['sortable', SORTABLE_TYPES.has(field.type) || field.name === 'id'],
    ['name', field.name],
  ]);
  if (field.relation) out.set('relation', field.relation);
  if (field.relationField) out.set('relation_field', field.relationField);
  if (field.selection)
    out.set(
      'selection',
      field.selection.map(([value, label]) => [value, label]),
    );
  // Odoo's get_description walks the attributes in alphabetical order (they come from dir()).
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * fields_get(allfields, attributes): every field (or those named in `allfields`; unknown names are
 * skipped, as Odoo does), each with every attribute (or those named in `attributes`).
 */
export function fieldsGet(model: ModelDef, allfields?: readonly string[], attributes?: readonly string[]): PyDict {
  const wanted = allfields && allfields.length > 0 ? new Set(allfields) : undefined;
  const out: PyDict = new Map();
  for (const field of model.fields) {
    if (wanted && !wanted.has(field.name)) continue;
    const description = describeField(field);
    out.set(
      field.name,
      attributes && attributes.length > 0
        ? new Map([...description].filter(([key]) => attributes.includes(key)))
        : description,
    );
  }
  return out;
}

/** default_get(fields_list): the defaults of the named fields that have one, in read() form. */
export function defaultGet(model: ModelDef, fieldsList: readonly string[]): PyDict {
  const out: PyDict = new Map();
  for (const name of fieldsList) {
    const field = model.fieldsByName.get(name);
    if (!field || field.default === undefined || field.default === null) continue;
    const value = field.default;
    out.set(
      name,
      (field.type === 'float' || field.type === 'monetary') && typeof value === 'number'
        ? new PyFloat(value)
        : Array.isArray(value)
          ? [...value]
          : value,
    );
  }
  return out;
}
