import fc from 'fast-check';
import { parseDomain, resolutionOf, subpathLeaves } from '../../../lib/records/search/domain';
import { domainProperty } from '../../fuzz/properties';
import { partner, registry } from '../../fuzz/domain';

// The bounded smoke of the domain parser's fuzz property; `npm run fuzz` runs it for minutes.
describe('fuzz: domain parser', () => {
  it('parses and evaluates valid res.partner domains, and gives any other domain a tree, a 400 or a 403', () => {
    fc.assert(domainProperty, { numRuns: 5000 });
  });

  // Found by the property: for child_of/parent_of, resolve() in lib/records/search/domain.ts looks at the first
  // field of a dotted path and drops the rest, where Odoo 17 (_anyfy_leaves) applies the operator
  // to the last field, inside an 'any' on the path.
  describe('child_of and parent_of at the end of a dotted path', () => {
    it('accepts a path whose last field has a hierarchy, whatever the first field is', () => {
      // The property's shrunk counterexample, without its '!': res.users has no parent_id, but
      // child_of applies to partner_id.parent_id, a many2one of res.partner to itself.
      expect(() => parseDomain([['user_id.partner_id.parent_id', 'child_of', 0]], partner, registry)).not.toThrow();
      expect(() => parseDomain([['user_id.partner_id', 'parent_of', [1]]], partner, registry)).not.toThrow();
      // The children's ids in a hierarchy, not child_of on the one2many child_ids itself.
      expect(() => parseDomain([['child_ids.id', 'child_of', 1]], partner, registry)).not.toThrow();
    });

    it('searches the comodel for parent_id.category_id child_of 3 instead of reading it as parent_id child_of 3', () => {
      const [leaf] = subpathLeaves(parseDomain([['parent_id.category_id', 'child_of', 3]], partner, registry));
      if (leaf === undefined) throw new Error('expected a leaf to resolve');
      // Partners whose parent has a tag under tag 3: a search on the parents, like every other path.
      expect(resolutionOf(leaf, registry)).toMatchObject({ kind: 'search', model: { model: 'res.partner' } });
    });
  });
});
