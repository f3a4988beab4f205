/**
 * The keys of the declared field indexes (lib/indexes/keys.ts): their order is the values' order,
 * they fit DynamoDB's 1,024-byte sort key, and a record's entries come from its whole state.
 */
import fc from 'fast-check';
import {
  INDEX_SLOTS,
  MAX_TEXT_KEY,
  NULL_TAG,
  SEPARATOR,
  VALUE_TAG,
  indexStateOf,
  indexedFields,
  numberKey,
  sortKeyOf,
  textKey,
} from '../../../lib/indexes/keys';
import { buildRegistry, getModel } from '../../../lib/models/registry';
import { shippedModels } from '../../../models';

const registry = buildRegistry(shippedModels);
const partner = getModel(registry, 'res.partner');
/** DynamoDB compares string keys by their UTF-8 bytes. */
const byteOrder = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

describe('index keys', () => {
  it("numberKey orders numbers as DynamoDB orders their keys (negative, zero, -0, fractions, huge)", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ noNaN: true, noDefaultInfinity: true }), (a, b) => {
        const expected = a === b ? 0 : a < b ? -1 : 1;
        expect(byteOrder(numberKey(a), numberKey(b))).toBe(expected);
        expect(numberKey(a)).toMatch(/^[0-9a-f]{16}$/);
      }),
    );
    expect(numberKey(-0)).toBe(numberKey(0));
  });

  it('sorts entries by value, then id, with NULLs after every value', () => {
    const keys = [
      sortKeyOf('number', -5, 9),
      sortKeyOf('number', 3, 2),
      sortKeyOf('number', 3, 10),
      sortKeyOf('number', 40, 1),
      sortKeyOf('number', null, 1),
      sortKeyOf('number', null, 3),
    ];
    expect([...keys].sort(byteOrder)).toStrictEqual(keys);
    expect(sortKeyOf('date', '2024-01-31', 5)).toBe(`${VALUE_TAG}2024-01-31${SEPARATOR}000000000000005`);
    expect(sortKeyOf('text', false, 5)).toBe(`${NULL_TAG}${SEPARATOR}000000000000005`);
  });

  it("keys text by its lower-cased form, then itself, each cut to MAX_TEXT_KEY code points, within 1,024 bytes", () => {
    expect(textKey('Azure Interior')).toBe(`azure interior${SEPARATOR}Azure Interior`);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (text, id) => {
        const key = sortKeyOf('text', text, id);
        expect(Buffer.byteLength(key, 'utf8')).toBeLessThanOrEqual(1024);
        expect(key.startsWith(VALUE_TAG)).toBe(true);
      }),
    );
    const long = '𝒜'.repeat(MAX_TEXT_KEY + 5);
    expect(textKey(long)).toBe(`${'𝒜'.repeat(MAX_TEXT_KEY)}${SEPARATOR}${'𝒜'.repeat(MAX_TEXT_KEY)}`);
  });

  it("lays res.partner's declared fields out one per slot, in declaration order", () => {
    expect(indexedFields(partner).map(({ field, kind, slot }) => [field.name, kind, slot])).toStrictEqual([
      ['name', 'text', 1],
      ['country_id', 'number', 2],
      ['vat', 'text', 3],
      ['ref', 'text', 4],
      ['parent_id', 'number', 5],
      ['date', 'date', 6],
      ['complete_name', 'text', 7],
    ]);
  });

  it("computes a record's entries from its whole state: one per declared field with a value, none for NULL (sparse)", () => {
    const state = indexStateOf(partner, 35, { name: 'Deco Addict', ref: 'DA', parent_id: false, active: false });
    expect(state.entries).toHaveLength(INDEX_SLOTS);
    expect(state.entries.map((entry) => entry?.partition ?? null)).toStrictEqual([
      'res.partner#name#3',
      null,
      null,
      'res.partner#ref#3',
      null,
      null,
      null,
      null,
    ]);
    expect(state.entries[3]?.sort).toBe(`${VALUE_TAG}da${SEPARATOR}DA${SEPARATOR}000000000000035`);
    expect(state.active).toBe(false);
    // A model without `active` says nothing about it.
    expect(indexStateOf(getModel(registry, 'res.country'), 1, { code: 'BE' }).active).toBeUndefined();
  });
});
