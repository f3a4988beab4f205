/** The records core's public face: Odoo's write/read/create/unlink and search over a RecordStore port. */
export { budgeted, DEFAULT_REQUEST_LIMITS, type BudgetedStore, type RequestCost, type RequestLimits } from './budget';
export { createRecord, type CreateRequest } from './create';
export { type KeyedRequest, type MeteredWrite } from './commit';
export { formatOdooDatetime } from './dates';
export type { Caller, RecordsDeps } from './deps';
export { MAX_READ_IDS, readRecords, readStoredRecords, renderRecords, selectFields, type ReadRequest } from './read';
export { countRecords, countWithPlan, domainModels, parseOrder, searchRecords, type SearchPlan } from './search/search';
export { unlinkRecords, type UnlinkRequest } from './unlink';
export { relatedAccessNeeds, type AccessNeed } from './validate';
export { writeRecords, type WriteRequest } from './write';
export * from './port';
