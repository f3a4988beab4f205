/**
 * The REQUEST authorizer of every object route. Valid credentials (OAuth 1.0a signature, OAuth 2
 * Bearer token, or the original's Basic token) -> an Allow policy with the caller in the context;
 * anything else -> `Unauthorized` (API Gateway's 401), never another error, which API Gateway
 * would turn into a 500.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { authorizeRequest } from '../lib/auth/authorizer';
import { AUTHORIZER_REFUSAL, runAuthorizer } from '../lib/http/authorizer-event';
import { getAuthStore, getLogger } from '../lib/runtime/container';
import { getOAuth1Deps, getTokenDeps } from '../lib/runtime/container-auth';
import { callMetrics, recordedCall, type CallOutcome } from '../lib/runtime/metrics';

const deps = { store: getAuthStore(), tokens: getTokenDeps(), oauth1: getOAuth1Deps() };
const log = getLogger();
const metrics = callMetrics(log);

/** A grant is a 200 for its client, a refusal API Gateway's 401, anything else a 500. */
const outcome: CallOutcome<APIGatewayAuthorizerResult> = (ended) => {
  if ('error' in ended)
    return { status: ended.error instanceof Error && ended.error.message === AUTHORIZER_REFUSAL ? 401 : 500 };
  const clientId = ended.value.context?.clientId;
  return { status: 200, ...(typeof clientId === 'string' ? { clientId } : {}) };
};

export const handler = (
  event: APIGatewayRequestAuthorizerEvent,
  context?: Context,
): Promise<APIGatewayAuthorizerResult> => {
  log.startInvocation(context);
  return recordedCall(metrics, () => runAuthorizer(event, (request) => authorizeRequest(deps, log, request)), outcome);
};
