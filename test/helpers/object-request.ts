/**
 * The ApiRequest API Gateway would pass the object function for one call (lib/http/request.ts), for
 * the unit tests that drive routeObjectRequest without HTTP: one builder instead of one per file.
 */
import type { ApiRequest } from '../../lib/http';

export interface ObjectCall {
  readonly method: string;
  /** Default res.partner. */
  readonly model?: string;
  /** The path's segment after the model (`search_read`, an id), if any. */
  readonly proxy?: string | undefined;
  readonly query?: Readonly<Record<string, string>>;
  /** Sent besides `accept: application/json`; names are lower-cased as the adapter does. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  /** Default: the Administrator (user 1) through OAuth 2 client c1, in base.group_system. */
  readonly authorizer?: Readonly<Record<string, string>>;
}

export const ADMIN_AUTHORIZER: Readonly<Record<string, string>> = {
  userId: '1',
  clientId: 'c1',
  scheme: 'oauth2',
  tokenScopes: '',
  groups: 'base.group_system',
};

export function objectRequest({
  method,
  model = 'res.partner',
  proxy,
  query = {},
  headers = {},
  body,
  authorizer = ADMIN_AUTHORIZER,
}: ObjectCall): ApiRequest {
  const path = `/restapi/1.0/object/${model}${proxy === undefined ? '' : `/${proxy}`}`;
  return {
    method,
    path,
    calledPath: path,
    pathParameters: proxy === undefined ? { model } : { model, proxy },
    query: new Map(Object.entries(query).map(([name, value]) => [name, [value]])),
    headers: new Map([
      ['accept', 'application/json'],
      ...Object.entries(headers).map(([name, value]): [string, string] => [name.toLowerCase(), value]),
    ]),
    body,
    requestId: 'request-1',
    authorizer,
  };
}
