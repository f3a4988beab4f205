/**
 * The fuzz properties, one per parser that sees client input. The same objects run in the jest
 * smoke (test/unit/fuzz, bounded numRuns) and in `npm run fuzz` (scripts/fuzz.ts, a time budget).
 *
 * Each property's cases mix well-formed input, which must give exactly what it says, with random
 * text, token soup and mutations of well-formed input, which must give a value of the documented
 * shape or the documented AppError with its status; any other throw is a failure. Inputs are
 * bounded (size and nesting), so no case can take long in jest; scripts/fuzz.ts watches for hangs.
 */
import type fc from 'fast-check';
import { callParamsTarget } from './call-params';
import { domainTarget } from './domain';
import { acceptTarget, idsTarget, oauth1Target, oauth2Target } from './headers';
import { literalTarget } from './literal';
import type { FuzzTarget } from './target';
import { xmlTarget } from './xml';

export type { FuzzTarget } from './target';

/** Every target, in the order scripts/fuzz.ts runs them. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [literalTarget, domainTarget, idsTarget, acceptTarget, oauth1Target, oauth2Target, xmlTarget, callParamsTarget];

/** lib/wire/literal.ts: parsePythonLiteral, parseLiteralParam, parseVals. */
export const literalProperty: fc.IProperty<[unknown]> = literalTarget.property;
/** lib/records/search/domain.ts: parseDomain (through parseLiteralParam), subpathLeaves, resolutionOf, matchRecord. */
export const domainProperty: fc.IProperty<[unknown]> = domainTarget.property;
/** lib/object-api/params.ts: parseIds, idsFromValue. */
export const idsProperty: fc.IProperty<[unknown]> = idsTarget.property;
/** lib/http/negotiate.ts: negotiate. */
export const acceptProperty: fc.IProperty<[unknown]> = acceptTarget.property;
/** lib/auth/oauth1/signature.ts: parseOAuthAuthorizationHeader, gatherOAuthParameters, queryPairs. */
export const oauth1Property: fc.IProperty<[unknown]> = oauth1Target.property;
/** lib/auth/oauth2.ts: parseTokenHeader, clientCredentialsFromBasicHeader. */
export const oauth2Property: fc.IProperty<[unknown]> = oauth2Target.property;
/** lib/wire/xml-body.ts: parseXmlBody, isXmlBody. */
export const xmlProperty: fc.IProperty<[unknown]> = xmlTarget.property;
/** lib/object-api/params.ts: bodyParams, bindParams, CallParams. */
export const callParamsProperty: fc.IProperty<[unknown]> = callParamsTarget.property;
