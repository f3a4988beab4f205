/**
 * One queued message, run through the object routes: done (2xx), dead (a permanent failure: a
 * message that cannot succeed — invalid, not allowed, a 4xx — goes to the dead-letter queue with
 * its reason and is not retried), or RetryLater (throttling, conflicts, our 5xx: the queue delivers
 * it again, and its Idempotency-Key — the message id — makes a retry of a write that did commit a
 * replay, never a second write).
 */
import { AppError } from '../errors';
import type { ApiRequest, ApiResult } from '../http';
import { parseQueueCall, PermanentFailure, queueRequest } from './call';

export interface QueueDeps {
  /** The object route (lib/object-api/router.ts's routeObjectRequest over its deps). */
  readonly route: (request: ApiRequest) => Promise<ApiResult>;
  /** The user's groups now, or undefined for a user that does not exist or is archived. */
  readonly userGroups: (userId: number) => Promise<readonly string[] | undefined>;
  /**
   * The users the queue's producers may act as (QUEUE_USERS): the queue's access policy is the
   * trust boundary, this list what it lets them claim. Empty: none.
   */
  readonly allowedUsers: ReadonlySet<number>;
  /** The client the usage ledger counts the queue's calls under. */
  readonly clientId: string;
}

export interface QueueMessage {
  /** Unique per message, the same on every delivery of it: the call's Idempotency-Key. */
  readonly messageId: string;
  readonly body: string;
}

/** Why a message went to the dead-letter queue: the answer the HTTP API would have given. */
export interface DeadReason {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export type QueueOutcome =
  | { readonly kind: 'done'; readonly status: number; readonly replayed: boolean }
  | { readonly kind: 'dead'; readonly reason: DeadReason };

/** Where messages that can never succeed go, with their reason (lib/store/sqs.ts; a file for npm run push). */
export interface DeadLetters {
  send(message: QueueMessage & { readonly groupId?: string | undefined }, reason: DeadReason): Promise<void>;
}

/** A failure worth another delivery (throttling, a conflict, our 5xx): the queue redelivers the message. */
export class RetryLater extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RetryLater';
  }
}

/** Statuses a later delivery may turn into a success: the records kept changing, DynamoDB throttled, our failure. */
const isTransient = (status: number) => status === 409 || status === 429 || status >= 500;

export async function runQueuedMessage(deps: QueueDeps, message: QueueMessage): Promise<QueueOutcome> {
  let request: ApiRequest;
  try {
    const call = parseQueueCall(message.body);
    if (!deps.allowedUsers.has(call.user))
      throw new PermanentFailure(`The queue may not act as user ${call.user} (QUEUE_USERS)`, 403, 'USER_NOT_ALLOWED');
    const groups = await deps.userGroups(call.user);
    if (groups === undefined)
      throw new PermanentFailure(`User ${call.user} does not exist or is archived`, 403, 'USER_NOT_ALLOWED');
    request = queueRequest(call, { userId: call.user, groups, clientId: deps.clientId }, message.messageId);
  } catch (error) {
    if (error instanceof PermanentFailure)
      return { kind: 'dead', reason: { status: error.status, code: error.code, message: error.message } };
    throw new RetryLater(500, 'the caller could not be looked up', { cause: error });
  }
  try {
    const result = await deps.route(request);
    return { kind: 'done', status: result.status, replayed: result.headers?.['Idempotent-Replayed'] === 'true' };
  } catch (error) {
    if (error instanceof AppError && !isTransient(error.status))
      return { kind: 'dead', reason: { status: error.status, code: error.code, message: error.message } };
    const status = error instanceof AppError ? error.status : 500;
    throw new RetryLater(status, error instanceof AppError ? error.message : 'unexpected failure', { cause: error });
  }
}

/** The users-table lookup runQueuedMessage needs: an active user's groups, else undefined. */
export function userGroupsFrom(
  getUser: (userId: number) => Promise<{ readonly active: boolean; readonly groups: readonly string[] } | undefined>,
) {
  return async (userId: number): Promise<readonly string[] | undefined> => {
    const user = await getUser(userId);
    return user?.active ? user.groups : undefined;
  };
}
