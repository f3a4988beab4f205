/**
 * Writes pushed in through a queue (issue 12, "Writes in"): a message is one call of the HTTP API —
 * `{"model": "res.partner", "method": "write", "ids": [17, 20], "vals": {...}, "user": 7}`, or
 * `create` (vals), or `unlink` (ids) — executed by the same object routes as an HTTP request
 * (lib/object-api/router.ts), not a second implementation: the message becomes the request the
 * route would get, with the named user as its caller and the message id as its Idempotency-Key.
 */
import type { ApiRequest } from '../http';

export const QUEUE_METHODS = ['write', 'create', 'unlink'] as const;
export type QueueMethod = (typeof QUEUE_METHODS)[number];

/** A queued call, as parsed from a message body. */
export interface QueueCall {
  readonly model: string;
  readonly method: QueueMethod;
  readonly ids?: readonly number[];
  /** The values as sent (JSON): the route parses them as it parses a `vals` parameter. */
  readonly vals?: unknown;
  /** The res.users id the call acts as. */
  readonly user: number;
}

/** A message that can never succeed, whatever the retries: its reason goes with it to the dead-letter queue. */
export class PermanentFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'PermanentFailure';
  }
}

const invalid = (message: string) => new PermanentFailure(message, 400, 'INVALID_MESSAGE');

/** The call a message body holds; a PermanentFailure naming what is wrong otherwise. */
export function parseQueueCall(body: string): QueueCall {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw invalid('The message body is not JSON: {"model": ..., "method": "write"|"create"|"unlink", ...}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid('The message body must be a JSON object');
  const { model, method, ids, vals, user, ...rest } = parsed as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw invalid(`Unknown keys in the message: ${unknown.join(', ')}`);
  if (typeof model !== 'string' || !/^[a-z][a-z0-9_.]*$/.test(model))
    throw invalid("'model' must be a model's technical name");
  if (!QUEUE_METHODS.includes(method as QueueMethod))
    throw invalid(`'method' must be one of ${QUEUE_METHODS.join(', ')}`);
  if (typeof user !== 'number' || !Number.isSafeInteger(user) || user <= 0)
    throw invalid("'user' must be the id of the res.users record the call acts as");
  const needsIds = method === 'write' || method === 'unlink';
  if (needsIds && (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => Number.isSafeInteger(id) && id > 0)))
    throw invalid(`'ids' must be a non-empty list of record ids for ${String(method)}`);
  if (!needsIds && ids !== undefined) throw invalid("'ids' is for write and unlink only");
  const needsVals = method === 'write' || method === 'create';
  if (needsVals && (typeof vals !== 'object' || vals === null || Array.isArray(vals)))
    throw invalid(`'vals' must be an object of field values for ${String(method)}`);
  if (!needsVals && vals !== undefined) throw invalid("'vals' is for write and create only");
  return {
    model,
    method: method as QueueMethod,
    user,
    ...(needsIds ? { ids: ids as number[] } : {}),
    ...(needsVals ? { vals } : {}),
  };
}

const VERBS: Readonly<Record<QueueMethod, string>> = { write: 'PUT', create: 'POST', unlink: 'DELETE' };

/** Who a queued call acts as: the named user, with the groups the users table gives them now. */
export interface QueueCaller {
  readonly userId: number;
  readonly groups: readonly string[];
  /** The queue, as the client the usage ledger counts the calls under. */
  readonly clientId: string;
}

/**
 * The request the object route gets for a queued call: the verb and path of the HTTP call, `ids`
 * and `vals` as query parameters (vals as JSON, which the route parses as it parses any vals), the
 * message id as the Idempotency-Key (a message delivered twice writes once), and the authorizer
 * context of the named user.
 */
export function queueRequest(call: QueueCall, caller: QueueCaller, messageId: string): ApiRequest {
  const path = `/restapi/1.0/object/${call.model}`;
  const query = new Map<string, string[]>();
  if (call.ids) query.set('ids', [call.ids.join(',')]);
  if (call.vals !== undefined) query.set('vals', [JSON.stringify(call.vals)]);
  return {
    method: VERBS[call.method],
    path,
    calledPath: path,
    pathParameters: { model: call.model },
    query,
    headers: new Map([
      ['accept', 'application/json'],
      ['idempotency-key', messageId],
    ]),
    body: undefined,
    requestId: `queue-${messageId}`,
    authorizer: {
      userId: String(caller.userId),
      clientId: caller.clientId,
      scheme: 'queue',
      tokenScopes: '',
      groups: caller.groups.join(','),
    },
  };
}
