/** The records core's public face: Odoo's write/read/create/unlink and search over a RecordStore port. */
export { createRecord, readRecords, renderRecords, selectFields, writeRecords, type Caller, type KeyedRequest, type RecordsDeps } from './records';
export { unlinkRecords } from './unlink';
export { countRecords, parseOrder, searchRecords } from './search/search';
export * from './port';
