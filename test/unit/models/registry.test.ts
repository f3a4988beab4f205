import { buildRegistry, emptyValueOf, FIELD_TYPES, type FieldDef, type FieldType, type ModelDef } from '../../../lib/models/registry';
import { ModelDefinitionError } from '../../../lib/errors';
import { PyFloat, type PyValue } from '../../../lib/wire/pyvalue';
import { shippedModels } from '../../../models';

const MAGIC = ['id', 'display_name', 'create_uid', 'create_date', 'write_uid', 'write_date'];

/** The seed's res.partner record, field by field (seed/update-list-records.txt). */
const SEED_PARTNER_FIELDS = [
  'id', 'name', 'street', 'street2', 'city', 'state_id', 'zip', 'country_id',
  'create_date', 'create_uid', 'write_date', 'write_uid',
];

/** A minimal valid definition set; tests break one thing at a time. */
function users(): Record<string, unknown> {
  return { model: 'res.users', description: 'User', fields: [{ name: 'name', type: 'char', string: 'Name' }] };
}

function model(fields: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'x.test', description: 'Test', fields: [{ name: 'name', type: 'char', string: 'Name' }, ...fields], ...extra };
}

function thrownBy(definitions: unknown[]): unknown {
  try {
    buildRegistry(definitions);
  } catch (error) {
    return error;
  }
  throw new Error('buildRegistry did not throw');
}

function fieldNames(def: ModelDef | undefined): string[] {
  return (def?.fields ?? []).map((f) => f.name);
}

describe('models', () => {
  describe('buildRegistry', () => {
    describe('with the shipped models', () => {
      const registry = buildRegistry(shippedModels);

      it('returns every shipped model', () => {
        expect(registry.models.map((m) => m.model).sort()).toStrictEqual(
          ['ir.model', 'ir.model.fields', 'ir.webhook', 'ir.webhook.delivery', 'res.country', 'res.country.state', 'res.partner', 'res.partner.category', 'res.users'],
        );
      });

      it('returns each model by its technical name and undefined for an unknown one', () => {
        for (const def of registry.models) expect(registry.get(def.model)).toBe(def);
        expect(registry.get('res.nothing')).toBeUndefined();
        expect(registry.get('Partner')).toBeUndefined();
        expect(registry.get('__proto__')).toBeUndefined();
      });

      it.each(['res.partner', 'res.country', 'res.country.state', 'res.partner.category', 'res.users'])(
        'returns %s with id first and every magic field, typed as Odoo types them',
        (name) => {
          const def = registry.get(name) as ModelDef;
          expect(def.fields[0]?.name).toBe('id');
          const magic = MAGIC.map((fieldName) => {
            const f = def.fieldsByName.get(fieldName);
            return [fieldName, f?.type, f?.relation, f?.magic];
          });
          expect(magic).toStrictEqual([
            ['id', 'integer', undefined, true],
            ['display_name', 'char', undefined, true],
            ['create_uid', 'many2one', 'res.users', true],
            ['create_date', 'datetime', undefined, true],
            ['write_uid', 'many2one', 'res.users', true],
            ['write_date', 'datetime', undefined, true],
          ]);
        },
      );

      it.each(['res.partner', 'res.country', 'res.country.state', 'res.partner.category', 'res.users'])(
        'returns %s with fieldsByName matching fields, no name twice',
        (name) => {
          const def = registry.get(name) as ModelDef;
          expect(new Set(fieldNames(def)).size).toBe(def.fields.length);
          expect([...def.fieldsByName.keys()]).toStrictEqual(fieldNames(def));
          for (const f of def.fields) expect(def.fieldsByName.get(f.name)).toBe(f);
        },
      );

      it("returns res.partner with the seed's fields first, in the seed's order", () => {
        expect(fieldNames(registry.get('res.partner')).slice(0, SEED_PARTNER_FIELDS.length)).toStrictEqual(SEED_PARTNER_FIELDS);
      });

      it('returns res.partner described as "Partner" (the seed\'s JSON key) with complete_name as its display name (Odoo 17)', () => {
        const def = registry.get('res.partner') as ModelDef;
        expect([def.model, def.description, def.recName]).toStrictEqual(['res.partner', 'Partner', 'complete_name']);
        // Odoo 17's _rec_names_search, less company_registry (no such field here).
        expect(def.recNamesSearch).toStrictEqual(['complete_name', 'email', 'ref', 'vat']);
      });

      it('returns res.partner.name as a required char and street2 as an optional char', () => {
        const def = registry.get('res.partner') as ModelDef;
        expect(def.fieldsByName.get('name')).toStrictEqual({ name: 'name', type: 'char', string: 'Name', help: '', required: true, magic: false, index: true });
        expect(def.fieldsByName.get('street2')).toStrictEqual({ name: 'street2', type: 'char', string: 'Street2', help: '', required: false, magic: false });
      });

      it('returns res.partner.country_id as a many2one to res.country', () => {
        const country = (registry.get('res.partner') as ModelDef).fieldsByName.get('country_id');
        expect([country?.type, country?.relation]).toStrictEqual(['many2one', 'res.country']);
      });

      it('returns res.partner.type as a selection whose values include contact', () => {
        const type = (registry.get('res.partner') as ModelDef).fieldsByName.get('type');
        expect(type?.type).toBe('selection');
        expect(type?.selection?.map(([value]) => value)).toContain('contact');
      });

      it('returns every relational field pointing at a shipped model', () => {
        for (const def of registry.models) {
          for (const f of def.fields) {
            if (['many2one', 'one2many', 'many2many'].includes(f.type)) expect(registry.get(f.relation as string)).toBeDefined();
          }
        }
      });
    });

    it('returns the magic fields a definition does not list after its own, in a fixed order', () => {
      const registry = buildRegistry([users(), model([{ name: 'code', type: 'char', string: 'Code' }])]);
      expect(fieldNames(registry.get('x.test'))).toStrictEqual(['id', 'name', 'code', ...MAGIC.slice(1)]);
    });

    it('returns the magic fields where a definition places them, id still first', () => {
      const registry = buildRegistry([
        users(),
        model([
          { name: 'write_date', type: 'datetime', string: 'Changed' },
          { name: 'id', type: 'integer', string: 'ID' },
        ]),
      ]);
      expect(fieldNames(registry.get('x.test'))).toStrictEqual(['id', 'name', 'write_date', 'display_name', 'create_uid', 'create_date', 'write_uid']);
      expect(registry.get('x.test')?.fieldsByName.get('write_date')?.magic).toBe(true);
    });

    it('returns "name" as the recName when the definition gives none', () => {
      expect(buildRegistry([users(), model([])]).get('x.test')?.recName).toBe('name');
      expect(buildRegistry([users(), model([])]).get('x.test')?.recNamesSearch).toStrictEqual(['name']);
    });

    it('returns a one2many whose relationField is a many2one back to the model', () => {
      const registry = buildRegistry([
        users(),
        model([{ name: 'line_ids', type: 'one2many', string: 'Lines', relation: 'x.line', relationField: 'test_id' }]),
        { model: 'x.line', description: 'Line', fields: [{ name: 'name', type: 'char', string: 'N' }, { name: 'test_id', type: 'many2one', string: 'T', relation: 'x.test' }] },
      ]);
      const lines = registry.get('x.test')?.fieldsByName.get('line_ids') as FieldDef;
      expect([lines.type, lines.relation, lines.relationField]).toStrictEqual(['one2many', 'x.line', 'test_id']);
    });

    it('returns a field with its selection, default and ondelete', () => {
      const registry = buildRegistry([
        users(),
        model([
          { name: 'state', type: 'selection', string: 'State', selection: [['draft', 'Draft'], ['done', 'Done']], default: 'draft' },
          { name: 'user_id', type: 'many2one', string: 'User', relation: 'res.users', ondelete: 'restrict', help: 'Who' },
        ]),
      ]);
      const def = registry.get('x.test') as ModelDef;
      expect(def.fieldsByName.get('state')).toStrictEqual({
        name: 'state', type: 'selection', string: 'State', help: '', required: false, magic: false,
        selection: [['draft', 'Draft'], ['done', 'Done']], default: 'draft',
      });
      expect(def.fieldsByName.get('user_id')).toStrictEqual({
        name: 'user_id', type: 'many2one', string: 'User', help: 'Who', required: false, magic: false, relation: 'res.users', ondelete: 'restrict',
      });
    });

    it.each<[string, unknown[]]>([
      ['a field of an unknown type', [users(), model([{ name: 'x', type: 'varchar', string: 'X' }])]],
      ['a field with no type', [users(), model([{ name: 'x', string: 'X' }])]],
      ['a field with an upper-case name', [users(), model([{ name: 'Name2', type: 'char', string: 'X' }])]],
      ['a field with no label', [users(), model([{ name: 'x', type: 'char' }])]],
      ['a field that is not an object', [users(), model(['x'])]],
      ['a relation to an unknown model', [users(), model([{ name: 'x_id', type: 'many2one', string: 'X', relation: 'res.nothing' }])]],
      ['a many2one without a relation', [users(), model([{ name: 'x_id', type: 'many2one', string: 'X' }])]],
      ['a relation on a field that is not relational', [users(), model([{ name: 'x', type: 'char', string: 'X', relation: 'res.users' }])]],
      ['a one2many without a relationField', [users(), model([{ name: 'x_ids', type: 'one2many', string: 'X', relation: 'res.users' }])]],
      [
        'a one2many whose relationField does not exist',
        [users(), model([{ name: 'x_ids', type: 'one2many', string: 'X', relation: 'res.users', relationField: 'test_id' }])],
      ],
      [
        'a one2many whose relationField is not a many2one',
        [users(), model([{ name: 'x_ids', type: 'one2many', string: 'X', relation: 'res.users', relationField: 'name' }])],
      ],
      [
        'a one2many whose relationField is a many2one to another model',
        [
          users(),
          model([{ name: 'x_ids', type: 'one2many', string: 'X', relation: 'x.line', relationField: 'user_id' }]),
          { model: 'x.line', description: 'Line', fields: [{ name: 'name', type: 'char', string: 'N' }, { name: 'user_id', type: 'many2one', string: 'U', relation: 'res.users' }] },
        ],
      ],
      ['a selection without values', [users(), model([{ name: 'state', type: 'selection', string: 'State' }])]],
      ['a selection with an empty list of values', [users(), model([{ name: 'state', type: 'selection', string: 'State', selection: [] }])]],
      ['a selection entry that is not a pair', [users(), model([{ name: 'state', type: 'selection', string: 'State', selection: [['a']] }])]],
      ['a selection list on a char field', [users(), model([{ name: 'x', type: 'char', string: 'X', selection: [['a', 'A']] }])]],
      ['a field declared twice', [users(), model([{ name: 'code', type: 'char', string: 'A' }, { name: 'code', type: 'char', string: 'B' }])]],
      ['a magic field declared with another type', [users(), model([{ name: 'create_date', type: 'char', string: 'Created' }])]],
      ['an integer default that is a string', [users(), model([{ name: 'n', type: 'integer', string: 'N', default: 'x' }])]],
      ['a boolean default that is a string', [users(), model([{ name: 'b', type: 'boolean', string: 'B', default: 'yes' }])]],
      ['a char default that is a number', [users(), model([{ name: 'c', type: 'char', string: 'C', default: 5 }])]],
      [
        'a selection default not among its values',
        [users(), model([{ name: 's', type: 'selection', string: 'S', selection: [['a', 'A']], default: 'b' }])],
      ],
      ['an unknown ondelete', [users(), model([{ name: 'u_id', type: 'many2one', string: 'U', relation: 'res.users', ondelete: 'explode' }])]],
      ['an index on a many2many', [users(), model([{ name: 'u_ids', type: 'many2many', string: 'U', relation: 'res.users', index: true }])]],
      ['an index declared with a string', [users(), model([{ name: 'code', type: 'char', string: 'C', index: 'btree' }])]],
      [
        'more indexed fields than the table has index slots (8)',
        [users(), model(Array.from({ length: 9 }, (_, i) => ({ name: `f${i}`, type: 'char', string: `F${i}`, index: true })))],
      ],
      ['a model defined twice', [users(), model([]), model([])]],
      ['a model with no description', [users(), model([], { description: '' })]],
      ['a model with a bad technical name', [users(), model([], { model: 'X Test' })]],
      ['a model with no fields list', [users(), { model: 'x.test', description: 'Test' }]],
      ['a model that is not an object', [users(), 'x.test']],
      ['a recName that is not a field', [users(), model([], { recName: 'title' })]],
      ['a recName that is an integer field', [users(), model([{ name: 'n', type: 'integer', string: 'N' }], { recName: 'n' })]],
      ['a recName that is a magic field', [users(), model([], { recName: 'display_name' })]],
      ['a recNamesSearch naming no field', [users(), model([], { recNamesSearch: ['name', 'nope'] })]],
      ['a recNamesSearch naming an integer field', [users(), model([{ name: 'n', type: 'integer', string: 'N' }], { recNamesSearch: ['n'] })]],
      ['an empty recNamesSearch', [users(), model([], { recNamesSearch: [] })]],
      ['a recNamesSearch that is not a list', [users(), model([], { recNamesSearch: 'name' })]],
      ['a many2one to res.users when res.users is not defined (the log-access fields need it)', [model([])]],
    ])('throws ModelDefinitionError for %s', (_label, definitions) => {
      expect(thrownBy(definitions)).toBeInstanceOf(ModelDefinitionError);
    });

    it('throws a message that names the model and the field', () => {
      const error = thrownBy([users(), model([{ name: 'price', type: 'money', string: 'Price' }])]);
      expect(error).toBeInstanceOf(ModelDefinitionError);
      expect((error as Error).message).toContain('x.test');
      expect((error as Error).message).toContain('price');
      expect((error as Error).message).toContain('money');
    });

    it('throws a message that names the unknown model a relation points to', () => {
      const error = thrownBy([users(), model([{ name: 'x_id', type: 'many2one', string: 'X', relation: 'res.nothing' }])]);
      expect((error as Error).message).toContain('x_id');
      expect((error as Error).message).toContain('res.nothing');
    });
  });

  describe('emptyValueOf', () => {
    const expected: Record<FieldType, PyValue> = {
      char: false,
      text: false,
      html: false,
      integer: 0,
      float: new PyFloat(0),
      monetary: new PyFloat(0),
      boolean: false,
      date: false,
      datetime: false,
      selection: false,
      many2one: false,
      one2many: [],
      many2many: [],
      binary: false,
    };

    it.each([...FIELD_TYPES])('returns what read() shows for an empty %s field', (type) => {
      const f: FieldDef = { name: 'f', type, string: 'F', help: '', required: false, magic: false };
      expect(emptyValueOf(f)).toStrictEqual(expected[type]);
    });

    it('returns a fresh list each time for x2many fields', () => {
      const f: FieldDef = { name: 'f', type: 'many2many', string: 'F', help: '', required: false, magic: false, relation: 'x' };
      const first = emptyValueOf(f);
      expect(first).toStrictEqual([]);
      expect(emptyValueOf(f)).not.toBe(first);
    });
  });
});
