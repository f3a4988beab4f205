import fc from 'fast-check';
import { xmlProperty } from '../../fuzz/properties';

// The bounded smoke of the XML body parser's fuzz property; `npm run fuzz` runs it for minutes.
describe('fuzz: XML request bodies', () => {
  it('parses bodies written by dicttoxml or by hand back equal, and gives any other text a value or a 400 at its line and column', () => {
    fc.assert(xmlProperty, { numRuns: 10000 });
  });
});
