/**
 * JSON Schemas (OpenAPI 3.1's dialect) of the models' records as the API reads and writes them:
 * one per model of the registry, so a custom model or field appears as soon as it is defined.
 * Odoo's wire values: an empty char, date, selection or many2one is `false`, a many2one is
 * `[id, display name]`, an x2many a list of ids; written values take ids and x2many commands.
 */
import type { FieldDef, ModelDef } from '../models/registry';
import { serviceFieldsOf } from '../models/service-fields';

/** The fields the API shows and takes: all but the service's own (a webhook's sealed secret). */
const apiFields = (model: ModelDef): FieldDef[] =>
  model.fields.filter((field) => !serviceFieldsOf(model.model)?.has(field.name));

export type Schema = Record<string, unknown>;

const FALSE: Schema = { const: false };
const orFalse = (schema: Schema): Schema => ({ anyOf: [schema, FALSE] });

/** The name of a model's schema in components.schemas (res.partner -> res_partner). */
export const schemaName = (model: string): string => model.replace(/[^A-Za-z0-9_]/g, '_');
/** The name of the schema of the values a create or write takes. */
export const valsSchemaName = (model: string): string => `${schemaName(model)}_vals`;

function describe(field: FieldDef, schema: Schema): Schema {
  return { ...schema, title: field.string, ...(field.help ? { description: field.help } : {}) };
}

/** A field's value as read() answers it. */
export function readSchema(field: FieldDef): Schema {
  switch (field.type) {
    case 'integer':
      return describe(field, { type: 'integer' });
    case 'float':
    case 'monetary':
      return describe(field, { type: 'number' });
    case 'boolean':
      return describe(field, { type: 'boolean' });
    case 'selection':
      return describe(field, orFalse({ type: 'string', enum: (field.selection ?? []).map(([value]) => value) }));
    case 'many2one':
      return describe(
        field,
        orFalse({
          type: 'array',
          prefixItems: [{ type: 'integer' }, { type: 'string' }],
          minItems: 2,
          maxItems: 2,
          description: `[id, display name] of a ${field.relation ?? ''} record`,
        }),
      );
    case 'one2many':
    case 'many2many':
      return describe(field, {
        type: 'array',
        items: { type: 'integer' },
        description: `ids of ${field.relation ?? ''}`,
      });
    case 'date':
      return describe(field, orFalse({ type: 'string', description: 'YYYY-MM-DD' }));
    case 'datetime':
      return describe(field, orFalse({ type: 'string', description: 'YYYY-MM-DD HH:MM:SS, UTC' }));
    case 'binary':
      return describe(field, orFalse({ type: 'string', contentEncoding: 'base64' }));
    default:
      // char, text, html
      return describe(field, orFalse({ type: 'string' }));
  }
}

/** An x2many command list, as Odoo's write() takes it ([(6, 0, ids)], [(4, id)], ...). */
const X2MANY_COMMANDS: Schema = {
  type: 'array',
  items: { type: 'array', prefixItems: [{ type: 'integer', minimum: 0, maximum: 6 }], minItems: 1, maxItems: 3 },
  description: "Odoo's x2many commands, e.g. [[6, 0, [1, 2]]] or [[4, 7]]",
};

/** A field's value as create() and write() take it. */
export function writeSchema(field: FieldDef): Schema {
  switch (field.type) {
    case 'many2one':
      return describe(field, orFalse({ type: 'integer', description: `id of a ${field.relation ?? ''} record` }));
    case 'one2many':
    case 'many2many':
      return describe(field, X2MANY_COMMANDS);
    default:
      return readSchema(field);
  }
}

/** A record as read: every field optional, since `fields` chooses which are answered. */
export function recordSchema(model: ModelDef): Schema {
  return {
    type: 'object',
    title: model.description,
    description: `A ${model.model} record as read (only the fields asked for, id always).`,
    properties: Object.fromEntries(apiFields(model).map((field) => [field.name, readSchema(field)])),
    required: ['id'],
  };
}

/** The vals of a create or write: the fields that are not set by the system. */
export function valsSchema(model: ModelDef): Schema {
  return {
    type: 'object',
    title: `${model.description} values`,
    description: `The vals of a ${model.model} create or write (a dict; fields the server sets are ignored).`,
    properties: Object.fromEntries(
      apiFields(model)
        .filter((field) => !field.magic)
        .map((field) => [field.name, writeSchema(field)]),
    ),
    additionalProperties: false,
  };
}
