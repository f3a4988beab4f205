/**
 * The keys of the declared field indexes (lib/indexes/keys.ts): their order is the values' order,
 * they fit DynamoDB's 1,024-byte sort key, and a record's entries come from its whole state.
 */
import fc from 'fast-check';
import {
  INDEX_SLOTS,
  MAX_ORDER_KEY_OVERHEAD,
  MAX_SORT_KEY_BYTES,
  MAX_TEXT_KEY_BYTES,
  NULL_TAG,
  SEPARATOR,
  VALUE_TAG,
  indexStateOf,
  idKey,
  indexedFields,
  numberKey,
  sortKeyOf,
  textKey,
  walkKeyOfEntry,
  foldCase as foldCaseOf,
} from '../../../lib/indexes/keys';
import { buildRegistry, getModel } from '../../../lib/models/registry';
import { orderKeyOf } from '../../../lib/indexes/order';
import { compareCodePoints } from '../../../lib/wire/code-points';
import { shippedModels } from '../../../models';

const registry = buildRegistry(shippedModels);
const partner = getModel(registry, 'res.partner');
/** DynamoDB compares string keys by their UTF-8 bytes. */
const byteOrder = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

describe('index keys', () => {
  it('numberKey orders numbers as DynamoDB orders their keys (negative, zero, -0, fractions, huge)', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (a, b) => {
          const expected = a === b ? 0 : a < b ? -1 : 1;
          expect(byteOrder(numberKey(a), numberKey(b))).toBe(expected);
          expect(numberKey(a)).toMatch(/^[0-9a-f]{16}$/);
        },
      ),
    );
    expect(numberKey(-0)).toBe(numberKey(0));
  });

  it('sorts entries by value, then walk key, with NULLs after every value', () => {
    const keys = [
      sortKeyOf('number', -5, idKey(9)),
      sortKeyOf('number', 3, idKey(2)),
      sortKeyOf('number', 3, idKey(10)),
      sortKeyOf('number', 40, idKey(1)),
      sortKeyOf('number', null, idKey(1)),
      sortKeyOf('number', null, idKey(3)),
    ];
    expect([...keys].sort(byteOrder)).toStrictEqual(keys);
    expect(sortKeyOf('date', '2024-01-31', idKey(5))).toBe(`${VALUE_TAG}2024-01-31${SEPARATOR}000000000000005`);
    expect(sortKeyOf('text', false, idKey(5))).toBe(`${NULL_TAG}${SEPARATOR}000000000000005`);
  });

  it('keys text by its lower-cased form, then itself, each cut to MAX_TEXT_KEY_BYTES at a character end', () => {
    expect(textKey('Azure Interior')).toBe(`azure interior${SEPARATOR}Azure Interior`);
    // 4 UTF-8 bytes each: 60 fit in 240.
    const long = '𝒜'.repeat(70);
    expect(textKey(long)).toBe(`${'𝒜'.repeat(60)}${SEPARATOR}${'𝒜'.repeat(60)}`);
    // A 2-byte character that would straddle the end is left out whole.
    const straddling = `${'a'.repeat(MAX_TEXT_KEY_BYTES - 1)}é`;
    expect(textKey(straddling)).toBe(
      `${'a'.repeat(MAX_TEXT_KEY_BYTES - 1)}${SEPARATOR}${'a'.repeat(MAX_TEXT_KEY_BYTES - 1)}`,
    );
  });

  it("fits every entry of every shipped model in a sort key, whatever its texts (the value's key and the order key together)", () => {
    const texty = (type: string) => ['char', 'text', 'html', 'selection'].includes(type);
    // An order key's tags, terminators, numbers and id (its texts empty) stay within the budget keys.ts counts on.
    for (const model of registry.models) {
      const empty = Object.fromEntries(model.fields.filter((field) => texty(field.type)).map((field) => [field.name, '']));
      const overhead = orderKeyOf(model, 999_999_999_999_999, empty);
      if (overhead !== undefined) expect(Buffer.byteLength(overhead, 'utf8')).toBeLessThanOrEqual(MAX_ORDER_KEY_OVERHEAD);
    }
    for (const model of registry.models.filter((m) => indexedFields(m).length > 0)) {
      fc.assert(
        fc.property(
          fc.array(fc.string({ unit: 'binary', maxLength: 400 }), {
            minLength: model.fields.length,
            maxLength: model.fields.length,
          }),
          fc.integer({ min: 1, max: 999_999_999_999_999 }),
          (texts, id) => {
            const values = Object.fromEntries(
              model.fields.flatMap((field, i) => (texty(field.type) ? [[field.name, texts[i] as string]] : [])),
            );
            for (const entry of indexStateOf(model, id, values).entries)
              if (entry) expect(Buffer.byteLength(entry.sort, 'utf8')).toBeLessThanOrEqual(MAX_SORT_KEY_BYTES);
          },
        ),
        { numRuns: 60 },
      );
    }
  });

  it('escapes texts so that a key is cut at its texts\' ends: the walk key after any value comes back whole', () => {
    const texty = (type: string) => ['char', 'text', 'html', 'selection'].includes(type);
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', '\u0000', '\u0001', '\u0002', '\u0003', 'é', '𝒜', '1'), maxLength: 30 });
    for (const model of registry.models.filter((m) => indexedFields(m).length > 0)) {
      fc.assert(
        fc.property(fc.array(text, { minLength: model.fields.length, maxLength: model.fields.length }), fc.integer({ min: 1, max: 999_999 }), (texts, id) => {
          const values = Object.fromEntries(model.fields.flatMap((field, i) => (texty(field.type) ? [[field.name, texts[i] as string]] : [])));
          const walkKey = orderKeyOf(model, id, values) ?? idKey(id);
          for (const { field, kind, slot } of indexedFields(model)) {
            const entry = indexStateOf(model, id, values).entries[slot - 1];
            if (entry) expect([field.name, walkKeyOfEntry(kind, entry.sort)]).toStrictEqual([field.name, walkKey]);
          }
        }),
        { numRuns: 100 },
      );
    }
  });

  it("orders escaped texts as the texts (code points), U+0000 and U+0001 included, and a text before its extensions", () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '\u0000', '\u0001', '\u0002', '𝒜', '\uffff'), maxLength: 8 });
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(Math.sign(compareCodePoints(textKey(a), textKey(b)))).toBe(Math.sign(compareCodePoints(foldCaseOf(a), foldCaseOf(b)) || compareCodePoints(a, b)));
      }),
      { numRuns: 500 },
    );
  });

  it("keeps one value's entries in the model's default order (res.partner: complete_name, then id descending)", () => {
    const partners = [
      { id: 4, complete_name: 'Beta' },
      { id: 9, complete_name: 'Alpha' },
      { id: 2, complete_name: 'Alpha' },
      { id: 7, complete_name: 'alpha' },
      { id: 5, complete_name: null },
    ];
    const refSlot = 5;
    const sorted = partners
      .map(({ id, complete_name }) => ({
        id,
        sort: indexStateOf(partner, id, { ref: 'R', complete_name }).entries[refSlot - 1]?.sort as string,
      }))
      .sort((a, b) => compareCodePoints(a.sort, b.sort))
      .map(({ id }) => id);
    // PostgreSQL's C collation: upper case first; NULLs last ascending; ties by id descending.
    expect(sorted).toStrictEqual([9, 2, 4, 7, 5]);
  });

  it("lays res.partner's declared fields out one per slot, in declaration order", () => {
    expect(indexedFields(partner).map(({ field, kind, slot }) => [field.name, kind, slot])).toStrictEqual([
      ['name', 'text', 1],
      ['country_id', 'number', 2],
      ['email', 'text', 3],
      ['vat', 'text', 4],
      ['ref', 'text', 5],
      ['parent_id', 'number', 6],
      ['date', 'date', 7],
      ['complete_name', 'text', 8],
    ]);
  });

  it("computes a record's entries from its whole state: one per declared field with a value, none for NULL (sparse)", () => {
    const state = indexStateOf(partner, 35, { name: 'Deco Addict', ref: 'DA', parent_id: false, active: false });
    expect(state.entries).toHaveLength(INDEX_SLOTS);
    expect(state.entries.map((entry) => entry?.partition ?? null)).toStrictEqual([
      'res.partner#name#3',
      null,
      null,
      null,
      'res.partner#ref#3',
      null,
      null,
      null,
      // Slots 9 and 10: custom fields' only (lib/indexes/custom.ts).
      null,
      null,
    ]);
    const walkKey = orderKeyOf(partner, 35, { name: 'Deco Addict', ref: 'DA' }) as string;
    expect(state.entries[4]?.sort).toBe(`${VALUE_TAG}da${SEPARATOR}DA${SEPARATOR}${walkKey}`);
    expect(state.active).toBe(false);
    // A model without `active` says nothing about it.
    expect(indexStateOf(getModel(registry, 'res.country'), 1, { code: 'BE' }).active).toBeUndefined();
  });
});
