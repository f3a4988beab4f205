/** The HTTP edge: API Gateway events in, responses out (the only aws-lambda importer besides handlers/). */
export * from './negotiate';
export * from './request';
export * from './respond';
export * from './cors';
export { mediaTypeOf } from '../wire/media-type';
export * from './authorizer-event';
export * from './etag';
