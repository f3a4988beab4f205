/**
 * The caller the authorizer established, from its context: what every route behind the authorizer
 * starts from. Apart from router.ts so that the usage route's function does not load the records core.
 */
import { AUTH_ERROR_CONTEXT_KEY } from '../auth/credentials';
import { AuthenticationRequiredError } from '../errors';
import type { ApiRequest } from '../http';
import type { Caller } from '../records/deps';

/** The caller the authorizer established; without one the request never should have got here. */
export function callerOf(request: ApiRequest): Caller {
  // An authorizer that refused but let the request on to say why (none does now; any reason is a 401).
  if (request.authorizer[AUTH_ERROR_CONTEXT_KEY] !== undefined)
    throw new AuthenticationRequiredError(`authorizer error ${request.authorizer[AUTH_ERROR_CONTEXT_KEY]}`);
  const userId = Number(request.authorizer.userId);
  const clientId = request.authorizer.clientId;
  if (!Number.isSafeInteger(userId) || userId <= 0 || !clientId)
    throw new AuthenticationRequiredError('no authorizer context');
  return { userId, clientId };
}
