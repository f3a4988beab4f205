import fc from 'fast-check';
import { acceptProperty, idsProperty, oauth1Property, oauth2Property } from '../../fuzz/properties';

// Bounded smokes of the fuzz properties of request text; `npm run fuzz` runs them for minutes.
describe('fuzz: ids, Accept and Authorization headers', () => {
  it('ids: gives well-formed ids=... text its ids once each, and anything else its ids or a 400', () => {
    fc.assert(idsProperty, { numRuns: 10000 });
  });

  it('Accept: picks JSON or XML as RFC 9110 q-values say, and never throws', () => {
    fc.assert(acceptProperty, { numRuns: 10000 });
  });

  it('OAuth 1.0a: reads well-formed headers and protocol parameters back, and gives anything else a request or a 401', () => {
    fc.assert(oauth1Property, { numRuns: 10000 });
  });

  it('Bearer and Basic: reads tokens and client credentials back, and gives anything else a 401, a 400 invalid_request or nothing', () => {
    fc.assert(oauth2Property, { numRuns: 10000 });
  });
});
