import fc from 'fast-check';
import { callParamsProperty } from '../../fuzz/properties';

// The bounded smoke of the call parameters' fuzz property; `npm run fuzz` runs it for minutes.
describe('fuzz: call parameters', () => {
  it('binds literal and XML bodies, args and kwargs onto the signature, and gives anything else a 400 or a 413', () => {
    fc.assert(callParamsProperty, { numRuns: 6000 });
  });
});
