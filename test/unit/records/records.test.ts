import { InvalidFieldError, InvalidValueError, ModelNotFoundError } from '../../../lib/errors';
import { buildRegistry, getModel, type FieldDef, type ModelDef } from '../../../lib/models/registry';
import { PyFloat, pyDict, type PyDict, type PyValue } from '../../../lib/wire/pyvalue';
import type { RecordKey, StoredRecord, StoredValue, WriteAction } from '../../../lib/records/port';
import { formatOdooDatetime } from '../../../lib/records/dates';
import type { Caller } from '../../../lib/records/deps';
import { renderRecord, selectFields } from '../../../lib/records/read';
import { buildWriteTransaction, computeUpdate } from '../../../lib/records/transaction';
import { validateVals } from '../../../lib/records/validate';
import { shippedModels } from '../../../models';
import { thrown } from '../../helpers/thrown';

// Expectations follow Odoo's write()/read() (reference/restapi-anchor.md §5) and DESIGN §1-2.

const budgetModel = {
  model: 'x.budget',
  description: 'Budget',
  recName: 'title',
  fields: [
    { name: 'title', type: 'char', string: 'Title' },
    { name: 'amount', type: 'monetary', string: 'Amount' },
    { name: 'owner_id', type: 'many2one', string: 'Owner', relation: 'res.partner' },
  ],
};

const taskModel = {
  model: 'x.task',
  description: 'Task',
  fields: [
    { name: 'name', type: 'char', string: 'Name' },
    { name: 'due', type: 'date', string: 'Due', required: true },
    { name: 'stage', type: 'selection', string: 'Stage', required: true, selection: [['new', 'New'], ['done', 'Done']] },
  ],
};

const registry = buildRegistry([...shippedModels, budgetModel, taskModel]);
const partner = registry.get('res.partner') as ModelDef;
const budget = registry.get('x.budget') as ModelDef;
const task = registry.get('x.task') as ModelDef;

function field(model: ModelDef, name: string): FieldDef {
  const def = model.fieldsByName.get(name);
  if (!def) throw new Error(`no field ${name}`);
  return def;
}

/** Field values as the store port holds them: a null-prototype object (field names are data). */
function values(entries: Record<string, StoredValue>): Record<string, StoredValue> {
  return Object.assign(Object.create(null) as Record<string, StoredValue>, entries);
}

function stored(model: string, id: number, version: number, entries: Record<string, StoredValue>): StoredRecord {
  return { model, id, version, values: values(entries) };
}

const vals = (entries: Array<[string, PyValue]>): PyDict => pyDict(entries);

const caller: Caller = { userId: 2, clientId: 'client-a' };
const COMMIT = '2024-03-04 05:06:07';
/** The same moment in epoch ms: what a check compares deletion marks against. */
const NOW_MS = Date.parse('2024-03-04T05:06:07Z');

describe('records', () => {
  describe('getModel', () => {
    it('returns the model definition of a known model', () => {
      expect(getModel(registry, 'res.partner')).toBe(partner);
    });

    it('throws ModelNotFoundError (404) for an unknown model', () => {
      const error = thrown(() => getModel(registry, 'res.nothing'));
      expect(error).toBeInstanceOf(ModelNotFoundError);
      expect((error as ModelNotFoundError).status).toBe(404);
    });
  });

  describe('formatOdooDatetime', () => {
    it.each<[string, Date, string]>([
      ['a UTC instant', new Date('2017-07-12T13:34:22Z'), '2017-07-12 13:34:22'],
      ['an instant with milliseconds (dropped)', new Date('2017-07-12T13:34:22.999Z'), '2017-07-12 13:34:22'],
      ['an instant given with an offset (shown in UTC)', new Date('2017-07-12T15:34:22+02:00'), '2017-07-12 13:34:22'],
      ['midnight', new Date('2024-01-01T00:00:00Z'), '2024-01-01 00:00:00'],
    ])('returns %s as YYYY-MM-DD HH:MM:SS in UTC', (_label, date, expected) => {
      expect(formatOdooDatetime(date)).toBe(expected);
    });
  });

  describe('validateVals', () => {
    it('returns each field with its parsed change, in vals order', () => {
      const result = validateVals(partner, vals([
        ['street2', 'Chung Hsiao East Road'],
        ['color', 3],
        ['is_company', true],
      ]));
      expect(result).toStrictEqual({
        changes: new Map([
          ['street2', { field: field(partner, 'street2'), change: { kind: 'set', value: 'Chung Hsiao East Road' } }],
          ['color', { field: field(partner, 'color'), change: { kind: 'set', value: 3 } }],
          ['is_company', { field: field(partner, 'is_company'), change: { kind: 'set', value: true } }],
        ]),
        references: new Map(),
        linked: new Map(),
        creates: [],
        deletes: new Map(),
      });
    });

    it('returns the records the vals reference, keyed by model#id, with the field that references each', () => {
      const result = validateVals(partner, vals([
        ['country_id', 482],
        ['state_id', false],
        ['category_id', [[6, 0, [1, 2]]]],
        ['parent_id', 17],
      ]));
      expect(result.references).toStrictEqual(
        new Map([
          ['res.country#482', { key: { model: 'res.country', id: 482 }, field: field(partner, 'country_id') }],
          ['res.partner.category#1', { key: { model: 'res.partner.category', id: 1 }, field: field(partner, 'category_id') }],
          ['res.partner.category#2', { key: { model: 'res.partner.category', id: 2 }, field: field(partner, 'category_id') }],
          ['res.partner#17', { key: { model: 'res.partner', id: 17 }, field: field(partner, 'parent_id') }],
        ]),
      );
    });

    it('returns no changes for empty vals', () => {
      expect(validateVals(partner, vals([]))).toStrictEqual({ changes: new Map(), references: new Map(), linked: new Map(), creates: [], deletes: new Map() });
    });

    it.each<[string]>([['x'], ['nonexistent'], ['Name'], ['name '], ['country'], ['__last_update']])(
      "throws InvalidFieldError (403) with Odoo's text for the unknown field %j",
      (name) => {
        const error = thrown(() => validateVals(partner, vals([[name, 'v']])));
        expect(error).toBeInstanceOf(InvalidFieldError);
        expect((error as InvalidFieldError).status).toBe(403);
        expect((error as InvalidFieldError).message).toBe(`Invalid field '${name}' on model 'res.partner'`);
      },
    );

    it("throws InvalidFieldError with the message exactly Invalid field 'x' on model 'res.partner'", () => {
      expect(() => validateVals(partner, vals([['x', 1]]))).toThrow(new InvalidFieldError('x', 'res.partner'));
      expect(thrown(() => validateVals(partner, vals([['x', 1]])))).toMatchObject({
        message: "Invalid field 'x' on model 'res.partner'",
      });
    });

    it('throws for an unknown field even when every other field is valid', () => {
      const error = thrown(() => validateVals(partner, vals([['name', 'A'], ['street', 'B'], ['x', 1]])));
      expect(error).toBeInstanceOf(InvalidFieldError);
    });

    it('throws InvalidFieldError with the name as Python repr shows it when it holds a quote', () => {
      const error = thrown(() => validateVals(partner, vals([["it's", 1]])));
      expect((error as Error).message).toBe(`Invalid field "it's" on model 'res.partner'`);
    });

    it.each<[string]>([['__proto__'], ['constructor'], ['prototype'], ['toString'], ['hasOwnProperty'], ['valueOf']])(
      'throws InvalidFieldError for %j, which is just an unknown field name',
      (name) => {
        const error = thrown(() => validateVals(partner, vals([[name, 'v']])));
        expect(error).toBeInstanceOf(InvalidFieldError);
        expect((error as Error).message).toBe(`Invalid field '${name}' on model 'res.partner'`);
      },
    );

    it('returns only the real fields when vals hold the magic fields, which Odoo drops silently', () => {
      const result = validateVals(partner, vals([
        ['id', 99],
        ['create_uid', 5],
        ['create_date', '2000-01-01 00:00:00'],
        ['write_uid', 5],
        ['write_date', '2000-01-01 00:00:00'],
        ['display_name', 'Someone Else'],
        ['name', 'Edward Foster'],
      ]));
      expect(result).toStrictEqual({
        changes: new Map([['name', { field: field(partner, 'name'), change: { kind: 'set', value: 'Edward Foster' } }]]),
        references: new Map(),
        linked: new Map(),
        creates: [],
        deletes: new Map(),
      });
    });

    it('returns no change for magic fields even when their values would not be valid for their type', () => {
      const result = validateVals(partner, vals([
        ['id', 'not an id'],
        ['create_uid', 'admin'],
        ['write_date', 'yesterday'],
        ['display_name', 42],
      ]));
      expect(result).toStrictEqual({ changes: new Map(), references: new Map(), linked: new Map(), creates: [], deletes: new Map() });
    });

    it.each<[string, PyValue]>([
      ['False', false],
      ['None', null],
    ])('throws InvalidValueError (403) when a required field is cleared with %s', (_label, value) => {
      const error = thrown(() => validateVals(partner, vals([['name', value]])));
      expect(error).toBeInstanceOf(InvalidValueError);
      expect((error as InvalidValueError).status).toBe(403);
      expect((error as InvalidValueError).message).toContain('name');
    });

    it('throws InvalidValueError when a required many2one is cleared', () => {
      const state = registry.get('res.country.state') as ModelDef;
      const error = thrown(() => validateVals(state, vals([['country_id', false]])));
      expect(error).toBeInstanceOf(InvalidValueError);
      expect((error as InvalidValueError).message).toContain('country_id');
    });

    it.each<[string, string]>([
      ['date', 'due'],
      ['selection', 'stage'],
    ])("throws InvalidValueError when a required %s is cleared with '' (which Odoo reads as empty)", (_label, name) => {
      const error = thrown(() => validateVals(task, vals([[name, '']])));
      expect(error).toBeInstanceOf(InvalidValueError);
      expect((error as InvalidValueError).message).toContain(name);
    });

    it('returns a change that clears a field that is not required', () => {
      const result = validateVals(partner, vals([['street2', false]]));
      expect(result.changes.get('street2')).toStrictEqual({ field: field(partner, 'street2'), change: { kind: 'set', value: null } });
    });

    it('throws InvalidValueError for a value of the wrong type', () => {
      const error = thrown(() => validateVals(partner, vals([['color', 'red']])));
      expect(error).toBeInstanceOf(InvalidValueError);
      expect((error as InvalidValueError).message).toContain('color');
    });

    it.each<[string, PyValue, string]>([
      ['(0, 0, vals) creates', [[0, 0, pyDict([['name', 'VIP']])]], 'create'],
      ['(1, id, vals) updates', [[1, 3, pyDict([['name', 'VIP']])]], 'update'],
      ['(2, id) deletes', [[2, 3]], 'delete'],
      ['(2, id) after a valid link deletes', [[4, 1], [2, 3]], 'delete'],
    ])('throws InvalidValueError with a clear message when an x2many command %s records', (_label, value, op) => {
      const error = thrown(() => validateVals(partner, vals([['category_id', value]])));
      expect(error).toBeInstanceOf(InvalidValueError);
      expect((error as InvalidValueError).status).toBe(403);
      const { message } = error as InvalidValueError;
      expect(message).toContain('category_id');
      expect(message).toContain(op);
      expect(message).toMatch(/not supported/);
    });

    it('returns the linked record a (1, id, vals) command updates, its vals checked against the comodel', () => {
      const result = validateVals(partner, vals([['category_id', [[1, 3, pyDict([['name', 'VIP'], ['parent_id', 1]])]]]]), registry);
      const category = registry.get('res.partner.category') as ModelDef;
      expect(result.linked).toStrictEqual(
        new Map([
          [
            'res.partner.category#3',
            {
              key: { model: 'res.partner.category', id: 3 },
              field: field(partner, 'category_id'),
              vals: {
                changes: new Map([
                  ['name', { field: field(category, 'name'), change: { kind: 'set', value: 'VIP' } }],
                  ['parent_id', { field: field(category, 'parent_id'), change: { kind: 'set', value: 1 } }],
                ]),
                references: new Map([['res.partner.category#1', { key: { model: 'res.partner.category', id: 1 }, field: field(category, 'parent_id') }]]),
                linked: new Map(),
                creates: [],
        deletes: new Map(),
              },
            },
          ],
        ]),
      );
      expect(() => validateVals(partner, vals([['category_id', [[1, 3, pyDict([['nope', 1]])]]]]), registry)).toThrow(
        new InvalidFieldError('nope', 'res.partner.category'),
      );
    });

    it('returns the links and unlinks of x2many commands it supports', () => {
      const result = validateVals(partner, vals([['category_id', [[3, 1], [4, 2], [5], [6, 0, [7]]]]]));
      expect(result.changes.get('category_id')).toStrictEqual({
        field: field(partner, 'category_id'),
        change: {
          kind: 'x2many',
          commands: [{ op: 'unlink', id: 1 }, { op: 'link', id: 2 }, { op: 'clear' }, { op: 'set', ids: [7] }],
        },
      });
    });
  });

  describe('computeUpdate', () => {
    it('returns the new values, write_uid and write_date', () => {
      const record = stored('res.partner', 17, 3, { name: 'Edward Foster', street2: 'Old' });
      const update = computeUpdate(record, validateVals(partner, vals([['street2', 'New'], ['city', false]])), caller, COMMIT);
      expect(update).toStrictEqual(values({ street2: 'New', city: null, write_uid: 2, write_date: COMMIT }));
    });

    it('returns x2many ids computed from the current links of the record', () => {
      const record = stored('res.partner', 17, 3, { category_id: [1, 2] });
      const update = computeUpdate(record, validateVals(partner, vals([['category_id', [[4, 3], [3, 1]]]])), caller, COMMIT);
      expect(update).toStrictEqual(values({ category_id: [2, 3], write_uid: 2, write_date: COMMIT }));
    });

    it('returns x2many ids computed from no links when the record has none stored', () => {
      const record = stored('res.partner', 17, 3, {});
      const update = computeUpdate(record, validateVals(partner, vals([['category_id', [[4, 3]]]])), caller, COMMIT);
      expect(update).toStrictEqual(values({ category_id: [3], write_uid: 2, write_date: COMMIT }));
    });

    it('returns only write_uid and write_date when vals only held magic fields', () => {
      const record = stored('res.partner', 17, 3, { name: 'A' });
      const update = computeUpdate(record, validateVals(partner, vals([['write_uid', 9], ['write_date', 'x']])), caller, COMMIT);
      expect(update).toStrictEqual(values({ write_uid: 2, write_date: COMMIT }));
    });
  });

  describe('buildWriteTransaction', () => {
    const withoutAfter = (action: WriteAction) => {
      if (action.kind !== 'update') return action;
      const { after: _after, before: _before, ...rest } = action;
      return rest;
    };
    const edward = stored('res.partner', 17, 3, { name: 'Edward Foster', street: 'Rue 1', category_id: [1], write_uid: 1, write_date: '2017-01-01 00:00:00' });
    const peter = stored('res.partner', 20, 7, { name: 'Peter Mitchell', street: 'Road 2', category_id: [], write_uid: 1, write_date: '2017-01-01 00:00:00' });

    it('returns one versioned update per record, in order, with write_uid and write_date', () => {
      const validated = validateVals(partner, vals([['street2', 'Chung Hsiao East Road']]));
      const transaction = buildWriteTransaction({ model: partner, records: [edward, peter], vals: validated, caller, commitTime: COMMIT, now: NOW_MS });
      // Each update carries the record's whole values once written (its index entries come from them).
      expect(transaction.actions.map((action) => (action.kind === 'update' ? action.after : undefined))).toStrictEqual(transaction.newStates.map((state) => state.values));
      expect({ ...transaction, actions: transaction.actions.map(withoutAfter) }).toStrictEqual({
        actions: [
          { kind: 'update', key: { model: 'res.partner', id: 17 }, expectedVersion: 3, set: values({ street2: 'Chung Hsiao East Road', write_uid: 2, write_date: COMMIT }) },
          { kind: 'update', key: { model: 'res.partner', id: 20 }, expectedVersion: 7, set: values({ street2: 'Chung Hsiao East Road', write_uid: 2, write_date: COMMIT }) },
        ],
        newStates: [
          stored('res.partner', 17, 4, { ...edward.values, street2: 'Chung Hsiao East Road', write_uid: 2, write_date: COMMIT }),
          stored('res.partner', 20, 8, { ...peter.values, street2: 'Chung Hsiao East Road', write_uid: 2, write_date: COMMIT }),
        ],
        linkedStates: [],
        checkedFields: new Map(),
      });
    });

    it('returns a check per referenced record that is not being written, after the updates', () => {
      const validated = validateVals(partner, vals([['country_id', 482], ['category_id', [[4, 5]]]]));
      const { actions } = buildWriteTransaction({ model: partner, records: [edward, peter], vals: validated, caller, commitTime: COMMIT, now: NOW_MS });
      expect(actions.map((a) => a.kind)).toStrictEqual(['update', 'update', 'check', 'check']);
      expect(actions.slice(2)).toStrictEqual([
        { kind: 'check', key: { model: 'res.country', id: 482 }, now: NOW_MS },
        { kind: 'check', key: { model: 'res.partner.category', id: 5 }, now: NOW_MS },
      ]);
    });

    it('returns one check for a record referenced by several fields or commands', () => {
      const validated = validateVals(partner, vals([['category_id', [[4, 5], [6, 0, [5, 6]]]]]));
      const { actions } = buildWriteTransaction({ model: partner, records: [edward], vals: validated, caller, commitTime: COMMIT, now: NOW_MS });
      expect(actions.filter((a) => a.kind === 'check')).toStrictEqual([
        { kind: 'check', key: { model: 'res.partner.category', id: 5 }, now: NOW_MS },
        { kind: 'check', key: { model: 'res.partner.category', id: 6 }, now: NOW_MS },
      ]);
    });

    it('returns no check for a referenced record that is itself written (its update already requires it)', () => {
      const validated = validateVals(partner, vals([['parent_id', 20]]));
      const { actions } = buildWriteTransaction({ model: partner, records: [edward, peter], vals: validated, caller, commitTime: COMMIT, now: NOW_MS });
      expect(actions.map(withoutAfter)).toStrictEqual([
        { kind: 'update', key: { model: 'res.partner', id: 17 }, expectedVersion: 3, set: values({ parent_id: 20, write_uid: 2, write_date: COMMIT }) },
        { kind: 'update', key: { model: 'res.partner', id: 20 }, expectedVersion: 7, set: values({ parent_id: 20, write_uid: 2, write_date: COMMIT }) },
      ]);
    });

    it('returns a check for a record of the same model that is not among the written ones', () => {
      const validated = validateVals(partner, vals([['parent_id', 30]]));
      const { actions } = buildWriteTransaction({ model: partner, records: [edward, peter], vals: validated, caller, commitTime: COMMIT, now: NOW_MS });
      expect(actions.filter((a) => a.kind === 'check')).toStrictEqual([{ kind: 'check', key: { model: 'res.partner', id: 30 }, now: NOW_MS }]);
    });

    it('returns no check for a cleared many2one', () => {
      const validated = validateVals(partner, vals([['country_id', false]]));
      const { actions } = buildWriteTransaction({ model: partner, records: [edward], vals: validated, caller, commitTime: COMMIT, now: NOW_MS });
      expect(actions.filter((a) => a.kind === 'check')).toStrictEqual([]);
    });

    it('returns x2many new states computed per record from its own links', () => {
      const validated = validateVals(partner, vals([['category_id', [[4, 9]]]]));
      const { actions, newStates } = buildWriteTransaction({ model: partner, records: [edward, peter], vals: validated, caller, commitTime: COMMIT, now: NOW_MS });
      expect(newStates.map((r) => r.values.category_id)).toStrictEqual([[1, 9], [9]]);
      expect(actions.map((a) => (a.kind === 'update' ? a.set.category_id : undefined))).toStrictEqual([[1, 9], [9], undefined]);
    });

    it('returns new states with version + 1 and leaves the records it was given unchanged', () => {
      const before = JSON.stringify([edward, peter]);
      const validated = validateVals(partner, vals([['street', 'Changed']]));
      const { newStates } = buildWriteTransaction({ model: partner, records: [edward, peter], vals: validated, caller, commitTime: COMMIT, now: NOW_MS });
      expect(newStates.map((r) => [r.id, r.version, r.values.street])).toStrictEqual([
        [17, 4, 'Changed'],
        [20, 8, 'Changed'],
      ]);
      expect(JSON.stringify([edward, peter])).toBe(before);
    });
  });

  describe('renderRecord', () => {
    const names = new Map<string, string>([
      ['res.country#274', 'Belgium'],
      ['res.users#1', 'Administrator'],
      ['res.users#2', 'Demo User'],
      ['res.partner#3', 'Azure Interior'],
    ]);
    const displayName = (key: RecordKey) => names.get(`${key.model}#${key.id}`);

    it('returns every field in the model order, id first, as read() shows them', () => {
      const record = stored('res.partner', 17, 4, {
        name: 'Edward Foster',
        // Stored by the writes (its parent is partner 3): its display name.
        complete_name: 'Administrator, Edward Foster',
        street: '2 Chaussée de Namur',
        street2: 'Chung Hsiao East Road',
        city: 'Namur',
        state_id: 56,
        zip: '',
        country_id: 274,
        create_date: '2017-07-12 13:34:22',
        create_uid: 1,
        write_date: '2024-03-04 05:06:07',
        write_uid: 2,
        email: 'edward@example.com',
        phone: null,
        is_company: false,
        type: 'contact',
        active: true,
        parent_id: 3,
        child_ids: [30, 31],
        category_id: [],
        user_id: null,
        lang: 'en_US',
        comment: '<p>VIP</p>',
        date: '2017-07-12',
        color: 0,
        credit_limit: 0,
        partner_latitude: 50.5,
        partner_longitude: 4,
        image_1920: null,
      });
      expect(renderRecord(partner, record, displayName)).toStrictEqual(
        pyDict([
          ['id', 17],
          ['name', 'Edward Foster'],
          ['street', '2 Chaussée de Namur'],
          ['street2', 'Chung Hsiao East Road'],
          ['city', 'Namur'],
          ['state_id', false],
          ['zip', ''],
          ['country_id', [274, 'Belgium']],
          ['create_date', '2017-07-12 13:34:22'],
          ['create_uid', [1, 'Administrator']],
          ['write_date', '2024-03-04 05:06:07'],
          ['write_uid', [2, 'Demo User']],
          ['display_name', 'Administrator, Edward Foster'],
          ['email', 'edward@example.com'],
          ['phone', false],
          ['mobile', false],
          ['website', false],
          ['vat', false],
          ['ref', false],
          ['function', false],
          ['is_company', false],
          ['type', 'contact'],
          ['active', true],
          ['parent_id', [3, 'Azure Interior']],
          ['child_ids', [30, 31]],
          ['category_id', []],
          ['user_id', false],
          ['lang', 'en_US'],
          ['comment', '<p>VIP</p>'],
          ['date', '2017-07-12'],
          ['complete_name', 'Administrator, Edward Foster'],
          ['color', 0],
          ['credit_limit', new PyFloat(0)],
          ['partner_latitude', new PyFloat(50.5)],
          ['partner_longitude', new PyFloat(4)],
          ['image_1920', false],
        ]),
      );
    });

    it('returns the record id even when the values hold a different id', () => {
      const record = stored('res.partner', 17, 1, { id: 99, name: 'A' });
      expect(renderRecord(partner, record, displayName).get('id')).toBe(17);
    });

    it('returns the display name from the recName field, and false when it is empty', () => {
      expect(renderRecord(budget, stored('x.budget', 1, 1, { title: 'Q3 marketing' }), displayName).get('display_name')).toBe('Q3 marketing');
      expect(renderRecord(budget, stored('x.budget', 1, 1, {}), displayName).get('display_name')).toBe(false);
    });

    it('returns the display name from the recName even when a display_name value is stored', () => {
      const record = stored('x.budget', 1, 1, { title: 'Real', display_name: 'Stale' });
      expect(renderRecord(budget, record, displayName).get('display_name')).toBe('Real');
    });

    it('returns the empty read() values for a record with nothing stored', () => {
      expect(renderRecord(budget, stored('x.budget', 5, 1, {}), displayName)).toStrictEqual(
        pyDict([
          ['id', 5],
          ['title', false],
          ['amount', new PyFloat(0)],
          ['owner_id', false],
          ['display_name', false],
          ['create_uid', false],
          ['create_date', false],
          ['write_uid', false],
          ['write_date', false],
        ]),
      );
    });

    it('returns a monetary value as a Python float and a many2one as [id, name]', () => {
      const rendered = renderRecord(budget, stored('x.budget', 5, 1, { title: 'T', amount: 100, owner_id: 3 }), displayName);
      expect(rendered.get('amount')).toStrictEqual(new PyFloat(100));
      expect(rendered.get('owner_id')).toStrictEqual([3, 'Azure Interior']);
    });
  });
});

describe('records.selectFields', () => {
  const model = buildRegistry(shippedModels).get('res.country') as ModelDef;
  const names = (fields: readonly FieldDef[]) => fields.map((f) => f.name);

  it('returns every field when none are named', () => {
    expect(names(selectFields(model))).toStrictEqual(names(model.fields));
    expect(names(selectFields(model, []))).toStrictEqual(names(model.fields));
  });

  it('returns the named fields in the order named, id first and each once, as read() does (_read_format)', () => {
    expect(names(selectFields(model, ['code', 'name']))).toStrictEqual(['id', 'code', 'name']);
    expect(names(selectFields(model, ['name', 'id', 'name']))).toStrictEqual(['id', 'name']);
  });

  it('throws Odoo\'s "Invalid field" for a name the model does not have', () => {
    expect(() => selectFields(model, ['name', 'nope'])).toThrow(new InvalidFieldError('nope', 'res.country'));
  });
});
