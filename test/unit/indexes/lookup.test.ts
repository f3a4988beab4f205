/**
 * A leaf's lookup (lib/indexes/lookup.ts): the key ranges it reads and whether they are exact (a
 * count can then be DynamoDB's), for each operator the indexes serve, and those they do not.
 */
import { lookupOf, MAX_LOOKUP_VALUES } from '../../../lib/indexes/lookup';
import { indexedField, numberKey } from '../../../lib/indexes/keys';
import { buildRegistry, getModel } from '../../../lib/models/registry';
import { leafTerm, parseDomain, type LeafNode } from '../../../lib/records/search/domain';
import type { PyValue } from '../../../lib/wire/pyvalue';
import { shippedModels } from '../../../models';

const registry = buildRegistry(shippedModels);
const partner = getModel(registry, 'res.partner');

function lookup(field: string, operator: string, value: PyValue) {
  const leaf = parseDomain([[field, operator, value]], partner, registry) as LeafNode;
  const term = leafTerm(leaf);
  const indexed = indexedField(partner, field);
  const found = term && indexed && lookupOf(partner, indexed, term);
  return found && { ranges: found.queries.map((query) => query.range), exact: found.exact };
}

describe('lookupOf', () => {
  it.each<[string, string, PyValue, ReturnType<typeof lookup>]>([
    ['ref', '=', 'Ab', { ranges: [{ kind: 'prefix', prefix: '1ab\u0001\u0001Ab\u0001\u0001' }], exact: true }],
    // A value holding the separator's characters is escaped: still one value's entries, exactly.
    ['ref', '=', 'a\u0001\u0001b', { ranges: [{ kind: 'prefix', prefix: '1a\u0001\u0003\u0001\u0003b\u0001\u0001a\u0001\u0003\u0001\u0003b\u0001\u0001' }], exact: true }],
    // NULL has no entry (sparse indexes): left to a walk.
    ['ref', '=', false, undefined],
    ['ref', 'in', ['A', false], undefined],
    ['ref', 'in', ['A', 'b'], { ranges: [{ kind: 'prefix', prefix: '1a\u0001\u0001A\u0001\u0001' }, { kind: 'prefix', prefix: '1b\u0001\u0001b\u0001\u0001' }], exact: true }],
    ['ref', '=ilike', 'AB%', { ranges: [{ kind: 'prefix', prefix: '1ab' }], exact: true }],
    ['ref', '=ilike', 'AB%c', { ranges: [{ kind: 'prefix', prefix: '1ab' }], exact: false }],
    ['ref', '=like', 'AB%', { ranges: [{ kind: 'prefix', prefix: '1ab' }], exact: false }],
    ['ref', '=like', 'ΑΣ%', undefined],
    ['ref', 'ilike', 'ab', undefined],
    ['ref', '!=', 'ab', undefined],
    ['ref', '<', 'b', undefined],
    ['parent_id', '>', 7, { ranges: [{ kind: 'between', from: `1${numberKey(7)}\u0002`, to: '2' }], exact: true }],
    ['parent_id', '<=', 7, { ranges: [{ kind: 'between', from: '1', to: `1${numberKey(7)}\u0002` }], exact: true }],
    ['date', '>=', '2024-01-31', { ranges: [{ kind: 'between', from: '12024-01-31', to: '2' }], exact: true }],
    ['date', '<', '2024-01-31', { ranges: [{ kind: 'between', from: '1', to: '12024-01-31' }], exact: true }],
    ['date', '=like', '2024-01%', { ranges: [{ kind: 'prefix', prefix: '12024-01' }], exact: true }],
    ['parent_id', '=', 0, { ranges: [], exact: true }],
    ['city', '=', 'Ghent', undefined],
  ])('%s %s %j', (field, operator, value, expected) => {
    expect(lookup(field, operator, value)).toStrictEqual(expected);
  });

  it(`looks up an in of at most ${MAX_LOOKUP_VALUES} values`, () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    expect(lookup('parent_id', 'in', ids(MAX_LOOKUP_VALUES))?.ranges).toHaveLength(MAX_LOOKUP_VALUES);
    expect(lookup('parent_id', 'in', ids(MAX_LOOKUP_VALUES + 1))).toBeUndefined();
  });

  it('is not exact for a value whose key is cut short (two long values may share it)', () => {
    expect(lookup('ref', '=', 'x'.repeat(250))?.exact).toBe(false);
    expect(lookup('ref', '=', 'x'.repeat(240))?.exact).toBe(true);
  });
});
